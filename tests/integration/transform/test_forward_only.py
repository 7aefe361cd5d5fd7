"""Forward-only changes (src/transform/forward_only.c): a changed `forward_only true` model
keeps its physical table — migrated to the new query's columns under on_destructive_change /
on_additive_change — and only intervals not yet processed get the new query. Each case names
the SQLMesh test it mirrors (repository TobikoData/sqlmesh)."""
from tproject import actions, new_scratch, q, write_files

SRC = {"models/raw/src.sql": "MODEL (name raw.src, kind FULL);\nSELECT 1 AS source_id\n"}


def model(select, props="", name="inc.m"):
    return {"models/inc/m.sql":
            f"MODEL (\n  name {name},\n  kind INCREMENTAL_BY_TIME_RANGE (\n    time_column ds,\n"
            f"    forward_only true{props}\n  ),\n  start '2023-01-01',\n  cron '@daily'\n);\n"
            f"SELECT {select}, @start_ds AS ds FROM raw.src\n"}


def columns(s, table="inc.m"):
    schema, name = table.split(".")
    return [r["column_name"] for r in q(s, "SELECT column_name FROM duckdb_columns() WHERE schema_name = "
                                           f"'{schema}' AND table_name = '{name}' ORDER BY column_index")]


def run(s, at, check=0):
    return s.run("run", env={"MATERIA_EXECUTION_TIME": at}, check=check)


def physical_tables(s):
    return q(s, "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'materia__inc'")[0]["n"]


def test_ignore_destructive_change_keeps_the_table_and_its_columns():
    # tests/core/integration/test_model_kinds.py::test_incremental_by_time_model_ignore_destructive_change
    # (ds is @start_ds, a VARCHAR: the interval is matched with the '%Y-%m-%d' format)
    props = ",\n    on_destructive_change ignore"
    s = new_scratch("transform-fo", {**SRC, **model("*, 1 AS id, 'test_name' AS name", props)})
    p = run(s, "2023-01-08 00:00")
    assert actions(p.stdout)["inc.m"] == "create", p.stdout
    assert q(s, "SELECT count(*) AS n FROM inc.m") == [{"n": 1}]
    assert columns(s) == ["source_id", "id", "name", "ds"]
    # drop `name`, add `new_column`: no rebuild, the table is migrated (additive only)
    write_files(s, model("*, 2 AS id, 3 AS new_column", props))
    p = run(s, "2023-01-08 00:00")
    assert actions(p.stdout)["inc.m"] == "migrate", p.stdout
    assert columns(s) == ["source_id", "id", "name", "ds", "new_column"]
    assert q(s, "SELECT id, name FROM inc.m") == [{"id": 1, "name": "test_name"}]
    run(s, "2023-01-10 00:00")
    assert q(s, "SELECT count(*) AS n FROM inc.m") == [{"n": 2}]
    assert q(s, "SELECT new_column FROM inc.m WHERE new_column IS NOT NULL") == [{"new_column": 3}]
    # INT -> VARCHAR is not a compatible change: drop + add, destructive, ignored; '4' is cast
    write_files(s, model("*, 2 AS id, CAST(4 AS STRING) AS new_column", props))
    run(s, "2023-01-11 00:00")
    assert q(s, "SELECT count(*) AS n FROM inc.m") == [{"n": 3}]
    assert q(s, "SELECT new_column FROM inc.m WHERE new_column IS NOT NULL ORDER BY ds") == \
        [{"new_column": 3}, {"new_column": 4}]
    assert q(s, "SELECT data_type FROM duckdb_columns() WHERE table_name = 'm' AND schema_name = 'inc' "
                "AND column_name = 'new_column'") == [{"data_type": "INTEGER"}]
    assert physical_tables(s) == 1
    s.cleanup()


def test_ignore_additive_change_inserts_only_the_tables_columns():
    # tests/core/integration/test_model_kinds.py::test_incremental_by_time_model_ignore_additive_change
    props = ",\n    on_destructive_change allow,\n    on_additive_change ignore"
    s = new_scratch("transform-fo", {**SRC, **model("*, 1 AS id, 'test_name' AS name", props)})
    run(s, "2023-01-08 00:00")
    write_files(s, model("*, 2 AS id, 3 AS new_column", props))
    run(s, "2023-01-08 00:00")
    # `name` dropped (destructive, allowed), new_column not added (additive, ignored)
    assert columns(s) == ["source_id", "id", "ds"]
    run(s, "2023-01-10 00:00")
    assert q(s, "SELECT id, ds FROM inc.m ORDER BY ds") == [{"id": 1, "ds": "2023-01-01"}, {"id": 2, "ds": "2023-01-08"}]
    s.cleanup()


def test_unique_key_model_ignore_destructive_change():
    # tests/core/integration/test_model_kinds.py::test_incremental_by_unique_key_model_ignore_destructive_change
    # (a forward_only unique-key model merges by column name: merge.c, engine_adapter/base.py merge)
    def keyed(select):
        return {"models/inc/m.sql":
                "MODEL (\n  name inc.m,\n  kind INCREMENTAL_BY_UNIQUE_KEY (\n    unique_key id,\n"
                "    forward_only true,\n    on_destructive_change ignore\n  ),\n  start '2023-01-01',\n"
                f"  cron '@daily'\n);\nSELECT {select}, @start_ds AS ds FROM raw.src\n"}
    s = new_scratch("transform-fo", {**SRC, **keyed("*, 1 AS id, 'test_name' AS name")})
    run(s, "2023-01-08 00:00")
    assert q(s, "SELECT count(*) AS n FROM inc.m") == [{"n": 1}]
    write_files(s, keyed("*, 2 AS id, 3 AS new_column"))
    p = run(s, "2023-01-08 00:00")
    assert actions(p.stdout)["inc.m"] == "migrate", p.stdout
    assert columns(s) == ["source_id", "id", "name", "ds", "new_column"]
    assert q(s, "SELECT count(*) AS n FROM inc.m") == [{"n": 1}]
    run(s, "2023-01-10 00:00")
    assert q(s, "SELECT id, name, ds, new_column FROM inc.m ORDER BY id") == [
        {"id": 1, "name": "test_name", "ds": "2023-01-01", "new_column": None},
        {"id": 2, "name": None, "ds": "2023-01-08", "new_column": 3}]
    assert physical_tables(s) == 1
    s.cleanup()


def test_destructive_change_is_an_error_by_default():
    # tests/core/test_plan.py::test_forward_only_model_on_destructive_change (ERROR, the default),
    # tests/core/test_snapshot_evaluator.py::test_on_destructive_change_runtime_check
    s = new_scratch("transform-fo", {**SRC, **model("*, 1 AS id, 'x' AS name")})
    run(s, "2023-01-08 00:00")
    write_files(s, model("*, 1 AS id"))
    p = run(s, "2023-01-09 00:00", check=1)
    out = p.stdout + p.stderr
    assert "Plan requires destructive change to forward-only model 'inc.m's schema that drops column 'name'" in out, out
    assert "set the model's `on_destructive_change` setting to `warn`, `allow`, or `ignore`" in out, out
    assert columns(s) == ["source_id", "id", "name", "ds"]  # the run was rolled back
    assert q(s, "SELECT count(*) AS n FROM inc.m") == [{"n": 1}]
    s.cleanup()


def test_destructive_change_warn_goes_on():
    # tests/core/test_plan.py::test_forward_only_model_on_destructive_change (WARN)
    props = ",\n    on_destructive_change warn"
    s = new_scratch("transform-fo", {**SRC, **model("*, 1 AS id, 'x' AS name", props)})
    run(s, "2023-01-08 00:00")
    write_files(s, model("*, 1 AS id", props))
    p = run(s, "2023-01-09 00:00")
    assert "Plan requires destructive change to forward-only model 'inc.m's schema" in p.stderr, p.stderr
    assert "To allow" not in p.stderr, p.stderr
    assert columns(s) == ["source_id", "id", "ds"]
    assert q(s, "SELECT count(*) AS n FROM inc.m") == [{"n": 2}]
    s.cleanup()


def test_additive_change_error_and_warn():
    # tests/core/test_plan.py::test_plan_builder_additive_change_error_blocks_plan,
    # ::test_plan_builder_additive_change_warn_allows_plan
    props = ",\n    on_additive_change error"
    s = new_scratch("transform-fo", {**SRC, **model("*, 1 AS id", props)})
    run(s, "2023-01-08 00:00")
    write_files(s, model("*, 1 AS id, 2 AS extra", props))
    p = run(s, "2023-01-09 00:00", check=1)
    assert "Plan requires additive change to forward-only model 'inc.m's schema that adds column 'extra'" in \
        p.stdout + p.stderr, p.stdout + p.stderr
    assert columns(s) == ["source_id", "id", "ds"]
    props = ",\n    on_additive_change warn"
    write_files(s, model("*, 1 AS id, 2 AS extra", props))
    p = run(s, "2023-01-09 00:00")
    assert "Plan requires additive change" in p.stderr, p.stderr
    assert columns(s) == ["source_id", "id", "ds", "extra"]
    s.cleanup()


def test_compatible_type_change_is_altered_in_place():
    # sqlmesh/core/schema_diff.py _is_precision_increase (tests/core/test_schema_diff.py
    # precision increase cases): DECIMAL(10,2) -> DECIMAL(12,4) is an ALTER, additive
    s = new_scratch("transform-fo", {**SRC, **model("*, CAST(1.5 AS DECIMAL(10,2)) AS amount")})
    run(s, "2023-01-08 00:00")
    write_files(s, model("*, CAST(2.25 AS DECIMAL(12,4)) AS amount"))
    run(s, "2023-01-09 00:00")
    assert q(s, "SELECT CAST(amount AS VARCHAR) AS a FROM inc.m ORDER BY ds") == [{"a": "1.5000"}, {"a": "2.2500"}]
    assert physical_tables(s) == 1
    s.cleanup()


def test_new_query_applies_only_to_new_intervals():
    # tests/core/integration/test_forward_only.py::test_forward_only_model_regular_plan: the
    # processed intervals keep their rows; later intervals get the new query
    s = new_scratch("transform-fo", {**SRC, **model("source_id * 10 AS v")})
    run(s, "2023-01-02 00:00")
    run(s, "2023-01-03 00:00")
    write_files(s, model("source_id * 20 AS v"))
    p = run(s, "2023-01-03 00:00")
    assert actions(p.stdout)["inc.m"] == "migrate", p.stdout
    run(s, "2023-01-05 00:00")
    assert q(s, "SELECT ds, v FROM inc.m ORDER BY ds") == [
        {"ds": "2023-01-01", "v": 10}, {"ds": "2023-01-02", "v": 10}, {"ds": "2023-01-03", "v": 20}]
    assert physical_tables(s) == 1
    # the carried intervals are the live ones: nothing is due again
    assert run(s, "2023-01-05 00:00").stdout.startswith("nothing to do")
    s.cleanup()


def test_children_of_a_forward_only_change_keep_their_tables():
    # sqlmesh/core/plan/builder.py _categorize_snapshot: an indirectly modified child whose changed
    # ancestors are all forward-only is forward-only too (all_upstream_forward_only == {True});
    # tests/core/test_plan.py::test_forward_only_models
    child = {"models/inc/child.sql":
             "MODEL (name inc.child, kind INCREMENTAL_BY_TIME_RANGE (time_column ds), start '2023-01-01');\n"
             "SELECT * FROM inc.m WHERE ds BETWEEN @start_ds AND @end_ds\n"}
    # a FULL child keeps its table (migrated) until it is next due or its parent's rows change,
    # a VIEW child is re-created (snapshot/evaluator.py ViewStrategy.migrate)
    full = {"models/inc/full.sql": "MODEL (name inc.full, kind FULL);\nSELECT * FROM inc.m\n",
            "models/inc/v.sql": "MODEL (name inc.v, kind VIEW);\nSELECT * FROM inc.m\n"}
    s = new_scratch("transform-fo", {**SRC, **model("1 AS a"), **child, **full})
    run(s, "2023-01-02 00:00")
    write_files(s, model("1 AS a, 2 AS b"))
    p = run(s, "2023-01-02 00:00")
    assert actions(p.stdout) == {"inc.m": "migrate", "inc.child": "migrate", "inc.full": "migrate",
                                 "inc.v": "view"}, p.stdout
    assert physical_tables(s) == 3
    assert q(s, "SELECT count(*) AS n FROM duckdb_views() WHERE schema_name = 'materia__inc'") == [{"n": 1}]
    assert columns(s, "inc.child") == ["a", "ds", "b"]
    assert columns(s, "inc.full") == ["a", "ds", "b"]
    assert q(s, "SELECT a, b FROM inc.full") == [{"a": 1, "b": None}]
    assert columns(s, "inc.v") == ["a", "ds", "b"]
    p = run(s, "2023-01-03 00:00")
    assert actions(p.stdout) == {"raw.src": "rebuild", "inc.m": "insert", "inc.child": "insert",
                                 "inc.full": "rebuild"}, p.stdout
    assert q(s, "SELECT ds, a, b FROM inc.child ORDER BY ds") == [
        {"ds": "2023-01-01", "a": 1, "b": None}, {"ds": "2023-01-02", "a": 1, "b": 2}]
    assert q(s, "SELECT ds, b FROM inc.full ORDER BY ds") == [{"ds": "2023-01-01", "b": None}, {"ds": "2023-01-02", "b": 2}]
    assert physical_tables(s) == 3
    s.cleanup()


def test_kind_change_is_not_forward_only():
    # tests/core/test_plan.py::test_forward_only_plan_categorizes_change_model_kind_as_breaking
    # (plan/common.py is_breaking_kind_change: FULL -> incremental rebuilds)
    s = new_scratch("transform-fo", {**SRC, "models/inc/m.sql": "MODEL (name inc.m, kind FULL);\nSELECT 1 AS a\n"})
    run(s, "2023-01-02 00:00")
    write_files(s, model("1 AS a"))
    p = run(s, "2023-01-02 00:00")
    assert actions(p.stdout)["inc.m"] == "create", p.stdout
    s.cleanup()


def test_metadata_properties_are_not_a_new_version():
    # sqlmesh/core/model/kind.py _IncrementalBy.metadata_hash_values: batch_size, forward_only,
    # on_destructive_change, on_additive_change do not change the fingerprint
    base = {"models/inc/m.sql":
            "MODEL (name inc.m, kind INCREMENTAL_BY_TIME_RANGE (time_column ds), start '2023-01-01');\n"
            "SELECT 1 AS a, @start_ds AS ds FROM raw.src\n"}
    s = new_scratch("transform-fo", {**SRC, **base})
    run(s, "2023-01-02 00:00")
    write_files(s, {"models/inc/m.sql": base["models/inc/m.sql"].replace(
        "time_column ds", "time_column ds, batch_size 3, batch_concurrency 2, forward_only true, "
        "on_destructive_change warn, on_additive_change allow")})
    assert run(s, "2023-01-02 00:00").stdout.startswith("nothing to do")
    s.cleanup()


def test_refusals():
    # forward_only is a property of SQLMesh's incremental kinds (model/kind.py _IncrementalBy)
    s = new_scratch("transform-fo", {"models/a.sql": "MODEL (name s.a, kind FULL (forward_only true));\nSELECT 1 AS x\n"})
    p = s.run("plan", check=1)
    assert "a.sql:1: forward_only true is not supported by materia on a FULL model" in p.stderr, p.stderr
    # OnDestructiveChange's values (model/kind.py)
    write_files(s, {"models/a.sql": "MODEL (name s.a, kind INCREMENTAL_BY_TIME_RANGE (time_column ds,\n"
                                    "  on_destructive_change maybe));\nSELECT 1 AS x, DATE '2024-01-01' AS ds\n"})
    p = s.run("plan", check=1)
    assert "a.sql:2: expected on_destructive_change ERROR, WARN, ALLOW or IGNORE" in p.stderr, p.stderr
    s.cleanup()


if __name__ == "__main__":
    import sys

    from harness import main
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_")]
    main([t for t in tests if len(sys.argv) < 2 or t.__name__ in sys.argv[1:]])
