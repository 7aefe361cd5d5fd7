"""The PSD model SQL run straight through DuckDB (psd_direct.py), no engine involved.

Checks the SQL of models/ and audits/ on its own: the real December 2022 release gives
the exact serving figures, and a second landed release with changed values shows up in
psd_revisions while coffee_balance follows the newest release. The same checks run
through `materia run` in test_psd_models.py.
"""
import datetime
import os

import psd_direct
import psd_fixtures as fx
from harness import Scratch, main


def test_sample_release_direct():
    s = Scratch("models-direct")
    fx.land(s.landing, fx.sample_csv(), "2022/12", "2022-12-20", "2022-12-21T08:00:00Z")
    counts = psd_direct.build(s, s.lakehouse, s.landing)
    assert counts["raw.psd_coffee"] == 77957 and counts["staging.psd_coffee"] == 77957, counts
    q = lambda sql: s.sql(s.lakehouse, sql)  # noqa: E731
    fx.check_schema(q, "serving.")
    fx.check_sample_release(q, "serving.")
    rel = q("SELECT * FROM serving.releases")
    assert len(rel) == 1 and rel[0]["rows"] == 77957 and rel[0]["landed_at"].startswith("2022-12-21 08:00:00"), rel
    assert rel[0]["file"].startswith("psd/2022/12/") and rel[0]["file"].endswith(".csv.gzip"), rel
    s.cleanup()


def test_two_releases_direct():
    s = Scratch("models-direct")
    data = fx.sample_csv()
    e1 = fx.land(s.landing, data, "2022/12", "2022-12-20", "2022-12-21T08:00:00Z")
    e2 = fx.land(s.landing, fx.revised_csv(data), "2023/01", "2023-01-12", "2023-01-13T08:00:00Z")
    psd_direct.build(s, s.lakehouse, s.landing)
    q = lambda sql: s.sql(s.lakehouse, sql)  # noqa: E731
    check_two_releases(q, "serving.", e1, e2)
    s.cleanup()


def test_data_file_without_meta_direct():
    s = Scratch("models-direct")
    fx.land(s.landing, fx.sample_csv(), "2022/12", None, None, with_meta=False)
    psd_direct.build(s, s.lakehouse, s.landing)
    rel = s.sql(s.lakehouse, "SELECT * FROM serving.releases")
    assert len(rel) == 1 and rel[0]["release_date"] == "2022-12-01" and rel[0]["rows"] == 77957, rel
    data = [os.path.join(r, f) for r, _, fs in os.walk(s.landing) for f in fs if f.endswith(".csv.gzip")]
    mtime = datetime.datetime.fromtimestamp(os.stat(data[0]).st_mtime, datetime.timezone.utc)
    assert rel[0]["landed_at"].startswith(mtime.strftime("%Y-%m-%d %H:%M:%S")), (rel, mtime)  # no meta: file mtime
    assert rel[0]["etag"] == os.path.basename(rel[0]["file"])[:-len(".csv.gzip")], rel
    s.cleanup()


def test_relanded_same_release_date_direct():
    # A corrected file published under the same release date: the later landing stands
    # for that date (one revisions row per key and date), and coffee_balance uses it.
    s = Scratch("models-direct")
    data = fx.sample_csv()
    fx.land(s.landing, data, "2022/12", "2022-12-20", "2022-12-21T08:00:00Z")
    e2 = fx.land(s.landing, fx.revised_csv(data), "2022/12", "2022-12-20", "2022-12-22T08:00:00Z")
    psd_direct.build(s, s.lakehouse, s.landing)
    q = lambda sql: s.sql(s.lakehouse, sql)  # noqa: E731
    assert len(q("SELECT * FROM serving.releases")) == 2
    r = q("""SELECT value, previous_value, change FROM serving.psd_revisions
             WHERE country_code = 'BR' AND market_year = 2018 AND attribute = 'production'""")
    assert r == [{"value": 52600, "previous_value": None, "change": None}], r
    n = q("SELECT count(*) AS n FROM serving.psd_revisions")[0]["n"]
    assert n == 77957, n
    br = q("SELECT production FROM serving.coffee_balance WHERE country_code = 'BR' AND market_year = 2018")
    assert br == [{"production": 52600}], br
    assert q("SELECT DISTINCT etag FROM foundation.coffee_balance") == [{"etag": e2}]
    s.cleanup()


def check_two_releases(q, prefix, e1, e2):
    rel = q(f"SELECT release_date, etag, rows FROM {prefix}releases ORDER BY release_date")
    assert rel == [{"release_date": "2022-12-20", "etag": e1, "rows": 77957},
                   {"release_date": "2023-01-12", "etag": e2, "rows": 77957}], rel
    br = q(f"SELECT * FROM {prefix}coffee_balance WHERE country_code = 'BR' AND market_year = 2018")[0]
    assert (br["production"], br["arabica_production"], br["robusta_production"], br["ending_stocks"],
            br["release_date"]) == (52600, 40000, 12600, 3615, "2023-01-12"), br
    # Every row comes from the newest release.
    assert q(f"SELECT DISTINCT release_date FROM {prefix}coffee_balance") == [{"release_date": "2023-01-12"}]
    rev = q(f"""SELECT attribute, release_date, value, previous_value, change FROM {prefix}psd_revisions
                WHERE country_code = 'BR' AND market_year = 2018
                  AND attribute IN ('production', 'arabica_production', 'robusta_production', 'ending_stocks')
                ORDER BY attribute, release_date""")
    assert rev == [
        {"attribute": "arabica_production", "release_date": "2022-12-20", "value": 39500, "previous_value": None, "change": None},
        {"attribute": "arabica_production", "release_date": "2023-01-12", "value": 40000, "previous_value": 39500, "change": 500},
        {"attribute": "ending_stocks", "release_date": "2022-12-20", "value": 3115, "previous_value": None, "change": None},
        {"attribute": "ending_stocks", "release_date": "2023-01-12", "value": 3615, "previous_value": 3115, "change": 500},
        {"attribute": "production", "release_date": "2022-12-20", "value": 52100, "previous_value": None, "change": None},
        {"attribute": "production", "release_date": "2023-01-12", "value": 52600, "previous_value": 52100, "change": 500},
        {"attribute": "robusta_production", "release_date": "2022-12-20", "value": 12600, "previous_value": None, "change": None},
        {"attribute": "robusta_production", "release_date": "2023-01-12", "value": 12600, "previous_value": 12600, "change": 0},
    ], rev
    vm = q(f"""SELECT value, previous_value, change FROM {prefix}psd_revisions WHERE country_code = 'VM'
               AND market_year = 2022 AND attribute = 'exports' AND release_date = '2023-01-12'""")
    assert len(vm) == 1 and vm[0]["value"] == 27000 and vm[0]["change"] == 27000 - vm[0]["previous_value"] != 0, vm
    n = q(f"""SELECT count(*) AS n, count(previous_value) AS prev,
                     count(*) FILTER (WHERE change <> 0) AS changed FROM {prefix}psd_revisions""")[0]
    # 7 values changed: the 6 of REVISIONS plus Vietnam's 2022 ending stocks.
    assert n == {"n": 2 * 77957, "prev": 77957, "changed": 7}, n


if __name__ == "__main__":
    main([test_sample_release_direct, test_two_releases_direct, test_data_file_without_meta_direct,
          test_relanded_same_release_date_direct])
