/* kind_embedded.c — EMBEDDED models: no table and no view; whoever reads one reads its query.
 *
 * SQLMesh (renderer.py _resolve_tables): a reference to an embedded model is replaced by the
 * model's query, rendered with the reader's start, end and execution time (nested embedded
 * models expanded the same way), as a subquery aliased as the reference was, else by the
 * model's table name (`model.view_name`). Its snapshot is symbolic: nothing is built, and
 * promoting it drops any view of that name (snapshot/evaluator.py EmbeddedStrategy.promote).
 * Audits on one are refused (definition.py: "Audits are not supported for embedded models").
 *
 * How: the reader's rendered query (after names_qualify) is parsed by DuckDB
 * (json_serialize_sql); each BASE_TABLE naming an EMBEDDED model is replaced in the text, at
 * its query_location, by "(<that model's query>)" plus " AS <table>" when the reference has
 * no alias of its own. Readers of no EMBEDDED model are not parsed again. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "transform/kinds.h"
#include "util/db.h"

/* The EMBEDDED model a table reference names (lakehouse catalog or none; a one-part name
 * is SQLMesh's `default` schema), or -1. */
static long embedded_of(const struct project *p, const struct json *v)
{
    const char *cat = json_str(v, "catalog_name"), *schema = json_str(v, "schema_name"),
               *table = json_str(v, "table_name");
    if (*cat && strcasecmp(cat, p->catalog)) return -1;
    char *n = xasprintf("%s.%s", *schema ? schema : "default", table);
    long j = project_find(p, n);
    free(n);
    return j >= 0 && p->models[j].kind == KIND_EMBEDDED ? j : -1;
}

struct emb_edit {
    size_t at, len;
    char *text;
};

struct emb_walk {
    const struct project *p;
    const struct render_ctx *ctx;
    const char *sql;
    size_t len;
    struct strlist ctes;
    struct emb_edit *ed;
    size_t n;
    struct mt_err *err;
    int depth;
};

static int expand_model(const struct project *p, size_t j, const struct render_ctx *ctx, int depth, strbuf *out,
                        struct mt_err *err);

static int walk(struct emb_walk *w, const struct json *v)
{
    if (v->t == JSON_OBJ) {
        const struct json *cte = json_get(json_get(v, "cte_map"), "map");
        if (cte && cte->t == JSON_ARR)
            for (size_t i = 0; i < cte->n; i++)
                if (*json_str(&cte->items[i], "key")) strlist_push(&w->ctes, json_str(&cte->items[i], "key"));
        long j;
        if (!strcmp(json_str(v, "type"), "BASE_TABLE") &&
            !(!*json_str(v, "schema_name") && strlist_has(&w->ctes, json_str(v, "table_name"))) &&
            (j = embedded_of(w->p, v)) >= 0) {
            const struct json *loc = json_get(v, "query_location");
            size_t at = loc && loc->t == JSON_NUM ? (size_t)strtoull(loc->s, NULL, 10) : (size_t)-1;
            if (at >= w->len)
                return mt_errf(w->err, "%s: no position for the reference to EMBEDDED model %s",
                               w->p->models[j].name, w->p->models[j].name);
            strbuf rep;
            sb_init(&rep);
            sb_append(&rep, "(");
            if (expand_model(w->p, (size_t)j, w->ctx, w->depth + 1, &rep, w->err) < 0) {
                sb_free(&rep);
                return -1;
            }
            sb_append(&rep, "\n)");
            if (!*json_str(v, "alias")) {
                sb_append(&rep, " AS ");
                db_quote_ident(&rep, w->p->models[j].table);
            }
            w->ed = xrealloc(w->ed, (w->n + 1) * sizeof *w->ed);
            w->ed[w->n++] = (struct emb_edit){.at = at, .len = name_span(w->sql + at), .text = sb_detach(&rep)};
        }
    }
    if (v->t == JSON_OBJ || v->t == JSON_ARR)
        for (size_t i = 0; i < v->n; i++)
            if (walk(w, &v->items[i]) < 0) return -1;
    return 0;
}

static int edit_cmp(const void *a, const void *b)
{
    const struct emb_edit *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

bool embedded_reader(const struct project *p, size_t i)
{
    for (size_t k = 0; p->parent_names && k < p->parent_names[i].n; k++) {
        long j = project_find(p, p->parent_names[i].v[k]);
        if (j >= 0 && p->models[j].kind == KIND_EMBEDDED) return true;
    }
    return false;
}

static int expand(const struct project *p, size_t i, const struct render_ctx *ctx, int depth, const char *sql,
                  strbuf *out, struct mt_err *err)
{
    if (!embedded_reader(p, i)) {
        sb_append(out, sql);
        return 0;
    }
    if (depth > 64) return mt_errf(err, "%s: EMBEDDED models nested too deep", p->models[i].name);
    strbuf q;
    sb_init(&q);
    sb_append(&q, "SELECT json_serialize_sql(");
    db_quote_literal(&q, sql);
    sb_append(&q, ")");
    char *js = NULL;
    duckdb_result res;
    if (duckdb_query(ctx->con, q.buf, &res) == DuckDBError) {
        mt_errf(err, "%s: parsing the rendered query: %s", p->models[i].name, duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        sb_free(&q);
        return -1;
    }
    sb_free(&q);
    js = duckdb_value_varchar(&res, 0, 0);
    duckdb_destroy_result(&res);
    struct json j;
    struct mt_err jerr = MT_ERR_INIT;
    if (json_parse(js ? js : "{}", &j, &jerr) < 0) {
        duckdb_free(js);
        return mt_errf(err, "%s: parse tree JSON: %s", p->models[i].name, jerr.msg);
    }
    duckdb_free(js);
    struct emb_walk w = {.p = p, .ctx = ctx, .sql = sql, .len = strlen(sql), .err = err, .depth = depth};
    int rc = walk(&w, &j);
    json_free(&j);
    strlist_free(&w.ctes);
    if (w.n) qsort(w.ed, w.n, sizeof *w.ed, edit_cmp);
    size_t pos = 0;
    for (size_t k = 0; k < w.n; k++) {
        if (rc == 0 && w.ed[k].at >= pos) {
            sb_append_len(out, sql + pos, w.ed[k].at - pos);
            sb_append(out, w.ed[k].text);
            pos = w.ed[k].at + w.ed[k].len;
        }
        free(w.ed[k].text);
    }
    if (rc == 0) sb_append(out, sql + pos);
    free(w.ed);
    return rc;
}

/* Model j's query as the reader's context renders it: j's own variables and kind name, the
 * reader's times, connection and variables. */
static int expand_model(const struct project *p, size_t j, const struct render_ctx *ctx, int depth, strbuf *out,
                        struct mt_err *err)
{
    const struct model *m = &p->models[j];
    struct render_ctx sub = *ctx;
    sub.kind_name = model_kind_name(m->kind);
    sub.this_model = m->name;
    sub.bp_names = m->bp_names.n ? &m->bp_names : NULL;
    sub.bp_values = m->bp_names.n ? &m->bp_values : NULL;
    sub.arg_names = sub.arg_values = NULL;
    strbuf raw, named;
    sb_init(&raw);
    sb_init(&named);
    int rc = macro_render(m->query, m->file, m->query_line, &sub, &raw, err);
    if (rc == 0) rc = names_qualify(p, j, ctx->con, raw.buf, NULL, &named, err);
    if (rc == 0) rc = expand(p, j, ctx, depth, named.buf, out, err);
    sb_free(&raw);
    sb_free(&named);
    return rc;
}

int embedded_expand(const struct project *p, size_t i, const struct render_ctx *ctx, const char *sql, strbuf *out,
                    struct mt_err *err)
{
    return expand(p, i, ctx, 0, sql, out, err);
}
