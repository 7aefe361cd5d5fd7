"""A model's description and column descriptions become DuckDB comments on its physical table
and its view (transform/comments.c), as SQLMesh's DuckDB adapter registers them
(sqlmesh/core/engine_adapter/base.py _create_table_comment/_create_column_comments; DuckDB:
COMMENT_COMMAND_ONLY in engine_adapter/duckdb.py; snapshot/evaluator.py passes
model.description and model.column_descriptions), unless config.yaml's register_comments is
false (default true: config/connection.py BaseDuckDBConnectionConfig)."""
from tproject import new_scratch, q, write_files


def table_comment(s, schema, like):
    return [r["comment"] for r in q(s, f"SELECT comment FROM duckdb_tables() WHERE schema_name = '{schema}' "
                                       f"AND table_name LIKE '{like}'")]


def view_comment(s, schema, name):
    return [r["comment"] for r in q(s, f"SELECT comment FROM duckdb_views() WHERE schema_name = '{schema}' "
                                       f"AND view_name = '{name}'")]


def col_comments(s, schema, like):
    return {r["c"]: r["comment"] for r in q(s, f"SELECT column_name AS c, comment FROM duckdb_columns() WHERE "
                                               f"schema_name = '{schema}' AND table_name LIKE '{like}'")}


PROPS = {
    "models/s/t.sql":
        "MODEL (\n  name s.t,\n  kind FULL,\n  description 'Sushi customer data',\n"
        "  column_descriptions (\n    customer_id = 'customer_id uniquely identifies customers',\n"
        "    nope = 'no such column'\n  )\n);\n"
        "SELECT 1::INT AS customer_id, -- this comment should not be registered\n  'x' AS zip\n",
}


def test_description_and_column_descriptions():
    # sushi customers.sql: column_descriptions wins over inline comments (definition.py
    # column_descriptions: column_descriptions_ first); a name that is no column is a warning
    # (base.py _create_column_comments logs one when COMMENT ON fails)
    s = new_scratch("transform-comments", PROPS)
    p = s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert "column description for 'nope'" in p.stderr, p.stderr
    assert table_comment(s, "materia__s", "t__%") == ["Sushi customer data"]
    assert view_comment(s, "s", "t") == ["Sushi customer data"]
    want = {"customer_id": "customer_id uniquely identifies customers", "zip": None}
    assert col_comments(s, "materia__s", "t__%") == want, col_comments(s, "materia__s", "t__%")
    assert col_comments(s, "s", "t") == want, col_comments(s, "s", "t")
    # a FULL refresh replaces the table: its comments are registered again
    s.run("run", "--execution-time", "2024-01-04 12:00", check=0)
    assert table_comment(s, "materia__s", "t__%") == ["Sushi customer data"]
    assert col_comments(s, "materia__s", "t__%")["customer_id"] == "customer_id uniquely identifies customers"
    s.cleanup()


INLINE = {
    "models/s/m.sql":
        "-- Sushi marketing data\n-- (second line)\n"
        "MODEL (name s.m, kind INCREMENTAL_BY_TIME_RANGE (time_column ts), start '2024-01-01');\n"
        "SELECT\n  1::INT AS customer_id, -- customer_id uniquely identifies customers \\\n"
        "  'a'::TEXT AS status, /* the status */\n"
        "  -- a comment on a line of its own is not taken\n"
        "  @start_ds::TIMESTAMP AS ts -- the day\n"
        "FROM range(1)\n",
}


def test_inline_comments_and_leading_description():
    # sushi marketing.sql: the comment after a projection is its description (definition.py
    # column_descriptions: select.comments[-1].strip()); the comments before MODEL are the
    # description (load_sql_based_model: rendered_meta.comments joined by newlines)
    s = new_scratch("transform-comments", INLINE)
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert table_comment(s, "materia__s", "m__%") == ["Sushi marketing data\n(second line)"]
    assert col_comments(s, "materia__s", "m__%") == {
        "customer_id": "customer_id uniquely identifies customers \\", "status": "the status", "ts": "the day"}
    assert col_comments(s, "s", "m")["ts"] == "the day"
    s.cleanup()


def test_inline_comments_of_casts_and_a_trailing_comma():
    # test_model.py::test_column_descriptions: `id::int, -- primary key`, and the last
    # projection's comment before FROM (after DuckDB's trailing comma) counts too. (Aliased:
    # materia runs the query as written, and DuckDB names `id::int` "CAST(id AS INTEGER)",
    # where SQLMesh's optimizer adds the alias id.)
    s = new_scratch("transform-comments", {
        "models/s/c.sql": "MODEL (name s.c, kind FULL);\nSELECT\n  -- this is the id column, used in ...\n"
                          "  id::int AS id, -- primary key\n  foo::int AS foo, -- bar\n"
                          "FROM (SELECT 1 AS id, 2 AS foo)\n"})
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert col_comments(s, "s", "c") == {"id": "primary key", "foo": "bar"}, col_comments(s, "s", "c")
    s.cleanup()


def test_register_comments_false():
    s = new_scratch("transform-comments", dict(PROPS, **{
        "config.yaml": "gateways:\n  local:\n    connection:\n      type: duckdb\n      database: lake.duckdb\n"
                       "      register_comments: false\n"}))
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    # (the harness's DUCKDB_PATH names the lakehouse; config.yaml's connection is still read)
    assert q(s, "SELECT comment FROM duckdb_tables() WHERE schema_name = 'materia__s'") == [{"comment": None}]
    assert q(s, "SELECT count(*) AS n FROM duckdb_columns() WHERE comment IS NOT NULL") == [{"n": 0}]
    write_files(s, {"config.yaml": "gateways:\n  local:\n    connection:\n      type: duckdb\n"
                                   "      database: lake.duckdb\n      register_comments: true\n"})
    s.run("run", "--execution-time", "2024-01-04 12:00", check=0)
    assert q(s, "SELECT comment FROM duckdb_views() WHERE view_name = 't'") == [{"comment": "Sushi customer data"}]
    s.cleanup()


if __name__ == "__main__":
    from harness import main
    main([test_description_and_column_descriptions, test_inline_comments_and_leading_description,
          test_inline_comments_of_casts_and_a_trailing_comma,
          test_register_comments_false])
