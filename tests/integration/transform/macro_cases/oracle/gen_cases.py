"""gen_cases.py — writes macro_cases/NNN_slug.json: every case below with its "expected"
computed by sqlmesh_oracle.render (SQLMesh's own MacroEvaluator, dialect duckdb), or, for an
"error" case, checked to fail in SQLMesh with that message. Cases named py_* / jinja_* are
refusals of our engine (Python macros, Jinja) and are not run through SQLMesh.

    SQLMESH_PY=DIR python3 gen_cases.py      # DIR: see sqlmesh_oracle.py

Cases are numbered in the order below; add new ones at the end so the numbers stay put."""
import json
import os
import sys

import sqlmesh_oracle as oracle  # noqa: E402

OUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TM = "tests/core/test_macros.py"
MP = "sqlmesh/core/macros.py"
DOC = "docs/concepts/macros/sqlmesh_macros.md"
VARDOC = "docs/concepts/macros/macro_variables.md"
DATEPY = "sqlmesh/utils/date.py"

CASES = []


RENAMES = (("FROM table", "FROM tbl"), ("FROM\n  table\n", "FROM\n  tbl\n"), ("column like x", "col like x"),
           ("some.", "somedb."))


def C(slug, source, test, sql, **kw):
    """One case; SQLMesh's `FROM table` / bare `column` are renamed: DuckDB's parser rejects
    those reserved words where sqlglot accepts them."""
    renamed = sql
    for a, b in RENAMES:
        renamed = renamed.replace(a, b)
    if renamed != sql:
        why = ("renamed from SQLMesh's text (" + ", ".join(f"{a.strip()!r} -> {b.strip()!r}" for a, b in RENAMES if a in sql)
               + "): a reserved word DuckDB's parser rejects where sqlglot accepts it")
        kw["note"] = (kw["note"] + "; " + why) if kw.get("note") else why
    CASES.append(dict(slug=slug, source=source, test=test, sql=renamed, **kw))


ARRNOTE = "the test expects sqlglot's generic ARRAY(...); duckdb writes the same array as [...]"
WRAP = "wrapped in SELECT: the test renders a bare expression, our engine renders statements"
TF = "test_macro_functions"

# ---- predefined time variables ------------------------------------------------------------
T = dict(start="2020-10-28", end="2020-10-29", execution_time="2020-10-29 01:00:00")
TNOTE = ("SQLMesh start 2020-10-28, end 2020-10-28 (inclusive: make_inclusive -> 23:59:59.999999), "
         "execution 2020-10-29 01:00:00; values from sqlmesh/utils/date.py date_dict, rendered by "
         "exp.convert for duckdb")
for p in ("start", "end", "execution"):
    for s in ("ds", "ts", "tstz", "date", "dt", "dtntz", "epoch", "millis", "hour"):
        C(f"var_{p}_{s}", VARDOC, f"{VARDOC}#temporal-variables (@{p}_{s})",
          f"SELECT @{p}_{s} AS v", note=TNOTE, **T)
TH = dict(start="2020-10-28 05:00:00", end="2020-10-28 06:00:00", execution_time="2020-10-28 06:10:00")
THNOTE = "hourly interval [05:00, 06:00): SQLMesh's inclusive end is 05:59:59.999999 (make_inclusive_end)"
for v in ("start_ts", "end_ts", "end_hour", "end_epoch", "end_millis", "end_ds"):
    C(f"var_hourly_{v}", DATEPY, f"make_inclusive / date_dict (@{v}, hourly interval)",
      f"SELECT @{v} AS v", note=THNOTE, **TH)
C("var_between_ds", DATEPY, "make_inclusive docstring (BETWEEN @start_ds AND @end_ds)",
  "SELECT * FROM x WHERE ds BETWEEN @start_ds AND @end_ds", **T)
C("var_between_ts", DATEPY, "make_inclusive docstring (BETWEEN @start_ts AND @end_ts)",
  "SELECT * FROM x WHERE ts BETWEEN @start_ts AND @end_ts", **T)
C("var_execution_ds_doc", VARDOC, f"{VARDOC}#example",
  "SELECT *\nFROM table\nWHERE my_date > @execution_ds",
  start="2023-01-31", end="2023-02-01", execution_time="2023-02-01 00:00:00")

# ---- runtime variables --------------------------------------------------------------------
TMODEL = '"db"."sqlmesh__db"."db__tbl__123"'
C("this_model", VARDOC, f"{VARDOC}#runtime-variables (@this_model)",
  "SELECT * FROM @this_model", this_model=TMODEL)
C("this_model_audit", VARDOC, f"{VARDOC}#runtime-variables (@this_model in a generic audit)",
  "SELECT * FROM @this_model WHERE id IS NULL", this_model=TMODEL)
C("gateway", VARDOC, f"{VARDOC}#runtime-variables (@gateway)",
  "SELECT @gateway AS gw", gateway="main")
C("gateway_if", VARDOC, f"{VARDOC}#runtime-variables (@gateway in @IF)",
  "SELECT @IF(@gateway = 'main', 1, 2) AS v", gateway="main")
C("model_kind_name", VARDOC, f"{VARDOC}#runtime-variables (@model_kind_name)",
  "SELECT @model_kind_name AS kind", model_kind_name="FULL")
C("model_kind_name_incremental", VARDOC, f"{VARDOC}#runtime-variables (@model_kind_name)",
  "SELECT @IF(@model_kind_name = 'INCREMENTAL_BY_TIME_RANGE', 'inc', 'other') AS k",
  model_kind_name="INCREMENTAL_BY_TIME_RANGE")

# ---- @name variables (test_macro_var) -----------------------------------------------------
for slug, val in (("int", 1), ("str", "1"), ("null", None), ("true", True), ("false", False)):
    C(f"macro_var_{slug}", TM, f"test_macro_var[{val!r}]", "SELECT @x", vars={"x": val},
      note=WRAP + "; locals given as project variables")
C("macro_var_undefined", TM, "test_macro_var (undefined)", "SELECT @y",
  error="Macro variable 'y' is undefined")
C("macro_var_case_insensitive", DOC, f"{DOC}#global-variables (@INT_VAR)",
  "SELECT *\nFROM table\nWHERE int_variable = @INT_VAR", vars={"int_var": 1})
C("macro_var_float", DOC, f"{DOC}#global-variables (float_var)",
  "SELECT @float_var AS f", vars={"float_var": 2.0})
C("macro_var_bool", DOC, f"{DOC}#global-variables (bool_var)",
  "SELECT @bool_var AS b", vars={"bool_var": True})
C("macro_var_str", DOC, f"{DOC}#global-variables (str_var)",
  "SELECT @str_var AS s", vars={"str_var": "cat"})
C("macro_var_list", DOC, f"{DOC}#global-variables (list_var)",
  "SELECT @list_var AS l", vars={"list_var": [1, 2, 3]},
  note="a list variable converts to a tuple: (1, 2, 3)")
C("macro_var_list_in", DOC, f"{DOC}#global-variables (list_var in IN)",
  "SELECT * FROM t WHERE x IN @list_var", vars={"list_var": [1, 2, 3]})
C("macro_var_embedded_string", DOC, f"{DOC}#embedding-variables-in-strings (@my_variable)",
  "SELECT @my_variable AS the_column", vars={"my_variable": "col"})
C("macro_var_embedded_ident", DOC, f"{DOC}#embedding-variables-in-strings (@{{my_variable}})",
  "SELECT @{my_variable} AS the_column", vars={"my_variable": "col"})

# ---- @VAR -----------------------------------------------------------------------------------
C("var_fn_int", DOC, f"{DOC}#global-variables (@VAR('int_var'))",
  "SELECT *\nFROM table\nWHERE int_variable = @VAR('int_var')", vars={"int_var": 1})
C("var_fn_default", DOC, f"{DOC}#global-variables (@VAR('missing_var', 0))",
  "SELECT *\nFROM table\nWHERE some_value = @VAR('missing_var', 0)", vars={"int_var": 1})
C("var_fn_missing_null", MP, "var (default None -> NULL)",
  "SELECT @VAR('missing_var') AS v", vars={"int_var": 1})
C("var_fn_case_insensitive", MP, "var (var_name.lower())",
  "SELECT @VAR('MY_VAR', 'd') AS v", vars={"my_var": "set"},
  note="issue 12: a set variable wins over the default whatever the case of the name")
C("var_fn_case_insensitive_config", MP, "var (config keys are lower-cased)",
  "SELECT @VAR('my_var') AS v", vars={"MY_VAR": 7})
C("var_fn_string", DOC, f"{DOC}#global-variables (str_var)",
  "SELECT @VAR('str_var') AS v", vars={"str_var": "cat"})
C("var_fn_bool", DOC, f"{DOC}#global-variables (bool_var)",
  "SELECT @VAR('bool_var') AS v", vars={"bool_var": False})
C("var_fn_float", DOC, f"{DOC}#global-variables (float_var)",
  "SELECT @VAR('float_var') AS v", vars={"float_var": 2.5})
C("var_fn_list", DOC, f"{DOC}#global-variables (list_var)",
  "SELECT @VAR('list_var') AS v", vars={"list_var": [1, 2, 3]},
  note="@VAR converts a list with exp.convert: an ARRAY, [1, 2, 3] in duckdb (unlike @list_var, a tuple)")
C("var_fn_in_each", DOC, f"{DOC}#global-variables (@VAR list fed to @EACH)",
  "SELECT @EACH(@VAR('list_var'), x -> x * 2) FROM t", vars={"list_var": [1, 2, 3]})
C("var_fn_invalid_name", MP, "var (Invalid variable name)",
  "SELECT @VAR(int_var)", vars={"int_var": 1}, error="Invalid variable name")

# ---- @DEF -------------------------------------------------------------------------------------
C("def_value", DOC, f"{DOC}#local-variables",
  "@DEF(size, 1);\n\nSELECT\n  item_id,\n  count(distinct id) AS num_orders,\nFROM\n  sqlmesh_example.incremental_model\nWHERE\n  item_size > @size\nGROUP BY item_id")
C("def_string", TM, "test_macro_with_spaces (@y)", "@DEF(y, 'a b'); SELECT @y")
C("def_quoted_ident", TM, "test_macro_with_spaces (@x)", '@DEF(x, "a b"); SELECT @x')
C("def_quoted_ident_upper", TM, "test_macro_with_spaces (@X)", '@DEF(x, "a b"); SELECT @X')
C("def_quoted_ident_braces", TM, "test_macro_with_spaces (@{x})", '@DEF(x, "a b"); SELECT @{x}')
C("def_suffix_ident", TM, "test_macro_with_spaces (a_@x)", '@DEF(x, "a b"); SELECT a_@x')
C("def_qualified_ident", TM, "test_macro_with_spaces (a.@x)", '@DEF(x, "a b"); SELECT a.@x')
C("def_string_braces", TM, "test_macro_with_spaces (@{y})", "@DEF(y, 'a b'); SELECT @{y}")
C("def_string_suffix", TM, "test_macro_with_spaces (a_@y)", "@DEF(y, 'a b'); SELECT a_@y")
C("def_column", TM, "test_macro_with_spaces (@z)", '@DEF(z, a."b c"); SELECT @z')
C("def_column_qualified", TM, "test_macro_with_spaces (d.@z)", '@DEF(z, a."b c"); SELECT d.@z')
C("def_template_upper", TM, "test_macro_with_spaces (@'test_@{X}_suffix')",
  "@DEF(x, \"a b\"); SELECT @'test_@{X}_suffix'")
C("def_lambda", DOC, f"{DOC}#macro-functions (rank_to_int)",
  "@DEF(\n  rank_to_int,\n  x -> case when left(x, 1) = 'A' then 1 when left(x, 1) = 'B' then 2 when left(x, 1) = 'C' then 3 end\n);\n\n"
  "SELECT\n  id,\n  @rank_to_int(cust_rank_1) as cust_rank_1_int,\n  @rank_to_int(cust_rank_2) as cust_rank_2_int\nFROM\n  some.model",
  note="the doc's query lacks a comma after cust_rank_3; the case keeps the lambda calls only")
C("def_lambda_two_args", DOC, f"{DOC}#macro-functions (pythag)",
  "@DEF(pythag, (x,y) -> sqrt(pow(x, 2) + pow(y, 2)));\n\nSELECT\n  sideA,\n  sideB,\n  @pythag(sideA, sideB) AS sideC\nFROM\n  some.triangle")
C("def_lambda_three_args", DOC, f"{DOC}#macro-functions (nrr)",
  "@DEF(nrr, (starting_mrr, expansion_mrr, churned_mrr) -> (starting_mrr + expansion_mrr - churned_mrr) / starting_mrr);\n\n"
  "SELECT\n  @nrr(fy21_mrr, fy21_expansions, fy21_churns) AS fy21_net_retention_rate,\n  @nrr(fy22_mrr, fy22_expansions, fy22_churns) AS fy22_net_retention_rate,\n  @nrr(fy23_mrr, fy23_expansions, fy23_churns) AS fy23_net_retention_rate,\nFROM\n  some.revenue")
C("def_lambda_nested", DOC, f"{DOC}#macro-functions (container_volume)",
  "@DEF(area, r -> pi() * r * r);\n@DEF(container_volume, (r, h) -> @area(@r) * h);\n\n"
  "SELECT container_id, @container_volume((cont_di / 2), cont_hi) AS volume")
FVNOTE = ("the test parses the query in sqlglot's generic dialect (nulls first) and so expects ORDER BY y NULLS FIRST "
          "in duckdb; read as DuckDB SQL, as here, ORDER BY y stays as written")
C("def_lambda_first_value", TM, "test_macro_first_value_ignore_respect_nulls (IGNORE NULLS)",
  "@DEF(test, x -> x); SELECT FIRST_VALUE(@test(x) IGNORE NULLS) OVER (ORDER BY y) AS column_test", note=FVNOTE)
C("def_lambda_first_value_respect", TM, "test_macro_first_value_ignore_respect_nulls (RESPECT NULLS)",
  "@DEF(test, x -> x); SELECT FIRST_VALUE(@test(x) RESPECT NULLS) OVER (ORDER BY y) AS column_test", note=FVNOTE)
C("def_list", DOC, f"{DOC}#each (@DEF list fed to @EACH)",
  "@DEF(cols, [a, b, c]); SELECT @EACH(@cols, x -> x) FROM t")
C("def_overrides_var", DOC, f"{DOC}#local-variables (local beats global)",
  "@DEF(size, 2); SELECT * FROM t WHERE item_size > @size", vars={"size": 1})
C("def_eval_var", DOC, f"{DOC}#eval", "@DEF(x, 1);\n\nSELECT\n  @EVAL(5 + @x) as my_six\nFROM table")
C("def_where_vars", DOC, f"{DOC}#how-sql-clause-operators-work (@left_number < @right_number)",
  "@DEF(left_number, 1);\n@DEF(right_number, 2);\n@DEF(size, 1);\n\nSELECT\n  item_id,\n  count(distinct id) AS num_orders,\nFROM\n  sqlmesh_example.incremental_model\n@WHERE(@left_number < @right_number) item_id > @size\nGROUP BY item_id")

# ---- @{name} identifiers and @'...' templates --------------------------------------------------
C("ident_quoted", TM, f"{TF}['\"is_@{{x}}\"']", 'SELECT "is_@{x}"', vars={"x": "b"}, note=WRAP)
C("ident_prefix", TM, f"{TF}['@{{x}}_is']", "SELECT @{x}_is", vars={"x": "b"}, note=WRAP)
C("ident_two", TM, f"{TF}['@{{x}}_@{{y}}']", "SELECT @{x}_@{y}", vars={"x": "b", "y": "c"}, note=WRAP)
C("ident_brace_then_plain", TM, f"{TF}['@{{x}}_@y']", "SELECT @{x}_@y", vars={"x": "b", "y": "c"}, note=WRAP)
C("ident_schema", DOC, f"{DOC}#embedding-variables-in-strings (@{{schema}}.table)",
  "SELECT * FROM @{schema}.some_table", vars={"schema": "analytics"})
C("ident_middle", DOC, f"{DOC}#each (my_@{{x}}_column)", "SELECT my_@{x}_column FROM t", vars={"x": "a"})
C("blueprint_style", DOC, f"{DOC}#blueprint-variables (customer1)",
  "SELECT\n  @field_a,\n  @{field_b} AS field_b,\n  @field_c AS @{field_c}\nFROM @customer.some_source",
  vars={"customer": "customer1", "field_a": "x", "field_b": "y", "field_c": "foo"},
  note="blueprint values given as variables; field_a is a string here so @field_a renders 'x' (in a blueprint `x` is parsed as a column)")
C("str_template", TM, "test_macro_str_replace", "SELECT @'@val1, @val2'",
  vars={"val1": "one", "val2": "two"}, note=WRAP)
C("str_template_braces", TM, "test_macro_var (@'s3://example/foo_@{x}.csv')",
  "SELECT @'s3://example/foo_@{x}.csv' AS path", vars={"x": 1},
  note="the test uses it in a Snowflake COPY INTO; here in a SELECT")

# ---- @EACH ------------------------------------------------------------------------------------
C("each_lambda_vars", TM, f"{TF}[select @each(['a', 'b'], x -> @x + @{{x}}_z + @y + @{{y}}_@{{x}})]",
  "@DEF(y, 'c'); select @each(['a', 'b'], x -> @x + @{x}_z + @y + @{y}_@{x})",
  note="the test's y is an evaluator local, written here as @DEF. With y as a project variable SQLMesh leaves "
       "@y unexpanded inside the lambda (its lambda substitution looks only at locals), which is not worth copying")
C("each_lambda_time_var", VARDOC, "predefined variables inside an @EACH lambda",
  "SELECT @EACH([a, b], x -> x > @start_ds) FROM t", **T)
C("each_upper_ref", TM, f"{TF}[select @each(['a'], x -> @X)]", "select @each(['a'], x -> @X)")
C("each_upper_param", TM, f"{TF}[select @each(['a'], X -> @x)]", "select @each(['a'], X -> @x)")
C("each_tuple_args", TM, f"{TF}[select @each([(a, b), (c, d)], (x, y) -> x as y)]",
  "select @each([(a, b), (c, d)], (x, y) -> x as y)")
C("each_alias_ident", TM, f"{TF}[select @each(['a', 'b'], x -> x = y as is_@{{x}})]",
  "select @each(['a', 'b'], x -> x = y as is_@{x})")
C("each_columns", TM, f"{TF}[select @EACH([a, b], x -> x)]", "select @EACH([a, b], x -> x)")
C("each_sql_var", TM, f"{TF}[select @EACH([a, b, c], x -> x and @SQL('@y'))]",
  "select @EACH([a, b, c], x -> x and @SQL('@y'))", vars={"y": "z"})
C("each_sql_identifier", TM, f"{TF}[select @EACH([a, b, c], x -> column like x AS @SQL('@{{x}}_y', 'Identifier')), @x]",
  "select @EACH([a, b, c], x -> column like x AS @SQL('@{x}_y', 'Identifier')), @x", vars={"x": "3"})
C("each_array_item", TM, f"{TF}[SELECT @EACH([1], a -> [@a])]", "SELECT @EACH([1], a -> [@a])", note=ARRNOTE)
C("each_array_items", TM, f"{TF}[SELECT @EACH([1, 2], a -> [@a])]", "SELECT @EACH([1, 2], a -> [@a])", note=ARRNOTE)
C("each_order_by_var", TM, f"{TF}[select * from x ORDER BY @EACH(@x, c -> c)]",
  "select * from x ORDER BY @EACH(@x, c -> c)", vars={"x": ["a", "b"]},
  note="the test's x is [column a, column b]; a JSON list of strings gives string literals 'a', 'b'")
C("each_values", TM, f"{TF}[SELECT * FROM (VALUES @EACH([1, 2, 3], v -> (v)) ) AS v]",
  "SELECT * FROM (VALUES @EACH([1, 2, 3], v -> (v)) ) AS v")
C("each_values_paren", TM, f"{TF}[SELECT * FROM (VALUES (@EACH([1, 2, 3], v -> (v))) ) AS v]",
  "SELECT * FROM (VALUES (@EACH([1, 2, 3], v -> (v))) ) AS v")
C("each_values_eval", TM, f"{TF}[SELECT * FROM (VALUES @EACH([1, 2, 3], v -> (v, @EVAL(@v + 1))) ) AS v]",
  "SELECT * FROM (VALUES @EACH([1, 2, 3], v -> (v, @EVAL(@v + 1))) ) AS v")
C("each_values_eval_paren", TM, f"{TF}[SELECT * FROM (VALUES (@EACH([1, 2, 3], v -> (v, @EVAL(@v + 1)))) ) AS v]",
  "SELECT * FROM (VALUES (@EACH([1, 2, 3], v -> (v, @EVAL(@v + 1)))) ) AS v")
C("each_doc_identity", DOC, f"{DOC}#each (number -> number)", "SELECT\n  @EACH([4, 5, 6], number -> number)\nFROM table")
C("each_doc_case", DOC, f"{DOC}#each (CASE WHEN)",
  "SELECT\n  @EACH([4,5,6], x -> CASE WHEN favorite_number = x THEN 1 ELSE 0 END as column)\nFROM table")
C("each_doc_case_quoted", DOC, f"{DOC}#each (quoted items)",
  "SELECT\n  @EACH(['4','5','6'], x -> CASE WHEN favorite_number = x THEN 1 ELSE 0 END as column)\nFROM table")
C("each_doc_suffix", DOC, f"{DOC}#each (column_@x)",
  "SELECT\n  @EACH(['4','5','6'], x -> CASE WHEN favorite_number = x THEN 1 ELSE 0 END as column_@x)\nFROM table")
C("each_plus_one", MP, "each (x -> x + 1)", "SELECT @EACH([1, 2], x -> x + 1)",
  note="@EACH substitutes, it does not compute: 1 + 1, 2 + 1")

# ---- @IF / @EVAL ------------------------------------------------------------------------------
C("if_true", TM, f"{TF}[select @if(TRUE, 1, 0)]", "select @if(TRUE, 1, 0)")
C("if_false", TM, f"{TF}[select @if(FALSE, 1, 0)]", "select @if(FALSE, 1, 0)")
C("if_compare", TM, f"{TF}[select @if(1 > 0, 1, 0)]", "select @if(1 > 0, 1, 0)")
C("if_dropped", TM, f"{TF}[select @if('a' = 'b', c), d]", "select @if('a' = 'b', c), d")
C("if_doctest", MP, "doctest: if_ (@IF('a' = 1, a, b))", "SELECT @IF('a' = 1, a, b)", note=WRAP)
C("if_doc_true", DOC, f"{DOC}#if (1 > 0, sensitive_col)", "SELECT\n  col1,\n  @IF(1 > 0, sensitive_col)\nFROM table")
C("if_doc_false", DOC, f"{DOC}#if (1 > 2, ..., nonsensitive_col)",
  "SELECT\n  col1,\n  @IF(1 > 2, sensitive_col, nonsensitive_col)\nFROM table")
C("if_between", DOC, f"{DOC}#if (2 BETWEEN 1 AND 3)", "SELECT @IF(2 BETWEEN 1 AND 3, a, b) FROM t")
C("if_in", DOC, f"{DOC}#if ('a' IN ('a', 'b'))", "SELECT @IF('a' IN ('a', 'b'), a, b) FROM t")
C("if_not_equal", DOC, f"{DOC}#if ('a' != 'b')", "SELECT @IF('a' != 'b', a, b) FROM t")
C("if_var", DOC, f"{DOC}#if (condition on a variable)", "SELECT @IF(@my_value > 5, big, small) FROM t",
  vars={"my_value": 6})
C("eval_doctest", MP, "doctest: eval_ (@EVAL(1 + 1))", "SELECT @EVAL(1 + 1)", note=WRAP)

# ---- @SQL / @REDUCE / @FILTER -----------------------------------------------------------------
C("sql_reduce", TM, f"{TF}[@SQL(@REDUCE([100, 200, 300, 400], (x,y) -> x + y))]",
  "SELECT @SQL(@REDUCE([100, 200, 300, 400], (x,y) -> x + y))", note=WRAP)
C("sql_reduce_filter", TM, f"{TF}[@SQL(@REDUCE(@FILTER([100, 200, 300, 400], x -> x > 250), (x,y) -> x + y))]",
  "SELECT @SQL(@REDUCE(@FILTER([100, 200, 300, 400], x -> x > 250), (x,y) -> x + y))", note=WRAP)
C("sql_table", TM, "test_ast_correctness", "SELECT * FROM @SQL('@x')", vars={"x": "y"})
C("sql_dict", TM, f"{TF}[select @SQL('@x')]", "select @SQL('@x')", vars={"x": {"a": 1}},
  note="a dict variable converts to sqlglot's VAR_MAP; the test expects VAR_MAP('a', 1), duckdb renders MAP(['a'], [1])")
C("reduce_and_sql", TM, f"{TF}[select @REDUCE([a, b, c], (x, y) -> x and y and @SQL('@z'))]",
  "select @REDUCE([a, b, c], (x, y) -> x and y and @SQL('@z'))", vars={"z": "z2"})
C("reduce_each_or", TM, f"{TF}[select @REDUCE(@EACH([a, b, c], x -> column like x), (x, y) -> x or y)]",
  "select @REDUCE(@EACH([a, b, c], x -> column like x), (x, y) -> x or y)")
C("reduce_single", TM, f"{TF}[SELECT @REDUCE([1], (x, y) -> x + y)]", "SELECT @REDUCE([1], (x, y) -> x + y)")
C("reduce_two", TM, f"{TF}[SELECT @REDUCE([1, 2], (x, y) -> x + y)]", "SELECT @REDUCE([1, 2], (x, y) -> x + y)")
C("reduce_nested_single", TM, f"{TF}[SELECT @REDUCE([[1]], (x, y) -> x + y)]", "SELECT @REDUCE([[1]], (x, y) -> x + y)", note=ARRNOTE)
C("reduce_nested_pair", TM, f"{TF}[SELECT @REDUCE([[1, 2]], (x, y) -> x + y)]", "SELECT @REDUCE([[1, 2]], (x, y) -> x + y)", note=ARRNOTE)
C("reduce_each_single_array", TM, f"{TF}[SELECT @REDUCE(@EACH([1], a -> [@a]), (x, y) -> x + y)]",
  "SELECT @REDUCE(@EACH([1], a -> [@a]), (x, y) -> x + y)", note=ARRNOTE)
C("reduce_each_arrays", TM, f"{TF}[SELECT @REDUCE(@EACH([1, 2], a -> [@a]), (x, y) -> x + y)]",
  "SELECT @REDUCE(@EACH([1, 2], a -> [@a]), (x, y) -> x + y)", note=ARRNOTE)
C("reduce_arrays", TM, f"{TF}[SELECT @REDUCE([[1],[2]], (x, y) -> x + y)]", "SELECT @REDUCE([[1],[2]], (x, y) -> x + y)", note=ARRNOTE)
C("filter_reduce_doctest", MP, "doctest: filter_ (@REDUCE(@FILTER([1, 2, 3], x -> x > 1), ...))",
  "SELECT @REDUCE(@FILTER([1, 2, 3], x -> x > 1), (x, y) -> x + y)", note=WRAP)
C("filter_eval_doctest", MP, "doctest: filter_ (@EVAL(@REDUCE(@FILTER(...))))",
  "SELECT @EVAL(@REDUCE(@FILTER([1, 2, 3], x -> x > 1), (x, y) -> x + y))", note=WRAP)
C("reduce_doctest", MP, "doctest: reduce_", "SELECT @SQL(@REDUCE([100, 200, 300, 400], (x, y) -> x + y))", note=WRAP)
C("reduce_doc_where", DOC, f"{DOC}#reduce (WHERE from @EACH and @REDUCE)",
  "SELECT\n  my_column\nFROM\n  table\nWHERE\n  @REDUCE(\n    @EACH([col1, col2, col3], x -> x = 1),\n    (x, y) -> x AND y\n  )")
C("filter_each", DOC, f"{DOC}#filter (@FILTER fed to @EACH)",
  "SELECT @EACH(@FILTER([1, 2, 3], x -> x > 1), y -> y * 10) FROM t")

# ---- @AND / @OR -------------------------------------------------------------------------------
for slug, expr in (("or_null_true", "@OR(NULL, TRUE)"), ("or_null_null", "@OR(NULL, NULL)"),
                   ("or_null", "@OR(NULL)"), ("or_empty", "@OR()"), ("and_true_null", "@AND(TRUE, NULL)")):
    C(slug, TM, f"{TF}[{expr}]", f"SELECT {expr}", note=WRAP)
C("and_where", MP, "and_ (conditions, NULLs dropped)", "SELECT * FROM t WHERE @AND(a > 1, NULL, b < 2)")
C("or_where", MP, "or_ (conditions, NULLs dropped)", "SELECT * FROM t WHERE @OR(a > 1, NULL, b < 2)")
C("and_if", DOC, f"{DOC}#and (with @IF producing NULL)",
  "SELECT * FROM t WHERE @AND(a > 1, @IF(1 > 2, b < 2))")

# ---- clause operators -----------------------------------------------------------------------
CL = [
    ("with", "@WITH(@do_with) all_cities as (select * from city) select all_cities", "do_with"),
    ("join_left_outer", "select * from city left outer @JOIN(@do_join) country on city.country = country.name", "do_join"),
    ("join", "select * from city @JOIN(@do_join) country on city.country = country.name", "do_join"),
    ("where", "select * from city @WHERE(@do_where) population > 100 and country = 'Mexico'", "do_where"),
    ("group_by", "select * from city @GROUP_BY(@do_group) country, population", "do_group"),
    ("having", "select * from city group by country @HAVING(@do_having) population > 100 and country = 'Mexico'", "do_having"),
    ("order_by", "select * from city @ORDER_BY(@do_order) population, name DESC", "do_order"),
    ("limit", "select * from city @LIMIT(@do_limit) 10", "do_limit"),
]
for slug, sql, var in CL:
    for val in (True, False):
        C(f"clause_{slug}_{str(val).lower()}", TM, f"{TF}[{sql}-{{'{var}': {val}}}]", sql, vars={var: val})
C("clause_where_expr_true", TM, f"{TF}[@WHERE(@x > 5)-{{'x': 6}}]",
  "select * from city @WHERE(@x > 5) population > 100 and country = 'Mexico'", vars={"x": 6})
C("clause_where_expr_false", TM, f"{TF}[@WHERE(@x > 5)-{{'x': 5}}]",
  "select * from city @WHERE(@x > 5) population > 100 and country = 'Mexico'", vars={"x": 5})
C("clause_having_doctest", MP, "doctest: _optional_expression (@HAVING(True))",
  "select * from city group by country @HAVING(True) population > 100 and country = 'Mexico'")
C("clause_doc_where", DOC, f"{DOC}#where-operator", "SELECT *\nFROM all_cities\n@WHERE(True) city_name = 'Toronto'")
C("clause_doc_order_by", DOC, f"{DOC}#order_by-operator", "SELECT *\nFROM all_cities\n@ORDER_BY(True) city_pop")
C("clause_doc_limit", DOC, f"{DOC}#limit-operator", "SELECT *\nFROM all_cities\n@LIMIT(True) 10")
C("clause_doc_group_by", DOC, f"{DOC}#group_by-operator", "SELECT *\nFROM all_cities\n@GROUP_BY(True) city_id")
C("clause_doc_where_1_lt_2", DOC, f"{DOC}#how-sql-clause-operators-work (@WHERE(1 < 2))",
  "@DEF(size, 1);\n\nSELECT\n  item_id,\n  count(distinct id) AS num_orders,\nFROM\n  sqlmesh_example.incremental_model\n@WHERE(1 < 2) item_id > @size\nGROUP BY item_id")

# ---- @STAR --------------------------------------------------------------------------------------
FOO = {"foo": {"a": "VARCHAR", "b": "VARCHAR", "c": "VARCHAR", "d": "INTEGER"}}
C("star_doctest", MP, "doctest: star", "SELECT @STAR(foo, bar, exclude := [c], prefix := 'baz_') FROM foo AS bar",
  schema=FOO, note="types given as DuckDB types (VARCHAR for the doctest's string)")
C("star_doc_prefix_suffix", DOC, f"{DOC}#star (prefix and suffix)",
  "SELECT\n  @STAR(foo, bar, [c], 'baz_', '_qux')\nFROM foo AS bar", schema=FOO)
C("star_plain", TM, "test_star (SELECT @STAR(foo) FROM foo)", "SELECT @STAR(foo) FROM foo",
  schema={"foo": {"a": "DATE", "b": "INTEGER"}},
  note="test_star is per-dialect (tsql/snowflake); the same input rendered for duckdb")
C("star_exclude", TM, "test_star (exclude := [SomeColumn])", "SELECT @STAR(foo, exclude := [SomeColumn]) FROM foo",
  schema={"foo": {"a": "VARCHAR", "somecolumn": "INTEGER"}},
  note="databricks in the test; duckdb normalizes SomeColumn to lower case too")
C("star_alias_kw", TM, "test_star (alias := \"bar\")", 'SELECT @STAR(foo, alias := "bar") FROM foo "bar"',
  schema={"foo": {"a": "DATE", "b": "INTEGER"}}, note="test_star is per-dialect (tsql/snowflake); the same input rendered for duckdb")
C("star_quoted_table", TM, "test_star (@STAR(\"foo\"))", 'SELECT @STAR("foo") FROM "foo"',
  schema={"foo": {"a": "DATE", "b": "INTEGER"}}, note="test_star is per-dialect (tsql/snowflake); the same input rendered for duckdb")
C("star_unquoted_ids", MP, "star (quote_identifiers := FALSE)",
  "SELECT @STAR(foo, quote_identifiers := FALSE) FROM foo", schema={"foo": {"a": "DATE", "b": "INTEGER"}})
C("star_suffix_kw", MP, "star (suffix := '_x')", "SELECT @STAR(foo, suffix := '_x') FROM foo",
  schema={"foo": {"a": "DATE", "b": "INTEGER"}})
C("star_doc_positional_after_kw", DOC, f"{DOC}#star (exclude := [c, d], 'ab_pre_')",
  "SELECT\n  @STAR(foo, bar, exclude := [c, d], 'ab_pre_'),\n  @STAR(foo, bar, exclude := [a, b, c], 'd_pre_'),\n  my_column\nFROM foo AS bar",
  schema=FOO, error="Positional argument cannot follow keyword argument",
  note="the doc shows a render, but SQLMesh's code (MacroEvaluator.evaluate) rejects a positional argument after a keyword one; code wins")
C("star_doc_kw", DOC, f"{DOC}#star (two @STARs, keyword arguments)",
  "SELECT\n  @STAR(foo, bar, exclude := [c, d], prefix := 'ab_pre_'),\n  @STAR(foo, bar, exclude := [a, b, c], prefix := 'd_pre_'),\n  my_column\nFROM foo AS bar",
  schema=FOO, note="the doc's example with the prefix passed by keyword, as SQLMesh's code requires")

# ---- @UNION -------------------------------------------------------------------------------------
UN = {"foo": {"a": "INTEGER", "b": "VARCHAR", "c": "VARCHAR"}, "bar": {"c": "VARCHAR", "a": "INTEGER", "b": "INTEGER"}}
C("union_distinct", MP, "doctest: union ('distinct', foo, bar)", "@UNION('distinct', foo, bar)", schema=UN)
C("union_true_distinct", MP, "doctest: union (True, 'distinct', foo, bar)", "@UNION(True, 'distinct', foo, bar)", schema=UN)
C("union_all_default", DOC, f"{DOC}#union (@UNION(foo, bar))", "@UNION(foo, bar)", schema=UN)
C("union_cond_true", DOC, f"{DOC}#union (1 > 0, 'all')", "@UNION(1 > 0, 'all', foo, bar)", schema=UN)
C("union_cond_false", DOC, f"{DOC}#union (1 > 2, 'all')", "@UNION(1 > 2, 'all', foo, bar)", schema=UN)
C("union_invalid_type", MP, "union (Invalid type)", "@UNION('sometimes', foo, bar)", schema=UN,
  error="Invalid type")
C("union_in_select", MP, "union (used as a subquery)", "SELECT * FROM (@UNION(foo, bar)) AS u", schema=UN)

# ---- @GENERATE_SURROGATE_KEY / SAFE_* / HAVERSINE / PIVOT --------------------------------------
C("surrogate_key", MP, "doctest: generate_surrogate_key", "SELECT @GENERATE_SURROGATE_KEY(a, b, c) FROM foo",
  note="the doctest is bigquery (TO_HEX(MD5(CONCAT(...)))); duckdb renders MD5(... || ...)")
C("surrogate_key_sha256", MP, "doctest: generate_surrogate_key (hash_function := 'SHA256')",
  "SELECT @GENERATE_SURROGATE_KEY(a, b, c, hash_function := 'SHA256') FROM foo",
  note="bigquery in the doctest; duckdb renders SHA256(... || ...)")
C("surrogate_key_doc", DOC, f"{DOC}#generate_surrogate_key", "SELECT\n  @GENERATE_SURROGATE_KEY(a, b, c) AS col\nFROM foo",
  note="the doc shows the optimized render (quoted, FROM \"foo\" AS \"foo\"); this is the macro expansion")
C("safe_add", MP, "doctest: safe_add", "SELECT @SAFE_ADD(a, b) FROM foo")
C("safe_sub", MP, "doctest: safe_sub", "SELECT @SAFE_SUB(a, b) FROM foo")
C("safe_div", MP, "doctest: safe_div", "SELECT @SAFE_DIV(a, b) FROM foo")
C("safe_add_three", DOC, f"{DOC}#safe_add", "SELECT\n  @SAFE_ADD(a, b, c)\nFROM foo")
C("safe_sub_three", DOC, f"{DOC}#safe_sub", "SELECT\n  @SAFE_SUB(a, b, c)\nFROM foo")
C("haversine", MP, "doctest: haversine_distance",
  "SELECT @HAVERSINE_DISTANCE(driver_y, driver_x, passenger_y, passenger_x, 'mi') FROM rides")
C("haversine_doc", DOC, f"{DOC}#haversine_distance",
  "SELECT\n  @HAVERSINE_DISTANCE(driver_y, driver_x, passenger_y, passenger_x, 'mi') AS dist\nFROM rides")
C("haversine_km", MP, "haversine_distance (unit 'km')",
  "SELECT @HAVERSINE_DISTANCE(lat1, lon1, lat2, lon2, 'km') AS dist FROM rides")
C("haversine_default_unit", MP, "haversine_distance (default unit)",
  "SELECT @HAVERSINE_DISTANCE(lat1, lon1, lat2, lon2) AS dist FROM rides")
C("haversine_bad_unit", MP, "haversine_distance (Invalid unit)",
  "SELECT @HAVERSINE_DISTANCE(lat1, lon1, lat2, lon2, 'ft') FROM rides", error="Invalid unit")
C("pivot", MP, "doctest: pivot", "SELECT date_day, @PIVOT(status, ['cancelled', 'completed']) FROM rides GROUP BY 1")
C("pivot_options", MP, "doctest: pivot (then_value, suffix, quote := FALSE)",
  "SELECT @PIVOT(a, ['v'], then_value := tv, suffix := '_sfx', quote := FALSE)",
  note="bigquery in the doctest; same render in duckdb")
C("pivot_doc", DOC, f"{DOC}#pivot", "SELECT\n  date_day,\n  @PIVOT(status, ['cancelled', 'completed'])\nFROM rides\nGROUP BY 1",
  note="the doc shows aliases \"'cancelled'\"; the code (value.name) gives \"cancelled\", as the doctest")
C("pivot_agg_cmp_prefix", MP, "pivot (agg, cmp, prefix)",
  "SELECT @PIVOT(status, ['a', 'b'], agg := 'COUNT', cmp := '<>', prefix := 'not_') FROM rides")
C("pivot_no_alias", MP, "pivot (alias := FALSE)", "SELECT @PIVOT(status, [1, 2], alias := FALSE) FROM rides")

# ---- @DEDUPLICATE ------------------------------------------------------------------------------
C("deduplicate", TM, "test_deduplicate[duckdb]",
  "\n@deduplicate(\n    my_table,\n    [user_id, CAST(timestamp AS DATE)],\n    ['timestamp DESC', 'status ASC nulls last']\n)\n",
  expected_override="SELECT * FROM my_table QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id, CAST(timestamp AS DATE) ORDER BY timestamp DESC, status ASC NULLS LAST) = 1",
  note="the test's string: sqlglot drops the explicit NULLS LAST (the duckdb default) but DuckDB's parse tree keeps it, so the expectation keeps it as written")
C("deduplicate_doctest", MP, "doctest: deduplicate",
  "@deduplicate(demo.table, [user_id, cast(timestamp as date)], ['timestamp desc', 'status asc'])")
C("deduplicate_doc_cte", DOC, f"{DOC}#deduplicate",
  "with raw_data as (\n@deduplicate(my_table, [id, cast(event_date as date)], ['event_date DESC', 'status ASC'])\n)\n\nselect * from raw_data",
  note="the doc shows the optimized render; this is the macro expansion")
C("deduplicate_err_partition", TM, "test_deduplicate_error_handling (non-list partition_by)",
  "@deduplicate(my_table, user_id, ['timestamp DESC'])", error="partition_by must be a list of columns")
C("deduplicate_err_order", TM, "test_deduplicate_error_handling (non-list order_by)",
  "@deduplicate(my_table, [user_id], 'timestamp DESC')", error="order_by must be a list of strings")
C("deduplicate_err_empty_order", TM, "test_deduplicate_error_handling (empty order_by)",
  "@deduplicate(my_table, [user_id], [])", error="order_by must be a list of strings")

# ---- @DATE_SPINE -------------------------------------------------------------------------------
for part in ("day", "week", "month", "quarter", "year"):
    C(f"date_spine_{part}", TM, f"test_date_spine[duckdb-{part}]",
      f"\n        @date_spine(\n            '{part}',\n            '2022-01-01',\n            '2024-12-31'\n        )\n        ")
C("date_spine_doctest", MP, "doctest: date_spine", "@date_spine('week', '2022-01-20', '2024-12-16')",
  note="the doctest renders the generic dialect (GENERATE_DATE_ARRAY); for duckdb sqlglot writes GENERATE_SERIES cast to DATE[]")
C("date_spine_doc_cte", DOC, f"{DOC}#date_spine",
  "WITH discount_promotion_dates AS (\n  @date_spine('day', '2024-01-01', '2024-01-16')\n)\n\nSELECT * FROM discount_promotion_dates",
  note="the doc shows the optimized render; this is the macro expansion")
C("date_spine_err_part", TM, "test_date_spine_error_handling (invalid datepart)",
  "@date_spine('invalid', '2022-01-01', '2024-12-31')", error="Invalid datepart 'invalid'")
C("date_spine_err_start", TM, "test_date_spine_error_handling (invalid start_date)",
  "@date_spine('day', '2022/01/01', '2024-12-31')", error="Invalid date format")
C("date_spine_err_end", TM, "test_date_spine_error_handling (invalid end_date)",
  "@date_spine('day', '2022-01-01', '2024/12/31')", error="Invalid date format")
C("date_spine_err_range", TM, "test_date_spine_error_handling (start after end)",
  "@date_spine('day', '2024-12-31', '2022-01-01')", error="Invalid date range")

# ---- @RESOLVE_TEMPLATE --------------------------------------------------------------------------
RT = "test_catalog.sqlmesh__test.test__test_model__2517971505"
C("resolve_template_literal", TM, "test_resolve_template_literal (evaluating)",
  "SELECT @resolve_template('s3://data-bucket/prod/@{catalog_name}/@{schema_name}/@{table_name}')",
  this_model=RT, note=WRAP)
C("resolve_template_table", TM, "test_resolve_template_table",
  "SELECT * FROM @resolve_template('@{catalog_name}.@{schema_name}.@{table_name}$partitions', mode := 'table')",
  this_model=RT, note="the test renders with identify=True; the $ makes the table name need quoting")

# ---- refusals: Python macros and Jinja ----------------------------------------------------------
NS = ["not supported", "does not exist"]
PYNOTE = "a Python macro in SQLMesh (defined in the test fixture / docs); our engine has no Python: refused"
for slug, test, sql in (
    ("py_upper", f"{TF}[@UPPER(x) + 2]", "SELECT @UPPER(x) + 2"),
    ("py_filter_country", f"{TF}[@FILTER_COUNTRY(continent = 'NA', 'USA')]", "SELECT * FROM t WHERE @FILTER_COUNTRY(continent = 'NA', 'USA')"),
    ("py_bitshift_square", f"{TF}[@BITSHIFT_SQUARE(50, '3')]", "SELECT @BITSHIFT_SQUARE(50, '3')"),
    ("py_repeated", "test_positional_follows_kwargs", "SELECT @repeated(x, multi := True, 3)"),
    ("py_noop", "test_macro_returns_none", "SELECT @NOOP()"),
    ("py_test_select_macro", "test_macro_union", "SELECT 1 AS col UNION ALL @TEST_SELECT_MACRO()"),
):
    C(slug, TM, test, sql, error=NS, note=PYNOTE)
C("py_add_one", MP, "macro docstring (add_one)", "SELECT @add_one(col) FROM t", error=NS, note=PYNOTE)
C("py_print_text", DOC, f"{DOC}#macro-function-basics (print_text)",
  "SELECT\n  @print_text() as my_text\nFROM table", error=NS, note=PYNOTE)
C("jinja_query", "docs/concepts/macros/jinja_macros.md", "JINJA_QUERY_BEGIN",
  "JINJA_QUERY_BEGIN;\nSELECT {{ 1 + 1 }} AS two;\nJINJA_END;", error="jinja",
  note="Jinja cannot run here: refused, the error names it")
C("jinja_braces", "docs/concepts/macros/jinja_macros.md", "{{ }} in a SQL model",
  "SELECT * FROM t WHERE ds > '{{ start_ds }}'", error="jinja",
  note="Jinja cannot run here: refused, the error names it")


# ---- more (appended so that the numbers above stay put) --------------------------------------
C("each_varargs", MP, "each (items as varargs: _norm_var_arg_lambda)", "SELECT @EACH(a, b, c, x -> x + 1) FROM t")
C("reduce_varargs", MP, "reduce_ (items as varargs)", "SELECT @REDUCE(a, b, c, (x, y) -> x * y) FROM t")
C("filter_varargs", MP, "filter_ (items as varargs)", "SELECT @EACH(@FILTER(1, 2, 3, 4, x -> x >= 3), x -> x) FROM t")
C("each_if_inside", DOC, f"{DOC}#if (inside an @EACH lambda)",
  "SELECT @EACH([1, 2, 3], x -> @IF(@x > 1, big_@x, small_@x)) FROM t")
C("each_ident_int", DOC, f"{DOC}#each (col_@{{x}} with numbers)", "SELECT @EACH([1, 2], x -> c AS col_@{x}) FROM t")
C("each_var_strings_ident", DOC, f"{DOC}#each (variable list, @{{x}} identifiers)",
  "SELECT @EACH(@VAR('cols'), x -> @{x}) FROM t", vars={"cols": ["a", "b"]})
C("each_in_where_reduce_or", DOC, f"{DOC}#reduce (OR of @EACH predicates)",
  "SELECT * FROM t WHERE @REDUCE(@EACH(['x', 'y'], v -> kind = v), (a, b) -> a OR b)")
C("if_var_fn", DOC, f"{DOC}#global-variables (@VAR in @IF)",
  "SELECT @IF(@VAR('flag'), a, b) FROM t", vars={"flag": True})
C("if_var_fn_missing", DOC, f"{DOC}#global-variables (missing @VAR in @IF)",
  "SELECT @IF(@VAR('flag'), a, b) FROM t")
C("and_empty", MP, "and_ (no conditions -> TRUE)", "SELECT * FROM t WHERE @AND()")
C("and_nulls", MP, "and_ (only NULLs -> TRUE)", "SELECT * FROM t WHERE @AND(NULL, NULL)")
C("surrogate_key_one", MP, "generate_surrogate_key (one field)", "SELECT @GENERATE_SURROGATE_KEY(a) AS k FROM foo")
C("union_three", MP, "union (three tables)", "@UNION('all', foo, bar, baz)",
  schema={"foo": {"a": "INTEGER", "b": "VARCHAR"}, "bar": {"a": "INTEGER", "b": "VARCHAR"}, "baz": {"b": "VARCHAR", "a": "BIGINT"}})
C("star_in_cte", DOC, f"{DOC}#star (in a CTE, with other columns)",
  "WITH x AS (SELECT @STAR(foo, exclude := [b]), 1 AS one FROM foo) SELECT * FROM x",
  schema={"foo": {"a": "DATE", "b": "INTEGER", "c": "DOUBLE"}})
C("macro_var_dict", DOC, f"{DOC}#global-variables (dict_var)", "SELECT @dict_var AS d",
  vars={"dict_var": {"key1": 1, "key2": 2}}, note="a dict converts to sqlglot's VAR_MAP: a MAP in duckdb")
C("var_fn_dict", DOC, f"{DOC}#global-variables (@VAR('dict_var'))", "SELECT @VAR('dict_var') AS d",
  vars={"dict_var": {"key1": 1, "key2": 2}})
C("def_each_columns_alias", DOC, f"{DOC}#each (@DEF list of names, suffixed aliases)",
  "@DEF(metrics, [revenue, cost]);\nSELECT @EACH(@metrics, m -> SUM(m) AS total_@m) FROM sales")
C("def_then_time", VARDOC, "@DEF from a predefined variable",
  "@DEF(day, @start_ds);\nSELECT * FROM events WHERE ds = @day", **T)
C("this_model_in_each", VARDOC, "@this_model inside a macro call",
  "SELECT @IF(1 = 1, (SELECT MAX(ds) FROM @this_model)) AS last_ds", this_model=TMODEL)
C("py_test_executable", TM, "test_macro_custom (@TEST())", "SELECT @TEST()", error=NS, note=PYNOTE)
C("py_stamped", TM, f"{TF}[select * FROM @STAMPED('select a, b, c')]", "select * FROM @STAMPED('select a, b, c')",
  error=NS, note=PYNOTE)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".json"):
            os.remove(os.path.join(OUT, f))
    n = 0
    for i, case in enumerate(CASES, 1):
        slug = case.pop("slug")
        out = {k: case[k] for k in ("source", "test", "sql")}
        want_err = case.get("error")
        oracle_in = dict(case)
        if slug.startswith(("py_", "jinja_")):
            out["error"] = want_err
        else:
            try:
                rendered = oracle.render(oracle_in)
                err = None
            except Exception as e:  # noqa: BLE001
                rendered, err = None, str(e)
            if want_err:
                if err is None or want_err.lower() not in err.lower():
                    print(f"!! {slug}: want error {want_err!r}, SQLMesh gave {rendered!r} / {err!r}")
                out["error"] = want_err
            else:
                if err is not None:
                    print(f"!! {slug}: SQLMesh error {err!r}")
                    continue
                out["expected"] = case.get("expected_override", rendered)
        for k in ("vars", "schema", "start", "end", "execution_time", "this_model", "gateway", "model_kind_name", "note"):
            if k in case:
                out[k] = case[k]
        path = os.path.join(OUT, f"{i:03d}_{slug}.json")
        with open(path, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
        n += 1
    print(f"wrote {n} cases")


if __name__ == "__main__":
    main()
