/* cron.h — five-field cron expressions (croniter's semantics), cron_tz, interval units.
 *
 * A model's schedule in SQLMesh (sqlmesh/core/node.py) is two things: the cron, which says
 * when a run may process data (node.cron_floor(execution_time) bounds the intervals), and
 * the interval unit, the width of the intervals recorded (IntervalUnit, UTC). The unit is
 * either written (interval_unit) or derived from the cron (IntervalUnit.from_cron). */
#ifndef MATERIA_TRANSFORM_CRON_H
#define MATERIA_TRANSFORM_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SQLMesh's IntervalUnit (node.py). CRON_WEEKLY is no IntervalUnit (SQLMesh has none: a
 * @weekly model has daily intervals) and is never a model's unit; it stays for callers that
 * floor to ISO weeks. */
enum cron_unit {
    CRON_HOURLY = 0, CRON_DAILY, CRON_WEEKLY, CRON_MONTHLY, CRON_YEARLY,
    CRON_FIVE_MINUTE, CRON_QUARTER_HOUR, CRON_HALF_HOUR
};

/* One parsed cron: a bit per allowed minute/hour/day/month/weekday, evaluated in the
 * wall-clock time of zone `tz` (an index into cron.c's zone table; -1: UTC). */
struct cron_expr {
    uint64_t minutes;       /* bit 0..59 */
    uint32_t hours;         /* bit 0..23 */
    uint32_t days;          /* bit 1..31 */
    uint16_t months;        /* bit 1..12 */
    uint8_t dows;           /* bit 0..6, 0 = Sunday */
    bool dom_any, dow_any;  /* the field was '*' (croniter: both restricted → either matches) */
    bool dom_last;          /* 'L' in the day-of-month field: the month's last day */
    int16_t tz;
};

/* Parses `text` (5 fields or @hourly/@daily/@midnight/@weekly/@monthly/@yearly/@annually)
 * into *c (tz -1). On error returns -1 with the reason in why. */
int cron_parse(const char *text, struct cron_expr *c, char *why, size_t why_len);
/* Loads IANA zone `name` from the system's tz database (/usr/share/zoneinfo, TZif files
 * read directly: no TZ/tzset, so nothing process-wide changes). "UTC" gives -1. */
int cron_tz_load(const char *name, int16_t *tz, char *why, size_t why_len);
/* Smallest tick > us, largest tick < us, largest tick <= us (croniter get_next/get_prev,
 * node.cron_floor). INT64_MAX / INT64_MIN when there is none within 50 years. */
int64_t cron_expr_next(const struct cron_expr *c, int64_t us);
int64_t cron_expr_prev(const struct cron_expr *c, int64_t us);
int64_t cron_expr_floor(const struct cron_expr *c, int64_t us);
/* IntervalUnit.from_cron relative to `now_us` (in UTC, as SQLMesh: it ignores cron_tz);
 * -1 with why when the cron runs more often than every 5 minutes. */
int cron_expr_unit(const struct cron_expr *c, int64_t now_us, enum cron_unit *u, char *why, size_t why_len);
/* "year", "month", "day", "hour", "half_hour", "quarter_hour", "five_minute" */
const char *cron_unit_name(enum cron_unit u);
int cron_unit_parse(const char *s, enum cron_unit *u);
int64_t cron_unit_seconds(enum cron_unit u); /* INTERVAL_SECONDS (month 28 days, year 365) */

#endif
