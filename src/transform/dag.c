/* dag.c — the model graph, from DuckDB's own parser.
 *
 * How it works: every model's query is rendered (macros expanded with fixed placeholder
 * times — dependencies never depend on the interval) and all of them are sent to DuckDB in
 * ONE query, `SELECT i, json_serialize_sql(q) FROM (VALUES ...)`, so a 1,000-model project
 * costs one round trip. The JSON parse trees are walked for
 *   - BASE_TABLE nodes: table references (CTE names defined anywhere in the query are not
 *     dependencies; names that look like files — 'x.csv' — are file inputs),
 *   - TABLE_FUNCTION nodes calling read_csv*, read_json*, read_parquet, read_text,
 *     read_blob: their first argument, folded when it is a constant, a || / concat() of
 *     constants or a list of them, is a file-input glob.
 * References must name a model or a declared external table. Models are then ordered by a
 * depth-first search over names in sorted order (deterministic); a back edge is a cycle,
 * reported as "a -> b -> a". */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "transform/engine.h"
#include "util/err.h"
#include "util/db.h"
#include "util/fsutil.h"

struct refs {
    struct strlist tables, ctes, files;
};

static bool is_reader(const char *fn)
{
    static const char *readers[] = {"read_csv", "read_csv_auto", "read_json", "read_json_auto", "read_ndjson",
                                    "read_ndjson_auto", "read_json_objects", "read_ndjson_objects",
                                    "read_parquet", "parquet_scan", "read_text", "read_blob", "sniff_csv"};
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
        if (!strcasecmp(fn, readers[i])) return true;
    return false;
}

/* Folds an expression to constant strings; false when it is not constant. */
static bool fold(const struct json *e, struct strlist *out)
{
    const char *cls = json_str(e, "class");
    if (!strcmp(cls, "CONSTANT")) {
        const struct json *v = json_get(json_get(e, "value"), "value");
        if (!v || v->t != JSON_STR) return false;
        strlist_push(out, v->s);
        return true;
    }
    if (!strcmp(cls, "CAST")) return fold(json_get(e, "child"), out);
    if (!strcmp(cls, "FUNCTION")) {
        const char *fn = json_str(e, "function_name");
        const struct json *ch = json_get(e, "children");
        if (!ch || ch->t != JSON_ARR) return false;
        if (!strcmp(fn, "list_value")) {
            for (size_t i = 0; i < ch->n; i++)
                if (!fold(&ch->items[i], out)) return false;
            return true;
        }
        if (!strcmp(fn, "||") || !strcasecmp(fn, "concat")) {
            strbuf sb;
            sb_init(&sb);
            for (size_t i = 0; i < ch->n; i++) {
                struct strlist part = {0};
                bool ok = fold(&ch->items[i], &part) && part.n == 1;
                if (ok) sb_append(&sb, part.v[0]);
                strlist_free(&part);
                if (!ok) { sb_free(&sb); return false; }
            }
            strlist_push(out, sb.buf);
            sb_free(&sb);
            return true;
        }
    }
    return false;
}

static bool looks_like_file(const char *name)
{
    if (strchr(name, '/')) return true;
    static const char *ext[] = {".csv", ".parquet", ".json", ".ndjson", ".gz", ".gzip", ".tsv", ".zst"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t k = strlen(ext[i]);
        if (n > k && !strcasecmp(name + n - k, ext[i])) return true;
    }
    return false;
}

static void walk(const struct json *v, struct refs *r)
{
    if (v->t == JSON_OBJ) {
        const char *type = json_str(v, "type");
        if (!strcmp(type, "BASE_TABLE")) {
            const char *cat = json_str(v, "catalog_name"), *schema = json_str(v, "schema_name"),
                       *table = json_str(v, "table_name");
            if (!*schema && !*cat && looks_like_file(table)) strlist_push(&r->files, table);
            else {
                char *n = *cat ? xasprintf("%s.%s.%s", cat, schema, table)
                          : *schema ? xasprintf("%s.%s", schema, table) : xstrdup(table);
                for (char *q = n; *q; q++) *q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
                if (!strlist_has(&r->tables, n)) strlist_push(&r->tables, n);
                free(n);
            }
        } else if (!strcmp(type, "TABLE_FUNCTION")) {
            const struct json *f = json_get(v, "function");
            const struct json *ch = json_get(f, "children");
            if (is_reader(json_str(f, "function_name")) && ch && ch->t == JSON_ARR && ch->n > 0)
                fold(&ch->items[0], &r->files);
        }
        const struct json *cte = json_get(json_get(v, "cte_map"), "map");
        if (cte && cte->t == JSON_ARR)
            for (size_t i = 0; i < cte->n; i++) {
                const char *k = json_str(&cte->items[i], "key");
                if (*k) strlist_push(&r->ctes, k);
            }
    }
    if (v->t == JSON_OBJ || v->t == JSON_ARR)
        for (size_t i = 0; i < v->n; i++) walk(&v->items[i], r);
}

const char *dag_fixed_sql(const struct project *p, size_t i)
{
    return p->fixed_sql ? p->fixed_sql[i] : NULL;
}

char *dag_render_fixed(const struct project *p, size_t i, const struct config *cfg, struct mt_err *err)
{
    const struct model *m = &p->models[i];
    struct render_ctx rc;
    project_render_ctx(p, i, cfg, &rc);
    rc.start_us = 0;
    rc.end_us = rc.exec_us = 86400 * US_PER_SEC;
    rc.fixed = true;
    strbuf sb;
    sb_init(&sb);
    if (macro_render(m->query, m->file, m->query_line, &rc, &sb, err) < 0) {
        sb_free(&sb);
        return NULL;
    }
    return sb_detach(&sb);
}

/* Resolves one reference of model i (lower-case, one to three parts) to a parent: a model
 * (schema.table; a one-part name is a model in SQLMesh's `default` schema, else main.t), or
 * a declared external table. -1 with an error for an unknown table or catalog. A model's
 * reference to itself is no parent: an incremental or FULL model may read its own rows,
 * as in SQLMesh (model/definition.py: depends_on excludes the model itself); a VIEW or SEED
 * may not. */
static int resolve(struct project *p, size_t i, const char *name, const struct refs *r, bool declared_dep,
                   struct strlist *parents, struct mt_err *err)
{
    const struct model *m = &p->models[i];
    if (!strchr(name, '.') && strlist_has(&r->ctes, name)) return 0;
    const char *d1 = strchr(name, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    char *full = NULL;
    bool external_only = false;
    if (d2) {
        size_t cl = (size_t)(d1 - name);
        bool declared = false;
        for (size_t k = 0; p->conf && k < p->conf->n_catalogs; k++)
            declared |= strlen(p->conf->catalogs[k].name) == cl && !strncmp(p->conf->catalogs[k].name, name, cl);
        if (strlen(p->catalog) == cl && !strncmp(name, p->catalog, cl)) full = xstrdup(d1 + 1);
        else if (declared) { full = xstrdup(name); external_only = true; }
        else
            return mt_errf(err, "%s:%d: catalog '%.*s' of '%s' is not the lakehouse's (%s) nor one of config.yaml's "
                           "catalogs", m->file, m->query_line, (int)cl, name, name, p->catalog);
    } else if (d1) {
        full = xstrdup(name);
    } else {
        char *dn = xasprintf("default.%s", name);
        if (project_find(p, dn) >= 0) {
            full = dn;
            p->rewrite[i] = true; /* the view is "default"."t": names_qualify */
        } else {
            free(dn);
            full = xasprintf("main.%s", name);
        }
    }
    if (!strncmp(full, "information_schema.", 19) || !strncmp(full, "pg_catalog.", 11) ||
        !strncmp(full, "_materia.", 9)) {
        free(full);
        return 0;
    }
    int rc = 0;
    if (!external_only && !strcasecmp(full, m->name) && declared_dep) {
        /* `depends_on (itself)` declares no rows read: the cycle it is */
        rc = mt_errf(err, "%s: dependency cycle: %s -> %s", m->file, m->name, m->name);
    } else if (!external_only && !strcasecmp(full, m->name)) {
        if (kind_is_scd2(m->kind))
            rc = mt_errf(err, "%s:%d: %s reading its own rows is not supported by materia: not implemented for the "
                         "SCD type 2 kinds (only INCREMENTAL_BY_* and FULL models may read their own rows)", m->file,
                         m->query_line, model_kind_name(m->kind));
        else if (m->kind != KIND_INCR_TIME && m->kind != KIND_INCR_KEY && m->kind != KIND_FULL &&
            m->kind != KIND_INCR_PARTITION && m->kind != KIND_INCR_UNMANAGED)
            rc = mt_errf(err, "%s:%d: %s reads itself: only an INCREMENTAL or FULL model may read its own rows",
                         m->file, m->query_line, m->name);
        else if (!m->columns || !*m->columns)
            /* definition.py validate_definition; its table is created from them before its first
             * query runs (snapshot/evaluator.py should_create_empty_table) */
            rc = mt_errf(err, "%s:%d: %s reads itself: Self-referencing models require inferrable column types: "
                         "declare them with columns (name TYPE, ...)", m->file, m->query_line, m->name);
        else
            p->rewrite[i] = p->self_ref[i] = true;
    } else if ((!external_only && project_find(p, full) >= 0) || strlist_has(&p->externals, full) ||
               strlist_has(&p->externals, name)) {
        if (!strlist_has(parents, full)) strlist_push(parents, full);
    } else {
        mt_errf(err, "%s:%d: unknown table '%s': not a model and not declared in external_models.yaml",
                 m->file, m->query_line, name);
        rc = -1;
    }
    free(full);
    return rc;
}

static int analyse(struct project *p, size_t i, const char *json_text, const char *sql, struct mt_err *err)
{
    const struct model *m = &p->models[i];
    struct json j;
    struct mt_err jerr = MT_ERR_INIT;
    if (json_parse(json_text, &j, &jerr) < 0) {
        mt_errf(err, "%s:%d: parse tree JSON: %s", m->file, m->query_line, jerr.msg);
        return -1;
    }
    int rc = 0;
    const struct json *e = json_get(&j, "error");
    const struct json *stmts = json_get(&j, "statements");
    struct refs r = {0};
    if (e && e->t == JSON_BOOL && e->b) {
        mt_errf(err, "%s:%d: %s", m->file, m->query_line, json_str(&j, "error_message"));
        rc = -1;
    } else if (!stmts || stmts->t != JSON_ARR || stmts->n != 1) {
        mt_errf(err, "%s:%d: expected exactly one query after MODEL (...);", m->file, m->query_line);
        rc = -1;
    } else {
        walk(stmts, &r);
        if (lint_projections(p, i, &stmts->items[0], sql ? sql : "", err) < 0) rc = -1;
        for (size_t k = 0; k < r.tables.n && rc == 0; k++)
            rc = resolve(p, i, r.tables.v[k], &r, false, &p->parent_names[i], err);
        if (r.files.n) {
            strbuf sb;
            sb_init(&sb);
            for (size_t k = 0; k < r.files.n; k++) {
                /* each pattern once (raw reads the landing glob with read_blob and read_csv):
                 * every fingerprint and stamp check globs and stats what is listed here */
                bool seen = false;
                for (size_t q = 0; q < k && !seen; q++) seen = !strcmp(r.files.v[q], r.files.v[k]);
                if (!seen) sb_appendf(&sb, "%s\n", r.files.v[k]);
            }
            p->globs[i] = sb_detach(&sb);
        }
    }
    strlist_free(&r.tables);
    strlist_free(&r.ctes);
    strlist_free(&r.files);
    json_free(&j);
    return rc;
}

struct dfs {
    struct project *p;
    unsigned char *color;
    size_t *stack, depth, n_order;
    struct mt_err *err;
};

static int dfs_visit(struct dfs *d, size_t i)
{
    if (d->color[i] == 2) return 0;
    d->stack[d->depth++] = i;
    if (d->color[i] == 1) {
        strbuf sb;
        sb_init(&sb);
        size_t k = d->depth - 1;
        while (k > 0 && d->stack[k - 1] != i) k--;
        for (size_t q = k > 0 ? k - 1 : 0; q < d->depth; q++)
            sb_appendf(&sb, "%s%s", q > (k > 0 ? k - 1 : 0) ? " -> " : "", d->p->models[d->stack[q]].name);
        mt_errf(d->err, "%s: dependency cycle: %s", d->p->models[i].file, sb.buf);
        sb_free(&sb);
        return -1;
    }
    d->color[i] = 1;
    for (size_t k = 0; k < d->p->n_parents[i]; k++)
        if (dfs_visit(d, d->p->parents[i][k]) < 0) return -1;
    d->color[i] = 2;
    d->depth--;
    d->p->order[d->n_order++] = i;
    return 0;
}

int dag_build(struct project *p, const struct config *cfg, duckdb_connection con, struct mt_err *err)
{
    size_t n = p->n;
    p->con = con;
    p->parent_names = xcalloc(n ? n : 1, sizeof *p->parent_names);
    p->parents = xcalloc(n ? n : 1, sizeof *p->parents);
    p->n_parents = xcalloc(n ? n : 1, sizeof *p->n_parents);
    p->order = xcalloc(n ? n : 1, sizeof *p->order);
    p->globs = xcalloc(n ? n : 1, sizeof *p->globs);
    p->rewrite = xcalloc(n ? n : 1, sizeof *p->rewrite);
    p->self_ref = xcalloc(n ? n : 1, sizeof *p->self_ref);
    /* a lakehouse named like a schema: every model's two-part names need the catalog */
    if (names_collide(p))
        for (size_t i = 0; i < n; i++) p->rewrite[i] = true;
    char **sqls = xcalloc(n ? n : 1, sizeof *sqls);
    strbuf q;
    sb_init(&q);
    sb_append(&q, "SELECT i, json_serialize_sql(q) FROM (VALUES ");
    size_t nq = 0;
    for (size_t i = 0; i < n; i++) {
        if (p->models[i].kind == KIND_SEED) continue;
        char *sql = dag_render_fixed(p, i, cfg, err);
        if (!sql) {
            for (size_t k = 0; k < i; k++) free(sqls[k]);
            free(sqls);
            sb_free(&q);
            return -1;
        }
        sb_appendf(&q, "%s(%zu, ", nq++ ? ", " : "", i);
        db_quote_literal(&q, sql);
        sb_append_char(&q, ')');
        sqls[i] = sql; /* for the linter's messages */
    }
    sb_append(&q, ") t(i, q) ORDER BY i");
    int rc = 0;
    if (nq > 0) {
        duckdb_result res;
        if (duckdb_query(con, q.buf, &res) == DuckDBError) {
            mt_errf(err, "parsing models: %s", duckdb_result_error(&res));
            rc = -1;
        } else {
            idx_t rows = duckdb_row_count(&res);
            for (idx_t r = 0; r < rows && rc == 0; r++) {
                size_t i = (size_t)duckdb_value_int64(&res, 0, r);
                char *js = duckdb_value_varchar(&res, 1, r);
                rc = analyse(p, i, js ? js : "{}", sqls[i], err);
                duckdb_free(js);
            }
        }
        duckdb_destroy_result(&res);
    }
    sb_free(&q);
    /* kept: the plan's fingerprints hash this same fixed render (dag_fixed_sql) */
    free(p->fixed_sql);
    p->fixed_sql = sqls;
    /* depends_on adds to what the parser found */
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct refs none = {0};
        for (size_t k = 0; k < p->models[i].depends_on.n && rc == 0; k++)
            rc = resolve(p, i, p->models[i].depends_on.v[k], &none, true, &p->parent_names[i], err);
    }
    if (rc < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        const struct strlist *pn = &p->parent_names[i];
        p->parents[i] = xcalloc(pn->n ? pn->n : 1, sizeof **p->parents);
        for (size_t k = 0; k < pn->n; k++) {
            long j = project_find(p, pn->v[k]);
            if (j >= 0) p->parents[i][p->n_parents[i]++] = (size_t)j;
        }
    }
    /* models are in file order; visit them in name order for a stable topological order */
    size_t *byname = xcalloc(n ? n : 1, sizeof *byname);
    for (size_t i = 0; i < n; i++) byname[i] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && strcmp(p->models[byname[k - 1]].name, p->models[byname[k]].name) > 0; k--) {
            size_t t = byname[k];
            byname[k] = byname[k - 1];
            byname[k - 1] = t;
        }
    struct dfs d = {.p = p, .color = xcalloc(n ? n : 1, 1), .stack = xcalloc(n + 1, sizeof(size_t)),
                    .err = err};
    for (size_t k = 0; k < n && rc == 0; k++) rc = dfs_visit(&d, byname[k]);
    free(d.color);
    free(d.stack);
    free(byname);
    return rc;
}

void dag_inputs_fingerprint(const struct project *p, size_t i, char fp[HASH_HEX_LEN], size_t *nfiles)
{
    fp[0] = 0;
    *nfiles = 0;
    if (!p->globs || !p->globs[i]) return;
    struct strlist entries = {0};
    char *pats = xstrdup(p->globs[i]), *save = NULL;
    for (char *pat = strtok_r(pats, "\n", &save); pat; pat = strtok_r(NULL, "\n", &save)) {
        glob_t g;
        if (glob(pat, 0, NULL, &g) != 0) continue;
        for (size_t k = 0; k < g.gl_pathc; k++) {
            struct stat st;
            if (stat(g.gl_pathv[k], &st) != 0 || !S_ISREG(st.st_mode)) continue;
            char *e = xasprintf("%s\t%lld\t%lld.%09ld", g.gl_pathv[k], (long long)st.st_size,
                                (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
            strlist_push(&entries, e);
            free(e);
        }
        globfree(&g);
    }
    free(pats);
    strlist_sort(&entries);
    struct hash_ctx h;
    hash_init(&h);
    for (size_t k = 0; k < entries.n; k++) {
        hash_update(&h, entries.v[k], strlen(entries.v[k]));
        hash_update(&h, "\n", 1);
    }
    hash_final_hex(&h, fp);
    *nfiles = entries.n;
    strlist_free(&entries);
}
