"""psd_fixtures.py — landing trees and shared checks for the PSD model tests.

land() writes one release by hand exactly as the landing contract (docs/ARCHITECTURE.md
§1) says extract does: {etag}.meta.json first, then {etag}.csv.gzip. sample_csv() is the
real December 2022 PSD coffee CSV; revised_csv() changes a few known values of it to
make a second release. The check_* functions take q(sql) -> list of dict rows and assert
exact figures of the real release on the serving tables.
"""
import csv
import gzip
import hashlib
import io
import json
import os
import zipfile

from harness import SAMPLE_ZIP

QUANTITIES = ["production", "arabica_production", "robusta_production", "other_production",
              "beginning_stocks", "imports", "bean_imports", "exports", "bean_exports",
              "domestic_consumption", "ending_stocks", "total_supply", "total_distribution"]

COFFEE_BALANCE_COLUMNS = ["country_code", "country_name", "iso3", "region", "market_year",
                          *QUANTITIES, "stocks_to_use_pct", "release_date"]
WORLD_BALANCE_COLUMNS = ["market_year", *QUANTITIES, "stocks_to_use_pct",
                         "reporting_countries", "release_date"]
PSD_REVISIONS_COLUMNS = ["country_code", "country_name", "market_year", "attribute",
                         "release_date", "value", "previous_value", "change"]
RELEASES_COLUMNS = ["release_date", "etag", "file", "rows", "landed_at"]
COUNTRIES_COLUMNS = ["country_code", "country_name", "iso2", "iso3", "iso_numeric", "region"]


def sample_csv():
    with zipfile.ZipFile(SAMPLE_ZIP) as z:
        return z.read("psd_coffee.csv")


# (country_code, market_year, attribute description) -> new value, for the second release.
# Brazil 2018: production +500 split as arabica +500 keeps production = arabica + robusta
# + other; total supply / distribution and ending stocks move too, keeping the identities.
REVISIONS = {
    ("BR", "2018", "Production"): "52600",
    ("BR", "2018", "Arabica Production"): "40000",
    ("BR", "2018", "Total Supply"): None,        # + 500, computed
    ("BR", "2018", "Ending Stocks"): "3615",
    ("BR", "2018", "Total Distribution"): None,  # + 500, computed
    ("VM", "2022", "Exports"): "27000",
}


def revised_csv(data):
    """The sample CSV with REVISIONS applied, rewritten by csv.writer: LF line ends and
    minimal quoting, unlike the CRLF, mostly-quoted original, so the two releases also
    differ in dialect as real republished files may."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    head, out = rows[0], [rows[0]]
    ci, yi, ai, vi = (head.index(c) for c in ("Country_Code", "Market_Year",
                                              "Attribute_Description", "Value"))
    changed = 0
    vm_exports_old = None
    for r in rows[1:]:
        key = (r[ci], r[yi], r[ai])
        if key in REVISIONS:
            new = REVISIONS[key]
            if new is None:
                new = str(int(float(r[vi])) + 500)
            if key == ("VM", "2022", "Exports"):
                vm_exports_old = float(r[vi])
            r = list(r)
            r[vi] = new
            changed += 1
        out.append(r)
    assert changed == len(REVISIONS), f"revised {changed} of {len(REVISIONS)} values"
    # Vietnam: more exports, less ending stocks by the same amount keeps the identity.
    delta = 27000 - vm_exports_old
    for r in out[1:]:
        if (r[ci], r[yi], r[ai]) == ("VM", "2022", "Ending Stocks"):
            r[vi] = str(int(float(r[vi]) - delta))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(out)
    return buf.getvalue().encode("utf-8")


def land(landing, data, yyyy_mm, release_date, landed_at, with_meta=True):
    """Lands data (CSV bytes) like extract: meta first, then the gzip; returns the etag."""
    sha = hashlib.sha256(data).hexdigest()
    d = os.path.join(landing, "psd", *yyyy_mm.split("/"))
    os.makedirs(d, exist_ok=True)
    gz = gzip.compress(data, mtime=0)
    if with_meta:
        meta = dict(etag=sha, url="file:///sample/psd_coffee_csv.zip", last_modified=None,
                    release_date=release_date, landed_at=landed_at, sha256=sha,
                    csv_bytes=len(data), gzip_bytes=len(gz), rows=data.count(b"\n") - 1)
        with open(os.path.join(d, sha + ".meta.json"), "w") as f:
            json.dump(meta, f)
    with open(os.path.join(d, sha + ".csv.gzip"), "wb") as f:
        f.write(gz)
    return sha


def columns(q, table):
    return [r["column_name"] for r in q(f"SELECT column_name FROM (DESCRIBE {table})")]


def check_schema(q, prefix=""):
    for table, cols in (("coffee_balance", COFFEE_BALANCE_COLUMNS),
                        ("world_balance", WORLD_BALANCE_COLUMNS),
                        ("psd_revisions", PSD_REVISIONS_COLUMNS),
                        ("releases", RELEASES_COLUMNS),
                        ("countries", COUNTRIES_COLUMNS)):
        got = columns(q, prefix + table)
        assert got == cols, f"{table} columns {got}, want {cols}"
    types = {r["column_name"]: r["column_type"]
             for r in q(f"SELECT column_name, column_type FROM (DESCRIBE {prefix}coffee_balance)")}
    assert types["market_year"] == "INTEGER" and types["release_date"] == "DATE", types
    assert all(types[c] == "DOUBLE" for c in QUANTITIES + ["stocks_to_use_pct"]), types
    types = {r["column_name"]: r["column_type"]
             for r in q(f"SELECT column_name, column_type FROM (DESCRIBE {prefix}releases)")}
    assert types == {"release_date": "DATE", "etag": "VARCHAR", "file": "VARCHAR",
                     "rows": "BIGINT", "landed_at": "TIMESTAMP"}, types


def check_sample_release(q, prefix="", release_date="2022-12-20"):
    """Exact figures of the December 2022 release on the serving tables."""
    br = q(f"SELECT * FROM {prefix}coffee_balance WHERE country_code = 'BR' AND market_year = 2018")
    assert len(br) == 1, br
    br = br[0]
    want = dict(country_name="Brazil", iso3="BRA", region="South America", production=52100,
                arabica_production=39500, robusta_production=12600, other_production=0,
                ending_stocks=3115, release_date=release_date)
    for k, v in want.items():
        assert br[k] == v, f"BR 2018 {k} = {br[k]!r}, want {v!r}"
    assert abs(br["stocks_to_use_pct"] - 3115 / (br["domestic_consumption"] + br["exports"]) * 100) < 1e-9
    n = q(f"SELECT count(*) AS n, count(DISTINCT country_code) AS c FROM {prefix}coffee_balance")[0]
    assert n == {"n": 4103, "c": 85}, n
    # PSD identities on every row, and stocks_to_use_pct NULL exactly when its denominator is 0.
    bad = q(f"""SELECT country_code, market_year FROM {prefix}coffee_balance WHERE
        abs(production - (arabica_production + robusta_production + other_production)) > 0.5
        OR abs(total_supply - (beginning_stocks + production + imports)) > 0.5
        OR abs(total_distribution - (exports + domestic_consumption + ending_stocks)) > 0.5
        OR production IS NULL OR total_supply IS NULL OR total_distribution IS NULL
        OR ((domestic_consumption + exports = 0) <> (stocks_to_use_pct IS NULL))""")
    assert bad == [], bad[:5]
    # World balance = sums over countries, every market year.
    w = q(f"""SELECT count(*) AS years, min(market_year) AS y0, max(market_year) AS y1
              FROM {prefix}world_balance""")[0]
    assert w == {"years": 64, "y0": 1960, "y1": 2023}, w
    sums = ", ".join(f"sum({c}) AS {c}" for c in QUANTITIES)
    mism = q(f"""WITH s AS (SELECT market_year, {sums}, count(*) AS reporting_countries
                            FROM {prefix}coffee_balance GROUP BY market_year)
                 SELECT s.market_year FROM s JOIN {prefix}world_balance w USING (market_year)
                 WHERE {' OR '.join(f's.{c} <> w.{c}' for c in QUANTITIES + ['reporting_countries'])}""")
    assert mism == [], mism
    w18 = q(f"SELECT * FROM {prefix}world_balance WHERE market_year = 2018")[0]
    # 84 of 85 countries report 2018 (Yemen (Sanaa) stops in 1991).
    assert (w18["reporting_countries"], w18["production"], w18["arabica_production"],
            w18["robusta_production"], w18["ending_stocks"], w18["total_supply"]) == \
        (84, 159839, 95249, 64590, 31991, 325775), w18
    assert abs(w18["stocks_to_use_pct"] - w18["ending_stocks"] / (w18["domestic_consumption"] + w18["exports"]) * 100) < 1e-9
    # Countries: 85, each with iso3; a few exact mappings.
    c = q(f"SELECT count(*) AS n, count(iso3) AS iso3, count(iso2) AS iso2, count(region) AS region FROM {prefix}countries")[0]
    assert c == {"n": 85, "iso3": 85, "iso2": 85, "region": 85}, c
    got = {r["country_code"]: (r["iso2"], r["iso3"], r["iso_numeric"], r["region"])
           for r in q(f"SELECT * FROM {prefix}countries WHERE country_code IN ('BR','VM','E4','CH','SZ','US','DM')")}
    assert got == {"BR": ("BR", "BRA", "076", "South America"), "VM": ("VN", "VNM", "704", "Asia"),
                   "E4": ("EU", "EUU", None, "Europe"), "CH": ("CN", "CHN", "156", "Asia"),
                   "SZ": ("CH", "CHE", "756", "Europe"), "US": ("US", "USA", "840", "Northern America"),
                   "DM": ("BJ", "BEN", "204", "Africa")}, got
    bad = q(f"SELECT * FROM {prefix}countries WHERE iso_numeric IS NOT NULL AND NOT regexp_full_match(iso_numeric, '[0-9]{{3}}')")
    assert bad == [], bad
    # Revisions: one release -> every key once, no previous value.
    r = q(f"""SELECT count(*) AS n, count(previous_value) AS prev, count(change) AS ch,
                     count(DISTINCT attribute) AS attrs FROM {prefix}psd_revisions""")[0]
    assert r == {"n": 77957, "prev": 0, "ch": 0, "attrs": 19}, r
