/* web_snapshot.h — the reader: the process-wide handle on the current serving snapshot.
 *
 * A web_snapshot is one read-only DuckDB database opened on SERVING_DUCKDB_PATH, with its
 * identity (st_dev, st_ino of the file it was opened from, and _snapshot.snapshot_id), a
 * generation number, a reference count, one DuckDB connection per worker slot (each with
 * its prepared statements) and the response cache. The reader publishes one "current"
 * snapshot; the published pointer holds one reference and every request holds another.
 *
 * web_reader_acquire() (every request): stat() the path. Same inode as the current
 * snapshot → take a reference and go (a mutex held for a pointer copy). A different inode
 * → exactly one thread (trylock) opens and verifies the new file, *outside* any lock the
 * others need; the others keep using the current snapshot meanwhile, so no request ever
 * waits on a swap (only when there is no snapshot at all do they wait for the opener).
 * Publishing swaps the pointer and drops the old snapshot's published reference; the old
 * database (its connections, statements and cache) is closed by whichever request drops
 * the last reference. A file that fails to open or verify is remembered by identity
 * (dev, ino, size, mtime) and not retried until it changes; the previous snapshot stays
 * current and the error shows in /health. A missing file does not unpublish the current
 * snapshot (DuckDB holds its own descriptor): it keeps serving and /health says the file is
 * gone; with nothing open the 503 names the reason. The file is picked up again when it
 * reappears. */
#ifndef MATERIA_WEB_SNAPSHOT_H
#define MATERIA_WEB_SNAPSHOT_H

#include <duckdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/common.h"
#include "util/err.h"
#include "web/web_cache.h"

#define WEB_MAX_STMTS 32
#define WEB_CC_SLOTS (36 * 36) /* two-character country codes of [A-Z0-9] */

/* One connection with its prepared statements (lazily prepared, by statement id), and the
 * per-country statements of web_api.c (NULL until the first one; 2 * WEB_CC_SLOTS). */
struct web_conn {
    duckdb_connection con;
    duckdb_prepared_statement stmts[WEB_MAX_STMTS];
    duckdb_prepared_statement *cc_stmts;
    unsigned queries; /* executed since connected (see WEB_CONN_RECYCLE) */
};

/* DuckDB 1.4 keeps ~2 KB per executed query on the connection until it is closed (measured:
 * RSS +37 MB per 20k queries on one connection, flat when reconnecting every 5k), so a
 * worker's connection is closed and reopened (statements re-prepared lazily) after this
 * many queries: <= ~4 MB per connection, one reconnect + re-prepare (~1-2 ms) per 2000. */
#define WEB_CONN_RECYCLE 2000u

struct web_snapshot {
    duckdb_database db;
    dev_t dev;
    ino_t ino;
    uint64_t generation;
    char *snapshot_id, *created_at, *run_id, *release_date; /* never NULL ("" if unknown) */
    char opened_at[32];
    int latest_year; /* max(coffee_balance.market_year), 0 if none */
    atomic_int refs;
    struct web_conn *conns; /* nslots, connected lazily by their own thread */
    int nslots;
    struct web_cache cache;
    struct web_reader *reader;
};

struct web_reader {
    char *path;
    char *base;               /* the file's name without its folder: what answers show */
    pthread_mutex_t mu;       /* guards cur, error, bad_* */
    pthread_mutex_t open_mu;  /* held by the one thread opening a new file */
    struct web_snapshot *cur; /* published snapshot or NULL */
    char error[MT_ERR_LEN];   /* why the file on disk is not (or no longer) served; "" —
                               * fit for answers: no path, no engine text (those are logged) */
    bool gone;                /* the file vanished; cur (if any) is still served */
    bool bad_valid;           /* identity of a file that failed to open or verify */
    dev_t bad_dev;
    ino_t bad_ino;
    off_t bad_size;
    struct timespec bad_mtime;
    uint64_t generation;      /* last generation handed out */
    atomic_ullong swaps;      /* snapshots replaced by a newer one */
    atomic_int open_snapshots;/* databases currently open (published or draining) */
    int nslots;
    bool cache_on;
    size_t cache_max_bytes;   /* each snapshot's cache budget (MATERIA_CACHE_MAX_BYTES) */
};

int web_reader_init(struct web_reader *r, const char *path, int nslots, bool cache_on, size_t cache_max_bytes,
                    struct mt_err *err);
/* Unpublishes the current snapshot; call after every request has released its own. */
void web_reader_free(struct web_reader *r);

/* The current snapshot with a reference taken, or NULL with the reason in err (503). */
struct web_snapshot *web_reader_acquire(struct web_reader *r, struct mt_err *err);
/* Drops a reference; the last one closes the database and frees everything it owns. */
void web_snapshot_release(struct web_snapshot *s);
/* Copies the reader's current error text ("" when the file on disk is being served). */
void web_reader_error(struct web_reader *r, char *out, size_t outlen);

/* This thread's worker slot (0..WEB_MAX_SLOTS-1, web_watchdog.h), assigned on its first
 * call and kept for the thread's life; -1 once WEB_MAX_SLOTS threads have taken one. A
 * slot of -1, or one at or past a snapshot's nslots, has no connection of its own: the
 * request then uses a private one (web_snapshot_conn's tmp). */
int web_thread_slot(void);

/* The connection of slot in s (connected on first use), or, for slot -1, tmp connected
 * afresh (the caller passes tmp to web_conn_close afterwards). NULL + err on failure. */
struct web_conn *web_snapshot_conn(struct web_snapshot *s, int slot, struct web_conn *tmp,
                                   struct mt_err *err);
/* Prepared statement id (< WEB_MAX_STMTS) of sql on wc, prepared on first use. */
duckdb_prepared_statement web_conn_stmt(struct web_conn *wc, int id, const char *sql,
                                        struct mt_err *err);
void web_conn_close(struct web_conn *wc);

/* How cached values are freed (the server caches MHD responses); set once at start. */
void web_snapshot_set_cache_free(void (*fn)(void *));

#endif
