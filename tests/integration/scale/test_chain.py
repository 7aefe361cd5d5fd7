"""The whole chain (issue 17): export-serving publishes to the bucket -> three replicas
(`serve --follow`) -> Debian's nginx as the load balancer. A ~20 s soak of concurrent
keep-alive clients while three more snapshots are published: no request fails, every
replica converges on the last snapshot, and on each keep-alive connection no snapshot id
goes backwards — per replica (nginx names the replica that answered in X-Upstream; the id
is the X-Materia-Snapshot header every API answer carries). Across replicas a client can
see a replica that is a poll behind; that is the documented trade-off (docs/ARCHITECTURE.md,
"Scaling out").

nginx: an `upstream` with max_fails/fail_timeout — passive health checks, the ones open
source nginx has (active `health_check` is nginx Plus only) — and proxy_next_upstream, so
a replica that fails is skipped and the request retried on another."""
import http.client
import os
import subprocess
import threading
import time

import harness
import scalefix
from webfix import wait_for

URL = f"s3://{scalefix.BUCKET}/serving/"
SOAK_S = 20
CLIENTS = 6


def nginx_conf(folder, port, upstreams):
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=2 fail_timeout=5s;" for p in upstreams)
    return f"""daemon off;
master_process off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
  upstream replicas {{
{servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
    keepalive_requests 100000;
    location / {{
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 http_503;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""


def free_port():
    import socket
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


class Nginx:
    def __init__(self, scratch, upstreams, name="nginx"):
        self.folder = os.path.join(scratch.dir, name)
        os.makedirs(self.folder, exist_ok=True)
        self.port = free_port()
        conf = os.path.join(self.folder, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_conf(self.folder, self.port, upstreams))
        self.proc = subprocess.Popen(["nginx", "-p", self.folder, "-c", conf], stderr=subprocess.PIPE, text=True)

        def up():
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/health")
                return c.getresponse().status in (200, 503)
            except OSError:
                return False
        assert wait_for(up, timeout=20), "nginx did not start"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stderr.close()


def soak(port, stop, results):
    """One keep-alive client: GETs until stop; records failures and, per replica, the
    sequence of snapshot ids it saw (checked against the publish order afterwards: an id
    may be served before the test has read export-serving's output)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    seen = {}  # upstream -> ids in the order first seen on this connection
    n = fails = 0
    paths = ["/api/countries", "/api/world", "/api/releases"]
    while not stop.is_set():
        try:
            c.request("GET", paths[n % 3])
            r = c.getresponse()
            r.read()
            sid, up = r.getheader("X-Materia-Snapshot"), r.getheader("X-Upstream")
            if r.status != 200 or not sid:
                fails += 1
            else:
                seq = seen.setdefault(up, [])
                if not seq or seq[-1] != sid:
                    seq.append(sid)
        except (OSError, http.client.HTTPException):
            fails += 1
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n += 1
    c.close()
    results.append((n, fails, seen))


def test_publish_replicas_nginx_soak():
    s = harness.Scratch("chain")
    s3 = scalefix.S3Server(s)
    reps, ngx = [], None
    stop, threads = threading.Event(), []
    try:
        scalefix.make_lake(s)
        ids = [scalefix.publish(s, s3)[0]]
        reps = [scalefix.Replica(s, URL, s3, name=f"replica{i}") for i in range(3)]
        for r in reps:
            assert wait_for(lambda: r.replica()["served_snapshot_id"] == ids[0], timeout=30), r.health()
        ngx = Nginx(s, [r.port for r in reps])
        results = []
        # daemon threads, stopped in `finally` too: a failed step must end the test, not leave
        # the clients looping until ctest's timeout (seen once: 900 s after a failed publish)
        threads = [threading.Thread(target=soak, args=(ngx.port, stop, results), daemon=True) for _ in range(CLIENTS)]
        t0 = time.time()
        for t in threads:
            t.start()
        for k in range(3):  # three more snapshots during the soak
            time.sleep(max(0.0, t0 + (k + 1) * SOAK_S / 4 - time.time()))
            ids.append(scalefix.publish(s, s3)[0])
        # every replica converges on the last one, while the clients keep going
        for r in reps:
            assert wait_for(lambda: r.replica()["served_snapshot_id"] == ids[-1] and r.replica()["in_sync"],
                            timeout=30), r.health()
        time.sleep(max(0.0, t0 + SOAK_S - time.time()))
        stop.set()
        for t in threads:
            t.join(60)
        total = sum(n for n, _, _ in results)
        fails = sum(f for _, f, _ in results)
        rank = {sid: i for i, sid in enumerate(ids)}
        # on one connection, each replica's ids appear in publish order (a repeat = a step back)
        back = sum(1 for _, _, seen in results for seq in seen.values()
                   if [rank.get(x, -1) for x in seq] != sorted(set(rank.get(x, -1) for x in seq))
                   or -1 in [rank.get(x, -1) for x in seq])
        print(f"soak: {total} requests over {time.time() - t0:.1f} s by {CLIENTS} clients, "
              f"{len(ids)} snapshots, {fails} failed, {back} backward steps", flush=True)
        assert len(results) == CLIENTS and total > 100, results
        assert fails == 0 and back == 0, results
        for r in reps:
            r.stop()
        reps = []
    finally:
        stop.set()
        for t in threads:
            if t.ident is not None:  # a step may fail before they are started
                t.join(60)
        scalefix.teardown(s, s3, reps, ngx)


if __name__ == "__main__":
    harness.main([test_publish_replicas_nginx_soak])
