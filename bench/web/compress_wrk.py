#!/usr/bin/env python3
"""bench/web/compress_wrk.py — issue 16's throughput figure: `materia serve`'s cached API
answer with compression on against nginx serving the same precompressed bytes, in one
run. For each coding (br, gzip, and identity for reference) materia gets the request with
that Accept-Encoding and answers from its response cache (the coded form made once per
snapshot); nginx serves the very bytes materia sent (fetched first, compared after) as a
static file with the same Content-Encoding. Target: materia ≥ 1.0× nginx.

Rounds alternate server by server within each coding, so a drift of the machine's load
lands on both alike; the table shows each server's median run by req/s and the 1-minute
load average around each run.

  python3 bench/web/compress_wrk.py [--bin build/release/materia] [--before OLD_BIN] [--duration 10]
                                    [--rounds 3] [-c 64]
--before adds a materia without compression (e.g. main before issue 16) to the identity
row, in the same alternation: what the change costs an identity answer.
Needs: wrk, nginx (nginx-light), a release build (built when missing).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as webbench  # noqa: E402

ROUTE = "/api/balance/BR"
CODINGS = [("br", "br"), ("gzip", "gzip"), ("identity", None)]


def fetch(port, ae):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{ROUTE}", headers={"Accept-Encoding": ae or "identity"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read(), r.headers.get("Content-Encoding") or "identity"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", help="materia binary (default build/release/materia)")
    ap.add_argument("--before", help="an older materia binary, measured on identity too")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("-c", "--conns", type=int, default=64)
    a = ap.parse_args()
    binp = os.path.abspath(a.bin) if a.bin else webbench.build_release()
    work = tempfile.mkdtemp(prefix="materia-bench-compress-")
    os.chmod(work, 0o755)
    procs = {}
    devnull = open(os.devnull, "w")
    try:
        serving = webbench.make_fixture(binp, work)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ASAN", "LSAN", "UBSAN", "MATERIA_"))}
        empty = os.path.join(work, "webdir")  # no dashboard files: serve compresses what it finds there at start
        os.makedirs(empty, exist_ok=True)
        # the anonymous API limit (issue 15) is on, at its maximum: with its default of 60 a
        # minute nearly every answer measured would be a 429, not the cached API answer
        env.update(SERVING_DUCKDB_PATH=serving, MATERIA_WEB_DIR=empty, API_RATE_ANON_PER_MIN="100000000")
        procs["materia"] = (subprocess.Popen([binp, "serve", "--addr", "127.0.0.1:18101"], env=env, cwd=work,
                                             stdout=devnull, stderr=devnull), 18101)
        webbench.wait_http(f"http://127.0.0.1:18101{ROUTE}")
        if a.before:
            procs["before"] = (subprocess.Popen([os.path.abspath(a.before), "serve", "--addr", "127.0.0.1:18103"],
                                                env=env, cwd=work, stdout=devnull, stderr=devnull), 18103)
            webbench.wait_http(f"http://127.0.0.1:18103{ROUTE}")
        static = os.path.join(work, "static")
        os.makedirs(static)
        locs = []
        for name, ae in CODINGS:
            body, enc = fetch(18101, ae)
            assert enc == name, (name, enc)
            with open(os.path.join(static, f"balance-BR.{name}"), "wb") as f:
                f.write(body)
            extra = f"add_header Content-Encoding {name};" if ae else ""
            locs.append(f"location = /{name}{ROUTE} {{ try_files /balance-BR.{name} =404; {extra} "
                        "add_header Vary Accept-Encoding; add_header Cache-Control no-cache; }")
            print(f"{name}: {len(body)} bytes", flush=True)
        procs["nginx"] = (webbench.start_nginx(work, 18102, static, locs, worker_connections=4096, backlog=4096,
                                               devnull=devnull), 18102)
        for name, ae in CODINGS:  # the same bytes from both
            webbench.wait_http(f"http://127.0.0.1:18102/{name}{ROUTE}")
            req = urllib.request.Request(f"http://127.0.0.1:18102/{name}{ROUTE}", headers={"Accept-Encoding": ae or "identity"})
            with urllib.request.urlopen(req, timeout=10) as r:
                assert r.read() == fetch(18101, ae)[0], name
        before = webbench.wait_http("http://127.0.0.1:18101/metrics").decode()
        rows = []
        for name, ae in CODINGS:
            runs = {s: [] for s in procs if s != "before" or ae is None}
            hdr = [f"Accept-Encoding: {ae}"] if ae else ["Accept-Encoding: identity"]
            for _ in range(a.rounds):
                for srv, (p, port) in procs.items():
                    if srv not in runs:
                        continue
                    url = f"http://127.0.0.1:{port}{ROUTE}" if srv == "materia" else f"http://127.0.0.1:{port}/{name}{ROUTE}"
                    l0 = os.getloadavg()[0]
                    r = webbench.wrk(url, a.duration, conns=a.conns, headers=hdr)
                    r["load"] = (l0 + os.getloadavg()[0]) / 2
                    runs[srv].append(r)
                    print(f"{name:8s} {srv:8s} {r['rps']:9.0f} req/s p50 {r['p50']:.2f} ms p99 {r['p99']:.2f} ms "
                          f"non-2xx {r['non2xx']} load {r['load']:.1f}", flush=True)
                    if r["non2xx"]:
                        sys.exit(f"compress_wrk: {srv} answered {r['non2xx']} non-2xx: the figures would not be "
                                 "of the answer being measured")
            med = {s: sorted(v, key=lambda x: x["rps"])[len(v) // 2] for s, v in runs.items()}
            rows.append((name, med))
        after = webbench.wait_http("http://127.0.0.1:18101/metrics").decode()

        def comp(text):
            return {l.split()[0]: l.split()[1] for l in text.splitlines() if l.startswith("materia_http_compressions_total")}
        print(f"\ncompressions during the wrk runs: before {comp(before)}, after {comp(after)}")
        print(f"\nwrk -t2 -c{a.conns} -d{a.duration}s -H 'Accept-Encoding: <coding>' {ROUTE}, loopback, {a.rounds} "
              "alternating rounds, median run; materia default settings (cache on, access log on to /dev/null); "
              "nginx 2 workers serving materia's bytes as a static file with the same Content-Encoding\n")
        print("| coding | bytes | materia req/s | nginx req/s | ratio | materia p99 ms | nginx p99 ms | load |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, med in rows:
            size = os.path.getsize(os.path.join(static, f"balance-BR.{name}"))
            m, n = med["materia"], med["nginx"]
            print(f"| {name} | {size} | {m['rps']:.0f} | {n['rps']:.0f} | {m['rps'] / n['rps']:.2f} | {m['p99']:.2f} | "
                  f"{n['p99']:.2f} | {m['load']:.1f}/{n['load']:.1f} |")
            if "before" in med:
                b = med["before"]
                print(f"| {name}, materia before | {size} | {b['rps']:.0f} | {n['rps']:.0f} | {b['rps'] / n['rps']:.2f} | "
                      f"{b['p99']:.2f} | {n['p99']:.2f} | {b['load']:.1f}/{n['load']:.1f} |")
    finally:
        webbench.stop_all([p for p, _ in procs.values()])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
