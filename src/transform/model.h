/* model.h — the transform stage's in-memory model of a project: model files, audits, the DAG.
 *
 * A project is MATERIA_PROJECT_DIR/models/ ** / *.sql (one MODEL each), audits/ *.sql (custom
 * audits) and an optional external_models.yaml (tables models may read that are not models).
 * Every string in these structs is owned by the struct that holds it; *_free() releases
 * everything, and is safe on a zeroed struct.
 *
 * The header parser (model_parse) is separate from the file system and DuckDB so it can be
 * fuzzed: it takes bytes and a file name and returns a model or "file:line: expected ...". */
#ifndef MATERIA_TRANSFORM_MODEL_H
#define MATERIA_TRANSFORM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"
#include "util/err.h"
#include "util/project_config.h"
#include "util/strlist.h"

enum model_kind { KIND_VIEW = 0, KIND_FULL, KIND_SEED, KIND_INCR_TIME, KIND_INCR_KEY,
                  KIND_INCR_PARTITION, KIND_INCR_UNMANAGED, KIND_EMBEDDED, KIND_SCD2_TIME, KIND_SCD2_COLUMN };
const char *model_kind_name(enum model_kind k);
/* SCD_TYPE_2 (an alias of SCD_TYPE_2_BY_TIME) and SCD_TYPE_2_BY_COLUMN: transform/kind_scd2.c */
static inline bool kind_is_scd2(enum model_kind k) { return k == KIND_SCD2_TIME || k == KIND_SCD2_COLUMN; }

/* The arguments of an SCD type 2 kind (SQLMesh's model/kind.py _SCDType2Kind and its two
 * subclasses), defaults filled by the parser. Column names are as SQL identifiers (plain
 * ones lower-case, quoted ones as written); key items and types are SQL text. */
struct scd2_kind {
    struct strlist key;         /* unique_key: columns or expressions, SQL text */
    char *valid_from, *valid_to; /* valid_from_name / valid_to_name (valid_from, valid_to) */
    char *updated_at;           /* updated_at_name (BY_TIME: default updated_at; BY_COLUMN: NULL) */
    char *time_type;            /* time_data_type (TIMESTAMP) */
    struct strlist columns;     /* BY_COLUMN `columns`; empty when star */
    bool star;                  /* BY_COLUMN `columns *` */
    bool invalidate_hard_deletes, updated_at_as_valid_from, execution_time_as_valid_from;
    bool legacy_name;           /* written SCD_TYPE_2: @model_kind_name says so (kind.py keeps the alias) */
    bool forward_only;          /* default true: a change keeps the live version's rows (plan.c);
                                   false: a change builds a new table from the query alone */
};
/* kind_scd2_args.c: the kind's defaults; one `key value` argument (value: its source text),
 * 0 or -1 with "file:line: ..." (an unknown key included); the required ones present;
 * whether a key is SQLMesh metadata (not fingerprinted); free. */
struct model;
void scd2_kind_init(struct model *m, bool legacy_name);
int scd2_kind_arg(struct model *m, const char *key, const char *value, int line, struct mt_err *err);
int scd2_kind_check(const struct model *m, int line, struct mt_err *err);
bool scd2_kind_metadata(const char *key);
void scd2_kind_free(struct scd2_kind *k);

/* enum cron_unit (SQLMesh's IntervalUnit) and struct cron_expr: transform/cron.h */
#include "transform/cron.h"

struct audit_def;

/* A model's metadata (transform/model_meta.c owns it): properties that change no row,
 * which SQLMesh keeps out of the data hash (sqlmesh/core/model/meta.py) — stored here and
 * shown by `materia info` (info_cmd.c), except ignored_rules, which the linter reads. */
struct model_meta {
    struct strlist grains;      /* grain / grains: column names or expressions */
    struct strlist tags;        /* tags, unquoted */
    struct strlist references;  /* references: columns joining to other models' grains */
    struct strlist ignored_rules; /* linter rules skipped for this model (lower-case; "all") */
    char *project;              /* project (multi-repo deployments) */
    signed char formatting;     /* -1 unset, 0 false, 1 true (sqlmesh format's switch) */
    signed char optimize_query; /* -1 unset, 0 false, 1 true */
};
/* Handles metadata property key (lower-case) with raw value text: 1 when it is one (stored in
 * *mm), 0 when key is not a metadata property, -1 with "file:line: ..." in err when its value
 * is malformed or the property is refused. */
int model_meta_property(struct model_meta *mm, const char *key, const char *value, const char *file, int line,
                        struct mt_err *err);
void model_meta_init(struct model_meta *mm);
void model_meta_free(struct model_meta *mm);
/* Whether linter rule `rule` is ignored for the model (its name or "all" in ignored_rules). */
bool model_meta_ignores(const struct model_meta *mm, const char *rule);
/* A statement of the model file besides its query (statements.c): text is the file's text
 * after the header with every other statement blanked but the @DEF ones, rendered as if it
 * started on text_line; line is the line the statement starts on. */
enum stmt_kind { STMT_PRE = 0, STMT_POST, STMT_ON_VIRTUAL_UPDATE };
struct model_stmt {
    enum stmt_kind kind;
    char *text;
    int text_line, line;
};

/* One audit use on a model: `not_null(columns := (a, b))` → name not_null, args
 * columns=(a, b). Argument values are the raw SQL text between := and the next comma. */
struct audit_call {
    char *name;
    struct strlist arg_names;
    struct strlist arg_values;
    int line;
};

/* What a forward-only change does with a destructive / additive schema change (SQLMesh's
 * OnDestructiveChange / OnAdditiveChange, model/kind.py). CHANGE_DEFAULT: not written — the
 * kind's default (incremental kinds: error / allow; others: allow), change_policy_of(). */
enum change_policy { CHANGE_DEFAULT = 0, CHANGE_ERROR, CHANGE_WARN, CHANGE_ALLOW, CHANGE_IGNORE };

/* Options of incremental kinds read by forward_only.c, merge.c and time_column.c; parsed by
 * header.c (parse_kind_arg), owned by the model (incr_opts_free). */
struct incr_opts {
    bool forward_only;            /* forward_only true: a change keeps the physical table */
    enum change_policy on_destructive, on_additive;
    char *when_matched;           /* INCREMENTAL_BY_UNIQUE_KEY: the WHEN ... clauses, or NULL */
    char *merge_filter;           /* INCREMENTAL_BY_UNIQUE_KEY: extra ON predicate, or NULL */
    int merge_filter_line;
    struct strlist key_exprs;     /* unique_key parts as SQL (columns quoted, expressions as written) */
    bool key_is_expr;             /* a unique_key part is an expression, not a column */
    char *time_format;            /* time_column (col, 'format'): the format, or NULL */
};
void incr_opts_free(struct incr_opts *o);

struct model {
    char *file;            /* path as given to the parser */
    char *name;            /* schema.table: plain parts lower-case, quoted ones as written */
    char *schema, *table;  /* a one-part name's schema is SQLMesh's `default` */
    char *catalog;         /* as written in a three-part name, else NULL (the lakehouse) */
    enum model_kind kind;
    char *cron;            /* as written; default @daily */
    struct cron_expr cronx; /* cron parsed, in cron_tz (schedule.c) */
    enum cron_unit unit;   /* interval_unit: written, else derived from the cron */
    char *cron_tz, *end;   /* as written (NULL: UTC / no end) */
    long lookback;         /* INCREMENTAL_BY_*: intervals re-processed before the missing ones */
    bool unit_set, allow_partials_set; /* written in the file (else config.yaml's default) */
    char *time_column;     /* INCREMENTAL_BY_TIME_RANGE */
    long batch_size;       /* incremental kinds: intervals per query (0: all at once) */
    struct strlist unique_key; /* INCREMENTAL_BY_UNIQUE_KEY */
    struct incr_opts incr;     /* forward_only, on_*_change, when_matched, merge_filter, ... */
    char *seed_path;       /* SEED, as written (relative to the model file) */
    struct model_meta meta; /* grains, tags, references, project, ... (model_meta.c) */
    struct scd2_kind scd2; /* SCD_TYPE_2_BY_TIME / _BY_COLUMN */
    struct strlist depends_on;
    struct audit_call *audits;
    size_t n_audits;
    char *description, *owner, *columns, *start;
    char *column_descriptions; /* the property's value as written, or NULL (comments.c) */
    bool allow_partials;
    bool disable_restatement; /* incremental kinds' disable_restatement true (restate.c) */
    bool kind_set, cron_set; /* written in the file (else the default: VIEW, @daily) */
    bool start_default;    /* start came from config.yaml's model_defaults */
    int64_t start_inferred; /* with no start: SQLMesh's inferred start (schedule_infer_starts,
                               set by the planner; 0 until a plan is built) */
    bool disabled;         /* enabled false: not loaded (project.c), as in SQLMesh */
    char *stamp;           /* SQLMesh's stamp: part of the definition's hash */
    char *gateway;         /* the model's own gateway (must be the one in use), or NULL */
    int gateway_line;
    char *kind_args;       /* canonical text of the kind's arguments (fingerprinted) */
    /* kinds of transform/kind_partition.c, kind_embedded.c, seed_csv.c: */
    struct strlist partitioned_by; /* partitioned_by: SQL expressions as written */
    int partitioned_by_line;
    bool insert_overwrite; /* INCREMENTAL_UNMANAGED (insert_overwrite true) */
    bool forward_only;     /* INCREMENTAL_BY_PARTITION (always), INCREMENTAL_UNMANAGED (default) */
    bool materialized;     /* VIEW (materialized true) */
    char *csv_opts;        /* SEED csv_settings as DuckDB read_csv options (", delim = ';'...") */
    char *query;           /* text after the header up to any inline AUDIT (may be empty for SEED) */
    struct audit_def *inline_audits; /* AUDIT blocks after the query: this model's own audits */
    size_t n_inline_audits;
    int query_line;        /* line where the query starts */
    struct model_stmt *stmts; /* pre-/post-statements, ON_VIRTUAL_UPDATE (statements.c) */
    size_t n_stmts;
    int line;              /* line of MODEL */
    /* blueprints (SQLMesh's `blueprints` property, transform/blueprints.c): the header's raw
     * name when it uses macro variables (`name @name`), the raw blueprints value, and — on
     * each model made from a blueprint — that blueprint's variables (SQL text values) */
    char *name_template;
    char *blueprints;
    int blueprints_line;
    struct strlist bp_names, bp_values;
};

/* Sets m's name from text ("[catalog.][schema.]table", as the name property takes it);
 * -1 with "file:line: expected name ..." in err. */
int model_set_name(struct model *m, const char *text, int line, struct mt_err *err);

/* Parses one model file's bytes. Returns 0 and fills *m, or -1 with "file:line: expected ..."
 * in err (m is left zeroed). */
int model_parse(const char *text, size_t len, const char *filename, struct model *m,
                struct mt_err *err);
void model_free(struct model *m);
/* Applies config.yaml's model_defaults (util/project_config.h) to a parsed model: kind,
 * cron, start and owner where the model sets none (its own property wins: SQLMesh's
 * definition.py create_model passes the defaults under the model's own properties);
 * default audits come before the model's own (definition.py: default_audits + audits). */
int model_apply_defaults(struct model *m, const struct project_config *pc, struct mt_err *err);

/* A custom audit: `AUDIT (name x, defaults (...));` + a query returning bad rows. Its
 * properties are SQLMesh's ModelAudit's (sqlmesh/core/audit/definition.py): `blocking`
 * (default true: a failure fails the run; false: a warning), `skip` (never run),
 * `dialect` (duckdb only), `description` (kept), `standalone` (an audit of its own: run
 * after the models of a run, never blocking — audits.c). */
struct audit_def {
    char *name;
    char *file;
    char *query;
    char *description;
    int line;              /* line of AUDIT */
    int query_line;        /* line the query starts on */
    bool non_blocking;     /* blocking false (a standalone audit's default) */
    bool blocking_set;     /* blocking written in the AUDIT block */
    bool skip;             /* skip true */
    bool standalone;       /* standalone true: not a model's audit, run after the models */
    struct strlist default_names, default_values;
};
/* Parses an audits/ *.sql file holding one or more AUDIT blocks; appends to *defs. */
int audit_file_parse(const char *text, size_t len, const char *filename, struct audit_def **defs,
                     size_t *n, struct mt_err *err);
void audit_def_free(struct audit_def *a);

/* A file input detected in a model's query (read_csv('...') etc.), glob already expanded. */
struct file_input {
    char *path;
    int64_t size;
    int64_t mtime_ns;
};

/* An external model (external_models.yaml, external_models/ ** / *.yaml): a table models read
 * that is not a model, with its columns when declared (they feed @STAR). */
struct external_model {
    char *name;                /* schema.table, lower-case */
    struct strlist col_names, col_types;
    char *file;
    int line;
    bool for_gateway;          /* its entry names the gateway in use (it wins over one without) */
};

struct config;
struct json;
struct _duckdb_connection; /* duckdb.h's duckdb_connection is a pointer to it */
struct _duckdb_database;

/* The loaded project: models sorted topologically once dag_build() has run. */
struct project {
    char *dir;
    struct model *models;
    size_t n;
    struct audit_def *audits;
    size_t n_audits;
    struct strlist externals;  /* declared external tables, lower-case schema.table */
    struct external_model *ext;
    size_t n_ext;
    const struct project_config *conf; /* the config.yaml (owned by the config), or NULL */
    const struct json *vars;   /* conf's variables (a JSON object), or NULL */
    char *catalog;             /* the lakehouse's DuckDB catalog name (names may start with it) */
    const struct config *cfg;  /* the configuration it was loaded with */
    struct _duckdb_database *scratch_db; /* columns.c's in-memory database, or NULL */
    struct _duckdb_connection *scratch_con;
    struct _duckdb_connection *con; /* the connection dag_build ran on (column lookups), or NULL */
    /* filled by dag_build(): parents[i] are indexes into models; order is topological */
    struct strlist *parent_names;   /* per model: names of parents (models or externals) */
    size_t **parents;
    size_t *n_parents;
    size_t *order;
    char **globs;          /* per model: file-input patterns (";"-joined), or NULL */
    char **fixed_sql;      /* per model: the fixed render dag_build parsed (NULL for seeds) */
    bool *rewrite;         /* per model: its rendered query needs names_qualify (names.c) */
    bool *self_ref;        /* per model: it reads its own rows (incremental only) */
    const char *env_suffix;/* "__dev" while a run builds for a non-prod environment: references
                              to models read that environment's views (names.c, env.c) */
};

/* Loads every model, audit and external declaration of cfg's project folder (refusing a
 * project config_project_check refuses), with config.yaml's model_defaults applied.
 * Duplicate model names are an error naming both files. */
int project_load(const struct config *cfg, struct project *p, struct mt_err *err);
void project_free(struct project *p);
/* Index of the model named name (case-insensitive), or -1. */
long project_find(const struct project *p, const char *name);

#endif
