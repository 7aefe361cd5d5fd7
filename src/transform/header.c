/* header.c — the MODEL (...) / AUDIT (...) header parser (SQLMesh syntax).
 *
 * How it works: a small tokenizer (identifiers — dotted names included —, strings, numbers,
 * punctuation, with -- and block comments skipped and line numbers kept) feeds a parser
 * that reads `MODEL ( prop value, prop value, ... );`. Each property value is the token
 * range up to the next top-level comma; it is then interpreted per property. Raw SQL
 * fragments (audit arguments, columns) are taken from the source text between the first
 * and last token of the value, so they round-trip exactly. Nothing here touches the file
 * system or DuckDB: the parser is a pure function of (text, len, filename), for fuzzing.
 *
 * Invariant: on error, the output struct is zeroed and err holds "file:line: expected ...". */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/kinds.h"
#include "transform/model.h"
#include "transform/schedule.h"
#include "transform/session_props.h"
#include "transform/statements.h"
#include "util/err.h"
#include "util/strbuf.h"

enum tok_type { T_EOF = 0, T_IDENT, T_STRING, T_NUMBER, T_LPAREN, T_RPAREN, T_COMMA, T_SEMI, T_OP };

struct tok {
    enum tok_type type;
    size_t start, end;   /* byte range in the source (strings: including quotes) */
    int line;
};

struct lexer {
    const char *s;
    size_t len, pos;
    int line;
    const char *file;
    struct mt_err *err;
};

static int lex_error(struct lexer *lx, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int lex_error(struct lexer *lx, int line, const char *fmt, ...)
{
    char msg[MT_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mt_errf(lx->err, "%s:%d: %s", lx->file, line, msg);
    /* quoted model text may hold newlines: the message stays one line (found by fuzzing) */
    for (char *c = lx->err->msg; *c; c++)
        if ((unsigned char)*c < 0x20) *c = ' ';
    return -1;
}

static void lex_skip_space(struct lexer *lx)
{
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos];
        if (c == '\n') { lx->line++; lx->pos++; }
        else if (isspace((unsigned char)c)) lx->pos++;
        else if (c == '-' && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '-') {
            while (lx->pos < lx->len && lx->s[lx->pos] != '\n') lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '*') {
            lx->pos += 2;
            while (lx->pos < lx->len && !(lx->s[lx->pos] == '*' && lx->pos + 1 < lx->len &&
                                          lx->s[lx->pos + 1] == '/')) {
                if (lx->s[lx->pos] == '\n') lx->line++;
                lx->pos++;
            }
            lx->pos = lx->pos + 2 <= lx->len ? lx->pos + 2 : lx->len;
        } else break;
    }
}

/* Next token; -1 on an unterminated string. */
static int lex_next(struct lexer *lx, struct tok *t)
{
    lex_skip_space(lx);
    t->start = lx->pos;
    t->line = lx->line;
    if (lx->pos >= lx->len) { t->type = T_EOF; t->end = lx->pos; return 0; }
    char c = lx->s[lx->pos];
    if (c == '\'' || c == '"') {
        char q = c;
        lx->pos++;
        for (;;) {
            if (lx->pos >= lx->len) return lex_error(lx, t->line, "expected closing %c of the string opened here", q);
            if (lx->s[lx->pos] == '\n') lx->line++;
            if (lx->s[lx->pos] == q) {
                if (lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == q) { lx->pos += 2; continue; }
                lx->pos++;
                break;
            }
            lx->pos++;
        }
        t->type = q == '\'' ? T_STRING : T_IDENT;
    } else if (isalpha((unsigned char)c) || c == '_' || c == '@') {
        lx->pos++;
        while (lx->pos < lx->len && (isalnum((unsigned char)lx->s[lx->pos]) || lx->s[lx->pos] == '_' ||
                                     lx->s[lx->pos] == '$' || lx->s[lx->pos] == '.'))
            lx->pos++;
        t->type = T_IDENT;
    } else if (isdigit((unsigned char)c) || (c == '-' && lx->pos + 1 < lx->len && isdigit((unsigned char)lx->s[lx->pos + 1]))) {
        lx->pos++;
        while (lx->pos < lx->len && (isalnum((unsigned char)lx->s[lx->pos]) || lx->s[lx->pos] == '.')) lx->pos++;
        t->type = T_NUMBER;
    } else {
        lx->pos++;
        switch (c) {
        case '(': t->type = T_LPAREN; break;
        case ')': t->type = T_RPAREN; break;
        case ',': t->type = T_COMMA; break;
        case ';': t->type = T_SEMI; break;
        default:
            t->type = T_OP;
            if (c == ':' && lx->pos < lx->len && lx->s[lx->pos] == '=') lx->pos++;
            else if ((c == '<' || c == '>' || c == '!') && lx->pos < lx->len && lx->s[lx->pos] == '=') lx->pos++;
            break;
        }
    }
    t->end = lx->pos;
    return 0;
}

/* ---- token array for one header ---- */
struct toks {
    struct tok *v;
    size_t n, cap;
};

static void toks_push(struct toks *ts, const struct tok *t)
{
    if (ts->n == ts->cap) {
        ts->cap = ts->cap ? ts->cap * 2 : 64;
        ts->v = xrealloc(ts->v, ts->cap * sizeof *ts->v);
    }
    ts->v[ts->n++] = *t;
}

struct parser {
    struct lexer lx;
    struct toks ts;
    size_t header_end;   /* byte offset after the header's ';' */
};

/* Reads `KEYWORD ( ... ) ;` into p->ts (the tokens strictly inside the parens). */
static int parse_block(struct parser *p, const char *keyword)
{
    struct tok t;
    if (lex_next(&p->lx, &t) < 0) return -1;
    if (t.type != T_IDENT || t.end - t.start != strlen(keyword) ||
        strncasecmp(p->lx.s + t.start, keyword, t.end - t.start) != 0)
        return lex_error(&p->lx, t.line, "expected %s ( ... ); at the start of the file", keyword);
    if (lex_next(&p->lx, &t) < 0) return -1;
    if (t.type != T_LPAREN) return lex_error(&p->lx, t.line, "expected '(' after %s", keyword);
    int open_line = t.line, depth = 1;
    int stack[64];
    stack[0] = open_line;
    for (;;) {
        if (lex_next(&p->lx, &t) < 0) return -1;
        if (t.type == T_EOF)
            return lex_error(&p->lx, stack[depth > 64 ? 63 : depth - 1],
                             "expected ')' to close the '(' opened here (unbalanced parentheses)");
        if (t.type == T_LPAREN) {
            if (depth < 64) stack[depth] = t.line;
            depth++;
        } else if (t.type == T_RPAREN) {
            if (--depth == 0) break;
        }
        toks_push(&p->ts, &t);
    }
    if (lex_next(&p->lx, &t) < 0) return -1;
    /* a MODEL block that ends the file needs no ';' (sqlglot's parser splits at ';': the
     * last chunk needs none); anything after it does (sqlglot: "Invalid expression /
     * Unexpected token") */
    if (t.type != T_SEMI && !(t.type == T_EOF && !strcmp(keyword, "MODEL")))
        return lex_error(&p->lx, t.line, "expected ';' after %s ( ... )", keyword);
    p->header_end = p->lx.pos;
    return 0;
}

static char *tok_text(const struct parser *p, const struct tok *t)
{
    const char *s = p->lx.s + t->start;
    size_t n = t->end - t->start;
    if (t->type == T_STRING || (t->type == T_IDENT && n >= 2 && s[0] == '"')) {
        /* unquote, undoubling embedded quotes */
        char q = s[0];
        strbuf sb;
        sb_init(&sb);
        for (size_t i = 1; i + 1 < n; i++) {
            if (s[i] == q && i + 2 < n && s[i + 1] == q) i++;
            sb_append_char(&sb, s[i]);
        }
        return sb_detach(&sb);
    }
    return xstrndup(s, n);
}

/* Source text from token a to token b inclusive. */
static char *range_text(const struct parser *p, size_t a, size_t b)
{
    return xstrndup(p->lx.s + p->ts.v[a].start, p->ts.v[b].end - p->ts.v[a].start);
}

static void lower(char *s)
{
    for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

/* Splits tokens [a, b) at top-level commas; calls fn for each non-empty piece. */
typedef int (*piece_fn)(struct parser *p, size_t a, size_t b, void *ctx);
static int split_commas(struct parser *p, size_t a, size_t b, piece_fn fn, void *ctx)
{
    int depth = 0;
    size_t s = a;
    for (size_t i = a; i <= b; i++) {
        if (i < b) {
            enum tok_type ty = p->ts.v[i].type;
            /* [a, b] is one value too (SQLMesh's arrays: grains [a, b], tags [x, y]) */
            if (ty == T_LPAREN || (ty == T_OP && p->lx.s[p->ts.v[i].start] == '[')) depth++;
            else if (ty == T_RPAREN || (ty == T_OP && p->lx.s[p->ts.v[i].start] == ']')) depth--;
            if (!(ty == T_COMMA && depth == 0)) continue;
        }
        if (i > s && fn(p, s, i, ctx) < 0) return -1;
        s = i + 1;
    }
    return 0;
}

/* A value that is one token or one parenthesized group: returns the inner token range. */
static bool is_op(const struct parser *p, size_t i, char c)
{
    return p->ts.v[i].type == T_OP && p->lx.s[p->ts.v[i].start] == c;
}

static void unparen(const struct parser *p, size_t *a, size_t *b)
{
    if (*b - *a >= 2 && ((p->ts.v[*a].type == T_LPAREN && p->ts.v[*b - 1].type == T_RPAREN) ||
                         (is_op(p, *a, '[') && is_op(p, *b - 1, ']')))) {
        (*a)++;
        (*b)--;
    }
}

static int push_name(struct parser *p, size_t a, size_t b, void *ctx)
{
    unparen(p, &a, &b);
    if (b - a != 1 || p->ts.v[a].type != T_IDENT)
        return lex_error(&p->lx, p->ts.v[a].line, "expected a table or column name");
    char *s = tok_text(p, &p->ts.v[a]);
    lower(s);
    strlist_push(ctx, s);
    free(s);
    return 0;
}

/* An expression as written (partitioned_by (a, date_trunc('day', ts))). */
static int push_expr(struct parser *p, size_t a, size_t b, void *ctx)
{
    char *s = range_text(p, a, b - 1);
    strlist_push(ctx, s);
    free(s);
    return 0;
}

static int parse_audit_arg(struct parser *p, size_t a, size_t b, void *ctx)
{
    struct audit_call *ac = ctx;
    if (b - a < 3 || p->ts.v[a].type != T_IDENT || p->ts.v[a + 1].type != T_OP ||
        p->ts.v[a + 1].end - p->ts.v[a + 1].start != 2)
        return lex_error(&p->lx, p->ts.v[a].line, "expected audit argument 'name := value'");
    char *n = tok_text(p, &p->ts.v[a]);
    lower(n);
    char *v = range_text(p, a + 2, b - 1);
    strlist_push(&ac->arg_names, n);
    strlist_push(&ac->arg_values, v);
    free(n);
    free(v);
    return 0;
}

static int parse_audit(struct parser *p, size_t a, size_t b, void *ctx)
{
    struct model *m = ctx;
    if (p->ts.v[a].type != T_IDENT)
        return lex_error(&p->lx, p->ts.v[a].line, "expected an audit name");
    m->audits = xrealloc(m->audits, (m->n_audits + 1) * sizeof *m->audits);
    struct audit_call *ac = &m->audits[m->n_audits++];
    memset(ac, 0, sizeof *ac);
    ac->name = tok_text(p, &p->ts.v[a]);
    lower(ac->name);
    ac->line = p->ts.v[a].line;
    if (b - a == 1) return 0;
    if (p->ts.v[a + 1].type != T_LPAREN || p->ts.v[b - 1].type != T_RPAREN)
        return lex_error(&p->lx, p->ts.v[a].line, "expected audit as name or name(arg := value, ...)");
    return split_commas(p, a + 2, b - 1, parse_audit_arg, ac);
}

struct kind_ctx {
    struct model *m;
    strbuf canon;
};

static int audit_bool(struct parser *p, const struct tok *kt, const char *key, size_t va, size_t vb, bool *out);

/* The arguments of the kinds of kind_partition.c, kind_embedded.c and seed_csv.c; 1 when key
 * is none of theirs (SQLMesh's model/kind.py: IncrementalByPartitionKind,
 * IncrementalUnmanagedKind, ViewKind, SeedKind). */
static int parse_more_kind_arg(struct parser *p, struct model *m, const struct tok *t, const char *key, size_t va,
                               size_t vb)
{
    bool v = false;
    bool incr = m->kind == KIND_INCR_PARTITION || m->kind == KIND_INCR_UNMANAGED;
    if (!strcmp(key, "materialized") && m->kind == KIND_VIEW)
        /* SQLMesh's DuckDB adapter has no materialized views (SUPPORTS_MATERIALIZED_VIEWS is
         * False, so base.py create_view drops the flag): a plain view there, and here; the
         * flag is fingerprinted (kind_args), as ViewKind.data_hash_values does */
        return audit_bool(p, t, key, va, vb, &m->materialized);
    if (!strcmp(key, "insert_overwrite") && m->kind == KIND_INCR_UNMANAGED)
        return audit_bool(p, t, key, va, vb, &m->insert_overwrite);
    if (!strcmp(key, "forward_only") && m->kind == KIND_INCR_UNMANAGED)
        return audit_bool(p, t, key, va, vb, &m->forward_only);
    if (!strcmp(key, "forward_only") && m->kind == KIND_INCR_PARTITION) {
        if (audit_bool(p, t, key, va, vb, &v) < 0) return -1;
        return v ? 0 : lex_error(&p->lx, t->line, "Do not specify the `forward_only` configuration key - "
                                 "INCREMENTAL_BY_PARTITION models are always forward_only.");
    }
    if (!strcmp(key, "disable_restatement") && incr)
        return audit_bool(p, t, key, va, vb, &m->disable_restatement); /* restate.c */
    if (!strcmp(key, "csv_settings") && m->kind == KIND_SEED) {
        char *raw = range_text(p, va, vb - 1);
        int rc = seed_csv_parse(raw, p->lx.file, t->line, &m->csv_opts, p->lx.err);
        free(raw);
        return rc;
    }
    if (!strcmp(key, "batch_size") && m->kind == KIND_SEED) {
        /* rows per INSERT (SeedStrategy.create: the first batch replaces, the others append,
         * in order, with the types of the whole file): the table is the same whatever its
         * value, so materia loads the file in one statement; only a positive integer is
         * valid (SeedKind: SQLGlotPositiveInt) */
        char *s = tok_text(p, &p->ts.v[va]), *end;
        long n = strtol(s, &end, 10);
        bool ok = vb - va == 1 && !*end && n >= 1;
        free(s);
        return ok ? 0 : lex_error(&p->lx, t->line, "expected batch_size N (N >= 1)");
    }
    if (incr && (!strcmp(key, "batch_size") || !strcmp(key, "batch_concurrency")))
        return lex_error(&p->lx, t->line, "unknown %s property '%s': expected %s", model_kind_name(m->kind), key,
                         m->kind == KIND_INCR_UNMANAGED ? "insert_overwrite, forward_only or disable_restatement"
                                                        : "forward_only or disable_restatement");
    return 1;
}

/* SQLMesh's metadata kind properties (model/kind.py metadata_hash_values): a change to them
 * is not a new version, so they stay out of the fingerprinted kind_args. */
static bool kind_arg_is_metadata(const char *key)
{
    static const char *const meta[] = {"batch_size", "batch_concurrency", "forward_only", "disable_restatement",
                                       "on_destructive_change", "on_additive_change", "partition_by_time_column"};
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
        if (!strcmp(key, meta[i])) return true;
    return false;
}

/* unique_key (a, COALESCE(b, '')): a column is kept lower-cased in unique_key (the upsert's
 * fast path); an expression, as SQLMesh allows, is kept as written and takes the MERGE path
 * (merge.c). key_exprs holds every part as SQL. */
static int push_key(struct parser *p, size_t a, size_t b, void *ctx)
{
    struct model *m = ctx;
    size_t ua = a, ub = b;
    unparen(p, &ua, &ub);
    if (ub - ua == 1 && p->ts.v[ua].type == T_IDENT && !memchr(p->lx.s + p->ts.v[ua].start, '.', p->ts.v[ua].end - p->ts.v[ua].start)) {
        if (push_name(p, ua, ub, &m->unique_key) < 0) return -1;
        strbuf q;
        sb_init(&q);
        sb_append_char(&q, '"');
        for (const char *c = m->unique_key.v[m->unique_key.n - 1]; *c; c++) {
            if (*c == '"') sb_append_char(&q, '"');
            sb_append_char(&q, *c);
        }
        sb_append_char(&q, '"');
        strlist_push(&m->incr.key_exprs, q.buf);
        sb_free(&q);
        return 0;
    }
    char *e = range_text(p, a, b - 1);
    strlist_push(&m->unique_key, e);
    strlist_push(&m->incr.key_exprs, e);
    free(e);
    m->incr.key_is_expr = true;
    return 0;
}

/* error | warn | allow | ignore (any case, bare or quoted) for on_destructive_change /
 * on_additive_change. */
static int parse_policy(struct parser *p, size_t va, size_t vb, const char *key, enum change_policy *out)
{
    char *v = vb - va == 1 ? tok_text(p, &p->ts.v[va]) : xstrdup("");
    static const char *const names[] = {"error", "warn", "allow", "ignore"};
    *out = CHANGE_DEFAULT;
    for (size_t i = 0; i < 4; i++)
        if (!strcasecmp(v, names[i])) *out = (enum change_policy)(CHANGE_ERROR + i);
    free(v);
    if (*out == CHANGE_DEFAULT)
        return lex_error(&p->lx, p->ts.v[va].line, "expected %s ERROR, WARN, ALLOW or IGNORE", key);
    return 0;
}

static int parse_kind_arg(struct parser *p, size_t a, size_t b, void *ctx)
{
    struct kind_ctx *kc = ctx;
    struct model *m = kc->m;
    const struct tok *t = &p->ts.v[a];
    if (t->type != T_IDENT || b - a < 2)
        return lex_error(&p->lx, t->line, "expected 'property value' inside the kind's parentheses");
    char *key = tok_text(p, t);
    lower(key);
    size_t va = a + 1, vb = b;
    int rc = 0;
    char *raw = range_text(p, va, vb - 1);
    if (kind_is_scd2(m->kind) ? !scd2_kind_metadata(key) : !kind_arg_is_metadata(key)) /* SQLMesh metadata */
        sb_appendf(&kc->canon, "%s=%s;", key, raw);
    bool incremental = m->kind == KIND_INCR_TIME || m->kind == KIND_INCR_KEY;
    int more = kind_is_scd2(m->kind) ? 1 : parse_more_kind_arg(p, m, t, key, va, vb);
    if (kind_is_scd2(m->kind)) {
        rc = scd2_kind_arg(m, key, raw, t->line, p->lx.err); /* kind_scd2_args.c */
    } else if (more <= 0) {
        rc = more;
    } else if (!strcmp(key, "time_column") && m->kind == KIND_INCR_TIME) {
        unparen(p, &va, &vb); /* time_column (ts, '%Y-%m-%d'): the format filters a text column (time_column.c) */
        if (p->ts.v[va].type != T_IDENT) rc = lex_error(&p->lx, t->line, "expected a column name after time_column");
        else if (vb - va != 1 && (vb - va != 3 || p->ts.v[va + 1].type != T_COMMA || p->ts.v[va + 2].type != T_STRING))
            rc = lex_error(&p->lx, t->line, "expected time_column COLUMN or time_column (COLUMN, 'format')");
        else {
            m->time_column = tok_text(p, &p->ts.v[va]);
            if (vb - va == 3) m->incr.time_format = tok_text(p, &p->ts.v[va + 2]);
        }
    } else if (!strcmp(key, "unique_key") && m->kind == KIND_INCR_KEY) {
        unparen(p, &va, &vb);
        rc = split_commas(p, va, vb, push_key, m);
    } else if (!strcmp(key, "path") && m->kind == KIND_SEED) {
        if (vb - va != 1 || p->ts.v[va].type != T_STRING) rc = lex_error(&p->lx, t->line, "expected path 'file.csv'");
        else m->seed_path = tok_text(p, &p->ts.v[va]);
    } else if (!strcmp(key, "lookback") && (m->kind == KIND_INCR_TIME || m->kind == KIND_INCR_KEY)) {
        /* kind.py _IncrementalBy.lookback (SQLGlotPositiveInt): schedule.c compute_missing */
        char *v = tok_text(p, &p->ts.v[va]), *end;
        m->lookback = strtol(v, &end, 10);
        if (vb - va != 1 || *end || end == v || m->lookback < 0)
            rc = lex_error(&p->lx, t->line, "expected lookback N (a number of intervals, 0 or more)");
        free(v);
    } else if (!strcmp(key, "lookback")) {
        rc = lex_error(&p->lx, t->line, "%s is not supported by materia: %s", key,
                       "only INCREMENTAL_BY_TIME_RANGE and INCREMENTAL_BY_UNIQUE_KEY take a lookback");
    } else if ((!strcmp(key, "on_destructive_change") || !strcmp(key, "on_additive_change")) && incremental) {
        rc = parse_policy(p, va, vb, key, key[3] == 'd' ? &m->incr.on_destructive : &m->incr.on_additive);
    } else if (!strcmp(key, "forward_only")) {
        /* a change to the model keeps its physical table (forward_only.c) */
        char *v = tok_text(p, &p->ts.v[va]);
        bool yes = !strcasecmp(v, "true"), no = !strcasecmp(v, "false");
        if (vb - va != 1 || (!yes && !no)) rc = lex_error(&p->lx, t->line, "expected forward_only true or false");
        else if (yes && !incremental)
            rc = lex_error(&p->lx, t->line, "forward_only true is not supported by materia on a %s model: SQLMesh's "
                           "forward_only is a property of incremental kinds", model_kind_name(m->kind));
        else m->incr.forward_only = yes;
        free(v);
    } else if ((!strcmp(key, "when_matched") || !strcmp(key, "merge_filter")) && m->kind == KIND_INCR_KEY) {
        /* the MERGE path (merge.c); WHEN clauses go in parentheses (they hold commas) */
        if (key[0] == 'w') {
            unparen(p, &va, &vb);
            char *w = range_text(p, va, vb - 1);
            if (strncasecmp(w, "WHEN", 4) != 0)
                rc = lex_error(&p->lx, t->line, "expected when_matched (WHEN MATCHED [AND cond] THEN UPDATE SET ... | DELETE ...)");
            free(m->incr.when_matched);
            m->incr.when_matched = w;
        } else {
            free(m->incr.merge_filter);
            m->incr.merge_filter = xstrdup(raw);
            m->incr.merge_filter_line = t->line;
        }
    } else if (!strcmp(key, "batch_size") && incremental) {
        /* intervals per query (the runner splits each range: runner.c build) */
        char *v = tok_text(p, &p->ts.v[va]);
        char *end;
        long n = strtol(v, &end, 10);
        if (vb - va != 1 || *end || n < 1) rc = lex_error(&p->lx, t->line, "expected batch_size N (N >= 1)");
        else m->batch_size = n;
        free(v);
    } else if (!strcmp(key, "batch_concurrency") && incremental) {
        /* batches run one after the other in the run's one transaction (runner.c build), which is
         * within any limit N >= 1: the rows are the same as with N at a time. SQLMesh's
         * IncrementalByUniqueKeyKind pins it to 1 (batch_concurrency: Literal[1]). */
        char *v = tok_text(p, &p->ts.v[va]);
        char *end;
        long n = strtol(v, &end, 10);
        if (vb - va != 1 || *end || n < 1) rc = lex_error(&p->lx, t->line, "expected batch_concurrency N (N >= 1)");
        else if (m->kind == KIND_INCR_KEY && n != 1)
            rc = lex_error(&p->lx, t->line, "expected batch_concurrency 1: an INCREMENTAL_BY_UNIQUE_KEY model's "
                           "batches must run one at a time (SQLMesh: batch_concurrency Literal[1])");
        free(v);
    } else if (!strcmp(key, "partition_by_time_column") && m->kind == KIND_INCR_TIME) {
        /* SQLMesh's DuckDB adapter partitions a table only in a DuckLake catalog
         * (engine_adapter/duckdb.py _create_table); the lakehouse is a DuckDB file: no effect */
        char *v = tok_text(p, &p->ts.v[va]);
        if (vb - va != 1 || (strcasecmp(v, "true") && strcasecmp(v, "false")))
            rc = lex_error(&p->lx, t->line, "expected partition_by_time_column true or false");
        free(v);
    } else if (!strcmp(key, "disable_restatement") && incremental) {
        /* honored by restate.c; metadata in SQLMesh (kind.py _IncrementalBy.metadata_hash_values),
         * so not part of the fingerprinted kind arguments (kind_arg_is_metadata) */
        char *v = tok_text(p, &p->ts.v[va]);
        if (vb - va != 1 || (strcasecmp(v, "true") && strcasecmp(v, "false")))
            rc = lex_error(&p->lx, t->line, "expected disable_restatement true or false");
        else m->disable_restatement = !strcasecmp(v, "true");
        free(v);
    } else if (!strcmp(key, "auto_restatement_cron") || !strcmp(key, "auto_restatement_intervals")) {
        rc = lex_error(&p->lx, t->line, "%s is not supported by materia: automatic restatement needs SQLMesh's "
                       "arbitrary cron schedules and the per-version next_auto_restatement_ts it keeps in state "
                       "(snapshot/definition.py apply_auto_restatements); restate with `materia run "
                       "--restate-model` instead", key);
    } else {
        rc = lex_error(&p->lx, t->line, "unknown %s property '%s': expected %s", model_kind_name(m->kind), key,
                       m->kind == KIND_INCR_TIME ? "time_column" : m->kind == KIND_INCR_KEY ? "unique_key"
                       : m->kind == KIND_SEED ? "path" : m->kind == KIND_INCR_UNMANAGED ? "insert_overwrite"
                       : m->kind == KIND_INCR_PARTITION ? "forward_only" : m->kind == KIND_VIEW ? "materialized"
                       : "no properties");
    }
    free(raw);
    free(key);
    return rc;
}

static int parse_kind(struct parser *p, struct model *m, size_t a, size_t b)
{
    const struct tok *t = &p->ts.v[a];
    char *k = tok_text(p, t);
    int rc = 0;
    if (!strcasecmp(k, "VIEW")) m->kind = KIND_VIEW;
    else if (!strcasecmp(k, "FULL")) m->kind = KIND_FULL;
    else if (!strcasecmp(k, "SEED")) m->kind = KIND_SEED;
    else if (!strcasecmp(k, "INCREMENTAL_BY_TIME_RANGE")) m->kind = KIND_INCR_TIME;
    else if (!strcasecmp(k, "INCREMENTAL_BY_UNIQUE_KEY")) m->kind = KIND_INCR_KEY;
    else if (!strcasecmp(k, "INCREMENTAL_BY_PARTITION")) m->kind = KIND_INCR_PARTITION, m->forward_only = true;
    else if (!strcasecmp(k, "INCREMENTAL_UNMANAGED")) m->kind = KIND_INCR_UNMANAGED, m->forward_only = true;
    else if (!strcasecmp(k, "EMBEDDED")) m->kind = KIND_EMBEDDED;
    else if (!strcasecmp(k, "MANAGED"))
        /* model/kind.py ManagedKind: a table the engine itself keeps up to date (Snowflake
         * dynamic tables, Databricks materialized views) */
        rc = lex_error(&p->lx, t->line, "kind MANAGED is not supported by materia: DuckDB has no engine-managed "
                       "tables (SQLMesh's MANAGED kind runs on Snowflake and Databricks only)");
    else if (!strcasecmp(k, "CUSTOM"))
        rc = lex_error(&p->lx, t->line, "kind CUSTOM is not supported by materia: custom materializations are "
                       "Python classes (sqlmesh/core/snapshot/evaluator.py CustomMaterialization)");
    else if (!strcasecmp(k, "EXTERNAL"))
        /* SQLMesh loads it as a symbolic model: its query never runs (snapshot/evaluator.py
         * SymbolicStrategy) and readers read the table by its own name (snapshot/definition.py
         * table_name) — what external_models.yaml declares */
        rc = lex_error(&p->lx, t->line, "kind EXTERNAL is not supported by materia: such a model's query never "
                       "runs and its table is read by name; declare the table in external_models.yaml");
    /* SCD_TYPE_2 is SQLMesh's legacy alias of SCD_TYPE_2_BY_TIME (model/kind.py ModelKindName) */
    else if (!strcasecmp(k, "SCD_TYPE_2") || !strcasecmp(k, "SCD_TYPE_2_BY_TIME")) m->kind = KIND_SCD2_TIME;
    else if (!strcasecmp(k, "SCD_TYPE_2_BY_COLUMN")) m->kind = KIND_SCD2_COLUMN;
    else rc = lex_error(&p->lx, t->line, "unknown kind '%s': expected VIEW, FULL, SEED, "
                        "INCREMENTAL_BY_TIME_RANGE, INCREMENTAL_BY_UNIQUE_KEY, INCREMENTAL_BY_PARTITION, "
                        "INCREMENTAL_UNMANAGED, EMBEDDED, SCD_TYPE_2, SCD_TYPE_2_BY_TIME or SCD_TYPE_2_BY_COLUMN", k);
    bool legacy = !strcasecmp(k, "SCD_TYPE_2");
    free(k);
    if (rc < 0) return -1;
    if (kind_is_scd2(m->kind)) scd2_kind_init(m, legacy);
    struct kind_ctx kc = {.m = m};
    sb_init(&kc.canon);
    if (b - a > 1) {
        if (p->ts.v[a + 1].type != T_LPAREN || p->ts.v[b - 1].type != T_RPAREN) {
            sb_free(&kc.canon);
            return lex_error(&p->lx, t->line, "expected '(' after kind %s", model_kind_name(m->kind));
        }
        rc = split_commas(p, a + 2, b - 1, parse_kind_arg, &kc);
    }
    m->kind_args = sb_detach(&kc.canon);
    if (rc < 0) return -1;
    if (m->kind == KIND_INCR_TIME && !m->time_column)
        return lex_error(&p->lx, t->line, "expected INCREMENTAL_BY_TIME_RANGE (time_column COLUMN)");
    if (m->kind == KIND_INCR_KEY && m->unique_key.n == 0)
        return lex_error(&p->lx, t->line, "expected INCREMENTAL_BY_UNIQUE_KEY (unique_key COLUMN)");
    if (m->kind == KIND_SEED && !m->seed_path) return lex_error(&p->lx, t->line, "expected SEED (path 'file.csv')");
    if (kind_is_scd2(m->kind)) return scd2_kind_check(m, t->line, p->lx.err);
    return 0;
}

/* a cron expression as croniter reads it (cron.c); cron_tz and the interval unit derived
 * from it are applied once every property is known (schedule.c model_schedule_finish) */
static int parse_cron(struct parser *p, struct model *m, int line)
{
    char why[200];
    if (cron_parse(m->cron, &m->cronx, why, sizeof why) < 0)
        return strstr(why, "not supported by materia") ? lex_error(&p->lx, line, "%s ('%s')", why, m->cron)
               : lex_error(&p->lx, line, "Invalid cron expression '%s': %s", m->cron, why);
    return 0;
}

/* `name [catalog.][schema.]table`, parts unquoted (case kept, as SQL's quoted identifiers)
 * or plain (lower-cased). One part: SQLMesh's default schema, `default`
 * (sqlmesh/core/constants.py DEFAULT_SCHEMA, model/definition.py schema_name). */
static int parse_name(struct parser *p, struct model *m, size_t va, size_t vb, int line)
{
    /* a name with macro variables (`name @name`, `name s.t_@{v}`) is rendered per blueprint
     * (blueprints.c); until then it is its own text */
    for (size_t k = va; k < vb; k++)
        if (memchr(p->lx.s + p->ts.v[k].start, '@', p->ts.v[k].end - p->ts.v[k].start)) {
            free(m->name_template);
            m->name_template = range_text(p, va, vb - 1);
            free(m->name);
            free(m->schema);
            free(m->table);
            free(m->catalog);
            m->name = xstrdup(m->name_template);
            m->schema = xstrdup("");
            m->table = xstrdup(m->name_template);
            m->catalog = NULL;
            return 0;
        }
    struct strlist parts = {0};
    int rc = 0;
    bool want_part = true;
    for (size_t k = va; k < vb && rc == 0; k++) {
        const struct tok *t = &p->ts.v[k];
        const char *s = p->lx.s + t->start;
        size_t n = t->end - t->start;
        if (want_part && (t->type == T_IDENT || (t->type == T_STRING && vb - va == 1))) {
            bool quoted = t->type == T_IDENT && s[0] == '"';
            char *text = tok_text(p, t);
            if (quoted) strlist_push(&parts, text);
            else {
                /* plain identifiers may hold dots (the lexer keeps a.b.c together); a
                 * single-quoted name is read the same way */
                char *save = NULL, *dup = xstrdup(text);
                if (dup[0] == '.' || strstr(dup, "..")) rc = -1;
                for (char *part = strtok_r(dup, ".", &save); part && rc == 0; part = strtok_r(NULL, ".", &save)) {
                    lower(part);
                    strlist_push(&parts, part);
                }
                free(dup);
            }
            free(text);
            want_part = t->type == T_IDENT && !quoted && n > 0 && s[n - 1] == '.';
        } else if (!want_part && t->type == T_OP && n == 1 && s[0] == '.') {
            want_part = true;
        } else {
            rc = -1;
        }
    }
    if (want_part || parts.n == 0 || parts.n > 3) rc = -1;
    for (size_t k = 0; k < parts.n && rc == 0; k++)
        if (!parts.v[k][0]) rc = -1;
    if (rc < 0) {
        strlist_free(&parts);
        return lex_error(&p->lx, line, "expected name [catalog.]schema.table");
    }
    free(m->name);
    free(m->schema); /* a repeated name property must not leak the first one */
    free(m->table);
    free(m->catalog);
    m->catalog = parts.n == 3 ? xstrdup(parts.v[0]) : NULL;
    m->schema = xstrdup(parts.n == 1 ? "default" : parts.v[parts.n - 2]);
    m->table = xstrdup(parts.v[parts.n - 1]);
    m->name = xasprintf("%s.%s", m->schema, m->table);
    strlist_free(&parts);
    return 0;
}

static char **text_slot(struct model *m, const char *key)
{
    if (!strcmp(key, "cron")) return &m->cron;
    if (!strcmp(key, "description")) return &m->description;
    if (!strcmp(key, "owner")) return &m->owner;
    if (!strcmp(key, "start")) return &m->start;
    if (!strcmp(key, "end")) return &m->end;
    if (!strcmp(key, "cron_tz")) return &m->cron_tz;
    return NULL;
}

/* model_meta_property over the value's source text: 1 stored, 0 not metadata, -1 refused
 * or malformed (the message made one line, as lex_error's are). */
static int meta_property(struct parser *p, struct model *m, const char *key, size_t va, size_t vb, int line)
{
    char *raw = range_text(p, va, vb - 1);
    int rc = model_meta_property(&m->meta, key, raw, p->lx.file, line, p->lx.err);
    free(raw);
    if (rc < 0)
        for (char *c = p->lx.err->msg; *c; c++)
            if ((unsigned char)*c < 0x20) *c = ' ';
    return rc;
}

static int parse_property(struct parser *p, size_t a, size_t b, void *ctx)
{
    struct model *m = ctx;
    const struct tok *kt = &p->ts.v[a];
    if (kt->type != T_IDENT) return lex_error(&p->lx, kt->line, "expected a property name");
    char *key = tok_text(p, kt);
    lower(key);
    int rc = 0;
    size_t va = a + 1, vb = b;
    char **slot;
    if (va >= vb) {
        rc = lex_error(&p->lx, kt->line, "expected a value after property '%s'", key);
    } else if (!strcmp(key, "name")) {
        rc = parse_name(p, m, va, vb, kt->line);
    } else if (!strcmp(key, "blueprints")) {
        /* one model per blueprint: blueprints.c reads the value */
        free(m->blueprints);
        m->blueprints = range_text(p, va, vb - 1);
        m->blueprints_line = kt->line;
    } else if (!strcmp(key, "kind")) {
        /* a second kind would overwrite (and leak) the first one's arguments */
        if (m->kind_args) rc = lex_error(&p->lx, kt->line, "property 'kind' given twice");
        else rc = parse_kind(p, m, va, vb);
    } else if ((slot = text_slot(m, key))) {
        if (vb - va != 1) rc = lex_error(&p->lx, kt->line, "expected a single value after '%s'", key);
        else { free(*slot); *slot = tok_text(p, &p->ts.v[va]); }
        if (!rc && !strcmp(key, "cron")) rc = parse_cron(p, m, kt->line);
        if (!rc && (!strcmp(key, "start") || !strcmp(key, "end")) &&
            timelike_parse(*slot, 0, &(int64_t){0}, &(bool){0}) < 0)
            rc = lex_error(&p->lx, kt->line, "'%s' needs to be time-like: expected a date, a timestamp, epoch "
                           "milliseconds or a relative time such as '1 week ago'", *slot);
    } else if (!strcmp(key, "interval_unit")) {
        char *v = vb - va == 1 ? tok_text(p, &p->ts.v[va]) : NULL;
        if (!v || cron_unit_parse(v, &m->unit) < 0)
            rc = lex_error(&p->lx, kt->line, "interval_unit '%s': expected year, month, day, hour, half_hour, "
                           "quarter_hour or five_minute", v ? v : "");
        m->unit_set = true;
        free(v);
    } else if (!strcmp(key, "columns")) {
        unparen(p, &va, &vb);
        free(m->columns);
        m->columns = va < vb ? range_text(p, va, vb - 1) : xstrdup("");
    } else if (!strcmp(key, "depends_on")) {
        unparen(p, &va, &vb);
        rc = split_commas(p, va, vb, push_name, &m->depends_on);
    } else if (!strcmp(key, "audits") || !strcmp(key, "assertions")) {
        unparen(p, &va, &vb);
        rc = split_commas(p, va, vb, parse_audit, m);
    } else if (!strcmp(key, "allow_partials")) {
        char *v = tok_text(p, &p->ts.v[va]);
        m->allow_partials = !strcasecmp(v, "true");
        m->allow_partials_set = true;
        if (vb - va != 1 || (strcasecmp(v, "true") && strcasecmp(v, "false")))
            rc = lex_error(&p->lx, kt->line, "expected allow_partials true or false");
        free(v);
    } else if (!strcmp(key, "dialect")) {
        /* the query runs as DuckDB SQL: another dialect would need sqlglot's transpiler */
        char *v = vb - va == 1 ? tok_text(p, &p->ts.v[va]) : NULL;
        if (!v || strcasecmp(v, "duckdb"))
            rc = lex_error(&p->lx, kt->line, "dialect %s is not supported by materia: models run as DuckDB SQL "
                           "(there is no SQL transpiler)", v ? v : "");
        free(v);
    } else if (!strcmp(key, "enabled")) {
        /* SQLMesh does not load a disabled model (project.c drops it) */
        char *v = vb - va == 1 ? tok_text(p, &p->ts.v[va]) : NULL;
        if (!v || (strcasecmp(v, "true") && strcasecmp(v, "false")))
            rc = lex_error(&p->lx, kt->line, "expected enabled true or false");
        else
            m->disabled = !strcasecmp(v, "false");
        free(v);
    } else if (!strcmp(key, "stamp")) {
        /* SQLMesh: an arbitrary string whose change makes a new version (plan.c hashes it) */
        free(m->stamp);
        m->stamp = range_text(p, va, vb - 1);
    } else if (!strcmp(key, "gateway")) {
        /* the model's gateway: project.c checks it is the one in use */
        free(m->gateway);
        m->gateway = vb - va == 1 ? tok_text(p, &p->ts.v[va]) : NULL;
        if (!m->gateway) rc = lex_error(&p->lx, kt->line, "expected a gateway name");
        else lower(m->gateway);
        m->gateway_line = kt->line;
    } else if (!strcmp(key, "partitioned_by")) {
        /* SQLMesh's model property (meta.py partitioned_by_); kind_partition.c checks and uses it */
        unparen(p, &va, &vb);
        strlist_free(&m->partitioned_by);
        rc = split_commas(p, va, vb, push_expr, &m->partitioned_by);
        m->partitioned_by_line = kt->line;
    } else if (!strcmp(key, "physical_properties") || !strcmp(key, "virtual_properties")) {
        rc = lex_error(&p->lx, kt->line, "%s is not supported by materia: it writes plain DuckDB tables and views",
                       key);
    } else if (!strcmp(key, "session_properties")) {
        /* checked as SQLMesh checks it; no effect on DuckDB, as in SQLMesh (session_props.c) */
        char *raw = range_text(p, va, vb - 1);
        rc = session_props_check(raw, m->file, kt->line, p->lx.err);
        free(raw);
    } else if (!strcmp(key, "column_descriptions")) {
        /* registered as column comments (comments.c) */
        unparen(p, &va, &vb);
        free(m->column_descriptions);
        m->column_descriptions = va < vb ? range_text(p, va, vb - 1) : xstrdup("");
    } else if ((rc = meta_property(p, m, key, va, vb, kt->line)) != 0) {
        rc = rc < 0 ? -1 : 0; /* metadata (model_meta.c): stored, or refused by name */
    } else {
        rc = lex_error(&p->lx, kt->line, "unknown property '%s': expected name, kind, cron, grain, audits, "
                       "depends_on, description, start, end, cron_tz, interval_unit, columns, owner, tags or "
                       "allow_partials", key);
    }
    free(key);
    return rc;
}

/* A NUL byte would silently cut the query short (it is copied as a C string): refuse the
 * file instead, naming the line (found by fuzzing). */
static int reject_nul(struct lexer *lx, const char *text, size_t len)
{
    const char *z = memchr(text, '\0', len);
    if (!z) return 0;
    int line = 1;
    for (const char *c = text; c < z; c++) line += *c == '\n';
    return lex_error(lx, line, "NUL byte in the file");
}

static size_t next_audit_kw(const char *text, size_t len, size_t pos);
static int audits_parse_from(const char *text, size_t len, size_t pos, int line0, const char *filename,
                             bool inline_audits, struct audit_def **defs, size_t *n, struct mt_err *err);

/* Where the first inline AUDIT block after the query starts (an AUDIT keyword at the start of
 * a line, then '('), or len. SQLMesh allows audits defined in the model file after its query
 * (docs/concepts/audits.md, "Inline audits"). */
static size_t inline_audits_at(const char *text, size_t len, size_t pos)
{
    for (size_t a = next_audit_kw(text, len, pos); a < len; a = next_audit_kw(text, len, a + 5)) {
        size_t q = a + 5;
        while (q < len && isspace((unsigned char)text[q])) q++;
        if (q < len && text[q] == '(') return a;
    }
    return len;
}

int model_parse(const char *text, size_t len, const char *filename, struct model *m, struct mt_err *err)
{
    memset(m, 0, sizeof *m);
    struct parser p = {.lx = {.s = text, .len = len, .line = 1, .file = filename, .err = err}};
    if (reject_nul(&p.lx, text, len) < 0) return -1; /* m stays zeroed (the contract) */
    model_meta_init(&m->meta);
    m->file = xstrdup(filename);
    lex_skip_space(&p.lx);
    m->line = p.lx.line;
    int rc = parse_block(&p, "MODEL");
    if (!rc) rc = split_commas(&p, 0, p.ts.n, parse_property, m);
    if (!rc && !m->name) rc = lex_error(&p.lx, m->line, "expected a name property in MODEL (...)");
    /* no description property: the comments before MODEL are the description (statements.c) */
    if (!rc && !m->description) m->description = comments_leading(text, len);
    if (!rc && m->name_template && !m->blueprints)
        rc = lex_error(&p.lx, m->line, "name %s uses macro variables: expected a blueprints property giving "
                       "their values (one model per blueprint)", m->name_template);
    if (!rc) {
        m->cron_set = m->cron != NULL;
        m->kind_set = m->kind_args != NULL;
        if (!m->cron) {
            m->cron = xstrdup("@daily");
            char why[200];
            cron_parse(m->cron, &m->cronx, why, sizeof why);
        }
        if (!m->kind_args) m->kind_args = xstrdup("");
        struct lexer q = p.lx;
        int hdr_line = q.line;
        lex_skip_space(&q);
        m->query_line = q.line;
        size_t s = q.pos, a = inline_audits_at(text, len, s);
        /* the query, pre-/post-statements and ON_VIRTUAL_UPDATE blocks (statements.c) */
        rc = stmts_split(m, text + s, a - s, m->query_line, err);
        if (!rc && !m->query) m->query = xstrdup("");
        if (!rc && a < len) {
            int aline = q.line;
            for (size_t k = s; k < a; k++) aline += text[k] == '\n';
            rc = audits_parse_from(text, len, a, aline, filename, true, &m->inline_audits, &m->n_inline_audits,
                                   err);
        }
        if (!rc && m->kind != KIND_SEED && !m->query[0])
            rc = lex_error(&p.lx, m->n_stmts ? m->stmts[0].line : hdr_line, "expected a query after MODEL (...);%s",
                           m->n_stmts ? " this statement is not one (SQLMesh: Model query needs to be a SELECT or a "
                           "UNION)" : "");
    }
    if (!rc && model_schedule_finish(m, err) < 0) rc = -1;
    free(p.ts.v);
    if (rc < 0) model_free(m);
    return rc;
}

/* ---- AUDIT files ---- */

/* An audit property's value true/false (SQLMesh's bool_validator: TRUE/FALSE or the
 * strings 'true'/'false'). 0 with *out, or -1 with "file:line: expected <key> true or false". */
static int audit_bool(struct parser *p, const struct tok *kt, const char *key, size_t va, size_t vb, bool *out)
{
    char *v = vb - va == 1 ? tok_text(p, &p->ts.v[va]) : NULL;
    int rc = 0;
    if (!v || (strcasecmp(v, "true") && strcasecmp(v, "false")))
        rc = lex_error(&p->lx, kt->line, "expected %s true or false", key);
    else
        *out = !strcasecmp(v, "true");
    free(v);
    return rc;
}

/* One property of AUDIT (...): the fields of SQLMesh's ModelAudit (audit/definition.py:
 * name, dialect, skip, blocking, standalone, defaults) and description; each honoured or
 * refused by name, none accepted and ignored. */
static int parse_audit_prop(struct parser *p, size_t a, size_t b, void *ctx)
{
    struct audit_def *ad = ctx;
    const struct tok *kt = &p->ts.v[a];
    if (kt->type != T_IDENT || b - a < 2) return lex_error(&p->lx, kt->line, "expected 'property value'");
    char *key = tok_text(p, kt);
    lower(key);
    int rc = 0;
    size_t va = a + 1, vb = b;
    bool v = false;
    if (!strcmp(key, "name")) {
        free(ad->name);
        ad->name = tok_text(p, &p->ts.v[va]);
        lower(ad->name);
    } else if (!strcmp(key, "defaults")) {
        unparen(p, &va, &vb);
        struct audit_call tmp = {0};
        rc = split_commas(p, va, vb, parse_audit_arg, &tmp);
        strlist_free(&ad->default_names);
        strlist_free(&ad->default_values);
        ad->default_names = tmp.arg_names;
        ad->default_values = tmp.arg_values;
    } else if (!strcmp(key, "blocking")) {
        /* false: a failure is a warning, the run goes on (audits.c) */
        if ((rc = audit_bool(p, kt, key, va, vb, &v)) == 0) ad->non_blocking = !v, ad->blocking_set = true;
    } else if (!strcmp(key, "skip")) {
        /* true: the audit is not run (SQLMesh's evaluator _audit returns skipped) */
        if ((rc = audit_bool(p, kt, key, va, vb, &v)) == 0) ad->skip = v;
    } else if (!strcmp(key, "standalone")) {
        /* SQLMesh's StandaloneAudit: a node of its own, never blocking (audits.c runs it) */
        if ((rc = audit_bool(p, kt, key, va, vb, &v)) == 0) ad->standalone = v;
    } else if (!strcmp(key, "dialect")) {
        /* the query runs as DuckDB SQL: another dialect would need sqlglot's transpiler */
        char *d = vb - va == 1 ? tok_text(p, &p->ts.v[va]) : NULL;
        if (!d || (d[0] && strcasecmp(d, "duckdb")))
            rc = lex_error(&p->lx, kt->line, "dialect %s is not supported by materia: audits run as DuckDB SQL "
                           "(there is no SQL transpiler)", d ? d : "");
        free(d);
    } else if (!strcmp(key, "description")) {
        /* documentation: kept with the audit */
        free(ad->description);
        ad->description = range_text(p, va, vb - 1);
    } else if (!strcmp(key, "owner") || !strcmp(key, "tags") || !strcmp(key, "cron") || !strcmp(key, "cron_tz") ||
               !strcmp(key, "start") || !strcmp(key, "end") || !strcmp(key, "stamp") ||
               !strcmp(key, "interval_unit") || !strcmp(key, "depends_on")) {
        /* SQLMesh's node fields, which only a standalone audit takes (StandaloneAudit) */
        rc = lex_error(&p->lx, kt->line, "%s is not supported by materia on an audit: a standalone audit runs "
                       "after the models of every run that builds one, not on a schedule of its own", key);
    } else {
        rc = lex_error(&p->lx, kt->line, "unknown audit property '%s': expected name, defaults, blocking, skip, "
                       "dialect, description or standalone", key);
    }
    free(key);
    return rc;
}

/* Offset of the next line-start "AUDIT" keyword at or after pos, or len. */
static size_t next_audit_kw(const char *text, size_t len, size_t pos)
{
    for (size_t i = pos; i + 5 <= len; i++) {
        if ((i == 0 || text[i - 1] == '\n') && !strncasecmp(text + i, "AUDIT", 5) &&
            (i + 5 == len || !isalnum((unsigned char)text[i + 5]))) return i;
    }
    return len;
}

/* A standalone audit is not blocking (SQLMesh's StandaloneAudit: "Standalone audits cannot
 * be blocking"), and lives in audits/: in a model file an AUDIT block is that model's. */
static int audit_check_standalone(struct parser *p, struct audit_def *ad, int line, bool inline_audits)
{
    if (!ad->standalone) return 0;
    if (inline_audits)
        return lex_error(&p->lx, line, "standalone is not supported by materia in a model file: an AUDIT block "
                         "there is the model's own audit; put a standalone audit in audits/");
    if (ad->blocking_set && !ad->non_blocking)
        return lex_error(&p->lx, line, "Standalone audits cannot be blocking: '%s'", ad->name);
    ad->non_blocking = true;
    return 0;
}

/* AUDIT blocks from byte pos (at line `line`) to the end of text; inline_audits: in a model
 * file, after its query. */
static int audits_parse_from(const char *text, size_t len, size_t pos, int line0, const char *filename,
                             bool inline_audits, struct audit_def **defs, size_t *n, struct mt_err *err)
{
    struct parser p = {.lx = {.s = text, .len = len, .pos = pos, .line = line0, .file = filename, .err = err}};
    lex_skip_space(&p.lx);
    while (p.lx.pos < len) {
        p.ts.n = 0;
        struct audit_def ad = {.file = xstrdup(filename)};
        int line = p.lx.line;
        if (parse_block(&p, "AUDIT") < 0 || split_commas(&p, 0, p.ts.n, parse_audit_prop, &ad) < 0 ||
            (!ad.name && lex_error(&p.lx, line, "expected a name property in AUDIT (...)") < 0) ||
            audit_check_standalone(&p, &ad, line, inline_audits) < 0) {
            audit_def_free(&ad);
            free(p.ts.v);
            return -1;
        }
        size_t s = p.lx.pos, e = next_audit_kw(text, len, s);
        size_t next = e;
        ad.line = line;
        ad.query_line = p.lx.line;
        while (s < e && isspace((unsigned char)text[s])) {
            if (text[s] == '\n') ad.query_line++;
            s++;
        }
        while (e > s && (isspace((unsigned char)text[e - 1]) || text[e - 1] == ';')) e--;
        ad.query = xstrndup(text + s, e - s);
        for (size_t i = p.lx.pos; i < next; i++)
            if (text[i] == '\n') p.lx.line++;
        p.lx.pos = next;
        *defs = xrealloc(*defs, (*n + 1) * sizeof **defs);
        (*defs)[(*n)++] = ad;
        lex_skip_space(&p.lx);
    }
    free(p.ts.v);
    return 0;
}

int audit_file_parse(const char *text, size_t len, const char *filename, struct audit_def **defs, size_t *n,
                     struct mt_err *err)
{
    struct lexer lx = {.s = text, .len = len, .line = 1, .file = filename, .err = err};
    if (reject_nul(&lx, text, len) < 0) return -1;
    return audits_parse_from(text, len, 0, 1, filename, false, defs, n, err);
}

void audit_def_free(struct audit_def *a)
{
    free(a->name);
    free(a->file);
    free(a->query);
    free(a->description);
    strlist_free(&a->default_names);
    strlist_free(&a->default_values);
    memset(a, 0, sizeof *a);
}

int model_set_name(struct model *m, const char *text, int line, struct mt_err *err)
{
    struct parser p = {.lx = {.s = text, .len = strlen(text), .line = line, .file = m->file, .err = err}};
    struct tok t;
    int rc = 0;
    while (rc == 0) {
        if (lex_next(&p.lx, &t) < 0) { rc = -1; break; }
        if (t.type == T_EOF) break;
        t.line = line;
        toks_push(&p.ts, &t);
    }
    if (rc == 0 && p.ts.n == 0) rc = lex_error(&p.lx, line, "expected name [catalog.]schema.table");
    if (rc == 0) {
        free(m->name_template);
        m->name_template = NULL;
        rc = parse_name(&p, m, 0, p.ts.n, line);
        if (rc == 0 && m->name_template)
            rc = lex_error(&p.lx, line, "name %s still holds a macro variable after its blueprint's values",
                           m->name_template);
    }
    free(p.ts.v);
    return rc;
}

void incr_opts_free(struct incr_opts *o)
{
    free(o->when_matched);
    free(o->merge_filter);
    strlist_free(&o->key_exprs);
    free(o->time_format);
    memset(o, 0, sizeof *o);
}

void model_free(struct model *m)
{
    free(m->file);
    free(m->name_template);
    free(m->blueprints);
    strlist_free(&m->bp_names);
    strlist_free(&m->bp_values);
    free(m->name);
    free(m->schema);
    free(m->table);
    free(m->catalog);
    free(m->cron);
    free(m->time_column);
    strlist_free(&m->unique_key);
    incr_opts_free(&m->incr);
    scd2_kind_free(&m->scd2);
    free(m->seed_path);
    model_meta_free(&m->meta);
    strlist_free(&m->depends_on);
    for (size_t i = 0; i < m->n_audits; i++) {
        free(m->audits[i].name);
        strlist_free(&m->audits[i].arg_names);
        strlist_free(&m->audits[i].arg_values);
    }
    free(m->audits);
    free(m->description);
    free(m->owner);
    free(m->columns);
    free(m->column_descriptions);
    free(m->start);
    free(m->end);
    free(m->cron_tz);
    free(m->kind_args);
    strlist_free(&m->partitioned_by);
    free(m->csv_opts);
    free(m->query);
    free(m->stamp);
    free(m->gateway);
    model_stmts_free(m);
    for (size_t i = 0; i < m->n_inline_audits; i++) audit_def_free(&m->inline_audits[i]);
    free(m->inline_audits);
    memset(m, 0, sizeof *m);
}

const char *model_kind_name(enum model_kind k)
{
    switch (k) {
    case KIND_VIEW: return "VIEW";
    case KIND_FULL: return "FULL";
    case KIND_SEED: return "SEED";
    case KIND_INCR_TIME: return "INCREMENTAL_BY_TIME_RANGE";
    case KIND_INCR_KEY: return "INCREMENTAL_BY_UNIQUE_KEY";
    case KIND_INCR_PARTITION: return "INCREMENTAL_BY_PARTITION";
    case KIND_INCR_UNMANAGED: return "INCREMENTAL_UNMANAGED";
    case KIND_EMBEDDED: return "EMBEDDED";
    case KIND_SCD2_TIME: return "SCD_TYPE_2_BY_TIME";
    case KIND_SCD2_COLUMN: return "SCD_TYPE_2_BY_COLUMN";
    }
    return "?";
}

/* ---- model_defaults (config.yaml) ---- */

/* Parses `MODEL (name _d._d, <prop> <text>); SELECT 1` placed at line `line` of the config
 * file, so a bad default is reported as file:LINE by the same parser that reads models. */
static int parse_default(const struct project_config *pc, const char *prop, const char *text, int line,
                         struct model *out, struct mt_err *err)
{
    strbuf sb;
    sb_init(&sb);
    for (int i = 1; i < line; i++) sb_append_char(&sb, '\n');
    sb_appendf(&sb, "MODEL (name _d._d, %s %s);\nSELECT 1", prop, text);
    char *what = xasprintf("%s (model_defaults.%s)", pc->path, prop);
    int rc = model_parse(sb.buf, sb.len, what, out, err);
    free(what);
    sb_free(&sb);
    return rc;
}

int model_apply_defaults(struct model *m, const struct project_config *pc, struct mt_err *err)
{
    struct model d;
    if (pc->d_kind && !m->kind_set) {
        if (parse_default(pc, "kind", pc->d_kind, pc->d_kind_line, &d, err) < 0) return -1;
        m->kind = d.kind;
        free(m->kind_args);
        m->kind_args = d.kind_args, d.kind_args = NULL;
        free(m->time_column);
        m->time_column = d.time_column, d.time_column = NULL;
        strlist_free(&m->unique_key);
        m->unique_key = d.unique_key, memset(&d.unique_key, 0, sizeof d.unique_key);
        m->insert_overwrite = d.insert_overwrite, m->forward_only = d.forward_only, m->materialized = d.materialized;
        incr_opts_free(&m->incr);
        m->incr = d.incr, memset(&d.incr, 0, sizeof d.incr);
        m->batch_size = d.batch_size;
        m->lookback = d.lookback;
        m->scd2 = d.scd2, memset(&d.scd2, 0, sizeof d.scd2);
        m->kind_set = true;
        model_free(&d);
        if (m->kind == KIND_SEED)
            return mt_errf(err, "%s:%d: model_defaults.kind SEED: a seed needs its own path; set it on the model",
                           pc->path, pc->d_kind_line);
    }
    if (pc->d_cron && !m->cron_set) {
        char *q = xasprintf("'%s'", pc->d_cron);
        int rc = parse_default(pc, "cron", q, pc->d_cron_line, &d, err);
        free(q);
        if (rc < 0) return -1;
        free(m->cron);
        m->cron = d.cron, d.cron = NULL;
        m->cronx = d.cronx;
        m->cron_set = true;
        model_free(&d);
    }
    /* node.py: the unit and allow_partials defaults (checked against the cron below) */
    if (pc->d_interval_unit && !m->unit_set) {
        char *q = xasprintf("'%s', allow_partials true", pc->d_interval_unit);
        int rc = parse_default(pc, "interval_unit", q, pc->d_interval_unit_line, &d, err);
        free(q);
        if (rc < 0) return -1;
        m->unit = d.unit;
        m->unit_set = true;
        model_free(&d);
    }
    if (pc->d_allow_partials && !m->allow_partials_set) {
        if (parse_default(pc, "allow_partials", pc->d_allow_partials, pc->d_allow_partials_line, &d, err) < 0)
            return -1;
        m->allow_partials = d.allow_partials;
        m->allow_partials_set = true;
        model_free(&d);
    }
    if ((pc->d_cron || pc->d_interval_unit || pc->d_allow_partials) && model_schedule_finish(m, err) < 0) return -1;
    if (pc->d_start && !m->start) {
        m->start = xstrdup(pc->d_start);
        m->start_default = true;
    }
    if (pc->d_owner && !m->owner) m->owner = xstrdup(pc->d_owner);
    if (pc->d_audits) {
        /* definition.py create_model: default audits + the model's own */
        char *q = xasprintf("(%s)", pc->d_audits);
        int rc = parse_default(pc, "audits", q, pc->d_audits_line, &d, err);
        free(q);
        if (rc < 0) return -1;
        struct audit_call *all = xcalloc(d.n_audits + m->n_audits + 1, sizeof *all);
        memcpy(all, d.audits, d.n_audits * sizeof *all);
        if (m->n_audits) memcpy(all + d.n_audits, m->audits, m->n_audits * sizeof *all);
        free(m->audits);
        m->audits = all;
        m->n_audits += d.n_audits;
        free(d.audits);
        d.audits = NULL;
        d.n_audits = 0;
        model_free(&d);
    }
    return 0;
}
