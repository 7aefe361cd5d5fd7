/* interval.c — time arithmetic for cron schedules and processed-interval bookkeeping.
 *
 * All times are int64 microseconds since the Unix epoch, UTC (DuckDB's epoch_us). Interval
 * units (SQLMesh's IntervalUnit, always UTC) floor to the start of the 5/15/30 minutes, hour,
 * day, ISO week (Monday; no model's unit) / month / year; full cron expressions: cron.c. Interval
 * sets are kept sorted and merged, so "what is missing" is a sweep, not a loop per day. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transform/engine.h"

int64_t time_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

int time_parse(const char *s, int64_t *us)
{
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, n = 0;
    double sec = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3) return -1;
    const char *p = s + n;
    if (*p == 'T' || *p == ' ') {
        int n2 = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n2) != 2) return -1;
        p += 1 + n2;
        if (*p == ':') {
            char *end;
            sec = strtod(p + 1, &end);
            p = end;
        }
    }
    if (*p == 'Z') p++;
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61) return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    *us = (int64_t)timegm(&tm) * US_PER_SEC + (int64_t)(sec * 1e6 + 0.5);
    return 0;
}

static void to_tm(int64_t us, struct tm *tm)
{
    time_t t = (time_t)floordiv(us, US_PER_SEC);
    gmtime_r(&t, tm);
}

void time_fmt_ds(int64_t us, char *buf)
{
    struct tm tm;
    to_tm(us, &tm);
    snprintf(buf, 32, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void time_fmt_ts(int64_t us, char *buf)
{
    struct tm tm;
    to_tm(us, &tm);
    int64_t frac = us - floordiv(us, US_PER_SEC) * US_PER_SEC;
    /* 26 characters for years 0-9999; the check only tells the compiler the result is
     * looked at (its truncation warning cannot know the fields' ranges) */
    if (snprintf(buf, 32, "%04d-%02d-%02d %02d:%02d:%02d.%06lld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)frac) >= 32)
        buf[31] = 0;
}

int64_t cron_floor(enum cron_unit u, int64_t us)
{
    const int64_t H = 3600 * US_PER_SEC, D = 24 * H;
    const int64_t M = 60 * US_PER_SEC;
    switch (u) {
    case CRON_FIVE_MINUTE: return floordiv(us, 5 * M) * 5 * M;
    case CRON_QUARTER_HOUR: return floordiv(us, 15 * M) * 15 * M;
    case CRON_HALF_HOUR: return floordiv(us, 30 * M) * 30 * M;
    case CRON_HOURLY: return floordiv(us, H) * H;
    case CRON_DAILY: return floordiv(us, D) * D;
    case CRON_WEEKLY: {
        int64_t day = floordiv(us, D);          /* 1970-01-01 was a Thursday */
        int64_t monday = day - ((day + 3) % 7 + 7) % 7;
        return monday * D;
    }
    case CRON_MONTHLY:
    case CRON_YEARLY: {
        struct tm tm;
        to_tm(us, &tm);
        tm.tm_mday = 1;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        if (u == CRON_YEARLY) tm.tm_mon = 0;
        return (int64_t)timegm(&tm) * US_PER_SEC;
    }
    }
    return us;
}

int64_t cron_next(enum cron_unit u, int64_t us)
{
    const int64_t H = 3600 * US_PER_SEC, D = 24 * H;
    int64_t f = cron_floor(u, us);
    switch (u) {
    case CRON_FIVE_MINUTE: return f + H / 12;
    case CRON_QUARTER_HOUR: return f + H / 4;
    case CRON_HALF_HOUR: return f + H / 2;
    case CRON_HOURLY: return f + H;
    case CRON_DAILY: return f + D;
    case CRON_WEEKLY: return f + 7 * D;
    case CRON_MONTHLY:
    case CRON_YEARLY: {
        struct tm tm;
        to_tm(f, &tm);
        if (u == CRON_YEARLY) tm.tm_year++;
        else tm.tm_mon++;
        return (int64_t)timegm(&tm) * US_PER_SEC;
    }
    }
    return us;
}

void ranges_add(struct ranges *r, int64_t s, int64_t e)
{
    if (e <= s) return;
    r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
    size_t i = r->n++;
    while (i > 0 && r->v[i - 1].s > s) { r->v[i] = r->v[i - 1]; i--; }
    r->v[i] = (struct range){s, e};
    /* merge overlapping or touching neighbours */
    size_t w = 0;
    for (size_t k = 1; k < r->n; k++) {
        if (r->v[k].s <= r->v[w].e) {
            if (r->v[k].e > r->v[w].e) r->v[w].e = r->v[k].e;
        } else {
            r->v[++w] = r->v[k];
        }
    }
    r->n = w + 1;
}

void ranges_free(struct ranges *r)
{
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

void ranges_missing(const struct ranges *done, enum cron_unit u, int64_t start, int64_t exec, bool with_partial,
                    struct ranges *out)
{
    int64_t lo = cron_floor(u, start), hi = cron_floor(u, exec);
    /* what done covers in whole intervals: [ceil(s), floor(e)) */
    struct ranges full = {0};
    for (size_t i = 0; i < done->n; i++) {
        int64_t s = cron_floor(u, done->v[i].s);
        if (s < done->v[i].s) s = cron_next(u, s);
        int64_t e = cron_floor(u, done->v[i].e);
        ranges_add(&full, s, e);
    }
    int64_t cur = lo;
    for (size_t i = 0; i < full.n && cur < hi; i++) {
        if (full.v[i].e <= cur) continue;
        if (full.v[i].s > cur) ranges_add(out, cur, full.v[i].s < hi ? full.v[i].s : hi);
        if (full.v[i].e > cur) cur = full.v[i].e;
    }
    if (cur < hi) ranges_add(out, cur, hi);
    if (with_partial && exec > hi && hi >= lo) ranges_add(out, hi, exec);
    ranges_free(&full);
}
