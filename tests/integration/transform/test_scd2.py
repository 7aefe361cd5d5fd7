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


if __name__ == "__main__":
    main([test_by_time_updates_deletes_inserts])
