"""A model file's statements besides its query, as SQLMesh runs them (statements.c):
pre-statements before the query and post-statements after it, rendered with the macro
renderer (@this_model the physical table, @runtime_stage 'creating' for a new version's
first batch, else 'evaluating') and run in the run's transaction, per batch;
ON_VIRTUAL_UPDATE_BEGIN; ... ON_VIRTUAL_UPDATE_END; run when the view moves to a new version
(@this_model the view, 'promoting'). SQLMesh: sqlmesh/core/model/definition.py
(_split_sql_model_statements, render_pre_statements/render_post_statements/
render_on_virtual_update), sqlmesh/core/snapshot/evaluator.py (_evaluate_snapshot,
_promote_snapshot), sqlmesh/core/dialect.py (parse)."""
from tproject import actions, new_scratch, q, write_files

LOG = "CREATE TABLE IF NOT EXISTS main.hook_log (model VARCHAR, what VARCHAR, stage VARCHAR, target VARCHAR, s VARCHAR);\n"


def log(what, extra=""):
    return (f"INSERT INTO main.hook_log VALUES ('m', '{what}', @runtime_stage, @'@this_model', @start_ds{extra});\n")


def hook_rows(s):
    return [(r["what"], r["stage"], r["target"], r["s"]) for r in
            q(s, "SELECT what, stage, target, s FROM main.hook_log ORDER BY rowid")]


FULL = {
    "models/s/t.sql":
        "MODEL (name s.t, kind FULL, start '2024-01-01');\n"
        + LOG + log("pre") +
        "SELECT 1 AS id, 'a;b' AS v -- a ';' in a string or a comment does not split\n;\n"
        + log("post") +
        "ON_VIRTUAL_UPDATE_BEGIN;\n"
        + log("ovu") +
        "ON_VIRTUAL_UPDATE_END;\n",
}


def test_pre_post_and_virtual_update_statements_run_around_the_query():
    # test_model.py::test_model_pre_post_statements (which statement is which),
    # test_snapshot_evaluator.py::test_on_virtual_update_statements (@this_model the view at promotion)
    s = new_scratch("transform-stmts", FULL)
    p = s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert actions(p.stdout) == {"s.t": "create"}, p.stdout
    assert q(s, "SELECT id, v FROM s.t") == [{"id": 1, "v": "a;b"}]
    rows = hook_rows(s)
    phys = q(s, "SELECT physical FROM _materia.models WHERE model = 's.t'")[0]["physical"]
    assert rows == [("pre", "creating", phys, "2024-01-01"), ("post", "creating", phys, "2024-01-01"),
                    ("ovu", "promoting", '"s"."t"', "2024-01-01")], rows
    # a refresh of the same version: 'evaluating', and no virtual update
    p = s.run("run", "--execution-time", "2024-01-04 12:00", check=0)
    assert actions(p.stdout) == {"s.t": "rebuild"}, p.stdout
    assert hook_rows(s)[3:] == [("pre", "evaluating", phys, "2024-01-01"),
                                ("post", "evaluating", phys, "2024-01-01")], hook_rows(s)
    s.cleanup()


def test_statements_are_fingerprinted():
    # definition.py _data_hash_values_sql: pre-/post-statements are part of the data hash
    s = new_scratch("transform-stmts", FULL)
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    write_files(s, {"models/s/t.sql": FULL["models/s/t.sql"].replace("'post'", "'post2'")})
    p = s.run("plan", "--execution-time", "2024-01-03 12:00", check=0)
    assert "changed    s.t" in p.stdout, p.stdout
    s.cleanup()


INCR = {
    "models/s/i.sql":
        "MODEL (name s.i, kind INCREMENTAL_BY_TIME_RANGE (time_column ts, batch_size 1), start '2024-01-01');\n"
        + LOG + log("pre") +
        "SELECT @start_ds::TIMESTAMP AS ts, 1 AS n;\n"
        + log("post"),
}


def test_statements_run_per_batch():
    # evaluator.py _evaluate_snapshot runs pre/post statements around each batch; scheduler.py:
    # batch_index > 0 means the table exists ('evaluating')
    s = new_scratch("transform-stmts", INCR)
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    st = [(r[0], r[1], r[3]) for r in hook_rows(s)]
    assert st == [("pre", "creating", "2024-01-01"), ("post", "creating", "2024-01-01"),
                  ("pre", "evaluating", "2024-01-02"), ("post", "evaluating", "2024-01-02"),
                  ("pre", "evaluating", "2024-01-03"), ("post", "evaluating", "2024-01-03")], st
    assert q(s, "SELECT count(*) AS n FROM s.i") == [{"n": 3}]
    s.cleanup()


def test_a_failing_statement_rolls_the_run_back():
    # the statements run in the model's transaction (evaluator.py: adapter.transaction())
    s = new_scratch("transform-stmts", {
        "models/s/t.sql": "MODEL (name s.t, kind FULL);\nCREATE TABLE main.made (x INT);\nSELECT 1 AS id;\n"
                          "SELECT * FROM no_such_table_anywhere_x;\n"})
    p = s.run("run", "--execution-time", "2024-01-03 12:00", check=None)
    assert p.returncode != 0
    assert "Only one SELECT query is allowed per model" in p.stderr, p.stderr
    write_files(s, {"models/s/t.sql": "MODEL (name s.t, kind FULL);\nCREATE TABLE main.made (x INT);\nSELECT 1 AS id;\n"
                                      "INSERT INTO no_such_table_anywhere_x VALUES (1);\n"})
    p = s.run("run", "--execution-time", "2024-01-03 12:00", check=None)
    assert p.returncode != 0
    assert "models/s/t.sql:4: post-statement failed" in p.stderr, p.stderr
    assert q(s, "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'made'") == [{"n": 0}]
    s.cleanup()


def test_header_without_semicolon():
    # sqlglot's parser splits at ';': a MODEL block that ends the file needs none (a SEED);
    # one followed by a query without ';' is "Invalid expression / Unexpected token"
    s = new_scratch("transform-stmts", {
        "models/s/seed.sql": "MODEL (name s.seed, kind SEED (path 'x.csv'))",
        "models/s/x.csv": "id\n1\n2\n"})
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert q(s, "SELECT count(*) AS n FROM s.seed") == [{"n": 2}]
    write_files(s, {"models/s/t.sql": "MODEL (name s.t, kind FULL)\nSELECT 1 AS id\n"})
    p = s.run("plan", "--execution-time", "2024-01-03 12:00", check=None)
    assert p.returncode != 0 and "models/s/t.sql:2: expected ';' after MODEL ( ... )" in p.stderr, p.stderr
    s.cleanup()


def test_a_statement_that_cannot_render_is_refused_at_plan():
    # a Python macro (sushi's marketing.sql @assert_has_columns post-statement) is refused by
    # name when the project loads, as the query's are
    s = new_scratch("transform-stmts", {
        "models/s/t.sql": "MODEL (name s.t, kind FULL);\nSELECT 1 AS id;\n@assert_has_columns(s.t, {id: 'int'})\n"})
    p = s.run("plan", "--execution-time", "2024-01-03 12:00", check=None)
    assert p.returncode != 0
    assert "models/s/t.sql:3: Python macro @assert_has_columns is not supported by materia" in p.stderr, p.stderr
    s.cleanup()


def test_session_properties_are_checked_and_have_no_effect_on_duckdb():
    # engine_adapter/base.py _begin_session is a no-op that DuckDBEngineAdapter does not
    # override; model/meta.py session_properties_validator's checks and messages
    # (test_model.py::test_session_properties_on_model_and_project, ...query_label...)
    s = new_scratch("transform-stmts", {
        "models/s/t.sql": "MODEL (name s.t, kind FULL,\n  session_properties (query_label = [('team', 'a')], "
                          "threads = 4, authorization = 'me'));\nSELECT 1 AS id\n"})
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert q(s, "SELECT id FROM s.t") == [{"id": 1}]
    for value, msg in [("(query_label = 'x')", "Invalid value for `session_properties.query_label`. Must be an "
                        "array or tuple."),
                       ("(query_label = [('a', 'b', 'c')])", "Invalid entry in `session_properties.query_label`. "
                        "Must be tuples of string literals with length 2."),
                       ("(authorization = 1)", "Invalid value for `session_properties.authorization`. Must be a "
                        "string literal."),
                       ("(threads)", "Invalid property 'threads'. Properties must be specified as key-value pairs "
                        "<key> = <value>.")]:
        write_files(s, {"models/s/t.sql": f"MODEL (name s.t, kind FULL,\n  session_properties {value});\nSELECT 1\n"})
        p = s.run("plan", "--execution-time", "2024-01-03 12:00", check=None)
        assert p.returncode == 1 and f"models/s/t.sql:2: {msg}" in p.stderr, (value, p.stderr)
    s.cleanup()


def test_which_statement_is_the_query():
    # definition.py _split_sql_model_statements: the query is an exp.Query (a parenthesised
    # union here); a WITH ... INSERT is not one, so it is a pre-statement; @DEF is a macro
    # definition every statement and the query see, wherever it is written
    # (definition.py macro_definitions: those of pre-, post- and on_virtual_update statements)
    s = new_scratch("transform-stmts", {
        "models/s/t.sql": "MODEL (name s.t, kind FULL);\n"
                          "CREATE TABLE IF NOT EXISTS main.w (x INT);\n"
                          "WITH v AS (SELECT @base AS x) INSERT INTO main.w SELECT x FROM v;\n"
                          "@DEF(k, 1);\n"
                          "(SELECT @k AS id) UNION ALL (SELECT x + @k FROM main.w WHERE @base = 41)\n;\n"
                          "@DEF(base, 41)  -- after both: every statement has every @DEF (macro_definitions)\n",
        # the table its pre-statement makes is not a model: declared, as materia wants
        "external_models.yaml": "- name: main.w\n  columns:\n    x: int\n"})
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert q(s, "SELECT id FROM s.t ORDER BY id") == [{"id": 1}, {"id": 42}]
    s.cleanup()


def test_the_model_name_in_a_statement_is_its_physical_table():
    # test_snapshot_evaluator.py::test_create_post_statements_use_non_deployable_table and
    # ::test_on_virtual_update_statements: in a post-statement `db.test_model` is the
    # physical table being built; in ON_VIRTUAL_UPDATE it is the view
    def files(rows):
        return {"models/s/t.sql": "MODEL (name s.t, kind FULL);\n"
                f"SELECT * FROM range({rows}) AS r(id);\n"
                "CREATE OR REPLACE TABLE main.post_n AS SELECT count(*) AS n FROM s.t;\n"
                "ON_VIRTUAL_UPDATE_BEGIN;\n"
                "CREATE OR REPLACE TABLE main.ovu_n AS SELECT count(*) AS n FROM s.t;\n"
                "ON_VIRTUAL_UPDATE_END;\n"}
    s = new_scratch("transform-stmts", files(1))
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert q(s, "SELECT n FROM main.post_n") == [{"n": 1}]
    write_files(s, files(3))
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    # the new version's 3 rows, not the old view's 1
    assert q(s, "SELECT n FROM main.post_n") == [{"n": 3}]
    assert q(s, "SELECT n FROM main.ovu_n") == [{"n": 3}]
    s.cleanup()


if __name__ == "__main__":
    from harness import main
    main([test_pre_post_and_virtual_update_statements_run_around_the_query, test_statements_are_fingerprinted,
          test_statements_run_per_batch, test_a_failing_statement_rolls_the_run_back, test_header_without_semicolon,
          test_a_statement_that_cannot_render_is_refused_at_plan,
          test_session_properties_are_checked_and_have_no_effect_on_duckdb, test_which_statement_is_the_query,
          test_the_model_name_in_a_statement_is_its_physical_table])
