"""`materia serve --follow` (issue 17): a replica killed mid-download leaves the good
snapshot untouched, restarts clean (its temporary removed) and converges; with the bucket
unreachable it keeps serving and /health says why. SIGTERM during a download aborts it
at once, removes the temporary and exits 0."""
import os
import signal
import time

import harness
import scalefix
from test_follow import URL, _debris, _served, _setup, _synced
from webfix import wait_for


def test_killed_mid_download_and_bucket_down():
    s, s3 = _setup("follow-kill")
    rep = None
    try:
        sid1, _ = scalefix.publish(s, s3)
        rep = scalefix.Replica(s, URL, s3)
        assert wait_for(lambda: _synced(rep, sid1), timeout=30), rep.health()
        ino = os.stat(rep.serving).st_ino
        s3.throttle(100_000)  # 100 kB/s: a snapshot of a few MB is in flight for many seconds
        sid2, _ = scalefix.publish(s, s3)
        assert wait_for(lambda: _debris(rep) and os.path.getsize(_debris(rep)[0]) > 0, timeout=30), rep.logtext()
        os.kill(rep.pid, signal.SIGKILL)
        rep.proc.wait()
        rep.log.close()
        assert os.stat(rep.serving).st_ino == ino  # the good file was never touched
        assert scalefix.publish_read_id(s, rep.serving) == sid1
        s3.throttle(0)
        rep = scalefix.Replica(s, URL, s3)  # same folder: the debris is removed at start
        assert wait_for(lambda: _synced(rep, sid2), timeout=30), rep.health()
        assert not _debris(rep)
        # SIGTERM mid-download: the transfer is aborted, its temporary removed, exit 0 at once
        s3.throttle(100_000)
        sid3, _ = scalefix.publish(s, s3)
        assert wait_for(lambda: _debris(rep) and os.path.getsize(_debris(rep)[0]) > 0, timeout=30), rep.logtext()
        t0 = time.time()
        rep.stop()  # asserts a clean exit 0
        # the rest of the download (~3 MB at 100 kB/s) would take far longer
        assert time.time() - t0 < 10, time.time() - t0
        assert not _debris(rep) and scalefix.publish_read_id(s, rep.serving) == sid2
        s3.throttle(0)
        rep = scalefix.Replica(s, URL, s3)
        assert wait_for(lambda: _synced(rep, sid3), timeout=30), rep.health()
        sid2 = sid3
        # the bucket goes away: the replica keeps serving, /health says why
        s3.stop()
        assert wait_for(lambda: "127.0.0.1" in (rep.replica()["error"] or ""), timeout=20), rep.replica()
        assert _served(rep) == sid2
        h = rep.health()
        assert h["status"] == "ok" and h["snapshot_id"] == sid2, h
        rep.stop()
        rep = None
    finally:
        scalefix.teardown(s, s3, [rep])


if __name__ == "__main__":
    harness.main([test_killed_mid_download_and_bucket_down])
