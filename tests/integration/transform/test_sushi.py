"""SQLMesh's examples/sushi (tests/fixtures/sushi, its files unchanged; README there) as a
user brings it: every model is either built with the rows DuckDB gives for the same SQL, or
refused with a message naming the file, the line and the construct (issue 12).

Classification, one line per model of examples/sushi (see CLASSES below, which the test runs):
  (s) stand-in: a Python model, replaced in the fixture by a SEED of the same columns and
      types (gen_standins.py); built, rows checked against the CSV read by Python.
  (a) SQL macros only, every property supported: built by `materia run`; rows and column
      types equal the model's query run directly in DuckDB (`materia sql`, macros expanded
      by hand here) on the same inputs, and `materia render`'s SQL gives the same rows.
  (b) needs Python or Jinja: refused naming file, line and construct. Checked twice: by
      `materia render --query <model file>` (the construct itself), and by `materia run` on a
      copy holding the model, whose first refusal must be one of the model's constructs.
  (c) needs an issue-13 feature: `materia run` refuses it naming the property (the wording
      SQLMesh's users get is recorded: "<property> is not supported by materia" or the
      engine's older "unknown kind/property '<x>'").

  sushi.orders                      (s) orders.py: Python model (INCREMENTAL_BY_TIME_RANGE, pandas)
  sushi.items                       (s) items.py: Python model
  sushi.order_items                 (s) order_items.py: Python model
  sushi.raw_marketing               (s) raw_marketing.py: Python model
  sushi.waiters                     (s) waiters.py: Python model (builds SQL with a Python macro, EMBEDDED)
  sushi.disabled_py                 --  disabled.py: Python model with enabled=False; SQLMesh builds nothing
  sushi.count_customers_active      (a) blueprint.sql: @name/@blueprint_status from `blueprints` (issue 12), FULL
  sushi.count_customers_inactive    (a) blueprint.sql: the second blueprint
  sushi.waiter_revenue_by_day       (c) batch_size 10 (issue 13); its SQL uses only @start_date/@end_date
  sushi.customer_revenue_by_day     (c) dialect hive (no transpiler), batch_size 10
  sushi.customer_revenue_lifetime   (c) dialect hive, batch_size 1 (reads its own rows day by day)
  sushi.active_customers            (c) kind CUSTOM (materialization 'custom_full')
  sushi.latest_order                (c) kind CUSTOM (materialization 'custom_full_with_custom_kind')
  sushi.disabled                    (c) enabled False
  sushi.marketing                   (b) post-statement calls Python macro @assert_has_columns (its kind SCD_TYPE_2
                                        is honoured: test_scd2.py test_sushi_marketing builds it without that)
  sushi.customers                   (b) Python macro @ADD_ONE (its pre-statements are honored); reads marketing.valid_to
  sushi.top_waiters                 (b) Python macros @ADD_ONE, @MULTIPLY, @SQL_LITERAL
  sushi.waiter_as_customer_by_day   (b)+(c) Jinja (JINJA_QUERY_BEGIN, {% %}, {{ }}); signals
  sushi.waiter_names                (b)+(c) audit argument @waiter_names_threshold() (Python); inline AUDIT
                                        blocks; SEED batch_size 5
Project level: config.yaml's default gateway is DuckDB in memory (refused; the copies use
its `duckdb_persistent` gateway, as `sqlmesh --gateway duckdb_persistent` would); its
disabled linter lists rules Materia does not know; external_models.yaml gives raw.demographics
`start` and `audits`; models/*.py files are Python models.

One refused model stops a whole run, so each check runs on its own copy of the fixture
holding only the models it needs: the stand-ins, stand_ins/customers.sql in place of
models/customers.sql where sushi.customers is read, and the model(s) under test.

KNOWN_GAPS lists the checks the current engine fails (each reported to issue 12/13's
owner); such a check prints XFAIL instead of failing the test, and fails it once it passes
("XPASS: remove it from KNOWN_GAPS"), so the list cannot go stale."""
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

from harness import BIN, SRC, Scratch, main

FIXTURE = os.path.join(SRC, "tests", "fixtures", "sushi")
KEEP = ("PATH", "HOME", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS")

# SQLMesh's files, byte for byte: git blob ids at TobikoData/sqlmesh
# 0f192c93ef00f5d0974894c3240e8a24fd09050c (fixture path <- examples/sushi path).
SQLMESH_FILES = {
    "audits/assert_item_price_above_zero.sql": "fba24b22dfa8f6257cd41cc8bf45dc82c35103a4",
    "audits/items.sql": "7b2b7c4f92d7b7b4d209f6ba92285fd9d34dcc9e",
    "audits/order_items.sql": "cb8b5737e09b0dbbb09c2a9ae29297f367dad387",
    "audits/raw_demographics.sql": "de33d52b840494a984e813ce0232148a4b8e295e",
    "data/.keep": "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
    "external_models.yaml": "c83446a7728eb534f916db57e986baf28e9375b3",
    "external_models/model1/model1.yaml": "074f47b2e9ca4a8c0bbf75ec19183d38d74cd3fd",
    "external_models/model2/model2.yaml": "bf5038ce3dea9c22014514da6a9298dfd91000ba",
    "external_models/prod.yaml": "ceb733ab4ce895cd6a71c928211c8123acbe4276",
    "helper.py": "9a853b0903b9014e3bbb667df5255d59f733147b",
    "macros/__init__.py": "749326c4d3fcfa887d813184d5fc0bf9bb61500c",
    "macros/macros.py": "763f6d62b264ef27d27622ae167cde70bef1b06a",
    "macros/macros.sql": "8635b85c73bbffdca7e42e67843afb013fbf7c41",
    "macros/utils.py": "fb2ccc21b06bb6c1823e814ea639a7190bcbc948",
    "tests/test_customer_revenue_by_day.yaml": "5c7cc8ce59f04723a1985be482ed8eb560b6eae4",
    "tests/test_customer_revenue_lifetime.yaml": "8d2365933251acc1111d48fdc1183e4300e18715",
    "tests/test_order_items.yaml": "b767be64929f87d3216db8385ea6e150142cb4c4",
    "models/active_customers.sql": "813f5e82cdf7dc07ca6145e0afd1024f336b9d77",
    "models/blueprint.sql": "54f797dba4c90595b7c33e3e174179f24e5411f1",
    "models/customer_revenue_by_day.sql": "248af2db8d17808340a8edb8dbb948653c1ee717",
    "models/customer_revenue_lifetime.sql": "3bf398f152ba020844dd25898adfcf08b3198593",
    "models/customers.sql": "d2bda09ed32f0e54a8fb7f324670d1e61255bec1",
    "models/disabled.sql": "e97fcfbf6adf259bbbea71986128844ae14b330e",
    "models/latest_order.sql": "45235375050c4e85c3d8188721026b4f6266317e",
    "models/marketing.sql": "445fbf778795f43bf6d1f531c51cc250beab2cb6",
    "models/top_waiters.sql": "892d76aa4e521b1c965311bf79ae7563ace23d77",
    "models/waiter_as_customer_by_day.sql": "dd9f79b5a3b7e00c7ab3e0cd998a66abb6d68937",
    "models/waiter_names.sql": "9410364a29390c052eae7438641087bac7c5ec0c",
    "models/waiter_revenue_by_day.sql": "c01a6b20e38abbc6609c48f0f2ea0fbeee0eb481",
    "python_models/disabled.py": "1ed1058d1cc1fbe35c20a4a263c47cc9cab7c80a",   # models/disabled.py
    "python_models/items.py": "54c9442dc577eb99203610f133b6f18d787cc898",      # models/items.py
    "python_models/order_items.py": "9d4dc551e3c629bc6e14c3de51b5b493117f9515",  # models/order_items.py
    "python_models/orders.py": "8d8718a3e360d6041174a6b056dbffbed0eede99",     # models/orders.py
    "python_models/raw_marketing.py": "b17c4718955f80cccf2a63e2243801a2c094d9e2",  # models/raw_marketing.py
    "python_models/waiters.py": "f9e26eda82ed8b1e7adccc8858fbdf667b6cd789",    # models/waiters.py
    "seeds/waiter_names.csv": "9db14cbb988bf26df8e9b5f9e01584b7adf541b5",
}

# The stand-ins (model file under models/ → its CSV under seeds/).
STANDINS = ["orders.sql", "items.sql", "order_items.sql", "raw_marketing.sql", "waiters.sql"]

# A construct a model needs that Materia cannot run: (label, lines it may be reported at,
# regex the message after "file:line: " must match).
def _kind(k):
    return (f"kind {k}", {3}, rf"^(unknown kind '{k}'|(kind )?{k}\b.* is not supported by materia)")


def _prop(p, lines):
    return (p, lines, rf"^(unknown (\w+ )?property '{p}'|{p}\b.* is not supported by materia)")


def _pymacro(name, lines):
    return (f"Python macro @{name}", lines, rf"^Python macro @{name} is not supported by materia")


# (b)/(c): model file → (other model files its copy holds, [constructs, any of which may be
# the one `materia run` refuses first]). The other files are the model's dependencies that
# Materia builds (refused dependencies are left out: a model's own refusal comes first).
REFUSED = {
    "waiter_revenue_by_day.sql": ([], [_prop("batch_size", {6})]),
    "customer_revenue_by_day.sql": ([], [_prop("dialect hive", {10}), _prop("batch_size", {6})]),
    "customer_revenue_lifetime.sql": ([], [_prop("dialect hive", {14}), _prop("batch_size", {10})]),
    "active_customers.sql": (["customers"], [_kind("CUSTOM")]),
    "latest_order.sql": ([], [_kind("CUSTOM")]),
    "disabled.sql": ([], [_prop("enabled", {3})]),
    "marketing.sql": ([], [_pymacro("assert_has_columns", {17})]),
    "customers.sql": ([], [_pymacro("add_one", {37})]),  # its pre-statements are honored (statements.c)
    "top_waiters.sql": (["waiter_revenue_by_day.sql"], [_pymacro("add_one", {13})]),
    "waiter_as_customer_by_day.sql": (["customers"], [
        _prop("signals", {12}), ("Jinja", {18, 20}, r"^Jinja .* is not supported by materia")]),
    "waiter_names.sql": ([], [_pymacro("waiter_names_threshold", {12}), _prop("batch_size", {5}),
                              ("inline AUDIT", {17, 22, 27}, r"^(inline )?AUDIT\b.* is not supported by materia")]),
}

# (b): what `materia render --query models/<file>` must refuse (line, regex).
PYTHON_OR_JINJA = {
    "top_waiters.sql": (13, r"^Python macro @add_one is not supported by materia"),
    "customers.sql": (37, r"^Python macro @add_one is not supported by materia"),
    "marketing.sql": (17, r"^Python macro @assert_has_columns is not supported by materia"),
    "waiter_names.sql": (12, r"^Python macro @waiter_names_threshold is not supported by materia"),
    "waiter_as_customer_by_day.sql": (20, r"^Jinja \(\{%\) is not supported by materia"),
}

# Checks the current engine fails; see the module docstring.
KNOWN_GAPS = {}


class Gaps:
    """Collects check results: a failure listed in KNOWN_GAPS prints XFAIL, a pass listed
    there is an error (XPASS), any other failure is an error."""

    def __init__(self):
        self.errors = []

    def check(self, name, ok, detail):
        if ok and name in KNOWN_GAPS:
            self.errors.append(f"XPASS {name}: passes now; remove it from KNOWN_GAPS ({detail})")
        elif ok:
            print(f"  ok    {name}: {detail}", flush=True)
        elif name in KNOWN_GAPS:
            print(f"  XFAIL {name}: {detail}\n        known gap: {KNOWN_GAPS[name]}", flush=True)
        else:
            self.errors.append(f"FAIL {name}: {detail}")

    def done(self):
        if self.errors:
            raise AssertionError("\n".join(self.errors))


# ---- running materia ----

def clean_env():
    return {k: v for k, v in os.environ.items() if k in KEEP}


def materia(cwd, *args, input=None):
    return subprocess.run([BIN, *args], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                          timeout=600, input=input)


def refusal(p):
    """(file, line, message) of the `materia: file:line: message` error p printed, or None."""
    for line in reversed(p.stderr.splitlines()):
        m = re.match(r"^materia: (.+?):(\d+): (.*)$", line)
        if m:
            return m.group(1), int(m.group(2)), m.group(3)
    return None


def sql(s, db, query, write=False):
    args = ["sql", "--json"] + (["--write"] if write else []) + [db, query]
    p = materia(s.dir, *args)
    if p.returncode != 0:
        raise AssertionError(f"materia sql {db}: exit {p.returncode}\n{query}\n{p.stderr}")
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


# ---- the fixture and its copies ----

def read(rel):
    with open(os.path.join(FIXTURE, rel)) as f:
        return f.read()


def model_header(text):
    """(name, seed path or None, [(column, type)]) of a SEED stand-in model file."""
    name = re.search(r"^\s*name\s+([\w.]+)", text, re.M).group(1)
    path = re.search(r"path\s+'([^']+)'", text)
    cols = re.search(r"columns \(\n(.*?)\n  \)", text, re.S)
    pairs = [tuple(c.strip().rstrip(",").split(None, 1)) for c in cols.group(1).splitlines()] if cols else []
    return name, path.group(1) if path else None, pairs


def model_query(text):
    """The query of a model file: what follows its MODEL (...); header."""
    i = text.index("\n);\n")
    return text[i + 4:].strip().rstrip(";")


def project(s, name, models, customers=False, gateway="duckdb_persistent", linter=False, external_yaml=False,
            python=()):
    """A copy of the fixture named name holding models/: the stand-ins and the given model
    files; customers: stand_ins/customers.sql as models/customers.sql; python: files of
    python_models/ to put in models/. config.yaml gets default_gateway: gateway and, unless
    linter, loses its linter block; external_models.yaml stays only if external_yaml."""
    proj = os.path.join(s.dir, name)
    shutil.copytree(FIXTURE, proj, ignore=shutil.ignore_patterns("__pycache__"))
    keep = set(STANDINS) | set(models)
    for f in os.listdir(os.path.join(proj, "models")):
        if f not in keep:
            os.remove(os.path.join(proj, "models", f))
    if customers:
        shutil.copy(os.path.join(proj, "stand_ins", "customers.sql"), os.path.join(proj, "models", "customers.sql"))
    for f in python:
        shutil.copy(os.path.join(proj, "python_models", f), os.path.join(proj, "models", f))
    shutil.rmtree(os.path.join(proj, "stand_ins"))
    shutil.rmtree(os.path.join(proj, "python_models"))
    if not external_yaml:
        os.remove(os.path.join(proj, "external_models.yaml"))
    cfg = os.path.join(proj, "config.yaml")
    with open(cfg) as f:
        text = f.read()
    text = text.replace("\ndefault_gateway: duckdb\n", f"\ndefault_gateway: {gateway}\n")
    if not linter:
        text = re.sub(r"\nlinter:\n(  .*\n)+", "\n", text)
    with open(cfg, "w") as f:
        f.write(text)
    return proj


def lakehouse(proj):
    return os.path.join(proj, "data", "duckdb.db")


def reference_db(s):
    """A DuckDB file holding the stand-in tables loaded straight from their CSVs, with the
    types their model files declare: the inputs for the reference queries."""
    db = os.path.join(s.dir, "reference.duckdb")
    if os.path.exists(db):
        return db
    stmts = ["CREATE SCHEMA sushi"]
    for f in STANDINS + ["../stand_ins/customers.sql"]:
        name, path, cols = model_header(read(os.path.join("models", f)))
        csv_path = os.path.normpath(os.path.join(FIXTURE, "models", path))
        spec = ", ".join(f"'{c}': '{t}'" for c, t in cols)
        stmts.append(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{csv_path}', header = true, columns = {{{spec}}})")
    sql(s, db, ";\n".join(stmts), write=True)
    return db


def norm(rows):
    """Rows as sorted tuples; doubles rounded (DuckDB may sum in another order)."""
    def v(x):
        return round(x, 9) if isinstance(x, float) else x
    return sorted((tuple(v(x) for x in r.values()) for r in rows), key=repr)


def same_as_reference(s, proj, table, query):
    """'' when table in proj's lakehouse has the rows and column types of query run in the
    reference database; else what differs."""
    ref = reference_db(s)
    lake = lakehouse(proj)
    got_t = [(r["column_name"], r["column_type"]) for r in sql(s, lake, f"DESCRIBE SELECT * FROM {table}")]
    want_t = [(r["column_name"], r["column_type"]) for r in sql(s, ref, f"DESCRIBE {query}")]
    if got_t != want_t:
        return f"columns {got_t}, DuckDB gives {want_t}"
    got = norm(sql(s, lake, f"SELECT * FROM {table}"))
    want = norm(sql(s, ref, query))
    if not want:
        return "the reference query gives no rows (the check would prove nothing)"
    if got != want:
        return f"{len(got)} rows, DuckDB gives {len(want)}; first differences: " \
               f"{[r for r in got if r not in want][:3]} vs {[r for r in want if r not in got][:3]}"
    return ""


def interval(s, proj, model):
    """The [start, end) the last run processed for an incremental model, as timestamps, and
    its batches: `days` the longest batch in days, `n` how many."""
    rows = sql(s, lakehouse(proj), "SELECT strftime(start_ts, '%Y-%m-%d %H:%M:%S') AS s, "
               "strftime(end_ts - INTERVAL 1 MICROSECOND, '%Y-%m-%d') AS last_day, "
               "strftime(end_ts, '%Y-%m-%d %H:%M:%S.%f') AS e, "
               "date_diff('day', start_ts, end_ts - INTERVAL 1 MICROSECOND) + 1 AS days "
               f"FROM _materia.intervals WHERE model = '{model}' ORDER BY start_ts")
    assert rows, model
    return dict(rows[0], last_day=rows[-1]["last_day"], e=rows[-1]["e"], n=len(rows),
                days=max(r["days"] for r in rows))


# ---- the checks ----

def git_blob(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_fixture_is_sqlmesh_unchanged():
    for rel, blob in SQLMESH_FILES.items():
        with open(os.path.join(FIXTURE, rel), "rb") as f:
            assert git_blob(f.read()) == blob, f"{rel} differs from SQLMesh's ({blob})"
    readme = read("README.md")
    ours = set()
    for d, _, files in os.walk(FIXTURE):
        for f in files:
            rel = os.path.relpath(os.path.join(d, f), FIXTURE)
            if rel not in SQLMESH_FILES and "__pycache__" not in rel:
                ours.add(rel)
                assert f"`{rel}`" in readme, f"README.md does not list {rel}, which is not SQLMesh's"
    # the stand-in CSVs are what gen_standins.py writes
    sys.path.insert(0, FIXTURE)
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    try:
        import gen_standins
    finally:
        sys.path.pop(0)
    for name, (header, rows) in gen_standins.generate().items():
        with open(os.path.join(FIXTURE, "seeds", name), newline="") as f:
            got = list(csv.reader(f))
        assert got[0] == list(header) and got[1:] == [[str(x) for x in r] for r in rows], \
            f"seeds/{name} is not what gen_standins.py writes: run it"
        assert f"seeds/{name}" in ours


def test_standins_built_from_their_csvs():
    s = Scratch("sushi")
    gaps = Gaps()
    try:
        proj = project(s, "standins", [], customers=True)
        p = materia(proj, "run")
        assert p.returncode == 0, p.stderr
        for f in STANDINS + ["customers.sql"]:
            name, path, cols = model_header(read(os.path.join("models" if f != "customers.sql" else "stand_ins", f)))
            with open(os.path.normpath(os.path.join(FIXTURE, "models", path)), newline="") as fh:
                rows = list(csv.DictReader(fh))
            conv = {"INT": int, "DOUBLE": float}
            want = sorted((tuple(None if r[c] == "" else conv.get(t, str)(r[c]) for c, t in cols) for r in rows),
                          key=repr)
            got = sql(s, lakehouse(proj), f"SELECT * FROM {name}")
            got = sorted((tuple(r.values()) for r in got), key=repr)
            types = [(r["column_name"], r["column_type"]) for r in
                     sql(s, lakehouse(proj), f"DESCRIBE SELECT * FROM {name}")]
            duck = {"INT": "INTEGER", "TEXT": "VARCHAR"}
            want_types = [(c, duck.get(t, t)) for c, t in cols]
            gaps.check(f"stand-in {name}", got == want and types == want_types,
                       f"{len(got)} rows as {path}" if got == want and types == want_types
                       else f"types {types} (want {want_types}); {len(got)} rows, {len(want)} in the CSV")
    finally:
        s.cleanup()
    gaps.done()


def test_class_a_sql_macros_only():
    """blueprint.sql: one model per blueprint, rows = its query with @blueprint_status set."""
    s = Scratch("sushi")
    gaps = Gaps()
    try:
        proj = project(s, "class-a", ["blueprint.sql"], customers=True)
        p = materia(proj, "run")
        if p.returncode != 0:
            gaps.check("class a: blueprint.sql", False, f"materia run: exit {p.returncode}: {p.stderr.strip()}")
        else:
            query = model_query(read("models/blueprint.sql"))
            diffs = []
            for table, status in (("sushi.count_customers_active", "active"),
                                  ("sushi.count_customers_inactive", "inactive")):
                ref = query.replace("@blueprint_status", f"'{status}'")
                d = same_as_reference(s, proj, table, ref)
                if not d:  # materia render gives SQL with the same rows
                    r = materia(proj, "render", table)
                    d = f"render: {r.stderr.strip()}" if r.returncode else \
                        same_as_reference(s, proj, table, r.stdout.strip().rstrip(";"))
                if d:
                    diffs.append(f"{table}: {d}")
            gaps.check("class a: blueprint.sql", not diffs, "; ".join(diffs) or
                       "count_customers_active/_inactive equal DuckDB's rows for the same SQL")
    finally:
        s.cleanup()
    gaps.done()


def test_class_b_python_and_jinja_refused_by_render():
    s = Scratch("sushi")
    gaps = Gaps()
    try:
        for f, (line, rx) in PYTHON_OR_JINJA.items():
            path = os.path.join(FIXTURE, "models", f)
            p = materia(s.dir, "render", "--query", path)
            r = refusal(p)
            ok = p.returncode == 1 and r is not None and r[0] == path and r[1] == line and re.search(rx, r[2])
            gaps.check(f"render: {f}", bool(ok),
                       f"{os.path.basename(r[0])}:{r[1]}: {r[2]}" if r else f"exit {p.returncode}: {p.stderr.strip()}")
    finally:
        s.cleanup()
    gaps.done()


def test_class_bc_refused_by_run():
    s = Scratch("sushi")
    gaps = Gaps()
    try:
        for f, (deps, constructs) in REFUSED.items():
            name = f"run: {f}"
            proj = project(s, f[:-4], [f] + [d for d in deps if d.endswith(".sql")], customers="customers" in deps)
            p = materia(proj, "run")
            r = refusal(p)
            if p.returncode == 0:
                # built: a gap unless the property is honoured (enabled False: not built)
                detail = "built, not refused"
                if f == "disabled.sql":
                    built = sql(s, lakehouse(proj), "SELECT count(*) AS n FROM information_schema.tables "
                                "WHERE table_schema = 'sushi' AND table_name = 'disabled'")[0]["n"]
                    gaps.check(name, built == 0, "not built (enabled False honoured)" if not built
                               else "sushi.disabled built although enabled False")
                    continue
                if f == "waiter_revenue_by_day.sql":
                    # what SQLMesh would build, batches aside: the rows DuckDB gives
                    iv = interval(s, proj, "sushi.waiter_revenue_by_day")
                    ref = model_query(read("models/" + f)) \
                        .replace("@start_date", f"CAST('{iv['s'][:10]}' AS DATE)") \
                        .replace("@end_date", f"CAST('{iv['last_day']}' AS DATE)")
                    d = same_as_reference(s, proj, "sushi.waiter_revenue_by_day", ref)
                    # batch_size 10 honoured: batches of at most 10 daily intervals
                    detail = f"built in {iv['n']} batch(es) of at most {iv['days']} days ({iv['s']} .. {iv['e']}); " \
                        + "rows " + ("equal DuckDB's for the same SQL" if not d else f"differ from DuckDB's: {d}")
                    gaps.check(name, iv["days"] <= 10 and iv["n"] > 1 and not d, detail)
                    continue
                gaps.check(name, False, detail)
                continue
            if r is None:
                gaps.check(name, False, f"exit {p.returncode} without a file:line refusal: {p.stderr.strip()}")
                continue
            where = os.path.join(proj, "models", f)
            hit = [c for c in constructs if r[0] == where and r[1] in c[1] and re.search(c[2], r[2])]
            gaps.check(name, bool(hit), f"{f}:{r[1]}: {r[2]}" + (f"  [{hit[0][0]}]" if hit else
                       f"  (file {r[0]}; wanted one of {[c[0] for c in constructs]})"))
    finally:
        s.cleanup()
    gaps.done()


def test_project_level():
    s = Scratch("sushi")
    gaps = Gaps()
    try:
        # config.yaml as committed: the default gateway is DuckDB in memory
        proj = project(s, "config", [], gateway="duckdb", linter=True, external_yaml=True)
        r = refusal(materia(proj, "plan"))
        gaps.check("project: in-memory default gateway", r is not None and r[0].endswith("/config.yaml")
                   and r[1] in (6, 7) and "is not supported by materia" in r[2], f"config.yaml:{r[1]}: {r[2]}" if r else "?")
        # the linter is disabled: its rules change nothing in SQLMesh
        proj = project(s, "linter", [], linter=True)
        p = materia(proj, "plan")
        r = refusal(p)
        gaps.check("project: a disabled linter's rules", p.returncode == 0,
                   "accepted" if p.returncode == 0 else f"config.yaml:{r[1]}: {r[2]}" if r else p.stderr.strip())
        # external_models.yaml: raw.demographics has start and audits
        proj = project(s, "external", [], external_yaml=True)
        r = refusal(materia(proj, "plan"))
        ok = r is not None and r[0].endswith("/external_models.yaml") and (
            (r[1] == 4 and re.search(r"'?start'? is not supported by materia", r[2])) or
            (r[1] == 6 and re.search(r"audits.* is not supported by materia", r[2])))
        gaps.check("project: external_models.yaml start/audits", bool(ok),
                   f"external_models.yaml:{r[1]}: {r[2]}" if r else "?")
        # a Python model in models/ (SQLMesh's orders.py in place of the stand-in)
        proj = project(s, "python", ["waiter_revenue_by_day.sql"], python=["orders.py"])
        os.remove(os.path.join(proj, "models", "orders.sql"))
        p = materia(proj, "plan")
        r = refusal(p)
        ok = r is not None and r[0].endswith("/models/orders.py") and "is not supported by materia" in r[2]
        gaps.check("project: models/*.py", bool(ok), f"{os.path.basename(r[0])}:{r[1]}: {r[2]}" if r
                   else f"exit {p.returncode}: {p.stderr.strip()}")
    finally:
        s.cleanup()
    gaps.done()


if __name__ == "__main__":
    main([test_fixture_is_sqlmesh_unchanged, test_standins_built_from_their_csvs, test_class_a_sql_macros_only,
          test_class_b_python_and_jinja_refused_by_render, test_class_bc_refused_by_run, test_project_level])
