"""Release alerts end to end (issue 15; src/accounts/alerts.h): `materia serve` mails the
digest by itself once it serves a new snapshot (src/web/web_alerts.h); a user signed up over
real HTTP with a watchlist gets one digest of the newest release's changes through a real
SMTP exchange (`materia alerts send`, the same job by hand); a second send sends nothing; `materia alerts preview` shows the digest and that it was sent; and a crash
between handing a mail to SMTP and recording it (crash point alerts_after_send, SIGKILL)
never mails that user twice, while the next run still mails the others.

The serving snapshot is written here with `materia sql` (only the two tables alerts read:
releases and psd_revisions, in the serving contract's columns): the newest release landed
after the sign-ups, revising Brazil's production and Vietnam's exports."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from acctfix import AccountServer, SmtpSink  # noqa: E402
from harness import Scratch, main  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web"))
import webfix  # noqa: E402


def make_serving(s, path, landed_epoch):
    s.sql(path, f"""
        CREATE TABLE releases (release_date DATE, etag VARCHAR, file VARCHAR, rows BIGINT, landed_at TIMESTAMP);
        INSERT INTO releases VALUES ('2022-12-20', 'e1', 'f1', 1, to_timestamp({landed_epoch - 86400})::TIMESTAMP),
                                    ('2023-01-12', 'e2', 'f2', 1, to_timestamp({landed_epoch})::TIMESTAMP);
        CREATE TABLE psd_revisions (country_code VARCHAR, country_name VARCHAR, market_year INTEGER,
            attribute VARCHAR, release_date DATE, value DOUBLE, previous_value DOUBLE, change DOUBLE);
        INSERT INTO psd_revisions VALUES
            ('BR', 'Brazil', 2022, 'production', '2023-01-12', 64300, 62600, 1700),
            ('VM', 'Vietnam', 2022, 'exports', '2023-01-12', 27500, 28000, -500),
            ('CO', 'Colombia', 2022, 'production', '2023-01-12', 12000, 12000, 0);""", write=True)


def signed_up_with_watchlist(srv, addr, items):
    b = srv.browser()
    b.sign_in(addr)
    r = b.post("/account/watchlist", {"items": items})
    assert r.status == 200, (r.status, r.body)


def digest_lines(msg):
    return [l for l in msg["msg"].get_payload(decode=True).decode().splitlines() if l.startswith("- ")]


def test_digest_sent_once_and_previewed():
    s = Scratch("alerts")
    sink = SmtpSink()
    srv = AccountServer(s, sink)
    try:
        signed_up_with_watchlist(srv, "ana@example.com", [{"country": "BR", "metric": "production"},
                                                          {"country": "CO", "metric": "production"}])
        signed_up_with_watchlist(srv, "bo@example.com", [{"country": "BR", "metric": "exports"}])
    finally:
        srv.stop()
    serving = os.path.join(s.dir, "serving.duckdb")
    make_serving(s, serving, int(time.time()) + 60)
    env = {"APP_DB_PATH": srv.app_db, "SERVING_DUCKDB_PATH": serving, "SMTP_URL": sink.url(),
           "PUBLIC_BASE_URL": "https://coffee.example/"}
    p = s.run("alerts", "preview", "ana@example.com", env=env, check=0)
    assert "Status: not sent yet" in p.stdout, p.stdout
    before = len(sink.messages)
    p = s.run("alerts", "send", env=env, check=0)
    assert "alerts: 1 sent, 0 already sent before" in p.stdout, p.stdout
    mails = sink.to("ana@example.com")[-1:]
    assert len(sink.messages) == before + 1 and mails, sink.messages
    assert mails[0]["msg"]["Subject"] == "USDA PSD coffee, release of 2023-01-12: 1 change on your watchlist"
    assert digest_lines(mails[0]) == ["- Brazil, production, 2022/23: 62,600 -> 64,300 (+1,700)"], digest_lines(mails[0])
    assert "https://coffee.example/#/country/BR" in mails[0]["msg"].get_payload(decode=True).decode()
    # bo watches Brazil's exports, which this release did not revise: no mail
    assert not [m for m in sink.to("bo@example.com") if "release of" in m["msg"]["Subject"]]
    p = s.run("alerts", "send", env=env, check=0)
    assert "alerts: 0 sent, 1 already sent before" in p.stdout, p.stdout
    assert len(sink.messages) == before + 1
    p = s.run("alerts", "preview", "ana@example.com", env=env, check=0)
    assert "Status: sent" in p.stdout and "62,600 -> 64,300" in p.stdout, p.stdout
    sink.close()
    s.cleanup()


def test_serve_mails_the_digest_of_a_new_snapshot():
    # serve starts with no snapshot; a user signs up with a watchlist; then a real snapshot
    # (the web tests' fixture: the USDA sample and an earlier release at 0.97, its release
    # re-dated to after the sign-up) is renamed into place as export does, and serve's
    # alerts thread (a poll every 10 s) mails the digest by itself
    s = Scratch("alerts-serve")
    sink = SmtpSink()
    serving = os.path.join(s.dir, "serving.duckdb")
    base = webfix.build_serving(s, os.path.join(s.dir, "base.duckdb"))
    srv = AccountServer(s, sink, env={"SERVING_DUCKDB_PATH": serving})
    try:
        signed_up_with_watchlist(srv, "ana@example.com", [{"country": "BR", "metric": "production"}])
        webfix.variant(s, base, serving, "snap-alerts",
                       "UPDATE releases SET landed_at = now()::TIMESTAMP + INTERVAL 1 MINUTE "
                       "WHERE release_date = (SELECT max(release_date) FROM releases);")
        want = s.sql(serving, "SELECT market_year, previous_value, value FROM psd_revisions "
                              "WHERE country_code = 'BR' AND attribute = 'production' AND change <> 0 "
                              "AND release_date = (SELECT max(release_date) FROM releases) ORDER BY market_year")
        assert want, "the fixture has no revised Brazil production"
        digests = lambda: [m for m in sink.to("ana@example.com") if "release of" in m["msg"]["Subject"]]
        webfix.wait_for(lambda: digests(), timeout=60, step=0.2)
        assert len(digests()) == 1, [m["msg"]["Subject"] for m in sink.messages]
        lines = digest_lines(digests()[0])
        assert len(lines) == len(want), (lines, want)
        for line, w in zip(lines, want):
            assert line.startswith(f"- Brazil, production, {w['market_year']}/{(w['market_year'] + 1) % 100:02d}: "), line
            assert f"{w['previous_value']:,.0f} -> {w['value']:,.0f}" in line, (line, w)
        with srv.db() as con:
            assert con.execute("SELECT state FROM alert_sends").fetchall() == [("sent",)]
    finally:
        log = srv.stop()
    assert "alerts: snapshot snap-alerts, release " in log and ": 1 sent" in log, log[-3000:]
    sink.close()
    s.cleanup()


def test_crash_between_send_and_record_never_mails_twice():
    s = Scratch("alerts-crash")
    sink = SmtpSink()
    srv = AccountServer(s, sink)
    try:
        for addr in ("ana@example.com", "bo@example.com"):
            signed_up_with_watchlist(srv, addr, [{"country": "VM", "metric": "exports"}])
    finally:
        srv.stop()
    serving = os.path.join(s.dir, "serving.duckdb")
    make_serving(s, serving, int(time.time()) + 60)
    env = {"APP_DB_PATH": srv.app_db, "SERVING_DUCKDB_PATH": serving, "SMTP_URL": sink.url()}
    digests = lambda: [m["rcpt"][0] for m in sink.messages if "release of" in m["msg"]["Subject"]]
    p = s.run("alerts", "send", env=dict(env, MATERIA_CRASH_AT="alerts_after_send"))
    assert p.returncode == -9, (p.returncode, p.stdout, p.stderr)
    assert digests() == ["<ana@example.com>"], digests()  # handed over, then the crash
    p = s.run("alerts", "send", env=env, check=0)
    assert "alerts: 1 sent, 1 already sent before" in p.stdout, p.stdout
    assert digests() == ["<ana@example.com>", "<bo@example.com>"], digests()
    p = s.run("alerts", "preview", "ana@example.com", env=env, check=0)
    assert "delivery unknown (not resent)" in p.stdout, p.stdout
    sink.close()
    s.cleanup()


if __name__ == "__main__":
    main([test_digest_sent_once_and_previewed, test_serve_mails_the_digest_of_a_new_snapshot,
          test_crash_between_send_and_record_never_mails_twice])
