/* env.h — SQLMesh's virtual environments (env.c) and restatement plans (restate.c).
 *
 * Internal to src/transform, like engine.h; kept apart so the plan and the runner only gain
 * a call or two each. */
#ifndef MATERIA_TRANSFORM_ENV_H
#define MATERIA_TRANSFORM_ENV_H

#include <duckdb.h>
#include <stdbool.h>

#include "transform/engine.h"

/* ---- env.c ---- */
/* The state table of non-prod environments (created by state_init with the others). */
extern const char env_ddl[];
/* Checks an environment name (SQLMesh: letters, digits and _; compared lower-case) and
 * lower-cases it in place; -1 with err otherwise. "prod" is the live environment. */
int env_name_check(char *name, struct mt_err *err);
/* Loads environment env's models (the rows env.c wrote) with their intervals; when the
 * environment does not exist, prod's (SQLMesh creates a new environment from prod). */
int env_state_load(duckdb_connection con, const char *env, struct state *st, struct mt_err *err);
/* After plan_build_env: a new fingerprint whose version exists already is reused (promoted,
 * refreshed only as it needs). Then, for a non-prod environment: a model whose version is prod's live one
 * is never built by the environment (prod's table stays prod's: SQLMesh's dev plans
 * backfill only the models changed in it), only pointed at by the environment's view when
 * that view is missing or points elsewhere (promote_only). */
int env_plan_apply(struct plan *pl, duckdb_connection con, struct mt_err *err);
/* "CREATE SCHEMA IF NOT EXISTS "s__env"; CREATE OR REPLACE VIEW "s__env"."t" AS SELECT * FROM
 * physical": the environment's view of model m (SQLMesh's environment_suffix_target
 * 'schema' naming: snapshot/definition.py qualified_view_name). */
void env_view_sql(const struct project *p, const struct model *m, const char *env, const char *physical, strbuf *out);
/* The environment's view of m, "<schema>__ENV"."<table>" (schema_only: the schema alone). */
void env_view_name(const struct project *p, const struct model *m, const char *env, bool schema_only, strbuf *out);
/* Removes model name from environment env: drops its view and its row. */
int env_remove_model(const struct plan *pl, duckdb_connection con, const char *name, struct mt_err *err);

/* ---- restate.c ---- */
/* Turns plan pl into SQLMesh's restatement plan for the selections in o->restate (names,
 * `*` patterns, tag:, +up/down+): the selected models and their downstream models get the
 * intervals in [start, end) cleared and reprocessed; every other model does not run. 0, or
 * -1 with err (a selection matching nothing, local changes, a bad date). Warnings (a model
 * with disable_restatement, prod's version in a dev environment) go to stderr. */
int restate_apply(struct plan *pl, duckdb_connection con, const struct plan_opts *o, struct mt_err *err);
/* Inside the run's transaction, before any model runs: removes the restated ranges from
 * _materia.intervals (prod: from every version of the model — SQLMesh's
 * restate_all_snapshots — else only from the environment's version). */
int restate_clear(const struct plan *pl, duckdb_connection con, struct mt_err *err);

#endif
