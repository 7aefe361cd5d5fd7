#!/usr/bin/env python3
"""bench/scale/run.py — publish -> replicas latency, and req/s through nginx over three
replicas vs one server (issue 17). Results go to bench/RESULTS.md, "Scaling out".

  MATERIA_BIN=build/release/materia MATERIA_SOURCE_DIR=$PWD PYTHONPATH=tests/integration \\
      MATERIA_TEST_TMP=build/bench-tmp python3 bench/scale/run.py [rounds]

Latency: for each round, export-serving publishes a new snapshot; t0 is when the test S3
server answered the PUT of LATEST.json (its request log), t1 when all three replicas'
/health report serving the new id (polled every 20 ms). Replicas poll with
SERVING_FOLLOW_POLL_S=1, so the expected figure is ~0.5 s average wait + download + the
reader's checks. Throughput: wrk (2 threads, 32 connections, 10 s) on /api/countries through
nginx over the three replicas, straight at one replica, and through nginx over that one
replica (the cost of the proxy hop alone), same machine, same run. The
1-minute load average is printed beside each figure (the machine is shared)."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "integration", "scale"))
import harness  # noqa: E402
import scalefix  # noqa: E402
import test_chain  # noqa: E402

URL = f"s3://{scalefix.BUCKET}/serving/"


def load():
    return open("/proc/loadavg").read().split()[0]


def wrk(port):
    out = subprocess.run(["wrk", "-t2", "-c32", "-d10s", f"http://127.0.0.1:{port}/api/countries"],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, int(errs.group(1)) if errs else 0


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    s = harness.Scratch("bench-scale")
    s3 = scalefix.S3Server(s)
    reps, ngx = [], None
    try:
        scalefix.make_lake(s)
        sid = scalefix.publish(s, s3)[0]
        reps = [scalefix.Replica(s, URL, s3, name=f"replica{i}") for i in range(3)]
        for r in reps:
            assert scalefix.webfix.wait_for(lambda: r.replica()["served_snapshot_id"] == sid, timeout=60)
        size = os.path.getsize(s.serving)
        lat = []
        for _ in range(rounds):
            sid = scalefix.publish(s, s3)[0]
            t0 = [q["t"] for q in s3.requests() if q["url"].endswith("/LATEST.json") and q["method"] == "PUT"][-1]
            while not all(r.replica()["served_snapshot_id"] == sid for r in reps):
                time.sleep(0.02)
            lat.append(time.time() - t0)
            print(f"round: publish -> 3 replicas serving {sid}: {lat[-1]:.2f} s (load {load()})", flush=True)
        print(f"latency over {rounds} rounds ({size / 1e6:.1f} MB snapshot, poll 1 s): "
              f"mean {sum(lat) / len(lat):.2f} s, max {max(lat):.2f} s, load {load()}")
        ngx = test_chain.Nginx(s, [r.port for r in reps])
        rps3, e3 = wrk(ngx.port)
        print(f"wrk via nginx over 3 replicas: {rps3:.0f} req/s ({e3} non-2xx), load {load()}")
        rps1, e1 = wrk(reps[0].port)
        print(f"wrk straight at 1 replica: {rps1:.0f} req/s ({e1} non-2xx), load {load()}")
        ngx.stop()
        ngx = test_chain.Nginx(s, [reps[0].port], name="nginx1")
        rpsn1, en1 = wrk(ngx.port)
        print(f"wrk via nginx over 1 replica (the proxy hop alone): {rpsn1:.0f} req/s ({en1} non-2xx), "
              f"load {load()}")
    finally:
        scalefix.teardown(s, s3, reps, ngx)


if __name__ == "__main__":
    main()
