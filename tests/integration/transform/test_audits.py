"""Audits run before promotion: a failing audit stops the run, the previous version stays
live (the serving view still returns the old data), the error names the model, the audit
and offending rows, and the run is recorded as audit_failed. Every built-in audit and a
custom audit (audits/*.sql with @this_model, arguments and defaults) can fail."""
from tproject import land, new_scratch, q, write_files

T0 = "2024-02-01 12:00"

BASE = {
    "models/raw/prod.sql":
        "MODEL (name raw.prod, kind FULL);\n"
        "SELECT * FROM read_csv(@VAR('landing_dir') || '/p.csv', header = true,\n"
        "  columns = {'code': 'VARCHAR', 'year': 'INTEGER', 'qty': 'DOUBLE', 'kind': 'VARCHAR'})\n",
    "models/serving/prod.sql":
        "MODEL (\n  name serving.prod,\n  kind FULL,\n  audits (\n"
        "    not_null(columns := (code, year)),\n"
        "    unique_combination_of_columns(columns := (code, year)),\n"
        "    unique_values(columns := (code)),\n"
        "    accepted_values(column := kind, is_in := ('arabica', 'robusta')),\n"
        "    accepted_range(column := qty, min_v := 0, max_v := 100000),\n"
        "    number_of_rows(threshold := 1),\n"
        "    forall(criteria := (year >= 1960, length(code) = 2)),\n"
        "    assert_not_zero(column := qty),\n"
        "    assert_small\n  )\n);\n"
        "SELECT code, year, qty, kind FROM raw.prod\n",
    "audits/custom.sql":
        "AUDIT (name assert_not_zero);\nSELECT * FROM @this_model WHERE @column = 0;\n\n"
        "AUDIT (name assert_small, defaults (limit_v := 90000));\nSELECT * FROM @this_model WHERE qty > @limit_v\n",
}
GOOD = "code,year,qty,kind\nBR,2018,52100,arabica\nVN,2018,29500,robusta\n"


def setup():
    s = new_scratch("transform-audit", BASE)
    land(s, "p.csv", GOOD)
    s.run("run", "--execution-time", T0, check=0)
    return s


def fails_with(s, csv, *want):
    land(s, "p.csv", csv)
    p = s.run("run", "--execution-time", T0, check=1)
    for w in want:
        assert w in p.stderr, (w, p.stderr)
    assert "model serving.prod" in p.stderr, p.stderr
    # previous version still live, through the serving view, for every reader
    assert q(s, "SELECT code, qty FROM serving.prod ORDER BY code") == [
        {"code": "BR", "qty": 52100.0}, {"code": "VN", "qty": 29500.0}]
    # and upstream models of the failed run were not promoted either (one transaction)
    assert q(s, "SELECT count(*) AS n FROM raw.prod") == [{"n": 2}]
    st = q(s, "SELECT status, message FROM _materia.runs ORDER BY started_at DESC LIMIT 1")[0]
    assert st["status"] == "audit_failed" and "serving.prod" in st["message"], st
    rm = q(s, f"SELECT model, status FROM _materia.run_models WHERE run_id = (SELECT run_id FROM _materia.runs "
              "ORDER BY started_at DESC LIMIT 1) ORDER BY model")
    assert {"model": "serving.prod", "status": "audit_failed"} in rm, rm
    # the models built before it in that run were rolled back with it, and say so
    assert {"model": "raw.prod", "status": "rolled_back"} in rm, rm
    assert not [r for r in rm if r["status"] == "ok"], rm
    return p


def test_every_builtin_and_custom_audit_can_fail_and_keeps_previous_version():
    s = setup()
    fails_with(s, GOOD + ",2019,1,arabica\n", "audit not_null(columns := (code, year))", "code=NULL")
    fails_with(s, GOOD + "BR,2018,1,arabica\n", "audit unique_combination_of_columns")
    # SQLMesh's unique_values returns each column's row_number, rank_<column> (builtin.py)
    fails_with(s, GOOD + "BR,2019,1,arabica\n", "audit unique_values(columns := (code))", "rank_code=2")
    fails_with(s, GOOD + "CO,2019,1,liberica\n", "audit accepted_values", "kind=liberica")
    fails_with(s, GOOD + "CO,2019,-5,arabica\n", "audit accepted_range(column := qty, min_v := 0, max_v := 100000)",
               "1 bad rows", "qty=-5.0")
    fails_with(s, "code,year,qty,kind\nBR,2018,52100,arabica\n", "audit number_of_rows(threshold := 1)")
    fails_with(s, GOOD + "COL,2019,1,arabica\n", "audit forall", "code=COL")
    fails_with(s, GOOD + "CO,2019,0,arabica\n", "audit assert_not_zero(column := qty)", "code=CO")
    fails_with(s, GOOD + "CO,2019,95000,arabica\n", "audit assert_small", "qty=95000.0")
    # at most 5 offending rows are shown
    many = GOOD + "".join(f"X{i},2019,-1,arabica\n" for i in range(9))
    p = fails_with(s, many, "9 bad rows")
    assert p.stderr.count("{code=") == 5, p.stderr
    # fixed data: the run succeeds and promotes
    land(s, "p.csv", GOOD + "CO,2019,13000,arabica\n")
    s.run("run", "--execution-time", T0, check=0)
    assert q(s, "SELECT count(*) AS n FROM serving.prod") == [{"n": 3}]
    s.cleanup()


def test_unknown_audit_is_an_error():
    s = new_scratch("transform-audit", {"models/a/b.sql": "MODEL (name a.b, kind FULL, audits (no_such_audit));\nSELECT 1 AS x\n"})
    p = s.run("run", check=1)
    assert "models/a/b.sql:1: unknown audit 'no_such_audit'" in p.stderr, p.stderr
    s.cleanup()


def test_failing_audit_on_incremental_rolls_back_the_insert():
    files = {"models/raw/ev.sql":
             "MODEL (name raw.ev, kind INCREMENTAL_BY_TIME_RANGE (time_column ts), start '2024-01-01',\n"
             "       audits (accepted_range(column := qty, min_v := 0)));\n"
             "SELECT * FROM read_csv(@VAR('landing_dir') || '/ev/*.csv', header = true,\n"
             "  columns = {'qty': 'DOUBLE', 'ts': 'TIMESTAMP'}) WHERE ts BETWEEN @start_ts AND @end_ts\n"}
    s = new_scratch("transform-audit", files)
    land(s, "ev/a.csv", "qty,ts\n1,2024-01-01 10:00\n")
    s.run("run", "--execution-time", "2024-01-02 12:00", check=0)
    land(s, "ev/b.csv", "qty,ts\n-1,2024-01-02 10:00\n")
    p = s.run("run", "--execution-time", "2024-01-02 12:00", check=1)
    assert "model raw.ev, audit accepted_range" in p.stderr, p.stderr
    assert q(s, "SELECT count(*) AS n FROM raw.ev") == [{"n": 1}]
    assert q(s, "SELECT count(*) AS n FROM _materia.intervals") == [{"n": 1}]
    s.cleanup()


def test_incremental_refresh_audits_only_the_processed_intervals():
    """An INCREMENTAL_BY_TIME_RANGE refresh audits the rows of the intervals it processed
    (as SQLMesh does), not the whole history: an audit added later (audits are metadata,
    not fingerprinted) does not fail on old rows, but does on a new bad row."""
    ev = ("MODEL (name raw.ev, kind INCREMENTAL_BY_TIME_RANGE (time_column ts), start '2024-01-01'%s);\n"
          "SELECT * FROM read_csv(@VAR('landing_dir') || '/ev/*.csv', header = true,\n"
          "  columns = {'qty': 'DOUBLE', 'ts': 'TIMESTAMP'}) WHERE ts BETWEEN @start_ts AND @end_ts\n")
    s = new_scratch("transform-audit", {"models/raw/ev.sql": ev % ""})
    land(s, "ev/a.csv", "qty,ts\n-1,2024-01-01 10:00\n")
    s.run("run", "--execution-time", "2024-01-02 12:00", check=0)
    write_files(s, {"models/raw/ev.sql": ev % ",\n  audits (accepted_range(column := qty, min_v := 0))"})
    land(s, "ev/b.csv", "qty,ts\n5,2024-01-02 10:00\n")
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert q(s, "SELECT count(*) AS n FROM raw.ev") == [{"n": 2}]
    land(s, "ev/c.csv", "qty,ts\n-7,2024-01-03 10:00\n")
    p = s.run("run", "--execution-time", "2024-01-04 12:00", check=1)
    assert "model raw.ev, audit accepted_range" in p.stderr and "-7" in p.stderr, p.stderr
    assert q(s, "SELECT count(*) AS n FROM raw.ev") == [{"n": 2}]
    s.cleanup()


if __name__ == "__main__":
    from harness import main
    main([test_every_builtin_and_custom_audit_can_fail_and_keeps_previous_version, test_unknown_audit_is_an_error,
          test_failing_audit_on_incremental_rolls_back_the_insert,
          test_incremental_refresh_audits_only_the_processed_intervals])
