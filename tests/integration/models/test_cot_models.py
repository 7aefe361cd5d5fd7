"""End to end: the COT models through `materia run` on CFTC's six real annual files.

Lands the six bundled files (sample/cftc-cot/, CFTC's zips byte for byte) as the landing
contract says extract does (cot_fixtures.land: f_year.txt gzipped + meta, cot/{YYYY}/{MM}/),
next to a small real PSD landing (the first rows of the USDA sample: raw.psd_coffee needs a
file to read), runs the real `materia run`, and checks the serving layer through
`materia sql`:
- the columns and types of serving.cot_positioning / cot_index are the contract's;
- the README's spot values (2017-01-03, 2019-12-31, 2023-10-10) and weeks per year;
- on every row: reported + non-reportable = open interest (long and short), category sums,
  net = long - short, one row per report date, and the week-on-week changes equal to the
  previous report's difference where the weeks are consecutive (7 days +- 3) and to CFTC's
  own Change_in_* columns read from the file here with Python's csv module, NULL elsewhere;
- the index on a hand-checked window, computed here from cot_positioning rows;
- adding the 2023 file after the others changes only the 2023 weeks; re-landing the same
  bytes changes nothing; a corrected re-publication wins for its weeks, an older
  publication landed later does not;
- a renamed header column stops the run naming the file; a broken identity fails the audit;
- the web fixture's independent SQL (webfix.add_cot_tables) gives the same rows;
- export carries the COT tables with checksums and `serve` accepts the file; a landing
  without COT files still runs and exports (empty COT tables).
"""
import csv
import datetime
import io
import json
import os
import re
import urllib.request

import sys

import cot_fixtures as fx
import psd_fixtures as pfx
from harness import Scratch, Serve, main

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webfix  # noqa: E402  (the web tests' independent builder of the COT tables)

HOUR = datetime.timedelta(hours=1)


def land_psd(s):
    """A real but small PSD landing (header + first 400 rows of the USDA sample)."""
    lines = pfx.sample_csv().split(b"\n")
    pfx.land(s.landing, b"\n".join(lines[:401]) + b"\n", "2022/12", "2022-12-20",
             (fx.utcnow() - 30 * HOUR).strftime("%Y-%m-%dT%H:%M:%SZ"))


def land_files(s, names, landed_at):
    """Lands names, all at landed_at (a datetime, UTC). A landing after a run must be "now":
    a landed_at in an interval a run has already processed whole (yesterday, once it is
    past midnight) is never loaded, as with any incremental-by-time model."""
    return [fx.land(s.landing, n, landed_at) for n in names]


def run_ok(s):
    p = s.run("run")
    assert p.returncode == 0, f"materia run: exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return p


def q_of(s):
    return lambda sql: s.sql(s.lakehouse, sql)  # noqa: E731


def rows_by_date(q, table):
    return {r["report_date"]: r for r in q(f"SELECT * FROM serving.{table} ORDER BY report_date")}


def cftc_coffee_rows(name):
    """The Coffee C rows of one bundled file, parsed here by header name (csv module)."""
    data, _ = fx.csv_bytes(name)
    rd = csv.DictReader(io.StringIO(data.decode("latin-1"), newline=""))
    return {r["Report_Date_as_YYYY-MM-DD"]: r for r in rd if r["CFTC_Contract_Market_Code"] == "083731"}


def check_schema(q):
    for table, cols in (("cot_positioning", fx.POSITIONING_COLUMNS), ("cot_index", fx.INDEX_COLUMNS)):
        got = [(r["column_name"], r["column_type"]) for r in q(f"DESCRIBE serving.{table}")]
        assert got == cols, f"{table}: {got}\nwant {cols}"


def expected_index(rows, d, n, cat):
    """The index of the contract, written out: the n reports up to d must lie in the n*7
    days ending at d; 100 * (net - min) / (max - min) over them; None if max == min."""
    dates = sorted(x for x in rows if x <= d)[-n:]
    day = datetime.date.fromisoformat
    if len(dates) < n or (day(d) - day(dates[0])).days >= 7 * n:
        return None
    nets = [rows[x][f"{cat}_long"] - rows[x][f"{cat}_short"] for x in dates]
    lo, hi = min(nets), max(nets)
    if hi == lo:
        return None
    return 100.0 * (nets[-1] - lo) / (hi - lo)


def check_six_files(q, files):
    check_schema(q)
    pos = rows_by_date(q, "cot_positioning")
    assert len(pos) == 261, len(pos)
    # one row per report date (the grain), in the lakehouse table too
    n = q("SELECT count(*) AS n, count(DISTINCT report_date) AS d FROM serving.cot_positioning")[0]
    assert n == {"n": 261, "d": 261}, n
    # weeks per year = the README's table; each year's rows come from that year's landing
    years = {}
    for d, r in pos.items():
        years.setdefault(int(d[:4]), set()).add(r["source_file"])
    assert {y: sum(1 for d in pos if int(d[:4]) == y) for y in years} == fx.WEEKS, years
    for (y, srcs), f in zip(sorted(years.items()), files):
        assert srcs == {f}, (y, srcs, f)
    # the README's spot values
    for d, (oi, mml, mms, pml, pms) in fx.SPOT.items():
        r = pos[d]
        got = (r["open_interest"], r["managed_money_long"], r["managed_money_short"],
               r["prod_merc_long"], r["prod_merc_short"])
        assert got == (oi, mml, mms, pml, pms), (d, got)
    # identities on every row: reported (categories + spreads) + non-reportable = open interest
    for d, r in pos.items():
        for side in ("long", "short"):
            rep = (r[f"prod_merc_{side}"] + r[f"swap_{side}"] + r[f"managed_money_{side}"]
                   + r[f"other_rept_{side}"] + r["swap_spread"] + r["managed_money_spread"]
                   + r["other_rept_spread"])
            assert rep + r[f"nonrept_{side}"] == r["open_interest"], (d, side)
        for c in fx.CATEGORIES:
            assert r[f"{c}_net"] == r[f"{c}_long"] - r[f"{c}_short"], (d, c)
        assert r["prod_merc_spread"] is None and r["nonrept_spread"] is None, d
        assert r["nonrept_traders_long"] is None and r["nonrept_traders_short"] is None, d
    bad = q("""SELECT report_date FROM foundation.cot_positioning
               WHERE tot_rept_long + nonrept_long <> open_interest
                  OR tot_rept_short + nonrept_short <> open_interest""")
    assert bad == [], bad
    # week-on-week changes: consecutive weeks (7 days +- 3) only, equal to CFTC's own
    cftc = {}
    for f in fx.FILES:
        cftc.update(cftc_coffee_rows(f))
    dates = sorted(pos)
    consecutive = 0
    for prev, d in zip([None] + dates, dates):
        r, c = pos[d], cftc[d]
        assert r["open_interest"] == int(c["Open_Interest_All"]), d
        assert r["managed_money_traders_long"] == int(c["Traders_M_Money_Long_All"]), d
        assert r["managed_money_long_pct_oi"] == float(c["Pct_of_OI_M_Money_Long_All"]), d
        gap = (datetime.date.fromisoformat(d) - datetime.date.fromisoformat(prev)).days if prev else None
        if gap is not None and 4 <= gap <= 10:
            consecutive += 1
            p = pos[prev]
            assert r["open_interest_change"] == r["open_interest"] - p["open_interest"], d
            assert r["open_interest_change"] == int(c["Change_in_Open_Interest_All"]), d
            for cat, k in (("managed_money", "M_Money"), ("prod_merc", "Prod_Merc")):
                assert r[f"{cat}_net_change"] == r[f"{cat}_net"] - p[f"{cat}_net"], (d, cat)
                assert r[f"{cat}_net_change"] == (int(c[f"Change_in_{k}_Long_All"])
                                                  - int(c[f"Change_in_{k}_Short_All"])), (d, cat)
        else:
            assert r["open_interest_change"] is None, (d, gap)
            assert all(r[f"{c}_net_change"] is None for c in fx.CATEGORIES), (d, gap)
    # 261 reports, 6 files, two gaps (2020-03-24 -> 2021-01-05, 2021-12-21 -> 2023-01-03)
    assert consecutive == 258, consecutive
    # holiday-shifted report dates are kept as published
    assert pos["2018-12-31"]["open_interest_change"] is not None
    check_index(q, pos)


def check_index(q, pos):
    idx = rows_by_date(q, "cot_index")
    assert sorted(idx) == sorted(pos)
    # full windows: 2019-12-31 (26 and 52 weekly reports back, all in 2019/2018)
    for d in ("2019-12-31", "2021-06-29", "2023-10-10"):
        for n in (26, 52):
            for cat in ("managed_money", "prod_merc"):
                want = expected_index(pos, d, n, cat)
                got = idx[d][f"{cat}_index_{n}w"]
                if want is None:
                    assert got is None, (d, n, cat, got)
                else:
                    assert got is not None and abs(got - want) < 1e-9, (d, n, cat, got, want)
    assert idx["2019-12-31"]["managed_money_index_26w"] is not None
    assert idx["2019-12-31"]["managed_money_index_52w"] is not None
    # 2021-06-29 is the 26th report of 2021: its 26w window fits, its 52w does not
    assert idx["2021-06-29"]["managed_money_index_26w"] is not None
    assert idx["2021-06-29"]["managed_money_index_52w"] is None
    assert idx["2021-06-22"]["managed_money_index_26w"] is None
    # right after the missing 2022 file: no index over a stretched window
    for k in ("managed_money_index_26w", "managed_money_index_52w", "prod_merc_index_26w",
              "prod_merc_index_52w"):
        assert idx["2023-01-03"][k] is None, (k, idx["2023-01-03"])
    for d, r in idx.items():
        assert r["managed_money_net"] == pos[d]["managed_money_net"]
        assert r["prod_merc_net"] == pos[d]["prod_merc_net"]
        for k in ("managed_money_index_26w", "managed_money_index_52w"):
            assert r[k] is None or 0 <= r[k] <= 100, (d, k, r[k])
    # one more hand check: 2019-12-31's 26w managed money index, from the raw numbers
    dates = sorted(x for x in pos if x <= "2019-12-31")[-26:]
    nets = [pos[x]["managed_money_long"] - pos[x]["managed_money_short"] for x in dates]
    assert dates[0] == "2019-07-09", dates[0]
    want = 100.0 * (57403 - 15813 - min(nets)) / (max(nets) - min(nets))
    assert abs(idx["2019-12-31"]["managed_money_index_26w"] - want) < 1e-9


def test_six_files_end_to_end():
    s = Scratch("cot")
    land_psd(s)
    files = land_files(s, fx.FILES, fx.utcnow() - 20 * HOUR)
    run_ok(s)
    q = q_of(s)
    assert q("SELECT count(*) AS n, count(DISTINCT source_file) AS f FROM raw.cot_coffee") == [{"n": 261, "f": 6}]
    check_six_files(q, files)
    raw = q("""SELECT source_year, count(*) AS n FROM raw.cot_coffee GROUP BY ALL ORDER BY ALL""")
    assert [(r["source_year"], r["n"]) for r in raw] == sorted(fx.WEEKS.items()), raw
    # the web tests' fixture computes both tables independently (webfix.add_cot_tables: plain
    # SQL on the zips' Coffee C lines): every row equal, provenance (source_file naming the
    # zip, a fixed landed_at) aside
    wf = os.path.join(s.dir, "webfix.duckdb")
    s.sql(wf, "CREATE TABLE _snapshot (snapshot_id VARCHAR, created_at TIMESTAMP, run_id VARCHAR, "
              "table_name VARCHAR, row_count BIGINT, checksum VARCHAR)", write=True)
    webfix.add_cot_tables(s, wf)
    for t, ex in (("cot_positioning", " EXCLUDE (source_file, landed_at)"), ("cot_index", "")):
        diff = s.sql(s.lakehouse, f"ATTACH '{wf}' AS wf (READ_ONLY); "
                                  f"(SELECT *{ex} FROM serving.{t} EXCEPT SELECT *{ex} FROM wf.{t}) UNION ALL "
                                  f"(SELECT *{ex} FROM wf.{t} EXCEPT SELECT *{ex} FROM serving.{t})")
        assert diff == [], (t, diff[:3])
    s.cleanup()


def test_adding_2023_later_changes_only_its_weeks_and_relanding_changes_nothing():
    s = Scratch("cot")
    land_psd(s)
    land_files(s, fx.FILES[:5], fx.utcnow() - 20 * HOUR)
    run_ok(s)
    q = q_of(s)
    before = {t: rows_by_date(q, t) for t in ("cot_positioning", "cot_index")}
    assert len(before["cot_positioning"]) == 220
    land_files(s, fx.FILES[5:], fx.utcnow())
    p = run_ok(s)
    assert "staging.cot_coffee" in p.stdout, p.stdout
    after = {t: rows_by_date(q, t) for t in ("cot_positioning", "cot_index")}
    for t in after:
        changed = {d for d in after[t] if before[t].get(d) != after[t][d]}
        assert changed == {d for d in after[t] if d.startswith("2023-")}, (t, sorted(changed)[:5])
        assert len(changed) == 41 and set(before[t]) <= set(after[t]), t
    check_six_files(q, [fx.land(s.landing, f, fx.utcnow()) for f in fx.FILES])  # the paths
    # re-landing the same bytes: extract never lands them twice (same sha256 -> same file,
    # never rewritten), so the tree, and every serving row, stay as they were
    tree = s.tree()
    for f in fx.FILES:
        fx.land(s.landing, f, fx.utcnow())
    assert s.tree() == tree
    run_ok(s)
    again = {t: rows_by_date(q, t) for t in ("cot_positioning", "cot_index")}
    assert again == after
    # the same bytes published again under another ETag: a new landing with the same
    # values; its weeks now name it as their source, nothing else moves
    new = fx.land(s.landing, fx.FILES[4], fx.utcnow(), etag="W-republished-2021")
    run_ok(s)
    moved = {t: rows_by_date(q, t) for t in ("cot_positioning", "cot_index")}
    assert moved["cot_index"] == after["cot_index"]
    for d, r in moved["cot_positioning"].items():
        old = after["cot_positioning"][d]
        if d.startswith("2021-"):
            assert r["source_file"] == new and r["landed_at"] > old["landed_at"], (d, r["source_file"])
            r = dict(r, source_file=old["source_file"], landed_at=old["landed_at"])
        assert r == old, d
    s.cleanup()


def corrected_2020(delta):
    """The 2020 year-to-date file with 2020-03-24's managed money long + delta and producer/
    merchant long - delta (open interest and reportable totals unchanged, and CFTC's change
    columns adjusted the same way, so every identity and the change audit still hold)."""
    data, _ = fx.csv_bytes(fx.FILES[3])
    lines = data.split(b"\r\n")
    head = next(csv.reader([lines[0].decode()]))
    cols = {k: head.index(k) for k in ("M_Money_Positions_Long_All", "Prod_Merc_Positions_Long_All",
                                       "Change_in_M_Money_Long_All", "Change_in_Prod_Merc_Long_All")}
    hit = 0
    for i, line in enumerate(lines):
        if b",2020-03-24,083731," in line:
            f = line.decode().split(",")  # Coffee C's name has no comma: fields line up
            for k, sign in (("M_Money_Positions_Long_All", 1), ("Change_in_M_Money_Long_All", 1),
                            ("Prod_Merc_Positions_Long_All", -1), ("Change_in_Prod_Merc_Long_All", -1)):
                f[cols[k]] = str(int(f[cols[k]]) + sign * delta).rjust(len(f[cols[k]]))
            lines[i] = ",".join(f).encode()
            hit += 1
    assert hit == 1
    return b"\r\n".join(lines)


def test_latest_publication_wins():
    s = Scratch("cot")
    land_psd(s)
    land_files(s, fx.FILES[:3], fx.utcnow() - 20 * HOUR)
    first = fx.land(s.landing, fx.FILES[3], fx.utcnow() - 19 * HOUR)
    run_ok(s)
    q = q_of(s)
    base = rows_by_date(q, "cot_positioning")
    # a correction of the 2020 file, published later (its own folder and release date)
    fixed = corrected_2020(100)
    _, mtime = fx.csv_bytes(fx.FILES[3])
    fx._CSV["corrected"] = (fixed, mtime + datetime.timedelta(days=7))
    second_at = fx.utcnow()
    second = fx.land(s.landing, "corrected", second_at, data=fixed)
    assert second.startswith("cot/2020/04/"), second
    run_ok(s)
    now = rows_by_date(q, "cot_positioning")
    assert now["2020-03-24"]["managed_money_long"] == base["2020-03-24"]["managed_money_long"] + 100
    assert now["2020-03-24"]["prod_merc_net_change"] == base["2020-03-24"]["prod_merc_net_change"] - 100
    assert {now[d]["source_file"] for d in now if d.startswith("2020-")} == {second}
    assert {d for d in now if now[d] != base[d]} == {d for d in now if d.startswith("2020-")}
    # the first publication landed again later (another ETag): older release date, loses
    fx._CSV["original-again"] = fx.csv_bytes(fx.FILES[3])
    again_at = fx.utcnow()
    assert again_at > second_at  # a run (seconds) lies between: landed later
    fx.land(s.landing, "original-again", again_at, etag="W-old-copy")
    run_ok(s)
    assert rows_by_date(q, "cot_positioning") == now
    assert first != second
    s.cleanup()


def test_renamed_header_column_fails_naming_the_file():
    for old, new in ((b'"Swap__Positions_Short_All"', b'"Swap_Positions_Short_All"'),
                     (b'"CFTC_Contract_Market_Code"', b'"CFTC_Market_Code_2"')):
        s = Scratch("cot")
        land_psd(s)
        data, _ = fx.csv_bytes(fx.FILES[0])
        bad = data.replace(old, new, 1)
        assert bad != data
        rel = fx.land(s.landing, fx.FILES[0], fx.utcnow() - HOUR, data=bad)
        p = s.run("run")
        assert p.returncode != 0, p.stdout
        assert f"landing file {rel}: the CSV header is not the 191 columns" in p.stderr, p.stderr
        assert s.sql(s.lakehouse, "SELECT count(*) AS n FROM _materia.runs WHERE status = 'ok'") == [{"n": 0}]
        s.cleanup()


def test_raw_keeps_every_field_as_published():
    # raw.cot_coffee splits only the lines that can be Coffee C rows (its header says why):
    # each field it keeps (under CFTC's name) must be what a full CSV parse gives (Python's
    # csv module here; quotes removed, "" one quote, an empty field NULL, padding kept), for
    # every row of two files, one of them with quoted codes and commas inside quotes
    # (Contract_Units); and it keeps every field staging reads
    s = Scratch("cot")
    land_psd(s)
    names = [fx.FILES[0], fx.FILES[-1]]
    land_files(s, names, fx.utcnow() - HOUR)
    run_ok(s)
    want = {}
    for name in names:
        data, _ = fx.csv_bytes(name)
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        header = rows[0]
        assert len(header) == 191
        for r in rows[1:]:
            if len(r) == 191 and r[3] == "083731":
                want[(fx.source_year(name), r[2])] = {h: (v if v != "" else None) for h, v in zip(header, r)}
    assert any("," in v["Contract_Units"] for v in want.values())
    kept = [r["column_name"] for r in s.sql(s.lakehouse, "SELECT column_name FROM information_schema.columns "
                                                        "WHERE table_schema = 'raw' AND table_name = 'cot_coffee' "
                                                        "ORDER BY ordinal_position")]
    assert kept[:5] == ["source_file", "release_date", "etag", "landed_at", "source_year"], kept
    fields = kept[5:]
    assert set(fields) <= set(header) and [h for h in header if h in fields] == fields, fields
    with open(os.path.join(os.environ["MATERIA_SOURCE_DIR"], "models", "staging", "cot_coffee.sql")) as f:
        staging = f.read()
    read_by_staging = {h for h in header if re.search(r'(?<![A-Za-z0-9_])"?' + re.escape(h) + r'"?(?![A-Za-z0-9_])', staging)}
    assert read_by_staging <= set(fields), read_by_staging - set(fields)
    cols = ", ".join(f'"{h}"' for h in fields)
    got = {}
    for r in s.sql(s.lakehouse, f"SELECT source_year, {cols} FROM raw.cot_coffee"):
        y = r.pop("source_year")
        got[(y, r["Report_Date_as_YYYY-MM-DD"])] = r
    assert len(got) == len(want) == fx.WEEKS[2017] + fx.WEEKS[2023], (len(got), len(want))
    bad = [(k, h, got[k][h], want[k][h]) for k in want for h in fields if got[k][h] != want[k][h]]
    assert bad == [], bad[:5]
    s.cleanup()


def test_malformed_coffee_line_fails_naming_the_file():
    # a Coffee C line that is not 191 well-quoted fields stops the run naming the file: one
    # field too many, and a stray quote inside the (quoted) market name
    for how in ("extra_field", "stray_quote"):
        s = Scratch("cot")
        land_psd(s)
        data, _ = fx.csv_bytes(fx.FILES[0])
        lines = data.split(b"\r\n")
        hit = [i for i, line in enumerate(lines) if b",2017-06-06,083731," in line]
        assert len(hit) == 1
        line = lines[hit[0]]
        if how == "extra_field":
            lines[hit[0]] = line + b",1"
        else:
            assert line.startswith(b'"COFFEE C - ICE FUTURES U.S."')
            lines[hit[0]] = b'"COFFEE C - ICE "FUTURES U.S."' + line[len(b'"COFFEE C - ICE FUTURES U.S."'):]
        rel = fx.land(s.landing, fx.FILES[0], fx.utcnow() - HOUR, data=b"\r\n".join(lines))
        p = s.run("run")
        assert p.returncode != 0, (how, p.stdout)
        assert f"landing file {rel}: a Coffee C line has" in p.stderr, (how, p.stderr)
        assert s.sql(s.lakehouse, "SELECT count(*) AS n FROM _materia.runs WHERE status = 'ok'") == [{"n": 0}]
        s.cleanup()


def test_run_without_any_psd_landing():
    # EXTRACT_SOURCES=cot, or PSD's site down on the first day: the run builds the COT
    # tables and leaves the PSD ones empty instead of failing in raw.psd_coffee's scan; the
    # export still refuses (the contract requires the PSD tables), naming the table
    s = Scratch("cot")
    land_files(s, fx.FILES, fx.utcnow() - HOUR)
    run_ok(s)
    q = q_of(s)
    assert q("SELECT count(*) AS n FROM raw.psd_coffee") == [{"n": 0}]
    assert q("SELECT count(*) AS n FROM serving.cot_positioning") == [{"n": 261}]
    p = s.run("export-serving")
    assert p.returncode == 1 and "refusing to export: serving.coffee_balance is empty" in p.stderr, p.stderr
    s.cleanup()


def test_broken_identity_fails_the_audit():
    s = Scratch("cot")
    land_psd(s)
    data, _ = fx.csv_bytes(fx.FILES[0])
    lines = data.split(b"\r\n")
    hit = 0
    for i, line in enumerate(lines):
        if b",2017-06-06,083731," in line:
            f = line.decode().split(",")
            f[7] = str(int(f[7]) + 1).rjust(len(f[7]))  # Open_Interest_All (header checked above)
            lines[i] = ",".join(f).encode()
            hit += 1
    assert hit == 1 and lines[0].split(b",")[7] == b'"Open_Interest_All"'
    fx.land(s.landing, fx.FILES[0], fx.utcnow() - HOUR, data=b"\r\n".join(lines))
    p = s.run("run")
    assert p.returncode != 0, p.stdout
    assert "cot_identities" in p.stdout + p.stderr, p.stdout + p.stderr
    s.cleanup()


def test_export_and_serve_carry_cot():
    # without any COT landing the run and the export still succeed (empty COT tables)
    s = Scratch("cot")
    land_psd(s)
    run_ok(s)
    q = q_of(s)
    assert q("SELECT count(*) AS n FROM serving.cot_positioning") == [{"n": 0}]
    p = s.run("export-serving")
    assert p.returncode == 0, p.stderr
    # with the six files: both tables exported with their counts and checksums, and
    # `materia serve` accepts the file (it checks the contract and every checksum)
    land_files(s, fx.FILES, fx.utcnow())
    run_ok(s)
    p = s.run("export-serving")
    assert p.returncode == 0, p.stderr
    snap = {r["table_name"]: r["row_count"]
            for r in s.sql(s.serving, "SELECT table_name, row_count FROM _snapshot")}
    assert snap["cot_positioning"] == 261 and snap["cot_index"] == 261, snap
    got = s.sql(s.serving, "SELECT * FROM cot_positioning WHERE report_date = '2023-10-10'")
    assert got == s.sql(s.lakehouse, "SELECT * FROM serving.cot_positioning WHERE report_date = '2023-10-10'")
    srv = Serve(s)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{srv.port}/health", timeout=30) as r:
            health = json.loads(r.read())
        assert health["status"] == "ok", health
    finally:
        code, killed = srv.terminate(30)
    assert code == 0 and not killed, (code, srv.logtext())
    s.cleanup()


if __name__ == "__main__":
    main([test_six_files_end_to_end,
          test_adding_2023_later_changes_only_its_weeks_and_relanding_changes_nothing,
          test_latest_publication_wins,
          test_renamed_header_column_fails_naming_the_file,
          test_raw_keeps_every_field_as_published,
          test_malformed_coffee_line_fails_naming_the_file,
          test_run_without_any_psd_landing,
          test_broken_identity_fails_the_audit,
          test_export_and_serve_carry_cot])
