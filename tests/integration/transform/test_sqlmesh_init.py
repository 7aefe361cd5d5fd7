"""The project `sqlmesh init <dir> duckdb` generates (tests/fixtures/sqlmesh_init, reproduced
from SQLMesh's sqlmesh/cli/project_init.py) runs unchanged: `cd <dir> && materia plan &&
materia run` with no .env and a clean environment (PATH, HOME and the sanitizers' options
only) builds db.db as SQLMesh would — the lakehouse path comes from config.yaml's gateway
(`database: db.db`, relative to the project folder), the project is the current folder
because it holds config.yaml. Expected rows are computed from seeds/seed_data.csv."""
import csv
import os
import shutil
import subprocess

from harness import BIN, SRC, Scratch, main

FIXTURE = os.path.join(SRC, "tests", "fixtures", "sqlmesh_init")
KEEP = ("PATH", "HOME", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS")


def clean_env():
    return {k: v for k, v in os.environ.items() if k in KEEP}


def copy_fixture():
    s = Scratch("sqlmesh-init")
    proj = os.path.join(s.dir, "proj")
    shutil.copytree(FIXTURE, proj)
    assert not os.path.exists(os.path.join(proj, ".env"))
    return s, proj


def materia(cwd, *args, check=0):
    p = subprocess.run([BIN, *args], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=600)
    if check is not None and p.returncode != check:
        raise AssertionError(f"materia {' '.join(args)} in {cwd}: exit {p.returncode}, want {check}\n"
                             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def seed_rows():
    with open(os.path.join(FIXTURE, "seeds", "seed_data.csv")) as f:
        return [(int(r["id"]), int(r["item_id"]), r["event_date"]) for r in csv.DictReader(f)]


def query(s, db, sql):
    return s.sql(db, sql)


def test_plan_and_run_unchanged():
    s, proj = copy_fixture()
    try:
        plan = materia(proj, "plan")
        assert plan.stdout.startswith(f"project {proj} (current folder), lakehouse {proj}/db.db "
                                      f"({proj}/config.yaml:9)\n"), plan.stdout
        for m in ("sqlmesh_example.seed_model", "sqlmesh_example.incremental_model", "sqlmesh_example.full_model"):
            assert m in plan.stdout, plan.stdout
        run = materia(proj, "run")
        assert "3 of 3 models run" in run.stdout, run.stdout
        db = os.path.join(proj, "db.db")
        assert os.path.exists(db), os.listdir(proj)
        # no other lakehouse was made anywhere: db.db is the gateway's database
        assert not os.path.exists(os.path.join(proj, "data")), os.listdir(proj)
        seeds = seed_rows()
        got = query(s, db, "SELECT id, item_id, strftime(event_date, '%Y-%m-%d') AS d "
                           "FROM sqlmesh_example.seed_model ORDER BY id")
        assert [(r["id"], r["item_id"], r["d"]) for r in got] == seeds, got
        # incremental_model: every seed row with event_date in [model start 2020-01-01, now]
        got = query(s, db, "SELECT id, item_id, strftime(event_date, '%Y-%m-%d') AS d "
                           "FROM sqlmesh_example.incremental_model ORDER BY id")
        assert [(r["id"], r["item_id"], r["d"]) for r in got] == [r for r in seeds if r[2] >= "2020-01-01"], got
        # full_model: COUNT(DISTINCT id) per item_id
        want = {}
        for i, item, _ in seeds:
            want.setdefault(item, set()).add(i)
        got = query(s, db, "SELECT item_id, num_orders FROM sqlmesh_example.full_model ORDER BY item_id")
        assert [(r["item_id"], r["num_orders"]) for r in got] == sorted((k, len(v)) for k, v in want.items()), got
        # the column types SQLMesh's seed model declares
        types = query(s, db, "SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_schema = 'sqlmesh_example' AND table_name = 'seed_model' "
                             "ORDER BY ordinal_position")
        assert [(t["column_name"], t["data_type"]) for t in types] == [
            ("id", "INTEGER"), ("item_id", "INTEGER"), ("event_date", "DATE")], types
        # a second run finds nothing to do
        again = materia(proj, "run")
        assert "nothing to do" in again.stdout, again.stdout
    finally:
        s.cleanup()


def test_config_names_the_sources():
    s, proj = copy_fixture()
    try:
        out = materia(proj, "config").stdout
        line = next(l for l in out.splitlines() if l.startswith("DUCKDB_PATH="))
        assert line.startswith(f"DUCKDB_PATH={proj}/db.db\t({proj}/config.yaml:9)"), line
        line = next(l for l in out.splitlines() if l.startswith("MATERIA_PROJECT_DIR="))
        assert "(current folder)" in line, line
        assert f"gateway=duckdb\t({proj}/config.yaml:3; default_gateway)" in out, out
        assert "model_defaults.start=2026-11-30" in out, out
    finally:
        s.cleanup()


def test_dash_p_from_elsewhere():
    s, proj = copy_fixture()
    try:
        materia(s.dir, "-p", proj, "run")
        got = query(s, os.path.join(proj, "db.db"), "SELECT count(*) AS n FROM sqlmesh_example.full_model")
        assert got == [{"n": 3}], got
        assert not os.path.exists(os.path.join(s.dir, "db.db"))
    finally:
        s.cleanup()


if __name__ == "__main__":
    main([test_plan_and_run_unchanged, test_config_names_the_sources, test_dash_p_from_elsewhere])
