/* test_sqlite_util.c — the account modules' shared SQLite helpers (src/accounts/
 * sqlite_util.h) on an in-memory database: an error names the module and the step before
 * SQLite's own message; a statement that fails to prepare or to run is reported (and
 * finalized); a column is copied whole, truncated to the buffer, or as "" when NULL; a time
 * is ISO 8601 UTC to the second (1700000000 is 2023-11-14T22:13:20Z, as `date -u -d
 * @1700000000` says). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "accounts/sqlite_util.h"

static sqlite3 *mem_db(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (a TEXT NOT NULL, b TEXT)", NULL, NULL, NULL), SQLITE_OK);
    return db;
}

static void test_errors_name_module_and_step(void **state)
{
    (void)state;
    sqlite3 *db = mem_db();
    struct mt_err err = MT_ERR_INIT;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlu_prep(db, "users", "SELECT nope FROM t", &st, &err), -1);
    assert_int_equal(err.code, MT_ERR_DB);
    assert_string_equal(err.msg, "users: prepare: no such column: nope");
    assert_int_equal(sqlu_prep(db, "users", "INSERT INTO t (a) VALUES (NULL)", &st, &err), 0);
    err = (struct mt_err)MT_ERR_INIT;
    assert_int_equal(sqlu_step_done(db, "billing", st, "write", &err), -1);
    assert_string_equal(err.msg, "billing: write: NOT NULL constraint failed: t.a");
    assert_int_equal(sqlu_prep(db, "users", "INSERT INTO t (a) VALUES ('x')", &st, &err), 0);
    assert_int_equal(sqlu_step_done(db, "users", st, "write", &err), 0);
    /* SQLITE_BUSY here would mean step_done left a statement unfinalized */
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_copy_col(void **state)
{
    (void)state;
    sqlite3 *db = mem_db();
    struct mt_err err = MT_ERR_INIT;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlu_prep(db, "t", "SELECT 'abcdef', NULL", &st, &err), 0);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char big[16], small[4], null_col[8] = "junk";
    sqlu_copy_col(big, sizeof big, st, 0);
    sqlu_copy_col(small, sizeof small, st, 0);
    sqlu_copy_col(null_col, sizeof null_col, st, 1);
    assert_string_equal(big, "abcdef");
    assert_string_equal(small, "abc");
    assert_string_equal(null_col, "");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_iso_utc(void **state)
{
    (void)state;
    char buf[SQLU_ISO_LEN];
    sqlu_iso_utc(1700000000LL, buf);
    assert_string_equal(buf, "2023-11-14T22:13:20Z");
    sqlu_iso_utc(1, buf);
    assert_string_equal(buf, "1970-01-01T00:00:01Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_name_module_and_step),
        cmocka_unit_test(test_copy_col),
        cmocka_unit_test(test_iso_utc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
