/* macro_const.c — constant evaluation for the macro expander (macro.h): where SQLMesh
 * turns a SQL expression into Python and evals it (@IF's condition, @EVAL, @FILTER's
 * predicate, @SQL's argument, @UNION's optional condition), we ask DuckDB: `SELECT <expr>`
 * on the render's connection (render_ctx.con), else on one in-memory database kept for the
 * process. Answers are cached per expression text for the life of the process (the cache
 * and the database are released at exit), so 1,000 models with the same @IF cost one query.
 *
 * The answer's kind mirrors the Python value SQLMesh would hold: 'b' bool, 'i' int, 'f'
 * float (printed as Python's repr), 's' str, 'l' list/dict (text: its length), 'n' None,
 * and 'x' for an expression that names a column — SQLMesh's Python sees a sqlglot object
 * there, which is truthy, and @EVAL gives the expression back. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/macro.h"
#include "util/common.h"
#include "util/db.h"


struct cache_ent {
    char *expr;
    char kind;
    char *val;
};
static struct cache_ent *g_cache;
static size_t g_cache_n, g_cache_cap;
static struct db g_evaldb;
static bool g_evaldb_open;

static void const_cache_free(void)
{
    for (size_t i = 0; i < g_cache_cap; i++) {
        free(g_cache[i].expr);
        free(g_cache[i].val);
    }
    free(g_cache);
    g_cache = NULL;
    g_cache_cap = g_cache_n = 0;
    if (g_evaldb_open) db_close(&g_evaldb);
    g_evaldb_open = false;
}

static size_t str_hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static struct cache_ent *cache_slot(const char *expr)
{
    if (g_cache_n * 2 >= g_cache_cap) {
        size_t cap = g_cache_cap ? g_cache_cap * 2 : 256;
        struct cache_ent *nc = xcalloc(cap, sizeof *nc);
        for (size_t i = 0; i < g_cache_cap; i++)
            if (g_cache[i].expr) {
                size_t k = str_hash(g_cache[i].expr) & (cap - 1);
                while (nc[k].expr) k = (k + 1) & (cap - 1);
                nc[k] = g_cache[i];
            }
        if (!g_cache) atexit(const_cache_free);
        free(g_cache);
        g_cache = nc;
        g_cache_cap = cap;
    }
    size_t k = str_hash(expr) & (g_cache_cap - 1);
    while (g_cache[k].expr && strcmp(g_cache[k].expr, expr)) k = (k + 1) & (g_cache_cap - 1);
    return &g_cache[k];
}

/* Python's repr of a float: positional, the fewest decimals that read back the same, and
 * ".0" when it is whole (1603843200.0, 1603929599.999). */
void mfloat_repr(double d, char *buf, size_t n)
{
    if (isnan(d)) { snprintf(buf, n, "nan"); return; }
    if (isinf(d)) { snprintf(buf, n, d < 0 ? "-inf" : "inf"); return; }
    if (fabs(d) >= 1e16 || (d != 0 && fabs(d) < 1e-4)) {
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, n, "%.*e", prec - 1, d);
            if (strtod(buf, NULL) == d) return;
        }
        return;
    }
    for (int dec = 1; dec <= 17; dec++) {
        snprintf(buf, n, "%.*f", dec, d);
        if (strtod(buf, NULL) == d) return;
    }
}

/* The render's connection, else the process's in-memory one (closed by const_cache_free,
 * which cache_slot registered before any query); NULL after merr when it cannot open. */
static duckdb_connection eval_con(struct mctx *c)
{
    if (c->rc->con) return c->rc->con;
    if (!g_evaldb_open) {
        struct mt_err e = MT_ERR_INIT;
        if (db_open(&g_evaldb, ":memory:", false, 1, &e) < 0) {
            merr(c, "cannot open DuckDB to evaluate constant expressions: %s", e.msg);
            return NULL;
        }
        g_evaldb_open = true;
    }
    return g_evaldb.con;
}

/* 1 when expr's only top-level operator is = (or ==), -1 for <> / !=, else 0. */
static int top_compare(const struct mseq *expr)
{
    int r = 0;
    for (size_t i = 0; i < expr->n; i++) {
        const struct mnode *n = &expr->v[i];
        if (n->k == N_TOK && n->tok.t == MT_WORD && (n->tok.n == 3 || n->tok.n == 2) &&
            (!strncasecmp(n->tok.s, "and", n->tok.n) || !strncasecmp(n->tok.s, "or", n->tok.n)))
            return 0;
        if (n->k != N_TOK || n->tok.t != MT_OP) continue;
        if ((n->tok.n == 1 && n->tok.s[0] == '=') || (n->tok.n == 2 && !strncmp(n->tok.s, "==", 2))) r = r ? 2 : 1;
        else if (n->tok.n == 2 && (!strncmp(n->tok.s, "<>", 2) || !strncmp(n->tok.s, "!=", 2))) r = r ? 2 : -1;
    }
    return r == 2 ? 0 : r;
}

/* ---- the common case without DuckDB ----
 * Most macro conditions are literals compared after substitution (`3 > 2`, `'prod' =
 * 'prod'`, `500 % 2 = 0`, `NOT FALSE AND 1 = 1`). These are evaluated here: integers
 * (64-bit, + - * and % on non-negative operands, where Python's and DuckDB's % agree),
 * strings (byte order, which is code point order in UTF-8), booleans, comparisons,
 * AND/OR/NOT and parentheses. Anything else — NULL, floats, division, functions, a
 * column, an overflow — returns "not handled" and goes to DuckDB as before. */
struct fv {
    char k; /* 'i', 's', 'b' */
    long long i;
    const char *s;
    size_t n;
};
struct fp {
    const struct mtok **t;
    size_t n, pos;
    struct marena *a;
};

static void push_tok(struct marena *a, const struct mtok ***v, size_t *n, size_t *cap, const struct mtok *t)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        const struct mtok **nv = ma_alloc(a, nc * sizeof *nv);
        if (*n) memcpy(nv, *v, *n * sizeof *nv);
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = t;
}

static void flatten(struct marena *a, const struct mseq *s, const struct mtok ***v, size_t *n, size_t *cap, bool *ok)
{
    static const struct mtok lp = {.t = MT_LP, .s = "(", .n = 1}, rp = {.t = MT_RP, .s = ")", .n = 1};
    for (size_t i = 0; i < s->n && *ok; i++) {
        const struct mnode *nd = &s->v[i];
        if (nd->k == N_GROUP && nd->tok.t != MT_LP) { *ok = false; return; }
        if (nd->k != N_TOK && nd->k != N_GROUP) { *ok = false; return; }
        if (nd->k == N_GROUP) {
            push_tok(a, v, n, cap, &lp);
            flatten(a, nd->inner, v, n, cap, ok);
            push_tok(a, v, n, cap, &rp);
        } else push_tok(a, v, n, cap, &nd->tok);
    }
}

static bool tok_is(const struct mtok *t, const char *w)
{
    size_t n = strlen(w);
    return t && t->n == n && !strncasecmp(t->s, w, n) && (t->t == MT_WORD || t->t == MT_OP);
}
static const struct mtok *fpeek(struct fp *p) { return p->pos < p->n ? p->t[p->pos] : NULL; }

static bool f_or(struct fp *p, struct fv *v);

static bool f_primary(struct fp *p, struct fv *v)
{
    const struct mtok *t = fpeek(p);
    if (!t) return false;
    p->pos++;
    if (t->t == MT_LP) {
        if (!f_or(p, v)) return false;
        t = fpeek(p);
        if (!t || t->t != MT_RP) return false;
        p->pos++;
        return true;
    }
    if (t->t == MT_NUM) {
        long long x = 0;
        for (size_t i = 0; i < t->n; i++) {
            if (!isdigit((unsigned char)t->s[i])) return false; /* floats, exponents: DuckDB */
            if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, t->s[i] - '0', &x)) return false;
        }
        v->k = 'i';
        v->i = x;
        return true;
    }
    if (t->t == MT_STR && t->s[0] == '\'') {
        char *u = ma_alloc(p->a, t->n), *o = u;
        for (size_t i = 1; i + 1 < t->n; i++) {
            if (t->s[i] == '\'' && i + 2 < t->n && t->s[i + 1] == '\'') i++;
            *o++ = t->s[i];
        }
        v->k = 's';
        v->s = u;
        v->n = (size_t)(o - u);
        return true;
    }
    if (tok_is(t, "true") || tok_is(t, "false")) {
        v->k = 'b';
        v->i = tok_is(t, "true");
        return true;
    }
    return false;
}

static bool f_unary(struct fp *p, struct fv *v)
{
    if (tok_is(fpeek(p), "-")) {
        p->pos++;
        if (!f_unary(p, v) || v->k != 'i' || v->i == LLONG_MIN) return false;
        v->i = -v->i;
        return true;
    }
    return f_primary(p, v);
}

static bool f_mul(struct fp *p, struct fv *v)
{
    if (!f_unary(p, v)) return false;
    for (;;) {
        const struct mtok *t = fpeek(p);
        bool mul = tok_is(t, "*"), mod = tok_is(t, "%");
        if (!mul && !mod) return true;
        p->pos++;
        struct fv r;
        if (!f_unary(p, &r) || v->k != 'i' || r.k != 'i') return false;
        if (mul) {
            if (__builtin_mul_overflow(v->i, r.i, &v->i)) return false;
        } else {
            if (v->i < 0 || r.i <= 0) return false;
            v->i %= r.i;
        }
    }
}

static bool f_add(struct fp *p, struct fv *v)
{
    if (!f_mul(p, v)) return false;
    for (;;) {
        const struct mtok *t = fpeek(p);
        bool add = tok_is(t, "+"), sub = tok_is(t, "-");
        if (!add && !sub) return true;
        p->pos++;
        struct fv r;
        if (!f_mul(p, &r) || v->k != 'i' || r.k != 'i') return false;
        if (add ? __builtin_add_overflow(v->i, r.i, &v->i) : __builtin_sub_overflow(v->i, r.i, &v->i)) return false;
    }
}

static bool f_cmp(struct fp *p, struct fv *v)
{
    if (!f_add(p, v)) return false;
    const struct mtok *t = fpeek(p);
    static const char *const ops[] = {"=", "==", "<>", "!=", "<", ">", "<=", ">="};
    size_t op = sizeof ops / sizeof ops[0];
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (t && t->t == MT_OP && tok_is(t, ops[i])) op = i;
    if (op == sizeof ops / sizeof ops[0]) return true;
    p->pos++;
    struct fv r;
    if (!f_add(p, &r) || v->k != r.k) return false; /* mixed types: DuckDB (and its casts) */
    int c;
    if (v->k == 's') {
        size_t m = v->n < r.n ? v->n : r.n;
        c = memcmp(v->s, r.s, m);
        if (!c) c = v->n < r.n ? -1 : v->n > r.n;
    } else c = v->i < r.i ? -1 : v->i > r.i;
    bool res = op <= 1 ? c == 0 : op <= 3 ? c != 0 : op == 4 ? c < 0 : op == 5 ? c > 0 : op == 6 ? c <= 0 : c >= 0;
    v->k = 'b';
    v->i = res;
    return true;
}

static bool f_not(struct fp *p, struct fv *v)
{
    if (tok_is(fpeek(p), "not")) {
        p->pos++;
        if (!f_not(p, v) || v->k != 'b') return false;
        v->i = !v->i;
        return true;
    }
    return f_cmp(p, v);
}

static bool f_and(struct fp *p, struct fv *v)
{
    if (!f_not(p, v)) return false;
    while (tok_is(fpeek(p), "and")) {
        p->pos++;
        struct fv r;
        if (!f_not(p, &r) || v->k != 'b' || r.k != 'b') return false;
        v->i = v->i && r.i;
    }
    return true;
}

static bool f_or(struct fp *p, struct fv *v)
{
    if (!f_and(p, v)) return false;
    while (tok_is(fpeek(p), "or")) {
        p->pos++;
        struct fv r;
        if (!f_and(p, &r) || v->k != 'b' || r.k != 'b') return false;
        v->i = v->i || r.i;
    }
    return true;
}

/* True when expr was evaluated here (kind and text as meval_const gives them). */
static bool fast_eval(struct mctx *c, const struct mseq *expr, char *kind, const char **text)
{
    struct fp p = {.a = c->a};
    size_t cap = 0;
    bool ok = true;
    flatten(c->a, expr, &p.t, &p.n, &cap, &ok);
    struct fv v;
    if (!ok || !p.n || !f_or(&p, &v) || p.pos != p.n) return false;
    *kind = v.k;
    if (v.k == 'b') *text = v.i ? "TRUE" : "FALSE";
    else if (v.k == 'i') *text = ma_printf(c->a, "%lld", v.i);
    else *text = ma_strndup(c->a, v.s, v.n);
    return true;
}

int meval_const(struct mctx *c, const struct mseq *expr, char *kind, const char **text)
{
    if (fast_eval(c, expr, kind, text)) return 0;
    const char *sql = mseq_text(c->a, expr);
    struct cache_ent *ce = cache_slot(sql);
    if (ce->expr) {
        *kind = ce->kind;
        *text = ce->val;
        return 0;
    }
    duckdb_connection con = eval_con(c);
    if (!con) return -1;
    char *q = xasprintf("SELECT %s", sql);
    duckdb_result r;
    duckdb_state st = duckdb_query(con, q, &r);
    free(q);
    char k = 'n';
    char *val = NULL;
    if (st == DuckDBError) {
        const char *msg = duckdb_result_error(&r);
        /* a column reference: SQLMesh's Python holds an expression object (truthy) */
        if (msg && (strstr(msg, "Binder Error") || strstr(msg, "Referenced column"))) {
            k = 'x';
            val = xstrdup(sql);
        } else if (msg && strstr(msg, "Conversion Error") && top_compare(expr) != 0) {
            /* Python compares values of different types as unequal ('a' = 1 is False);
             * DuckDB refuses to cast them */
            k = 'b';
            val = xstrdup(top_compare(expr) > 0 ? "FALSE" : "TRUE");
        } else {
            int rc = merr(c, "cannot evaluate %s: %s", sql, msg ? msg : "DuckDB error");
            duckdb_destroy_result(&r);
            return rc;
        }
    } else if (duckdb_row_count(&r) >= 1 && duckdb_column_count(&r) >= 1 && !duckdb_value_is_null(&r, 0, 0)) {
        duckdb_type ty = duckdb_column_type(&r, 0);
        switch (ty) {
        case DUCKDB_TYPE_BOOLEAN:
            k = 'b';
            val = xstrdup(duckdb_value_boolean(&r, 0, 0) ? "TRUE" : "FALSE");
            break;
        case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER: case DUCKDB_TYPE_BIGINT:
        case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT: case DUCKDB_TYPE_UINTEGER: case DUCKDB_TYPE_UBIGINT:
        case DUCKDB_TYPE_HUGEINT: case DUCKDB_TYPE_UHUGEINT: {
            k = 'i';
            char *v = duckdb_value_varchar(&r, 0, 0);
            val = xstrdup(v ? v : "0");
            duckdb_free(v);
            break;
        }
        case DUCKDB_TYPE_FLOAT: case DUCKDB_TYPE_DOUBLE: case DUCKDB_TYPE_DECIMAL: {
            k = 'f';
            char buf[64];
            mfloat_repr(duckdb_value_double(&r, 0, 0), buf, sizeof buf);
            val = xstrdup(buf);
            break;
        }
        case DUCKDB_TYPE_LIST: case DUCKDB_TYPE_ARRAY: case DUCKDB_TYPE_MAP: case DUCKDB_TYPE_STRUCT: {
            /* Python holds a list (or dict): truthy when not empty, and @EVAL gives it back
             * as written. The text is its length. */
            k = 'l';
            long long len = 1;
            if (ty != DUCKDB_TYPE_STRUCT) {
                char *lq = xasprintf("SELECT CAST(%s(%s) AS BIGINT)", ty == DUCKDB_TYPE_MAP ? "cardinality" : "len", sql);
                duckdb_result lr;
                if (duckdb_query(con, lq, &lr) == DuckDBSuccess && duckdb_row_count(&lr) >= 1)
                    len = (long long)duckdb_value_int64(&lr, 0, 0);
                duckdb_destroy_result(&lr);
                free(lq);
            }
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", len);
            val = xstrdup(buf);
            break;
        }
        default: {
            k = 's';
            char *v = duckdb_value_varchar(&r, 0, 0);
            val = xstrdup(v ? v : "");
            duckdb_free(v);
            break;
        }
        }
    }
    duckdb_destroy_result(&r);
    ce->expr = xstrdup(sql);
    ce->kind = k;
    ce->val = val;
    g_cache_n++;
    *kind = k;
    *text = val;
    return 0;
}

bool meval_truthy(char kind, const char *text)
{
    switch (kind) {
    case 'b': return !strcmp(text, "TRUE");
    case 'i': return strcmp(text, "0") != 0;
    case 'f': return strtod(text, NULL) != 0;
    case 's': return text[0] != 0;
    case 'x': return true;
    case 'l': return strcmp(text, "0") != 0;
    default: return false;
    }
}

const char *mconst_sql(struct mctx *c, char kind, const char *text)
{
    if (kind == 'n') return "NULL";
    if (kind == 's') return mquote(c, text, '\'');
    return text;
}

