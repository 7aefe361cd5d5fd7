"""cot_fixtures.py — COT landing trees and the README's reference figures for the COT tests.

land() writes one CFTC file by hand exactly as the landing contract (docs/ARCHITECTURE.md
§1, source "cot") says extract does: f_year.txt of one of the bundled zips
(sample/cftc-cot/fut_disagg_txt_*.zip, CFTC's files byte for byte) gzipped, its
{sha256}.meta.json first, then {sha256}.csv.gzip, under cot/{YYYY}/{MM}/ of the zip
member's modification time (the publication date: file:// has no Last-Modified). A file
already there is never rewritten (identical bytes are never landed twice). The figures
below are /work/shared/data/cftc-cot/README.md's (sample/cftc-cot/PROVENANCE.md).
"""
import datetime
import gzip
import hashlib
import json
import os
import re
import zipfile

from harness import SRC

COT_DIR = os.path.join(SRC, "sample", "cftc-cot")
FILES = ["fut_disagg_txt_2017.zip", "fut_disagg_txt_2018.zip", "fut_disagg_txt_2019.zip",
         "fut_disagg_txt_2020_ytd_2020-03-24.zip", "fut_disagg_txt_2021.zip",
         "fut_disagg_txt_2023_ytd_2023-10-10.zip"]

# README: Coffee C weeks per file (first … last report date).
WEEKS = {2017: 52, 2018: 53, 2019: 52, 2020: 12, 2021: 51, 2023: 41}
# README spot values: open interest, managed money long/short, prod/merc long/short.
SPOT = {
    "2017-01-03": (194266, 35132, 26556, 55084, 105501),
    "2019-12-31": (277161, 57403, 15813, 77581, 162625),
    "2023-10-10": (217692, 32661, 61889, 57341, 70867),
}
CATEGORIES = ["prod_merc", "swap", "managed_money", "other_rept", "nonrept"]

# serving.cot_positioning and serving.cot_index exactly (docs/ARCHITECTURE.md §3)
POSITIONING_COLUMNS = [("report_date", "DATE"), ("open_interest", "BIGINT"),
                       ("open_interest_change", "BIGINT")]
for _c in CATEGORIES:
    POSITIONING_COLUMNS += [(f"{_c}_long", "BIGINT"), (f"{_c}_short", "BIGINT"),
                            (f"{_c}_spread", "BIGINT"), (f"{_c}_net", "BIGINT"),
                            (f"{_c}_net_change", "BIGINT"), (f"{_c}_long_pct_oi", "DOUBLE"),
                            (f"{_c}_short_pct_oi", "DOUBLE"), (f"{_c}_traders_long", "INTEGER"),
                            (f"{_c}_traders_short", "INTEGER")]
POSITIONING_COLUMNS += [("traders_total", "INTEGER"), ("source_file", "VARCHAR"),
                        ("landed_at", "TIMESTAMP")]
INDEX_COLUMNS = [("report_date", "DATE"), ("managed_money_net", "BIGINT"),
                 ("managed_money_index_26w", "DOUBLE"), ("managed_money_index_52w", "DOUBLE"),
                 ("prod_merc_net", "BIGINT"), ("prod_merc_index_26w", "DOUBLE"),
                 ("prod_merc_index_52w", "DOUBLE")]

_CSV = {}


def csv_bytes(name):
    """(f_year.txt bytes, member mtime as a datetime) of one bundled zip, cached."""
    if name not in _CSV:
        with zipfile.ZipFile(os.path.join(COT_DIR, name)) as z:
            info = z.getinfo("f_year.txt")
            _CSV[name] = (z.read(info), datetime.datetime(*info.date_time))
    return _CSV[name]


def source_year(name):
    """The {YYYY} of CFTC's URL for a bundled file (None for a file made by a test)."""
    m = re.match(r"fut_disagg_txt_(\d{4})", name)
    return int(m.group(1)) if m else None


def land(landing, name, landed_at, data=None, etag=None):
    """Lands one file (the bundled zip `name`, or `data` bytes in its place) like extract
    does; landed_at is a datetime (UTC). Returns the data file's path relative to landing."""
    orig, mtime = csv_bytes(name)
    data = orig if data is None else data
    sha = hashlib.sha256(data).hexdigest()
    etag = etag or sha
    d = os.path.join(landing, "cot", f"{mtime.year:04d}", f"{mtime.month:02d}")
    rel = f"cot/{mtime.year:04d}/{mtime.month:02d}/{etag}.csv.gzip"
    os.makedirs(d, exist_ok=True)
    if os.path.exists(os.path.join(landing, rel)):
        return rel  # identical bytes are never landed twice, nor a file overwritten
    gz = gzip.compress(data, compresslevel=1, mtime=0)
    meta = dict(etag=etag, url=f"file://{COT_DIR}/{name}", last_modified=None,
                release_date=mtime.date().isoformat(),
                landed_at=landed_at.strftime("%Y-%m-%dT%H:%M:%SZ"), sha256=sha,
                csv_bytes=len(data), gzip_bytes=len(gz), rows=data.count(b"\n") - 1,
                source="cot", source_year=source_year(name))
    with open(os.path.join(d, etag + ".meta.json"), "w") as f:
        json.dump(meta, f)
    tmp = os.path.join(d, etag + ".csv.gzip.tmp")
    with open(tmp, "wb") as f:
        f.write(gz)
    os.replace(tmp, os.path.join(d, etag + ".csv.gzip"))
    return rel


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
