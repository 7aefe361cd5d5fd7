/* export.c — serving_export(): publish schema `serving` of the lakehouse as serving.duckdb.
 *
 * The lakehouse connection belongs to the caller (the pipeline's read-write one, or the
 * standalone command's read-only one); this file never opens the lakehouse itself.
 *
 * Order of work, and why (docs/ARCHITECTURE.md §3):
 *   lock <stem>.lock (flock) — two exports never interleave
 *   remove a stray <stem>_new.duckdb(.wal) — debris of a crashed export, never reused
 *   refuse unless the newest transform run is ok/nothing_to_do, and unless every serving
 *     table has rows (but those contract.h lets be empty: a source not landed yet) —
 *     checked before anything is written, so a refusal changes nothing
 *   ATTACH the new file from the lakehouse connection, CREATE TABLE new.main.t AS SELECT *
 *     FROM serving.t for each table and view, write _snapshot, DETACH
 *   open the new file, CHECKPOINT, close — no .wal may remain (it would not travel with
 *     the rename); fsync the file (fs_publish_prepare)
 *   reopen read-only and recompute every count and checksum against _snapshot
 *   link live -> prev, rename new -> live, fsync the directory (serving_publish, through
 *     util/fsutil.h's fs_publish: a failed directory fsync once new is live is a warning,
 *     and the export succeeds — the snapshot is published)
 * A crash (SIGKILL) at any point leaves live either the old or the new complete file; the
 * crash points are named for the tests (util/testhook.h). */
#include "serving/export.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/hash.h"

#include "serving/contract.h"
#include "serving/snapshot.h"
#include "util/common.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/runlog.h"
#include "util/strbuf.h"
#include "util/testhook.h"

#define ATTACH_ALIAS "materia_export_new"

struct export_table {
    char *name;
    char *qualified;  /* "catalog"."serving"."name" in the lakehouse */
    int64_t rows;
    char checksum[64];
};

struct export_job {
    struct export_table *tables;
    size_t n;
    char *catalog;
    char *run_id;     /* newest transform run */
};

static void job_free(struct export_job *j)
{
    for (size_t i = 0; i < j->n; i++) {
        free(j->tables[i].name);
        free(j->tables[i].qualified);
    }
    free(j->tables);
    free(j->catalog);
    free(j->run_id);
    memset(j, 0, sizeof *j);
}

static void remove_with_wal(const char *path, bool stray)
{
    char *wal = xasprintf("%s.wal", path);
    if (stray && (fs_exists(path) || fs_exists(wal)))
        log_warn("export-serving: removing stray %s from an interrupted export", path);
    unlink(path);
    unlink(wal);
    free(wal);
}

/* The newest transform run must have succeeded; its run_id goes into _snapshot. */
static int check_transform(duckdb_connection lake, struct export_job *j, struct mt_err *err)
{
    struct mt_err e2 = MT_ERR_INIT;
    struct runlog_last last;
    if (runlog_last(lake, RUNLOG_TRANSFORM, &last, &e2) < 0) {
        mt_errf(err, "lakehouse: %s", e2.msg);
        return -1;
    }
    int rc = 0;
    if (!last.table_exists) {
        mt_errf(err, "refusing to export: the lakehouse has no _materia.runs (no transform has run)");
        rc = -1;
    } else if (!last.found) {
        mt_errf(err, "refusing to export: no transform run in _materia.runs");
        rc = -1;
    } else if (last.status != RUNLOG_OK && last.status != RUNLOG_NOTHING_TO_DO) {
        mt_errf(err, "refusing to export: the last transform run %s has status '%s' "
            "(need ok or nothing_to_do)", last.run_id ? last.run_id : "?",
            last.status_name ? last.status_name : "NULL");
        rc = -1;
    } else {
        j->run_id = xstrdup(last.run_id ? last.run_id : "");
    }
    runlog_last_free(&last);
    return rc;
}

/* Every table and view of schema serving, each with rows > 0 (unless the contract lets it
 * be empty), with its source checksum. */
static int list_tables(duckdb_connection lake, struct export_job *j, struct mt_err *err)
{
    struct mt_err e2 = MT_ERR_INIT;
    if (db_query_str(lake, "SELECT current_database()", &j->catalog, &e2) < 0 || !j->catalog) {
        mt_errf(err, "lakehouse: cannot name the current database: %s", e2.msg);
        return -1;
    }
    duckdb_result res;
    if (db_query(lake, "SELECT table_name FROM information_schema.tables WHERE "
                       "table_catalog = current_database() AND table_schema = 'serving' "
                       "ORDER BY table_name", &res, &e2) < 0) {
        mt_errf(err, "lakehouse: cannot list schema serving: %s", e2.msg);
        return -1;
    }
    idx_t n = duckdb_row_count(&res);
    j->tables = xcalloc(n ? n : 1, sizeof *j->tables);
    for (idx_t i = 0; i < n; i++) {
        char *name = duckdb_value_varchar(&res, 0, i);
        struct export_table *t = &j->tables[j->n++];
        t->name = xstrdup(name ? name : "");
        duckdb_free(name);
        strbuf q;
        sb_init(&q);
        db_quote_ident(&q, j->catalog);
        sb_append(&q, ".serving.");
        db_quote_ident(&q, t->name);
        t->qualified = sb_detach(&q);
    }
    duckdb_destroy_result(&res);
    if (j->n == 0) {
        mt_errf(err, "refusing to export: the lakehouse has no tables or views in schema serving");
        return -1;
    }
    for (size_t i = 0; i < j->n; i++) {
        struct export_table *t = &j->tables[i];
        if (!strcmp(t->name, "_snapshot")) {
            mt_errf(err, "refusing to export: serving._snapshot is a reserved name");
            return -1;
        }
        if (serving_table_checksum(lake, t->qualified, &t->rows, t->checksum, sizeof t->checksum,
                                   &e2) < 0) {
            mt_errf(err, "lakehouse: serving.%s: %s", t->name, e2.msg);
            return -1;
        }
        if (t->rows == 0 && !serving_table_may_be_empty(t->name)) { /* contract.h */
            mt_errf(err, "refusing to export: serving.%s is empty", t->name);
            return -1;
        }
    }
    return 0;
}

static void make_snapshot_id(char *id, size_t idlen, char *created, size_t createdlen)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    id_make(id, idlen, NULL, now);
    strftime(created, createdlen, "%Y-%m-%d %H:%M:%S", &tm);
}

/* ATTACH, copy, write _snapshot, DETACH. On failure the attachment is dropped. */
static int copy_into(duckdb_connection lake, const struct export_job *j, const char *fresh,
                     const char *snapshot_id, const char *created, struct mt_err *err)
{
    struct mt_err e2 = MT_ERR_INIT;
    strbuf sql;
    sb_init(&sql);
    sb_append(&sql, "ATTACH ");
    db_quote_literal(&sql, fresh);
    /* DuckDB's defaults, named: the lakehouse connection (the pipeline's) makes new files
     * in the lakehouse's own format (util/db.c), and the snapshot must not follow it */
    sb_append(&sql, " AS " ATTACH_ALIAS " (READ_WRITE, BLOCK_SIZE " DB_SNAPSHOT_BLOCK_SIZE ", STORAGE_VERSION '" DB_SNAPSHOT_STORAGE "')");
    if (db_exec(lake, sql.buf, &e2) < 0) {
        mt_errf(err, "%s: cannot attach for writing: %s", fresh, e2.msg);
        sb_free(&sql);
        return -1;
    }
    int rc = -1;
    for (size_t i = 0; i < j->n; i++) {
        sb_reset(&sql);
        sb_append(&sql, "CREATE TABLE " ATTACH_ALIAS ".main.");
        db_quote_ident(&sql, j->tables[i].name);
        sb_appendf(&sql, " AS SELECT * FROM %s", j->tables[i].qualified);
        if (db_exec(lake, sql.buf, &e2) < 0) {
            mt_errf(err, "%s: copying serving.%s: %s", fresh, j->tables[i].name, e2.msg);
            goto out;
        }
        testhook_point("mid_copy");
    }
    sb_reset(&sql);
    sb_append(&sql, "CREATE TABLE " ATTACH_ALIAS ".main._snapshot (snapshot_id VARCHAR, "
                    "created_at TIMESTAMP, run_id VARCHAR, table_name VARCHAR, "
                    "row_count BIGINT, checksum VARCHAR); INSERT INTO " ATTACH_ALIAS
                    ".main._snapshot VALUES ");
    for (size_t i = 0; i < j->n; i++) {
        const struct export_table *t = &j->tables[i];
        if (i) sb_append(&sql, ", ");
        sb_append_char(&sql, '(');
        db_quote_literal(&sql, snapshot_id);
        sb_appendf(&sql, ", TIMESTAMP '%s', ", created);
        db_quote_literal(&sql, j->run_id);
        sb_append(&sql, ", ");
        db_quote_literal(&sql, t->name);
        sb_appendf(&sql, ", %lld, ", (long long)t->rows);
        db_quote_literal(&sql, t->checksum);
        sb_append_char(&sql, ')');
    }
    if (db_exec(lake, sql.buf, &e2) < 0) {
        mt_errf(err, "%s: writing _snapshot: %s", fresh, e2.msg);
        goto out;
    }
    rc = 0;
out:
    sb_free(&sql);
    if (db_exec(lake, "DETACH " ATTACH_ALIAS, &e2) < 0 && rc == 0) {
        mt_errf(err, "%s: cannot detach: %s", fresh, e2.msg);
        rc = -1;
    }
    return rc;
}

/* CHECKPOINT in a fresh open so the file stands alone, then make it durable. */
static int seal(const char *fresh, struct mt_err *err)
{
    struct db d;
    struct mt_err e2 = MT_ERR_INIT;
    if (db_open(&d, fresh, false, 1, &e2) < 0) {
        mt_errf(err, "%s", e2.msg);
        return -1;
    }
    int rc = db_exec(d.con, "CHECKPOINT", &e2);
    db_close(&d);
    if (rc < 0) {
        mt_errf(err, "%s: CHECKPOINT failed: %s", fresh, e2.msg);
        return -1;
    }
    char *wal = xasprintf("%s.wal", fresh);
    bool has_wal = fs_exists(wal);
    free(wal);
    if (has_wal) {
        mt_errf(err, "%s: a .wal remains after CHECKPOINT and close", fresh);
        return -1;
    }
    testhook_point("after_checkpoint");
    /* The first half of the publish (util/fsutil.h): the data is durable before any name
     * points at it. The directory is synced by the publish itself, after the rename. */
    if (fs_publish_prepare(fresh, err) < 0) return -1;
    testhook_point("after_fsync");
    return 0;
}

int serving_export(const struct config *cfg, duckdb_connection lake, struct export_outcome *out,
                   struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    const char *live = cfg->s.serving_duckdb_path;
    if (!live || !*live) {
        mt_errf(err, "SERVING_DUCKDB_PATH is not set");
        return -1;
    }
    struct serving_paths p;
    serving_paths_init(&p, live);
    struct export_job job;
    memset(&job, 0, sizeof job);
    int lock = -1, rc = -1;
    bool wrote = false;
    if (fs_mkdir_p(p.dir, err) < 0) goto out;
    if ((lock = fs_lock_acquire(p.lock, "export-serving or serving rollback", err)) < 0)
        goto out;
    remove_with_wal(p.fresh, true);
    if (check_transform(lake, &job, err) < 0) goto out;
    if (list_tables(lake, &job, err) < 0) goto out;

    char snapshot_id[64], created[32];
    make_snapshot_id(snapshot_id, sizeof snapshot_id, created, sizeof created);
    wrote = true;
    if (copy_into(lake, &job, p.fresh, snapshot_id, created, err) < 0) goto out;
    testhook_point("after_copy");
    if (seal(p.fresh, err) < 0) goto out;
    struct mt_err e2 = MT_ERR_INIT;
    if (serving_verify_file(p.fresh, NULL, &e2) < 0) {
        mt_errf(err, "verification of the new snapshot failed: %s", e2.msg);
        goto out;
    }
    testhook_point("after_verify");
    if (serving_publish(&p, p.fresh, err) < 0) goto out;

    snprintf(out->snapshot_id, sizeof out->snapshot_id, "%s", snapshot_id);
    out->tables = (int)job.n;
    for (size_t i = 0; i < job.n; i++) out->rows += job.tables[i].rows;
    rc = 0;
out:
    if (rc < 0 && wrote) remove_with_wal(p.fresh, false);
    fs_lock_release(lock);
    job_free(&job);
    serving_paths_free(&p);
    return rc;
}

bool serving_export_needed(const struct config *cfg, duckdb_connection lake)
{
    struct mt_err err = MT_ERR_INIT;
    const char *path = cfg->s.serving_duckdb_path;
    if (!fs_exists(path)) return true;
    char *run = serving_snapshot_field(path, "run_id", &err);
    if (!run) {
        log_warn("pipeline: the live snapshot cannot be read (%s): exporting", err.msg);
        return true;
    }
    int64_t newer = 0;
    bool stale = runlog_count_ok_after(lake, RUNLOG_TRANSFORM, run, &newer, &err) < 0 ||
                 newer > 0;
    if (stale) log_info("pipeline: the live snapshot (from transform run %s) is older than the lakehouse", run);
    free(run);
    return stale;
}
