/* test_snapshot.c — unit tests for serving/snapshot.c: sibling paths, the lock, the
 * order-independent checksum that export and verification share, and publish/swap under a
 * failing directory fsync (util/fsutil.h's rule: the file is live, so it is a success). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serving/snapshot.h"
#include "util/err.h"
#include "util/common.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "util/strbuf.h"

static void test_paths(void **state)
{
    (void)state;
    struct serving_paths p;
    serving_paths_init(&p, "/data/materia/serving.duckdb");
    assert_string_equal(p.dir, "/data/materia");
    assert_string_equal(p.fresh, "/data/materia/serving_new.duckdb");
    assert_string_equal(p.prev, "/data/materia/serving.prev.duckdb");
    assert_string_equal(p.lock, "/data/materia/serving.lock");
    serving_paths_free(&p);
    serving_paths_init(&p, "snap");
    assert_string_equal(p.fresh, "./snap_new.duckdb");
    assert_string_equal(p.prev, "./snap.prev.duckdb");
    serving_paths_free(&p);
}

static void test_checksum_order_independent_and_sensitive(void **state)
{
    (void)state;
    struct db d;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(db_open(&d, NULL, false, 1, &err), 0);
    assert_int_equal(db_exec(d.con, "CREATE TABLE a AS SELECT range AS x, 'v' || range AS y FROM range(100);"
                                    "CREATE TABLE b AS SELECT * FROM a ORDER BY x DESC;"
                                    "CREATE TABLE c AS SELECT * FROM a; UPDATE c SET y = 'w' WHERE x = 42;"
                                    "CREATE TABLE e (x INTEGER)", &err), 0);
    int64_t ra, rb, rc, re;
    char sa[64], sb[64], sc[64], se[64];
    assert_int_equal(serving_table_checksum(d.con, "a", &ra, sa, sizeof sa, &err), 0);
    assert_int_equal(serving_table_checksum(d.con, "b", &rb, sb, sizeof sb, &err), 0);
    assert_int_equal(serving_table_checksum(d.con, "c", &rc, sc, sizeof sc, &err), 0);
    assert_int_equal(serving_table_checksum(d.con, "e", &re, se, sizeof se, &err), 0);
    assert_int_equal(ra, 100);
    assert_int_equal(rb, 100);
    assert_string_equal(sa, sb);          /* order does not matter */
    assert_string_not_equal(sa, sc);      /* one changed value does */
    assert_int_equal(re, 0);
    assert_string_equal(se, "0");
    assert_int_equal(serving_table_checksum(d.con, "missing", &re, se, sizeof se, &err), -1);
    assert_non_null(strstr(err.msg, "missing"));
    db_close(&d);
}

static void write_text(const char *path, const char *text)
{
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(fs_write_atomic(path, text, strlen(text), false, &err), 0);
}

static void expect_text(const char *path, const char *want)
{
    struct mt_err err = MT_ERR_INIT;
    char *data;
    size_t len;
    assert_int_equal(fs_read_all(path, &data, &len, &err), 0);
    assert_string_equal(data, want);
    free(data);
}

/* A snapshot that is live must never be reported as a failed publish: before fs_publish,
 * serving_publish returned -1 here (and export said "failed" about a live snapshot). */
static void test_publish_and_swap_succeed_when_the_dir_fsync_fails(void **state)
{
    (void)state;
    const char *root = getenv("MATERIA_TEST_TMP");
    struct mt_err err = MT_ERR_INIT;
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    char *dir = xasprintf("%s/snapshot-XXXXXX", root);
    assert_non_null(mkdtemp(dir));
    char *live = fs_join(dir, "serving.duckdb");
    struct serving_paths p;
    serving_paths_init(&p, live);
    write_text(p.live, "one");
    write_text(p.fresh, "two");
    setenv("MATERIA_FAIL_AT", "fsync_dir", 1);
    assert_int_equal(serving_publish(&p, p.fresh, &err), 0);
    expect_text(p.live, "two");
    expect_text(p.prev, "one");
    assert_int_equal(serving_swap_prev(&p, &err), 0);
    expect_text(p.live, "one");
    expect_text(p.prev, "two");
    setenv("MATERIA_FAIL_AT", "fsync_dir,no_renameat2", 1); /* the exchange's fallback too */
    assert_int_equal(serving_swap_prev(&p, &err), 0);
    expect_text(p.live, "two");
    expect_text(p.prev, "one");
    unsetenv("MATERIA_FAIL_AT");
    serving_paths_free(&p);
    free(live);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_checksum_order_independent_and_sensitive),
        cmocka_unit_test(test_publish_and_swap_succeed_when_the_dir_fsync_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
