"""SQLMesh's model blueprints (sqlmesh/core/model/definition.py create_models_from_blueprints,
_extract_blueprints, _extract_blueprint_variables; examples/sushi/models/blueprint.sql;
docs/concepts/models/sql_models.md "Model blueprinting"): one model file, one model per
blueprint, the name and the query rendered with the blueprint's variables; and the
refusals, each naming the file and line."""
import os

from harness import Scratch, main

CONFIG = """gateways:
  local:
    connection:
      type: duckdb
      database: db.db
default_gateway: local
model_defaults:
  dialect: duckdb
"""

CUSTOMERS = """MODEL (name s.customers, kind FULL);
SELECT * FROM (VALUES (1, 'active'), (2, 'inactive'), (3, 'active')) AS t(customer_id, status)
"""

# examples/sushi/models/blueprint.sql, with schema s (its trailing commas kept)
SUSHI_BLUEPRINT = """MODEL (
    name @name,
    kind FULL,
    description "Count of customers by status, done with a fancy unnecessary blueprint",
    grain status,
    blueprints (
        (
            name := s.count_customers_active,
            blueprint_status := 'active',
        ),
        (
            name := s.count_customers_inactive,
            blueprint_status := 'inactive',
        )
    )
);

SELECT
   COUNT(customer_id) AS count_customers
FROM s.customers
WHERE status = @blueprint_status;
"""


def project(files):
    s = Scratch("blueprints")
    proj = os.path.join(s.dir, "proj")
    os.makedirs(os.path.join(proj, "models"))
    with open(os.path.join(proj, "config.yaml"), "w") as f:
        f.write(CONFIG)
    for name, text in files.items():
        with open(os.path.join(proj, name), "w") as f:
            f.write(text)
    return s, proj


def materia(s, proj, *args, check=0):
    return s.run("-p", proj, *args, check=check)


def rows(s, proj, sql):
    """Rows from the lakehouse (the scratch environment's DUCKDB_PATH wins over config.yaml)."""
    return s.sql(s.lakehouse, sql)


def test_sushi_blueprint_makes_one_model_per_blueprint():
    s, proj = project({"models/customers.sql": CUSTOMERS, "models/blueprint.sql": SUSHI_BLUEPRINT})
    plan = materia(s, proj, "plan")
    assert "new        s.count_customers_active" in plan.stdout, plan.stdout
    assert "new        s.count_customers_inactive" in plan.stdout, plan.stdout
    materia(s, proj, "run")
    got = rows(s, proj, "SELECT 'active' AS k, count_customers FROM s.count_customers_active "
                        "UNION ALL SELECT 'inactive', count_customers FROM s.count_customers_inactive ORDER BY k")
    assert got == [{"k": "active", "count_customers": 2}, {"k": "inactive", "count_customers": 1}], got
    s.cleanup()


def test_blueprint_values_are_sql_and_shadow_variables():
    """Values are SQL expressions: a name renders as a name (FROM @src), a string as a
    string; @BLUEPRINT_VAR reads them; a project variable of the same name loses
    (MacroEvaluator.transform: locals > blueprint variables > variables); @{x} pieces in the
    name are rendered too; a bare `k := v` list is one blueprint per pair."""
    cfg_vars = CONFIG + "variables:\n  label: from-variables\n"
    s, proj = project({
        "models/customers.sql": CUSTOMERS,
        "models/by_status.sql": """MODEL (name s.by_@{label}, kind FULL,
  blueprints ((label := active, src := s.customers, st := 'active'), (label := inactive, src := s.customers, st := 'inactive')));
SELECT @BLUEPRINT_VAR('st') AS st, @'@{label}' AS label, COUNT(*) AS n FROM @src WHERE status = @st
""",
        "models/one_each.sql": """MODEL (name @name, kind VIEW, blueprints (name := s.v1, name := s.v2));
SELECT 1 AS one
""",
    })
    with open(os.path.join(proj, "config.yaml"), "w") as f:
        f.write(cfg_vars)
    materia(s, proj, "run")
    got = rows(s, proj, "SELECT * FROM s.by_active UNION ALL SELECT * FROM s.by_inactive ORDER BY st")
    assert got == [{"st": "active", "label": "active", "n": 2}, {"st": "inactive", "label": "inactive", "n": 1}], got
    assert rows(s, proj, "SELECT (SELECT one FROM s.v1) + (SELECT one FROM s.v2) AS two") == [{"two": 2}]
    s.cleanup()


def test_blueprints_from_a_macro():
    """The blueprints value is rendered first (SQLMesh renders the meta fields), so @EACH
    may build the list."""
    s, proj = project({"models/m.sql": """MODEL (name s.n_@{n}, kind VIEW,
  blueprints @EACH([1, 2, 3], x -> (n := x)));
SELECT @n * 10 AS v
"""})
    materia(s, proj, "run")
    got = rows(s, proj, "SELECT (SELECT v FROM s.n_1) + (SELECT v FROM s.n_2) + (SELECT v FROM s.n_3) AS t")
    assert got == [{"t": 60}], got
    s.cleanup()


def test_refusals_name_file_and_line():
    cases = [
        ("MODEL (\n  name @name,\n  kind VIEW\n);\nSELECT 1",
         "models/m.sql:1: name @name uses macro variables: expected a blueprints property"),
        ("MODEL (\n  name @name,\n  blueprints ((name = s.a))\n);\nSELECT 1",
         "models/m.sql:3: expected a key-value mapping for the blueprint value (key := value), got 'name = s.a'"),
        ("MODEL (\n  name @name,\n  blueprints 'x'\n);\nSELECT 1",
         "models/m.sql:3: expected a list or tuple consisting of key-value mappings for the 'blueprints' property"),
        ("MODEL (\n  name @name,\n  blueprints ((name := s.a), (name := s.a))\n);\nSELECT 1",
         "duplicate model name 's.a'"),
        ("MODEL (\n  name @nme,\n  blueprints ((name := s.a))\n);\nSELECT 1",
         "Macro variable 'nme' is undefined"),
        ("MODEL (\n  name s.t,\n  blueprints ((x := 1))\n);\nSELECT @y",
         "models/m.sql:5: Macro variable 'y' is undefined"),
    ]
    for text, want in cases:
        s, proj = project({"models/m.sql": text})
        p = materia(s, proj, "plan", check=1)
        assert want in p.stderr, (text, p.stderr)
        s.cleanup()


if __name__ == "__main__":
    main([test_sushi_blueprint_makes_one_model_per_blueprint, test_blueprint_values_are_sql_and_shadow_variables,
          test_blueprints_from_a_macro, test_refusals_name_file_and_line])
