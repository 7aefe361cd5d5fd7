"""DAG from DuckDB's parser: CTEs are not dependencies, depends_on adds, unknown tables and
cycles are errors (the cycle is printed), duplicate model names name both files, malformed
headers give file:line, externals are allowed, plan output."""
from tproject import new_scratch, reasons

M = "MODEL (name {n}, kind {k}{extra});\n{q}\n"


def model(n, q, k="FULL", extra=""):
    return {f"models/{n.replace('.', '/')}.sql": M.format(n=n, k=k, extra=extra, q=q)}


def project(*parts):
    out = {}
    for p in parts:
        out.update(p)
    return out


def test_ctes_are_not_dependencies_and_depends_on_adds():
    s = new_scratch("transform-dag", project(
        model("a.base", "SELECT 1 AS x"),
        model("a.side", "SELECT 2 AS y"),
        model("b.top", "WITH base AS (SELECT * FROM a.base), a AS (SELECT 1 AS z)\n"
              "SELECT * FROM base, a WHERE x IN (SELECT x FROM a.base)", extra=", depends_on (a.side)")))
    p = s.run("dag", check=0)
    top = [l for l in p.stdout.splitlines() if l.startswith("b.top")][0]
    assert top == "b.top (FULL) <- a.base, a.side", p.stdout
    assert p.stdout.splitlines()[-1].startswith("b.top")
    s.cleanup()


def test_unknown_table_is_an_error_unless_external():
    files = project(model("a.one", "SELECT 1 AS x"), model("a.two", "SELECT * FROM a.one JOIN ext.landed USING (x)"))
    s = new_scratch("transform-dag", files)
    p = s.run("dag", check=1)
    assert "models/a/two.sql:2: unknown table 'ext.landed'" in p.stderr, p.stderr
    p = s.run("run", check=1)
    assert "unknown table 'ext.landed'" in p.stderr
    s.cleanup()
    files["external_models.yaml"] = "- name: ext.landed\n  description: landed by someone else\n  columns:\n    x: int\n"
    s = new_scratch("transform-dag", files)
    p = s.run("dag", check=0)
    assert "a.two (FULL) <- a.one, ext.landed [external]" in p.stdout, p.stdout
    s.cleanup()


def test_cycle_is_an_error_printing_the_cycle():
    s = new_scratch("transform-dag", project(
        model("c.a", "SELECT * FROM c.c"), model("c.b", "SELECT * FROM c.a"), model("c.c", "SELECT * FROM c.b"),
        model("c.free", "SELECT 1")))
    p = s.run("dag", check=1)
    assert "dependency cycle: c.a -> c.c -> c.b -> c.a" in p.stderr, p.stderr
    p = s.run("plan", check=1)
    assert "dependency cycle" in p.stderr
    s.cleanup()
    s = new_scratch("transform-dag", model("c.self", "SELECT 1", extra=", depends_on (c.self)"))
    p = s.run("dag", check=1)
    assert "dependency cycle: c.self -> c.self" in p.stderr, p.stderr
    s.cleanup()


def test_duplicate_names_and_malformed_headers_name_file_and_line():
    s = new_scratch("transform-dag", {"models/one.sql": "MODEL (name x.y, kind FULL);\nSELECT 1\n",
                                      "models/two.sql": "\n\nMODEL (name X.Y, kind FULL);\nSELECT 2\n"})
    p = s.run("plan", check=1)
    assert "models/two.sql:3: duplicate model name 'x.y' (already defined in" in p.stderr and "one.sql:1" in p.stderr, p.stderr
    s.cleanup()
    s = new_scratch("transform-dag", {"models/bad.sql": "MODEL (\n  name x.y,\n  kind FULL,\n  colour 'red'\n);\nSELECT 1\n"})
    p = s.run("run", check=1)
    assert "models/bad.sql:4: unknown property 'colour'" in p.stderr, p.stderr
    s.cleanup()
    s = new_scratch("transform-dag", {"models/bad.sql": "MODEL (name x.y, kind FULL);\nSELEKT 1\n"})
    p = s.run("dag", check=1)
    # not a query: SQLMesh's loader says "Model query needs to be a SELECT or a UNION"
    assert "models/bad.sql:2: expected a query after MODEL (...); this statement is not one" in p.stderr, p.stderr
    s.cleanup()
    s = new_scratch("transform-dag", {"models/bad.sql": "MODEL (name x.y, kind FULL);\nSELECT 1 FORM t\n"})
    p = s.run("dag", check=1)
    assert "models/bad.sql:2:" in p.stderr and "syntax error" in p.stderr.lower(), p.stderr
    s.cleanup()
    s = new_scratch("transform-dag", {"models/bad.sql": "MODEL (name x.y, kind FULL);\nSELECT 1; SELECT 2\n"})
    p = s.run("dag", check=1)
    # sqlmesh/core/model/definition.py _split_sql_model_statements (test_model.py::
    # test_model_multiple_select_statements); other statements are pre-/post-statements
    assert "models/bad.sql:2: Only one SELECT query is allowed per model" in p.stderr, p.stderr
    s.cleanup()


def test_plan_lists_every_model_with_reason_and_runs_nothing():
    s = new_scratch("transform-dag", project(model("p.a", "SELECT 1 AS x"), model("p.b", "SELECT * FROM p.a", k="VIEW")))
    p = s.run("plan", "--execution-time", "2024-01-01", check=0)
    assert reasons(p.stdout) == {"p.a": "new", "p.b": "new"}, p.stdout
    assert "2 models: 2 to run (2 new" in p.stdout, p.stdout
    assert not __import__("os").path.exists(s.lakehouse)  # plan never writes
    s.run("run", "--execution-time", "2024-01-01", check=0)
    p = s.run("plan", "--execution-time", "2024-01-01", check=0)
    assert "nothing to do (2 models unchanged)" in p.stdout and reasons(p.stdout)["p.a"] == "unchanged", p.stdout
    s.cleanup()


if __name__ == "__main__":
    from harness import main
    main([test_ctes_are_not_dependencies_and_depends_on_adds, test_unknown_table_is_an_error_unless_external,
          test_cycle_is_an_error_printing_the_cycle, test_duplicate_names_and_malformed_headers_name_file_and_line,
          test_plan_lists_every_model_with_reason_and_runs_nothing])
