/* schedule.h — the supervisor's clock arithmetic, kept apart so it can be unit-tested:
 * parsing SUPERVISE_AT (UTC "HH:MM"), the wait until the next daily run, and the retry
 * backoff. All times are UTC; no local time zone is ever consulted. */
#ifndef MATERIA_PIPELINE_SCHEDULE_H
#define MATERIA_PIPELINE_SCHEDULE_H

#include <time.h>

/* "HH:MM" (00:00..23:59) -> minutes after midnight; -1 on anything else. */
int schedule_parse_hhmm(const char *s, int *minutes);
/* Seconds from now until the next at_min:00 UTC, in 1..86400 (exactly at the time means
 * tomorrow: the run that just happened is not repeated). */
long schedule_seconds_until(int at_min, time_t now);
/* Delay before retry number attempt (0-based): base * 2^attempt, capped at 6 hours. */
long schedule_backoff(long base, long attempt);

#endif
