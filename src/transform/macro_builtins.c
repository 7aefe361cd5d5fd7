/* macro_builtins.c — SQLMesh's built-in macro functions (sqlmesh/core/macros.py, the
 * functions decorated with @macro()), each producing what SQLMesh produces for the DuckDB
 * dialect, plus Materia's @LANDED_FILES.
 *
 * Every builtin receives evaluated arguments (struct margs: positional values, the lambdas
 * among them, keyword values) and returns nothing, one value or a list (struct mresult).
 * Generated SQL is written as text and lexed back into nodes, so a builtin's output is
 * the same kind of tree as the user's SQL and can be spliced or passed to another macro.
 *
 * Argument binding follows Python's: a parameter is taken from its position or from
 * `name := value`; SQLMesh's type coercions (bool from TRUE/FALSE, str from a literal or a
 * bare name, list from [..] or (..)) are done by the small helpers below. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/macro.h"
#include "util/common.h"
#include "util/db.h"


/* ---- argument helpers ---- */
/* Parameter i (0-based, after the evaluator) named name: positional or keyword; NULL when
 * absent. */
static const struct mseq *param(const struct margs *a, size_t i, const char *name)
{
    if (i < a->n_pos && !a->lam[i]) return &a->pos[i];
    for (size_t k = 0; k < a->n_kw; k++)
        if (!strcmp(a->kw_names[k], name)) return &a->kw[k];
    return NULL;
}

static int check_kw(struct mctx *c, const char *macro, const struct margs *a, const char *const *allowed)
{
    for (size_t k = 0; k < a->n_kw; k++) {
        bool ok = false;
        for (const char *const *p = allowed; p && *p; p++)
            if (!strcmp(a->kw_names[k], *p)) ok = true;
        if (!ok) return merr(c, "@%s got an unexpected keyword argument '%s'", macro, a->kw_names[k]);
    }
    return 0;
}

static const char *text(struct mctx *c, const struct mseq *v)
{
    return mseq_text(c->a, v);
}

/* str coercion: a string literal's text, a bare name, a number's text. */
static const char *str_of(struct mctx *c, const struct mseq *v)
{
    return mseq_name(c->a, v);
}

/* bool coercion from TRUE/FALSE (exp.Boolean); *ok false when v is not one. */
static bool bool_of(const struct mseq *v, bool dflt, bool *ok)
{
    *ok = true;
    if (!v) return dflt;
    const char *w;
    size_t n;
    if (mseq_is_word(v, &w, &n)) {
        if (n == 4 && !strncasecmp(w, "true", 4)) return true;
        if (n == 5 && !strncasecmp(w, "false", 5)) return false;
    }
    *ok = false;
    return dflt;
}

static bool is_null(const struct mseq *v)
{
    const char *w;
    size_t n;
    return mseq_is_word(v, &w, &n) && n == 4 && !strncasecmp(w, "null", 4);
}

/* SQLMesh's _norm_var_arg_lambda: one argument that is an [array] or (tuple) gives its
 * items, a (paren) its inside, anything else itself; several arguments are the items. */
static void items_of(struct mctx *c, const struct mseq *vals, size_t n, struct mseq **items, size_t *ni)
{
    if (n == 1) {
        if (mseq_list_items(c->a, &vals[0], items, ni)) return;
        if (vals[0].n == 1 && vals[0].v[0].k == N_GROUP && vals[0].v[0].tok.t == MT_LP) {
            *items = ma_alloc(c->a, sizeof **items);
            mseq_append(c->a, &(*items)[0], vals[0].v[0].inner);
            *ni = 1;
            return;
        }
    }
    *items = (struct mseq *)vals;
    *ni = n;
}

/* The list coercion (t.List): [a, b] or (a, b) → items; else not a list. */
static bool list_of(struct mctx *c, const struct mseq *v, struct mseq **items, size_t *n)
{
    if (!v) return false;
    if (mseq_list_items(c->a, v, items, n)) return true;
    if (v->n == 1 && v->v[0].k == N_GROUP) { /* [x] / (x) with one item */
        mseq_split(c->a, v->v[0].inner, items, n);
        return true;
    }
    return false;
}

static int one_text(struct mctx *c, struct mresult *res, const char *sql)
{
    res->k = MR_ONE;
    memset(&res->one, 0, sizeof res->one);
    return macro_parse_fragment(c->a, sql, c->line, &res->one, c->err);
}

static void list_push(struct mctx *c, struct mresult *res, size_t *cap, const struct mseq *v)
{
    if (res->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct mseq *nl = ma_alloc(c->a, nc * sizeof *nl);
        if (res->n) memcpy(nl, res->list, res->n * sizeof *nl);
        res->list = nl;
        *cap = nc;
    }
    res->k = MR_LIST;
    res->list[res->n++] = *v;
}

static int list_push_text(struct mctx *c, struct mresult *res, size_t *cap, const char *sql)
{
    struct mseq v = {0};
    if (macro_parse_fragment(c->a, sql, c->line, &v, c->err) < 0) return -1;
    list_push(c, res, cap, &v);
    return 0;
}

/* The lambda that must be the last positional argument of @EACH/@REDUCE/@FILTER. */
static const struct mnode *last_lambda(struct mctx *c, const char *macro, const struct margs *a)
{
    if (!a->n_pos || !a->lam[a->n_pos - 1]) {
        merr(c, "@%s expects a lambda (x -> ...) as its last argument", macro);
        return NULL;
    }
    return a->lam[a->n_pos - 1];
}

/* Wraps v in parentheses when it is more than one token and not a call or a group. */
static const char *paren_if_compound(struct mctx *c, const struct mseq *v)
{
    const char *t = text(c, v);
    if (v->n <= 1) return t;
    if (v->n == 2 && v->v[0].k == N_TOK && v->v[0].tok.t == MT_WORD && v->v[1].k == N_GROUP) return t;
    bool dotted = true;
    for (size_t i = 0; i < v->n; i++)
        if (!(v->v[i].k == N_TOK && (v->v[i].tok.t == MT_WORD || v->v[i].tok.t == MT_QID ||
                                      (v->v[i].tok.t == MT_OP && v->v[i].tok.n == 1 && v->v[i].tok.s[0] == '.'))))
            dotted = false;
    if (dotted) return t;
    return ma_printf(c->a, "(%s)", t);
}

/* True when v holds AND/OR at its top level (a sqlglot Connector). */
static bool is_connector(const struct mseq *v)
{
    bool between = false; /* the AND of `x BETWEEN a AND b` is not a connector */
    for (size_t i = 0; i < v->n; i++) {
        const struct mtok *t = &v->v[i].tok;
        if (v->v[i].k != N_TOK || t->t != MT_WORD) continue;
        if (t->n == 7 && !strncasecmp(t->s, "between", 7)) between = true;
        else if (t->n == 3 && !strncasecmp(t->s, "and", 3)) {
            if (between) between = false;
            else return true;
        } else if (t->n == 2 && !strncasecmp(t->s, "or", 2)) return true;
    }
    return false;
}

/* ---- columns of a table (@STAR, @UNION) ---- */
/* Splits a table reference (a.b.c, "a"."b") into its unquoted parts. */
static size_t table_parts(struct mctx *c, const char *ref, char **parts, size_t max)
{
    size_t n = 0;
    const char *p = ref;
    while (*p && n < max) {
        while (*p == ' ') p++;
        strbuf sb;
        sb_init(&sb);
        if (*p == '"') {
            for (p++; *p; p++) {
                if (*p == '"') {
                    if (p[1] == '"') { sb_append_char(&sb, '"'); p++; continue; }
                    p++;
                    break;
                }
                sb_append_char(&sb, *p);
            }
        } else {
            while (*p && *p != '.' && *p != ' ') sb_append_char(&sb, (char)tolower((unsigned char)*p++));
        }
        parts[n++] = ma_strndup(c->a, sb.buf ? sb.buf : "", sb.len);
        sb_free(&sb);
        while (*p == ' ') p++;
        if (*p == '.') p++;
        else break;
    }
    return n;
}

static int catalog_columns(struct mctx *c, const char *table, struct strlist *names, struct strlist *types)
{
    char *parts[3];
    size_t np = table_parts(c, table, parts, 3);
    duckdb_connection con = c->rc->con;
    if (!np || !con) return -1; /* without the render's connection there is no catalog to read */
    duckdb_prepared_statement ps = NULL;
    int rc = -1;
    const char *q = np == 1 ? "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 "
                              "ORDER BY table_schema = 'main' DESC, ordinal_position"
                            : "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 "
                              "AND table_schema = $2 ORDER BY ordinal_position";
    if (duckdb_prepare(con, q, &ps) == DuckDBSuccess && duckdb_bind_varchar(ps, 1, parts[np - 1]) == DuckDBSuccess &&
        (np == 1 || duckdb_bind_varchar(ps, 2, parts[np - 2]) == DuckDBSuccess)) {
        duckdb_result r;
        if (duckdb_execute_prepared(ps, &r) == DuckDBSuccess) {
            idx_t rows = duckdb_row_count(&r);
            for (idx_t i = 0; i < rows; i++) {
                char *n = duckdb_value_varchar(&r, 0, i), *t = duckdb_value_varchar(&r, 1, i);
                if (n && t) {
                    strlist_push(names, n);
                    strlist_push(types, t);
                }
                duckdb_free(n);
                duckdb_free(t);
            }
            rc = rows ? 0 : -1;
        }
        duckdb_destroy_result(&r);
    }
    duckdb_destroy_prepare(&ps);
    return rc;
}

/* Columns of table; -1 with an error naming it when they are unknown. */
static int columns_of(struct mctx *c, const char *macro, const char *table, struct strlist *names,
                      struct strlist *types)
{
    if (c->rc->columns && c->rc->columns(c->rc->columns_ud, table, names, types) == 0) return 0;
    strlist_free(names);
    strlist_free(types);
    if (catalog_columns(c, table, names, types) == 0) return 0;
    strlist_free(names);
    strlist_free(types);
    return merr(c, "@%s: the columns of %s are unknown: declare it in external_models.yaml with its columns, "
                "or make it a model that has been built", macro, table);
}

/* ---- the built-ins ---- */
typedef int (*builtin_fn)(struct mctx *c, const struct margs *a, struct mresult *res);

static int b_each(struct mctx *c, const struct margs *a, struct mresult *res)
{
    const struct mnode *lam = last_lambda(c, "EACH", a);
    if (!lam) return -1;
    struct mseq *items;
    size_t n, cap = 0;
    items_of(c, a->pos, a->n_pos - 1, &items, &n);
    res->k = MR_LIST;
    for (size_t i = 0; i < n; i++) {
        struct mseq out;
        if (mlambda_apply(c, lam, &items[i], 1, &out) < 0) return -1;
        if (out.n) list_push(c, res, &cap, &out);
    }
    return 0;
}

static int b_if(struct mctx *c, const struct margs *a, struct mresult *res)
{
    if (a->n_pos < 2 || a->n_pos > 3) return merr(c, "@IF expects (condition, true_value[, false_value])");
    char k;
    const char *v;
    if (meval_const(c, &a->pos[0], &k, &v) < 0) return -1;
    const struct mseq *pick = meval_truthy(k, v) ? &a->pos[1] : (a->n_pos == 3 ? &a->pos[2] : NULL);
    if (!pick) { res->k = MR_NONE; return 0; }
    res->k = MR_ONE;
    res->one = *pick;
    return 0;
}

static int b_reduce(struct mctx *c, const struct margs *a, struct mresult *res)
{
    const struct mnode *lam = last_lambda(c, "REDUCE", a);
    if (!lam) return -1;
    struct mseq *items;
    size_t n;
    items_of(c, a->pos, a->n_pos - 1, &items, &n);
    if (!n) return merr(c, "@REDUCE of an empty list");
    struct mseq acc = items[0];
    for (size_t i = 1; i < n; i++) {
        struct mseq pair[2] = {acc, items[i]}, out;
        if (mlambda_apply(c, lam, pair, 2, &out) < 0) return -1;
        acc = out;
    }
    res->k = MR_ONE;
    res->one = acc;
    return 0;
}

static int b_filter(struct mctx *c, const struct margs *a, struct mresult *res)
{
    const struct mnode *lam = last_lambda(c, "FILTER", a);
    if (!lam) return -1;
    struct mseq *items;
    size_t n, cap = 0;
    items_of(c, a->pos, a->n_pos - 1, &items, &n);
    res->k = MR_LIST;
    for (size_t i = 0; i < n; i++) {
        struct mseq out;
        if (mlambda_apply(c, lam, &items[i], 1, &out) < 0) return -1;
        char k;
        const char *v;
        if (meval_const(c, &out, &k, &v) < 0) return -1;
        if (meval_truthy(k, v)) list_push(c, res, &cap, &items[i]);
    }
    return 0;
}

static int b_eval(struct mctx *c, const struct margs *a, struct mresult *res)
{
    if (a->n_pos != 1) return merr(c, "@EVAL expects one expression");
    char k;
    const char *v;
    if (meval_const(c, &a->pos[0], &k, &v) < 0) return -1;
    if (k == 'x' || k == 'l') { res->k = MR_ONE; res->one = a->pos[0]; return 0; }
    return one_text(c, res, mconst_sql(c, k, v));
}

static int b_sql(struct mctx *c, const struct margs *a, struct mresult *res)
{
    static const char *const kws[] = {"into", NULL};
    if (check_kw(c, "SQL", a, kws) < 0) return -1;
    if (a->n_pos < 1 || a->n_pos > 2) return merr(c, "@SQL expects (text[, into])");
    /* into names the sqlglot expression type SQLMesh parses the text as; the text is lexed
     * as it is here whatever the type, so into is only checked to be a name or a string */
    const struct mseq *into = param(a, 1, "into");
    if (into && !mseq_is_string(into, NULL, NULL) && !mseq_is_word(into, NULL, NULL))
        return merr(c, "@SQL: invalid into '%s': expected a type name", text(c, into));
    const char *s;
    size_t n;
    const char *code;
    if (mseq_is_string(&a->pos[0], &s, &n)) code = mseq_name(c->a, &a->pos[0]);
    else {
        char k;
        const char *v;
        if (meval_const(c, &a->pos[0], &k, &v) < 0) return -1;
        code = k == 'x' || k == 'l' ? text(c, &a->pos[0]) : k == 'n' ? "NULL" : v; /* a bool's text is TRUE/FALSE already */
    }
    const char *sql = mtemplate(c, code, strlen(code));
    struct mseq parsed = {0};
    if (macro_parse_fragment(c->a, sql, c->line, &parsed, c->err) < 0) return -1;
    res->k = MR_ONE;
    memset(&res->one, 0, sizeof res->one);
    return meval_seq(c, &parsed, &res->one);
}

static int b_star(struct mctx *c, const struct margs *a, struct mresult *res)
{
    static const char *const kws[] = {"relation", "alias", "exclude", "prefix", "suffix", "quote_identifiers", "except_", NULL};
    if (check_kw(c, "STAR", a, kws) < 0) return -1;
    const struct mseq *rel = param(a, 0, "relation"), *alias = param(a, 1, "alias"), *excl = param(a, 2, "exclude"),
                      *pre = param(a, 3, "prefix"), *suf = param(a, 4, "suffix"), *qi = param(a, 5, "quote_identifiers"),
                      *exc2 = param(a, 6, "except_");
    if (!rel) return merr(c, "@STAR expects a relation");
    if (alias && !mseq_is_word(alias, NULL, NULL) && !(alias->n >= 1 && alias->v[0].k == N_TOK && alias->v[0].tok.t == MT_WORD))
        return merr(c, "@STAR: invalid alias '%s': expected an identifier", text(c, alias));
    struct mseq *ex = NULL;
    size_t nex = 0;
    if (excl && !list_of(c, excl, &ex, &nex)) return merr(c, "@STAR: invalid exclude '%s': expected an array", text(c, excl));
    if (!nex && exc2 && !list_of(c, exc2, &ex, &nex)) return merr(c, "@STAR: invalid except_ '%s': expected an array", text(c, exc2));
    if (pre && !mseq_is_string(pre, NULL, NULL)) return merr(c, "@STAR: invalid prefix '%s': expected a literal", text(c, pre));
    if (suf && !mseq_is_string(suf, NULL, NULL)) return merr(c, "@STAR: invalid suffix '%s': expected a literal", text(c, suf));
    bool ok;
    bool quoted = bool_of(qi, true, &ok);
    if (!ok) return merr(c, "@STAR: invalid quote_identifiers '%s': expected a boolean", text(c, qi));
    const char *prefix = pre ? str_of(c, pre) : "", *suffix = suf ? str_of(c, suf) : "";
    char *parts[3];
    size_t np = table_parts(c, text(c, rel), parts, 3);
    const char *tname = np == 3 ? ma_printf(c->a, "%s.%s.%s", parts[0], parts[1], parts[2])
                        : np == 2 ? ma_printf(c->a, "%s.%s", parts[0], parts[1]) : np ? parts[0] : text(c, rel);
    const char *tid = alias ? str_of(c, alias) : (np ? parts[np - 1] : tname);
    struct strlist names = {0}, types = {0};
    if (columns_of(c, "STAR", tname, &names, &types) < 0) return -1;
    size_t cap = 0;
    res->k = MR_LIST;
    int rc = 0;
    /* SQLMesh casts only when every (not excluded) column's type is known
     * (columns_to_types_all_known) */
    bool all_known = true;
    bool *skip = ma_alloc(c->a, names.n + 1);
    const char **exn = ma_alloc(c->a, (nex + 1) * sizeof *exn);
    for (size_t k = 0; k < nex; k++) exn[k] = str_of(c, &ex[k]);
    for (size_t i = 0; i < names.n; i++) {
        for (size_t k = 0; k < nex && !skip[i]; k++) skip[i] = !strcasecmp(exn[k], names.v[i]);
        if (!skip[i] && (!types.v[i][0] || !strcasecmp(types.v[i], "unknown"))) all_known = false;
    }
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        if (skip[i]) continue;
        char *out_name = ma_printf(c->a, "%s%s%s", prefix, names.v[i], suffix);
        char *col = quoted ? ma_printf(c->a, "%s.%s", mquote(c, tid, '"'), mquote(c, names.v[i], '"'))
                           : ma_printf(c->a, "%s.%s", tid, names.v[i]);
        char *sql = all_known ? ma_printf(c->a, "CAST(%s AS %s) AS %s", col, types.v[i], quoted ? mquote(c, out_name, '"') : out_name)
                          : ma_printf(c->a, "%s AS %s", col, quoted ? mquote(c, out_name, '"') : out_name);
        rc = list_push_text(c, res, &cap, sql);
    }
    strlist_free(&names);
    strlist_free(&types);
    return rc;
}

static int b_surrogate_key(struct mctx *c, const struct margs *a, struct mresult *res)
{
    static const char *const kws[] = {"hash_function", NULL};
    if (check_kw(c, "GENERATE_SURROGATE_KEY", a, kws) < 0) return -1;
    const struct mseq *hf = NULL;
    for (size_t k = 0; k < a->n_kw; k++) hf = &a->kw[k];
    const char *fn = hf ? str_of(c, hf) : "MD5";
    strbuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < a->n_pos; i++) {
        if (i) sb_append(&sb, " || '|' || ");
        sb_appendf(&sb, "COALESCE(CAST(%s AS TEXT), '_sqlmesh_surrogate_key_null_')", text(c, &a->pos[i]));
    }
    char *up = ma_strndup(c->a, fn, strlen(fn));
    for (char *p = up; *p; p++) *p = (char)toupper((unsigned char)*p);
    /* sqlglot's DuckDB generator writes CONCAT of these as || */
    char *sql = ma_printf(c->a, "%s(%s)", up, sb.buf ? sb.buf : "");
    sb_free(&sb);
    return one_text(c, res, sql);
}

static int safe_addsub(struct mctx *c, const struct margs *a, struct mresult *res, const char *op)
{
    if (!a->n_pos) return merr(c, "@SAFE_%s expects at least one field", strchr(op, '+') ? "ADD" : "SUB");
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "CASE WHEN ");
    for (size_t i = 0; i < a->n_pos; i++) sb_appendf(&sb, "%s%s IS NULL", i ? " AND " : "", paren_if_compound(c, &a->pos[i]));
    sb_append(&sb, " THEN NULL ELSE ");
    for (size_t i = 0; i < a->n_pos; i++) sb_appendf(&sb, "%sCOALESCE(%s, 0)", i ? op : "", text(c, &a->pos[i]));
    sb_append(&sb, " END");
    int rc = one_text(c, res, sb.buf);
    sb_free(&sb);
    return rc;
}
static int b_safe_add(struct mctx *c, const struct margs *a, struct mresult *res) { return safe_addsub(c, a, res, " + "); }
static int b_safe_sub(struct mctx *c, const struct margs *a, struct mresult *res) { return safe_addsub(c, a, res, " - "); }

static int b_safe_div(struct mctx *c, const struct margs *a, struct mresult *res)
{
    if (a->n_pos != 2) return merr(c, "@SAFE_DIV expects (numerator, denominator)");
    return one_text(c, res, ma_printf(c->a, "%s / NULLIF(%s, 0)", paren_if_compound(c, &a->pos[0]), text(c, &a->pos[1])));
}

static int b_union(struct mctx *c, const struct margs *a, struct mresult *res)
{
    if (!a->n_pos) return merr(c, "At least one table is required for the @UNION macro.");
    size_t i = 0;
    char k;
    const char *v;
    if (meval_const(c, &a->pos[0], &k, &v) < 0) return -1;
    bool has_cond = k == 'b', cond = has_cond && !strcmp(v, "TRUE");
    if (has_cond && ++i >= a->n_pos) return merr(c, "Expected more arguments after the condition of the `@UNION` macro.");
    const char *kind = "ALL";
    if (mseq_is_string(&a->pos[i], NULL, NULL)) {
        kind = str_of(c, &a->pos[i]);
        char *up = ma_strndup(c->a, kind, strlen(kind));
        for (char *p = up; *p; p++) *p = (char)toupper((unsigned char)*p);
        kind = up;
        i++;
    }
    if (strcmp(kind, "ALL") && strcmp(kind, "DISTINCT")) return merr(c, "@UNION: invalid type '%s': expected 'ALL' or 'DISTINCT'", kind);
    if (i >= a->n_pos) return merr(c, "At least one table is required for the @UNION macro.");
    size_t nt = a->n_pos - i;
    struct strlist *names = ma_alloc(c->a, nt * sizeof *names), *types = ma_alloc(c->a, nt * sizeof *types);
    int rc = 0;
    for (size_t t = 0; t < nt && rc == 0; t++) rc = columns_of(c, "UNION", text(c, &a->pos[i + t]), &names[t], &types[t]);
    strbuf proj, sb;
    sb_init(&proj);
    sb_init(&sb);
    if (rc == 0) {
        size_t np = 0;
        for (size_t col = 0; col < names[0].n; col++) {
            bool everywhere = true;
            for (size_t t = 1; t < nt && everywhere; t++) {
                bool found = false;
                for (size_t k2 = 0; k2 < names[t].n; k2++)
                    if (!strcmp(names[t].v[k2], names[0].v[col]) && !strcasecmp(types[t].v[k2], types[0].v[col])) found = true;
                everywhere = found;
            }
            if (!everywhere) continue;
            sb_appendf(&proj, "%sCAST(%s AS %s) AS %s", np++ ? ", " : "", names[0].v[col], types[0].v[col], names[0].v[col]);
        }
        if (!np) rc = merr(c, "@UNION: the tables share no column of the same name and type");
        size_t last = has_cond && !cond ? 1 : nt;
        for (size_t t = 0; t < last && rc == 0; t++)
            sb_appendf(&sb, "%sSELECT %s FROM %s", t ? (strcmp(kind, "ALL") ? " UNION " : " UNION ALL ") : "", proj.buf,
                       text(c, &a->pos[i + t]));
    }
    for (size_t t = 0; t < nt; t++) {
        strlist_free(&names[t]);
        strlist_free(&types[t]);
    }
    if (rc == 0) rc = one_text(c, res, sb.buf);
    sb_free(&proj);
    sb_free(&sb);
    return rc;
}

static int b_haversine(struct mctx *c, const struct margs *a, struct mresult *res)
{
    static const char *const kws[] = {"lat1", "lon1", "lat2", "lon2", "unit", NULL};
    if (check_kw(c, "HAVERSINE_DISTANCE", a, kws) < 0) return -1;
    const struct mseq *lat1 = param(a, 0, "lat1"), *lon1 = param(a, 1, "lon1"), *lat2 = param(a, 2, "lat2"),
                      *lon2 = param(a, 3, "lon2"), *unit = param(a, 4, "unit");
    if (!lat1 || !lon1 || !lat2 || !lon2) return merr(c, "@HAVERSINE_DISTANCE expects (lat1, lon1, lat2, lon2[, unit])");
    const char *u = unit ? str_of(c, unit) : "mi", *rate;
    if (!strcmp(u, "mi")) rate = "1.0";
    else if (!strcmp(u, "km")) rate = "1.60934";
    else return merr(c, "Invalid unit '%s'. Expected 'mi' or 'km'.", u);
    const char *la1 = paren_if_compound(c, lat1), *la2 = paren_if_compound(c, lat2), *lo1 = paren_if_compound(c, lon1),
               *lo2 = paren_if_compound(c, lon2);
    return one_text(c, res, ma_printf(c->a,
        "7922 * ASIN(SQRT((POWER(SIN(RADIANS((%s - %s) / 2)), 2)) + (COS(RADIANS(%s)) * COS(RADIANS(%s)) * "
        "POWER(SIN(RADIANS((%s - %s) / 2)), 2)))) * %s", la2, la1, text(c, lat1), text(c, lat2), lo2, lo1, rate));
}

static int b_pivot(struct mctx *c, const struct margs *a, struct mresult *res)
{
    static const char *const kws[] = {"column", "values", "alias", "agg", "cmp", "prefix", "suffix", "then_value",
                                      "else_value", "quote", "distinct", NULL};
    if (check_kw(c, "PIVOT", a, kws) < 0) return -1;
    const struct mseq *col = param(a, 0, "column"), *vals = param(a, 1, "values"), *alias = param(a, 2, "alias"),
                      *agg = param(a, 3, "agg"), *cmp = param(a, 4, "cmp"), *pre = param(a, 5, "prefix"),
                      *suf = param(a, 6, "suffix"), *tv = param(a, 7, "then_value"), *ev = param(a, 8, "else_value"),
                      *quote = param(a, 9, "quote"), *dist = param(a, 10, "distinct");
    struct mseq *items;
    size_t n;
    if (!col || !list_of(c, vals, &items, &n)) return merr(c, "@PIVOT expects (column, [values ...])");
    bool ok1, ok2, ok3;
    bool use_alias = bool_of(alias, true, &ok1), q = bool_of(quote, true, &ok2), d = bool_of(dist, false, &ok3);
    if (!ok1 || !ok2 || !ok3) return merr(c, "@PIVOT: alias, quote and distinct must be TRUE or FALSE");
    const char *aggn = agg ? str_of(c, agg) : "SUM", *cmpn = cmp ? str_of(c, cmp) : "=", *prefix = pre ? str_of(c, pre) : "",
               *suffix = suf ? str_of(c, suf) : "", *thenv = tv ? text(c, tv) : "1", *elsev = ev ? text(c, ev) : "0";
    size_t cap = 0;
    res->k = MR_LIST;
    for (size_t i = 0; i < n; i++) {
        char *sql = ma_printf(c->a, "%s(%sCASE WHEN %s %s %s THEN %s ELSE %s END)", aggn, d ? "DISTINCT " : "", text(c, col),
                              cmpn, text(c, &items[i]), thenv, elsev);
        if (use_alias) {
            char *an = ma_printf(c->a, "%s%s%s", prefix, str_of(c, &items[i]), suffix);
            sql = ma_printf(c->a, "%s AS %s", sql, q ? mquote(c, an, '"') : an);
        }
        if (list_push_text(c, res, &cap, sql) < 0) return -1;
    }
    return 0;
}

static int andor(struct mctx *c, const struct margs *a, struct mresult *res, const char *op)
{
    strbuf sb;
    sb_init(&sb);
    size_t n = 0;
    for (size_t i = 0; i < a->n_pos; i++) {
        if (is_null(&a->pos[i])) continue;
        const char *t = text(c, &a->pos[i]);
        sb_appendf(&sb, n++ ? " %s " : "", op);
        if (is_connector(&a->pos[i])) sb_appendf(&sb, "(%s)", t);
        else sb_append(&sb, t);
    }
    int rc = one_text(c, res, n ? sb.buf : "TRUE");
    sb_free(&sb);
    return rc;
}
static int b_and(struct mctx *c, const struct margs *a, struct mresult *res) { return andor(c, a, res, "AND"); }
static int b_or(struct mctx *c, const struct margs *a, struct mresult *res) { return andor(c, a, res, "OR"); }

static int b_var(struct mctx *c, const struct margs *a, struct mresult *res)
{
    if (a->n_pos < 1 || a->n_pos > 2 || !mseq_is_string(&a->pos[0], NULL, NULL))
        return merr(c, "Invalid variable name '%s'. Expected a string literal.", a->n_pos ? text(c, &a->pos[0]) : "");
    const char *name = str_of(c, &a->pos[0]);
    char *lname = ma_lower(c->a, name, strlen(name));
    const struct json *j = mvar_json(c, lname);
    if (j) return one_text(c, res, mjson_sql(c->a, j, true));
    /* Materia's configuration (environment/.env), e.g. @VAR('landing_dir') — text values */
    const char *cv = macro_var_value(c->rc->cfg, name);
    if (cv) return one_text(c, res, mquote(c, cv, '\''));
    if (a->n_pos == 2) { res->k = MR_ONE; res->one = a->pos[1]; return 0; }
    return one_text(c, res, "NULL");
}

static int b_blueprint_var(struct mctx *c, const struct margs *a, struct mresult *res)
{
    if (a->n_pos < 1 || a->n_pos > 2 || !mseq_is_string(&a->pos[0], NULL, NULL))
        return merr(c, "Invalid blueprint variable name '%s'. Expected a string literal.",
                    a->n_pos ? text(c, &a->pos[0]) : "");
    const char *name = str_of(c, &a->pos[0]);
    const struct strlist *bn = c->rc->bp_names, *bv = c->rc->bp_values;
    for (size_t i = 0; bn && i < bn->n; i++)
        if (!strcasecmp(bn->v[i], name)) return one_text(c, res, bv->v[i]);
    if (a->n_pos == 2) { res->k = MR_ONE; res->one = a->pos[1]; return 0; }
    return one_text(c, res, "NULL");
}

static int b_deduplicate(struct mctx *c, const struct margs *a, struct mresult *res)
{
    static const char *const kws[] = {"relation", "partition_by", "order_by", NULL};
    if (check_kw(c, "DEDUPLICATE", a, kws) < 0) return -1;
    const struct mseq *rel = param(a, 0, "relation"), *pb = param(a, 1, "partition_by"), *ob = param(a, 2, "order_by");
    struct mseq *parts, *orders;
    size_t np, no;
    if (!rel) return merr(c, "@DEDUPLICATE expects (relation, partition_by, order_by)");
    if (!list_of(c, pb, &parts, &np))
        return merr(c, "partition_by must be a list of columns: [<column>, cast(<column> as <type>)]");
    if (!list_of(c, ob, &orders, &no) || !no)
        return merr(c, "order_by must be a list of strings, optional - nulls ordering: ['<column> <asc|desc> nulls <first|last>']");
    strbuf sb;
    sb_init(&sb);
    sb_appendf(&sb, "SELECT * FROM %s QUALIFY ROW_NUMBER() OVER (PARTITION BY ", text(c, rel));
    for (size_t i = 0; i < np; i++) sb_appendf(&sb, "%s%s", i ? ", " : "", text(c, &parts[i]));
    sb_append(&sb, " ORDER BY ");
    for (size_t i = 0; i < no; i++) {
        if (!mseq_is_string(&orders[i], NULL, NULL)) {
            sb_free(&sb);
            return merr(c, "order_by must be a list of strings, optional - nulls ordering: ['<column> <asc|desc> nulls <first|last>']");
        }
        sb_appendf(&sb, "%s%s", i ? ", " : "", str_of(c, &orders[i]));
    }
    sb_append(&sb, ") = 1");
    struct mseq parsed = {0};
    int rc = macro_parse_fragment(c->a, sb.buf, c->line, &parsed, c->err);
    sb_free(&sb);
    if (rc < 0) return -1;
    res->k = MR_ONE;
    memset(&res->one, 0, sizeof res->one);
    return meval_seq(c, &parsed, &res->one);
}

/* Python's strptime(s, '%Y-%m-%d'): four-digit year, one- or two-digit month and day.
 * *key orders dates (y * 10000 + m * 100 + d). */
static bool valid_ymd(const char *s, long *key)
{
    int y = 0, m = 0, d = 0, n = 0;
    const char *p = s;
    for (; isdigit((unsigned char)*p) && n < 4; p++, n++) y = y * 10 + (*p - '0');
    if (n != 4 || *p++ != '-') return false;
    for (n = 0; isdigit((unsigned char)*p) && n < 2; p++, n++) m = m * 10 + (*p - '0');
    if (!n || *p++ != '-') return false;
    for (n = 0; isdigit((unsigned char)*p) && n < 2; p++, n++) d = d * 10 + (*p - '0');
    if (!n || *p) return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    *key = (long)y * 10000 + m * 100 + d;
    return m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1] && !(m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)));
}

static int b_date_spine(struct mctx *c, const struct margs *a, struct mresult *res)
{
    static const char *const kws[] = {"datepart", "start_date", "end_date", NULL};
    if (check_kw(c, "DATE_SPINE", a, kws) < 0) return -1;
    const struct mseq *dp = param(a, 0, "datepart"), *sd = param(a, 1, "start_date"), *ed = param(a, 2, "end_date");
    if (!dp || !sd || !ed) return merr(c, "@DATE_SPINE expects (datepart, start_date, end_date)");
    const char *dps = str_of(c, dp);
    char *part = ma_lower(c->a, dps, strlen(dps));
    if (strcmp(part, "day") && strcmp(part, "week") && strcmp(part, "month") && strcmp(part, "quarter") && strcmp(part, "year"))
        return merr(c, "Invalid datepart '%s'. Expected: 'day', 'week', 'month', 'quarter', or 'year'", part);
    const char *s = text(c, sd), *e = text(c, ed);
    if (mseq_is_string(sd, NULL, NULL) && mseq_is_string(ed, NULL, NULL)) {
        const char *sv = str_of(c, sd), *ev = str_of(c, ed);
        long sk, ek;
        if (!valid_ymd(sv, &sk) || !valid_ymd(ev, &ek))
            return merr(c, "Invalid date format - start_date and end_date must be in format: YYYY-MM-DD.");
        if (sk > ek)
            return merr(c, "Invalid date range - start_date '%s' is after end_date '%s'.", sv, ev);
        s = ma_printf(c->a, "CAST(%s AS DATE)", s);
        e = ma_printf(c->a, "CAST(%s AS DATE)", e);
    }
    char *up = ma_strndup(c->a, part, strlen(part));
    for (char *p = up; *p; p++) *p = (char)toupper((unsigned char)*p);
    /* sqlglot's DuckDB generator turns GENERATE_DATE_ARRAY into a DATE[] cast of GENERATE_SERIES */
    return one_text(c, res, ma_printf(c->a,
        "SELECT date_%s FROM UNNEST(CAST(GENERATE_SERIES(%s, %s, INTERVAL '1' %s) AS DATE[])) AS _exploded(date_%s)",
        part, s, e, up, part));
}

static int b_resolve_template(struct mctx *c, const struct margs *a, struct mresult *res)
{
    static const char *const kws[] = {"template", "mode", NULL};
    if (check_kw(c, "RESOLVE_TEMPLATE", a, kws) < 0) return -1;
    const struct mseq *tpl = param(a, 0, "template"), *mode = param(a, 1, "mode");
    if (!tpl || !mseq_is_string(tpl, NULL, NULL)) return merr(c, "@RESOLVE_TEMPLATE expects a template string");
    const char *m = mode ? str_of(c, mode) : "literal";
    if (!c->rc->this_model || !c->rc->this_model[0]) {
        /* only while loading (the fixed render) is the template kept as it is */
        if (!c->rc->fixed)
            return merr(c, "@this_model must be present in the macro evaluation context in order to use "
                        "@resolve_template");
        res->k = MR_ONE;
        res->one = *tpl;
        return 0;
    }
    char *parts[3] = {"", "", ""};
    char *got[3];
    size_t n = table_parts(c, c->rc->this_model, got, 3);
    for (size_t i = 0; i < n; i++) parts[3 - n + i] = got[i];
    const char *t = str_of(c, tpl);
    strbuf sb;
    sb_init(&sb);
    static const char *const keys[] = {"@{catalog_name}", "@{schema_name}", "@{table_name}"};
    while (*t) {
        size_t k = 0;
        for (; k < 3; k++)
            if (!strncmp(t, keys[k], strlen(keys[k]))) break;
        if (k < 3) { sb_append(&sb, parts[k]); t += strlen(keys[k]); }
        else sb_append_char(&sb, *t++);
    }
    char *r = ma_strndup(c->a, sb.buf ? sb.buf : "", sb.len);
    sb_free(&sb);
    if (!strcasecmp(m, "table")) return one_text(c, res, r);
    return one_text(c, res, mquote(c, r, '\''));
}

static int b_landed_files(struct mctx *c, const struct margs *a, struct mresult *res)
{
    if (a->n_pos != 1 || !mseq_is_string(&a->pos[0], NULL, NULL))
        return merr(c, "expected @LANDED_FILES('dataset') (a folder name under LANDING_DIR)");
    strbuf sb;
    sb_init(&sb);
    struct mt_err e = MT_ERR_INIT;
    if (macro_landed_files(c->rc, str_of(c, &a->pos[0]), &sb, &e) < 0) {
        sb_free(&sb);
        return merr(c, "%s", e.msg);
    }
    int rc = one_text(c, res, sb.buf);
    sb_free(&sb);
    return rc;
}

static const struct builtin {
    const char *name;
    builtin_fn fn;
    bool kw;    /* takes keyword arguments (checks them with check_kw); the others refuse any */
} builtins[] = {
    {"AND", b_and, false},
    {"BLUEPRINT_VAR", b_blueprint_var, false},
    {"DATE_SPINE", b_date_spine, true},
    {"DEDUPLICATE", b_deduplicate, true},
    {"EACH", b_each, false},
    {"EVAL", b_eval, false},
    {"FILTER", b_filter, false},
    {"GENERATE_SURROGATE_KEY", b_surrogate_key, true},
    {"HAVERSINE_DISTANCE", b_haversine, true},
    {"IF", b_if, false},
    {"LANDED_FILES", b_landed_files, false},
    {"OR", b_or, false},
    {"PIVOT", b_pivot, true},
    {"REDUCE", b_reduce, false},
    {"RESOLVE_TEMPLATE", b_resolve_template, true},
    {"SAFE_ADD", b_safe_add, false},
    {"SAFE_DIV", b_safe_div, false},
    {"SAFE_SUB", b_safe_sub, false},
    {"SQL", b_sql, true},
    {"STAR", b_star, true},
    {"UNION", b_union, false},
    {"VAR", b_var, false},
};

static const char *const clause_names[] = {"WITH", "JOIN", "WHERE", "GROUP_BY", "HAVING", "ORDER_BY", "LIMIT", NULL};

bool mbuiltin_is_clause(const char *name)
{
    for (const char *const *p = clause_names; *p; p++)
        if (!strcmp(*p, name)) return true;
    return false;
}

bool mbuiltin_exists(const char *name)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (!strcmp(builtins[i].name, name)) return true;
    return mbuiltin_is_clause(name);
}

int mbuiltin_call(struct mctx *c, const char *name, const struct margs *args, struct mresult *res)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (!strcmp(builtins[i].name, name)) {
            if (!builtins[i].kw && check_kw(c, name, args, NULL) < 0) return -1;
            return builtins[i].fn(c, args, res) < 0 ? -1 : 1;
        }
    if (mbuiltin_is_clause(name))
        return merr(c, "@%s(condition) must stand where its clause goes (e.g. `FROM t @%s(cond) ...`)", name, name);
    return 0;
}
