/* audit_builtins.c — SQLMesh's 29 built-in audits, as SQLMesh defines them.
 *
 * Each entry is copied verbatim from SQLMesh's sqlmesh/core/audit/builtin.py (mirror
 * TobikoData/sqlmesh at 0f192c93, 2026-04-03): its name, its `defaults` (exp.true() is
 * TRUE, exp.null() NULL, exp.false() FALSE, Literal.number(1) 1), its `expressions`
 * (chi_square's @def statements) and its query, with the line of builtin.py the query
 * starts on so an error in a render names where the text came from. The queries are not
 * rewritten into SQL here: audits.c renders them with the macro expander (macro*.c), the
 * call's arguments and the defaults bound as macro variables, exactly as SQLMesh renders
 * them with its own. So an audit's meaning — which rows it returns, which columns they
 * have — is SQLMesh's.
 *
 * One change from the text of builtin.py: REGEXP_LIKE(x, p) is written REGEXP_MATCHES(x, p),
 * which is what SQLMesh sends to DuckDB (sqlglot's DuckDB generator: `exp.RegexpLike:
 * rename_func("REGEXP_MATCHES")`); DuckDB has no REGEXP_LIKE. Both are a regex search.
 *
 * kl_divergence is as SQLMesh wrote it, and on DuckDB its query does not bind, as SQLMesh's
 * does not: `LEFT JOIN ... USING (@source_column)` needs the source column in the target
 * side too, and with source = target, `num_rows` is then ambiguous (DuckDB: "Ambiguous
 * reference to column name num_rows"). The audit fails the run with that error (tested).
 *
 * builtin.py's BUILT_IN_AUDITS also holds a copy of each named `<name>_non_blocking` with
 * blocking false (create_non_blocking_copy): audit_builtin_find answers those names too.
 * The audits commented out there (cardinality_equality, relationship, equality,
 * equal_row_count, fewer_rows_than) are not SQLMesh built-ins and are not here either. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "transform/audit_builtins.h"

static const struct audit_builtin builtins[] = {
    {"accepted_range", 123,
     {{"min_v", "NULL"}, {"max_v", "NULL"}, {"inclusive", "TRUE"}, {"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE\n"
        "  @AND(\n"
        "    @OR(\n"
        "      @IF(@min_v IS NOT NULL AND @inclusive, @column < @min_v, NULL),\n"
        "      @IF(@min_v IS NOT NULL AND NOT @inclusive, @column <= @min_v, NULL),\n"
        "      @IF(@max_v IS NOT NULL AND @inclusive, @column > @max_v, NULL),\n"
        "      @IF(@max_v IS NOT NULL AND NOT @inclusive, @column >= @max_v, NULL),\n"
        "    ),\n"
        "    @condition,\n"
        "  )\n"
        "    \n"},
    {"accepted_values", 64,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(@column NOT IN @is_in, @condition)\n"
        "\n"},
    {"at_least_one", 143,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT 1\n"
        "FROM @this_model\n"
        "WHERE @condition\n"
        "GROUP BY 1\n"
        "HAVING COUNT(@column) = 0\n"
        "    \n"},
    {"chi_square", 630,
     {{"dependent", "TRUE"}, {"condition", "TRUE"}, {NULL, NULL}},
     "@def(c, (SELECT COUNT(DISTINCT x_a) FROM contingency_table));\n"
        "@def(r, (SELECT COUNT(DISTINCT x_b) FROM contingency_table));\n"
        "@def(E, (tot_a * tot_b / g_t));\n"
        "\n",
     "\n"
        "WITH\n"
        "  samples AS (\n"
        "    SELECT\n"
        "      @column_a AS x_a,\n"
        "      @column_b AS x_b,\n"
        "    FROM @this_model\n"
        "    WHERE @AND(@column_a IS NOT NULL AND @column_b IS NOT NULL, @condition)\n"
        "  ),\n"
        "  contingency_table AS (\n"
        "    SELECT\n"
        "      x_a,\n"
        "      x_b,\n"
        "      COUNT(*) as observed,\n"
        "      (SELECT COUNT(*) FROM samples AS t WHERE r.x_a = t.x_a) as tot_a,\n"
        "      (SELECT COUNT(*) FROM samples AS t WHERE r.x_b = t.x_b) as tot_b,\n"
        "      (SELECT COUNT(*) FROM samples) as g_t -- g_t is the grand total\n"
        "    FROM samples AS r\n"
        "    GROUP BY x_a, x_b\n"
        "  )\n"
        "\n"
        "SELECT\n"
        "  (@c - 1) * (@r - 1) as degrees_of_freedom,\n"
        "  SUM((observed - @E) * (observed - @E) / @E) as chi_square\n"
        "FROM contingency_table\n"
        "-- H0: the two variables are independent\n"
        "-- H1: the two variables are dependent\n"
        "-- if chi_square > critical_value, reject H0\n"
        "-- if chi_square <= critical_value, fail to reject H0\n"
        "HAVING NOT @IF(@dependent, chi_square > @critical_value, chi_square <= @critical_value)\n"
        "    \n"},
    {"forall", 95,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE\n"
        "  @AND(\n"
        "    @REDUCE(\n"
        "      @EACH(\n"
        "        @criteria,\n"
        "        c -> NOT (c)\n"
        "      ),\n"
        "      (l, r) -> l OR r\n"
        "    ),\n"
        "    @condition,\n"
        "  )\n"
        "    \n"},
    {"kl_divergence", 531,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "WITH\n"
        "  table_a AS (\n"
        "    SELECT\n"
        "      @source_column,\n"
        "      COUNT(*) AS num_rows\n"
        "    FROM @this_model\n"
        "    WHERE @condition\n"
        "    GROUP BY @source_column\n"
        "  ),\n"
        "  table_b AS (\n"
        "    SELECT\n"
        "      @target_column,\n"
        "      COUNT(*) AS num_rows\n"
        "    FROM @this_model\n"
        "    WHERE @condition\n"
        "    GROUP BY @target_column\n"
        "  ),\n"
        "  table_a_with_p AS (\n"
        "    SELECT\n"
        "      @source_column,\n"
        "      num_rows,\n"
        "      num_rows / SUM(num_rows) OVER () AS p\n"
        "    FROM table_a\n"
        "  ),\n"
        "  table_b_with_q AS (\n"
        "    SELECT\n"
        "      @target_column,\n"
        "      num_rows,\n"
        "      num_rows / SUM(num_rows) OVER () AS q\n"
        "    FROM table_b\n"
        "  ),\n"
        "  table_a_with_q AS (\n"
        "    SELECT\n"
        "      @source_column,\n"
        "      num_rows,\n"
        "      p,\n"
        "      COALESCE(q, 0) AS q\n"
        "    FROM table_a_with_p\n"
        "    LEFT JOIN table_b_with_q USING (@source_column)\n"
        "  ),\n"
        "  table_b_with_p AS (\n"
        "    SELECT\n"
        "      @target_column,\n"
        "      num_rows,\n"
        "      q,\n"
        "      COALESCE(p, 0) AS p\n"
        "    FROM table_b_with_q\n"
        "    LEFT JOIN table_a_with_p USING (@target_column)\n"
        "  ),\n"
        "  table_a_with_kl AS (\n"
        "    SELECT\n"
        "      @source_column,\n"
        "      num_rows,\n"
        "      p,\n"
        "      q,\n"
        "      p * LOG(p / NULLIF(q, 0)) AS kl\n"
        "    FROM table_a_with_q\n"
        "  ),\n"
        "  table_b_with_kl AS (\n"
        "    SELECT\n"
        "      @target_column,\n"
        "      num_rows,\n"
        "      p,\n"
        "      q,\n"
        "      q * LOG(q / NULLIF(p, 0)) AS kl\n"
        "    FROM table_b_with_p\n"
        "  ),\n"
        "  unioned AS (\n"
        "    SELECT *\n"
        "    FROM table_a_with_kl\n"
        "    UNION ALL\n"
        "    SELECT *\n"
        "    FROM table_b_with_kl\n"
        "  )\n"
        "SELECT\n"
        "  @source_column,\n"
        "  @target_column,\n"
        "  SUM(kl) AS kl_divergence\n"
        "FROM unioned\n"
        "GROUP BY @source_column, @target_column\n"
        "HAVING kl_divergence > @threshold\n"
        "    \n"},
    {"match_like_pattern_list", 383,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(\n"
        "  @REDUCE(\n"
        "    @EACH(\n"
        "      @patterns,\n"
        "      c -> NOT @column LIKE c\n"
        "    ),\n"
        "    (l, r) -> l AND r\n"
        "  ),\n"
        "  @condition,\n"
        ")\n"
        "    \n"},
    {"match_regex_pattern_list", 343,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(\n"
        "  @REDUCE(\n"
        "    @EACH(\n"
        "      @patterns,\n"
        "      c -> NOT REGEXP_MATCHES(@column, c)\n"
        "    ),\n"
        "    (l, r) -> l AND r\n"
        "  ),\n"
        "  @condition,\n"
        ")\n"
        "    \n"},
    {"mean_in_range", 510,
     {{"min_v", "NULL"}, {"max_v", "NULL"}, {"inclusive", "TRUE"}, {"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM (\n"
        "  SELECT AVG(@column) AS mean_@column\n"
        "  FROM @this_model\n"
        "  WHERE @condition\n"
        ")\n"
        "WHERE\n"
        "  @OR(\n"
        "    @IF(@min_v IS NOT NULL AND @inclusive, mean_@column < @min_v, NULL),\n"
        "    @IF(@min_v IS NOT NULL AND NOT @inclusive, mean_@column <= @min_v, NULL),\n"
        "    @IF(@max_v IS NOT NULL AND @inclusive, mean_@column > @max_v, NULL),\n"
        "    @IF(@max_v IS NOT NULL AND NOT @inclusive, mean_@column >= @max_v, NULL),\n"
        "  )\n"
        "    \n"},
    {"mutually_exclusive_ranges", 250,
     {{"partition_clause", "FALSE"}, {"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "WITH window_functions AS (\n"
        "  SELECT\n"
        "    @lower_bound_column AS lower_bound,\n"
        "    @upper_bound_column AS upper_bound,\n"
        "    LEAD(@lower_bound_column) OVER (\n"
        "      @if(@partition_clause, @partition_clause)\n"
        "      ORDER BY @lower_bound_column, @upper_bound_column\n"
        "    ) AS next_lower_bound,\n"
        "    row_number() OVER (\n"
        "      @if(@partition_clause, @partition_clause)\n"
        "      ORDER BY @lower_bound_column desc, @upper_bound_column desc\n"
        "    ) = 1 AS is_last_record\n"
        "  FROM @this_model\n"
        "  WHERE @condition\n"
        "), calc AS (\n"
        "  SELECT\n"
        "    *,\n"
        "    COALESCE(\n"
        "      lower_bound <= upper_bound,\n"
        "      False\n"
        "    ) AS lower_bound_lte_upper_bound,\n"
        "    COALESCE(\n"
        "      upper_bound <= next_lower_bound,\n"
        "      is_last_record,\n"
        "      False\n"
        "    ) AS upper_bound_lte_next_lower_bound\n"
        "  FROM window_functions\n"
        "), validation_errors AS (\n"
        "  SELECT *\n"
        "  FROM calc\n"
        "  WHERE NOT (\n"
        "    lower_bound_lte_upper_bound\n"
        "    AND upper_bound_lte_next_lower_bound\n"
        "  )\n"
        ")\n"
        "\n"
        "SELECT *\n"
        "FROM validation_errors\n"
        "    \n"},
    {"not_accepted_values", 200,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(@column IN @is_in, @condition)\n"
        "\n"},
    {"not_constant", 156,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT 1\n"
        "FROM (\n"
        "  SELECT COUNT(DISTINCT @column) AS t_cardinality\n"
        "  FROM @this_model\n"
        "  WHERE @condition\n"
        ") AS r\n"
        "WHERE r.t_cardinality <= 1\n"
        "    \n"},
    {"not_empty_string", 171,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(@column = '', @condition)\n"
        "    \n"},
    {"not_match_like_pattern_list", 403,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(\n"
        "  @REDUCE(\n"
        "    @EACH(\n"
        "      @patterns,\n"
        "      c -> @column LIKE c\n"
        "    ),\n"
        "    (l, r) -> l OR r\n"
        "  ),\n"
        "  @condition,\n"
        ")\n"
        "    \n"},
    {"not_match_regex_pattern_list", 363,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(\n"
        "  @REDUCE(\n"
        "    @EACH(\n"
        "      @patterns,\n"
        "      c -> REGEXP_MATCHES(@column, c)\n"
        "    ),\n"
        "    (l, r) -> l OR r\n"
        "  ),\n"
        "  @condition,\n"
        ")\n"
        "    \n"},
    {"not_null", 19,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(\n"
        "  @REDUCE(\n"
        "    @EACH(\n"
        "      @columns,\n"
        "      c -> c IS NULL\n"
        "    ),\n"
        "    (l, r) -> l OR r\n"
        "  ),\n"
        "  @condition,\n"
        ")\n"
        "    \n"},
    {"not_null_proportion", 182,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM (\n"
        "  SELECT\n"
        "    count(*) as cnt_tot,\n"
        "    count(@column) as cnt_not_null,\n"
        "    count(*) - count(@column) as cnt_null\n"
        "  FROM @this_model\n"
        "  WHERE @condition\n"
        ") AS s\n"
        "WHERE s.cnt_not_null <= s.cnt_tot * @threshold\n"
        "    \n"},
    {"number_of_rows", 75,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT COUNT(*)\n"
        "FROM (\n"
        "  SELECT 1\n"
        "  FROM @this_model\n"
        "  WHERE @condition\n"
        "  LIMIT @threshold + 1\n"
        ")\n"
        "HAVING COUNT(*) <= @threshold\n"
        "    \n"},
    {"sequential_values", 212,
     {{"interval", "1"}, {"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "WITH windowed AS (\n"
        "  SELECT\n"
        "    @column,\n"
        "    LAG(@column) OVER (\n"
        "      ORDER BY @column\n"
        "    ) AS prv\n"
        "  FROM @this_model\n"
        "  WHERE @condition\n"
        "), validation_errors AS (\n"
        "    SELECT *\n"
        "    FROM windowed\n"
        "    WHERE NOT (@column = prv + @interval)\n"
        ")\n"
        "\n"
        "SELECT *\n"
        "FROM validation_errors\n"
        "    \n"},
    {"stddev_in_range", 484,
     {{"min_v", "NULL"}, {"max_v", "NULL"}, {"inclusive", "TRUE"}, {"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM (\n"
        "  SELECT STDDEV(@column) AS stddev_@column\n"
        "  FROM @this_model\n"
        "  WHERE @condition\n"
        ")\n"
        "WHERE\n"
        "  @OR(\n"
        "    @IF(@min_v IS NOT NULL AND @inclusive, stddev_@column < @min_v, NULL),\n"
        "    @IF(@min_v IS NOT NULL AND NOT @inclusive, stddev_@column <= @min_v, NULL),\n"
        "    @IF(@max_v IS NOT NULL AND @inclusive, stddev_@column > @max_v, NULL),\n"
        "    @IF(@max_v IS NOT NULL AND NOT @inclusive, stddev_@column >= @max_v, NULL),\n"
        "  )\n"
        "    \n"},
    {"string_length_between", 448,
     {{"min_v", "NULL"}, {"max_v", "NULL"}, {"inclusive", "TRUE"}, {"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE\n"
        "  @AND(\n"
        "    @OR(\n"
        "      @IF(@min_v IS NOT NULL AND @inclusive, LENGTH(@column) < @min_v, NULL),\n"
        "      @IF(@min_v IS NOT NULL AND NOT @inclusive, LENGTH(@column) <= @min_v, NULL),\n"
        "      @IF(@max_v IS NOT NULL AND @inclusive, LENGTH(@column) > @max_v, NULL),\n"
        "      @IF(@max_v IS NOT NULL AND NOT @inclusive, LENGTH(@column) >= @max_v, NULL),\n"
        "    ),\n"
        "    @condition,\n"
        "  )\n"
        "    \n"},
    {"string_length_equal", 468,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(LENGTH(@column) != @v, @condition)\n"
        "    \n"},
    {"unique_combination_of_columns", 236,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT @EACH(@columns, c -> c)\n"
        "FROM @this_model\n"
        "WHERE @condition\n"
        "GROUP BY @EACH(@columns, c -> c)\n"
        "HAVING COUNT(*) > 1\n"
        "    \n"},
    {"unique_values", 39,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM (\n"
        "  SELECT\n"
        "    @EACH(\n"
        "      @columns,\n"
        "      c -> row_number() OVER (PARTITION BY c ORDER BY c) AS rank_@c\n"
        "    )\n"
        "  FROM @this_model\n"
        "  WHERE @condition\n"
        ")\n"
        "WHERE @REDUCE(\n"
        "  @EACH(\n"
        "    @columns,\n"
        "    c -> rank_@c > 1\n"
        "  ),\n"
        "  (l, r) -> l OR r\n"
        ")\n"
        "    \n"},
    {"valid_email", 332,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(NOT REGEXP_MATCHES(@column, '^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\\.[a-zA-Z0-9-.]+$'), @condition)\n"
        "    \n"},
    {"valid_http_method", 321,
     {{NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE NOT @column IN ('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT')\n"
        "    \n"},
    {"valid_url", 311,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(NOT REGEXP_MATCHES(@column, '^(https?|ftp)://[^\\s/$.?#].[^\\s]*$'), @condition)\n"
        "    \n"},
    {"valid_uuid", 296,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "SELECT *\n"
        "FROM @this_model\n"
        "WHERE @AND(\n"
        "  NOT REGEXP_MATCHES(LOWER(@column), '^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'),\n"
        "  @condition,\n"
        ")\n"
        "\n"
        "    \n"},
    {"z_score", 423,
     {{"condition", "TRUE"}, {NULL, NULL}},
     NULL,
     "\n"
        "WITH stats AS (\n"
        "  SELECT\n"
        "    AVG(@column) AS mean_@column,\n"
        "    STDDEV(@column) AS stddev_@column\n"
        "  FROM @this_model\n"
        "  WHERE @condition\n"
        ")\n"
        "SELECT\n"
        "  @column,\n"
        "  (@column - mean_@column) / NULLIF(stddev_@column, 0) AS z_score\n"
        "FROM @this_model, stats\n"
        "WHERE ABS((@column - mean_@column) / NULLIF(stddev_@column, 0)) > @threshold\n"
        "    \n"},
};

#define NON_BLOCKING "_non_blocking"

const struct audit_builtin *audit_builtin_find(const char *name, bool *non_blocking)
{
    size_t n = strlen(name), sfx = strlen(NON_BLOCKING);
    bool nb = n > sfx && !strcmp(name + n - sfx, NON_BLOCKING);
    size_t base = nb ? n - sfx : n;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strlen(builtins[i].name) == base && !strncmp(builtins[i].name, name, base)) {
            if (non_blocking) *non_blocking = nb;
            return &builtins[i];
        }
    return NULL;
}

size_t audit_builtin_count(void)
{
    return sizeof builtins / sizeof builtins[0];
}

const struct audit_builtin *audit_builtin_at(size_t i)
{
    return i < audit_builtin_count() ? &builtins[i] : NULL;
}
