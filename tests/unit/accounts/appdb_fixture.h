/* appdb_fixture.h — the scratch account database the accounts unit tests share (cmocka):
 * a fresh folder under MATERIA_TEST_TMP (else /tmp) holding app.sqlite, opened and migrated
 * by appdb_open, seeded by one SQL statement; and one-value queries for the assertions.
 * Header-only (static functions): each test file is its own executable. */
#ifndef MATERIA_TEST_APPDB_FIXTURE_H
#define MATERIA_TEST_APPDB_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "accounts/appdb.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/strbuf.h"

struct appdb_fx {
    sqlite3 *db;
    char *dir;
};

/* Opens <tmp>/<name>-XXXXXX/app.sqlite and runs seed_sql (NULL: none). */
static void appdb_fx_open(struct appdb_fx *f, const char *name, const char *seed_sql)
{
    const char *root = getenv("MATERIA_TEST_TMP");
    struct mt_err err = MT_ERR_INIT;
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    f->dir = xasprintf("%s/%s-XXXXXX", root, name);
    assert_non_null(mkdtemp(f->dir));
    char *path = xasprintf("%s/app.sqlite", f->dir);
    assert_int_equal(appdb_open(path, &f->db, &err), 0);
    free(path);
    if (seed_sql) assert_int_equal(appdb_exec(f->db, seed_sql, &err), 0);
}

/* Closes the database and removes its folder. */
static void appdb_fx_close(struct appdb_fx *f)
{
    appdb_close(f->db);
    char *cmd = xasprintf("rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(f->dir);
}

/* The integer of a one-row, one-column query. */
static inline long long q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The text of a one-row query ("" for NULL), in a static buffer. */
static inline const char *q_text(sqlite3 *db, const char *sql)
{
    static char buf[256];
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(buf, sizeof buf, "%s", t ? (const char *)t : "");
    sqlite3_finalize(st);
    return buf;
}

#endif
