/* macro_lex.c — SQL text to the macro expander's node tree, and back (see macro.h).
 *
 * The lexer knows just enough SQL to never look inside what is not code: 'strings' (''
 * doubled), "identifiers", -- and block comments (kept as white space), numbers, words,
 * brackets and operators. `@` starts a macro: @name is a variable, @name( with no space a
 * call, @'text' / @"text" a string template, and @{x} (or @x joined to a word, as in
 * col_@x) a template piece of an identifier, exactly the forms SQLMesh's dialect parses
 * (sqlmesh/core/dialect.py: _parse_macro, _parse_id_var). Jinja ({{ }}, {% %},
 * JINJA_QUERY_BEGIN) is refused here with its line, since nothing can run it.
 *
 * Invariant: every bracket opened is closed inside the same statement; otherwise the error
 * names the line where it was opened. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/macro.h"
#include "util/common.h"
#include "util/strbuf.h"

/* ---- arena ---- */
struct marena_block {
    struct marena_block *next;
    size_t used, cap;
    char data[];
};

void *ma_alloc(struct marena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct marena_block *b = a->head;
    if (!b || b->used + n > b->cap) {
        /* not calloc: ma_alloc zeroes what it hands out, and most of a block never is */
        size_t cap = n > 65536 ? n : 65536;
        b = xmalloc(sizeof *b + cap);
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *ma_strndup(struct marena *a, const char *s, size_t n)
{
    char *p = ma_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *ma_printf(struct marena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = ma_alloc(a, (size_t)(n > 0 ? n : 0) + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
    va_end(ap);
    return p;
}

void marena_free(struct marena *a)
{
    while (a->head) {
        struct marena_block *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

/* ---- sequences ---- */
void mtok_space_from(struct mtok *dst, const struct mtok *src)
{
    dst->sp = src->sp;
    dst->nl = src->nl;
    dst->pre = src->pre;
    dst->pren = src->pren;
}

void mtok_space(struct mtok *dst, bool sp)
{
    dst->sp = sp;
    dst->nl = false;
    dst->pre = NULL;
    dst->pren = 0;
}

void mseq_push(struct marena *a, struct mseq *s, const struct mnode *n)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct mnode *v = ma_alloc(a, cap * sizeof *v);
        if (s->n) memcpy(v, s->v, s->n * sizeof *v);
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = *n;
}

void mseq_append(struct marena *a, struct mseq *dst, const struct mseq *src)
{
    for (size_t i = 0; i < src->n; i++) mseq_push(a, dst, &src->v[i]);
}

/* ---- lexer ---- */
struct lex {
    struct marena *a;
    const char *s;
    size_t pos, len;
    int line;
    const char *file;
    struct mt_err *err;
};

static int lerr(struct lex *lx, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int lerr(struct lex *lx, int line, const char *fmt, ...)
{
    char msg[MT_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mt_errf(lx->err, "%s:%d: %s", lx->file ? lx->file : "<query>", line, msg);
    return -1;
}

static bool word_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}
static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

/* Skips white space and comments; true when any was skipped (*nl: a line break was). */
static bool skip_space(struct lex *lx, bool *nl)
{
    bool any = false;
    *nl = false;
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos];
        if (c == '\n') { lx->line++; lx->pos++; *nl = true; }
        else if (isspace((unsigned char)c)) lx->pos++;
        else if (c == '-' && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '-') {
            while (lx->pos < lx->len && lx->s[lx->pos] != '\n') lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '*') {
            lx->pos += 2;
            while (lx->pos < lx->len && !(lx->s[lx->pos] == '*' && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '/')) {
                if (lx->s[lx->pos] == '\n') lx->line++;
                lx->pos++;
            }
            lx->pos = lx->pos + 2 <= lx->len ? lx->pos + 2 : lx->len;
        } else break;
        any = true;
    }
    return any;
}

/* Reads a quoted run starting at pos (the quote char q); pos ends after the closing quote. */
static int read_quoted(struct lex *lx, char q)
{
    int line = lx->line;
    lx->pos++;
    for (;;) {
        if (lx->pos >= lx->len) return lerr(lx, line, "expected closing %c of the %s opened here", q,
                                            q == '\'' ? "string" : "quoted identifier");
        char c = lx->s[lx->pos];
        if (c == '\n') lx->line++;
        lx->pos++;
        if (c == q) {
            if (lx->pos < lx->len && lx->s[lx->pos] == q) { lx->pos++; continue; }
            return 0;
        }
    }
}

/* At "@{": reads "@{name}" (pos after '}'). */
static int read_brace_piece(struct lex *lx)
{
    int line = lx->line;
    lx->pos += 2;
    while (lx->pos < lx->len && (word_char(lx->s[lx->pos]) || lx->s[lx->pos] == ' ')) lx->pos++;
    if (lx->pos >= lx->len || lx->s[lx->pos] != '}') return lerr(lx, line, "expected } to close @{ (as in col_@{name})");
    lx->pos++;
    return 0;
}

/* Continues a word over word characters and joined template pieces (@{x}, @x). */
static int read_word_rest(struct lex *lx, bool *tmpl)
{
    for (;;) {
        while (lx->pos < lx->len && word_char(lx->s[lx->pos])) lx->pos++;
        if (lx->pos + 1 < lx->len && lx->s[lx->pos] == '@' && lx->s[lx->pos + 1] == '{') {
            if (read_brace_piece(lx) < 0) return -1;
            *tmpl = true;
        } else if (lx->pos + 1 < lx->len && lx->s[lx->pos] == '@' && word_start(lx->s[lx->pos + 1])) {
            lx->pos++;
            *tmpl = true;
        } else return 0;
    }
}

static const char *const ops3[] = {"->>", NULL};
static const char *const ops2[] = {"->", "::", ":=", "<=", ">=", "<>", "!=", "||", "=>", "==", "**", "//", "<<", ">>", NULL};

/* Next token; returns 0 (tok->n == 0 at the end), 1 for '@' (macro start, pos after it), -1. */
static int next_tok(struct lex *lx, struct mtok *t)
{
    bool nl;
    size_t ws = lx->pos;
    bool sp = skip_space(lx, &nl);
    memset(t, 0, sizeof *t);
    t->sp = sp;
    t->nl = nl;
    if (sp) {
        t->pre = lx->s + ws;
        t->pren = lx->pos - ws;
    }
    t->line = lx->line;
    if (lx->pos >= lx->len) return 0;
    size_t start = lx->pos;
    char c = lx->s[lx->pos];
    t->s = lx->s + start;
    if (c == '\'' || c == '"') {
        if (read_quoted(lx, c) < 0) return -1;
        t->t = c == '\'' ? MT_STR : MT_QID;
    } else if (c == '@') {
        if (lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '{') {
            bool tmpl = true;
            if (read_brace_piece(lx) < 0 || read_word_rest(lx, &tmpl) < 0) return -1;
            t->t = MT_WORD;
            t->tmpl = true;
        } else {
            lx->pos++;
            t->t = MT_OP;
            t->n = 1;
            return 1;
        }
    } else if (word_start(c)) {
        bool tmpl = false;
        if (read_word_rest(lx, &tmpl) < 0) return -1;
        t->t = MT_WORD;
        t->tmpl = tmpl;
        size_t n = lx->pos - start;
        if ((n == 17 && !strncasecmp(t->s, "JINJA_QUERY_BEGIN", 17)) ||
            (n == 21 && !strncasecmp(t->s, "JINJA_STATEMENT_BEGIN", 21)))
            return lerr(lx, t->line, "Jinja (%.*s) is not supported by materia: only SQLMesh's SQL macros "
                        "can be rendered here", (int)n, t->s);
    } else if (isdigit((unsigned char)c) || (c == '.' && lx->pos + 1 < lx->len && isdigit((unsigned char)lx->s[lx->pos + 1]))) {
        /* an exponent's sign belongs to the number only when a digit follows it, as in
         * DuckDB's scanner: in `1e--x` the `--` starts a comment */
        while (lx->pos < lx->len && (isalnum((unsigned char)lx->s[lx->pos]) || lx->s[lx->pos] == '.' || lx->s[lx->pos] == '_'))
            if ((lx->s[lx->pos] == 'e' || lx->s[lx->pos] == 'E') && lx->pos + 2 < lx->len &&
                (lx->s[lx->pos + 1] == '-' || lx->s[lx->pos + 1] == '+') && isdigit((unsigned char)lx->s[lx->pos + 2]))
                lx->pos += 2;
            else lx->pos++;
        t->t = MT_NUM;
    } else {
        const char *rest = lx->s + lx->pos;
        size_t left = lx->len - lx->pos, n = 1;
        /* only these start a 2- or 3-character operator (ops2, ops3); brackets and commas,
         * most of a query's punctuation, skip the table walk */
        bool op = c && strchr("-:<>!|=*/", c);
        for (const char *const *o = ops3; op && *o; o++)
            if (left >= 3 && !strncmp(rest, *o, 3)) n = 3;
        if (op && n == 1)
            for (const char *const *o = ops2; *o; o++)
                if (left >= 2 && !strncmp(rest, *o, 2)) n = 2;
        /* an operator stops where a comment starts, as in DuckDB's scanner: slash slash star
         * is `/` and a block comment, not `//` and `*` (else a macro in that comment would run) */
        for (size_t k = 1; k < n; k++)
            if (k + 1 < left && ((rest[k] == '/' && rest[k + 1] == '*') || (rest[k] == '-' && rest[k + 1] == '-'))) {
                n = k;
                break;
            }
        lx->pos += n;
        switch (c) {
        case '(': t->t = MT_LP; break;
        case ')': t->t = MT_RP; break;
        case '[': t->t = MT_LB; break;
        case ']': t->t = MT_RB; break;
        case ',': t->t = MT_COMMA; break;
        case ';': t->t = MT_SEMI; break;
        default: t->t = MT_OP; break;
        }
        if (n > 1) t->t = MT_OP;
    }
    t->n = lx->pos - start;
    return 0;
}

/* ---- parser: tokens to nodes ---- */
/* Brackets (and macro calls) nest at most this deep. The parser, the printer and the
 * evaluator recurse once per level, so without a bound a model file of a few thousand
 * '(' overflows the stack instead of failing with its line; DuckDB refuses expressions
 * deeper than 1000 (max_expression_depth) anyway. */
#define MAX_NEST 1000

struct parse {
    struct lex lx;
    struct mtok peek;
    int peek_rc;
    bool have_peek;
    int depth;          /* brackets and calls open around the current token */
};

static int ptok(struct parse *p, struct mtok *t)
{
    if (p->have_peek) {
        p->have_peek = false;
        *t = p->peek;
        return p->peek_rc;
    }
    return next_tok(&p->lx, t);
}

static int ppeek(struct parse *p, struct mtok **t)
{
    if (!p->have_peek) {
        p->peek_rc = next_tok(&p->lx, &p->peek);
        if (p->peek_rc < 0) return -1;
        p->have_peek = true;
    }
    *t = &p->peek;
    return p->peek_rc;
}

/* Parses nodes into out until the closing token `until` (MT_RP/MT_RB), or ';'/end when
 * until is MT_SEMI. *ended_by gets the token that ended the run. */
static int parse_seq(struct parse *p, enum mtk until, int open_line, struct mseq *out, struct mtok *ended_by);

/* parse_seq one level deeper, refusing to go past MAX_NEST */
static int parse_nested(struct parse *p, enum mtk until, int open_line, struct mseq *out, struct mtok *ended_by)
{
    if (p->depth >= MAX_NEST)
        return lerr(&p->lx, open_line, "brackets nest deeper than %d levels here", MAX_NEST);
    p->depth++;
    int rc = parse_seq(p, until, open_line, out, ended_by);
    p->depth--;
    return rc;
}

static int parse_group(struct parse *p, const struct mtok *open, struct mnode *node)
{
    node->k = N_GROUP;
    node->tok = *open;
    node->inner = ma_alloc(p->lx.a, sizeof *node->inner);
    return parse_nested(p, open->t == MT_LP ? MT_RP : MT_RB, open->line, node->inner, &node->close);
}

static int parse_macro(struct parse *p, const struct mtok *at, struct mnode *node)
{
    struct mtok t;
    int rc = ptok(p, &t);
    if (rc < 0) return -1;
    if (rc == 0 && t.n && (t.t == MT_STR || t.t == MT_QID)) {
        node->k = N_STRT;
        node->tok = t;
        mtok_space_from(&node->tok, at);
        return 0;
    }
    if (rc != 0 || !t.n || t.t != MT_WORD || t.sp)
        return lerr(&p->lx, at->line, "expected a macro name, (, ' or { after @");
    node->tok = t;
    mtok_space_from(&node->tok, at);
    node->tok.line = at->line;
    struct mtok *nx;
    if (ppeek(p, &nx) < 0) return -1;
    if (p->peek_rc == 0 && nx->n && nx->t == MT_LP && !nx->sp) {
        struct mtok open;
        ptok(p, &open);
        node->k = N_CALL;
        node->inner = ma_alloc(p->lx.a, sizeof *node->inner);
        struct mtok close;
        return parse_nested(p, MT_RP, open.line, node->inner, &close);
    }
    node->k = N_VAR;
    return 0;
}

static int parse_seq(struct parse *p, enum mtk until, int open_line, struct mseq *out, struct mtok *ended_by)
{
    for (;;) {
        struct mtok t;
        int rc = ptok(p, &t);
        if (rc < 0) return -1;
        struct mnode node;
        memset(&node, 0, sizeof node);
        if (rc == 1) {
            if (parse_macro(p, &t, &node) < 0) return -1;
            mseq_push(p->lx.a, out, &node);
            continue;
        }
        if (!t.n) {
            if (until == MT_SEMI) { memset(ended_by, 0, sizeof *ended_by); return 0; }
            return lerr(&p->lx, open_line, "expected '%c' to close the '%c' opened here",
                        until == MT_RP ? ')' : ']', until == MT_RP ? '(' : '[');
        }
        if (t.t == until || (until == MT_SEMI && t.t == MT_SEMI)) { *ended_by = t; return 0; }
        if (t.t == MT_RP || t.t == MT_RB) return lerr(&p->lx, t.line, "unexpected '%c' (no bracket is open)", t.s[0]);
        if (t.t == MT_SEMI) return lerr(&p->lx, t.line, "unexpected ';' inside brackets opened at line %d", open_line);
        if (t.t == MT_LP || t.t == MT_LB) {
            if (parse_group(p, &t, &node) < 0) return -1;
        } else {
            node.k = N_TOK;
            node.tok = t;
        }
        mseq_push(p->lx.a, out, &node);
    }
}

int macro_parse(struct marena *a, const char *sql, const char *file, int line0, struct mseq **stmts,
                size_t *n_stmts, struct mt_err *err)
{
    struct parse p = {.lx = {.a = a, .s = sql, .len = strlen(sql), .line = line0, .file = file, .err = err}};
    /* SQLMesh treats any text holding {{ or {% as Jinja (sqlmesh/utils/jinja.py has_jinja),
     * strings included */
    const char *j1 = strstr(sql, "{{"), *j2 = strstr(sql, "{%");
    const char *j = j1 && (!j2 || j1 < j2) ? j1 : j2;
    if (j && file) {
        int line = line0;
        for (const char *q = sql; q < j; q++)
            if (*q == '\n') line++;
        return lerr(&p.lx, line, "Jinja (%.2s) is not supported by materia: only SQLMesh's SQL macros can be "
                    "rendered here", j);
    }
    size_t cap = 4, n = 0;
    struct mseq *v = ma_alloc(a, cap * sizeof *v);
    for (;;) {
        struct mseq s = {0};
        struct mtok end;
        if (parse_seq(&p, MT_SEMI, line0, &s, &end) < 0) return -1;
        if (s.n) {
            if (n == cap) {
                struct mseq *nv = ma_alloc(a, cap * 2 * sizeof *nv);
                memcpy(nv, v, n * sizeof *v);
                v = nv;
                cap *= 2;
            }
            v[n++] = s;
        }
        if (!end.n) break;
    }
    *stmts = v;
    *n_stmts = n;
    return 0;
}

int macro_parse_fragment(struct marena *a, const char *sql, int line, struct mseq *out, struct mt_err *err)
{
    struct mseq *st;
    size_t n;
    /* tokens point into the text: keep a copy that lives as long as the nodes */
    if (macro_parse(a, ma_strndup(a, sql, strlen(sql)), NULL, line, &st, &n, err) < 0) return -1;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        if (i) {
            struct mnode semi = {.k = N_TOK, .tok = {.t = MT_SEMI, .s = ";", .n = 1}};
            mseq_push(a, out, &semi);
        }
        mseq_append(a, out, &st[i]);
    }
    return 0;
}

/* ---- printing ---- */
/* Tokens keep the white space that came before them in the source (a space, or a line
 * break when there was one); generated SQL is lexed from text written with spaces. So a
 * render reads like its model file, minus comments. */
static void print_space(const struct mtok *t, bool *first, strbuf *out)
{
    if (!*first && t->sp) {
        if (t->pre) sb_append_len(out, t->pre, t->pren);
        else sb_append_char(out, t->nl ? '\n' : ' ');
    }
    *first = false;
}

static void print_seq(const struct mseq *s, strbuf *out, bool *first)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct mnode *nd = &s->v[i];
        print_space(&nd->tok, first, out);
        switch (nd->k) {
        case N_TOK:
            sb_append_len(out, nd->tok.s, nd->tok.n);
            break;
        case N_STRT:
            sb_append_char(out, '@');
            sb_append_len(out, nd->tok.s, nd->tok.n);
            break;
        case N_GROUP:
            sb_append_len(out, nd->tok.s, 1);
            print_seq(nd->inner, out, first);
            if (nd->close.sp) {
                if (nd->close.pre) sb_append_len(out, nd->close.pre, nd->close.pren);
                else sb_append_char(out, nd->close.nl ? '\n' : ' ');
            }
            sb_append_char(out, nd->tok.t == MT_LP ? ')' : ']');
            break;
        case N_VAR:
        case N_CALL:
            /* only printed from an unevaluated tree (error messages) */
            sb_append_char(out, '@');
            sb_append_len(out, nd->tok.s, nd->tok.n);
            if (nd->k == N_CALL) {
                sb_append_char(out, '(');
                print_seq(nd->inner, out, first);
                sb_append_char(out, ')');
            }
            break;
        case N_LAMBDA:
            if (nd->n_params == 1) sb_append(out, nd->params[0]);
            else {
                sb_append_char(out, '(');
                for (size_t k = 0; k < nd->n_params; k++) sb_appendf(out, "%s%s", k ? ", " : "", nd->params[k]);
                sb_append_char(out, ')');
            }
            sb_append(out, " ->");
            print_seq(nd->inner, out, first);
            break;
        }
    }
}

void mseq_print(const struct mseq *s, strbuf *out)
{
    bool first = true;
    print_seq(s, out, &first);
}

char *mseq_text(struct marena *a, const struct mseq *s)
{
    strbuf sb;
    sb_init(&sb);
    mseq_print(s, &sb);
    char *r = ma_strndup(a, sb.buf ? sb.buf : "", sb.len);
    sb_free(&sb);
    return r;
}

/* ---- value views ---- */
void mseq_split(struct marena *a, const struct mseq *s, struct mseq **items, size_t *n)
{
    size_t cnt = s->n ? 1 : 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].k == N_TOK && s->v[i].tok.t == MT_COMMA) cnt++;
    *items = ma_alloc(a, (cnt ? cnt : 1) * sizeof **items);
    *n = cnt;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].k == N_TOK && s->v[i].tok.t == MT_COMMA) { k++; continue; }
        mseq_push(a, &(*items)[k], &s->v[i]);
    }
}

bool mseq_list_items(struct marena *a, const struct mseq *s, struct mseq **items, size_t *n)
{
    if (s->n != 1 || s->v[0].k != N_GROUP) return false;
    const struct mnode *g = &s->v[0];
    if (g->tok.t == MT_LB) {
        mseq_split(a, g->inner, items, n);
        return true;
    }
    bool comma = false;
    for (size_t i = 0; i < g->inner->n; i++)
        if (g->inner->v[i].k == N_TOK && g->inner->v[i].tok.t == MT_COMMA) comma = true;
    if (!comma) return false;
    mseq_split(a, g->inner, items, n);
    return true;
}

void mseq_join(struct marena *a, const struct mseq *vals, size_t n, struct mseq *out)
{
    for (size_t i = 0; i < n; i++) {
        if (i) {
            struct mnode comma = {.k = N_TOK, .tok = {.t = MT_COMMA, .s = ",", .n = 1}};
            mseq_push(a, out, &comma);
        }
        size_t at = out->n;
        mseq_append(a, out, &vals[i]);
        if (i && out->n > at) mtok_space(&out->v[at].tok, true);
    }
}

bool mseq_is_string(const struct mseq *s, const char **val, size_t *n)
{
    if (s->n != 1 || s->v[0].k != N_TOK || s->v[0].tok.t != MT_STR) return false;
    if (val) *val = s->v[0].tok.s;
    if (n) *n = s->v[0].tok.n;
    return true;
}

bool mseq_is_word(const struct mseq *s, const char **w, size_t *n)
{
    if (s->n != 1 || s->v[0].k != N_TOK || (s->v[0].tok.t != MT_WORD && s->v[0].tok.t != MT_QID)) return false;
    if (w) *w = s->v[0].tok.s;
    if (n) *n = s->v[0].tok.n;
    return true;
}

/* Unquotes a 'string' or "identifier" token's text into the arena. */
static char *unquote(struct marena *a, const char *s, size_t n)
{
    char q = s[0];
    char *r = ma_alloc(a, n + 1), *o = r;
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] == q && i + 2 < n && s[i + 1] == q) i++;
        *o++ = s[i];
    }
    *o = 0;
    return r;
}

char *mseq_name(struct marena *a, const struct mseq *s)
{
    if (s->n == 1 && s->v[0].k == N_TOK) {
        const struct mtok *t = &s->v[0].tok;
        if (t->t == MT_STR || t->t == MT_QID) return unquote(a, t->s, t->n);
        return ma_strndup(a, t->s, t->n);
    }
    /* a qualified column a.b.c: its last part */
    if (s->n >= 3 && s->v[s->n - 1].k == N_TOK && s->v[s->n - 2].k == N_TOK && s->v[s->n - 2].tok.t == MT_OP &&
        s->v[s->n - 2].tok.n == 1 && s->v[s->n - 2].tok.s[0] == '.') {
        const struct mtok *t = &s->v[s->n - 1].tok;
        return t->t == MT_QID ? unquote(a, t->s, t->n) : ma_strndup(a, t->s, t->n);
    }
    return mseq_text(a, s);
}
