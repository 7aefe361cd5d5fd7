/* test_statements.c — stmts_split's fast path (a macro-free single SELECT is not lexed) gives
 * exactly what the lexing path gives: the same query text, query line, statements and errors,
 * on bodies that take the fast path and on look-alikes that must not (statements.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "transform/statements.h"

struct split {
    int rc;
    char *query;
    int query_line;
    size_t n_stmts;
    char *first_stmt;
};

static struct split run(const char *body, bool lexed)
{
    struct model m;
    memset(&m, 0, sizeof m);
    m.file = "models/t.sql";
    struct mt_err err = {0};
    struct split r = {0};
    r.rc = lexed ? stmts_split_lexed(&m, body, strlen(body), 7, &err) : stmts_split(&m, body, strlen(body), 7, &err);
    r.query = m.query;
    r.query_line = m.query_line;
    r.n_stmts = m.n_stmts;
    r.first_stmt = m.n_stmts ? strdup(m.stmts[0].text) : NULL;
    model_stmts_free(&m);
    mt_err_clear(&err);
    return r;
}

static void same(const char *body, bool fast)
{
    if (stmts_plain_query(body, strlen(body)) != fast)
        fail_msg("fast path %s for: %s", fast ? "not taken" : "taken", body);
    struct split a = run(body, false), b = run(body, true);
    if (a.rc != b.rc) fail_msg("rc %d vs lexed %d for: %s", a.rc, b.rc, body);
    if ((a.query == NULL) != (b.query == NULL) || (a.query && strcmp(a.query, b.query)))
        fail_msg("query [%s] vs lexed [%s] for: %s", a.query ? a.query : "(null)", b.query ? b.query : "(null)", body);
    assert_int_equal(a.query_line, b.query_line);
    assert_int_equal(a.n_stmts, b.n_stmts);
    if (a.first_stmt || b.first_stmt) assert_string_equal(a.first_stmt, b.first_stmt);
    free(a.query), free(b.query), free(a.first_stmt), free(b.first_stmt);
}

static void test_fast_path_matches_lexer(void **state)
{
    (void)state;
    static const char *const fast[] = {
        "SELECT 1",
        "\n\n  select a, b from c;\n",
        "-- a comment; with a semicolon\nSELECT 1 /* ; */ ;\n\n;",
        "FROM t",
        "SELECT 'a;b', \"x;y\" FROM t;",
        "SELECT (1) AS x, [1, 2][1];  -- trailing",
        "SELECT 'it''s' AS s",
        "SELECT 1;\n-- the end",
        "\n/* block\n comment */\n\nSELECT\n  a -> 1, b::INT\nFROM t WHERE x >= 2 AND y <> 3",
    };
    for (size_t i = 0; i < sizeof fast / sizeof fast[0]; i++) same(fast[i], true);
}

static void test_look_alikes_take_the_lexer(void **state)
{
    (void)state;
    static const char *const slow[] = {
        "SELECT 1; SELECT 2",                                    /* two queries: an error */
        "CREATE TABLE x AS SELECT 1; SELECT 1",                  /* a pre-statement */
        "SELECT 1; INSERT INTO log VALUES (1)",                  /* a post-statement */
        "@DEF(a, 1); SELECT @a",                                 /* a macro */
        "SELECT '{{ x }}'",                                      /* Jinja, even in a string */
        "WITH a AS (SELECT 1) SELECT * FROM a",                  /* not SELECT/FROM first */
        "SELECT (1",                                             /* unbalanced */
        "SELECT 1)",
        "SELECT 1; ON_VIRTUAL_UPDATE_BEGIN; GRANT x; ON_VIRTUAL_UPDATE_END;",
        "SELECT E'a\\'b;'",                                      /* an escape */
        "SELECT $$x;y$$",                                        /* dollar quoting */
        "SELECT 1 /* unterminated",
        "SELECT 'unterminated",
        "selectx FROM t",
        "SELECT (1; 2)",                                         /* ';' inside brackets */
        "",
        "  -- only a comment\n",
    };
    for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++) same(slow[i], false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_path_matches_lexer),
        cmocka_unit_test(test_look_alikes_take_the_lexer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
