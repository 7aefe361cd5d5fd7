"""second_release.py — writes a synthetic later PSD release for the revisions test.

usage: python3 second_release.py SAMPLE_ZIP OUT_ZIP YYYY-MM-DD COUNTRY MARKET_YEAR DELTA

Copies the sample's psd_coffee.csv, adds DELTA (1000 60-kg bags) to COUNTRY's
Production, Arabica Production, Total Supply, Ending Stocks and Total Distribution for
MARKET_YEAR (so PSD's balance identities still hold), and zips it with the member dated
YYYY-MM-DD, which extract takes as the release date of a file:// source.
"""
import csv
import io
import sys
import zipfile

src, out, date, country, year, delta = sys.argv[1:7]
delta = float(delta)
BUMP = {"Production", "Arabica Production", "Total Supply", "Ending Stocks", "Total Distribution"}
with zipfile.ZipFile(src) as z:
    text = z.read("psd_coffee.csv").decode("utf-8")
rows = list(csv.reader(io.StringIO(text, newline="")))
head = rows[0]
ci, yi, ai, vi = (head.index(c) for c in ("Country_Code", "Market_Year", "Attribute_Description", "Value"))
hits = 0
for r in rows[1:]:
    if r[ci] == country and r[yi] == year and r[ai].strip() in BUMP:
        v = float(r[vi]) + delta
        r[vi] = str(int(v)) if v == int(v) else str(v)
        hits += 1
if hits != len(BUMP):
    sys.exit(f"second_release: changed {hits} rows of {country} {year}, want {len(BUMP)}")
buf = io.StringIO(newline="")
csv.writer(buf, lineterminator="\r\n" if "\r\n" in text[:2000] else "\n").writerows(rows)
y, m, d = (int(x) for x in date.split("-"))
info = zipfile.ZipInfo("psd_coffee.csv", date_time=(y, m, d, 12, 0, 0))
info.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(out, "w") as z:
    z.writestr(info, buf.getvalue())
