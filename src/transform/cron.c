/* cron.c — cron expressions as croniter reads them, in a model's cron_tz.
 *
 * Parsing: five fields (minute hour day-of-month month day-of-week), each a list of `*`,
 * `?`, `a`, `a-b`, any of them with `/step` (`a/step` runs from a to the field's maximum),
 * month and weekday names (jan..dec, sun..sat), weekday 7 = Sunday, `L` = the month's last
 * day; or one of croniter's @aliases. When both day fields are restricted a day matching
 * either is a tick (croniter's day_or default). Not read: seconds/year fields, `H`, `W`,
 * `#` and `L` in the weekday field — refused, never misread.
 *
 * Evaluation: ticks are wall-clock minutes in the cron's zone. next/prev walk wall-clock
 * time skipping a whole month, day, hour or minute whenever that field does not match
 * (a year of @yearly is ~20 steps), then map the wall time back to UTC.
 *
 * Zones: IANA TZif files from /usr/share/zoneinfo, read here (version 2+ 64-bit data) into
 * a fixed table, so no TZ/tzset (process-wide, not thread-safe) and no DuckDB/ICU (the
 * no-op check must answer without loading DuckDB: noop_stamp.c). Times after a zone's last
 * transition keep its last offset (the distributed "fat" files list transitions to 2037).
 * Wall times a DST change skips or repeats map as Python's fold=0 (wall_to_utc); croniter's
 * own DST adjustments are not reproduced. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/cron.h"

#define US INT64_C(1000000)
#define MAX_ZONES 16
#define MAX_TRANS 1200
#define SEARCH_LIMIT_S (INT64_C(50) * 366 * 86400)

/* ---- calendar (proleptic Gregorian, days since 1970-01-01) ---- */

static int64_t fdiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = fdiv(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = fdiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int month_days(int64_t y, int m)
{
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : md[m - 1];
}

/* ---- zones ---- */

struct zone {
    char name[64];
    int n;
    int32_t off0;             /* before the first transition */
    int64_t at[MAX_TRANS];    /* transition times, UTC seconds */
    int32_t off[MAX_TRANS];   /* UT offset from at[i] on */
};
static struct zone zones[MAX_ZONES];
static int n_zones;
static pthread_mutex_t zones_mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    if (n == 4) return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

static int read_tzif(const char *path, struct zone *z)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    static const size_t cap = 1 << 20;
    unsigned char *b = malloc(cap);
    size_t len = b ? fread(b, 1, cap, f) : 0;
    fclose(f);
    int rc = -1;
    if (len < 44 || memcmp(b, "TZif", 4) || b[4] < '2') goto out;
    /* skip the version-1 block: 32-bit data sized by its own header */
    int64_t c[6];
    for (int i = 0; i < 6; i++) c[i] = be(b + 20 + 4 * i, 4); /* isutc isstd leap time type char */
    size_t p = 44 + (size_t)(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
    if (p + 44 > len || memcmp(b + p, "TZif", 4)) goto out;
    for (int i = 0; i < 6; i++) c[i] = be(b + p + 20 + 4 * i, 4);
    p += 44;
    int64_t timecnt = c[3], typecnt = c[4];
    if (timecnt > MAX_TRANS || typecnt < 1 || p + (size_t)(timecnt * 9 + typecnt * 6) > len) goto out;
    const unsigned char *times = b + p, *idx = times + timecnt * 8, *types = idx + timecnt;
    for (int64_t i = 0; i < timecnt; i++) {
        if (idx[i] >= typecnt) goto out;
        z->at[i] = be(times + 8 * i, 8);
        z->off[i] = (int32_t)be(types + 6 * idx[i], 4);
    }
    z->n = (int)timecnt;
    /* before the first transition: the first standard-time type (RFC 8536 3.2) */
    z->off0 = (int32_t)be(types, 4);
    for (int64_t t = 0; t < typecnt; t++)
        if (!types[6 * t + 4]) { z->off0 = (int32_t)be(types + 6 * t, 4); break; }
    rc = 0;
out:
    free(b);
    return rc;
}

int cron_tz_load(const char *name, int16_t *tz, char *why, size_t why_len)
{
    if (!strcmp(name, "UTC")) { *tz = -1; return 0; } /* node.py _cron_tz_validator */
    size_t n = strlen(name);
    bool ok = n > 0 && n < sizeof zones[0].name && name[0] != '/' && !strstr(name, "..");
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || strchr("/_+-", name[i]);
    if (!ok) {
        snprintf(why, why_len, "'%s' is not an IANA time zone name", name);
        return -1;
    }
    pthread_mutex_lock(&zones_mu);
    int rc = -1;
    for (int i = 0; i < n_zones; i++)
        if (!strcmp(zones[i].name, name)) { *tz = (int16_t)i; rc = 0; }
    if (rc < 0) {
        char path[128];
        snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
        if (n_zones == MAX_ZONES) snprintf(why, why_len, "more than %d time zones in one project", MAX_ZONES);
        else if (read_tzif(path, &zones[n_zones]) < 0)
            snprintf(why, why_len, "no IANA time zone '%s' in the system's tz database (%s)", name, path);
        else {
            snprintf(zones[n_zones].name, sizeof zones[0].name, "%s", name);
            *tz = (int16_t)n_zones++;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&zones_mu);
    return rc;
}

/* UT offset (seconds) in effect at UTC second t */
static int32_t tz_offset(int tz, int64_t t)
{
    if (tz < 0) return 0;
    const struct zone *z = &zones[tz];
    if (z->n == 0 || t < z->at[0]) return z->off0;
    int lo = 0, hi = z->n - 1; /* last at[i] <= t */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (z->at[mid] <= t) lo = mid;
        else hi = mid - 1;
    }
    return z->off[lo];
}

/* wall-clock second w → UTC second, as Python's zoneinfo with fold=0: a repeated wall time
 * (DST ends) is its first occurrence, a skipped one (DST starts) takes the offset before
 * the change (02:30 on a 02:00→03:00 day is 03:30). Zone changes are days apart. */
static int64_t wall_to_utc(int tz, int64_t w)
{
    if (tz < 0) return w;
    int32_t before = tz_offset(tz, w - 86400), after = tz_offset(tz, w + 86400);
    if (before == after || tz_offset(tz, w - before) == before) return w - before;
    if (tz_offset(tz, w - after) == after) return w - after;
    return w - before;
}

/* ---- parsing ---- */

struct field { int lo, hi; const char *const *names; };
static const char *const MONTHS[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                     "dec", NULL};
static const char *const DOWS[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static int parse_num(const char **s, const struct field *f, int *v)
{
    const char *p = *s;
    if (isdigit((unsigned char)*p)) {
        long n = 0;
        while (isdigit((unsigned char)*p) && n < 1000) n = n * 10 + (*p++ - '0');
        *v = (int)n;
    } else if (f->names && isalpha((unsigned char)p[0]) && isalpha((unsigned char)p[1]) &&
               isalpha((unsigned char)p[2])) {
        int k = 0;
        while (f->names[k] && strncasecmp(p, f->names[k], 3)) k++;
        if (!f->names[k]) return -1;
        *v = k + (f->names == MONTHS);
        p += 3;
    } else {
        return -1;
    }
    *s = p;
    return 0;
}

/* one field into a bit set; *any when it is '*' or '?' */
static int parse_field(const char *s, const struct field *f, uint64_t *bits, bool *any, bool *last)
{
    *bits = 0;
    *any = !strcmp(s, "*") || !strcmp(s, "?");
    if (!*s) return -1;
    while (*s) {
        int a, b, step = 1;
        if (*s == '*' || *s == '?') {
            a = f->lo, b = f->hi;
            s++;
        } else if (last && *s == 'L' && (s[1] == ',' || !s[1])) {
            *last = true;
            s++;
            if (*s == ',') s++;
            continue;
        } else {
            if (parse_num(&s, f, &a) < 0) return -1;
            b = a;
            if (*s == '-') {
                s++;
                if (parse_num(&s, f, &b) < 0) return -1;
            } else if (*s == '/') {
                b = f->hi; /* croniter: `a/n` is a-max/n */
            }
        }
        if (*s == '/') {
            s++;
            if (!isdigit((unsigned char)*s)) return -1;
            step = 0;
            while (isdigit((unsigned char)*s) && step < 1000) step = step * 10 + (*s++ - '0');
            if (step < 1) return -1;
        }
        if (*s == ',') {
            s++;
            if (!*s) return -1;
        } else if (*s) {
            return -1;
        }
        int max = f->hi == 6 ? 7 : f->hi; /* weekday 7 is Sunday */
        if (a < f->lo || b > max || a > b) return -1;
        for (int v = a; v <= b; v += step) *bits |= UINT64_C(1) << (f->hi == 6 && v == 7 ? 0 : v);
    }
    return 0;
}

int cron_parse(const char *text, struct cron_expr *c, char *why, size_t why_len)
{
    static const struct { const char *alias, *expr; } aliases[] = {
        {"@hourly", "0 * * * *"}, {"@daily", "0 0 * * *"}, {"@midnight", "0 0 * * *"}, {"@weekly", "0 0 * * 0"},
        {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"},
    };
    memset(c, 0, sizeof *c);
    c->tz = -1;
    const char *src = text;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcasecmp(text, aliases[i].alias)) src = aliases[i].expr;
    char buf[256], *fields[8];
    int nf = 0;
    snprintf(buf, sizeof buf, "%s", src);
    for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t && nf < 8; t = strtok_r(NULL, " \t", &save))
        fields[nf++] = t;
    if (strlen(src) >= sizeof buf - 1 || nf != 5) {
        snprintf(why, why_len, "%s", nf == 6 || nf == 7 ? "cron seconds and year fields are not supported by "
                 "materia: expected five fields (minute hour day month weekday) or an @alias"
                 : "expected five fields (minute hour day month weekday) or an @alias");
        return -1;
    }
    /* `#` (nth weekday), `nW` (nearest weekday), `H` (hashed), `nL` (last weekday n) */
    for (int i = 0; i < 5; i++)
        for (const char *p = fields[i]; *p; p++)
            if (*p == '#' || ((*p == 'W' || *p == 'w') && p > fields[i] && (isdigit((unsigned char)p[-1]) ||
                                                                             p[-1] == 'L')) ||
                ((*p == 'H' || *p == 'h') && (p == fields[i] || p[-1] == ',') && !isalpha((unsigned char)p[1])) ||
                (i == 4 && (*p == 'L' || *p == 'l') && (p == fields[i] || isdigit((unsigned char)p[-1])))) {
                snprintf(why, why_len, "cron syntax '%c' is not supported by materia: use lists, ranges and "
                         "steps", *p);
                return -1;
            }
    static const struct field F[5] = {{0, 59, NULL}, {0, 23, NULL}, {1, 31, NULL}, {1, 12, MONTHS}, {0, 6, DOWS}};
    uint64_t bits[5];
    bool any[5];
    for (int i = 0; i < 5; i++)
        if (parse_field(fields[i], &F[i], &bits[i], &any[i], i == 2 ? &c->dom_last : NULL) < 0) {
            snprintf(why, why_len, "invalid cron field '%s'", fields[i]);
            return -1;
        }
    c->minutes = bits[0];
    c->hours = (uint32_t)bits[1];
    c->days = (uint32_t)bits[2];
    c->months = (uint16_t)bits[3];
    c->dows = (uint8_t)bits[4];
    c->dom_any = any[2];
    c->dow_any = any[4];
    if (cron_expr_next(c, 0) == INT64_MAX) {
        snprintf(why, why_len, "the cron never runs");
        return -1;
    }
    return 0;
}

/* ---- evaluation ---- */

static bool day_ok(const struct cron_expr *c, int64_t y, int m, int d, int64_t day)
{
    bool dom = (c->days >> d & 1) || (c->dom_last && d == month_days(y, m));
    bool dow = c->dows >> (int)((day % 7 + 11) % 7) & 1; /* 1970-01-01 was a Thursday (4) */
    if (c->dom_any && c->dow_any) return true;
    if (c->dom_any) return dow;
    if (c->dow_any) return dom;
    return dom || dow;
}

/* first matching wall minute >= x (dir 1) or <= x (dir -1); INT64_MAX/MIN if none */
static int64_t search(const struct cron_expr *c, int64_t x, int dir)
{
    int64_t limit = x + dir * SEARCH_LIMIT_S;
    while (dir > 0 ? x <= limit : x >= limit) {
        int64_t day = fdiv(x, 86400), sod = x - day * 86400, y;
        int m, d;
        civil_from_days(day, &y, &m, &d);
        int h = (int)(sod / 3600), mi = (int)(sod % 3600 / 60);
        if (!(c->months >> m & 1)) {
            x = dir > 0 ? days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * 86400
                        : days_from_civil(y, m, 1) * 86400 - 60;
        } else if (!day_ok(c, y, m, d, day)) {
            x = dir > 0 ? (day + 1) * 86400 : day * 86400 - 60;
        } else if (!(c->hours >> h & 1)) {
            /* straight to the next (previous) allowed hour of the day, else the next (previous) day */
            uint32_t later = c->hours & ~((UINT32_C(2) << h) - 1), earlier = c->hours & ((UINT32_C(1) << h) - 1);
            if (dir > 0) x = later ? day * 86400 + (int64_t)__builtin_ctz(later) * 3600 : (day + 1) * 86400;
            else x = earlier ? day * 86400 + (int64_t)(31 - __builtin_clz(earlier)) * 3600 + 3540 : day * 86400 - 60;
        } else if (!(c->minutes >> mi & 1)) {
            /* the same for minutes: one step, not one per minute (a project's load asks every
             * model's cron for its next ticks) */
            uint64_t later = c->minutes & ~((UINT64_C(2) << mi) - 1), earlier = c->minutes & ((UINT64_C(1) << mi) - 1);
            int64_t hour = day * 86400 + (int64_t)h * 3600;
            if (dir > 0) x = later ? hour + (int64_t)__builtin_ctzll(later) * 60 : hour + 3600;
            else x = earlier ? hour + (int64_t)(63 - __builtin_clzll(earlier)) * 60 : hour - 60;
        } else {
            return x;
        }
    }
    return dir > 0 ? INT64_MAX : INT64_MIN;
}

int64_t cron_expr_next(const struct cron_expr *c, int64_t us)
{
    int64_t t = fdiv(us, US); /* whole seconds: the next minute after us */
    int64_t w = fdiv(t + tz_offset(c->tz, t), 60) * 60 + 60;
    for (int guard = 0; guard < 8; guard++) {
        w = search(c, w, 1);
        if (w == INT64_MAX) return w;
        int64_t u = wall_to_utc(c->tz, w);
        if (u * US > us) return u * US;
        w += 60; /* a repeated wall hour (DST ends) mapped back before us */
    }
    return INT64_MAX;
}

int64_t cron_expr_prev(const struct cron_expr *c, int64_t us)
{
    int64_t t = fdiv(us - 1, US); /* the last second strictly before us */
    int64_t w = fdiv(t + tz_offset(c->tz, t), 60) * 60;
    for (int guard = 0; guard < 8; guard++) {
        w = search(c, w, -1);
        if (w == INT64_MIN) return w;
        int64_t u = wall_to_utc(c->tz, w);
        if (u * US < us) return u * US;
        w -= 60;
    }
    return INT64_MIN;
}

int64_t cron_expr_floor(const struct cron_expr *c, int64_t us)
{
    return cron_expr_prev(c, us + 1);
}

/* ---- interval units ---- */

static const struct { enum cron_unit u; const char *name; int64_t seconds; } UNITS[] = {
    /* sorted by width, widest first (node.py INTERVAL_SECONDS) */
    {CRON_YEARLY, "year", 60 * 60 * 24 * 365}, {CRON_MONTHLY, "month", 60 * 60 * 24 * 28},
    {CRON_DAILY, "day", 60 * 60 * 24},        {CRON_HOURLY, "hour", 60 * 60},
    {CRON_HALF_HOUR, "half_hour", 60 * 30},   {CRON_QUARTER_HOUR, "quarter_hour", 60 * 15},
    {CRON_FIVE_MINUTE, "five_minute", 60 * 5},
};

const char *cron_unit_name(enum cron_unit u)
{
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (UNITS[i].u == u) return UNITS[i].name;
    return "week";
}

int cron_unit_parse(const char *s, enum cron_unit *u)
{
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (!strcasecmp(s, UNITS[i].name)) { *u = UNITS[i].u; return 0; }
    return -1;
}

int64_t cron_unit_seconds(enum cron_unit u)
{
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (UNITS[i].u == u) return UNITS[i].seconds;
    return 7 * 86400;
}

static bool same_fields(const struct cron_expr *a, const struct cron_expr *b)
{
    return a->minutes == b->minutes && a->hours == b->hours && a->days == b->days && a->months == b->months &&
           a->dows == b->dows && a->dom_any == b->dom_any && a->dow_any == b->dow_any && a->dom_last == b->dom_last &&
           a->tz == b->tz;
}

int cron_expr_unit(const struct cron_expr *c, int64_t now_us, enum cron_unit *u, char *why, size_t why_len)
{
    /* utils/cron.py interval_seconds: five equal gaps after now → that gap; else
     * IntervalUnit.from_cron: the smallest gap between the next five ticks. Both in UTC. */
    struct cron_expr utc = *c;
    utc.tz = -1;
    /* The answer depends only on the fields and on now's minute (cron_expr_next starts at
     * the next whole minute), and a project asks it for every model, mostly with the same
     * cron (and again for each config.yaml default): one remembered answer. The loader is
     * single-threaded (serve never loads a project). */
    static struct { struct cron_expr c; int64_t minute; enum cron_unit u; bool ok, set; } memo;
    int64_t minute = fdiv(now_us, 60 * US);
    if (memo.set && memo.minute == minute && same_fields(&memo.c, &utc)) {
        if (memo.ok) *u = memo.u;
        else snprintf(why, why_len, "must run at a frequency of 5 minutes or slower");
        return memo.ok ? 0 : -1;
    }
    memset(&memo, 0, sizeof memo);
    memo.c = utc;
    memo.minute = minute;
    memo.set = true;
    int64_t t[6];
    t[0] = cron_expr_next(&utc, now_us);
    for (int i = 1; i < 6; i++) t[i] = cron_expr_next(&utc, t[i - 1]);
    int64_t gap = INT64_MAX;
    for (int i = 1; i < 5; i++)
        if (t[i] - t[i - 1] < gap) gap = t[i] - t[i - 1];
    gap /= US;
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (UNITS[i].seconds <= gap) {
            *u = memo.u = UNITS[i].u;
            memo.ok = true;
            return 0;
        }
    snprintf(why, why_len, "must run at a frequency of 5 minutes or slower");
    return -1;
}
