"""Virtual data environments: `materia plan dev` / `materia run --environment dev` build a
layer of views "<schema>__dev"."<table>" (SQLMesh's default environment_suffix_target
'schema': snapshot/definition.py qualified_view_name); a model unchanged in dev points at
prod's physical table, a changed one (and its downstream) gets a new version only dev sees;
prod, and the serving export, are untouched. `materia table_diff prod:dev MODEL` compares
them (sqlmesh/core/table_diff.py); `materia invalidate dev` deletes the environment."""
import os

from tproject import BASIC, PROD_CSV, actions, land, new_scratch, q, reasons, write_files

CHANGED_TOTALS = ("MODEL (\n  name serving.totals,\n  kind FULL,\n  cron '@daily',\n  grain (code)\n);\n"
                  "SELECT code, name, sum(qty) * 2 AS total FROM staging.production GROUP BY ALL ORDER BY code\n")
EXEC = ["--execution-time", "2024-01-03 06:00"]


def setup(name):
    s = new_scratch(name, BASIC)
    land(s, "prod/2024.csv", PROD_CSV)
    s.run("run", *EXEC, check=0)
    return s


def totals(s, schema="serving"):
    return [(r["code"], r["total"]) for r in q(s, f"SELECT code, total FROM {schema}.totals ORDER BY code")]


PROD_TOTALS = [("BR", 112100.0), ("VN", 29500.0)]
DEV_TOTALS = [("BR", 224200.0), ("VN", 59000.0)]


def test_dev_sees_its_change_prod_keeps_the_old():
    # tests/core/integration/test_change_scenarios.py::test_environment_isolation: a change
    # planned into dev is visible in dev's views only; prod's stay as they were.
    s = setup("transform-env-isolation")
    write_files(s, {"models/serving/totals.sql": CHANGED_TOTALS})
    p = s.run("plan", "dev", *EXEC, check=0)
    assert "environment dev" in p.stdout, p.stdout
    assert reasons(p.stdout) == {"seeds.countries": "promote", "raw.production": "promote",
                                 "staging.production": "promote", "serving.totals": "changed",
                                 "other.standalone": "promote"}, p.stdout
    p = s.run("run", "--environment", "dev", *EXEC, check=0)
    # unchanged models are only pointed at (prod's tables), the changed one is built
    assert actions(p.stdout) == {"seeds.countries": "promote", "raw.production": "promote",
                                 "staging.production": "promote", "serving.totals": "create",
                                 "other.standalone": "promote"}, p.stdout
    assert totals(s, "serving__dev") == DEV_TOTALS
    assert totals(s) == PROD_TOTALS
    # unchanged: the same physical table as prod; changed: a version only dev references
    same = q(s, "SELECT e.model, e.physical = m.physical AS shared FROM _materia.environments e JOIN "
                "_materia.models m USING (model) WHERE e.environment = 'dev' ORDER BY 1")
    assert {r["model"]: r["shared"] for r in same} == {
        "other.standalone": True, "raw.production": True, "seeds.countries": True, "serving.totals": False,
        "staging.production": True}, same
    # prod's plan sees the change as pending — a promotion of dev's table; dev is up to date
    assert reasons(s.run("plan", *EXEC, check=0).stdout)["serving.totals"] == "promote"
    assert s.run("run", "--environment", "dev", *EXEC, check=0).stdout.startswith("nothing to do")
    # new landed data: a dev run leaves prod's (shared) tables to prod
    land(s, "prod/2025.csv", "code,year,qty\nBR,2020,1000\n")
    p = s.run("run", "--environment", "dev", *EXEC, check=0)
    assert "raw.production" not in actions(p.stdout), p.stdout
    assert totals(s) == PROD_TOTALS
    # then prod takes the change: dev's version is reused (a virtual update), refreshed
    # because its parent's data changed in this run
    p = s.run("run", *EXEC, check=0)
    assert actions(p.stdout)["serving.totals"] == "rebuild", p.stdout
    assert totals(s) == [("BR", 226200.0), ("VN", 59000.0)]
    assert q(s, "SELECT count(*) AS n FROM _materia.versions WHERE model = 'serving.totals'") == [{"n": 2}]
    s.cleanup()


def test_prod_reuses_the_version_dev_built():
    # tests/core/integration/test_change_scenarios.py::test_environment_promotion: promoting
    # dev's change to prod swaps prod's view to the table dev built; nothing is built again.
    s = setup("transform-env-promote")
    write_files(s, {"models/serving/totals.sql": CHANGED_TOTALS})
    s.run("run", "--environment", "dev", *EXEC, check=0)
    p = s.run("run", *EXEC, check=0)
    assert actions(p.stdout) == {"serving.totals": "promote"}, p.stdout
    assert totals(s) == DEV_TOTALS
    assert q(s, "SELECT e.physical = m.physical AS same FROM _materia.environments e JOIN _materia.models m "
                "USING (model) WHERE model = 'serving.totals'") == [{"same": True}]
    assert q(s, "SELECT previous_fingerprint IS NOT NULL AS p FROM _materia.promotions WHERE model = 'serving.totals' "
                "ORDER BY promoted_at DESC LIMIT 1") == [{"p": True}]
    # and back: the old version, retired but not dropped, is promoted again
    write_files(s, {"models/serving/totals.sql": BASIC["models/serving/totals.sql"]})
    p = s.run("run", *EXEC, check=0)
    assert actions(p.stdout) == {"serving.totals": "promote"}, p.stdout
    assert totals(s) == PROD_TOTALS
    s.cleanup()


def test_dev_reads_its_own_upstream_versions():
    # snapshot/evaluator.py renders a model's references as the environment's snapshots: a
    # child built in dev reads its changed parent's dev version, not prod's.
    s = setup("transform-env-upstream")
    write_files(s, {"models/staging/production.sql":
                    "MODEL (name staging.production, kind VIEW);\n"
                    "WITH p AS (SELECT * FROM raw.production)\n"
                    "SELECT p.code, c.name, p.year, p.qty * 10 AS qty FROM p JOIN seeds.countries c USING (code)\n"})
    p = s.run("run", "--environment", "dev", *EXEC, check=0)
    assert actions(p.stdout)["serving.totals"] == "create", p.stdout
    assert totals(s, "serving__dev") == [("BR", 1121000.0), ("VN", 295000.0)]
    assert totals(s) == PROD_TOTALS
    s.cleanup()


def test_table_diff_prod_dev():
    # sqlmesh/core/table_diff.py (RowDiff: full/partial match, source/target only, _pct) and
    # console.py show_schema_diff/show_row_diff; tests/core/test_table_diff.py
    s = setup("transform-env-diff")
    write_files(s, {"models/serving/totals.sql":
                    "MODEL (name serving.totals, kind FULL, grain (code));\n"
                    "SELECT code, name, CASE WHEN code = 'BR' THEN total ELSE 0 END AS total, 1 AS extra FROM "
                    "(SELECT code, name, sum(qty) AS total FROM staging.production GROUP BY ALL)\n"
                    "UNION ALL SELECT 'CO', 'Colombia', 5, 1\n"})
    s.run("run", "--environment", "dev", *EXEC, check=0)
    p = s.run("table_diff", "prod:dev", "serving.totals", check=0)
    out = p.stdout
    assert "Schema Diff Between 'PROD' and 'DEV' environments for model 'serving.totals':" in out, out
    assert "Added Column: extra (INTEGER)" in out, out
    # BR matches fully, VN differs in total, CO is dev's only: 2 + 3 = 5 rows in all
    assert "FULL MATCH: 1 rows (40.0%)" in out, out
    assert "PARTIAL MATCH: 1 rows (40.0%)" in out, out
    assert "DEV ONLY: 1 rows (20.0%)" in out, out
    assert "PROD ONLY" not in out, out
    lines = {l.split()[0]: l.split()[1] for l in out.split("column comparison stats:")[1].splitlines()[2:] if l.strip()}
    assert lines == {"name": "100.0", "total": "50.0"}, out
    # --on overrides the grain; without a grain nor --on: context.py's error
    p = s.run("table_diff", "prod:dev", "serving.totals", "--on", "code,name", check=0)
    assert "FULL MATCH: 1 rows" in p.stdout, p.stdout
    p = s.run("table_diff", "prod:dev", "raw.production")
    assert p.returncode == 1 and "doesn't know how to join the two tables" in p.stderr, p.stderr
    p = s.run("table_diff", "prod:nope", "serving.totals")
    assert p.returncode == 1 and "model 'serving.totals' is not in environment 'nope'" in p.stderr, p.stderr
    s.cleanup()


def test_invalidate_then_janitor():
    # context.py invalidate_environment + the janitor (state_sync/db/environment.py
    # invalidate_environment refuses prod); tests/core/state_sync/test_state_sync.py::test_invalidate_environment
    s = setup("transform-env-invalidate")
    write_files(s, {"models/serving/totals.sql": CHANGED_TOTALS})
    s.run("run", "--environment", "dev", *EXEC, check=0)
    dev_phys = q(s, "SELECT physical FROM _materia.environments WHERE model = 'serving.totals'")[0]["physical"]
    # the janitor keeps what dev references
    assert "dropped 0 versions" in s.run("janitor", "--retention-days", "0", check=0).stdout
    p = s.run("invalidate", "prod")
    assert p.returncode == 1 and "Cannot invalidate the production environment." in p.stderr, p.stderr
    p = s.run("invalidate", "dev", check=0)
    assert "Environment 'dev' deleted" in p.stdout, p.stdout
    assert q(s, "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema LIKE '%\\_\\_dev' "
                "ESCAPE '\\'") == [{"n": 0}]
    assert q(s, "SELECT count(*) AS n FROM _materia.environments") == [{"n": 0}]
    p = s.run("janitor", "--retention-days", "0", check=0)
    assert dev_phys in p.stdout and "dropped 1 version" in p.stdout, p.stdout
    assert totals(s) == PROD_TOTALS  # prod untouched
    p = s.run("invalidate", "dev")
    assert p.returncode == 1 and "environment 'dev' does not exist" in p.stderr, p.stderr
    s.cleanup()


def test_serving_export_never_sees_dev():
    # the serving export publishes schema `serving` (prod's views) only; dev's are serving__dev
    s = setup("transform-env-serving")
    write_files(s, {"models/serving/totals.sql": CHANGED_TOTALS})
    s.run("run", "--environment", "dev", *EXEC, check=0)
    s.run("export-serving", check=0)
    serving = os.path.join(os.path.dirname(s.lakehouse), "serving.duckdb")
    assert [(r["code"], r["total"]) for r in s.sql(serving, "SELECT code, total FROM serving.totals ORDER BY code")] \
        == PROD_TOTALS
    schemas = s.sql(serving, "SELECT DISTINCT table_schema AS s FROM information_schema.tables ORDER BY 1")
    assert not [r for r in schemas if "dev" in r["s"]], schemas
    s.cleanup()


def test_existing_lakehouse_gains_the_environments_table():
    # state.c state_init: a lakehouse made before _materia.environments existed is migrated
    s = setup("transform-env-migrate")
    q_ = s.sql(s.lakehouse, "DROP TABLE _materia.environments", write=True)
    assert q_ == [] or q_ is not None
    assert s.run("run", *EXEC, check=0).stdout.startswith("nothing to do")
    write_files(s, {"models/serving/totals.sql": CHANGED_TOTALS})
    s.run("run", "--environment", "dev", *EXEC, check=0)
    assert totals(s, "serving__dev") == DEV_TOTALS
    s.cleanup()


def test_dev_restatement_of_prod_model():
    # tests/core/integration/test_restatement.py::test_dev_restatement_of_prod_model: in dev, a
    # model whose version is prod's is not restated (builder.py warning); dev's own is.
    s = setup("transform-env-restate")
    write_files(s, {"models/serving/totals.sql": CHANGED_TOTALS})
    s.run("run", "--environment", "dev", *EXEC, check=0)
    p = s.run("run", "--environment", "dev", "--restate-model", "raw.production", *EXEC, check=0)
    assert "Cannot restate model 'raw.production' because the current version is used in production" in p.stderr, \
        p.stderr
    assert p.stdout.startswith("nothing to do"), p.stdout
    p = s.run("run", "--environment", "dev", "--restate-model", "serving.totals", *EXEC, check=0)
    assert actions(p.stdout) == {"serving.totals": "rebuild"}, p.stdout
    s.cleanup()


def test_environment_names():
    # environment.py sanitize_name: lower-case, other characters become '_'
    s = setup("transform-env-names")
    write_files(s, {"models/serving/totals.sql": CHANGED_TOTALS})
    s.run("run", "--environment", "My-Dev", *EXEC, check=0)
    assert totals(s, "serving__my_dev") == DEV_TOTALS
    p = s.run("plan", "dev", "extra")
    assert p.returncode == 2 and "unexpected argument 'extra'" in p.stderr, p.stderr
    s.cleanup()


if __name__ == "__main__":
    from harness import main
    main([test_dev_sees_its_change_prod_keeps_the_old, test_prod_reuses_the_version_dev_built,
          test_dev_reads_its_own_upstream_versions,
          test_table_diff_prod_dev, test_invalidate_then_janitor, test_serving_export_never_sees_dev,
          test_existing_lakehouse_gains_the_environments_table, test_dev_restatement_of_prod_model,
          test_environment_names])
