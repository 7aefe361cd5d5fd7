"""SQLMesh's SCD type 2 kinds: SCD_TYPE_2 (= SCD_TYPE_2_BY_TIME) and SCD_TYPE_2_BY_COLUMN
(src/transform/kind_scd2.c). Each case runs a model over several runs, the execution time
set per run (MATERIA_EXECUTION_TIME), its source rows replaced between runs, and checks the
table's rows against what SQLMesh gives for the same inputs: the rows its own tests expect
where they spell them out (tests/core/engine_adapter/integration/test_integration.py
test_scd_type_2_by_time / test_scd_type_2_by_column, tests/core/integration/
test_model_kinds.py), else the SQL its engine adapter generates
(sqlmesh/core/engine_adapter/base.py _scd_type_2, spelled out by
tests/core/engine_adapter/test_base.py test_scd_type_2_*) evaluated by hand."""
import os
import re

from harness import SRC, main
from tproject import land, new_scratch, q, write_files

SRC_MODEL = (
    "MODEL (name raw.src, kind FULL);\n"
    "SELECT * FROM read_csv(@VAR('landing_dir') || '/src.csv', header = true, all_varchar = true)\n")


def scd(kind, select, start="2023-01-01"):
    return {"models/raw/src.sql": SRC_MODEL,
            "models/hist/t.sql": f"MODEL (\n  name hist.t,\n  kind {kind},\n  start '{start}'\n);\n{select}\n"}


def run(s, when, check=0):
    return s.run("run", env={"MATERIA_EXECUTION_TIME": when}, check=check)


def rows(s, cols="id, name, updated_at", order="id, valid_from"):
    """The table's rows as tuples of text (NULL: None), ordered."""
    sel = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in cols.split(", ")) + \
        ", CAST(valid_from AS VARCHAR) AS valid_from, CAST(valid_to AS VARCHAR) AS valid_to"
    return [tuple(r.values()) for r in q(s, f"SELECT {sel} FROM hist.t ORDER BY {order}")]


BY_TIME_SELECT = ("SELECT CAST(id AS INT) AS id, name, CAST(updated_at AS TIMESTAMP) AS updated_at "
                  "FROM raw.src")


def test_by_time_updates_deletes_inserts():
    # SQLMesh: tests/core/engine_adapter/integration/test_integration.py test_scd_type_2_by_time
    # (its two loads and expected rows, with invalidate_hard_deletes as that test's adapter
    # call defaults it: true), unique_key COALESCE(id, -1) on the first load as there.
    s = new_scratch("transform-scd2", scd("SCD_TYPE_2_BY_TIME (unique_key COALESCE(id, -1), "
                                          "invalidate_hard_deletes true)", BY_TIME_SELECT))
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n2,b,2022-01-02 00:00:00\n"
                       "3,c,2022-01-03 00:00:00\n")
    p = run(s, "2023-01-02 00:00:00")
    assert "create" in p.stdout, p.stdout
    assert rows(s) == [
        ("1", "a", "2022-01-01 00:00:00", "1970-01-01 00:00:00", None),
        ("2", "b", "2022-01-02 00:00:00", "1970-01-01 00:00:00", None),
        ("3", "c", "2022-01-03 00:00:00", "1970-01-01 00:00:00", None),
    ], rows(s)
    # change a to x, delete b, c unchanged, add d
    land(s, "src.csv", "id,name,updated_at\n1,x,2022-01-04 00:00:00\n3,c,2022-01-03 00:00:00\n"
                       "4,d,2022-01-04 00:00:00\n")
    p = run(s, "2023-01-05 00:00:00")
    assert re.search(r"^  merge +hist\.t ", p.stdout, re.M), p.stdout
    assert rows(s) == [
        ("1", "a", "2022-01-01 00:00:00", "1970-01-01 00:00:00", "2022-01-04 00:00:00"),
        ("1", "x", "2022-01-04 00:00:00", "2022-01-04 00:00:00", None),
        ("2", "b", "2022-01-02 00:00:00", "1970-01-01 00:00:00", "2023-01-05 00:00:00"),
        ("3", "c", "2022-01-03 00:00:00", "1970-01-01 00:00:00", None),
        ("4", "d", "2022-01-04 00:00:00", "1970-01-01 00:00:00", None),
    ], rows(s)
    s.cleanup()


def test_kind_name_alias():
    # SQLMesh: model/kind.py ModelKindName.SCD_TYPE_2 is a legacy alias of
    # SCD_TYPE_2_BY_TIME that the model keeps as written (model_kind's "ensure we get
    # SCD_TYPE_2 as the kind name"): @model_kind_name renders it.
    for kind, want in [("SCD_TYPE_2", "SCD_TYPE_2"), ("SCD_TYPE_2_BY_TIME", "SCD_TYPE_2_BY_TIME")]:
        s = new_scratch("transform-scd2", scd(f"{kind} (unique_key id)", BY_TIME_SELECT.replace(
            "FROM raw.src", ", @model_kind_name AS k FROM raw.src")))
        land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n")
        run(s, "2023-01-02 00:00:00")
        assert q(s, "SELECT k FROM hist.t") == [{"k": want}], kind
        s.cleanup()


def test_by_time_hard_deletes_kept_open_by_default():
    # SQLMesh: model/kind.py _SCDType2Kind invalidate_hard_deletes False by default; base.py
    # _scd_type_2 then has no `_exists IS NULL` branch (test_base.py
    # test_scd_type_2_by_time_no_invalidate_hard_deletes): a deleted key's row stays current.
    # When it comes back with a later updated_at, the old row closes at that updated_at.
    s = new_scratch("transform-scd2", scd("SCD_TYPE_2 (unique_key id)", BY_TIME_SELECT))
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n2,b,2022-01-02 00:00:00\n")
    run(s, "2023-01-02 00:00:00")
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n")
    run(s, "2023-01-05 00:00:00")
    assert rows(s) == [
        ("1", "a", "2022-01-01 00:00:00", "1970-01-01 00:00:00", None),
        ("2", "b", "2022-01-02 00:00:00", "1970-01-01 00:00:00", None),
    ], rows(s)
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n2,bb,2023-01-06 00:00:00\n")
    run(s, "2023-01-07 00:00:00")
    assert rows(s) == [
        ("1", "a", "2022-01-01 00:00:00", "1970-01-01 00:00:00", None),
        ("2", "b", "2022-01-02 00:00:00", "1970-01-01 00:00:00", "2023-01-06 00:00:00"),
        ("2", "bb", "2023-01-06 00:00:00", "2023-01-06 00:00:00", None),
    ], rows(s)
    s.cleanup()


def test_by_time_deleted_key_comes_back():
    # SQLMesh: base.py _scd_type_2's `deleted`/`latest_deleted` CTEs (test_base.py
    # test_scd_type_2_by_time): a key closed by a hard delete that reappears starts at the
    # later of its last valid_to and its updated_at.
    s = new_scratch("transform-scd2", scd("SCD_TYPE_2_BY_TIME (unique_key id, invalidate_hard_deletes true)",
                                          BY_TIME_SELECT))
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n2,b,2022-01-02 00:00:00\n")
    run(s, "2023-01-02 00:00:00")
    land(s, "src.csv", "id,name,updated_at\n2,b,2022-01-02 00:00:00\n")
    run(s, "2023-01-05 00:00:00")  # 1 deleted: closed at the execution time
    # 1 back with an older updated_at: from its deletion; 3 new
    land(s, "src.csv", "id,name,updated_at\n1,a2,2022-12-01 00:00:00\n2,b,2022-01-02 00:00:00\n"
                       "3,c,2023-01-06 00:00:00\n")
    run(s, "2023-01-07 00:00:00")
    assert rows(s) == [
        ("1", "a", "2022-01-01 00:00:00", "1970-01-01 00:00:00", "2023-01-05 00:00:00"),
        ("1", "a2", "2022-12-01 00:00:00", "2023-01-05 00:00:00", None),
        ("2", "b", "2022-01-02 00:00:00", "1970-01-01 00:00:00", None),
        ("3", "c", "2023-01-06 00:00:00", "1970-01-01 00:00:00", None),
    ], rows(s)
    s.cleanup()


def test_by_time_updated_at_as_valid_from():
    # SQLMesh: base.py _scd_type_2 update_valid_from_start = updated_at_col when
    # updated_at_as_valid_from (kind.py SCDType2ByTimeKind): new keys start at their
    # updated_at instead of 1970-01-01, on the first load and later.
    s = new_scratch("transform-scd2", scd("SCD_TYPE_2_BY_TIME (unique_key id, updated_at_as_valid_from true)",
                                          BY_TIME_SELECT))
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n")
    run(s, "2023-01-02 00:00:00")
    land(s, "src.csv", "id,name,updated_at\n1,x,2022-01-04 00:00:00\n2,b,2022-01-03 00:00:00\n")
    run(s, "2023-01-05 00:00:00")
    assert rows(s) == [
        ("1", "a", "2022-01-01 00:00:00", "2022-01-01 00:00:00", "2022-01-04 00:00:00"),
        ("1", "x", "2022-01-04 00:00:00", "2022-01-04 00:00:00", None),
        ("2", "b", "2022-01-03 00:00:00", "2022-01-03 00:00:00", None),
    ], rows(s)
    s.cleanup()


def test_by_time_custom_names_and_type():
    # SQLMesh: kind.py valid_from_name / valid_to_name / updated_at_name / time_data_type
    # (test_base.py test_scd_type_2_by_time uses test_valid_from, test_valid_to,
    # test_UPDATED_at): the table's managed columns are named and typed as given.
    s = new_scratch("transform-scd2", scd(
        "SCD_TYPE_2_BY_TIME (unique_key id, valid_from_name start_ts, valid_to_name end_ts, "
        "updated_at_name changed, time_data_type TIMESTAMPTZ)",
        "SELECT CAST(id AS INT) AS id, name, CAST(updated_at AS TIMESTAMPTZ) AS changed FROM raw.src"))
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n")
    run(s, "2023-01-02 00:00:00")
    cols = q(s, "SELECT column_name AS c, data_type AS t FROM duckdb_columns() WHERE schema_name = 'hist' "
                "AND table_name = 't' ORDER BY column_index")
    assert cols == [{"c": "id", "t": "INTEGER"}, {"c": "name", "t": "VARCHAR"}, {"c": "changed", "t": "TIMESTAMP WITH TIME ZONE"},
                    {"c": "start_ts", "t": "TIMESTAMP WITH TIME ZONE"},
                    {"c": "end_ts", "t": "TIMESTAMP WITH TIME ZONE"}], cols
    land(s, "src.csv", "id,name,updated_at\n1,x,2022-01-04 00:00:00\n")
    run(s, "2023-01-05 00:00:00")
    got = q(s, "SELECT name, epoch(changed) AS changed, epoch(start_ts) AS f, epoch(end_ts) AS t "
               "FROM hist.t ORDER BY f")
    assert got == [{"name": "a", "changed": 1640995200.0, "f": 0.0, "t": 1641254400.0},
                   {"name": "x", "changed": 1641254400.0, "f": 1641254400.0, "t": None}], got
    s.cleanup()


BY_COLUMN_SELECT = "SELECT CAST(id AS INT) AS id, name, status FROM raw.src"


def by_column_rows(s):
    return rows(s, cols="id, name, status")


def test_by_column_columns_list():
    # SQLMesh: tests/core/engine_adapter/integration/test_integration.py
    # test_scd_type_2_by_column: its two loads and expected rows (check columns name, status;
    # invalidate_hard_deletes true as that adapter call defaults it).
    s = new_scratch("transform-scd2", scd("SCD_TYPE_2_BY_COLUMN (unique_key id, columns [name, status], "
                                          "invalidate_hard_deletes true)", BY_COLUMN_SELECT, start="2022-12-31"))
    land(s, "src.csv", "id,name,status\n1,a,active\n2,b,inactive\n3,c,active\n4,d,active\n")
    run(s, "2023-01-01 00:00:00")
    assert by_column_rows(s) == [
        ("1", "a", "active", "1970-01-01 00:00:00", None),
        ("2", "b", "inactive", "1970-01-01 00:00:00", None),
        ("3", "c", "active", "1970-01-01 00:00:00", None),
        ("4", "d", "active", "1970-01-01 00:00:00", None),
    ], by_column_rows(s)
    land(s, "src.csv", "id,name,status\n1,x,active\n3,c,active\n4,d,inactive\n5,e,inactive\n")
    run(s, "2023-01-05 00:00:00")
    assert by_column_rows(s) == [
        ("1", "a", "active", "1970-01-01 00:00:00", "2023-01-05 00:00:00"),
        ("1", "x", "active", "2023-01-05 00:00:00", None),
        ("2", "b", "inactive", "1970-01-01 00:00:00", "2023-01-05 00:00:00"),
        ("3", "c", "active", "1970-01-01 00:00:00", None),
        ("4", "d", "active", "1970-01-01 00:00:00", "2023-01-05 00:00:00"),
        ("4", "d", "inactive", "2023-01-05 00:00:00", None),
        ("5", "e", "inactive", "2023-01-05 00:00:00", None),
    ], by_column_rows(s)
    s.cleanup()


def test_by_column_only_listed_columns_count():
    # SQLMesh: base.py _scd_type_2 row_value_check covers only the check columns, and an
    # unchanged current row keeps its own values (COALESCE(t_col, col) in updated_rows): a
    # change to another column is not recorded. invalidate_hard_deletes false (the kind's
    # default; test_base.py test_scd_type_2_by_column_no_invalidate_hard_deletes): a deleted
    # key stays current.
    s = new_scratch("transform-scd2", scd("SCD_TYPE_2_BY_COLUMN (unique_key id, columns name)", BY_COLUMN_SELECT,
                                          start="2022-12-31"))
    land(s, "src.csv", "id,name,status\n1,a,active\n2,b,active\n")
    run(s, "2023-01-01 00:00:00")
    land(s, "src.csv", "id,name,status\n1,a,inactive\n")
    run(s, "2023-01-05 00:00:00")
    assert by_column_rows(s) == [
        ("1", "a", "active", "1970-01-01 00:00:00", None),
        ("2", "b", "active", "1970-01-01 00:00:00", None),
    ], by_column_rows(s)
    s.cleanup()


def test_by_column_star_and_execution_time_as_valid_from():
    # SQLMesh: test_base.py test_scd_type_2_by_column_star_check (columns *: every column
    # but valid_from/valid_to is checked) and base.py's update_valid_from_start: with
    # execution_time_as_valid_from the first load's rows start at the execution time, not
    # 1970-01-01. NULL to a value counts as a change (its IS NULL conditions); the closed
    # row then shows the new value where the old one was NULL (updated_rows takes
    # COALESCE(t_col, col), SQLMesh's own quirk, kept).
    s = new_scratch("transform-scd2", scd("SCD_TYPE_2_BY_COLUMN (unique_key id, columns *, "
                                          "execution_time_as_valid_from true)",
                                          "SELECT CAST(id AS INT) AS id, name, NULLIF(status, '-') AS status "
                                          "FROM raw.src", start="2022-12-31"))
    land(s, "src.csv", "id,name,status\n1,a,-\n2,b,active\n")
    run(s, "2023-01-01 00:00:00")
    land(s, "src.csv", "id,name,status\n1,a,active\n2,b,inactive\n")
    run(s, "2023-01-05 00:00:00")
    assert by_column_rows(s) == [
        ("1", "a", "active", "2023-01-01 00:00:00", "2023-01-05 00:00:00"),
        ("1", "a", "active", "2023-01-05 00:00:00", None),
        ("2", "b", "active", "2023-01-01 00:00:00", "2023-01-05 00:00:00"),
        ("2", "b", "inactive", "2023-01-05 00:00:00", None),
    ], by_column_rows(s)
    s.cleanup()


def test_by_column_updated_at_name():
    # SQLMesh: snapshot/evaluator.py SCDType2Strategy.insert passes BY_COLUMN's
    # updated_at_name as the execution time: a change opens and closes at the row's own
    # updated_at, not at the run's time.
    s = new_scratch("transform-scd2", scd("SCD_TYPE_2_BY_COLUMN (unique_key id, columns [name], "
                                          "updated_at_name updated_at)",
                                          "SELECT CAST(id AS INT) AS id, name, CAST(updated_at AS TIMESTAMP) "
                                          "AS updated_at FROM raw.src", start="2022-12-31"))
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n")
    run(s, "2023-01-01 00:00:00")
    land(s, "src.csv", "id,name,updated_at\n1,x,2022-06-01 00:00:00\n2,b,2022-07-01 00:00:00\n")
    run(s, "2023-01-05 00:00:00")
    assert rows(s) == [
        ("1", "a", "2022-01-01 00:00:00", "1970-01-01 00:00:00", "2022-06-01 00:00:00"),
        ("1", "x", "2022-06-01 00:00:00", "2022-06-01 00:00:00", None),
        ("2", "b", "2022-07-01 00:00:00", "2022-07-01 00:00:00", None),
    ], rows(s)
    s.cleanup()


def physical_tables(s):
    return q(s, "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'materia__hist'")[0]["n"]


def test_changed_query_keeps_history():
    # SQLMesh: model/kind.py _SCDType2Kind forward_only True; snapshot/definition.py
    # categorize_as gives a forward-only change the previous version's table, and
    # snapshot/evaluator.py migrate adds the new query's columns to it
    # (tests/core/integration/test_model_kinds.py
    # test_scd_type_2_by_time_ignore_destructive_change: after the change the table keeps
    # its row and gains new_column; the next run merges with the new query). No interval is
    # redone: the change shows at the next due run.
    files = scd("SCD_TYPE_2 (unique_key id)", BY_TIME_SELECT)
    s = new_scratch("transform-scd2", files)
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n2,b,2022-01-02 00:00:00\n")
    run(s, "2023-01-02 00:00:00")
    land(s, "src.csv", "id,name,updated_at\n1,x,2022-01-04 00:00:00\n2,b,2022-01-02 00:00:00\n")
    run(s, "2023-01-05 00:00:00")
    write_files(s, {"models/hist/t.sql": files["models/hist/t.sql"].replace(
        "name, CAST", "name, upper(name) AS name_up, CAST")})
    p = s.run("plan", env={"MATERIA_EXECUTION_TIME": "2023-01-05 00:00:00"}, check=0)
    assert re.search(r"^  changed +hist\.t +SCD_TYPE_2_BY_TIME$", p.stdout, re.M), p.stdout
    p = run(s, "2023-01-05 00:00:00")
    assert re.search(r"^  create +hist\.t .* 3 rows$", p.stdout, re.M), p.stdout
    assert rows(s, cols="id, name, name_up") == [
        ("1", "a", None, "1970-01-01 00:00:00", "2022-01-04 00:00:00"),
        ("1", "x", None, "2022-01-04 00:00:00", None),
        ("2", "b", None, "1970-01-01 00:00:00", None),
    ], rows(s, cols="id, name, name_up")
    assert physical_tables(s) == 2  # a new version, the live one's rows copied into it
    assert run(s, "2023-01-05 12:00:00").stdout.startswith("nothing to do")
    # the next due run merges with the new query (current rows with a NULL name_up take the
    # query's value: updated_rows' COALESCE(t_name_up, name_up), as in SQLMesh)
    land(s, "src.csv", "id,name,updated_at\n1,x,2022-01-04 00:00:00\n2,bb,2022-01-05 00:00:00\n")
    run(s, "2023-01-06 00:00:00")
    assert rows(s, cols="id, name, name_up") == [
        ("1", "a", None, "1970-01-01 00:00:00", "2022-01-04 00:00:00"),
        ("1", "x", "X", "2022-01-04 00:00:00", None),
        ("2", "b", "BB", "1970-01-01 00:00:00", "2022-01-05 00:00:00"),
        ("2", "bb", "BB", "2022-01-05 00:00:00", None),
    ], rows(s, cols="id, name, name_up")
    s.cleanup()


def test_metadata_kind_arguments_make_no_new_version():
    # SQLMesh: model/kind.py _SCDType2Kind metadata_hash_values holds forward_only and
    # disable_restatement (and _Incremental's on_destructive_change / on_additive_change):
    # changing them is a metadata change, not a new version.
    files = scd("SCD_TYPE_2 (unique_key id)", BY_TIME_SELECT)
    s = new_scratch("transform-scd2", files)
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n")
    run(s, "2023-01-02 00:00:00")
    write_files(s, {"models/hist/t.sql": files["models/hist/t.sql"].replace(
        "unique_key id", "unique_key id, forward_only true, disable_restatement false, on_destructive_change error")})
    assert run(s, "2023-01-02 00:00:00").stdout.startswith("nothing to do")
    s.cleanup()


def test_changed_query_dropping_a_column_fails():
    # SQLMesh: kind.py _Incremental on_destructive_change ERROR by default;
    # snapshot/evaluator.py _check_destructive_schema_change raises for a forward-only
    # change that drops a column of the kept table. The run fails and changes nothing.
    files = scd("SCD_TYPE_2 (unique_key id)", BY_TIME_SELECT)
    s = new_scratch("transform-scd2", files)
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n")
    run(s, "2023-01-02 00:00:00")
    write_files(s, {"models/hist/t.sql": files["models/hist/t.sql"].replace("name, CAST", "CAST")})
    p = run(s, "2023-01-03 00:00:00", check=1)
    assert re.search(r"t\.sql:1: destructive change to forward-only model hist\.t: .*name dropped", p.stderr), \
        p.stderr
    assert rows(s) == [("1", "a", "2022-01-01 00:00:00", "1970-01-01 00:00:00", None)], rows(s)
    s.cleanup()


def test_forward_only_false_rebuilds():
    # SQLMesh: forward_only false makes a change breaking (snapshot/definition.py
    # categorize_as: a new table version), built from the query alone as a first insert
    # (evaluator.py is_first_insert → truncate): the history is rebuilt from current rows.
    files = scd("SCD_TYPE_2 (unique_key id, forward_only false)", BY_TIME_SELECT)
    s = new_scratch("transform-scd2", files)
    land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n")
    run(s, "2023-01-02 00:00:00")
    land(s, "src.csv", "id,name,updated_at\n1,x,2022-01-04 00:00:00\n")
    run(s, "2023-01-05 00:00:00")
    assert len(rows(s)) == 2, rows(s)
    write_files(s, {"models/hist/t.sql": files["models/hist/t.sql"].replace("name, CAST", "lower(name) AS name, CAST")})
    run(s, "2023-01-05 00:00:00")
    assert rows(s) == [("1", "x", "2022-01-04 00:00:00", "1970-01-01 00:00:00", None)], rows(s)
    s.cleanup()


def test_batch_size_merges_per_batch():
    # SQLMesh: kind.py _SCDType2Kind batch_size; scheduler.py batch_intervals runs one
    # evaluation (one merge) per batch of missing intervals, the first one the version's
    # first insert. Three days missing, batch_size 1: three merges, three intervals.
    s = new_scratch("transform-scd2", scd("SCD_TYPE_2_BY_COLUMN (unique_key id, columns [name], batch_size 1)",
                                          BY_COLUMN_SELECT))
    land(s, "src.csv", "id,name,status\n1,a,x\n")
    run(s, "2023-01-04 00:00:00")
    iv = q(s, "SELECT CAST(start_ts AS VARCHAR) AS s FROM _materia.intervals WHERE model = 'hist.t' ORDER BY 1")
    assert [r["s"] for r in iv] == ["2023-01-01 00:00:00", "2023-01-02 00:00:00", "2023-01-03 00:00:00"], iv
    assert by_column_rows(s) == [("1", "a", "x", "1970-01-01 00:00:00", None)], by_column_rows(s)
    s.cleanup()


REFUSALS = [
    # (kind text, message after "t.sql:3: ") — each property SQLMesh's kinds take that
    # materia does not honour, and names SQLMesh's pydantic kinds reject (extra="forbid")
    ("SCD_TYPE_2 (unique_key id, on_destructive_change allow)",
     r"on_destructive_change allow is not supported by materia: "),
    ("SCD_TYPE_2 (unique_key id, on_additive_change ignore)", r"on_additive_change ignore is not supported by materia: "),
    ("SCD_TYPE_2_BY_TIME (unique_key id, auto_restatement_cron '@weekly')",
     r"auto_restatement_cron is not supported by materia: it never restates a model"),
    ("SCD_TYPE_2_BY_COLUMN (unique_key id, columns *, dialect hive)", r"dialect hive is not supported by materia: "),
    ("SCD_TYPE_2 (unique_key id, lookback 2)", r"unknown SCD_TYPE_2_BY_TIME property 'lookback': expected "),
    ("SCD_TYPE_2_BY_COLUMN (unique_key id, columns *, updated_at_as_valid_from true)",
     r"unknown SCD_TYPE_2_BY_COLUMN property 'updated_at_as_valid_from': expected "),
    ("SCD_TYPE_2_BY_TIME (unique_key id, execution_time_as_valid_from true)",
     r"unknown SCD_TYPE_2_BY_TIME property 'execution_time_as_valid_from': expected "),
    ("SCD_TYPE_2 (updated_at_name ts)", r"expected SCD_TYPE_2_BY_TIME \(unique_key COLUMN\)"),
    ("SCD_TYPE_2_BY_COLUMN (unique_key id)", r"expected SCD_TYPE_2_BY_COLUMN \(unique_key COLUMN, columns "),
    ("SCD_TYPE_2 (unique_key id, invalidate_hard_deletes maybe)", r"expected invalidate_hard_deletes true or false"),
]


def test_star_sees_valid_from_and_valid_to():
    # SQLMesh: model/definition.py columns_to_types adds kind.managed_columns (valid_from,
    # valid_to) to the model's columns, declared or inferred; @STAR over an SCD model expands
    # them, before the table exists as after (so the reader's fingerprint is stable).
    for declared in ["", ",\n  columns (id INT, name VARCHAR, updated_at TIMESTAMP)"]:
        files = scd("SCD_TYPE_2 (unique_key id)", BY_TIME_SELECT)
        files["models/hist/t.sql"] = files["models/hist/t.sql"].replace("start '2023-01-01'",
                                                                        "start '2023-01-01'" + declared)
        files["models/hist/r.sql"] = "MODEL (name hist.r, kind FULL);\nSELECT @STAR(hist.t) FROM hist.t\n"
        s = new_scratch("transform-scd2", files)
        land(s, "src.csv", "id,name,updated_at\n1,a,2022-01-01 00:00:00\n")
        run(s, "2023-01-02 00:00:00")
        cols = q(s, "SELECT column_name AS c FROM duckdb_columns() WHERE schema_name = 'hist' AND table_name = 'r' "
                    "ORDER BY column_index")
        assert [c["c"] for c in cols] == ["id", "name", "updated_at", "valid_from", "valid_to"], (declared, cols)
        assert run(s, "2023-01-02 00:00:00").stdout.startswith("nothing to do"), declared
        s.cleanup()


def test_reading_itself_refused():
    # SQLMesh lets an SCD model read its own table; materia does not implement it for these
    # kinds and says so.
    s = new_scratch("transform-scd2", scd("SCD_TYPE_2 (unique_key id)", BY_TIME_SELECT + " UNION ALL "
                                          "SELECT id, name, updated_at FROM hist.t"))
    p = s.run("plan", check=None)
    assert p.returncode != 0, p.stdout
    assert re.search(r"t\.sql:6: SCD_TYPE_2_BY_TIME reading its own rows is not supported by materia: ", p.stderr), \
        p.stderr
    s.cleanup()


def test_refusals():
    # SQLMesh: model/kind.py _Incremental (on_destructive_change, on_additive_change,
    # auto_restatement_cron), _SCDType2Kind (dialect, unique_key required), and
    # SCDType2ByColumnKind (columns required).
    for kind, msg in REFUSALS:
        s = new_scratch("transform-scd2", scd(kind, BY_TIME_SELECT))
        p = s.run("plan", check=None)
        assert p.returncode != 0, (kind, p.stdout)
        assert re.search(r"t\.sql:3: " + msg, p.stderr), (kind, p.stderr)
        s.cleanup()


def marketing_model():
    """sushi's marketing.sql (tests/fixtures/sushi/models) without its post-statement, which
    calls the Python macro @assert_has_columns (refused; test_sushi.py)."""
    with open(os.path.join(SRC, "tests", "fixtures", "sushi", "models", "marketing.sql")) as f:
        text = f.read()
    at = text.index("@assert_has_columns(")
    return text[:at].rstrip() + "\n"


def test_sushi_marketing():
    # SQLMesh: examples/sushi/models/marketing.sql (kind SCD_TYPE_2 (unique_key customer_id),
    # i.e. SCD_TYPE_2_BY_TIME with updated_at) on the raw_marketing stand-in (test_sushi.py
    # STANDINS: a SEED of raw_marketing.py's columns), two runs: the second after customer 38
    # changes status and customer 8 is removed (kept open: invalidate_hard_deletes false).
    fx = os.path.join(SRC, "tests", "fixtures", "sushi")
    with open(os.path.join(fx, "models", "raw_marketing.sql")) as f:
        raw = f.read().replace("'../seeds/raw_marketing.csv'", "'raw_marketing.csv'")
    with open(os.path.join(fx, "seeds", "raw_marketing.csv")) as f:
        csv = f.read()
    files = {"models/raw_marketing.sql": raw, "models/raw_marketing.csv": csv, "models/marketing.sql": marketing_model()}
    s = new_scratch("transform-scd2", files)
    run(s, "2023-01-08 00:00:00")
    total = csv.count("\n") - 1
    assert q(s, "SELECT count(*) AS n, count(*) FILTER (valid_to IS NULL) AS cur, "
                "count(*) FILTER (valid_from = TIMESTAMP '1970-01-01') AS epoch FROM sushi.marketing") == \
        [{"n": total, "cur": total, "epoch": total}]
    lines = csv.splitlines()
    assert lines[1] == "38,active,2023-01-07 00:00:00" and lines[4] == "8,inactive,2023-01-07 00:00:00", lines[:5]
    changed = [lines[0], "38,inactive,2023-01-08 12:00:00"] + lines[2:4] + lines[5:]
    write_files(s, {"models/raw_marketing.csv": "\n".join(changed) + "\n"})
    run(s, "2023-01-09 00:00:00")
    got = q(s, "SELECT customer_id AS c, status AS s, CAST(valid_from AS VARCHAR) AS f, CAST(valid_to AS VARCHAR) AS t "
               "FROM sushi.marketing WHERE customer_id IN (38, 8) ORDER BY customer_id, valid_from")
    assert got == [
        {"c": 8, "s": "inactive", "f": "1970-01-01 00:00:00", "t": None},
        {"c": 38, "s": "active", "f": "1970-01-01 00:00:00", "t": "2023-01-08 12:00:00"},
        {"c": 38, "s": "inactive", "f": "2023-01-08 12:00:00", "t": None},
    ], got
    assert q(s, "SELECT count(*) AS n FROM sushi.marketing") == [{"n": total + 1}]
    s.cleanup()


if __name__ == "__main__":
    main([test_by_time_updates_deletes_inserts, test_kind_name_alias, test_by_time_hard_deletes_kept_open_by_default,
          test_by_time_deleted_key_comes_back, test_by_time_updated_at_as_valid_from,
          test_by_time_custom_names_and_type, test_by_column_columns_list, test_by_column_only_listed_columns_count,
          test_by_column_star_and_execution_time_as_valid_from, test_by_column_updated_at_name,
          test_changed_query_keeps_history, test_metadata_kind_arguments_make_no_new_version,
          test_changed_query_dropping_a_column_fails, test_forward_only_false_rebuilds,
          test_batch_size_merges_per_batch, test_star_sees_valid_from_and_valid_to,
          test_reading_itself_refused, test_refusals, test_sushi_marketing])
