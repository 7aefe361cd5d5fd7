/* web_snapshot.c — see web_snapshot.h for the protocol. Invariants:
 *  - reader->cur, when set, holds one reference on it; it changes only under reader->mu.
 *  - a reference is only ever taken under reader->mu from reader->cur (so a snapshot whose
 *    count reached zero is unreachable and can be freed without a lock).
 *  - slot i's connection is used only by the thread owning slot i while it holds a
 *    reference, and by the thread freeing the snapshot (refs == 0, so nobody else). */
#include "web/web_snapshot.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "serving/contract.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/testhook.h"
#include "web/web_watchdog.h"


static atomic_int slot_counter;
static _Thread_local int tl_slot = -2;

int web_thread_slot(void)
{
    if (tl_slot == -2) {
        int s = atomic_fetch_add(&slot_counter, 1);
        tl_slot = s < WEB_MAX_SLOTS ? s : -1;
    }
    return tl_slot;
}

void web_conn_close(struct web_conn *wc)
{
    for (int i = 0; i < WEB_MAX_STMTS; i++)
        if (wc->stmts[i]) duckdb_destroy_prepare(&wc->stmts[i]);
    if (wc->cc_stmts)
        for (int i = 0; i < 2 * WEB_CC_SLOTS; i++)
            if (wc->cc_stmts[i]) duckdb_destroy_prepare(&wc->cc_stmts[i]);
    free(wc->cc_stmts);
    if (wc->con) duckdb_disconnect(&wc->con);
    memset(wc, 0, sizeof *wc);
}

static void cache_free_value(void *v);
static void (*cache_value_free_fn)(void *);

void web_snapshot_set_cache_free(void (*fn)(void *)) { cache_value_free_fn = fn; }
static void cache_free_value(void *v)
{
    if (cache_value_free_fn) cache_value_free_fn(v);
}

static void snapshot_free(struct web_snapshot *s)
{
    for (int i = 0; i < s->nslots; i++) web_conn_close(&s->conns[i]);
    free(s->conns);
    web_cache_free(&s->cache);
    if (s->db) duckdb_close(&s->db);
    atomic_fetch_sub(&s->reader->open_snapshots, 1);
    log_info("serve: closed snapshot %s (generation %llu)", s->snapshot_id,
             (unsigned long long)s->generation);
    free(s->snapshot_id);
    free(s->created_at);
    free(s->run_id);
    free(s->release_date);
    free(s);
}

void web_snapshot_release(struct web_snapshot *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) snapshot_free(s);
}

struct web_conn *web_snapshot_conn(struct web_snapshot *s, int slot, struct web_conn *tmp,
                                   struct mt_err *err)
{
    struct web_conn *wc = slot >= 0 && slot < s->nslots ? &s->conns[slot] : tmp;
    if (wc == tmp) memset(tmp, 0, sizeof *tmp);
    if (!wc->con && duckdb_connect(s->db, &wc->con) == DuckDBError) {
        wc->con = NULL;
        mt_errf(err, "cannot connect to snapshot %s", s->snapshot_id);
        return NULL;
    }
    return wc;
}

duckdb_prepared_statement web_conn_stmt(struct web_conn *wc, int id, const char *sql,
                                        struct mt_err *err)
{
    if (id < 0 || id >= WEB_MAX_STMTS) {
        mt_errf(err, "statement id %d out of range", id);
        return NULL;
    }
    if (wc->stmts[id]) return wc->stmts[id];
    if (duckdb_prepare(wc->con, sql, &wc->stmts[id]) == DuckDBError) {
        mt_errf(err, "cannot prepare statement %d: %s", id, duckdb_prepare_error(wc->stmts[id]));
        duckdb_destroy_prepare(&wc->stmts[id]);
        wc->stmts[id] = NULL;
        return NULL;
    }
    return wc->stmts[id];
}

/* Reads the identity of a freshly opened snapshot (already checked by
 * serving_snapshot_check, so the tables are there and whole). */
static int snapshot_identity(struct web_snapshot *s, duckdb_connection con, struct mt_err *err)
{
    duckdb_result res;
    const char *sql =
        "SELECT (SELECT min(snapshot_id) FROM _snapshot),"
        " (SELECT strftime(max(created_at), '%Y-%m-%dT%H:%M:%SZ') FROM _snapshot),"
        " (SELECT min(run_id) FROM _snapshot),"
        " (SELECT CAST(max(release_date) AS VARCHAR) FROM releases),"
        " (SELECT max(market_year) FROM coffee_balance)";
    int rc = -1;
    if (duckdb_query(con, sql, &res) == DuckDBError) {
        mt_errf(err, "not a serving snapshot: %s", duckdb_result_error(&res));
    } else if (duckdb_row_count(&res) != 1 || duckdb_value_is_null(&res, 0, 0)) {
        mt_errf(err, "not a serving snapshot: _snapshot has no snapshot_id");
    } else {
        char *v[4];
        for (int i = 0; i < 4; i++) {
            char *x = duckdb_value_is_null(&res, (idx_t)i, 0) ? NULL
                                                              : duckdb_value_varchar(&res, (idx_t)i, 0);
            v[i] = xstrdup(x ? x : "");
            duckdb_free(x);
        }
        s->snapshot_id = v[0];
        s->created_at = v[1];
        s->run_id = v[2];
        s->release_date = v[3];
        s->latest_year = duckdb_value_is_null(&res, 4, 0) ? 0 : duckdb_value_int32(&res, 4, 0);
        rc = 0;
    }
    duckdb_destroy_result(&res);
    return rc;
}

/* The serve side's DuckDB settings. Each must take: a database that could not be made
 * read-only, or could reach files and URLs outside itself, is not opened at all. */
static int open_config(duckdb_config *cfg, struct mt_err *err)
{
    static const char *const kv[][2] = {
        {"access_mode", "READ_ONLY"},
        /* One thread per database: these queries are tiny, and parallelism only costs. */
        {"threads", "1"},
        {"memory_limit", "128MB"}, /* tiny tables; bounds the buffer pool */
        {"autoinstall_known_extensions", "false"},
        {"autoload_known_extensions", "false"},
        {"enable_external_access", "false"},
    };
    if (duckdb_create_config(cfg) == DuckDBError) {
        mt_errf(err, "cannot create a DuckDB configuration");
        return -1;
    }
    for (size_t i = 0; i < MT_ARRAY_LEN(kv); i++) {
        if (testhook_fail("web_open_config") || duckdb_set_config(*cfg, kv[i][0], kv[i][1]) == DuckDBError) {
            mt_errf(err, "cannot set DuckDB option %s=%s; refusing to open the snapshot without it",
                kv[i][0], kv[i][1]);
            duckdb_destroy_config(cfg);
            return -1;
        }
    }
    return 0;
}

/* Opens and verifies path; st is the identity stat() saw just before. On failure pub gets
 * a reason fit for /health (no path, no engine text) and detail the full one. */
static struct web_snapshot *snapshot_open(struct web_reader *r, const struct stat *st, char *pub,
                                          size_t publen, char *detail, size_t detaillen)
{
    struct web_snapshot *s = xcalloc(1, sizeof *s);
    s->reader = r;
    s->dev = st->st_dev;
    s->ino = st->st_ino;
    duckdb_config cfg = NULL;
    char *open_err = NULL;
    struct mt_err ce = MT_ERR_INIT;
    if (open_config(&cfg, &ce) < 0) {
        snprintf(detail, detaillen, "%s", ce.msg);
        snprintf(pub, publen, "%s: cannot open serving snapshot: the read-only settings could not be applied",
                 r->base);
        free(s);
        return NULL;
    }
    duckdb_state ok = duckdb_open_ext(r->path, &s->db, cfg, &open_err);
    duckdb_destroy_config(&cfg);
    if (ok == DuckDBError) {
        snprintf(pub, publen, "%s: cannot open serving snapshot (not a DuckDB database, or unreadable)",
                 r->base);
        snprintf(detail, detaillen, "%s: cannot open serving snapshot: %s", r->path,
                 open_err ? open_err : "unknown error");
        duckdb_free(open_err);
        free(s);
        return NULL;
    }
    atomic_fetch_add(&r->open_snapshots, 1);
    duckdb_connection con = NULL;
    char p2[MT_ERR_LEN / 2] = "", d2[MT_ERR_LEN / 2] = "";
    int rc = -1;
    if (duckdb_connect(s->db, &con) == DuckDBError) {
        con = NULL;
        snprintf(p2, sizeof p2, "cannot connect");
        snprintf(d2, sizeof d2, "cannot connect");
    } else if (serving_snapshot_check(con, p2, sizeof p2, d2, sizeof d2) < 0) {
        /* both reasons set */
    } else if (snapshot_identity(s, con, &ce) < 0) {
        snprintf(d2, sizeof d2, "%.500s", ce.msg);
        snprintf(p2, sizeof p2, "_snapshot does not identify the snapshot");
    } else {
        rc = 0;
    }
    if (con) duckdb_disconnect(&con);
    if (rc < 0) {
        snprintf(pub, publen, "%s: snapshot refused: %s", r->base, p2);
        snprintf(detail, detaillen, "%s: snapshot refused: %s", r->path, d2);
        s->snapshot_id = xstrdup("(refused)"); /* for snapshot_free's log line */
        atomic_store(&s->refs, 1);
        web_snapshot_release(s);
        return NULL;
    }
    s->nslots = r->nslots;
    s->conns = xcalloc((size_t)s->nslots, sizeof *s->conns);
    web_cache_init(&s->cache, r->cache_on ? 20000 : 0, r->cache_on ? r->cache_max_bytes : 0,
                   cache_free_value);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(s->opened_at, sizeof s->opened_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    atomic_store(&s->refs, 1); /* the published reference */
    return s;
}

int web_reader_init(struct web_reader *r, const char *path, int nslots, bool cache_on, size_t cache_max_bytes,
                    struct mt_err *err)
{
    memset(r, 0, sizeof *r);
    int e = pthread_mutex_init(&r->mu, NULL);
    if (!e && (e = pthread_mutex_init(&r->open_mu, NULL)) != 0) pthread_mutex_destroy(&r->mu);
    if (e) {
        mt_errf(err, "serve: cannot initialise the snapshot reader: %s", strerror(e));
        return -1;
    }
    r->path = xstrdup(path);
    const char *slash = strrchr(path, '/');
    r->base = xstrdup(slash ? slash + 1 : path);
    r->nslots = nslots < 1 ? 1 : nslots > WEB_MAX_SLOTS ? WEB_MAX_SLOTS : nslots;
    r->cache_on = cache_on;
    r->cache_max_bytes = cache_max_bytes;
    return 0;
}

void web_reader_free(struct web_reader *r)
{
    pthread_mutex_lock(&r->mu);
    struct web_snapshot *old = r->cur;
    r->cur = NULL;
    pthread_mutex_unlock(&r->mu);
    web_snapshot_release(old);
    pthread_mutex_destroy(&r->mu);
    pthread_mutex_destroy(&r->open_mu);
    free(r->path);
    free(r->base);
    r->path = r->base = NULL;
}

void web_reader_error(struct web_reader *r, char *out, size_t outlen)
{
    pthread_mutex_lock(&r->mu);
    snprintf(out, outlen, "%s", r->error);
    pthread_mutex_unlock(&r->mu);
}

/* Takes a reference on cur when it still is st's file (or any cur when st is NULL). */
static struct web_snapshot *take_current(struct web_reader *r, const struct stat *st,
                                         bool *same)
{
    pthread_mutex_lock(&r->mu);
    struct web_snapshot *s = r->cur;
    *same = s && st && s->dev == st->st_dev && s->ino == st->st_ino;
    if (*same && r->gone) { /* the same file is back (e.g. linked again) */
        r->gone = false;
        r->error[0] = '\0';
    }
    if (s) atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&r->mu);
    return s;
}

static bool is_known_bad(struct web_reader *r, const struct stat *st)
{
    pthread_mutex_lock(&r->mu);
    bool bad = r->bad_valid && r->bad_dev == st->st_dev && r->bad_ino == st->st_ino &&
               r->bad_size == st->st_size && r->bad_mtime.tv_sec == st->st_mtim.tv_sec &&
               r->bad_mtime.tv_nsec == st->st_mtim.tv_nsec;
    pthread_mutex_unlock(&r->mu);
    return bad;
}

/* The opener's part: open, verify, publish (or remember the bad file). */
static void reader_swap(struct web_reader *r, const struct stat *st)
{
    char pub[MT_ERR_LEN], detail[MT_ERR_LEN];
    struct web_snapshot *s = snapshot_open(r, st, pub, sizeof pub, detail, sizeof detail);
    pthread_mutex_lock(&r->mu);
    struct web_snapshot *old = NULL;
    if (!s) {
        r->bad_valid = true;
        r->bad_dev = st->st_dev;
        r->bad_ino = st->st_ino;
        r->bad_size = st->st_size;
        r->bad_mtime = st->st_mtim;
        snprintf(r->error, sizeof r->error, "%s", pub);
        r->gone = false;
    } else {
        old = r->cur;
        s->generation = ++r->generation;
        r->cur = s;
        r->error[0] = '\0';
        r->gone = false;
        if (old) atomic_fetch_add(&r->swaps, 1);
    }
    pthread_mutex_unlock(&r->mu);
    if (s)
        log_info("serve: snapshot %s published (generation %llu, release %s)%s", s->snapshot_id,
                 (unsigned long long)s->generation, s->release_date, old ? ", previous draining" : "");
    else
        log_error("serve: %s%s", detail, " — keeping the previous snapshot");
    web_snapshot_release(old);
}

struct web_snapshot *web_reader_acquire(struct web_reader *r, struct mt_err *err)
{
    struct stat st;
    if (stat(r->path, &st) < 0) {
        /* The file vanished (deleted, or a rename not yet done): the open snapshot is still
         * whole — DuckDB holds its own descriptor — so it keeps serving; /health says the
         * file is gone. With nothing open there is nothing to serve: 503. */
        int e = errno;
        pthread_mutex_lock(&r->mu);
        struct web_snapshot *s = r->cur;
        if (s) atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
        bool first = !r->gone;
        r->gone = true;
        if (s)
            snprintf(r->error, sizeof r->error, "%s: the file is gone (%s); still serving snapshot %s",
                     r->base, strerror(e), s->snapshot_id);
        else
            snprintf(r->error, sizeof r->error, "%s: serving snapshot unavailable: %s", r->base,
                     strerror(e));
        if (!s) mt_errf(err, "%s", r->error);
        pthread_mutex_unlock(&r->mu);
        if (first && s)
            log_warn("serve: %s: %s; still serving snapshot %s from the open file", r->path,
                     strerror(e), s->snapshot_id);
        return s;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        bool same;
        struct web_snapshot *s = take_current(r, &st, &same);
        if (same) return s;
        if (is_known_bad(r, &st)) {
            if (s) return s; /* keep serving the previous snapshot; /health shows the error */
            web_reader_error(r, err->msg, sizeof err->msg);
            return NULL;
        }
        if (pthread_mutex_trylock(&r->open_mu) == 0) {
            /* Re-check under open_mu: another opener may have just published this inode. */
            web_snapshot_release(s);
            s = take_current(r, &st, &same);
            if (!same && !is_known_bad(r, &st)) {
                web_snapshot_release(s);
                reader_swap(r, &st);
                s = take_current(r, &st, &same);
            }
            pthread_mutex_unlock(&r->open_mu);
            if (s) return s;
            web_reader_error(r, err->msg, sizeof err->msg);
            return NULL;
        }
        if (s) return s; /* someone is opening the new file: keep using the current one */
        /* No snapshot at all: wait for the opener, then look again. */
        pthread_mutex_lock(&r->open_mu);
        pthread_mutex_unlock(&r->open_mu);
    }
    web_reader_error(r, err->msg, sizeof err->msg);
    if (!err->msg[0]) mt_errf(err, "%s: serving snapshot is being opened", r->base);
    return NULL;
}
