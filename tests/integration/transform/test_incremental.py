"""Incremental kinds process only what is new: INCREMENTAL_BY_TIME_RANGE inserts missing
intervals (and the current partial interval when its input files changed — a landing is
picked up the same day), INCREMENTAL_BY_UNIQUE_KEY upserts only new or changed keys."""
from tproject import actions, land, new_scratch, q, reasons

EVENTS = {
    "models/raw/events.sql":
        "MODEL (\n  name raw.events,\n  kind INCREMENTAL_BY_TIME_RANGE (time_column ts),\n  start '2024-01-01',\n"
        "  audits (not_null(columns := (id)))\n);\n"
        "SELECT id, qty, ts, filename AS file FROM read_csv(@VAR('landing_dir') || '/ev/*.csv', filename = true,\n"
        "  columns = {'id': 'INTEGER', 'qty': 'DOUBLE', 'ts': 'TIMESTAMP'}, header = true)\n"
        "WHERE ts BETWEEN @start_ts AND @end_ts\n",
    "models/serving/daily.sql":
        "MODEL (name serving.daily, kind FULL);\n"
        "SELECT CAST(ts AS DATE) AS day, count(*) AS n, sum(qty) AS qty FROM raw.events GROUP BY ALL ORDER BY day\n",
}


def intervals(s):
    return [(r["start_ts"], r["end_ts"], r["rows"]) for r in
            q(s, "SELECT CAST(start_ts AS VARCHAR) AS start_ts, CAST(end_ts AS VARCHAR) AS end_ts, rows "
                 "FROM _materia.intervals WHERE model = 'raw.events' ORDER BY processed_at")]


def test_time_range_processes_only_missing_intervals():
    s = new_scratch("transform-incr", EVENTS)
    land(s, "ev/a.csv", "id,qty,ts\n1,10,2024-01-01 08:00\n2,20,2024-01-02 08:00\n3,30,2024-01-03 09:00\n")
    p = s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert actions(p.stdout) == {"raw.events": "create", "serving.daily": "create"}, p.stdout
    assert "3 rows" in p.stdout.splitlines()[0], p.stdout
    assert intervals(s) == [("2024-01-01 00:00:00", "2024-01-03 12:00:00", 3)], intervals(s)
    assert s.run("run", "--execution-time", "2024-01-03 12:00", check=0).stdout.startswith("nothing to do")
    # later the same day with no new files: nothing is due (the day is not complete)
    assert s.run("run", "--execution-time", "2024-01-03 20:00", check=0).stdout.startswith("nothing to do")
    # next day: the now-complete 2024-01-03 is due, and only it is processed
    p = s.run("plan", "--execution-time", "2024-01-04 06:00", check=0)
    assert "due        raw.events" in p.stdout and "[2024-01-03 00:00:00, 2024-01-04 00:00:00)" in p.stdout, p.stdout
    p = s.run("run", "--execution-time", "2024-01-04 06:00", check=0)
    assert actions(p.stdout)["raw.events"] == "insert", p.stdout
    assert intervals(s)[-1] == ("2024-01-03 00:00:00", "2024-01-04 00:00:00", 1), intervals(s)
    assert q(s, "SELECT count(*) AS n FROM raw.events") == [{"n": 3}]  # delete+insert: no duplicates
    # a new landing mid-day is processed by the very next run, same day (partial interval)
    land(s, "ev/b.csv", "id,qty,ts\n4,40,2024-01-04 05:00\n")
    p = s.run("plan", "--execution-time", "2024-01-04 07:00", check=0)
    assert reasons(p.stdout)["raw.events"] == "inputs", p.stdout
    p = s.run("run", "--execution-time", "2024-01-04 07:00", check=0)
    assert actions(p.stdout) == {"raw.events": "insert", "serving.daily": "rebuild"}, p.stdout
    assert intervals(s)[-1] == ("2024-01-04 00:00:00", "2024-01-04 07:00:00", 1), intervals(s)
    assert q(s, "SELECT count(*) AS n FROM raw.events") == [{"n": 4}]
    assert q(s, "SELECT n FROM serving.daily WHERE day = '2024-01-04'") == [{"n": 1}]
    assert s.run("run", "--execution-time", "2024-01-04 07:00", check=0).stdout.startswith("nothing to do")
    # still one physical table: no full rebuild happened
    assert q(s, "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'materia__raw'") == [{"n": 1}]
    # in run order: a run id is sortable by its second only (util/hash.h id_make), and these
    # runs can share one, so they are ordered by their start time
    rows = q(s, "SELECT m.rows FROM _materia.run_models AS m JOIN _materia.runs AS r USING (run_id) "
                "WHERE m.model = 'raw.events' ORDER BY r.started_at")
    assert [r["rows"] for r in rows] == [3, 1, 1], rows
    s.cleanup()


def test_changing_an_incremental_model_backfills_a_new_version():
    s = new_scratch("transform-incr", EVENTS)
    land(s, "ev/a.csv", "id,qty,ts\n1,10,2024-01-01 08:00\n2,20,2024-01-02 08:00\n")
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    from tproject import write_files
    write_files(s, {"models/raw/events.sql": EVENTS["models/raw/events.sql"].replace("SELECT id, qty", "SELECT id, qty * 2 AS qty")})
    p = s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert actions(p.stdout) == {"raw.events": "create", "serving.daily": "create"}, p.stdout
    assert q(s, "SELECT sum(qty) AS s FROM raw.events") == [{"s": 60.0}]
    s.cleanup()


KV = {
    "models/raw/src.sql":
        "MODEL (name raw.src, kind FULL);\n"
        "SELECT * FROM read_csv(@VAR('landing_dir') || '/kv/*.csv', columns = {'id': 'INTEGER', 'val': 'VARCHAR'},"
        " header = true)\n",
    "models/inc/kv.sql":
        "MODEL (\n  name inc.kv,\n  kind INCREMENTAL_BY_UNIQUE_KEY (unique_key id),\n"
        "  audits (unique_values(columns := (id)))\n);\nSELECT id, val, upper(val) AS up FROM raw.src\n",
}


def test_unique_key_upserts_only_new_and_changed_keys():
    s = new_scratch("transform-incr", KV)
    land(s, "kv/1.csv", "id,val\n1,a\n2,b\n3,c\n")
    p = s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    assert actions(p.stdout) == {"raw.src": "create", "inc.kv": "create"}, p.stdout
    land(s, "kv/1.csv", "id,val\n1,a\n2,B\n3,c\n4,d\n")
    p = s.run("run", "--execution-time", "2024-01-03 12:30", check=0)
    a = actions(p.stdout)
    assert a == {"raw.src": "rebuild", "inc.kv": "upsert"}, p.stdout
    kv_line = [l for l in p.stdout.splitlines() if "inc.kv" in l][0]
    assert kv_line.endswith(" 2 rows"), kv_line  # key 2 changed, key 4 new; 1 and 3 untouched
    assert q(s, "SELECT id, val, up FROM inc.kv ORDER BY id") == [
        {"id": 1, "val": "a", "up": "A"}, {"id": 2, "val": "B", "up": "B"}, {"id": 3, "val": "c", "up": "C"},
        {"id": 4, "val": "d", "up": "D"}]
    assert s.run("run", "--execution-time", "2024-01-03 12:30", check=0).stdout.startswith("nothing to do")
    # a key that disappears from the source stays (upsert, not replace), as in SQLMesh
    land(s, "kv/1.csv", "id,val\n1,a\n")
    p = s.run("run", "--execution-time", "2024-01-03 13:00", check=0)
    kv_line = [l for l in p.stdout.splitlines() if "inc.kv" in l][0]
    assert kv_line.endswith(" 0 rows"), kv_line
    assert q(s, "SELECT count(*) AS n FROM inc.kv") == [{"n": 4}]
    assert q(s, "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'materia__inc'") == [{"n": 1}]
    s.cleanup()


def test_unique_key_refresh_audits_only_the_keys_it_wrote():
    # Audits are metadata (not fingerprinted, as in SQLMesh): adding one keeps the version.
    # A refresh audits the rows of the keys it upserted, so a row written before the audit
    # existed is not re-audited until its key changes; a bad changed row, or a key the
    # batch writes twice, fails the run and the previous rows stay live.
    s = new_scratch("transform-incr", KV)
    land(s, "kv/1.csv", "id,val\n1,a\n2,b\n3,\n")
    s.run("run", "--execution-time", "2024-01-03 12:00", check=0)
    from tproject import write_files
    write_files(s, {"models/inc/kv.sql": KV["models/inc/kv.sql"].replace(
        "audits (unique_values(columns := (id)))", "audits (unique_values(columns := (id)), not_null(columns := (val)))")})
    land(s, "kv/1.csv", "id,val\n1,a\n2,B\n3,\n")
    p = s.run("run", "--execution-time", "2024-01-03 12:30", check=0)
    assert actions(p.stdout)["inc.kv"] == "upsert", p.stdout  # key 3's NULL is not re-audited
    land(s, "kv/1.csv", "id,val\n1,a\n2,B\n3,\n4,\n")
    p = s.run("run", "--execution-time", "2024-01-03 13:00")
    assert p.returncode != 0 and "inc.kv" in p.stderr and "not_null" in p.stderr and "id=4" in p.stderr, p.stderr
    land(s, "kv/1.csv", "id,val\n1,a\n2,B\n3,\n4,d\n4,e\n")
    p = s.run("run", "--execution-time", "2024-01-03 13:30")
    # SQLMesh's unique_values returns rank_<column> (a row_number) for each repeat
    assert p.returncode != 0 and "unique_values" in p.stderr and "rank_id=2" in p.stderr, p.stderr
    assert q(s, "SELECT id, val FROM inc.kv ORDER BY id") == [
        {"id": 1, "val": "a"}, {"id": 2, "val": "B"}, {"id": 3, "val": None}]
    # a NULL in the unique key is refused with the model and the key named (with `=` joins,
    # which keep the refresh fast, such a row could never be found again)
    write_files(s, {"models/inc/kv.sql": KV["models/inc/kv.sql"]})  # back to unique_values(id) only
    land(s, "kv/1.csv", "id,val\n1,a\n2,B\n3,\n,n\n")
    p = s.run("run", "--execution-time", "2024-01-03 14:00")
    assert p.returncode != 0 and "inc.kv" in p.stderr and "NULL in the unique key (\"id\")" in p.stderr, p.stderr
    assert q(s, "SELECT count(*) AS n FROM inc.kv WHERE id IS NULL") == [{"n": 0}]
    s.cleanup()


if __name__ == "__main__":
    from harness import main
    main([test_time_range_processes_only_missing_intervals, test_changing_an_incremental_model_backfills_a_new_version,
          test_unique_key_upserts_only_new_and_changed_keys, test_unique_key_refresh_audits_only_the_keys_it_wrote])
