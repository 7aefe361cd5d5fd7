"""foundation.psd_revisions is INCREMENTAL_BY_UNIQUE_KEY: each refresh must equal the full
recompute over every landed release, whatever order the releases land in.

Three landings, each followed by `materia run` at a fixed execution time:
  1. January 2023 (the sample with fx.REVISIONS applied), plus one row of another commodity
     (corn), which raw.psd_coffee must not keep;
  2. December 2022 (the real sample) landed *after* January: a back-filled older release,
     which changes January's previous_value / change;
  3. January 2023 again with one value changed (a re-landing of the same release date:
     the later landing stands for the date).
After each run foundation.psd_revisions must hold exactly the rows of the full query (the
model's former FULL form, written out below), and refreshes must be upserts.
"""
import csv
import io

import psd_fixtures as fx
from harness import Scratch, first_word_by_model, main

# The full recompute: every key's history over the landings standing for their dates.
FULL = """
WITH landings AS (SELECT DISTINCT release_date, landed_at, release_file FROM staging.psd_coffee),
standing AS (
  SELECT release_file FROM landings
  QUALIFY row_number() OVER (PARTITION BY release_date ORDER BY landed_at DESC, release_file DESC) = 1)
SELECT s.country_code, s.country_name, s.market_year, s.attribute, s.release_date, s.value,
       lag(s.value) OVER w AS previous_value, s.value - lag(s.value) OVER w AS change
FROM staging.psd_coffee AS s SEMI JOIN standing AS r ON r.release_file = s.release_file
WINDOW w AS (PARTITION BY s.country_code, s.market_year, s.attribute ORDER BY s.release_date)
"""
MODEL = ("SELECT country_code, country_name, market_year, attribute, release_date, value, previous_value, change "
         "FROM foundation.psd_revisions")


def with_changes(data, changes, extra_rows=()):
    """data (CSV bytes) with Value replaced for (country, year, attribute description) keys."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    head = rows[0]
    ci, yi, ai, vi = (head.index(c) for c in ("Country_Code", "Market_Year", "Attribute_Description", "Value"))
    hit = 0
    for r in rows[1:]:
        if (r[ci], r[yi], r[ai]) in changes:
            r[vi] = changes[(r[ci], r[yi], r[ai])]
            hit += 1
    assert hit == len(changes), (hit, changes)
    rows.extend(extra_rows)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def run_at(s, when):
    p = s.run("run", "--execution-time", when)
    assert p.returncode == 0, f"materia run: exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    return first_word_by_model(p.stdout)


def check_equals_full(q, label):
    n = q(f"SELECT count(*) AS n FROM ({MODEL})")[0]["n"]
    diff = q(f"SELECT 'model' AS side, * FROM (({MODEL}) EXCEPT ({FULL})) "
             f"UNION ALL SELECT 'full' AS side, * FROM (({FULL}) EXCEPT ({MODEL})) LIMIT 5")
    assert diff == [], f"{label}: foundation.psd_revisions differs from the full recompute ({n} rows): {diff}"
    return n


def br_2018_production(q):
    return q("""SELECT CAST(release_date AS VARCHAR) AS d, value, previous_value, change
                FROM foundation.psd_revisions WHERE country_code = 'BR' AND market_year = 2018
                AND attribute = 'production' ORDER BY release_date""")


def test_revisions_refresh_equals_full_recompute_in_any_landing_order():
    s = Scratch("models")
    q = lambda sql: s.sql(s.lakehouse, sql)  # noqa: E731
    dec = fx.sample_csv()
    corn = ["0440000", "Corn", "BR", "Brazil", "2018", "2019", "03", "28", "Production", "8",
            "(1000 MT)", "101000"]
    jan = fx.revised_csv(dec)
    jan_with_corn = with_changes(jan, {}, [corn])

    # 1. January first (with a corn row): the model's first version, built whole
    fx.land(s.landing, jan_with_corn, "2023/01", "2023-01-12", "2023-01-13T08:00:00Z")
    a = run_at(s, "2023-01-14 00:00")
    assert a["foundation.psd_revisions"] == "create", a
    assert q("SELECT count(*) AS n FROM raw.psd_coffee WHERE commodity_code <> '0711100'") == [{"n": 0}]
    assert q("SELECT count(*) AS n FROM raw.psd_coffee") == [{"n": 77957}]
    assert check_equals_full(q, "after January") == 77957
    assert br_2018_production(q) == [{"d": "2023-01-12", "value": 52600, "previous_value": None, "change": None}]

    # 2. December back-filled: January's rows get a previous_value; an upsert, not a rebuild
    fx.land(s.landing, dec, "2022/12", "2022-12-20", "2023-01-15T08:00:00Z")
    a = run_at(s, "2023-01-16 00:00")
    assert a["foundation.psd_revisions"] == "upsert", a
    assert check_equals_full(q, "after the back-filled December") == 2 * 77957
    assert br_2018_production(q) == [
        {"d": "2022-12-20", "value": 52100, "previous_value": None, "change": None},
        {"d": "2023-01-12", "value": 52600, "previous_value": 52100, "change": 500}]

    # 3. January re-landed with Brazil 2018 soluble consumption changed (outside the PSD
    # identities): the later landing stands for 2023-01-12
    key = ("BR", "2018", "Soluble Dom. Cons.")
    old = q("""SELECT value FROM foundation.psd_revisions WHERE country_code = 'BR' AND market_year = 2018
               AND attribute = 'soluble_dom_cons' AND release_date = '2023-01-12'""")[0]["value"]
    fx.land(s.landing, with_changes(jan, {key: str(int(old) + 7)}), "2023/01", "2023-01-12",
            "2023-01-17T08:00:00Z")
    a = run_at(s, "2023-01-18 00:00")
    assert a["foundation.psd_revisions"] == "upsert", a
    assert check_equals_full(q, "after re-landing January") == 2 * 77957
    got = q("""SELECT value, change FROM foundation.psd_revisions WHERE country_code = 'BR' AND market_year = 2018
               AND attribute = 'soluble_dom_cons' AND release_date = '2023-01-12'""")
    dec_v = q("""SELECT value FROM foundation.psd_revisions WHERE country_code = 'BR' AND market_year = 2018
                 AND attribute = 'soluble_dom_cons' AND release_date = '2022-12-20'""")[0]["value"]
    assert got == [{"value": old + 7, "change": old + 7 - dec_v}], got
    # the serving view follows
    assert q("SELECT count(*) AS n FROM serving.psd_revisions") == [{"n": 2 * 77957}]
    # nothing new: nothing to do
    p = s.run("run", "--execution-time", "2023-01-18 00:00")
    assert p.returncode == 0 and p.stdout.startswith("nothing to do"), p.stdout
    s.cleanup()


if __name__ == "__main__":
    main([test_revisions_refresh_equals_full_recompute_in_any_landing_order])
