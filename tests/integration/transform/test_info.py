"""`materia info MODEL` and the metadata properties it shows (transform/model_meta.c).

SQLMesh keeps metadata out of a model's data hash (sqlmesh/core/model/meta.py ModelMeta:
grains, references, tags, owner, description, project, formatting, optimize_query,
ignored_rules): it changes no row, so here it must be stored and shown, not dropped. The
physical-layout properties a DuckDB table cannot take are refused by name. ignored_rules
also takes effect in the linter (sqlmesh/core/linter/definition.py lint_model)."""
import json
import os
import subprocess

from harness import BIN, Scratch, main

GATEWAY = "gateways:\n  local:\n    connection:\n      type: duckdb\n      database: lake.duckdb\n"
KEEP = ("PATH", "HOME", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS")


def project(files):
    s = Scratch("info")
    s.proj = os.path.join(s.dir, "proj")
    for rel, text in files.items():
        p = os.path.join(s.proj, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    return s


def materia(s, *args, check=0):
    e = {k: v for k, v in os.environ.items() if k in KEEP}
    e["MATERIA_EXECUTION_TIME"] = "2024-03-05 10:00"
    p = subprocess.run([BIN, *args], cwd=s.proj, env=e, capture_output=True, text=True, timeout=600)
    if check is not None and p.returncode != check:
        raise AssertionError(f"materia {' '.join(args)}: exit {p.returncode}, want {check}\n"
                             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


META = ("MODEL (\n  name s.m,\n  kind INCREMENTAL_BY_TIME_RANGE (time_column ds),\n  start '2024-03-01',\n"
        "  owner jen,\n  description 'daily things',\n  tags (pii, 'fact'),\n  grains [id, ds],\n"
        "  references (other_id),\n  project analytics,\n  formatting false,\n  optimize_query false,\n"
        "  ignored_rules [NoAmbiguousProjections],\n  stamp 'v2'\n);\n"
        "SELECT 1 AS id, 7 AS other_id, @start_date AS ds\n")


def test_info_shows_every_metadata_property():
    s = project({"config.yaml": GATEWAY, "models/m.sql": META})
    try:
        before = json.loads(materia(s, "info", "s.m", "--json").stdout)
        # values as SQLMesh's validators read them: tags by name (quotes dropped), grains and
        # references as expressions, ignored_rules lower-cased (LinterConfig._validate_rules)
        want = {"name": "s.m", "kind": "INCREMENTAL_BY_TIME_RANGE", "owner": "jen", "description": "daily things",
                "tags": ["pii", "fact"], "grains": ["id", "ds"], "references": ["other_id"],
                "project": "analytics", "formatting": False, "optimize_query": False,
                "ignored_rules": ["noambiguousprojections"], "stamp": "'v2'", "start": "2024-03-01",
                "live_table": None, "plan": "new", "intervals": []}
        for k, v in want.items():
            assert before[k] == v, (k, before[k], v)
        assert before["file"].endswith("models/m.sql:1"), before["file"]
        assert before["table_name"].startswith('"materia__s"."m__'), before["table_name"]
        materia(s, "run")
        after = json.loads(materia(s, "info", "s.m", "--json").stdout)
        # after a run: the live table is the one the definition builds, with its intervals
        assert after["live_table"] == before["table_name"], (after, before)
        assert after["plan"] == "unchanged", after
        # (the processed range's end is the scheduler's business — test_scheduling.py; here: one
        # range from the model's start)
        assert len(after["intervals"]) == 1 and after["intervals"][0][0] == "2024-03-01 00:00:00", after
        # the text form carries the same facts, one `key value` line each
        text = materia(s, "info", "s.m").stdout.splitlines()
        assert "tags            pii, fact" in text, text
        assert "grains          id, ds" in text, text
    finally:
        s.cleanup()


def test_metadata_changes_no_version():
    # SQLMesh: metadata is not part of the data hash (meta.py; snapshot fingerprint's
    # metadata_hash vs data_hash) — changing it builds no new table
    s = project({"config.yaml": GATEWAY, "models/m.sql": META})
    try:
        materia(s, "run")
        t0 = json.loads(materia(s, "info", "s.m", "--json").stdout)["table_name"]
        with open(os.path.join(s.proj, "models/m.sql"), "w") as f:
            f.write(META.replace("owner jen", "owner ann").replace("(pii, 'fact')", "(pii)")
                    .replace("[id, ds]", "id").replace("project analytics", "project other"))
        t1 = json.loads(materia(s, "info", "s.m", "--json").stdout)
        assert t1["table_name"] == t0 and t1["owner"] == "ann" and t1["tags"] == ["pii"], t1
        assert t1["plan"] == "unchanged", t1
    finally:
        s.cleanup()


def test_ignored_rules_turns_the_linter_rule_off_for_that_model():
    lint = "linter:\n  enabled: true\n  rules:\n    - noambiguousprojections\n"
    bad = "SELECT 1 AS a, a + 1\n"
    for ignored, ok in (("", False), ("  ignored_rules [noambiguousprojections],\n", True),
                        ("  ignored_rules 'ALL',\n", True), ("  ignored_rules [nomissingowner],\n", False)):
        s = project({"config.yaml": GATEWAY + lint,
                     "models/m.sql": "MODEL (\n  name s.m,\n" + ignored + "  kind FULL\n);\n" + bad})
        try:
            p = materia(s, "plan", check=None)
            assert (p.returncode == 0) == ok, (ignored, p.returncode, p.stderr)
            if not ok:
                assert "linter noambiguousprojections" in p.stderr, p.stderr
        finally:
            s.cleanup()


REFUSED = {
    "signals": ("signals [my_signal(x := 1)]", "signals are Python functions"),
    "table_format": ("table_format iceberg", "which have one format"),
    "storage_format": ("storage_format parquet", "one storage format"),
    "clustered_by": ("clustered_by (a)", "DuckDB tables have no clustering key"),
    "physical_version": ("physical_version 'x'", "named by its fingerprint"),
    "physical_schema_override": ("physical_schema_override foo", "materia__<schema>"),
    "grants": ("grants ('select' = ['a'])", "DuckDB has no GRANT"),
    "grants_target_layer": ("grants_target_layer all", "DuckDB has no GRANT"),
    "retention": ("retention 7", "not implemented yet"),
    "virtual_environment_mode": ("virtual_environment_mode dev_only", "mode full"),
}


def test_refused_properties_name_themselves():
    for prop, (text, why) in REFUSED.items():
        s = project({"config.yaml": GATEWAY,
                     "models/m.sql": f"MODEL (\n  name s.m,\n  kind FULL,\n  {text}\n);\nSELECT 1 AS a\n"})
        try:
            p = materia(s, "plan", check=None)
            assert p.returncode == 1, (prop, p.returncode, p.stderr)
            want = f"models/m.sql:4: {prop}"
            assert want in p.stderr and "is not supported by materia" in p.stderr and why in p.stderr, \
                (prop, p.stderr)
        finally:
            s.cleanup()
    # the default mode is accepted: it is what materia builds
    s = project({"config.yaml": GATEWAY,
                 "models/m.sql": "MODEL (name s.m, kind FULL, virtual_environment_mode full);\nSELECT 1 AS a\n"})
    try:
        materia(s, "plan")
    finally:
        s.cleanup()


def test_bad_values_and_unknown_model():
    for text, want in (("formatting maybe", "models/m.sql:1: expected formatting true or false"),
                       ("optimize_query 3", "models/m.sql:1: expected optimize_query true or false")):
        s = project({"config.yaml": GATEWAY, "models/m.sql": f"MODEL (name s.m, kind FULL, {text});\nSELECT 1 AS a\n"})
        try:
            p = materia(s, "plan", check=1)
            assert want in p.stderr, p.stderr
        finally:
            s.cleanup()
    s = project({"config.yaml": GATEWAY, "models/m.sql": "MODEL (name s.m, kind FULL);\nSELECT 1 AS a\n"})
    try:
        p = materia(s, "info", "s.nope", check=1)
        assert "no model named 's.nope'" in p.stderr, p.stderr
        assert materia(s, "info", check=2).returncode == 2
    finally:
        s.cleanup()


if __name__ == "__main__":
    main([test_info_shows_every_metadata_property, test_metadata_changes_no_version,
          test_ignored_rules_turns_the_linter_rule_off_for_that_model, test_refused_properties_name_themselves,
          test_bad_values_and_unknown_model])
