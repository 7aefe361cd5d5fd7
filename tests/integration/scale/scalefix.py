"""scalefix.py — fixtures for the publish/follow tests (issue 17, "Publish and follow").

S3Server starts tests/tools/s3_sigv4_server.js (installed by `scripts/bootstrap --test`):
the npm package s3rver behind a front that verifies every SigV4 signature and payload
hash with the `aws4` package — s3rver alone accepts any signature (see that file's
opening comment), and a wrong secret must be refused. It logs one JSON line per request,
which the tests read to see the S3 calls made.

sign_request() is an independent SigV4 signer (stdlib hmac/hashlib) the tests use to put
objects of their own (a corrupt snapshot, a manifest naming a missing file).

make_lake() builds a lakehouse whose schema `serving` holds the full serving contract
(copied from webfix.build_serving's file), so `export-serving` produces snapshots that a
replica's checks accept. Replica runs `materia serve --follow URL` in its own folder.
"""
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import select
import subprocess
import sys
import urllib.parse

import harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webfix  # noqa: E402  (the serving-contract fixture and the server driver)

TOOLS = os.path.join(harness.SRC, "tests", "tools")
KEY, SECRET, BUCKET = "MATERIATESTKEY", "materia-test-secret", "snaps"


def tools_ready():
    if not os.path.isdir(os.path.join(TOOLS, "node_modules", "s3rver")):
        raise AssertionError(f"{TOOLS}/node_modules is missing: run scripts/bootstrap --test")


class S3Server:
    def __init__(self, scratch, name="s3", port=0):
        tools_ready()
        self.dir = os.path.join(scratch.dir, name + "-data")
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(scratch.dir, name + "-requests.log")
        self.err = open(os.path.join(scratch.dir, name + ".stderr"), "w")
        self.proc = subprocess.Popen(
            ["node", os.path.join(TOOLS, "s3_sigv4_server.js"), "--dir", self.dir, "--bucket", BUCKET,
             "--key", KEY, "--secret", SECRET, "--log", self.log_path, "--port", str(port)],
            stdout=subprocess.PIPE, stderr=self.err, text=True)
        r, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if r else ""
        m = re.match(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if not m:
            self.proc.kill()
            raise AssertionError(f"s3 server did not start: {line!r}")
        self.port = int(m.group(1))
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def env(self, prefix="serving/", secret=SECRET):
        return {"SERVING_PUBLISH_URL": f"s3://{BUCKET}/{prefix}", "S3_ENDPOINT": self.endpoint,
                "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "auto"}

    def requests(self):
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path) as f:
            return [json.loads(l) for l in f if l.strip()]

    def request(self, method, key, body=b"", query="", secret=SECRET):
        path = f"/{BUCKET}/{key}" if key is not None else f"/{BUCKET}/"
        headers = sign_request(method, f"127.0.0.1:{self.port}", path, query, body, KEY, secret)
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path + (f"?{query}" if query else ""), body=body or None, headers=headers)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def get(self, key):
        st, h, b = self.request("GET", key)
        assert st == 200, f"GET {key}: {st} {b[:300]!r}"
        return b

    def put(self, key, body):
        st, _, b = self.request("PUT", key, body)
        assert st == 200, f"PUT {key}: {st} {b[:300]!r}"

    def keys(self, prefix="serving/"):
        st, _, b = self.request("GET", None, query="list-type=2&prefix=" + urllib.parse.quote(prefix, safe=""))
        assert st == 200, b
        return sorted(re.findall(r"<Key>([^<]+)</Key>", b.decode()))

    def control(self, what):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("POST", f"/__control/{what}")
        assert c.getresponse().status == 204
        c.close()

    def throttle(self, bps):
        self.control(f"throttle?bps={bps}")

    def drop(self, n):
        """The next n requests get no answer (the connection is closed)."""
        self.control(f"drop?n={n}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.err.close()
        # what the stand-in wrote to stderr (an uncaught error, an early exit) is shown before
        # teardown removes the folder: the only trace of why a step saw it stop answering
        with open(self.err.name) as f:
            said = f.read().strip()
        if said:
            print(f"s3 server stderr:\n{said}", flush=True)


def sign_request(method, host, path, query, body, key, secret, region="auto"):
    """Headers of a SigV4-signed S3 request (AWS's documented algorithm, stdlib only)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(body).hexdigest()
    canon_q = "&".join(sorted(f"{k}={v}" for k, v in (p.split("=", 1) if "=" in p else (p, "")
                                                      for p in query.split("&") if p)))
    hdrs = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
    signed = ";".join(sorted(hdrs))
    canon = "\n".join([method, path, canon_q, "".join(f"{k}:{hdrs[k]}\n" for k in sorted(hdrs)), signed, payload])
    scope = f"{day}/{region}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (day, region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={sig}",
            "x-amz-content-sha256": payload, "x-amz-date": amz_date}


def make_lake(scratch, pad_rows=0):
    """A lakehouse whose schema `serving` holds the serving contract's tables, with an ok
    transform run; pad_rows > 0 adds serving.pad (random doubles: incompressible bytes)."""
    src = os.path.join(scratch.dir, "contract-src.duckdb")
    webfix.build_serving(scratch, src)
    tables = [r["table_name"] for r in scratch.sql(src, "SELECT table_name FROM duckdb_tables() "
                                                        "WHERE table_name <> '_snapshot' ORDER BY 1")]
    sql = [f"ATTACH '{src}' AS src (READ_ONLY)", "CREATE SCHEMA IF NOT EXISTS serving"]
    sql += [f"CREATE OR REPLACE TABLE serving.{t} AS SELECT * FROM src.main.{t}" for t in tables]
    if pad_rows:
        sql.append(f"CREATE OR REPLACE TABLE serving.pad AS SELECT random() AS a, random() AS b FROM range({pad_rows})")
    sql += ["DETACH src", "CREATE SCHEMA IF NOT EXISTS _materia",
            "CREATE TABLE IF NOT EXISTS _materia.runs(run_id VARCHAR PRIMARY KEY, kind VARCHAR, started_at TIMESTAMP, "
            "ended_at TIMESTAMP, status VARCHAR, message VARCHAR)",
            "INSERT INTO _materia.runs VALUES ('transform-1', 'transform', now(), now(), 'ok', NULL)"]
    scratch.sql(scratch.lakehouse, "; ".join(sql), write=True)


def publish(scratch, s3, env_extra=None, check=0):
    env = s3.env()
    env.update(env_extra or {})
    p = scratch.run("export-serving", env=env, check=check)
    m = re.search(r"published snapshot (\S+) to s3://", p.stdout)
    return (m.group(1) if m else None), p


class Replica(webfix.Server):
    """`materia serve --follow URL` with its own SERVING_DUCKDB_PATH (folder `name`)."""

    def __init__(self, scratch, url, s3, name="replica", env=None, poll_s=1):
        self.scratch = scratch
        self.folder = os.path.join(scratch.dir, name)
        os.makedirs(self.folder, exist_ok=True)
        self.serving = os.path.join(self.folder, "serving.duckdb")
        self.log_path = os.path.join(scratch.dir, f"{name}.log")
        e = dict(scratch.env)
        e.setdefault("MATERIA_WEB_DIR", os.path.join(scratch.dir, "webdist"))
        e.update(s3.env())
        e.pop("SERVING_PUBLISH_URL")
        e.update(SERVING_DUCKDB_PATH=self.serving, SERVING_FOLLOW_POLL_S=str(poll_s),
                 APP_DB_PATH=os.path.join(self.folder, "app.sqlite"), MATERIA_ACCESS_LOG="errors")
        e.update(env or {})
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([harness.BIN, "serve", "--addr", "127.0.0.1:0", "--follow", url],
                                     cwd=scratch.dir, env=e, stdout=subprocess.PIPE, stderr=self.log, text=True)
        r, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline() if r else ""
        m = re.match(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if not m:
            self.proc.kill()
            raise AssertionError(f"replica did not start: {line!r}\n{self.logtext()}")
        self.port = int(m.group(1))
        self.pid = self.proc.pid

    def health(self):
        st, _, body = self.request("/health")
        return json.loads(body)

    def replica(self):
        return self.health()["replica"]


def publish_read_id(scratch, path):
    """The snapshot_id in a serving file's _snapshot (read independently of the replica)."""
    return scratch.sql(path, "SELECT min(snapshot_id) AS id FROM _snapshot")[0]["id"]


def teardown(scratch, s3, replicas=(), nginx=None):
    """Stops what a scale test started, whatever state it is in (nginx, the replicas without
    checking their exit, the S3 server), then removes the scratch folder."""
    if nginx:
        nginx.stop()
    for r in replicas:
        if r:
            r.stop(check=False)
    s3.stop()
    scratch.cleanup()
