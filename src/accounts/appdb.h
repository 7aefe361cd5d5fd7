/* appdb.h — the account database: one SQLite file (APP_DB_PATH), written only by
 * `materia serve` and the operator's `materia users` / `materia alerts` commands; the
 * pipeline never opens it and the serving snapshot stays read-only DuckDB (issue 15).
 *
 * appdb_open() is the one way in: it opens (creating the file and its folder), sets the
 * connection's pragmas (WAL, foreign_keys, busy_timeout, synchronous=NORMAL) and brings the
 * schema to the newest version before anything else reads it. The schema is a list of
 * numbered migrations (appdb_schema.c, the one owner of the tables); PRAGMA user_version is
 * the number of the last one applied, and each migration runs in its own transaction with
 * the version bump, so a crash leaves the file at a whole version. A file whose version is
 * newer than this binary knows is refused, never written. */
#ifndef MATERIA_ACCOUNTS_APPDB_H
#define MATERIA_ACCOUNTS_APPDB_H

#include <sqlite3.h>

#include "util/err.h"

struct appdb_migration {
    int version;      /* 1, 2, ...: consecutive, in order */
    const char *name; /* for logs: what it adds */
    const char *sql;  /* one or more statements */
};

extern const struct appdb_migration appdb_migrations[];
extern const int appdb_migrations_n;

/* The newest schema version this binary knows (the last migration's number). */
int appdb_latest_version(void);

/* Opens path read-write (creating it and its folder), sets the pragmas and migrates to the
 * newest version. 0 with *out (close with appdb_close), or -1 with "<path>: <problem>". */
int appdb_open(const char *path, sqlite3 **out, struct mt_err *err);
/* As appdb_open, but migrates only up to version `target` (tests of every earlier
 * version's upgrade path). */
int appdb_open_at(const char *path, int target, sqlite3 **out, struct mt_err *err);
/* Finalizes any statement still prepared on db (kept across calls, as apikeys.c does) and
 * closes it. */
void appdb_close(sqlite3 *db);

/* PRAGMA user_version, or -1 with err. */
int appdb_version(sqlite3 *db, struct mt_err *err);

/* Runs sql (statements without results) on db; -1 with SQLite's message in err. */
int appdb_exec(sqlite3 *db, const char *sql, struct mt_err *err);

/* Copies the live database at src_path to dst_path with SQLite's online backup API (a
 * consistent copy while `serve` keeps writing; a file copy of a WAL database is not).
 * dst_path is written to a temporary file beside it and renamed over it when complete. */
int appdb_backup(const char *src_path, const char *dst_path, struct mt_err *err);

#endif
