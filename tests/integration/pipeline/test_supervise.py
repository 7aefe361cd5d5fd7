"""materia supervise: the lock, --once, retries with backoff, start-when-missing, and
SIGTERM/SIGINT stopping between steps (exit 0, no partial file)."""
import fcntl
import os
import queue
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serving"))

from harness import BIN, Scratch, main  # noqa: E402
from serving_fixture import add_run, make_lakehouse, read_snapshot, siblings  # noqa: E402

HANG_GUARD = 120  # seconds; only stops a hung test, never decides a pass


def scratch():
    s = Scratch("supervise")
    s.lockfile = os.path.join(s.dir, "run", "supervisor.lock")
    s.env["SUPERVISE_LOCK"] = s.lockfile
    return s


def start(s, *args, env=None):
    """Starts supervise in the background; a thread queues its stdout lines."""
    e = dict(s.env)
    e.update(env or {})
    proc = subprocess.Popen([BIN, "supervise", *args], cwd=s.dir, env=e, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.lines = queue.Queue()

    def pump():
        for line in proc.stdout:
            proc.lines.put(line)
        proc.lines.put(None)
    proc.pump = threading.Thread(target=pump, daemon=True)
    proc.pump.start()
    return proc


def wait_for(proc, needle, seen):
    """Collects proc's stdout lines into seen until one contains needle."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        try:
            line = proc.lines.get(timeout=1.0)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if needle in line:
            return line
    proc.kill()
    raise AssertionError(f"never saw {needle!r}; stdout so far:\n{''.join(seen)}")


def finish(proc, seen):
    proc.wait(timeout=HANG_GUARD)
    proc.pump.join(timeout=HANG_GUARD)
    while True:
        line = proc.lines.get()
        if line is None:
            break
        seen.append(line)
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    return proc.returncode, "".join(seen), err


def pipeline_runs(s):
    return s.sql(s.lakehouse, "SELECT status FROM _materia.runs WHERE kind = 'pipeline' ORDER BY started_at")


def test_once_runs_and_logs_one_line_per_step_with_level():
    s = scratch()
    make_lakehouse(s)
    p = s.run("supervise", "--once", "--pipeline", "export_serving", check=0)
    step = [l for l in p.stdout.splitlines() if ": step " in l]
    assert len(step) == 1 and " INFO " in step[0] and "export_serving: ok" in step[0], p.stdout
    assert read_snapshot(s)[1] == read_snapshot(s)[2]
    assert [r["status"] for r in pipeline_runs(s)] == ["ok"]
    s.run("supervise", "--at", "25:00", check=2)
    s.run("supervise", "--interval-seconds", "0", check=2)
    s.run("supervise", "--pipeline", "nope", check=2)
    s.cleanup()


def test_failed_run_is_retried_with_backoff():
    s = scratch()
    make_lakehouse(s)
    add_run(s, "failed")
    p = s.run("supervise", "--once", "--pipeline", "export_serving", "--retries", "2", "--backoff-seconds", "0",
              check=1)
    assert "retry 1 of 2" in p.stdout and "retry 2 of 2" in p.stdout, p.stdout
    assert "failed 3 times" in p.stdout
    assert [r["status"] for r in pipeline_runs(s)] == ["failed"] * 3
    s.cleanup()


def test_second_supervisor_exits_with_clear_message():
    s = scratch()
    make_lakehouse(s)
    s.run("export-serving", check=0)       # serving exists: no run at start
    seen = []
    first = start(s, "--interval-seconds", "3600", "--pipeline", "export_serving")
    wait_for(first, "next export_serving run in 3600s", seen)
    p = s.run("supervise", "--once")
    assert p.returncode == 1, p
    assert "lock is held by another process (another supervisor is running)" in p.stderr, p.stderr
    assert "ERROR" in p.stdout
    first.send_signal(signal.SIGTERM)
    rc, out, err = finish(first, seen)
    assert rc == 0, (rc, out, err)
    assert "stopped by signal" in out
    assert pipeline_runs(s) == [], "a run started although serving existed"
    # the lock is free again
    with open(s.lockfile, "a") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX | fcntl.LOCK_NB)
    s.cleanup()


def test_runs_at_start_when_serving_missing_then_sigint_exits_0():
    s = scratch()
    make_lakehouse(s)
    seen = []
    proc = start(s, "--interval-seconds", "3600", "--pipeline", "export_serving")
    wait_for(proc, "is missing, running export_serving now", seen)
    wait_for(proc, "next export_serving run in", seen)
    proc.send_signal(signal.SIGINT)
    rc, out, _ = finish(proc, seen)
    assert rc == 0, out
    assert read_snapshot(s)[1] == read_snapshot(s)[2]
    assert [r["status"] for r in pipeline_runs(s)] == ["ok"]
    s.cleanup()


def test_sigterm_during_a_step_finishes_it_and_starts_nothing_more():
    s = scratch()
    make_lakehouse(s, rows=500)
    # SIGTERM arrives in the middle of the copy (test hook); with a 1 s interval the loop
    # would run again at once if the stop were ignored.
    p = s.run("supervise", "--interval-seconds", "1", "--pipeline", "export_serving",
              env={"MATERIA_SIGNAL_AT": "mid_copy"}, check=0, timeout=HANG_GUARD)
    assert "MATERIA_SIGNAL_AT=mid_copy" in p.stdout, p.stdout
    assert "step export_serving: ok, published" in p.stdout, p.stdout
    assert "stopped by signal" in p.stdout
    _, rec, act = read_snapshot(s)
    assert rec == act
    assert siblings(s) == ["serving.duckdb", "serving.lock"], siblings(s)
    assert [r["status"] for r in pipeline_runs(s)] == ["ok"]
    s.cleanup()


if __name__ == "__main__":
    main([test_once_runs_and_logs_one_line_per_step_with_level, test_failed_run_is_retried_with_backoff,
          test_second_supervisor_exits_with_clear_message, test_runs_at_start_when_serving_missing_then_sigint_exits_0,
          test_sigterm_during_a_step_finishes_it_and_starts_nothing_more])
