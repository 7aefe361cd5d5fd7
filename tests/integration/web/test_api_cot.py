"""The COT routes over real HTTP on 127.0.0.1: /api/cot?from=&to= and
/api/cot/index?window=26|52 (ARCHITECTURE §5) on a serving file whose cot_positioning and
cot_index come from CFTC's own files (webfix.add_cot_tables): the README's spot values,
from/to filtering (inclusive, open ends), the week-on-week rule, both index windows checked
against an independent computation, CSV, ETag/304, the response cache, and every
validation error (400 naming the parameter). One server for the whole file."""
import csv
import io

from harness import Scratch, main
import webfix

S = Scratch("web-cot")
webfix.build_serving(S, S.serving, "snap-C")
webfix.add_cot_tables(S, S.serving)
SRV = webfix.Server(S)

# cftc-cot/README.md, "Spot values (Coffee C, _All)":
# date: (open interest, MM long, MM short, PM long, PM short)
SPOT = {"2017-01-03": (194266, 35132, 26556, 55084, 105501),
        "2019-12-31": (277161, 57403, 15813, 77581, 162625),
        "2023-10-10": (217692, 32661, 61889, 57341, 70867)}
CATS = ["prod_merc", "swap", "managed_money", "other_rept", "nonrept"]
COLUMNS = (["report_date", "open_interest", "open_interest_change"]
           + [f"{c}_{k}" for c in CATS for k in ["long", "short", "spread", "net", "net_change",
                                                 "long_pct_oi", "short_pct_oi", "traders_long",
                                                 "traders_short"]]
           + ["traders_total", "source_file", "landed_at"])
INDEX_COLUMNS = ["report_date", "managed_money_net", "managed_money_index", "prod_merc_net",
                 "prod_merc_index"]


def get_json(path, want=200):
    d, h = SRV.json(path, want)
    assert h["content-type"].startswith("application/json"), h
    return d, h


def by_date(rows):
    return {r["report_date"]: r for r in rows}


def days(d):
    import datetime
    return datetime.date.fromisoformat(d).toordinal()


def test_positioning_columns_and_spot_values():
    d, h = get_json("/api/cot")
    assert list(d) == ["rows"], list(d)
    rows = d["rows"]
    assert h["x-materia-snapshot"] == "snap-C"
    # the six files: 52 + 53 + 52 + 12 + 51 + 41 weeks
    assert len(rows) == 261, len(rows)
    assert list(rows[0]) == COLUMNS, list(rows[0])
    dates = [r["report_date"] for r in rows]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert dates[0] == "2017-01-03" and dates[-1] == "2023-10-10", (dates[0], dates[-1])
    rows = by_date(rows)
    for date, (oi, mml, mms, pml, pms) in SPOT.items():
        r = rows[date]
        got = (r["open_interest"], r["managed_money_long"], r["managed_money_short"],
               r["prod_merc_long"], r["prod_merc_short"])
        assert got == (oi, mml, mms, pml, pms), (date, got)
        assert r["managed_money_net"] == mml - mms and r["prod_merc_net"] == pml - pms, r
        assert r["prod_merc_spread"] is None and r["nonrept_spread"] is None, r
        assert r["nonrept_traders_long"] is None and r["nonrept_traders_short"] is None, r
        assert isinstance(r["managed_money_spread"], int) and 0 <= r["managed_money_long_pct_oi"] <= 100, r
    # 2023-10-10 as CFTC printed it (f_year.txt of fut_disagg_txt_2023_ytd_2023-10-10.zip)
    r = rows["2023-10-10"]
    assert (r["swap_long"], r["swap_short"], r["swap_spread"]) == (39068, 10842, 4346), r
    assert r["source_file"].startswith("cot/2023/") and r["landed_at"].endswith("Z"), r


def test_from_to_filtering():
    d, _ = get_json("/api/cot?from=2019-01-01&to=2019-12-31")
    dates = [r["report_date"] for r in d["rows"]]
    assert len(dates) == 52 and dates[0] == "2019-01-08" and dates[-1] == "2019-12-31", dates
    # bounds are inclusive
    d, _ = get_json("/api/cot?from=2019-12-31&to=2019-12-31")
    assert [r["report_date"] for r in d["rows"]] == ["2019-12-31"], d
    # open ends
    d, _ = get_json("/api/cot?from=2023-10-01")
    assert [r["report_date"] for r in d["rows"]] == ["2023-10-03", "2023-10-10"], d
    d, _ = get_json("/api/cot?to=2017-01-10")
    assert [r["report_date"] for r in d["rows"]] == ["2017-01-03", "2017-01-10"], d
    # the 2022 gap: a range inside it is an empty list, not an error
    d, _ = get_json("/api/cot?from=2022-01-01&to=2022-12-31")
    assert d == {"rows": []}, d
    # parameter order does not matter
    a = SRV.request("/api/cot?to=2018-02-01&from=2018-01-01")
    b = SRV.request("/api/cot?from=2018-01-01&to=2018-02-01")
    assert a[0] == b[0] == 200 and a[2] == b[2] and a[1]["etag"] == b[1]["etag"]


def test_week_on_week_changes():
    rows, _ = get_json("/api/cot")
    rows = rows["rows"]
    assert rows[0]["open_interest_change"] is None  # nothing before the first report
    after_gap = {"2021-01-05", "2023-01-03"}  # after 2020-03-24 and 2021-12-21
    checked = 0
    for prev, cur in zip(rows, rows[1:]):
        gap = days(cur["report_date"]) - days(prev["report_date"])
        assert (gap > 10) == (cur["report_date"] in after_gap), (prev["report_date"], cur["report_date"])
        want = cur["open_interest"] - prev["open_interest"] if gap <= 10 else None
        assert cur["open_interest_change"] == want, (cur["report_date"], cur["open_interest_change"], want)
        want = cur["managed_money_net"] - prev["managed_money_net"] if gap <= 10 else None
        assert cur["managed_money_net_change"] == want, cur["report_date"]
        checked += 1
    assert checked == 260


def expected_index(rows, n, cat):
    """The contract's index, computed here from the positioning rows."""
    out = {}
    for i, r in enumerate(rows):
        end = days(r["report_date"])
        inside = [x for x in rows[: i + 1] if days(x["report_date"]) > end - 7 * n]
        last = rows[max(0, i - n + 1): i + 1]
        nets = [x[f"{cat}_net"] for x in last]
        if len(inside) < n or max(nets) == min(nets):
            out[r["report_date"]] = None
        else:
            out[r["report_date"]] = 100 * (r[f"{cat}_net"] - min(nets)) / (max(nets) - min(nets))
    return out


def test_index_windows():
    pos = get_json("/api/cot")[0]["rows"]
    d52, h52 = get_json("/api/cot/index")
    assert d52["window"] == 52 and list(d52) == ["window", "rows"], list(d52)
    d52b, h52b = get_json("/api/cot/index?window=52")
    assert d52b == d52 and h52b["etag"] == h52["etag"]
    d26, h26 = get_json("/api/cot/index?window=26")
    assert d26["window"] == 26 and h26["etag"] != h52["etag"]
    for d, n in [(d26, 26), (d52, 52)]:
        rows = d["rows"]
        assert len(rows) == len(pos) and list(rows[0]) == INDEX_COLUMNS, list(rows[0])
        assert [r["report_date"] for r in rows] == [r["report_date"] for r in pos]
        for cat in ["managed_money", "prod_merc"]:
            want = expected_index(pos, n, cat)
            for r in rows:
                got, exp = r[f"{cat}_index"], want[r["report_date"]]
                assert (got is None) == (exp is None), (n, cat, r["report_date"], got, exp)
                assert got is None or abs(got - exp) < 1e-9, (n, cat, r["report_date"], got, exp)
                assert got is None or 0 <= got <= 100
        # the first n-1 reports have no full window
        assert all(r["managed_money_index"] is None for r in rows[: n - 1])
        assert rows[n - 1]["managed_money_index"] is not None
    i26 = by_date(d26["rows"])["2023-10-10"]
    i52 = by_date(d52["rows"])["2023-10-10"]
    assert i26["managed_money_net"] == i52["managed_money_net"] == 32661 - 61889
    assert i26["managed_money_index"] != i52["managed_money_index"], (i26, i52)
    # 2023 starts after the 2022 gap: 52 weeks back from 2023-10-10 reach into the gap
    assert i52["managed_money_index"] is None and i26["managed_money_index"] is not None


def test_csv():
    st, h, body = SRV.request("/api/cot?from=2019-12-31&to=2020-01-07&format=csv")
    assert st == 200 and h["content-type"].startswith("text/csv"), (st, h)
    assert h["content-disposition"] == 'attachment; filename="materia-cot.csv"', h
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == COLUMNS, rows[0]
    assert [r[0] for r in rows[1:]] == ["2019-12-31", "2020-01-07"], rows
    r = dict(zip(rows[0], rows[1]))
    assert (r["open_interest"], r["managed_money_long"], r["managed_money_short"]) == ("277161", "57403", "15813")
    assert r["prod_merc_spread"] == "" and r["managed_money_net"] == str(57403 - 15813), r
    for window in (26, 52):
        st, h, body = SRV.request(f"/api/cot/index?window={window}&format=csv")
        assert st == 200 and h["content-type"].startswith("text/csv"), (st, h)
        assert h["content-disposition"] == f'attachment; filename="materia-cot_index-{window}w.csv"', h
        rows = list(csv.reader(io.StringIO(body.decode())))
        j = get_json(f"/api/cot/index?window={window}")[0]["rows"]
        assert rows[0] == INDEX_COLUMNS and len(rows) - 1 == len(j), (rows[0], len(rows))
        last = dict(zip(rows[0], rows[-1]))
        assert last["report_date"] == "2023-10-10" and int(last["managed_money_net"]) == 32661 - 61889


def test_etag_304_and_cache():
    st, h, _ = SRV.request("/api/cot?from=2019-01-01")
    etag = h["etag"]
    assert st == 200 and h["x-materia-snapshot"] == "snap-C" and etag.startswith('"')
    st, h2, body = SRV.request("/api/cot?from=2019-01-01", headers={"If-None-Match": etag})
    assert st == 304 and body == b"" and h2["etag"] == etag and h2["x-materia-snapshot"] == "snap-C"
    assert SRV.request("/api/cot?from=2019-01-02")[1]["etag"] != etag
    assert SRV.request("/api/cot?from=2019-01-01&format=csv")[1]["etag"] != etag
    st, h, _ = SRV.request("/api/cot/index?window=26")
    st, _, body = SRV.request("/api/cot/index?window=26", headers={"If-None-Match": h["etag"]})
    assert st == 304 and body == b""
    # a repeated answer comes from the snapshot's response cache
    hits = SRV.metric("materia_cache_hits_total")
    a = SRV.request("/api/cot/index?window=52&format=csv")
    b = SRV.request("/api/cot/index?window=52&format=csv")
    assert a[2] == b[2] and SRV.metric("materia_cache_hits_total") >= hits + 1
    st, h, body = SRV.request("/api/cot", method="HEAD")
    assert st == 200 and body == b"" and h["x-materia-snapshot"] == "snap-C"


def test_validation_errors_name_the_parameter():
    cases = [("/api/cot?from=2019-13-01", "from"), ("/api/cot?from=2019-02-29", "from"),
             ("/api/cot?to=2019-1-1", "to"), ("/api/cot?from=20190101", "from"),
             ("/api/cot?from=", "from"), ("/api/cot?to=2019-12-31T00:00", "to"),
             ("/api/cot?from=1899-12-31", "from"), ("/api/cot?to=2101-01-01", "to"),
             ("/api/cot?from=%202019-01-01", "from"), ("/api/cot?from=2020-01-01&to=2019-12-31", "from"),
             ("/api/cot?from=2019-01-01&from=2019-02-01", "from"), ("/api/cot?window=26", "window"),
             ("/api/cot?format=xml", "format"), ("/api/cot?foo=1", "foo"),
             ("/api/cot/index?window=13", "window"), ("/api/cot/index?window=abc", "window"),
             ("/api/cot/index?window=52.0", "window"), ("/api/cot/index?window=", "window"),
             ("/api/cot/index?window=-26", "window"), ("/api/cot/index?from=2019-01-01", "from"),
             ("/api/cot/index?window=26&window=52", "window")]
    for path, param in cases:
        d, _ = get_json(path, 400)
        assert d["parameter"] == param and d["error"] and "rows" not in d, (path, d)
    d, _ = get_json("/api/cot?from=2020-01-01&to=2019-12-31", 400)
    assert "after" in d["error"], d
    # a leap day is a date
    d, _ = get_json("/api/cot?from=2020-02-29&to=2020-03-03")
    assert [r["report_date"] for r in d["rows"]] == ["2020-03-03"], d
    get_json("/api/cot/index/26", 404)
    get_json("/api/cot/", 404)
    st, h, _ = SRV.request("/api/cot", method="POST", body=b"x")
    assert st == 405 and h["allow"] == "GET, HEAD"


def test_graceful_stop_exit_0():
    text = SRV.stop()
    assert "access GET /api/cot/index?window=26 200 " in text, text[-2000:]
    assert "closed snapshot snap-C" in text


if __name__ == "__main__":
    try:
        main([test_positioning_columns_and_spot_values, test_from_to_filtering,
              test_week_on_week_changes, test_index_windows, test_csv, test_etag_304_and_cache,
              test_validation_errors_name_the_parameter, test_graceful_stop_exit_0])
    finally:
        if SRV.proc.poll() is None:
            SRV.stop(check=False)
