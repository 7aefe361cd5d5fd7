"""Publishing serving snapshots to a bucket (issue 17): export-serving with
SERVING_PUBLISH_URL uploads {id}.duckdb, then LATEST.json; prunes beyond
SERVING_PUBLISH_KEEP; uses a multipart upload above SERVING_PUBLISH_PART_MB; a wrong secret
is refused by the server (which verifies SigV4: scalefix.S3Server) with a clear error and
the local snapshot stays live; bad settings are refused by name."""
import hashlib
import json

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
    finally:
        s3.stop()
        s.cleanup()


def test_retention_prunes_old_snapshots():
    s, s3 = _setup("pub-keep")
    try:
        ids = [scalefix.publish(s, s3, {"SERVING_PUBLISH_KEEP": "2"})[0] for _ in range(4)]
        keys = s3.keys()
        assert keys == sorted(["serving/LATEST.json"] + [f"serving/{i}.duckdb" for i in ids[-2:]]), keys
        assert json.loads(s3.get("serving/LATEST.json"))["snapshot_id"] == ids[-1]
    finally:
        s3.stop()
        s.cleanup()


def test_multipart_above_part_size():
    # ~12 MB of random doubles: above SERVING_PUBLISH_PART_MB=5, so 3 parts of <= 5 MiB
    s, s3 = _setup("pub-multi", pad_rows=800000)
    try:
        sid, p = scalefix.publish(s, s3, {"SERVING_PUBLISH_PART_MB": "5"})
        assert "multipart" in p.stdout, p.stdout
        reqs = s3.requests()
        assert any(r["method"] == "POST" and r["url"].endswith(f"{sid}.duckdb?uploads=") for r in reqs), reqs
        parts = [r for r in reqs if r["method"] == "PUT" and "partNumber=" in r["url"]]
        assert len(parts) >= 3 and all(r["bytes"] <= 5 * 1024 * 1024 for r in parts), parts
        obj = s3.get(f"serving/{sid}.duckdb")
        man = json.loads(s3.get("serving/LATEST.json"))
        assert man["sha256"] == hashlib.sha256(obj).hexdigest() and man["size"] == len(obj) > 10 * 2**20
        # the default part size (64 MiB) uploads the same file in one PUT
        sid2, p2 = scalefix.publish(s, s3)
        assert "one PUT" in p2.stdout, p2.stdout
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


def test_bad_settings_refused_by_name():
    s = harness.Scratch("pub-settings")
    try:
        cases = [("SERVING_PUBLISH_URL", "https://bucket/x/"), ("S3_ENDPOINT", "ftp://x"),
                 ("SERVING_PUBLISH_KEEP", "0"), ("SERVING_PUBLISH_PART_MB", "4"),
                 ("SERVING_FOLLOW_POLL_S", "0"), ("AWS_REGION", "")]
        for k, v in cases:
            p = s.run("config", env={k: v}, check=1)
            assert k in p.stderr and "not supported" in p.stderr, (k, p.stderr)
        # a URL that parses as s3:// but names no valid bucket, and missing credentials:
        # refused before anything is exported
        scalefix.make_lake(s)
        for env, word in [({"SERVING_PUBLISH_URL": "s3://B/x/", "AWS_ACCESS_KEY_ID": "k",
                            "AWS_SECRET_ACCESS_KEY": "s", "S3_ENDPOINT": "http://127.0.0.1:9"}, "bucket name"),
                          ({"SERVING_PUBLISH_URL": "s3://snaps/x/", "S3_ENDPOINT": "http://127.0.0.1:9"},
                           "AWS_ACCESS_KEY_ID"),
                          ({"SERVING_PUBLISH_URL": "s3://snaps/x/", "AWS_ACCESS_KEY_ID": "k",
                            "AWS_SECRET_ACCESS_KEY": "s"}, "S3_ENDPOINT")]:
            p = s.run("export-serving", env=env, check=1)
            assert word in p.stderr and "SERVING_PUBLISH_URL" in p.stderr, p.stderr
            assert not harness.os.path.exists(s.serving), "exported although the publish was refused"
        # the secret is masked by `materia config`
        p = s.run("config", env={"AWS_SECRET_ACCESS_KEY": "hush-123"}, check=0)
        assert "AWS_SECRET_ACCESS_KEY" in p.stdout and "hush-123" not in p.stdout
    finally:
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


if __name__ == "__main__":
    harness.main([test_publish_writes_object_then_manifest, test_retention_prunes_old_snapshots,
                  test_multipart_above_part_size, test_wrong_secret_refused_clearly,
                  test_bad_settings_refused_by_name, test_bucket_unreachable_fails_the_export_step])
