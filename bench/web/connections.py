#!/usr/bin/env python3
"""bench/web/connections.py — issue 10's figures: wrk at -c64, -c500 and -c1000 against
`materia serve` before and after a change (two binaries, cache on, default settings) and
nginx serving the same bytes as static files, all in one run, on /api/balance/BR.

Each concurrency runs --rounds times per server, the servers alternating, and the table
shows each server's median run. Reports req/s, p50/p99 latency, non-2xx answers and socket errors per server and
concurrency, and each materia's cached-route ratio to nginx at the same concurrency. The
runs alternate server by server within each concurrency, so a drift of the machine's load
lands on every server alike; the 1-minute load average is printed with each run.

  python3 bench/web/connections.py --before OLD_BIN [--after NEW_BIN] [--duration 15]
Needs: wrk, nginx, the release build (bench/web/run.py builds it when missing).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as webbench  # noqa: E402  (the fixture, wait_http and the wrk parser)

ROUTE = "/api/balance/BR"
CONNS = [64, 500, 1000]


def wrk(url, conns, duration):
    r = webbench.wrk(url, duration, conns=conns, timeout_s=10)
    r["errtext"] = r.pop("sockerr")
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="materia binary before the change")
    ap.add_argument("--after", help="materia binary after the change (default build/release/materia)")
    ap.add_argument("--duration", type=int, default=15, help="seconds per wrk run (default 15)")
    ap.add_argument("--rounds", type=int, default=3, help="runs per server and concurrency, alternating; "
                    "the table shows the median run (default 3)")
    a = ap.parse_args()
    after = os.path.abspath(a.after) if a.after else webbench.build_release()
    before = os.path.abspath(a.before)
    work = tempfile.mkdtemp(prefix="materia-bench-conns-")
    os.chmod(work, 0o755)
    serving = webbench.make_fixture(after, work)
    procs = {}
    devnull = open(os.devnull, "w")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ASAN", "LSAN", "UBSAN", "MATERIA_"))}
        empty = os.path.join(work, "webdir")  # no dashboard files: serve compresses what it finds there at start
        os.makedirs(empty, exist_ok=True)
        # the anonymous API limit (issue 15) at its maximum, or the answers measured are 429s
        env.update(SERVING_DUCKDB_PATH=serving, MATERIA_WEB_DIR=empty, API_RATE_ANON_PER_MIN="100000000")
        for name, binp, port in [("materia before", before, 18090), ("materia after", after, 18091)]:
            procs[name] = (subprocess.Popen([binp, "serve", "--addr", f"127.0.0.1:{port}"], env=env, cwd=work,
                                            stdout=devnull, stderr=devnull, preexec_fn=webbench.raise_nofile), port)
        static = os.path.join(work, "static")
        os.makedirs(static)
        body = webbench.wait_http(f"http://127.0.0.1:18091{ROUTE}")
        with open(os.path.join(static, "balance-BR.json"), "wb") as f:
            f.write(body)
        procs["nginx static"] = (webbench.start_nginx(work, 18093, static,
                                                      [f"location = {ROUTE} {{ try_files /balance-BR.json =404; }}"],
                                                      worker_connections=4096, backlog=4096, devnull=devnull), 18093)
        for name, (p, port) in procs.items():
            webbench.wait_http(f"http://127.0.0.1:{port}{ROUTE}")
        # both materias log every request (the default) to /dev/null: the old one with a
        # write(2) per line from the worker, the new one through its log queue
        results = []
        for c in CONNS:
            runs = {name: [] for name in procs}
            for _ in range(a.rounds):  # servers alternate within each round
                for name, (p, port) in procs.items():
                    load0 = os.getloadavg()[0]
                    r = wrk(f"http://127.0.0.1:{port}{ROUTE}", c, a.duration)
                    r.update(server=name, conns=c, load=(load0 + os.getloadavg()[0]) / 2)
                    runs[name].append(r)
                    print(f"-c{c:<5d} {name:16s} {r['rps']:9.0f} req/s  p50 {r['p50']:8.2f} ms  p99 {r['p99']:9.2f} ms  "
                          f"({r['total']} requests, non-2xx {r['non2xx']}, socket errors {r['errtext'] or 0}, "
                          f"load {r['load']:.1f})", flush=True)
            for name in procs:  # the median run by req/s; errors summed over all rounds
                rs = sorted(runs[name], key=lambda x: x["rps"])
                med = dict(rs[len(rs) // 2])
                med["non2xx"] = sum(x["non2xx"] for x in rs)
                med["errtext"] = "; ".join(x["errtext"] for x in rs if x["errtext"])
                results.append(med)
        by = {(x["server"], x["conns"]): x for x in results}
        lines = [f"wrk -t2 -cN -d{a.duration}s --timeout 10s --latency {ROUTE}, loopback, {a.rounds} alternating "
                 "rounds, the median run shown (errors: all rounds); materia with "
                 "default settings (2 threads, cache on, access log on, to /dev/null); nginx 2 workers, same bytes as a "
                 "static file", "",
                 "| connections | server | req/s | p50 ms | p99 ms | non-2xx | socket errors | ratio to nginx | load |",
                 "|---:|---|---:|---:|---:|---:|---|---:|---:|"]
        for x in results:
            ng = by[("nginx static", x["conns"])]
            lines.append(f"| {x['conns']} | {x['server']} | {x['rps']:.0f} | {x['p50']:.2f} | {x['p99']:.2f} | "
                         f"{x['non2xx']} | {x['errtext'] or 0} | {x['rps'] / ng['rps']:.2f} | {x['load']:.1f} |")
        text = "\n".join(lines) + "\n"
        print("\n" + text)
    finally:
        webbench.stop_all([p for p, _ in procs.values()])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
