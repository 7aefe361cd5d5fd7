/* test_db.c — unit tests for util/db.c's fail-closed open: when a DuckDB setting cannot be
 * applied (forced with MATERIA_FAIL_AT=db_set_config, util/testhook.h), db_open refuses —
 * a "read-only" open never becomes read-write, and a file that did not exist is not
 * created. Without the fault, read-only really is read-only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/db.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/strbuf.h"

static char *scratch_file(const char *name)
{
    const char *root = getenv("MATERIA_TEST_TMP");
    struct mt_err err = MT_ERR_INIT;
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    char *dir = xasprintf("%s/db-XXXXXX", root);
    assert_non_null(mkdtemp(dir));
    char *p = fs_join(dir, name);
    free(dir);
    return p;
}

static int teardown_env(void **state)
{
    (void)state;
    unsetenv("MATERIA_FAIL_AT");
    return 0;
}

static void test_read_only_open_is_refused_when_access_mode_cannot_be_set(void **state)
{
    (void)state;
    char *path = scratch_file("lake.duckdb");
    struct mt_err err = MT_ERR_INIT;
    struct db d;
    assert_int_equal(db_open(&d, path, false, 1, &err), 0);
    assert_int_equal(db_exec(d.con, "CREATE TABLE t AS SELECT 1 AS x", &err), 0);
    db_close(&d);
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);

    setenv("MATERIA_FAIL_AT", "db_set_config", 1);
    assert_int_equal(db_open(&d, path, true, 1, &err), -1);
    assert_non_null(strstr(err.msg, "access_mode=READ_ONLY"));
    assert_non_null(strstr(err.msg, path));
    assert_false(d.open);
    db_close(&d); /* safe on a refused open */
    /* a read-write open is refused too (the extension settings), and creates nothing */
    char *fresh = scratch_file("new.duckdb");
    assert_int_equal(db_open(&d, fresh, false, 0, &err), -1);
    assert_non_null(strstr(err.msg, "autoinstall_known_extensions"));
    assert_false(fs_exists(fresh));
    unsetenv("MATERIA_FAIL_AT");

    assert_int_equal(stat(path, &after), 0);
    assert_true(before.st_mtime == after.st_mtime && before.st_size == after.st_size);
    /* without the fault: read-only means read-only */
    assert_int_equal(db_open(&d, path, true, 1, &err), 0);
    assert_int_equal(db_exec(d.con, "INSERT INTO t VALUES (2)", &err), -1);
    db_close(&d);
    free(fresh);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_read_only_open_is_refused_when_access_mode_cannot_be_set, teardown_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
