/* sqlite_util.c — see sqlite_util.h: the account modules' shared SQLite helpers and their
 * one ISO 8601 time format. */
#include "accounts/sqlite_util.h"

#include <stdio.h>
#include <time.h>

int sqlu_fail(sqlite3 *db, const char *who, const char *what, struct mt_err *err)
{
    return mt_err_set(err, MT_ERR_DB, "%s: %s: %s", who, what, sqlite3_errmsg(db));
}

int sqlu_prep(sqlite3 *db, const char *who, const char *sql, sqlite3_stmt **st, struct mt_err *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) return sqlu_fail(db, who, "prepare", err);
    return 0;
}

int sqlu_step_done(sqlite3 *db, const char *who, sqlite3_stmt *st, const char *what, struct mt_err *err)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sqlu_fail(db, who, what, err);
}

void sqlu_copy_col(char *dst, size_t n, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

void sqlu_iso_utc(long long t, char out[SQLU_ISO_LEN])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, SQLU_ISO_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, SQLU_ISO_LEN, "%lld", t); /* a year past 9999: gmtime_r's limits, not a time we store */
}
