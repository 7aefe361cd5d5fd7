/* project_config.c — see project_config.h.
 *
 * How it works: util/yaml.c reads the file into a tree with lines; each level of SQLMesh's
 * schema is a table of keys (`struct key_rule`): the ones Materia honours are handled by
 * the code below it, the ones it cannot honour carry the reason they are refused. A key in
 * no table is refused as unknown to SQLMesh (SQLMesh's own BaseConfig forbids extra keys).
 *
 * What each honoured key does, with SQLMesh's source for the behaviour:
 *  - gateways / default_gateway: the gateway is default_gateway, else the one named "",
 *    else the first (root.py get_gateway); names compare lower-case.
 *  - connection.database XOR connection.catalogs (connection.py
 *    _validate_database_catalogs): the first catalog is the default one — for Materia, the
 *    lakehouse; the others are attached. A connection without either is DuckDB's in-memory
 *    database there; here it is refused (a lakehouse that forgets every run is no lakehouse).
 *  - variables: top-level names lower-case (common.py _variables_validator), values
 *    str/int/float/bool/null/lists/maps; a gateway's variables override the root's.
 *  - before_all / after_all: lists of SQL statements (root.py), run by the transform around
 *    the models (scheduler.py execute_environment_statements).
 *  - linter: SQLMesh's linter runs sqlglot checks at load. Materia accepts the three rules
 *    `sqlmesh init` enables and refuses any other rule by name: noambiguousprojections is
 *    checked on every model's parse tree (transform/lint.c); ambiguousorinvalidcolumn and
 *    invalidselectstarexpansion are sqlglot's failures to resolve a column or expand a *
 *    against known schemas — DuckDB's binder refuses the same queries when the model runs. */
#include "util/project_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/fsutil.h"
#include "util/strbuf.h"
#include "util/yaml.h"

struct ctx {
    const char *gateway;    /* --gateway / SQLMESH_GATEWAY, or NULL */
    const char *gateway_from;
    const char *file;       /* for messages: the config file's path */
    const char *dir;
    struct project_config *pc;
    struct mt_err *err;
};

/* A key SQLMesh knows at one level; why == NULL: honoured by the caller. */
struct key_rule {
    const char *key;
    const char *why;
};

static const struct key_rule root_keys[] = {
    {"gateways", NULL},
    {"default_gateway", NULL},
    {"model_defaults", NULL},
    {"variables", NULL},
    {"before_all", NULL},
    {"after_all", NULL},
    {"linter", NULL},
    {"default_connection", "materia's lakehouse is the gateway's DuckDB connection; name it under gateways"},
    {"default_test_connection", "materia has no test runner yet (issue 13)"},
    {"default_scheduler", "materia runs models with its own scheduler (cron from each model)"},
    {"notification_targets", "materia reports through its log and exit codes, not notifications"},
    {"project", "materia runs one project per folder"},
    {"snapshot_ttl", "materia's janitor keeps old versions JANITOR_RETENTION_DAYS days (.env)"},
    {"environment_ttl", "materia has one environment (prod)"},
    {"ignore_patterns", "materia reads every models/**/*.sql file"},
    {"time_column_format", "set the format on the model: time_column (col, 'format'); the default is SQLMesh's '%Y-%m-%d'"},
    {"users", "materia has no user accounts"},
    {"pinned_environments", "materia has one environment (prod)"},
    {"loader", "materia has one loader"},
    {"loader_kwargs", "materia has one loader"},
    {"env_vars", "set them in the environment or .env"},
    {"username", "materia has no user accounts"},
    {"physical_schema_mapping", "materia names physical schemas materia__<schema>"},
    {"environment_suffix_target", "materia has one environment (prod)"},
    {"physical_table_naming_convention", "materia names physical tables <table>__<fingerprint>"},
    {"virtual_environment_mode", "materia has one environment (prod)"},
    {"gateway_managed_virtual_layer", "materia has one gateway"},
    {"infer_python_dependencies", "Python models cannot run in materia"},
    {"environment_catalog_mapping", "materia has one environment (prod)"},
    {"default_target_environment", "materia has one environment (prod)"},
    {"log_limit", "materia logs one line per event to stderr or journald"},
    {"cicd_bot", "materia has no CI/CD bot"},
    {"run", "materia's run has no such options"},
    {"format", "materia has no formatter"},
    {"ui", "materia's dashboard is the serving web app"},
    {"plan", "materia's plan has no such options"},
    {"migration", "materia migrates its own state"},
    {"model_naming", "models name themselves with MODEL (name ...)"},
    {"disable_anonymized_analytics", "materia sends no analytics"},
    {"janitor", "set JANITOR_RETENTION_DAYS in the environment or .env"},
    {"cache_dir", "materia keeps no cache folder"},
    {"dbt", "dbt projects cannot run in materia"},
    {NULL, NULL},
};

static const struct key_rule gateway_keys[] = {
    {"connection", NULL},
    {"variables", NULL},
    {"state_connection", "materia keeps its state in the lakehouse's _materia schema"},
    {"state_schema", "materia keeps its state in the lakehouse's _materia schema"},
    {"test_connection", "materia has no test runner yet (issue 13)"},
    {"scheduler", "materia runs models with its own scheduler"},
    {"model_defaults", "set model_defaults once, at the top of config.yaml"},
    {NULL, NULL},
};

static const struct key_rule connection_keys[] = {
    {"type", NULL},
    {"database", NULL},
    {"catalogs", NULL},
    {"concurrent_tasks", NULL},
    {"pre_ping", NULL},
    {"pretty_sql", NULL},
    {"register_comments", NULL},
    {"extensions", "materia loads no DuckDB extensions on its connection"},
    {"connector_config", "materia sets no DuckDB options on its connection"},
    {"secrets", "materia creates no DuckDB secrets"},
    {"filesystems", "fsspec filesystems are Python objects"},
    {"token", "MotherDuck is not supported"},
    {"schema_differ_overrides", "materia has no schema differ"},
    {"catalog_type_overrides", "materia attaches catalogs as DuckDB files"},
    {NULL, NULL},
};

static const struct key_rule defaults_keys[] = {
    {"dialect", NULL},
    {"start", NULL},
    {"cron", NULL},
    {"kind", NULL},
    {"owner", NULL},
    {"audits", NULL},
    {"table_format", "materia writes DuckDB tables"},
    {"storage_format", "materia writes DuckDB tables"},
    {"on_destructive_change", "materia builds a new version on every change (no forward-only models)"},
    {"on_additive_change", "materia builds a new version on every change (no forward-only models)"},
    {"physical_properties", "materia writes plain DuckDB tables"},
    {"virtual_properties", "materia writes plain DuckDB views"},
    {"session_properties", "set session_properties on each model (on DuckDB they have no effect)"},
    {"optimize_query", "materia runs the query as written (no sqlglot optimizer)"},
    {"allow_partials", NULL},
    {"interval_unit", NULL},
    {"enabled", "materia runs every model file"},
    {"formatting", "materia has no formatter"},
    {"batch_concurrency", "materia runs one batch at a time"},
    {"pre_statements", "materia takes pre-statements from the model file only"},
    {"post_statements", "materia takes post-statements from the model file only"},
    {"on_virtual_update", "materia takes ON_VIRTUAL_UPDATE statements from the model file only"},
    {NULL, NULL},
};

static const struct key_rule linter_keys[] = {
    {"enabled", NULL},
    {"rules", NULL},
    {"warn_rules", NULL},
    {"ignored_rules", NULL},
    {NULL, NULL},
};

/* `config.yaml:LINE: <what> is not supported by materia: <why>`; returns -1. */
static int refuse(struct ctx *c, int line, const char *what, const char *why)
{
    return mt_err_set(c->err, MT_ERR_FORMAT, "%s:%d: %s is not supported by materia: %s", c->file, line, what, why);
}

static int bad(struct ctx *c, int line, const char *what, const char *expected)
{
    return mt_err_set(c->err, MT_ERR_FORMAT, "%s:%d: %s: expected %s", c->file, line, what, expected);
}

/* Every key of map must be in rules; a refused one fails with its reason. prefix names the
 * level ("gateways.duckdb.connection."). */
static int check_keys(struct ctx *c, const struct ynode *map, const struct key_rule *rules, const char *prefix)
{
    for (size_t i = 0; i < map->n; i++) {
        const struct key_rule *r = rules;
        while (r->key && strcmp(r->key, map->keys[i])) r++;
        char *what = xasprintf("%s%s", prefix, map->keys[i]);
        int rc = 0;
        if (!r->key) rc = refuse(c, map->key_lines[i], what, "not a SQLMesh setting");
        else if (r->why) rc = refuse(c, map->key_lines[i], what, r->why);
        free(what);
        if (rc < 0) return -1;
    }
    return 0;
}

static char *lower_dup(const char *s)
{
    char *d = xstrdup(s);
    for (char *p = d; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return d;
}

static char *abs_path(const char *dir, const char *p)
{
    if (p[0] == '/' || !strcmp(p, ":memory:")) return xstrdup(p);
    return fs_join(dir, p);
}

/* A scalar's text, or -1 naming what was expected. */
static int want_scalar(struct ctx *c, const struct ynode *n, int line, const char *what, const char **out)
{
    if (!n || n->t != YNODE_SCALAR || ynode_is_null(n)) return bad(c, n ? n->line : line, what, "a value");
    *out = n->s;
    return 0;
}

static int want_bool(struct ctx *c, const struct ynode *n, int line, const char *what, bool *out)
{
    struct json j;
    if (!n || n->t != YNODE_SCALAR) return bad(c, line, what, "true or false");
    ynode_json(n, &j);
    bool ok = j.t == JSON_BOOL;
    *out = j.b;
    json_free(&j);
    return ok ? 0 : bad(c, n->line, what, "true or false");
}

char *project_catalog_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strchr(b, '.');
    char *stem = xstrndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
    char *low = lower_dup(stem);
    free(stem);
    return low;
}

static int load_catalogs(struct ctx *c, const struct ynode *cats)
{
    struct project_config *pc = c->pc;
    if (cats->t != YNODE_MAP || cats->n == 0)
        return bad(c, cats->line, "catalogs", "a map of catalog name to DuckDB file");
    pc->catalogs = xcalloc(cats->n, sizeof *pc->catalogs);
    for (size_t i = 0; i < cats->n; i++) {
        const struct ynode *v = &cats->items[i];
        const char *path = NULL;
        bool ro = false;
        char *what = xasprintf("catalogs.%s", cats->keys[i]);
        int rc = 0;
        if (v->t == YNODE_SCALAR) {
            rc = want_scalar(c, v, cats->key_lines[i], what, &path);
        } else if (v->t == YNODE_MAP) {
            /* DuckDBAttachOptions: type, path, read_only (connection.py) */
            for (size_t k = 0; k < v->n && rc == 0; k++) {
                const char *key = v->keys[k];
                if (!strcmp(key, "path")) rc = want_scalar(c, &v->items[k], v->key_lines[k], what, &path);
                else if (!strcmp(key, "read_only")) rc = want_bool(c, &v->items[k], v->key_lines[k], what, &ro);
                else if (!strcmp(key, "type")) {
                    const char *t = ynode_text(&v->items[k]);
                    if (!t || strcasecmp(t, "duckdb")) {
                        char *w = xasprintf("%s.type %s", what, t ? t : "");
                        rc = refuse(c, v->key_lines[k], w, "only DuckDB files can be attached");
                        free(w);
                    }
                } else {
                    char *w = xasprintf("%s.%s", what, key);
                    rc = refuse(c, v->key_lines[k], w, "materia attaches plain DuckDB files (type, path, read_only)");
                    free(w);
                }
            }
            if (rc == 0 && !path) rc = bad(c, v->line, what, "a path");
        } else {
            rc = bad(c, v->line, what, "a DuckDB file path or {type, path, read_only}");
        }
        free(what);
        if (rc < 0) return -1;
        if (i == 0) {
            if (ro) return refuse(c, cats->key_lines[0], "a read_only first catalog", "it is the lakehouse materia writes");
            if (!strcmp(path, ":memory:") || !strncmp(path, "md:", 3))
                return refuse(c, cats->key_lines[0], "an in-memory or MotherDuck first catalog",
                              "it is the lakehouse, a DuckDB file");
            pc->database = abs_path(c->dir, path);
            pc->database_line = cats->key_lines[0];
            /* DuckDB names an opened file's catalog after the file: a model's three-part
             * names must use that name, so another one would be accepted and not work */
            pc->catalog = project_catalog_name(pc->database);
            char *want = lower_dup(cats->keys[0]);
            bool same = !strcmp(want, pc->catalog);
            free(want);
            if (!same) {
                char why[512];
                snprintf(why, sizeof why, "DuckDB names the lakehouse's catalog after its file (%s): name the "
                         "entry %s, or the file %s.duckdb", pc->catalog, pc->catalog, cats->keys[0]);
                char name[256];
                snprintf(name, sizeof name, "first catalog name %s", cats->keys[0]);
                return refuse(c, cats->key_lines[0], name, why);
            }
        } else {
            struct project_catalog *pcat = &pc->catalogs[pc->n_catalogs++];
            pcat->name = lower_dup(cats->keys[i]);
            pcat->path = abs_path(c->dir, path);
            pcat->read_only = ro;
            pcat->line = cats->key_lines[i];
        }
    }
    return 0;
}

static int load_connection(struct ctx *c, const struct ynode *conn, const char *gw)
{
    struct project_config *pc = c->pc;
    char *prefix = xasprintf("gateways.%s.connection.", gw);
    int rc = conn->t == YNODE_MAP ? 0 : bad(c, conn->line, "connection", "a map (type, database, ...)");
    int line = 0;
    /* the type first: another engine's keys (host, user...) are refused as that engine */
    const struct ynode *type = rc == 0 ? ynode_get(conn, "type", &line) : NULL;
    const char *t = type ? ynode_text(type) : NULL;
    if (rc == 0 && !type) rc = bad(c, conn->line, "connection", "a type (duckdb)");
    else if (rc == 0 && (!t || strcasecmp(t, "duckdb"))) {
        char *w = xasprintf("%stype %s", prefix, t ? t : "");
        rc = refuse(c, line, w, "the lakehouse is a DuckDB file (type: duckdb)");
        free(w);
    }
    if (rc == 0) rc = check_keys(c, conn, connection_keys, prefix);
    const struct ynode *db = rc == 0 ? ynode_get(conn, "database", &line) : NULL;
    int cline = 0;
    const struct ynode *cats = rc == 0 ? ynode_get(conn, "catalogs", &cline) : NULL;
    if (db && ynode_is_null(db)) db = NULL;
    if (cats && ynode_is_null(cats)) cats = NULL;
    if (rc == 0 && db && cats)
        /* connection.py _validate_database_catalogs */
        rc = bad(c, cline, "catalogs", "either database or catalogs, not both (SQLMesh: \"Cannot specify both "
                 "`database` and `catalogs`\")");
    if (rc == 0 && db) {
        const char *path = NULL;
        rc = want_scalar(c, db, line, "database", &path);
        if (rc == 0 && (!strcmp(path, ":memory:") || !strncmp(path, "md:", 3)))
            rc = refuse(c, line, "an in-memory or MotherDuck database", "the lakehouse is a DuckDB file");
        if (rc == 0) {
            pc->database = abs_path(c->dir, path);
            pc->database_line = line;
            pc->catalog = project_catalog_name(pc->database);
        }
    }
    if (rc == 0 && cats) rc = load_catalogs(c, cats);
    if (rc == 0 && !pc->database)
        rc = refuse(c, conn->line, "a connection without database or catalogs",
                    "SQLMesh would use an in-memory DuckDB database, which keeps nothing between runs");
    /* the keys below only bound or tune what SQLMesh does; their values must be ones
     * materia's behaviour satisfies */
    const struct ynode *v;
    if (rc == 0 && (v = ynode_get(conn, "concurrent_tasks", &line))) {
        struct json j;
        ynode_json(v, &j);
        if (j.t != JSON_NUM || strchr(j.s, '.') || j.s[0] == '-' || !strcmp(j.s, "0"))
            rc = bad(c, line, "concurrent_tasks", "a whole number >= 1 (materia runs one model at a time, "
                     "within any limit)");
        json_free(&j);
    }
    bool b = false;
    if (rc == 0 && (v = ynode_get(conn, "pre_ping", &line)) && (rc = want_bool(c, v, line, "pre_ping", &b)) == 0 && b)
        rc = refuse(c, line, "pre_ping true", "SQLMesh itself allows only false for DuckDB");
    if (rc == 0 && (v = ynode_get(conn, "pretty_sql", &line)) &&
        (rc = want_bool(c, v, line, "pretty_sql", &b)) == 0 && b)
        rc = refuse(c, line, "pretty_sql true", "materia sends the SQL as rendered");
    /* false: model descriptions are not registered as DuckDB comments (transform/comments.c) */
    if (rc == 0 && (v = ynode_get(conn, "register_comments", &line)) &&
        (rc = want_bool(c, v, line, "register_comments", &b)) == 0)
        pc->no_comments = !b;
    free(prefix);
    return rc;
}

/* Variables: a map; nested values of any YAML type (no dates: quoted text is a string). */
static int load_variables(struct ctx *c, const struct ynode *v, struct json *into)
{
    if (ynode_is_null(v)) return 0;
    if (v->t != YNODE_MAP) return bad(c, v->line, "variables", "a map of name to value");
    if (into->t != JSON_OBJ) {
        memset(into, 0, sizeof *into);
        into->t = JSON_OBJ;
    }
    for (size_t i = 0; i < v->n; i++) {
        char *k = lower_dup(v->keys[i]);
        size_t at = into->n;
        for (size_t j = 0; j < into->n; j++)
            if (!strcmp(into->keys[j], k)) at = j;
        if (at == into->n) {
            into->keys = xrealloc(into->keys, (into->n + 1) * sizeof *into->keys);
            into->items = xrealloc(into->items, (into->n + 1) * sizeof *into->items);
            into->keys[at] = k;
            into->n++;
        } else {
            free(k);
            json_free(&into->items[at]); /* a gateway's variable overrides the root's */
        }
        ynode_json(&v->items[i], &into->items[at]);
    }
    return 0;
}

/* *gw_vars: the variables of the gateway in use (NULL when none), for the caller to load
 * over the root's. */
static int load_gateways(struct ctx *c, const struct ynode *root, const struct ynode **gw_vars)
{
    struct project_config *pc = c->pc;
    int gline = 0, dline = 0;
    const struct ynode *gws = ynode_get(root, "gateways", &gline);
    const struct ynode *def = ynode_get(root, "default_gateway", &dline);
    if (!gws || ynode_is_null(gws)) {
        if (def) return bad(c, dline, "default_gateway", "a gateway under gateways");
        return 0;
    }
    if (gws->t != YNODE_MAP || gws->n == 0) return bad(c, gws->line, "gateways", "a map of gateway name to gateway");
    size_t pick = 0;
    pc->gateway_from = "the first gateway";
    if (c->gateway) {
        pick = gws->n;
        for (size_t i = 0; i < gws->n; i++)
            if (!strcasecmp(gws->keys[i], c->gateway)) pick = i;
        if (pick == gws->n)
            /* root.py get_gateway */
            return mt_err_set(c->err, MT_ERR_FORMAT, "%s (%s): Missing gateway with name '%s'", c->file,
                              c->gateway_from, c->gateway);
        pc->gateway_from = c->gateway_from;
    } else if (def && !ynode_is_null(def)) {
        pc->gateway_from = "default_gateway";
        const char *want = ynode_text(def);
        if (!want) return bad(c, dline, "default_gateway", "a gateway name");
        pick = gws->n;
        for (size_t i = 0; i < gws->n; i++)
            if (!strcasecmp(gws->keys[i], want)) pick = i;
        if (pick == gws->n)
            /* root.py get_gateway */
            return mt_err_set(c->err, MT_ERR_FORMAT, "%s:%d: default_gateway: Missing gateway with name '%s'", c->file,
                              dline, want);
    } else {
        for (size_t i = 0; i < gws->n; i++)
            if (!gws->keys[i][0]) { pick = i; break; }
    }
    /* every gateway is checked, not only the one in use: a typo elsewhere is still a typo */
    for (size_t i = 0; i < gws->n; i++) {
        const struct ynode *g = &gws->items[i];
        char *gname = lower_dup(gws->keys[i]), *prefix = xasprintf("gateways.%s.", gname);
        int rc = g->t == YNODE_MAP ? check_keys(c, g, gateway_keys, prefix)
                                   : bad(c, g->line, prefix, "a map (connection, variables)");
        free(prefix);
        if (rc < 0) { free(gname); return -1; }
        if (i != pick) { free(gname); continue; }
        pc->gateway = gname;
        pc->gateway_line = gws->key_lines[i];
        const struct ynode *conn = ynode_get(g, "connection", NULL);
        if (!conn) return bad(c, gws->key_lines[i], "gateway", "a connection");
        if (load_connection(c, conn, pc->gateway) < 0) return -1;
        *gw_vars = ynode_get(g, "variables", NULL);
    }
    return 0;
}

/* before_all / after_all: a list of SQL statements. */
static int load_statements(struct ctx *c, const struct ynode *root, const char *key, struct strlist *out, int *line)
{
    const struct ynode *v = ynode_get(root, key, line);
    if (!v || ynode_is_null(v)) return 0;
    if (v->t != YNODE_SEQ) return bad(c, v->line, key, "a list of SQL statements");
    for (size_t i = 0; i < v->n; i++) {
        const char *s = NULL;
        if (want_scalar(c, &v->items[i], v->line, key, &s) < 0) return -1;
        strlist_push(out, s);
    }
    return 0;
}

/* A YAML value as model-header text: scalars as written, lists joined by ", " (audits),
 * a kind map {name: K, prop: v, ...} as "K (prop v, ...)". */
static int header_text(struct ctx *c, const struct ynode *v, const char *what, char **out)
{
    if (v->t == YNODE_SCALAR) {
        if (ynode_is_null(v)) return bad(c, v->line, what, "a value");
        *out = xstrdup(v->s);
        return 0;
    }
    strbuf sb;
    sb_init(&sb);
    if (v->t == YNODE_SEQ) {
        for (size_t i = 0; i < v->n; i++) {
            if (v->items[i].t != YNODE_SCALAR) { sb_free(&sb); return bad(c, v->items[i].line, what, "a name"); }
            sb_appendf(&sb, "%s%s", i ? ", " : "", v->items[i].s);
        }
    } else {
        const struct ynode *name = ynode_get(v, "name", NULL);
        if (!name || name->t != YNODE_SCALAR) { sb_free(&sb); return bad(c, v->line, what, "a kind name"); }
        sb_append(&sb, name->s);
        size_t np = 0;
        for (size_t i = 0; i < v->n; i++) {
            if (!strcmp(v->keys[i], "name")) continue;
            if (v->items[i].t != YNODE_SCALAR) {
                sb_free(&sb);
                return bad(c, v->key_lines[i], what, "kind properties with plain values");
            }
            sb_appendf(&sb, "%s%s %s", np++ ? ", " : " (", v->keys[i], v->items[i].s);
        }
        if (np) sb_append(&sb, ")");
    }
    *out = sb_detach(&sb);
    return 0;
}

static int load_defaults(struct ctx *c, const struct ynode *root)
{
    struct project_config *pc = c->pc;
    int line = 0;
    const struct ynode *d = ynode_get(root, "model_defaults", &line);
    if (!d || ynode_is_null(d)) return 0;
    if (d->t != YNODE_MAP) return bad(c, d->line, "model_defaults", "a map");
    if (check_keys(c, d, defaults_keys, "model_defaults.") < 0) return -1;
    const struct ynode *v;
    if ((v = ynode_get(d, "dialect", &pc->d_dialect_line))) {
        line = pc->d_dialect_line;
        const char *t = ynode_text(v);
        if (!t || strcasecmp(t, "duckdb")) {
            char *w = xasprintf("model_defaults.dialect %s", t ? t : "");
            int rc = refuse(c, line, w, "models run as DuckDB SQL (there is no SQL transpiler)");
            free(w);
            return rc;
        }
        pc->d_dialect = lower_dup(t);
    }
    struct { const char *key; char **slot; int *line; } text[] = {
        {"start", &pc->d_start, &pc->d_start_line}, {"cron", &pc->d_cron, &pc->d_cron_line},
        {"kind", &pc->d_kind, &pc->d_kind_line},     {"owner", &pc->d_owner, &pc->d_owner_line},
        {"audits", &pc->d_audits, &pc->d_audits_line},
        {"interval_unit", &pc->d_interval_unit, &pc->d_interval_unit_line},
        {"allow_partials", &pc->d_allow_partials, &pc->d_allow_partials_line},
    };
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
        if (!(v = ynode_get(d, text[i].key, text[i].line))) continue;
        char *what = xasprintf("model_defaults.%s", text[i].key);
        int rc = header_text(c, v, what, text[i].slot);
        free(what);
        if (rc < 0) return -1;
    }
    return 0;
}

static int load_linter(struct ctx *c, const struct ynode *root)
{
    static const char *const known[] = {"ambiguousorinvalidcolumn", "invalidselectstarexpansion",
                                        "noambiguousprojections", NULL};
    int line = 0;
    const struct ynode *l = ynode_get(root, "linter", &line);
    if (!l || ynode_is_null(l)) return 0;
    c->pc->lint_line = line;
    if (l->t != YNODE_MAP) return bad(c, l->line, "linter", "a map (enabled, rules)");
    if (check_keys(c, l, linter_keys, "linter.") < 0) return -1;
    const struct ynode *v;
    bool on = false;
    if ((v = ynode_get(l, "enabled", &line)) && want_bool(c, v, line, "linter.enabled", &on) < 0) return -1;
    static const char *const lists[] = {"rules", "warn_rules", "ignored_rules"};
    int level[3] = {0, 0, 0}; /* noambiguousprojections in each list */
    for (size_t k = 0; k < 3; k++) {
        if (!(v = ynode_get(l, lists[k], &line)) || ynode_is_null(v)) continue;
        size_t n = v->t == YNODE_SEQ ? v->n : 1;
        for (size_t i = 0; i < n; i++) {
            const struct ynode *r = v->t == YNODE_SEQ ? &v->items[i] : v;
            const char *name = ynode_text(r);
            if (!name) return bad(c, r->line, lists[k], "rule names");
            /* a rule that would run and that materia does not check is refused; one in
             * ignored_rules, or under `enabled: false`, never runs in SQLMesh either */
            if (!on || k == 2) {
                if (!strcasecmp(name, "noambiguousprojections")) level[k] = 1;
                continue;
            }
            if (!strcasecmp(name, "all")) return refuse(c, r->line, "linter rule all", "materia checks only "
                                                        "ambiguousorinvalidcolumn, invalidselectstarexpansion and "
                                                        "noambiguousprojections");
            bool ok = false;
            for (size_t q = 0; known[q]; q++) ok |= !strcasecmp(name, known[q]);
            if (!strcasecmp(name, "noambiguousprojections")) level[k] = 1;
            if (!ok) {
                char *w = xasprintf("linter rule %s", name);
                int rc = refuse(c, r->line, w, "materia checks only ambiguousorinvalidcolumn, "
                                "invalidselectstarexpansion and noambiguousprojections");
                free(w);
                return rc;
            }
        }
    }
    /* linter.py: ignored rules are taken out of both lists; a rule in `rules` is an error */
    if (on && !level[2]) c->pc->lint_projections = level[0] ? 2 : level[1] ? 1 : 0;
    return 0;
}

char *project_config_file(const char *dir)
{
    static const char *const names[] = {"config.yaml", "config.yml"};
    for (size_t i = 0; i < 2; i++) {
        char *p = fs_join(dir, names[i]);
        if (fs_exists(p)) return p;
        free(p);
    }
    return NULL;
}

int project_config_load(const char *dir, const char *gateway, struct project_config *pc, struct mt_err *err)
{
    memset(pc, 0, sizeof *pc);
    /* SQLMesh also reads a Python config (config.py: a Config object); its settings would be
     * silently lost here */
    char *py = fs_join(dir, "config.py");
    bool has_py = fs_exists(py);
    free(py);
    if (has_py)
        return mt_err_set(err, MT_ERR_FORMAT, "%s/config.py: a Python configuration is not supported by materia: "
                          "write its settings as config.yaml (SQLMesh's YAML keys)", dir);
    char *path = project_config_file(dir);
    if (!path) return 0;
    /* SQLMesh renders config.yaml through Jinja first (utils/yaml.py load: env_var, user,
     * var); materia does not: say so rather than read `{{ env_var('X') }}` as text */
    char *text;
    size_t len;
    if (fs_read_all(path, &text, &len, err) < 0) {
        free(path);
        return -1;
    }
    int jline = 1;
    const char *jinja = NULL;
    for (const char *q = text; q + 1 < text + len && !jinja; q++) {
        if (*q == '\n') jline++;
        else if (*q == '{' && (q[1] == '{' || q[1] == '%')) jinja = q;
    }
    if (jinja) {
        free(text);
        mt_err_set(err, MT_ERR_FORMAT, "%s:%d: Jinja ({{ ... }} / {%% ... %%}) is not supported by materia: config.yaml "
                   "is read as plain YAML; set the value itself, or a setting in the environment or .env", path, jline);
        free(path);
        return -1;
    }
    struct ynode root;
    int yrc = yaml_load(text, len, path, &root, err);
    free(text);
    if (yrc < 0) {
        free(path);
        return -1;
    }
    pc->dir = xstrdup(dir);
    pc->path = path;
    struct ctx c = {.file = path, .dir = dir, .pc = pc, .err = err, .gateway = gateway, .gateway_from = "--gateway"};
    if (!gateway && getenv("SQLMESH_GATEWAY") && *getenv("SQLMESH_GATEWAY")) {
        c.gateway = getenv("SQLMESH_GATEWAY");
        c.gateway_from = "SQLMESH_GATEWAY in the environment";
    }
    const struct ynode *gw_vars = NULL;
    int rc = 0;
    if (root.t != YNODE_MAP) rc = bad(&c, root.line, "config", "a map of settings (gateways, model_defaults, ...)");
    if (rc == 0) rc = check_keys(&c, &root, root_keys, "");
    if (rc == 0) rc = load_gateways(&c, &root, &gw_vars);
    if (rc == 0) rc = load_defaults(&c, &root);
    const struct ynode *vars = rc == 0 ? ynode_get(&root, "variables", NULL) : NULL;
    if (rc == 0 && vars) rc = load_variables(&c, vars, &pc->vars);
    /* root.py: the gateway's variables update the root's (Context._variables) */
    if (rc == 0 && gw_vars) rc = load_variables(&c, gw_vars, &pc->vars);
    if (rc == 0) rc = load_statements(&c, &root, "before_all", &pc->before_all, &pc->before_all_line);
    if (rc == 0) rc = load_statements(&c, &root, "after_all", &pc->after_all, &pc->after_all_line);
    if (rc == 0) rc = load_linter(&c, &root);
    ynode_free(&root);
    if (rc < 0) {
        project_config_free(pc);
        return -1;
    }
    return 1;
}

void project_config_free(struct project_config *pc)
{
    free(pc->dir);
    free(pc->path);
    free(pc->gateway);
    free(pc->database);
    free(pc->catalog);
    for (size_t i = 0; i < pc->n_catalogs; i++) {
        free(pc->catalogs[i].name);
        free(pc->catalogs[i].path);
    }
    free(pc->catalogs);
    free(pc->d_dialect);
    free(pc->d_start);
    free(pc->d_interval_unit);
    free(pc->d_allow_partials);
    free(pc->d_cron);
    free(pc->d_kind);
    free(pc->d_owner);
    free(pc->d_audits);
    json_free(&pc->vars);
    strlist_free(&pc->before_all);
    strlist_free(&pc->after_all);
    memset(pc, 0, sizeof *pc);
}
