"""Release alerts end to end (issue 15; src/accounts/alerts.h): a user signed up over real
HTTP with a watchlist gets one digest of the newest release's changes through a real SMTP
exchange (`materia alerts send`, what the pipeline's alerts step runs); a second send
sends nothing; `materia alerts preview` shows the digest and that it was sent; and a crash
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
    main([test_digest_sent_once_and_previewed, test_crash_between_send_and_record_never_mails_twice])
