/* acct_testdb.h — a fresh account database in a scratch folder for the account unit tests
 * (header-only: each test binary is one file). */
#ifndef MATERIA_TEST_ACCT_TESTDB_H
#define MATERIA_TEST_ACCT_TESTDB_H

#include <stdlib.h>
#include <unistd.h>

#include "accounts/appdb.h"
#include "util/fsutil.h"
#include "util/strbuf.h"

static inline sqlite3 *acct_testdb(void)
{
    const char *root = getenv("MATERIA_TEST_TMP");
    struct mt_err err = MT_ERR_INIT;
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    char *tmpl = xasprintf("%s/acct-XXXXXX", root);
    assert_non_null(mkdtemp(tmpl));
    char *path = xasprintf("%s/app.sqlite", tmpl);
    sqlite3 *db = NULL;
    assert_int_equal(appdb_open(path, &db, &err), 0);
    free(path);
    free(tmpl);
    return db;
}

/* The first column of the first row of sql as an integer. */
static inline long long acct_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

#endif
