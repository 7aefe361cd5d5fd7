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
        /* @DEFs before the query: kept in place, as the lexer keeps them */
        "@DEF(a, 1);\n@def(b, [1, 2]);\n\nSELECT @a + 1 AS x, @EACH(@b, v -> v * @a) FROM t",
        "-- header\n@DEF(f, (a, b) -> CASE WHEN b = 0 THEN NULL ELSE a / b END); -- after\n"
        "SELECT @f(1, 2) AS s, col_@{a} AS c, @'x_@{a}' FROM t WHERE @VAR('k') = 'v;w';\n",
        "@DEF(w, 'a;b');\nSELECT @w",
        "@DEF(a, 1); SELECT @a",
        "WITH u AS (SELECT id, v FROM a UNION ALL SELECT id, v FROM b) SELECT id, sum(v) AS v FROM u GROUP BY id",
        "with recursive t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3)\nFROM t;",
        /* a model of bench/transform/gen_macro_models.py, after its MODEL header */
        "\n"
        "@DEF(factor, 1);\n"
        "@DEF(metrics, [v_a, v_b]);\n"
        "@DEF(scaled, x -> round(x * @factor, 2));\n"
        "@DEF(ratio, (a, b) -> CASE WHEN b = 0 THEN NULL ELSE a / b END);\n"
        "\n"
        "SELECT\n"
        "  s.id,\n"
        "  @STAR(raw.src_00, s, exclude := [id, secret], prefix := 'u_'),\n"
        "  @EACH(@metrics, m -> @scaled(m) AS scaled_@m),\n"
        "  @EACH(@VAR('weights'), w -> @ratio(v_b * w, v_a) AS weighted_@w),\n"
        "  @IF(@factor > 2, v_a + v_b, v_a - v_b) AS combo,\n"
        "  @IF(@VAR('env') = 'prod', 'prod', 'dev') AS env_tag,\n"
        "  @IF(@model_kind_name = 'FULL', 0, -0) AS kind_tag,\n"
        "  @IF(0 % 2 = 0, v_c, v_d) AS parity_pick\n"
        "FROM raw.src_00 AS s\n"
        "@WHERE(@factor >= 3) s.v_a > 0\n",
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
        "SELECT '{{ x }}'",                                      /* Jinja, even in a string */
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
        "@DEF(a, 1); CREATE TABLE x AS SELECT 1; SELECT @a",     /* a pre-statement after a @DEF */
        "SELECT @a; @DEF(a, 1)",                                 /* a @DEF after the query: moved */
        "@DEF(a, 1) extra; SELECT @a",                           /* not a lone @DEF call */
        "@define(a); SELECT 1",
        "@DEF(a, 1)",                                            /* no query */
        "@DEF(a, 1);; SELECT @a",
        "SELECT @ FROM t",                                       /* the lexer's errors */
        "SELECT col_@{a FROM t",
        "SELECT jinja_query_begin FROM t",
        "SELECT {'a': 1} AS s",
        "@DEF(a, (1; 2)); SELECT @a",
        "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",    /* a WITH that is no query */
        "WITH x AS (SELECT 1) DELETE FROM t; SELECT 1",
        "WITH x AS (SELECT 1); SELECT 1",
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
