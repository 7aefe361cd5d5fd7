/* test_ratelimit.c — the /api token buckets (src/accounts/ratelimit.h) on a fake clock: a
 * minute's allowance as a burst, then the steady rate; Retry-After is the whole seconds to
 * the next token; keys are independent; a rate change applies at once; idle buckets are
 * dropped and the table never holds more than its bound; eight threads hammering one key
 * never get more tokens than the bucket held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>

#include "accounts/ratelimit.h"

static void test_burst_then_refusal_with_retry_after(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(1024);
    double t = 1000.0;
    for (int i = 0; i < 60; i++) assert_int_equal(ratelimit_take(rl, "ip:1.2.3.4", 60, t), 0);
    /* 60/min: one token a second, the bucket is empty */
    assert_int_equal(ratelimit_take(rl, "ip:1.2.3.4", 60, t), 1);
    assert_int_equal(ratelimit_take(rl, "ip:1.2.3.4", 60, t + 0.5), 1);
    assert_int_equal(ratelimit_take(rl, "ip:1.2.3.4", 60, t + 1.0), 0);
    assert_int_equal(ratelimit_take(rl, "ip:1.2.3.4", 60, t + 1.0), 1);
    ratelimit_free(rl);
}

static void test_retry_after_is_whole_seconds_at_slow_rates(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(1024);
    /* 2/min: a token every 30 s */
    assert_int_equal(ratelimit_take(rl, "k", 2, 0.0), 0);
    assert_int_equal(ratelimit_take(rl, "k", 2, 0.0), 0);
    assert_int_equal(ratelimit_take(rl, "k", 2, 0.0), 30);
    assert_int_equal(ratelimit_take(rl, "k", 2, 10.2), 20); /* 19.8 s rounds up */
    assert_int_equal(ratelimit_take(rl, "k", 2, 30.0), 0);
    ratelimit_free(rl);
}

static void test_keys_are_independent(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(1024);
    assert_int_equal(ratelimit_take(rl, "ip:a", 1, 5.0), 0);
    assert_true(ratelimit_take(rl, "ip:a", 1, 5.0) > 0);
    assert_int_equal(ratelimit_take(rl, "ip:b", 1, 5.0), 0);
    assert_int_equal(ratelimit_take(rl, "key:1", 1, 5.0), 0);
    ratelimit_free(rl);
}

static void test_a_higher_rate_applies_at_once(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(1024);
    for (int i = 0; i < 10; i++) assert_int_equal(ratelimit_take(rl, "key:7", 10, 0.0), 0);
    assert_int_equal(ratelimit_take(rl, "key:7", 10, 0.0), 6); /* free plan: 10/min */
    /* upgraded to 6000/min: 100 tokens a second from now */
    assert_int_equal(ratelimit_take(rl, "key:7", 6000, 0.02), 0);
    ratelimit_free(rl);
}

static void test_idle_buckets_dropped_and_memory_bounded(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(64);
    struct ratelimit_stats st;
    char key[32];
    for (int i = 0; i < 64; i++) {
        snprintf(key, sizeof key, "ip:10.0.0.%d", i);
        assert_int_equal(ratelimit_take(rl, key, 60, 0.0), 0);
    }
    ratelimit_stats(rl, &st);
    assert_true(st.buckets <= 64);
    /* a minute later every one is full again: calls for other clients pass by and drop
     * them (each shard sweeps its own on its own calls) */
    for (int i = 0; i < 64; i++) {
        snprintf(key, sizeof key, "ip:10.1.0.%d", i);
        assert_int_equal(ratelimit_take(rl, key, 60, 60.0), 0);
    }
    ratelimit_stats(rl, &st);
    assert_true(st.idle_dropped >= 16);
    /* far more active clients than the bound: the table stays within it */
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "ip:%d", i);
        ratelimit_take(rl, key, 60, 100.0);
    }
    ratelimit_stats(rl, &st);
    assert_true(st.buckets <= 64);
    assert_true(st.active_evicted > 0);
    ratelimit_free(rl);
}

static void test_dropping_an_idle_bucket_changes_no_answer(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(16);
    for (int i = 0; i < 3; i++) assert_int_equal(ratelimit_take(rl, "ip:x", 3, 0.0), 0);
    assert_true(ratelimit_take(rl, "ip:x", 3, 0.0) > 0);
    /* 60 s later: full again, whether the bucket survived or was dropped */
    for (int i = 0; i < 3; i++) assert_int_equal(ratelimit_take(rl, "ip:x", 3, 60.0), 0);
    assert_true(ratelimit_take(rl, "ip:x", 3, 60.0) > 0);
    ratelimit_free(rl);
}

struct hammer {
    struct ratelimit *rl;
    int allowed;
};

static void *hammer_run(void *arg)
{
    struct hammer *h = arg;
    for (int i = 0; i < 5000; i++)
        if (ratelimit_take(h->rl, "key:shared", 1000, 42.0) == 0) h->allowed++;
    return NULL;
}

static void test_threads_never_overdraw(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(1024);
    pthread_t th[8];
    struct hammer h[8];
    for (int i = 0; i < 8; i++) {
        h[i] = (struct hammer){rl, 0};
        assert_int_equal(pthread_create(&th[i], NULL, hammer_run, &h[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        total += h[i].allowed;
    }
    assert_int_equal(total, 1000); /* exactly the bucket: the clock does not move */
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_refusal_with_retry_after),
        cmocka_unit_test(test_retry_after_is_whole_seconds_at_slow_rates),
        cmocka_unit_test(test_keys_are_independent),
        cmocka_unit_test(test_a_higher_rate_applies_at_once),
        cmocka_unit_test(test_idle_buckets_dropped_and_memory_bounded),
        cmocka_unit_test(test_dropping_an_idle_bucket_changes_no_answer),
        cmocka_unit_test(test_threads_never_overdraw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
