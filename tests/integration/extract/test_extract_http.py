"""extract psd over real HTTP on 127.0.0.1: landing, naming, meta, If-None-Match, re-runs,
byte-for-byte content, retries (5xx, timeouts) and no retry on 4xx."""
import gzip
import json
import os

from harness import Scratch, main
from psd_server import (PsdServer, Route, data_files, landed_files, make_zip, sample_csv_bytes,
                        sample_zip_bytes)

LM = "Tue, 20 Dec 2022 15:02:00 GMT"
FAST = {"EXTRACT_BACKOFF_MS": "10"}


def setup(route_path="/psd_coffee_csv.zip", **route_kw):
    srv = PsdServer()
    srv.routes[route_path] = Route(**route_kw)
    s = Scratch("extract-http")
    env = dict(FAST, PSD_SOURCE_URL=srv.url(route_path))
    return srv, s, env


def test_lands_sample_with_etag_and_last_modified():
    srv, s, env = setup(body=sample_zip_bytes(), etag='"5f3a-abc/def"', last_modified=LM)
    p = s.run("extract", "psd", env=env, check=0)
    want = os.path.join(s.landing, "psd", "2022", "12", "5f3a-abc_def.csv.gzip")
    assert p.stdout == f"landed {want} ({os.path.getsize(want)} bytes, 77957 rows)\n", p.stdout
    files = landed_files(s)
    assert sorted(files) == ["psd/2022/12/5f3a-abc_def.csv.gzip",
                             "psd/2022/12/5f3a-abc_def.meta.json"], files
    with open(os.path.join(s.landing, "psd/2022/12/5f3a-abc_def.meta.json")) as f:
        meta = json.load(f)
    assert meta["etag"] == '"5f3a-abc/def"'
    assert meta["url"] == env["PSD_SOURCE_URL"]
    assert meta["last_modified"] == LM
    assert meta["release_date"] == "2022-12-20"
    assert meta["rows"] == 77957
    assert meta["csv_bytes"] == 8271017
    assert meta["gzip_bytes"] == os.path.getsize(want)
    assert meta["landed_at"].endswith("Z") and meta["landed_at"][:2] == "20"
    import hashlib
    assert meta["sha256"] == hashlib.sha256(sample_csv_bytes()).hexdigest()
    # meta is written before the data file (the data file is the commit point)
    assert files["psd/2022/12/5f3a-abc_def.meta.json"][1] <= files["psd/2022/12/5f3a-abc_def.csv.gzip"][1]
    srv.close()
    s.cleanup()


def test_landed_file_is_the_csv_byte_for_byte():
    srv, s, env = setup(body=sample_zip_bytes(), etag='"v1"', last_modified=LM)
    s.run("extract", "psd", env=env, check=0)
    (f,) = data_files(s)
    with gzip.open(os.path.join(s.landing, f), "rb") as g:
        assert g.read() == sample_csv_bytes()
    srv.close()
    s.cleanup()


def test_rerun_sends_if_none_match_and_lands_nothing():
    srv, s, env = setup(body=sample_zip_bytes(), etag='"v1"', last_modified=LM)
    s.run("extract", "psd", env=env, check=0)
    before = landed_files(s)
    p = s.run("extract", "psd", env=env, check=0)
    assert p.stdout == "unchanged\n", p.stdout
    assert srv.requests[0][1] is None, srv.requests
    assert srv.requests[1][1] == '"v1"', srv.requests  # the raw ETag, quotes included
    assert landed_files(s) == before
    srv.close()
    s.cleanup()


def test_same_content_new_etag_is_unchanged():
    srv, s, env = setup(body=sample_zip_bytes(), etag='"v1"', last_modified=LM)
    s.run("extract", "psd", env=env, check=0)
    before = landed_files(s)
    srv.routes["/psd_coffee_csv.zip"].etag = '"v2-same-bytes"'
    p = s.run("extract", "psd", env=env, check=0)
    assert p.stdout == "unchanged\n", p.stdout
    assert landed_files(s) == before
    srv.close()
    s.cleanup()


def test_older_landed_etag_is_unchanged():
    # the server answers 200 with an ETag that is landed but not the newest
    srv, s, env = setup(body=sample_zip_bytes(), etag='"v1"', last_modified=LM)
    s.run("extract", "psd", env=env, check=0)
    csv2 = sample_csv_bytes().replace(b"1800.0000", b"1801.0000", 1)
    srv.routes["/psd_coffee_csv.zip"] = Route(body=make_zip({"psd_coffee.csv": csv2}),
                                              etag='"v2"', last_modified="Fri, 12 May 2023 10:00:00 GMT")
    s.run("extract", "psd", env=env, check=0)
    before = landed_files(s)
    srv.routes["/psd_coffee_csv.zip"] = Route(body=b"garbage that is never read", etag='"v1"')
    p = s.run("extract", "psd", env=env, check=0)
    assert p.stdout == "unchanged\n", p.stdout
    assert srv.requests[-1][1] == '"v2"', srv.requests  # newest sent as If-None-Match
    assert landed_files(s) == before
    srv.close()
    s.cleanup()


def test_new_release_lands_second_file_and_list_is_newest_last():
    srv, s, env = setup(body=sample_zip_bytes(), etag='"v1"', last_modified=LM)
    s.run("extract", "psd", env=env, check=0)
    csv2 = sample_csv_bytes().replace(b"1800.0000", b"1801.0000", 1)
    # no Last-Modified: the zip member's mtime (2023-05-12) dates the release
    srv.routes["/psd_coffee_csv.zip"] = Route(body=make_zip({"psd_coffee.csv": csv2}), etag='"v2"')
    p = s.run("extract", "psd", env=env, check=0)
    assert p.stdout.startswith("landed " + os.path.join(s.landing, "psd/2023/05/v2.csv.gzip")), p.stdout
    assert data_files(s) == ["psd/2022/12/v1.csv.gzip", "psd/2023/05/v2.csv.gzip"]
    p = s.run("landing", "list", check=0)
    lines = p.stdout.splitlines()
    assert lines[0].split("\t") == ["release_date", "etag", "bytes", "rows", "landed_at", "file"]
    rows = [l.split("\t") for l in lines[1:]]
    assert [r[1] for r in rows] == ['"v1"', '"v2"'], rows
    assert [r[0] for r in rows] == ["2022-12-20", "2023-05-12"], rows
    assert [r[3] for r in rows] == ["77957", "77957"], rows
    assert rows[1][2] == str(os.path.getsize(os.path.join(s.landing, "psd/2023/05/v2.csv.gzip")))
    srv.close()
    s.cleanup()


def test_no_etag_names_release_by_sha256():
    import hashlib
    srv, s, env = setup(body=sample_zip_bytes(), last_modified=LM)
    s.run("extract", "psd", env=env, check=0)
    sha = hashlib.sha256(sample_csv_bytes()).hexdigest()
    assert data_files(s) == [f"psd/2022/12/{sha}.csv.gzip"]
    p = s.run("extract", "psd", env=env, check=0)
    assert p.stdout == "unchanged\n"
    assert srv.requests[1][1] is None  # a sha256 is never sent as an ETag
    srv.close()
    s.cleanup()


def test_gzip_and_plain_csv_bodies_land():
    srv, s, env = setup(body=gzip.compress(sample_csv_bytes()), etag='"gz"', last_modified=LM,
                        content_type="application/octet-stream")
    p = s.run("extract", "psd", env=env, check=0)
    assert "77957 rows" in p.stdout
    with gzip.open(os.path.join(s.landing, "psd/2022/12/gz.csv.gzip")) as g:
        assert g.read() == sample_csv_bytes()
    s.cleanup()
    s = Scratch("extract-http")
    csv = b'Commodity_Code,Commodity_Description,Country_Code,Country_Name,Market_Year,Calendar_Year,Month,Attribute_ID,Attribute_Description,Unit_ID,Unit_Description,Value\n' \
          b'0711100,"Coffee, Green",BR,"Brazil",2021,2022,06,141,"Rst,Ground Dom. Consum",02,"(1000 60 KG BAGS)",21000.5\n'
    srv.routes["/psd_coffee_csv.zip"] = Route(body=csv, etag='"plain"', last_modified=LM,
                                              content_type="application/zip")  # lying type
    p = s.run("extract", "psd", env=env, check=0)
    assert "1 rows" in p.stdout, p.stdout
    with gzip.open(os.path.join(s.landing, "psd/2022/12/plain.csv.gzip")) as g:
        assert g.read() == csv
    srv.close()
    s.cleanup()


def test_5xx_is_retried_then_succeeds():
    srv, s, env = setup(body=sample_zip_bytes(), etag='"v1"', last_modified=LM,
                        statuses=[503, 500])
    p = s.run("extract", "psd", env=env, check=0)
    assert p.stdout.startswith("landed "), p.stdout
    assert srv.count("/psd_coffee_csv.zip") == 3
    assert "retrying" in p.stderr
    srv.close()
    s.cleanup()


def test_5xx_gives_up_after_retries():
    srv, s, env = setup(body=sample_zip_bytes(), etag='"v1"', statuses=[503] * 10)
    p = s.run("extract", "psd", env=dict(env, EXTRACT_RETRIES="2"), check=1)
    assert srv.count("/psd_coffee_csv.zip") == 3
    last = p.stderr.strip().splitlines()[-1]
    assert env["PSD_SOURCE_URL"] in last and "503" in last, p.stderr
    assert landed_files(s) == {}
    srv.close()
    s.cleanup()


def test_4xx_fails_at_once():
    for status in (404, 403, 410):
        srv, s, env = setup(body=sample_zip_bytes(), etag='"v1"', statuses=[status] * 10)
        p = s.run("extract", "psd", env=env, check=1)
        assert srv.count("/psd_coffee_csv.zip") == 1, (status, srv.requests)
        assert p.stdout == ""
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert env["PSD_SOURCE_URL"] in p.stderr and str(status) in p.stderr, p.stderr
        assert landed_files(s) == {}
        srv.close()
        s.cleanup()


def test_timeout_is_retried():
    # first answer comes after the 2 s total timeout; the retry is answered at once
    srv, s, env = setup(body=sample_zip_bytes(), etag='"v1"', last_modified=LM, delays=[6])
    p = s.run("extract", "psd", env=dict(env, EXTRACT_TIMEOUT_S="2"), check=0)
    assert p.stdout.startswith("landed "), p.stdout + p.stderr
    assert srv.count("/psd_coffee_csv.zip") == 2
    assert "timed out" in p.stderr, p.stderr
    srv.close()
    s.cleanup()


def test_connection_refused_fails_at_once():
    srv = PsdServer()
    url = srv.url("/x.zip")
    srv.close()  # nothing listens on that port any more
    s = Scratch("extract-http")
    p = s.run("extract", "psd", env=dict(FAST, PSD_SOURCE_URL=url), check=1)
    assert url in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert landed_files(s) == {}
    s.cleanup()


if __name__ == "__main__":
    main([test_lands_sample_with_etag_and_last_modified, test_landed_file_is_the_csv_byte_for_byte,
          test_rerun_sends_if_none_match_and_lands_nothing, test_same_content_new_etag_is_unchanged,
          test_older_landed_etag_is_unchanged,
          test_new_release_lands_second_file_and_list_is_newest_last,
          test_no_etag_names_release_by_sha256, test_gzip_and_plain_csv_bodies_land,
          test_5xx_is_retried_then_succeeds, test_5xx_gives_up_after_retries,
          test_4xx_fails_at_once, test_timeout_is_retried, test_connection_refused_fails_at_once])
