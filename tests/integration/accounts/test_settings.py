"""Settings over real HTTP and SMTP (issue 15): email change by a confirmation link to the
new address (the address changes only when it is opened; a taken address is refused then),
and account deletion: personal data removed, API keys revoked, every session ended, the
audit log scrubbed, and the answer saying so.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from acctfix import AccountServer, SmtpSink  # noqa: E402
from harness import Scratch, main  # noqa: E402


def test_email_change_by_confirmation():
    s = Scratch("acct-email")
    sink = SmtpSink()
    srv = AccountServer(s, sink)
    b = srv.browser()
    b.sign_in("old@example.com")
    r = b.post("/account/email", {"email": "New@Example.com"})
    assert r.status == 202, r.body
    assert b.get("/account/me").json()["email"] == "old@example.com"   # not yet
    msg = sink.to("new@example.com")[-1]["msg"]
    assert msg["Subject"] == "Confirm your new Materia email address", msg["Subject"]
    _, token = sink.last_link("new@example.com")
    # opened in another browser (no session needed): the address moves, no session is made
    other = srv.browser()
    r = other.follow_link(token)
    assert r.status == 303 and r.header("location") == "/#/settings?email=changed", r.headers
    assert other.cookie is None
    assert b.get("/account/me").json()["email"] == "new@example.com"
    # the same address again; an invalid one; the address of another account
    assert b.post("/account/email", {"email": "new@example.com"}).status == 400
    assert b.post("/account/email", {"email": "nope"}).status == 400
    srv.browser().sign_in("taken@example.com")
    assert b.post("/account/email", {"email": "taken@example.com"}).status == 202
    _, token = sink.last_link("taken@example.com")
    r = srv.browser().follow_link(token)
    assert r.header("location") == "/#/signin?link=invalid", r.headers
    assert b.get("/account/me").json()["email"] == "new@example.com"
    with srv.db() as con:
        actions = [a for (a,) in con.execute("SELECT action FROM audit_log WHERE user_id = 1 ORDER BY id")]
    assert "email_change_request" in actions and "email_change" in actions, actions
    srv.stop()
    sink.close()
    s.cleanup()


def test_delete_account():
    s = Scratch("acct-delete")
    sink = SmtpSink()
    srv = AccountServer(s, sink)
    b = srv.browser()
    b.sign_in("gone@example.com")
    b2 = srv.browser()
    b2.sign_in("gone@example.com")
    assert b.post("/account/watchlist", {"items": [{"country": "BR", "metric": "production"}]}).status == 200
    with srv.db() as con:   # an API key of this user (the keys routes are helper KEYS')
        con.execute("INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at) "
                    "VALUES (1, 'k', 'mk_test', x'01', 1)")
    keep = srv.browser()
    keep.sign_in("keep@example.com")
    with srv.db() as con:
        mine = [i for (i,) in con.execute("SELECT id FROM audit_log WHERE user_id = 1")]
    assert len(mine) >= 3, mine
    r = b.post("/account/delete", {"confirm": "yes"})
    assert r.status == 400 and "confirm" in r.json()["error"], r.body
    r = b.post("/account/delete", {"confirm": "delete"})
    assert r.status == 200, r.body
    j = r.json()
    assert j["status"] == "deleted" and j["removed"]["sessions"] == 2 and j["removed"]["api_keys"] == 1, j
    assert j["removed"]["watchlist_items"] == 1 and "revoked" in j["message"], j
    assert "Max-Age=0" in r.header("set-cookie")
    assert b2.get("/account/me").status == 401
    with srv.db() as con:
        assert con.execute("SELECT count(*) FROM users WHERE email = 'gone@example.com'").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM api_keys").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM login_tokens WHERE email = 'gone@example.com'").fetchone() == (0,)
        # the audit rows stay, without the person, address or detail
        rows = con.execute("SELECT id, user_id, ip, detail FROM audit_log WHERE id IN (%s)"
                           % ",".join("?" * len(mine)), mine).fetchall()
        assert rows == [(i, None, None, None) for i in mine], rows
        dump = "\n".join(con.iterdump())
    assert "gone@example.com" not in dump, "the address is still in the database"
    assert keep.get("/account/me").status == 200     # nobody else is touched
    # signing up again with the address is a new account
    again = srv.browser().sign_in("gone@example.com")
    assert again["watchlist"] == [], again
    srv.stop()
    sink.close()
    s.cleanup()


def test_operator_commands():
    """`materia users` and `materia appdb backup`: help, refusals by name, delete with --yes
    (the same removal as the route), and serve refusing an account database it cannot open."""
    s = Scratch("acct-cli")
    sink = SmtpSink()
    srv = AccountServer(s, sink)
    srv.browser().sign_in("op@example.com")
    b = srv.browser()
    b.sign_in("other@example.com")
    env = {"APP_DB_PATH": srv.app_db}
    p = s.run("users", "--help", env=env, check=0)
    assert "materia users delete EMAIL --yes" in p.stdout, p.stdout
    p = s.run("users", "delete", "op@example.com", env=env, check=2)
    assert "permanent: add --yes" in p.stderr, p.stderr
    p = s.run("users", "disable", "nobody@example.com", env=env, check=1)
    assert "no user with email nobody@example.com" in p.stderr, p.stderr
    p = s.run("users", "frobnicate", env=env, check=2)
    assert "unknown action 'frobnicate'" in p.stderr, p.stderr
    p = s.run("users", "delete", "OP@example.com", "--yes", env=env, check=0)
    assert p.stdout.startswith("deleted op@example.com: 1 session(s)"), p.stdout
    p = s.run("users", "list", env=env, check=0)
    lines = p.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "email", "plan", "created", "status", "password", "sessions", "api_keys"]
    assert [l.split("\t")[1] for l in lines[1:]] == ["other@example.com"], lines
    assert b.get("/account/me").status == 200
    # an online copy while serve runs
    dest = os.path.join(s.dir, "copies", "app.sqlite")
    p = s.run("appdb", "backup", dest, env=env, check=0)
    assert os.stat(dest).st_mode & 0o077 == 0
    p = s.run("users", "list", "--json", env={"APP_DB_PATH": dest}, check=0)
    assert '"email":"other@example.com"' in p.stdout, p.stdout
    p = s.run("appdb", "backup", "--db", os.path.join(s.dir, "none.sqlite"), dest, check=1)
    assert "no account database there" in p.stderr and not os.path.exists(os.path.join(s.dir, "none.sqlite")), p.stderr
    srv.stop()
    # serve cannot open APP_DB_PATH: it does not start, and says which setting
    blocker = os.path.join(s.dir, "a-file")
    open(blocker, "w").close()
    p = s.run("serve", "--addr", "127.0.0.1:0", env={"APP_DB_PATH": os.path.join(blocker, "app.sqlite")}, check=1)
    assert "APP_DB_PATH" in p.stderr, p.stderr
    sink.close()
    s.cleanup()


if __name__ == "__main__":
    main([test_email_change_by_confirmation, test_delete_account, test_operator_commands])
