"""The supervisor's alerts (issue 17, src/pipeline/webhook.c) against a local receiver
(edgefix.Receiver: Python's http.server): the body of each event (failure, recovery, new
release) as Slack and ntfy read it, retries after two 500s, a receiver that hangs never
delays the next pipeline run, and SIGTERM with a post pending still exits 0 promptly."""
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serving"))

from harness import BIN, SAMPLE_ZIP, Scratch, main  # noqa: E402
from serving_fixture import make_lakehouse  # noqa: E402
import edgefix  # noqa: E402

GUARD = 120  # seconds: only stops a hung test, never decides a pass
TOPIC = "materia_alerts_test-1"


def scratch(name):
    s = Scratch(name)
    s.env["SUPERVISE_LOCK"] = os.path.join(s.dir, "run", "supervisor.lock")
    return s


def start(s, *args, env=None):
    e = dict(s.env)
    e.update(env or {})
    proc = subprocess.Popen([BIN, "supervise", *args], cwd=s.dir, env=e, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.seen = []
    proc.lines = queue.Queue()

    def pump():
        for line in proc.stdout:
            proc.lines.put(line)
        proc.lines.put(None)
    proc.pump = threading.Thread(target=pump, daemon=True)
    proc.pump.start()
    return proc


def collect(proc):
    """Moves every stdout line read so far into proc.seen; returns the text."""
    while True:
        try:
            line = proc.lines.get_nowait()
        except queue.Empty:
            break
        if line is None:
            break
        proc.seen.append(line)
    return "".join(proc.seen)


def finish(proc):
    proc.wait(timeout=GUARD)
    proc.pump.join(timeout=GUARD)
    collect(proc)
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    return proc.returncode, "".join(proc.seen), err


def failing_serving_env(s):
    """SERVING_DUCKDB_PATH under a folder that is a plain file: export fails (cannot make the
    folder) until the test removes the file."""
    blocker = os.path.join(s.dir, "out")
    with open(blocker, "w") as f:
        f.write("not a folder\n")
    return blocker, {"SERVING_DUCKDB_PATH": os.path.join(blocker, "serving.duckdb")}


def check_common(body, event):
    """What both receivers need: Slack's `text`, ntfy's `topic`/`message`/`title`."""
    j = body["json"]
    assert body["headers"].get("Content-Type") == "application/json", body["headers"]
    assert j["event"] == event, j
    assert j["topic"] == TOPIC, j
    assert j["text"] == f"{j['title']}: {j['message']}", j
    assert isinstance(j["tags"], list) and isinstance(j["priority"], int) and 1 <= j["priority"] <= 5, j
    assert j["host"] and j["at"].endswith("Z"), j
    return j


def test_release_failure_recovery_bodies():
    rec = edgefix.Receiver([200])
    s = scratch("edge-webhook-events")
    try:
        alerts = {"ALERT_WEBHOOK_URL": rec.url + "/", "ALERT_WEBHOOK_TOPIC": TOPIC}
        # a new release landed (extract only: landed, not served yet)
        env = dict(alerts, EXTRACT_SOURCES="psd", PSD_SOURCE_URL="file://" + SAMPLE_ZIP)
        p = s.run("supervise", "--once", "--pipeline", "extract", env=env, check=0, timeout=GUARD)
        assert "alerts on" in p.stdout, p.stdout
        assert edgefix.wait_for(lambda: rec.count() == 1, GUARD), (rec.all(), p.stdout)
        r = rec.all()[0]
        assert r["path"] == "/", r  # ntfy's JSON publishing goes to the root URL
        j = check_common(r, "release")
        assert j["title"] == "materia: new release landed", j
        assert j["message"].startswith("psd: psd/") and "rows) landed by run pipeline-" in j["message"], j
        assert "not served yet" in j["message"], j
        # failure, then recovery, in one supervisor
        make_lakehouse(s)
        blocker, env = failing_serving_env(s)
        env.update(alerts)
        proc = start(s, "--interval-seconds", "1", "--pipeline", "export_serving", "--retries", "0", env=env)
        try:
            assert edgefix.wait_for(lambda: any(x["json"]["event"] == "failure" for x in rec.all()), GUARD), \
                collect(proc)
            os.remove(blocker)  # the next run can publish
            assert edgefix.wait_for(lambda: any(x["json"]["event"] == "recovery" for x in rec.all()), GUARD), \
                collect(proc)
        finally:
            proc.send_signal(signal.SIGTERM)
            rc, out, err = finish(proc)
        assert rc == 0, (rc, out, err)
        events = [x["json"]["event"] for x in rec.all()[1:]]
        first_ok = events.index("recovery")
        assert set(events[:first_ok]) == {"failure"}, events
        assert events.count("recovery") == 1, events  # only the first good run after a failure
        fail = check_common(next(x for x in rec.all() if x["json"]["event"] == "failure"), "failure")
        assert fail["title"] == "materia: pipeline failed" and fail["priority"] == 4, fail
        assert "pipeline export_serving, run pipeline-" in fail["message"], fail
        assert "no retry left" in fail["message"] and "out" in fail["message"], fail
        ok = check_common(rec.all()[1 + first_ok], "recovery")
        assert ok["title"] == "materia: pipeline recovered" and "after a failed run" in ok["message"], ok
        # the webhook URL and topic are secrets: `materia config` does not print them
        cfg = s.run("config", env=alerts, check=0).stdout
        assert rec.url not in cfg and TOPIC not in cfg, cfg
        assert "ALERT_WEBHOOK_URL=(set, not shown)" in cfg, cfg
    finally:
        rec.stop()
    s.cleanup()


def test_retries_after_two_500s():
    rec = edgefix.Receiver([500, 500, 200])
    s = scratch("edge-webhook-retry")
    env = {"ALERT_WEBHOOK_URL": rec.url + "/hook", "EXTRACT_SOURCES": "psd", "PSD_SOURCE_URL": "file://" + SAMPLE_ZIP}
    try:
        # --once: the supervisor exits after the run; the queued alert is still delivered
        # within the shutdown grace (two backoffs: 1 s + 2 s)
        p = s.run("supervise", "--once", "--pipeline", "extract", env=env, check=0, timeout=GUARD)
        got = rec.all()
        assert len(got) == 3, (len(got), p.stdout)
        assert got[0]["body"] == got[1]["body"] == got[2]["body"], got
        assert all(x["path"] == "/hook" for x in got), got
        assert "topic" not in got[0]["json"], got[0]  # no ALERT_WEBHOOK_TOPIC: no topic field
        assert "attempt 1 of 5 failed (HTTP 500)" in p.stdout and "attempt 2 of 5 failed (HTTP 500)" in p.stdout, p.stdout
        assert "alert release delivered (attempt 3)" in p.stdout, p.stdout
        gaps = [round(got[i + 1]["at"] - got[i]["at"], 2) for i in range(2)]
        print(f"  retry gaps (s): {gaps}")
        assert gaps[1] > gaps[0], gaps  # backoff doubles
        # a 4xx is not retried: the URL or body is wrong
        rec2 = edgefix.Receiver([404])
        env["ALERT_WEBHOOK_URL"] = rec2.url + "/"
        env["PSD_SOURCE_URL"] = "file://" + os.path.join(s.dir, "missing.zip")  # a failed run: one alert
        p = s.run("supervise", "--once", "--retries", "0", "--pipeline", "extract", env=env, check=1, timeout=GUARD)
        assert rec2.count() == 1 and "alert failure not delivered: HTTP 404" in p.stdout, p.stdout
        rec2.stop()
        # a topic without a URL, or one ntfy refuses, is refused by name
        p = s.run("supervise", "--once", env={"ALERT_WEBHOOK_TOPIC": "x"}, check=1)
        assert "ALERT_WEBHOOK_TOPIC is set but ALERT_WEBHOOK_URL is empty" in p.stderr, p.stderr
        p = s.run("supervise", "--once", env={"ALERT_WEBHOOK_URL": rec.url, "ALERT_WEBHOOK_TOPIC": "a b"}, check=1)
        assert "ALERT_WEBHOOK_TOPIC 'a b'" in p.stderr, p.stderr
    finally:
        rec.stop()
    s.cleanup()


def test_hanging_receiver_never_delays_the_pipeline_and_sigterm_exits():
    rec = edgefix.Receiver(["hang"])
    s = scratch("edge-webhook-hang")
    make_lakehouse(s)
    _, env = failing_serving_env(s)
    env["ALERT_WEBHOOK_URL"] = rec.url + "/"
    proc = start(s, "--interval-seconds", "1", "--pipeline", "export_serving", "--retries", "0", env=env)
    try:
        # the first failure's alert is held by the receiver ...
        assert edgefix.wait_for(lambda: rec.count() >= 1, GUARD), collect(proc)
        held_since = rec.all()[0]["at"]
        # ... and the supervisor goes on: two more runs start while that request is unanswered
        assert edgefix.wait_for(lambda: collect(proc).count("pipeline export_serving: run ") >= 6, GUARD), collect(proc)
        assert not rec.released.is_set()
        runs_started = len(re.findall(r"run pipeline-\S+ started$", collect(proc), re.M))
        print(f"  runs started while the first alert was held: {runs_started} "
              f"(held {time.monotonic() - held_since:.1f}s)")
        assert runs_started >= 3, collect(proc)
    finally:
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc, out, err = finish(proc)
        took = time.monotonic() - t0
        rec.stop()
    print(f"  SIGTERM to exit with a post pending: {took:.1f}s")
    assert rc == 0, (rc, out[-3000:], err)
    assert "stopped by signal" in out, out[-2000:]
    assert ("not delivered: abandoned at shutdown" in out or "not sent: shutting down" in out), out[-3000:]
    s.cleanup()


if __name__ == "__main__":
    main([test_release_failure_recovery_bodies, test_retries_after_two_500s,
          test_hanging_receiver_never_delays_the_pipeline_and_sigterm_exits])
