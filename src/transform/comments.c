/* comments.c — a model's description and column descriptions, registered as DuckDB comments
 * on its physical table and on its view, as SQLMesh's DuckDB adapter does (DuckDB takes them
 * by COMMENT ON only: engine_adapter/duckdb.py COMMENT_CREATION_* = COMMENT_COMMAND_ONLY;
 * engine_adapter/base.py _create_table_comment / _create_column_comments, called by
 * create_table/ctas/replace_query/create_view with model.description and
 * model.column_descriptions: snapshot/evaluator.py).
 *
 * Where they come from (sqlmesh/core/model/definition.py, meta.py):
 *   - description: the `description` property, else the comments written before MODEL
 *     (load_sql_based_model: rendered_meta.comments, each stripped, joined by newlines);
 *   - column descriptions: the `column_descriptions (col = 'text', ...)` property (names
 *     lower-cased unless quoted: normalize_identifiers), else the comment on each projection
 *     of the query (column_descriptions: select.comments[-1]) — here the comment written on
 *     the projection's own line after it, `a AS x, -- text` (sqlglot gives a trailing comment
 *     to the token before it); a comment on a line of its own is not taken.
 * register_comments false in the gateway's connection (config.yaml) turns it off; DuckDB's
 * default is true (config/connection.py BaseDuckDBConnectionConfig).
 *
 * A column description naming no column of the object is skipped with a warning, as SQLMesh
 * logs one when COMMENT ON fails (here it must not be tried: a failed statement would abort
 * the run's transaction). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/comments.h"
#include "transform/engine.h"
#include "transform/macro.h"
#include "util/db.h"
#include "util/log.h"
#include "util/strbuf.h"

/* s[0..n) stripped of white space, as Python's strip(). */
static char *strip_dup(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    return xstrndup(s, n);
}

/* The comment on the same line at the start of the white space before token t, or NULL. */
static char *trailing_comment(const struct mtok *t)
{
    if (!t->pre) return NULL;
    size_t i = 0, n = t->pren;
    while (i < n && t->pre[i] != '\n' && isspace((unsigned char)t->pre[i])) i++;
    if (i + 1 < n && t->pre[i] == '-' && t->pre[i + 1] == '-') {
        size_t e = i + 2;
        while (e < n && t->pre[e] != '\n') e++;
        return strip_dup(t->pre + i + 2, e - i - 2);
    }
    if (i + 1 < n && t->pre[i] == '/' && t->pre[i + 1] == '*') {
        size_t e = i + 2;
        while (e + 1 < n && !(t->pre[e] == '*' && t->pre[e + 1] == '/')) e++;
        return strip_dup(t->pre + i + 2, e - i - 2);
    }
    return NULL;
}

static bool word_is(const struct mnode *nd, const char *w)
{
    size_t n = strlen(w);
    return nd->k == N_TOK && nd->tok.t == MT_WORD && nd->tok.n == n && !strncasecmp(nd->tok.s, w, n);
}

/* A projection's output name (sqlglot's alias_or_name): what follows AS, else the last
 * identifier before a `::` cast (a cast's name is its operand's), else its last identifier. */
static char *output_name(const struct mnode *v, size_t a, size_t b)
{
    const struct mnode *nd = &v[b - 1];
    for (size_t k = a + 1; k < b; k++)
        if (v[k].k == N_TOK && v[k].tok.t == MT_OP && v[k].tok.n == 2 && !strncmp(v[k].tok.s, "::", 2)) {
            nd = &v[k - 1];
            break;
        }
    for (size_t k = a; k + 1 < b; k++)
        if (word_is(&v[k], "as")) nd = &v[k + 1];
    if (nd->k != N_TOK || (nd->tok.t != MT_WORD && nd->tok.t != MT_QID)) return NULL;
    if (nd->tok.t == MT_QID) {
        strbuf sb;
        sb_init(&sb);
        for (size_t i = 1; i + 1 < nd->tok.n; i++) {
            if (nd->tok.s[i] == '"' && i + 2 < nd->tok.n && nd->tok.s[i + 1] == '"') i++;
            sb_append_char(&sb, nd->tok.s[i]);
        }
        return sb_detach(&sb);
    }
    char *s = xstrndup(nd->tok.s, nd->tok.n);
    for (char *c = s; *c; c++) *c = (char)tolower((unsigned char)*c);
    return s;
}

/* Inline descriptions of the query's projections (its first top-level SELECT, as sqlglot's
 * query.selects of a union is its left side's). */
static void inline_descriptions(const char *query, struct strlist *names, struct strlist *texts)
{
    struct marena a = {0};
    struct mseq *st = NULL;
    size_t n = 0;
    struct mt_err e = MT_ERR_INIT;
    if (macro_parse(&a, query, NULL, 1, &st, &n, &e) < 0 || n == 0) {
        marena_free(&a);
        return;
    }
    const struct mseq *s = &st[n - 1]; /* earlier statements are @DEF ones */
    static const char *const ends[] = {"from", "where", "group", "having", "qualify", "window", "order", "limit",
                                       "union", "except", "intersect", "into", NULL};
    size_t i = 0;
    while (i < s->n && !word_is(&s->v[i], "select")) i++;
    if (i < s->n) i++;
    if (i < s->n && (word_is(&s->v[i], "distinct") || word_is(&s->v[i], "all"))) {
        i++;
        if (i + 1 < s->n && word_is(&s->v[i - 1], "distinct") && word_is(&s->v[i], "on")) i += 2;
    }
    size_t end = i;
    for (; end < s->n; end++) {
        bool stop = false;
        for (const char *const *w = ends; *w && !stop; w++) stop = word_is(&s->v[end], *w);
        if (stop) break;
    }
    for (size_t b = i; b < end;) {
        size_t c = b;
        while (c < end && !(s->v[c].k == N_TOK && s->v[c].tok.t == MT_COMMA)) c++;
        /* the comment after the item: past its comma, before the next token */
        const struct mnode *after = c < end ? (c + 1 < s->n ? &s->v[c + 1] : NULL) : (end < s->n ? &s->v[end] : NULL);
        char *text = after ? trailing_comment(&after->tok) : NULL;
        char *name = c > b ? output_name(s->v, b, c) : NULL;
        if (text && name && *text) {
            strlist_push(names, name);
            strlist_push(texts, text);
        }
        free(text);
        free(name);
        b = c + 1;
    }
    marena_free(&a);
}

/* column_descriptions (a = 'x', "B" = 'y'): names as SQLMesh normalizes them. */
static void declared_descriptions(const char *raw, struct strlist *names, struct strlist *texts)
{
    struct strlist items = {0};
    sql_split_list(raw, &items);
    for (size_t k = 0; k < items.n; k++) {
        char *it = items.v[k];
        char *eq = strchr(it, '=');
        /* the name is an identifier: an '=' before any quote is the separator */
        if (!eq || (strchr(it, '\'') && strchr(it, '\'') < eq)) continue;
        char *name = strip_dup(it, (size_t)(eq - it));
        char *val = strip_dup(eq + 1, strlen(eq + 1));
        size_t nl = strlen(name), vl = strlen(val);
        if (nl >= 2 && name[0] == '"' && name[nl - 1] == '"') {
            memmove(name, name + 1, nl - 2);
            name[nl - 2] = 0;
        } else {
            for (char *c = name; *c; c++) *c = (char)tolower((unsigned char)*c);
        }
        strbuf t;
        sb_init(&t);
        if (vl >= 2 && val[0] == '\'' && val[vl - 1] == '\'') {
            for (size_t i = 1; i + 1 < vl; i++) {
                if (val[i] == '\'' && i + 2 < vl && val[i + 1] == '\'') i++;
                sb_append_char(&t, val[i]);
            }
        } else {
            sb_append(&t, val);
        }
        strlist_push(names, name);
        strlist_push(texts, t.buf ? t.buf : "");
        sb_free(&t);
        free(name);
        free(val);
    }
    strlist_free(&items);
}

void comments_columns(const struct model *m, struct strlist *names, struct strlist *texts)
{
    if (m->column_descriptions) declared_descriptions(m->column_descriptions, names, texts);
    else if (m->query && (strstr(m->query, "--") || strstr(m->query, "/*"))) /* no comment: nothing to lex */
        inline_descriptions(m->query, names, texts);
}

int comments_register(const struct project *p, size_t i, duckdb_connection con, const char *obj, bool view,
                      struct mt_err *err)
{
    const struct model *m = &p->models[i];
    if (p->conf && p->conf->no_comments) return 0;
    struct strlist names = {0}, texts = {0};
    comments_columns(m, &names, &texts);
    if (!m->description && names.n == 0) return 0;
    strbuf sql;
    sb_init(&sql);
    if (m->description) {
        sb_appendf(&sql, "COMMENT ON %s %s IS ", view ? "VIEW" : "TABLE", obj);
        db_quote_literal(&sql, m->description);
        sb_append(&sql, ";\n");
    }
    int rc = 0;
    if (names.n) {
        /* the object's columns: a description naming none of them is only warned about */
        strbuf q;
        sb_init(&q);
        sb_appendf(&q, "SELECT * FROM %s LIMIT 0", obj);
        duckdb_result res;
        rc = db_query(con, q.buf, &res, err);
        sb_free(&q);
        for (size_t k = 0; k < names.n && rc == 0; k++) {
            const char *col = NULL;
            for (idx_t c = 0; c < duckdb_column_count(&res) && !col; c++)
                if (!strcasecmp(duckdb_column_name(&res, c), names.v[k])) col = duckdb_column_name(&res, c);
            if (!col) {
                log_warn("%s:%d: column description for '%s': %s has no such column; not registered", m->file,
                         m->line, names.v[k], m->name);
                continue;
            }
            sb_appendf(&sql, "COMMENT ON COLUMN %s.", obj);
            db_quote_ident(&sql, col);
            sb_append(&sql, " IS ");
            db_quote_literal(&sql, texts.v[k]);
            sb_append(&sql, ";\n");
        }
        if (rc == 0) duckdb_destroy_result(&res);
    }
    if (rc == 0 && sql.len) rc = db_exec(con, sql.buf, err);
    sb_free(&sql);
    strlist_free(&names);
    strlist_free(&texts);
    return rc;
}
