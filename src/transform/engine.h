/* engine.h — the transform engine's internal interfaces (not used outside src/transform).
 *
 *   interval.c  time in microseconds since the epoch (UTC), cron floors, interval sets
 *   macros.c    @start_ds & friends, @this_model, @VAR('x'), audit arguments
 *   json.c      a small JSON reader for json_serialize_sql output
 *   dag.c       dependencies from DuckDB's parser, file inputs, topological order, cycles
 *   state.c     the _materia schema: runs, run_models, models, versions, intervals
 *   plan.c      fingerprints and what a run would do, and why
 *   runner.c    executes a plan in one transaction (transform_run)
 *   noop_stamp.c  `materia run`'s no-op answered without opening the lakehouse
 *   audits.c    built-in and custom audits against a physical table */
#ifndef MATERIA_TRANSFORM_ENGINE_H
#define MATERIA_TRANSFORM_ENGINE_H

#include <duckdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "transform/model.h"
#include "util/err.h"
#include "util/json.h"
#include "transform/transform.h"
#include "util/config.h"
#include "util/strbuf.h"

/* ---- interval.c ---- */
#define US_PER_SEC INT64_C(1000000)
int64_t time_now_us(void);
/* Parses YYYY-MM-DD[(T| )HH:MM[:SS[.ffffff]]][Z]; -1 on error. */
int time_parse(const char *s, int64_t *us);
/* "YYYY-MM-DD" / "YYYY-MM-DD HH:MM:SS.ffffff" into buf (>= 32 bytes). */
void time_fmt_ds(int64_t us, char *buf);
void time_fmt_ts(int64_t us, char *buf);
int64_t cron_floor(enum cron_unit u, int64_t us);
int64_t cron_next(enum cron_unit u, int64_t us);

struct range {
    int64_t s, e;   /* [s, e) */
};
struct ranges {
    struct range *v;
    size_t n;
};
void ranges_add(struct ranges *r, int64_t s, int64_t e); /* keeps sorted and merged */
void ranges_free(struct ranges *r);
/* Ranges still to process for an incremental model: the complete cron intervals in
 * [floor(start), floor(exec)) not fully covered by done, plus — when with_partial — the
 * current interval up to exec. Result is merged (one query per contiguous range). */
void ranges_missing(const struct ranges *done, enum cron_unit u, int64_t start, int64_t exec,
                    bool with_partial, struct ranges *out);

/* ---- macros.c ---- */
/* Columns of a table for @STAR/@UNION: names and DuckDB type text, in table order. Returns
 * 0 when known, -1 when not (the macro then fails naming the table). */
typedef int (*columns_fn)(void *ud, const char *table, struct strlist *names, struct strlist *types);

struct render_ctx {
    const struct config *cfg;
    const struct json *vars;    /* project variables (config.yaml `variables`): a JSON object
                                   with lower-case keys, or NULL; @VAR and @name read them
                                   first, then the configuration (environment/.env) */
    const struct strlist *bp_names, *bp_values; /* blueprint variables (lower-case names,
                                   SQL values) of a model made from `blueprints`, or NULL;
                                   below @DEF and the predefined names, above `variables` */
    const char *gateway;        /* @gateway; NULL renders NULL */
    const char *kind_name;      /* @model_kind_name, e.g. "FULL"; NULL renders NULL */
    columns_fn columns;         /* may be NULL: @STAR then reads DuckDB's catalog on con */
    void *columns_ud;
    duckdb_connection con;      /* for constant evaluation (@IF, @EVAL) and the catalog; may
                                   be NULL: the renderer then opens an in-memory database */
    const char *this_model;     /* SQL text substituted for @this_model */
    int64_t start_us, end_us;   /* the interval [start, end) being processed */
    int64_t exec_us;
    const struct strlist *arg_names, *arg_values; /* audit arguments (@name), may be NULL */
    bool fixed;                 /* fingerprint/DAG render: @LANDED_FILES lists no file, so the
                                   definition's hash never depends on what has landed */
    const char *runtime_stage;  /* @runtime_stage when set ("creating", "promoting", ...) */
    bool statements;            /* the text may hold several statements (`materia render
                                   --query`); a model's query must be one (after @DEF) */
};
/* Expands SQLMesh's SQL macros (src/transform/macro.h says how), never inside string
 * literals or comments; a quoted identifier holding @ is a template, as in SQLMesh. An
 * unknown macro, an undefined @name or a refused construct is an error naming file:line. */
int macro_render(const char *sql, const char *file, int line0, const struct render_ctx *rc, strbuf *out,
                 struct mt_err *err);
/* The value @VAR('name') reads: name, else NAME, from the configuration; NULL if unset. */
const char *macro_var_value(const struct config *cfg, const char *name);
/* Splits "(a, b)" / "[a, b]" / "a" into trimmed items at top-level commas. */
void sql_split_list(const char *text, struct strlist *out);

/* ---- project.c ---- */
/* A render context for model i of p with the project's inputs filled in: cfg, the
 * variables (config.yaml), the gateway, the model's kind name, the column lookup (external
 * models' columns, models' `columns`, else DuckDB's catalog on p->con) and p->con;
 * this_model is the model's name. The caller sets the times, this_model (a physical table)
 * and anything else it needs. */
void project_render_ctx(const struct project *p, size_t i, const struct config *cfg, struct render_ctx *rc);

/* "t" -> "main.t" (or "default.t" when that is a model), "cat.s.t" -> "s.t" when cat is
 * the lakehouse's catalog; lower-case. Caller frees. */
char *project_canon_name(const struct project *p, const char *name);

/* ---- columns.c ---- */
/* columns_fn over a project (ud: const struct project *): see columns.c. */
int columns_lookup(void *ud, const char *table, struct strlist *names, struct strlist *types);
/* Closes columns.c's scratch database (project_free calls it). */
void columns_scratch_close(struct project *p);

/* ---- names.c ---- */
/* True when the lakehouse's catalog has the name of one of the project's schemas (DuckDB
 * then refuses two-part names as ambiguous: they need the catalog). */
bool names_collide(const struct project *p);
/* A model's view as DuckDB must be told it: "schema"."table", with the catalog first when
 * names_collide. */
void names_view(const struct project *p, const struct model *m, strbuf *out);
/* The rendered query of model i with its table references made to mean what they mean in
 * SQLMesh (names.c: itself -> self_physical, one-part model names -> "default".t, the
 * catalog where names collide); sql unchanged when the model needs none of it. */
int names_qualify(const struct project *p, size_t i, duckdb_connection con, const char *sql, const char *self_physical,
                  strbuf *out, struct mt_err *err);

/* ---- lint.c ---- */
/* config.yaml's linter rule noambiguousprojections on model i's parse tree (one statement of
 * json_serialize_sql; sql is the text it was parsed from): -1 with file:line and SQLMesh's
 * message when it is an error rule, a logged warning when a warn rule, else 0. */
int lint_projections(const struct project *p, size_t i, const struct json *stmt, const char *sql, struct mt_err *err);

/* ---- blueprints.c ---- */
/* Expands model m (parsed from the file's bytes data/len, with a blueprints property) into
 * one model per blueprint (*out, *n_out; caller frees). m is consumed on success. */
int blueprints_expand(struct model *m, const char *data, size_t len, const struct project *p,
                      const struct config *cfg, struct model **out, size_t *n_out, struct mt_err *err);

/* ---- dag.c ---- */
/* Renders every model for fingerprinting/parsing, asks DuckDB for the parse trees in one
 * batched query on con, resolves dependencies and file-input patterns, sorts the models
 * topologically. Errors: syntax errors, unknown tables, cycles (printing the cycle). */
int dag_build(struct project *p, const struct config *cfg, duckdb_connection con, struct mt_err *err);
/* Expands a model's file-input globs; *fp is the SHA-256 over (path, size, mtime) of every
 * match ("" when the model has no file inputs). */
void dag_inputs_fingerprint(const struct project *p, size_t i, char fp[HASH_HEX_LEN], size_t *nfiles);
/* The fixed render dag_build parsed for model i (NULL before dag_build, or for a seed). */
const char *dag_fixed_sql(const struct project *p, size_t i);
/* The query rendered with fixed placeholder times (what fingerprints cover). */
char *dag_render_fixed(const struct project *p, size_t i, const struct config *cfg, struct mt_err *err);

/* ---- state.c ---- */
struct model_state {
    char *model, *fingerprint, *def_hash, *physical, *inputs_fp, *kind;
    int64_t last_run_us;
    struct ranges done;     /* intervals processed for the current fingerprint */
};
struct state {
    struct model_state *v;
    size_t n;
};
/* Loads the current environment (empty when the schema does not exist yet). */
int state_load(duckdb_connection con, struct state *st, struct mt_err *err);
/* The state read by two queries: models_sql (model, fingerprint, def_hash, physical, inputs_fp,
 * kind, last run in µs; ordered by model) and intervals_sql (model, start µs, end µs) —
 * state_load's for prod, env.c's for an environment. */
int state_load_from(duckdb_connection con, const char *models_sql, const char *intervals_sql, struct state *st,
                    struct mt_err *err);
void state_free(struct state *st);
const struct model_state *state_find(const struct state *st, const char *model);

/* ---- plan.c ---- */
enum reason { R_UNCHANGED = 0, R_NEW, R_CHANGED, R_DOWNSTREAM, R_DUE, R_INPUTS, R_RESTATED, R_REMOVED };
const char *reason_name(enum reason r);

struct plan_item {
    size_t m;                 /* index into project models */
    char fp[HASH_HEX_LEN], def_hash[HASH_HEX_LEN], inputs_fp[HASH_HEX_LEN];
    size_t n_files;
    enum reason reason;
    bool new_version, run, data_changed;
    bool keep;                /* SCD kinds' forward-only change: the new version starts from
                                 the live version's rows and intervals (plan.c) */
    struct ranges todo;       /* incremental: ranges to process */
    char *physical;           /* "materia__s"."t__fp16" (a forward-only change: the live one) */
    const struct model_state *cur;
    /* forward_only.c: a forward-only change (keeps cur's table, migrated), whether a new
     * ancestor / a non-forward-only new ancestor is in this plan, and for FULL whether the
     * table is rebuilt (else only migrated) */
    bool forward_only, up_new, up_nonfo, fo_rebuild;
    int time_kind;            /* time_column.c's enum time_col_kind, once known in a run */
    bool batched;             /* runner.c commit_batches: its ranges were committed batch by batch */
    int64_t batched_rows;
    /* restate.c / env.c */
    bool promote_only;        /* nothing to build: only point the environment's view at it */
    bool recreate;            /* restated to its first interval: the first range recreates the table */
    bool restated;            /* clear is the range restated (its intervals are cleared first) */
    bool cur_shared;          /* non-prod environment: cur is prod's live version (never retired) */
    bool reused;              /* a new fingerprint whose version already exists: promoted, not rebuilt */
    struct range clear;
};

struct plan {
    struct project proj;
    struct state st;
    struct plan_item *items;  /* in topological order */
    size_t n;
    struct strlist removed;   /* models in state but no longer in the project */
    int64_t exec_us;
    size_t n_run;
    char *env;                /* the environment planned (env.c); NULL: prod, _materia.models */
};
/* Loads the project, builds the DAG and compares against the state in con. */
int plan_build(const struct config *cfg, duckdb_connection con, bool with_state, int64_t exec_us,
               struct plan *pl, struct mt_err *err);
/* plan_build against environment env (NULL or "prod": _materia.models; else env.c's rows,
 * or prod's when the environment does not exist yet, as SQLMesh creates it from prod). */
int plan_build_env(const struct config *cfg, duckdb_connection con, bool with_state, int64_t exec_us, const char *env,
                   struct plan *pl, struct mt_err *err);
void plan_free(struct plan *pl);
void plan_print(const struct plan *pl, FILE *out);
/* columns.c: the model's `columns (name TYPE, ...)` as names (quotes removed) and types
 * (VARCHAR where none is written); false when it declares none. The one reader of that
 * property (seeds' read_csv columns, @STAR, unit tests). */
bool model_columns(const struct model *m, struct strlist *names, struct strlist *types);
/* A SEED model's CSV path: seed_path as written, relative to the model file. Caller frees. */
char *seed_abs_path(const struct model *m);
/* The execution times [*lo, *hi) around pl->exec_us in which this plan's answer cannot
 * change by time alone: every model's cron floor is the same and no model's start passes. */
void plan_noop_window(const struct plan *pl, int64_t *lo, int64_t *hi);
/* Execution time: MATERIA_EXECUTION_TIME from the configuration, else now. */
int plan_exec_time(const struct config *cfg, const char *override, int64_t *us, struct mt_err *err);
/* The options of `plan` and `run` (plan_cmd.c): --execution-time, --full-check (run),
 * the environment (`plan ENV`, `run --environment ENV`), --restate-model / --start / --end. */
struct plan_opts {
    int64_t exec_us;
    bool full_check;
    char *env;                 /* lower-case; NULL for prod */
    struct strlist restate;    /* --restate-model selections, as given */
    const char *start, *end;   /* --start / --end as given, or NULL */
};
/* Parses them (is_run: `run`'s set) into *o (plan_opts_free after) and returns MT_EXIT_OK,
 * or prints the usage error and returns MT_EXIT_USAGE. */
int plan_cmd_args(int argc, char **argv, const char *usage, bool is_run, struct plan_opts *o);
void plan_opts_free(struct plan_opts *o);

/* ---- kind_scd2.c ---- */
/* One run of an SCD type 2 model into physical: with create, its table is made first — a
 * copy of from_physical's rows (a forward-only change) or, when that is NULL, empty (and
 * the merge is then SQLMesh's first insert); with merge, query's rows are merged in as
 * SQLMesh's _scd_type_2 does at execution time exec_us. *rows: the table's rows after. */
int scd2_build(duckdb_connection con, const struct model *m, const char *physical, const char *from_physical,
               bool create, bool merge, const char *query, int64_t exec_us, int64_t *rows, struct mt_err *err);
/* Adds an SCD model's managed columns (valid_from, valid_to; with declared columns, BY_TIME's
 * updated_at typed time_data_type) to its declared or query columns, as its table has them;
 * nothing for another kind. */
void scd2_columns(const struct model *m, bool declared, struct strlist *names, struct strlist *types);

/* ---- runner.c ---- */
struct transform_outcome;
/* Plans and runs. When stamp_out is not NULL and the run found nothing to do (and recorded
 * so), *stamp_out gets the no-op stamp's body (noop_stamp_describe; caller frees), else NULL. */
int runner_execute(const struct config *cfg, duckdb_connection con, int64_t exec_us, FILE *out,
                   struct transform_outcome *oc, char **stamp_out, struct mt_err *err);
/* runner_execute with `run`'s options: an environment and/or a restatement (o may be NULL). */
int runner_execute_opts(const struct config *cfg, duckdb_connection con, const struct plan_opts *o, FILE *out,
                        struct transform_outcome *oc, char **stamp_out, struct mt_err *err);

/* ---- noop_stamp.c ---- */
/* What a no-op plan depended on (paths, input globs, variables, the cron window), as the
 * stamp body, with the digest of those inputs as they are now. NULL (no stamp) when one of
 * them changed at or after planned_at, the wall-clock time before the plan read them. */
char *noop_stamp_describe(const struct config *cfg, const struct plan *pl, const struct timespec *planned_at);
/* Writes DUCKDB_PATH.noop from body (call after the lakehouse is closed: the digest takes its
 * stat then) — unless an input changed since noop_stamp_describe. A failure only logs: the
 * stamp is a cache. */
void noop_stamp_write(const struct config *cfg, const char *body);
void noop_stamp_clear(const struct config *cfg);
/* True when the stamp exists, exec_us is in its window and nothing it lists changed; then
 * *n_models is the project's model count. */
bool noop_stamp_matches(const struct config *cfg, int64_t exec_us, size_t *n_models);

/* ---- audits.c ---- */
/* The times an audit is rendered with (@start_ds, @end_ds, @execution_ds, ...): the interval
 * [start_us, end_us) the run processed for the model, as SQLMesh renders its audits. */
struct audit_times {
    int64_t start_us, end_us, exec_us;
};
/* Runs every audit of model m against physical: -1 with model, audit and up to 5 bad rows
 * in err when a blocking one fails (or any cannot run); a failing non-blocking one is
 * logged as a warning and appended to warnings (lines; may be NULL). */
int audits_run(const struct project *p, const struct model *m, const char *physical, const struct config *cfg,
               duckdb_connection con, const struct audit_times *t, strbuf *warnings, struct mt_err *err);
/* Runs the project's standalone audits (after a run's models, in its transaction): a
 * failure is a warning (logged, appended to warnings); -1 only when one cannot run. */
int audits_run_standalone(const struct project *p, const struct config *cfg, duckdb_connection con, int64_t exec_us,
                          strbuf *warnings, struct mt_err *err);

/* ---- shared helpers ---- */
/* Opens DUCKDB_PATH read-write, creating its parent folder. */
struct db;
int transform_open_lakehouse(const struct config *cfg, struct db *d, struct mt_err *err);

#endif
