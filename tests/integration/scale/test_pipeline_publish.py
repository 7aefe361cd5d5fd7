"""The pipeline's export step publishes (issue 17): `pipeline run all` on the bundled
sample with SERVING_PUBLISH_URL pointing at a bucket that is down fails the export step
("live locally but was not published", exit 1) with the local snapshot live; the next run
— nothing changed, so the export itself is skipped — sees the bucket's manifest behind the
live snapshot and publishes it; the run after that has nothing to do (exit 3)."""
import json

import harness
import scalefix
import test_chain


def test_failed_publish_is_retried_by_the_next_run():
    s = harness.Scratch("pipe-pub")
    s.env["PSD_SOURCE_URL"] = "file://" + harness.SAMPLE_ZIP
    port = test_chain.free_port()  # nothing listens there yet: the bucket is down
    env = {"SERVING_PUBLISH_URL": f"s3://{scalefix.BUCKET}/serving/", "S3_ENDPOINT": f"http://127.0.0.1:{port}",
           "AWS_ACCESS_KEY_ID": scalefix.KEY, "AWS_SECRET_ACCESS_KEY": scalefix.SECRET}
    s3 = None
    try:
        p = s.run("pipeline", "run", "all", env=env, check=1)
        out = p.stdout + p.stderr
        assert "step export_serving: failed" in out and "was not published" in out, out[-3000:]
        assert f"127.0.0.1:{port}" in out, out[-3000:]
        live = scalefix.publish_read_id(s, s.serving)  # the local snapshot is live
        s3 = scalefix.S3Server(s, port=port)
        p = s.run("pipeline", "run", "all", env=env, check=0)
        out = p.stdout + p.stderr
        assert "the bucket was behind: published snapshot " + live in out, out[-3000:]
        man = json.loads(s3.get("serving/LATEST.json"))
        assert man["snapshot_id"] == live and man["size"] == harness.os.path.getsize(s.serving)
        p = s.run("pipeline", "run", "all", env=env, check=3)
        assert "skipped" in p.stdout + p.stderr
    finally:
        if s3:
            s3.stop()
        s.cleanup()


if __name__ == "__main__":
    harness.main([test_failed_publish_is_retried_by_the_next_run])
