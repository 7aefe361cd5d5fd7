"""The publish/follow settings (issue 17) refused by name: a bad SERVING_PUBLISH_URL,
S3_ENDPOINT, SERVING_PUBLISH_KEEP, SERVING_PUBLISH_PART_MB, SERVING_FOLLOW_POLL_S or
AWS_REGION at load (`materia config`); an s3:// URL naming an invalid bucket, missing
credentials, or AWS_REGION=auto without S3_ENDPOINT before anything is exported; a bad
--follow URL when `serve` starts; AWS_SECRET_ACCESS_KEY never printed. (What each setting
does is tested where it acts: test_publish*.py, test_follow.py, test_chain.py.)"""
import subprocess

import harness
import scalefix


def test_bad_settings_refused_by_name():
    s = harness.Scratch("pub-settings")
    try:
        cases = [("SERVING_PUBLISH_URL", "https://bucket/x/"), ("S3_ENDPOINT", "ftp://x"),
                 ("SERVING_PUBLISH_KEEP", "0"), ("SERVING_PUBLISH_PART_MB", "4"),
                 ("SERVING_FOLLOW_POLL_S", "0"), ("AWS_REGION", "")]
        for k, v in cases:
            p = s.run("config", env={k: v}, check=1)
            assert k in p.stderr and "not supported" in p.stderr, (k, p.stderr)
        # a setting that acts only through another, given while that one is empty, could
        # take effect in no command: refused by name, with where it was set
        for k, v, needs in [("SERVING_PUBLISH_KEEP", "3", "SERVING_PUBLISH_URL"),
                            ("SERVING_PUBLISH_PART_MB", "16", "SERVING_PUBLISH_URL"),
                            ("CDN_PURGE_TIMEOUT_S", "5", "CDN_PURGE_URL")]:
            p = s.run("config", env={k: v, needs: ""}, check=1)
            assert f"environment: {k} is set but {needs} is empty: it cannot take effect" in p.stderr, (k, p.stderr)
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



def test_bad_follow_url_refused():
    s = harness.Scratch("follow-settings")
    try:
        for url, word in [("https://snaps/x/", "s3://bucket/prefix/"), ("s3://x/", "bucket name")]:
            e = dict(s.env, AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s", S3_ENDPOINT="http://127.0.0.1:9")
            p = subprocess.run([harness.BIN, "serve", "--addr", "127.0.0.1:0", "--follow", url], cwd=s.dir, env=e,
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 1 and "--follow" in p.stderr and word in p.stderr, p.stderr
    finally:
        s.cleanup()


if __name__ == "__main__":
    harness.main([test_bad_settings_refused_by_name, test_bad_follow_url_refused])
