/* fuzz_macro_lex.c — libFuzzer target for the macro expander's lexer and parser
 * (src/transform/macro_lex.c: macro_parse, macro_parse_fragment, mseq_print and the value
 * views mseq_split, mseq_list_items, mseq_name). Model files are untrusted input and reach
 * macro_parse before anything else looks at them.
 *
 * The input is one query's text (a NUL-terminated copy: macro_parse takes a C string).
 * Contract checked on every input:
 *  - macro_parse returns 0 or -1; on -1 err is one line "fuzz.sql:<line>: <message>" with
 *    no control characters;
 *  - on success every statement is non-empty and its printed text (mseq_print)
 *    (a) is a fixed point: parsing it gives one statement that prints the same text, and
 *        macro_parse_fragment of it prints the same text too;
 *    (b) has balanced brackets, counted by an independent scan that skips 'strings',
 *        "identifiers" and comments as SQL does (so a bracket the lexer took for code but
 *        SQL reads as a comment, or the reverse, shows up here);
 *  - mseq_split gives one item per top-level comma plus one; mseq_name and the list views
 *    run on every statement and bracket group (ASan checks what they read).
 * Everything lives in one arena freed at the end (LeakSanitizer checks). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/macro.h"
#include "util/err.h"
#include "util/strbuf.h"

static void fuzz_fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_macro_lex: contract broken: %s\n", what);
    if (text) fprintf(stderr, "--- text ---\n%s\n--- end ---\n", text);
    abort();
}

static void check_err(const struct mt_err *err)
{
    if (!memchr(err->msg, '\0', sizeof err->msg)) fuzz_fail("err not NUL-terminated", NULL);
    const char *m = err->msg;
    if (strncmp(m, "fuzz.sql:", 9)) fuzz_fail("err does not start with the file name", m);
    const char *d = m + 9;
    while (isdigit((unsigned char)*d)) d++;
    if (d == m + 9 || strncmp(d, ": ", 2) || !d[2]) fuzz_fail("err is not \"file:line: message\"", m);
    for (const char *c = m; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) fuzz_fail("control character in err", m);
}

/* SQL-level bracket balance of text: skips '...' ('' doubled), "..." ("" doubled), -- to the
 * end of the line and block comments, as DuckDB's scanner does. */
static bool sql_balanced(const char *s)
{
    char stack[1 << 16];
    size_t depth = 0;
    for (size_t i = 0; s[i];) {
        char c = s[i];
        if (c == '\'' || c == '"') {
            i++;
            for (;;) {
                if (!s[i]) return false;  /* unterminated: cannot come from a parsed text */
                if (s[i] == c) {
                    if (s[i + 1] == c) { i += 2; continue; }
                    i++;
                    break;
                }
                i++;
            }
        } else if (c == '-' && s[i + 1] == '-') {
            while (s[i] && s[i] != '\n') i++;
        } else if (c == '/' && s[i + 1] == '*') {
            i += 2;
            while (s[i] && !(s[i] == '*' && s[i + 1] == '/')) i++;
            if (s[i]) i += 2;
        } else {
            if (c == '(' || c == '[') {
                if (depth == sizeof stack) return false;
                stack[depth++] = c;
            } else if (c == ')' || c == ']') {
                if (!depth || stack[depth - 1] != (c == ')' ? '(' : '[')) return false;
                depth--;
            }
            i++;
        }
    }
    return depth == 0;
}

static char *print_text(const struct mseq *s)
{
    strbuf sb;
    sb_init(&sb);
    mseq_print(s, &sb);
    char *r = strndup(sb.buf ? sb.buf : "", sb.len);
    sb_free(&sb);
    if (!r) abort();
    return r;
}

static size_t top_commas(const struct mseq *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].k == N_TOK && s->v[i].tok.t == MT_COMMA) n++;
    return n;
}

/* Runs the value views over s and every bracket group and call inside it. */
static void check_views(struct marena *a, const struct mseq *s, int depth)
{
    struct mseq *items;
    size_t n;
    mseq_split(a, s, &items, &n);
    if (n != (s->n ? top_commas(s) + 1 : 0)) fuzz_fail("mseq_split item count", NULL);
    if (!mseq_name(a, s)) fuzz_fail("mseq_name gave NULL", NULL);
    for (size_t i = 0; i < n; i++) (void)mseq_name(a, &items[i]);
    if (mseq_list_items(a, s, &items, &n))
        for (size_t i = 0; i < n; i++) (void)mseq_name(a, &items[i]);
    const char *w;
    size_t wn;
    (void)mseq_is_string(s, &w, &wn);
    (void)mseq_is_word(s, &w, &wn);
    if (depth > 64) return;  /* deep nesting is the parser's concern; keep runs fast */
    for (size_t i = 0; i < s->n; i++)
        if ((s->v[i].k == N_GROUP || s->v[i].k == N_CALL) && s->v[i].inner)
            check_views(a, s->v[i].inner, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    if (size) memcpy(text, data, size);
    text[size] = 0;

    struct marena a = {0};
    struct mt_err err = MT_ERR_INIT;
    struct mseq *st = NULL;
    size_t n = 0;
    int rc = macro_parse(&a, text, "fuzz.sql", 1, &st, &n, &err);
    if (rc == -1) {
        check_err(&err);
    } else if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            if (!st[i].n) fuzz_fail("empty statement", NULL);
            char *p1 = print_text(&st[i]);
            if (!sql_balanced(p1)) fuzz_fail("unbalanced brackets in the printed statement", p1);

            struct marena b = {0};
            struct mseq *st2;
            size_t n2;
            mt_err_clear(&err);
            if (macro_parse(&b, p1, "fuzz.sql", 1, &st2, &n2, &err) < 0) {
                fprintf(stderr, "reparse error: %s\n", err.msg);
                fuzz_fail("printed statement does not parse again", p1);
            }
            if (n2 != 1) fuzz_fail("printed statement parses as other than one statement", p1);
            char *p2 = print_text(&st2[0]);
            if (strcmp(p1, p2)) {
                fprintf(stderr, "--- printed again ---\n%s\n", p2);
                fuzz_fail("print is not a fixed point", p1);
            }
            free(p2);

            struct mseq frag;
            mt_err_clear(&err);
            if (macro_parse_fragment(&b, p1, 1, &frag, &err) < 0) {
                fprintf(stderr, "fragment error: %s\n", err.msg);
                fuzz_fail("printed statement does not parse as a fragment", p1);
            }
            char *p3 = print_text(&frag);
            if (strcmp(p1, p3)) fuzz_fail("fragment prints differently", p1);
            free(p3);
            marena_free(&b);

            check_views(&a, &st[i], 0);
            free(p1);
        }
    } else {
        fuzz_fail("return code not 0 or -1", NULL);
    }
    marena_free(&a);
    free(text);
    return 0;
}
