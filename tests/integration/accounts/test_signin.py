"""Sign-in over real HTTP and a real SMTP exchange (issue 15): sign-up by magic link → the
link from the SMTP sink → session cookie → /account/me → preferences saved → sign out → 401;
the same 202 whether or not an address is registered; CSRF missing / wrong and a foreign
Origin → 403; link throttling → 429 with Retry-After; an expired link and a used link
refused; `materia users disable` blocks sign-in; session rotation; password sign-in and
sign out everywhere; the request body limits of the account routes.
"""
import http.client
import os
import re
import sqlite3
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from acctfix import AccountServer, SmtpSink  # noqa: E402
from harness import Scratch, main  # noqa: E402


def setup(name, **kw):
    s = Scratch(name)
    sink = SmtpSink(**kw)
    srv = AccountServer(s, sink)
    return s, sink, srv


def teardown(s, sink, srv):
    srv.stop()
    sink.close()
    s.cleanup()


def test_signup_link_session_settings_signout():
    s, sink, srv = setup("acct-signup")
    b = srv.browser()
    r = b.post("/account/link", {"email": "  Ana.Silva@Example.COM "})
    assert r.status == 202, r.body
    assert r.header("cache-control") == "no-store", r.headers
    # the mail: to the normalised address, from MAIL_FROM, the link on this server
    msgs = sink.to("ana.silva@example.com")
    assert len(msgs) == 1, sink.messages
    assert msgs[0]["from"] == "<noreply@localhost>", msgs[0]["from"]
    assert msgs[0]["msg"]["Subject"] == "Your Materia sign-in link"
    base, token = sink.last_link("ana.silva@example.com")
    assert base == srv.origin, base
    # the token is stored only as its SHA-256
    with srv.db() as con:
        stored = con.execute("SELECT token_hash FROM login_tokens").fetchall()
    import hashlib
    assert stored == [(hashlib.sha256(token.encode()).digest(),)], stored
    assert b.get("/account/me").status == 401
    r = b.follow_link(token)
    assert r.status == 303 and r.header("location") == "/#/settings", (r.status, r.headers)
    cookie = r.header("set-cookie")
    assert re.match(r"materia_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax; Max-Age=\d+$", cookie), cookie
    assert "Secure" not in cookie   # PUBLIC_BASE_URL is not https here
    me = b.get("/account/me")
    assert me.status == 200 and me.header("cache-control") == "no-store", me.body
    j = me.json()
    assert j["email"] == "ana.silva@example.com" and j["plan"] == "free", j
    assert j["preferences"] == {"units": "bags", "default_country": None, "theme": "system"}, j
    assert j["watchlist"] == [] and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", j["created_at"]), j
    b.csrf = j["csrf_token"]
    r = b.post("/account/preferences", {"units": "tonnes", "default_country": "BR", "theme": "dark"})
    assert r.status == 200, r.body
    assert r.json() == {"preferences": {"units": "tonnes", "default_country": "BR", "theme": "dark"}}
    r = b.post("/account/watchlist", {"items": [{"country": "BR", "metric": "production"},
                                                {"country": "WORLD", "metric": "ending_stocks"}]})
    assert r.status == 200, r.body
    j = b.get("/account/me").json()
    assert j["preferences"] == {"units": "tonnes", "default_country": "BR", "theme": "dark"}, j
    assert j["watchlist"] == [{"country": "BR", "metric": "production"},
                              {"country": "WORLD", "metric": "ending_stocks"}], j
    # refused values say which, and nothing is saved
    for body, word in (({"units": "kg"}, "units"), ({"theme": "blue"}, "theme"),
                       ({"default_country": "Brazil"}, "default_country"), ({"colour": "red"}, "colour"),
                       ({"items": [{"country": "BR", "metric": "bogus"}]}, "metric")):
        path = "/account/watchlist" if "items" in body else "/account/preferences"
        r = b.post(path, body)
        assert r.status == 400 and word in r.json()["error"], (body, r.status, r.body)
    assert b.get("/account/me").json()["preferences"]["units"] == "tonnes"
    # sign out: the cookie is cleared and the old token is worthless
    old = b.cookie
    r = b.post("/account/signout")
    assert r.status == 200 and "Max-Age=0" in r.header("set-cookie"), (r.status, r.headers)
    b.cookie = old
    assert b.get("/account/me").status == 401
    # the audit log has the sign-up, sign-in, settings changes and sign-out
    with srv.db() as con:
        actions = [a for (a,) in con.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["link_request", "signup", "signin", "settings_change", "settings_change", "signout"], actions
    log = srv.stop()
    assert token not in log and old not in log, "a secret reached the log"
    sink.close()
    s.cleanup()


def test_same_answer_registered_or_not():
    s, sink, srv = setup("acct-same")
    srv.browser().sign_in("known@example.com")
    a = srv.browser().post("/account/link", {"email": "known@example.com"})
    b = srv.browser().post("/account/link", {"email": "unknown@example.com"})
    assert (a.status, a.body) == (b.status, b.body) == (202, a.body), (a.status, a.body, b.status, b.body)
    # a malformed address is a 400 naming the problem, for everyone
    r = srv.browser().post("/account/link", {"email": "not-an-address"})
    assert r.status == 400 and "@" in r.json()["error"], r.body
    teardown(s, sink, srv)


def test_csrf_and_origin():
    s, sink, srv = setup("acct-csrf")
    b = srv.browser()
    b.sign_in("c@example.com")
    body = {"theme": "dark"}
    r = b.post("/account/preferences", body, csrf=False)
    assert r.status == 403 and "CSRF token missing" in r.json()["error"], r.body
    r = b.post("/account/preferences", body, csrf="x" * 43)
    assert r.status == 403 and "does not match" in r.json()["error"], r.body
    r = b.post("/account/preferences", body, origin="http://evil.example")
    assert r.status == 403 and "cross-origin" in r.json()["error"], r.body
    r = b.post("/account/preferences", body, origin=False)
    assert r.status == 403 and "Origin or Referer" in r.json()["error"], r.body
    r = b.post("/account/preferences", body, origin=False, headers={"Referer": "http://evil.example/x"})
    assert r.status == 403, r.body
    assert b.get("/account/me").json()["preferences"]["theme"] == "system"   # nothing changed
    # another user's token is not this session's
    other = srv.browser()
    other.sign_in("d@example.com")
    r = b.post("/account/preferences", body, csrf=other.csrf)
    assert r.status == 403, r.body
    # the form field works as the header does; a Referer on this site as the Origin does
    r = b.post("/account/preferences", "csrf_token=" + b.csrf, csrf=False, origin=False,
               headers={"Referer": srv.origin + "/#/settings", "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400 and "JSON" in r.json()["error"], r.body   # past the CSRF check
    r = b.post("/account/preferences", body, origin=False, headers={"Referer": srv.origin + "/#/settings"})
    assert r.status == 200, r.body
    # sign-in forms: no session yet, but the Origin is checked
    r = srv.browser().post("/account/link", {"email": "e@example.com"}, origin="http://evil.example")
    assert r.status == 403, r.body
    assert not sink.to("e@example.com")
    # not signed in → 401 before anything else
    r = srv.browser().post("/account/preferences", body)
    assert r.status == 401, r.body
    teardown(s, sink, srv)


def test_link_throttling():
    s, sink, srv = setup("acct-throttle")
    b = srv.browser()
    for _ in range(3):
        assert b.post("/account/link", {"email": "t@example.com"}).status == 202
    r = b.post("/account/link", {"email": "T@example.com"})   # the same account, spelled otherwise
    assert r.status == 429, r.body
    ra = int(r.header("retry-after"))
    assert 1 <= ra <= 600 and r.json()["retry_after"] == ra, (r.headers, r.body)
    assert len(sink.to("t@example.com")) == 3
    # per address: 10 in all from one client, whatever the email
    for i in range(6):
        assert b.post("/account/link", {"email": f"u{i}@example.com"}).status == 202
    r = b.post("/account/link", {"email": "v@example.com"})
    assert r.status == 429 and not sink.to("v@example.com"), r.body
    teardown(s, sink, srv)


def test_verify_throttled_and_junk_not_audited():
    """Following a link writes to the account database; a loop of guesses is throttled per
    client (20, then 60 an hour), and a string that cannot be a token writes nothing."""
    s, sink, srv = setup("acct-verify")
    b = srv.browser()
    audit = lambda: sqlite3.connect(srv.app_db).execute("SELECT count(*) FROM audit_log WHERE action = 'link_refused'").fetchone()[0]
    # a token of the right form that is no link's: refused and audited
    assert b.post("/account/link", {"email": "w@example.com"}).status == 202
    _, token = sink.last_link("w@example.com")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert b.follow_link(forged).status == 303
    assert audit() == 1
    # the link's page (GET) and its button (POST) draw on the same per-client bucket
    statuses = [b.follow_link(f"x{i}").status for i in range(9)]
    statuses += [b.get(f"/account/verify?token=x{i}").status for i in range(10)]
    assert statuses == [303] * 9 + [200] * 10, statuses
    assert audit() == 1, "junk tokens must not be audited"
    r = b.follow_link(token)
    assert r.status == 429 and 1 <= int(r.header("retry-after")) <= 600, (r.status, r.body)
    r = b.get(f"/account/verify?token={token}")
    assert r.status == 429 and 1 <= int(r.header("retry-after")) <= 600, (r.status, r.body)
    teardown(s, sink, srv)


def test_link_page_does_not_use_the_link():
    """Link prefetching: GET (or HEAD) /account/verify only shows a page whose button POSTs
    the token; a mail scanner that opens the link leaves it working."""
    s, sink, srv = setup("acct-prefetch")
    b = srv.browser()
    assert b.post("/account/link", {"email": "pf@example.com"}).status == 202
    _, token = sink.last_link("pf@example.com")
    unused = lambda: srv.db().execute("SELECT count(*) FROM login_tokens WHERE used_at IS NULL").fetchone()[0]
    audit_rows = lambda: srv.db().execute("SELECT count(*) FROM audit_log").fetchone()[0]
    rows = audit_rows()
    scanner = srv.browser()
    for _ in range(2):   # a second GET still shows the page: the first used nothing up
        r = scanner.get(f"/account/verify?token={token}")
        assert r.status == 200 and r.header("content-type") == "text/html; charset=utf-8", (r.status, r.headers)
        assert r.header("cache-control") == "no-store" and r.header("referrer-policy") == "strict-origin", r.headers
        body = r.body.decode()
        assert f'<form method="post" action="/account/verify"><input type="hidden" name="token" value="{token}">' in body, body
        assert "set-cookie" not in r.headers and scanner.cookie is None, r.headers
    r = srv.raw("HEAD", f"/account/verify?token={token}")
    assert r.status == 200 and r.body == b"", (r.status, r.body)
    # exactly one Referrer-Policy (the page's replaces the site's default, never beside it)
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    c.request("GET", f"/account/verify?token={token}")
    hs = c.getresponse().getheaders()
    c.close()
    assert [v for k, v in hs if k.lower() == "referrer-policy"] == ["strict-origin"], hs
    assert unused() == 1 and audit_rows() == rows, "a GET or HEAD must not use the link or write"
    # the button: the POST uses the link, once
    r = b.follow_link(token)
    assert r.status == 303 and r.header("location") == "/#/settings" and b.cookie, (r.status, r.headers)
    assert b.get("/account/me").json()["email"] == "pf@example.com"
    assert unused() == 0
    r = srv.browser().follow_link(token)
    assert r.status == 303 and r.header("location") == "/#/signin?link=invalid", r.headers
    teardown(s, sink, srv)


def test_link_post_needs_same_origin():
    """Login CSRF: the POST that uses a link is refused without the site's own Origin (or
    Referer), with the 403 every other account POST gives; the link stays unused."""
    s, sink, srv = setup("acct-logincsrf")
    attacker = srv.browser()
    assert attacker.post("/account/link", {"email": "mallory@example.com"}).status == 202
    _, token = sink.last_link("mallory@example.com")
    unused = lambda: srv.db().execute("SELECT count(*) FROM login_tokens WHERE used_at IS NULL").fetchone()[0]
    victim = srv.browser()
    same = srv.browser().post("/account/signin", {"email": "a@example.com", "password": "x" * 12},
                              origin="http://evil.example").status
    assert same == 403, same
    for origin, headers in (("http://evil.example", {}), (False, {}), ("null", {}),
                            (False, {"Referer": "http://evil.example/page"})):
        body = urllib.parse.urlencode({"token": token})
        r = victim.post("/account/verify", body, origin=origin,
                        headers=dict(headers, **{"Content-Type": "application/x-www-form-urlencoded"}))
        assert r.status == same and "set-cookie" not in r.headers, (origin, headers, r.status, r.headers)
        assert victim.cookie is None and unused() == 1, (origin, headers)
    # the same POST from the page (the site's Origin) signs in
    r = victim.follow_link(token)
    assert r.status == 303 and victim.cookie, (r.status, r.headers)
    teardown(s, sink, srv)


def test_link_page_escapes_the_token():
    """The page carries whatever token the link had in a hidden field, HTML-escaped."""
    s, sink, srv = setup("acct-escape")
    raw = "\"><script>alert(1)</script>&'x"
    r = srv.browser().get("/account/verify?" + urllib.parse.urlencode({"token": raw}))
    body = r.body.decode()
    assert r.status == 200, (r.status, body)
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#39;x"' in body, body
    assert "<script" not in body and "alert(1)</script>" not in body, body
    teardown(s, sink, srv)


def test_expired_and_reused_link():
    s, sink, srv = setup("acct-expiry")
    b = srv.browser()
    assert b.post("/account/link", {"email": "x@example.com"}).status == 202
    _, token = sink.last_link("x@example.com")
    assert b.follow_link(token).status == 303 and b.cookie
    # used: the same link again is refused, no cookie
    c = srv.browser()
    r = c.follow_link(token)
    assert r.status == 303 and r.header("location") == "/#/signin?link=invalid", r.headers
    assert c.cookie is None and "set-cookie" not in r.headers
    # expired: the link's 15 minutes are over (its row says so)
    assert c.post("/account/link", {"email": "x@example.com"}).status == 202
    _, token2 = sink.last_link("x@example.com")
    assert token2 != token
    with srv.db() as con:
        con.execute("UPDATE login_tokens SET expires_at = strftime('%s','now') - 1 WHERE used_at IS NULL")
    r = c.follow_link(token2)
    assert r.status == 303 and r.header("location") == "/#/signin?link=invalid" and c.cookie is None, r.headers
    # junk
    for t in ("", "abc", "A" * 43, "%00"):
        r = c.follow_link(t)
        assert r.status in (303, 400) and c.cookie is None, (t, r.status)
    teardown(s, sink, srv)


def test_disable_blocks_signin():
    s, sink, srv = setup("acct-disable")
    b = srv.browser()
    b.sign_in("dis@example.com")
    assert b.post("/account/password", {"password": "correct horse battery"}).status == 200
    p = s.run("users", "disable", "Dis@Example.com", env={"APP_DB_PATH": srv.app_db}, check=0)
    assert "disabled dis@example.com" in p.stdout, p.stdout
    assert b.get("/account/me").status == 401          # the session is over
    n = len(sink.to("dis@example.com"))
    r = srv.browser().post("/account/link", {"email": "dis@example.com"})
    assert r.status == 202 and len(sink.to("dis@example.com")) == n   # same answer, no mail
    r = srv.browser().post("/account/signin", {"email": "dis@example.com", "password": "correct horse battery"})
    assert r.status == 401, r.body
    s.run("users", "enable", "dis@example.com", env={"APP_DB_PATH": srv.app_db}, check=0)
    r = srv.browser().post("/account/signin", {"email": "dis@example.com", "password": "correct horse battery"})
    assert r.status == 200, r.body
    p = s.run("users", "list", "--json", env={"APP_DB_PATH": srv.app_db}, check=0)
    assert '"email":"dis@example.com"' in p.stdout and '"disabled_at":null' in p.stdout, p.stdout
    teardown(s, sink, srv)


def test_rotation_password_and_signout_everywhere():
    s, sink, srv = setup("acct-rotate")
    b = srv.browser()
    b.sign_in("r@example.com")
    first = b.cookie
    b.sign_in("r@example.com")             # signing in again replaces the session
    assert b.cookie != first
    b2 = srv.browser()
    b2.cookie = first
    assert b2.get("/account/me").status == 401
    # a planted cookie (an attacker's own session, set in the victim's browser) is replaced
    # at sign-in and ended: the attacker's token never becomes the victim's session
    attacker = srv.browser()
    attacker.sign_in("attacker@example.com")
    victim = srv.browser()
    victim.cookie = attacker.cookie
    me = victim.sign_in("victim@example.com")
    assert me["email"] == "victim@example.com" and victim.cookie != attacker.cookie
    assert attacker.get("/account/me").status == 401
    r = b.post("/account/password", {"password": "short"})
    assert r.status == 400 and "at least 12" in r.json()["error"], r.body
    r = b.post("/account/password", {"password": "correct horse battery"})
    assert r.status == 200 and r.json()["other_sessions_ended"] is True, r.body
    b.csrf = r.json()["csrf_token"]
    with srv.db() as con:
        (h,) = con.execute("SELECT password_hash FROM users").fetchone()
    assert h.startswith("$argon2id$v=19$m=19456,t=2,"), h
    # wrong password, unknown address: the same 401
    r1 = srv.browser().post("/account/signin", {"email": "r@example.com", "password": "wrong horse battery"})
    r2 = srv.browser().post("/account/signin", {"email": "nobody@example.com", "password": "wrong horse battery"})
    assert r1.status == r2.status == 401 and r1.body == r2.body, (r1.body, r2.body)
    other = srv.browser()
    r = other.post("/account/signin", {"email": "r@example.com", "password": "correct horse battery"})
    assert r.status == 200 and other.cookie, r.body
    assert other.get("/account/me").status == 200 and b.get("/account/me").status == 200
    r = b.post("/account/signout-all")
    assert r.status == 200 and r.json()["sessions_ended"] == 2, r.body
    assert other.get("/account/me").status == 401 and b.get("/account/me").status == 401
    teardown(s, sink, srv)


def test_request_limits():
    s, sink, srv = setup("acct-limits")
    o = {"Origin": srv.origin, "Content-Type": "application/json"}
    r = srv.raw("POST", "/account/link", body=b"{" + b" " * 70000 + b"}", headers=o)
    assert r.status == 413, r.status
    r = srv.raw("POST", "/account/link", body=b'{"email":"a@example.com"}' + b" " * 60000, headers=o)
    assert r.status == 202, (r.status, r.body)      # under the 64 KiB cap: read whole
    r = srv.raw("PUT", "/account/me")
    assert r.status == 405 and r.header("allow") == "GET, HEAD", r.headers
    r = srv.raw("GET", "/account/link")
    assert r.status == 405 and r.header("allow") == "POST", r.headers
    r = srv.raw("GET", "/account/nope")
    assert r.status == 404 and r.header("cache-control") == "no-store", r.status
    # the account answers carry the site's security headers too
    assert "frame-ancestors 'none'" in r.header("content-security-policy"), r.headers
    assert r.header("x-content-type-options") == "nosniff" and r.header("x-frame-options") == "DENY", r.headers
    r = srv.raw("POST", "/account/me", body=b"{}", headers=o)
    assert r.status == 413, r.status                # a GET route takes no body
    # the data routes refuse a body as before
    r = srv.raw("POST", "/api/countries", body=b"x")
    assert r.status == 405, r.status
    r = srv.raw("POST", "/account/link", body=b"[1]", headers=o)
    assert r.status == 400 and r.json()["error"] == "request body must be a JSON object", r.body
    teardown(s, sink, srv)


def test_mail_failure_and_no_smtp():
    s, sink, srv = setup("acct-mailfail", reject=True)
    r = srv.browser().post("/account/link", {"email": "m@example.com"})
    assert r.status == 502 and "could not be sent" in r.json()["error"], r.body
    teardown(s, sink, srv)
    # no SMTP_URL: the link is in serve's log, and it works
    s = Scratch("acct-nosmtp")
    srv = AccountServer(s)
    b = srv.browser()
    assert b.post("/account/link", {"email": "local@example.com"}).status == 202
    # the log is written by serve's log thread: read until the line is there (or 30 s)
    pat = re.compile(r"INFO  mail: SMTP_URL is not set.*/account/verify\?token=([A-Za-z0-9_-]{43})")
    deadline = time.time() + 30
    while not pat.search(srv.logtext()) and time.time() < deadline:
        time.sleep(0.05)
    text = srv.logtext()
    m = pat.search(text)
    assert m, text[-2000:]
    assert b.follow_link(m.group(1)).status == 303 and b.get("/account/me").status == 200
    srv.stop()
    s.cleanup()


def test_client_address_behind_proxy():
    """Per-address throttles key on the client: behind a trusted proxy, the X-Forwarded-For
    entry it added; otherwise the connecting address, whatever X-Forwarded-For claims."""
    def links(srv, xff, n):
        out = []
        for i in range(n):
            r = srv.browser().post("/account/link", {"email": f"p{len(xff)}-{i}-{xff.count(',')}@example.com"},
                                   headers={"X-Forwarded-For": xff})
            out.append(r.status)
        return out
    s = Scratch("acct-proxy")
    sink = SmtpSink()
    srv = AccountServer(s, sink, env={"MATERIA_TRUSTED_PROXIES": "127.0.0.1"})
    assert links(srv, "203.0.113.7", 11) == [202] * 10 + [429]
    assert links(srv, "198.51.100.1", 1) == [202]                   # another client
    # what the client wrote left of the proxy's entry does not change who it is
    assert links(srv, "198.51.100.99, 203.0.113.7", 1) == [429]
    # an IPv6 client is one /64 (a subscriber's usual allocation): walking its own
    # addresses gives no fresh bucket; the next /64 is another client
    assert links(srv, "2001:db8:1:2::1", 10) == [202] * 10
    assert links(srv, "2001:db8:1:2:ffff:ffff:ffff:fffe", 1) == [429]
    assert links(srv, "2001:db8:1:3::1", 1) == [202]
    srv.stop()
    # no trusted proxy: the header is the client's own claim and is ignored
    srv = AccountServer(s, sink, name="serve2")
    statuses = [srv.browser().post("/account/link", {"email": f"q{i}@example.com"},
                                   headers={"X-Forwarded-For": f"192.0.2.{i}"}).status for i in range(11)]
    assert statuses == [202] * 10 + [429], statuses
    srv.stop()
    # a value that cannot take effect is refused by name
    p = s.run("serve", "--addr", "127.0.0.1:0", env={"MATERIA_TRUSTED_PROXIES": "nginx",
                                                     "APP_DB_PATH": os.path.join(s.dir, "app.sqlite")})
    assert p.returncode != 0 and "MATERIA_TRUSTED_PROXIES: 'nginx' is not an IPv4 address" in p.stderr, p.stderr
    sink.close()
    s.cleanup()


if __name__ == "__main__":
    main([test_signup_link_session_settings_signout, test_same_answer_registered_or_not, test_csrf_and_origin,
          test_link_throttling, test_verify_throttled_and_junk_not_audited, test_link_page_does_not_use_the_link,
          test_link_post_needs_same_origin, test_link_page_escapes_the_token, test_expired_and_reused_link, test_disable_blocks_signin,
          test_rotation_password_and_signout_everywhere, test_request_limits, test_mail_failure_and_no_smtp,
          test_client_address_behind_proxy])
