"""acctfix.py — fixtures for the account integration tests (python3 stdlib only).

SmtpSink: a small SMTP server on 127.0.0.1 (socketserver, one thread per connection) that
keeps every message it accepts; `materia serve` sends to it with SMTP_URL=smtp://127.0.0.1:PORT.
Mail is sent before the HTTP answer returns (the server's SMTP exchange completes in the
request), so a message is in the sink by the time the 202 is read: no waiting, no polling.
reject=True answers 554 to DATA (a mail server refusing the message).

AccountServer: `materia serve` on a free port with its own account database (APP_DB_PATH
in the scratch dir), the sink as its SMTP server, and a small cookie-aware client: each
Browser keeps its own session cookie and sends the site's Origin on POSTs, as a browser
on the page would. No serving snapshot is needed: the account routes do not use one.
"""
import email
import http.client
import json
import os
import re
import socketserver
import sqlite3
import threading
import urllib.parse

import harness

TOKEN_RE = re.compile(r"(http://[^\s/]+)/account/verify\?token=([A-Za-z0-9_-]{43})")


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        sink = self.server.sink
        self.reply("220 sink.test ESMTP")
        mail_from, rcpts = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-sink.test" if verb == "EHLO" else "250 sink.test")
                if verb == "EHLO":
                    self.reply("250 8BITMIME")
            elif verb == "MAIL":
                mail_from, rcpts = cmd[10:].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(cmd[8:].strip())
                self.reply("250 OK")
            elif verb == "DATA":
                if sink.reject:
                    self.reply("554 rejected by the test sink")
                    continue
                self.reply("354 go ahead")
                lines = []
                while True:
                    l = self.rfile.readline()
                    if not l or l == b".\r\n":
                        break
                    lines.append(l[1:] if l.startswith(b"..") else l)
                raw = b"".join(lines)
                with sink.lock:
                    sink.messages.append({"from": mail_from, "rcpt": list(rcpts), "raw": raw,
                                          "msg": email.message_from_bytes(raw)})
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            else:
                self.reply("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    def __init__(self, reject=False):
        self.messages = []
        self.lock = threading.Lock()
        self.reject = reject
        self.server = _Server(("127.0.0.1", 0), _SmtpHandler)
        self.server.sink = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, addr):
        with self.lock:
            return [m for m in self.messages if m["rcpt"] == [f"<{addr}>"]]

    def last_link(self, addr):
        """(base, token) of the last link mailed to addr."""
        msgs = self.to(addr)
        assert msgs, f"no mail to {addr}; sink has {[m['rcpt'] for m in self.messages]}"
        body = msgs[-1]["msg"].get_payload(decode=True).decode()
        m = TOKEN_RE.search(body)
        assert m, body
        return m.group(1), m.group(2)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body) if self.body else None

    def header(self, name):
        return self.headers.get(name.lower())


class AccountServer(harness.Serve):
    def __init__(self, scratch, sink=None, env=None, name="serve"):
        e = {"APP_DB_PATH": os.path.join(scratch.dir, "app", "app.sqlite"),
             "SERVING_DUCKDB_PATH": os.path.join(scratch.dir, "no-serving.duckdb")}
        if sink:
            e["SMTP_URL"] = sink.url()
        e.update(env or {})
        self.app_db = e["APP_DB_PATH"]
        self.sink = sink
        super().__init__(scratch, env=e, name=name)
        self.origin = f"http://127.0.0.1:{self.port}"

    def raw(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            hs = {}
            for k, v in r.getheaders():
                hs.setdefault(k.lower(), v)
            hs["set-cookie-all"] = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
            return Response(r.status, hs, data)
        finally:
            c.close()

    def browser(self):
        return Browser(self)

    def db(self):
        return sqlite3.connect(self.app_db, timeout=10)

    def stop(self):
        rc, killed = self.terminate(60)
        text = self.logtext()
        self.log.close()
        assert not killed, "serve did not stop on SIGTERM\n" + text
        assert rc == 0, f"serve exit {rc}\n{text[-4000:]}"
        return text


class Browser:
    """One browser: its own session cookie; sends the site's Origin on POSTs."""

    def __init__(self, srv):
        self.srv = srv
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, origin=True, csrf=True):
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = f"materia_session={self.cookie}"
        if method == "POST":
            if origin is True:
                h["Origin"] = self.srv.origin
            elif origin:
                h["Origin"] = origin
            if csrf is True and self.csrf:
                h["X-CSRF-Token"] = self.csrf
            elif isinstance(csrf, str):
                h["X-CSRF-Token"] = csrf
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                h.setdefault("Content-Type", "application/json")
        r = self.srv.raw(method, path, body=body, headers=h)
        for sc in r.headers["set-cookie-all"]:
            m = re.match(r"materia_session=([^;]*);", sc)
            if m:
                self.cookie = m.group(1) or None
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def follow_link(self, token, origin=True):
        """What the page GET /account/verify?token=... shows does with its button: a form
        POST of the token to /account/verify (with the site's Origin, as the page sends it;
        origin= as in request)."""
        body = urllib.parse.urlencode({"token": token})
        return self.post("/account/verify", body, origin=origin,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})

    def sign_in(self, addr):
        """The whole magic-link sign-in: ask, read the mail, open the link's page, press its
        button, read /me."""
        r = self.post("/account/link", {"email": addr})
        assert r.status == 202, (r.status, r.body)
        _, token = self.srv.sink.last_link(addr)
        r = self.get(f"/account/verify?token={token}")
        assert r.status == 200 and "text/html" in r.header("content-type"), (r.status, r.headers)
        r = self.follow_link(token)
        assert r.status == 303 and r.header("location") == "/#/settings", (r.status, r.headers)
        me = self.get("/account/me")
        assert me.status == 200, (me.status, me.body)
        self.csrf = me.json()["csrf_token"]
        return me.json()
