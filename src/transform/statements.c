/* statements.c — a model file's statements besides its query: SQLMesh's pre-statements,
 * post-statements and ON_VIRTUAL_UPDATE_BEGIN; ... ON_VIRTUAL_UPDATE_END; blocks.
 *
 * Splitting (stmts_split, called by header.c model_parse on the text after the MODEL header
 * and before any inline AUDIT): the text is cut into statements by the macro lexer
 * (macro_lex.c, so a ';' inside a string, a comment or a macro call never splits) and each
 * statement is classified as SQLMesh's model loader does (sqlmesh/core/model/definition.py
 * _split_sql_model_statements, sqlmesh/core/dialect.py parse):
 *   - the statements between ON_VIRTUAL_UPDATE_BEGIN; and ON_VIRTUAL_UPDATE_END; run when the
 *     model's view is updated (on_virtual_update);
 *   - the query is the one statement that is a query (SELECT, WITH ... SELECT, FROM ...,
 *     a parenthesised query, @UNION(...), or a lone macro call when it is the only
 *     statement); a second one is "Only one SELECT query is allowed per model";
 *   - @DEF(...) statements are macro definitions, kept with the query and every statement;
 *   - the other statements before the query are pre-statements, after it post-statements
 *     (with no query — a SEED — every statement is a pre-statement).
 * Each statement is kept as a "mask": the whole text with every other statement blanked
 * (white space, line breaks kept) except the @DEF statements, so it renders with the same
 * line numbers as the file; the @DEFs written after it are moved in front of the mask, as
 * SQLMesh gives every statement all of the file's @DEFs. The query (m->query) is the same
 * kind of text, trimmed.
 *
 * Running them is statements_run.c's. Nothing here touches DuckDB (header.c's fuzz target
 * links it).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/engine.h"
#include "transform/macro.h"
#include "transform/statements.h"
#include "util/err.h"
#include "util/strbuf.h"

const char *stmt_kind_name(enum stmt_kind k)
{
    switch (k) {
    case STMT_PRE: return "pre-statement";
    case STMT_POST: return "post-statement";
    case STMT_ON_VIRTUAL_UPDATE: return "on_virtual_update statement";
    }
    return "statement";
}

/* ---- classification ---- */

static bool node_word(const struct mnode *nd, const char *w)
{
    size_t n = strlen(w);
    return nd->k == N_TOK && nd->tok.t == MT_WORD && nd->tok.n == n && !strncasecmp(nd->tok.s, w, n);
}

static bool node_call(const struct mnode *nd, const char *name)
{
    size_t n = strlen(name);
    return nd->k == N_CALL && nd->tok.n == n && !strncasecmp(nd->tok.s, name, n);
}

static bool is_def(const struct mseq *st)
{
    return st->n == 1 && node_call(&st->v[0], "def");
}

static bool is_marker(const struct mseq *st, const char *w)
{
    return st->n == 1 && node_word(&st->v[0], w);
}

/* sqlglot's exp.Query: a SELECT (DuckDB's FROM-first too), a set operation, a parenthesised
 * query, a WITH whose body is a SELECT; SQLMesh adds @UNION(...) and a lone macro call. */
static bool is_query(const struct mseq *st, size_t n_stmts)
{
    const struct mnode *f = &st->v[0];
    if (node_word(f, "select") || node_word(f, "from")) return true;
    if (f->k == N_GROUP && f->tok.t == MT_LP) return true;
    if (node_call(f, "union")) return true;
    if (n_stmts == 1 && st->n == 1 && f->k == N_CALL) return true;
    if (node_word(f, "with")) {
        /* the first top-level statement keyword after the CTEs says what it is */
        static const char *const kw[] = {"select", "from", "insert", "update", "delete", "merge", NULL};
        for (size_t i = 1; i < st->n; i++)
            for (const char *const *k = kw; *k; k++)
                if (node_word(&st->v[i], *k)) return k - kw < 2;
    }
    return false;
}

/* Byte offset in body where statement st starts (a macro's '@' included). */
static size_t stmt_start(const struct mseq *st, const char *body)
{
    const struct mnode *f = &st->v[0];
    const char *p = f->tok.s;
    if (f->k == N_VAR || f->k == N_CALL || f->k == N_STRT)
        while (p > body && *p != '@') p--;
    return (size_t)(p - body);
}

/* body with every statement range blanked except those keep[] marks. */
static char *mask(const char *body, size_t len, const size_t *start, size_t n, const bool *keep)
{
    char *out = xstrndup(body, len);
    for (size_t k = 0; k < n; k++) {
        if (keep[k]) continue;
        for (size_t b = k ? start[k] : 0; b < start[k + 1]; b++)
            if (out[b] != '\n') out[b] = ' ';
    }
    return out;
}

static void push_stmt(struct model *m, enum stmt_kind kind, char *text, int text_line, int line)
{
    m->stmts = xrealloc(m->stmts, (m->n_stmts + 1) * sizeof *m->stmts);
    m->stmts[m->n_stmts++] = (struct model_stmt){.kind = kind, .text = text, .text_line = text_line, .line = line};
}

enum stmt_class { C_DEF, C_QUERY, C_PRE, C_POST, C_OVU, C_MARK };

/* Statement k's text: the mask keeping it and the @DEFs before it, with the @DEFs after it
 * moved in front — SQLMesh gives every statement and the query all of the file's macro
 * definitions (definition.py macro_definitions) — and *line0 moved back by the lines they
 * take, so the statement keeps its own line numbers. */
static char *stmt_text(const char *body, size_t len, const size_t *start, size_t n, const enum stmt_class *cls,
                       size_t k, bool *keep, int *line0)
{
    strbuf pre;
    sb_init(&pre);
    for (size_t d = k + 1; d < n; d++) {
        if (cls[d] != C_DEF) continue;
        sb_append_len(&pre, body + start[d], start[d + 1] - start[d]);
        sb_append(&pre, "\n;\n");
        keep[d] = false;
    }
    keep[k] = true;
    char *mk = mask(body, len, start, n, keep);
    keep[k] = false;
    for (size_t d = k + 1; d < n; d++) keep[d] = cls[d] == C_DEF;
    if (!pre.len) {
        sb_free(&pre);
        return mk;
    }
    for (size_t i = 0; i < pre.len; i++) *line0 -= pre.buf[i] == '\n';
    sb_append(&pre, mk);
    free(mk);
    return sb_detach(&pre);
}

/* The fast path's test. Most model files are zero or more @DEF(...); statements and then one
 * SELECT (or FROM-first) query, nothing after it but blanks, comments and ';'. For those the
 * macro lexer finds the same thing every time — no pre-/post-statement, no ON_VIRTUAL_UPDATE
 * block, the @DEFs kept in place — so the query is the body trimmed of blanks and ';' (what
 * stmts_split_lexed makes of it, test_statements.c holds them equal). Lexing every body at
 * load cost a project of 1,000 macro models ~100 ms. A WITH query counts when the first
 * top-level SELECT/FROM/INSERT/UPDATE/DELETE/MERGE after its CTEs is SELECT or FROM, as
 * is_query decides. This scanner only needs statement boundaries: strings, quoted names and comments closed, brackets balanced (and no deeper
 * than the lexer allows), no ';' inside brackets, and nothing the lexer would refuse or read
 * differently — a '@' not starting a name or a closed @{name}, Jinja, a brace, a dollar
 * quote, a backslash escape, a JINJA_ word. Anything else answers false and the lexer
 * decides, errors included. */
static bool at_word(const char *t, size_t len, size_t i, const char *w)
{
    size_t n = strlen(w);
    if (len - i < n || strncasecmp(t + i, w, n)) return false;
    return i + n == len || !(isalnum((unsigned char)t[i + n]) || t[i + n] == '_' || t[i + n] == '$' ||
                             (unsigned char)t[i + n] >= 0x80);
}

bool stmts_plain_query(const char *t, size_t len)
{
    if (memchr(t, '$', len) || memchr(t, '\\', len)) return false;
    if (memchr(t, '{', len) && (memmem(t, len, "{{", 2) || memmem(t, len, "{%", 2))) return false;
    /* the bytes that matter inside a statement; runs of others are skipped at once */
    static const bool special[256] = {['-'] = 1, ['/'] = 1, ['\''] = 1, ['"'] = 1, ['@'] = 1, ['{'] = 1, ['}'] = 1,
                                      ['('] = 1, [')'] = 1, ['['] = 1, [']'] = 1, [';'] = 1, ['j'] = 1, ['J'] = 1};
    enum { START, DEF, DEF_END, WITH, QUERY, ENDED } st = START;
    int depth = 0;
    size_t i = 0;
    while (i < len) {
        char c = t[i];
        if (c == '-' && i + 1 < len && t[i + 1] == '-') {
            while (i < len && t[i] != '\n') i++;
            continue;
        }
        if (c == '/' && i + 1 < len && t[i + 1] == '*') {
            const char *e = memmem(t + i + 2, len - i - 2, "*/", 2);
            if (!e) return false;
            i = (size_t)(e - t) + 2;
            continue;
        }
        if (st == START || st == DEF_END || st == ENDED) {
            if (isspace((unsigned char)c)) {
                i++;
            } else if (st != START) {
                if (c != ';') return false;
                st = st == ENDED ? ENDED : START;
                i++;
            } else if (c == '@' && len - i > 4 && !strncasecmp(t + i + 1, "def(", 4)) {
                st = DEF;
                i += 4; /* at its '(' */
            } else if (at_word(t, len, i, "select") || at_word(t, len, i, "from")) {
                st = QUERY;
                i += (c == 's' || c == 'S') ? 6 : 4;
            } else if (at_word(t, len, i, "with")) {
                st = WITH; /* a query if its first top-level statement word is SELECT or FROM */
                i += 4;
            } else {
                return false;
            }
            continue;
        }
        if (st == WITH && depth == 0 && isalpha((unsigned char)c) &&
            !(isalnum((unsigned char)t[i - 1]) || t[i - 1] == '_' || (unsigned char)t[i - 1] >= 0x80)) {
            /* is_query: the first of these words after the CTEs decides */
            if (len - i >= 6 && !strncasecmp(t + i, "jinja_", 6)) return false;
            if (at_word(t, len, i, "select") || at_word(t, len, i, "from")) st = QUERY;
            else if (at_word(t, len, i, "insert") || at_word(t, len, i, "update") || at_word(t, len, i, "delete") ||
                     at_word(t, len, i, "merge"))
                return false;
            while (i < len && (isalnum((unsigned char)t[i]) || t[i] == '_')) i++;
            continue;
        }
        if (!special[(unsigned char)c]) {
            i++;
            continue;
        }
        if (c == '\'' || c == '"') {
            const char *e = memchr(t + i + 1, c, len - i - 1);
            if (!e) return false;
            i = (size_t)(e - t);
        } else if (c == 'j' || c == 'J') {
            if (len - i >= 6 && !strncasecmp(t + i, "jinja_", 6)) return false;
        } else if (c == '@') {
            if (i + 1 < len && t[i + 1] == '{') {
                size_t k = i + 2;
                while (k < len && (isalnum((unsigned char)t[k]) || t[k] == '_' || t[k] == ' ')) k++;
                if (k == len || t[k] != '}') return false;
                i = k;
            } else if (!(i + 1 < len && (isalpha((unsigned char)t[i + 1]) || t[i + 1] == '_' || t[i + 1] == '\'' ||
                                         t[i + 1] == '"'))) { /* a name, or an @'...' template */
                return false;
            }
        } else if (c == '{' || c == '}') {
            return false;
        } else if (c == '(' || c == '[') {
            if (++depth > 900) return false;
        } else if (c == ')' || c == ']') {
            if (--depth < 0) return false;
            if (depth == 0 && st == DEF) st = DEF_END;
        } else if (c == ';') {
            if (depth || st != QUERY) return false; /* a WITH that is no query yet: the lexer's */
            st = ENDED;
        }
        i++;
    }
    return (st == QUERY || st == ENDED) && depth == 0;
}

int stmts_split(struct model *m, const char *text, size_t len, int line0, struct mt_err *err)
{
    if (stmts_plain_query(text, len)) {
        size_t s = 0, e = len;
        int qline = line0;
        while (s < e && (isspace((unsigned char)text[s]) || text[s] == ';')) qline += text[s++] == '\n';
        while (e > s && (isspace((unsigned char)text[e - 1]) || text[e - 1] == ';')) e--;
        free(m->query);
        m->query = xstrndup(text + s, e - s);
        m->query_line = qline;
        return 0;
    }
    return stmts_split_lexed(m, text, len, line0, err);
}

int stmts_split_lexed(struct model *m, const char *text, size_t len, int line0, struct mt_err *err)
{
    char *body = xstrndup(text, len);
    struct marena a = {0};
    struct mseq *st = NULL;
    size_t n = 0;
    int rc = macro_parse(&a, body, m->file, line0, &st, &n, err);
    size_t *start = rc == 0 ? xcalloc(n + 1, sizeof *start) : NULL;
    enum stmt_class *cls = rc == 0 ? xcalloc(n + 1, sizeof *cls) : NULL;
    bool *keep = rc == 0 ? xcalloc(n + 1, sizeof *keep) : NULL;
    long q = -1;
    int ovu_line = 0;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        start[k] = stmt_start(&st[k], body);
        int line = st[k].v[0].tok.line;
        if (ovu_line) {
            if (is_marker(&st[k], "on_virtual_update_end")) ovu_line = 0, cls[k] = C_MARK;
            else cls[k] = is_def(&st[k]) ? C_DEF : C_OVU;
        } else if (is_marker(&st[k], "on_virtual_update_begin")) {
            ovu_line = line;
            cls[k] = C_MARK;
        } else if (is_marker(&st[k], "on_virtual_update_end")) {
            rc = mt_errf(err, "%s:%d: ON_VIRTUAL_UPDATE_END; without an ON_VIRTUAL_UPDATE_BEGIN; before it", m->file,
                         line);
        } else if (is_def(&st[k])) {
            cls[k] = C_DEF;
        } else if (is_query(&st[k], n)) {
            if (q >= 0)
                rc = mt_errf(err, "%s:%d: Only one SELECT query is allowed per model (the query is the one at line "
                             "%d)", m->file, line, st[q].v[0].tok.line);
            q = (long)k;
            cls[k] = C_QUERY;
        } else {
            cls[k] = q >= 0 ? C_POST : C_PRE;
        }
    }
    if (rc == 0 && ovu_line)
        rc = mt_errf(err, "%s:%d: expected ON_VIRTUAL_UPDATE_END; to close the ON_VIRTUAL_UPDATE_BEGIN; here", m->file,
                     ovu_line);
    if (rc == 0) {
        start[n] = len;
        for (size_t k = 0; k < n; k++) keep[k] = cls[k] == C_DEF;
        if (q >= 0) {
            int qline = line0;
            char *qm = stmt_text(body, len, start, n, cls, (size_t)q, keep, &qline);
            /* the query: its text without leading and trailing blanks and ';' */
            size_t s = 0, e = strlen(qm);
            while (s < e && (isspace((unsigned char)qm[s]) || qm[s] == ';')) qline += qm[s++] == '\n';
            while (e > s && (isspace((unsigned char)qm[e - 1]) || qm[e - 1] == ';')) e--;
            free(m->query);
            m->query = xstrndup(qm + s, e - s);
            m->query_line = qline;
            free(qm);
        }
        for (size_t k = 0; k < n; k++) {
            if (cls[k] != C_PRE && cls[k] != C_POST && cls[k] != C_OVU) continue;
            int tline = line0;
            char *t = stmt_text(body, len, start, n, cls, k, keep, &tline);
            push_stmt(m, cls[k] == C_PRE ? STMT_PRE : cls[k] == C_POST ? STMT_POST : STMT_ON_VIRTUAL_UPDATE, t, tline,
                      st[k].v[0].tok.line);
        }
    }
    free(start);
    free(cls);
    free(keep);
    marena_free(&a);
    free(body);
    return rc < 0 ? -1 : 0;
}

void model_stmts_free(struct model *m)
{
    for (size_t k = 0; k < m->n_stmts; k++) free(m->stmts[k].text);
    free(m->stmts);
    m->stmts = NULL;
    m->n_stmts = 0;
}

size_t stmts_count(const struct model *m, enum stmt_kind kind)
{
    size_t c = 0;
    for (size_t k = 0; k < m->n_stmts; k++) c += m->stmts[k].kind == kind;
    return c;
}

/* s[0..n) stripped of white space, as Python's strip(). */
static char *strip_dup(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    return xstrndup(s, n);
}

char *comments_leading(const char *text, size_t len)
{
    strbuf sb;
    sb_init(&sb);
    size_t i = 0;
    bool any = false;
    while (i < len) {
        if (isspace((unsigned char)text[i])) { i++; continue; }
        size_t b, e;
        if (text[i] == '-' && i + 1 < len && text[i + 1] == '-') {
            b = i + 2;
            for (e = b; e < len && text[e] != '\n'; e++) {}
            i = e;
        } else if (text[i] == '/' && i + 1 < len && text[i + 1] == '*') {
            b = i + 2;
            for (e = b; e + 1 < len && !(text[e] == '*' && text[e + 1] == '/'); e++) {}
            i = e + 2 <= len ? e + 2 : len;
            if (e + 1 >= len) e = len;
        } else break;
        char *c = strip_dup(text + b, e - b);
        if (any) sb_append_char(&sb, '\n');
        sb_append(&sb, c);
        free(c);
        any = true;
    }
    if (!any) {
        sb_free(&sb);
        return NULL;
    }
    return sb_detach(&sb);
}
