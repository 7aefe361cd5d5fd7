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

#include "transform/model.h"
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
            if (ty == T_LPAREN) depth++;
            else if (ty == T_RPAREN) depth--;
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
    sb_appendf(&kc->canon, "%s=%s;", key, raw);
    if (!strcmp(key, "time_column") && m->kind == KIND_INCR_TIME) {
        unparen(p, &va, &vb); /* time_column (ts, '%Y-%m-%d') → ts */
        if (p->ts.v[va].type != T_IDENT) rc = lex_error(&p->lx, t->line, "expected a column name after time_column");
        else { m->time_column = tok_text(p, &p->ts.v[va]); }
    } else if (!strcmp(key, "unique_key") && m->kind == KIND_INCR_KEY) {
        unparen(p, &va, &vb);
        rc = split_commas(p, va, vb, push_name, &m->unique_key);
    } else if (!strcmp(key, "path") && m->kind == KIND_SEED) {
        if (vb - va != 1 || p->ts.v[va].type != T_STRING) rc = lex_error(&p->lx, t->line, "expected path 'file.csv'");
        else m->seed_path = tok_text(p, &p->ts.v[va]);
    } else if (!strcmp(key, "lookback") || !strcmp(key, "on_destructive_change") || !strcmp(key, "csv_settings") ||
               !strcmp(key, "on_additive_change")) {
        rc = lex_error(&p->lx, t->line, "%s is not supported by materia: %s", key,
                       !strcmp(key, "lookback") ? "a run processes only the intervals not yet processed"
                       : !strcmp(key, "csv_settings") ? "seeds are read with DuckDB's CSV defaults (header, "
                                                        "comma, double quote)"
                       : "every change builds a new version (no forward-only models)");
    } else if (!strcmp(key, "forward_only")) {
        char *v = tok_text(p, &p->ts.v[va]);
        if (vb - va != 1 || strcasecmp(v, "false"))
            rc = lex_error(&p->lx, t->line, "forward_only %s is not supported by materia: every change builds a new "
                           "version", v);
        free(v);
    } else if (!strcmp(key, "batch_size") && m->kind == KIND_INCR_TIME) {
        /* intervals per query (the runner splits each range: runner.c build) */
        char *v = tok_text(p, &p->ts.v[va]);
        char *end;
        long n = strtol(v, &end, 10);
        if (vb - va != 1 || *end || n < 1) rc = lex_error(&p->lx, t->line, "expected batch_size N (N >= 1)");
        else m->batch_size = n;
        free(v);
    } else if (!strcmp(key, "batch_size") || !strcmp(key, "disable_restatement") || !strcmp(key, "batch_concurrency")) {
        /* no different result here: disable_restatement — materia never restates;
         * batch_concurrency — one batch runs at a time, within any limit; a SEED's (or unique
         * key model's) batch_size — rows or intervals per statement, the same table. */
    } else {
        rc = lex_error(&p->lx, t->line, "unknown %s property '%s': expected %s", model_kind_name(m->kind), key,
                       m->kind == KIND_INCR_TIME ? "time_column" : m->kind == KIND_INCR_KEY ? "unique_key"
                       : m->kind == KIND_SEED ? "path" : "no properties");
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
    else rc = lex_error(&p->lx, t->line, "unknown kind '%s': expected VIEW, FULL, SEED, "
                        "INCREMENTAL_BY_TIME_RANGE or INCREMENTAL_BY_UNIQUE_KEY", k);
    free(k);
    if (rc < 0) return -1;
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
    return 0;
}

static int parse_cron(struct parser *p, struct model *m, int line)
{
    static const struct { const char *a, *b; enum cron_unit u; } crons[] = {
        {"@hourly", "0 * * * *", CRON_HOURLY}, {"@daily", "0 0 * * *", CRON_DAILY},
        {"@weekly", "0 0 * * 1", CRON_WEEKLY}, {"@monthly", "0 0 1 * *", CRON_MONTHLY},
        {"@yearly", "0 0 1 1 *", CRON_YEARLY},
    };
    for (size_t i = 0; i < sizeof crons / sizeof crons[0]; i++)
        if (!strcasecmp(m->cron, crons[i].a) || !strcmp(m->cron, crons[i].b)) { m->unit = crons[i].u; return 0; }
    return lex_error(&p->lx, line, "unsupported cron '%s': expected @hourly, @daily, @weekly, @monthly or @yearly",
                     m->cron);
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
    return NULL;
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
    } else if (!strcmp(key, "end")) {
        /* SQLMesh stops a model's intervals at end; the planner (plan.c) does not read one */
        rc = lex_error(&p->lx, kt->line, "end is not supported by materia: a model's intervals run up to the "
                       "run's time");
    } else if (!strcmp(key, "grain") || !strcmp(key, "grains")) {
        free(m->grain);
        m->grain = range_text(p, va, vb - 1);
    } else if (!strcmp(key, "tags")) {
        free(m->tags);
        m->tags = range_text(p, va, vb - 1);
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
    } else {
        rc = lex_error(&p->lx, kt->line, "unknown property '%s': expected name, kind, cron, grain, audits, "
                       "depends_on, description, start, columns, owner, tags or allow_partials", key);
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
    if (reject_nul(&p.lx, text, len) < 0) return -1;
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
        if (!m->cron) m->cron = xstrdup("@daily"), m->unit = CRON_DAILY;
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
    free(m->seed_path);
    free(m->grain);
    strlist_free(&m->depends_on);
    for (size_t i = 0; i < m->n_audits; i++) {
        free(m->audits[i].name);
        strlist_free(&m->audits[i].arg_names);
        strlist_free(&m->audits[i].arg_values);
    }
    free(m->audits);
    free(m->description);
    free(m->owner);
    free(m->tags);
    free(m->columns);
    free(m->column_descriptions);
    free(m->start);
    free(m->kind_args);
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
        m->unit = d.unit;
        m->cron_set = true;
        model_free(&d);
    }
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
