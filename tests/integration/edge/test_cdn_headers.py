"""CDN headers (issue 17, docs/CDN.md): every route class over real HTTP.

Data answers (200 and 304, JSON and CSV, with or without an API key) carry the shared-cache
lifetime (Cache-Control s-maxage; CDN-Cache-Control with stale-while-revalidate),
`Vary: Accept-Encoding` only, and Surrogate-Key / Cache-Tag naming the snapshot
(plus the "all API answers" tag); the snapshot's tag changes after a swap. Everything that
depends on the caller or is an error (the API gate's 401 and 429, account pages signed in
or not, 4xx/5xx, /health, /metrics) is no-store with no shared lifetime and no tags. Static
files keep their own headers."""
import os
import sys

from harness import Scratch, main

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "accounts"))
import keysfix  # noqa: E402
import webfix  # noqa: E402

DATA_CC = "public, max-age=0, s-maxage=300"
CDN_CC = "max-age=300, stale-while-revalidate=60"  # RFC 9213: the CDN's own lifetime
DATA_ROUTES = ["/api/countries", "/api/balance/BR", "/api/world", "/api/rankings?metric=exports&limit=5",
               "/api/revisions/BR", "/api/releases", "/api/cot", "/api/cot/index?window=26",
               "/api/world?format=csv", "/api/balance/BR?format=csv"]

S = Scratch("edge-cdn")
webfix.build_serving(S, S.serving, "snap-A")
DIST = os.path.join(S.dir, "webdist")
os.makedirs(os.path.join(DIST, "assets", "abc123"), exist_ok=True)
with open(os.path.join(DIST, "index.html"), "w") as f:
    f.write("<!doctype html><title>t</title>\n")
with open(os.path.join(DIST, "assets", "abc123", "app.js"), "w") as f:
    f.write("console.log(1);\n" * 50)
# anonymous 3/min: the fourth anonymous request from 127.0.0.1 in a minute is a 429; the
# key is on the pro plan (a million a minute) so the data tests are never limited
SRV = keysfix.server(S, env={"API_RATE_ANON_PER_MIN": "3", "API_RATE_PRO_PER_MIN": "1000000",
                             "MATERIA_WEB_DIR": DIST})
UID = keysfix.add_user(S, "cdn@example.com", plan="pro")
_, KEY = keysfix.add_key(S, UID)
AUTH = keysfix.bearer(KEY)


def get(path, headers=None):
    h = dict(AUTH)
    h.update(headers or {})
    return SRV.request(path, headers=h)


def assert_shared(path, st, h, snap):
    assert h.get("cache-control") == DATA_CC, (path, st, h)
    assert h.get("cdn-cache-control") == CDN_CC, (path, st, h)
    assert h.get("surrogate-key") == f"materia-api materia-snapshot-{snap}", (path, h)
    assert h.get("cache-tag") == f"materia-api,materia-snapshot-{snap}", (path, h)
    assert h.get("vary") == "Accept-Encoding", (path, h)  # nothing else: not the key, not cookies
    assert "set-cookie" not in h, (path, h)


def assert_not_shared(what, h):
    cc = h.get("cache-control", "")
    assert "no-store" in cc, (what, h)
    for bad in ("s-maxage", "public", "stale-while-revalidate"):
        assert bad not in cc, (what, h)
    assert "surrogate-key" not in h and "cache-tag" not in h and "cdn-cache-control" not in h, (what, h)


def test_data_routes_shared_lifetime_and_tags():
    for path in DATA_ROUTES:
        for ae in ("br", "gzip", "identity"):
            st, h, body = get(path, {"Accept-Encoding": ae})
            assert st == 200, (path, st, body[:200])
            assert_shared(path, st, h, "snap-A")
        # the revalidation answer carries the same (RFC 9110 §15.4.5)
        st, h, _ = get(path, {"Accept-Encoding": "identity", "If-None-Match": h["etag"]})
        assert st == 304, (path, st)
        assert_shared(path, st, h, "snap-A")


def test_answer_does_not_depend_on_the_key():
    """A keyed and a (first, not yet limited) anonymous request get the same answer and the
    same headers, so a shared copy may serve both; the gate's refusals are never shared."""
    st1, h1, b1 = SRV.request("/api/world", headers={"Accept-Encoding": "identity",
                                                     "X-Forwarded-For": "198.51.100.7"})
    st2, h2, b2 = get("/api/world", {"Accept-Encoding": "identity"})
    assert st1 == st2 == 200 and b1 == b2, (st1, st2)
    for k in ("cache-control", "cdn-cache-control", "surrogate-key", "cache-tag", "vary", "etag"):
        assert h1.get(k) == h2.get(k), (k, h1, h2)


def test_caller_dependent_answers_never_shared():
    # the API gate: a bad key (401) and the anonymous rate spent (429)
    st, h, _ = SRV.request("/api/world", headers={"Authorization": "Bearer mk_nonsense"})
    assert st == 401, st
    assert_not_shared("401", h)
    statuses = []
    for _ in range(6):
        st, h, _ = SRV.request("/api/countries")
        statuses.append(st)
        if st == 429:
            assert_not_shared("429", h)
            assert "retry-after" in h, h
    assert 429 in statuses, statuses
    # the account side, signed out and signed in
    st, h, _ = SRV.request("/account/me")
    assert st == 401, st
    assert_not_shared("/account/me signed out", h)
    sess = keysfix.Session(SRV, "someone@example.com")
    for path in ("/account/me", "/account/keys", "/account/billing"):
        st, h, body = SRV.request(path, headers={"Cookie": sess.cookie})
        assert st == 200, (path, st, body[:200])
        assert_not_shared(path + " signed in", h)
    # errors and per-server state
    for path, want in [("/api/rankings?limit=1000", 400), ("/api/balance/ZZ", 404), ("/api/nope", 404),
                       ("/health", 200), ("/metrics", 200)]:
        st, h, _ = get(path)
        assert st == want, (path, st)
        assert_not_shared(path, h)
    st, h, _ = SRV.request("/api/world", method="DELETE")
    assert st == 405, st
    assert_not_shared("405", h)


def test_static_and_doc_keep_their_headers():
    st, h, _ = SRV.request("/")
    assert st == 200 and h["cache-control"] == "no-cache", h
    assert "surrogate-key" not in h and "cache-tag" not in h, h
    st, h, _ = SRV.request("/assets/abc123/app.js")
    assert st == 200 and h["cache-control"] == "public, max-age=31536000, immutable", h
    assert "surrogate-key" not in h, h
    st, h, _ = SRV.request("/api")
    assert st == 200 and h["cache-control"] == "no-cache", h


def test_swap_changes_the_snapshot_tag():
    st, h, _ = get("/api/world")
    assert st == 200 and "materia-snapshot-snap-A" in h["cache-tag"], h
    old_etag = h["etag"]
    webfix.variant(S, S.serving, S.serving, "snap-B")
    assert webfix.wait_for(lambda: get("/api/world")[1].get("x-materia-snapshot") == "snap-B", timeout=30)
    for path in DATA_ROUTES:
        st, h, _ = get(path, {"If-None-Match": old_etag})
        assert st == 200, (path, st)  # the old validator no longer matches
        assert_shared(path, st, h, "snap-B")
        assert "snap-A" not in h["cache-tag"] and "snap-A" not in h["surrogate-key"], h


def teardown():
    SRV.stop()
    S.cleanup()


if __name__ == "__main__":
    try:
        main([test_data_routes_shared_lifetime_and_tags, test_answer_does_not_depend_on_the_key,
              test_caller_dependent_answers_never_shared, test_static_and_doc_keep_their_headers,
              test_swap_changes_the_snapshot_tag])
    finally:
        teardown()
