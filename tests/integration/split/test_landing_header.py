"""Landing fault (issue 6): a release whose header changed — the same 12 columns with
Market_Year and Calendar_Year swapped, header and data alike — placed in landing by hand.
Transform must fail naming the file, or skip it with a warning naming it; it must never
load it positionally and publish wrong numbers. (extract's validator refuses such a file;
this is about what transform does with what is already in landing.)
"""
import gzip
import os

from faults import swapped_columns
from harness import SAMPLE_ZIP, Scratch, main

PROBE = ("SELECT market_year, production FROM serving.coffee_balance "
         "WHERE country_code = 'BR' ORDER BY market_year DESC LIMIT 3")


def test_swapped_columns_release_is_refused_or_skipped():
    s = Scratch("landing-header")
    env = {"PSD_SOURCE_URL": "file://" + SAMPLE_ZIP}
    s.run("extract", "psd", env=env, check=0)
    s.run("pipeline", "run", "transform", check=0)
    before = s.sql(s.lakehouse, PROBE)
    src = [os.path.join(r, f) for r, _, fs in os.walk(s.landing) for f in fs
           if f.endswith(".csv.gzip")][0]
    bad = os.path.join(s.landing, "psd", "2023", "02", "swapped.csv.gzip")
    os.makedirs(os.path.dirname(bad))
    with open(bad, "wb") as f:
        f.write(gzip.compress(swapped_columns(gzip.decompress(open(src, "rb").read()))))
    p = s.run("pipeline", "run", "transform")
    out = p.stdout + p.stderr
    if p.returncode not in (0, 3):
        assert "swapped.csv.gzip" in out, f"failed without naming the file:\n{out[-2000:]}"
    else:
        assert "swapped.csv.gzip" in out, f"accepted without a warning naming the file:\n{out[-2000:]}"
        after = s.sql(s.lakehouse, PROBE)
        assert after == before, f"numbers changed silently: {before} -> {after}"
    s.cleanup()


if __name__ == "__main__":
    main([test_swapped_columns_release_is_refused_or_skipped])
