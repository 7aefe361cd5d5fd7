"""Names as SQLMesh writes them (src/transform/names.c, header.c parse_name): one-part model
names live in SQLMesh's `default` schema (sqlmesh/core/constants.py DEFAULT_SCHEMA),
catalog.schema.table with the lakehouse's catalog, quoted names; a model reading its own
rows (model/definition.py depends_on_self); a lakehouse file named like a schema
(sqlmesh_example.duckdb holding schema sqlmesh_example), which DuckDB refuses as an
"Ambiguous reference" unless names carry the catalog."""
import os

from test_project_config import GATEWAY, SEED, materia, project, q, refused
from harness import main


def gateway(db):
    return GATEWAY.replace("lake.duckdb", db)


def test_one_part_and_three_part_names():
    files = dict(SEED, **{
        "config.yaml": GATEWAY,
        # one part: schema `default`, read back by its one-part name
        "models/one.sql": "MODEL (name one, kind FULL);\nSELECT id FROM s.items\n",
        "models/two.sql": "MODEL (name s.two, kind FULL);\nSELECT count(*) AS n FROM one\n",
        # three parts, the lakehouse's catalog (lake.duckdb -> lake), read by three parts
        "models/three.sql": "MODEL (name lake.s.three, kind FULL);\nSELECT n FROM lake.s.two\n",
        # quoted names keep their case
        "models/quoted.sql": "MODEL (name \"s\".\"Quoted\", kind FULL);\nSELECT n FROM s.three\n",
    })
    s = project(files)
    try:
        materia(s, "run")
        assert q(s, "SELECT count(*) AS n FROM \"default\".one") == [{"n": 3}]
        assert q(s, "SELECT n FROM s.three") == [{"n": 3}]
        assert q(s, "SELECT n FROM s.\"Quoted\"") == [{"n": 3}]
        dag = materia(s, "dag").stdout
        assert "s.two (FULL) <- default.one" in dag, dag
    finally:
        s.cleanup()


def test_other_catalogs_are_refused():
    refused({"config.yaml": GATEWAY, "models/m.sql": "MODEL (name other.s.m, kind FULL);\nSELECT 1 AS x\n"},
            "models/m.sql:1: catalog other is not supported by materia: models are built in the lakehouse, catalog lake")
    refused({"config.yaml": GATEWAY, "models/m.sql": "MODEL (name s.m, kind FULL);\nSELECT * FROM other.s.t\n"},
            "models/m.sql:2: catalog 'other' of 'other.s.t' is not the lakehouse's (lake) nor one of config.yaml's catalogs")


def test_model_reads_its_own_rows():
    files = dict(SEED, **{
        "config.yaml": GATEWAY,
        # by its own name
        "models/inc.sql":
            "MODEL (name s.inc, kind INCREMENTAL_BY_TIME_RANGE (time_column day), start '2024-01-30',\n"
            "  columns (day DATE, seen BIGINT));\n"
            "SELECT CAST(d AS DATE) AS day, (SELECT count(*) FROM s.inc) AS seen\n"
            "FROM generate_series(@start_date, @end_date, INTERVAL 1 DAY) t(d)\n",
        # through @this_model, a FULL model
        "models/full.sql":
            "MODEL (name s.counter, kind FULL, cron '@daily', columns (n BIGINT));\n"
            "SELECT coalesce((SELECT max(n) FROM @this_model), 0) + 1 AS n\n",
    })
    s = project(files)
    try:
        materia(s, "run")
        first = q(s, "SELECT count(*) AS n, max(seen) AS m FROM s.inc")
        assert first[0]["m"] == 0 and first[0]["n"] >= 2, first
        assert q(s, "SELECT n FROM s.counter") == [{"n": 1}]
        materia(s, "run", env={"MATERIA_EXECUTION_TIME": "2024-02-03 12:00"})
        later = q(s, "SELECT max(seen) AS m FROM s.inc")
        assert later[0]["m"] >= first[0]["n"] - 1, (first, later)  # the new days saw the earlier rows
        assert q(s, "SELECT n FROM s.counter") == [{"n": 2}]
        plan = materia(s, "dag").stdout
        assert "s.inc (INCREMENTAL_BY_TIME_RANGE)\n" in plan, plan  # no parent: itself
    finally:
        s.cleanup()


def test_self_reference_refusals():
    refused({"config.yaml": GATEWAY, "models/v.sql": "MODEL (name s.v, kind VIEW);\nSELECT * FROM s.v\n"},
            "models/v.sql:2: s.v reads itself: only an INCREMENTAL or FULL model may read its own rows")
    refused({"config.yaml": GATEWAY,
             "models/i.sql": "MODEL (name s.i, kind INCREMENTAL_BY_TIME_RANGE (time_column d));\n"
                             "SELECT * FROM s.i\n"},
            "models/i.sql:2: s.i reads itself: Self-referencing models require inferrable column types")


def test_lakehouse_named_like_a_schema():
    files = dict(SEED, **{
        "config.yaml": gateway("s.duckdb"),
        "models/a.sql": "MODEL (name s.a, kind FULL);\nSELECT item, count(*) AS n FROM s.items GROUP BY item\n",
        "models/b.sql": "MODEL (name s.b, kind FULL, audits (matches_a));\nSELECT sum(n) AS total FROM s.a\n",
        # an audit naming another model by two parts needs the catalog as well
        "audits/matches.sql": "AUDIT (name matches_a);\n"
                              "SELECT * FROM @this_model WHERE total <> (SELECT sum(n) FROM s.a)\n",
    })
    s = project(files)
    try:
        out = materia(s, "run").stdout
        assert "3 of 3 models run" in out, out
        assert q(s, "SELECT total FROM s.s.b", db="s.duckdb") == [{"total": 3}]
        # removing a model drops its view, catalog-qualified too
        os.remove(os.path.join(s.proj, "models", "b.sql"))
        out = materia(s, "run").stdout
        assert "remove" in out, out
        assert q(s, "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 's' "
                    "AND table_name = 'b'", db="s.duckdb") == [{"n": 0}]
    finally:
        s.cleanup()


if __name__ == "__main__":
    main([test_one_part_and_three_part_names, test_other_catalogs_are_refused, test_model_reads_its_own_rows,
          test_self_reference_refusals, test_lakehouse_named_like_a_schema])
