"""extract psd from file://, landing list, and the command-line contract (help, usage)."""
import gzip
import hashlib
import os
import zipfile

from harness import SAMPLE_ZIP, Scratch, main
from psd_server import data_files, landed_files, sample_csv_bytes

FILE_URL = "file://" + os.path.abspath(SAMPLE_ZIP)


def test_file_url_lands_exactly_one_then_none():
    s = Scratch("extract-file")
    p = s.run("extract", "psd", env=dict(PSD_SOURCE_URL=FILE_URL), check=0)
    sha = hashlib.sha256(sample_csv_bytes()).hexdigest()
    # no server ETag: named by the CSV's SHA-256; no Last-Modified: dated by the zip member
    rel = f"psd/2022/12/{sha}.csv.gzip"
    assert data_files(s) == [rel]
    assert sorted(landed_files(s)) == [rel, f"psd/2022/12/{sha}.meta.json"]
    assert p.stdout == f"landed {os.path.join(s.landing, rel)} " \
                       f"({os.path.getsize(os.path.join(s.landing, rel))} bytes, 77957 rows)\n"
    with gzip.open(os.path.join(s.landing, rel)) as g:
        assert g.read() == sample_csv_bytes()
    before = landed_files(s)
    p = s.run("extract", "psd", env=dict(PSD_SOURCE_URL=FILE_URL), check=0)
    assert p.stdout == "unchanged\n"
    assert landed_files(s) == before
    s.cleanup()


def test_file_url_missing_file():
    s = Scratch("extract-file")
    url = "file://" + s.dir + "/nope.zip"
    p = s.run("extract", "psd", env=dict(PSD_SOURCE_URL=url), check=1)
    assert url in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert not os.path.exists(s.landing)
    s.cleanup()


def test_unsupported_scheme_fails():
    s = Scratch("extract-file")
    p = s.run("extract", "psd", env=dict(PSD_SOURCE_URL="ftp://127.0.0.1/x.zip"), check=1)
    assert "ftp://127.0.0.1/x.zip" in p.stderr
    s.cleanup()


def test_landing_list_empty_and_after_landing():
    s = Scratch("extract-file")
    p = s.run("landing", "list", check=0)
    assert p.stdout == "release_date\tetag\tbytes\trows\tlanded_at\tfile\n"
    s.run("extract", "psd", env=dict(PSD_SOURCE_URL=FILE_URL), check=0)
    p = s.run("landing", "list", check=0)
    lines = p.stdout.splitlines()
    assert len(lines) == 2, p.stdout
    date, etag, size, rows, landed_at, f = lines[1].split("\t")
    assert date == "2022-12-20" and rows == "77957"
    assert etag == hashlib.sha256(sample_csv_bytes()).hexdigest()
    assert int(size) == os.path.getsize(os.path.join(s.landing, f))
    assert landed_at.endswith("Z")
    s.cleanup()


def test_landing_list_data_file_without_meta():
    s = Scratch("extract-file")
    s.run("extract", "psd", env=dict(PSD_SOURCE_URL=FILE_URL), check=0)
    # a data file landed by hand (no meta) is listed, rows counted from the file
    d = os.path.join(s.landing, "psd", "2021", "03")
    os.makedirs(d)
    small = sample_csv_bytes()[:sample_csv_bytes().index(b"\r\n", 5000) + 2]
    with open(os.path.join(d, "manual.csv.gzip"), "wb") as f:
        f.write(gzip.compress(small))
    os.utime(os.path.join(d, "manual.csv.gzip"), (0, 0))  # old: lists first
    # a meta file without its data file is ignored
    with open(os.path.join(d, "orphan.meta.json"), "w") as f:
        f.write('{"etag":"orphan","sha256":"x","landed_at":"2099-01-01T00:00:00Z","release_date":"2021-03-01"}')
    p = s.run("landing", "list", check=0)
    rows = [l.split("\t") for l in p.stdout.splitlines()[1:]]
    assert len(rows) == 2, p.stdout
    assert rows[0][1] == "manual" and rows[0][0] == "2021-03"
    assert rows[0][3] == str(small.count(b"\n") - 1), rows[0]
    assert rows[1][0] == "2022-12-20"
    # the hand-landed data counts for dedup too: its content is "already landed"
    s.cleanup()


def test_extract_cli_usage():
    s = Scratch("extract-file")
    p = s.run("extract", "--help", check=0)
    assert p.stdout.startswith("usage: materia extract") and "psd" in p.stdout
    p = s.run("extract", "psd", "--help", check=0)
    assert p.stdout.startswith("usage: materia extract psd") and "PSD_SOURCE_URL" in p.stdout
    for args in (["extract"], ["extract", "wheat"], ["extract", "--frob"],
                 ["extract", "psd", "--frob"], ["extract", "psd", "extra"],
                 ["landing"], ["landing", "delete"], ["landing", "list", "--frob"]):
        p = s.run(*args, check=2)
        assert p.stdout == "" and "usage: materia" in p.stderr, (args, p.stderr)
    p = s.run("landing", "--help", check=0)
    assert p.stdout.startswith("usage: materia landing list")
    p = s.run("landing", "list", "--help", check=0)
    assert p.stdout.startswith("usage: materia landing list")
    assert not os.path.exists(s.landing)
    s.cleanup()


def test_dedup_against_data_file_without_meta():
    s = Scratch("extract-file")
    d = os.path.join(s.landing, "psd", "2022", "12")
    os.makedirs(d)
    with open(os.path.join(d, "by-hand.csv.gzip"), "wb") as f:
        f.write(gzip.compress(sample_csv_bytes()))
    before = landed_files(s)
    p = s.run("extract", "psd", env=dict(PSD_SOURCE_URL=FILE_URL), check=0)
    assert p.stdout == "unchanged\n"
    assert landed_files(s) == before
    s.cleanup()


if __name__ == "__main__":
    main([test_file_url_lands_exactly_one_then_none, test_file_url_missing_file,
          test_unsupported_scheme_fails, test_landing_list_empty_and_after_landing,
          test_landing_list_data_file_without_meta, test_extract_cli_usage,
          test_dedup_against_data_file_without_meta])
