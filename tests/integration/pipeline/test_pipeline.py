"""materia pipeline list/run: exit codes, one summary line per step, the run log.

Fixture lakehouses come from tests/integration/serving/serving_fixture.py, so these tests
do not depend on the real models; the end-to-end runs on the sample live in test_e2e.py."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serving"))

from harness import Scratch, main  # noqa: E402
from serving_fixture import add_run, make_lakehouse, read_snapshot  # noqa: E402


def pipeline_runs(s):
    return s.sql(s.lakehouse, "SELECT * FROM _materia.runs WHERE kind = 'pipeline' ORDER BY started_at, run_id")


def test_list_names_every_pipeline():
    s = Scratch("pipeline")
    p = s.run("pipeline", "list", check=0)
    names = [l.split()[0] for l in p.stdout.splitlines()]
    assert names == ["extract", "transform", "export_serving", "all"], p.stdout
    assert "extract -> transform -> export_serving" in p.stdout
    s.run("pipeline", "run", "nope", check=2)
    s.run("pipeline", "run", check=2)
    s.run("pipeline", "frob", check=2)
    s.cleanup()


def test_export_serving_pipeline_publishes_and_records_run():
    s = Scratch("pipeline")
    make_lakehouse(s)
    p = s.run("pipeline", "run", "export_serving", check=0)
    steps = [l for l in p.stdout.splitlines() if ": step " in l]
    assert len(steps) == 1 and "INFO" in steps[0] and "step export_serving: ok, published" in steps[0], p.stdout
    _, rec, act = read_snapshot(s)
    assert rec == act
    runs = pipeline_runs(s)
    assert len(runs) == 1 and runs[0]["status"] == "ok" and runs[0]["ended_at"], runs
    assert runs[0]["run_id"] in p.stdout
    # the run log keeps exactly the columns of ARCHITECTURE §2
    cols = s.sql(s.lakehouse, "SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_schema = '_materia' AND table_name = 'runs' ORDER BY ordinal_position")
    assert [(c["column_name"], c["data_type"]) for c in cols] == [
        ("run_id", "VARCHAR"), ("kind", "VARCHAR"), ("started_at", "TIMESTAMP"), ("ended_at", "TIMESTAMP"),
        ("status", "VARCHAR"), ("message", "VARCHAR")], cols
    s.cleanup()


def test_failed_step_exits_1_and_is_recorded():
    s = Scratch("pipeline")
    make_lakehouse(s)
    add_run(s, "audit_failed")
    p = s.run("pipeline", "run", "export_serving", check=1)
    assert "ERROR" in p.stdout and "step export_serving: failed" in p.stdout, p.stdout
    assert not os.path.exists(s.serving)
    runs = pipeline_runs(s)
    assert runs[-1]["status"] == "failed" and "audit_failed" in runs[-1]["message"], runs
    s.cleanup()


def test_extract_failure_stops_all_before_transform():
    s = Scratch("pipeline")
    make_lakehouse(s)
    before = s.sql(s.lakehouse, "SELECT count(*) AS n FROM _materia.runs WHERE kind = 'transform'")[0]["n"]
    p = s.run("pipeline", "run", "all", env={"PSD_SOURCE_URL": "file://" + s.dir + "/no-such.zip"}, check=1)
    steps = [l for l in p.stdout.splitlines() if ": step " in l]
    assert len(steps) == 1 and "step extract: failed" in steps[0], p.stdout
    after = s.sql(s.lakehouse, "SELECT count(*) AS n FROM _materia.runs WHERE kind = 'transform'")[0]["n"]
    assert after == before, "transform ran after extract failed"
    assert not os.path.exists(s.serving)
    assert pipeline_runs(s)[-1]["status"] == "failed"
    s.cleanup()


def test_pipeline_creates_lakehouse_and_run_log_when_missing():
    s = Scratch("pipeline")
    s.run("pipeline", "run", "export_serving", check=1)   # nothing to export from
    runs = pipeline_runs(s)
    assert len(runs) == 1 and runs[0]["status"] == "failed" and "no transform run" in runs[0]["message"], runs
    s.cleanup()


if __name__ == "__main__":
    main([test_list_names_every_pipeline, test_export_serving_pipeline_publishes_and_records_run,
          test_failed_step_exits_1_and_is_recorded, test_extract_failure_stops_all_before_transform,
          test_pipeline_creates_lakehouse_and_run_log_when_missing])
