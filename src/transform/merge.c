/* merge.c — INCREMENTAL_BY_UNIQUE_KEY refreshes through DuckDB's MERGE INTO, as SQLMesh's
 * EngineAdapter.merge (engine_adapter/base.py merge, _merge) writes them, for a model that
 * sets when_matched, merge_filter or a unique_key expression (and a forward_only one: its
 * table's columns may differ from its query's after a migration, and MERGE maps by name):
 *
 *   MERGE INTO <table> AS "__MERGE_TARGET__"
 *   USING (SELECT <the table's columns from the query; NULL where it has none>) AS "__MERGE_SOURCE__"
 *   ON [(<merge_filter>) AND] T.k1 = S.k1 AND ...
 *   <when_matched clauses | WHEN MATCHED THEN UPDATE SET c = S.c, ... (every column)>
 *   WHEN NOT MATCHED THEN INSERT (c, ...) VALUES (S.c, ...)
 *
 * References to the tables as `source` / `target` (or dbt's dbt_internal_source /
 * dbt_internal_dest) are renamed to the aliases (dialect.py replace_merge_table_aliases).
 * DuckDB refuses a qualified column on the left of UPDATE SET, so that qualifier is
 * dropped (it can only name the target). A unique_key expression such as COALESCE(a, '')
 * is made a temporary macro taking every column of the table as a parameter, so
 * `k(T.a, T.b, ...) = k(S.a, S.b, ...)` binds each column exactly as the expression would
 * on either side (SQLMesh qualifies each column of the expression: add_table).
 *
 * The runner's keyed upsert (runner.c incr_range) stays the path of every other model: it
 * writes only changed keys and refuses NULL keys; MERGE, as SQLMesh's, never matches a
 * NULL key (`=`), so such a row is inserted again on each refresh. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "transform/incr.h"
#include "util/db.h"

#define SRC "\"__MERGE_SOURCE__\""
#define TGT "\"__MERGE_TARGET__\""

bool merge_needed(const struct model *m)
{
    return m->kind == KIND_INCR_KEY &&
           (m->incr.when_matched || m->incr.merge_filter || m->incr.key_is_expr || m->incr.forward_only);
}

/* 1: source alias, 2: target alias, 0: neither (word is an identifier, quoted or not). */
static int alias_of(const char *w, size_t n)
{
    char b[32];
    if (n >= 2 && w[0] == '"') w++, n -= 2;
    if (n >= sizeof b) return 0;
    for (size_t i = 0; i < n; i++) b[i] = (char)tolower((unsigned char)w[i]);
    b[n] = '\0';
    if (!strcmp(b, "source") || !strcmp(b, "dbt_internal_source") || !strcmp(b, "__merge_source__")) return 1;
    if (!strcmp(b, "target") || !strcmp(b, "dbt_internal_dest") || !strcmp(b, "__merge_target__")) return 2;
    return 0;
}

/* Length of the token at s: a quoted string or identifier, a word, or one character. */
static size_t tok_len(const char *s)
{
    if (*s == '\'' || *s == '"') {
        char q = *s;
        size_t i = 1;
        for (; s[i]; i++)
            if (s[i] == q) {
                if (s[i + 1] == q) i++;
                else return i + 1;
            }
        return i;
    }
    if (isalnum((unsigned char)*s) || *s == '_') {
        size_t i = 0;
        while (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '$') i++;
        return i;
    }
    return 1;
}

static bool is_word(const char *s, size_t n, const char *kw)
{
    return n == strlen(kw) && !strncasecmp(s, kw, n);
}

/* Copies sql to out with source./target. renamed to the merge aliases; in UPDATE SET lists
 * (set_lhs) the target qualifier of an assigned column is dropped. */
static void rewrite_aliases(const char *sql, strbuf *out)
{
    bool in_set = false, at_lhs = false;
    int depth = 0;
    char prev = 0; /* last non-space character copied */
    for (const char *s = sql; *s;) {
        if (isspace((unsigned char)*s)) {
            sb_append_char(out, *s++);
            continue;
        }
        size_t n = tok_len(s);
        bool word = *s == '"' || isalnum((unsigned char)*s) || *s == '_';
        if (word && is_word(s, n, "SET") && depth == 0) in_set = at_lhs = true;
        else if (word && is_word(s, n, "WHEN") && depth == 0) in_set = at_lhs = false;
        else if (*s == '(') depth++;
        else if (*s == ')') depth--;
        else if (*s == ',' && depth == 0 && is_word(s + 1 + strspn(s + 1, " \t\r\n"), 4, "WHEN")) {
            s++; /* `WHEN ..., WHEN ...`: SQLMesh's parser takes the comma between clauses */
            continue;
        } else if (*s == ',' && in_set && depth == 0) {
            sb_append_char(out, ',');
            s++;
            prev = ',';
            at_lhs = true;
            continue;
        }
        int a = word && prev != '.' && s[n] == '.' ? alias_of(s, n) : 0;
        bool lhs = at_lhs && !(word && is_word(s, n, "SET"));
        if (a && lhs && a == 2) {
            s += n + 1; /* "target." before an assigned column: dropped */
            continue;
        }
        if (a) sb_append(out, a == 1 ? SRC : TGT);
        else sb_append_len(out, s, n);
        if (lhs && word) at_lhs = false;
        prev = s[n - 1];
        s += n;
    }
}

static long find_ci(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcasecmp(l->v[i], s)) return (long)i;
    return -1;
}

/* "T.k = S.k AND ..." — expression parts through temp macros _materia_key<i> (see top). */
static int key_condition(duckdb_connection con, const struct model *m, const struct strlist *cols, strbuf *on,
                         struct mt_err *err)
{
    for (size_t k = 0; k < m->incr.key_exprs.n; k++) {
        const char *e = m->incr.key_exprs.v[k];
        if (k) sb_append(on, " AND ");
        if (e[0] == '"') {
            sb_appendf(on, TGT ".%s = " SRC ".%s", e, e);
            continue;
        }
        strbuf def;
        sb_init(&def);
        sb_appendf(&def, "CREATE OR REPLACE TEMP MACRO _materia_key%zu(", k);
        for (size_t c = 0; c < cols->n; c++) {
            if (c) sb_append(&def, ", ");
            db_quote_ident(&def, cols->v[c]);
        }
        sb_appendf(&def, ") AS (%s)", e);
        int r = db_exec(con, def.buf, err);
        sb_free(&def);
        if (r < 0) return -1;
        for (int side = 0; side < 2; side++) {
            sb_appendf(on, "%s_materia_key%zu(", side ? " = " : "", k);
            for (size_t c = 0; c < cols->n; c++) {
                sb_append(on, c ? ", " : "");
                sb_append(on, side ? SRC "." : TGT ".");
                db_quote_ident(on, cols->v[c]);
            }
            sb_append(on, ")");
        }
    }
    return 0;
}

int merge_into(duckdb_connection con, const struct project *p, size_t mi, const struct config *cfg, const char *table,
               const char *query, int64_t s, int64_t e, int64_t exec, int64_t *rows, struct mt_err *err)
{
    const struct model *m = &p->models[mi];
    struct strlist tn = {0}, tt = {0}, sn = {0}, st = {0};
    strbuf sql, src;
    sb_init(&sql);
    sb_init(&src);
    sb_appendf(&src, "(%s\n)", query);
    int r = db_describe(con, table, &tn, &tt, err);
    if (r == 0) r = db_describe(con, src.buf, &sn, &st, err);
    sb_appendf(&sql, "MERGE INTO %s AS " TGT " USING (SELECT ", table);
    for (size_t c = 0; r == 0 && c < tn.n; c++) {
        /* the table's columns, by name (base.py _get_source_queries_and_columns_to_types) */
        sb_append(&sql, c ? ", " : "");
        if (find_ci(&sn, tn.v[c]) >= 0) db_quote_ident(&sql, tn.v[c]);
        else sb_appendf(&sql, "CAST(NULL AS %s) AS ", tt.v[c]), db_quote_ident(&sql, tn.v[c]);
    }
    sb_appendf(&sql, " FROM %s AS _materia_q) AS " SRC " ON ", src.buf);
    if (r == 0 && m->incr.merge_filter) {
        /* rendered with the batch's times (definition.py render_merge_filter) */
        struct render_ctx ctx;
        project_render_ctx(p, mi, cfg, &ctx);
        ctx.con = con;
        ctx.this_model = table;
        ctx.start_us = s;
        ctx.end_us = e;
        ctx.exec_us = exec;
        strbuf f;
        sb_init(&f);
        r = macro_render(m->incr.merge_filter, m->file, m->incr.merge_filter_line, &ctx, &f, err);
        if (r == 0) {
            sb_append(&sql, "(");
            rewrite_aliases(f.buf, &sql);
            sb_append(&sql, ") AND ");
        }
        sb_free(&f);
    }
    if (r == 0) r = key_condition(con, m, &tn, &sql, err);
    if (r == 0 && m->incr.when_matched) {
        sb_append(&sql, "\n");
        rewrite_aliases(m->incr.when_matched, &sql);
    } else if (r == 0) {
        sb_append(&sql, "\nWHEN MATCHED THEN UPDATE SET ");
        for (size_t c = 0; c < tn.n; c++) {
            sb_append(&sql, c ? ", " : "");
            db_quote_ident(&sql, tn.v[c]);
            sb_append(&sql, " = " SRC ".");
            db_quote_ident(&sql, tn.v[c]);
        }
    }
    sb_append(&sql, "\nWHEN NOT MATCHED THEN INSERT (");
    for (size_t c = 0; c < tn.n; c++) {
        sb_append(&sql, c ? ", " : "");
        db_quote_ident(&sql, tn.v[c]);
    }
    sb_append(&sql, ") VALUES (");
    for (size_t c = 0; c < tn.n; c++) {
        sb_append(&sql, c ? ", " SRC "." : SRC ".");
        db_quote_ident(&sql, tn.v[c]);
    }
    sb_append(&sql, ")");
    if (r == 0) {
        duckdb_result res;
        if (duckdb_query(con, sql.buf, &res) == DuckDBError) {
            mt_errf(err, "%s", duckdb_result_error(&res));
            r = -1;
        } else {
            *rows = (int64_t)duckdb_rows_changed(&res);
            if (duckdb_column_count(&res) == 1 && duckdb_row_count(&res) == 1) *rows = duckdb_value_int64(&res, 0, 0);
        }
        duckdb_destroy_result(&res);
    }
    for (size_t k = 0; r == 0 && m->incr.key_is_expr && k < m->incr.key_exprs.n; k++)
        if (m->incr.key_exprs.v[k][0] != '"') r = db_execf(con, err, "DROP MACRO IF EXISTS _materia_key%zu", k);
    strlist_free(&tn);
    strlist_free(&tt);
    strlist_free(&sn);
    strlist_free(&st);
    sb_free(&sql);
    sb_free(&src);
    return r;
}
