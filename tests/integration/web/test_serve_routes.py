"""materia serve over real HTTP on 127.0.0.1: every route (JSON and CSV), every bad-input
class (400 naming the parameter, 404, 405, 413, 431), ETag/304, static files, the access
log, /metrics and a graceful SIGTERM stop. One server for the whole file."""
import csv
import io
import json
import os
import socket

from harness import Scratch, main
import webfix

S = Scratch("web-routes")
webfix.build_serving(S, S.serving, "snap-A")
WEB = os.path.join(S.dir, "webdist")
os.makedirs(os.path.join(WEB, "assets"))
with open(os.path.join(WEB, "index.html"), "w") as f:
    f.write("<!doctype html><title>Materia</title>")
with open(os.path.join(WEB, "assets", "app-1a2b.js"), "w") as f:
    f.write("console.log('materia');\n")
SRV = webfix.Server(S)


def get_json(path, want=200):
    st, h, body = SRV.request(path)
    assert st == want, f"{path}: {st} {body[:300]!r}"
    assert h["content-type"].startswith("application/json"), h
    return json.loads(body), h


def test_health():
    d, h = get_json("/health")
    assert d["status"] == "ok" and d["snapshot_id"] == "snap-A", d
    for k in ["serving_file", "snapshot_id", "release_date", "created_at", "run_id", "opened_at", "generation"]:
        assert k in d, k
    assert d["release_date"] == "2022-12-20" and d["run_id"] == "run-snap-A" and d["generation"] == 1
    assert d["serving_file"] == "serving.duckdb" and S.dir not in json.dumps(d)  # no path in answers
    assert h["x-materia-snapshot"] == "snap-A"


def test_countries():
    d, h = get_json("/api/countries")
    rows = d["rows"]
    assert len(rows) == 85, len(rows)
    br = next(r for r in rows if r["country_code"] == "BR")
    assert list(br) == ["country_code", "country_name", "iso2", "iso3", "iso_numeric", "region",
                        "latest_market_year", "production"], list(br)
    assert br["iso3"] == "BRA" and br["iso_numeric"] == "076" and br["latest_market_year"] == 2023
    assert isinstance(br["production"], (int, float)) and br["production"] > 30000
    assert h["x-materia-snapshot"] == "snap-A" and h["etag"].startswith('"')


def test_balance_br():
    d, _ = get_json("/api/balance/BR")
    assert d["country"] == {"country_code": "BR", "country_name": "Brazil", "iso3": "BRA",
                            "region": "South America"}, d["country"]
    rows = d["rows"]
    years = [r["market_year"] for r in rows]
    assert years == sorted(years) and years[-1] == 2023
    r22 = next(r for r in rows if r["market_year"] == 2022)
    assert len(r22) == 21 and r22["production"] == 58100, r22
    # issue 16: the market year in the dashboard's spelling beside PSD's integer
    assert list(r22)[4:6] == ["market_year", "market_year_label"] and r22["market_year_label"] == "2021/22"
    assert abs(r22["production"] - r22["arabica_production"] - r22["robusta_production"] - r22["other_production"]) < 1e-6
    assert r22["release_date"] == "2022-12-20"
    # NULL as null: a country/year where consumption + exports is 0 has no stocks_to_use_pct
    d, _ = get_json("/api/balance/E4")
    assert d["country"]["iso3"] is None


def test_world_rankings_revisions_releases():
    d, _ = get_json("/api/world")
    assert d["rows"][0]["market_year"] == 1960 and "reporting_countries" in d["rows"][0]
    assert [r["market_year_label"] for r in d["rows"] if r["market_year"] in (1960, 2000, 2023)] == ["1959/60", "1999/00", "2022/23"]
    d, _ = get_json("/api/rankings")
    assert d["metric"] == "production" and d["year"] == 2023 and len(d["rows"]) == 10
    assert d["rows"][0]["rank"] == 1 and d["rows"][0]["country_code"] == "BR"
    assert list(d["rows"][0]) == ["rank", "country_code", "country_name", "iso3", "value", "share_pct"]
    d, _ = get_json("/api/rankings?metric=exports&year=2020&limit=3")
    assert d["metric"] == "exports" and d["year"] == 2020 and [r["rank"] for r in d["rows"]] == [1, 2, 3]
    d, _ = get_json("/api/revisions/BR?attribute=production&market_year=2022")
    assert d["country_code"] == "BR" and d["attribute"] == "production" and d["market_year"] == 2022
    assert [r["release_date"] for r in d["rows"]] == ["2022-11-15", "2022-12-20"], d
    assert d["rows"][1]["previous_value"] == d["rows"][0]["value"]
    assert abs(d["rows"][1]["change"] - (d["rows"][1]["value"] - d["rows"][1]["previous_value"])) < 1e-6
    d, _ = get_json("/api/revisions/BR")
    assert d["market_year"] is None and len(d["rows"]) > 60
    d, _ = get_json("/api/releases")
    assert [r["release_date"] for r in d["rows"]] == ["2022-12-20", "2022-11-15"]
    assert d["rows"][0]["etag"] == '"6d871ee9-1220"' and d["rows"][0]["rows"] == 77957


def test_csv_every_route():
    # the file name carries the USDA release the answer comes from (issue 16)
    for path, first, name in [("/api/countries", "country_code", "materia-countries-2022-12-20.csv"),
                              ("/api/balance/BR", "country_code", "materia-balance-BR-2022-12-20.csv"),
                              ("/api/world", "market_year", "materia-world-2022-12-20.csv"),
                              ("/api/rankings?limit=5", "rank", "materia-rankings-2022-12-20.csv"),
                              ("/api/revisions/BR?market_year=2022", "market_year", "materia-revisions-BR-2022-12-20.csv"),
                              ("/api/releases", "release_date", "materia-releases-2022-12-20.csv")]:
        sep = "&" if "?" in path else "?"
        st, h, body = SRV.request(path + sep + "format=csv")
        assert st == 200, (path, st, body[:200])
        assert h["content-type"].startswith("text/csv"), h
        assert h["content-disposition"] == f'attachment; filename="{name}"', h
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert rows[0][0] == first, (path, rows[0])
        j, _ = get_json(path)
        assert len(rows) - 1 == len(j["rows"]), path
    # quoting: the release etag holds quotes
    st, _, body = SRV.request("/api/releases?format=csv")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[1][1] == '"6d871ee9-1220"', rows[1]


def test_bad_parameters_are_400_naming_them():
    cases = [("/api/balance/br", "country_code"), ("/api/balance/BRA", "country_code"),
             ("/api/balance/B%27", "country_code"), ("/api/rankings?metric=price", "metric"),
             ("/api/rankings?year=20x2", "year"), ("/api/rankings?year=1492", "year"),
             ("/api/rankings?limit=0", "limit"), ("/api/rankings?limit=101", "limit"),
             ("/api/rankings?limit=-1", "limit"), ("/api/revisions/BR?attribute=drop%20table", "attribute"),
             ("/api/revisions/BR?market_year=abc", "market_year"), ("/api/world?format=xml", "format"),
             ("/api/world?foo=1", "foo"), ("/api/countries?format=csv&format=json", "format"),
             ("/api/rankings?metric=production;DROP", "metric")]
    for path, param in cases:
        d, h = get_json(path, 400)
        assert d["parameter"] == param and d["error"], (path, d)


def test_404_405_413_431():
    d, _ = get_json("/api/nope", 404)
    assert "error" in d
    get_json("/api/balance/BR/extra", 404)
    get_json("/api/balance/ZZ", 404)
    get_json("/nothing-here.txt", 404)
    get_json("/../etc/passwd", 404)
    for m in ["POST", "PUT", "DELETE"]:
        st, h, _ = SRV.request("/api/world", method=m, body=b"x")
        assert st == 405 and h["allow"] == "GET, HEAD", (m, st, h)
    st, _, body = SRV.request("/api/world", method="POST", body=b"x" * 100000)
    assert st == 413, (st, body)
    st, _, _ = SRV.request("/api/world?x=" + "a" * 5000)
    assert st == 431, st
    st, _, _ = SRV.request("/api/world", headers={"X-Big": "b" * 10000})
    assert st == 431, st
    # far beyond the connection memory limit: still a clean 4xx from the server
    s = socket.create_connection(("127.0.0.1", SRV.port), timeout=30)
    s.sendall(b"GET /api/world HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"h" * 200000 + b"\r\n\r\n")
    resp = s.recv(200)
    s.close()
    assert resp.startswith(b"HTTP/1.1 431") or resp.startswith(b"HTTP/1.1 413"), resp
    # the server is still fine
    get_json("/api/world")


def test_etag_304_and_head():
    st, h, body = SRV.request("/api/balance/BR")
    etag = h["etag"]
    st, h2, body2 = SRV.request("/api/balance/BR", headers={"If-None-Match": etag})
    assert st == 304 and body2 == b"" and h2["etag"] == etag and h2["x-materia-snapshot"] == "snap-A"
    st, _, _ = SRV.request("/api/balance/BR", headers={"If-None-Match": '"other", ' + etag})
    assert st == 304
    st, _, _ = SRV.request("/api/balance/BR", headers={"If-None-Match": '"other"'})
    assert st == 200
    st, h3, _ = SRV.request("/api/balance/CO")
    assert h3["etag"] != etag
    st, h4, _ = SRV.request("/api/balance/BR?format=csv")
    assert h4["etag"] != etag
    st, h5, body5 = SRV.request("/api/balance/BR", method="HEAD")
    assert st == 200 and body5 == b"" and h5["etag"] == etag


def test_keep_alive():
    """Several requests on one connection (a handshake per request would cost 10x)."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", SRV.port, timeout=30)
    try:
        for p in ["/api/world", "/api/balance/BR", "/health", "/api/balance/br"]:
            c.request("GET", p)
            r = c.getresponse()
            r.read()
            assert (r.getheader("Connection") or "").lower() != "close", (p, r.getheaders())
        assert not r.will_close
    finally:
        c.close()


def test_static_files_and_api_page():
    st, h, body = SRV.request("/")
    assert st == 200 and body.startswith(b"<!doctype html>") and h["content-type"].startswith("text/html")
    assert h["cache-control"] == "no-cache"
    st, h, body = SRV.request("/assets/app-1a2b.js")
    assert st == 200 and h["content-type"].startswith("text/javascript")
    assert "immutable" in h["cache-control"]
    st, h2, _ = SRV.request("/assets/app-1a2b.js", headers={"If-None-Match": h["etag"]})
    assert st == 304
    st, h, body = SRV.request("/api")
    assert st == 200 and h["content-type"].startswith("text/html") and b"/api/rankings" in body


def test_metrics_and_access_log():
    SRV.request("/api/world")
    st, h, body = SRV.request("/metrics")
    text = body.decode()
    assert st == 200 and h["content-type"].startswith("text/plain")
    assert 'materia_http_requests_total{route="world",status="200"}' in text
    assert 'materia_http_requests_total{route="balance",status="400"}' in text
    assert "materia_http_request_duration_seconds_bucket{le=\"+Inf\"}" in text
    assert "materia_snapshot_generation 1" in text and "materia_snapshots_open 1" in text
    assert "materia_cache_hits_total" in text
    log = SRV.logtext()
    assert "access GET /api/world 200 " in log and "snapshot=snap-A" in log, log[-2000:]
    assert "access GET /api/balance/br 400 " in log


def test_cache_off_same_answers():
    srv = webfix.Server(S, env={"MATERIA_CACHE": "off"}, name="nocache")
    try:
        for p in ["/api/balance/BR", "/api/world", "/api/rankings?limit=3&format=csv"]:
            a = SRV.request(p)
            b = srv.request(p)
            assert a[0] == b[0] == 200 and a[2] == b[2] and a[1]["etag"] == b[1]["etag"], p
        st, _, body = srv.request("/metrics")
        assert "materia_cache_hits_total 0" in body.decode()
    finally:
        srv.stop()


def test_graceful_stop_exit_0():
    text = SRV.stop()
    assert "SIGTERM received" in text and "serve: stopped" in text
    assert "closed snapshot snap-A" in text


if __name__ == "__main__":
    try:
        main([test_health, test_countries, test_balance_br, test_world_rankings_revisions_releases,
              test_csv_every_route, test_bad_parameters_are_400_naming_them, test_404_405_413_431,
              test_etag_304_and_head, test_keep_alive, test_static_files_and_api_page, test_metrics_and_access_log,
              test_cache_off_same_answers, test_graceful_stop_exit_0])
    finally:
        if SRV.proc.poll() is None:
            SRV.stop(check=False)
