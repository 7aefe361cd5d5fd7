"""The fast paths of `materia serve` (cache off) answer exactly like the slow ones would:
rows in market_year order even when the snapshot stores them out of order (balance and
world are ordered in C, not by SQL), unknown countries stay 404 (their per-country
statement is dropped), and answers stay identical across a worker connection recycle
(every WEB_CONN_RECYCLE = 2000 queries)."""
import json

from harness import Scratch, main
import webfix

S = Scratch("web-fastpaths")
webfix.build_serving(S, S.serving, "snap-F")
# Store the ordered tables newest year first, so storage order != answer order.
S.run("sql", "--write", S.serving,
      "CREATE OR REPLACE TABLE coffee_balance AS SELECT * FROM coffee_balance ORDER BY market_year DESC, country_code;"
      " CREATE OR REPLACE TABLE world_balance AS SELECT * FROM world_balance ORDER BY market_year DESC;"
      " SELECT 1", check=0)
SRV = webfix.Server(S, env={"MATERIA_CACHE": "off", "MATERIA_HTTP_THREADS": "1"}, name="fast")


def years(path):
    d, _ = SRV.json(path)
    return d, [r["market_year"] for r in d["rows"]]


def test_rows_ordered_in_c():
    d, ys = years("/api/balance/BR")
    assert len(ys) > 50 and ys == sorted(ys) and len(set(ys)) == len(ys), ys
    assert d["country"]["country_name"] == "Brazil"
    _, ys = years("/api/world")
    assert len(ys) > 50 and ys == sorted(ys), ys
    st, _, body = SRV.request("/api/balance/BR?format=csv")
    lines = body.decode().splitlines()
    col = lines[0].split(",").index("market_year")
    cy = [int(x.split(",")[col]) for x in lines[1:]]
    assert st == 200 and cy == sorted(cy) and len(cy) == len(d["rows"]), cy[:5]


def test_unknown_country_404_repeatedly():
    for _ in range(3):
        st, _, body = SRV.request("/api/balance/Q9")
        assert st == 404 and json.loads(body)["parameter"] == "country_code", body
    assert SRV.request("/api/balance/CO")[0] == 200


def test_same_answers_across_connection_recycle():
    first = {p: SRV.request(p)[2] for p in ["/api/balance/BR", "/api/world", "/api/balance/VM"]}
    for i in range(1100):  # 2 queries per balance request: > 2000 queries on the one worker
        p = "/api/balance/BR" if i % 2 else "/api/balance/VM"
        st, _, body = SRV.request(p)
        assert st == 200 and body == first[p], (i, p)
    for p, b in first.items():
        assert SRV.request(p)[2] == b, p


def test_stop_clean():
    SRV.stop()


if __name__ == "__main__":
    try:
        main([test_rows_ordered_in_c, test_unknown_country_404_repeatedly,
              test_same_answers_across_connection_recycle, test_stop_clean])
    finally:
        if SRV.proc.poll() is None:
            SRV.proc.kill()
