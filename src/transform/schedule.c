/* schedule.c — which intervals a run processes: SQLMesh's cron, cron_tz, interval_unit,
 * start, end, lookback and allow_partials.
 *
 * The reference is SQLMesh's code: sqlmesh/utils/date.py (to_datetime, is_date,
 * make_exclusive), sqlmesh/core/node.py (IntervalUnit.from_cron, _node_root_validator,
 * cron_floor) and sqlmesh/core/snapshot/definition.py (missing_intervals,
 * Snapshot.missing_intervals, inclusive_exclusive, compute_missing_intervals), for a
 * `sqlmesh run`: start = the model's start, end = execution time, execution time = the
 * run's. compute_missing_intervals walks one interval at a time; here the same sets are
 * computed as ranges (a start years back with 5-minute intervals is not walked one by
 * one). A model without start starts where SQLMesh's start_date infers it
 * (schedule_infer_starts: its parents' earliest start, else the cron's previous tick).
 *
 * One materia rule is kept on top: when a model is a new version, or its input files or
 * parents' data changed, the current partial interval (up to the execution time) is also
 * processed, so a landing is picked up the same day (test_incremental.py). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "transform/schedule.h"

#define DAY_US (INT64_C(86400) * US_PER_SEC)

static int64_t fdiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

static int64_t civil_us(int y, int mo, int d)
{
    char b[32];
    int64_t us;
    snprintf(b, sizeof b, "%04d-%02d-%02d", y, mo, d);
    return time_parse(b, &us) == 0 ? us : 0;
}

static bool valid_date(int y, int mo, int d)
{
    static const int md[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mo >= 1 && mo <= 12 && d >= 1 && d <= (mo == 2 && !leap ? 28 : md[mo - 1]);
}

/* base - (years, months) with the day clamped to the month (dateutil's relativedelta) */
static int64_t add_months(int64_t us, long months)
{
    char b[32];
    time_fmt_ts(us, b);
    int y, mo, d;
    sscanf(b, "%d-%d-%d", &y, &mo, &d);
    long total = (long)y * 12 + (mo - 1) + months;
    y = (int)fdiv(total, 12);
    mo = (int)(total - (long)y * 12) + 1;
    while (d > 28 && !valid_date(y, mo, d)) d--;
    int64_t day0 = fdiv(us, DAY_US) * DAY_US;
    return civil_us(y, mo, d) + (us - day0);
}

/* "3 days 2 hours ago", "in 1 week", "today"...: date.py to_datetime's dateparser call with
 * RELATIVE_BASE now(), floored to midnight for categorical expressions
 * (is_categorical_relative_expression: no hour/minute/second unit) */
static int parse_relative(const char *s, int64_t now_us, int64_t *us)
{
    int64_t base = fdiv(now_us, 60 * US_PER_SEC) * 60 * US_PER_SEC, midnight = fdiv(now_us, DAY_US) * DAY_US;
    if (!strcasecmp(s, "now")) { *us = base; return 0; }
    if (!strcasecmp(s, "today")) { *us = midnight; return 0; }
    if (!strcasecmp(s, "yesterday")) { *us = midnight - DAY_US; return 0; }
    if (!strcasecmp(s, "tomorrow")) { *us = midnight + DAY_US; return 0; }
    static const struct { const char *name; int months; int64_t us; bool clock; } units[] = {
        {"decade", 120, 0, false}, {"year", 12, 0, false},   {"month", 1, 0, false},
        {"week", 0, 7 * DAY_US, false}, {"day", 0, DAY_US, false}, {"hour", 0, 3600 * US_PER_SEC, true},
        {"minute", 0, 60 * US_PER_SEC, true}, {"second", 0, US_PER_SEC, true},
    };
    const char *p = s;
    int sign = -1;
    if (!strncasecmp(p, "in ", 3)) sign = 1, p += 3;
    long months = 0;
    int64_t delta = 0;
    bool clock = false, any = false;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (!isdigit((unsigned char)*p)) break;
        char *e;
        long n = strtol(p, &e, 10);
        p = e;
        while (isspace((unsigned char)*p)) p++;
        size_t k, len = 0;
        for (k = 0; k < sizeof units / sizeof units[0]; k++) {
            len = strlen(units[k].name);
            if (!strncasecmp(p, units[k].name, len)) break;
        }
        if (k == sizeof units / sizeof units[0] || n < 0 || n > 100000) return -1;
        p += len;
        if (*p == 's' || *p == 'S') p++;
        if (isalnum((unsigned char)*p)) return -1;
        months += n * units[k].months;
        delta += n * units[k].us;
        clock |= units[k].clock;
        any = true;
    }
    while (isspace((unsigned char)*p)) p++;
    if (!any) return -1;
    if (sign < 0) {
        if (strncasecmp(p, "ago", 3)) return -1;
        p += 3;
        while (isspace((unsigned char)*p)) p++;
    }
    if (*p) return -1;
    int64_t t = clock ? base : midnight;
    *us = add_months(t, sign * months) + sign * delta;
    return 0;
}

int timelike_parse(const char *s, int64_t now_us, int64_t *us, bool *is_date)
{
    *is_date = false;
    size_t n = strlen(s);
    char *end;
    /* number-like: YYYYMMDD (DATE_INT_FMT) else epoch milliseconds */
    double v = n ? strtod(s, &end) : 0;
    if (n && !*end && !isspace((unsigned char)s[0])) {
        int y, mo, d;
        if (n == 8 && strspn(s, "0123456789") == 8 && sscanf(s, "%4d%2d%2d", &y, &mo, &d) == 3 &&
            valid_date(y, mo, d)) {
            *us = civil_us(y, mo, d);
            *is_date = true;
            return 0;
        }
        *us = (int64_t)(v * 1000.0);
        return 0;
    }
    int y, mo, d, k = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &k) == 3 && k == 10) {
        if (!valid_date(y, mo, d)) return -1;
        if (!s[10]) {
            *us = civil_us(y, mo, d);
            *is_date = true;
            return 0;
        }
        /* a zone suffix: Z or ±HH[:MM], converted to UTC (to_datetime's astimezone) */
        char buf[64];
        snprintf(buf, sizeof buf, "%s", s);
        int64_t off = 0;
        size_t bl = strlen(buf);
        if (bl > 10 && (buf[bl - 1] == 'Z' || buf[bl - 1] == 'z')) buf[--bl] = 0;
        else if (bl > 16) {
            char *z = buf + 16; /* past YYYY-MM-DDTHH:MM */
            char *sg = strpbrk(z, "+-");
            if (sg) {
                int oh = 0, om = 0;
                if (sscanf(sg + 1, "%2d:%2d", &oh, &om) < 1 && sscanf(sg + 1, "%2d%2d", &oh, &om) < 1) return -1;
                off = ((int64_t)oh * 3600 + om * 60) * US_PER_SEC * (*sg == '-' ? -1 : 1);
                *sg = 0;
            }
        }
        if (time_parse(buf, us) < 0) return -1;
        *us -= off;
        return 0;
    }
    return parse_relative(s, now_us, us);
}

int model_schedule_finish(struct model *m, struct mt_err *err)
{
    char why[200];
    int16_t tz = -1;
    if (m->cron_tz && cron_tz_load(m->cron_tz, &tz, why, sizeof why) < 0)
        return mt_errf(err, "%s:%d: cron_tz: %s", m->file, m->line, why);
    m->cronx.tz = tz;
    enum cron_unit derived;
    /* IntervalUnit.from_cron samples the cron from now (deterministic crons do not care) */
    if (cron_expr_unit(&m->cronx, time_now_us(), &derived, why, sizeof why) < 0)
        return mt_errf(err, "%s:%d: Invalid cron '%s': %s", m->file, m->line, m->cron, why);
    if (!m->unit_set) m->unit = derived;
    else if (!m->allow_partials && cron_unit_seconds(m->unit) > cron_unit_seconds(derived))
        return mt_errf(err, "%s:%d: Cron '%s' cannot be more frequent than interval unit '%s'. If this is "
                       "intentional, set allow_partials to True.", m->file, m->line, m->cron,
                       cron_unit_name(m->unit));
    return 0;
}

int64_t model_start_at(const struct model *m, int64_t exec_us)
{
    int64_t s;
    bool d;
    if (!m->start) return m->start_inferred;
    return timelike_parse(m->start, exec_us, &s, &d) == 0 ? s : 0;
}

void schedule_infer_starts(struct project *p, int64_t exec_us)
{
    /* snapshot/definition.py start_date: the model's start; else the earliest start of its
     * parents that are models (external tables are no snapshots); else, with none, the tick
     * before the cron's floor of the end (the execution time): a new daily root model with
     * no start processes yesterday, not every day since 1970. In topological order, so a
     * parent's start is known before its children's. */
    for (size_t k = 0; k < p->n; k++) {
        size_t i = p->order[k];
        struct model *m = &p->models[i];
        if (m->start) continue;
        int64_t s = INT64_MAX;
        for (size_t j = 0; j < p->n_parents[i]; j++) {
            int64_t ps = model_start_at(&p->models[p->parents[i][j]], exec_us);
            if (ps < s) s = ps;
        }
        m->start_inferred = s != INT64_MAX ? s : cron_expr_prev(&m->cronx, cron_expr_floor(&m->cronx, exec_us));
    }
}

int64_t model_end_at(const struct model *m, int64_t exec_us, bool *end_is_date)
{
    int64_t e;
    *end_is_date = false;
    return m->end && timelike_parse(m->end, exec_us, &e, end_is_date) == 0 ? e : INT64_MAX;
}

int model_schedule_check(const struct model *m, int64_t exec_us, const char *start_where, struct mt_err *err)
{
    int64_t s = 0, e = 0;
    bool d;
    static const char *forms = "expected a date, a timestamp, epoch milliseconds or a relative time such as "
                               "'1 week ago'";
    if (m->start && timelike_parse(m->start, exec_us, &s, &d) < 0)
        return mt_errf(err, "%sstart '%s' needs to be time-like: %s", start_where, m->start, forms);
    if (m->end && timelike_parse(m->end, exec_us, &e, &d) < 0)
        return mt_errf(err, "%s:%d: end '%s' needs to be time-like: %s", m->file, m->line, m->end, forms);
    if (m->end && !m->start)
        return mt_errf(err, "%s:%d: Must define a start date if an end date is defined.", m->file, m->line);
    if (m->end && s > e)
        return mt_errf(err, "%s:%d: Start date / time (%s) can't be greater than end date / time (%s)", m->file,
                       m->line, m->start, m->end);
    return 0;
}

/* the boundary L intervals before t in the list start, ticks..., end (end may be partial) */
static int64_t back(enum cron_unit u, int64_t t, long l, int64_t start)
{
    if (l > 0 && cron_floor(u, t) != t) t = cron_floor(u, t), l--;
    for (; l > 0 && t > start; l--) t = cron_floor(u, t - 1);
    return t < start ? start : t;
}

/* compute_missing_intervals over [start_ts, end_ts) */
static void compute_missing(enum cron_unit u, const struct ranges *done, int64_t start_ts, int64_t end_ts, long lookback,
                            int64_t model_end_ts, struct ranges *out)
{
    struct ranges miss = {0}, full = {0};
    /* an interval is done when one processed range holds it whole */
    for (size_t i = 0; i < done->n; i++) {
        int64_t s = cron_floor(u, done->v[i].s);
        if (s < done->v[i].s) s = cron_next(u, s);
        int64_t e = done->v[i].e >= end_ts ? end_ts : cron_floor(u, done->v[i].e);
        ranges_add(&full, s, e);
    }
    int64_t cur = start_ts;
    for (size_t i = 0; i < full.n && cur < end_ts; i++) {
        if (full.v[i].e <= cur) continue;
        if (full.v[i].s > cur) ranges_add(&miss, cur, full.v[i].s < end_ts ? full.v[i].s : end_ts);
        cur = full.v[i].e;
    }
    if (cur < end_ts) ranges_add(&miss, cur, end_ts);
    if (miss.n && lookback > 0) {
        if (model_end_ts != INT64_MAX) {
            int64_t e = cron_floor(u, end_ts - 1);
            while (model_end_ts < e) {
                e = cron_floor(u, e - 1);
                lookback--;
            }
            if (lookback < 0) lookback = 0;
        }
        /* interval i is also missing when interval i + lookback is, or is past the end */
        size_t n = miss.n;
        struct range *v = xcalloc(n, sizeof *v);
        memcpy(v, miss.v, n * sizeof *v);
        for (size_t i = 0; i < n; i++)
            ranges_add(&miss, back(u, v[i].s, lookback, start_ts), back(u, v[i].e, lookback, start_ts));
        free(v);
        ranges_add(&miss, back(u, end_ts, lookback, start_ts), end_ts);
    }
    if (model_end_ts != INT64_MAX) {
        /* keep intervals starting before the model's end */
        int64_t f = cron_floor(u, model_end_ts), cut = f == model_end_ts ? f : cron_next(u, f);
        for (size_t i = 0; i < miss.n; i++)
            ranges_add(out, miss.v[i].s, miss.v[i].e < cut ? miss.v[i].e : cut);
    } else {
        for (size_t i = 0; i < miss.n; i++) ranges_add(out, miss.v[i].s, miss.v[i].e);
    }
    ranges_free(&miss);
    ranges_free(&full);
}

void schedule_missing(const struct model *m, const struct ranges *done, int64_t exec_us, bool with_partial,
                      struct ranges *out)
{
    enum cron_unit u = m->unit;
    bool end_date;
    int64_t start = model_start_at(m, exec_us), mend = model_end_at(m, exec_us, &end_date);
    int64_t mend_excl = mend == INT64_MAX ? INT64_MAX : mend + (end_date ? DAY_US : 0); /* make_exclusive */
    /* missing_intervals: end = execution time, or the model's end when that is earlier */
    int64_t end = exec_us;
    bool is_date = false;
    if (mend < exec_us) end = mend, is_date = end_date;
    if (start > end) return;
    int64_t start_ts = cron_floor(u, start), end_ts = start_ts;
    /* Snapshot.missing_intervals: less than one interval between start and a timestamp end
     * has nothing missing */
    if (is_date || m->allow_partials || end - start >= cron_unit_seconds(u) * US_PER_SEC) {
        /* inclusive_exclusive: a date end includes its day; whole intervals, rounded up */
        end_ts = is_date ? end + DAY_US : end;
        if (!m->allow_partials) {
            int64_t f = cron_floor(u, end_ts);
            if (f != end_ts) end_ts = cron_next(u, f);
        }
        /* the cron's last tick bounds it, floored to whole intervals without allow_partials */
        int64_t upper = cron_expr_floor(&m->cronx, exec_us);
        if (!m->allow_partials) upper = cron_floor(u, upper);
        if (upper < end_ts) end_ts = upper;
        if (end_ts > start_ts) compute_missing(u, done, start_ts, end_ts, m->lookback, mend_excl, out);
        else end_ts = start_ts;
    }
    if (with_partial) ranges_add(out, end_ts, exec_us < mend_excl ? exec_us : mend_excl);
}

bool schedule_full_due(const struct model *m, int64_t last_run_us, int64_t exec_us)
{
    bool end_date;
    int64_t mend = model_end_at(m, exec_us, &end_date);
    if (mend != INT64_MAX && end_date) mend += DAY_US;
    return last_run_us < cron_expr_floor(&m->cronx, exec_us) && last_run_us < mend;
}
