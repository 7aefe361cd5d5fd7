"""export-serving and the contract's may-be-empty tables (src/serving/contract.c).

The COT tables (cot_positioning, cot_index) belong to a source that may not have landed
anything yet: export publishes them empty, with row_count 0 in _snapshot, instead of
refusing. Any other empty serving table is still refused (a broken run), even next to
empty COT tables."""
from harness import Scratch, main
from serving_fixture import make_lakehouse, read_snapshot

COT_DDL = ("CREATE TABLE serving.cot_positioning (report_date DATE, open_interest BIGINT); "
           "CREATE TABLE serving.cot_index (report_date DATE, managed_money_net BIGINT)")


def test_empty_cot_tables_are_published():
    s = Scratch("export")
    make_lakehouse(s)
    s.sql(s.lakehouse, COT_DDL, write=True)
    p = s.run("export-serving", check=0)
    assert "published snapshot" in p.stdout, p.stdout
    rows = s.sql(s.serving, "SELECT table_name, row_count FROM _snapshot ORDER BY table_name")
    assert {r["table_name"]: r["row_count"] for r in rows}["cot_positioning"] == 0, rows
    assert {r["table_name"]: r["row_count"] for r in rows}["cot_index"] == 0, rows
    assert s.sql(s.serving, "SELECT count(*) AS n FROM cot_index") == [{"n": 0}]
    _, recorded, actual = read_snapshot(s)
    assert recorded == actual, (recorded, actual)  # counts and checksums recompute equal
    s.cleanup()


def test_other_empty_tables_are_still_refused():
    s = Scratch("export")
    make_lakehouse(s)
    s.sql(s.lakehouse, COT_DDL + "; CREATE TABLE serving.releases (release_date DATE)", write=True)
    p = s.run("export-serving", check=1)
    assert "refusing to export: serving.releases is empty" in p.stderr, p.stderr
    s.cleanup()


if __name__ == "__main__":
    main([test_empty_cot_tables_are_published, test_other_empty_tables_are_still_refused])
