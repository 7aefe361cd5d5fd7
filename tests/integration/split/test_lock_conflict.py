"""The original conflict, on purpose (issue 6): a DuckDB file open for writing in one
process cannot be opened by another — not read-write, not even read-only. This is why the
web app reads only serving.duckdb, a separate file swapped by rename.

The holder (split_util.Holder) keeps lakehouse.duckdb open read-write while blocked on a
named pipe, so the lock is held for certain while the second process tries.
"""
import os
import sys

from harness import Scratch, main
from split_util import LOCK_ERROR, Holder

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serving"))
from serving_fixture import add_rows, add_run, make_lakehouse  # noqa: E402


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


def test_serve_never_opens_the_lakehouse():
    """`materia serve` keeps answering while another process holds the lakehouse for
    writing, and during export runs its open files never include the lakehouse (the soak
    test samples the same during real transform runs)."""
    from soak import Server
    s = Scratch("lock")
    make_lakehouse(s, rows=30)
    # every column of the serving contract (ARCHITECTURE §3): serve refuses a snapshot
    # that lacks one
    qty = ["arabica_production", "robusta_production", "other_production", "beginning_stocks",
           "imports", "bean_imports", "exports", "bean_exports", "domestic_consumption",
           "ending_stocks", "total_supply", "total_distribution", "stocks_to_use_pct"]
    nulls = ", ".join(f"NULL::DOUBLE AS {c}" for c in qty)
    s.sql(s.lakehouse, "CREATE OR REPLACE VIEW serving.coffee_balance AS SELECT country_code, "
                       "'X' AS country_name, NULL::VARCHAR AS iso3, NULL::VARCHAR AS region, market_year, "
                       f"production::DOUBLE AS production, {nulls}, DATE '2022-12-20' AS release_date "
                       "FROM materia__serving.coffee_balance__v1; "
                       "CREATE OR REPLACE VIEW serving.world_balance AS SELECT market_year, "
                       f"sum(production)::DOUBLE AS production, {nulls}, count(*)::BIGINT AS reporting_countries, "
                       "DATE '2022-12-20' AS release_date FROM serving.coffee_balance GROUP BY market_year",
          write=True)
    s.sql(s.lakehouse, "CREATE VIEW serving.releases AS SELECT DATE '2022-12-20' AS release_date, "
                       "'e1' AS etag, 'psd/2022/12/e1.csv.gzip' AS file, 1::BIGINT AS rows, "
                       "TIMESTAMP '2022-12-21 06:00:00' AS landed_at; "
                       "CREATE VIEW serving.countries AS SELECT 'C0' AS country_code, 'X' AS "
                       "country_name, 'XX' AS iso2, 'XXX' AS iso3, '000' AS iso_numeric, 'R' AS region; "
                       "CREATE VIEW serving.psd_revisions AS SELECT 'C0' AS country_code, 'X' AS "
                       "country_name, 2000 AS market_year, 'production' AS attribute, DATE "
                       "'2022-12-20' AS release_date, 1.0::DOUBLE AS value, NULL::DOUBLE AS previous_value, "
                       "NULL::DOUBLE AS change", write=True)
    # the COT tables, empty (a source not landed yet: the contract lets export publish them so)
    cot = ["NULL::DATE AS report_date", "NULL::BIGINT AS open_interest", "NULL::BIGINT AS open_interest_change"]
    for c in ("prod_merc", "swap", "managed_money", "other_rept", "nonrept"):
        cot += [f"NULL::BIGINT AS {c}_{k}" for k in ("long", "short", "spread", "net", "net_change")]
        cot += [f"NULL::DOUBLE AS {c}_{k}_pct_oi" for k in ("long", "short")]
        cot += [f"NULL::INTEGER AS {c}_traders_{k}" for k in ("long", "short")]
    cot += ["NULL::INTEGER AS traders_total", "NULL::VARCHAR AS source_file", "NULL::TIMESTAMP AS landed_at"]
    s.sql(s.lakehouse, f"CREATE VIEW serving.cot_positioning AS SELECT {', '.join(cot)} WHERE false; "
                       "CREATE VIEW serving.cot_index AS SELECT NULL::DATE AS report_date, "
                       "NULL::BIGINT AS managed_money_net, NULL::DOUBLE AS managed_money_index_26w, "
                       "NULL::DOUBLE AS managed_money_index_52w, NULL::BIGINT AS prod_merc_net, "
                       "NULL::DOUBLE AS prod_merc_index_26w, NULL::DOUBLE AS prod_merc_index_52w WHERE false",
          write=True)
    s.run("export-serving", check=0)
    srv = Server(s, s.serving)
    try:
        h = Holder(s, s.lakehouse)
        try:
            h.wait_holding()
            st, hd, body = srv.get("/health")
            assert st == 200, (st, body)
            assert not [f for f in srv.fd_targets() if "lakehouse" in f], srv.fd_targets()
            assert any(f == s.serving for f in srv.fd_targets()), srv.fd_targets()
        finally:
            rc, _, err = h.release()
        assert rc == 0, err
        for _ in range(3):  # exports while serving: the lakehouse never shows up in serve
            add_rows(s)
            add_run(s, "ok")
            s.run("export-serving", check=0)
            for _ in range(20):
                assert srv.get("/health")[0] == 200
                assert not [f for f in srv.fd_targets() if "lakehouse" in f]
    finally:
        assert srv.stop() == 0, srv.logtext()[-2000:]
    s.cleanup()


if __name__ == "__main__":
    main([test_second_process_gets_duckdb_lock_error, test_serving_file_is_a_different_file,
          test_serve_never_opens_the_lakehouse])
