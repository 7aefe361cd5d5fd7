"""`materia serve --follow` (issue 17): a replica converges on what LATEST.json names; a
corrupt upload, a manifest naming a missing file and a manifest older than what is served
never replace the good snapshot (the temporary is removed, /health says why), nor does a
manifest whose created_at is not its snapshot's own. (A replica
killed mid-download, and the bucket unreachable: test_follow_kill.py.)"""
import glob
import json
import os

import harness
import scalefix
from webfix import wait_for

URL = f"s3://{scalefix.BUCKET}/serving/"


def _setup(name):
    s = harness.Scratch(name)
    scalefix.make_lake(s)
    return s, scalefix.S3Server(s)


def _served(rep):
    st, h, _ = rep.request("/api/countries")
    return h.get("x-materia-snapshot") if st == 200 else None


def _synced(rep, sid):
    r = rep.replica()
    return r["served_snapshot_id"] == sid and r["in_sync"] and r["lag_s"] == 0 and _served(rep) == sid


def _debris(rep):
    return glob.glob(os.path.join(rep.folder, ".serving.duckdb.tmp.*"))


def test_follow_converges():
    s, s3 = _setup("follow-conv")
    rep = None
    try:
        sid1, _ = scalefix.publish(s, s3)
        rep = scalefix.Replica(s, URL, s3, poll_s=2)
        assert wait_for(lambda: _synced(rep, sid1), timeout=30), (rep.health(), rep.logtext()[-2000:])
        r = rep.replica()
        assert r["following"] == URL and r["manifest_snapshot_id"] == sid1 and r["error"] is None, r
        sid2, _ = scalefix.publish(s, s3)
        assert wait_for(lambda: _synced(rep, sid2), timeout=30), (rep.health(), rep.logtext()[-2000:])
        # the conditional GET: unchanged manifests are answered 304
        assert wait_for(lambda: any(q["url"].endswith("LATEST.json") and q["status"] == 304
                                    for q in s3.requests()), timeout=15)
        assert not _debris(rep)
        # SERVING_FOLLOW_POLL_S=2: consecutive polls of the manifest are >= 2 s apart
        polls = lambda: [q["t"] for q in s3.requests() if q["method"] == "GET" and q["url"].endswith("LATEST.json")]
        assert wait_for(lambda: len(polls()) >= 4, timeout=30), polls()
        seen = polls()  # one reading of the server's log (two could differ by a poll)
        gaps = [b - a for a, b in zip(seen, seen[1:])]
        # a gap shorter than the interval is only allowed where the S3 client logged a retry
        # of that poll (a dropped kept-alive connection is retried after 0.25 s: one poll)
        short = [g for g in gaps if g < 1.9]
        assert len(short) <= rep.logtext().count("retrying"), (gaps, rep.logtext()[-2000:])
        rep.stop()
        rep = None
    finally:
        scalefix.teardown(s, s3, [rep])


def test_bad_manifests_never_replace_the_snapshot():
    s, s3 = _setup("follow-bad")
    rep = None
    try:
        sid1, _ = scalefix.publish(s, s3)
        rep = scalefix.Replica(s, URL, s3)
        assert wait_for(lambda: _synced(rep, sid1), timeout=30), rep.health()
        good = json.loads(s3.get("serving/LATEST.json"))
        blob = s3.get(f"serving/{sid1}.duckdb")
        ino = os.stat(rep.serving).st_ino

        def refused(word):
            ok = wait_for(lambda: word in (rep.replica()["error"] or ""), timeout=20)
            assert ok, (word, rep.replica(), rep.logtext()[-2000:])
            assert os.stat(rep.serving).st_ino == ino and _served(rep) == sid1
            assert rep.replica()["in_sync"] is False and not _debris(rep)

        # a corrupt upload: the object's bytes differ from the manifest's sha256
        bad_id = "20991231T000000Z-0badf00d"
        corrupt = bytearray(blob)
        corrupt[len(corrupt) // 2] ^= 0xFF
        s3.put(f"serving/{bad_id}.duckdb", bytes(corrupt))
        s3.put("serving/LATEST.json", json.dumps(dict(good, snapshot_id=bad_id,
                                                      created_at="2099-12-31T00:00:00Z")).encode())
        refused("does not match the manifest")
        # a manifest naming a file that is not there
        s3.put("serving/LATEST.json", json.dumps(dict(good, snapshot_id="20991231T000001Z-00000000",
                                                      created_at="2099-12-31T00:00:01Z")).encode())
        refused("does not exist")
        # a manifest older than what is served
        s3.put("serving/LATEST.json", json.dumps(dict(good, snapshot_id="20000101T000000Z-00000000",
                                                      created_at="2000-01-01T00:00:00Z")).encode())
        refused("never goes backwards")
        # not JSON at all
        s3.put("serving/LATEST.json", b"{not json")
        refused("not JSON")
        # a good publish afterwards is installed
        sid2, _ = scalefix.publish(s, s3)
        assert wait_for(lambda: _synced(rep, sid2), timeout=30), rep.health()
        assert rep.replica()["error"] is None
        rep.stop()
        rep = None
    finally:
        scalefix.teardown(s, s3, [rep])


def test_forged_created_at_is_refused():
    """A manifest whose created_at is not its snapshot's own (the previous snapshot announced
    again with a date in the future) is refused once the download is verified: the served
    snapshot stays, and the replica keeps ordering by the verified created_at, so the next
    good publish is installed (a forged date accepted would have made it "older")."""
    s, s3 = _setup("follow-forged")
    rep = None
    try:
        sid1, _ = scalefix.publish(s, s3)
        first = json.loads(s3.get("serving/LATEST.json"))
        sid2, _ = scalefix.publish(s, s3)
        rep = scalefix.Replica(s, URL, s3)
        assert wait_for(lambda: _synced(rep, sid2), timeout=30), rep.health()
        ino = os.stat(rep.serving).st_ino
        s3.put("serving/LATEST.json", json.dumps(dict(first, created_at="2099-12-31T00:00:00Z")).encode())
        assert wait_for(lambda: "a manifest must describe its snapshot" in (rep.replica()["error"] or ""),
                        timeout=20), (rep.replica(), rep.logtext()[-2000:])
        r = rep.replica()
        assert f"says {first['created_at']}" in r["error"], r
        assert r["manifest_snapshot_id"] == sid1 and r["installed_snapshot_id"] == sid2 and r["in_sync"] is False, r
        assert os.stat(rep.serving).st_ino == ino and _served(rep) == sid2 and not _debris(rep)
        sid3, _ = scalefix.publish(s, s3)
        assert wait_for(lambda: _synced(rep, sid3), timeout=30), (rep.replica(), rep.logtext()[-2000:])
        assert rep.replica()["error"] is None
        rep.stop()
        rep = None
    finally:
        scalefix.teardown(s, s3, [rep])


if __name__ == "__main__":
    harness.main([test_follow_converges, test_bad_manifests_never_replace_the_snapshot,
                  test_forged_created_at_is_refused])
