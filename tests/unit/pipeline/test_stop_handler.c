/* test_stop_handler.c — unit tests for pipeline_install_stop_handler(): SIGTERM sets
 * pipeline_stop_requested, a blocking read in progress is restarted rather than failed
 * with EINTR (a step's I/O is finished, not broken), and a sleep still returns early. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/pipeline.h"

struct kicker {
    pthread_t target;
    int wfd;
};

/* Waits until the main thread is (almost certainly) blocked in read(), signals it, then
 * gives read() something to return. */
static void *kick(void *arg)
{
    struct kicker *k = arg;
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    pthread_kill(k->target, SIGTERM);
    nanosleep(&ts, NULL);
    ssize_t w = write(k->wfd, "x", 1);
    (void)w;
    return NULL;
}

static void test_sigterm_sets_flag_and_read_is_restarted(void **state)
{
    (void)state;
    pipeline_stop_requested = 0;
    pipeline_install_stop_handler();
    struct sigaction sa;
    sigaction(SIGTERM, NULL, &sa);
    assert_true(sa.sa_flags & SA_RESTART);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct kicker k = {pthread_self(), fds[1]};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, kick, &k), 0);
    char c = 0;
    ssize_t r = read(fds[0], &c, 1);
    int e = errno;
    pthread_join(th, NULL);
    close(fds[0]);
    close(fds[1]);
    if (r < 0) fail_msg("read failed with %s: a stop signal broke the step's I/O", strerror(e));
    assert_int_equal(r, 1);
    assert_int_equal(c, 'x');
    assert_int_equal(pipeline_stop_requested, 1);
}

static void test_sleep_still_returns_early(void **state)
{
    (void)state;
    pipeline_stop_requested = 0;
    pipeline_install_stop_handler();
    struct timespec req = {30, 0}, rem = {0, 0};
    /* a thread signals us while we sleep (its later write goes to /dev/null) */
    pthread_t th;
    struct kicker kk = {pthread_self(), open("/dev/null", O_WRONLY | O_CLOEXEC)};
    assert_true(kk.wfd >= 0);
    assert_int_equal(pthread_create(&th, NULL, kick, &kk), 0);
    int rc = nanosleep(&req, &rem);
    int e = errno;
    pthread_join(th, NULL);
    close(kk.wfd);
    assert_int_equal(rc, -1);
    assert_int_equal(e, EINTR);
    assert_true(rem.tv_sec > 0);
    assert_int_equal(pipeline_stop_requested, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigterm_sets_flag_and_read_is_restarted),
        cmocka_unit_test(test_sleep_still_returns_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
