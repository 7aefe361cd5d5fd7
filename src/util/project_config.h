/* project_config.h — a SQLMesh project's config.yaml (or config.yml), read with util/yaml.
 *
 * The keys are SQLMesh's (sqlmesh/core/config/root.py Config, gateway.py GatewayConfig,
 * connection.py DuckDBConnectionConfig, model.py ModelDefaultsConfig). Materia honours:
 *   gateways.<name>.connection: type (duckdb), database, catalogs; default_gateway;
 *   gateways.<name>.variables (over the root variables, as SQLMesh's Context merges them);
 *   model_defaults: dialect (duckdb), start, cron, kind, owner, audits, interval_unit, allow_partials;
 *   variables; before_all; after_all; linter (see project_config.c).
 * Every other key SQLMesh knows is refused by name with the reason it cannot take effect
 * here (`config.yaml:12: gateways.duckdb.connection.secrets is not supported by materia:
 * ...`), and a key SQLMesh does not know is refused too: nothing is accepted and ignored.
 * Paths are made absolute against the project folder. */
#ifndef MATERIA_UTIL_PROJECT_CONFIG_H
#define MATERIA_UTIL_PROJECT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/json.h"
#include "util/strlist.h"

/* A duckdb `catalogs` entry: `name: path` or `name: {type: duckdb, path: ..., read_only: ...}`. */
struct project_catalog {
    char *name;             /* lower-case */
    char *path;             /* absolute, or ":memory:" */
    bool read_only;
    int line;
};

struct project_config {
    char *dir;              /* the project folder */
    char *path;             /* its config.yaml / config.yml */
    char *gateway;          /* the gateway in use (lower-case), or NULL when there is none */
    int gateway_line;       /* its line in gateways */
    const char *gateway_from; /* why this one: "default_gateway", "--gateway", "SQLMESH_GATEWAY"
                                 (environment) or "the first gateway" */
    char *database;         /* the lakehouse: the connection's `database`, or the first of
                               `catalogs`; absolute; NULL when the gateway names none */
    int database_line;
    char *catalog;          /* the lakehouse's catalog name: the first `catalogs` entry, else
                               the file name of `database` without its extension */
    struct project_catalog *catalogs; /* further catalogs, to ATTACH (not the lakehouse) */
    size_t n_catalogs;
    /* model_defaults, as written (NULL when absent); *_line the line of each key */
    char *d_dialect, *d_start, *d_cron, *d_kind, *d_owner, *d_audits;
    int d_dialect_line, d_start_line, d_cron_line, d_kind_line, d_owner_line, d_audits_line;
    char *d_interval_unit, *d_allow_partials; /* scheduling defaults (transform/schedule.c) */
    int d_interval_unit_line, d_allow_partials_line;
    struct json vars;       /* JSON object, top-level keys lower-case (JSON_NULL kind: none) */
    struct strlist before_all, after_all;
    int before_all_line, after_all_line;
    /* linter: noambiguousprojections is 0 (off), 1 (warn_rules) or 2 (rules: an error);
     * lint_line is the line of `linter` */
    int lint_projections, lint_line;
    bool no_comments;       /* the connection's register_comments false (default true) */
};

/* Finds config.yaml (then config.yml) in dir. Returns 1 and fills *pc when there is one,
 * 0 (pc zeroed) when there is none, -1 with "config.yaml:LINE: ..." in err. gateway, when
 * not NULL, names the gateway to use instead of default_gateway (`materia --gateway NAME`,
 * as `sqlmesh --gateway`; else the environment's SQLMESH_GATEWAY, as SQLMesh's CLI reads it). */
int project_config_load(const char *dir, const char *gateway, struct project_config *pc, struct mt_err *err);
void project_config_free(struct project_config *pc);
/* The catalog name DuckDB gives the database file at path: its file name up to the first
 * dot, lower-case (/a/b/sqlmesh_example.duckdb -> sqlmesh_example). Caller frees. */
char *project_catalog_name(const char *path);
/* The config file in dir (config.yaml, else config.yml), or NULL; caller frees. */
char *project_config_file(const char *dir);

#endif
