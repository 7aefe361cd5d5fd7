#!/usr/bin/env python3
"""bench/web/keys.py — the /api gate's cost (issue 15): wrk on loopback against one
`materia serve` (cache on), anonymous and with an API key of each plan, side by side.

Every rate is set to its maximum (100,000,000 a minute) so no request is refused: what is
measured is the gate itself — for anonymous requests a token-bucket lookup by address, for
keyed ones also the key's SHA-256 lookup in the account database (a pooled SQLite
connection) on every request. Routes: /api/balance/BR (~28 KB) and /api/world. wrk: 2
threads, 64 connections. Reports req/s, p50/p99 and the load average around each run (the
machine is shared) as a Markdown table.

  python3 bench/web/keys.py                # 30 s per run
  python3 bench/web/keys.py --duration 3   # quick check
Needs: build/release/materia (built here if missing), wrk.
"""
import argparse
import base64
import hashlib
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import ROUTES, build_release, make_fixture, wait_http, wrk  # noqa: E402

MAX = "100000000"


def add_key(app_db, email, plan):
    """A user and a key, made as src/accounts/apikeys.c makes them; returns the key."""
    key = "mk_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    db = sqlite3.connect(app_db, timeout=10, isolation_level=None)
    try:
        uid = db.execute("INSERT INTO users (email, created_at, plan) VALUES (?, ?, ?)",
                         (email, int(time.time()), plan)).lastrowid
        db.execute("INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at) VALUES (?, 'bench', ?, ?, ?)",
                   (uid, key[:12], hashlib.sha256(key.encode()).digest(), int(time.time())))
    finally:
        db.close()
    return key


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=30, help="seconds per wrk run (default 30)")
    ap.add_argument("--bin", help="materia binary to bench (default build/release/materia)")
    a = ap.parse_args()
    binp = os.path.abspath(a.bin) if a.bin else build_release()
    work = tempfile.mkdtemp(prefix="materia-bench-keys-")
    serving = make_fixture(binp, work)
    app_db = os.path.join(work, "app.sqlite")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASAN", "LSAN", "UBSAN"))}
    env.update(SERVING_DUCKDB_PATH=serving, MATERIA_HTTP_THREADS="2", MATERIA_WEB_DIR=work, MATERIA_CACHE="on",
               APP_DB_PATH=app_db, API_RATE_ANON_PER_MIN=MAX, API_RATE_FREE_PER_MIN=MAX, API_RATE_PRO_PER_MIN=MAX)
    port = 18090
    proc = subprocess.Popen([binp, "serve", "--addr", f"127.0.0.1:{port}"], env=env, cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for r in ROUTES:
            wait_http(f"http://127.0.0.1:{port}{r}")
        keys = {"free": add_key(app_db, "free@bench.example", "free"),
                "pro": add_key(app_db, "pro@bench.example", "pro")}
        runs = [("anonymous", None), ("free key", keys["free"]), ("pro key", keys["pro"])]
        results = []
        for r in ROUTES:
            for who, key in runs:
                load0 = os.getloadavg()[0]
                res = wrk(f"http://127.0.0.1:{port}{r}", a.duration,
                          headers=[f"Authorization: Bearer {key}"] if key else None)
                res.update(who=who, route=r, load=(load0 + os.getloadavg()[0]) / 2)
                results.append(res)
                print(f"{who:10s} {r:18s} {res['rps']:10.0f} req/s  p50 {res['p50']:.2f} ms  p99 {res['p99']:.2f} ms"
                      f"  ({res['total']} requests, non-2xx {res['non2xx']}, load {res['load']:.1f})", flush=True)
        lines = [f"wrk -t2 -c64 -d{a.duration}s --latency, loopback, MATERIA_HTTP_THREADS=2, cache on, "
                 "every API_RATE_* at 100,000,000/min", "",
                 "| route | client | req/s | p50 ms | p99 ms | non-2xx | load avg |", "|---|---|---:|---:|---:|---:|---:|"]
        for x in results:
            lines.append(f"| {x['route']} | {x['who']} | {x['rps']:.0f} | {x['p50']:.2f} | {x['p99']:.2f} | "
                         f"{x['non2xx']} | {x['load']:.1f} |")
        print("\n" + "\n".join(lines))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
