/* test_alerts.c — release alerts (src/accounts/alerts.h): who gets a digest of which
 * changes (watchlist ∩ the newest release's non-zero changes; not disabled; signed up
 * before the release landed), the mail text, and the at-most-once protocol: a second send
 * sends nothing, a NOT_SENT is retried, an UNKNOWN is not, and a crash between the hand-over
 * and the record (crash point alerts_after_send, in a forked child) never sends twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accounts/alerts.h"
#include "accounts/appdb.h"
#include "util/db.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/strbuf.h"

struct fixture {
    char *dir, *app_path;
    sqlite3 *app;
    struct db serving;
};

/* The newest release 2023-01-12 (landed at 1,000,000) revises Brazil's production and
 * Vietnam's exports; Colombia's production is unchanged (change 0) and Peru's is a first
 * value (no previous). An older release 2022-12-20 revised Brazil's exports. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct mt_err err = MT_ERR_INIT;
    const char *root = getenv("MATERIA_TEST_TMP");
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    f->dir = xasprintf("%s/alerts-XXXXXX", root);
    assert_non_null(mkdtemp(f->dir));
    f->app_path = xasprintf("%s/app.sqlite", f->dir);
    assert_int_equal(appdb_open(f->app_path, &f->app, &err), 0);
    assert_int_equal(appdb_exec(f->app,
        "INSERT INTO users (id, email, created_at) VALUES (1, 'ana@example.com', 10), "
        "  (2, 'bo@example.com', 20), (3, 'late@example.com', 2000000), (4, 'off@example.com', 10), "
        "  (5, 'none@example.com', 10);"
        "UPDATE users SET disabled_at = 30 WHERE id = 4;"
        "INSERT INTO watchlist VALUES (1, 'BR', 'production'), (1, 'VM', 'exports'), (1, 'CO', 'production'),"
        "  (2, 'BR', 'exports'), (2, 'VM', 'exports'), (3, 'BR', 'production'), (4, 'BR', 'production'),"
        "  (5, 'PE', 'production'), (5, 'CO', 'production');", &err), 0);
    assert_int_equal(db_open(&f->serving, NULL, false, 1, &err), 0);
    assert_int_equal(db_exec(f->serving.con,
        "CREATE TABLE releases (release_date DATE, etag VARCHAR, file VARCHAR, rows BIGINT, landed_at TIMESTAMP);"
        "INSERT INTO releases VALUES ('2022-12-20', 'e1', 'f1', 1, to_timestamp(500000)::TIMESTAMP),"
        "  ('2023-01-12', 'e2', 'f2', 1, to_timestamp(1000000)::TIMESTAMP);"
        "CREATE TABLE psd_revisions (country_code VARCHAR, country_name VARCHAR, market_year INTEGER,"
        "  attribute VARCHAR, release_date DATE, value DOUBLE, previous_value DOUBLE, change DOUBLE);"
        "INSERT INTO psd_revisions VALUES"
        "  ('BR', 'Brazil', 2022, 'production', '2023-01-12', 64300, 62600, 1700),"
        "  ('VM', 'Vietnam', 2022, 'exports', '2023-01-12', 27500, 28000, -500),"
        "  ('CO', 'Colombia', 2022, 'production', '2023-01-12', 12000, 12000, 0),"
        "  ('PE', 'Peru', 2022, 'production', '2023-01-12', 4000, NULL, NULL),"
        "  ('BR', 'Brazil', 2022, 'exports', '2022-12-20', 40000, 39000, 1000);", &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    appdb_close(f->app);
    db_close(&f->serving);
    free(f->app_path);
    free(f->dir);
    free(f);
    return 0;
}

static void test_who_gets_what(void **state)
{
    struct fixture *f = *state;
    struct alert_batch b;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(alerts_compute(f->app, f->serving.con, NULL, &b, &err), 0);
    assert_true(b.has_release);
    assert_string_equal(b.rel.key, "2023-01-12/e2");
    /* Colombia's 0 and Peru's first value are not changes; the world sums: production
     * (Brazil + Colombia) 74,600 -> 76,300, exports (Vietnam) 28,000 -> 27,500 */
    assert_int_equal(b.n_changes, 4);
    /* ana: Brazil production + Vietnam exports; bo: Vietnam exports (Brazil exports moved
     * in the older release only); late signed up after the landing; off is disabled; none
     * watches only non-changes */
    assert_int_equal(b.n, 2);
    assert_string_equal(b.d[0].email, "ana@example.com");
    assert_int_equal(b.d[0].n, 2);
    assert_string_equal(b.d[1].email, "bo@example.com");
    assert_int_equal(b.d[1].n, 1);
    assert_string_equal(b.d[1].v[0].country_code, "VM");
    char *subject, *body;
    alerts_render(&b.rel, &b.d[0], "https://coffee.example", &subject, &body);
    assert_string_equal(subject, "USDA PSD coffee, release of 2023-01-12: 2 changes on your watchlist");
    assert_non_null(strstr(body, "- Brazil, production, 2022/23: 62,600 -> 64,300 (+1,700)\n"
                                 "  https://coffee.example/#/country/BR\n"));
    assert_non_null(strstr(body, "- Vietnam, exports, 2022/23: 28,000 -> 27,500 (-500)\n"));
    assert_null(strstr(body, "World"));
    free(subject);
    free(body);
    alert_batch_free(&b);
    /* the world: Brazil + Colombia production (Peru's first value left out) */
    assert_int_equal(appdb_exec(f->app, "INSERT INTO watchlist VALUES (2, 'WORLD', 'production')", &err), 0);
    assert_int_equal(alerts_compute(f->app, f->serving.con, "bo@example.com", &b, &err), 0);
    assert_int_equal(b.d[0].n, 2);
    alerts_render(&b.rel, &b.d[0], "https://coffee.example", &subject, &body);
    assert_non_null(strstr(body, "- World, production, 2022/23: 74,600 -> 76,300 (+1,700)\n"
                                 "  https://coffee.example/#/\n"));
    free(subject);
    free(body);
    alert_batch_free(&b);
    /* a preview for one address: that user only, here even one who signed up later */
    assert_int_equal(alerts_compute(f->app, f->serving.con, "late@example.com", &b, &err), 0);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.d[0].email, "late@example.com");
    alert_batch_free(&b);
}

struct sink {
    int calls;
    enum alert_send_result answer_for_bo;
    const char *log_path; /* when set, every send is appended there */
    atomic_bool *stop_after_first; /* when set, raised by the first send (a shutdown) */
};

static enum alert_send_result fake_send(void *ud, const char *to, const char *subject,
                                        const char *body, struct mt_err *err)
{
    struct sink *s = ud;
    (void)subject;
    (void)body;
    s->calls++;
    if (s->stop_after_first) atomic_store(s->stop_after_first, true);
    if (s->log_path) {
        FILE *fp = fopen(s->log_path, "a");
        assert_non_null(fp);
        fprintf(fp, "%s\n", to);
        fclose(fp);
    }
    if (!strcmp(to, "bo@example.com") && s->answer_for_bo != ALERT_SEND_OK) {
        mt_errf(err, "test: bo's server");
        return s->answer_for_bo;
    }
    return ALERT_SEND_OK;
}

/* A stop (serve shutting down) is honoured between digests: the one being sent finishes,
 * the rest are neither sent nor claimed, and the next run sends them. */
static void test_stop_leaves_the_rest_unclaimed(void **state)
{
    struct fixture *f = *state;
    struct alert_batch b;
    struct mt_err err = MT_ERR_INIT;
    struct alert_send_report rep;
    atomic_bool stop = false;
    struct sink s = {.answer_for_bo = ALERT_SEND_OK, .stop_after_first = &stop};
    assert_int_equal(alerts_compute(f->app, f->serving.con, NULL, &b, &err), 0);
    assert_int_equal(b.n, 2);
    assert_int_equal(alerts_send(f->app, &b, "http://x", fake_send, &s, 7000, &stop, &rep, &err), 0);
    assert_int_equal(s.calls, 1);
    assert_int_equal(rep.sent, 1);
    s.stop_after_first = NULL;
    stop = false;
    assert_int_equal(alerts_send(f->app, &b, "http://x", fake_send, &s, 7001, &stop, &rep, &err), 0);
    assert_int_equal(rep.already, 1);
    assert_int_equal(rep.sent, 1);
    assert_int_equal(s.calls, 2);
    alert_batch_free(&b);
}

static void test_at_most_once_and_retry(void **state)
{
    struct fixture *f = *state;
    struct alert_batch b;
    struct mt_err err = MT_ERR_INIT;
    struct alert_send_report rep;
    struct sink s = {.answer_for_bo = ALERT_SEND_NOT_SENT};
    assert_int_equal(alerts_compute(f->app, f->serving.con, NULL, &b, &err), 0);
    assert_int_equal(alerts_send(f->app, &b, "http://x", fake_send, &s, 5000, NULL, &rep, &err), 0);
    assert_int_equal(rep.sent, 1);
    assert_int_equal(rep.not_sent, 1);
    assert_int_equal(s.calls, 2);
    /* again: ana is recorded (skipped), bo was not handed over (retried, now unknown) */
    s.answer_for_bo = ALERT_SEND_UNKNOWN;
    assert_int_equal(alerts_send(f->app, &b, "http://x", fake_send, &s, 5001, NULL, &rep, &err), 0);
    assert_int_equal(rep.already, 1);
    assert_int_equal(rep.unknown, 1);
    assert_int_equal(s.calls, 3);
    /* and again: nobody (bo's delivery is unknown: at most once, never retried) */
    s.answer_for_bo = ALERT_SEND_OK;
    assert_int_equal(alerts_send(f->app, &b, "http://x", fake_send, &s, 5002, NULL, &rep, &err), 0);
    assert_int_equal(rep.already, 2);
    assert_int_equal(s.calls, 3);
    alert_batch_free(&b);
    /* a preview after the fact says what was recorded */
    assert_int_equal(alerts_compute(f->app, f->serving.con, "ana@example.com", &b, &err), 0);
    assert_string_equal(b.d[0].sent_state, "sent");
    alert_batch_free(&b);
}

static void test_crash_between_send_and_record_never_sends_twice(void **state)
{
    struct fixture *f = *state;
    struct alert_batch b;
    struct mt_err err = MT_ERR_INIT;
    char *log_path = xasprintf("%s/sent.txt", f->dir);
    assert_int_equal(alerts_compute(f->app, f->serving.con, NULL, &b, &err), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the child: its own connection; killed right after handing over the first mail */
        sqlite3 *app;
        struct alert_send_report rep;
        struct sink s = {.log_path = log_path};
        setenv("MATERIA_CRASH_AT", "alerts_after_send", 1);
        if (appdb_open(f->app_path, &app, &err) < 0) _exit(10);
        alerts_send(app, &b, "http://x", fake_send, &s, 6000, NULL, &rep, &err);
        _exit(11); /* not reached: the crash point kills the process */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    /* the rerun: ana (handed over, unrecorded) is not mailed again; bo now is */
    struct alert_send_report rep;
    struct sink s = {.log_path = log_path};
    assert_int_equal(alerts_send(f->app, &b, "http://x", fake_send, &s, 6001, NULL, &rep, &err), 0);
    assert_int_equal(rep.already, 1);
    assert_int_equal(rep.sent, 1);
    char *sent;
    size_t len;
    assert_int_equal(fs_read_all(log_path, &sent, &len, &err), 0);
    assert_string_equal(sent, "ana@example.com\nbo@example.com\n");
    free(sent);
    free(log_path);
    alert_batch_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_who_gets_what, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_most_once_and_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_leaves_the_rest_unclaimed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_between_send_and_record_never_sends_twice, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
