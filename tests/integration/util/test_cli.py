"""CLI contract: help, --version, usage errors exit 2, config precedence end to end."""
import os

from harness import Scratch, main


def test_help_and_version():
    s = Scratch("cli")
    p = s.run("help", check=0)
    assert "usage: materia" in p.stdout and "extract" in p.stdout
    p = s.run("--version", check=0)
    assert p.stdout.startswith("materia ") and "duckdb v1.4" in p.stdout
    s.cleanup()


def test_unknown_command_exits_2():
    s = Scratch("cli")
    p = s.run("frobnicate", check=2)
    assert "unknown command 'frobnicate'" in p.stderr and "usage:" in p.stderr
    assert p.stdout == ""
    s.cleanup()


def test_every_command_has_help():
    s = Scratch("cli")
    for cmd in ["extract", "landing", "plan", "run", "transform", "dag", "render", "janitor",
                "export-serving", "serving", "pipeline", "supervise", "serve", "config", "sql"]:
        p = s.run(cmd, "--help")
        assert p.returncode == 0, f"{cmd} --help exit {p.returncode}: {p.stderr}"
        assert "usage: materia" in p.stdout, f"{cmd} --help: {p.stdout!r}"
    s.cleanup()


def test_every_subcommand_has_help():
    s = Scratch("cli")
    for args in (["extract", "psd"], ["landing", "list"], ["serving", "status"], ["serving", "rollback"],
                 ["pipeline", "list"], ["pipeline", "run"], ["pipeline", "run", "all"], ["help", "serving"]):
        p = s.run(*args, "--help")
        assert p.returncode == 0 and "usage: materia" in p.stdout, (args, p.returncode, p.stdout, p.stderr)
    s.cleanup()


def test_usage_errors_exit_2_on_stderr_naming_the_problem():
    s = Scratch("cli")
    for args, want in ((["extract"], "which source"), (["extract", "psd", "x"], "unexpected argument 'x'"),
                       (["extract", "nope"], "unknown source 'nope'"), (["landing"], "which action"),
                       (["landing", "list", "--x"], "unexpected argument '--x'"),
                       (["serving"], "status or rollback"), (["serving", "rollback", "x"], "takes no arguments"),
                       (["pipeline", "run"], "exactly one NAME"), (["pipeline", "run", "nope"], "unknown pipeline"),
                       (["export-serving", "x"], "takes no arguments"), (["config", "x"], "unexpected argument"),
                       (["supervise", "--at"], "option '--at' needs a value"),
                       (["supervise", "--bogus"], "unknown option '--bogus'"),
                       (["sql", "--bogus", ":memory:", "SELECT 1"], "unknown option '--bogus'"),
                       (["sql", ":memory:"], "expected DBFILE and SQL")):
        p = s.run(*args)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert want in p.stderr and "usage: materia" in p.stderr and p.stdout == "", (args, p.stdout, p.stderr)
    s.cleanup()


def test_config_precedence_env_over_dotenv_over_default():
    s = Scratch("cli")
    with open(os.path.join(s.dir, ".env"), "w") as f:
        f.write("# comment\nexport PSD_SOURCE_URL='file:///from/dotenv.zip'\nLANDING_DIR=/from/dotenv\n")
    env = dict(LANDING_DIR="/from/env")
    p = s.run("config", env=env, check=0)
    lines = {l.split("=", 1)[0]: l for l in p.stdout.splitlines() if "=" in l and not l.startswith("#")}
    assert "LANDING_DIR=/from/env\t(environment)" in lines["LANDING_DIR"], lines["LANDING_DIR"]
    assert "PSD_SOURCE_URL=file:///from/dotenv.zip\t(.env)" in lines["PSD_SOURCE_URL"]
    assert "(default)" in lines["MATERIA_HTTP_ADDR"]
    s.cleanup()


def test_log_level_from_dotenv():
    # MATERIA_LOG_LEVEL is configuration like any key: .env sets it, the environment wins
    s = Scratch("cli")
    s.env.pop("MATERIA_LOG_LEVEL", None)
    with open(os.path.join(s.dir, ".env"), "w") as f:
        f.write("MATERIA_LOG_LEVEL=error\n")
    p = s.run("pipeline", "run", "transform")
    assert " INFO " not in p.stdout + p.stderr, p.stdout + p.stderr
    p = s.run("pipeline", "run", "transform", env={"MATERIA_LOG_LEVEL": "info"})
    assert " INFO " in p.stdout + p.stderr, p.stdout + p.stderr
    s.cleanup()


def test_malformed_dotenv_names_file_and_line():
    s = Scratch("cli")
    with open(os.path.join(s.dir, ".env"), "w") as f:
        f.write("OK=1\nthis is not a setting\n")
    p = s.run("config", check=1)
    assert ".env:2: expected KEY=value" in p.stderr, p.stderr
    s.cleanup()


def test_sql_reads_and_refuses_missing_file():
    s = Scratch("cli")
    db = s.dir + "/t.duckdb"
    p = s.run("sql", "--write", db, "create table t as select 1 as a, 'x,y' as b", check=0)
    p = s.run("sql", db, "select * from t", check=0)
    assert p.stdout == 'a,b\n1,"x,y"\n', p.stdout
    p = s.run("sql", "--json", db, "select * from t", check=0)
    assert p.stdout == '{"a":1,"b":"x,y"}\n', p.stdout
    p = s.run("sql", s.dir + "/missing.duckdb", "select 1", check=1)
    assert "missing.duckdb" in p.stderr
    p = s.run("sql", db, "insert into t values (2, 'z')", check=1)  # read-only by default
    s.cleanup()


def test_sql_prints_every_type_as_duckdb_casts_it():
    # duckdb_value_varchar gives no text for TIMESTAMPTZ, UUID, ENUM or nested types, and a
    # UUID column before another one crashed it; `materia sql` prints DuckDB's own cast
    s = Scratch("cli")
    db = s.dir + "/t.duckdb"
    s.run("sql", "--write", db, "create table t as select TIMESTAMPTZ '2024-01-01 10:00:00+00' AS tz, "
          "'0b1c2d3e-0000-4000-8000-000000000001'::UUID AS u, 7 AS n, [1, 2] AS l, {'x': 'a'} AS st, "
          "MAP {'k': 1} AS m, 'b'::ENUM('a', 'b') AS e, NULL::UUID AS nu", check=0)
    want = {"tz": "2024-01-01 10:00:00+00", "u": "0b1c2d3e-0000-4000-8000-000000000001", "n": 7, "l": "[1, 2]",
            "st": "{'x': a}", "m": "{k=1}", "e": "b", "nu": None}
    import json
    p = s.run("sql", "--json", db, "select * from t", check=0)  # read-only: the cast uses a temp table
    assert json.loads(p.stdout) == want, p.stdout
    p = s.run("sql", db, "select u, n, nu from t", check=0)
    assert p.stdout == "u,n,nu\n0b1c2d3e-0000-4000-8000-000000000001,7,\n", p.stdout
    p = s.run("sql", db, "select a.n, a.tz, b.n from t a join t b on a.n = b.n", check=0)  # repeated names
    assert p.stdout == "n,tz,n\n7,2024-01-01 10:00:00+00,7\n", p.stdout
    s.cleanup()


if __name__ == "__main__":
    main([test_help_and_version, test_unknown_command_exits_2, test_every_command_has_help,
          test_every_subcommand_has_help, test_usage_errors_exit_2_on_stderr_naming_the_problem,
          test_config_precedence_env_over_dotenv_over_default, test_log_level_from_dotenv, test_malformed_dotenv_names_file_and_line,
          test_sql_reads_and_refuses_missing_file, test_sql_prints_every_type_as_duckdb_casts_it])
