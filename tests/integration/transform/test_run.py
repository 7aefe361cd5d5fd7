"""Transform engine end to end on tiny projects: run/plan/dag/render, no-op second run,
touch-one-model rebuilds its descendants only, catalog-free views, crash recovery, janitor."""
import os
import signal
import time

from harness import main
from tproject import BASIC, PROD_CSV, actions, land, new_scratch, q, reasons, write_files

T0 = "2024-03-01 12:00"


def setup():
    s = new_scratch("transform-run", BASIC)
    land(s, "prod/2024-03.csv", PROD_CSV)
    return s


def test_first_run_builds_everything_then_noop():
    s = setup()
    p = s.run("run", "--execution-time", T0, check=0)
    a = actions(p.stdout)
    assert a == {"seeds.countries": "create", "raw.production": "create", "staging.production": "view",
                 "serving.totals": "create", "other.standalone": "create"}, p.stdout
    assert "4 rows" not in p.stdout or True
    assert "5 of 5 models run" in p.stdout, p.stdout
    rows = q(s, "SELECT code, name, total FROM serving.totals ORDER BY code")
    assert rows == [{"code": "BR", "name": "Brazil", "total": 112100.0},
                    {"code": "VN", "name": "Vietnam", "total": 29500.0}], rows
    p = s.run("run", "--execution-time", T0, check=0)
    assert p.stdout.strip() == "nothing to do (5 models unchanged)", p.stdout
    p = s.run("transform", "--execution-time", T0, check=0)
    assert "nothing to do" in p.stdout
    # the second run checked and recorded its no-op; the third answered from its stamp
    runs = q(s, "SELECT status FROM _materia.runs WHERE kind = 'transform' ORDER BY started_at")
    assert [r["status"] for r in runs] == ["ok", "nothing_to_do"], runs
    assert os.path.exists(s.lakehouse + ".noop")
    rm = q(s, "SELECT model, action, status, rows FROM _materia.run_models ORDER BY model")
    assert {r["model"]: r["rows"] for r in rm}["serving.totals"] == 2, rm
    # physical tables are versioned; the model name is a view on the current one
    v = q(s, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'materia__serving'")
    assert len(v) == 1 and v[0]["table_name"].startswith("totals__"), v
    s.cleanup()


def test_a_new_lakehouse_gets_its_format_an_existing_one_keeps_its_own():
    # util/db.c db_open_lakehouse: a lakehouse `materia run` creates has 16 KiB blocks and
    # DuckDB 1.4's storage format (cheaper checkpoints); one made before (here by DuckDB's
    # defaults) is opened and written as it is, never converted.
    s = setup()
    s.run("run", "--execution-time", T0, check=0)
    assert s.file_format(s.lakehouse) == (16384, "v1.4.0+"), s.file_format(s.lakehouse)
    s.cleanup()
    s = setup()
    s.sql(s.lakehouse, "CREATE TABLE made_before (a INTEGER)", write=True)
    assert s.file_format(s.lakehouse) == (262144, "v1.0.0+"), s.file_format(s.lakehouse)
    s.run("run", "--execution-time", T0, check=0)
    assert s.file_format(s.lakehouse) == (262144, "v1.0.0+"), s.file_format(s.lakehouse)
    rows = q(s, "SELECT code, total FROM serving.totals ORDER BY code")
    assert rows == [{"code": "BR", "total": 112100.0}, {"code": "VN", "total": 29500.0}], rows
    s.cleanup()


def n_runs(s):
    return q(s, "SELECT count(*) AS n FROM _materia.runs WHERE kind = 'transform'")[0]["n"]


def run_at_t0(s, *args, env=None):
    """Runs `materia run` at T0; returns (stdout, whether it opened the lakehouse: a run row)."""
    before = n_runs(s)
    p = s.run("run", "--execution-time", T0, *args, env=env, check=0)
    return p.stdout, n_runs(s) > before


def test_noop_stamp_answers_without_the_lakehouse_until_anything_it_read_changes():
    s = setup()
    s.run("run", "--execution-time", T0, check=0)
    stamp = s.lakehouse + ".noop"
    out, opened = run_at_t0(s)
    assert out.startswith("nothing to do") and opened and os.path.exists(stamp), out
    fast = lambda: (lambda r: r[0].startswith("nothing to do") and not r[1])(run_at_t0(s))  # noqa: E731
    assert fast()
    # --full-check ignores it
    out, opened = run_at_t0(s, "--full-check")
    assert out.startswith("nothing to do") and opened, out
    assert fast()
    # each thing the stamp depends on, changed, makes the next run check the lakehouse
    # (a change within ~20 ms before a plan is not stamped: file-system clocks are coarse;
    # the sleeps keep these checks about the inputs, not that margin)
    write_files(s, {"models/staging/production.sql": BASIC["models/staging/production.sql"]})  # same text, new mtime
    time.sleep(0.1)
    out, opened = run_at_t0(s)
    assert out.startswith("nothing to do") and opened, out
    assert fast()
    # new content with the old mtime put back (cp -p, touch -r): the ctime still moves
    f = os.path.join(s.project, "models/staging/production.sql")
    st = os.stat(f)
    write_files(s, {"models/staging/production.sql": BASIC["models/staging/production.sql"].replace(
        "p.qty FROM", "p.QTY FROM")})  # same size
    assert os.stat(f).st_size == st.st_size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    time.sleep(0.1)
    out, opened = run_at_t0(s)
    assert opened and "staging.production" in out, out
    assert run_at_t0(s)[1] and fast()
    # an environment variable a model reads through @VAR (the upper-case fallback included)
    write_files(s, {"models/other/region.sql": "MODEL (name other.region, kind FULL);\nSELECT @VAR('region') AS r\n"})
    s.env["REGION"] = "eu"
    time.sleep(0.1)
    assert run_at_t0(s)[1] and run_at_t0(s)[1] and fast()
    s.env["REGION"] = "us"
    out, opened = run_at_t0(s)
    assert opened and "other.region" in out, out
    assert q(s, "SELECT r FROM other.region") == [{"r": "us"}]
    assert run_at_t0(s)[1] and fast()
    s.sql(s.lakehouse, "CREATE TABLE main.someone_elses AS SELECT 1 AS x", write=True)
    assert run_at_t0(s)[1] and fast()
    assert run_at_t0(s, env={"MATERIA_LOG_LEVEL": "warn"})[1]  # configuration
    assert run_at_t0(s)[1] and fast()
    with open(stamp, "w") as f:
        f.write("materia-noop-stamp 1\nwindow 0 9223372036854775807\nmodels 5\ndigest " + "0" * 64 + "\n")
    assert run_at_t0(s)[1] and fast()  # a stamp whose digest does not match
    land(s, "prod/2024-04.csv", "code,year,qty\nCO,2018,13000\n")  # an input file
    time.sleep(0.1)
    out, opened = run_at_t0(s)
    assert opened and "raw.production" in out and not os.path.exists(stamp), out
    assert run_at_t0(s)[1] and fast()
    # the next day is another cron window: FULL models are due
    p = s.run("run", "--execution-time", "2024-03-02 08:00", check=0)
    assert "raw.production" in p.stdout and "other.standalone" in p.stdout, p.stdout
    p = s.run("run", "--execution-time", "2024-03-02 08:00", check=0)
    assert p.stdout.startswith("nothing to do") and os.path.exists(stamp), p.stdout
    # a failing run leaves no stamp behind
    write_files(s, {"models/serving/totals.sql": "MODEL (name serving.totals, kind FULL);\nSELECT nope FROM raw.production\n"})
    p = s.run("run", "--execution-time", "2024-03-02 08:00")
    assert p.returncode != 0 and not os.path.exists(stamp), p.stdout
    s.cleanup()


def test_touching_one_model_rebuilds_it_and_descendants_only():
    s = setup()
    s.run("run", "--execution-time", T0, check=0)
    write_files(s, {"models/staging/production.sql": BASIC["models/staging/production.sql"].replace(
        "p.qty FROM", "p.qty * 2 AS qty FROM")})
    p = s.run("plan", "--execution-time", T0, check=0)
    r = reasons(p.stdout)
    assert r == {"seeds.countries": "unchanged", "raw.production": "unchanged", "staging.production": "changed",
                 "serving.totals": "downstream", "other.standalone": "unchanged"}, p.stdout
    p = s.run("run", "--execution-time", T0, check=0)
    assert set(actions(p.stdout)) == {"staging.production", "serving.totals"}, p.stdout
    rows = q(s, "SELECT total FROM serving.totals WHERE code = 'BR'")
    assert rows == [{"total": 224200.0}], rows
    # the previous version is retired, not dropped (janitor's job)
    v = q(s, "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'materia__serving'")
    assert v == [{"n": 2}], v
    p = s.run("janitor", "--retention-days", "0", check=0)
    assert "dropped 2 versions" in p.stdout, p.stdout  # old staging view + old totals table
    v = q(s, "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'materia__serving'")
    assert v == [{"n": 1}], v
    assert q(s, "SELECT total FROM serving.totals WHERE code = 'BR'") == [{"total": 224200.0}]
    p = s.run("janitor", check=0)
    assert "dropped 0 versions" in p.stdout
    s.cleanup()


def test_new_landed_file_reruns_readers_same_day_and_cron_makes_full_due():
    s = setup()
    s.run("run", "--execution-time", T0, check=0)
    land(s, "prod/2024-04.csv", "code,year,qty\nCO,2018,13000\n")
    p = s.run("plan", "--execution-time", T0, check=0)
    r = reasons(p.stdout)
    assert r["raw.production"] == "inputs" and r["serving.totals"] == "downstream", p.stdout
    assert r["other.standalone"] == "unchanged" and r["staging.production"] == "unchanged", p.stdout
    p = s.run("run", "--execution-time", T0, check=0)
    assert set(actions(p.stdout)) == {"raw.production", "serving.totals"}, p.stdout
    assert len(q(s, "SELECT * FROM serving.totals")) == 3
    # next day: FULL models are due by their @daily cron; SEED and VIEW never are
    p = s.run("plan", "--execution-time", "2024-03-02 08:00", check=0)
    r = reasons(p.stdout)
    assert r["raw.production"] == "due" and r["other.standalone"] == "due", p.stdout
    assert r["seeds.countries"] == "unchanged", p.stdout
    s.cleanup()


def test_views_are_catalog_free():
    s = setup()
    s.run("run", "--execution-time", T0, check=0)
    other = os.path.join(s.dir, "renamed.duckdb")
    os.rename(s.lakehouse, other)
    rows = s.sql(":memory:", f"ATTACH '{other}' AS somewhere (READ_ONLY); "
                 "SELECT count(*) AS n FROM somewhere.serving.totals")
    assert rows == [{"n": 2}], rows
    sql = s.sql(other, "SELECT sql FROM duckdb_views() WHERE schema_name = 'serving' AND view_name = 'totals'")
    assert "FROM materia__serving.totals__" in sql[0]["sql"] and "renamed" not in sql[0]["sql"], sql
    s.cleanup()


def test_dag_render_and_help():
    s = setup()
    p = s.run("dag", check=0)
    lines = p.stdout.splitlines()
    order = [l.split()[0] for l in lines]
    assert order.index("raw.production") < order.index("staging.production") < order.index("serving.totals")
    st = [l for l in lines if l.startswith("staging.production")][0]
    assert "raw.production" in st and "seeds.countries" in st and " p" not in st.split("<-")[1], st
    p = s.run("dag", "--format", "dot", check=0)
    assert p.stdout.startswith("digraph") and '"staging.production" -> "serving.totals";' in p.stdout
    s.run("dag", "--format", "png", check=2)
    p = s.run("render", "raw.production", check=0)
    assert f"'{s.landing}' || '/prod/*.csv'" in p.stdout, p.stdout
    p = s.run("render", "nope.nope", check=1)
    assert "no model named 'nope.nope'" in p.stderr
    for cmd in ["plan", "run", "transform", "dag", "render", "janitor"]:
        p = s.run(cmd, "--help", check=0)
        assert p.stdout.startswith("usage: materia"), cmd
    s.cleanup()


def test_model_removed_from_project_is_dropped_from_the_layer():
    s = setup()
    s.run("run", "--execution-time", T0, check=0)
    os.remove(os.path.join(s.project, "models/other/standalone.sql"))
    p = s.run("run", "--execution-time", T0, check=0)
    assert "remove  other.standalone" in p.stdout, p.stdout
    v = q(s, "SELECT count(*) AS n FROM duckdb_views() WHERE schema_name = 'other'")
    assert v == [{"n": 0}]
    s.cleanup()


def test_sigkill_mid_run_keeps_complete_views_and_next_run_recovers():
    s = setup()
    s.run("run", "--execution-time", T0, check=0)
    # a model built after serving.totals: the run is killed right after it is built and
    # promoted, inside the run's transaction (the crash point, not a timed kill)
    write_files(s, {"models/zz/slow.sql":
                    "MODEL (name zz.slow, kind FULL);\n"
                    "SELECT sum(a.range * 2) AS answer FROM range(1000) a\n"})
    write_files(s, {"models/serving/totals.sql": BASIC["models/serving/totals.sql"].replace(
        "sum(qty)", "sum(qty) + 1")})
    p = s.run("run", "--execution-time", T0, env={"MATERIA_CRASH_AT": "after_model_zz.slow"})
    assert p.returncode == -signal.SIGKILL, (p.returncode, p.stdout, p.stderr)
    assert "MATERIA_CRASH_AT=after_model_zz.slow" in p.stderr, p.stderr
    # the view still points at the old, complete version
    assert q(s, "SELECT total FROM serving.totals WHERE code = 'BR'") == [{"total": 112100.0}]
    assert q(s, "SELECT count(*) AS n FROM duckdb_views() WHERE schema_name = 'zz'") == [{"n": 0}]
    # the next run (fast model again) recovers without a manual step
    write_files(s, {"models/zz/slow.sql": "MODEL (name zz.slow, kind FULL);\nSELECT 7 AS answer\n"})
    p = s.run("run", "--execution-time", T0, check=0)
    assert set(actions(p.stdout)) == {"serving.totals", "zz.slow"}, p.stdout
    assert q(s, "SELECT total FROM serving.totals WHERE code = 'BR'") == [{"total": 112101.0}]
    assert q(s, "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'materia__zz'") == [{"n": 1}]
    runs = q(s, "SELECT status, message FROM _materia.runs ORDER BY started_at")
    assert runs[1]["status"] == "failed" and "interrupted" in runs[1]["message"], runs
    assert runs[-1]["status"] == "ok"
    s.cleanup()


if __name__ == "__main__":
    main([test_first_run_builds_everything_then_noop, test_a_new_lakehouse_gets_its_format_an_existing_one_keeps_its_own,
          test_noop_stamp_answers_without_the_lakehouse_until_anything_it_read_changes,
          test_touching_one_model_rebuilds_it_and_descendants_only,
          test_new_landed_file_reruns_readers_same_day_and_cron_makes_full_due, test_views_are_catalog_free,
          test_dag_render_and_help, test_model_removed_from_project_is_dropped_from_the_layer,
          test_sigkill_mid_run_keeps_complete_views_and_next_run_recovers])
