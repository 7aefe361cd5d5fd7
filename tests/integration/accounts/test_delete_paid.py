"""Deleting an account with a live Stripe subscription (src/accounts/account_close.c), by the
user (POST /account/delete) and by the operator (`materia users delete`), against a local
stand-in for Stripe's API (edgefix.Receiver on 127.0.0.1, STRIPE_API_URL pointing at it).
The subscription exists as billing makes it: a signed checkout.session.completed event.

The subscription is cancelled first (DELETE /v1/subscriptions/<id>, Authorization: Bearer
<STRIPE_API_KEY>) and only then the user deleted; Stripe's "no such subscription" (404
resource_missing) counts as cancelled, and so does a refused cancel of a subscription whose
own status (GET) says it has ended; a 500 is retried; a refusal (400), or no key, keeps
the user (web: 409 with what to do; CLI: exit 1 naming the subscription) unless the operator
gives --keep-subscription; a user without a live subscription causes no request at all.

After the deletion, Stripe's events about the deleted user's customer (the
customer.subscription.deleted that follows the cancel) are acknowledged (200, "ignored")
and change nothing, while a customer never seen is still 409 (not linked yet: delivered
again later); the same customer checking out again as a new user is linked to it."""
import hashlib
import hmac
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "edge"))

from harness import Scratch, main  # noqa: E402
import edgefix  # noqa: E402
import keysfix  # noqa: E402

SECRET = "whsec_test_delete_paid"
KEY = "sk_test_standin_0123456789abcdef"
STRIPE = edgefix.Receiver([200])
S = Scratch("acct-delete-paid")
SRV = keysfix.server(S, env={"STRIPE_WEBHOOK_SECRET": SECRET, "STRIPE_API_KEY": KEY,
                             "STRIPE_API_URL": STRIPE.url})


def post_event(evt, typ, created, obj):
    """A webhook event signed as Stripe signs it (test_billing.py's scheme): the status and body."""
    body = json.dumps({"id": evt, "object": "event", "type": typ, "created": created,
                       "data": {"object": obj}}).encode()
    t = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    st, _, resp = SRV.request("/billing/webhook", method="POST", body=body,
                              headers={"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={mac}"})
    return st, resp


def deliver(evt, typ, created, obj):
    """A signed event, applied."""
    st, resp = post_event(evt, typ, created, obj)
    assert st == 200 and json.loads(resp)["outcome"] == "applied", (st, resp)


def canceled(sub):
    """Stripe's answer to the cancel: the Subscription object, longer than 4 KiB as real ones
    are (the status comes after its items)."""
    items = [{"id": f"si_{i}", "object": "subscription_item", "metadata": {"pad": "x" * 200}} for i in range(30)]
    return (200, {"id": sub, "object": "subscription", "customer": "cus_" + sub, "items": {"data": items},
                  "status": "canceled"})


def stripe_error(status, code, message):
    return (status, {"error": {"type": "invalid_request_error", "code": code, "message": message}})


def paying_user(name, status="active", signed_in=True):
    """A signed-in user whose checkout completed (subscription sub_<name>, live), or whose
    subscription then ended (status canceled). signed_in=False: the row only, no session
    (for the CLI; each session spends the link throttle of 127.0.0.1)."""
    email = f"{name}@example.com"
    u = keysfix.Session(SRV, email) if signed_in else None
    uid = keysfix.one(S, "SELECT id FROM users WHERE email = ?", email) if signed_in else keysfix.add_user(S, email)
    t = int(time.time()) - 20
    sub, cus = "sub_" + name, "cus_" + name
    deliver("evt_co_" + name, "checkout.session.completed", t,
            {"id": "cs_" + name, "object": "checkout.session", "client_reference_id": str(uid),
             "customer": cus, "subscription": sub, "payment_status": "paid", "mode": "subscription"})
    if status != "active":
        deliver("evt_del_" + name, "customer.subscription.deleted", t + 1,
                {"id": sub, "object": "subscription", "customer": cus, "status": status})
    assert keysfix.one(S, "SELECT status FROM subscriptions WHERE user_id = ?", uid) == status
    return u, uid, sub


def exists(uid):
    return keysfix.one(S, "SELECT count(*) FROM users WHERE id = ?", uid) == 1


def web_delete(u, want):
    st, _, body = SRV.request("/account/delete", method="POST", body=json.dumps({"confirm": "delete"}),
                              headers=u.headers())
    assert st == want, (st, body[:400])
    return json.loads(body)


def cli_delete(email, *extra, key=KEY, check=0):
    env = {"APP_DB_PATH": keysfix.app_db(S), "STRIPE_API_URL": STRIPE.url, "STRIPE_API_KEY": key}
    return S.run("users", "delete", email, "--yes", *extra, env=env, check=check)


def live(sub):
    return (200, {"id": sub, "object": "subscription", "customer": "cus_" + sub, "status": "active"})


def the_cancel(sub, methods=("DELETE",)):
    """The stand-in got the cancel of sub as Stripe's API reference gives it (and, after a
    refusal, the GET of its status), each with the key."""
    got = STRIPE.all()
    assert [r["method"] for r in got] == list(methods), [r["method"] for r in got]
    for r in got:
        assert r["path"] == "/v1/subscriptions/" + sub, r
        assert r["headers"]["Authorization"] == "Bearer " + KEY, r["headers"]
        assert r["body"] == b"", r


def test_web_delete_cancels_the_subscription_then_deletes():
    u, uid, sub = paying_user("paid1")
    STRIPE.rescript([canceled(sub)])
    j = web_delete(u, 200)
    assert STRIPE.count() == 1, "no cancel was sent to Stripe"
    the_cancel(sub)
    assert j["status"] == "deleted" and "subscription is cancelled" in j["message"], j
    assert not exists(uid)
    # the log is written async: wait for the cancel's own line before reading it for the key
    assert keysfix.wait_for(lambda: f"stripe: subscription {sub} cancelled" in SRV.logtext()), SRV.logtext()[-2000:]
    assert KEY not in SRV.logtext()


def test_no_such_subscription_counts_as_cancelled():
    u, uid, sub = paying_user("paid2")
    STRIPE.rescript([stripe_error(404, "resource_missing", f"No such subscription: '{sub}'")])
    p = cli_delete(u.email)
    assert STRIPE.count() == 1, "no cancel was sent to Stripe"
    the_cancel(sub)
    assert p.stdout.startswith(f"deleted {u.email}:") and f"subscription {sub} cancelled" in p.stdout, p.stdout
    assert not exists(uid)


def test_a_5xx_is_retried():
    u, uid, sub = paying_user("paid3")
    STRIPE.rescript([stripe_error(500, "api_error", "stand-in is down"), canceled(sub)])
    web_delete(u, 200)
    assert STRIPE.count() == 2, STRIPE.count()
    the_cancel(sub, ("DELETE", "DELETE"))
    assert not exists(uid)


def test_a_refused_cancel_of_an_ended_subscription_deletes():
    """Cancelled in the dashboard before its webhook came (or by an attempt whose answer was
    lost): Stripe refuses to cancel it again, and its own status says it has ended."""
    u, uid, sub = paying_user("paid6")
    STRIPE.rescript([stripe_error(400, "resource_invalid", "A canceled subscription can only update its "
                                  "cancellation_details and metadata."), canceled(sub)])
    web_delete(u, 200)
    the_cancel(sub, ("DELETE", "GET"))
    assert not exists(uid)


def test_a_refusal_keeps_the_user_web_and_cli():
    u, uid, sub = paying_user("paid4")
    STRIPE.rescript([stripe_error(400, "resource_invalid", "stand-in refuses this cancel"), live(sub)])
    j = web_delete(u, 409)
    the_cancel(sub, ("DELETE", "GET"))  # a 4xx is not retried; the GET says it is still live
    assert "not deleted" in j["error"] and "Cancel the subscription first" in j["error"], j
    assert "stand-in refuses" not in j["error"], j  # Stripe's words go to the log only
    assert exists(uid) and u.get("/account/me")["email"] == u.email  # still signed in, nothing removed
    logged = f"subscription {sub}: Stripe did not cancel it: HTTP 400: stand-in refuses"
    assert keysfix.wait_for(lambda: logged in SRV.logtext()), SRV.logtext()[-2000:]  # the log is written async
    STRIPE.rescript([stripe_error(400, "resource_invalid", "stand-in refuses this cancel"), live(sub)])
    p = cli_delete(u.email, check=1)
    the_cancel(sub, ("DELETE", "GET"))
    assert f"{u.email} was not deleted" in p.stderr and f"subscription {sub}" in p.stderr, p.stderr
    assert "stand-in refuses this cancel" in p.stderr and "--keep-subscription" in p.stderr, p.stderr
    assert exists(uid)
    assert KEY not in p.stdout + p.stderr


def test_no_key_refuses_keep_subscription_deletes():
    u, uid, sub = paying_user("paid5")
    STRIPE.rescript([canceled(sub)])
    p = cli_delete(u.email, key="", check=1)
    assert f"subscription {sub}: STRIPE_API_KEY is not set" in p.stderr, p.stderr
    assert exists(uid) and STRIPE.count() == 0
    p = S.run("users", "--help", check=0)
    assert "--keep-subscription" in p.stdout, p.stdout
    p = cli_delete(u.email, "--keep-subscription", key="")
    assert p.stdout.startswith(f"deleted {u.email}:"), p.stdout
    assert f"subscription {sub} is still live in Stripe: cancel it there by hand" in p.stdout, p.stdout
    assert not exists(uid) and STRIPE.count() == 0


def test_no_live_subscription_no_request():
    STRIPE.rescript([stripe_error(400, "resource_invalid", "no request was expected")])
    free = keysfix.Session(SRV, "free1@example.com")
    fid = keysfix.one(S, "SELECT id FROM users WHERE email = ?", free.email)
    j = web_delete(free, 200)
    assert j["status"] == "deleted" and "subscription" not in j["message"], j
    ended, eid, _ = paying_user("ended1", status="canceled")
    p = cli_delete(ended.email)
    assert "subscription" not in p.stdout, p.stdout
    assert STRIPE.count() == 0 and not exists(fid) and not exists(eid)


def accounts_state():
    """Every user's plan and customer, every subscription: what an event may change."""
    c = keysfix.connect(S)
    try:
        return (c.execute("SELECT id, plan, stripe_customer_id FROM users ORDER BY id").fetchall(),
                c.execute("SELECT * FROM subscriptions ORDER BY user_id").fetchall())
    finally:
        c.close()


def subscription_deleted(evt, sub, cus, created):
    return post_event(evt, "customer.subscription.deleted", created,
                      {"id": sub, "object": "subscription", "customer": cus, "status": "canceled"})


def test_events_after_the_delete_are_acknowledged_and_change_nothing():
    u, uid, sub = paying_user("after1")
    cus = "cus_after1"
    STRIPE.rescript([canceled(sub)])
    j = web_delete(u, 200)
    assert "Stripe's customer number for you is kept (it holds no email or name)" in j["message"], j
    assert not exists(uid)
    before = accounts_state()
    # what Stripe sends right after the cancel (before: 409, retried for days)
    st, resp = subscription_deleted("evt_after1_del", sub, cus, int(time.time()))
    assert st == 200 and json.loads(resp)["outcome"] == "ignored", (st, resp)
    assert accounts_state() == before
    assert keysfix.one(S, "SELECT count(*) FROM billing_events WHERE event_id = 'evt_after1_del' "
                          "AND user_id IS NULL") == 1
    logged = "billing: event evt_after1_del (customer.subscription.deleted): its customer's account was deleted"
    assert keysfix.wait_for(lambda: logged in SRV.logtext()), SRV.logtext()[-2000:]
    # the customer id is all that is kept of the user besides the audit log
    assert keysfix.one(S, "SELECT count(*) FROM closed_customers WHERE stripe_customer_id = ?", cus) == 1
    # a customer never seen: not linked yet, so still 409 and not recorded
    st, resp = subscription_deleted("evt_never_del", "sub_never", "cus_never_seen", int(time.time()))
    assert st == 409 and "not linked to an account yet" in json.loads(resp)["error"], (st, resp)
    assert keysfix.one(S, "SELECT count(*) FROM billing_events WHERE event_id = 'evt_never_del'") == 0
    assert accounts_state() == before


def test_the_deleted_customer_subscribing_again_is_the_new_users():
    _, uid, sub = paying_user("again1", signed_in=False)
    cus = "cus_again1"
    STRIPE.rescript([canceled(sub)])
    p = cli_delete("again1@example.com")
    assert "Stripe customer id kept (closed_customers" in p.stdout, p.stdout
    assert not exists(uid)
    # the same Stripe customer checks out again, as a new user of the site
    vid = keysfix.add_user(S, "again1.new@example.com")
    t = int(time.time()) - 10
    deliver("evt_co_again1_new", "checkout.session.completed", t,
            {"id": "cs_again1_new", "object": "checkout.session", "client_reference_id": str(vid),
             "customer": cus, "subscription": "sub_again1_new", "payment_status": "paid", "mode": "subscription"})
    assert keysfix.one(S, "SELECT stripe_customer_id || ' ' || plan FROM users WHERE id = ?", vid) == cus + " pro"
    assert keysfix.one(S, "SELECT count(*) FROM closed_customers WHERE stripe_customer_id = ?", cus) == 0
    # its events are the new user's: the new subscription ending makes them free
    st, resp = subscription_deleted("evt_again1_new_del", "sub_again1_new", cus, t + 1)
    assert st == 200 and json.loads(resp)["outcome"] == "applied", (st, resp)
    assert keysfix.one(S, "SELECT status || ' ' || plan FROM subscriptions WHERE user_id = ?", vid) == "canceled free"
    assert keysfix.one(S, "SELECT plan FROM users WHERE id = ?", vid) == "free"


def test_the_key_is_a_secret():
    p = S.run("config", env={"STRIPE_API_KEY": KEY, "STRIPE_API_URL": STRIPE.url}, check=0)
    assert KEY not in p.stdout and "STRIPE_API_KEY=(set, not shown)" in p.stdout, p.stdout
    p = S.run("config", env={"STRIPE_API_URL": "http://api.stripe.com"}, check=None)
    assert p.returncode != 0 and "STRIPE_API_URL" in p.stderr, p  # the key never goes out in clear


def test_stop():
    STRIPE.stop()
    SRV.stop()


if __name__ == "__main__":
    main([test_web_delete_cancels_the_subscription_then_deletes, test_no_such_subscription_counts_as_cancelled,
          test_a_5xx_is_retried, test_a_refused_cancel_of_an_ended_subscription_deletes,
          test_a_refusal_keeps_the_user_web_and_cli,
          test_no_key_refuses_keep_subscription_deletes, test_no_live_subscription_no_request,
          test_events_after_the_delete_are_acknowledged_and_change_nothing,
          test_the_deleted_customer_subscribing_again_is_the_new_users,
          test_the_key_is_a_secret, test_stop])
