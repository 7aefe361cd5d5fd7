"""soak.py — `materia serve` under steady HTTP load while the pipeline swaps snapshots.

Used by tests/integration/split/test_soak_short.py (5 swaps) and bench/soak/run.sh (200+
swaps, 10+ minutes); also the base of the fault tests (test_faults.py, bench/faults).

Two landed data sets that differ: A is the bundled USDA sample; B is A plus a later
release (a modified copy: Brazil's Bean Exports + 1000 in every year, an attribute no
audit identity involves). Each has its own lakehouse (lake_a, lake_b) built once by the
real pipeline. A swap runs `materia pipeline run transform` then `pipeline run
export_serving` on one of them, alternating, so serving.duckdb alternates between A's
and B's numbers with a new snapshot id each time.

The load: N keep-alive connections (one thread each) cycling through API routes, some
with If-None-Match. Every response is recorded: start/end time, status, snapshot header,
and for /api/balance/BR the bean_exports of one year, which tells A from B. Checks:
  - every answer 200 or 304, no connection error;
  - per connection, the snapshot (ordered by publication) never goes backwards;
  - once a response has carried a new snapshot (it is published), no request starting
    later gets an older one; after each export a fresh request gets the new snapshot
    within a few tries (the first request to see the new inode opens it; others keep the
    previous snapshot meanwhile — counted and reported as stale requests / lag);
  - a body always holds the numbers of the snapshot its header names (no mixing);
  - after every swap, once each connection has made a request on the new snapshot, the
    server holds no file descriptor on any older snapshot (old ones really closed), and
    its fd count and RSS are recorded;
  - the server never has lakehouse files open (sampled from /proc/<pid>/fd all along).
"""
import bisect
import http.client
import io
import json
import os
import re
import shutil
import subprocess
import threading
import time
import zipfile

import harness
from harness import BIN, SAMPLE_ZIP
from split_util import rss_kb

URLS = ["/api/balance/BR", "/api/world", "/api/rankings?metric=exports&limit=5", "/health",
        "/api/countries", "/api/releases", "/api/balance/BR?format=csv",
        "/api/revisions/BR?attribute=bean_exports&market_year=2020"]
PROBE_YEAR = 2020
B_DELTA = 1000.0


def _run(env, *args, check=None, timeout=900):
    p = subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check is not None and p.returncode not in check:
        raise AssertionError(f"materia {' '.join(args)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def make_release_b(workdir):
    """A zip like the sample with Brazil's Bean Exports + B_DELTA, dated 2023-01-12."""
    with zipfile.ZipFile(SAMPLE_ZIP) as z:
        name = z.namelist()[0]
        text = z.read(name).decode("utf-8")
    out = io.StringIO()
    lines = text.splitlines(keepends=True)
    out.write(lines[0])
    for line in lines[1:]:
        if ',BR,"Brazil",' in line and '"Bean Exports"' in line:
            body = line.rstrip("\r\n")
            head, val = body.rsplit(",", 1)
            line = f"{head},{float(val) + B_DELTA:.4f}{line[len(body):]}"  # same line end
        out.write(line)
    path = os.path.join(workdir, "psd_coffee_b.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo(name, date_time=(2023, 1, 12, 6, 0, 0)), out.getvalue())
    return path


class World:
    """The scratch data: landing_a/b, lake_a/b, one serving.duckdb; builds both lakes."""

    def __init__(self, scratch):
        self.s = scratch
        d = scratch.dir
        self.landing = {"a": os.path.join(d, "landing_a"), "b": os.path.join(d, "landing_b")}
        self.lake = {"a": os.path.join(d, "lake_a.duckdb"), "b": os.path.join(d, "lake_b.duckdb")}
        self.serving = scratch.serving
        self.snapshots = []  # [(snapshot_id, variant)] in publication order
        self._order = {}

    def env(self, v, extra=None):
        e = dict(self.s.env, LANDING_DIR=self.landing[v], DUCKDB_PATH=self.lake[v],
                 SERVING_DUCKDB_PATH=self.serving)
        e.update(extra or {})
        return e

    def build(self):
        ea = self.env("a", {"PSD_SOURCE_URL": "file://" + SAMPLE_ZIP})
        _run(ea, "extract", "psd", check=(0,))
        _run(ea, "pipeline", "run", "transform", check=(0,))
        shutil.copytree(self.landing["a"], self.landing["b"])
        shutil.copy(self.lake["a"], self.lake["b"])
        zb = make_release_b(self.s.dir)
        eb = self.env("b", {"PSD_SOURCE_URL": "file://" + zb})
        _run(eb, "extract", "psd", check=(0,))
        _run(eb, "pipeline", "run", "transform", check=(0,))
        self.expect = {v: self.lake_probe(v) for v in ("a", "b")}
        assert self.expect["b"] == self.expect["a"] + B_DELTA, self.expect
        self.publish("a")

    def lake_probe(self, v):
        r = self.s.sql(self.lake[v], "SELECT bean_exports FROM serving.coffee_balance "
                                     f"WHERE country_code = 'BR' AND market_year = {PROBE_YEAR}")
        return r[0]["bean_exports"]

    def transform(self, v, extra=None):
        return _run(self.env(v, extra), "pipeline", "run", "transform")

    def export(self, v, extra=None):
        """pipeline run export_serving on lake v; returns (CompletedProcess, snapshot id)."""
        p = _run(self.env(v, extra), "pipeline", "run", "export_serving")
        m = re.search(r"published snapshot (\S+)", p.stdout + p.stderr)
        if p.returncode == 0:
            assert m, p.stderr
            self.snapshots.append((m.group(1), v))
        return p, (m.group(1) if m else None)

    def publish(self, v):
        p = self.transform(v)
        assert p.returncode in (0, 3), p.stderr
        p, sid = self.export(v)
        assert p.returncode == 0, p.stderr
        return sid

    def order(self, sid):
        """Publication index of sid, -1 if unknown (snapshots only ever get appended)."""
        if len(self._order) != len(self.snapshots):
            self._order = {s: i for i, (s, _) in enumerate(self.snapshots)}
        return self._order.get(sid, -1)

    def variant(self, sid):
        o = self.order(sid)
        return self.snapshots[o][1] if o >= 0 else None


class Server(harness.Serve):
    def __init__(self, scratch, serving, env=None):
        super().__init__(scratch, dict(SERVING_DUCKDB_PATH=serving, MATERIA_HTTP_THREADS="2",
                                       **(env or {})), start_timeout=120)

    def get(self, path, headers=None, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            body = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, body
        finally:
            c.close()

    def duckdb_fds(self):
        """{fd target path: inode} for every open file of the server whose name holds
        'duckdb' (snapshots, and — never — the lakehouse)."""
        out = {}
        d = f"/proc/{self.pid}/fd"
        for fd in os.listdir(d):
            try:
                t = os.readlink(os.path.join(d, fd))
                if ".duckdb" in t:
                    out[f"{fd}:{t}"] = os.stat(os.path.join(d, fd)).st_ino
            except OSError:
                pass
        return out

    def fd_count(self):
        """Open files (sockets, pipes and anon inodes excluded: connections come and go)."""
        return sum(t.startswith("/") for t in self.fd_targets())

    def fd_total(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def stop(self):
        """SIGTERM; returns the exit status (0 = clean, ASan/LSan clean)."""
        rc, _ = self.terminate(120)
        self.log.close()
        return rc


class Load:
    """N connection threads; each records (start, end, url, status, snapshot, probe)."""

    def __init__(self, port, conns):
        self.port = port
        self.stop_ev = threading.Event()
        self.records = [[] for _ in range(conns)]
        self.errors = []
        self.threads = [threading.Thread(target=self._loop, args=(i,), daemon=True)
                        for i in range(conns)]

    def start(self):
        for t in self.threads:
            t.start()

    def _loop(self, i):
        rec = self.records[i]
        etags = {}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        k = i
        while not self.stop_ev.is_set():
            url = URLS[k % len(URLS)]
            k += 1
            hdr = {}
            if k % 3 == 0 and url in etags:
                hdr["If-None-Match"] = etags[url]
            t0 = time.monotonic()
            try:
                conn.request("GET", url, headers=hdr)
                r = conn.getresponse()
                body = r.read()
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                self.errors.append(f"conn {i} {url}: {type(e).__name__}: {e}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            t1 = time.monotonic()
            sid = r.getheader("X-Materia-Snapshot")
            et = r.getheader("ETag")
            if et:
                etags[url] = et
            probe = None
            if r.status == 200 and url == "/api/balance/BR":
                rows = json.loads(body)["rows"]
                probe = [x["bean_exports"] for x in rows if x["market_year"] == PROBE_YEAR][0]
            rec.append((t0, t1, url, r.status, sid, probe))
            if r.status not in (200, 304):
                self.errors.append(f"conn {i} {url}: status {r.status}: {body[:200]!r}")
        conn.close()

    def count(self):
        return sum(len(r) for r in self.records)

    def wait_all_past(self, t, timeout=120):
        """Until every connection has completed a request started after t."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(any(x[0] > t for x in r[-50:]) for r in self.records):
                return True
            time.sleep(0.01)
        return False

    def finish(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(timeout=120)


class LakeWatch:
    """Samples the server's open files every few ms; remembers any lakehouse file seen."""

    def __init__(self, pid, lakes):
        self.pid = pid
        self.names = [os.path.basename(p) for p in lakes]
        self.seen = []
        self.samples = 0
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self):
        d = f"/proc/{self.pid}/fd"
        while not self.stop_ev.is_set():
            try:
                fds = os.listdir(d)
            except OSError:
                return
            for fd in fds:
                try:
                    t = os.readlink(os.path.join(d, fd))
                except OSError:
                    continue
                if any(n in t for n in self.names):
                    self.seen.append(t)
            self.samples += 1
            time.sleep(0.005)

    def finish(self):
        self.stop_ev.set()
        self.t.join(timeout=10)


_pub_cache = {}


def world_published_at(load, world):
    """{snapshot order: end time of the first response that carried it} — from then on the
    snapshot is published and no request starting later may get an older one."""
    key = id(load)
    if key not in _pub_cache:
        first = {}
        for rec in load.records:
            for (t0, t1, url, st, sid, probe) in rec:
                o = world.order(sid) if sid else -1
                if o >= 0 and (o not in first or t1 < first[o]):
                    first[o] = t1
        _pub_cache[key] = first
    return _pub_cache[key]


def stale_after_swap(load, world, swaps):
    """Per swap: requests started after the export returned that still got an older
    snapshot, and how long after the export the last of them started (ms)."""
    ends = [e for e, _ in swaps]
    n = [0] * len(swaps)
    lag = [0.0] * len(swaps)
    for rec in load.records:
        for (t0, t1, url, st, sid, probe) in rec:
            o = world.order(sid) if sid else -1
            if o < 0:
                continue
            j = bisect.bisect_left(ends, t0) - 1  # swaps that ended before t0, newest first
            while j >= 0 and swaps[j][1] > o:
                n[j] += 1
                lag[j] = max(lag[j], t0 - ends[j])
                j -= 1
    return [(n[j], round(lag[j] * 1000, 1)) for j in range(len(swaps))]


def check_records(world, load, swaps):
    """Post-hoc checks over every recorded response; returns a list of problems."""
    problems = list(load.errors)
    pub = sorted((t, o) for o, t in world_published_at(load, world).items())
    pub_t = [t for t, _ in pub]
    pub_max, m = [], -1
    for _, o in pub:
        m = max(m, o)
        pub_max.append(m)
    for i, rec in enumerate(load.records):
        last = -1
        for (t0, t1, url, st, sid, probe) in rec:
            if sid is None:
                if st == 200:
                    problems.append(f"conn {i} {url}: 200 without X-Materia-Snapshot")
                continue
            o = world.order(sid)
            if o < 0:
                problems.append(f"conn {i} {url}: unknown snapshot {sid}")
                continue
            if o < last:
                problems.append(f"conn {i} {url}: snapshot went backwards ({sid})")
            last = max(last, o)
            if probe is not None:
                want = world.expect[world.variant(sid)]
                if abs(probe - want) > 1e-6:
                    problems.append(f"conn {i}: snapshot {sid} body has bean_exports {probe}, want {want}")
            # newest snapshot published before t0 (bisect over publication times)
            k = bisect.bisect_left(pub_t, t0) - 1
            if k >= 0 and o < pub_max[k]:
                problems.append(f"conn {i} {url}: started after snapshot #{pub_max[k]} was "
                                f"published but got #{o}")
    return problems


def latency_split(load, windows):
    """(max latency overlapping a swap window, max latency outside any), seconds."""
    during, outside = 0.0, 0.0
    for rec in load.records:
        for (t0, t1, *_rest) in rec:
            lat = t1 - t0
            if any(t0 < b and t1 > a for a, b in windows):
                during = max(during, lat)
            else:
                outside = max(outside, lat)
    return during, outside


def soak(scratch, swaps, min_seconds=0, conns=4, log=print, serve_env=None):
    """Builds the world, serves it under load, swaps `swaps` times (and at least
    min_seconds); returns a dict of figures and a list of problems."""
    w = World(scratch)
    t_build = time.monotonic()
    w.build()
    log(f"built lake_a, lake_b and the first snapshot in {time.monotonic() - t_build:.1f}s")
    srv = Server(scratch, w.serving, serve_env)
    watch = LakeWatch(srv.pid, list(w.lake.values()))
    load = Load(srv.port, conns)
    load.start()
    problems, swap_marks, windows, samples, probe_tries = [], [], [], [], []
    t_start = time.monotonic()
    i = 0
    try:
        while i < swaps or time.monotonic() - t_start < min_seconds:
            v = "b" if i % 2 == 0 else "a"
            a = time.monotonic()
            p = w.transform(v)
            if p.returncode not in (0, 3):
                problems.append(f"swap {i}: transform exit {p.returncode}: {p.stderr[-500:]}")
                break
            p, sid = w.export(v)
            b = time.monotonic()
            if p.returncode != 0:
                problems.append(f"swap {i}: export exit {p.returncode}: {p.stderr[-500:]}")
                break
            windows.append((a, b))
            swap_marks.append((b, w.order(sid)))
            # fresh requests until the new snapshot answers: the server opens the new file
            # on the first request that sees the new inode, and (by design, so no request
            # waits) others keep the previous snapshot until it is published
            for tries in range(1, 10001):
                st, h, _ = srv.get("/health")
                if st != 200 or h.get("x-materia-snapshot") == sid:
                    break
            if st != 200 or h.get("x-materia-snapshot") != sid:
                problems.append(f"swap {i}: /health got {st} {h.get('x-materia-snapshot')}, "
                                f"want {sid}")
            probe_tries.append(tries)
            if not load.wait_all_past(b):
                problems.append(f"swap {i}: a load connection stalled")
            cur = os.stat(w.serving).st_ino
            fds = srv.duckdb_fds()
            stale = {k: ino for k, ino in fds.items() if ino != cur}
            if stale:
                # an old snapshot may be closing right now; give it a moment, then judge
                time.sleep(0.5)
                fds = srv.duckdb_fds()
                stale = {k: ino for k, ino in fds.items() if ino != os.stat(w.serving).st_ino}
                if stale:
                    problems.append(f"swap {i}: old snapshot still open: {stale}")
            samples.append((i, srv.fd_count(), rss_kb(srv.pid), load.count(), srv.fd_total()))
            i += 1
    finally:
        load.finish()
        watch.finish()
        rc = srv.stop()
    if rc != 0:
        problems.append(f"serve exited {rc} on SIGTERM:\n{srv.logtext()[-3000:]}")
    if watch.seen:
        problems.append(f"serve opened lakehouse files: {sorted(set(watch.seen))}")
    problems += check_records(w, load, swap_marks)
    during, outside = latency_split(load, windows)
    stale = stale_after_swap(load, w, swap_marks)
    elapsed = time.monotonic() - t_start
    n = load.count()
    statuses = {}
    for rec in load.records:
        for x in rec:
            statuses[x[3]] = statuses.get(x[3], 0) + 1
    figures = {
        "swaps": i, "seconds": round(elapsed, 1), "requests": n,
        "req_per_s": round(n / elapsed, 1) if elapsed else 0, "statuses": statuses,
        "connection_errors": len(load.errors), "fd_samples": len(samples),
        "fd_first": samples[min(1, len(samples) - 1)][1] if samples else None,
        "fd_last": samples[-1][1] if samples else None,
        "fd_max": max(s[1] for s in samples) if samples else None,
        "rss_kb_first": samples[min(1, len(samples) - 1)][2] if samples else None,
        "rss_kb_last": samples[-1][2] if samples else None,
        "rss_kb_max": max(s[2] for s in samples) if samples else None,
        "max_latency_ms_during_swap": round(during * 1000, 1),
        "max_latency_ms_outside_swap": round(outside * 1000, 1),
        "lake_fd_samples": watch.samples, "snapshots": len(w.snapshots),
        "fd_total_first": samples[min(1, len(samples) - 1)][4] if samples else None,
        "fd_total_last": samples[-1][4] if samples else None,
        "stale_requests_after_swap_max": max((x[0] for x in stale), default=0),
        "stale_lag_ms_max": max((x[1] for x in stale), default=0),
        "health_tries_until_new_max": max(probe_tries, default=0),
    }
    return figures, problems, samples
