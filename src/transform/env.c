/* env.c — SQLMesh's virtual data environments: `materia plan dev`, `materia run --environment
 * dev`, `materia invalidate dev`.
 *
 * An environment is a set of views, one per model, pointing at physical versions. prod is
 * the live environment: views "<schema>"."<table>", recorded in _materia.models (state.c).
 * Any other environment ENV has its views in "<schema>__ENV"."<table>" (SQLMesh's default
 * environment_suffix_target 'schema': snapshot/definition.py qualified_view_name) and its
 * rows in _materia.environments(environment, <the columns of _materia.models>). Physical
 * versions ("materia__<schema>"."<table>__<fp16>") are shared: a model unchanged in ENV
 * points at prod's table and is never built or refreshed by ENV, so prod's data is never
 * touched by a dev run; a changed model (and everything downstream of it) gets a new
 * version only ENV's views see, as `sqlmesh plan dev` does (context.py: a dev plan backfills
 * only the modified models). A new environment starts from prod (context.py create_from).
 * While ENV builds, references to models in a query read ENV's views (names.c, through
 * project.env_suffix). The serving export reads schema `serving` only, never serving__ENV.
 * A version that already exists is never built again (reuse_versions): running dev's change
 * in prod promotes dev's table. `materia invalidate ENV` drops ENV's views and rows and
 * retires the versions nothing references any more; the janitor drops those
 * (janitor_cmd.c). */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "transform/engine.h"
#include "transform/schedule.h"
#include "transform/env.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/db.h"
#include "util/err.h"
#include "util/log.h"

const char env_ddl[] =
    "CREATE TABLE IF NOT EXISTS _materia.environments(environment VARCHAR, model VARCHAR, fingerprint VARCHAR,"
    " def_hash VARCHAR, physical VARCHAR, kind VARCHAR, inputs_fp VARCHAR, last_run_at TIMESTAMP,"
    " promoted_at TIMESTAMP, run_id VARCHAR);";

int env_name_check(char *name, struct mt_err *err)
{
    if (!*name || strlen(name) > 64) return mt_errf(err, "expected an environment name (at most 64 characters)");
    /* environment.py sanitize_name: lower-case, anything but [a-z0-9_] becomes '_' */
    for (char *c = name; *c; c++) {
        *c = (char)tolower((unsigned char)*c);
        if (!isalnum((unsigned char)*c) && *c != '_') *c = '_';
    }
    return 0;
}

static bool table_exists(duckdb_connection con, const char *probe)
{
    duckdb_prepared_statement ps = NULL;
    bool ok = duckdb_prepare(con, probe, &ps) == DuckDBSuccess;
    duckdb_destroy_prepare(&ps);
    return ok;
}


/* Rows of environment env in _materia.environments (0 when it does not exist). */
static int64_t env_rows(duckdb_connection con, const char *env)
{
    if (!table_exists(con, "SELECT 1 FROM _materia.environments LIMIT 0")) return 0;
    strbuf sql;
    sb_init(&sql);
    sb_append(&sql, "SELECT count(*) FROM _materia.environments WHERE environment = ");
    db_quote_literal(&sql, env);
    int64_t n = 0;
    struct mt_err e = MT_ERR_INIT;
    if (db_query_i64(con, sql.buf, &n, NULL, &e) < 0) n = 0;
    sb_free(&sql);
    return n;
}

int env_state_load(duckdb_connection con, const char *env, struct state *st, struct mt_err *err)
{
    if (env_rows(con, env) == 0) return state_load(con, st, err);
    strbuf models, intervals;
    sb_init(&models);
    sb_init(&intervals);
    sb_append(&models, "SELECT model, fingerprint, def_hash, physical, inputs_fp, kind, epoch_us(last_run_at) "
                       "FROM _materia.environments WHERE environment = ");
    db_quote_literal(&models, env);
    sb_append(&models, " ORDER BY model");
    sb_append(&intervals, "SELECT i.model, epoch_us(i.start_ts), epoch_us(i.end_ts) FROM _materia.intervals i "
                          "JOIN _materia.environments e ON e.model = i.model AND e.fingerprint = i.fingerprint "
                          "AND e.environment = ");
    db_quote_literal(&intervals, env);
    sb_append(&intervals, " ORDER BY i.model, i.start_ts");
    int rc = state_load_from(con, models.buf, intervals.buf, st, err); /* state.c reads both */
    sb_free(&models);
    sb_free(&intervals);
    return rc;
}

/* "model\tfingerprint" of every row the query returns, sorted. */
static int load_pairs(duckdb_connection con, const char *sql, struct strlist *out, struct mt_err *err)
{
    duckdb_result res;
    if (duckdb_query(con, sql, &res) == DuckDBError) {
        mt_errf(err, "reading the environments' state: %s", duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        return -1;
    }
    for (idx_t r = 0; r < duckdb_row_count(&res); r++) {
        char *a = db_value_text(&res, 0, r), *b = db_value_text(&res, 1, r);
        char *pair = xasprintf("%s\t%s", a, b);
        strlist_push(out, pair);
        free(pair);
        free(a);
        free(b);
    }
    duckdb_destroy_result(&res);
    return 0;
}

static bool has_pair(const struct strlist *l, const char *model, const char *fp)
{
    char *pair = xasprintf("%s\t%s", model, fp);
    bool has = strlist_has(l, pair);
    free(pair);
    return has;
}

/* The intervals processed for version (model, fp). */
static int version_intervals(duckdb_connection con, const char *model, const char *fp, struct ranges *out,
                             struct mt_err *err)
{
    strbuf sql;
    sb_init(&sql);
    sb_append(&sql, "SELECT epoch_us(start_ts), epoch_us(end_ts) FROM _materia.intervals WHERE model = ");
    db_quote_literal(&sql, model);
    sb_append(&sql, " AND fingerprint = ");
    db_quote_literal(&sql, fp);
    duckdb_result res;
    int r = db_query(con, sql.buf, &res, err);
    sb_free(&sql);
    if (r < 0) return -1;
    for (idx_t i = 0; i < duckdb_row_count(&res); i++)
        ranges_add(out, duckdb_value_int64(&res, 0, i), duckdb_value_int64(&res, 1, i));
    duckdb_destroy_result(&res);
    return 0;
}

/* A "new" version that already exists (built by another environment — dev's change now run
 * in prod — or an earlier one returned to) is reused, not built again: SQLMesh promotes the
 * existing snapshot's table (a virtual update, context.py / plan/evaluator.py), processing only
 * its missing intervals. A FULL model is refreshed only when a parent's data changed. */
static int reuse_versions(struct plan *pl, duckdb_connection con, struct mt_err *err)
{
    bool any = false;
    for (size_t k = 0; k < pl->n; k++) any = any || pl->items[k].new_version;
    if (!any || !table_exists(con, "SELECT 1 FROM _materia.versions LIMIT 0")) return 0;
    struct strlist have = {0};
    if (load_pairs(con, "SELECT DISTINCT model, fingerprint FROM _materia.versions WHERE dropped_at IS NULL", &have,
                   err) < 0)
        return -1;
    const struct project *p = &pl->proj;
    size_t *item_of = xcalloc(p->n ? p->n : 1, sizeof *item_of);
    for (size_t k = 0; k < pl->n; k++) item_of[pl->items[k].m] = k;
    int rc = 0;
    for (size_t k = 0; k < pl->n && rc == 0; k++) {
        struct plan_item *it = &pl->items[k];
        const struct model *m = &p->models[it->m];
        if (!it->new_version || !has_pair(&have, m->name, it->fp)) continue;
        bool parent_changed = false;
        for (size_t q = 0; q < p->n_parents[it->m]; q++) {
            const struct plan_item *pi = &pl->items[item_of[p->parents[it->m][q]]];
            parent_changed = parent_changed || (pi->data_changed && !pi->promote_only);
        }
        it->new_version = false;
        it->reused = true;
        if (m->kind == KIND_INCR_TIME || m->kind == KIND_INCR_KEY) {
            struct ranges done = {0};
            rc = version_intervals(con, m->name, it->fp, &done, err);
            ranges_free(&it->todo);
            schedule_missing(m, &done, pl->exec_us, parent_changed, &it->todo);
            ranges_free(&done);
            it->promote_only = it->todo.n == 0;
        } else {
            it->promote_only = !(m->kind == KIND_FULL && parent_changed);
        }
        it->data_changed = !it->promote_only;
    }
    free(item_of);
    strlist_free(&have);
    return rc;
}

int env_plan_apply(struct plan *pl, duckdb_connection con, struct mt_err *err)
{
    if (reuse_versions(pl, con, err) < 0) return -1;
    if (!pl->env) return 0;
    struct strlist prod = {0}, mine = {0};
    if (table_exists(con, "SELECT 1 FROM _materia.models LIMIT 0") &&
        load_pairs(con, "SELECT model, fingerprint FROM _materia.models", &prod, err) < 0)
        return -1;
    bool exists = env_rows(con, pl->env) > 0;
    if (exists) {
        strbuf sql;
        sb_init(&sql);
        sb_append(&sql, "SELECT model, fingerprint FROM _materia.environments WHERE environment = ");
        db_quote_literal(&sql, pl->env);
        int r = load_pairs(con, sql.buf, &mine, err);
        sb_free(&sql);
        if (r < 0) {
            strlist_free(&prod);
            return -1;
        }
    } else {
        strlist_free(&pl->removed); /* prod's rows stand in: the new environment has none to remove */
    }
    for (size_t k = 0; k < pl->n; k++) {
        struct plan_item *it = &pl->items[k];
        const struct model *m = &pl->proj.models[it->m];
        it->cur_shared = it->cur && has_pair(&prod, m->name, it->cur->fingerprint);
        if (!has_pair(&prod, m->name, it->fp)) continue; /* the environment's own version */
        /* prod's live version: prod keeps it up to date, the environment only points at it */
        if (it->run) pl->n_run--;
        it->run = it->data_changed = false;
        it->reason = R_UNCHANGED;
        ranges_free(&it->todo);
        if (!has_pair(&mine, m->name, it->fp)) {
            it->run = it->promote_only = true;
            pl->n_run++;
        }
    }
    strlist_free(&prod);
    strlist_free(&mine);
    return 0;
}

void env_view_name(const struct project *p, const struct model *m, const char *env, bool schema_only,
                          strbuf *out)
{
    (void)p; /* "<schema>__ENV" is never the catalog's name: no catalog needed (names.c) */
    char *schema = xasprintf("%s__%s", m->schema, env);
    db_quote_ident(out, schema);
    free(schema);
    if (schema_only) return;
    sb_append_char(out, '.');
    db_quote_ident(out, m->table);
}

void env_view_sql(const struct project *p, const struct model *m, const char *env, const char *physical, strbuf *out)
{
    sb_append(out, "CREATE SCHEMA IF NOT EXISTS ");
    env_view_name(p, m, env, true, out);
    sb_append(out, "; CREATE OR REPLACE VIEW ");
    env_view_name(p, m, env, false, out);
    sb_appendf(out, " AS SELECT * FROM %s", physical);
}

int env_remove_model(const struct plan *pl, duckdb_connection con, const char *name, struct mt_err *err)
{
    const char *dot = strchr(name, '.');
    if (!dot) return 0;
    struct model m = {0};
    m.schema = xstrndup(name, (size_t)(dot - name));
    m.table = xstrdup(dot + 1);
    strbuf sql;
    sb_init(&sql);
    sb_append(&sql, "DROP VIEW IF EXISTS ");
    env_view_name(&pl->proj, &m, pl->env, false, &sql);
    sb_append(&sql, "; DELETE FROM _materia.environments WHERE environment = ");
    db_quote_literal(&sql, pl->env);
    sb_append(&sql, " AND model = ");
    db_quote_literal(&sql, name);
    int r = db_exec(con, sql.buf, err);
    sb_free(&sql);
    free(m.schema);
    free(m.table);
    return r;
}

/* ---- materia invalidate ---- */

static const char usage[] =
    "usage: materia invalidate ENVIRONMENT\n\n"
    "Deletes a development environment (made by `materia plan ENV` / `materia run\n"
    "--environment ENV`): drops its views (the <schema>__ENV schemas' views) and its state\n"
    "rows, and retires the physical versions no environment references any more, which\n"
    "`materia janitor` then drops. prod cannot be invalidated.\n";

int cmd_invalidate(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error(usage, "%s: expected one environment name", argv[0]);
    char *env = xstrdup(argv[1]);
    struct mt_err err = MT_ERR_INIT;
    if (env_name_check(env, &err) < 0) {
        free(env);
        return cli_usage_error(usage, "%s: %s", argv[0], err.msg);
    }
    if (!strcmp(env, "prod")) { /* state_sync/db/environment.py invalidate_environment */
        free(env);
        return cli_fail("Cannot invalidate the production environment.");
    }
    struct db d;
    if (transform_open_lakehouse(&g_config, &d, &err) < 0 || state_init(d.con, &err) < 0) {
        db_close(&d);
        free(env);
        return cli_fail(err.msg);
    }
    strbuf sql, q;
    sb_init(&sql);
    sb_init(&q);
    sb_append(&q, "SELECT model FROM _materia.environments WHERE environment = ");
    db_quote_literal(&q, env);
    sb_append(&q, " ORDER BY model");
    duckdb_result res;
    int rc = 0;
    idx_t n = 0;
    if (duckdb_query(d.con, q.buf, &res) == DuckDBError) {
        mt_errf(&err, "reading _materia.environments: %s", duckdb_result_error(&res));
        rc = -1;
    } else {
        n = duckdb_row_count(&res);
    }
    struct project p = {.catalog = NULL};
    sb_append(&sql, "BEGIN TRANSACTION;\n");
    for (idx_t r = 0; rc == 0 && r < n; r++) {
        char *name = db_value_text(&res, 0, r);
        const char *dot = strchr(name, '.');
        if (dot) {
            struct model m = {.schema = xstrndup(name, (size_t)(dot - name)), .table = xstrdup(dot + 1)};
            sb_append(&sql, "DROP VIEW IF EXISTS ");
            env_view_name(&p, &m, env, false, &sql);
            sb_append(&sql, ";\n");
            free(m.schema);
            free(m.table);
        }
        free(name);
    }
    duckdb_destroy_result(&res);
    sb_append(&sql, "DELETE FROM _materia.environments WHERE environment = ");
    db_quote_literal(&sql, env);
    /* what no environment references any more is garbage for the janitor */
    sb_append(&sql, ";\nUPDATE _materia.versions v SET retired_at = now()::TIMESTAMP WHERE retired_at IS NULL AND "
                    "dropped_at IS NULL AND NOT EXISTS (SELECT 1 FROM _materia.models m WHERE m.model = v.model AND "
                    "m.fingerprint = v.fingerprint) AND NOT EXISTS (SELECT 1 FROM _materia.environments e WHERE "
                    "e.model = v.model AND e.fingerprint = v.fingerprint);\nCOMMIT");
    if (rc == 0 && n == 0) {
        mt_errf(&err, "environment '%s' does not exist", env);
        rc = -1;
    }
    if (rc == 0 && db_exec(d.con, sql.buf, &err) < 0) {
        struct mt_err e = MT_ERR_INIT;
        db_exec(d.con, "ROLLBACK", &e);
        rc = -1;
    }
    sb_free(&sql);
    sb_free(&q);
    db_close(&d);
    if (rc == 0) printf("Environment '%s' deleted (%llu views dropped).\n", env, (unsigned long long)n);
    free(env);
    return rc < 0 ? cli_fail(err.msg) : MT_EXIT_OK;
}
