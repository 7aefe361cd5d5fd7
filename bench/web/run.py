#!/usr/bin/env python3
"""bench/web/run.py — wrk on loopback against `materia serve` (cache on and off), a Node.js
peer (@duckdb/node-api, bench/web/node-peer) and nginx serving the same JSON as static
files, on the same serving.duckdb (built from the bundled USDA sample).

Routes: /api/balance/BR (~28 KB of JSON) and /api/world. wrk: 2 threads, 64 connections.
Reports req/s, p50/p99 latency, each server's RSS after its runs and the 1-minute load
average around each run (the machine is shared: read figures with it), as a Markdown table
(stdout and OUT/results.md).

  python3 bench/web/run.py                 # 30 s per run (~1M requests per materia server)
  python3 bench/web/run.py --duration 3    # quick check that everything runs
Needs: build/release/materia (built here if missing), wrk, nginx, node + npm.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "web"))
ROUTES = ["/api/balance/BR", "/api/world"]


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build_release():
    binp = os.path.join(ROOT, "build", "release", "materia")
    if not os.path.exists(binp):
        env = dict(os.environ)
        env.setdefault("DUCKDB_PREFIX", "/work/main/third_party/duckdb" if not os.path.exists(
            os.path.join(ROOT, "third_party", "duckdb", "lib")) else os.path.join(ROOT, "third_party", "duckdb"))
        sh(["cmake", "-S", ROOT, "-B", os.path.join(ROOT, "build", "release"), "-DCMAKE_BUILD_TYPE=Release",
            "-DBUILD_TESTING=OFF"], env=env, stdout=subprocess.DEVNULL)
        sh(["cmake", "--build", os.path.join(ROOT, "build", "release"), "-j2", "--target", "materia"], env=env,
           stdout=subprocess.DEVNULL)
    return binp


def make_fixture(binp, work):
    os.environ["MATERIA_BIN"] = binp
    import harness  # noqa: E402
    import webfix  # noqa: E402
    harness.BIN = webfix.BIN = binp

    class S:  # the bits of harness.Scratch that webfix.build_serving uses
        dir = work
        env = dict(os.environ)

        def run(self, *args, check=None):
            return subprocess.run([binp, *args], cwd=work, env=self.env, capture_output=True, text=True,
                                  check=True)
    path = os.path.join(work, "serving.duckdb")
    webfix.build_serving(S(), path, "bench")
    return path


def wait_http(url, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read()
        except Exception:  # noqa: BLE001
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def rss_kb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def wrk(url, duration, conns=64, timeout_s=None, headers=None):
    """One wrk run (2 threads); req/s, p50/p99 ms, requests, non-2xx and socket errors.
    wrk gets the hard open-file limit (-c1000 needs more than 1024 descriptors). headers:
    "Name: value" strings sent with every request (wrk -H)."""
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{duration}s", "--latency", url]
    if timeout_s:
        cmd[4:4] = ["--timeout", f"{timeout_s}s"]
    for h in headers or ():
        cmd[1:1] = ["-H", h]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, preexec_fn=raise_nofile).stdout

    def lat(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    return dict(rps=rps, p50=lat(50), p99=lat(99), total=total, non2xx=int(bad.group(1)) if bad else 0,
                sockerr=errs.group(1) if errs else "")



def raise_nofile():
    """Lets a process have the hard open-file limit (-c1000 needs more than 1024)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_nginx(work, port, static, locations, worker_connections=1024, backlog=None, devnull=None):
    """nginx (2 workers) serving `static` on 127.0.0.1:port with the given `location` blocks,
    its config, pid and error log in `work`; the Popen, for stop_all. The one nginx the web
    benchmarks compare materia against."""
    conf = os.path.join(work, "nginx.conf")
    listen = f"127.0.0.1:{port}" + (f" backlog={backlog}" if backlog else "")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 2;
worker_rlimit_nofile 8192;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections {worker_connections}; }}
http {{
  access_log off;
  server {{
    listen {listen};
    root {static};
    default_type application/json;
    {' '.join(locations)}
  }}
}}
""")
    return subprocess.Popen(["nginx", "-c", conf, "-p", work, "-g", "daemon off;"],
                            stdout=devnull or subprocess.DEVNULL, stderr=devnull or subprocess.DEVNULL,
                            preexec_fn=raise_nofile)


def stop_all(procs):
    """SIGTERM to every process, then waits up to 20 s for each (killed after that)."""
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=30, help="seconds per wrk run (default 30)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--bin", help="materia binary to bench (default build/release/materia)")
    a = ap.parse_args()
    binp = os.path.abspath(a.bin) if a.bin else build_release()
    work = tempfile.mkdtemp(prefix="materia-bench-web-")
    os.chmod(work, 0o755)  # nginx workers (www-data) read the static files
    serving = make_fixture(binp, work)
    procs = {}
    try:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("ASAN", "LSAN", "UBSAN"))}
        webdir = os.path.join(work, "webdir")  # empty: serve compresses the files it finds there at start
        os.makedirs(webdir, exist_ok=True)
        base_env.update(SERVING_DUCKDB_PATH=serving, MATERIA_HTTP_THREADS="2", MATERIA_WEB_DIR=webdir,
                        API_RATE_ANON_PER_MIN="100000000")  # the limiter is on, at its maximum
        devnull = open(os.devnull, "w")
        for name, port, cache in [("materia (cache on)", 18080, "on"), ("materia (cache off)", 18081, "off")]:
            env = dict(base_env, MATERIA_CACHE=cache)
            procs[name] = (subprocess.Popen([binp, "serve", "--addr", f"127.0.0.1:{port}"], env=env, cwd=work,
                                            stdout=devnull, stderr=devnull), port)
        peer = os.path.join(ROOT, "bench", "web", "node-peer")
        if not os.path.isdir(os.path.join(peer, "node_modules", "@duckdb")):
            sh(["npm", "install", "--no-audit", "--no-fund"], cwd=peer, stdout=devnull)
        procs["node peer"] = (subprocess.Popen(["node", "server.mjs", serving, "18082"], cwd=peer, stdout=devnull,
                                               stderr=devnull), 18082)
        # nginx serves the exact bytes materia answers, as static files
        static = os.path.join(work, "static")
        os.makedirs(static)
        bodies = {}
        for r in ROUTES:
            bodies[r] = wait_http(f"http://127.0.0.1:18080{r}")
        with open(os.path.join(static, "balance-BR.json"), "wb") as f:
            f.write(bodies["/api/balance/BR"])
        with open(os.path.join(static, "world.json"), "wb") as f:
            f.write(bodies["/api/world"])
        procs["nginx static"] = (start_nginx(work, 18083, static, [
            "location = /api/balance/BR { try_files /balance-BR.json =404; }",
            "location = /api/world { try_files /world.json =404; }"], devnull=devnull), 18083)
        for name, (p, port) in procs.items():
            for r in ROUTES:
                body = wait_http(f"http://127.0.0.1:{port}{r}")
                if name != "nginx static" and not name.startswith("materia") and len(body) < 100:
                    raise RuntimeError(f"{name} {r}: {body!r}")
        print(f"# body sizes: balance/BR {len(bodies['/api/balance/BR'])} B, world {len(bodies['/api/world'])} B",
              flush=True)
        results = []
        for name, (p, port) in procs.items():
            for r in ROUTES:
                load0 = os.getloadavg()[0]
                res = wrk(f"http://127.0.0.1:{port}{r}", a.duration)
                res.update(server=name, route=r, load=(load0 + os.getloadavg()[0]) / 2)
                results.append(res)
                print(f"{name:20s} {r:18s} {res['rps']:10.0f} req/s  p50 {res['p50']:.2f} ms  p99 "
                      f"{res['p99']:.2f} ms  ({res['total']} requests, non-2xx {res['non2xx']}"
                      f"{', socket errors ' + res['sockerr'] if res['sockerr'] else ''}, load {res['load']:.1f})", flush=True)
            pids = [p.pid] + children(p.pid)
            res_rss = rss_kb(pids) / 1024
            for res in results:
                if res["server"] == name:
                    res["rss"] = res_rss
        by = {(x["server"], x["route"]): x for x in results}
        served = "; ".join("%s: %d requests" % (n, sum(x["total"] for x in results if x["server"] == n))
                           for n in procs)
        lines = [f"wrk -t2 -c64 -d{a.duration}s --latency, loopback, MATERIA_HTTP_THREADS=2; "
                 f"RSS after the server's runs ({served})",
                 "", "| server | route | req/s | p50 ms | p99 ms | RSS MB | non-2xx | load avg |",
                 "|---|---|---:|---:|---:|---:|---:|---:|"]
        for x in results:
            lines.append(f"| {x['server']} | {x['route']} | {x['rps']:.0f} | {x['p50']:.2f} | {x['p99']:.2f} | "
                         f"{x['rss']:.0f} | {x['non2xx']} | {x['load']:.1f} |")
        lines.append("")
        for r in ROUTES:
            ng, on, off, node = (by[("nginx static", r)], by[("materia (cache on)", r)],
                                 by[("materia (cache off)", r)], by[("node peer", r)])
            lines.append(f"- `{r}`: cache on = {100 * on['rps'] / ng['rps']:.0f}% of nginx "
                         f"(target >= 45%, >= 25,000 req/s, p99 <= 5 ms); cache off = "
                         f"{off['rps'] / node['rps']:.1f}x the Node peer (target >= 2x, >= 3,000 req/s, p99 <= 40 ms)")
        text = "\n".join(lines) + "\n"
        with open(os.path.join(work, "results.md"), "w") as f:
            f.write(text)
        print("\n" + text)
    finally:
        stop_all([p for p, _ in procs.values()])
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory: {work}")


if __name__ == "__main__":
    main()
