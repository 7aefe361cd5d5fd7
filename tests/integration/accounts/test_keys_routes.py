"""The API key routes over real HTTP (issue 15), for a user signed in through the account
flow: create (shown once) -> list -> authenticated /api call -> revoke -> 401; CSRF and
sign-in required; a key of another user cannot be revoked; the per-user limit; bad names."""
from harness import Scratch, main
import keysfix
import webfix

S = Scratch("acct-keys-routes")
webfix.build_serving(S, S.serving, "snap-A")
SRV = keysfix.server(S)
A = keysfix.Session(SRV, "alice@example.com")
B = keysfix.Session(SRV, "bob@example.com")


def test_create_list_use_revoke():
    k = A.post("/account/keys", {"name": "laptop"}, want=201)
    assert set(k) == {"id", "name", "prefix", "key"}, k
    assert k["name"] == "laptop" and k["key"].startswith("mk_") and len(k["key"]) == 46
    assert k["key"].startswith(k["prefix"]) and len(k["prefix"]) == 12
    lst = A.get("/account/keys")
    mine = [x for x in lst if x["id"] == k["id"]]
    assert len(mine) == 1, lst
    assert set(mine[0]) == {"id", "name", "prefix", "created_at", "last_used_at", "revoked_at"}, mine
    assert mine[0]["last_used_at"] is None and mine[0]["revoked_at"] is None
    assert k["key"] not in str(lst)  # shown once: never in the list
    # the key at rest: its SHA-256 only
    assert keysfix.one(S, "SELECT count(*) FROM api_keys WHERE prefix = ? AND instr(name, ?) = 0",
                       k["prefix"], k["key"]) == 1
    st, _, body = SRV.request("/api/balance/BR", headers=keysfix.bearer(k["key"]))
    assert st == 200, (st, body[:200])
    used = [x for x in A.get("/account/keys") if x["id"] == k["id"]][0]
    assert used["last_used_at"] is not None and used["last_used_at"].endswith("Z"), used
    assert A.post("/account/keys/revoke", {"id": k["id"]}) == {"id": k["id"], "revoked": True}
    st, h, body = SRV.request("/api/balance/BR", headers=keysfix.bearer(k["key"]))
    assert st == 401, (st, body)
    revoked = [x for x in A.get("/account/keys") if x["id"] == k["id"]][0]
    assert revoked["revoked_at"] is not None
    # audit: created and revoked, without the key
    rows = keysfix.one(S, "SELECT group_concat(action || ':' || coalesce(detail, ''), ' ') FROM audit_log "
                          "WHERE action LIKE 'key_%'")
    assert "key_create" in rows and "key_revoke" in rows and k["key"] not in rows, rows
    assert k["key"] not in SRV.logtext()


def test_signed_in_and_csrf_required():
    st, _, _ = SRV.request("/account/keys")
    assert st == 401
    st, _, _ = SRV.request("/account/billing")
    assert st == 401
    A.post("/account/keys", {"name": "x"}, want=403, csrf=False)
    st, _, _ = SRV.request("/account/keys", method="POST", body='{"name":"x"}',
                           headers=A.headers(extra={"X-CSRF-Token": "wrong"}))
    assert st == 403
    st, _, _ = SRV.request("/account/keys", method="POST", body='{"name":"x"}',
                           headers=A.headers(extra={"Origin": "http://evil.example"}))
    assert st == 403
    # nothing was created by the refused requests
    assert keysfix.one(S, "SELECT count(*) FROM api_keys WHERE name = 'x'") == 0


def test_another_users_key_cannot_be_revoked():
    k = A.post("/account/keys", {"name": "alice's"}, want=201)
    B.post("/account/keys/revoke", {"id": k["id"]}, want=404)
    st, _, _ = SRV.request("/api/world", headers=keysfix.bearer(k["key"]))
    assert st == 200
    assert all(x["id"] != k["id"] for x in B.get("/account/keys"))


def test_bad_requests_are_400():
    for body in [{"name": ""}, {"name": "   "}, {"name": "a" * 65}, {"name": 5}, {}, {"name": "ok", "extra": 1}]:
        B.post("/account/keys", body, want=400)
    for body in [{"id": "1"}, {"id": -1}, {"id": 1.5}, {}, {"id": 1, "x": 2}]:
        B.post("/account/keys/revoke", body, want=400)
    B.post("/account/keys/revoke", {"id": 999999}, want=404)


def test_per_user_limit():
    live = len([x for x in B.get("/account/keys") if x["revoked_at"] is None])
    made = [B.post("/account/keys", {"name": f"k{i}"}, want=201) for i in range(10 - live)]
    d = B.post("/account/keys", {"name": "eleventh"}, want=409)
    assert "at most 10" in d["error"], d
    B.post("/account/keys/revoke", {"id": made[0]["id"]})
    B.post("/account/keys", {"name": "after revoke"}, want=201)


def test_stop():
    SRV.stop()


if __name__ == "__main__":
    main([test_create_list_use_revoke, test_signed_in_and_csrf_required,
          test_another_users_key_cannot_be_revoked, test_bad_requests_are_400, test_per_user_limit, test_stop])
