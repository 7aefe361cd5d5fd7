/* runner.c — executes a plan: builds physical versions, audits them, swaps the views,
 * records the run. transform_run() (transform.h) is the pipeline's entry point.
 *
 * How a run is made crash-safe: the run row ('running') is committed first; then every
 * build, audit, view swap and state update of the run happens in ONE DuckDB transaction,
 * committed only when every model built and every audit passed. Inside it, a model's view
 * is swapped right after its audits so descendants built later in the same run read the
 * new version; outside it, readers see either the whole previous layer or the whole new
 * one. A SIGKILL before COMMIT leaves the lakehouse exactly as before the run (DuckDB
 * discards the uncommitted transaction on restart); the next run marks the stale
 * 'running' row failed and redoes the work. A half-built table is never referenced.
 * One exception, invisible to readers: a new version backfilled in batches commits each
 * batch before that transaction (commit_batches), so a killed backfill resumes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transform/engine.h"
#include "transform/kinds.h"
#include "transform/incr.h"
#include "transform/env.h"
#include "transform/columns_cast.h"
#include "transform/comments.h"
#include "transform/statements.h"
#include "transform/schedule.h"
#include "util/err.h"
#include "transform/transform.h"
#include "util/clock.h"
#include "util/common.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/runlog.h"
#include "util/testhook.h"

int transform_open_lakehouse(const struct config *cfg, struct db *d, struct mt_err *err)
{
    const char *path = cfg->s.duckdb_path;
    int rc;
    if (db_open_lakehouse(d, path, err) < 0) return -1;
    /* config.yaml's further `catalogs` (the first is the lakehouse itself): attached as
     * SQLMesh's DuckDB connection does (connection.py BaseDuckDBConnectionConfig) */
    for (size_t i = 0; cfg->has_project && i < cfg->project.n_catalogs; i++) {
        const struct project_catalog *c = &cfg->project.catalogs[i];
        strbuf sql;
        sb_init(&sql);
        sb_append(&sql, "ATTACH IF NOT EXISTS ");
        db_quote_literal(&sql, c->path);
        sb_append(&sql, " AS ");
        db_quote_ident(&sql, c->name);
        if (c->read_only) sb_append(&sql, " (READ_ONLY)");
        struct mt_err e = MT_ERR_INIT;
        rc = db_exec(d->con, sql.buf, &e);
        sb_free(&sql);
        if (rc < 0) {
            mt_errf(err, "%s:%d: attaching catalog %s (%s): %s", cfg->project.path, c->line, c->name, c->path, e.msg);
            db_close(d);
            return -1;
        }
    }
    return 0;
}

/* Runs sql; *rows gets the affected/created row count (-1 when not applicable). */
static int exec_rows(duckdb_connection con, const char *sql, int64_t *rows, struct mt_err *err)
{
    duckdb_result res;
    if (duckdb_query(con, sql, &res) == DuckDBError) {
        mt_errf(err, "%s", duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        return -1;
    }
    if (rows) {
        *rows = (int64_t)duckdb_rows_changed(&res);
        if (duckdb_column_count(&res) == 1 && duckdb_row_count(&res) == 1 &&
            !strcmp(duckdb_column_name(&res, 0), "Count"))
            *rows = duckdb_value_int64(&res, 0, 0);
    }
    duckdb_destroy_result(&res);
    return 0;
}

static void put_ts(strbuf *sb, int64_t us)
{
    char b[32];
    time_fmt_ts(us, b);
    sb_appendf(sb, "TIMESTAMP '%s'", b);
}

static void seed_sql(const struct model *m, strbuf *sb)
{
    char *path = seed_abs_path(m);
    sb_append(sb, "SELECT * FROM read_csv(");
    db_quote_literal(sb, path);
    sb_append(sb, ", header = true");
    seed_csv_options(m, sb); /* csv_settings, else pandas' defaults (seed_csv.c) */
    struct strlist names = {0}, types = {0};
    if (model_columns(m, &names, &types)) {
        sb_append(sb, ", columns = {");
        for (size_t i = 0; i < names.n; i++) {
            sb_append(sb, i ? ", " : "");
            db_quote_literal(sb, names.v[i]);
            sb_append(sb, ": ");
            db_quote_literal(sb, types.v[i]);
        }
        sb_append(sb, "}");
    }
    strlist_free(&names);
    strlist_free(&types);
    sb_append(sb, ")");
    free(path);
}

struct run_ctx {
    const struct config *cfg;
    duckdb_connection con;
    struct plan *pl;
    const char *run_id;
    struct mt_err *err;
    struct strlist schemas;  /* schemas this run already made sure of */
    /* State rows, written in one batch by the run's final statement (same transaction):
     * nothing in a run reads them back, and ~5 small statements per model cost more than
     * the engine's target allows (bench/RESULTS.md, engine overhead). Each holds
     * "(...), (...)" VALUES lists, or for the two WHERE lists "(...) OR (...)" conditions. */
    strbuf models_rows, models_gone, versions_rows, retired, promotions_rows, intervals_rows;
    strbuf audit_warnings;   /* failed non-blocking audits (lines): the ok run's message */
};

static void list_sep(strbuf *sb, const char *sep)
{
    if (sb->len) sb_append(sb, sep);
}

/* The deferred state rows as SQL (empty when there are none). */
static void deferred_sql(const struct run_ctx *rc, strbuf *out)
{
    /* a non-prod environment's rows go to _materia.environments (env.c), prod's to models */
    const char *env = rc->pl->env;
    if (rc->models_gone.len && env)
        sb_appendf(out, "DELETE FROM _materia.environments WHERE environment = '%s' AND model IN (%s);\n", env,
                   rc->models_gone.buf);
    else if (rc->models_gone.len)
        sb_appendf(out, "DELETE FROM _materia.models WHERE model IN (%s);\n", rc->models_gone.buf);
    if (rc->models_rows.len)
        sb_appendf(out, "INSERT INTO _materia.%s VALUES %s;\n", env ? "environments" : "models", rc->models_rows.buf);
    if (rc->retired.len)
        sb_appendf(out, "UPDATE _materia.versions SET retired_at = now()::TIMESTAMP WHERE retired_at IS NULL AND (%s);\n",
                   rc->retired.buf);
    if (rc->versions_rows.len) sb_appendf(out, "INSERT INTO _materia.versions VALUES %s;\n", rc->versions_rows.buf);
    if (rc->promotions_rows.len)
        sb_appendf(out, "INSERT INTO _materia.promotions VALUES %s;\n", rc->promotions_rows.buf);
    if (rc->intervals_rows.len) sb_appendf(out, "INSERT INTO _materia.intervals VALUES %s;\n", rc->intervals_rows.buf);
}

static void run_ctx_free(struct run_ctx *rc)
{
    strlist_free(&rc->schemas);
    sb_free(&rc->models_rows);
    sb_free(&rc->models_gone);
    sb_free(&rc->versions_rows);
    sb_free(&rc->retired);
    sb_free(&rc->promotions_rows);
    sb_free(&rc->intervals_rows);
    sb_free(&rc->audit_warnings);
}

static int render(struct run_ctx *rc, const struct plan_item *it, int64_t s, int64_t e, strbuf *out)
{
    const struct model *m = &rc->pl->proj.models[it->m];
    struct render_ctx ctx;
    project_render_ctx(&rc->pl->proj, it->m, rc->cfg, &ctx);
    ctx.con = rc->con;
    ctx.this_model = it->physical;
    ctx.start_us = s;
    ctx.end_us = e;
    ctx.exec_us = rc->pl->exec_us;
    strbuf raw, named;
    sb_init(&raw);
    sb_init(&named);
    int r = macro_render(m->query, m->file, m->query_line, &ctx, &raw, rc->err);
    strbuf q;
    sb_init(&q);
    if (r == 0) r = names_qualify(&rc->pl->proj, it->m, rc->con, raw.buf, it->physical, &named, rc->err);
    if (r == 0) r = embedded_expand(&rc->pl->proj, it->m, &ctx, named.buf, &q, rc->err); /* kind_embedded.c */
    /* declared columns: the query's projections as declared (columns_cast.c) */
    if (r == 0 && !columns_cast_query(m, q.buf, out)) sb_append(out, q.buf);
    sb_free(&q);
    sb_free(&raw);
    sb_free(&named);
    return r;
}

/* Runs the model's pre- or post-statements (statements.c) for the interval [s, e): stage
 * 'creating' while its table does not exist yet (a new version's first batch), else
 * 'evaluating' — as SQLMesh's evaluator renders them (evaluator.py _evaluate_snapshot). */
static int run_stmts(struct run_ctx *rc, const struct plan_item *it, enum stmt_kind kind, bool creating, int64_t s,
                     int64_t e)
{
    struct stmts_env env = {.this_model = it->physical, .runtime_stage = creating ? "creating" : "evaluating",
                            .start_us = s, .end_us = e, .exec_us = rc->pl->exec_us};
    return stmts_run(&rc->pl->proj, it->m, rc->cfg, rc->con, kind, &env, rc->err);
}

/* A model that reads its own rows needs its table before its first query: created empty
 * from its declared columns (as SQLMesh's evaluator does: should_create_empty_table). */
static int create_empty(struct run_ctx *rc, const struct plan_item *it)
{
    const struct model *m = &rc->pl->proj.models[it->m];
    return db_execf(rc->con, rc->err, "CREATE OR REPLACE TABLE %s (%s)", it->physical, m->columns);
}

/* by the time column's type, as SQLMesh (time_column.c) */
static void time_filter(strbuf *sb, const struct model *m, int kind, int64_t s, int64_t e)
{
    sb_append(sb, " WHERE ");
    time_column_filter(sb, m, (enum time_col_kind)kind, s, e);
}

/* "k1, k2" — the model's unique key, each column prefixed with alias (may be ""). */
static void key_list(strbuf *sb, const struct model *m, const char *alias)
{
    for (size_t k = 0; k < m->unique_key.n; k++) {
        sb_appendf(sb, "%s%s", k ? ", " : "", alias);
        db_quote_ident(sb, m->unique_key.v[k]);
    }
}

/* "_t.k1 = _c.k1 AND ..." — the join of a physical row (_t) to a batch row (_c) by key.
 * `=`, not IS NOT DISTINCT FROM: DuckDB pushes the batch's key ranges into the scan of the
 * physical table only for `=` (a refresh's audits went from ~55 to ~140 ms without it).
 * So NULL keys are refused instead (null_key_check): with `=` such a row would never be
 * found again, and each refresh would insert it once more. */
static void key_match(strbuf *sb, const struct model *m)
{
    for (size_t k = 0; k < m->unique_key.n; k++) {
        sb_append(sb, k ? " AND _t." : "_t.");
        db_quote_ident(sb, m->unique_key.v[k]);
        sb_append(sb, " = _c.");
        db_quote_ident(sb, m->unique_key.v[k]);
    }
}

/* Fails (model, key, count in err) when a row of table has a NULL in the unique key. Cheap
 * when there is none: DuckDB's column statistics answer IS NULL without a scan. */
static int null_key_check(struct run_ctx *rc, const struct model *m, const char *table)
{
    strbuf sql, keys;
    sb_init(&sql);
    sb_init(&keys);
    key_list(&keys, m, "");
    sb_appendf(&sql, "SELECT count(*) FROM %s WHERE ", table);
    for (size_t k = 0; k < m->unique_key.n; k++) {
        sb_append(&sql, k ? " OR " : "");
        db_quote_ident(&sql, m->unique_key.v[k]);
        sb_append(&sql, " IS NULL");
    }
    int64_t n = 0;
    int r = db_query_i64(rc->con, sql.buf, &n, NULL, rc->err);
    if (r == 0 && n > 0) {
        mt_errf(rc->err, "%lld rows have a NULL in the unique key (%s); a unique key must not be NULL",
                 (long long)n, keys.buf);
        r = -1;
    }
    sb_free(&sql);
    sb_free(&keys);
    return r;
}

/* True when the model refreshes an existing INCREMENTAL_BY_UNIQUE_KEY version this run: its
 * changed keys are collected in temp._materia_touched and only those rows are audited. */
static bool key_refresh(const struct model *m, const struct plan_item *it)
{
    return m->kind == KIND_INCR_KEY && !it->new_version && !it->recreate && it->todo.n > 0 && !merge_needed(m);
}

/* Processes one range of an incremental model into it->physical. */
static int incr_range(struct run_ctx *rc, const struct plan_item *it, int64_t s, int64_t e, bool create,
                      int64_t *rows)
{
    const struct model *m = &rc->pl->proj.models[it->m];
    strbuf q, sql;
    sb_init(&q);
    sb_init(&sql);
    bool self_ref = rc->pl->proj.self_ref && rc->pl->proj.self_ref[it->m];
    int r = run_stmts(rc, it, STMT_PRE, create, s, e); /* per batch, as SQLMesh */
    if (r == 0 && create && self_ref) r = create_empty(rc, it);
    if (r == 0) r = render(rc, it, s, e, &q);
    struct plan_item *mit = &rc->pl->items[it - rc->pl->items];
    if (r == 0 && m->kind == KIND_INCR_TIME && !it->time_kind) { /* the time column's type, once a run */
        char *rel = create ? xasprintf("(%s\n)", q.buf) : xstrdup(it->physical);
        enum time_col_kind tk = TIME_COL_TEMPORAL;
        r = time_column_detect(rc->con, m, rel, &tk, rc->err);
        mit->time_kind = (int)tk;
        free(rel);
    }
    if (r == 0 && kind_is_scd2(m->kind)) {
        /* an empty range (a new version with nothing due) only makes the table */
        r = scd2_build(rc->con, m, it->physical, it->keep ? it->cur->physical : NULL, create, s < e, q.buf,
                       rc->pl->exec_us, rows, rc->err);
    } else if (r == 0 && create && self_ref) {
        /* the empty table exists: the first range is inserted like any other */
        sb_appendf(&sql, "INSERT INTO %s BY NAME SELECT * FROM (%s\n) AS _materia_q", it->physical, q.buf);
        if (m->kind == KIND_INCR_TIME) time_filter(&sql, m, it->time_kind, s, e);
        r = exec_rows(rc->con, sql.buf, rows, rc->err);
        if (r == 0 && m->kind == KIND_INCR_KEY && !merge_needed(m)) r = null_key_check(rc, m, it->physical);
    } else if (r == 0 && create) {
        sb_appendf(&sql, "CREATE OR REPLACE TABLE %s AS SELECT * FROM (%s\n) AS _materia_q", it->physical, q.buf);
        if (m->kind == KIND_INCR_TIME) time_filter(&sql, m, it->time_kind, s, e);
        r = exec_rows(rc->con, sql.buf, rows, rc->err);
        if (r == 0 && m->kind == KIND_INCR_KEY && !merge_needed(m)) r = null_key_check(rc, m, it->physical);
    } else if (r == 0 && kind_refresh_sql(m, it->physical, q.buf, &sql)) { /* kind_partition.c */
        r = exec_rows(rc->con, sql.buf, rows, rc->err);
        if (r == 0 && kind_refresh_cleanup(m)) r = db_exec(rc->con, kind_refresh_cleanup(m), rc->err);
    } else if (r == 0 && m->kind == KIND_INCR_TIME) {
        strbuf cols;
        sb_init(&cols);
        r = forward_only_insert_columns(rc->con, m, it->physical, q.buf, &cols, rc->err);
        sb_appendf(&sql, "DELETE FROM %s", it->physical);
        time_filter(&sql, m, it->time_kind, s, e);
        sb_appendf(&sql, ";\nINSERT INTO %s BY NAME SELECT %s FROM (%s\n) AS _materia_q", it->physical, cols.buf, q.buf);
        sb_free(&cols);
        time_filter(&sql, m, it->time_kind, s, e);
        if (r == 0) r = exec_rows(rc->con, sql.buf, rows, rc->err);
    } else if (r == 0 && merge_needed(m)) {
        r = merge_into(rc->con, &rc->pl->proj, it->m, rc->cfg, it->physical, q.buf, s, e, rc->pl->exec_us, rows, rc->err);
    } else if (r == 0) {
        /* Upsert only the keys whose rows are new or differ. The batch is materialised once;
         * the EXCEPT compares it with the physical rows of the batch's keys only (a SEMI JOIN on
         * the key), not with the whole table: comparing with all of it hashed every row of a
         * large model on each refresh (bench/RESULTS.md, scale). The changed keys are added to
         * temp._materia_touched, which the model's audits read (audit_target). */
        sb_appendf(&sql, "CREATE OR REPLACE TEMP TABLE _materia_batch AS SELECT * FROM (%s\n) AS _materia_q", q.buf);
        r = db_exec(rc->con, sql.buf, rc->err);
        if (r == 0) r = null_key_check(rc, m, "temp._materia_batch");
        sb_reset(&sql);
        sb_appendf(&sql, "CREATE OR REPLACE TEMP TABLE _materia_changed AS SELECT * FROM temp._materia_batch "
                   "EXCEPT SELECT _t.* FROM %s AS _t SEMI JOIN temp._materia_batch AS _c ON ", it->physical);
        key_match(&sql, m);
        sb_appendf(&sql, ";\nDELETE FROM %s AS _t USING temp._materia_changed AS _c WHERE ", it->physical);
        key_match(&sql, m);
        sb_appendf(&sql, ";\nINSERT INTO %s BY NAME SELECT * FROM temp._materia_changed;\n", it->physical);
        if (key_refresh(m, it)) { /* not on a new version's later batches: nothing audits them apart */
            sb_append(&sql, "INSERT INTO temp._materia_touched SELECT DISTINCT ");
            key_list(&sql, m, "");
            sb_append(&sql, " FROM temp._materia_changed;\n");
        }
        sb_append(&sql, "SELECT count(*) AS \"Count\" FROM temp._materia_changed");
        if (r == 0) r = exec_rows(rc->con, sql.buf, rows, rc->err);
        if (r == 0)
            r = db_exec(rc->con, "DROP TABLE IF EXISTS temp._materia_changed; DROP TABLE IF EXISTS temp._materia_batch",
                        rc->err);
    }
    if (r == 0 && create) r = comments_register(&rc->pl->proj, it->m, rc->con, it->physical, false, rc->err);
    if (r == 0) r = run_stmts(rc, it, STMT_POST, create, s, e);
    if (r == 0) {
        strbuf *iv = &rc->intervals_rows;
        list_sep(iv, ", ");
        sb_append(iv, "(");
        db_quote_literal(iv, m->name);
        sb_appendf(iv, ", '%s', ", it->fp);
        put_ts(iv, s);
        sb_append(iv, ", ");
        put_ts(iv, e);
        sb_appendf(iv, ", '%s', %lld, now()::TIMESTAMP)", rc->run_id, (long long)*rows);
    }
    sb_free(&q);
    sb_free(&sql);
    return r;
}

/* For a unique-key refresh: the physical rows of the keys it wrote, materialised once into
 * temp._materia_audited, which its audits then read (several audits, some reading their
 * target twice, would each redo the join against the whole physical table). */
static int key_refresh_rows(struct run_ctx *rc, const struct model *m, const struct plan_item *it)
{
    strbuf sql;
    sb_init(&sql);
    sb_appendf(&sql, "CREATE OR REPLACE TEMP TABLE _materia_audited AS SELECT _t.* FROM %s AS _t "
               "SEMI JOIN temp._materia_touched AS _c ON ", it->physical);
    key_match(&sql, m);
    int r = db_exec(rc->con, sql.buf, rc->err);
    sb_free(&sql);
    return r;
}

/* What a model's audits read (@this_model): the new physical version — except for an
 * INCREMENTAL_BY_TIME_RANGE model refreshing an existing version, where only the rows of the
 * intervals just processed are audited (as SQLMesh does), and an INCREMENTAL_BY_UNIQUE_KEY
 * model refreshing one, where only the rows of the keys this run wrote are: re-auditing the
 * whole history after each refresh cost more than the refresh itself (bench/RESULTS.md,
 * scale). Rows not written by the run were audited when they were. */
static void audit_target(const struct model *m, const struct plan_item *it, strbuf *out)
{
    if (key_refresh(m, it)) {
        sb_append(out, "temp._materia_audited"); /* key_refresh_rows() */
        return;
    }
    if (m->kind != KIND_INCR_TIME || it->new_version || it->todo.n == 0) {
        sb_append(out, it->physical);
        return;
    }
    sb_appendf(out, "(SELECT * FROM %s WHERE ", it->physical);
    for (size_t k = 0; k < it->todo.n; k++) {
        sb_append(out, k ? " OR (" : "(");
        time_column_filter(out, m, (enum time_col_kind)it->time_kind, it->todo.v[k].s, it->todo.v[k].e);
        sb_append(out, ")");
    }
    sb_append(out, ")");
}

/* The interval a model's audits are rendered with (@start_ds, @end_ds, ...): what this run
 * processed — an incremental model's missing intervals (first start to last end), else the
 * model's start to the execution time, as build() renders the query. SQLMesh renders a
 * model's audits with the start and end it evaluated (scheduler.py evaluate -> audit). */
static void audit_times_of(const struct run_ctx *rc, const struct model *m, const struct plan_item *it,
                           struct audit_times *t)
{
    int64_t exec = rc->pl->exec_us;
    *t = (struct audit_times){.start_us = 0, .end_us = exec, .exec_us = exec};
    if (kind_interval_based(m->kind)) {
        if (it->todo.n == 0) t->start_us = exec;
        else t->start_us = it->todo.v[0].s, t->end_us = it->todo.v[it->todo.n - 1].e;
    } else if (m->kind != KIND_SEED) {
        t->start_us = model_start_at(m, rc->pl->exec_us);
    }
}

static const char *action_of(const struct model *m, const struct plan_item *it)
{
    if (it->promote_only) return "promote";
    if (m->kind == KIND_VIEW) return "view";
    if (m->kind == KIND_EMBEDDED) return "embed";
    if (it->new_version) return "create";
    if (forward_only_migrate_only(m, it)) return "migrate";
    if (m->kind == KIND_INCR_TIME) return "insert";
    if (m->kind == KIND_INCR_KEY) return "upsert";
    if (m->kind == KIND_INCR_UNMANAGED && !m->insert_overwrite) return "append";
    if (m->kind == KIND_INCR_PARTITION || m->kind == KIND_INCR_UNMANAGED) return "overwrite";
    if (kind_is_scd2(m->kind)) return "merge";
    return "rebuild";
}

/* A forward-only SCD version keeps the live version's intervals (plan.c): recorded again
 * under the new fingerprint. */
static void keep_intervals(struct run_ctx *rc, const struct plan_item *it)
{
    const struct model *m = &rc->pl->proj.models[it->m];
    for (size_t k = 0; k < it->cur->done.n; k++) {
        strbuf *iv = &rc->intervals_rows;
        list_sep(iv, ", ");
        sb_append(iv, "(");
        db_quote_literal(iv, m->name);
        sb_appendf(iv, ", '%s', ", it->fp);
        put_ts(iv, it->cur->done.v[k].s);
        sb_append(iv, ", ");
        put_ts(iv, it->cur->done.v[k].e);
        sb_appendf(iv, ", '%s', 0, now()::TIMESTAMP)", rc->run_id);
    }
}

/* Builds one model's physical object. */
static int build(struct run_ctx *rc, const struct plan_item *it, int64_t *rows)
{
    const struct model *m = &rc->pl->proj.models[it->m];
    *rows = -1;
    if (!strlist_has(&rc->schemas, m->schema)) {
        if (db_execf(rc->con, rc->err, "CREATE SCHEMA IF NOT EXISTS \"materia__%s\"; CREATE SCHEMA IF NOT "
                     "EXISTS \"%s\"", m->schema, m->schema) < 0)
            return -1;
        strlist_push(&rc->schemas, m->schema);
    }
    if (m->kind == KIND_EMBEDDED) return 0; /* nothing to build (kind_embedded.c) */
    if (it->forward_only && m->kind != KIND_VIEW) {
        /* migrate the live table to the new query's columns first (forward_only.c) */
        strbuf q;
        sb_init(&q);
        int64_t s = it->todo.n ? it->todo.v[0].s : rc->pl->exec_us, e = it->todo.n ? it->todo.v[0].e : rc->pl->exec_us;
        if (m->kind == KIND_FULL) s = model_start_at(m, rc->pl->exec_us), e = rc->pl->exec_us;
        int r = render(rc, it, s, e, &q);
        if (r == 0) r = forward_only_migrate(rc->con, rc->pl, it, q.buf, &rc->audit_warnings, rc->err);
        sb_free(&q);
        if (r < 0 || forward_only_migrate_only(m, it)) return r;
    }
    if (it->batched) { /* its batches are committed already (commit_batches) */
        *rows = it->batched_rows;
        return 0;
    }
    if (kind_interval_based(m->kind)) {
        *rows = 0;
        if (it->keep) keep_intervals(rc, it);
        if (key_refresh(m, it)) {
            strbuf sql;
            sb_init(&sql);
            sb_append(&sql, "CREATE OR REPLACE TEMP TABLE _materia_touched AS SELECT ");
            key_list(&sql, m, "");
            sb_appendf(&sql, " FROM %s LIMIT 0", it->physical);
            int r = db_exec(rc->con, sql.buf, rc->err);
            sb_free(&sql);
            if (r < 0) return -1;
        }
        if (it->new_version && it->todo.n == 0) /* start is after the execution time: empty table */
            return incr_range(rc, it, rc->pl->exec_us, rc->pl->exec_us, true, rows);
        bool first = it->new_version || it->recreate; /* recreate: restated from its first interval */
        for (size_t k = 0; k < it->todo.n; k++) {
            /* batch_size: at most that many intervals per query, as SQLMesh's scheduler
             * batches them (scheduler.py batch_intervals) */
            for (int64_t s = it->todo.v[k].s, e; s < it->todo.v[k].e; s = e) {
                e = it->todo.v[k].e;
                if (m->batch_size > 0) {
                    int64_t b = s;
                    for (long q = 0; q < m->batch_size && b < e; q++) b = cron_next(m->unit, b);
                    if (b < e) e = b;
                }
                int64_t n = 0;
                if (incr_range(rc, it, s, e, first, &n) < 0) return -1;
                first = false;
                *rows += n;
            }
        }
        return 0;
    }
    strbuf q, sql;
    sb_init(&q);
    sb_init(&sql);
    int64_t s = m->kind == KIND_SEED ? 0 : model_start_at(m, rc->pl->exec_us);
    int r = run_stmts(rc, it, STMT_PRE, it->new_version, s, rc->pl->exec_us);
    if (r == 0 && m->kind == KIND_SEED) seed_sql(m, &q);
    else if (r == 0) {
        if (it->new_version && rc->pl->proj.self_ref && rc->pl->proj.self_ref[it->m]) r = create_empty(rc, it);
        if (r == 0) r = render(rc, it, s, rc->pl->exec_us, &q);
    }
    if (r == 0) {
        sb_appendf(&sql, "CREATE OR REPLACE %s %s AS %s", m->kind == KIND_VIEW ? "VIEW" : "TABLE", it->physical, q.buf);
        r = exec_rows(rc->con, sql.buf, m->kind == KIND_VIEW ? NULL : rows, rc->err);
    }
    /* a replaced table or view lost its comments (SQLMesh comments it on every replace_query) */
    if (r == 0) r = comments_register(&rc->pl->proj, it->m, rc->con, it->physical, m->kind == KIND_VIEW, rc->err);
    if (r == 0) r = run_stmts(rc, it, STMT_POST, it->new_version, s, rc->pl->exec_us);
    sb_free(&q);
    sb_free(&sql);
    return r;
}

/* Swaps the model's view to the new version (now: descendants built later in this run read
 * it) and queues the state rows recording it as live (written by the run's last statement). */
static int promote(struct run_ctx *rc, const struct plan_item *it)
{
    const struct model *m = &rc->pl->proj.models[it->m];
    strbuf view;
    sb_init(&view);
    int r;
    if (rc->pl->env && m->kind == KIND_EMBEDDED) {
        r = 0; /* an EMBEDDED model has no view in any environment (kind_embedded.c) */
    } else if (rc->pl->env) {
        strbuf sql;
        sb_init(&sql);
        env_view_sql(&rc->pl->proj, m, rc->pl->env, it->physical, &sql);
        r = db_exec(rc->con, sql.buf, rc->err);
        sb_free(&sql);
        env_view_name(&rc->pl->proj, m, rc->pl->env, false, &view); /* for comments and statements */
    } else {
        names_view(&rc->pl->proj, m, &view);
        /* an EMBEDDED model has no view: promoting it drops one left by an earlier kind
         * (snapshot/evaluator.py EmbeddedStrategy.promote) */
        r = m->kind == KIND_EMBEDDED ? db_execf(rc->con, rc->err, "DROP VIEW IF EXISTS %s", view.buf)
          : db_execf(rc->con, rc->err, "CREATE OR REPLACE VIEW %s AS SELECT * FROM %s", view.buf, it->physical);
    }
    if (r == 0 && m->kind != KIND_EMBEDDED)
        r = comments_register(&rc->pl->proj, it->m, rc->con, view.buf, true, rc->err);
    if (r == 0 && it->new_version && m->kind != KIND_EMBEDDED) {
        /* ON_VIRTUAL_UPDATE statements, @this_model the view, when the view moves to a new
         * version (SQLMesh: evaluator.py _promote_snapshot, runtime stage 'promoting') */
        struct stmts_env env = {.this_model = view.buf, .runtime_stage = "promoting",
                                .start_us = m->kind == KIND_SEED ? 0 : model_start_at(m, rc->pl->exec_us),
                                .end_us = rc->pl->exec_us, .exec_us = rc->pl->exec_us};
        r = stmts_run(&rc->pl->proj, it->m, rc->cfg, rc->con, STMT_ON_VIRTUAL_UPDATE, &env, rc->err);
    }
    sb_free(&view);
    if (r < 0) return -1;
    list_sep(&rc->models_gone, ", ");
    db_quote_literal(&rc->models_gone, m->name);
    strbuf *mr = &rc->models_rows;
    list_sep(mr, ", ");
    sb_append(mr, "(");
    if (rc->pl->env) sb_appendf(mr, "'%s', ", rc->pl->env);
    db_quote_literal(mr, m->name);
    sb_appendf(mr, ", '%s', '%s', ", it->fp, it->def_hash);
    db_quote_literal(mr, it->physical);
    sb_appendf(mr, ", '%s', '%s', ", model_kind_name(m->kind), it->inputs_fp);
    put_ts(mr, rc->pl->exec_us);
    sb_appendf(mr, ", now()::TIMESTAMP, '%s')", rc->run_id);
    if (it->new_version || it->reused) {
        strbuf *vr = &rc->versions_rows, *pr = rc->pl->env ? NULL : &rc->promotions_rows; /* prod's history */
        if (it->new_version) {
            list_sep(vr, ", ");
            sb_append(vr, "(");
            db_quote_literal(vr, m->name);
            sb_appendf(vr, ", '%s', ", it->fp);
            db_quote_literal(vr, it->physical);
            sb_appendf(vr, ", '%s', now()::TIMESTAMP, '%s', NULL, NULL)", model_kind_name(m->kind), rc->run_id);
        } else { /* reused (env.c): live again */
            strbuf u;
            sb_init(&u);
            sb_append(&u, "UPDATE _materia.versions SET retired_at = NULL WHERE model = ");
            db_quote_literal(&u, m->name);
            sb_appendf(&u, " AND fingerprint = '%s'", it->fp);
            r = db_exec(rc->con, u.buf, rc->err);
            sb_free(&u);
            if (r < 0) return -1;
        }
        if (pr) {
            list_sep(pr, ", ");
            sb_appendf(pr, "('%s', ", rc->run_id);
            db_quote_literal(pr, m->name);
            sb_appendf(pr, ", '%s', %s%s%s, now()::TIMESTAMP)", it->fp, it->cur ? "'" : "",
                       it->cur ? it->cur->fingerprint : "NULL", it->cur ? "'" : "");
        }
        if (it->cur && !it->cur_shared) { /* never prod's live version from another environment */
            list_sep(&rc->retired, " OR ");
            /* by physical: after forward-only changes the live fingerprint is not the one
             * that built the table (forward_only.c) */
            sb_append(&rc->retired, "(model = ");
            db_quote_literal(&rc->retired, m->name);
            sb_append(&rc->retired, " AND physical = ");
            db_quote_literal(&rc->retired, it->cur->physical);
            sb_append(&rc->retired, ")");
        }
    }
    return 0;
}

static int remove_model(struct run_ctx *rc, const char *name)
{
    const struct model_state *s = state_find(&rc->pl->st, name);
    const char *dot = strchr(name, '.');
    if (!s || !dot) return 0;
    strbuf sql;
    sb_init(&sql);
    /* the removed model's schema may be the lakehouse catalog's name (names.c) */
    sb_append(&sql, "DROP VIEW IF EXISTS ");
    if (names_collide(&rc->pl->proj) ||
        (strlen(rc->pl->proj.catalog) == (size_t)(dot - name) && !strncmp(name, rc->pl->proj.catalog, (size_t)(dot - name)))) {
        db_quote_ident(&sql, rc->pl->proj.catalog);
        sb_append_char(&sql, '.');
    }
    sb_appendf(&sql, "\"%.*s\".\"%s\";\nDELETE FROM _materia.models WHERE model = ", (int)(dot - name), name, dot + 1);
    db_quote_literal(&sql, name);
    sb_append(&sql, ";\nUPDATE _materia.versions SET retired_at = now()::TIMESTAMP WHERE retired_at IS NULL AND model = ");
    db_quote_literal(&sql, name);
    int r = db_exec(rc->con, sql.buf, rc->err);
    sb_free(&sql);
    return r;
}

/* Records a failed run (one statement, outside the rolled-back transaction): its status and
 * message, and its model rows — those that had built say 'rolled_back', since the run's
 * transaction took their work with it. */
static void record_run(duckdb_connection con, const char *run_id, enum runlog_status status, const char *message,
                       const strbuf *models)
{
    struct mt_err e = MT_ERR_INIT;
    if (runlog_end(con, run_id, status, message, models, true, &e) < 0)
        log_error("transform: recording run %s: %s", run_id, e.msg);
}

/* One model of a run, inside the run's open transaction: build (or refresh its keys),
 * audit, promote, and add its run_models row to rows. 0, or -1 with err; *fail_status
 * then says how the run failed (an audit, or anything else). */
static int run_model(struct run_ctx *rc, const struct plan_item *it, strbuf *rows, FILE *out,
                     struct transform_outcome *oc, enum runlog_status *fail_status, struct mt_err *err)
{
    const struct plan *pl = rc->pl;
    duckdb_connection con = rc->con;
    const struct model *m = &pl->proj.models[it->m];
    double ts = clock_mono_ms() / 1e3;
    int64_t n = -1;
    const char *action = action_of(m, it);
    struct mt_err e = MT_ERR_INIT;
    rc->err = &e;
    int r = it->promote_only ? 0 : build(rc, it, &n);
    if (r < 0) mt_errf(err, "%s: %s failed: %s", m->name, action, e.msg);
    double tb = clock_mono_ms() / 1e3;
    if (r == 0 && key_refresh(m, it) && (r = key_refresh_rows(rc, m, it)) < 0)
        mt_errf(err, "%s: %s failed: %s", m->name, action, e.msg);
    strbuf target;
    sb_init(&target);
    audit_target(m, it, &target);
    struct audit_times at;
    audit_times_of(rc, m, it, &at);
    if (r == 0 && !forward_only_migrate_only(m, it) && !it->promote_only &&
        (r = audits_run(&pl->proj, m, target.buf, rc->cfg, con, &at, &rc->audit_warnings, err)) < 0)
        *fail_status = err->code == MT_ERR_AUDIT ? RUNLOG_AUDIT_FAILED : RUNLOG_FAILED;
    log_debug("transform: %s: build %.1f ms, audits %.1f ms", m->name, (tb - ts) * 1e3,
              ((clock_mono_ms() / 1e3) - tb) * 1e3);
    sb_free(&target);
    if (r == 0 && key_refresh(m, it) &&
        (r = db_exec(con, "DROP TABLE IF EXISTS temp._materia_touched; DROP TABLE IF EXISTS temp._materia_audited",
                     &e)) < 0)
        mt_errf(err, "%s: %s", m->name, e.msg);
    if (r == 0 && (r = promote(rc, it)) < 0) mt_errf(err, "%s: promotion failed: %s", m->name, e.msg);
    double secs = (clock_mono_ms() / 1e3) - ts;
    runlog_model_row(rows, oc->run_id, m->name, it->fp, action, r == 0 ? RUNLOG_OK : *fail_status, secs, n);
    if (r < 0) return -1;
    /* built and promoted, inside the run's still-open transaction: the crash-safety test
     * kills the run here (util/testhook.h) */
    char point[160];
    snprintf(point, sizeof point, "after_model_%s", m->name);
    testhook_point(point);
    oc->models_rebuilt++;
    char nb[32] = "-";
    if (n >= 0) snprintf(nb, sizeof nb, "%lld", (long long)n);
    if (out) fprintf(out, "  %-7s %-40s %-10s %8.3fs %10s rows\n", action, m->name, reason_name(it->reason),
                     secs, nb);
    else log_info("transform: %s %s (%s) %.3fs %s rows", action, m->name, reason_name(it->reason), secs, nb);
    return 0;
}

/* config.yaml's before_all / after_all (which names them): each statement rendered through
 * the macro renderer (variables, @gateway, the run's times) and run, all in one
 * transaction of their own — as SQLMesh's scheduler does (scheduler.py
 * run_merged_intervals: execute_environment_statements in adapter.transaction(), before_all
 * before the models, after_all in `finally`, so also after a failed run; neither on a run
 * with nothing to do). 0, or -1 with err naming the statement. */
static int env_statements(struct run_ctx *rc, const char *which, struct mt_err *err)
{
    const struct project *p = &rc->pl->proj;
    if (!p->conf) return 0;
    bool before = !strcmp(which, "before_all");
    const struct strlist *l = before ? &p->conf->before_all : &p->conf->after_all;
    if (l->n == 0) return 0;
    struct render_ctx ctx = {.cfg = rc->cfg, .vars = p->vars, .gateway = p->conf->gateway, .con = rc->con,
                             .start_us = 0, .end_us = rc->pl->exec_us, .exec_us = rc->pl->exec_us};
    strbuf sql;
    sb_init(&sql);
    sb_append(&sql, "BEGIN TRANSACTION;\n");
    int r = 0;
    char *where = xasprintf("%s (%s)", p->conf->path, which);
    for (size_t i = 0; i < l->n && r == 0; i++) {
        strbuf one;
        sb_init(&one);
        r = macro_render(l->v[i], where, before ? p->conf->before_all_line : p->conf->after_all_line, &ctx, &one, err);
        if (r == 0) sb_appendf(&sql, "%s;\n", one.buf);
        sb_free(&one);
    }
    free(where);
    sb_append(&sql, "COMMIT");
    struct mt_err e = MT_ERR_INIT;
    if (r == 0 && (r = db_exec(rc->con, sql.buf, &e)) < 0) {
        mt_errf(err, "%s:%d: %s failed: %s", p->conf->path, before ? p->conf->before_all_line : p->conf->after_all_line,
                which, e.msg);
        db_exec(rc->con, "ROLLBACK", &e);
    }
    sb_free(&sql);
    return r;
}

/* The run's last statement: the state rows it deferred (run_ctx), its run-log rows, and
 * COMMIT — one round trip. 0, or -1 with err. */
static int commit_run(struct run_ctx *rc, const strbuf *rows, struct mt_err *err)
{
    struct mt_err e = MT_ERR_INIT;
    strbuf fin;
    sb_init(&fin);
    deferred_sql(rc, &fin);
    /* not now(): inside the run's transaction that is the time the transaction began */
    char ended[32];
    time_fmt_ts(time_now_us(), ended);
    runlog_end_sql(&fin, rc->run_id, RUNLOG_OK, rc->audit_warnings.len ? rc->audit_warnings.buf : NULL, rows, false,
                   ended);
    sb_append(&fin, "COMMIT");
    double tc = clock_mono_ms();
    int r = db_exec(rc->con, fin.buf, &e);
    log_debug("transform: commit %.1f ms", clock_mono_ms() - tc);
    sb_free(&fin);
    if (r < 0) mt_errf(err, "committing run %s: %s", rc->run_id, e.msg);
    return r;
}

/* Batches that survive a crash. A new version of an INCREMENTAL_BY_TIME_RANGE model with
 * batch_size is backfilled before the run's transaction, each batch in a transaction of its
 * own with its interval row (as SQLMesh's scheduler commits each batch). Nothing reads that
 * table before the run's transaction promotes it, so readers still see the whole previous
 * layer or the whole new one. Only a model none of whose parents run in this run: its
 * batches read committed data, the same as inside the run. A killed run leaves the batches
 * it committed, with their interval rows under the new fingerprint; the next run (same
 * fingerprint) skips the batches those rows cover and goes on with the next. The model's
 * audits and promotion stay in the run's transaction. */
static bool commits_batches(const struct plan *pl, const struct plan_item *it)
{
    const struct model *m = &pl->proj.models[it->m];
    if (m->kind != KIND_INCR_TIME || m->batch_size <= 0 || !it->new_version || it->todo.n == 0) return false;
    for (size_t q = 0; q < pl->proj.n_parents[it->m]; q++)
        for (size_t k = 0; k < pl->n; k++)
            if (pl->items[k].m == pl->proj.parents[it->m][q] && pl->items[k].run) return false;
    return true;
}

static int commit_batches(struct run_ctx *rc, struct plan_item *it)
{
    const struct model *m = &rc->pl->proj.models[it->m];
    struct ranges done = {0}; /* batches a killed run committed for this fingerprint */
    strbuf sql;
    sb_init(&sql);
    sb_append(&sql, "SELECT epoch_us(start_ts), epoch_us(end_ts) FROM _materia.intervals WHERE model = ");
    db_quote_literal(&sql, m->name);
    sb_appendf(&sql, " AND fingerprint = '%s'", it->fp);
    duckdb_result res;
    if (duckdb_query(rc->con, sql.buf, &res) == DuckDBError) {
        mt_errf(rc->err, "%s", duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        sb_free(&sql);
        return -1;
    }
    for (idx_t r = 0; r < duckdb_row_count(&res); r++)
        ranges_add(&done, duckdb_value_int64(&res, 0, r), duckdb_value_int64(&res, 1, r));
    duckdb_destroy_result(&res);
    bool first = done.n == 0;
    int r = db_execf(rc->con, rc->err, "CREATE SCHEMA IF NOT EXISTS \"materia__%s\"; CREATE SCHEMA IF NOT EXISTS \"%s\"",
                     m->schema, m->schema);
    for (size_t k = 0; r == 0 && k < it->todo.n; k++)
        for (int64_t s = it->todo.v[k].s, e; r == 0 && s < it->todo.v[k].e; s = e) {
            int64_t b = s;
            for (long q = 0; q < m->batch_size && b < it->todo.v[k].e; q++) b = cron_next(m->unit, b);
            e = b < it->todo.v[k].e ? b : it->todo.v[k].e;
            bool covered = false;
            for (size_t d = 0; d < done.n; d++) covered |= done.v[d].s <= s && e <= done.v[d].e;
            if (covered) continue;
            int64_t n = 0;
            sb_reset(&rc->intervals_rows);
            r = db_exec(rc->con, "BEGIN TRANSACTION", rc->err);
            if (r == 0) r = incr_range(rc, it, s, e, first, &n);
            sb_reset(&sql);
            sb_appendf(&sql, "INSERT INTO _materia.intervals VALUES %s; COMMIT", rc->intervals_rows.buf);
            if (r == 0) r = db_exec(rc->con, sql.buf, rc->err);
            if (r < 0) {
                struct mt_err e2 = MT_ERR_INIT;
                db_exec(rc->con, "ROLLBACK", &e2);
            }
            first = false;
            it->batched_rows += n;
            char point[160];
            snprintf(point, sizeof point, "after_batch_%s", m->name);
            if (r == 0) testhook_point(point);
        }
    sb_reset(&rc->intervals_rows);
    ranges_free(&done);
    sb_free(&sql);
    it->batched = r == 0;
    return r;
}

int runner_execute(const struct config *cfg, duckdb_connection con, int64_t exec_us, FILE *out,
                   struct transform_outcome *oc, char **stamp_out, struct mt_err *err)
{
    struct plan_opts o = {.exec_us = exec_us};
    return runner_execute_opts(cfg, con, &o, out, oc, stamp_out, err);
}

int runner_execute_opts(const struct config *cfg, duckdb_connection con, const struct plan_opts *o, FILE *out,
                        struct transform_outcome *oc, char **stamp_out, struct mt_err *err)
{
    int64_t exec_us = o->exec_us;
    if (stamp_out) *stamp_out = NULL;
    memset(oc, 0, sizeof *oc);
    double t0 = clock_mono_ms() / 1e3;
    double tm0 = clock_mono_ms();
    if (state_init(con, err) < 0) return -1;
    log_debug("transform: state_init %.1f ms", clock_mono_ms() - tm0);
    id_make(oc->run_id, sizeof oc->run_id, NULL, time(NULL));
    struct plan pl;
    strbuf rows;
    sb_init(&rows);
    struct mt_err e2 = MT_ERR_INIT;
    /* A stale 'running' row means a run was killed: runlog_begin/runlog_record mark it
     * failed (no other process can hold the lakehouse). */
    struct timespec planned_at; /* before the plan reads any input: see noop_stamp_describe */
    clock_gettime(CLOCK_REALTIME, &planned_at);
    int prc = plan_build_env(cfg, con, true, exec_us, o->env, &pl, err);
    char env_suffix[80]; /* "__ENV" (env_name_check keeps names shorter) */
    if (prc == 0) prc = env_plan_apply(&pl, con, err);
    if (prc == 0 && o->restate.n) prc = restate_apply(&pl, con, o, err);
    if (prc == 0 && pl.env) {
        snprintf(env_suffix, sizeof env_suffix, "__%s", pl.env);
        pl.proj.env_suffix = env_suffix;
    }
    if (pl.env || o->restate.n) stamp_out = NULL; /* the no-op stamp answers for prod's plain run only */
    if (prc < 0) plan_free(&pl);
    if (prc == 0 && pl.n_run == 0 && pl.removed.n == 0) {
        /* the no-op run: one commit */
        double tm1 = clock_mono_ms();
        if (runlog_record(con, RUNLOG_TRANSFORM, oc->run_id, RUNLOG_NOTHING_TO_DO, NULL, &e2) < 0)
            log_error("transform: recording run %s: %s", oc->run_id, e2.msg);
        else if (stamp_out)
            *stamp_out = noop_stamp_describe(cfg, &pl, &planned_at);
        log_debug("transform: recording the no-op run %.1f ms", clock_mono_ms() - tm1);
        oc->models_total = (int)pl.n;
        if (out) fprintf(out, "nothing to do (%zu models unchanged)\n", pl.n);
        else log_info("transform: nothing to do (%zu models unchanged)", pl.n);
        plan_free(&pl);
        sb_free(&rows);
        return 0;
    }
    if (runlog_begin(con, RUNLOG_TRANSFORM, oc->run_id, NULL, &e2) < 0) {
        if (prc == 0) mt_errf(err, "recording the run in the run log: %s", e2.msg);
        else log_error("transform: recording run %s in the run log: %s", oc->run_id, e2.msg); /* err: the plan's */
        if (prc == 0) plan_free(&pl);
        sb_free(&rows);
        return -1;
    }
    if (prc < 0) {
        record_run(con, oc->run_id, RUNLOG_FAILED, err->msg, &rows);
        sb_free(&rows);
        return -1;
    }
    oc->models_total = (int)pl.n;
    struct run_ctx rc = {.cfg = cfg, .con = con, .pl = &pl, .run_id = oc->run_id, .err = err};
    sb_init(&rc.models_rows);
    sb_init(&rc.models_gone);
    sb_init(&rc.versions_rows);
    sb_init(&rc.retired);
    sb_init(&rc.promotions_rows);
    sb_init(&rc.intervals_rows);
    sb_init(&rc.audit_warnings);
    int r = env_statements(&rc, "before_all", err);
    bool began = r == 0; /* a failed before_all stops the run before its try/finally: no after_all */
    for (size_t k = 0; k < pl.n && r == 0; k++)
        if (pl.items[k].run && commits_batches(&pl, &pl.items[k])) {
            struct mt_err e = MT_ERR_INIT;
            rc.err = &e;
            if ((r = commit_batches(&rc, &pl.items[k])) < 0)
                mt_errf(err, "%s: create failed: %s", pl.proj.models[pl.items[k].m].name, e.msg);
        }
    if (r == 0) r = db_exec(con, "BEGIN TRANSACTION", err);
    if (r == 0 && o->restate.n) r = restate_clear(&pl, con, err);
    enum runlog_status fail_status = RUNLOG_FAILED;
    for (size_t k = 0; k < pl.n && r == 0; k++)
        if (pl.items[k].run) r = run_model(&rc, &pl.items[k], &rows, out, oc, &fail_status, err);
    for (size_t k = 0; k < pl.removed.n && r == 0; k++) {
        struct mt_err e = MT_ERR_INIT;
        rc.err = &e;
        if ((r = pl.env ? env_remove_model(&pl, con, pl.removed.v[k], &e) : remove_model(&rc, pl.removed.v[k])) < 0) mt_errf(err, "%s: removing: %s", pl.removed.v[k], e.msg);
        else if (out) fprintf(out, "  %-7s %s\n", "remove", pl.removed.v[k]);
        if (r == 0) runlog_model_row(&rows, oc->run_id, pl.removed.v[k], "", "remove", RUNLOG_OK, 0, -1);
    }
    if (r == 0 && (r = audits_run_standalone(&pl.proj, cfg, con, pl.exec_us, &rc.audit_warnings, err)) < 0)
        fail_status = RUNLOG_FAILED;
    if (r == 0) r = commit_run(&rc, &rows, err);
    if (r < 0) {
        struct mt_err e = MT_ERR_INIT;
        db_exec(con, "ROLLBACK", &e);
        if (began && env_statements(&rc, "after_all", &e) < 0) log_error("transform: %s", e.msg);
        record_run(con, oc->run_id, fail_status, err->msg, &rows);
        oc->models_rebuilt = 0;
        if (out) fprintf(out, "run %s: %s\n", oc->run_id, runlog_status_name(fail_status));
    } else if ((r = env_statements(&rc, "after_all", err)) < 0) {
        record_run(con, oc->run_id, RUNLOG_FAILED, err->msg, &rows);
        if (out) fprintf(out, "run %s: %s\n", oc->run_id, runlog_status_name(RUNLOG_FAILED));
    } else if (out) {
        fprintf(out, "run %s: %d of %zu models run in %.3fs\n", oc->run_id, oc->models_rebuilt, pl.n, (clock_mono_ms() / 1e3) - t0);
    } else {
        log_info("transform: run %s: %d of %zu models run in %.3fs", oc->run_id, oc->models_rebuilt, pl.n,
                 (clock_mono_ms() / 1e3) - t0);
    }
    run_ctx_free(&rc);
    plan_free(&pl);
    sb_free(&rows);
    return r;
}

int transform_run(const struct config *cfg, duckdb_connection lake, struct transform_outcome *out, struct mt_err *err)
{
    int64_t exec_us;
    memset(out, 0, sizeof *out);
    if (plan_exec_time(cfg, NULL, &exec_us, err) < 0) return -1;
    return runner_execute(cfg, lake, exec_us, NULL, out, NULL, err);
}
