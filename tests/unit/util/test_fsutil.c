/* test_fsutil.c — unit tests for util/fsutil.h's durable-publish primitive: each mode
 * (rename-over, link-no-replace, exchange and its fallback), fs_publish_link, and the one
 * rule for "in place, but the directory fsync failed" (published: 1, never -1), forced
 * through the fault points of util/testhook.h (MATERIA_FAIL_AT=fsync_dir, no_renameat2).
 * Also landing_write under a failing folder fsync: it fails before anything lands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract/landing.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/strbuf.h"

static char *scratch_dir(void)
{
    const char *root = getenv("MATERIA_TEST_TMP");
    struct mt_err err = MT_ERR_INIT;
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    char *tmpl = xasprintf("%s/fsutil-XXXXXX", root);
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

static int teardown_env(void **state)
{
    (void)state;
    unsetenv("MATERIA_FAIL_AT");
    return 0;
}

static void put(const char *path, const char *text)
{
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(fs_write_atomic(path, text, strlen(text), false, &err), 0);
}

static void expect_content(const char *path, const char *want)
{
    struct mt_err err = MT_ERR_INIT;
    char *data;
    size_t len;
    assert_int_equal(fs_read_all(path, &data, &len, &err), 0);
    assert_string_equal(data, want);
    free(data);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* ---- each mode, durable ---------------------------------------------------------------- */

static void test_rename_replaces(void **state)
{
    (void)state;
    char *dir = scratch_dir(), *a = fs_join(dir, "a"), *b = fs_join(dir, "b");
    struct mt_err err = MT_ERR_INIT;
    put(a, "new");
    put(b, "old");
    assert_int_equal(fs_publish(a, b, FS_PUBLISH_RENAME, &err), 0);
    expect_content(b, "new");
    assert_false(fs_exists(a));
    /* a missing source changes nothing and names the destination */
    assert_int_equal(fs_publish(a, b, FS_PUBLISH_RENAME, &err), -1);
    assert_non_null(strstr(err.msg, "cannot rename into place"));
    expect_content(b, "new");
    free(a), free(b), free(dir);
}

static void test_no_replace_never_overwrites(void **state)
{
    (void)state;
    char *dir = scratch_dir(), *a = fs_join(dir, "a"), *b = fs_join(dir, "b");
    struct mt_err err = MT_ERR_INIT;
    put(a, "new");
    put(b, "old");
    assert_int_equal(fs_publish(a, b, FS_PUBLISH_NO_REPLACE, &err), -1);
    assert_non_null(strstr(err.msg, "already exists (never overwritten)"));
    expect_content(b, "old");
    expect_content(a, "new"); /* the source is the caller's to remove */
    assert_int_equal(unlink(b), 0);
    assert_int_equal(fs_publish(a, b, FS_PUBLISH_NO_REPLACE, &err), 0);
    expect_content(b, "new");
    assert_false(fs_exists(a)); /* a move: the temporary name is gone */
    free(a), free(b), free(dir);
}

static void exchange_swaps(bool fallback)
{
    char *dir = scratch_dir(), *a = fs_join(dir, "a"), *b = fs_join(dir, "b");
    struct mt_err err = MT_ERR_INIT;
    if (fallback) setenv("MATERIA_FAIL_AT", "no_renameat2", 1);
    put(a, "prev");
    put(b, "live");
    assert_int_equal(fs_publish(a, b, FS_PUBLISH_EXCHANGE, &err), 0);
    expect_content(b, "prev");
    expect_content(a, "live");
    assert_int_equal(count_entries(dir), 2); /* the fallback's "<src>.tmp" is gone */
    /* both names must exist: a missing one changes nothing */
    assert_int_equal(unlink(a), 0);
    assert_int_equal(fs_publish(a, b, FS_PUBLISH_EXCHANGE, &err), -1);
    expect_content(b, "prev");
    assert_int_equal(count_entries(dir), 1);
    unsetenv("MATERIA_FAIL_AT");
    free(a), free(b), free(dir);
}

static void test_exchange_swaps(void **state)
{
    (void)state;
    exchange_swaps(false);
}

static void test_exchange_fallback_swaps(void **state)
{
    (void)state;
    exchange_swaps(true);
}

static void test_publish_link_keeps_source(void **state)
{
    (void)state;
    char *dir = scratch_dir(), *a = fs_join(dir, "live"), *b = fs_join(dir, "prev");
    struct mt_err err = MT_ERR_INIT;
    put(a, "live");
    put(b, "older");
    assert_int_equal(fs_publish_link(a, b, &err), 0);
    struct stat sa, sb;
    assert_int_equal(stat(a, &sa), 0);
    assert_int_equal(stat(b, &sb), 0);
    assert_true(sa.st_ino == sb.st_ino); /* a second name, not a copy */
    assert_int_equal(count_entries(dir), 2);
    free(a), free(b), free(dir);
}

/* ---- the rule: in place, directory fsync failed ---------------------------------------- */

static void test_fsync_failure_after_publish_is_success_in_every_mode(void **state)
{
    (void)state;
    char *dir = scratch_dir(), *a = fs_join(dir, "a"), *b = fs_join(dir, "b");
    struct mt_err err = MT_ERR_INIT;
    char *d = fs_join(dir, "d");
    setenv("MATERIA_FAIL_AT", "fsync_dir", 1);
    /* the fault point is live: a bare directory fsync fails */
    assert_int_equal(fs_fsync_dir(dir, &err), -1);
    assert_non_null(strstr(err.msg, "fsync of directory failed"));

    put(a, "one"); /* fs_write_atomic (fs_commit_tmp): committed, so 0 */
    expect_content(a, "one");
    assert_int_equal(fs_publish(a, b, FS_PUBLISH_RENAME, &err), 1);
    expect_content(b, "one");
    assert_false(fs_exists(a));
    put(a, "two");
    assert_int_equal(fs_publish(a, b, FS_PUBLISH_EXCHANGE, &err), 1);
    expect_content(b, "two");
    expect_content(a, "one");
    assert_int_equal(fs_publish_link(a, b, &err), 1);
    expect_content(b, "one");
    assert_int_equal(unlink(b), 0);
    assert_int_equal(fs_publish(a, b, FS_PUBLISH_NO_REPLACE, &err), 1);
    expect_content(b, "one");
    assert_false(fs_exists(a));
    assert_int_equal(fs_write_atomic(a, "x", 1, true, &err), 0);
    /* removals follow the same rule; a new directory whose parent cannot be synced fails */
    assert_int_equal(fs_remove_durable(a, false, &err), 1);
    assert_false(fs_exists(a));
    assert_int_equal(fs_mkdir_durable(d, &err), -1);
    assert_non_null(strstr(err.msg, "parent could not be synced"));
    assert_int_equal(fs_remove_durable(d, true, &err), 1);
    unsetenv("MATERIA_FAIL_AT");
    assert_int_equal(fs_publish(b, a, FS_PUBLISH_RENAME, &err), 0);
    free(a), free(b), free(d), free(dir);
}

/* ---- landing's folders ------------------------------------------------------------------ */

static void test_landing_fails_closed_when_a_new_folder_cannot_be_synced(void **state)
{
    (void)state;
    char *dir = scratch_dir(), *landing = fs_join(dir, "landing");
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(fs_mkdir_p(landing, &err), 0);
    const char *csv = "Commodity_Code,x\n1,2\n";
    char sha[65];
    hash_sha256_hex(csv, strlen(csv), sha);
    struct landing_new ln = {.etag_raw = "\"e1\"", .url = "http://x/y.zip", .year = 2022,
                             .month = 12, .day = 20, .csv = csv, .csv_len = strlen(csv),
                             .rows = 1, .sha256 = sha};
    char *path = NULL;
    int64_t gzb = 0;
    setenv("MATERIA_FAIL_AT", "fsync_dir", 1);
    assert_int_equal(landing_write(landing, &ln, &path, &gzb, &err), -1);
    assert_non_null(strstr(err.msg, "parent could not be synced"));
    assert_int_equal(count_entries(landing), 0); /* no folder, no file left */
    /* with the folders in place, the same fault only costs durability: the release lands */
    unsetenv("MATERIA_FAIL_AT");
    char *month = fs_join(landing, "psd/2022/12");
    assert_int_equal(fs_mkdir_p(month, &err), 0);
    setenv("MATERIA_FAIL_AT", "fsync_dir", 1);
    assert_int_equal(landing_write(landing, &ln, &path, &gzb, &err), 0);
    assert_true(fs_exists(path));
    assert_int_equal(count_entries(month), 2); /* data + meta, no temporary */
    unsetenv("MATERIA_FAIL_AT");
    free(path), free(month), free(landing), free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rename_replaces, teardown_env),
        cmocka_unit_test_teardown(test_no_replace_never_overwrites, teardown_env),
        cmocka_unit_test_teardown(test_exchange_swaps, teardown_env),
        cmocka_unit_test_teardown(test_exchange_fallback_swaps, teardown_env),
        cmocka_unit_test_teardown(test_publish_link_keeps_source, teardown_env),
        cmocka_unit_test_teardown(test_fsync_failure_after_publish_is_success_in_every_mode, teardown_env),
        cmocka_unit_test_teardown(test_landing_fails_closed_when_a_new_folder_cannot_be_synced, teardown_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
