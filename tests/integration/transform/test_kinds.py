"""The model kinds beyond the first five, with SQLMesh's semantics on DuckDB: rows in, rows out,
over several runs (MATERIA_EXECUTION_TIME per run), and each refusal's message.

SQLMesh source: sqlmesh/core/model/kind.py (the kinds and their arguments),
sqlmesh/core/snapshot/evaluator.py (what a run does per kind), sqlmesh/core/engine_adapter/
base.py + duckdb.py (the SQL on DuckDB), sqlmesh/core/renderer.py (EMBEDDED), model/seed.py
(csv_settings)."""
from tproject import actions, land, new_scratch, q, write_files


def run(s, when, check=0):
    return s.run("run", env={"MATERIA_EXECUTION_TIME": when}, check=check)


def rows(s, sql):
    return [tuple(r.values()) for r in q(s, sql)]


def refused(files, want):
    """`materia plan` on a project made of files fails with want in stderr."""
    s = new_scratch("transform-kinds", files)
    try:
        p = s.run("plan", check=None)
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)  # not a sanitizer's exit code
        assert want in p.stderr, f"want {want!r} in:\n{p.stderr}"
    finally:
        s.cleanup()


READ_P = ("read_csv(@VAR('landing_dir') || '/p/*.csv', header = true, "
          "columns = {'ds': 'DATE', 'b': 'VARCHAR', 'v': 'INTEGER'})")


def partition_model(kind, partitioned_by="ds", extra=""):
    return {"models/inc/p.sql":
            f"MODEL (\n  name inc.p,\n  kind {kind},\n  partitioned_by {partitioned_by},\n  start '2024-01-01'{extra}\n);\n"
            f"SELECT ds, b, v FROM {READ_P}\n"}


# ---- INCREMENTAL_BY_PARTITION ------------------------------------------------------------------

def test_partition_replaces_the_partitions_in_the_query_output():
    # SQLMesh: tests/core/test_snapshot_evaluator.py test_evaluate_incremental_by_partition (first
    # run replace_query, later runs insert_overwrite_by_partition) and tests/core/engine_adapter/
    # test_base.py test_insert_overwrite_by_partition_query (DELETE ... WHERE key IN (SELECT
    # DISTINCT key FROM temp); INSERT): partitions in the output replace theirs, others stay.
    s = new_scratch("transform-kinds", partition_model("INCREMENTAL_BY_PARTITION"))
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n2024-01-01,y,2\n2024-01-02,x,3\n")
    p = run(s, "2024-01-03 12:00")
    assert actions(p.stdout)["inc.p"] == "create", p.stdout
    land(s, "p/a.csv", "ds,b,v\n2024-01-02,x,30\n2024-01-03,x,40\n")
    p = run(s, "2024-01-04 06:00")
    assert actions(p.stdout)["inc.p"] == "overwrite", p.stdout
    assert rows(s, "SELECT CAST(ds AS VARCHAR), b, v FROM inc.p ORDER BY ALL") == [
        ("2024-01-01", "x", 1), ("2024-01-01", "y", 2), ("2024-01-02", "x", 30), ("2024-01-03", "x", 40)]
    # a run with nothing due does not touch it
    assert run(s, "2024-01-04 07:00").stdout.startswith("nothing to do")
    # third run, next day: the query's one partition (2024-01-01) replaces both of its old rows
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,z,9\n")
    p = run(s, "2024-01-05 06:00")
    assert actions(p.stdout)["inc.p"] == "overwrite", p.stdout
    assert rows(s, "SELECT CAST(ds AS VARCHAR), b, v FROM inc.p ORDER BY ALL") == [
        ("2024-01-01", "z", 9), ("2024-01-02", "x", 30), ("2024-01-03", "x", 40)]
    assert rows(s, "SELECT kind FROM _materia.models WHERE model = 'inc.p'") == [("INCREMENTAL_BY_PARTITION",)]
    s.cleanup()


def test_partition_by_several_expressions():
    # SQLMesh: test_base.py test_insert_overwrite_by_partition_query with two keys: the key is
    # CONCAT_WS('__SQLMESH_DELIM__', <each expression>), an expression may be a function.
    s = new_scratch("transform-kinds", partition_model("INCREMENTAL_BY_PARTITION",
                                                       "(date_trunc('month', ds), b)"))
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n2024-01-20,x,2\n2024-01-05,y,3\n2024-02-01,x,4\n")
    run(s, "2024-02-03 12:00")
    land(s, "p/a.csv", "ds,b,v\n2024-01-31,x,10\n")
    p = run(s, "2024-02-04 06:00")
    assert actions(p.stdout)["inc.p"] == "overwrite", p.stdout
    # (January, x) replaced by its one new row; (January, y) and (February, x) kept
    assert rows(s, "SELECT CAST(ds AS VARCHAR), b, v FROM inc.p ORDER BY ALL") == [
        ("2024-01-05", "y", 3), ("2024-01-31", "x", 10), ("2024-02-01", "x", 4)]
    s.cleanup()


def test_partition_refusals():
    # SQLMesh: model/meta.py _root_validator ("partitioned_by field is required for
    # INCREMENTAL_BY_PARTITION models"; tests/core/test_model.py test_incremental_by_partition),
    # kind.py IncrementalByPartitionKind._forward_only_validator, and no batch_size field.
    model = ("MODEL (name inc.p, kind INCREMENTAL_BY_PARTITION{args}{extra});\n"
             "SELECT 1 AS ds\n")
    refused({"models/p.sql": model.format(args="", extra="")},
            "p.sql:1: partitioned_by field is required for INCREMENTAL_BY_PARTITION models")
    refused({"models/p.sql": model.format(args=" (forward_only false)", extra=", partitioned_by ds")},
            "Do not specify the `forward_only` configuration key - INCREMENTAL_BY_PARTITION models are always "
            "forward_only.")
    refused({"models/p.sql": model.format(args=" (batch_size 2)", extra=", partitioned_by ds")},
            "unknown INCREMENTAL_BY_PARTITION property 'batch_size'")
    # meta.py _partition_and_cluster_validator (test_model.py test_partitioned_by) and
    # definition.py validate_definition: one column per expression, each column once
    refused({"models/p.sql": model.format(args="", extra=", partitioned_by (1)")},
            "p.sql:1: Field '1' does not contain a column")
    refused({"models/p.sql": model.format(args="", extra=", partitioned_by (ds + x)")},
            "p.sql:1: Field 'ds + x' contains multiple columns")
    refused({"models/p.sql": model.format(args="", extra=", partitioned_by (ds, date_trunc('day', ds))")},
            "p.sql:1: All keys in 'partitioned_by' must be unique in the model definition")


def test_partition_change_is_refused_as_forward_only():
    # SQLMesh: plan/builder.py _categorize_snapshot — a change to a forward-only model (direct, or
    # through a parent) keeps its table and intervals; materia refuses it rather than rebuild.
    s = new_scratch("transform-kinds", partition_model("INCREMENTAL_BY_PARTITION"))
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n")
    run(s, "2024-01-02 12:00")
    write_files(s, {"models/inc/p.sql": partition_model("INCREMENTAL_BY_PARTITION")["models/inc/p.sql"]
                    .replace("SELECT ds, b, v", "SELECT ds, b, v * 2 AS v")})
    p = run(s, "2024-01-03 12:00", check=None)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert ("p.sql:1: changing the live INCREMENTAL_BY_PARTITION model inc.p (its query, kind, or a parent's) is "
            "not supported by materia: SQLMesh applies the change forward-only") in p.stderr, p.stderr
    assert rows(s, "SELECT v FROM inc.p") == [(1,)]
    s.cleanup()


# ---- INCREMENTAL_UNMANAGED ---------------------------------------------------------------------

def unmanaged(args="", extra=""):
    return {"models/inc/u.sql":
            f"MODEL (\n  name inc.u,\n  kind INCREMENTAL_UNMANAGED{args},\n  start '2024-01-01'{extra}\n);\n"
            f"SELECT ds, b, v, @execution_ds AS loaded FROM {READ_P}\n"}


def test_unmanaged_appends_every_run():
    # SQLMesh: test_snapshot_evaluator.py test_evaluate_incremental_unmanaged_no_intervals
    # (first run: replace_query) and ..._with_intervals[insert_overwrite=False] (insert_append).
    s = new_scratch("transform-kinds", unmanaged())
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n2024-01-01,y,2\n")
    p = run(s, "2024-01-02 12:00")
    assert actions(p.stdout)["inc.u"] == "create", p.stdout
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n2024-01-02,z,3\n")
    p = run(s, "2024-01-03 06:00")
    assert actions(p.stdout)["inc.u"] == "append", p.stdout
    # new input later the same day: no complete interval is due, so no run (SQLMesh runs a
    # model for complete intervals only; a partial one would be appended twice)
    land(s, "p/b.csv", "ds,b,v\n2024-01-03,w,4\n")
    assert run(s, "2024-01-03 07:00").stdout.startswith("nothing to do")
    import os
    os.remove(os.path.join(s.landing, "p/b.csv"))
    # every row of each run, the repeated one included: nothing is merged or replaced
    got = rows(s, "SELECT CAST(ds AS VARCHAR), b, v, loaded FROM inc.u ORDER BY loaded, b")
    assert got == [
        ("2024-01-01", "x", 1, "2024-01-02"), ("2024-01-01", "y", 2, "2024-01-02"),
        ("2024-01-01", "x", 1, "2024-01-03"), ("2024-01-02", "z", 3, "2024-01-03")], got
    assert rows(s, "SELECT kind FROM _materia.models WHERE model = 'inc.u'") == [("INCREMENTAL_UNMANAGED",)]
    s.cleanup()


def test_unmanaged_insert_overwrite_replaces_partitions():
    # SQLMesh: test_snapshot_evaluator.py test_evaluate_incremental_unmanaged_with_intervals
    # [insert_overwrite=True]: insert_overwrite_by_partition with the model's partitioned_by.
    s = new_scratch("transform-kinds", unmanaged(" (insert_overwrite true)", ",\n  partitioned_by ds"))
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n2024-01-02,y,2\n")
    run(s, "2024-01-03 12:00")
    land(s, "p/a.csv", "ds,b,v\n2024-01-02,z,3\n")
    p = run(s, "2024-01-04 06:00")
    assert actions(p.stdout)["inc.u"] == "overwrite", p.stdout
    assert rows(s, "SELECT CAST(ds AS VARCHAR), b, v FROM inc.u ORDER BY ALL") == [
        ("2024-01-01", "x", 1), ("2024-01-02", "z", 3)]
    s.cleanup()


def test_unmanaged_refusals_and_forward_only():
    # SQLMesh: definition.py validate_definition ("Unmanaged incremental models with insert /
    # overwrite enabled must specify the partitioned_by field"; tests/core/test_model.py
    # test_incremental_unmanaged_validation); forward_only defaults to true (kind.py
    # IncrementalUnmanagedKind): a change is refused; with forward_only false a change builds
    # a new version from scratch, as SQLMesh's breaking change does.
    refused(unmanaged(" (insert_overwrite true)"),
            "u.sql:1: Unmanaged incremental models with insert / overwrite enabled must specify the "
            "partitioned_by field")
    s = new_scratch("transform-kinds", unmanaged())
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n")
    run(s, "2024-01-02 12:00")
    write_files(s, {"models/inc/u.sql": unmanaged()["models/inc/u.sql"].replace("b, v,", "b, v * 2 AS v,")})
    p = run(s, "2024-01-03 12:00", check=None)
    assert p.returncode == 1 and "changing the live INCREMENTAL_UNMANAGED model inc.u" in p.stderr, p.stderr
    s.cleanup()
    s = new_scratch("transform-kinds", unmanaged(" (forward_only false)"))
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n")
    run(s, "2024-01-02 12:00")
    run(s, "2024-01-03 12:00")  # appends the row again
    assert rows(s, "SELECT count(*) FROM inc.u") == [(2,)]
    write_files(s, {"models/inc/u.sql": unmanaged(" (forward_only false)")["models/inc/u.sql"]
                    .replace("b, v,", "b, v * 2 AS v,")})
    p = run(s, "2024-01-03 12:00")
    assert actions(p.stdout)["inc.u"] == "create", p.stdout
    assert rows(s, "SELECT v FROM inc.u") == [(2,)]
    s.cleanup()


# ---- VIEW (materialized true) -----------------------------------------------------------------

def test_materialized_view_is_a_view_on_duckdb():
    # SQLMesh: DuckDB's adapter keeps base.py SUPPORTS_MATERIALIZED_VIEWS = False, so create_view
    # drops `materialized` (tests/core/engine_adapter/test_base.py test_create_materialized_view
    # shows the MATERIALIZED keyword only where supported); kind.py ViewKind.data_hash_values
    # fingerprints the flag; meta.py allows partitioned_by on it (test_model.py
    # test_view_materialized_partition_by_clustered_by).
    files = {
        "models/raw/src.sql": f"MODEL (name raw.src, kind FULL);\nSELECT ds, b, v FROM {READ_P}\n",
        "models/s/mv.sql": "MODEL (name s.mv, kind VIEW (materialized true), partitioned_by b);\n"
                           "SELECT b, sum(v) AS v FROM raw.src GROUP BY b\n",
    }
    s = new_scratch("transform-kinds", files)
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n")
    p = run(s, "2024-01-02 12:00")
    assert actions(p.stdout)["s.mv"] == "view", p.stdout
    assert rows(s, "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'materia__s'") == [(1,)]
    assert rows(s, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'materia__s'") == [(0,)]
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n2024-01-02,x,5\n")
    run(s, "2024-01-03 12:00")
    assert rows(s, "SELECT b, v FROM s.mv") == [("x", 6)]
    # materialized false is another version (the flag is fingerprinted)
    write_files(s, {"models/s/mv.sql": files["models/s/mv.sql"].replace("materialized true", "materialized false")
                    .replace(", partitioned_by b", "")})
    p = run(s, "2024-01-03 12:00")
    assert actions(p.stdout)["s.mv"] == "view" and "changed" in p.stdout, p.stdout
    s.cleanup()
    # SQLMesh: test_model.py test_view_non_materialized_partition_by
    refused({"models/v.sql": "MODEL (name s.v, kind VIEW, partitioned_by a);\nSELECT 1 AS a\n"},
            "v.sql:1: partitioned_by field cannot be set for VIEW models")


def test_partitioned_by_on_other_kinds_changes_only_the_fingerprint():
    # SQLMesh: duckdb.py _create_table applies partitioned_by only on a DuckLake catalog
    # (test_duckdb.py test_ducklake_partitioning); on a DuckDB file it is in the data hash only
    # (definition.py _data_hash_values_no_sql).
    files = {"models/f.sql": "MODEL (name s.f, kind FULL, partitioned_by a);\nSELECT 1 AS a, 2 AS c\n"}
    s = new_scratch("transform-kinds", files)
    run(s, "2024-01-02 12:00")
    assert rows(s, "SELECT a, c FROM s.f") == [(1, 2)]
    write_files(s, {"models/f.sql": files["models/f.sql"].replace("partitioned_by a", "partitioned_by (a)")})
    assert run(s, "2024-01-02 12:00").stdout.startswith("nothing to do")
    # only partitioned_by changes: a new version, the same rows
    write_files(s, {"models/f.sql": files["models/f.sql"].replace("partitioned_by a", "partitioned_by c")})
    p = run(s, "2024-01-02 12:00")
    assert actions(p.stdout)["s.f"] == "create" and "changed" in p.stdout, p.stdout
    assert rows(s, "SELECT a, c FROM s.f") == [(1, 2)]
    s.cleanup()


# ---- EMBEDDED ----------------------------------------------------------------------------------

EMBED = {
    "models/raw/src.sql": f"MODEL (name raw.src, kind FULL);\nSELECT ds, b, v FROM {READ_P}\n",
    "models/e/big.sql": "MODEL (name e.big, kind EMBEDDED);\nSELECT ds, b, v FROM raw.src WHERE v >= 2\n",
    "models/e/recent.sql": "MODEL (name e.recent, kind EMBEDDED);\n"
                           "SELECT * FROM e.big WHERE ds < @end_ds::DATE\n",
    "models/s/out.sql": "MODEL (name s.out, kind FULL);\n"
                        "SELECT b, sum(v) AS v FROM e.recent GROUP BY b\n"
                        "UNION ALL SELECT 'all' AS b, count(*) AS v FROM e.big AS x WHERE x.v > 0\n",
}


def test_embedded_is_inlined_into_its_readers():
    # SQLMesh: renderer.py _resolve_tables expands an embedded model into a subquery of its
    # reader, nested ones too, with the reader's times, aliased as the model's table name
    # unless the reference has an alias (tests/core/test_model.py test_case_sensitivity:
    # `FROM (SELECT ...) AS "SOURCE"`); evaluator.py EmbeddedStrategy builds nothing and its
    # promote drops the view.
    s = new_scratch("transform-kinds", EMBED)
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n2024-01-01,y,2\n2024-01-02,x,3\n")
    p = run(s, "2024-01-02 12:00")
    assert actions(p.stdout)["e.big"] == "embed" and actions(p.stdout)["e.recent"] == "embed", p.stdout
    # rows of 2024-01-01 only (end_ds is 2024-01-02), v >= 2
    assert rows(s, "SELECT b, v FROM s.out ORDER BY b") == [("all", 2), ("y", 2)]
    # no view and no table for an EMBEDDED model
    assert rows(s, "SELECT count(*) FROM duckdb_views() WHERE schema_name IN ('e', 'materia__e')") == [(0,)]
    assert rows(s, "SELECT count(*) FROM duckdb_tables() WHERE schema_name IN ('e', 'materia__e')") == [(0,)]
    # second run, next day, new data: the reader re-reads through the inlined queries
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,x,1\n2024-01-01,y,2\n2024-01-02,x,3\n2024-01-02,y,4\n")
    p = run(s, "2024-01-03 06:00")
    assert actions(p.stdout)["s.out"] == "rebuild", p.stdout
    assert rows(s, "SELECT b, v FROM s.out ORDER BY b") == [("all", 3), ("x", 3), ("y", 6)]
    # a change to an EMBEDDED model's query is a new version of its readers
    write_files(s, {"models/e/big.sql": EMBED["models/e/big.sql"].replace("v >= 2", "v >= 3")})
    p = run(s, "2024-01-03 06:00")
    assert actions(p.stdout)["s.out"] == "create", p.stdout
    assert rows(s, "SELECT b, v FROM s.out ORDER BY b") == [("all", 2), ("x", 3), ("y", 4)]
    s.cleanup()


def test_a_view_made_embedded_loses_its_view():
    # SQLMesh: evaluator.py EmbeddedStrategy.promote drops the view of the model's name
    files = dict(EMBED)
    files["models/e/big.sql"] = EMBED["models/e/big.sql"].replace("kind EMBEDDED", "kind VIEW")
    s = new_scratch("transform-kinds", files)
    land(s, "p/a.csv", "ds,b,v\n2024-01-01,y,2\n")
    run(s, "2024-01-02 12:00")
    assert rows(s, "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'e'") == [(1,)]
    write_files(s, {"models/e/big.sql": EMBED["models/e/big.sql"]})
    p = run(s, "2024-01-03 12:00")
    assert actions(p.stdout)["e.big"] == "embed" and actions(p.stdout)["s.out"] == "create", p.stdout
    assert rows(s, "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'e'") == [(0,)]
    assert rows(s, "SELECT b, v FROM s.out ORDER BY b") == [("all", 1), ("y", 2)]
    s.cleanup()


def test_embedded_refusals():
    # SQLMesh: definition.py validate_definition "Audits are not supported for embedded models"
    # (tests/core/test_model.py test_audits_in_embedded_model); meta.py: no partitioned_by on a
    # non-materialized kind.
    refused({"models/e.sql": "MODEL (name e.e, kind EMBEDDED,\n  audits (not_null(columns := (a))));\n"
                             "SELECT 1 AS a\n"},
            "e.sql:2: Audits are not supported for embedded models")
    refused({"models/e.sql": "MODEL (name e.e, kind EMBEDDED, partitioned_by a);\nSELECT 1 AS a\n"},
            "e.sql:1: partitioned_by field cannot be set for EMBEDDED models")


def test_model_kind_name():
    # SQLMesh: @model_kind_name renders the kind's ModelKindName (model/kind.py); an embedded
    # model's query is rendered by its own model (renderer.py _expand: model.render_query)
    files = {
        "models/e.sql": "MODEL (name s.e, kind EMBEDDED);\nSELECT @model_kind_name AS k\n",
        "models/p.sql": "MODEL (name s.p, kind INCREMENTAL_BY_PARTITION, partitioned_by k);\n"
                        "SELECT @model_kind_name AS k UNION ALL SELECT k FROM s.e\n",
        "models/u.sql": "MODEL (name s.u, kind INCREMENTAL_UNMANAGED);\nSELECT @model_kind_name AS k\n",
    }
    s = new_scratch("transform-kinds", files)
    run(s, "2024-01-02 12:00")
    assert rows(s, "SELECT k FROM s.p ORDER BY k") == [("EMBEDDED",), ("INCREMENTAL_BY_PARTITION",)]
    assert rows(s, "SELECT k FROM s.u") == [("INCREMENTAL_UNMANAGED",)]
    s.cleanup()


# ---- EXTERNAL ----------------------------------------------------------------------------------

def test_external_kind_in_a_model_file_is_refused():
    # SQLMesh: kind.py ExternalKind is symbolic (evaluator.py SymbolicStrategy: the query never
    # runs; snapshot/definition.py table_name is the model's own name).
    refused({"models/x.sql": "MODEL (name s.x, kind EXTERNAL);\nSELECT 1 AS a\n"},
            "x.sql:1: kind EXTERNAL is not supported by materia: such a model's query never runs and its table "
            "is read by name; declare the table in external_models.yaml")


# ---- SEED csv_settings and batch_size ----------------------------------------------------------

def seed(csv_settings="", batch=""):
    args = "path '../seeds/s.csv'" + (f", csv_settings ({csv_settings})" if csv_settings else "") + batch
    return {"models/s.sql": f"MODEL (name s.seed, kind SEED ({args}));\n"}


def test_seed_csv_settings():
    # SQLMesh: tests/core/test_model.py test_seed_csv_settings (delimiter, quotechar, na_values
    # parsed from csv_settings), model/seed.py CsvSeedReader (pandas.read_csv with them).
    files = seed("delimiter = ';', quotechar = '''', na_values = ('n.a.', 'none'), encoding = 'latin-1'")
    files["seeds/s.csv"] = "id;name;note\n1;'a;b';n.a.\n2;'x''y';ok\n"
    s = new_scratch("transform-kinds", files)
    run(s, "2024-01-02 12:00")
    assert rows(s, "SELECT id, name, note FROM s.seed ORDER BY id") == [(1, "a;b", None), (2, "x'y", "ok")]
    # second run after the file changed: rebuilt from it
    with open(s.project + "/seeds/s.csv", "wb") as f:
        f.write("id;name;note\n3;caf\xe9;none\n".encode("latin-1"))
    p = run(s, "2024-01-03 12:00")
    assert actions(p.stdout)["s.seed"] == "create", p.stdout
    assert rows(s, "SELECT id, name, note FROM s.seed") == [(3, "caf\u00e9", None)]
    s.cleanup()


def test_seed_tab_delimiter():
    # SQLMesh: model/seed.py CsvSettings._str_validator maps '\t' (sqlglot keeps the backslash)
    # to a tab, as sqlglot's UNESCAPED_SEQUENCES
    files = seed("delimiter = '\\t'")
    files["seeds/s.csv"] = "id\tname\n1\ta,b\n"
    s = new_scratch("transform-kinds", files)
    run(s, "2024-01-02 12:00")
    assert rows(s, "SELECT id, name FROM s.seed") == [(1, "a,b")]
    s.cleanup()


def test_seed_reads_pandas_default_na_strings():
    # SQLMesh: model/seed.py reads seeds with pandas.read_csv's defaults: keep_default_na true,
    # so "NA", "null", "None", "nan", "" ... are NULL (pandas STR_NA_VALUES).
    files = seed()
    files["seeds/s.csv"] = "id,v\n1,NA\n2,null\n3,None\n4,\n5,x\n"
    s = new_scratch("transform-kinds", files)
    run(s, "2024-01-02 12:00")
    assert rows(s, "SELECT id, v FROM s.seed ORDER BY id") == [(1, None), (2, None), (3, None), (4, None), (5, "x")]
    s.cleanup()


def test_seed_csv_settings_refusals():
    # each pandas setting with no exact DuckDB read_csv equivalent is refused by name
    for setting, want in [
        ("escapechar = '\\'", "csv_settings escapechar is not supported by materia"),
        ("doublequote = false", "csv_settings doublequote false is not supported by materia"),
        ("skipinitialspace = true", "csv_settings skipinitialspace true is not supported by materia"),
        ("lineterminator = '\\n'", "csv_settings lineterminator is not supported by materia"),
        ("keep_default_na = false", "csv_settings keep_default_na false is not supported by materia"),
        ("encoding = 'utf-16'", "csv_settings encoding 'utf-16' is not supported by materia"),
        ("delimiter = '::'", "csv_settings delimiter is not supported by materia"),
        ("na_values = (a = ('x'))", "csv_settings na_values is not supported by materia"),
        ("na_values = (-1)", "csv_settings na_values is not supported by materia"),
        ("bogus = 1", "unknown csv_settings 'bogus'"),
    ]:
        files = seed(setting)
        files["seeds/s.csv"] = "id\n1\n"
        refused(files, "s.sql:1: " + want)


def test_seed_batch_size_gives_the_same_table():
    # SQLMesh: evaluator.py SeedStrategy.create inserts the file batch by batch (first replaces,
    # the rest append, in order, with the whole file's types): the table does not depend on
    # batch_size (kind.py SeedKind: a positive integer, metadata only).
    csv = "id,name\n" + "".join(f"{i},n{i}\n" for i in range(1, 8))
    files = {
        "seeds/s.csv": csv,
        "models/a.sql": "MODEL (name s.a, kind SEED (path '../seeds/s.csv', batch_size 1));\n",
        "models/b.sql": "MODEL (name s.b, kind SEED (path '../seeds/s.csv', batch_size 1000));\n",
        "models/c.sql": "MODEL (name s.c, kind SEED (path '../seeds/s.csv'));\n",
    }
    s = new_scratch("transform-kinds", files)
    run(s, "2024-01-02 12:00")
    assert rows(s, "SELECT count(*) FROM (SELECT * FROM s.a EXCEPT ALL SELECT * FROM s.b)") == [(0,)]
    assert rows(s, "SELECT count(*) FROM (SELECT * FROM s.b EXCEPT ALL SELECT * FROM s.c)") == [(0,)]
    assert rows(s, "SELECT count(*), max(id) FROM s.a") == [(7, 7)]
    assert rows(s, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'a' "
                   "AND table_schema = 's' ORDER BY ordinal_position") == \
        rows(s, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'b' "
                "AND table_schema = 's' ORDER BY ordinal_position")
    with open(s.project + "/seeds/s.csv", "a") as f:
        f.write("8,n8\n")
    run(s, "2024-01-03 12:00")
    assert rows(s, "SELECT count(*) FROM s.a") == [(8,)] and rows(s, "SELECT count(*) FROM s.b") == [(8,)]
    s.cleanup()
    refused({"models/a.sql": "MODEL (name s.a, kind SEED (path 's.csv', batch_size 0));\n", "models/s.csv": "a\n1\n"},
            "a.sql:1: expected batch_size N (N >= 1)")


if __name__ == "__main__":
    from harness import main
    main([test_partition_replaces_the_partitions_in_the_query_output, test_partition_by_several_expressions,
          test_partition_refusals, test_partition_change_is_refused_as_forward_only,
          test_unmanaged_appends_every_run, test_unmanaged_insert_overwrite_replaces_partitions,
          test_unmanaged_refusals_and_forward_only, test_materialized_view_is_a_view_on_duckdb,
          test_partitioned_by_on_other_kinds_changes_only_the_fingerprint, test_embedded_is_inlined_into_its_readers,
          test_a_view_made_embedded_loses_its_view, test_embedded_refusals, test_model_kind_name, test_external_kind_in_a_model_file_is_refused, test_seed_csv_settings,
          test_seed_tab_delimiter, test_seed_reads_pandas_default_na_strings, test_seed_csv_settings_refusals,
          test_seed_batch_size_gives_the_same_table])
