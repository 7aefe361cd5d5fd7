/* state.c — the transform state in the lakehouse's _materia schema.
 *
 * Tables (runs and run_models, the contract of docs/ARCHITECTURE.md §2, are created here
 * with the others but owned — defined, written and read — by util/runlog.h):
 *   runs(run_id PK, kind, started_at, ended_at, status, message)      one row per run
 *   run_models(run_id, model, fingerprint, action, status, seconds, rows)
 *   models(model, fingerprint, def_hash, physical, kind, inputs_fp, last_run_at,
 *          promoted_at, run_id)           the live environment: one row per model
 *   versions(model, fingerprint, physical, kind, created_at, run_id, retired_at, dropped_at)
 *                                         every physical table/view ever built
 *   intervals(model, fingerprint, start_ts, end_ts, run_id, rows, processed_at)
 *                                         what incremental models have processed
 *   promotions(run_id, model, fingerprint, previous_fingerprint, promoted_at)
 *   environments(environment, <models' columns>)  non-prod environments (env.c)
 * Invariant: models.physical always names a complete object — it is written in the same
 * transaction that built the object and swapped the model's view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/engine.h"
#include "transform/env.h"
#include "util/err.h"
#include "util/common.h"
#include "util/db.h"
#include "util/runlog.h"

/* The transform's own tables; the run log's come from runlog_ddl(). */
static const char ddl[] =
    "CREATE TABLE IF NOT EXISTS _materia.models(model VARCHAR, fingerprint VARCHAR, def_hash VARCHAR,"
    " physical VARCHAR, kind VARCHAR, inputs_fp VARCHAR, last_run_at TIMESTAMP, promoted_at TIMESTAMP,"
    " run_id VARCHAR);"
    "CREATE TABLE IF NOT EXISTS _materia.versions(model VARCHAR, fingerprint VARCHAR, physical VARCHAR,"
    " kind VARCHAR, created_at TIMESTAMP, run_id VARCHAR, retired_at TIMESTAMP, dropped_at TIMESTAMP);"
    "CREATE TABLE IF NOT EXISTS _materia.intervals(model VARCHAR, fingerprint VARCHAR, start_ts TIMESTAMP,"
    " end_ts TIMESTAMP, run_id VARCHAR, rows BIGINT, processed_at TIMESTAMP);"
    "CREATE TABLE IF NOT EXISTS _materia.promotions(run_id VARCHAR, model VARCHAR, fingerprint VARCHAR,"
    " previous_fingerprint VARCHAR, promoted_at TIMESTAMP);";

/* Whether every table named in probe exists: binding "SELECT ... FROM t1, t2 ... LIMIT 0"
 * with duckdb_prepare resolves the names without executing anything. This is far cheaper
 * than duckdb_tables(), which computes every table's storage statistics. */
static bool state_tables_exist(duckdb_connection con, const char *probe)
{
    duckdb_prepared_statement ps = NULL;
    bool ok = duckdb_prepare(con, probe, &ps) == DuckDBSuccess;
    duckdb_destroy_prepare(&ps);
    return ok;
}

int state_init(duckdb_connection con, struct mt_err *err)
{
    struct mt_err e = MT_ERR_INIT;
    /* the common case (state exists) costs one bind instead of eight DDL commits */
    if (state_tables_exist(con, "SELECT 1 FROM " RUNLOG_TABLES ", _materia.models, "
                                "_materia.versions, _materia.intervals, _materia.promotions, "
                                "_materia.environments LIMIT 0"))
        return 0;
    /* one transaction: one commit (and WAL fsync) instead of one per statement; every table
     * IF NOT EXISTS, so a lakehouse made before a table existed (environments) gains it here */
    char *sql = xasprintf("BEGIN TRANSACTION; CREATE SCHEMA IF NOT EXISTS _materia; %s%s%s COMMIT;",
                          runlog_ddl(), ddl, env_ddl);
    int rc = db_exec(con, sql, &e);
    free(sql);
    if (rc < 0) {
        struct mt_err e2 = MT_ERR_INIT;
        db_exec(con, "ROLLBACK", &e2);
        mt_errf(err, "creating _materia state tables: %s", e.msg);
        return -1;
    }
    return 0;
}


int state_load_from(duckdb_connection con, const char *models_sql, const char *intervals_sql, struct state *st,
                    struct mt_err *err)
{
    memset(st, 0, sizeof *st);
    duckdb_result res;
    if (duckdb_query(con, models_sql, &res) == DuckDBError) {
        mt_errf(err, "reading the models' state: %s", duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        return -1;
    }
    idx_t rows = duckdb_row_count(&res);
    st->v = xcalloc(rows ? rows : 1, sizeof *st->v);
    for (idx_t r = 0; r < rows; r++) {
        struct model_state *m = &st->v[st->n++];
        m->model = db_value_text(&res, 0, r);
        m->fingerprint = db_value_text(&res, 1, r);
        m->def_hash = db_value_text(&res, 2, r);
        m->physical = db_value_text(&res, 3, r);
        m->inputs_fp = db_value_text(&res, 4, r);
        m->kind = db_value_text(&res, 5, r);
        m->last_run_us = duckdb_value_is_null(&res, 6, r) ? INT64_MIN : duckdb_value_int64(&res, 6, r);
    }
    duckdb_destroy_result(&res);
    if (duckdb_query(con, intervals_sql, &res) == DuckDBError) {
        mt_errf(err, "reading _materia.intervals: %s", duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        state_free(st);
        return -1;
    }
    rows = duckdb_row_count(&res);
    struct model_state *cur = NULL;
    for (idx_t r = 0; r < rows; r++) {
        char *name = duckdb_value_varchar(&res, 0, r);
        if (!cur || strcmp(cur->model, name)) cur = (struct model_state *)state_find(st, name);
        duckdb_free(name);
        if (cur) ranges_add(&cur->done, duckdb_value_int64(&res, 1, r), duckdb_value_int64(&res, 2, r));
    }
    duckdb_destroy_result(&res);
    return 0;
}

int state_load(duckdb_connection con, struct state *st, struct mt_err *err)
{
    memset(st, 0, sizeof *st);
    if (!state_tables_exist(con, "SELECT 1 FROM _materia.models, _materia.intervals LIMIT 0")) return 0;
    return state_load_from(con, "SELECT model, fingerprint, def_hash, physical, inputs_fp, kind, "
                                "epoch_us(last_run_at) FROM _materia.models ORDER BY model",
                           "SELECT i.model, epoch_us(i.start_ts), epoch_us(i.end_ts) FROM _materia.intervals i "
                           "JOIN _materia.models m ON m.model = i.model AND m.fingerprint = i.fingerprint "
                           "ORDER BY i.model, i.start_ts", st, err);
}

void state_free(struct state *st)
{
    for (size_t i = 0; i < st->n; i++) {
        struct model_state *m = &st->v[i];
        free(m->model);
        free(m->fingerprint);
        free(m->def_hash);
        free(m->physical);
        free(m->inputs_fp);
        free(m->kind);
        ranges_free(&m->done);
    }
    free(st->v);
    memset(st, 0, sizeof *st);
}

const struct model_state *state_find(const struct state *st, const char *model)
{
    size_t lo = 0, hi = st->n; /* sorted by model */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(st->v[mid].model, model);
        if (!c) return &st->v[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}
