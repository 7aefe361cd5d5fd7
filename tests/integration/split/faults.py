"""faults.py — fault injection around `materia serve` under load (issue 6).

Used by tests/integration/split/test_faults.py (5 kill trials + one of each other fault)
and bench/faults/run.sh (50+ kill trials). Builds on soak.py's World/Server/Load.

  kill_trials    SIGKILL the pipeline at a random moment of `pipeline run transform`
                 (a real transform: a fresh copy of lake A loading release B) or of
                 `pipeline run export_serving`; then serving.duckdb must open read-only and
                 match its own _snapshot checksums, and the next run (no manual step) must
                 succeed and publish B's numbers.
  disk_full      export-serving with RLIMIT_FSIZE below the snapshot's size (SIGXFSZ
                 ignored, so writes fail with EFBIG): clear error, live serving untouched,
                 no serving_new.duckdb(.wal) left.
  corrupt_swap   garbage, then a truncated copy, renamed over serving.duckdb by hand: the
                 server keeps answering from the previous snapshot, /health reports it;
                 a good export afterwards is picked up.
  landing_faults a truncated gzip, a duplicated release, a changed header, each placed by
                 hand in a copy of landing B: transform fails naming the file (or skips it
                 naming it) and the numbers never change silently; serving untouched.
"""
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time

from harness import BIN
from soak import B_DELTA, PROBE_YEAR, Load, Server, World, _run

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serving"))
from serving_fixture import checksum_sql  # noqa: E402


def serving_valid(s, path):
    """(snapshot_id, problem or None): opens path read-only, compares each table's rows and
    checksum with its _snapshot row."""
    p = s.run("sql", "--json", path, "SELECT * FROM main._snapshot ORDER BY table_name")
    if p.returncode != 0:
        return None, f"cannot read _snapshot: {p.stderr.strip()}"
    import json
    snap = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    ids = {r["snapshot_id"] for r in snap}
    if len(ids) != 1:
        return None, f"snapshot ids {ids}"
    for r in snap:
        got = s.sql(path, checksum_sql(f'main."{r["table_name"]}"'))[0]
        if (got["n"], got["c"]) != (r["row_count"], r["checksum"]):
            return None, f"{r['table_name']}: {got} != recorded {r['row_count']}, {r['checksum']}"
    return ids.pop(), None


def siblings(path):
    d, stem = os.path.dirname(path), os.path.basename(path).split(".")[0]
    return sorted(f for f in os.listdir(d) if f.startswith(stem))


def probe_br(srv):
    import json
    st, h, body = srv.get("/api/balance/BR")
    assert st == 200, (st, body[:200])
    rows = json.loads(body)["rows"]
    return h.get("x-materia-snapshot"), [x["bean_exports"] for x in rows
                                         if x["market_year"] == PROBE_YEAR][0]


def run_killed(env, args, delay):
    """Starts materia args, SIGKILLs it after delay s; returns True if it was killed."""
    p = subprocess.Popen([BIN, *args], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return True


class Rig:
    """A built World, its server under load, helpers to check serving after each fault."""

    def __init__(self, scratch, conns=2):
        self.s = scratch
        self.w = World(scratch)
        self.w.build()
        self.srv = Server(scratch, self.w.serving)
        self.load = Load(self.srv.port, conns)
        self.load.start()
        self.problems = []

    def check_serving(self, label):
        sid, prob = serving_valid(self.s, self.w.serving)
        if prob:
            self.problems.append(f"{label}: serving invalid: {prob}")
        return sid

    def finish(self):
        from soak import check_records
        self.load.finish()
        rc = self.srv.stop()
        if rc != 0:
            self.problems.append(f"serve exited {rc}:\n{self.srv.logtext()[-3000:]}")
        self.problems += check_records(self.w, self.load, [])
        return self.problems


def kill_trials(rig, trials, seed=6, log=print):
    """SIGKILL at random points of transform (even trials) and export (odd trials)."""
    rng = random.Random(seed)
    s, w = rig.s, rig.w
    # how long an unkilled real transform / export takes here, to spread the kill points
    t_copy = os.path.join(s.dir, "lake_t.duckdb")
    shutil.copy(w.lake["a"], t_copy)
    env_t = dict(w.env("b"), DUCKDB_PATH=t_copy)
    a = time.monotonic()
    _run(env_t, "pipeline", "run", "transform", check=(0,))
    t_transform = time.monotonic() - a
    a = time.monotonic()
    p, _ = w.export("a")
    assert p.returncode == 0, p.stderr
    t_export = time.monotonic() - a
    killed = {"transform": 0, "export": 0}
    for k in range(trials):
        what = "transform" if k % 2 == 0 else "export"
        before = rig.check_serving(f"trial {k} before")
        if what == "transform":
            shutil.copy(w.lake["a"], t_copy)
            for ext in (".wal",):
                if os.path.exists(t_copy + ext):
                    os.unlink(t_copy + ext)
            delay = rng.uniform(0.02, t_transform)
            was = run_killed(env_t, ["pipeline", "run", "transform"], delay)
            after = rig.check_serving(f"trial {k} after transform kill at {delay:.2f}s")
            if after != before:
                rig.problems.append(f"trial {k}: a killed transform changed serving")
            # recovery, no manual step: transform again, then export — B's numbers live
            p = _run(env_t, "pipeline", "run", "transform")
            if p.returncode not in (0, 3):
                rig.problems.append(f"trial {k}: transform after kill exit {p.returncode}: "
                                    f"{p.stderr[-800:]}")
                continue
            p = _run(env_t, "pipeline", "run", "export_serving")
            if p.returncode != 0:
                rig.problems.append(f"trial {k}: export after killed transform exit "
                                    f"{p.returncode}: {p.stderr[-800:]}")
                continue
            import re
            sid = re.search(r"published snapshot (\S+)", p.stdout + p.stderr).group(1)
            w.snapshots.append((sid, "b"))
            want = w.expect["b"]
        else:
            v = "b" if k % 4 == 1 else "a"
            delay = rng.uniform(0.02, t_export)
            was = run_killed(w.env(v), ["pipeline", "run", "export_serving"], delay)
            after = rig.check_serving(f"trial {k} after export kill at {delay:.2f}s")
            if after and w.order(after) < 0:
                w.snapshots.append((after, v))  # killed after its rename: published anyway
            # the old or the new snapshot, nothing else; the next export just works
            p, sid = w.export(v)
            if p.returncode != 0:
                rig.problems.append(f"trial {k}: export after kill exit {p.returncode}: "
                                    f"{p.stderr[-800:]}")
                continue
            if any(f.endswith("_new.duckdb") or f.endswith("_new.duckdb.wal")
                   for f in siblings(w.serving)):
                rig.problems.append(f"trial {k}: temp file left after recovery: "
                                    f"{siblings(w.serving)}")
            want = w.expect[v]
        killed[what] += was
        rig.check_serving(f"trial {k} after recovery")
        got_sid, got = None, None
        for _ in range(1000):
            got_sid, got = probe_br(rig.srv)
            if got_sid == sid:
                break
        if got_sid != sid or abs(got - want) > 1e-6:
            rig.problems.append(f"trial {k}: after recovery served {got_sid} {got}, "
                                f"want {sid} {want}")
        log(f"trial {k}: {what} {'killed' if was else 'finished'} at {delay:.2f}s, recovered")
    return killed, t_transform, t_export


def disk_full(rig, limit=256 * 1024):
    """export-serving under RLIMIT_FSIZE: clear error, serving untouched, no temp files."""
    s, w = rig.s, rig.w
    before_ino = os.stat(w.serving).st_ino
    before = rig.check_serving("disk full: before")

    def limit_fsize():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    p = subprocess.run([BIN, "export-serving"], env=w.env("b"), capture_output=True,
                       text=True, timeout=600, preexec_fn=limit_fsize)
    out = []
    if p.returncode == 0:
        out.append("disk full: export-serving succeeded under RLIMIT_FSIZE")
    err = p.stderr.strip()
    if p.returncode != 0 and not err:
        out.append("disk full: failed without a message")
    if os.stat(w.serving).st_ino != before_ino or rig.check_serving("disk full: after") != before:
        out.append("disk full: live serving changed")
    left = [f for f in siblings(w.serving) if "_new" in f]
    if left:
        out.append(f"disk full: temp files left: {left}")
    rig.problems += out
    return p.returncode, err.splitlines()[-1] if err else ""


def corrupt_swap(rig):
    """Garbage and a truncated copy renamed over serving.duckdb: previous snapshot keeps
    answering, /health reports the error; a good export is picked up afterwards."""
    s, w, srv = rig.s, rig.w, rig.srv
    import json
    live_sid = rig.check_serving("corrupt: before")
    notes = []
    good = open(w.serving, "rb").read()
    for label, data in (("garbage", os.urandom(1 << 16)), ("truncated", good[: len(good) // 3])):
        tmp = w.serving + ".by-hand"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, w.serving)
        for _ in range(5):
            sid, _ = probe_br(srv)
            if sid != live_sid:
                rig.problems.append(f"corrupt {label}: served {sid}, want previous {live_sid}")
        # the server tries the new inode on the first request that sees it (others keep the
        # previous snapshot meanwhile); once that attempt failed /health must say so
        for _ in range(500):
            st, h, body = srv.get("/health")
            doc = json.loads(body) if body else {}
            if doc.get("error"):
                break
            time.sleep(0.02)
        text = json.dumps(doc)
        notes.append(f"{label}: /health {st} {text}")
        if not [k for k, v in doc.items() if "error" in k and v]:
            rig.problems.append(f"corrupt {label}: /health does not report it: {st} {text}")
        if doc.get("snapshot_id") not in (None, live_sid):
            rig.problems.append(f"corrupt {label}: /health names {doc.get('snapshot_id')}")
    # the operator's fix: a real export
    p, sid = w.export("b")
    if p.returncode != 0:
        rig.problems.append(f"corrupt: export over the corrupt file exit {p.returncode}: "
                            f"{p.stderr[-800:]}")
        return notes
    for _ in range(1000):
        got, val = probe_br(srv)
        if got == sid:
            break
    if got != sid or abs(val - w.expect["b"]) > 1e-6:
        rig.problems.append(f"corrupt: after a good export served {got}, want {sid}")
    st, h, body = srv.get("/health")
    notes.append(f"after good export: /health {st} {body[:200]!r}")
    if st != 200:
        rig.problems.append(f"corrupt: /health {st} after a good export")
    return notes


def swapped_columns(raw):
    """The CSV with Market_Year and Calendar_Year swapped, header and data alike: the same
    columns in another order, as a publisher's schema change would bring."""
    import csv
    import io
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    out = io.StringIO()
    wr = csv.writer(out, lineterminator="\r\n")
    for r in rows:
        r[4], r[5] = r[5], r[4]
        wr.writerow(r)
    return out.getvalue().encode("utf-8")


def landing_faults(rig):
    """Bad files placed by hand in a copy of landing B (on a copy of lake B): transform
    fails naming the file, or skips it naming it; numbers never change silently."""
    import gzip
    s, w = rig.s, rig.w
    notes = []
    live_ino = os.stat(w.serving).st_ino
    live = rig.check_serving("landing: before")
    base_sum = s.sql(w.lake["b"], checksum_sql("serving.coffee_balance"))[0]
    data = [os.path.join(r, f) for r, _, fs in os.walk(w.landing["b"]) for f in fs
            if f.endswith(".csv.gzip")]
    src = sorted(data)[-1]  # the newest release (B): only the fault itself may change numbers
    raw = gzip.decompress(open(src, "rb").read())

    def truncated(d):
        blob = open(src, "rb").read()
        return "psd/2023/02/truncated.csv.gzip", blob[: len(blob) // 2]

    def duplicated(d):
        return "psd/2023/02/duplicate.csv.gzip", open(src, "rb").read()

    for make in (truncated, duplicated):
        name = make.__name__
        lk = os.path.join(s.dir, f"lake_{name}.duckdb")
        ld = os.path.join(s.dir, f"landing_{name}")
        shutil.copy(w.lake["b"], lk)
        shutil.copytree(w.landing["b"], ld)
        rel, blob = make(ld)
        os.makedirs(os.path.dirname(os.path.join(ld, rel)), exist_ok=True)
        with open(os.path.join(ld, rel), "wb") as f:
            f.write(blob)
        env = dict(w.env("b"), DUCKDB_PATH=lk, LANDING_DIR=ld)
        p = _run(env, "pipeline", "run", "transform")
        fname = os.path.basename(rel)
        msg = (p.stdout + p.stderr)
        first = [l for l in msg.splitlines() if "ERROR" in l or "WARN" in l][:2]
        notes.append(f"{name}: transform exit {p.returncode}: {' | '.join(first)[:400]}")
        if p.returncode not in (0, 3):
            if fname not in msg and rel not in msg:
                rig.problems.append(f"landing {name}: transform failed without naming "
                                    f"{fname}: {first}")
        else:
            got = s.sql(lk, checksum_sql("serving.coffee_balance"))[0]
            if got != base_sum and name != "duplicated":
                rig.problems.append(f"landing {name}: transform succeeded and changed the "
                                    f"numbers: {got} != {base_sum}")
            if name == "duplicated":
                probe = s.sql(lk, "SELECT bean_exports FROM serving.coffee_balance WHERE "
                                  f"country_code = 'BR' AND market_year = {PROBE_YEAR}")[0]
                if abs(probe["bean_exports"] - w.expect["b"]) > 1e-6:
                    rig.problems.append(f"landing duplicated: numbers changed: {probe}")
            if fname not in msg and name != "duplicated":
                rig.problems.append(f"landing {name}: accepted without a warning naming "
                                    f"{fname}")
        if os.stat(w.serving).st_ino != live_ino:
            rig.problems.append(f"landing {name}: serving changed")
    if rig.check_serving("landing: after") != live:
        rig.problems.append("landing: serving snapshot changed")
    return notes
