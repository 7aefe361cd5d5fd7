"""keysfix.py — fixtures for the API key and billing integration tests (issue 15).

A served snapshot (webfix.build_serving) and `materia serve` with its account database at
<scratch>/app.sqlite. Rows the HTTP routes do not create (a user, a key of a given plan)
are written straight into that database with Python's sqlite3 module, as an operator's
tool would: the server opened (and migrated) it first, and WAL lets both write.
"""
import base64
import json
import hashlib
import http.client
import os
import secrets
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webfix  # noqa: E402


def app_db(scratch):
    return os.path.join(scratch.dir, "app.sqlite")


def connect(scratch):
    db = sqlite3.connect(app_db(scratch), timeout=10, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    return db


def add_user(scratch, email, plan="free"):
    with connect(scratch) as db:
        cur = db.execute("INSERT INTO users (email, created_at, plan) VALUES (?, ?, ?)",
                         (email, int(time.time()), plan))
        return cur.lastrowid


def add_key(scratch, user_id, name="test"):
    """A key made as src/accounts/apikeys.c makes one: (id, key)."""
    key = "mk_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    with connect(scratch) as db:
        cur = db.execute("INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at) "
                         "VALUES (?, ?, ?, ?, ?)",
                         (user_id, name, key[:12], hashlib.sha256(key.encode()).digest(), int(time.time())))
        return cur.lastrowid, key


def one(scratch, sql, *args):
    with connect(scratch) as db:
        row = db.execute(sql, args).fetchone()
        return row[0] if row else None


def bearer(key):
    return {"Authorization": "Bearer " + key}


def server(scratch, env=None, name="serve"):
    e = {"APP_DB_PATH": app_db(scratch)}
    e.update(env or {})
    return webfix.Server(scratch, env=e, name=name)


def wait_for(pred, timeout=20, step=0.05):
    return webfix.wait_for(pred, timeout=timeout, step=step)


class Session:
    """A signed-in browser over real HTTP, through AUTH's flow: POST /account/link (with no
    SMTP_URL the mail is written to the server's log), POST /account/verify with the token
    (what the button of the link's page does: 303 + the session cookie), GET /account/me
    (the CSRF token)."""

    def __init__(self, srv, email):
        import re
        self.srv = srv
        self.origin = f"http://127.0.0.1:{srv.port}"
        st, _, body = srv.request("/account/link", method="POST", body=json.dumps({"email": email}),
                                  headers={"Content-Type": "application/json", "Origin": self.origin})
        assert st == 202, (st, body)
        pat = re.compile(r"/account/verify\?token=([A-Za-z0-9_-]+)")
        found = []

        def link_logged():
            found[:] = [m.group(1) for line in srv.logtext().splitlines() if email in line
                        for m in pat.finditer(line)]
            return bool(found)
        assert wait_for(link_logged), "no sign-in link in the log:\n" + srv.logtext()[-2000:]
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        try:
            c.request("POST", "/account/verify", body="token=" + found[-1],
                      headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin})
            r = c.getresponse()
            body = r.read()
            cookies = [v.split(";", 1)[0] for k, v in r.getheaders() if k.lower() == "set-cookie"]
        finally:
            c.close()
        assert r.status == 303, (r.status, body)
        session = [x for x in cookies if x.startswith("materia_session=")]
        assert len(session) == 1, cookies
        self.cookie = session[0]
        me = self.get("/account/me")
        self.csrf = me["csrf_token"]
        self.email = email

    def headers(self, csrf=True, extra=None):
        h = {"Cookie": self.cookie, "Origin": self.origin, "Content-Type": "application/json"}
        if csrf:
            h["X-CSRF-Token"] = self.csrf
        h.update(extra or {})
        return h

    def get(self, path, want=200):
        st, _, body = self.srv.request(path, headers={"Cookie": self.cookie})
        assert st == want, (path, st, body[:300])
        return json.loads(body)

    def post(self, path, obj, want=200, csrf=True):
        st, h, body = self.srv.request(path, method="POST", body=json.dumps(obj),
                                       headers=self.headers(csrf=csrf))
        assert st == want, (path, st, body[:300])
        assert h.get("cache-control") == "no-store", h
        return json.loads(body) if body else None
