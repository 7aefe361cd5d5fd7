"""The CDN purge after an export (issue 17, src/serving/cdn_purge.c) against a local stand-in
for Cloudflare's purge API (edgefix.Receiver): the request as Cloudflare expects it (POST to
CDN_PURGE_URL, Authorization: Bearer, JSON {"tags":["materia-api"]}); a stand-in answering
500 is retried and then reported (exit 4, the snapshot published all the same, the token
never printed); one that hangs is cut at CDN_PURGE_TIMEOUT_S; the pipeline records the run
ok and exits 4; the supervisor alerts on it."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serving"))

from harness import Scratch, main  # noqa: E402
from serving_fixture import add_rows, make_lakehouse, read_snapshot  # noqa: E402
import edgefix  # noqa: E402

TOKEN = "cf-test-token-0123456789abcdef"
ZONE_PATH = "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache"


def purge_env(rec):
    return {"CDN_PURGE_URL": rec.url + ZONE_PATH, "CDN_PURGE_TOKEN": TOKEN}


def test_purge_request_as_cloudflare_expects():
    rec = edgefix.Receiver([200])
    s = Scratch("edge-purge-ok")
    make_lakehouse(s)
    try:
        p = s.run("export-serving", env=purge_env(rec), check=0)
        snap = read_snapshot(s)[0]
        assert rec.count() == 1, p.stdout + p.stderr
        r = rec.all()[0]
        assert r["method"] == "POST" and r["path"] == ZONE_PATH, r
        assert r["headers"]["Authorization"] == "Bearer " + TOKEN, r["headers"]
        assert r["headers"]["Content-Type"] == "application/json", r["headers"]
        assert r["json"] == {"tags": ["materia-api"]}, r["body"]
        assert "published snapshot" in p.stdout, p.stdout
        assert TOKEN not in p.stdout + p.stderr
        assert snap, snap
        # the token is a secret: `materia config` does not print it
        cfg = s.run("config", env=purge_env(rec), check=0).stdout
        assert TOKEN not in cfg and "CDN_PURGE_TOKEN=(set, not shown)" in cfg, cfg
        # no URL: no request, exit 0; a token without a URL is reported by name
        s.run("export-serving", check=0)
        assert rec.count() == 1
        p = s.run("export-serving", env={"CDN_PURGE_TOKEN": TOKEN}, check=4)
        assert "CDN_PURGE_TOKEN is set but CDN_PURGE_URL is empty" in p.stderr, p.stderr
    finally:
        rec.stop()
    s.cleanup()


def test_failing_stand_in_is_retried_then_reported_snapshot_stays():
    rec = edgefix.Receiver([500])
    s = Scratch("edge-purge-500")
    make_lakehouse(s)
    try:
        p = s.run("export-serving", env=purge_env(rec), check=4)
        assert rec.count() == 3, (rec.count(), p.stderr)  # CDN_PURGE_ATTEMPTS
        assert "published snapshot" in p.stdout, p.stdout
        assert "published, but CDN purge of " in p.stderr and "failed (snapshot " in p.stderr, p.stderr
        assert "HTTP 500: stand-in says no" in p.stderr, p.stderr
        assert TOKEN not in p.stdout + p.stderr
        ids, rec_sums, actual = read_snapshot(s)
        assert rec_sums == actual  # the snapshot is whole and live
        # a 4xx (a wrong token or zone) is not retried
        rec403 = edgefix.Receiver([403])
        add_rows(s)
        p = s.run("export-serving", env=purge_env(rec403), check=4)
        assert rec403.count() == 1 and "HTTP 403" in p.stderr, p.stderr
        rec403.stop()
    finally:
        rec.stop()
    s.cleanup()


def test_hanging_stand_in_times_out():
    rec = edgefix.Receiver(["hang"])
    s = Scratch("edge-purge-hang")
    make_lakehouse(s)
    try:
        env = dict(purge_env(rec), CDN_PURGE_TIMEOUT_S="1")
        p = s.run("export-serving", env=env, check=4, timeout=120)
        assert rec.count() == 3, rec.count()
        assert "timed out" in p.stderr.lower() or "timeout" in p.stderr.lower(), p.stderr
        assert read_snapshot(s)[1] == read_snapshot(s)[2]
    finally:
        rec.stop()
    s.cleanup()


def test_pipeline_records_ok_exits_4_and_supervisor_alerts():
    rec = edgefix.Receiver([500])
    hook = edgefix.Receiver([200])
    s = Scratch("edge-purge-pipeline")
    make_lakehouse(s)
    try:
        p = s.run("pipeline", "run", "export_serving", env=purge_env(rec), check=4)
        assert "CDN purge of" in p.stdout, p.stdout
        runs = s.sql(s.lakehouse, "SELECT status, message FROM _materia.runs WHERE kind = 'pipeline'")
        assert [r["status"] for r in runs] == ["ok"], runs
        assert "CDN purge of" in runs[0]["message"], runs
        env = dict(purge_env(rec), ALERT_WEBHOOK_URL=hook.url + "/",
                   SUPERVISE_LOCK=os.path.join(s.dir, "supervisor.lock"))
        add_rows(s)
        p = s.run("supervise", "--once", "--pipeline", "export_serving", env=env, check=0)
        assert edgefix.wait_for(lambda: hook.count() == 1), p.stdout
        j = hook.all()[0]["json"]
        assert j["event"] == "purge_failed" and "CDN purge of" in j["message"], j
        assert TOKEN not in hook.all()[0]["body"].decode()
        # a retry would not help (nothing changed, nothing exported): there is none
        assert "failed; retry" not in p.stdout and p.stdout.count(" finished: ok") == 1, p.stdout
    finally:
        rec.stop()
        hook.stop()
    s.cleanup()


if __name__ == "__main__":
    main([test_purge_request_as_cloudflare_expects, test_failing_stand_in_is_retried_then_reported_snapshot_stays,
          test_hanging_stand_in_times_out, test_pipeline_records_ok_exits_4_and_supervisor_alerts])
