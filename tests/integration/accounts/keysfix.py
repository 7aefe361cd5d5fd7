"""keysfix.py — fixtures for the API key and billing integration tests (issue 15).

A served snapshot (webfix.build_serving) and `materia serve` with its account database at
<scratch>/app.sqlite. Rows the HTTP routes do not create (a user, a key of a given plan)
are written straight into that database with Python's sqlite3 module, as an operator's
tool would: the server opened (and migrated) it first, and WAL lets both write.
"""
import base64
import hashlib
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
