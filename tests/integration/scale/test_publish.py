"""Publishing serving snapshots to a bucket (issue 17): export-serving with
SERVING_PUBLISH_URL uploads {id}.duckdb, then LATEST.json; prunes beyond
SERVING_PUBLISH_KEEP (multipart: test_publish_multipart.py); a wrong secret
is refused by the server (which verifies SigV4: scalefix.S3Server) with a clear error and
the local snapshot stays live; bad settings are refused by name; the id published is the
hashed file's own even when another snapshot is renamed over the path meanwhile."""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time

import harness
import scalefix


def _setup(name, pad_rows=0):
    s = harness.Scratch(name)
    scalefix.make_lake(s, pad_rows=pad_rows)
    return s, scalefix.S3Server(s)


def test_publish_writes_object_then_manifest():
    s, s3 = _setup("pub-basic")
    try:
        sid, p = scalefix.publish(s, s3)
        assert sid, p.stdout
        man = json.loads(s3.get("serving/LATEST.json"))
        obj = s3.get(f"serving/{sid}.duckdb")
        with open(s.serving, "rb") as f:
            local = f.read()
        assert man["snapshot_id"] == sid and man["size"] == len(obj) == len(local)
        assert man["sha256"] == hashlib.sha256(obj).hexdigest() == hashlib.sha256(local).hexdigest()
        assert len(man["created_at"]) == 20 and man["created_at"].endswith("Z"), man
        # the manifest is written after its object: the request log's order
        puts = [r["url"] for r in s3.requests() if r["method"] in ("PUT", "POST") and r["status"] == 200]
        assert puts == [f"/snaps/serving/{sid}.duckdb", "/snaps/serving/LATEST.json"], puts
        # a request answered by a closed connection (an empty reply) is retried
        s3.drop(2)
        sid2, p = scalefix.publish(s, s3)
        assert p.stderr.count("retrying") == 2 and "Empty reply" in p.stderr, p.stderr
        assert json.loads(s3.get("serving/LATEST.json"))["snapshot_id"] == sid2
        # AWS_REGION is the region the requests are signed for (the server checks the
        # signature with the scope's region, so a wrong one would be refused by S3)
        assert {r["region"] for r in s3.requests() if r["status"]} == {"auto"}
        scalefix.publish(s, s3, {"AWS_REGION": "eu-central-1"})
        assert s3.requests()[-1]["region"] == "eu-central-1", s3.requests()[-1]
    finally:
        s3.stop()
        s.cleanup()


def test_retention_prunes_old_snapshots():
    s, s3 = _setup("pub-keep")
    try:
        ids = [scalefix.publish(s, s3, {"SERVING_PUBLISH_KEEP": "1"})[0] for _ in range(3)]
        keys = s3.keys()
        assert keys == sorted(["serving/LATEST.json", f"serving/{ids[-1]}.duckdb"]), keys
        assert json.loads(s3.get("serving/LATEST.json"))["snapshot_id"] == ids[-1]
    finally:
        s3.stop()
        s.cleanup()


def test_wrong_secret_refused_clearly():
    s, s3 = _setup("pub-secret")
    try:
        # the server itself refuses a request signed with a wrong secret
        st, _, body = s3.request("GET", "serving/LATEST.json", secret="not-the-secret")
        assert st == 403 and b"SignatureDoesNotMatch" in body, (st, body)
        sid, p = scalefix.publish(s, s3, {"AWS_SECRET_ACCESS_KEY": "not-the-secret"}, check=1)
        assert sid is None
        assert "was not published" in p.stderr and "SignatureDoesNotMatch" in p.stderr, p.stderr
        assert "not-the-secret" not in p.stderr + p.stdout
        # the local export is live all the same
        assert harness.os.path.exists(s.serving)
        assert s3.keys() == []
    finally:
        s3.stop()
        s.cleanup()


def test_bucket_unreachable_fails_the_export_step():
    s = harness.Scratch("pub-down")
    try:
        scalefix.make_lake(s)
        env = {"SERVING_PUBLISH_URL": "s3://snaps/x/", "S3_ENDPOINT": "http://127.0.0.1:9",
               "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}
        p = s.run("export-serving", env=env, check=1)
        assert "was not published" in p.stderr and "127.0.0.1:9" in p.stderr, p.stderr
        assert harness.os.path.exists(s.serving)  # the local snapshot is live
    finally:
        s.cleanup()


def _stopped(pid):
    """Whether the process is stopped (state T in /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


def test_identity_is_the_hashed_files_own():
    """publish hashes the live file through one descriptor; if an export renames another
    snapshot over the path before the identity is read (MATERIA_STOP_AT=publish_after_hash
    stops the process at that instant), the id and created_at must still be the hashed
    inode's: the object {id}.duckdb holds the snapshot named id, and no other snapshot's
    object is overwritten with these bytes. The publish then fails (the live file changed)
    and LATEST.json keeps naming the previous snapshot."""
    s, s3 = _setup("pub-identity")
    try:
        scalefix.publish(s, s3)
        sid2, _ = scalefix.publish(s, s3)
        other = os.path.join(s.dir, "other.duckdb")  # snapshot sid2's bytes, renamed in later
        shutil.copyfile(s.serving, other)
        with open(other, "rb") as f:
            sha2 = hashlib.sha256(f.read()).hexdigest()
        env = dict(s.env)
        env.update(s3.env(), MATERIA_STOP_AT="publish_after_hash")
        proc = subprocess.Popen([harness.BIN, "export-serving"], cwd=s.dir, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            end = time.monotonic() + 300  # a guard against a hang, never the thing measured
            while proc.poll() is None and not _stopped(proc.pid) and time.monotonic() < end:
                time.sleep(0.05)
            assert proc.poll() is None and _stopped(proc.pid), "export-serving did not stop at publish_after_hash"
            os.rename(other, s.serving)  # "another export" puts snapshot sid2 back in place
        finally:
            proc.send_signal(signal.SIGCONT)
            out, err = proc.communicate(timeout=300)
        assert proc.returncode == 1, (proc.returncode, out, err)
        sid3 = re.search(r"snapshot (\S+) is live locally but was not published", err).group(1)
        assert sid3 != sid2, out
        assert "changed while it was being published" in err, err
        # the object uploaded is named by the id inside its own bytes ...
        got = os.path.join(s.dir, "got.duckdb")
        with open(got, "wb") as f:
            f.write(s3.get(f"serving/{sid3}.duckdb"))
        assert scalefix.publish_read_id(s, got) == sid3
        # ... and snapshot sid2's object still holds sid2's bytes
        assert hashlib.sha256(s3.get(f"serving/{sid2}.duckdb")).hexdigest() == sha2
        assert json.loads(s3.get("serving/LATEST.json"))["snapshot_id"] == sid2
    finally:
        s3.stop()
        s.cleanup()


if __name__ == "__main__":
    harness.main([test_publish_writes_object_then_manifest, test_retention_prunes_old_snapshots,
                  test_wrong_secret_refused_clearly,
                  test_bucket_unreachable_fails_the_export_step, test_identity_is_the_hashed_files_own])
