"""The Stripe webhook and the billing page over real HTTP (issue 15), with events signed by
a test secret (no call to Stripe): a wrong, missing, stale or future signature is a 400
that changes nothing; a valid checkout makes the user pro and the user's API key gets the
pro rate at once; a replayed event is a 200 no-op; events delivered out of order leave the
newest state; a subscription event before its checkout is refused (409) and applied when
redelivered; an empty STRIPE_WEBHOOK_SECRET is a 503."""
import hashlib
import hmac
import json
import time
import urllib.parse

from harness import Scratch, main
import keysfix
import webfix

SECRET = "whsec_test_integration"
CHECKOUT = "https://buy.stripe.com/test_abc"
S = Scratch("acct-billing")
webfix.build_serving(S, S.serving, "snap-A")
SRV = keysfix.server(S, env={"STRIPE_WEBHOOK_SECRET": SECRET, "STRIPE_CHECKOUT_URL": CHECKOUT,
                             "API_RATE_FREE_PER_MIN": "2", "API_RATE_PRO_PER_MIN": "1000000"})
U = keysfix.Session(SRV, "payer@example.com")
BILL = U.get("/account/billing")
UID = int(urllib.parse.parse_qs(urllib.parse.urlsplit(BILL["checkout_url"]).query)["client_reference_id"][0])


def sign(body, t=None, secret=SECRET):
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def post(body, sig, srv=None):
    h = {"Content-Type": "application/json"}
    if sig is not None:
        h["Stripe-Signature"] = sig
    return (srv or SRV).request("/billing/webhook", method="POST", body=body, headers=h)


def event(evt, typ, created, obj):
    return json.dumps({"id": evt, "object": "event", "type": typ, "created": created,
                       "data": {"object": obj}}).encode()


def checkout_event(evt, created, customer="cus_T1"):
    return event(evt, "checkout.session.completed", created,
                 {"id": "cs_1", "object": "checkout.session", "client_reference_id": str(UID),
                  "customer": customer, "subscription": "sub_T1", "payment_status": "paid",
                  "mode": "subscription"})


def sub_event(evt, what, created, status, period_end, customer="cus_T1", sub="sub_T1"):
    return event(evt, "customer.subscription." + what, created,
                 {"id": sub, "object": "subscription", "customer": customer, "status": status,
                  "current_period_end": period_end})


def n_events():
    return keysfix.one(S, "SELECT count(*) FROM billing_events")


def test_billing_page_before_paying():
    assert BILL["plan"] == "free" and BILL["status"] is None and BILL["current_period_end"] is None, BILL
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(BILL["checkout_url"]).query)
    assert BILL["checkout_url"].startswith(CHECKOUT + "?"), BILL
    assert q["prefilled_email"] == ["payer@example.com"], q
    assert BILL["limits"]["free"]["api_requests_per_min"] == 2
    assert BILL["limits"]["pro"]["api_requests_per_min"] == 1000000
    assert BILL["limits"]["anonymous"]["api_requests_per_min"] == 100000000  # harness default


def test_bad_signatures_change_nothing():
    body = checkout_event("evt_bad", int(time.time()))
    now = int(time.time())
    cases = {
        "wrong secret": sign(body, secret="whsec_other"),
        "missing header": None,
        "no v1": f"t={now}",
        "stale": sign(body, t=now - 3600),
        "future": sign(body, t=now + 3600),
        "malformed": "garbage",
        "body altered": sign(body + b" "),
    }
    for what, sig in cases.items():
        st, h, resp = post(body, sig)
        assert st == 400, (what, st, resp)
        assert "error" in json.loads(resp), resp
    assert n_events() == 0
    assert U.get("/account/billing")["plan"] == "free"
    assert SECRET not in SRV.logtext()


def test_valid_checkout_makes_pro_and_the_key_rate_follows():
    k = U.post("/account/keys", {"name": "billing"}, want=201)
    auth = keysfix.bearer(k["key"])
    codes = [SRV.request("/api/world", headers=auth)[0] for _ in range(3)]
    assert codes == [200, 200, 429], codes  # free: 2 a minute
    body = checkout_event("evt_checkout", int(time.time()) - 10)
    st, _, resp = post(body, sign(body))
    assert st == 200 and json.loads(resp) == {"received": True, "outcome": "applied"}, (st, resp)
    b = U.get("/account/billing")
    assert b["plan"] == "pro" and b["status"] == "active", b
    assert U.get("/account/me")["plan"] == "pro"
    assert SRV.request("/api/world", headers=auth)[0] == 200  # the same bucket, at the pro rate
    # replayed: 200, nothing new
    st, _, resp = post(body, sign(body))
    assert st == 200 and json.loads(resp)["outcome"] == "replay", resp
    assert n_events() == 1


def test_out_of_order_events_keep_the_newest():
    t = int(time.time())
    newer = sub_event("evt_sub_upd", "updated", t - 5, "past_due", t + 86400 * 30)
    older = sub_event("evt_sub_new", "created", t - 8, "active", t + 86400 * 29)
    st, _, resp = post(newer, sign(newer))
    assert st == 200 and json.loads(resp)["outcome"] == "applied", resp
    st, _, resp = post(older, sign(older))
    assert st == 200 and json.loads(resp)["outcome"] == "outdated", resp
    b = U.get("/account/billing")
    assert b["plan"] == "free" and b["status"] == "past_due", b
    want_end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t + 86400 * 30))
    assert b["current_period_end"] == want_end, b
    # back to active later: pro again
    again = sub_event("evt_sub_ok", "updated", t - 2, "active", t + 86400 * 30)
    assert json.loads(post(again, sign(again))[2])["outcome"] == "applied"
    assert U.get("/account/billing")["plan"] == "pro"
    # cancellation
    gone = sub_event("evt_sub_del", "deleted", t - 1, "canceled", t + 86400 * 30)
    assert json.loads(post(gone, sign(gone))[2])["outcome"] == "applied"
    b = U.get("/account/billing")
    assert b["plan"] == "free" and b["status"] == "canceled", b


def test_subscription_before_its_checkout_is_redelivered():
    other = keysfix.Session(SRV, "second@example.com")
    bill = other.get("/account/billing")
    uid = urllib.parse.parse_qs(urllib.parse.urlsplit(bill["checkout_url"]).query)["client_reference_id"][0]
    t = int(time.time())
    sub = sub_event("evt_early", "created", t - 3, "trialing", t + 86400, customer="cus_T2", sub="sub_T2")
    before = n_events()
    st, _, resp = post(sub, sign(sub))
    assert st == 409, (st, resp)  # Stripe delivers it again later
    assert n_events() == before
    co = event("evt_co2", "checkout.session.completed", t - 4,
               {"id": "cs_2", "client_reference_id": uid, "customer": "cus_T2",
                "subscription": "sub_T2", "payment_status": "no_payment_required"})
    assert post(co, sign(co))[0] == 200
    st, _, resp = post(sub, sign(sub))  # the redelivery (signed anew, as Stripe does)
    assert st == 200 and json.loads(resp)["outcome"] == "applied", resp
    b = other.get("/account/billing")
    assert b["plan"] == "pro" and b["status"] == "trialing", b


def test_unknown_types_and_non_events():
    t = int(time.time())
    body = event("evt_inv", "invoice.paid", t, {"id": "in_1"})
    st, _, resp = post(body, sign(body))
    assert st == 200 and json.loads(resp)["outcome"] == "ignored", resp
    for bad in [b"not json", b"[]", json.dumps({"id": "evt_x", "type": "invoice.paid"}).encode()]:
        st, _, resp = post(bad, sign(bad))
        assert st == 400, (bad, st, resp)
    st, _, _ = SRV.request("/billing/webhook")
    assert st == 405


def test_empty_secret_is_503():
    srv = keysfix.server(S, env={"STRIPE_WEBHOOK_SECRET": ""}, name="nosecret")
    try:
        body = checkout_event("evt_503", int(time.time()))
        st, _, resp = post(body, sign(body, secret=""), srv=srv)
        assert st == 503 and b"STRIPE_WEBHOOK_SECRET" in resp, (st, resp)
        assert U.get("/account/billing")["checkout_url"] is not None
    finally:
        srv.stop()


def test_stop():
    SRV.stop()


if __name__ == "__main__":
    main([test_billing_page_before_paying, test_bad_signatures_change_nothing,
          test_valid_checkout_makes_pro_and_the_key_rate_follows, test_out_of_order_events_keep_the_newest,
          test_subscription_before_its_checkout_is_redelivered, test_unknown_types_and_non_events,
          test_empty_secret_is_503, test_stop])
