/* schedule.c — see schedule.h. */
#include "pipeline/schedule.h"

#include <stdio.h>

#define BACKOFF_CAP (6L * 3600L)

int schedule_parse_hhmm(const char *s, int *minutes)
{
    int h, m, n = 0;
    if (!s || sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || s[n] != '\0' || n != 5) return -1;
    if (h < 0 || h > 23 || m < 0 || m > 59) return -1;
    *minutes = h * 60 + m;
    return 0;
}

long schedule_seconds_until(int at_min, time_t now)
{
    struct tm tm;
    gmtime_r(&now, &tm);
    long now_s = tm.tm_hour * 3600L + tm.tm_min * 60L + tm.tm_sec;
    long at_s = at_min * 60L;
    return at_s > now_s ? at_s - now_s : at_s + 86400L - now_s;
}

long schedule_backoff(long base, long attempt)
{
    long d = base;
    for (long i = 0; i < attempt && d < BACKOFF_CAP; i++) d *= 2;
    return d > BACKOFF_CAP ? BACKOFF_CAP : d;
}
