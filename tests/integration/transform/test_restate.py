"""Restatement plans: `materia plan|run --restate-model M [--start S] [--end E]` clears the
intervals of M and its downstream models in [start, end) and processes them again, as
SQLMesh's restatement plans do (sqlmesh/core/plan/builder.py _build_restatements,
snapshot/definition.py get_removal_interval, context.py plan). Rows in -> rows out: the
landed data behind a model changes, a plain run does not pick the past up, a restatement
does, downstream too."""
import os

from tproject import actions, land, new_scratch, q, reasons, write_files

SRC = ("SELECT id, ts FROM read_csv(@VAR('landing_dir') || '/ev/*.csv', columns = {'id': 'INTEGER', "
       "'ts': 'TIMESTAMP'}, header = true)\nWHERE ts BETWEEN @start_ts AND @end_ts\n")
ROWS = "id,ts\n1001,2024-01-01 00:30\n1002,2024-01-01 01:30\n1003,2024-01-01 02:30\n1004,2024-01-02 00:30\n"
ROWS_LESS = "id,ts\n1001,2024-01-01 00:30\n1003,2024-01-01 02:30\n1004,2024-01-02 00:30\n"


def project(b_props="", extra=None):
    files = {
        "models/test/a.sql": "MODEL (name test.a, kind INCREMENTAL_BY_TIME_RANGE (time_column ts), start '2024-01-01',"
                             " cron '@daily', tags (landed));\n" + SRC,
        "models/test/b.sql": "MODEL (name test.b, kind INCREMENTAL_BY_TIME_RANGE (time_column ts" + b_props + "),\n"
                             "  start '2024-01-01', cron '@daily');\nSELECT id, ts FROM test.a WHERE ts BETWEEN "
                             "@start_ts AND @end_ts\n",
        "models/test/c.sql": "MODEL (name test.c, kind FULL);\nSELECT count(*) AS n FROM test.a\n",
    }
    files.update(extra or {})
    return files


def ts_of(s, table):
    return [str(r["ts"]) for r in q(s, f"SELECT CAST(ts AS VARCHAR) AS ts FROM {table} ORDER BY ts")]


ALL4 = ["2024-01-01 00:30:00", "2024-01-01 01:30:00", "2024-01-01 02:30:00", "2024-01-02 00:30:00"]
LESS = ["2024-01-01 00:30:00", "2024-01-01 02:30:00", "2024-01-02 00:30:00"]


def test_restatement_respects_disable_restatement():
    # tests/core/integration/test_restatement.py::test_restatement_plan_respects_disable_restatements:
    # restating A over [2024-01-01, 2024-01-02] (a date end includes its day) picks up the deleted
    # source row in A; B (disable_restatement true) keeps its rows and its intervals, with
    # builder.py's warning; the FULL model C downstream of A is rebuilt.
    s = new_scratch("transform-restate-disable", project(", disable_restatement true"))
    land(s, "ev/1.csv", ROWS)
    s.run("run", "--execution-time", "2024-01-03 06:00", check=0)
    assert ts_of(s, "test.a") == ALL4 and ts_of(s, "test.b") == ALL4
    land(s, "ev/1.csv", ROWS_LESS)
    # a plain run does not go back to processed days
    s.run("run", "--execution-time", "2024-01-03 06:00", check=0)
    assert ts_of(s, "test.a") == ALL4
    b_intervals = q(s, "SELECT CAST(start_ts AS VARCHAR) s, CAST(end_ts AS VARCHAR) e FROM _materia.intervals "
                       "WHERE model = 'test.b' ORDER BY 1")
    p = s.run("plan", "--restate-model", "test.a", "--start", "2024-01-01", "--end", "2024-01-02",
              "--execution-time", "2024-01-03 06:00", check=0)
    assert reasons(p.stdout) == {"test.a": "restated", "test.b": "unchanged", "test.c": "restated"}, p.stdout
    assert "[2024-01-01 00:00:00, 2024-01-03 00:00:00)" in p.stdout, p.stdout
    assert "Cannot restate model 'test.b'. Restatement is disabled for this model" in p.stderr, p.stderr
    p = s.run("run", "--restate-model", "test.a", "--start", "2024-01-01", "--end", "2024-01-02",
              "--execution-time", "2024-01-03 06:00", check=0)
    assert actions(p.stdout) == {"test.a": "insert", "test.c": "rebuild"}, p.stdout
    assert "Cannot restate model 'test.b'" in p.stderr, p.stderr
    assert ts_of(s, "test.a") == LESS
    assert ts_of(s, "test.b") == ALL4
    assert q(s, "SELECT n FROM test.c") == [{"n": 3}]
    assert q(s, "SELECT CAST(start_ts AS VARCHAR) s, CAST(end_ts AS VARCHAR) e FROM _materia.intervals "
                "WHERE model = 'test.b' ORDER BY 1") == b_intervals
    s.cleanup()


def test_restatement_reaches_downstream_models():
    # tests/core/integration/test_restatement.py::test_restatement_plan_hourly_with_downstream_daily_restates_correct_intervals
    # (the downstream part) and builder.py _build_restatements: every model downstream of a
    # restated one is restated over its parents' range; only those run, even when other
    # models are due (builder.py _build_models_to_backfill).
    s = new_scratch("transform-restate-down", project(extra={
        "models/test/other.sql": "MODEL (name test.other, kind FULL, cron '@daily');\nSELECT 1 AS x\n"}))
    land(s, "ev/1.csv", ROWS)
    s.run("run", "--execution-time", "2024-01-03 06:00", check=0)
    land(s, "ev/1.csv", ROWS_LESS)
    # a day later test.other is due, but a restatement plan runs only what it restates
    p = s.run("run", "--restate-model", "test.a", "--start", "2024-01-01", "--end", "2024-01-01",
              "--execution-time", "2024-01-04 06:00", check=0)
    assert actions(p.stdout) == {"test.a": "insert", "test.b": "insert", "test.c": "rebuild"}, p.stdout
    assert ts_of(s, "test.a") == LESS and ts_of(s, "test.b") == LESS
    # 2024-01-03 was not restated: it stays missing for the next plain run, as test.other's tick
    p = s.run("run", "--execution-time", "2024-01-04 06:00", check=0)
    assert actions(p.stdout) == {"test.a": "insert", "test.b": "insert", "test.c": "rebuild",
                                 "test.other": "rebuild"}, p.stdout
    s.cleanup()


def test_restatement_selectors():
    # sqlmesh/core/selector.py expand_model_selections: `*` patterns (fnmatch on the name),
    # tag:TAG, +MODEL (upstream) and MODEL+ (downstream); tests/core/test_selector.py
    s = new_scratch("transform-restate-select", project())
    land(s, "ev/1.csv", ROWS)
    s.run("run", "--execution-time", "2024-01-03 06:00", check=0)
    base = ["plan", "--execution-time", "2024-01-03 06:00", "--restate-model"]
    for sel in ["test.*", "tag:landed", "tag:land*", "+test.b", "test.a+", "TEST.A"]:
        p = s.run(*base, sel, check=0)
        assert reasons(p.stdout) == {"test.a": "restated", "test.b": "restated", "test.c": "restated"}, (sel, p.stdout)
    # downstream only: test.c alone
    p = s.run(*base, "test.c", check=0)
    assert reasons(p.stdout) == {"test.a": "unchanged", "test.b": "unchanged", "test.c": "restated"}, p.stdout
    s.cleanup()


def test_unique_key_model_is_restated_whole():
    # kind.py full_history_restatement_only (INCREMENTAL_BY_UNIQUE_KEY) + definition.py
    # get_removal_interval: the removal starts at the model's first interval, so no interval is
    # left and the table is rebuilt (evaluator.py is_first_insert): a key gone from the source
    # disappears, which an upsert never does.
    files = {"models/inc/kv.sql": "MODEL (name inc.kv, kind INCREMENTAL_BY_UNIQUE_KEY (unique_key id), "
                                  "start '2024-01-01');\nSELECT id, val FROM read_csv(@VAR('landing_dir') || "
                                  "'/kv/*.csv', columns = {'id': 'INTEGER', 'val': 'VARCHAR'}, header = true)\n"}
    s = new_scratch("transform-restate-key", files)
    land(s, "kv/1.csv", "id,val\n1,a\n2,b\n")
    s.run("run", "--execution-time", "2024-01-03 06:00", check=0)
    land(s, "kv/1.csv", "id,val\n1,A\n")
    s.run("run", "--execution-time", "2024-01-03 07:00", check=0)
    assert q(s, "SELECT id, val FROM inc.kv ORDER BY id") == [{"id": 1, "val": "A"}, {"id": 2, "val": "b"}]
    p = s.run("run", "--restate-model", "inc.kv", "--start", "2024-01-02", "--execution-time", "2024-01-03 08:00",
              check=0)
    assert actions(p.stdout) == {"inc.kv": "upsert"}, p.stdout
    assert q(s, "SELECT id, val FROM inc.kv ORDER BY id") == [{"id": 1, "val": "A"}]
    s.cleanup()


def test_full_model_restated_with_start():
    # tests/core/integration/test_restatement.py::test_restatement_of_full_model_with_start:
    # a FULL model is rebuilt whole whatever the start.
    s = new_scratch("transform-restate-full", project())
    land(s, "ev/1.csv", ROWS)
    s.run("run", "--execution-time", "2024-01-03 06:00", check=0)
    land(s, "ev/2.csv", "id,ts\n1005,2024-01-02 05:00\n")
    p = s.run("run", "--restate-model", "test.c", "--start", "2024-01-02", "--execution-time", "2024-01-03 06:00",
              check=0)
    assert actions(p.stdout) == {"test.c": "rebuild"}, p.stdout
    # test.a was not restated: test.c reads what test.a holds, still 4 rows
    assert q(s, "SELECT n FROM test.c") == [{"n": 4}]
    s.cleanup()


def test_prod_restatement_reaches_dev_versions():
    # tests/core/integration/test_restatement.py::test_prod_restatement_plan_causes_dev_intervals_to_be_processed_in_next_dev_plan
    # (context.py plan restate_all_snapshots): a prod restatement clears the range from every
    # version of the model, so dev's own version processes it again on its next run.
    s = new_scratch("transform-restate-dev", project())
    land(s, "ev/1.csv", ROWS)
    s.run("run", "--execution-time", "2024-01-03 06:00", check=0)
    write_files(s, {"models/test/a.sql": "MODEL (name test.a, kind INCREMENTAL_BY_TIME_RANGE (time_column ts), "
                                         "start '2024-01-01', cron '@daily');\n" + SRC.replace("SELECT id,", "SELECT id + 0 AS id,")})
    s.run("run", "--environment", "dev", "--execution-time", "2024-01-03 06:00", check=0)
    assert ts_of(s, "test__dev.a") == ALL4
    land(s, "ev/1.csv", ROWS_LESS)
    write_files(s, project())  # back to prod's definition for the prod restatement
    s.run("run", "--restate-model", "test.a", "--start", "2024-01-01", "--end", "2024-01-01",
          "--execution-time", "2024-01-03 06:00", check=0)
    assert ts_of(s, "test.a") == LESS and ts_of(s, "test__dev.a") == ALL4
    write_files(s, {"models/test/a.sql": "MODEL (name test.a, kind INCREMENTAL_BY_TIME_RANGE (time_column ts), "
                                         "start '2024-01-01', cron '@daily');\n" + SRC.replace("SELECT id,", "SELECT id + 0 AS id,")})
    p = s.run("run", "--environment", "dev", "--execution-time", "2024-01-03 06:00", check=0)
    assert actions(p.stdout)["test.a"] == "insert", p.stdout
    assert ts_of(s, "test__dev.a") == LESS
    s.cleanup()


def test_restating_an_external_model_restates_its_children():
    # context.py plan: restate_models are "either internal or external models"; builder.py
    # restates the children of the external one (tests/core/test_plan.py restatement of an
    # external model's downstream)
    files = {"external_models.yaml": "- name: ext.events\n  columns:\n    id: int\n    ts: timestamp\n",
             "models/test/d.sql": "MODEL (name test.d, kind INCREMENTAL_BY_TIME_RANGE (time_column ts), "
                                  "start '2024-01-01');\nSELECT id, ts FROM ext.events WHERE ts BETWEEN @start_ts "
                                  "AND @end_ts\n"}
    s = new_scratch("transform-restate-ext", files)
    os.makedirs(os.path.dirname(s.lakehouse), exist_ok=True)
    s.sql(s.lakehouse, "CREATE SCHEMA ext; CREATE TABLE ext.events AS SELECT * FROM (VALUES (1, TIMESTAMP "
                       "'2024-01-01 05:00'), (2, TIMESTAMP '2024-01-02 05:00')) t(id, ts)", write=True)
    s.run("run", "--execution-time", "2024-01-03 06:00", check=0)
    assert [r["id"] for r in q(s, "SELECT id FROM test.d ORDER BY id")] == [1, 2]
    s.sql(s.lakehouse, "DELETE FROM ext.events WHERE id = 1", write=True)
    p = s.run("run", "--restate-model", "ext.events", "--execution-time", "2024-01-03 06:00", check=0)
    assert actions(p.stdout) == {"test.d": "insert"}, p.stdout
    assert [r["id"] for r in q(s, "SELECT id FROM test.d ORDER BY id")] == [2]
    s.cleanup()


def test_help_documents_the_options():
    s = new_scratch("transform-restate-help", project())
    for cmd in ["plan", "run"]:
        out = s.run(cmd, "--help", check=0).stdout
        for opt in ["--restate-model", "--start", "--end", "--environment", "disable_restatement"]:
            assert opt in out, (cmd, opt, out)
    s.cleanup()


def test_refusals():
    s = new_scratch("transform-restate-refuse", project())
    land(s, "ev/1.csv", ROWS)
    s.run("run", "--execution-time", "2024-01-03 06:00", check=0)
    # context.py plan: "Selector did not return any models..."
    p = s.run("run", "--restate-model", "nope.*", "--execution-time", "2024-01-03 06:00")
    assert p.returncode == 1 and "Selector did not return any models" in p.stderr, p.stderr
    p = s.run("run", "--restate-model", "nope.x", "--execution-time", "2024-01-03 06:00")
    assert p.returncode == 1 and "Selector did not return any models" in p.stderr, p.stderr
    # selector operators materia does not implement
    p = s.run("plan", "--restate-model", "test.a & test.b")
    assert p.returncode == 1 and "are not supported by materia" in p.stderr, p.stderr
    # --start/--end without a restatement (builder.py refuses them for a prod plan)
    p = s.run("run", "--start", "2024-01-01")
    assert p.returncode == 2 and "--start/--end are not supported by materia without --restate-model" in p.stderr
    # context.py plan force_no_diff: a restatement ignores local changes; materia refuses both at once
    write_files(s, {"models/test/c.sql": "MODEL (name test.c, kind FULL);\nSELECT count(*) + 0 AS n FROM test.a\n"})
    p = s.run("run", "--restate-model", "test.a", "--execution-time", "2024-01-03 06:00")
    assert p.returncode == 1 and "ignores local changes" in p.stderr and "test.c: changed" in p.stderr, p.stderr
    assert ts_of(s, "test.a") == ALL4
    s.cleanup()


def test_kind_property_refusals():
    # auto_restatement_cron / auto_restatement_intervals (kind.py _Incremental,
    # IncrementalByTimeRangeKind; snapshot/definition.py apply_auto_restatements): refused by name
    for prop in ["auto_restatement_cron '@weekly'", "auto_restatement_intervals 2"]:
        s = new_scratch("transform-restate-auto", project(", " + prop))
        p = s.run("plan")
        assert p.returncode == 1 and "b.sql:1: %s is not supported by materia" % prop.split()[0] in p.stderr, p.stderr
        s.cleanup()
    # disable_restatement belongs to the incremental kinds only (kind.py _IncrementalBy)
    s = new_scratch("transform-restate-full-prop", {
        "models/x.sql": "MODEL (name s.x, kind FULL (disable_restatement true));\nSELECT 1 AS a\n"})
    p = s.run("plan")
    assert p.returncode == 1 and "unknown FULL property 'disable_restatement'" in p.stderr, p.stderr
    s.cleanup()


def test_disable_restatement_is_metadata():
    # kind.py _IncrementalBy.metadata_hash_values: disable_restatement is metadata, so setting
    # it makes no new version
    s = new_scratch("transform-restate-meta", project())
    land(s, "ev/1.csv", ROWS)
    s.run("run", "--execution-time", "2024-01-03 06:00", check=0)
    write_files(s, project(", disable_restatement true"))
    p = s.run("plan", "--execution-time", "2024-01-03 06:00", check=0)
    assert p.stdout.splitlines()[-1].startswith("nothing to do"), p.stdout
    s.cleanup()


if __name__ == "__main__":
    from harness import main
    main([test_restatement_respects_disable_restatement, test_restatement_reaches_downstream_models,
          test_restatement_selectors, test_unique_key_model_is_restated_whole, test_full_model_restated_with_start,
          test_prod_restatement_reaches_dev_versions, test_restating_an_external_model_restates_its_children,
          test_help_documents_the_options,
          test_refusals, test_kind_property_refusals, test_disable_restatement_is_metadata])
