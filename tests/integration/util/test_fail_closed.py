"""Calls that practically never fail, forced to fail (util/testhook.h, MATERIA_FAIL_AT), and
a full stdout: each refuses with a clear error and a non-zero exit instead of going on
unsafely (a read-only open that would be read-write, a fetch without the protocol
allow-list, a pipeline that SIGTERM would kill mid-step) or exiting 0 with lost output."""
import os
import subprocess

from harness import BIN, SAMPLE_ZIP, Scratch, main

FILE_URL = "file://" + os.path.abspath(SAMPLE_ZIP)


def run_to(s, stdout, *args):
    return subprocess.run([BIN, *args], cwd=s.dir, env=s.env, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=300)


def test_full_stdout_fails_every_command():
    s = Scratch("fail-closed")
    for args in (["sql", "--json", ":memory:", "SELECT range AS n FROM range(5)"],
                 ["sql", "--json", ":memory:", "SELECT repeat('x', 100) FROM range(10000)"],
                 ["--version"], ["help"], ["config"]):
        with open("/dev/full", "w") as full:
            p = run_to(s, full, *args)
        assert p.returncode == 1, (args, p.returncode, p.stderr)
        assert "materia: write failure on standard output" in p.stderr, (args, p.stderr)
        assert p.stderr.count("write failure") == 1, p.stderr
    # the same commands into a pipe or a file exit 0
    p = run_to(s, subprocess.PIPE, "sql", "--json", ":memory:", "SELECT 1 AS n")
    assert p.returncode == 0 and p.stdout == '{"n":1}\n', (p.stdout, p.stderr)
    with open(os.path.join(s.dir, "out.txt"), "w") as f:
        assert run_to(s, f, "--version").returncode == 0
    s.cleanup()


def test_read_only_open_refused_when_its_setting_fails():
    s = Scratch("fail-closed")
    db = os.path.join(s.dir, "x.duckdb")
    s.run("sql", "--write", db, "CREATE TABLE t AS SELECT 1 AS x", check=0)
    before = os.stat(db)
    p = s.run("sql", db, "SELECT * FROM t", env={"MATERIA_FAIL_AT": "db_set_config"}, check=1)
    assert "cannot set DuckDB option access_mode=READ_ONLY" in p.stderr and db in p.stderr, p.stderr
    assert p.stdout == ""
    after = os.stat(db)
    assert (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)
    s.cleanup()


def test_fetch_refused_without_protocol_allow_list():
    s = Scratch("fail-closed")
    p = s.run("extract", "psd", env={"PSD_SOURCE_URL": FILE_URL, "MATERIA_FAIL_AT": "curl_protocols"}, check=1)
    assert "cannot restrict the protocols" in p.stderr, p.stderr
    assert "attempt" not in p.stderr, "an allow-list failure is not retried: " + p.stderr
    assert not os.path.exists(os.path.join(s.landing, "psd"))
    s.cleanup()


def test_pipeline_refuses_to_start_without_its_stop_handler():
    s = Scratch("fail-closed")
    p = s.run("pipeline", "run", "extract", env={"PSD_SOURCE_URL": FILE_URL, "MATERIA_FAIL_AT": "sigaction"},
              check=1)
    assert "cannot install the SIGTERM/SIGINT handler" in p.stderr, p.stderr
    assert not os.path.exists(os.path.join(s.landing, "psd"))
    s.cleanup()


if __name__ == "__main__":
    main([test_full_stdout_fails_every_command, test_read_only_open_refused_when_its_setting_fails,
          test_fetch_refused_without_protocol_allow_list, test_pipeline_refuses_to_start_without_its_stop_handler])
