/* test_appdb.c — the account database's open and migrations (src/accounts/appdb.h):
 * a new file gets the newest schema with WAL, foreign keys and mode 0600; a file at every
 * earlier version upgrades to exactly the schema a new file gets, and keeps its rows (the
 * closed_customers migration under a populated file); a file from a newer
 * release is refused untouched; a failing migration leaves nothing of itself (fault point
 * appdb_migration); user rows cascade as appdb_schema.c says; the online backup is a
 * complete, openable copy taken while another connection holds a write transaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accounts/appdb.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/strbuf.h"

static char *scratch_file(const char *name)
{
    const char *root = getenv("MATERIA_TEST_TMP");
    struct mt_err err = MT_ERR_INIT;
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    char *tmpl = xasprintf("%s/appdb-XXXXXX", root);
    assert_non_null(mkdtemp(tmpl));
    char *path = xasprintf("%s/sub/%s", tmpl, name); /* the folder does not exist yet */
    free(tmpl);
    return path;
}

static char *text1(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char *out = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

/* every table, index and its SQL, in name order: what "the same schema" means */
static char *schema_of(sqlite3 *db)
{
    return text1(db, "SELECT group_concat(type || ' ' || name || ': ' || coalesce(sql, ''), char(10)) "
                     "FROM (SELECT * FROM sqlite_schema ORDER BY name)");
}

static void test_new_file_is_newest_schema(void **state)
{
    (void)state;
    char *path = scratch_file("app.sqlite");
    sqlite3 *db;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(appdb_open(path, &db, &err), 0);
    assert_int_equal(appdb_version(db, &err), appdb_latest_version());
    char *jm = text1(db, "PRAGMA journal_mode"), *fk = text1(db, "PRAGMA foreign_keys");
    assert_string_equal(jm, "wal");
    assert_string_equal(fk, "1");
    char *n = text1(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                        "('users','login_tokens','sessions','preferences','watchlist','api_keys',"
                        "'subscriptions','billing_events','audit_log','alert_sends','closed_customers')");
    assert_string_equal(n, "11");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* the WAL and shared-memory files hold recent pages (emails, hashes): the owner's only
     * too, from the moment SQLite makes them (they take the database file's mode then) */
    for (int i = 0; i < 2; i++) {
        char *side = xasprintf("%s%s", path, i ? "-shm" : "-wal");
        assert_int_equal(stat(side, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        free(side);
    }
    free(jm);
    free(fk);
    free(n);
    appdb_close(db);
    free(path);
}

static void test_every_earlier_version_upgrades_to_the_same_schema(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    char *fresh_path = scratch_file("fresh.sqlite");
    sqlite3 *db;
    assert_int_equal(appdb_open(fresh_path, &db, &err), 0);
    char *want = schema_of(db);
    appdb_close(db);
    for (int v = 0; v < appdb_latest_version(); v++) {
        char *path = scratch_file("old.sqlite");
        assert_int_equal(appdb_open_at(path, v, &db, &err), 0);
        assert_int_equal(appdb_version(db, &err), v);
        appdb_close(db);
        assert_int_equal(appdb_open(path, &db, &err), 0);
        assert_int_equal(appdb_version(db, &err), appdb_latest_version());
        char *got = schema_of(db);
        assert_string_equal(got, want);
        free(got);
        appdb_close(db);
        free(path);
    }
    free(want);
    free(fresh_path);
}

/* Migration 2 (closed_customers) adds a table to a database in use: the rows already there
 * stay, and the new table starts empty (no user was deleted under it). */
static void test_upgrade_to_2_keeps_the_rows(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    char *path = scratch_file("v1.sqlite");
    sqlite3 *db;
    assert_int_equal(appdb_open_at(path, 1, &db, &err), 0);
    assert_int_equal(appdb_exec(db, "INSERT INTO users (id, email, created_at, plan, stripe_customer_id) "
                                    "VALUES (1, 'a@example.com', 0, 'pro', 'cus_A')", &err), 0);
    appdb_close(db);
    assert_int_equal(appdb_open(path, &db, &err), 0);
    assert_true(appdb_latest_version() >= 2);
    char *u = text1(db, "SELECT email || ' ' || plan || ' ' || stripe_customer_id FROM users");
    char *c = text1(db, "SELECT count(*) FROM closed_customers");
    assert_string_equal(u, "a@example.com pro cus_A");
    assert_string_equal(c, "0");
    free(u);
    free(c);
    appdb_close(db);
    free(path);
}

static void test_newer_file_is_refused_untouched(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    char *path = scratch_file("newer.sqlite");
    sqlite3 *db;
    assert_int_equal(appdb_open(path, &db, &err), 0);
    char *sql = xasprintf("PRAGMA user_version=%d", appdb_latest_version() + 1);
    assert_int_equal(appdb_exec(db, sql, &err), 0);
    free(sql);
    appdb_close(db);
    assert_int_equal(appdb_open(path, &db, &err), -1);
    assert_null(db);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "newer than this materia knows"));
    free(path);
}

static void test_failed_migration_leaves_nothing(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    char *path = scratch_file("fail.sqlite");
    sqlite3 *db;
    setenv("MATERIA_FAIL_AT", "appdb_migration", 1);
    int rc = appdb_open(path, &db, &err);
    unsetenv("MATERIA_FAIL_AT");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err.msg, "migration 1"));
    assert_non_null(strstr(err.msg, "fault_point_appdb_migration"));
    /* a plain connection sees version 0 and no table */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *v = text1(db, "PRAGMA user_version"), *n = text1(db, "SELECT count(*) FROM sqlite_schema");
    assert_string_equal(v, "0");
    assert_string_equal(n, "0");
    free(v);
    free(n);
    sqlite3_close(db);
    /* and the next open migrates it */
    assert_int_equal(appdb_open(path, &db, &err), 0);
    assert_int_equal(appdb_version(db, &err), appdb_latest_version());
    appdb_close(db);
    free(path);
}

static void test_user_rows_cascade(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    char *path = scratch_file("cascade.sqlite");
    sqlite3 *db;
    assert_int_equal(appdb_open(path, &db, &err), 0);
    assert_int_equal(appdb_exec(db,
        "INSERT INTO users (id, email, created_at) VALUES (1, 'a@example.com', 0);"
        "INSERT INTO sessions VALUES (x'01', 1, 'c', 0, 0, NULL, NULL);"
        "INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at) VALUES (1, 'k', 'mk_ab', x'02', 0);"
        "INSERT INTO watchlist VALUES (1, 'BR', 'production');"
        "INSERT INTO audit_log (at, user_id, action) VALUES (0, 1, 'signin');"
        "DELETE FROM users WHERE id = 1;", &err), 0);
    char *left = text1(db, "SELECT (SELECT count(*) FROM sessions) + (SELECT count(*) FROM api_keys) "
                           "+ (SELECT count(*) FROM watchlist)");
    char *audit = text1(db, "SELECT count(*) || ' ' || count(user_id) FROM audit_log");
    assert_string_equal(left, "0");
    assert_string_equal(audit, "1 0"); /* the event stays, the person goes */
    free(left);
    free(audit);
    appdb_close(db);
    free(path);
}

static void test_backup_while_a_writer_is_open(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    char *path = scratch_file("live.sqlite");
    sqlite3 *db, *writer;
    assert_int_equal(appdb_open(path, &db, &err), 0);
    assert_int_equal(appdb_exec(db, "INSERT INTO users (email, created_at) VALUES ('a@example.com', 0)", &err), 0);
    assert_int_equal(appdb_open(path, &writer, &err), 0);
    /* an open, uncommitted write: the backup copies the last committed state */
    assert_int_equal(appdb_exec(writer, "BEGIN IMMEDIATE; INSERT INTO users (email, created_at) "
                                        "VALUES ('b@example.com', 0)", &err), 0);
    char *copy = xasprintf("%s.bak", path);
    assert_int_equal(appdb_backup(path, copy, &err), 0);
    assert_int_equal(appdb_exec(writer, "COMMIT", &err), 0);
    sqlite3 *c;
    assert_int_equal(sqlite3_open_v2(copy, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *n = text1(c, "SELECT group_concat(email) FROM users"), *ok = text1(c, "PRAGMA integrity_check");
    assert_string_equal(n, "a@example.com");
    assert_string_equal(ok, "ok");
    struct stat st;
    assert_int_equal(stat(copy, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(n);
    free(ok);
    sqlite3_close(c);
    appdb_close(writer);
    appdb_close(db);
    free(copy);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_file_is_newest_schema),
        cmocka_unit_test(test_every_earlier_version_upgrades_to_the_same_schema),
        cmocka_unit_test(test_upgrade_to_2_keeps_the_rows),
        cmocka_unit_test(test_newer_file_is_refused_untouched),
        cmocka_unit_test(test_failed_migration_leaves_nothing),
        cmocka_unit_test(test_user_rows_cascade),
        cmocka_unit_test(test_backup_while_a_writer_is_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
