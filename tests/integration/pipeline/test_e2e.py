"""End to end on the bundled sample (file:// URL): `pipeline run all` builds serving, a
second run has nothing to do (exit 3, serving untouched), and a pipeline killed during
transform leaves every lakehouse view resolvable and the next run recovers to the same
serving checksums."""
import os
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serving"))

from harness import BIN, SAMPLE_ZIP, SRC, Scratch, main  # noqa: E402
import glob  # noqa: E402

from serving_fixture import file_state, read_snapshot  # noqa: E402

HANG_GUARD = 600


def sample_scratch():
    s = Scratch("e2e")
    s.env["PSD_SOURCE_URL"] = "file://" + SAMPLE_ZIP
    return s


def steps(p):
    return [l for l in p.stdout.splitlines() if ": step " in l]



def test_all_then_nothing_to_do():
    s = sample_scratch()
    p = s.run("pipeline", "run", "all", check=0)
    st = steps(p)
    assert len(st) == 3, p.stdout
    assert "step extract: ok, landed" in st[0] and "step transform: ok" in st[1], st
    assert "step export_serving: ok, published" in st[2], st
    sid, rec, act = read_snapshot(s)
    assert rec == act
    for t in ("coffee_balance", "world_balance", "psd_revisions", "releases", "countries"):
        assert rec.get(t, (0,))[0] > 0, f"serving table {t}: {rec.get(t)}"
    # the pipeline made the lakehouse in its own format (util/db.c db_open_lakehouse: its
    # checkpoints are what a weekly run spends its time on), the snapshot in DuckDB's defaults
    assert s.file_format(s.lakehouse) == (16384, "v1.4.0+"), s.file_format(s.lakehouse)
    assert s.file_format(s.serving) == (262144, "v1.0.0+"), s.file_format(s.serving)
    before = file_state(s.serving)
    p = s.run("pipeline", "run", "all", check=3)
    st = steps(p)
    assert len(st) == 3 and "nothing to do" in st[0] and "nothing to do" in st[1] and "skipped" in st[2], st
    assert file_state(s.serving) == before
    runs = s.sql(s.lakehouse, "SELECT status FROM _materia.runs WHERE kind = 'pipeline' ORDER BY started_at")
    assert [r["status"] for r in runs] == ["ok", "nothing_to_do"], runs
    # serving missing -> export runs again although nothing changed
    os.unlink(s.serving)
    p = s.run("pipeline", "run", "all", check=0)
    assert "step export_serving: ok" in p.stdout
    assert read_snapshot(s)[1] == rec
    s.cleanup()


def test_export_killed_after_a_rebuild_is_redone_by_the_next_run():
    # The transform of a run commits before its export starts. When that export dies, the
    # next run's transform has nothing to do, yet the live snapshot is older than the
    # lakehouse: the export must run again (and the killed run's row must not stay 'running').
    s = sample_scratch()
    s.run("pipeline", "run", "all", check=0)
    old_id = read_snapshot(s)[0]
    s.run("run", "--execution-time", "2099-01-02", check=0)  # a rebuild outside the pipeline
    p = s.run("pipeline", "run", "all", env={"MATERIA_CRASH_AT": "after_copy"})
    assert p.returncode == -signal.SIGKILL, p.stdout + p.stderr
    assert read_snapshot(s)[0] == old_id
    p = s.run("pipeline", "run", "all", check=0)
    st = steps(p)
    assert "step export_serving: ok, published" in st[2], st
    new_id, rec, act = read_snapshot(s)
    assert new_id != old_id and rec == act
    runs = s.sql(s.lakehouse, "SELECT status, message FROM _materia.runs WHERE kind = 'pipeline' ORDER BY started_at")
    assert [r["status"] for r in runs] == ["ok", "failed", "ok"] and "interrupted" in runs[1]["message"], runs
    # and now it is current: nothing to do, export skipped
    p = s.run("pipeline", "run", "all", check=3)
    assert "skipped" in steps(p)[2], p.stdout
    s.cleanup()


def lakehouse_views_resolve(s):
    views = s.sql(s.lakehouse, "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal "
                               "AND schema_name NOT IN ('information_schema', 'pg_catalog')")
    for v in views:
        s.sql(s.lakehouse, f'SELECT count(*) AS n FROM "{v["schema_name"]}"."{v["view_name"]}"')
    return len(views)


def test_kill_during_transform_leaves_complete_versions():
    s = sample_scratch()
    s.run("pipeline", "run", "all", check=0)
    _, want, _ = read_snapshot(s)
    # a new lakehouse so transform has everything to do; kill it right after extract
    os.unlink(s.lakehouse)
    if os.path.exists(s.lakehouse + ".wal"):
        os.unlink(s.lakehouse + ".wal")
    proc = subprocess.Popen([BIN, "pipeline", "run", "all"], cwd=s.dir, env=s.env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    timer = threading.Timer(HANG_GUARD, proc.kill)
    timer.start()
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "step extract:" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    timer.cancel()
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    lakehouse_views_resolve(s)            # every view that exists points at a complete table
    assert read_snapshot(s)[1] == want    # serving untouched
    s.run("pipeline", "run", "all", check=0)
    assert lakehouse_views_resolve(s) > 0
    _, rec, act = read_snapshot(s)
    assert rec == act == want
    s.cleanup()


if __name__ == "__main__":
    # the models are part of the checkout: a missing one is a failure, never a skip
    assert glob.glob(os.path.join(SRC, "models", "serving", "*.sql")), "no models/serving/*.sql"
    main([test_all_then_nothing_to_do, test_export_killed_after_a_rebuild_is_redone_by_the_next_run, test_kill_during_transform_leaves_complete_versions])
