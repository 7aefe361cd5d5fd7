"""End to end: the PSD coffee models through `materia run` on the real December 2022 release.

Lands the real sample with `materia extract psd` (PSD_SOURCE_URL=file://…sample zip) into
a scratch LANDING_DIR, runs `materia run` with the project's models/, seeds/ and audits/,
and checks the serving layer of the lakehouse through `materia sql`: exact figures
(Brazil 2018: production 52100, arabica 39500, robusta 12600, ending stocks 3115), the
PSD identities on every row, world sums, the country map; then a second release (a zip
of the sample with some values changed, member dated 2023-01-12) landed by extract and a
second run: psd_revisions shows value/previous_value/change and coffee_balance follows
the newest release. A data file landed by hand without its meta file is loaded too.
"""
import csv
import datetime
import hashlib
import io
import os
import zipfile

import psd_fixtures as fx
from harness import SAMPLE_ZIP, Scratch, main
from test_psd_models_direct import check_two_releases


def extract(s, zip_path):
    p = s.run("extract", "psd", env={"PSD_SOURCE_URL": "file://" + zip_path})
    assert p.returncode == 0, f"materia extract psd: exit {p.returncode}\n{p.stdout}\n{p.stderr}"


def make_zip(path, csv_bytes, date_time):
    """A PSD-style bulk zip: one member psd_coffee.csv dated date_time (the release date)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("psd_coffee.csv", date_time=date_time), csv_bytes)


def run_ok(s):
    p = s.run("run")
    assert p.returncode == 0, f"materia run: exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return p


def test_sample_release_end_to_end():
    s = Scratch("models")
    extract(s, SAMPLE_ZIP)
    etag = hashlib.sha256(fx.sample_csv()).hexdigest()
    run_ok(s)
    q = lambda sql: s.sql(s.lakehouse, sql)  # noqa: E731
    fx.check_schema(q, "serving.")
    fx.check_sample_release(q, "serving.")
    rel = q("SELECT * FROM serving.releases")
    assert len(rel) == 1 and rel[0]["etag"] == etag and rel[0]["rows"] == 77957, rel
    assert rel[0]["file"] == f"psd/2022/12/{etag}.csv.gzip", rel
    assert q("SELECT count(*) AS n FROM raw.psd_coffee") == [{"n": 77957}]
    s.cleanup()


def test_two_releases_end_to_end():
    s = Scratch("models")
    data = fx.sample_csv()
    extract(s, SAMPLE_ZIP)
    run_ok(s)
    revised = fx.revised_csv(data)
    zip2 = os.path.join(s.dir, "psd_coffee_2023_01.zip")
    make_zip(zip2, revised, (2023, 1, 12, 10, 0, 0))
    extract(s, zip2)
    assert any(k.startswith("psd/2023/01/") for k in s.tree()), s.tree()
    run_ok(s)
    e1, e2 = hashlib.sha256(data).hexdigest(), hashlib.sha256(revised).hexdigest()
    q = lambda sql: s.sql(s.lakehouse, sql)  # noqa: E731
    # Each landing loaded exactly once into raw and staging.
    for t in ("raw.psd_coffee", "staging.psd_coffee"):
        n = q(f"SELECT release_file, count(*) AS n FROM {t} GROUP BY ALL ORDER BY ALL")
        assert [r["n"] for r in n] == [77957, 77957], (t, n)
    check_two_releases(q, "serving.", e1, e2)
    # A third run with nothing new landed changes nothing.
    before = q("SELECT count(*) AS n, sum(value) AS v FROM serving.psd_revisions")
    run_ok(s)
    assert q("SELECT count(*) AS n, sum(value) AS v FROM serving.psd_revisions") == before
    s.cleanup()


def test_data_file_without_meta_end_to_end():
    s = Scratch("models")
    fx.land(s.landing, fx.sample_csv(), "2022/11", None, None, with_meta=False)
    run_ok(s)
    rel = s.sql(s.lakehouse, "SELECT release_date, rows, CAST(landed_at AS VARCHAR) AS landed_at FROM serving.releases")
    # a file placed by hand has no meta: its modification time stands in for landed_at,
    # so the next run loads it (an older date would fall in an interval already processed)
    data = [os.path.join(r, f) for r, _, fs in os.walk(s.landing) for f in fs if f.endswith(".csv.gzip")]
    mtime = datetime.datetime.fromtimestamp(os.stat(data[0]).st_mtime, datetime.timezone.utc)
    assert rel[0]["release_date"] == "2022-11-01" and rel[0]["rows"] == 77957, rel
    assert rel[0]["landed_at"].startswith(mtime.strftime("%Y-%m-%d %H:%M:%S")), (rel, mtime)
    fx.check_sample_release(lambda sql: s.sql(s.lakehouse, sql), "serving.", release_date="2022-11-01")
    s.cleanup()


def test_key_missing_from_newer_release_keeps_its_newest_row():
    # coffee_balance is incremental by key: a second release lacking Brazil 2018 (and with
    # Vietnam 2022 revised) must leave Brazil 2018 from the first release, as the full
    # recompute did ("the newest release that has that key"), and take every other key
    # from the second release.
    s = Scratch("models")
    data = fx.sample_csv()
    extract(s, SAMPLE_ZIP)
    run_ok(s)
    rows = list(csv.reader(io.StringIO(fx.revised_csv(data).decode("utf-8"))))
    kept = [r for r in rows if not (r[2] == "BR" and r[4] == "2018")]
    assert len(kept) < len(rows)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(kept)
    zip2 = os.path.join(s.dir, "psd_coffee_2023_01.zip")
    make_zip(zip2, buf.getvalue().encode("utf-8"), (2023, 1, 12, 10, 0, 0))
    extract(s, zip2)
    p = run_ok(s)
    assert "upsert" in p.stdout, p.stdout
    q = lambda sql: s.sql(s.lakehouse, sql)  # noqa: E731
    br = q("""SELECT production, ending_stocks, CAST(release_date AS VARCHAR) AS release_date
              FROM serving.coffee_balance WHERE country_code = 'BR' AND market_year = 2018""")
    assert br == [{"production": 52100, "ending_stocks": 3115, "release_date": "2022-12-20"}], br
    n = q("""SELECT count(*) AS n, count(*) FILTER (WHERE release_date = '2023-01-12') AS new
             FROM serving.coffee_balance""")[0]
    assert n == {"n": 4103, "new": 4102}, n
    vm = q("SELECT exports FROM serving.coffee_balance WHERE country_code = 'VM' AND market_year = 2022")
    assert vm == [{"exports": 27000}], vm
    s.cleanup()


if __name__ == "__main__":
    main([test_sample_release_end_to_end, test_two_releases_end_to_end,
          test_data_file_without_meta_end_to_end,
          test_key_missing_from_newer_release_keeps_its_newest_row])
