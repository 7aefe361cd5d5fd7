"""`materia test`: SQLMesh's YAML unit tests (issue 13; src/transform/unittest.c), checked
against SQLMesh's semantics (sqlmesh/core/test/definition.py):

- sqlmesh init's project (tests/fixtures/sqlmesh_init) passes its tests/test_full_model.yaml
  unchanged;
- a small project exercises the format: inputs as a list, {rows}, {query} and {columns},
  rows from CSV (inline or a file) and from a YAML file; lists and maps for LIST/STRUCT columns;
  types from external_models.yaml; outputs.query and outputs.ctes; partial; vars over
  config.yaml's variables; start/end (a date end covers its day); execution_time freezing
  CURRENT_DATE; row order ignored unless the query has ORDER BY; float tolerance; NULLs;
  NAME selection; and the diff a failure prints (cell by cell, or missing/unexpected rows);
- every refusal names file:line and the key or the reason;
- examples/sushi's three tests (tests/fixtures/sushi/tests, SQLMesh's files) run as SQLMesh
  runs them: the two whose models Materia refuses (dialect hive) fail with that refusal, and
  pass once `dialect hive` is taken out of the model (their SQL is DuckDB's too) — proving
  the CTE check, @start_date/@end_date from vars and a model reading its own rows; the
  order_items test fails because sushi.order_items is a seed stand-in for a Python model;
- our PSD models' own unit tests (tests/test_*.yaml at the top of the source tree) pass."""
import os
import shutil

from harness import SRC, Scratch, main
import test_sushi as sushi

INIT = os.path.join(SRC, "tests", "fixtures", "sqlmesh_init")

CONFIG = """gateways:
  local:
    connection:
      type: duckdb
      database: db.duckdb
default_gateway: local
model_defaults:
  dialect: duckdb
variables:
  min_qty: 1
"""

EXTERNAL = """- name: raw.tagged
  columns:
    id: INT
    tags: INT[]
    props: STRUCT(a INT, b VARCHAR)
- name: raw.orders
  columns:
    id: INT
    qty: INT
    price: DOUBLE
    note: VARCHAR
"""

TOTALS = """MODEL (name shop.totals, kind FULL);
WITH big AS (
  SELECT id, qty * price AS total, note FROM raw.orders WHERE qty >= @min_qty
)
SELECT id, total, note, current_date AS today FROM big
"""

RANKED = """MODEL (name shop.ranked, kind VIEW);
SELECT id, total FROM shop.totals ORDER BY total DESC
"""

DAILY = """MODEL (
  name shop.daily,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day)
);
SELECT day, count(*) AS n FROM raw.events WHERE day BETWEEN @start_ds AND @end_ds GROUP BY day
"""

TAGGED = """MODEL (name shop.tagged, kind VIEW);
SELECT id, tags, props, len(tags) AS n_tags, props.b AS b FROM raw.tagged
"""

SEED = """MODEL (name shop.seeded, kind SEED (path '../seeds/s.csv'), columns (a INT));
"""


def make_project(s, name, tests, extra=None):
    proj = os.path.join(s.dir, name)
    os.makedirs(os.path.join(proj, "models"))
    os.makedirs(os.path.join(proj, "tests"))
    os.makedirs(os.path.join(proj, "seeds"))
    files = {"config.yaml": CONFIG, "external_models.yaml": EXTERNAL + "- name: raw.events\n",
             "models/totals.sql": TOTALS, "models/ranked.sql": RANKED, "models/daily.sql": DAILY,
             "models/seeded.sql": SEED, "models/tagged.sql": TAGGED, "seeds/s.csv": "a\n1\n"}
    files.update({f"tests/{k}": v for k, v in tests.items()})
    files.update(extra or {})
    os.makedirs(os.path.join(proj, "data"))
    for rel, text in files.items():
        with open(os.path.join(proj, rel), "w") as f:
            f.write(text)
    return proj


def test(proj, *names):
    return sushi.materia(proj, "test", *names)


def expect(p, code, *needles):
    out = p.stdout + p.stderr
    assert p.returncode == code, f"exit {p.returncode}, want {code}\n{out}"
    for n in needles:
        assert n in out, f"missing {n!r} in:\n{out}"


def test_sqlmesh_init_unchanged():
    s = Scratch("unittest-init")
    try:
        proj = os.path.join(s.dir, "proj")
        shutil.copytree(INIT, proj)
        p = test(proj)
        expect(p, 0, "tests/test_full_model.yaml::test_example_full_model ... ok", "Ran 1 test: 1 passed, 0 failed")
    finally:
        s.cleanup()


PASSING = """test_totals:
  description: rows as a list, types from external_models.yaml, a CTE, a project variable
  model: shop.totals
  inputs:
    raw.orders:
      - id: 1
        qty: 2
        price: 1.1
      - id: 2
        qty: 0
        price: 5.0
      - id: 3
        qty: 3
        price: 0.1
  outputs:
    ctes:
      big:
        - id: 3
          total: 0.3
        - id: 1
          total: 2.2
    query:
      - id: 1
        total: 2.2000001
        today: 2024-05-06
      - id: 3
        total: 0.30000000000000004
        today: 2024-05-06
  vars:
    execution_time: 2024-05-06 07:08:09
test_totals_vars_and_today:
  model: shop.totals
  inputs:
    raw.orders:
      rows:
        - id: 2
          qty: 0
          price: 5.0
          note: zero
  outputs:
    query:
      rows:
        - id: 2
          total: 0.0
          note: zero
          today: 2024-05-06
  vars:
    min_qty: 0
    execution_time: 2024-05-06 07:08:09
test_partial_and_query_input:
  model: shop.totals
  inputs:
    raw.orders:
      query: SELECT 7 AS id, 2 AS qty, 3.0 AS price
  outputs:
    partial: true
    query:
      - id: 7
        total: 6
test_ordered:
  model: shop.ranked
  inputs:
    shop.totals:
      - id: 1
        total: 1.0
      - id: 2
        total: 3.0
  outputs:
    query:
      - id: 2
        total: 3.0
      - id: 1
        total: 1.0
test_daily_interval:
  model: shop.daily
  inputs:
    raw.events:
      columns:
        day: DATE
      rows:
        - day: 2024-01-01
        - day: 2024-01-02
        - day: 2024-01-02
        - day: 2024-01-03
  outputs:
    query:
      - day: 2024-01-02
        n: 2
      - day: 2024-01-03
        n: 1
  vars:
    start: 2024-01-02
    end: 2024-01-03
"""

CSV = """test_csv_inline:
  model: shop.totals
  inputs:
    raw.orders:
      format: csv
      rows: |
        id,qty,price,note
        1,2,1.5,
        2,1,1.0,two
  outputs:
    partial: true
    query:
      format: csv
      rows: |
        id,total,note
        1,3.0,
        2,1.0,two
test_csv_path_and_yaml_path:
  model: shop.totals
  inputs:
    raw.orders:
      format: csv
      csv_settings:
        sep: ;
      path: data/orders.csv
  outputs:
    partial: true
    query:
      path: data/expected.yaml
"""

NESTED = """test_lists_and_structs:
  model: shop.tagged
  inputs:
    raw.tagged:
      - id: 1
        tags: [3, 1, 2]
        props: {a: 7, b: seven}
      - id: 2
        tags: []
  outputs:
    query:
      - id: 1
        tags: [3, 1, 2]
        props: {a: 7, b: seven}
        n_tags: 3
        b: seven
      - id: 2
        tags: []
        n_tags: 0
"""

FAILING = """test_cell:
  model: shop.totals
  inputs:
    raw.orders:
      - id: 1
        qty: 2
        price: 1.5
  outputs:
    partial: true
    query:
      - id: 1
        total: 3.5
test_rows:
  model: shop.totals
  inputs:
    raw.orders:
      - id: 1
        qty: 2
        price: 1.5
      - id: 2
        qty: 1
        price: 1.0
  outputs:
    partial: true
    query:
      - id: 1
        total: 3.0
test_order_matters:
  model: shop.ranked
  inputs:
    shop.totals:
      - id: 1
        total: 1.0
      - id: 2
        total: 3.0
  outputs:
    query:
      - id: 1
        total: 1.0
      - id: 2
        total: 3.0
test_cte:
  model: shop.totals
  inputs:
    raw.orders:
      - id: 1
        qty: 2
        price: 1.5
  outputs:
    ctes:
      big:
        - id: 1
          total: 4.0
"""


def test_passing_features():
    s = Scratch("unittest-pass")
    try:
        proj = make_project(s, "p", {"test_pass.yaml": PASSING})
        p = test(proj)
        expect(p, 0, "Ran 5 tests: 5 passed, 0 failed")
        # the same tests with execution_time gone: CURRENT_DATE is today, so `today` mismatches
        proj2 = make_project(s, "p2", {"test_pass.yaml": PASSING.replace(
            "    execution_time: 2024-05-06 07:08:09\n", "")})
        expect(test(proj2, "vars_and_today"), 1, "column today: exp 2024-05-06")
        # rows from CSV (inline or a file, csv_settings sep) and from a YAML file (format, path)
        proj3 = make_project(s, "p3", {"test_csv.yaml": CSV}, {
            "data/orders.csv": "id;qty;price\n5;4;0.5\n",
            "data/expected.yaml": "rows:\n  - id: 5\n    total: 2.0\n"})
        expect(test(proj3), 0, "Ran 2 tests: 2 passed, 0 failed")
        # lists and maps for LIST and STRUCT columns
        proj4 = make_project(s, "p4", {"test_nested.yaml": NESTED})
        expect(test(proj4), 0, "Ran 1 test: 1 passed, 0 failed")
        proj5 = make_project(s, "p5", {"test_nested.yaml": NESTED.replace("b: seven\n      - id: 2",
                                                                           "b: eight\n      - id: 2")})
        expect(test(proj5), 1, "row 0, column b: exp eight, act seven")
    finally:
        s.cleanup()


def test_failing_diff_and_selection():
    s = Scratch("unittest-fail")
    try:
        proj = make_project(s, "p", {"test_fail.yaml": FAILING, "test_pass.yaml": PASSING})
        p = test(proj, "test_fail.yaml")
        expect(p, 1, "Ran 4 tests: 0 passed, 4 failed",
               "FAIL: test_cell (tests/test_fail.yaml)\n"
               "  query: Data mismatch (exp: expected, act: actual)\n"
               "    row 0, column total: exp 3.5, act 3.0\n",
               "  query: Data mismatch (rows are different): 1 expected, 2 actual\n"
               "  Unexpected rows:\n"
               "    id | total\n"
               "    2  | 1.0\n",
               "FAIL: test_order_matters",
               "row 0, column id: exp 1, act 2",
               "  CTE big: Data mismatch (exp: expected, act: actual)\n    row 0, column total: exp 4.0, act 3.0")
        # NAME: a substring of path::name, or a glob
        expect(test(proj, "test_ordered"), 0, "Ran 1 test: 1 passed")
        expect(test(proj, "tests/test_*.yaml::test_cel?"), 1, "Ran 1 test: 0 passed, 1 failed")
        assert "test_cell ... FAIL" in test(proj, "*::test_cell").stdout
    finally:
        s.cleanup()


REFUSALS = [
    # (test body lines after `model:`, message after "tests/test_r.yaml:LINE: ")
    ("  model: shop.totals\n  schema: x\n  outputs:\n    query: []\n",
     ":3: schema is not supported by materia: materia builds the fixtures"),
    ("  model: shop.totals\n  gateway: other\n  outputs:\n    query: []\n",
     ":3: gateway is not supported by materia: materia runs every unit test on an in-memory DuckDB"),
    ("  model: shop.totals\n  colour: red\n  outputs:\n    query: []\n",
     ":3: colour is not supported by materia: not a key of SQLMesh's unit test format"),
    ("  model: shop.totals\n  inputs:\n    raw.orders:\n      format: csv\n      csv_settings:\n"
     "        skiprows: 1\n      rows: 'id\\n1'\n  outputs:\n    query: []\n",
     ":7: csv_settings: skiprows is not supported by materia: of pandas' read_csv settings only sep/delimiter"),
    ("  model: shop.totals\n  inputs:\n    raw.orders:\n      format: csv\n      csv_settings: ';'\n"
     "      rows: 'id\\n1'\n  outputs:\n    query: []\n",
     ":6: csv_settings must be a map of read_csv settings"),
    ("  model: shop.totals\n  inputs:\n    raw.orders:\n      rows:\n        - id: 1\n      columns:\n"
     "        id: ~\n  outputs:\n    query: []\n",
     ":8: the type of column 'id' must be a type name"),
    ("  model: shop.totals\n  inputs:\n    raw.orders:\n      format: parquet\n      rows: 'id\\n1'\n"
     "  outputs:\n    query: []\n",
     ":5: Unsupported data format 'parquet'"),
    ("  model: shop.totals\n  outputs:\n    partial: maybe\n    query: []\n",
     ":4: outputs: partial must be true or false, not 'maybe'"),
    ("  model: shop.totals\n  outputs:\n    query:\n      rows: []\n      partial: 1\n",
     ":6: outputs: partial must be true or false, not '1'"),
    ("  model: shop.totals\n  outputs:\n    query: []\n    expected: 1\n",
     ":5: outputs: expected is not supported by materia"),
    ("  model: shop.totals\n  outputs:\n    query: []\n  vars:\n    start_ds: '2024-01-01'\n",
     ":6: vars: start_ds is not supported by materia: set the time with start, end and execution_time"),
    ("  model: shop.seeded\n  outputs:\n    query: []\n",
     ":2: Model 'shop.seeded' is an unsupported model type for testing"),
    ("  model: shop.nothing\n  outputs:\n    query: []\n",
     ":2: Model 'shop.nothing' was not found"),
    ("  model: shop.ranked\n  inputs:\n    raw.orders:\n      - id: 1\n  outputs:\n    query: []\n",
     ":3: Incomplete test, missing input model 'shop.totals'"),
    ("  model: shop.totals\n  inputs:\n    raw.orders:\n      - id: 1\n        colour: red\n  outputs:\n    query: []\n",
     "Detected unknown column(s)\n\nExpected column(s): id, qty, price, note\nUnknown column(s): colour"),
    ("  model: shop.daily\n  inputs:\n    raw.events:\n      - day: null\n  outputs:\n    query: []\n",
     ":5: Failed to infer the data type of column 'day' for 'raw.events'"),
    ("  model: shop.totals\n  inputs:\n    raw.orders:\n      - id: 1\n", ":1: Incomplete test, missing outputs"),
    ("  model: shop.totals\n  outputs:\n    ctes:\n      nope: []\n", ":5: No CTE named nope found in model"),
    ("  model: shop.totals\n  inputs:\n    raw.orders: []\n  outputs:\n    query:\n      - id: 1\n        price: 2\n",
     "Detected unknown column(s)\n\nExpected column(s): id, total, note, today\nUnknown column(s): price"),
]


def test_refusals():
    s = Scratch("unittest-refuse")
    try:
        for k, (body, msg) in enumerate(REFUSALS):
            proj = make_project(s, f"r{k}", {"test_r.yaml": "test_r:\n" + body})
            p = test(proj)
            expect(p, 1, "tests/test_r.yaml::test_r ... FAIL", "  tests/test_r.yaml" + msg
                   if msg.startswith(":") else msg)
        # a test file that is not YAML fails the command, naming its line
        proj = make_project(s, "bad", {"test_bad.yaml": "test_x:\n  model: [\n"})
        p = test(proj)
        assert p.returncode == 1 and "test_bad.yaml:" in p.stderr, p.stderr
        expect(sushi.materia(proj, "test", "--what"), 2, "unknown option '--what'")
    finally:
        s.cleanup()


def test_sushi_tests_as_sqlmesh_runs_them():
    s = Scratch("unittest-sushi")
    try:
        for model, test_name in (("customer_revenue_by_day.sql", "test_customer_revenue_by_day"),
                                 ("customer_revenue_lifetime.sql", "test_customer_revenue_lifetime")):
            # the model as SQLMesh ships it: refused, and the refusal is what the user sees
            proj = sushi.project(s, model[:-4], [model])
            p = test(proj, test_name)
            line = {"customer_revenue_by_day.sql": 10, "customer_revenue_lifetime.sql": 14}[model]
            expect(p, 1, f"models/{model}:{line}: dialect hive is not supported by materia")
            # without `dialect hive` (the SQL is DuckDB's as well) SQLMesh's test passes unchanged
            proj = sushi.project(s, "nohive-" + model[:-4], [model])
            path = os.path.join(proj, "models", model)
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(text.replace("  dialect hive,\n", ""))
            expect(test(proj, test_name), 0, f"{test_name} ... ok", "Ran 1 test: 1 passed")
        # and a wrong expected CTE value in it fails, naming the CTE
        ty = os.path.join(proj.replace("customer_revenue_lifetime", "customer_revenue_by_day"), "tests",
                          "test_customer_revenue_by_day.yaml")
        with open(ty) as f:
            text = f.read()
        with open(ty, "w") as f:
            f.write(text.replace("total: 9.48", "total: 9.5"))
        expect(test(os.path.dirname(os.path.dirname(ty)), "test_customer_revenue_by_day"), 1,
               "CTE order_total: Data mismatch (exp: expected, act: actual)",
               "row 0, column total: exp 9.5, act 9.48")
        # order_items is a Python model in SQLMesh; here a seed stand-in, which SQLMesh cannot test
        proj = sushi.project(s, "order_items", [])
        expect(test(proj, "test_order_items"), 1,
               "tests/test_order_items.yaml:2: Model 'sushi.order_items' is an unsupported model type for testing")
        # with the Python model itself, the project is refused naming it
        proj = sushi.project(s, "order_items_py", [], python=["order_items.py"])
        os.remove(os.path.join(proj, "models", "order_items.sql"))
        p = test(proj, "test_order_items")
        assert p.returncode == 1 and "order_items.py" in p.stderr and "not supported by materia" in p.stderr, p.stderr
    finally:
        s.cleanup()


def test_psd_project_unit_tests():
    """Our own models' unit tests (tests/test_*.yaml of this source tree, PSD's and COT's):
    all pass; the SQLMesh projects kept under tests/fixtures/ (each with its config.yaml) are
    projects of their own, so their tests are not this project's."""
    s = Scratch("unittest-psd")
    try:
        p = s.run("test", check=0)
        for name in ("tests/test_staging_psd_coffee.yaml::test_psd_coffee_typed_and_filtered ... ok",
                     "tests/test_staging_psd_coffee.yaml::test_psd_coffee_attribute_names ... ok",
                     "tests/test_foundation_coffee_balance.yaml::test_coffee_balance_newest_release_wins ... ok",
                     "tests/test_foundation_coffee_balance.yaml::"
                     "test_coffee_balance_backfilled_old_release_loses ... ok",
                     "tests/test_cot_staging.yaml::"
                     "test_cot_coffee_parsed_and_latest_publication_wins ... ok",
                     "tests/test_cot_staging.yaml::"
                     "test_cot_coffee_backfilled_older_publication_loses ... ok",
                     "tests/test_cot_index.yaml::"
                     "test_cot_index_windows_gaps_and_flat_ranges ... ok"):
            assert name in p.stdout, p.stdout
        assert "Ran 7 tests: 7 passed, 0 failed" in p.stdout, p.stdout
        assert "fixtures" not in p.stdout, p.stdout
    finally:
        s.cleanup()


if __name__ == "__main__":
    main([test_sqlmesh_init_unchanged, test_passing_features, test_failing_diff_and_selection, test_refusals,
          test_sushi_tests_as_sqlmesh_runs_them, test_psd_project_unit_tests])
