"""The original conflict, on purpose (issue 6): a DuckDB file open for writing in one
process cannot be opened by another — not read-write, not even read-only. This is why the
web app reads only serving.duckdb, a separate file swapped by rename.

The holder (split_util.Holder) keeps lakehouse.duckdb open read-write while blocked on a
named pipe, so the lock is held for certain while the second process tries.
"""
import os

from harness import Scratch, main
from split_util import LOCK_ERROR, Holder


def test_second_process_gets_duckdb_lock_error():
    s = Scratch("lock")
    s.sql(s.lakehouse, "CREATE TABLE t AS SELECT 42 AS answer", write=True)
    # no holder: a read-only open works
    assert s.sql(s.lakehouse, "SELECT answer FROM t") == [{"answer": 42}]
    h = Holder(s, s.lakehouse, "INSERT INTO t VALUES (43)")
    try:
        h.wait_holding()
        for args in (["sql", s.lakehouse, "SELECT count(*) FROM t"],
                     ["sql", "--write", s.lakehouse, "SELECT count(*) FROM t"]):
            p = s.run(*args)
            assert p.returncode != 0, f"{args}: opened a file another process holds for writing"
            assert LOCK_ERROR in p.stderr, p.stderr
            assert os.path.basename(s.lakehouse) in p.stderr, p.stderr
            assert "Conflicting lock is held" in p.stderr, p.stderr
    finally:
        rc, out, err = h.release()
    assert rc == 0, (rc, err)
    # once the writer is gone the file opens again, with the writer's change
    assert s.sql(s.lakehouse, "SELECT answer FROM t ORDER BY 1") == [{"answer": 42}, {"answer": 43}]
    s.cleanup()


def test_serving_file_is_a_different_file():
    """The pipeline holding the lakehouse never blocks a reader of serving.duckdb: a reader
    of serving.duckdb opens fine while the lakehouse is held for writing."""
    s = Scratch("lock")
    s.sql(s.lakehouse, "CREATE TABLE t AS SELECT 1 AS a", write=True)
    s.sql(s.serving, "CREATE TABLE coffee_balance AS SELECT 'BR' AS country_code", write=True)
    h = Holder(s, s.lakehouse)
    try:
        h.wait_holding()
        assert LOCK_ERROR in s.run("sql", s.lakehouse, "SELECT 1").stderr
        assert s.sql(s.serving, "SELECT country_code FROM coffee_balance") == [{"country_code": "BR"}]
    finally:
        rc, _, err = h.release()
    assert rc == 0, err
    s.cleanup()


if __name__ == "__main__":
    main([test_second_process_gets_duckdb_lock_error, test_serving_file_is_a_different_file])
