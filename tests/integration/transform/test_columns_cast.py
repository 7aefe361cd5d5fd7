"""`columns` on a materialized model: its table has exactly the declared columns with the
declared types, filled from the query by name (transform/columns_cast.c) — SQLMesh's
evaluator creates the table from the declared columns (snapshot/evaluator.py
_evaluate_snapshot: should_create_empty_table) and inserts `SELECT <declared> FROM (query)
AS _subquery` (engine_adapter/base.py _order_projections_and_filter, _insert_append_query).
A VIEW is not materialized: its query is kept as written."""
from tproject import new_scratch, q


def cols(s, schema, like):
    return [(r["c"], r["t"]) for r in q(s, f"SELECT column_name AS c, data_type AS t FROM duckdb_columns() WHERE "
                                           f"schema_name = '{schema}' AND table_name LIKE '{like}' ORDER BY column_index")]


def test_full_and_incremental_tables_take_the_declared_columns():
    s = new_scratch("transform-colcast", {
        "models/s/f.sql": "MODEL (name s.f, kind FULL, columns (id INT, v VARCHAR, d DATE));\n"
                          "SELECT '2024-01-02' AS d, 7 AS v, '1' AS id, 'dropped' AS extra\n",
        "models/s/i.sql": "MODEL (name s.i, kind INCREMENTAL_BY_TIME_RANGE (time_column ts), start '2024-01-01',\n"
                          "  columns (ts TIMESTAMP, n BIGINT));\n"
                          "SELECT @start_ds AS ts, 1 AS n, 'x' AS extra\n",
        "models/s/v.sql": "MODEL (name s.v, kind VIEW, columns (id INT));\nSELECT '1' AS id, 2 AS other\n",
    })
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert cols(s, "materia__s", "f__%") == [("id", "INTEGER"), ("v", "VARCHAR"), ("d", "DATE")], cols(s, "materia__s", "f__%")
    assert q(s, "SELECT id, v, CAST(d AS VARCHAR) AS d FROM s.f") == [{"id": 1, "v": "7", "d": "2024-01-02"}]
    assert cols(s, "materia__s", "i__%") == [("ts", "TIMESTAMP"), ("n", "BIGINT")], cols(s, "materia__s", "i__%")
    assert q(s, "SELECT CAST(ts AS VARCHAR) AS ts, n FROM s.i") == [{"ts": "2024-01-01 00:00:00", "n": 1}]
    # the VIEW keeps its query's columns (SQLMesh: kind.is_materialized is false)
    assert cols(s, "s", "v") == [("id", "VARCHAR"), ("other", "INTEGER")], cols(s, "s", "v")
    s.cleanup()


def test_a_declared_column_the_query_lacks_fails_the_build():
    s = new_scratch("transform-colcast", {
        "models/s/f.sql": "MODEL (name s.f, kind FULL, columns (id INT, missing_col INT));\nSELECT 1 AS id\n"})
    p = s.run("run", "--execution-time", "2024-01-03 12:00", check=None)
    assert p.returncode != 0 and "missing_col" in p.stderr, p.stderr
    s.cleanup()


if __name__ == "__main__":
    from harness import main
    main([test_full_and_incremental_tables_take_the_declared_columns, test_a_declared_column_the_query_lacks_fails_the_build])
