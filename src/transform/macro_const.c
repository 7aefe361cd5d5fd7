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
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/macro.h"
#include "util/common.h"
#include "util/db.h"

static int cerr(struct mctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cerr(struct mctx *c, const char *fmt, ...)
{
    char msg[MT_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mt_errf(c->err, "%s:%d: %s", c->file ? c->file : "<query>", c->line, msg);
    for (char *p = c->err->msg; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' ';
    return -1;
}

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

static duckdb_connection eval_con(struct mctx *c)
{
    if (c->rc->con) return c->rc->con;
    if (!g_evaldb_open) {
        struct mt_err e = MT_ERR_INIT;
        if (db_open(&g_evaldb, ":memory:", false, 1, &e) < 0) return NULL;
        g_evaldb_open = true;
        if (!g_cache) {
            cache_slot("");   /* allocates the table and registers the cleanup */
        }
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

int meval_const(struct mctx *c, const struct mseq *expr, char *kind, const char **text)
{
    const char *sql = mseq_text(c->a, expr);
    struct cache_ent *ce = cache_slot(sql);
    if (ce->expr) {
        *kind = ce->kind;
        *text = ce->val;
        return 0;
    }
    duckdb_connection con = eval_con(c);
    if (!con) return cerr(c, "cannot open DuckDB to evaluate %s", sql);
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
            int rc = cerr(c, "cannot evaluate %s: %s", sql, msg ? msg : "DuckDB error");
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
    if (st != DuckDBError) duckdb_destroy_result(&r);
    else duckdb_destroy_result(&r);
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
    if (kind == 's') {
        strbuf sb;
        sb_init(&sb);
        db_quote_literal(&sb, text);
        char *r = ma_strndup(c->a, sb.buf, sb.len);
        sb_free(&sb);
        return r;
    }
    return text;
}

