/* names.c — table names as SQLMesh writes them, and what DuckDB must be told instead.
 *
 * SQLMesh qualifies every table reference of a model's query before running it (sqlglot's
 * optimizer: `"catalog"."schema"."table"`), and renders a reference to the model itself as
 * the model's own physical table. Materia runs the query as written, so three cases need a
 * rewrite, all done here on the rendered query (names_qualify):
 *   - the model reads itself by name (allowed for incremental models, as in SQLMesh: a
 *     model's depends_on excludes itself, model/definition.py): the reference becomes the
 *     physical table being built, as @this_model already is;
 *   - a one-part reference to a one-part model, whose view lives in SQLMesh's `default`
 *     schema: it becomes "default"."t";
 *   - the lakehouse file is named like a schema (sqlmesh_example.duckdb holding schema
 *     sqlmesh_example): DuckDB then refuses every two-part name `sqlmesh_example.t` as an
 *     "Ambiguous reference to catalog or schema", so two-part references get the catalog.
 * How: DuckDB parses the query (json_serialize_sql) and gives each table reference's byte
 * offset (query_location); the name written there is replaced in the text, so the rest of
 * the query is sent exactly as rendered. Only models that need it pay for the extra parse
 * (names_need_rewrite, decided when the DAG is built) — and every model while a run builds
 * for a non-prod environment, whose references to models read that environment's views. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "transform/kinds.h"
#include "util/db.h"

/* Length of the (possibly dotted, possibly quoted) table name written at s. */
size_t name_span(const char *s) /* kinds.h */
{
    const char *p = s;
    for (int part = 0; part < 3; part++) {
        if (*p == '"') {
            p++;
            while (*p && !(*p == '"' && p[1] != '"')) p += *p == '"' ? 2 : 1;
            if (*p) p++;
        } else {
            while (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || (unsigned char)*p >= 0x80) p++;
        }
        const char *q = p;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
        if (*q != '.') break;
        q++;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
        p = q;
    }
    return (size_t)(p - s);
}

bool names_collide(const struct project *p)
{
    if (!p->catalog || !*p->catalog) return false;
    for (size_t i = 0; i < p->n; i++)
        if (!strcasecmp(p->models[i].schema, p->catalog)) return true;
    for (size_t i = 0; i < p->externals.n; i++) {
        const char *d = strchr(p->externals.v[i], '.');
        if (d && (size_t)(d - p->externals.v[i]) == strlen(p->catalog) &&
            !strncasecmp(p->externals.v[i], p->catalog, (size_t)(d - p->externals.v[i])))
            return true;
    }
    return false;
}

void names_view(const struct project *p, const struct model *m, strbuf *out)
{
    if (names_collide(p)) {
        db_quote_ident(out, p->catalog);
        sb_append_char(out, '.');
    }
    db_quote_ident(out, m->schema);
    sb_append_char(out, '.');
    db_quote_ident(out, m->table);
}

struct edit {
    size_t at, len;
    char *text;
};

/* While a run builds for a non-prod environment (p->env_suffix "__ENV"): a reference to
 * another model reads that environment's view "<schema>__ENV"."<table>" (env.c), as
 * SQLMesh renders references to the environment's snapshots. Appends it to rep, or nothing. */
static void env_ref(const struct project *p, const struct model *self, const char *schema, const char *table,
                    const struct strlist *ctes, strbuf *rep)
{
    if (!*schema && strlist_has(ctes, table)) return;
    char *name = xasprintf("%s.%s", *schema ? schema : "default", table);
    long j = project_find(p, name);
    free(name);
    if (j < 0 || &p->models[j] == self) return;
    char *s = xasprintf("%s%s", p->models[j].schema, p->env_suffix);
    db_quote_ident(rep, s);
    sb_append_char(rep, '.');
    db_quote_ident(rep, p->models[j].table);
    free(s);
}

static void collect(const struct project *p, const struct model *self, const char *self_physical, const struct json *v,
                    const char *sql, size_t sql_len, bool collide, struct strlist *ctes, struct edit **ed, size_t *n)
{
    if (v->t == JSON_OBJ) {
        const struct json *cte = json_get(json_get(v, "cte_map"), "map");
        if (cte && cte->t == JSON_ARR)
            for (size_t i = 0; i < cte->n; i++) {
                const char *k = json_str(&cte->items[i], "key");
                if (*k) strlist_push(ctes, k);
            }
        if (!strcmp(json_str(v, "type"), "BASE_TABLE")) {
            const char *cat = json_str(v, "catalog_name"), *schema = json_str(v, "schema_name"),
                       *table = json_str(v, "table_name");
            const struct json *loc = json_get(v, "query_location");
            size_t at = loc && loc->t == JSON_NUM ? (size_t)strtoull(loc->s, NULL, 10) : (size_t)-1;
            strbuf rep;
            sb_init(&rep);
            bool lake = !*cat || !strcasecmp(cat, p->catalog);
            if (lake && p->env_suffix) env_ref(p, self, schema, table, ctes, &rep);
            if (rep.len) {
                /* the environment's view (env_ref) */
            } else if (lake && *schema && !strcasecmp(schema, self->schema) && !strcasecmp(table, self->table) && self_physical)
                sb_append(&rep, self_physical);
            else if (lake && !*schema && !strlist_has(ctes, table)) {
                if (!strcasecmp(self->schema, "default") && !strcasecmp(table, self->table) && self_physical)
                    sb_append(&rep, self_physical);
                else {
                    char *dn = xasprintf("default.%s", table);
                    if (project_find(p, dn) >= 0) {
                        if (collide) {
                            db_quote_ident(&rep, p->catalog);
                            sb_append_char(&rep, '.');
                        }
                        sb_append(&rep, "\"default\".");
                        db_quote_ident(&rep, table);
                    }
                    free(dn);
                }
            } else if (collide && !*cat && *schema) {
                db_quote_ident(&rep, p->catalog);
                sb_append_char(&rep, '.');
                db_quote_ident(&rep, schema);
                sb_append_char(&rep, '.');
                db_quote_ident(&rep, table);
            }
            if (rep.len && at < sql_len) {
                *ed = xrealloc(*ed, (*n + 1) * sizeof **ed);
                (*ed)[*n].at = at;
                (*ed)[*n].len = name_span(sql + at);
                (*ed)[(*n)++].text = sb_detach(&rep);
            } else {
                sb_free(&rep);
            }
        }
    }
    if (v->t == JSON_OBJ || v->t == JSON_ARR)
        for (size_t i = 0; i < v->n; i++) collect(p, self, self_physical, &v->items[i], sql, sql_len, collide, ctes, ed, n);
}

static int edit_cmp(const void *a, const void *b)
{
    const struct edit *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

int names_qualify(const struct project *p, size_t i, duckdb_connection con, const char *sql, const char *self_physical,
                  strbuf *out, struct mt_err *err)
{
    if ((!p->rewrite || !p->rewrite[i]) && !p->env_suffix) {
        sb_append(out, sql);
        return 0;
    }
    strbuf q;
    sb_init(&q);
    sb_append(&q, "SELECT json_serialize_sql(");
    db_quote_literal(&q, sql);
    sb_append(&q, ")");
    duckdb_result res;
    int rc = 0;
    if (duckdb_query(con, q.buf, &res) == DuckDBError) {
        rc = mt_errf(err, "%s: parsing the rendered query: %s", p->models[i].name, duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        sb_free(&q);
        return rc;
    }
    sb_free(&q);
    char *js = duckdb_value_varchar(&res, 0, 0);
    duckdb_destroy_result(&res);
    struct json j;
    struct mt_err jerr = MT_ERR_INIT;
    if (json_parse(js ? js : "{}", &j, &jerr) < 0) {
        duckdb_free(js);
        return mt_errf(err, "%s: parse tree JSON: %s", p->models[i].name, jerr.msg);
    }
    duckdb_free(js);
    struct edit *ed = NULL;
    size_t n = 0, len = strlen(sql);
    struct strlist ctes = {0};
    collect(p, &p->models[i], self_physical, &j, sql, len, names_collide(p), &ctes, &ed, &n);
    strlist_free(&ctes);
    json_free(&j);
    if (n) qsort(ed, n, sizeof *ed, edit_cmp);
    size_t pos = 0;
    for (size_t k = 0; k < n; k++) {
        if (ed[k].at < pos) { free(ed[k].text); continue; } /* never overlapping; be safe */
        sb_append_len(out, sql + pos, ed[k].at - pos);
        sb_append(out, ed[k].text);
        pos = ed[k].at + ed[k].len;
        free(ed[k].text);
    }
    sb_append(out, sql + pos);
    free(ed);
    return 0;
}
