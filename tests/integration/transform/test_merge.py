"""INCREMENTAL_BY_UNIQUE_KEY through MERGE INTO (src/transform/merge.c) for when_matched,
merge_filter and unique_key expressions; batch_size / batch_concurrency on incremental kinds;
time_column formats (src/transform/time_column.c). Rows in, rows out over several runs; each
case names the SQLMesh test it mirrors (repository TobikoData/sqlmesh)."""
from tproject import actions, land, new_scratch, q, write_files

SRC = {"models/raw/src.sql":
       "MODEL (name raw.src, kind FULL);\n"
       "SELECT * FROM read_csv(@VAR('landing_dir') || '/src/*.csv', header = true,\n"
       "  columns = {'id': 'INTEGER', 'region': 'VARCHAR', 'ts': 'TIMESTAMP', 'val': 'INTEGER'})\n"}


def keyed(props, select="id, region, ts, val"):
    return {"models/inc/k.sql":
            f"MODEL (\n  name inc.k,\n  kind INCREMENTAL_BY_UNIQUE_KEY (\n    {props}\n  )\n);\n"
            f"SELECT {select} FROM raw.src\n"}


def rows(s, sql="SELECT id, region, CAST(ts AS VARCHAR) AS ts, val FROM inc.k ORDER BY id, ts"):
    return [tuple(r.values()) for r in q(s, sql)]


def run(s, at, check=0):
    return s.run("run", env={"MATERIA_EXECUTION_TIME": at}, check=check)


def test_when_matched_keeps_the_target_value_where_the_source_has_none():
    # tests/core/engine_adapter/test_base.py::test_merge_when_matched,
    # tests/core/test_model.py::test_when_matched (source./target. become the merge aliases)
    s = new_scratch("transform-merge", {**SRC, **keyed(
        "unique_key id,\n    when_matched (WHEN MATCHED THEN UPDATE SET target.val = COALESCE(source.val, target.val),\n"
        "      target.ts = source.ts)")})
    land(s, "src/a.csv", "id,region,ts,val\n1,eu,2024-01-01 00:00,10\n2,us,2024-01-01 00:00,20\n")
    p = run(s, "2024-01-01 12:00")
    assert actions(p.stdout)["inc.k"] == "create", p.stdout
    land(s, "src/a.csv", "id,region,ts,val\n1,EU,2024-01-02 00:00,\n2,us,2024-01-02 00:00,21\n3,br,2024-01-02 00:00,30\n")
    p = run(s, "2024-01-02 12:00")
    assert actions(p.stdout)["inc.k"] == "upsert", p.stdout
    # region is not in the SET list: kept; val NULL in the source: kept; new key inserted
    assert rows(s) == [(1, "eu", "2024-01-02 00:00:00", 10), (2, "us", "2024-01-02 00:00:00", 21),
                       (3, "br", "2024-01-02 00:00:00", 30)]
    s.cleanup()


def test_when_matched_multiple_clauses():
    # tests/core/engine_adapter/test_base.py::test_merge_when_matched_multiple,
    # tests/core/test_model.py::test_when_matched_multiple (clauses separated by a comma too:
    # ::test_when_matched_merge_filter_multi_part_columns)
    s = new_scratch("transform-merge", {**SRC, **keyed(
        "unique_key id,\n    when_matched (WHEN MATCHED AND source.id = 1 THEN UPDATE SET val = source.val,\n"
        "      WHEN MATCHED AND source.val < 0 THEN DELETE\n"
        "      WHEN MATCHED THEN UPDATE SET target.val = target.val + 100)")})
    land(s, "src/a.csv", "id,region,ts,val\n1,eu,2024-01-01,10\n2,us,2024-01-01,20\n3,br,2024-01-01,30\n")
    run(s, "2024-01-01 12:00")
    land(s, "src/a.csv", "id,region,ts,val\n1,eu,2024-01-01,11\n2,us,2024-01-01,22\n3,br,2024-01-01,-1\n")
    run(s, "2024-01-02 12:00")
    assert rows(s, "SELECT id, val FROM inc.k ORDER BY id") == [(1, 11), (2, 120)]
    s.cleanup()


def test_merge_filter_limits_which_rows_match():
    # tests/core/engine_adapter/test_base.py::test_merge_filter: ON (<merge_filter>) AND key; a
    # source row the filter rejects matches nothing and is inserted (as SQLMesh's MERGE does).
    # The filter is rendered with the run's times (test_model.py::test_merge_filter_macro).
    s = new_scratch("transform-merge", {**SRC, **keyed(
        "unique_key id,\n    merge_filter source.ts > target.ts AND source.ts < @end_ts")})
    land(s, "src/a.csv", "id,region,ts,val\n1,eu,2024-01-01 05:00,10\n2,us,2024-01-01 05:00,20\n")
    run(s, "2024-01-01 12:00")
    land(s, "src/a.csv", "id,region,ts,val\n1,eu,2024-01-02 05:00,11\n2,us,2024-01-01 05:00,99\n")
    run(s, "2024-01-02 12:00")
    assert rows(s) == [(1, "eu", "2024-01-02 05:00:00", 11), (2, "us", "2024-01-01 05:00:00", 20),
                       (2, "us", "2024-01-01 05:00:00", 99)]
    s.cleanup()


def test_unique_key_expression():
    # sqlmesh/core/model/kind.py IncrementalByUniqueKeyKind.unique_key: SQLGlotListOfFields takes
    # expressions; engine_adapter/base.py merge: each part compared target vs source
    s = new_scratch("transform-merge", {**SRC, **keyed("unique_key (COALESCE(region, ''), id)")})
    land(s, "src/a.csv", "id,region,ts,val\n1,,2024-01-01,10\n2,us,2024-01-01,20\n")
    run(s, "2024-01-01 12:00")
    land(s, "src/a.csv", "id,region,ts,val\n1,,2024-01-01,11\n2,eu,2024-01-01,21\n")
    p = run(s, "2024-01-02 12:00")
    assert actions(p.stdout)["inc.k"] == "upsert", p.stdout
    # (NULL, 1) matched through COALESCE: updated, not duplicated; ('eu', 2) is a new key
    assert rows(s, "SELECT id, region, val FROM inc.k ORDER BY id, val") == [(1, None, 11), (2, "us", 20), (2, "eu", 21)]
    s.cleanup()


DAYS = {"models/raw/days.sql":
        "MODEL (name raw.days, kind FULL);\n"
        "SELECT d::DATE AS day, CAST(strftime(d, '%d') AS INTEGER) AS n\n"
        "FROM generate_series(TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-09', INTERVAL 1 DAY) AS t(d)\n"}


def test_batch_size_on_unique_key_batches_intervals():
    # sqlmesh/core/scheduler.py batch_intervals: batch_size applies to any kind with intervals;
    # each batch is one query (and one interval row), later batches merged into the first
    body = ("MODEL (name inc.b, kind INCREMENTAL_BY_UNIQUE_KEY (unique_key day{props}), start '2024-01-01');\n"
            "SELECT day, n FROM raw.days WHERE day BETWEEN @start_ds AND @end_ds\n")
    out = {}
    for props in ("", ", batch_size 2"):
        s = new_scratch("transform-merge", {**DAYS, "models/inc/b.sql": body.format(props=props)})
        run(s, "2024-01-06 00:00")
        out[props] = (rows(s, "SELECT CAST(day AS VARCHAR) AS d, n FROM inc.b ORDER BY day"),
                      q(s, "SELECT count(*) AS n FROM _materia.intervals WHERE model = 'inc.b'")[0]["n"])
        s.cleanup()
    assert out[""][0] == out[", batch_size 2"][0] == [(f"2024-01-0{i}", i) for i in range(1, 6)], out
    assert (out[""][1], out[", batch_size 2"][1]) == (1, 3), out  # 5 days: [2, 2, 1]


def test_batch_concurrency_gives_the_same_rows():
    # sqlmesh/core/model/kind.py _IncrementalBy.batch_concurrency: batches run one at a time
    # here (header.c), within any limit, so the rows are those of a run without it
    body = ("MODEL (name inc.t, kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 1{props}),\n"
            "  start '2024-01-01');\nSELECT day, n FROM raw.days WHERE day BETWEEN @start_ds AND @end_ds\n")
    got = []
    for props in ("", ", batch_concurrency 4"):
        s = new_scratch("transform-merge", {**DAYS, "models/inc/t.sql": body.format(props=props)})
        run(s, "2024-01-04 00:00")
        run(s, "2024-01-06 00:00")
        got.append(rows(s, "SELECT CAST(day AS VARCHAR) AS d, n FROM inc.t ORDER BY day"))
        s.cleanup()
    assert got[0] == got[1] == [(f"2024-01-0{i}", i) for i in range(1, 6)], got


def test_batches_of_a_new_version_survive_a_crash():
    # sqlmesh/core/scheduler.py run_merged_intervals: each batch is evaluated (and its interval
    # recorded) on its own, so a killed backfill resumes at the next batch. Here (runner.c
    # commit_batches) for a new INCREMENTAL_BY_TIME_RANGE version with batch_size, before the
    # run's transaction: the old layer stays what readers see until the whole run commits.
    body = ("MODEL (name inc.t, kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 2), start '2024-01-01');\n"
            "SELECT day, n * {k} AS n FROM raw.days WHERE day BETWEEN @start_ds AND @end_ds\n")
    child = {"models/inc/c.sql": "MODEL (name inc.c, kind FULL);\nSELECT sum(n) AS total FROM inc.t\n"}
    s = new_scratch("transform-merge", {**DAYS, **child, "models/inc/t.sql": body.format(k=1)})
    run(s, "2024-01-07 00:00")
    assert q(s, "SELECT total FROM inc.c") == [{"total": 21}]
    write_files(s, {"models/inc/t.sql": body.format(k=10)})
    p = s.run("run", env={"MATERIA_EXECUTION_TIME": "2024-01-07 00:00", "MATERIA_CRASH_AT": "after_batch_inc.t"})
    assert p.returncode != 0 and "MATERIA_CRASH_AT=after_batch_inc.t" in p.stderr, (p.returncode, p.stderr)
    # readers still see the previous layer, whole
    assert q(s, "SELECT sum(n) AS total FROM inc.t") == [{"total": 21}]
    assert q(s, "SELECT total FROM inc.c") == [{"total": 21}]
    live = "(SELECT fingerprint FROM _materia.models WHERE model = 'inc.t')"
    new = f"fingerprint NOT IN {live} AND model = 'inc.t'"
    assert q(s, f"SELECT count(*) AS n FROM _materia.intervals WHERE {new}") == [{"n": 1}]  # the first batch
    p = run(s, "2024-01-07 00:00")
    assert actions(p.stdout) == {"inc.t": "create", "inc.c": "create"}, p.stdout
    assert q(s, "SELECT total FROM inc.c") == [{"total": 210}]
    assert q(s, "SELECT sum(n) AS total, count(*) AS r FROM inc.t") == [{"total": 210, "r": 6}]
    # the resumed run did the two batches left, not the committed one
    assert q(s, f"SELECT count(DISTINCT run_id) AS runs, count(*) AS n FROM _materia.intervals "
                f"WHERE model = 'inc.t' AND fingerprint IN {live}") == [{"runs": 2, "n": 3}]
    s.cleanup()


def test_text_time_column_with_format():
    # tests/core/test_model.py::test_convert_to_time_column (time_column (ds, '%d/%m/%Y') on a
    # text column; (di, '%Y%m%d') on an integer one), utils/date.py to_time_column; the default
    # format '%Y-%m-%d' (::test_time_column)
    models = {
        "models/inc/ds.sql":
            "MODEL (name inc.ds, kind INCREMENTAL_BY_TIME_RANGE (time_column (ds, '%Y%m%d')), start '2024-01-01');\n"
            "SELECT strftime(day, '%Y%m%d') AS ds, n FROM raw.days WHERE day BETWEEN @start_ds AND @end_ds\n",
        "models/inc/di.sql":
            "MODEL (name inc.di, kind INCREMENTAL_BY_TIME_RANGE (time_column (di, '%Y%m%d')), start '2024-01-01');\n"
            "SELECT CAST(strftime(day, '%Y%m%d') AS INTEGER) AS di, n FROM raw.days\n"
            "WHERE day BETWEEN @start_ds AND @end_ds\n",
        "models/inc/dd.sql":
            "MODEL (name inc.dd, kind INCREMENTAL_BY_TIME_RANGE (time_column dd), start '2024-01-01');\n"
            "SELECT CAST(day AS VARCHAR) AS dd, n FROM raw.days WHERE day BETWEEN @start_ds AND @end_ds\n",
    }
    s = new_scratch("transform-merge", {**DAYS, **models})
    run(s, "2024-01-03 00:00")
    run(s, "2024-01-05 00:00")
    # the days.sql change re-runs nothing here; a re-run of an interval replaces its rows only
    assert rows(s, "SELECT ds, n FROM inc.ds ORDER BY ds") == [("20240101", 1), ("20240102", 2), ("20240103", 3),
                                                              ("20240104", 4)]
    assert rows(s, "SELECT di, n FROM inc.di ORDER BY di") == [(20240101, 1), (20240102, 2), (20240103, 3),
                                                              (20240104, 4)]
    assert rows(s, "SELECT dd, n FROM inc.dd ORDER BY dd") == [("2024-01-01", 1), ("2024-01-02", 2),
                                                              ("2024-01-03", 3), ("2024-01-04", 4)]
    s.cleanup()


def test_text_time_column_interval_is_replaced():
    # sqlmesh/core/engine_adapter/base.py insert_overwrite_by_time_partition: the interval's rows
    # (time_column BETWEEN formatted bounds) are deleted before its insert — an input change
    # re-runs the current interval without duplicating it
    s = new_scratch("transform-merge", {
        "models/inc/ev.sql":
            "MODEL (name inc.ev, kind INCREMENTAL_BY_TIME_RANGE (time_column (ds, '%Y-%m-%d')), start '2024-01-01');\n"
            "SELECT CAST(CAST(ts AS DATE) AS VARCHAR) AS ds, id FROM read_csv(@VAR('landing_dir') || '/ev/*.csv',\n"
            "  header = true, columns = {'id': 'INTEGER', 'ts': 'TIMESTAMP'}) WHERE ts BETWEEN @start_ts AND @end_ts\n"})
    land(s, "ev/a.csv", "id,ts\n1,2024-01-01 08:00\n2,2024-01-02 09:00\n")
    run(s, "2024-01-02 12:00")
    land(s, "ev/b.csv", "id,ts\n3,2024-01-02 10:00\n")
    run(s, "2024-01-02 13:00")
    assert rows(s, "SELECT ds, id FROM inc.ev ORDER BY id") == [("2024-01-01", 1), ("2024-01-02", 2), ("2024-01-02", 3)]
    s.cleanup()


def test_refusals():
    # IncrementalByUniqueKeyKind.batch_concurrency: Literal[1] (model/kind.py)
    s = new_scratch("transform-merge", {**SRC, **keyed("unique_key id,\n    batch_concurrency 2")})
    p = s.run("plan", check=1)
    assert "k.sql:5: expected batch_concurrency 1: an INCREMENTAL_BY_UNIQUE_KEY model's batches must run one at " \
           "a time" in p.stderr, p.stderr
    write_files(s, keyed("unique_key id,\n    when_matched (UPDATE SET val = 1)"))
    p = s.run("plan", check=1)
    assert "k.sql:5: expected when_matched (WHEN MATCHED" in p.stderr, p.stderr
    write_files(s, {"models/inc/k.sql": "MODEL (name inc.k, kind INCREMENTAL_BY_TIME_RANGE (time_column (ts, 5)));\n"
                                        "SELECT 1 AS ts\n"})
    p = s.run("plan", check=1)
    assert "k.sql:1: expected time_column COLUMN or time_column (COLUMN, 'format')" in p.stderr, p.stderr
    # convert_to_time_column's ConfigError (model/definition.py)
    write_files(s, {"models/inc/k.sql": "MODEL (name inc.k, kind INCREMENTAL_BY_TIME_RANGE (time_column nope));\n"
                                        "SELECT 1 AS ts\n"})
    p = s.run("run", check=1)
    assert "k.sql:1: Time column 'nope' not found in model 'inc.k'" in p.stderr, p.stderr
    s.cleanup()


if __name__ == "__main__":
    import sys

    from harness import main
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_")]
    main([t for t in tests if len(sys.argv) < 2 or t.__name__ in sys.argv[1:]])
