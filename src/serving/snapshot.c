/* snapshot.c — see snapshot.h: sibling paths, checksums,
 * verification of a serving file, and the two ways a file becomes live (publish, swap).
 *
 * Invariant kept by serving_publish and serving_swap_prev: at every instant the live path
 * names a complete, checkpointed snapshot (or does not exist yet, before the first
 * export). Each change is one fs_publish (util/fsutil.h) within one directory: one
 * rename(2) or exchange, then fsync of the directory, with fs_publish's one rule for a
 * failed directory fsync (published: a warning, not a failure). */
#include "serving/snapshot.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/common.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/testhook.h"


void serving_paths_init(struct serving_paths *p, const char *live)
{
    p->live = xstrdup(live);
    p->dir = fs_dirname(live);
    char *base = fs_basename(live);
    size_t n = strlen(base);
    if (n > 7 && !strcmp(base + n - 7, ".duckdb")) base[n - 7] = '\0';
    char *fresh = xasprintf("%s_new.duckdb", base);
    char *prev = xasprintf("%s.prev.duckdb", base);
    char *lock = xasprintf("%s.lock", base);
    p->fresh = fs_join(p->dir, fresh);
    p->prev = fs_join(p->dir, prev);
    p->lock = fs_join(p->dir, lock);
    free(fresh);
    free(prev);
    free(lock);
    free(base);
}

void serving_paths_free(struct serving_paths *p)
{
    free(p->live);
    free(p->dir);
    free(p->fresh);
    free(p->prev);
    free(p->lock);
    memset(p, 0, sizeof *p);
}

int serving_table_checksum(duckdb_connection con, const char *qualified, int64_t *rows,
                           char *sum, size_t sumlen, struct mt_err *err)
{
    strbuf sql;
    sb_init(&sql);
    sb_appendf(&sql, "SELECT count(*)::BIGINT, coalesce(sum(hash(_r::VARCHAR)), 0)::VARCHAR "
                     "FROM %s AS _r", qualified);
    duckdb_result res;
    struct mt_err e2 = MT_ERR_INIT;
    int rc = db_query(con, sql.buf, &res, &e2);
    sb_free(&sql);
    if (rc < 0) {
        mt_errf(err, "checksum of %s: %s", qualified, e2.msg);
        return -1;
    }
    *rows = duckdb_value_int64(&res, 0, 0);
    char *v = duckdb_value_varchar(&res, 1, 0);
    snprintf(sum, sumlen, "%s", v ? v : "0");
    duckdb_free(v);
    duckdb_destroy_result(&res);
    return 0;
}

int serving_verify_file(const char *path, char **id, struct mt_err *err)
{
    struct db d;
    struct mt_err e2 = MT_ERR_INIT;
    if (id) *id = NULL;
    if (db_open(&d, path, true, 1, &e2) < 0) {
        mt_errf(err, "%s", e2.msg);
        return -1;
    }
    int rc = serving_verify_con(d.con, path, err);
    if (rc == 0 && id && db_query_str(d.con, "SELECT min(snapshot_id) FROM main._snapshot", id, &e2) < 0) {
        mt_errf(err, "%s: %s", path, e2.msg);
        rc = -1;
    }
    db_close(&d);
    return rc;
}

char *serving_snapshot_field(const char *path, const char *column, struct mt_err *err)
{
    struct db d;
    struct mt_err e2 = MT_ERR_INIT; /* room for the path before it in err */
    if (db_open(&d, path, true, 1, err) < 0) return NULL;
    char *sql = xasprintf("SELECT min(%s) FROM main._snapshot", column), *v = NULL;
    if (db_query_str(d.con, sql, &v, &e2) < 0) mt_errf(err, "%s: %s", path, e2.msg);
    else if (!v) mt_errf(err, "%s: _snapshot is empty", path);
    free(sql);
    db_close(&d);
    return v;
}

int serving_verify_tables(duckdb_connection con, char *bad_table, size_t bad_len, struct mt_err *err)
{
    struct mt_err e2 = MT_ERR_INIT;
    duckdb_result res;
    int rc = -1;
    if (bad_len) bad_table[0] = '\0';
    if (db_query(con, "SELECT table_name, row_count, checksum FROM main._snapshot "
                      "ORDER BY table_name", &res, &e2) < 0)
        return mt_err_set(err, MT_ERR_DB, "no readable _snapshot table: %s", e2.msg);
    idx_t n = duckdb_row_count(&res);
    if (n == 0) {
        mt_err_set(err, MT_ERR_FORMAT, "_snapshot is empty");
        goto out;
    }
    for (idx_t i = 0; i < n; i++) {
        char *name = duckdb_value_varchar(&res, 0, i);
        int64_t want_rows = duckdb_value_int64(&res, 1, i);
        char *want_sum = duckdb_value_varchar(&res, 2, i);
        strbuf q;
        sb_init(&q);
        sb_append(&q, "main.");
        db_quote_ident(&q, name ? name : "");
        int64_t rows = 0;
        char sum[64];
        int crc = serving_table_checksum(con, q.buf, &rows, sum, sizeof sum, &e2);
        sb_free(&q);
        bool bad = crc < 0 || rows != want_rows || !want_sum || strcmp(sum, want_sum) != 0;
        if (bad && bad_len) snprintf(bad_table, bad_len, "%s", name ? name : "?");
        if (crc < 0) /* DuckDB could not read it back: a damaged block, most likely */
            mt_err_set(err, MT_ERR_DB, "table %s: %s", name ? name : "?", e2.msg);
        else if (bad)
            mt_err_set(err, MT_ERR_FORMAT, "table %s: %lld rows, checksum %s; _snapshot says %lld rows, checksum %s",
                       name ? name : "?", (long long)rows, sum, (long long)want_rows,
                       want_sum ? want_sum : "NULL");
        duckdb_free(name);
        duckdb_free(want_sum);
        if (bad) goto out;
    }
    rc = 0;
out:
    duckdb_destroy_result(&res);
    return rc;
}

int serving_verify_con(duckdb_connection con, const char *path, struct mt_err *err)
{
    if (serving_verify_tables(con, NULL, 0, err) < 0) return mt_err_prefix(err, "%s", path);
    return 0;
}

int serving_publish(const struct serving_paths *p, const char *from, struct mt_err *err)
{
    /* 1. Keep the live file as prev: a second name for it published over prev, so prev
     *    is never missing or half-written and live is never touched. */
    if (fs_exists(p->live)) {
        if (fs_publish_link(p->live, p->prev, err) < 0) return -1;
        testhook_point("after_link_prev");
    }
    /* A WAL beside the live name would be replayed into the new file on its next open. */
    char *wal = xasprintf("%s.wal", p->live);
    if (fs_exists(wal)) {
        log_warn("serving: removing stray %s before publishing", wal);
        unlink(wal);
    }
    free(wal);
    /* 2. The commit point. A failed directory fsync after it is fs_publish's rule: the new
     *    snapshot is live, so it is a warning and the export reports success. */
    if (fs_publish(from, p->live, FS_PUBLISH_RENAME, err) < 0) return -1;
    testhook_point("after_rename");
    return 0;
}

int serving_swap_prev(const struct serving_paths *p, struct mt_err *err)
{
    /* Without a live file there is nothing to keep: prev simply becomes live. */
    bool have_live = fs_exists(p->live);
    if (fs_publish(p->prev, p->live, have_live ? FS_PUBLISH_EXCHANGE : FS_PUBLISH_RENAME,
                   err) < 0)
        return -1;
    if (have_live) testhook_point("after_swap");
    return 0;
}
