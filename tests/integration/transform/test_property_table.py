"""docs/SQLMESH_PROPERTIES.md cannot drift: every SQLMesh model property and kind has a row,
and every row's claim is tried on the engine.

The reference is SQLMesh's own model reference, bundled byte for byte
(tests/fixtures/sqlmesh_reference: docs/reference/model_configuration.md — each
"| `property` |" row, keyed by the section it is in — and docs/concepts/models/model_kinds.md —
each "## KIND" heading). For each row of our table:
  - the Proof names test functions that exist (file::function);
  - honored / metadata: the Accepted example, as a one-model project, passes `materia run`;
  - the Refused example (refused rows; honored rows may have one for values that are not
    supported, e.g. `dialect bigquery`) fails `materia plan` with
    "m.sql:LINE: ... <property> ... is not supported by materia".
Examples are MODEL properties (without `name`); the model's query is QUERY below, and a
seed file seed.csv sits next to the model (SEED examples name it). An example starting with
"config: " is config.yaml text instead ("\\n" for a line break; the model is then FULL), and its
refusal names config.yaml:LINE."""
import os
import re
import subprocess

from harness import BIN, SRC, Scratch, main

TABLE = os.path.join(SRC, "docs", "SQLMESH_PROPERTIES.md")
REF = os.path.join(SRC, "tests", "fixtures", "sqlmesh_reference")
GATEWAY = "gateways:\n  local:\n    connection:\n      type: duckdb\n      database: lake.duckdb\n"
KEEP = ("PATH", "HOME", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS")
QUERY = ("SELECT 1 AS id, DATE '2024-01-01' AS ds, '2024-01-01' AS ds_text, 'a' AS status, "
         "TIMESTAMP '2024-01-01 00:00:00' AS updated_at, 7 AS other_id\n")
SEED_CSV = "id,ds,status\n1,2024-01-01,a\n2,2024-01-02,b\n"
STATUSES = ("honored", "metadata", "refused")
KIND_HEADINGS = {"SCD Type 2": ["SCD_TYPE_2", "SCD_TYPE_2_BY_TIME", "SCD_TYPE_2_BY_COLUMN"]}


def reference_rows():
    """{(section, property)} from SQLMesh's reference docs."""
    want = set()
    section = None
    with open(os.path.join(REF, "model_configuration.md")) as f:
        for line in f:
            h = re.match(r"^#{2,6}\s+(.*?)\s*$", line)
            if h:
                section = h.group(1).replace("`", "")
                continue
            r = re.match(r"^\|\s*`([a-z_]+)`\s*\|", line)
            if r:
                want.add((section, r.group(1)))
    with open(os.path.join(REF, "model_kinds.md")) as f:
        for line in f:
            h = re.match(r"^## (.*?)\s*$", line)
            if h:
                for k in KIND_HEADINGS.get(h.group(1), [h.group(1)]):
                    want.add(("Model kinds", k))
    return want


def cell(text):
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == "`" and text[-1] == "`" else text


def table_rows():
    rows = []
    with open(TABLE) as f:
        for n, line in enumerate(f, 1):
            if not line.startswith("| ") or line.startswith("| Section") or line.startswith("|---"):
                continue
            parts = [p for p in re.split(r"(?<!\\)\|", line.rstrip("\n"))[1:-1]]
            assert len(parts) == 6, f"{TABLE}:{n}: expected 6 cells, got {len(parts)}: {line!r}"
            section, prop, status, accepted, refused, proof = (cell(p).replace("\\|", "|") for p in parts)
            rows.append(dict(line=n, section=section, prop=prop, status=status, accepted=accepted,
                             refused=refused, proof=proof))
    return rows


def project(example):
    s = Scratch("proptable")
    s.proj = os.path.join(s.dir, "proj")
    os.makedirs(os.path.join(s.proj, "models"))
    config = GATEWAY
    if example.startswith("config: "):
        config += example[len("config: "):].replace("\\n", "\n") + "\n"
        example = "kind FULL"
    with open(os.path.join(s.proj, "config.yaml"), "w") as f:
        f.write(config)
    with open(os.path.join(s.proj, "models", "seed.csv"), "w") as f:
        f.write(SEED_CSV)
    query = "" if re.search(r"kind\s+(SEED|EXTERNAL)\b", example) else QUERY
    if re.search(r"kind\s+(INCREMENTAL|SCD)", example) and "start " not in example:
        example += ",\n  start '2024-01-01'"  # (without one, intervals start in 1970: 19,700 days)
    with open(os.path.join(s.proj, "models", "m.sql"), "w") as f:
        f.write(f"MODEL (\n  name s.m,\n  {example}\n);\n{query}")
    return s


def materia(s, *args):
    e = {k: v for k, v in os.environ.items() if k in KEEP}
    e["MATERIA_EXECUTION_TIME"] = "2024-01-03 00:00"
    return subprocess.run([BIN, *args], cwd=s.proj, env=e, capture_output=True, text=True, timeout=600)


def test_every_reference_property_has_one_row():
    have = {}
    for r in table_rows():
        key = (r["section"], r["prop"])
        assert key not in have, f"{TABLE}:{r['line']}: {key} also on line {have[key]}"
        have[key] = r["line"]
    missing = sorted(reference_rows() - set(have))
    assert not missing, "rows missing from docs/SQLMESH_PROPERTIES.md:\n" + "\n".join(
        f"  | {s} | `{p}` |" for s, p in missing)


def test_rows_are_well_formed_and_proofs_exist():
    for r in table_rows():
        where = f"{TABLE}:{r['line']} ({r['prop']})"
        assert r["status"] in STATUSES, f"{where}: status {r['status']!r}, expected one of {STATUSES}"
        if r["status"] == "refused":
            assert r["refused"] and not r["accepted"], f"{where}: a refused row has only a refused example"
        else:
            assert r["accepted"], f"{where}: an {r['status']} row needs an accepted example"
        assert r["proof"], f"{where}: no proof"
        for proof in r["proof"].replace("`", "").split(", "):
            path, _, fn = proof.partition("::")
            full = os.path.join(SRC, path)
            assert os.path.isfile(full) and fn, f"{where}: proof {proof!r}: no such file or no ::function"
            with open(full) as f:
                assert re.search(rf"^def {re.escape(fn)}\(", f.read(), re.M), f"{where}: {path} has no def {fn}("


def test_accepted_examples_run():
    failures = []
    for r in table_rows():
        if not r["accepted"]:
            continue
        s = project(r["accepted"])
        try:
            p = materia(s, "run")
            if p.returncode != 0:
                failures.append(f"{TABLE}:{r['line']} {r['prop']}: `{r['accepted']}`: exit {p.returncode}\n"
                                f"{p.stderr.strip()}")
        finally:
            s.cleanup()
    assert not failures, "\n".join(failures)


def test_refused_examples_are_refused_by_name():
    failures = []
    for r in table_rows():
        if not r["refused"]:
            continue
        s = project(r["refused"])
        try:
            p = materia(s, "plan")
            msg = p.stderr.strip()
            # the property's name, or for a config.yaml example its top-level key
            names = [r["prop"]] + re.findall(r"^config: (\w+):", r["refused"])
            where = r"config\.yaml:\d+: " if r["refused"].startswith("config: ") else r"m\.sql:\d+: "
            ok = (p.returncode == 1 and re.search(where, msg) and any(n in msg for n in names)
                  and "is not supported by materia" in msg)
            if not ok:
                failures.append(f"{TABLE}:{r['line']} {r['prop']}: `{r['refused']}`: exit {p.returncode}: {msg}")
        finally:
            s.cleanup()
    assert not failures, "\n".join(failures)


if __name__ == "__main__":
    main([test_every_reference_property_has_one_row, test_rows_are_well_formed_and_proofs_exist,
          test_accepted_examples_run, test_refused_examples_are_refused_by_name])
