/* test_schedule.c — unit tests for pipeline/schedule.c: SUPERVISE_AT parsing, the wait
 * until the next daily run (UTC), and the retry backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "pipeline/schedule.h"

static void test_parse_hhmm(void **state)
{
    (void)state;
    int m = -1;
    assert_int_equal(schedule_parse_hhmm("06:00", &m), 0);
    assert_int_equal(m, 360);
    assert_int_equal(schedule_parse_hhmm("23:59", &m), 0);
    assert_int_equal(m, 23 * 60 + 59);
    assert_int_equal(schedule_parse_hhmm("00:00", &m), 0);
    assert_int_equal(m, 0);
    const char *bad[] = {"24:00", "6:00", "06:60", "06:00x", "", "0600", "-1:00", "06:0", NULL};
    for (int i = 0; bad[i]; i++) assert_int_equal(schedule_parse_hhmm(bad[i], &m), -1);
    assert_int_equal(schedule_parse_hhmm(NULL, &m), -1);
}

static void test_seconds_until(void **state)
{
    (void)state;
    /* 2026-11-25 05:30:10 UTC */
    time_t t = 1795584610;
    struct tm tm;
    gmtime_r(&t, &tm);
    assert_int_equal(tm.tm_hour, 5);
    assert_int_equal(tm.tm_min, 30);
    assert_int_equal(tm.tm_sec, 10);
    assert_int_equal(schedule_seconds_until(6 * 60, t), 29 * 60 + 50);          /* later today */
    assert_int_equal(schedule_seconds_until(5 * 60, t), 86400 - 30 * 60 - 10);  /* tomorrow */
    assert_int_equal(schedule_seconds_until(5 * 60 + 30, t + 0 - 10), 86400);  /* exactly now: tomorrow */
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(schedule_backoff(60, 0), 60);
    assert_int_equal(schedule_backoff(60, 1), 120);
    assert_int_equal(schedule_backoff(60, 3), 480);
    assert_int_equal(schedule_backoff(60, 1000), 6 * 3600);
    assert_int_equal(schedule_backoff(0, 5), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_hhmm),
        cmocka_unit_test(test_seconds_until),
        cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
