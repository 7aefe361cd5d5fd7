/* sqlite_util.h — the small SQLite helpers every account module uses (users, sessions,
 * signin, apikeys, billing, alerts), and the one ISO 8601 UTC form in which account times
 * (stored as Unix seconds) are shown, in JSON (web_account.c) and by `materia users`.
 *
 * Errors name their module and the step: sqlu_fail(db, "users", "create", err) sets
 * "users: create: <SQLite's message>" (MT_ERR_DB) and returns -1, so a failing function can
 * `return sqlu_fail(...)`. */
#ifndef MATERIA_ACCOUNTS_SQLITE_UTIL_H
#define MATERIA_ACCOUNTS_SQLITE_UTIL_H

#include <sqlite3.h>
#include <stddef.h>

#include "util/err.h"

/* Sets err to "<who>: <what>: <sqlite3_errmsg(db)>"; returns -1. */
int sqlu_fail(sqlite3 *db, const char *who, const char *what, struct mt_err *err);
/* Prepares sql into *st: 0, or -1 with err ("<who>: prepare: ..."). */
int sqlu_prep(sqlite3 *db, const char *who, const char *sql, sqlite3_stmt **st, struct mt_err *err);
/* Steps a statement that returns no row and finalizes it: 0, or -1 with err
 * ("<who>: <what>: ..."). */
int sqlu_step_done(sqlite3 *db, const char *who, sqlite3_stmt *st, const char *what, struct mt_err *err);
/* Copies column col of the current row into dst (n bytes with the NUL, truncated); a NULL
 * column is "". */
void sqlu_copy_col(char *dst, size_t n, sqlite3_stmt *st, int col);

#define SQLU_ISO_LEN 32 /* room for "2026-12-02T02:17:31Z" and its NUL */
/* t (Unix seconds) as ISO 8601 UTC to the second: "2026-12-02T02:17:31Z". */
void sqlu_iso_utc(long long t, char out[SQLU_ISO_LEN]);

#endif
