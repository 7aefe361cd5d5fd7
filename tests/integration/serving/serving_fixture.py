"""serving_fixture.py — lakehouse fixtures for the serving and pipeline tests.

Builds a lakehouse with `materia sql --write` only (no dependency on the real models):
schema `serving` with a table and a view, and `_materia.runs` with the exact columns of
docs/ARCHITECTURE.md §2. Also an independent reader for serving files.
"""
import os

RUNS_DDL = ("CREATE SCHEMA IF NOT EXISTS _materia; "
            "CREATE TABLE IF NOT EXISTS _materia.runs(run_id VARCHAR PRIMARY KEY, kind VARCHAR, "
            "started_at TIMESTAMP, ended_at TIMESTAMP, status VARCHAR, message VARCHAR)")


def make_lakehouse(s, rows=50, status="ok", runs=True):
    """serving.coffee_balance (table, `rows` rows), serving.world_balance (view over it),
    and one transform run with `status` (None: no transform run)."""
    s.sql(s.lakehouse,
          "CREATE SCHEMA IF NOT EXISTS materia__serving; CREATE SCHEMA IF NOT EXISTS serving; "
          "CREATE OR REPLACE TABLE materia__serving.coffee_balance__v1 AS "
          f"SELECT 'C' || (range % 7) AS country_code, (2000 + range)::INTEGER AS market_year, "
          f"range * 1.5 AS production FROM range({rows}); "
          "CREATE OR REPLACE VIEW serving.coffee_balance AS SELECT * FROM materia__serving.coffee_balance__v1; "
          "CREATE OR REPLACE VIEW serving.world_balance AS SELECT market_year, sum(production) AS production, "
          "count(*)::BIGINT AS reporting_countries FROM serving.coffee_balance GROUP BY market_year",
          write=True)
    if runs:
        s.sql(s.lakehouse, RUNS_DDL, write=True)
    if status is not None:
        add_run(s, status)


_run_seq = [0]


def add_run(s, status, kind="transform"):
    """Appends a run row that is newer than every existing one."""
    _run_seq[0] += 1
    rid = f"{kind}-{_run_seq[0]:04d}"
    s.sql(s.lakehouse,
          f"INSERT INTO _materia.runs VALUES ('{rid}', '{kind}', "
          f"TIMESTAMP '2026-01-01' + INTERVAL {_run_seq[0]} MINUTE, "
          f"TIMESTAMP '2026-01-01' + INTERVAL {_run_seq[0]} MINUTE, '{status}', NULL)", write=True)
    return rid


def add_rows(s, n=3):
    """Changes the data so the next snapshot differs."""
    s.sql(s.lakehouse, f"INSERT INTO materia__serving.coffee_balance__v1 SELECT 'NEW', "
                       f"(3000 + range)::INTEGER, 1.0 FROM range({n})", write=True)


def checksum_sql(rel):
    return f"SELECT count(*)::BIGINT AS n, coalesce(sum(hash(_r::VARCHAR)), 0)::VARCHAR AS c FROM {rel} AS _r"


def lake_checksums(s):
    out = {}
    for t in ("coffee_balance", "world_balance"):
        r = s.sql(s.lakehouse, checksum_sql(f"serving.{t}"))[0]
        out[t] = (r["n"], r["c"])
    return out


def read_snapshot(s, path=None):
    """{table: (rows, checksum)} from _snapshot, the snapshot id, and a recomputation of
    each table's rows and checksum from the file itself (opened read-only)."""
    path = path or s.serving
    snap = s.sql(path, "SELECT * FROM main._snapshot ORDER BY table_name")
    ids = {r["snapshot_id"] for r in snap}
    assert len(ids) == 1, f"{path}: snapshot ids {ids}"
    recorded = {r["table_name"]: (r["row_count"], r["checksum"]) for r in snap}
    actual = {}
    for t in recorded:
        r = s.sql(path, checksum_sql(f'main."{t}"'))[0]
        actual[t] = (r["n"], r["c"])
    return ids.pop(), recorded, actual


def file_state(path):
    """(inode, size, mtime_ns) or None: to prove a file was not touched."""
    if not os.path.exists(path):
        return None
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def siblings(s):
    """Every file in the scratch dir whose name starts with 'serving'."""
    return sorted(f for f in os.listdir(s.dir) if f.startswith("serving"))
