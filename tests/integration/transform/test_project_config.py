"""SQLMesh's project layer: config.yaml (util/project_config.c), project discovery (-p, the
current folder), model_defaults, before_all/after_all, external_models/ and audits/ folders.

Every project here runs in its own folder with a clean environment (PATH, HOME, sanitizer
options), as a SQLMesh user runs `sqlmesh plan` there: the lakehouse is the gateway's
database. Each refusal is checked by its message; each honoured key by the data it makes."""
import os
import subprocess

from harness import BIN, Scratch, main

KEEP = ("PATH", "HOME", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS")
T0 = "2024-02-01 12:00"

GATEWAY = "gateways:\n  local:\n    connection:\n      type: duckdb\n      database: lake.duckdb\n"
SEED = {
    "seeds/items.csv": "id,item,day\n1,2,2024-01-01\n2,1,2024-01-02\n3,1,2024-01-30\n",
    "models/seed.sql": "MODEL (name s.items, kind SEED (path '../seeds/items.csv'),\n"
                       "  columns (id INTEGER, item INTEGER, day DATE));\n",
}


def project(files, name="proj"):
    s = Scratch("project-config")
    s.proj = os.path.join(s.dir, name)
    for rel, text in files.items():
        p = os.path.join(s.proj, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    os.makedirs(s.proj, exist_ok=True)
    return s


def materia(s, *args, cwd=None, env=None, check=0):
    e = {k: v for k, v in os.environ.items() if k in KEEP}
    e["MATERIA_EXECUTION_TIME"] = T0
    if env:
        e.update(env)
    p = subprocess.run([BIN, *args], cwd=cwd or s.proj, env=e, capture_output=True, text=True, timeout=600)
    if check is not None and p.returncode != check:
        raise AssertionError(f"materia {' '.join(args)}: exit {p.returncode}, want {check}\n"
                             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def q(s, sql, db="lake.duckdb"):
    return s.sql(os.path.join(s.proj, db), sql)


def refused(files, want, *args):
    """materia plan (or args) in a project made of files fails with want in stderr."""
    s = project(files)
    try:
        p = materia(s, *(args or ("plan",)), check=None)
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)  # not a sanitizer's exit code
        assert want in p.stderr, f"want {want!r} in:\n{p.stderr}"
    finally:
        s.cleanup()


# ---- refusals: config.yaml ------------------------------------------------------------------

def test_unknown_and_unsupported_keys_are_refused_by_name():
    refused({"config.yaml": GATEWAY + "foo: 1\n"},
            "config.yaml:6: foo is not supported by materia: not a SQLMesh setting")
    refused({"config.yaml": GATEWAY + "default_connection:\n  type: duckdb\n"},
            "config.yaml:6: default_connection is not supported by materia: materia's lakehouse is the gateway's")
    refused({"config.yaml": GATEWAY + "      secrets: []\n"},
            "config.yaml:6: gateways.local.connection.secrets is not supported by materia: materia creates no DuckDB secrets")
    refused({"config.yaml": GATEWAY + "    state_connection:\n      type: duckdb\n"},
            "config.yaml:6: gateways.local.state_connection is not supported by materia: materia keeps its state")
    refused({"config.yaml": GATEWAY + "model_defaults:\n  table_format: iceberg\n"},
            "config.yaml:7: model_defaults.table_format is not supported by materia: materia writes DuckDB tables")
    refused({"config.yaml": GATEWAY + "linter:\n  enabled: true\n  rules: [nomissingaudits]\n"},
            "config.yaml:8: linter rule nomissingaudits is not supported by materia")
    refused({"config.yaml": GATEWAY + "linter:\n  enabled: true\n  warn_rules:\n    - noselectstar\n"},
            "config.yaml:9: linter rule noselectstar is not supported by materia")
    refused({"config.py": "config = Config()\n", "models/m.sql": "MODEL (name s.m, kind FULL);\nSELECT 1 AS x\n"},
            "/config.py: a Python configuration is not supported by materia: write its settings as config.yaml",
            "-p", ".", "plan")


def test_non_duckdb_type_and_dialect_are_refused():
    refused({"config.yaml": "gateways:\n  pg:\n    connection:\n      type: postgres\n      host: x\n"},
            "config.yaml:4: gateways.pg.connection.type postgres is not supported by materia: the lakehouse is a DuckDB file")
    refused({"config.yaml": GATEWAY + "model_defaults:\n  dialect: snowflake\n"},
            "config.yaml:7: model_defaults.dialect snowflake is not supported by materia: models run as DuckDB SQL")
    refused({"config.yaml": GATEWAY, "models/m.sql": "MODEL (name a.m, dialect bigquery);\nSELECT 1 AS x\n"},
            "models/m.sql:1: dialect bigquery is not supported by materia: models run as DuckDB SQL")


def test_connection_shape_is_checked():
    refused({"config.yaml": "gateways:\n  local:\n    connection:\n      type: duckdb\n"},
            "config.yaml:4: a connection without database or catalogs is not supported by materia: SQLMesh would "
            "use an in-memory DuckDB database")
    refused({"config.yaml": GATEWAY + "      catalogs:\n        a: a.duckdb\n"},
            "config.yaml:6: catalogs: expected either database or catalogs, not both")
    refused({"config.yaml": "gateways:\n  local:\n    connection:\n      type: duckdb\n      catalogs:\n"
                            "        mem: ':memory:'\n"},
            "config.yaml:6: an in-memory or MotherDuck first catalog is not supported by materia: it is the lakehouse")
    refused({"config.yaml": GATEWAY + "default_gateway: prod\n"},
            "config.yaml:6: default_gateway: Missing gateway with name 'prod'")
    refused({"config.yaml": GATEWAY + "      database: again.duckdb\n"},
            "config.yaml:6: duplicate key 'database' (first at line 5)")
    refused({"config.yaml": GATEWAY + "model_defaults: [\n"}, "config.yaml:")
    # '1 week ago' is honoured (test_scheduling.py); what to_datetime cannot read is refused
    refused({"config.yaml": GATEWAY + "model_defaults:\n  start: 1 fortnight ago\n",
             "models/m.sql": "MODEL (name s.m, kind FULL);\nSELECT 1 AS x\n"},
            "config.yaml:7: model_defaults.start '1 fortnight ago' needs to be time-like")
    # SQLMesh renders config.yaml through Jinja (utils/yaml.py); materia refuses it by line
    refused({"config.yaml": GATEWAY + "variables:\n  x: \"{{ env_var('X') }}\"\n"},
            "config.yaml:7: Jinja ({{ ... }} / {% ... %}) is not supported by materia")


def test_external_model_properties_are_refused():
    refused({"config.yaml": GATEWAY,
             "external_models.yaml": "- name: raw.x\n  audits:\n    - name: not_null\n"},
            "external_models.yaml:2: audits on an external model is not supported by materia")
    refused({"config.yaml": GATEWAY,
             "external_models/sub/x.yaml": "- name: raw.x\n  kind: FULL\n"},
            "external_models/sub/x.yaml:2: external model property 'kind' is not supported by materia")


# ---- project discovery ----------------------------------------------------------------------

def test_models_folder_without_config_is_refused():
    s = project({"models/m.sql": "MODEL (name a.m, kind FULL);\nSELECT 1 AS x\n"})
    try:
        p = materia(s, "plan", check=None)
        assert p.returncode == 1, p.stdout
        assert f"the current folder {s.proj} has a models/ folder but no config.yaml" in p.stderr, p.stderr
        assert "materia would run the models of" in p.stderr, p.stderr
        # the same with -p, or with MATERIA_PROJECT_DIR set, runs this project
        materia(s, "-p", s.proj, "run", env={"DUCKDB_PATH": os.path.join(s.dir, "l.duckdb")})
        materia(s, "run", env={"MATERIA_PROJECT_DIR": s.proj, "DUCKDB_PATH": os.path.join(s.dir, "l.duckdb")})
    finally:
        s.cleanup()


def test_config_here_and_another_project_dir_is_refused():
    s = project({"config.yaml": GATEWAY})
    try:
        p = materia(s, "plan", env={"MATERIA_PROJECT_DIR": s.dir}, check=None)
        assert p.returncode == 1
        assert (f"the current folder {s.proj} is a project (config.yaml) but MATERIA_PROJECT_DIR (environment) "
                f"names {s.dir}") in p.stderr, p.stderr
        p = materia(s, "-p", os.path.join(s.dir, "nope"), "plan", check=None)
        assert "-p " + os.path.join(s.dir, "nope") + ": not a folder" in p.stderr, p.stderr
        p = materia(s, "-p", s.proj, "--paths", s.proj, "plan", check=2)
        assert "-p given twice: materia runs one project folder" in p.stderr, p.stderr
    finally:
        s.cleanup()


def test_environment_wins_over_config_yaml():
    s = project(dict(SEED, **{"config.yaml": GATEWAY}))
    try:
        other = os.path.join(s.dir, "other.duckdb")
        out = materia(s, "config", env={"DUCKDB_PATH": other}).stdout
        assert f"DUCKDB_PATH={other}\t(environment)" in out, out
        materia(s, "run", env={"DUCKDB_PATH": other})
        assert not os.path.exists(os.path.join(s.proj, "lake.duckdb"))
        assert s.sql(other, "SELECT count(*) AS n FROM s.items") == [{"n": 3}]
    finally:
        s.cleanup()


# ---- honoured keys, on data ------------------------------------------------------------------

def test_gateway_option():
    # sqlmesh --gateway NAME (cli/main.py; envvar SQLMESH_GATEWAY) picks another gateway
    cfg = GATEWAY + "  other:\n    connection:\n      type: duckdb\n      database: other.duckdb\n" \
        "default_gateway: local\n"
    s = project(dict(SEED, **{"config.yaml": cfg}))
    try:
        materia(s, "--gateway", "other", "run")
        assert q(s, "SELECT count(*) AS n FROM s.items", db="other.duckdb") == [{"n": 3}]
        assert not os.path.exists(os.path.join(s.proj, "lake.duckdb"))
        out = materia(s, "config", env={"SQLMESH_GATEWAY": "OTHER"}).stdout
        assert "gateway=other\t(" in out and "SQLMESH_GATEWAY in the environment)" in out, out
        assert f"DUCKDB_PATH={s.proj}/other.duckdb" in out, out
        p = materia(s, "--gateway=nope", "plan", check=1)
        assert "(--gateway): Missing gateway with name 'nope'" in p.stderr, p.stderr
        p = materia(s, "--gateway", "local", "--gateway=other", "run", check=2)
        assert "--gateway given twice: materia runs one gateway" in p.stderr, p.stderr
        p = materia(s, "--gateway", "other", "--version", check=2)
        assert "--gateway is not supported by materia with --version: it reads no project" in p.stderr, p.stderr
    finally:
        s.cleanup()


def test_catalogs_first_entry_is_the_lakehouse():
    # connection.py: the first of `catalogs` is the default catalog, the others are attached
    cfg = ("gateways:\n  local:\n    connection:\n      type: duckdb\n      catalogs:\n"
           "        lh: data/lh.duckdb\n        src:\n          type: duckdb\n          path: src.duckdb\n"
           "          read_only: true\n")
    files = dict(SEED, **{"config.yaml": cfg,
                          "external_models.yaml": "- name: src.raw.t\n  columns:\n    a: INTEGER\n",
                          "models/m.sql": "MODEL (name s.m, kind FULL);\nSELECT sum(a) AS total FROM src.raw.t\n"})
    s = project(files)
    try:
        s.sql(os.path.join(s.proj, "src.duckdb"), "CREATE SCHEMA raw; CREATE TABLE raw.t AS SELECT * FROM range(4) r(a)",
              write=True)
        materia(s, "run")
        assert q(s, "SELECT count(*) AS n FROM s.items", db="data/lh.duckdb") == [{"n": 3}]
        assert q(s, "SELECT total FROM s.m", db="data/lh.duckdb") == [{"total": 6}]
    finally:
        s.cleanup()


def test_catalogs_first_entry_named_unlike_its_file_is_refused():
    # DuckDB names the opened lakehouse's catalog after the file: another name would be
    # accepted by config.yaml and never work in a model's three-part names
    cfg = "gateways:\n  local:\n    connection:\n      type: duckdb\n      catalogs:\n        lake: data/lh.duckdb\n"
    s = project(dict(SEED, **{"config.yaml": cfg}))
    try:
        p = materia(s, "plan", check=1)
        assert "config.yaml:6: first catalog name lake is not supported by materia: DuckDB names the lakehouse's " \
               "catalog after its file (lh)" in p.stderr, p.stderr
    finally:
        s.cleanup()


def test_model_defaults_apply_and_the_model_wins():
    cfg = GATEWAY + ("model_defaults:\n  kind: FULL\n  start: '2024-01-02'\n  audits:\n    - assert_small\n")
    files = dict(SEED, **{
        "config.yaml": cfg,
        # no kind: FULL from the defaults (a table, not a view)
        "models/plain.sql": "MODEL (name s.plain);\nSELECT id, item FROM s.items\n",
        # its own kind wins
        "models/view.sql": "MODEL (name s.v, kind VIEW);\nSELECT id FROM s.items\n",
        # no start: the default 2024-01-02 bounds the intervals, so row 1 (2024-01-01) is not read
        "models/incr.sql": "MODEL (name s.incr, kind INCREMENTAL_BY_TIME_RANGE (time_column day));\n"
                           "SELECT id, day FROM s.items WHERE day BETWEEN @start_ds AND @end_ds\n",
        "audits/sub/small.sql": "AUDIT (name assert_small);\nSELECT * FROM @this_model WHERE 1 = 0\n",
    })
    s = project(files)
    try:
        materia(s, "run")
        kinds = q(s, "SELECT table_schema, table_name, table_type FROM information_schema.tables "
                     "WHERE table_schema = 'materia__s' ORDER BY table_name")
        types = {r["table_name"].split("__")[0]: r["table_type"] for r in kinds}
        assert types["plain"] == "BASE TABLE", types
        assert types["v"] == "VIEW", types
        assert q(s, "SELECT string_agg(id::VARCHAR, ',' ORDER BY id) AS ids FROM s.incr") == [{"ids": "2,3"}]
    finally:
        s.cleanup()
    # the default audit (found in audits/sub/) runs on every model: a failing one stops the run
    files["audits/sub/small.sql"] = "AUDIT (name assert_small);\nSELECT * FROM @this_model WHERE true\n"
    s = project(files)
    try:
        p = materia(s, "run", check=None)
        assert p.returncode == 1 and "assert_small" in p.stderr, p.stderr
    finally:
        s.cleanup()


def test_before_all_and_after_all_run_around_the_models():
    cfg = GATEWAY + ("before_all:\n  - CREATE TABLE IF NOT EXISTS main.log (step VARCHAR, n BIGINT)\n"
                     "  - INSERT INTO main.log SELECT 'before', 0\n"
                     "after_all:\n  - INSERT INTO main.log SELECT 'after', count(*) FROM s.items\n")
    s = project(dict(SEED, **{"config.yaml": cfg}))
    try:
        materia(s, "run")
        assert q(s, "SELECT step, n FROM main.log ORDER BY step DESC") == [
            {"step": "before", "n": 0}, {"step": "after", "n": 3}]
        # a run with nothing to do runs neither (scheduler.py returns NOTHING_TO_DO first)
        materia(s, "run")
        assert q(s, "SELECT count(*) AS n FROM main.log") == [{"n": 2}]
    finally:
        s.cleanup()
    bad = GATEWAY + "before_all:\n  - SELEC 1\n"
    s = project(dict(SEED, **{"config.yaml": bad}))
    try:
        p = materia(s, "run", check=None)
        assert p.returncode == 1
        assert "config.yaml:6: before_all failed:" in p.stderr and "SELEC" in p.stderr, p.stderr
    finally:
        s.cleanup()


def test_variables_reach_the_models():
    # common.py _variables_validator: top-level names lower-case, values keep their YAML type;
    # a gateway's variables override the root's; @gateway is the gateway in use
    cfg = GATEWAY + ("    variables:\n      over: from_gateway\n"
                     "variables:\n  My_Var: 5\n  name: x\n  flag: true\n  ratio: 0.5\n  nothing: null\n"
                     "  over: from_root\n  quoted: '7'\n")
    s = project({"config.yaml": cfg, "models/m.sql":
                 "MODEL (name s.m, kind FULL);\n"
                 "SELECT @VAR('MY_VAR') + 1 AS v, @VAR('name') AS n, @VAR('flag') AS f, @VAR('ratio') * 2 AS r,\n"
                 "  @VAR('nothing') IS NULL AS nul, @VAR('missing', 'd') AS d, @VAR('over') AS o,\n"
                 "  @VAR('quoted') AS qt, @gateway AS g\n"})
    try:
        materia(s, "run")
        assert q(s, "SELECT v, n, f, r, nul, d, o, qt, typeof(qt) AS qtt, g FROM s.m") == [
            {"v": 6, "n": "x", "f": True, "r": 1.0, "nul": True, "d": "d", "o": "from_gateway", "qt": "7",
             "qtt": "VARCHAR", "g": "local"}]
        out = materia(s, "config").stdout
        assert "variables.my_var=5\t(" in out and "variables.over=from_gateway\t(" in out, out
    finally:
        s.cleanup()


def test_linter_noambiguousprojections():
    # linter/rules/builtin.py NoAmbiguousProjections, as `sqlmesh init` enables it
    lint = "linter:\n  enabled: true\n  rules:\n    - ambiguousorinvalidcolumn\n    - noambiguousprojections\n"
    refused({"config.yaml": GATEWAY + lint, "models/m.sql": "MODEL (name s.m, kind FULL);\nSELECT 1 AS a, a + 1\n"},
            "models/m.sql:2: linter noambiguousprojections (")
    refused({"config.yaml": GATEWAY + lint, "models/m.sql": "MODEL (name s.m, kind FULL);\nSELECT 1 AS a, a + 1\n"},
            "Outer projection 'a + 1' must have inferrable names or explicit aliases.")
    refused({"config.yaml": GATEWAY + lint, "models/m.sql": "MODEL (name s.m, kind FULL);\nSELECT 1 AS a, 2 AS a\n"},
            "Found duplicate outer select name 'a'")
    # names sqlglot infers (columns, casts of them, constants) and * pass; warn_rules only warns;
    # ignored_rules or enabled: false turn it off
    ok = "MODEL (name s.m, kind FULL);\nSELECT *, CAST(x AS INT), 3 FROM (SELECT 1 AS x) t\n"
    # (a rule materia does not check is fine where it never runs: disabled, or ignored)
    for cfg in (lint, lint.replace("  rules:", "  warn_rules:"), lint.replace("true", "false") + "    - noselectstar\n",
                lint + "  ignored_rules: [noambiguousprojections, nomissingowner]\n"):
        s = project({"config.yaml": GATEWAY + cfg, "models/m.sql": "MODEL (name s.m, kind FULL);\nSELECT a + 1\n"
                     if "warn" in cfg or "false" in cfg or "ignored" in cfg else ok})
        try:
            p = materia(s, "plan")
            assert ("noambiguousprojections" in p.stderr) == ("warn" in cfg), (cfg, p.stderr)
        finally:
            s.cleanup()


def test_enabled_false_and_inline_audits():
    files = dict(SEED, **{
        "config.yaml": GATEWAY,
        # SQLMesh's loader skips a disabled model: it is not built
        "models/off.sql": "MODEL (name s.off, kind FULL, enabled False);\nSELECT 1 AS a\n",
        # inline audits after the query (docs/concepts/audits.md) and after a SEED header
        "models/m.sql": "MODEL (name s.m, kind FULL, audits (small, positive(column := id)));\n"
                        "SELECT id FROM s.items;\n\n"
                        "AUDIT (name small);\nSELECT * FROM @this_model WHERE id > 100;\n\n"
                        "AUDIT (name positive);\nSELECT * FROM @this_model WHERE @column <= 0;\n",
        "models/seed2.sql": "MODEL (name s.seed2, kind SEED (path '../seeds/items.csv'), audits (few));\n\n"
                            "AUDIT (name few);\nSELECT * FROM @this_model WHERE id > 3;\n",
    })
    s = project(files)
    try:
        out = materia(s, "run").stdout
        assert "s.off" not in out and "3 of 3 models run" in out, out
        assert q(s, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'off'") == [{"n": 0}]
        assert q(s, "SELECT count(*) AS n FROM s.m") == [{"n": 3}]
    finally:
        s.cleanup()
    files["models/m.sql"] = files["models/m.sql"].replace("id > 100", "id > 2")
    s = project(files)
    try:
        p = materia(s, "run", check=1)
        assert "s.m" in p.stderr and "small" in p.stderr, p.stderr
    finally:
        s.cleanup()
    refused({"config.yaml": GATEWAY, "models/m.sql": "MODEL (name s.m, enabled maybe);\nSELECT 1 AS a\n"},
            "models/m.sql:1: expected enabled true or false")


def test_stamp_gateway_and_properties():
    # stamp: SQLMesh makes a new version when it changes
    files = {"config.yaml": GATEWAY, "models/m.sql": "MODEL (name s.m, kind FULL, stamp 'v1');\nSELECT 1 AS a\n"}
    s = project(files)
    try:
        materia(s, "run")
        with open(os.path.join(s.proj, "models", "m.sql"), "w") as f:
            f.write(files["models/m.sql"].replace("v1", "v2"))
        p = materia(s, "plan")
        assert "  changed    s.m" in p.stdout, p.stdout
    finally:
        s.cleanup()
    # a model's own gateway must be the one in use
    s = project({"config.yaml": GATEWAY, "models/m.sql": "MODEL (name s.m, kind FULL, gateway LOCAL);\nSELECT 1 AS a\n"})
    try:
        materia(s, "run")
    finally:
        s.cleanup()
    refused({"config.yaml": GATEWAY, "models/m.sql": "MODEL (name s.m, kind FULL,\n  gateway other);\nSELECT 1 AS a\n"},
            "models/m.sql:2: gateway other is not supported by materia: every model runs on the gateway in use (local)")
    refused({"config.yaml": GATEWAY, "models/m.sql": "MODEL (name s.m, physical_properties (x = 1));\nSELECT 1 AS a\n"},
            "models/m.sql:1: physical_properties is not supported by materia: it writes plain DuckDB tables and views")


def test_incremental_batch_size():
    # scheduler.py batch_intervals: at most batch_size intervals per query
    files = dict(SEED, **{
        "config.yaml": GATEWAY,
        "models/inc.sql": "MODEL (name s.inc, kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 2),\n"
                          "  start '2024-01-27');\n"
                          "SELECT CAST(d AS DATE) AS day, (SELECT count(*) FROM s.items) AS n\n"
                          "FROM generate_series(@start_date, @end_date, INTERVAL 1 DAY) t(d)\n"})
    s = project(files)
    try:
        materia(s, "run", env={"MATERIA_EXECUTION_TIME": "2024-02-01 00:00"})
        batches = q(s, "SELECT strftime(start_ts, '%m-%d') AS s, strftime(end_ts, '%m-%d') AS e "
                       "FROM _materia.intervals WHERE model = 's.inc' ORDER BY start_ts")
        assert batches == [{"s": "01-27", "e": "01-29"}, {"s": "01-29", "e": "01-31"},
                           {"s": "01-31", "e": "02-01"}], batches
        assert q(s, "SELECT count(*) AS n, count(DISTINCT day) AS d FROM s.inc") == [{"n": 5, "d": 5}]
    finally:
        s.cleanup()
    refused({"config.yaml": GATEWAY, "models/m.sql": "MODEL (name s.m, kind INCREMENTAL_BY_TIME_RANGE "
             "(time_column d, batch_size 0));\nSELECT 1 AS d\n"}, "models/m.sql:1: expected batch_size N (N >= 1)")


def test_star_of_models_not_built_yet():
    # columns.c: on a fresh lakehouse the columns of an upstream model come from its query
    # (DuckDB's DESCRIBE over empty stand-ins), as SQLMesh infers them with sqlglot; a seed
    # without `columns` from its CSV
    s = project({"config.yaml": GATEWAY, "seeds/items.csv": SEED["seeds/items.csv"],
                 "models/seed.sql": "MODEL (name s.items, kind SEED (path '../seeds/items.csv'));\n",
                 "models/a.sql": "MODEL (name s.a, kind FULL);\nSELECT id, item * 2 AS twice, day -- note\nFROM s.items\n",
                 "models/b.sql": "MODEL (name s.b, kind FULL);\nSELECT @STAR(s.a, exclude := [day]) FROM s.a\n",
                 "models/c.sql": "MODEL (name s.c, kind FULL);\nSELECT @STAR(s.items) FROM s.items\n"})
    try:
        out = materia(s, "render", "s.b").stdout
        assert '"twice"' in out and '"day"' not in out, out
        materia(s, "run")
        assert q(s, "SELECT * FROM s.b ORDER BY id") == [{"id": 1, "twice": 4}, {"id": 2, "twice": 2},
                                                         {"id": 3, "twice": 2}]
        assert q(s, "SELECT count(*) AS n FROM s.c") == [{"n": 3}]
        # the fingerprint does not move once the tables exist (catalog columns = inferred ones)
        assert "nothing to do" in materia(s, "run", "--full-check").stdout
    finally:
        s.cleanup()


def test_external_models_folder_declares_tables():
    files = {"config.yaml": GATEWAY,
             "external_models/sub/ext.yaml": "- name: ext.t\n  description: made by before_all\n"
                                             "  columns:\n    a: int\n",
             "models/m.sql": "MODEL (name s.m, kind FULL);\nSELECT a FROM ext.t\n"}
    s = project(files)
    try:
        p = materia(s, "dag")
        assert "s.m (FULL) <- ext.t [external]" in p.stdout, p.stdout
    finally:
        s.cleanup()
    # their columns feed @STAR (the table itself is made by before_all here)
    files["config.yaml"] = GATEWAY + ("before_all:\n  - CREATE SCHEMA IF NOT EXISTS ext\n"
                                      "  - CREATE OR REPLACE TABLE ext.t AS SELECT 1 AS a, 'x' AS b, 2 AS c\n")
    files["external_models/sub/ext.yaml"] = "- name: ext.t\n  columns:\n    a: BIGINT\n    b: TEXT\n"
    files["models/m.sql"] = "MODEL (name s.m, kind FULL);\nSELECT @STAR(ext.t) FROM ext.t\n"
    s = project(files)
    try:
        materia(s, "run")
        cols = q(s, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 's' "
                    "AND table_name = 'm' ORDER BY ordinal_position")
        assert [(c["column_name"], c["data_type"]) for c in cols] == [("a", "BIGINT"), ("b", "VARCHAR")], cols
    finally:
        s.cleanup()
    # loader.py: an entry for the gateway in use replaces the gateway-less one; another
    # gateway's entry is not loaded
    files["external_models/sub/ext.yaml"] = ("- name: ext.t\n  columns:\n    a: BIGINT\n"
                                             "- name: ext.t\n  gateway: LOCAL\n  columns:\n    z: INT\n"
                                             "- name: ext.u\n  gateway: prod\n")
    s = project(files)
    try:
        out = materia(s, "render", "s.m").stdout
        assert '"z"' in out and '"a"' not in out, out
    finally:
        s.cleanup()
    files["models/m.sql"] = "MODEL (name s.m, kind FULL);\nSELECT * FROM ext.u\n"
    refused(files, "unknown table 'ext.u'", "dag")
    del files["external_models/sub/ext.yaml"]
    files["models/m.sql"] = "MODEL (name s.m, kind FULL);\nSELECT a FROM ext.t\n"
    refused(files, "unknown table 'ext.t': not a model and not declared in external_models.yaml", "dag")


if __name__ == "__main__":
    main([test_unknown_and_unsupported_keys_are_refused_by_name, test_non_duckdb_type_and_dialect_are_refused,
          test_connection_shape_is_checked, test_external_model_properties_are_refused,
          test_models_folder_without_config_is_refused, test_config_here_and_another_project_dir_is_refused,
          test_environment_wins_over_config_yaml, test_gateway_option, test_catalogs_first_entry_is_the_lakehouse, test_catalogs_first_entry_named_unlike_its_file_is_refused,
          test_model_defaults_apply_and_the_model_wins, test_before_all_and_after_all_run_around_the_models,
          test_variables_reach_the_models, test_linter_noambiguousprojections, test_enabled_false_and_inline_audits,
          test_stamp_gateway_and_properties, test_incremental_batch_size, test_star_of_models_not_built_yet,
          test_external_models_folder_declares_tables])
