"""The reader: a missing serving file (503, then picked up when it appears), a corrupt file
renamed over the serving file (old snapshot kept, /health reports the error, the bad file
is not reopened on every request), and a swap under load (requests in threads while a new
file is renamed over serving.duckdb: none fails, the first request after the rename sees
the new snapshot, and the old database is closed afterwards — metrics and /proc/PID/fd)."""
import json
import os
import shutil
import threading
import time

from harness import Scratch, main
import webfix


def serving_fds(srv, path):
    """Open descriptors of srv on serving files (the path itself, or a deleted old inode)."""
    base = os.path.basename(path)
    return [t for t in srv.fd_targets() if os.path.basename(t).startswith(base)]


def test_missing_file_503_then_appears():
    s = Scratch("web-missing")
    srv = webfix.Server(s)
    try:
        st, h, body = srv.request("/health")
        d = json.loads(body)
        assert st == 503 and d["status"] == "unavailable", (st, d)
        # the file's name and the reason, never its folder (no path in answers)
        assert d["serving_file"] == "serving.duckdb" and "No such file" in d["error"], d
        assert os.path.dirname(s.serving) not in body.decode(), d
        for p in ["/api/world", "/api/balance/BR", "/api/countries?format=csv"]:
            st, _, body = srv.request(p)
            assert st == 503 and "No such file" in json.loads(body)["error"], (p, st, body)
            assert os.path.dirname(s.serving) not in body.decode(), body
        # still validates before anything else
        st, _, _ = srv.request("/api/rankings?limit=1000")
        assert st == 400
        webfix.build_serving(s, s.serving, "snap-A")
        d, h = srv.json("/health")
        assert d["status"] == "ok" and d["snapshot_id"] == "snap-A" and h["x-materia-snapshot"] == "snap-A"
        srv.json("/api/world")
        # removed later: the open snapshot keeps serving (issue 10: deleting the live file
        # used to turn every route into a 503); /health says the file is gone
        os.remove(s.serving)
        d, h = srv.json("/api/world")
        assert h["x-materia-snapshot"] == "snap-A"
        d, _ = srv.json("/health")
        assert d["status"] == "degraded" and d["snapshot_id"] == "snap-A", d
        assert "the file is gone" in d["error"] and os.path.dirname(s.serving) not in d["error"], d
        assert srv.metric("materia_snapshots_open") == 1
        # a file again: published, generation 2, the old database closed, the error gone
        webfix.build_serving(s, s.serving, "snap-A")
        d, _ = srv.json("/health")
        assert d["generation"] == 2 and d["status"] == "ok" and "error" not in d, d
        assert webfix.wait_for(lambda: srv.metric("materia_snapshots_open") == 1)
    finally:
        srv.stop()
    s.cleanup()


def test_corrupt_file_keeps_previous_snapshot():
    s = Scratch("web-corrupt")
    webfix.build_serving(s, s.serving, "snap-A")
    srv = webfix.Server(s)
    try:
        srv.json("/api/world")
        bad = s.serving + ".bad"
        with open(bad, "wb") as f:
            f.write(b"this is not a duckdb file\n" * 1000)
        os.replace(bad, s.serving)
        for _ in range(5):
            d, h = srv.json("/api/balance/BR")
            assert h["x-materia-snapshot"] == "snap-A"
        d, _ = srv.json("/health")
        assert d["status"] == "degraded" and d["snapshot_id"] == "snap-A" and "error" in d, d
        assert "cannot open serving snapshot" in d["error"], d
        assert "DuckDB database" in d["error"] and os.path.dirname(s.serving) not in d["error"], d
        # serve logs through a queue drained by its own thread: wait for the line to be written,
        # then check it was written once (not retried per request)
        assert webfix.wait_for(lambda: "cannot open serving snapshot" in srv.logtext()), srv.logtext()[-3000:]
        log = srv.logtext()
        assert log.count("cannot open serving snapshot") == 1, log[-3000:]
        # a valid file without _snapshot is refused too
        webfix.variant(s, s.dir + "/.fixture-snap-A.duckdb", s.serving, "snap-X", "DROP TABLE _snapshot;",
                       reseal=False)
        d, h = srv.json("/health")
        assert d["snapshot_id"] == "snap-A" and "_snapshot" in d["error"], d
        # then a good one replaces it and the error clears
        webfix.variant(s, s.dir + "/.fixture-snap-A.duckdb", s.serving, "snap-B")
        d, h = srv.json("/health")
        assert d["snapshot_id"] == "snap-B" and "error" not in d and h["x-materia-snapshot"] == "snap-B", d
        assert d["generation"] == 2
    finally:
        srv.stop()
    s.cleanup()


def test_swap_under_load():
    s = Scratch("web-swap")
    webfix.build_serving(s, s.serving, "snap-A")
    base = s.dir + "/.fixture-snap-A.duckdb"
    srv = webfix.Server(s, env={"MATERIA_HTTP_THREADS": "4"})
    stop = threading.Event()
    failures, records = [], []  # records: (start, end, snapshot id)
    lock = threading.Lock()

    def worker(paths):
        i = 0
        while not stop.is_set():
            p = paths[i % len(paths)]
            i += 1
            try:
                t0 = time.monotonic()
                st, h, body = srv.request(p)
                t1 = time.monotonic()
                if st != 200:
                    failures.append((p, st, body[:200]))
                else:
                    if p.startswith("/api/") and "format=csv" not in p:
                        json.loads(body)
                    with lock:
                        records.append((t0, t1, h.get("x-materia-snapshot")))
            except Exception as e:  # noqa: BLE001
                failures.append((p, repr(e)))

    def seen():
        with lock:
            return {r[2] for r in records}

    paths = ["/api/balance/BR", "/api/world", "/api/rankings?limit=5", "/api/countries?format=csv",
             "/api/revisions/BR?market_year=2022", "/health"]
    threads = [threading.Thread(target=worker, args=(paths[k:] + paths[:k],)) for k in range(6)]
    order = ["snap-A"]
    try:
        for t in threads:
            t.start()
        assert webfix.wait_for(lambda: "snap-A" in seen())
        for n in range(1, 4):
            new_id = f"snap-{n}"
            webfix.variant(s, base, s.serving, new_id,
                           f"UPDATE coffee_balance SET production = production + {n} WHERE country_code = 'BR';")
            order.append(new_id)
            assert webfix.wait_for(lambda: new_id in seen()), seen()
            d, h = srv.json("/api/balance/BR")
            r22 = next(r for r in d["rows"] if r["market_year"] == 2022)
            assert h["x-materia-snapshot"] == new_id and r22["production"] == 58100 + n, (h, r22)
    finally:
        stop.set()
        for t in threads:
            t.join()
    try:
        assert failures == [], failures[:5]
        assert set(order) <= seen(), seen()
        # Never back in time: once a request has returned snapshot g, every request that
        # started later returns g or newer (the swap never mixes or reverts snapshots).
        gen = {sid: i for i, sid in enumerate(order)}
        for g, sid in enumerate(order):
            first_end = min(r[1] for r in records if r[2] == sid)
            stale = [r for r in records if r[0] > first_end and gen[r[2]] < g]
            assert not stale, (sid, stale[:3])
        # Quiet swaps: the very first request after the rename is served by the new file.
        for n in range(4, 6):
            new_id = f"snap-{n}"
            webfix.variant(s, base, s.serving, new_id)
            d, h = srv.json("/api/world")
            assert h["x-materia-snapshot"] == new_id, (h, new_id)
        # Old databases are closed once their requests finish: one open snapshot, one fd.
        assert webfix.wait_for(lambda: srv.metric("materia_snapshots_open") == 1)
        assert srv.metric("materia_snapshot_swaps_total") == 5
        assert srv.metric("materia_snapshot_generation") == 6
        fds = serving_fds(srv, s.serving)
        assert len(fds) == 1 and "(deleted)" not in fds[0], fds
        d, _ = srv.json("/health")
        assert d["snapshot_id"] == "snap-5" and d["generation"] == 6
    finally:
        log = srv.stop()
    for old in ["snap-A", "snap-1", "snap-2", "snap-3", "snap-4"]:
        assert f"closed snapshot {old}" in log, old
    s.cleanup()


def make_lakehouse(s):
    """A lakehouse whose schema `serving` holds the fixture's tables (as export expects),
    plus one successful transform run in _materia.runs (ARCHITECTURE §2)."""
    fixture = s.dir + "/.fixture-snap-A.duckdb"
    webfix.build_serving(s, s.dir + "/fixture.duckdb", "snap-A")
    copies = " ".join(f"CREATE TABLE serving.{t} AS SELECT * FROM f.{t};"
                      for t in webfix.TABLES + webfix.COT_TABLES)
    s.run("sql", "--write", s.lakehouse,
          f"ATTACH '{fixture}' AS f (READ_ONLY); CREATE SCHEMA serving; {copies} "
          "CREATE SCHEMA _materia; CREATE TABLE _materia.runs(run_id VARCHAR PRIMARY KEY, kind VARCHAR, "
          "started_at TIMESTAMP, ended_at TIMESTAMP, status VARCHAR, message VARCHAR); "
          "INSERT INTO _materia.runs VALUES ('t-1', 'transform', TIMESTAMP '2026-01-01', "
          "TIMESTAMP '2026-01-01 00:01:00', 'ok', NULL); DETACH f; SELECT 1", check=0)


def test_swap_with_export_serving():
    """Requests keep running while `materia export-serving` replaces the file."""
    s = Scratch("web-export")
    p = s.run("export-serving", "--help")
    if p.returncode != 0 or "not built yet" in (p.stdout + p.stderr):
        print("SKIP test_swap_with_export_serving: export-serving not built yet")
        return
    make_lakehouse(s)
    s.run("export-serving", check=0)
    srv = webfix.Server(s, env={"MATERIA_HTTP_THREADS": "2"})
    stop = threading.Event()
    failures, seen = [], set()

    def worker():
        while not stop.is_set():
            try:
                st, h, body = srv.request("/api/balance/BR")
                if st != 200:
                    failures.append((st, body[:200]))
                else:
                    json.loads(body)
                    seen.add(h["x-materia-snapshot"])
            except Exception as e:  # noqa: BLE001
                failures.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    try:
        d, _ = srv.json("/health")
        first = d["snapshot_id"]
        for t in threads:
            t.start()
        ids = [first]
        for n in range(2):
            s.run("sql", "--write", s.lakehouse, "UPDATE serving.coffee_balance SET production = production + 1 "
                  "WHERE country_code = 'BR'; INSERT INTO _materia.runs VALUES "
                  f"('t-{n + 2}', 'transform', TIMESTAMP '2026-01-02' + INTERVAL {n} HOUR, "
                  f"TIMESTAMP '2026-01-02' + INTERVAL {n} HOUR, 'ok', NULL); SELECT 1", check=0)
            s.run("export-serving", check=0)
            # under load another request may be opening the new file right now (requests
            # never wait for that): the new snapshot shows within a few requests
            assert webfix.wait_for(lambda: srv.json("/health")[0]["snapshot_id"] not in ids)
            d, h = srv.json("/health")
            ids.append(d["snapshot_id"])
            b, h = srv.json("/api/balance/BR")
            assert h["x-materia-snapshot"] == ids[-1]
            r22 = next(r for r in b["rows"] if r["market_year"] == 2022)
            assert r22["production"] == 58100 + n + 1, r22
    finally:
        stop.set()
        for t in threads:
            t.join()
    try:
        assert failures == [], failures[:5]
        assert seen <= set(ids) and ids[-1] in seen, (seen, ids)
        assert webfix.wait_for(lambda: srv.metric("materia_snapshots_open") == 1)
        assert srv.metric("materia_snapshot_generation") == 3
        fds = serving_fds(srv, s.serving)
        assert len(fds) == 1 and "(deleted)" not in fds[0], fds
    finally:
        srv.stop()
    s.cleanup()


if __name__ == "__main__":
    main([test_missing_file_503_then_appears, test_corrupt_file_keeps_previous_snapshot,
          test_swap_under_load, test_swap_with_export_serving])
