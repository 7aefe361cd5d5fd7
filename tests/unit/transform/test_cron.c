/* test_cron.c — cron.c against croniter's answers, and schedule.c's to_datetime.
 *
 * Cases from SQLMesh: tests/core/test_model.py test_cron (node cron_prev/cron_floor/
 * cron_next, interval units), node.py IntervalUnit.from_cron, tests/utils/test_date.py
 * test_to_datetime and test_to_datetime_with_expressions; the others are croniter's
 * documented behaviour (lists, ranges, steps, names, day-of-month OR day-of-week, L). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "transform/engine.h"
#include "transform/cron.h"
#include "transform/schedule.h"

static int64_t T(const char *s)
{
    int64_t us;
    if (time_parse(s, &us) < 0) fail_msg("bad time %s", s);
    return us;
}

static struct cron_expr C(const char *text, const char *tz)
{
    struct cron_expr c;
    char why[200];
    if (cron_parse(text, &c, why, sizeof why) < 0) fail_msg("cron %s: %s", text, why);
    if (tz && cron_tz_load(tz, &c.tz, why, sizeof why) < 0) fail_msg("tz %s: %s", tz, why);
    return c;
}

#define NEXT(cron, tz, from, want) assert_int_equal(cron_expr_next((struct cron_expr[]){C(cron, tz)}, T(from)), T(want))
#define PREV(cron, tz, from, want) assert_int_equal(cron_expr_prev((struct cron_expr[]){C(cron, tz)}, T(from)), T(want))
#define FLOOR(cron, tz, from, want) assert_int_equal(cron_expr_floor((struct cron_expr[]){C(cron, tz)}, T(from)), T(want))

/* tests/core/test_model.py test_cron */
static void test_sqlmesh_test_cron(void **state)
{
    (void)state;
    PREV("@daily", NULL, "2020-01-01", "2019-12-31");
    FLOOR("@daily", NULL, "2020-01-01", "2020-01-01");
    FLOOR("@daily", NULL, "2020-01-01 10:00:00", "2020-01-01");
    NEXT("@daily", NULL, "2020-01-01 10:00:00", "2020-01-02");
    PREV("1 0 * * *", NULL, "2020-01-01", "2019-12-31 00:01");
    FLOOR("1 0 * * *", NULL, "2020-01-01", "2019-12-31 00:01");
    FLOOR("1 0 * * *", NULL, "2020-01-01 10:00:00", "2020-01-01 00:01");
    NEXT("1 0 * * *", NULL, "2020-01-01 10:00:00", "2020-01-02 00:01");
    PREV("1 * * * *", NULL, "2020-01-01 10:00:00", "2020-01-01 09:01:00");
    PREV("1 * * * *", NULL, "2020-01-01 10:02:00", "2020-01-01 10:01:00");
    FLOOR("1 * * * *", NULL, "2020-01-01 10:01:00", "2020-01-01 10:01:00");
    PREV("0 0 2 * *", NULL, "2020-01-01 00:00:00", "2019-12-02 00:00:00");
    PREV("0 0 2 * *", NULL, "2020-02-01 00:00:00", "2020-01-02 00:00:00");
    /* the interval units of those crons (IntervalUnit cron_floor/cron_prev, UTC) */
    assert_int_equal(cron_floor(CRON_DAILY, T("2020-01-01 10:00:00")), T("2020-01-01"));
    assert_int_equal(cron_next(CRON_DAILY, T("2020-01-01 10:00:00")), T("2020-01-02"));
    assert_int_equal(cron_floor(CRON_HOURLY, T("2020-01-01 10:01:00")), T("2020-01-01 10:00:00"));
    assert_int_equal(cron_floor(CRON_QUARTER_HOUR, T("2020-01-01 10:29:59")), T("2020-01-01 10:15:00"));
    assert_int_equal(cron_next(CRON_FIVE_MINUTE, T("2020-01-01 10:05:00")), T("2020-01-01 10:10:00"));
    assert_int_equal(cron_next(CRON_HALF_HOUR, T("2020-01-01 10:29:00")), T("2020-01-01 10:30:00"));
}

/* croniter: steps, ranges, lists, names, day-of-month OR day-of-week, L, aliases */
static void test_croniter_fields(void **state)
{
    (void)state;
    NEXT("*/15 * * * *", NULL, "2020-01-01 10:07", "2020-01-01 10:15");
    NEXT("*/15 * * * *", NULL, "2020-01-01 10:15", "2020-01-01 10:30");
    NEXT("*/15 * * * *", NULL, "2020-01-01 23:50", "2020-01-02 00:00");
    NEXT("0 12 * * *", NULL, "2020-01-01 12:00", "2020-01-02 12:00");
    NEXT("0 12 * * *", NULL, "2020-01-01 11:59:59", "2020-01-01 12:00");
    NEXT("5-10/5 8,20 * * *", NULL, "2020-01-01 08:06", "2020-01-01 08:10");
    NEXT("5-10/5 8,20 * * *", NULL, "2020-01-01 08:10", "2020-01-01 20:05");
    NEXT("30/10 * * * *", NULL, "2020-01-01 08:55", "2020-01-01 09:30"); /* a/n = a-59/n */
    NEXT("0 0 * * mon-fri", NULL, "2020-01-03 00:00", "2020-01-06 00:00"); /* Fri → Mon */
    NEXT("0 0 * * SAT,sun", NULL, "2020-01-01", "2020-01-04");
    NEXT("0 0 * * 7", NULL, "2020-01-01", "2020-01-05");                 /* 7 = Sunday */
    NEXT("0 0 1 jan,Jul *", NULL, "2020-01-01", "2020-07-01");
    NEXT("0 0 1 * 1", NULL, "2020-01-01", "2020-01-06");                 /* either day field */
    NEXT("0 0 1 * 1", NULL, "2020-01-27", "2020-02-01");
    NEXT("0 0 L * *", NULL, "2020-02-01", "2020-02-29");
    NEXT("0 0 L * *", NULL, "2021-02-01", "2021-02-28");
    NEXT("0 0 29 2 *", NULL, "2021-01-01", "2024-02-29");
    NEXT("@weekly", NULL, "2020-01-01", "2020-01-05");                   /* croniter: Sunday */
    NEXT("@monthly", NULL, "2020-01-31 10:00", "2020-02-01");
    NEXT("@yearly", NULL, "2020-06-01", "2021-01-01");
    NEXT("@annually", NULL, "2020-06-01", "2021-01-01");
    NEXT("@midnight", NULL, "2020-06-01 01:00", "2020-06-02");
    PREV("0 0 * * mon-fri", NULL, "2020-01-06 00:00", "2020-01-03 00:00");
    PREV("0 0 L * *", NULL, "2020-03-15", "2020-02-29");
    PREV("*/15 * * * *", NULL, "2020-01-01 00:00", "2019-12-31 23:45");
    FLOOR("0 0 1 * 1", NULL, "2020-01-12", "2020-01-06");
}

/* cron_tz: the cron runs on the zone's wall clock (node.py croniter(tz=cron_tz)) */
static void test_cron_tz(void **state)
{
    (void)state;
    NEXT("0 0 * * *", "America/New_York", "2020-01-01 00:00", "2020-01-01 05:00"); /* EST, UTC-5 */
    NEXT("0 0 * * *", "America/New_York", "2020-07-01 00:00", "2020-07-01 04:00"); /* EDT, UTC-4 */
    FLOOR("0 0 * * *", "America/Los_Angeles", "2020-01-02 07:59", "2020-01-01 08:00");
    FLOOR("0 0 * * *", "America/Los_Angeles", "2020-01-02 08:00", "2020-01-02 08:00");
    NEXT("30 9 * * mon", "Asia/Kolkata", "2020-01-01", "2020-01-06 04:00");     /* UTC+5:30 */
    NEXT("0 0 * * *", "UTC", "2020-01-01 10:00", "2020-01-02");
    /* across the March 2020 change: midnight local stays midnight local */
    NEXT("0 0 * * *", "Europe/Berlin", "2020-03-28 23:30", "2020-03-29 22:00");
    /* wall times DST skips or repeats: Python's fold=0 (materia's choice, cron.c) */
    NEXT("30 2 * * *", "America/New_York", "2024-03-10 00:00", "2024-03-10 07:30"); /* 02:30 EST */
    NEXT("30 1 * * *", "America/New_York", "2024-11-03 00:00", "2024-11-03 05:30"); /* first 01:30 */
    NEXT("30 1 * * *", "America/New_York", "2024-11-03 05:30", "2024-11-04 06:30");
    struct cron_expr c;
    char why[200];
    assert_int_equal(cron_parse("@daily", &c, why, sizeof why), 0);
    assert_int_equal(cron_tz_load("Mars/Olympus_Mons", &c.tz, why, sizeof why), -1);
    assert_non_null(strstr(why, "no IANA time zone 'Mars/Olympus_Mons'"));
    assert_int_equal(cron_tz_load("../etc/passwd", &c.tz, why, sizeof why), -1);
}

/* IntervalUnit.from_cron (node.py) */
static void test_interval_unit_from_cron(void **state)
{
    (void)state;
    static const struct { const char *cron; enum cron_unit u; } cases[] = {
        {"@hourly", CRON_HOURLY},        {"@daily", CRON_DAILY},         {"@weekly", CRON_DAILY},
        {"@monthly", CRON_MONTHLY},      {"@yearly", CRON_YEARLY},       {"*/5 * * * *", CRON_FIVE_MINUTE},
        {"*/15 * * * *", CRON_QUARTER_HOUR}, {"*/20 * * * *", CRON_QUARTER_HOUR},
        {"0,30 * * * *", CRON_HALF_HOUR}, {"0 5 * * *", CRON_DAILY},     {"0 */2 * * *", CRON_HOURLY},
        {"0 0 * * mon-fri", CRON_DAILY}, {"0 0 1 */3 *", CRON_MONTHLY},  {"0 0 1,15 * *", CRON_DAILY},
    };
    char why[200];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cron_expr c = C(cases[i].cron, NULL);
        enum cron_unit u;
        assert_int_equal(cron_expr_unit(&c, T("2023-01-20 12:30"), &u, why, sizeof why), 0);
        if (u != cases[i].u) fail_msg("%s: %s, want %s", cases[i].cron, cron_unit_name(u), cron_unit_name(cases[i].u));
    }
    struct cron_expr c = C("* * * * *", NULL);
    enum cron_unit u;
    assert_int_equal(cron_expr_unit(&c, T("2023-01-20 12:30"), &u, why, sizeof why), -1);
    assert_non_null(strstr(why, "5 minutes or slower"));
    assert_int_equal(cron_unit_parse("QUARTER_HOUR", &u), 0);
    assert_int_equal(u, CRON_QUARTER_HOUR);
    assert_int_equal(cron_unit_parse("week", &u), -1);
}

static void test_refused_and_invalid(void **state)
{
    (void)state;
    static const struct { const char *cron, *why; } cases[] = {
        {"0 0 * * 5#3", "'#' is not supported by materia"}, {"0 0 15W * *", "'W' is not supported by materia"},
        {"H * * * *", "'H' is not supported by materia"},   {"0 0 * * 5L", "'L' is not supported by materia"},
        {"0 0 * * * *", "seconds and year fields are not supported by materia"},
        {"60 * * * *", "invalid cron field '60'"}, {"0 0 * 13 *", "invalid cron field '13'"},
        {"0 0 * * 8", "invalid cron field '8'"}, {"5-1 * * * *", "invalid cron field '5-1'"},
        {"*/0 * * * *", "invalid cron field"}, {"0 0 * *", "expected five fields"}, {"@reboot", "five fields"},
        {"0 0 30 2 *", "never runs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cron_expr c;
        char why[200] = "";
        int rc = cron_parse(cases[i].cron, &c, why, sizeof why);
        if (rc != -1 || !strstr(why, cases[i].why)) fail_msg("%s: rc %d '%s', want '%s'", cases[i].cron, rc, why,
                                                              cases[i].why);
    }
}

/* tests/utils/test_date.py test_to_datetime, test_to_datetime_with_expressions */
static void test_to_datetime(void **state)
{
    (void)state;
    int64_t now = T("2023-01-20 12:30:30"), us;
    bool d;
    static const struct { const char *in, *want; bool is_date; } cases[] = {
        {"2020-01-01 00:00:00", "2020-01-01", false}, {"2020-01-01T00:00:00", "2020-01-01", false},
        {"2020-01-01T05:00:00+05:00", "2020-01-01", false}, {"2020-01-01", "2020-01-01", true},
        {"1577836800000", "2020-01-01", false}, {"20200101", "2020-01-01", true}, {"0", "1970-01-01", false},
        {"1971-01-01", "1971-01-01", true}, {"31536000000", "1971-01-01", false},
        {"2020-01-01T00:00:00Z", "2020-01-01", false}, {"2020-01-01 03:00:00-0300", "2020-01-01 06:00", false},
        {"1 second ago", "2023-01-20 12:29:59", false}, {"1 minute ago", "2023-01-20 12:29:00", false},
        {"1 hour ago", "2023-01-20 11:30:00", false}, {"1 day ago", "2023-01-19", false},
        {"1 week ago", "2023-01-13", false}, {"1 month ago", "2022-12-20", false},
        {"1 year ago", "2022-01-20", false}, {"1 decade ago", "2013-01-20", false},
        {"3 days 2 hours ago", "2023-01-17 10:30:00", false}, {"2 years 5 second ago", "2021-01-20 12:29:55", false},
        {"24 hours ago", "2023-01-19 12:30:00", false}, {"1 year 5 days ago", "2022-01-15", false},
        {"yesterday", "2023-01-19", false}, {"today", "2023-01-20", false}, {"tomorrow", "2023-01-21", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (timelike_parse(cases[i].in, now, &us, &d) < 0) fail_msg("'%s' not parsed", cases[i].in);
        if (us != T(cases[i].want) || d != cases[i].is_date) {
            char b[32];
            time_fmt_ts(us, b);
            fail_msg("'%s' → %s (date %d), want %s", cases[i].in, b, d, cases[i].want);
        }
    }
    /* relativedelta clamps the day to the month */
    assert_int_equal(timelike_parse("1 month ago", T("2023-03-31 10:00"), &us, &d), 0);
    assert_int_equal(us, T("2023-02-28"));
    static const char *bad[] = {"2020-13-01", "last monday", "1 fortnight ago", "soon", "2020-02-30", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (timelike_parse(bad[i], now, &us, &d) == 0) fail_msg("'%s' parsed", bad[i]);
}

/* search() jumps to the next allowed hour and minute in one step (cron.c): the same ticks as
 * walking minute by minute. Random minute/hour sets (every day and month allowed, UTC), random
 * times over 2000–2040; the reference walks whole minutes for at most two days. */
static bool ref_match(const struct cron_expr *c, int64_t s)
{
    int64_t sod = ((s % 86400) + 86400) % 86400;
    return (c->hours >> (sod / 3600) & 1) && (c->minutes >> (sod % 3600 / 60) & 1);
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_jump_equals_minute_walk(void **state)
{
    (void)state;
    struct cron_expr c = C("* * * * *", NULL);
    uint64_t seed = 88172645463325252ULL;
#define RND() xorshift(&seed)
    for (int k = 0; k < 3000; k++) {
        c.minutes = RND() & ((UINT64_C(1) << 60) - 1);
        c.hours = (uint32_t)RND() & ((UINT32_C(1) << 24) - 1);
        if (k % 3 == 0) c.minutes &= RND() & RND() & RND(); /* sparse sets: long jumps */
        if (k % 4 == 0) c.hours &= (uint32_t)(RND() & RND());
        if (!c.minutes) c.minutes = UINT64_C(1) << (RND() % 60);
        if (!c.hours) c.hours = UINT32_C(1) << (RND() % 24);
        int64_t us = (int64_t)(946684800 + RND() % (40 * 366 * 86400ULL)) * 1000000 + (int64_t)(RND() % 1000000);
        int64_t s = us / 1000000 / 60 * 60 + 60, want = INT64_MAX;
        for (int i = 0; i < 2 * 1440 && want == INT64_MAX; i++, s += 60)
            if (ref_match(&c, s)) want = s * 1000000;
        assert_int_equal(cron_expr_next(&c, us), want);
        s = (us - 1) / 1000000 / 60 * 60, want = INT64_MIN;
        for (int i = 0; i < 2 * 1440 && want == INT64_MIN; i++, s -= 60)
            if (ref_match(&c, s)) want = s * 1000000;
        assert_int_equal(cron_expr_prev(&c, us), want);
    }
#undef RND
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlmesh_test_cron),      cmocka_unit_test(test_croniter_fields),
        cmocka_unit_test(test_cron_tz),                cmocka_unit_test(test_interval_unit_from_cron),
        cmocka_unit_test(test_refused_and_invalid),    cmocka_unit_test(test_to_datetime),
        cmocka_unit_test(test_jump_equals_minute_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
