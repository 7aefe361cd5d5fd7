"""End to end: the PSD coffee models through `materia run` on the real December 2022 release.

Lands the real sample (by hand, exactly per the landing contract, with landed_at = now as
extract would write it) into a scratch LANDING_DIR, runs `materia run` with the project's
models/, seeds/ and audits/, and checks the serving layer of the lakehouse through
`materia sql`: exact figures (Brazil 2018: production 52100, arabica 39500, robusta
12600, ending stocks 3115), the PSD identities on every row, world sums, the country map,
and a second landed release with changed values in psd_revisions and coffee_balance.
"""
import datetime as dt
import sys

import psd_fixtures as fx
from harness import Scratch, main
from test_psd_models_direct import check_two_releases


def now_utc():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def engine_missing():
    s = Scratch("models")
    p = s.run("run", "--help")
    s.cleanup()
    return "not built yet" in (p.stdout + p.stderr)


def run_ok(s):
    p = s.run("run")
    assert p.returncode == 0, f"materia run: exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return p


def test_sample_release_end_to_end():
    s = Scratch("models")
    etag = fx.land(s.landing, fx.sample_csv(), "2022/12", "2022-12-20", now_utc())
    run_ok(s)
    q = lambda sql: s.sql(s.lakehouse, sql)  # noqa: E731
    fx.check_schema(q, "serving.")
    fx.check_sample_release(q, "serving.")
    rel = q("SELECT * FROM serving.releases")
    assert len(rel) == 1 and rel[0]["etag"] == etag and rel[0]["rows"] == 77957, rel
    assert rel[0]["file"] == f"psd/2022/12/{etag}.csv.gzip", rel
    assert q("SELECT count(*) AS n FROM raw.psd_coffee") == [{"n": 77957}]
    s.cleanup()


def test_two_releases_end_to_end():
    s = Scratch("models")
    data = fx.sample_csv()
    e1 = fx.land(s.landing, data, "2022/12", "2022-12-20", now_utc())
    run_ok(s)
    e2 = fx.land(s.landing, fx.revised_csv(data), "2023/01", "2023-01-12", now_utc())
    run_ok(s)
    q = lambda sql: s.sql(s.lakehouse, sql)  # noqa: E731
    # Each landing loaded exactly once into raw and staging.
    for t in ("raw.psd_coffee", "staging.psd_coffee"):
        n = q(f"SELECT release_file, count(*) AS n FROM {t} GROUP BY ALL ORDER BY ALL")
        assert [r["n"] for r in n] == [77957, 77957], (t, n)
    check_two_releases(q, "serving.", e1, e2)
    # A third run with nothing new landed changes nothing.
    before = q("SELECT count(*) AS n, sum(value) AS v FROM serving.psd_revisions")
    run_ok(s)
    assert q("SELECT count(*) AS n, sum(value) AS v FROM serving.psd_revisions") == before
    s.cleanup()


if __name__ == "__main__":
    if engine_missing():
        # Temporary: the engine (src/transform) is built in parallel; until it is in main,
        # test_psd_models_direct.py runs the same SQL and checks straight through DuckDB.
        print("SKIP test_psd_models: `materia run` is not built yet (engine not in main)")
        sys.exit(0)
    main([test_sample_release_end_to_end, test_two_releases_end_to_end])
