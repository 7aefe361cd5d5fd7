"""export-serving, serving status and serving rollback on fixture lakehouses."""
import fcntl
import os

from harness import Scratch, main
from serving_fixture import (add_rows, add_run, file_state, lake_checksums, make_lakehouse,
                             read_snapshot, siblings)


def export_ok(s):
    p = s.run("export-serving", check=0)
    assert "published snapshot" in p.stdout, p.stdout
    return p


def test_export_copies_tables_and_views_with_snapshot():
    s = Scratch("export")
    make_lakehouse(s, rows=40)
    export_ok(s)
    sid, recorded, actual = read_snapshot(s)
    assert recorded == actual, (recorded, actual)
    assert recorded == lake_checksums(s), (recorded, lake_checksums(s))
    assert recorded["coffee_balance"][0] == 40
    # plain tables in main, nothing else
    kinds = s.sql(s.serving, "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY table_name")
    assert [(k["schema_name"], k["table_name"]) for k in kinds] == [
        ("main", "_snapshot"), ("main", "coffee_balance"), ("main", "world_balance")], kinds
    assert s.sql(s.serving, "SELECT count(*) AS n FROM duckdb_views() WHERE NOT internal")[0]["n"] == 0
    # same rows as the lakehouse, unqualified names work
    a = s.sql(s.serving, "SELECT * FROM coffee_balance ORDER BY market_year")
    b = s.sql(s.lakehouse, "SELECT * FROM serving.coffee_balance ORDER BY market_year")
    assert a == b
    snap = s.sql(s.serving, "SELECT run_id, typeof(created_at) AS t FROM _snapshot LIMIT 1")[0]
    assert snap["run_id"].startswith("transform-") and snap["t"] == "TIMESTAMP", snap
    # no WAL, no leftovers, no prev on the first export
    assert siblings(s) == ["serving.duckdb", "serving.lock"], siblings(s)
    s.cleanup()


def test_second_export_keeps_prev_and_new_id():
    s = Scratch("export")
    make_lakehouse(s)
    export_ok(s)
    first, _, _ = read_snapshot(s)
    add_rows(s)
    export_ok(s)
    second, rec, act = read_snapshot(s)
    assert first != second and rec == act == lake_checksums(s)
    prev, prec, pact = read_snapshot(s, os.path.join(s.dir, "serving.prev.duckdb"))
    assert prev == first and prec == pact
    assert siblings(s) == ["serving.duckdb", "serving.lock", "serving.prev.duckdb"], siblings(s)
    s.cleanup()


def assert_refused(s, want, before):
    p = s.run("export-serving", check=1)
    assert want in p.stderr, p.stderr
    assert file_state(s.serving) == before, "serving.duckdb changed on refusal"
    assert not os.path.exists(os.path.join(s.dir, "serving_new.duckdb"))
    assert not os.path.exists(os.path.join(s.dir, "serving_new.duckdb.wal"))
    assert not os.path.exists(os.path.join(s.dir, "serving.prev.duckdb"))


def test_refuses_when_last_transform_did_not_succeed():
    s = Scratch("export")
    make_lakehouse(s)
    export_ok(s)
    before = file_state(s.serving)
    for status in ("failed", "audit_failed", "running"):
        add_run(s, status)
        assert_refused(s, f"has status '{status}'", before)
    # pipeline rows do not count as transform runs
    add_run(s, "ok", kind="pipeline")
    assert_refused(s, "has status 'running'", before)
    add_run(s, "nothing_to_do")
    export_ok(s)
    s.cleanup()


def test_refuses_without_transform_runs_or_run_log():
    s = Scratch("export")
    make_lakehouse(s, status=None)
    assert_refused(s, "no transform run", None)
    s2 = Scratch("export")
    make_lakehouse(s2, runs=False, status=None)
    assert_refused(s2, "no _materia.runs", None)
    s.cleanup()
    s2.cleanup()


def test_refuses_empty_table():
    s = Scratch("export")
    make_lakehouse(s)
    export_ok(s)
    before = file_state(s.serving)
    s.sql(s.lakehouse, "CREATE TABLE serving.releases(release_date DATE)", write=True)
    assert_refused(s, "serving.releases is empty", before)
    s.cleanup()


def test_refuses_missing_lakehouse_and_no_serving_schema():
    s = Scratch("export")
    p = s.run("export-serving", check=1)
    assert "lakehouse.duckdb does not exist" in p.stderr, p.stderr
    assert not os.path.exists(s.lakehouse), "export created the lakehouse"
    assert siblings(s) == []
    s.sql(s.lakehouse, "CREATE TABLE t AS SELECT 1 AS a", write=True)
    from serving_fixture import RUNS_DDL
    s.sql(s.lakehouse, RUNS_DDL, write=True)
    add_run(s, "ok")
    p = s.run("export-serving", check=1)
    assert "no tables or views in schema serving" in p.stderr, p.stderr
    assert not os.path.exists(s.serving)
    s.cleanup()


def test_stray_new_file_from_a_crash_is_removed():
    s = Scratch("export")
    make_lakehouse(s)
    for name in ("serving_new.duckdb", "serving_new.duckdb.wal"):
        with open(os.path.join(s.dir, name), "wb") as f:
            f.write(b"garbage from a crashed export\0" * 100)
    p = export_ok(s)
    assert "removing stray" in p.stderr, p.stderr
    _, rec, act = read_snapshot(s)
    assert rec == act
    assert siblings(s) == ["serving.duckdb", "serving.lock"], siblings(s)
    s.cleanup()


def test_lock_stops_a_second_export():
    s = Scratch("export")
    make_lakehouse(s)
    export_ok(s)
    before = file_state(s.serving)
    with open(os.path.join(s.dir, "serving.lock"), "a") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX | fcntl.LOCK_NB)
        p = s.run("export-serving", check=1)
        assert "lock is held by another process" in p.stderr, p.stderr
        assert file_state(s.serving) == before
        p = s.run("serving", "rollback", check=1)
        assert "lock is held" in p.stderr, p.stderr
    export_ok(s)
    s.cleanup()


def test_status_shows_live_snapshot():
    s = Scratch("export")
    p = s.run("serving", "status", check=1)
    assert "no serving snapshot" in p.stderr
    make_lakehouse(s, rows=12)
    export_ok(s)
    sid, rec, _ = read_snapshot(s)
    p = s.run("serving", "status", "--verify", check=0)
    assert f"snapshot_id: {sid}" in p.stdout, p.stdout
    assert f"inode {os.stat(s.serving).st_ino}" in p.stdout
    assert f"checksum={rec['coffee_balance'][1]}" in p.stdout and "rows=12" in p.stdout
    assert "previous:    none" in p.stdout and "verified:    ok" in p.stdout
    s.run("serving", "status", "--bogus", check=2)
    p = s.run("serving", "status", "--verify", "--bogus", check=2)
    assert "unknown argument '--bogus'" in p.stderr, p.stderr
    # a file whose _snapshot is empty is not a snapshot: say so, exit 1
    s.sql(s.serving, "DELETE FROM _snapshot; CHECKPOINT", write=True)
    p = s.run("serving", "status", check=1)
    assert "_snapshot is empty" in p.stderr, p.stderr
    s.cleanup()


def test_status_verify_detects_tampering():
    s = Scratch("export")
    make_lakehouse(s)
    export_ok(s)
    s.sql(s.serving, "UPDATE coffee_balance SET production = production + 1 WHERE market_year = 2001; CHECKPOINT",
          write=True)
    p = s.run("serving", "status", "--verify", check=1)
    assert "table coffee_balance" in p.stderr and "_snapshot says" in p.stderr, p.stderr
    s.cleanup()


def test_rollback_swaps_and_swaps_back():
    s = Scratch("export")
    make_lakehouse(s)
    p = s.run("serving", "rollback", check=1)
    assert "no previous snapshot" in p.stderr
    export_ok(s)
    first, _, _ = read_snapshot(s)
    add_rows(s)
    export_ok(s)
    second, _, _ = read_snapshot(s)
    prev = os.path.join(s.dir, "serving.prev.duckdb")
    p = s.run("serving", "rollback", check=0)
    assert first in p.stdout and second in p.stdout, p.stdout
    assert read_snapshot(s)[0] == first and read_snapshot(s, prev)[0] == second
    s.run("serving", "rollback", check=0)
    assert read_snapshot(s)[0] == second and read_snapshot(s, prev)[0] == first
    # a damaged prev is refused, and live is left alone
    before = file_state(s.serving)
    with open(prev, "r+b") as f:
        f.truncate(4096)
    p = s.run("serving", "rollback", check=1)
    assert "not intact" in p.stderr, p.stderr
    assert file_state(s.serving) == before
    s.cleanup()


if __name__ == "__main__":
    main([test_export_copies_tables_and_views_with_snapshot, test_second_export_keeps_prev_and_new_id,
          test_refuses_when_last_transform_did_not_succeed, test_refuses_without_transform_runs_or_run_log,
          test_refuses_empty_table, test_refuses_missing_lakehouse_and_no_serving_schema,
          test_stray_new_file_from_a_crash_is_removed, test_lock_stops_a_second_export,
          test_status_shows_live_snapshot, test_status_verify_detects_tampering,
          test_rollback_swaps_and_swaps_back])
