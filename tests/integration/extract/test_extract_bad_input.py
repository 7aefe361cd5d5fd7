"""Every bad input from issue 2 leaves landing/ exactly as it was (byte-for-byte and
mtime-for-mtime, no temp files), exits non-zero and prints one line naming the URL and
the problem. An earlier good release is landed first so "untouched" means something."""
import gzip
import random

from harness import Scratch, main
from psd_server import PsdServer, Route, landed_files, make_zip, sample_csv_bytes, sample_zip_bytes

LM = "Tue, 20 Dec 2022 15:02:00 GMT"
HEADER = (b"Commodity_Code,Commodity_Description,Country_Code,Country_Name,Market_Year,"
          b"Calendar_Year,Month,Attribute_ID,Attribute_Description,Unit_ID,Unit_Description,Value")
ROW = b'0711100,"Coffee, Green",BR,"Brazil",2021,2022,06,141,"Rst,Ground Dom. Consum",02,"(1000 60 KG BAGS)",21000.5'


def csv(*lines):
    return b"\r\n".join(lines) + b"\r\n"


def check_rejected(body, want, env_extra=None, lm=LM):
    """Lands the good sample, then serves body under a new ETag and checks the failure."""
    srv = PsdServer()
    srv.routes["/good.zip"] = Route(body=sample_zip_bytes(), etag='"good"', last_modified=LM)
    srv.routes["/bad"] = Route(body=body, etag='"bad-1"', last_modified=lm)
    s = Scratch("extract-bad")
    s.run("extract", "psd", env=dict(PSD_SOURCE_URL=srv.url("/good.zip")), check=0)
    before = landed_files(s)
    assert len(before) == 2
    url = srv.url("/bad")
    env = dict(PSD_SOURCE_URL=url, EXTRACT_BACKOFF_MS="10")
    env.update(env_extra or {})
    p = s.run("extract", "psd", env=env)
    try:
        assert p.returncode == 1, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
        assert p.stdout == "", p.stdout
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1, p.stderr
        assert url in lines[0], lines[0]
        for w in want if isinstance(want, (list, tuple)) else [want]:
            assert w in lines[0], f"want {w!r} in {lines[0]!r}"
        assert landed_files(s) == before, "landing/ changed"
        assert srv.count("/bad") == 1  # bad content is never retried
    finally:
        srv.close()
        s.cleanup()
    return lines[0]


def test_html_error_page():
    check_rejected(b"<!DOCTYPE html>\n<html><body><h1>Service Unavailable</h1></body></html>",
                   "HTML")


def test_truncated_zip():
    z = sample_zip_bytes()
    check_rejected(z[: len(z) // 2], "truncated zip")


def test_zip_with_no_csv():
    check_rejected(make_zip({"README.txt": b"nothing here", "data/": b""}), "no .csv member")


def test_zip_with_two_csvs():
    check_rejected(make_zip({"a.csv": csv(HEADER, ROW), "b.csv": csv(HEADER, ROW)}),
                   "2 .csv members")


def test_wrong_header():
    bad = HEADER.replace(b"Value", b"Amount")
    check_rejected(make_zip({"psd_coffee.csv": csv(bad, ROW)}),
                   ["psd_coffee.csv: line 1", "column 12", "Amount"])


def test_missing_header_column():
    bad = HEADER.replace(b",Month", b"")
    check_rejected(make_zip({"psd_coffee.csv": csv(bad, ROW)}), ["line 1", "11 columns"])


def test_malformed_row_short():
    short = ROW.rsplit(b",", 1)[0]
    check_rejected(make_zip({"psd_coffee.csv": csv(HEADER, ROW, ROW, short, ROW)}),
                   ["line 4", "expected 12 fields, got 11"])


def test_malformed_row_unquoted_comma():
    # the comma in "Rst,Ground" without quotes makes 13 fields
    bad = ROW.replace(b'"Rst,Ground Dom. Consum"', b"Rst,Ground Dom. Consum")
    check_rejected(make_zip({"psd_coffee.csv": csv(HEADER, ROW, bad)}),
                   ["line 3", "got 13"])


def test_malformed_row_value_not_numeric():
    bad = ROW.replace(b",21000.5", b",n/a")
    check_rejected(make_zip({"psd_coffee.csv": csv(HEADER, bad)}), ["line 2", "Value 'n/a'"])


def test_malformed_row_unterminated_quote():
    bad = ROW.replace(b'"Brazil"', b'"Brazil')
    check_rejected(make_zip({"psd_coffee.csv": csv(HEADER, ROW, bad)}), ["line 3", "quote"])


def test_real_csv_with_one_broken_row():
    lines = sample_csv_bytes().split(b"\r\n")
    lines[5000] = lines[5000] + b",extra"
    check_rejected(make_zip({"psd_coffee.csv": b"\r\n".join(lines)}),
                   ["line 5001", "got 13"])


def test_header_only():
    check_rejected(make_zip({"psd_coffee.csv": csv(HEADER)}), "no data rows")


def test_empty_body():
    check_rejected(b"", "empty response body")


def test_empty_csv_member():
    check_rejected(make_zip({"psd_coffee.csv": b""}), "psd_coffee.csv: empty file")


def test_zip_decompression_bomb():
    # ~40 MB of zeros deflates to ~40 KB; the cap is 20 MB (the sample needs 8.3 MB)
    bomb = make_zip({"psd_coffee.csv": csv(HEADER) + b"0" * (40 << 20)})
    assert len(bomb) < 200_000
    check_rejected(bomb, ["psd_coffee.csv", "cap"], {"EXTRACT_MAX_BYTES": str(20 << 20)})


def test_gzip_decompression_bomb():
    bomb = gzip.compress(csv(HEADER) + b"0" * (40 << 20))
    check_rejected(bomb, ["gzip", "cap"], {"EXTRACT_MAX_BYTES": str(20 << 20)})


def test_download_over_cap():
    check_rejected(sample_zip_bytes(), "larger than the cap", {"EXTRACT_MAX_BYTES": "100000"})


def test_truncated_gzip():
    g = gzip.compress(sample_csv_bytes())
    check_rejected(g[: len(g) // 2], "truncated gzip")


def test_binary_garbage():
    check_rejected(random.Random(42).randbytes(2048).replace(b"<", b"x").replace(b"PK", b"pk")
                   .replace(b"\x1f\x8b", b"xx"), "not a zip, gzip or PSD CSV")


def test_second_extract_while_one_runs():
    # one extract at a time: while another process holds LANDING_DIR.extract.lock, extract
    # fails at once naming the lock, fetches nothing and lands nothing
    import fcntl
    srv = PsdServer()
    srv.routes["/good.zip"] = Route(body=sample_zip_bytes(), etag='"good"', last_modified=LM)
    s = Scratch("extract-bad")
    try:
        with open(s.landing + ".extract.lock", "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            p = s.run("extract", "psd", env=dict(PSD_SOURCE_URL=srv.url("/good.zip")))
            assert p.returncode == 1 and "another extract is running" in p.stderr, p.stderr
            assert srv.count("/good.zip") == 0 and landed_files(s) == {}, landed_files(s)
        s.run("extract", "psd", env=dict(PSD_SOURCE_URL=srv.url("/good.zip")), check=0)  # lock released
        assert len(landed_files(s)) == 2
    finally:
        srv.close()
        s.cleanup()


if __name__ == "__main__":
    main([test_html_error_page, test_truncated_zip, test_zip_with_no_csv, test_zip_with_two_csvs,
          test_wrong_header, test_missing_header_column, test_malformed_row_short,
          test_malformed_row_unquoted_comma, test_malformed_row_value_not_numeric,
          test_malformed_row_unterminated_quote, test_real_csv_with_one_broken_row,
          test_header_only, test_empty_body, test_empty_csv_member, test_zip_decompression_bomb,
          test_gzip_decompression_bomb, test_download_over_cap, test_truncated_gzip,
          test_binary_garbage, test_second_extract_while_one_runs])
