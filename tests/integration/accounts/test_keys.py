"""API keys and rate limits on /api over real HTTP (issue 15): a live key is accepted and
its use recorded; a malformed, unknown or revoked key is a 401 (never silently anonymous);
without a key each client address gets the anonymous rate, then 429 with Retry-After; a
key has its own bucket at its plan's rate, and a plan change moves the rate; the gate
never changes what the response cache serves."""
import json

from harness import Scratch, main
import keysfix
import webfix

S = Scratch("acct-keys")
webfix.build_serving(S, S.serving, "snap-A")
# anonymous: 3/min; free plan: 5/min; pro: 1,000,000/min (16,667 tokens a second:
# any request's own latency refills one)
SRV = keysfix.server(S, env={"API_RATE_ANON_PER_MIN": "3", "API_RATE_FREE_PER_MIN": "5",
                             "API_RATE_PRO_PER_MIN": "1000000"})
PATH = "/api/balance/BR"


def get(path=PATH, headers=None):
    return SRV.request(path, headers=headers)


def test_live_key_accepted_and_use_recorded():
    uid = keysfix.add_user(S, "live@example.com", plan="pro")
    kid, key = keysfix.add_key(S, uid)
    assert keysfix.one(S, "SELECT last_used_at FROM api_keys WHERE id = ?", kid) is None
    st, h, body = get(headers=keysfix.bearer(key))
    assert st == 200, (st, body[:300])
    assert json.loads(body)["rows"], body[:200]
    assert keysfix.one(S, "SELECT last_used_at FROM api_keys WHERE id = ?", kid) is not None
    # the scheme is case-insensitive (RFC 6750 uses "Bearer"; clients send "bearer" too)
    st, _, _ = get(headers={"Authorization": "bearer " + key})
    assert st == 200


def test_bad_keys_are_401_never_anonymous():
    uid = keysfix.add_user(S, "bad@example.com")
    _, key = keysfix.add_key(S, uid)
    other = key[:-1] + ("A" if key[-1] != "A" else "B")
    for auth in ["Bearer " + other, "Bearer mk_short", "Bearer ", "Basic dXNlcjpwYXNz", key, "Bearer  "]:
        st, h, body = get(headers={"Authorization": auth})
        assert st == 401, (auth, st, body[:200])
        assert h["content-type"].startswith("application/json"), h
        assert "error" in json.loads(body) and "request_id" in json.loads(body)
        assert h["www-authenticate"].startswith("Bearer"), h
        assert h["cache-control"] == "no-store", h
        assert key not in body.decode()


def test_revoked_key_is_401():
    uid = keysfix.add_user(S, "revoked@example.com", plan="pro")
    kid, key = keysfix.add_key(S, uid)
    assert get(headers=keysfix.bearer(key))[0] == 200
    with keysfix.connect(S) as db:
        db.execute("UPDATE api_keys SET revoked_at = 1 WHERE id = ?", (kid,))
    st, _, body = get(headers=keysfix.bearer(key))
    assert st == 401, (st, body)
    assert b"invalid or revoked" in body


def test_disabled_user_key_is_401():
    uid = keysfix.add_user(S, "disabled@example.com", plan="pro")
    _, key = keysfix.add_key(S, uid)
    assert get(headers=keysfix.bearer(key))[0] == 200
    with keysfix.connect(S) as db:
        db.execute("UPDATE users SET disabled_at = 1 WHERE id = ?", (uid,))
    assert get(headers=keysfix.bearer(key))[0] == 401


def test_anonymous_rate_then_429_with_retry_after():
    # this test alone spends the anonymous bucket of 127.0.0.1 (3/min: one token every 20 s)
    codes = [get("/api/countries")[0] for _ in range(3)]
    assert codes == [200, 200, 200], codes
    st, h, body = get("/api/countries")
    assert st == 429, (st, body)
    ra = int(h["retry-after"])
    assert 1 <= ra <= 20, ra
    d = json.loads(body)
    assert "rate limit" in d["error"] and "3 requests per minute" in d["error"], d
    assert h["cache-control"] == "no-store"
    assert "content-security-policy" in h and h["x-content-type-options"] == "nosniff", h
    # a key has its own bucket: the exhausted address does not block it
    uid = keysfix.add_user(S, "own-bucket@example.com", plan="pro")
    _, key = keysfix.add_key(S, uid)
    assert get("/api/countries", headers=keysfix.bearer(key))[0] == 200
    # other routes than the data API are not gated
    assert SRV.request("/health")[0] == 200


def test_plan_sets_the_key_rate_and_follows_a_change():
    uid = keysfix.add_user(S, "free@example.com", plan="free")
    _, key = keysfix.add_key(S, uid)
    codes = [get(headers=keysfix.bearer(key))[0] for _ in range(5)]
    assert codes == [200] * 5, codes
    st, h, body = get(headers=keysfix.bearer(key))
    assert st == 429 and 1 <= int(h["retry-after"]) <= 12, (st, h.get("retry-after"))
    assert b"5 requests per minute for the free plan" in body, body
    # upgraded (what a webhook does, test_billing.py): the same bucket now refills at the pro
    # rate, so the very next request passes
    with keysfix.connect(S) as db:
        db.execute("UPDATE users SET plan = 'pro' WHERE id = ?", (uid,))
    assert get(headers=keysfix.bearer(key))[0] == 200


def test_cached_answer_is_the_same_for_key_and_anonymous():
    uid = keysfix.add_user(S, "cache@example.com", plan="pro")
    _, key = keysfix.add_key(S, uid)
    st1, h1, b1 = get("/api/world", headers=keysfix.bearer(key))
    st2, h2, b2 = get("/api/world", headers=keysfix.bearer(key))
    assert st1 == st2 == 200
    assert b1 == b2 and h1["etag"] == h2["etag"]
    # and If-None-Match still gives a 304 to a key holder
    st3, _, _ = get("/api/world", headers=dict(keysfix.bearer(key), **{"If-None-Match": h1["etag"]}))
    assert st3 == 304


def test_anonymous_buckets_per_client_behind_a_trusted_proxy():
    """Behind nginx every request comes from 127.0.0.1: with MATERIA_TRUSTED_PROXIES the
    X-Forwarded-For client has its own bucket; without it the header is ignored (a client
    cannot pick its own bucket by sending one)."""
    proxied = keysfix.server(S, env={"API_RATE_ANON_PER_MIN": "2", "MATERIA_TRUSTED_PROXIES": "127.0.0.1"},
                             name="proxied")
    direct = keysfix.server(S, env={"API_RATE_ANON_PER_MIN": "2"}, name="direct")
    try:
        for client in ["203.0.113.7", "203.0.113.8"]:
            xff = {"X-Forwarded-For": client}
            codes = [proxied.request("/api/countries", headers=xff)[0] for _ in range(3)]
            assert codes == [200, 200, 429], (client, codes)
        # IPv6 clients share a bucket per /64
        codes = [proxied.request("/api/countries", headers={"X-Forwarded-For": f"2001:db8:1:2::{i}"})[0]
                 for i in range(1, 4)]
        assert codes == [200, 200, 429], codes
        codes = [direct.request("/api/countries", headers={"X-Forwarded-For": f"198.51.100.{i}"})[0]
                 for i in range(1, 4)]
        assert codes == [200, 200, 429], codes
    finally:
        proxied.stop()
        direct.stop()


def test_stop():
    text = SRV.stop()
    for k in ("mk_",):
        assert k not in text, "a key reached the log"


if __name__ == "__main__":
    main([test_live_key_accepted_and_use_recorded, test_bad_keys_are_401_never_anonymous,
          test_revoked_key_is_401, test_disabled_user_key_is_401,
          test_anonymous_rate_then_429_with_retry_after, test_plan_sets_the_key_rate_and_follows_a_change,
          test_cached_answer_is_the_same_for_key_and_anonymous,
          test_anonymous_buckets_per_client_behind_a_trusted_proxy, test_stop])
