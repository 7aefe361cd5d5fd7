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

enum model_kind { KIND_VIEW = 0, KIND_FULL, KIND_SEED, KIND_INCR_TIME, KIND_INCR_KEY };
const char *model_kind_name(enum model_kind k);

/* Cron granularity: SQLMesh's @hourly/@daily/@weekly/@monthly/@yearly (and the equivalent
 * five-field cron strings for those). Intervals of incremental models have this width. */
enum cron_unit { CRON_HOURLY = 0, CRON_DAILY, CRON_WEEKLY, CRON_MONTHLY, CRON_YEARLY };

struct audit_def;

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

struct model {
    char *file;            /* path as given to the parser */
    char *name;            /* schema.table: plain parts lower-case, quoted ones as written */
    char *schema, *table;  /* a one-part name's schema is SQLMesh's `default` */
    char *catalog;         /* as written in a three-part name, else NULL (the lakehouse) */
    enum model_kind kind;
    char *cron;            /* as written; default @daily */
    enum cron_unit unit;
    char *time_column;     /* INCREMENTAL_BY_TIME_RANGE */
    long batch_size;       /* INCREMENTAL_BY_TIME_RANGE: intervals per query (0: all at once) */
    struct strlist unique_key; /* INCREMENTAL_BY_UNIQUE_KEY */
    char *seed_path;       /* SEED, as written (relative to the model file) */
    char *grain;           /* raw text */
    struct strlist depends_on;
    struct audit_call *audits;
    size_t n_audits;
    char *description, *owner, *tags, *columns, *start;
    char *column_descriptions; /* the property's value as written, or NULL (comments.c) */
    bool allow_partials;
    bool kind_set, cron_set; /* written in the file (else the default: VIEW, @daily) */
    bool start_default;    /* start came from config.yaml's model_defaults */
    bool disabled;         /* enabled false: not loaded (project.c), as in SQLMesh */
    char *stamp;           /* SQLMesh's stamp: part of the definition's hash */
    char *gateway;         /* the model's own gateway (must be the one in use), or NULL */
    int gateway_line;
    char *kind_args;       /* canonical text of the kind's arguments (fingerprinted) */
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
};

/* Loads every model, audit and external declaration of cfg's project folder (refusing a
 * project config_project_check refuses), with config.yaml's model_defaults applied.
 * Duplicate model names are an error naming both files. */
int project_load(const struct config *cfg, struct project *p, struct mt_err *err);
void project_free(struct project *p);
/* Index of the model named name (case-insensitive), or -1. */
long project_find(const struct project *p, const char *name);

#endif
