"""Crash safety of export-serving: SIGKILL at every named point (MATERIA_CRASH_AT), then
serving.duckdb is a complete snapshot (old or new) that opens read-only and matches its
own checksums, and the next export succeeds with no manual step."""
import os
import signal

from harness import Scratch, main
from serving_fixture import add_rows, lake_checksums, make_lakehouse, read_snapshot, siblings

# (point, which snapshot is live afterwards: "old", "new")
POINTS = [("mid_copy", "old"), ("after_copy", "old"), ("after_checkpoint", "old"),
          ("after_fsync", "old"), ("after_verify", "old"), ("after_link_prev", "old"),
          ("after_rename", "new")]


def crash_export(s, point):
    p = s.run("export-serving", env={"MATERIA_CRASH_AT": point})
    assert p.returncode == -signal.SIGKILL, f"{point}: exit {p.returncode}\n{p.stderr}"
    assert f"MATERIA_CRASH_AT={point}" in p.stderr, p.stderr


def test_kill_at_every_point_leaves_a_complete_snapshot():
    for point, which in POINTS:
        s = Scratch("crash-" + point)
        make_lakehouse(s, rows=300)
        s.run("export-serving", check=0)
        old, _, _ = read_snapshot(s)
        old_sums = lake_checksums(s)
        add_rows(s, 5)
        new_sums = lake_checksums(s)
        assert new_sums != old_sums
        crash_export(s, point)
        sid, rec, act = read_snapshot(s)       # opens read-only
        assert rec == act, f"{point}: live file does not match its own _snapshot"
        if which == "old":
            assert sid == old and rec == old_sums, f"{point}: expected the old snapshot"
        else:
            assert sid != old and rec == new_sums, f"{point}: expected the new snapshot"
        s.run("serving", "status", "--verify", check=0)
        s.run("export-serving", check=0)       # no manual step
        sid2, rec2, act2 = read_snapshot(s)
        assert sid2 not in (old, sid) and rec2 == act2 == new_sums
        assert "serving_new.duckdb" not in siblings(s) and "serving_new.duckdb.wal" not in siblings(s)
        assert not any(f.endswith(".wal") for f in siblings(s)), siblings(s)
        s.cleanup()


def test_kill_during_first_export_leaves_no_serving():
    s = Scratch("crash-first")
    make_lakehouse(s)
    crash_export(s, "mid_copy")
    assert not os.path.exists(s.serving)
    p = s.run("serving", "status", check=1)
    assert "no serving snapshot" in p.stderr
    s.run("export-serving", check=0)
    _, rec, act = read_snapshot(s)
    assert rec == act
    s.cleanup()


if __name__ == "__main__":
    main([test_kill_at_every_point_leaves_a_complete_snapshot, test_kill_during_first_export_leaves_no_serving])
