"""webfix.py — fixtures and a server driver for the web integration tests.

build_serving() makes a serving.duckdb with exactly the tables and columns of
ARCHITECTURE §3, straight from the bundled USDA sample (the zip member is extracted to a
temporary CSV and pivoted by `materia sql --write`). It adds a synthetic earlier release
(values x 0.97 for market years >= 2021) so psd_revisions has real before/after pairs.
variant() copies a built file (new inode) and gives it another snapshot_id.
add_cot_tables() adds the COT serving tables (cot_positioning, cot_index) computed with
plain SQL from CFTC's own files (sample/cftc-cot/); build_serving calls it, since the
serving contract lists those tables.

Server runs `materia serve --addr 127.0.0.1:0`, reads the bound port from the
"listening on http://127.0.0.1:PORT" line, logs stderr to a file, and on stop() sends
SIGTERM and requires a clean exit 0 (so ASan/LSan findings fail the test).
"""
import http.client
import json
import os
import shutil
import time
import zipfile

import harness
from harness import SAMPLE_ZIP

ISO = [  # code, iso2, iso3, iso_numeric, region
    ("BR", "BR", "BRA", "076", "South America"),
    ("VM", "VN", "VNM", "704", "Asia"),
    ("CO", "CO", "COL", "170", "South America"),
    ("ID", "ID", "IDN", "360", "Asia"),
    ("ET", "ET", "ETH", "231", "Africa"),
    ("HO", "HN", "HND", "340", "Central America"),
    ("IN", "IN", "IND", "356", "Asia"),
    ("UG", "UG", "UGA", "800", "Africa"),
    ("MX", "MX", "MEX", "484", "Central America"),
    ("US", "US", "USA", "840", "North America"),
    ("JA", "JP", "JPN", "392", "Asia"),
    ("E4", None, None, None, "Europe"),
]

QTY = ["production", "arabica_production", "robusta_production", "other_production",
       "beginning_stocks", "imports", "bean_imports", "exports", "bean_exports",
       "domestic_consumption", "ending_stocks", "total_supply", "total_distribution"]


def _lit(v):
    return "NULL" if v is None else "'" + v.replace("'", "''") + "'"


TABLES = ["coffee_balance", "world_balance", "psd_revisions", "releases", "countries"]


def checksum_sql(table):
    """The checksum export writes into _snapshot (src/serving/snapshot.c,
    serving_table_checksum): the reader recomputes it before it publishes a file."""
    return f"SELECT coalesce(sum(hash(_r::VARCHAR)), 0)::VARCHAR FROM {table} AS _r"


def reseal_sql():
    """Recomputes _snapshot's counts and checksums after a fixture's data was changed."""
    return " ".join(f"UPDATE _snapshot SET row_count = (SELECT count(*) FROM {t}), "
                    f"checksum = ({checksum_sql(t)}) WHERE table_name = '{t}';"
                    for t in TABLES + COT_TABLES)


def serving_sql(csv_path, snapshot_id):
    iso_rows = ",".join("(" + ",".join(_lit(x) for x in r) + ")" for r in ISO)
    piv = ",\n".join(f"  sum(value) FILTER (WHERE attribute = '{a}') AS {a}" for a in QTY)
    world = ",\n".join(f"  sum({a}) AS {a}" for a in QTY)
    tables = TABLES
    snap = " UNION ALL ".join(
        f"SELECT '{snapshot_id}' AS snapshot_id, TIMESTAMP '2022-12-21 06:00:00' AS created_at, "
        f"'run-{snapshot_id}' AS run_id, '{t}' AS table_name, (SELECT count(*) FROM {t}) AS row_count, "
        f"({checksum_sql(t)}) AS checksum" for t in tables)
    return f"""
CREATE TEMP TABLE raw AS SELECT * FROM read_csv('{csv_path}', header=true, all_varchar=true);
CREATE TEMP TABLE lf AS SELECT Country_Code AS country_code, Country_Name AS country_name,
  CAST(Market_Year AS INTEGER) AS market_year,
  lower(regexp_replace(regexp_replace(Attribute_Description, '[^A-Za-z0-9]+', '_', 'g'), '^_+|_+$', '', 'g')) AS attribute,
  CAST(Value AS DOUBLE) AS value FROM raw;
CREATE TEMP TABLE iso(code VARCHAR, iso2 VARCHAR, iso3 VARCHAR, iso_numeric VARCHAR, region VARCHAR);
INSERT INTO iso VALUES {iso_rows};
CREATE TABLE countries AS SELECT r.country_code, r.country_name, iso.iso2, iso.iso3, iso.iso_numeric, iso.region
  FROM (SELECT country_code, max(country_name) AS country_name FROM lf GROUP BY 1) r
  LEFT JOIN iso ON iso.code = r.country_code ORDER BY 1;
CREATE TEMP TABLE p AS SELECT country_code, market_year,
{piv}
  FROM lf GROUP BY ALL;
CREATE TABLE coffee_balance AS SELECT p.country_code, c.country_name, c.iso3, c.region, p.market_year,
  production, arabica_production, robusta_production, other_production, beginning_stocks, imports,
  bean_imports, exports, bean_exports, domestic_consumption, ending_stocks, total_supply, total_distribution,
  CASE WHEN domestic_consumption + exports > 0 THEN 100 * ending_stocks / (domestic_consumption + exports) END
    AS stocks_to_use_pct,
  DATE '2022-12-20' AS release_date
  FROM p JOIN countries c USING (country_code) ORDER BY 1, 5;
CREATE TABLE world_balance AS SELECT market_year,
{world},
  CASE WHEN sum(domestic_consumption) + sum(exports) > 0
    THEN 100 * sum(ending_stocks) / (sum(domestic_consumption) + sum(exports)) END AS stocks_to_use_pct,
  CAST(count(*) FILTER (WHERE production > 0) AS BIGINT) AS reporting_countries,
  DATE '2022-12-20' AS release_date
  FROM coffee_balance GROUP BY market_year ORDER BY market_year;
CREATE TABLE psd_revisions AS
  SELECT l.country_code, c.country_name, l.market_year, l.attribute, DATE '2022-11-15' AS release_date,
    round(l.value * 0.97, 1) AS value, CAST(NULL AS DOUBLE) AS previous_value, CAST(NULL AS DOUBLE) AS change
    FROM lf l JOIN countries c USING (country_code) WHERE l.market_year >= 2021
  UNION ALL
  SELECT l.country_code, c.country_name, l.market_year, l.attribute, DATE '2022-12-20',
    l.value, CASE WHEN l.market_year >= 2021 THEN round(l.value * 0.97, 1) END,
    CASE WHEN l.market_year >= 2021 THEN l.value - round(l.value * 0.97, 1) END
    FROM lf l JOIN countries c USING (country_code);
CREATE TABLE releases AS SELECT * FROM (VALUES
  (DATE '2022-12-20', '"6d871ee9-1220"', 'psd/2022/12/6d871ee9-1220.csv.gzip', CAST(77957 AS BIGINT), TIMESTAMP '2022-12-21 05:59:00'),
  (DATE '2022-11-15', '"5c1a-1115"', 'psd/2022/11/5c1a-1115.csv.gzip', CAST(77001 AS BIGINT), TIMESTAMP '2022-11-16 06:00:00'))
  t(release_date, etag, file, rows, landed_at);
CREATE TABLE _snapshot AS {snap};
SELECT count(*) FROM coffee_balance;
"""


_BASE = {}


def build_serving(scratch, path, snapshot_id="snap-A"):
    """Builds (or copies a cached build of) the serving fixture at path."""
    key = snapshot_id
    cache = os.path.join(scratch.dir, f".fixture-{snapshot_id}.duckdb")
    if key in _BASE and os.path.exists(_BASE[key]):
        if not os.path.exists(cache):
            shutil.copyfile(_BASE[key], cache)
        tmp = path + ".tmp-copy"
        shutil.copyfile(_BASE[key], tmp)
        os.replace(tmp, path)
        return path
    csv = os.path.join(scratch.dir, "psd_coffee.csv")
    if not os.path.exists(csv):
        with zipfile.ZipFile(SAMPLE_ZIP) as z, z.open("psd_coffee.csv") as src, open(csv, "wb") as dst:
            shutil.copyfileobj(src, dst)
    tmp = path + ".building"
    if os.path.exists(tmp):
        os.remove(tmp)
    scratch.run("sql", "--write", tmp, serving_sql(csv, snapshot_id), check=0)
    add_cot_tables(scratch, tmp)  # the contract lists the COT tables too
    os.replace(tmp, path)
    shutil.copyfile(path, cache)
    _BASE[key] = cache
    return path


# The COT tables of the serving contract (src/serving/contract.c): build_serving adds them
# with add_cot_tables (below), and reseal_sql covers them.
COT_TABLES = ["cot_positioning", "cot_index"]


def variant(scratch, src, dst, snapshot_id, sql_extra="", reseal=True):
    """Copies src to a new file, sets its snapshot_id, applies sql_extra, recomputes the
    checksums (unless reseal=False: a deliberately broken file), then renames it over dst
    (atomic)."""
    tmp = dst + f".{snapshot_id}.tmp"
    shutil.copyfile(src, tmp)
    seal = reseal_sql() if reseal else ""
    scratch.run("sql", "--write", tmp,
                f"UPDATE _snapshot SET snapshot_id = '{snapshot_id}', run_id = 'run-{snapshot_id}'; {sql_extra}"
                f" {seal} SELECT 1", check=0)
    os.replace(tmp, dst)


class Server(harness.Serve):
    """The server under test, with request/json/metric helpers."""

    def request(self, path, method="GET", headers=None, body=None, timeout=30):
        """Returns (status, headers dict lower-case, body bytes)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def json(self, path, want=200, headers=None):
        st, h, body = self.request(path, headers=headers)
        assert st == want, f"{path}: status {st}, want {want}: {body[:300]!r}"
        return json.loads(body), h

    def metric(self, name):
        st, _, body = self.request("/metrics")
        assert st == 200
        for line in body.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise AssertionError(f"metric {name} missing")

    def stop(self, check=True):
        rc, killed = self.terminate(60)
        text = self.logtext()
        self.log.close()
        if killed:
            raise AssertionError("serve did not stop on SIGTERM\n" + text)
        if check:
            assert self.proc.returncode == 0, f"serve exit {self.proc.returncode}\n{text[-4000:]}"
        return text


def wait_for(pred, timeout=20, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return False


# ---- COT (issue 14): cot_positioning and cot_index, from CFTC's own files ------------------
#
# add_cot_tables() adds the two serving tables of the COT contract (ARCHITECTURE §3,
# src/serving/contract.c) to a serving file, computed with plain SQL from the real bundled
# CFTC files (sample/cftc-cot/), and registers them in _snapshot with their counts and
# checksums. Only the Coffee C lines (market code
# 083731) of each zip member are written to a scratch CSV (the header line kept); every
# value is then parsed, derived and windowed in SQL.

COT_CODE = "083731"
COT_CATS = ["prod_merc", "swap", "managed_money", "other_rept", "nonrept"]
# our category -> CFTC's spelling in Positions / Pct_of_OI / Traders column names
_COT_POS = {"prod_merc": "Prod_Merc", "swap": "Swap", "managed_money": "M_Money",
            "other_rept": "Other_Rept", "nonrept": "NonRept"}


def cot_source_dir():
    """The folder of the six bundled fut_disagg_txt_*.zip files."""
    d = os.path.join(harness.SRC, "sample", "cftc-cot")
    assert any(f.endswith(".zip") for f in os.listdir(d)), f"no CFTC COT files in {d}"
    return os.path.abspath(d)


def cot_coffee_csv(out_dir):
    """Writes the Coffee C lines of every bundled zip (header once) to out_dir/cot_coffee.csv,
    with a leading column source_file naming the zip it came from. Returns the path."""
    import hashlib
    src = cot_source_dir()
    out = os.path.join(out_dir, "cot_coffee.csv")
    if os.path.exists(out):
        return out
    header = None
    with open(out + ".tmp", "w", encoding="utf-8", newline="") as dst:
        for name in sorted(f for f in os.listdir(src) if f.endswith(".zip")):
            path = os.path.join(src, name)
            with open(path, "rb") as f:
                sha = hashlib.sha256(f.read()).hexdigest()
            year = name.split("_")[3][:4]  # fut_disagg_txt_{YYYY}[_ytd_...].zip
            landed = f"cot/{year}/12/{sha}.csv.gzip"
            with zipfile.ZipFile(path) as z:
                lines = z.read("f_year.txt").decode("utf-8").split("\r\n")
            if header is None:
                header = lines[0]
                dst.write('"source_file",' + header + "\n")
            assert lines[0] == header, f"{name}: another header"
            n = 0
            for line in lines[1:]:
                if f'"{COT_CODE}"' in line or f",{COT_CODE}," in line:
                    dst.write(f'"{landed}",' + line + "\n")
                    n += 1
            assert n > 10, f"{name}: only {n} Coffee C lines"
    os.replace(out + ".tmp", out)
    return out


def _cot_cols(c):
    """SELECT items for one category c from the typed CTE `t` (CFTC names already mapped)."""
    return (f"{c}_long, {c}_short, {c}_spread, {c}_long - {c}_short AS {c}_net, "
            f"CASE WHEN gap BETWEEN 4 AND 10 THEN ({c}_long - {c}_short) - "
            f"lag({c}_long - {c}_short) OVER w END AS {c}_net_change, "
            f"{c}_long_pct_oi, {c}_short_pct_oi, {c}_traders_long, {c}_traders_short")


def cot_tables_sql(csv_path):
    """SQL that creates cot_positioning and cot_index (contract columns and types)."""
    big = lambda col: f"CAST(trim(\"{col}\") AS BIGINT)"
    dbl = lambda col: f"CAST(trim(\"{col}\") AS DOUBLE)"
    def cnt(col):  # CFTC prints '.' for a suppressed trader count
        return f"CAST(nullif(trim(\"{col}\"), '.') AS INTEGER)"
    items = []
    for c in COT_CATS:
        p = _COT_POS[c]
        sp = "Swap_" if c == "swap" else p  # Swap__Positions_Short_All: CFTC's double underscore
        items.append(f"{big(f'{p}_Positions_Long_All')} AS {c}_long")
        items.append(f"{big(f'{sp}_Positions_Short_All')} AS {c}_short")
        if c in ("prod_merc", "nonrept"):
            items.append(f"CAST(NULL AS BIGINT) AS {c}_spread")
        else:
            items.append(f"{big(f'{sp}_Positions_Spread_All')} AS {c}_spread")
        items.append(f"{dbl(f'Pct_of_OI_{p}_Long_All')} AS {c}_long_pct_oi")
        items.append(f"{dbl(f'Pct_of_OI_{p}_Short_All')} AS {c}_short_pct_oi")
        if c == "nonrept":
            items.append(f"CAST(NULL AS INTEGER) AS {c}_traders_long")
            items.append(f"CAST(NULL AS INTEGER) AS {c}_traders_short")
        else:
            items.append(f"{cnt(f'Traders_{p}_Long_All')} AS {c}_traders_long")
            items.append(f"{cnt(f'Traders_{p}_Short_All')} AS {c}_traders_short")
    typed = ",\n  ".join(items)
    cats = ",\n  ".join(_cot_cols(c) for c in COT_CATS)

    def index(cat, n):
        return (f"CASE WHEN count(*) OVER (ORDER BY report_date RANGE BETWEEN INTERVAL {n * 7 - 1} DAYS "
                f"PRECEDING AND CURRENT ROW) >= {n} AND max({cat}_net) OVER r{n} > min({cat}_net) OVER r{n} "
                f"THEN 100.0 * ({cat}_net - min({cat}_net) OVER r{n}) / (max({cat}_net) OVER r{n} - min({cat}_net) OVER r{n}) "
                f"END AS {cat}_index_{n}w")
    return f"""
CREATE TEMP TABLE cot_raw AS SELECT * FROM read_csv('{csv_path}', header=true, all_varchar=true, quote='"');
CREATE TEMP TABLE cot_t AS SELECT * FROM (
  SELECT CAST("Report_Date_as_YYYY-MM-DD" AS DATE) AS report_date,
  {big('Open_Interest_All')} AS open_interest,
  {typed},
  {cnt('Traders_Tot_All')} AS traders_total,
  source_file,
  TIMESTAMP '2023-10-14 06:00:00' AS landed_at
  FROM cot_raw WHERE trim(CFTC_Contract_Market_Code) = '{COT_CODE}')
  QUALIFY row_number() OVER (PARTITION BY report_date ORDER BY source_file DESC) = 1;
CREATE TABLE cot_positioning AS SELECT report_date, open_interest,
  CASE WHEN gap BETWEEN 4 AND 10 THEN open_interest - lag(open_interest) OVER w END AS open_interest_change,
  {cats},
  traders_total, source_file, landed_at
  FROM (SELECT *, report_date - lag(report_date) OVER (ORDER BY report_date) AS gap FROM cot_t)
  WINDOW w AS (ORDER BY report_date) ORDER BY report_date;
CREATE TABLE cot_index AS SELECT report_date,
  managed_money_net, {index('managed_money', 26)}, {index('managed_money', 52)},
  prod_merc_net, {index('prod_merc', 26)}, {index('prod_merc', 52)}
  FROM cot_positioning
  WINDOW r26 AS (ORDER BY report_date ROWS BETWEEN 25 PRECEDING AND CURRENT ROW),
         r52 AS (ORDER BY report_date ROWS BETWEEN 51 PRECEDING AND CURRENT ROW)
  ORDER BY report_date;
"""


def add_cot_tables(scratch, path):
    """Adds cot_positioning and cot_index to the serving file at path (built by
    build_serving) and registers both in its _snapshot, with counts and checksums."""
    csv_path = cot_coffee_csv(scratch.dir)
    reg = " ".join(
        f"INSERT INTO _snapshot SELECT min(snapshot_id), min(created_at), min(run_id), '{t}', "
        f"(SELECT count(*) FROM {t}), ({checksum_sql(t)}) FROM _snapshot;"
        for t in ("cot_positioning", "cot_index"))
    scratch.run("sql", "--write", path,
                "DROP TABLE IF EXISTS cot_positioning; DROP TABLE IF EXISTS cot_index; "
                "DELETE FROM _snapshot WHERE table_name IN ('cot_positioning', 'cot_index');"
                + cot_tables_sql(csv_path) + reg + " SELECT 1", check=0)
    return path
