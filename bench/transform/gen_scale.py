#!/usr/bin/env python3
"""gen_scale.py LANDING_DIR SAMPLE_ZIP [ROWS] — the scale input for the transform benchmark.

Writes into LANDING_DIR/psd/ (the landing layout of docs/ARCHITECTURE.md §1):
- 24 monthly releases of the real coffee file (2021-01 .. 2022-12): the sample CSV with a
  deterministic few percent of Values revised per release, each with its .meta.json;
- one PSD-shaped "all commodities" release of ROWS rows (default 2,000,000) in 2023-01:
  the coffee rows plus synthetic commodities (other Commodity_Codes) up to ROWS.
And prints the newest release file so a benchmark can add "one new release" afterwards
with --one-more.
"""
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import random
import sys
import zipfile


def write_release(landing, year, month, csv_bytes, rows, landed_at):
    sha = hashlib.sha256(csv_bytes).hexdigest()
    d = os.path.join(landing, "psd", f"{year:04d}", f"{month:02d}")
    os.makedirs(d, exist_ok=True)
    gz = gzip.compress(csv_bytes, compresslevel=6)
    meta = {"etag": sha, "url": "bench://gen_scale", "last_modified": None,
            "release_date": f"{year:04d}-{month:02d}-01", "landed_at": landed_at,
            "sha256": sha, "csv_bytes": len(csv_bytes), "gzip_bytes": len(gz), "rows": rows}
    with open(os.path.join(d, sha + ".meta.json"), "w") as f:
        json.dump(meta, f)
    with open(os.path.join(d, sha + ".csv.gzip"), "wb") as f:
        f.write(gz)
    return os.path.join(d, sha + ".csv.gzip")


def revised(header, rows, rnd, share=0.03):
    """The CSV with a few percent of (country, market year) balances revised.

    Every attribute of a revised (country, market year) is scaled by the same factor, and
    written with three decimals, so PSD's balance identities (checked by the models'
    psd_identities audit within 0.5) still hold in the revised release.
    """
    keys = sorted({(r[2], r[4]) for r in rows})
    factor = {k: rnd.uniform(0.95, 1.05) for k in keys if rnd.random() < share}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        f = factor.get((r[2], r[4]))
        if f is not None:
            r = list(r)
            r[11] = f"{float(r[11]) * f:.3f}"
        w.writerow(r)
    return buf.getvalue().encode()


def main():
    landing, sample = sys.argv[1], sys.argv[2]
    total = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 2_000_000
    one_more = "--one-more" in sys.argv
    with zipfile.ZipFile(sample) as z:
        text = z.read(z.namelist()[0]).decode()
    rdr = csv.reader(io.StringIO(text))
    header = next(rdr)
    rows = list(rdr)
    rnd = random.Random(7)
    base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    if one_more:
        now = dt.datetime.now(dt.timezone.utc)
        p = write_release(landing, 2023, 2, revised(header, rows, random.Random(now.microsecond)),
                          len(rows), now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        print(p)
        return
    for i in range(24):
        y, m = 2021 + i // 12, i % 12 + 1
        write_release(landing, y, m, revised(header, rows, rnd), len(rows),
                      (base + dt.timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    # the all-commodities-sized release
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    n = len(rows)
    k = 0
    while n < total:
        k += 1
        code = f"{(k % 400) + 100:04d}000"
        for r in rows:
            if n >= total:
                break
            r2 = list(r)
            r2[0], r2[1] = code, f"Commodity {code}"
            w.writerow(r2)
            n += 1
    p = write_release(landing, 2023, 1, buf.getvalue().encode(), n,
                      (base + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    print(p)


if __name__ == "__main__":
    main()
