"""A snapshot larger than SERVING_PUBLISH_PART_MB goes up as a multipart upload (issue 17):
the S3 server's request log shows the Create (?uploads=), the parts (each <= the part size,
each signed with its own payload sha256, which the server verifies) and the Complete; the
object is whole (sha256 = the manifest's). With the default part size, one PUT."""
import hashlib
import json

import harness
import scalefix


def test_multipart_above_part_size():
    # ~7 MB of random doubles: above SERVING_PUBLISH_PART_MB=5, so 2+ parts of <= 5 MiB
    s = harness.Scratch("pub-multi")
    scalefix.make_lake(s, pad_rows=450000)
    s3 = scalefix.S3Server(s)
    try:
        sid, p = scalefix.publish(s, s3, {"SERVING_PUBLISH_PART_MB": "5"})
        assert "multipart" in p.stdout, p.stdout
        reqs = s3.requests()
        assert any(r["method"] == "POST" and r["url"].endswith(f"{sid}.duckdb?uploads=") for r in reqs), reqs
        parts = [r for r in reqs if r["method"] == "PUT" and "partNumber=" in r["url"]]
        assert len(parts) >= 2 and all(r["bytes"] <= 5 * 1024 * 1024 for r in parts), parts
        obj = s3.get(f"serving/{sid}.duckdb")
        man = json.loads(s3.get("serving/LATEST.json"))
        assert man["sha256"] == hashlib.sha256(obj).hexdigest() and man["size"] == len(obj) > 5 * 2**20
        # the default part size (64 MiB) uploads the same file in one PUT
        sid2, p2 = scalefix.publish(s, s3)
        assert "one PUT" in p2.stdout, p2.stdout
    finally:
        s3.stop()
        s.cleanup()



if __name__ == "__main__":
    harness.main([test_multipart_above_part_size])
