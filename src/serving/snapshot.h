/* snapshot.h — serving-file helpers shared by export, status and rollback (src/serving only).
 *
 * Paths: from SERVING_DUCKDB_PATH "<dir>/<stem>.duckdb" come its siblings
 *   <dir>/<stem>_new.duckdb     the export being built (a stray one is debris of a crash)
 *   <dir>/<stem>.prev.duckdb    the previous snapshot, kept for rollback
 *   <dir>/<stem>.lock           flock(2) held by export and rollback while they work
 *                               (fs_lock_acquire, util/fsutil.h)
 * Checksums are computed by DuckDB, order-independent: the sum of hash(row::VARCHAR) over
 * the table, printed as text (HUGEINT, so it never overflows). The same SQL runs against
 * the lakehouse (source) and the new file, so a copy that lost or changed a row differs.

 * Crash points for the tests are util/testhook.h's. */
#ifndef MATERIA_SERVING_SNAPSHOT_H
#define MATERIA_SERVING_SNAPSHOT_H

#include <duckdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/config.h"
#include "util/err.h"

struct serving_paths {
    char *live;   /* SERVING_DUCKDB_PATH */
    char *dir;
    char *fresh;  /* <stem>_new.duckdb */
    char *prev;   /* <stem>.prev.duckdb */
    char *lock;   /* <stem>.lock */
};

void serving_paths_init(struct serving_paths *p, const char *live);
void serving_paths_free(struct serving_paths *p);

/* Row count and checksum of `qualified` (already quoted SQL name) on con. checksum is
 * written as decimal text into sum (at least 48 bytes). */
int serving_table_checksum(duckdb_connection con, const char *qualified, int64_t *rows,
                           char *sum, size_t sumlen, struct mt_err *err);

/* Opens path read-only and checks every _snapshot row against a fresh count and checksum
 * of its table. Returns 0 when the file is a complete snapshot; -1 with the table and
 * the mismatch (or the open error) in err. When id is not NULL and the file verifies,
 * *id gets its snapshot id (caller frees). */
int serving_verify_file(const char *path, char **id, struct mt_err *err);
/* min(column) of path's _snapshot table — column is "snapshot_id" or "run_id" — with the
 * file opened read-only; NULL with the reason in err when it cannot be read or _snapshot
 * is empty. Caller frees. */
char *serving_snapshot_field(const char *path, const char *column, struct mt_err *err);
/* The same check on a connection already open on the file (path only names it in err). */
int serving_verify_con(duckdb_connection con, const char *path, struct mt_err *err);
/* The check itself, without a path: every _snapshot row against a fresh count and checksum.
 * On failure bad_table (if bad_len) names the table; err->code is MT_ERR_DB when DuckDB
 * could not read the table back (a damaged file), MT_ERR_FORMAT on a mismatch. */
int serving_verify_tables(duckdb_connection con, char *bad_table, size_t bad_len, struct mt_err *err);

/* Makes `from` live keeping the previous live file as `prev` (hard link published over
 * prev, then `from` published over live; both fs_publish FS_PUBLISH_RENAME, so a failed
 * directory fsync is a warning, not a failure). `from` must already be durable
 * (fs_publish_prepare). Used by export (from = the new file). */
int serving_publish(const struct serving_paths *p, const char *from, struct mt_err *err);

/* Rollback: atomically exchanges live and prev (fs_publish FS_PUBLISH_EXCHANGE, with its
 * documented fallback where the file system lacks RENAME_EXCHANGE); with no live file,
 * prev is renamed to live. */
int serving_swap_prev(const struct serving_paths *p, struct mt_err *err);

#endif
