/* macro_eval.c — evaluates the macro tree (macro.h) the way SQLMesh's MacroEvaluator does
 * (sqlmesh/core/macros.py: transform, evaluate, _norm_var_arg_lambda, template).
 *
 * Order: a call's arguments are evaluated before the call (sqlglot's replace_tree visits
 * children first), except lambda bodies, which are evaluated only when a macro applies
 * them, with their parameters bound. Name lookup for @name: the innermost binding first
 * (lambda parameters, then @DEF values and the predefined variables such as @start_ds),
 * then the project's variables; an unknown @name is an error, as in SQLMesh.
 *
 * Splicing: a call that yields nothing disappears together with one adjacent comma; a
 * call that yields a list becomes its items joined by commas (so `SELECT a, @EACH(...)`
 * extends the select list, and `f(@EACH(...))` the argument list).
 *
 * Constant evaluation: SQLMesh turns @IF's condition, @EVAL's argument and @FILTER's
 * predicate into Python and evals it. We ask DuckDB instead (`SELECT <expr>`), caching the
 * answer per expression text for the life of the process. An expression that names a
 * column cannot be evaluated by either: SQLMesh's Python sees a sqlglot object, which is
 * truthy, and so do we (kind 'x': the expression itself). */
#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/macro.h"
#include "util/common.h"
#include "util/db.h"

#define MAX_DEPTH 200

int merr(struct mctx *c, const char *fmt, ...)
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

char *ma_lower(struct marena *a, const char *s, size_t n)
{
    char *r = ma_strndup(a, s, n);
    for (char *p = r; *p; p++) *p = (char)tolower((unsigned char)*p);
    return r;
}

/* ---- bindings ---- */
const struct mbinding *mctx_lookup(struct mctx *c, const char *lname)
{
    /* lambda parameters, @DEF and the predefined names made so far; then a predefined name
     * not made yet; then the low bindings (blueprint variables) */
    for (const struct mbinding *b = c->locals; b; b = b->next)
        if (!b->low && !strcmp(b->name, lname)) return b;
    const struct mbinding *pre = macro_predefined_bind(c, lname);
    if (pre) return pre;
    for (const struct mbinding *b = c->locals; b; b = b->next)
        if (b->low && !strcmp(b->name, lname)) return b;
    return NULL;
}

void mctx_bind(struct mctx *c, const char *lname, const struct mseq *val, const struct mnode *lambda)
{
    struct mbinding *b = ma_alloc(c->a, sizeof *b);
    b->name = lname;
    if (val) b->val = *val;
    b->lambda = lambda;
    b->next = c->locals;
    c->locals = b;
}

/* ---- variables ---- */
const struct json *mvar_json(const struct mctx *c, const char *lname)
{
    return json_get(c->rc->vars, lname);
}

static void json_sql(strbuf *sb, const struct json *j, bool as_array)
{
    switch (j->t) {
    case JSON_NULL: sb_append(sb, "NULL"); break;
    case JSON_BOOL: sb_append(sb, j->b ? "TRUE" : "FALSE"); break;
    case JSON_NUM:
        /* YAML/JSON numbers reach SQLMesh as Python ints or floats: 1.50 is repr 1.5 */
        if (strpbrk(j->s, ".eE")) {
            char buf[64];
            mfloat_repr(strtod(j->s, NULL), buf, sizeof buf);
            sb_append(sb, buf);
        } else sb_append(sb, j->s);
        break;
    case JSON_STR: db_quote_literal(sb, j->s); break;
    case JSON_ARR:
        sb_append_char(sb, as_array ? '[' : '(');
        for (size_t i = 0; i < j->n; i++) {
            if (i) sb_append(sb, ", ");
            json_sql(sb, &j->items[i], true);
        }
        sb_append_char(sb, as_array ? ']' : ')');
        break;
    case JSON_OBJ: /* exp.convert(dict) is a VarMap: MAP([keys], [values]) in DuckDB */
        sb_append(sb, "MAP([");
        for (size_t i = 0; i < j->n; i++) {
            if (i) sb_append(sb, ", ");
            db_quote_literal(sb, j->keys[i]);
        }
        sb_append(sb, "], [");
        for (size_t i = 0; i < j->n; i++) {
            if (i) sb_append(sb, ", ");
            json_sql(sb, &j->items[i], true);
        }
        sb_append(sb, "])");
        break;
    }
}

char *mjson_sql(struct marena *a, const struct json *j, bool as_array)
{
    strbuf sb;
    sb_init(&sb);
    json_sql(&sb, j, as_array);
    char *r = ma_strndup(a, sb.buf ? sb.buf : "", sb.len);
    sb_free(&sb);
    return r;
}

/* Parses generated SQL text into a value; the first token takes sp from `like`. */
static int value_of_text(struct mctx *c, const char *sql, const struct mtok *like, struct mseq *out)
{
    memset(out, 0, sizeof *out);
    if (macro_parse_fragment(c->a, sql, c->line, out, c->err) < 0) return -1;
    if (out->n && like) {
        mtok_space_from(&out->v[0].tok, like);
    }
    return 0;
}

/* convert_sql: how a value reads inside a template — strings and plain names without
 * quotes, anything else as SQL. */
static char *template_text(struct mctx *c, const struct mseq *v)
{
    if (mseq_is_string(v, NULL, NULL) || mseq_is_word(v, NULL, NULL)) return mseq_name(c->a, v);
    return mseq_text(c->a, v);
}

static char *json_template_text(struct mctx *c, const struct json *j)
{
    if (j->t == JSON_STR) return ma_strndup(c->a, j->s, strlen(j->s));
    return mjson_sql(c->a, j, true);
}

/* The text @name / @{name} stands for in a template, or NULL (left as written). */
static char *template_value(struct mctx *c, const char *lname)
{
    const struct mbinding *b = mctx_lookup(c, lname);
    if (b && !b->lambda) return template_text(c, &b->val);
    const struct json *j = mvar_json(c, lname);
    if (j) return json_template_text(c, j);
    return NULL;
}

char *mtemplate(struct mctx *c, const char *text, size_t n)
{
    strbuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < n; i++) {
        if (text[i] != '@' || i + 1 >= n) { sb_append_char(&sb, text[i]); continue; }
        if (text[i + 1] == '@') { sb_append_char(&sb, '@'); i++; continue; }
        bool brace = text[i + 1] == '{';
        size_t s = i + 1 + brace, e = s;
        if (e < n && (isalpha((unsigned char)text[e]) || text[e] == '_'))
            while (e < n && (isalnum((unsigned char)text[e]) || text[e] == '_')) e++;
        if (e == s || (brace && (e >= n || text[e] != '}'))) { sb_append_char(&sb, '@'); continue; }
        char *val = template_value(c, ma_lower(c->a, text + s, e - s));
        if (!val) { sb_append_char(&sb, '@'); continue; }
        sb_append(&sb, val);
        i = e - 1 + brace;
    }
    char *r = ma_strndup(c->a, sb.buf ? sb.buf : "", sb.len);
    sb_free(&sb);
    return r;
}

/* ---- lambdas ---- */
static bool is_op(const struct mnode *n, const char *op)
{
    return n->k == N_TOK && n->tok.t == MT_OP && n->tok.n == strlen(op) && !strncmp(n->tok.s, op, n->tok.n);
}

static bool word_is(const struct mnode *n, const char *lname)
{
    return n->k == N_TOK && n->tok.t == MT_WORD && !n->tok.tmpl && n->tok.n == strlen(lname) &&
           !strncasecmp(n->tok.s, lname, n->tok.n);
}

/* Recognises `x -> body` or `(x, y) -> body` as a whole argument. */
static bool as_lambda(struct mctx *c, const struct mseq *item, struct mnode *out)
{
    if (item->n < 3 || !is_op(&item->v[1], "->")) return false;
    const struct mnode *h = &item->v[0];
    memset(out, 0, sizeof *out);
    out->k = N_LAMBDA;
    out->tok = h->tok;
    if (h->k == N_TOK && h->tok.t == MT_WORD && !h->tok.tmpl) {
        out->params = ma_alloc(c->a, sizeof *out->params);
        out->params[0] = ma_lower(c->a, h->tok.s, h->tok.n);
        out->n_params = 1;
    } else if (h->k == N_GROUP && h->tok.t == MT_LP) {
        struct mseq *ps;
        size_t np;
        mseq_split(c->a, h->inner, &ps, &np);
        out->params = ma_alloc(c->a, (np ? np : 1) * sizeof *out->params);
        for (size_t i = 0; i < np; i++) {
            if (ps[i].n != 1 || ps[i].v[0].k != N_TOK || ps[i].v[0].tok.t != MT_WORD) return false;
            out->params[i] = ma_lower(c->a, ps[i].v[0].tok.s, ps[i].v[0].tok.n);
        }
        out->n_params = np;
    } else return false;
    out->inner = ma_alloc(c->a, sizeof *out->inner);
    for (size_t i = 2; i < item->n; i++) mseq_push(c->a, out->inner, &item->v[i]);
    return true;
}

/* An argument is "atomic" when substituting it next to an operator cannot change how the
 * expression groups: one token, a bracket group, or a call (name + group). */
static bool atomic(const struct mseq *v)
{
    if (v->n <= 1) return true;
    if (v->n == 2 && v->v[0].k == N_TOK && v->v[0].tok.t == MT_WORD && v->v[1].k == N_GROUP) return true;
    /* a dotted name: name (. name)* */
    for (size_t i = 0; i < v->n; i++) {
        const struct mnode *n = &v->v[i];
        bool want_name = i % 2 == 0;
        if (n->k != N_TOK) return false;
        if (want_name && n->tok.t != MT_WORD && n->tok.t != MT_QID) return false;
        if (!want_name && !is_op(n, ".")) return false;
    }
    return v->n % 2 == 1;
}

/* Copies body into out with the lambda's parameters replaced by args (sqlglot substitutes
 * trees; we keep the grouping by parenthesising a compound argument). */
static void substitute(struct mctx *c, const struct mseq *body, const struct mnode *lam, const struct mseq *args,
                       struct mseq *out)
{
    for (size_t i = 0; i < body->n; i++) {
        const struct mnode *n = &body->v[i];
        bool after_dot = i > 0 && is_op(&body->v[i - 1], ".");
        size_t p = lam->n_params;
        if ((n->k == N_TOK && n->tok.t == MT_WORD && !n->tok.tmpl && !after_dot) || n->k == N_VAR)
            for (p = 0; p < lam->n_params; p++)
                if (n->tok.n == strlen(lam->params[p]) && !strncasecmp(n->tok.s, lam->params[p], n->tok.n)) break;
        if (p < lam->n_params) {
            const struct mseq *v = &args[p];
            size_t at = out->n;
            bool neighbour_op = (i > 0 && body->v[i - 1].k == N_TOK && body->v[i - 1].tok.t == MT_OP) ||
                                (i + 1 < body->n && body->v[i + 1].k == N_TOK && body->v[i + 1].tok.t == MT_OP &&
                                 !is_op(&body->v[i + 1], "->"));
            if (neighbour_op && !atomic(v)) {
                struct mnode g = {.k = N_GROUP, .tok = {.t = MT_LP, .s = "(", .n = 1}};
                g.inner = ma_alloc(c->a, sizeof *g.inner);
                mseq_append(c->a, g.inner, v);
                if (g.inner->n) mtok_space(&g.inner->v[0].tok, false);
                mseq_push(c->a, out, &g);
            } else mseq_append(c->a, out, v);
            if (out->n > at) {
                mtok_space_from(&out->v[at].tok, &n->tok);
            }
            continue;
        }
        struct mnode cp = *n;
        if (n->inner && n->k != N_LAMBDA) {
            cp.inner = ma_alloc(c->a, sizeof *cp.inner);
            substitute(c, n->inner, lam, args, cp.inner);
        }
        mseq_push(c->a, out, &cp);
    }
}

int mlambda_apply(struct mctx *c, const struct mnode *lam, const struct mseq *args, size_t n, struct mseq *out)
{
    struct mseq *argv = (struct mseq *)args;
    size_t argc = n;
    /* one argument for several parameters: a tuple/array unpacks (fn(exp.Tuple(...))) */
    if (n == 1 && lam->n_params > 1) {
        struct mseq *items;
        size_t ni;
        if (mseq_list_items(c->a, &args[0], &items, &ni)) { argv = items; argc = ni; }
    }
    if (argc != lam->n_params)
        return merr(c, "lambda (%zu parameter%s) applied to %zu argument%s", lam->n_params,
                     lam->n_params == 1 ? "" : "s", argc, argc == 1 ? "" : "s");
    struct mseq body = {0};
    substitute(c, lam->inner, lam, argv, &body);
    struct mbinding *saved = c->locals;
    for (size_t i = 0; i < argc; i++) mctx_bind(c, lam->params[i], &argv[i], NULL);
    memset(out, 0, sizeof *out);
    int rc = meval_seq(c, &body, out);
    c->locals = saved;
    if (out->n) mtok_space(&out->v[0].tok, false);
    return rc;
}

/* ---- calls ---- */
static int eval_call(struct mctx *c, const struct mnode *call, struct mresult *res);

int meval_arg(struct mctx *c, const struct mseq *in, struct mseq **vals, size_t *n)
{
    if (in->n == 1 && in->v[0].k == N_CALL) {
        struct mresult r;
        int saved_line = c->line;
        c->line = in->v[0].tok.line;
        if (eval_call(c, &in->v[0], &r) < 0) return -1;
        c->line = saved_line;
        if (r.k == MR_NONE) { *vals = NULL; *n = 0; return 0; }
        if (r.k == MR_ONE) {
            *vals = ma_alloc(c->a, sizeof **vals);
            (*vals)[0] = r.one;
            *n = 1;
            return 0;
        }
        /* a single-item list that is itself a list would be unpacked by the calling macro:
         * wrap it (SQLMesh's MacroEvaluator.evaluate does the same) */
        struct mseq *items;
        size_t ni;
        if (r.n == 1 && mseq_list_items(c->a, &r.list[0], &items, &ni)) {
            struct mnode g = {.k = N_GROUP, .tok = {.t = MT_LB, .s = "[", .n = 1}};
            g.inner = ma_alloc(c->a, sizeof *g.inner);
            mseq_append(c->a, g.inner, &r.list[0]);
            *vals = ma_alloc(c->a, sizeof **vals);
            memset(&(*vals)[0], 0, sizeof **vals);
            mseq_push(c->a, &(*vals)[0], &g);
            *n = 1;
            return 0;
        }
        *vals = r.list;
        *n = r.n;
        return 0;
    }
    *vals = ma_alloc(c->a, sizeof **vals);
    *n = 1;
    if (meval_seq(c, in, &(*vals)[0]) < 0) return -1;
    if ((*vals)[0].n) mtok_space(&(*vals)[0].v[0].tok, false);
    return 0;
}

static void margs_push_pos(struct mctx *c, struct margs *a, const struct mseq *v, const struct mnode *lam, size_t *cap)
{
    if (a->n_pos == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct mseq *np = ma_alloc(c->a, nc * sizeof *np);
        const struct mnode **nl = ma_alloc(c->a, nc * sizeof *nl);
        if (a->n_pos) {
            memcpy(np, a->pos, a->n_pos * sizeof *np);
            memcpy(nl, a->lam, a->n_pos * sizeof *nl);
        }
        a->pos = np;
        a->lam = nl;
        *cap = nc;
    }
    if (v) a->pos[a->n_pos] = *v;
    a->lam[a->n_pos++] = lam;
}

static int collect_args(struct mctx *c, const struct mnode *call, struct margs *a)
{
    memset(a, 0, sizeof *a);
    struct mseq *items;
    size_t n, cap = 0;
    mseq_split(c->a, call->inner, &items, &n);
    /* a trailing comma ends the list (`@AND(a, b,)`, as SQLMesh's built-in audits write
     * them): sqlglot's _parse_csv drops the empty item after it */
    if (n > 1 && items[n - 1].n == 0) n--;
    /* each item gives at most one keyword argument */
    if (n) {
        a->kw_names = ma_alloc(c->a, n * sizeof *a->kw_names);
        a->kw = ma_alloc(c->a, n * sizeof *a->kw);
    }
    for (size_t i = 0; i < n; i++) {
        struct mnode lam;
        if (as_lambda(c, &items[i], &lam)) {
            struct mnode *l = ma_alloc(c->a, sizeof *l);
            *l = lam;
            margs_push_pos(c, a, NULL, l, &cap);
            continue;
        }
        if (items[i].n >= 2 && items[i].v[0].k == N_TOK && items[i].v[0].tok.t == MT_WORD && is_op(&items[i].v[1], ":=")) {
            struct mseq rest = {0};
            for (size_t k = 2; k < items[i].n; k++) mseq_push(c->a, &rest, &items[i].v[k]);
            struct mseq *vals;
            size_t nv;
            if (meval_arg(c, &rest, &vals, &nv) < 0) return -1;
            a->kw_names[a->n_kw] = ma_lower(c->a, items[i].v[0].tok.s, items[i].v[0].tok.n);
            if (nv == 1) a->kw[a->n_kw] = vals[0];
            else mseq_join(c->a, vals, nv, &a->kw[a->n_kw]);
            a->n_kw++;
            continue;
        }
        if (a->n_kw) return merr(c, "Positional argument cannot follow keyword argument (in @%.*s)", (int)call->tok.n, call->tok.s);
        struct mseq *vals;
        size_t nv;
        if (meval_arg(c, &items[i], &vals, &nv) < 0) return -1;
        for (size_t k = 0; k < nv; k++) margs_push_pos(c, a, &vals[k], NULL, &cap);
    }
    return 0;
}

static int eval_def(struct mctx *c, const struct mnode *call)
{
    struct mseq *items;
    size_t n;
    mseq_split(c->a, call->inner, &items, &n);
    const char *w;
    size_t wn;
    if (n != 2 || !mseq_is_word(&items[0], &w, &wn))
        return merr(c, "expected @DEF(name, value)");
    bool quoted = w[0] == '"';
    char *name = ma_lower(c->a, w + quoted, wn - 2 * quoted);
    struct mnode lam;
    if (as_lambda(c, &items[1], &lam)) {
        struct mnode *l = ma_alloc(c->a, sizeof *l);
        *l = lam;
        mctx_bind(c, name, NULL, l);
        return 0;
    }
    struct mseq *vals;
    size_t nv;
    if (meval_arg(c, &items[1], &vals, &nv) < 0) return -1;
    struct mseq v = {0};
    if (nv == 1) v = vals[0];
    else mseq_join(c->a, vals, nv, &v);
    mctx_bind(c, name, &v, NULL);
    return 0;
}

static int eval_call(struct mctx *c, const struct mnode *call, struct mresult *res)
{
    memset(res, 0, sizeof *res);
    if (++c->depth > MAX_DEPTH) return merr(c, "macros nest deeper than %d (a recursive @DEF?)", MAX_DEPTH);
    char *name = ma_strndup(c->a, call->tok.s, call->tok.n);
    for (char *p = name; *p; p++) *p = (char)toupper((unsigned char)*p);
    int rc = 0;
    if (!strcmp(name, "DEF")) {
        rc = eval_def(c, call);
        res->k = MR_NONE;
        c->depth--;
        return rc;
    }
    /* an @DEF'd lambda is a macro (it shadows a built-in of the same name, as in SQLMesh) */
    char *lname = ma_lower(c->a, call->tok.s, call->tok.n);
    const struct mbinding *b = mctx_lookup(c, lname);
    if (!(b && b->lambda) && !mbuiltin_exists(name)) {
        c->depth--;
        return merr(c, "Python macro @%s is not supported by materia: @%s is neither one of SQLMesh's built-in "
                     "macros nor an @DEF in this query, and Python macros (macros/*.py) cannot run here",
                     lname, name);
    }
    struct margs args;
    if (collect_args(c, call, &args) < 0) { c->depth--; return -1; }
    if (b && b->lambda) {
        res->k = MR_ONE;
        if (args.n_pos == 1) rc = mlambda_apply(c, b->lambda, args.pos, 1, &res->one);
        else {
            /* several arguments: one tuple, as SQLMesh's lambda wrapper builds */
            if (b->lambda->n_params == args.n_pos) rc = mlambda_apply(c, b->lambda, args.pos, args.n_pos, &res->one);
            else rc = merr(c, "@%s takes %zu argument%s, got %zu", name, b->lambda->n_params,
                            b->lambda->n_params == 1 ? "" : "s", args.n_pos);
        }
        c->depth--;
        return rc;
    }
    rc = mbuiltin_call(c, name, &args, res);
    c->depth--;
    return rc < 0 ? -1 : 0;
}

/* ---- clause macros: @WHERE(cond) body ... ---- */
static const char *const clause_ends[] = {"where", "group", "having", "qualify", "window", "order", "limit",
                                          "offset", "union", "intersect", "except", "fetch", NULL};
static const char *const join_words[] = {"join", "left", "right", "inner", "full", "cross", "natural", "asof",
                                         "positional", "anti", "semi", "outer", NULL};

static bool word_in(const struct mnode *n, const char *const *list)
{
    for (; *list; list++)
        if (word_is(n, *list)) return true;
    return false;
}

static bool ends_clause(const char *kind, const struct mnode *n)
{
    if (n->k == N_CALL) {
        char up[32];
        size_t k = 0;
        for (; k < n->tok.n && k + 1 < sizeof up; k++) up[k] = (char)toupper((unsigned char)n->tok.s[k]);
        up[k] = 0;
        return mbuiltin_is_clause(up);
    }
    if (n->k != N_TOK) return false;
    if (n->tok.t == MT_SEMI) return true;
    if (!strcmp(kind, "WITH")) return word_is(n, "select") || word_is(n, "from") || word_is(n, "insert");
    if (word_in(n, clause_ends)) return true;
    if (!strcmp(kind, "JOIN")) return word_in(n, join_words) && !word_is(n, "outer");
    return false;
}

/* Evaluates the clause macro at in->v[*i]; consumes its body; appends to out. */
static int eval_clause(struct mctx *c, const char *name, const struct mseq *in, size_t *i, struct mseq *out)
{
    const struct mnode *call = &in->v[*i];
    struct margs args;
    if (collect_args(c, call, &args) < 0) return -1;
    if (args.n_pos != 1) return merr(c, "@%s takes one condition, got %zu arguments", name, args.n_pos);
    char k;
    const char *v;
    if (meval_const(c, &args.pos[0], &k, &v) < 0) return -1;
    bool on = meval_truthy(k, v);
    size_t j = *i + 1;
    struct mseq body = {0};
    while (j < in->n && !ends_clause(name, &in->v[j])) mseq_push(c->a, &body, &in->v[j++]);
    *i = j - 1;
    if (!on) {
        if (!strcmp(name, "JOIN"))
            while (out->n && word_in(&out->v[out->n - 1], join_words)) out->n--;
        return 0;
    }
    const char *kw = !strcmp(name, "GROUP_BY") ? "GROUP BY" : !strcmp(name, "ORDER_BY") ? "ORDER BY" : name;
    struct mseq kws;
    if (value_of_text(c, kw, &call->tok, &kws) < 0) return -1;
    mseq_append(c->a, out, &kws);
    struct mseq ev = {0};
    if (meval_seq(c, &body, &ev) < 0) return -1;
    if (ev.n && !ev.v[0].tok.sp) mtok_space(&ev.v[0].tok, true);
    mseq_append(c->a, out, &ev);
    return 0;
}

/* ---- variables and templates in the tree ---- */
static int eval_var(struct mctx *c, const struct mnode *n, struct mseq *out)
{
    char *lname = ma_lower(c->a, n->tok.s, n->tok.n);
    const struct mbinding *b = mctx_lookup(c, lname);
    struct mseq v = {0};
    if (b && !b->lambda) {
        mseq_append(c->a, &v, &b->val);
    } else {
        const struct json *j = mvar_json(c, lname);
        if (!j)
            return merr(c, "Macro variable '%.*s' is undefined: @%s is not a predefined variable, an @DEF or a "
                         "project variable", (int)n->tok.n, n->tok.s, lname);
        if (value_of_text(c, mjson_sql(c->a, j, false), NULL, &v) < 0) return -1;
    }
    if (v.n) {
        mtok_space_from(&v.v[0].tok, &n->tok);
    }
    mseq_append(c->a, out, &v);
    return 0;
}

static bool safe_identifier(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_')) return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return false;
    return true;
}

static void push_text_token(struct mctx *c, struct mseq *out, const struct mtok *like, enum mtk t, const char *text)
{
    struct mnode nd = {.k = N_TOK, .tok = *like};
    nd.tok.t = t;
    nd.tok.tmpl = false;
    nd.tok.s = text;
    nd.tok.n = strlen(text);
    mseq_push(c->a, out, &nd);
}

char *mquote(struct mctx *c, const char *s, char q)
{
    strbuf sb;
    sb_init(&sb);
    if (q == '"') db_quote_ident(&sb, s);
    else db_quote_literal(&sb, s);
    char *r = ma_strndup(c->a, sb.buf, sb.len);
    sb_free(&sb);
    return r;
}

static void eval_template_word(struct mctx *c, const struct mnode *n, struct mseq *out)
{
    bool quoted = n->tok.t == MT_QID;
    const char *s = quoted ? n->tok.s + 1 : n->tok.s;
    size_t len = quoted ? n->tok.n - 2 : n->tok.n;
    char *t = mtemplate(c, s, len);
    if (!quoted && safe_identifier(t)) push_text_token(c, out, &n->tok, MT_WORD, t);
    else push_text_token(c, out, &n->tok, MT_QID, mquote(c, t, '"'));
}

/* True when @name holds a string (an @DEF'd literal or a string variable). */
static bool string_valued(struct mctx *c, const struct mnode *n)
{
    char *lname = ma_lower(c->a, n->tok.s, n->tok.n);
    const struct mbinding *b = mctx_lookup(c, lname);
    if (b) return !b->lambda && mseq_is_string(&b->val, NULL, NULL);
    const struct json *j = mvar_json(c, lname);
    return j && j->t == JSON_STR;
}

/* Drops the comma next to a call that produced nothing (a, @X, b → a, b). */
static void drop_comma(const struct mseq *in, size_t *i, struct mseq *out)
{
    if (*i + 1 < in->n && in->v[*i + 1].k == N_TOK && in->v[*i + 1].tok.t == MT_COMMA) (*i)++;
    else if (out->n && out->v[out->n - 1].k == N_TOK && out->v[out->n - 1].tok.t == MT_COMMA) out->n--;
}

int meval_seq(struct mctx *c, const struct mseq *in, struct mseq *out)
{
    const struct mtok *respace = NULL; /* an item removed with the comma after it: the next
                                          node takes its leading white space */
    for (size_t i = 0; i < in->n; i++) {
        const struct mnode *n = &in->v[i];
        size_t out_before = out->n;
        if (respace && i > 0 && !(in->v[i - 1].k == N_TOK && in->v[i - 1].tok.t == MT_COMMA)) respace = NULL;
        c->line = n->tok.line ? n->tok.line : c->line;
        switch (n->k) {
        case N_TOK:
            if ((n->tok.t == MT_WORD && n->tok.tmpl) || (n->tok.t == MT_QID && memchr(n->tok.s, '@', n->tok.n)))
                eval_template_word(c, n, out);
            else mseq_push(c->a, out, n);
            break;
        case N_STRT: {
            const char *s = n->tok.s + 1;
            size_t len = n->tok.n - 2;
            /* undouble the quotes of the literal, substitute, quote again */
            char *raw = ma_alloc(c->a, len + 1), *o = raw;
            for (size_t k = 0; k < len; k++) {
                if (s[k] == n->tok.s[0] && k + 1 < len && s[k + 1] == n->tok.s[0]) k++;
                *o++ = s[k];
            }
            *o = 0;
            push_text_token(c, out, &n->tok, MT_STR, mquote(c, mtemplate(c, raw, strlen(raw)), '\''));
            break;
        }
        case N_GROUP: {
            struct mnode g = *n;
            g.inner = ma_alloc(c->a, sizeof *g.inner);
            if (meval_seq(c, n->inner, g.inner) < 0) return -1;
            mseq_push(c->a, out, &g);
            break;
        }
        case N_VAR:
            /* @x joined to a '.' is part of a dotted name (FROM @schema.tbl): SQLMesh's
             * parser reads it as an identifier with a template piece, so a string value
             * becomes an identifier, not a literal */
            if (((i + 1 < in->n && is_op(&in->v[i + 1], ".") && !in->v[i + 1].tok.sp) ||
                 (i > 0 && is_op(&in->v[i - 1], ".") && !n->tok.sp)) && string_valued(c, n)) {
                struct mnode w = *n;
                w.k = N_TOK;
                w.tok.t = MT_WORD;
                w.tok.tmpl = true;
                w.tok.s = ma_printf(c->a, "@%.*s", (int)n->tok.n, n->tok.s);
                w.tok.n = n->tok.n + 1;
                eval_template_word(c, &w, out);
                break;
            }
            if (eval_var(c, n, out) < 0) return -1;
            break;
        case N_LAMBDA:
            mseq_push(c->a, out, n);
            break;
        case N_CALL: {
            char *name = ma_strndup(c->a, n->tok.s, n->tok.n);
            for (char *p = name; *p; p++) *p = (char)toupper((unsigned char)*p);
            if (mbuiltin_is_clause(name) && !mctx_lookup(c, ma_lower(c->a, name, strlen(name)))) {
                if (eval_clause(c, name, in, &i, out) < 0) return -1;
                break;
            }
            struct mresult r;
            if (eval_call(c, n, &r) < 0) return -1;
            struct mseq v = {0};
            if (r.k == MR_ONE) v = r.one;
            else if (r.k == MR_LIST) mseq_join(c->a, r.list, r.n, &v);
            if (!v.n) {
                size_t before = i;
                drop_comma(in, &i, out);
                if (i > before) respace = &n->tok;
                break;
            }
            mtok_space_from(&v.v[0].tok, &n->tok);
            mseq_append(c->a, out, &v);
            break;
        }
        }
        if (respace && out->n > out_before && n->k != N_CALL) {
            mtok_space_from(&out->v[out_before].tok, respace);
            respace = NULL;
        }
    }
    return 0;
}
