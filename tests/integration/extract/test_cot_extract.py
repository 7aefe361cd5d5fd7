"""materia extract cot on the six real CFTC files (sample/cftc-cot/), and on bad inputs made
at test time from a real file (header rewritten, a column renamed, Coffee C rows dropped,
the zip cut in half) — never hand-written 191-column text.

What must hold: each real file lands once, byte for byte (f_year.txt gzipped, CRLF kept)
under cot/{YYYY}/{MM}/ with a meta naming the source and the year; a second run lands
nothing; a year that fails lands nothing, exits 1 with one stderr line naming its URL and
the problem, and the other years are still landed."""
import gzip
import hashlib
import json
import os
import re
import zipfile

from harness import COT_SAMPLE_DIR, COT_SAMPLE_URL, COT_SAMPLE_YEARS, Scratch, main
from psd_server import PsdServer, Route, data_files, landed_files, make_zip

# year -> the bundled file CFTC served at fut_disagg_txt_{YYYY}.zip
SAMPLE = {2017: "fut_disagg_txt_2017.zip", 2018: "fut_disagg_txt_2018.zip",
          2019: "fut_disagg_txt_2019.zip", 2020: "fut_disagg_txt_2020_ytd_2020-03-24.zip",
          2021: "fut_disagg_txt_2021.zip", 2023: "fut_disagg_txt_2023_ytd_2023-10-10.zip"}
LINE = re.compile(r"^cot (\d{4}): (landed (\S+) \((\d+) bytes, (\d+) rows\)|unchanged)$")


def member(year):
    with zipfile.ZipFile(os.path.join(COT_SAMPLE_DIR, SAMPLE[year])) as z:
        return z.read("f_year.txt")


def outcomes(p):
    """{year: landed path or 'unchanged'} from stdout; every line must match the contract."""
    out = {}
    for line in p.stdout.splitlines():
        m = LINE.match(line)
        assert m, f"unexpected stdout line {line!r}"
        out[int(m.group(1))] = m.group(3) or "unchanged"
    return out


def errors(p):
    """The error lines on stderr (log lines, INFO/WARN, are not errors)."""
    return [l for l in p.stderr.splitlines() if l.startswith("materia: ")]


def cot_env(url=COT_SAMPLE_URL, years=COT_SAMPLE_YEARS):
    return dict(COT_SOURCE_URL=url, COT_YEARS=years, EXTRACT_BACKOFF_MS="10")


def test_lands_each_real_file_once_then_nothing():
    s = Scratch("cot")
    p = s.run("extract", "cot", env=cot_env(), check=0)
    got = outcomes(p)
    assert sorted(got) == sorted(SAMPLE), p.stdout
    assert all(v != "unchanged" for v in got.values()), p.stdout
    assert len(data_files(s)) == 6, data_files(s)
    for year, path in got.items():
        rel = os.path.relpath(path, s.landing)
        csv = member(year)
        sha = hashlib.sha256(csv).hexdigest()
        # file:// sends no ETag: named by the CSV's SHA-256, dated by the zip member's mtime
        assert re.fullmatch(rf"cot/\d{{4}}/\d{{2}}/{sha}\.csv\.gzip", rel), rel
        with gzip.open(path, "rb") as f:
            assert f.read() == csv, f"{rel} is not f_year.txt of {SAMPLE[year]} byte for byte"
        with open(path[: -len(".csv.gzip")] + ".meta.json") as f:
            meta = json.load(f)
        assert meta["source"] == "cot" and meta["source_year"] == year, meta
        assert meta["url"] == COT_SAMPLE_URL.replace("{YYYY}", str(year)), meta
        assert meta["sha256"] == sha and meta["csv_bytes"] == len(csv), meta
        assert meta["rows"] == csv.count(b"\r\n") - 1, meta
    before = landed_files(s)
    p = s.run("extract", "cot", env=cot_env(), check=0)
    assert set(outcomes(p).values()) == {"unchanged"}, p.stdout
    assert landed_files(s) == before
    # landing list --source cot lists the six, --source psd none
    p = s.run("landing", "list", "--source", "cot", check=0)
    rows = p.stdout.splitlines()[1:]
    assert len(rows) == 6 and all("\tcot/" in r for r in rows), p.stdout
    assert s.run("landing", "list", "--source", "psd", check=0).stdout.count("\n") == 1
    s.run("landing", "list", "--source", "nope", check=2)
    s.cleanup()


def test_2023_after_the_others_lands_one_file():
    s = Scratch("cot")
    s.run("extract", "cot", env=cot_env(years="2017-2021"), check=0)
    before = data_files(s)
    assert len(before) == 5, before
    p = s.run("extract", "cot", env=cot_env(), check=0)
    got = outcomes(p)
    assert [y for y, v in got.items() if v != "unchanged"] == [2023], p.stdout
    new = [f for f in data_files(s) if f not in before]
    assert len(new) == 1 and new[0].startswith("cot/2023/10/"), new
    s.cleanup()


def test_file_url_unchanged_by_size_and_mtime():
    """A file:// URL's validator is the file's size and modification time (src/extract/
    extract.c): the same pair as when it was landed is 'unchanged' without reading the file;
    a new mtime makes extract read it, and its content decides."""
    s = Scratch("cot")
    folder = os.path.join(s.dir, "mirror")
    os.makedirs(folder)
    for y in (2020, 2021):
        with open(os.path.join(COT_SAMPLE_DIR, SAMPLE[y]), "rb") as f, \
             open(os.path.join(folder, f"fut_disagg_txt_{y}.zip"), "wb") as g:
            g.write(f.read())
    env = cot_env(url=f"file://{folder}/fut_disagg_txt_{{YYYY}}.zip", years="2020-2021")
    env["MATERIA_LOG_LEVEL"] = "info"
    p = s.run("extract", "cot", env=env, check=0)
    assert all(v != "unchanged" for v in outcomes(p).values()), p.stdout
    path = os.path.join(folder, "fut_disagg_txt_2020.zip")
    st = os.stat(path)
    metas = [os.path.join(s.landing, f[: -len(".csv.gzip")] + ".meta.json") for f in data_files(s)]
    stats = sorted(json.load(open(m))["file_stat"] for m in metas)
    assert f"{st.st_size}:{st.st_mtime_ns // 10**9}.{st.st_mtime_ns % 10**9:09d}" in stats, stats
    before = landed_files(s)
    # same size and mtime, different bytes (a byte of the deflate stream flipped: reading it
    # would fail the zip's CRC): unchanged, so it was not read
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0xFF
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    p = s.run("extract", "cot", env=env, check=0)
    assert outcomes(p) == {2020: "unchanged", 2021: "unchanged"}, p.stdout
    assert p.stderr.count("unchanged (size and modification time") == 2, p.stderr
    assert landed_files(s) == before
    # a new mtime: read, and the corrupt zip fails naming the URL, landing nothing
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    p = s.run("extract", "cot", env=env, check=1)
    assert [l for l in errors(p) if "fut_disagg_txt_2020.zip" in l], p.stderr
    assert landed_files(s) == before
    # the published bytes back with yet another mtime: read, content already landed
    with open(os.path.join(COT_SAMPLE_DIR, SAMPLE[2020]), "rb") as f, open(path, "wb") as g:
        g.write(f.read())
    p = s.run("extract", "cot", env=env, check=0)
    assert outcomes(p) == {2020: "unchanged", 2021: "unchanged"}, p.stdout
    assert "already landed as cot/" in p.stderr, p.stderr
    assert landed_files(s) == before
    s.cleanup()


def test_http_conditional_get_per_year_and_a_weekly_rewrite():
    """Each year's URL is asked with the ETag landed from it; a rewritten current-year file
    (new ETag, new content) is a new landing beside the old one."""
    srv = PsdServer()
    z2021 = open(os.path.join(COT_SAMPLE_DIR, SAMPLE[2021]), "rb").read()
    z2023 = open(os.path.join(COT_SAMPLE_DIR, SAMPLE[2023]), "rb").read()
    srv.routes["/fut_disagg_txt_2021.zip"] = Route(body=z2021, etag='"y2021"',
                                                   last_modified="Mon, 27 Dec 2021 20:00:00 GMT")
    srv.routes["/fut_disagg_txt_2023.zip"] = Route(body=z2023, etag='"y2023-a"',
                                                   last_modified="Thu, 12 Oct 2023 20:00:00 GMT")
    s = Scratch("cot")
    env = cot_env(url=srv.url("/fut_disagg_txt_{YYYY}.zip"), years="2021,2023")
    try:
        got = outcomes(s.run("extract", "cot", env=env, check=0))
        assert os.path.relpath(got[2021], s.landing) == "cot/2021/12/y2021.csv.gzip", got
        assert os.path.relpath(got[2023], s.landing) == "cot/2023/10/y2023-a.csv.gzip", got
        got = outcomes(s.run("extract", "cot", env=env, check=0))
        assert set(got.values()) == {"unchanged"}, got
        assert ("/fut_disagg_txt_2021.zip", '"y2021"') in srv.requests[-2:], srv.requests
        assert ("/fut_disagg_txt_2023.zip", '"y2023-a"') in srv.requests[-2:], srv.requests
        # the week after: CFTC rewrites 2023's file (here: one more market dropped)
        csv = member(2023)
        lines = csv.split(b"\r\n")
        rewritten = b"\r\n".join([l for l in lines if not l.startswith(lines[1].split(b",")[0])])
        assert rewritten != csv
        srv.routes["/fut_disagg_txt_2023.zip"] = Route(
            body=make_zip({"f_year.txt": rewritten}), etag='"y2023-b"',
            last_modified="Fri, 20 Oct 2023 20:00:00 GMT")
        got = outcomes(s.run("extract", "cot", env=env, check=0))
        assert got[2021] == "unchanged", got
        assert os.path.relpath(got[2023], s.landing) == "cot/2023/10/y2023-b.csv.gzip", got
        assert len(data_files(s)) == 3, data_files(s)
    finally:
        srv.close()
        s.cleanup()


def check_rejected(zip_bytes, want, good_year=2017, bad_year=2020):
    """bad_year's URL serves zip_bytes, good_year's the real file: the bad year lands
    nothing, exits 1, one stderr line naming its URL and want; the good year still lands."""
    s = Scratch("cot-bad")
    src = os.path.join(s.dir, "src")
    os.makedirs(src)
    with open(os.path.join(src, f"fut_disagg_txt_{bad_year}.zip"), "wb") as f:
        f.write(zip_bytes)
    os.symlink(os.path.join(COT_SAMPLE_DIR, SAMPLE[good_year]),
               os.path.join(src, f"fut_disagg_txt_{good_year}.zip"))
    url = "file://" + src + "/fut_disagg_txt_{YYYY}.zip"
    bad_url = url.replace("{YYYY}", str(bad_year))
    try:
        p = s.run("extract", "cot", env=cot_env(url=url, years=f"{bad_year}"))
        assert p.returncode == 1, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
        assert p.stdout == "", p.stdout
        lines = errors(p)
        assert len(lines) == 1, p.stderr
        assert bad_url in lines[0] and want in lines[0], f"want {bad_url!r} and {want!r} in {lines[0]!r}"
        assert landed_files(s) == {}, "something landed"
        # with a good year in the same run: the good one lands, the bad one still fails
        p = s.run("extract", "cot", env=cot_env(url=url, years=f"{good_year},{bad_year}"))
        assert p.returncode == 1, p.stderr
        assert list(outcomes(p)) == [good_year], p.stdout
        assert len(errors(p)) == 1 and bad_url in errors(p)[0], p.stderr
        files = data_files(s)
        assert len(files) == 1, files
        with gzip.open(os.path.join(s.landing, files[0]), "rb") as f:
            assert f.read() == member(good_year)
    finally:
        s.cleanup()
    return lines[0]


def rezip(csv):
    return make_zip({"f_year.txt": csv})


def test_wrong_header():
    csv = member(2020)
    psd_header = (b"Commodity_Code,Commodity_Description,Country_Code,Country_Name,Market_Year,"
                  b"Calendar_Year,Month,Attribute_ID,Attribute_Description,Unit_ID,Unit_Description,Value")
    bad = psd_header + csv[csv.index(b"\r\n"):]
    check_rejected(rezip(bad), 'header column 1 is "Commodity_Code", expected "Market_and_Exchange_Names"')


def test_renamed_column():
    csv = member(2020)
    header, rest = csv.split(b"\r\n", 1)
    assert header.count(b'"Swap__Positions_Short_All"') == 1
    bad = header.replace(b'"Swap__Positions_Short_All"', b'"Swap_Positions_Short_All"') + b"\r\n" + rest
    check_rejected(rezip(bad), 'header column 12 is "Swap_Positions_Short_All", expected "Swap__Positions_Short_All"')


def test_truncated_zip():
    z = open(os.path.join(COT_SAMPLE_DIR, SAMPLE[2020]), "rb").read()
    check_rejected(z[: len(z) // 2], "truncated zip")


def test_no_coffee_c_rows():
    lines = member(2020).split(b"\r\n")
    kept = [l for l in lines if b",083731," not in l]
    assert len(kept) < len(lines)
    check_rejected(rezip(b"\r\n".join(kept)), "no Coffee C (083731) rows")


def test_zip_without_the_txt_member():
    check_rejected(make_zip({"f_year.csv": member(2020)}), "zip has no .txt member")


def test_http_errors_name_the_url():
    srv = PsdServer()
    srv.routes["/fut_disagg_txt_2021.zip"] = Route(
        body=open(os.path.join(COT_SAMPLE_DIR, SAMPLE[2021]), "rb").read(), etag='"y2021"')
    srv.routes["/fut_disagg_txt_2023.zip"] = Route(statuses=[500, 500, 500])
    s = Scratch("cot-http")
    env = cot_env(url=srv.url("/fut_disagg_txt_{YYYY}.zip"), years="2021-2023")
    env.update(EXTRACT_RETRIES="2")
    try:
        p = s.run("extract", "cot", env=env)
        assert p.returncode == 1, p.stderr
        assert list(outcomes(p)) == [2021], p.stdout
        errs = errors(p)
        assert len(errs) == 2, p.stderr
        assert srv.url("/fut_disagg_txt_2022.zip") in errs[0] and "404" in errs[0], errs
        assert srv.url("/fut_disagg_txt_2023.zip") in errs[1] and "500" in errs[1], errs
        assert [f.split("/")[1] for f in data_files(s)] == ["2021"], data_files(s)  # 2021 only
    finally:
        srv.close()
        s.cleanup()


def test_settings_are_checked_by_name_and_help():
    s = Scratch("cot")
    for key, val in (("COT_YEARS", "2017-"), ("COT_YEARS", "2020-2017"), ("COT_YEARS", "17"),
                     ("COT_SOURCE_URL", "file:///tmp/fut_disagg_txt_2020.zip"),
                     ("COT_SOURCE_URL", "ftp://x/{YYYY}.zip"), ("EXTRACT_SOURCES", "psd,usda")):
        p = s.run("extract", "cot", env={key: val})
        assert p.returncode == 1 and f"{key}={val}" in p.stderr, (key, val, p.stderr)
    for args in (["extract", "--help"], ["extract", "cot", "--help"], ["extract", "psd", "--help"],
                 ["extract", "all", "--help"], ["landing", "list", "--help"]):
        p = s.run(*args, check=0)
        assert p.stdout.startswith("usage: materia"), (args, p.stdout)
    assert "COT_YEARS" in s.run("extract", "cot", "--help", check=0).stdout
    s.run("extract", "cot", "x", check=2)
    s.cleanup()


def test_extract_all_runs_every_source():
    from harness import SAMPLE_ZIP
    s = Scratch("cot")
    env = cot_env(years="2020")
    env.update(EXTRACT_SOURCES="all", PSD_SOURCE_URL="file://" + SAMPLE_ZIP)
    p = s.run("extract", "all", env=env, check=0)
    lines = p.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("psd: landed ") and lines[1].startswith("cot 2020: landed "), p.stdout
    # a bad COT URL: psd still reported, exit 1
    env.update(COT_SOURCE_URL="file://" + s.dir + "/missing_{YYYY}.zip")
    p = s.run("extract", "all", env=env, check=1)
    assert p.stdout.splitlines() == ["psd: unchanged"], p.stdout
    assert "missing_2020.zip" in p.stderr, p.stderr
    s.cleanup()


if __name__ == "__main__":
    main([test_lands_each_real_file_once_then_nothing, test_2023_after_the_others_lands_one_file,
          test_file_url_unchanged_by_size_and_mtime,
          test_http_conditional_get_per_year_and_a_weekly_rewrite, test_wrong_header,
          test_renamed_column, test_truncated_zip, test_no_coffee_c_rows,
          test_zip_without_the_txt_member, test_http_errors_name_the_url,
          test_settings_are_checked_by_name_and_help, test_extract_all_runs_every_source])
