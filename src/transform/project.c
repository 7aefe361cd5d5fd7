/* project.c — loads a project folder as SQLMesh's loader does (sqlmesh/core/loader.py):
 * models/ ** / *.sql, audits/ ** / *.sql, external_models.yaml and external_models/ ** / *.yaml,
 * with config.yaml's model_defaults applied to every model (util/project_config.h, read
 * with the configuration by util/config.c).
 *
 * Files are read in sorted path order, so every later step (fingerprints, the DAG, output)
 * is deterministic. External models follow SQLMesh's format (examples/sushi/
 * external_models.yaml): a YAML list of {name, columns: {column: type}, description,
 * gateway, dialect}; an entry for another gateway than the one in use is skipped, as
 * loader.py _load_external_models does. A plain `external_models` file with one name per
 * line also works (Materia's own older format).
 *
 * This file also builds the macro renderer's project inputs (project_render_ctx): the
 * variables, the gateway, the model's kind name and the column lookup (columns.c). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "transform/engine.h"
#include "transform/kinds.h"
#include "util/db.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/project_config.h"
#include "util/yaml.h"

/* Appends every file ending in ext under dir (recursively when recurse) to files. */
static void collect(const char *dir, const char *ext, bool recurse, struct strlist *files)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    size_t el = strlen(ext);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *path = fs_join(dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0) {
            size_t n = strlen(e->d_name);
            if (S_ISDIR(st.st_mode) && recurse) collect(path, ext, true, files);
            else if (S_ISREG(st.st_mode) && n > el && !strcmp(e->d_name + n - el, ext)) strlist_push(files, path);
        }
        free(path);
    }
    closedir(d);
}

static void lower(char *s)
{
    for (; *s; s++) *s = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
}

/* "t" -> "main.t"; "cat.s.t" -> "s.t" when cat is the lakehouse's catalog. Caller frees. */
char *project_canon_name(const struct project *p, const char *name)
{
    char *n = xstrdup(name);
    lower(n);
    const char *d1 = strchr(n, '.');
    if (!d1) {
        char *full = xasprintf("default.%s", n); /* a one-part model's schema (SQLMesh) */
        if (project_find(p, full) < 0) {
            free(full);
            full = xasprintf("main.%s", n);
        }
        free(n);
        return full;
    }
    const char *d2 = strchr(d1 + 1, '.');
    if (d2 && p->catalog && (size_t)(d1 - n) == strlen(p->catalog) && !strncmp(n, p->catalog, (size_t)(d1 - n))) {
        char *s = xstrdup(d1 + 1);
        free(n);
        return s;
    }
    return n;
}

static int ext_error(const char *file, int line, const char *what, const char *why, struct mt_err *err)
{
    return mt_err_set(err, MT_ERR_FORMAT, "%s:%d: %s is not supported by materia: %s", file, line, what, why);
}

/* One external_models YAML file (a list of entries). */
static int load_external_file(struct project *p, const char *path, struct mt_err *err)
{
    struct ynode root;
    if (yaml_load_file(path, &root, err) < 0) return -1;
    int rc = 0;
    if (root.t == YNODE_MAP && root.n == 0) goto done; /* empty file: no models (loader.py) */
    if (root.t != YNODE_SEQ) {
        rc = mt_err_set(err, MT_ERR_FORMAT, "%s:%d: expected a list of external models (- name: schema.table)", path,
                        root.line);
        goto done;
    }
    for (size_t i = 0; i < root.n && rc == 0; i++) {
        const struct ynode *e = &root.items[i];
        int line = 0;
        const struct ynode *name = ynode_get(e, "name", &line);
        if (e->t != YNODE_MAP || !name || !ynode_text(name) || !*ynode_text(name)) {
            rc = mt_err_set(err, MT_ERR_FORMAT, "%s:%d: expected an external model with a name", path, e->line);
            break;
        }
        const struct ynode *gw = ynode_get(e, "gateway", NULL);
        bool skip = false;
        for (size_t k = 0; k < e->n && rc == 0; k++) {
            const char *key = e->keys[k];
            const struct ynode *v = &e->items[k];
            if (!strcmp(key, "name") || !strcmp(key, "description") || !strcmp(key, "columns") ||
                !strcmp(key, "gateway"))
                continue;
            if (!strcmp(key, "dialect")) {
                const char *t = ynode_text(v);
                if (!t || strcasecmp(t, "duckdb"))
                    rc = ext_error(path, e->key_lines[k], "dialect", "models run as DuckDB SQL (no transpiler)", err);
            } else if (!strcmp(key, "audits")) {
                rc = ext_error(path, e->key_lines[k], "audits on an external model",
                               "materia audits the tables it builds", err);
            } else {
                char *w = xasprintf("external model property '%s'", key);
                rc = ext_error(path, e->key_lines[k], w, "materia reads name, columns, description and gateway", err);
                free(w);
            }
        }
        if (rc < 0) break;
        if (gw && !ynode_is_null(gw)) {
            const char *g = ynode_text(gw);
            skip = !g || !p->conf || !p->conf->gateway || strcasecmp(g, p->conf->gateway);
        }
        if (skip) continue;
        bool for_gw = gw && !ynode_is_null(gw);
        char *full = project_canon_name(p, ynode_text(name));
        struct external_model *x = NULL;
        /* loader.py: a duplicate name is an error, except that an entry for the gateway in use
         * takes the place of the gateway-less one */
        for (size_t k = 0; k < p->n_ext && rc == 0; k++) {
            if (strcmp(p->ext[k].name, full)) continue;
            if (for_gw && !p->ext[k].for_gateway) x = &p->ext[k];
            else
                rc = mt_err_set(err, MT_ERR_FORMAT, "%s:%d: Duplicate external model name: '%s' (also %s:%d)", path,
                                line, full, p->ext[k].file, p->ext[k].line);
        }
        if (rc < 0) { free(full); break; }
        if (x) {
            free(x->name);
            free(x->file);
            strlist_free(&x->col_names);
            strlist_free(&x->col_types);
        } else {
            p->ext = xrealloc(p->ext, (p->n_ext + 1) * sizeof *p->ext);
            x = &p->ext[p->n_ext++];
            strlist_push(&p->externals, full);
        }
        memset(x, 0, sizeof *x);
        x->name = full;
        x->file = xstrdup(path);
        x->line = line;
        x->for_gateway = for_gw;
        int cl = 0;
        const struct ynode *cols = ynode_get(e, "columns", &cl);
        if (cols && !ynode_is_null(cols)) {
            if (cols->t != YNODE_MAP) {
                rc = mt_err_set(err, MT_ERR_FORMAT, "%s:%d: columns: expected a map of column name to type", path, cl);
                break;
            }
            for (size_t k = 0; k < cols->n; k++) {
                const char *t = ynode_text(&cols->items[k]);
                if (!t || !*t) {
                    rc = mt_err_set(err, MT_ERR_FORMAT, "%s:%d: column %s: expected a type", path,
                                    cols->key_lines[k], cols->keys[k]);
                    break;
                }
                strlist_push(&x->col_names, cols->keys[k]);
                strlist_push(&x->col_types, t);
            }
        }
    }
done:
    ynode_free(&root);
    return rc;
}

/* The older one-name-per-line `external_models` file. */
static int load_external_names(struct project *p, const char *path, struct mt_err *err)
{
    char *data = NULL;
    size_t len;
    if (fs_read_all(path, &data, &len, err) < 0) return -1;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\r' || e[-1] == '\t')) *--e = 0;
        if (*s == '#' || !*s) continue;
        char *full = project_canon_name(p, s);
        strlist_push(&p->externals, full);
        free(full);
    }
    free(data);
    return 0;
}

static int load_externals(struct project *p, struct mt_err *err)
{
    /* loader.py: external_models.yaml (else the deprecated schema.yaml), then every .yaml
     * under external_models/ */
    static const char *const names[] = {"external_models.yaml", "external_models.yml", "schema.yaml"};
    for (size_t k = 0; k < 3; k++) {
        char *path = fs_join(p->dir, names[k]);
        bool there = fs_exists(path);
        int rc = there ? load_external_file(p, path, err) : 0;
        free(path);
        if (rc < 0) return -1;
        if (there) break;
    }
    char *plain = fs_join(p->dir, "external_models");
    struct stat st;
    if (stat(plain, &st) == 0 && S_ISREG(st.st_mode) && load_external_names(p, plain, err) < 0) {
        free(plain);
        return -1;
    }
    struct strlist files = {0};
    collect(plain, ".yaml", true, &files);
    collect(plain, ".yml", true, &files);
    free(plain);
    strlist_sort(&files);
    int rc = 0;
    for (size_t i = 0; i < files.n && rc == 0; i++) rc = load_external_file(p, files.v[i], err);
    strlist_free(&files);
    return rc;
}

/* SQLMesh loads Python models from models/ ** / *.py (a function decorated with @model):
 * they cannot run here, and skipping one would only make its dependents fail later with
 * "unknown table". A .py file without @model defines no model (a helper) and is left alone. */
static int refuse_python_models(const struct project *p, struct mt_err *err)
{
    struct strlist files = {0};
    char *mdir = fs_join(p->dir, "models");
    collect(mdir, ".py", true, &files);
    free(mdir);
    strlist_sort(&files);
    int rc = 0;
    for (size_t i = 0; i < files.n && rc == 0; i++) {
        char *data;
        size_t len;
        if (fs_read_all(files.v[i], &data, &len, err) < 0) { rc = -1; break; }
        int line = 1;
        for (const char *q = data; q < data + len; q++) {
            if ((q == data || q[-1] == '\n') && !strncmp(q, "@model", 6) && (q[6] == '(' || q[6] == '\n' || q[6] == ' ')) {
                rc = mt_err_set(err, MT_ERR_FORMAT, "%s:%d: Python model is not supported by materia: only SQL "
                                "models (models/ ** / *.sql) run here", files.v[i], line);
                break;
            }
            if (*q == '\n') line++;
        }
        free(data);
    }
    strlist_free(&files);
    return rc;
}

/* Adds parsed model m to p (m is consumed): config.yaml's defaults, then the checks every
 * model passes; a disabled model is dropped. 0, or -1 with the reason in err. */
/* Renders every audit argument of m once, as the fixed render does, so a macro that cannot
 * run here (a Python macro, an undefined variable) is refused when the project loads, at
 * the audit's line, not when the audit runs after the model is built. */
static int check_audit_args(const struct project *p, const struct model *m, const struct config *cfg,
                            struct mt_err *err)
{
    struct render_ctx rc = {.cfg = cfg, .vars = p->vars, .fixed = true, .end_us = 86400 * US_PER_SEC,
                            .exec_us = 86400 * US_PER_SEC, .bp_names = &m->bp_names, .bp_values = &m->bp_values};
    for (size_t i = 0; i < m->n_audits; i++)
        for (size_t k = 0; k < m->audits[i].arg_values.n; k++) {
            const char *v = m->audits[i].arg_values.v[k];
            if (!strchr(v, '@')) continue;
            strbuf sb;
            sb_init(&sb);
            int rc_ = macro_render(v, m->file, m->audits[i].line, &rc, &sb, err);
            sb_free(&sb);
            if (rc_ < 0) return -1;
        }
    return 0;
}

static int add_model(struct project *p, struct model *m, const struct config *cfg, struct mt_err *err)
{
    if (check_audit_args(p, m, cfg, err) < 0) {
        model_free(m);
        return -1;
    }
    if ((p->conf && model_apply_defaults(m, p->conf, err) < 0) || kind_check(m, err) < 0) {
        model_free(m);
        return -1;
    }
    if (m->catalog && strcmp(m->catalog, p->catalog)) {
        /* a model is a view and a table materia writes: only in the lakehouse */
        mt_err_set(err, MT_ERR_FORMAT, "%s:%d: catalog %s is not supported by materia: models are built in the "
                   "lakehouse, catalog %s (DUCKDB_PATH %s)", m->file, m->line, m->catalog, p->catalog,
                   cfg->s.duckdb_path);
        model_free(m);
        return -1;
    }
    if (m->gateway && (!p->conf || !p->conf->gateway || strcmp(m->gateway, p->conf->gateway))) {
        mt_err_set(err, MT_ERR_FORMAT, "%s:%d: gateway %s is not supported by materia: every model runs on the "
                   "gateway in use (%s)", m->file, m->gateway_line, m->gateway,
                   p->conf && p->conf->gateway ? p->conf->gateway : "none: no config.yaml gateway");
        model_free(m);
        return -1;
    }
    if (m->disabled) { /* `enabled false`: SQLMesh's loader skips the model */
        model_free(m);
        return 0;
    }
    p->models[p->n++] = *m;
    return 0;
}

struct named { const char *name; size_t i; };

static int named_cmp(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    int c = strcasecmp(x->name, y->name);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The first model, in load order, whose name an earlier one already has — the error a
 * name-by-name lookup at each add would give, found by one sort instead of n lookups (a
 * project of 1,000 models spent ~40 % of its load in those lookups). */
static int check_duplicates(const struct project *p, struct mt_err *err)
{
    struct named *v = xcalloc(p->n ? p->n : 1, sizeof *v);
    for (size_t i = 0; i < p->n; i++) v[i] = (struct named){p->models[i].name, i};
    qsort(v, p->n, sizeof *v, named_cmp);
    size_t dup = SIZE_MAX, first = 0;
    for (size_t k = 1; k < p->n; k++)
        if (!strcasecmp(v[k].name, v[k - 1].name) && (k < 2 || strcasecmp(v[k - 1].name, v[k - 2].name)) &&
            v[k].i < dup)
            dup = v[k].i, first = v[k - 1].i;
    free(v);
    if (dup == SIZE_MAX) return 0;
    const struct model *m = &p->models[dup];
    return mt_errf(err, "%s:%d: duplicate model name '%s' (already defined in %s:%d)", m->file, m->line, m->name,
                   p->models[first].file, p->models[first].line);
}

int project_load(const struct config *cfg, struct project *p, struct mt_err *err)
{
    memset(p, 0, sizeof *p);
    if (config_project_check(cfg, err) < 0) return -1;
    const char *dir = cfg->s.project_dir;
    p->dir = xstrdup(dir && *dir ? dir : ".");
    p->cfg = cfg;
    if (cfg->has_project) {
        p->conf = &cfg->project;
        p->vars = cfg->project.vars.t == JSON_OBJ ? &cfg->project.vars : NULL;
    }
    p->catalog = project_catalog_name(cfg->s.duckdb_path ? cfg->s.duckdb_path : "");
    struct strlist files = {0};
    char *mdir = fs_join(p->dir, "models");
    collect(mdir, ".sql", true, &files);
    free(mdir);
    strlist_sort(&files);
    p->models = xcalloc(files.n ? files.n : 1, sizeof *p->models);
    int rc = 0;
    for (size_t i = 0; i < files.n && rc == 0; i++) {
        char *data;
        size_t len;
        if (fs_read_all(files.v[i], &data, &len, err) < 0) { rc = -1; break; }
        struct model m;
        rc = model_parse(data, len, files.v[i], &m, err);
        if (rc < 0) {
            free(data);
            break;
        }
        if (m.blueprints) {
            /* one model per blueprint (blueprints.c), each checked like any other */
            struct model *bms;
            size_t nb;
            rc = blueprints_expand(&m, data, len, p, cfg, &bms, &nb, err);
            if (rc == 0) {
                p->models = xrealloc(p->models, (files.n + p->n + nb) * sizeof *p->models);
                size_t k = 0;
                while (k < nb && rc == 0) rc = add_model(p, &bms[k++], cfg, err);
                while (k < nb) model_free(&bms[k++]); /* after a failure: the ones not added */
                free(bms);
            } else model_free(&m);
            free(data);
            continue;
        }
        free(data);
        rc = add_model(p, &m, cfg, err);
    }
    strlist_free(&files);
    if (rc == 0) rc = check_duplicates(p, err);
    if (rc == 0) rc = refuse_python_models(p, err);
    if (rc == 0) {
        /* loader.py _load_audits globs audits/ recursively */
        char *adir = fs_join(p->dir, "audits");
        collect(adir, ".sql", true, &files);
        free(adir);
        strlist_sort(&files);
        for (size_t i = 0; i < files.n && rc == 0; i++) {
            char *data;
            size_t len;
            if (fs_read_all(files.v[i], &data, &len, err) < 0) { rc = -1; break; }
            rc = audit_file_parse(data, len, files.v[i], &p->audits, &p->n_audits, err);
            free(data);
        }
        strlist_free(&files);
    }
    if (rc == 0) rc = load_externals(p, err);
    if (rc < 0) project_free(p);
    return rc;
}

void project_free(struct project *p)
{
    for (size_t i = 0; i < p->n; i++) {
        model_free(&p->models[i]);
        if (p->parent_names) strlist_free(&p->parent_names[i]);
        if (p->parents) free(p->parents[i]);
        if (p->globs) free(p->globs[i]);
        if (p->fixed_sql) free(p->fixed_sql[i]);
    }
    free(p->models);
    for (size_t i = 0; i < p->n_audits; i++) audit_def_free(&p->audits[i]);
    free(p->audits);
    for (size_t i = 0; i < p->n_ext; i++) {
        free(p->ext[i].name);
        free(p->ext[i].file);
        strlist_free(&p->ext[i].col_names);
        strlist_free(&p->ext[i].col_types);
    }
    free(p->ext);
    strlist_free(&p->externals);
    free(p->parent_names);
    free(p->parents);
    free(p->n_parents);
    free(p->order);
    free(p->globs);
    free(p->fixed_sql);
    columns_scratch_close(p);
    free(p->rewrite);
    free(p->self_ref);
    free(p->catalog);
    free(p->dir);
    memset(p, 0, sizeof *p);
}

long project_find(const struct project *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->models[i].name && !strcasecmp(p->models[i].name, name)) return (long)i;
    return -1;
}

/* ---- the renderer's project inputs ---- */

void project_render_ctx(const struct project *p, size_t i, const struct config *cfg, struct render_ctx *rc)
{
    memset(rc, 0, sizeof *rc);
    rc->cfg = cfg;
    rc->vars = p->vars;
    rc->gateway = p->conf ? p->conf->gateway : NULL;
    rc->kind_name = p->models[i].scd2.legacy_name ? "SCD_TYPE_2" : model_kind_name(p->models[i].kind);
    rc->columns = columns_lookup;
    rc->columns_ud = (void *)p;
    rc->con = p->con;
    rc->this_model = p->models[i].name;
    if (p->models[i].bp_names.n) {
        rc->bp_names = &p->models[i].bp_names;
        rc->bp_values = &p->models[i].bp_values;
    }
}
