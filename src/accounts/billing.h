/* billing.h — applies Stripe webhook events to the account database: the one writer of
 * subscriptions, billing_events, users.plan, users.stripe_customer_id and closed_customers.
 *
 * The caller has already verified the event's signature (stripe_sig.h); billing_apply
 * trusts the payload's content but not its delivery: Stripe delivers at least once and in
 * no particular order, so
 *  - every event is applied at most once: its id goes into billing_events in the same
 *    transaction as its effect, and an id already there is a replay (nothing changes);
 *  - an event never overwrites state set by a NEWER event: subscriptions.event_created is
 *    the `created` of the event that wrote the row, and an older one is recorded but not
 *    applied (OUTDATED);
 *  - a subscription event for a Stripe customer not linked to a user yet (its
 *    checkout.session.completed has not arrived) is UNMATCHED: nothing is recorded and the
 *    webhook answers non-2xx, so Stripe delivers it again later, after the link exists;
 *  - a subscription event for the customer of a DELETED user (in closed_customers, put
 *    there by users_delete through billing_close_customer) is recorded and IGNORED: it is
 *    applied to nobody, and the 2xx stops Stripe's retries (the cancel at deletion is
 *    followed by customer.subscription.deleted, and nothing will ever link that customer
 *    again unless it checks out anew, below).
 *
 * Events handled (data.object is the object named):
 *  - checkout.session.completed (a Checkout Session): client_reference_id is our user id
 *    (the checkout link carries it); links `customer` to that user (a closed customer
 *    checking out again as a new user leaves closed_customers: the link wins); when it carries a
 *    `subscription` and payment_status is "paid" or "no_payment_required", the user is
 *    pro at once (status "active") unless a newer subscription event already said otherwise;
 *  - customer.subscription.created / .updated / .deleted (a Subscription): its status
 *    decides the plan (active or trialing: pro; anything else: free; deleted: canceled,
 *    free); current_period_end is kept for the billing page;
 *  - any other type: recorded and acknowledged (IGNORED), so Stripe stops sending it.
 * users.plan always equals the plan of the user's subscriptions row (free without one), and
 * every change of it is an audit_log row (plan_change: old -> new, the event id, the status). */
#ifndef MATERIA_ACCOUNTS_BILLING_H
#define MATERIA_ACCOUNTS_BILLING_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum billing_outcome {
    BILLING_APPLIED,   /* recorded, and the state changed as the event says */
    BILLING_REPLAY,    /* the event id was applied before: nothing done */
    BILLING_OUTDATED,  /* recorded; a newer event already set this user's state */
    BILLING_IGNORED,   /* recorded; a type we do not act on, or no user to act on (deleted) */
    BILLING_UNMATCHED, /* NOT recorded: the customer is not linked yet (answer non-2xx) */
};

struct billing_result {
    enum billing_outcome outcome;
    long long user_id; /* the user the event concerns, 0 when none */
    char plan[8];      /* that user's plan afterwards ("free"/"pro"), "" when no user */
};

/* Applies the event JSON payload (NUL-terminated) received at now, in one transaction.
 * 0 with *res, or -1 with err: MT_ERR_FORMAT when the payload is not an event (not JSON,
 * no string id/type, no integer created, a handled type without its fields), MT_ERR_DB when
 * the database failed (nothing applied; Stripe will retry). */
int billing_apply(sqlite3 *db, const char *payload, long long now, struct billing_result *res,
                  struct mt_err *err);

/* "pro" for Stripe subscription statuses that grant the paid plan (active, trialing),
 * "free" for every other status. */
const char *billing_plan_of_status(const char *status);

/* A short word for an outcome ("applied", "replay", ...), for logs and the webhook's answer. */
const char *billing_outcome_name(enum billing_outcome o);

/* Keeps the user's Stripe customer id, when they have one, in closed_customers (closed at
 * now), so Stripe's events about it after the user is gone are acknowledged, not retried.
 * For users_delete, inside its transaction and before the user row goes. 1 kept, 0 the user
 * has no customer id (or no row), -1 with err. */
int billing_close_customer(sqlite3 *db, long long user_id, long long now, struct mt_err *err);

/* The user's live subscription: a subscriptions row whose status is not terminal (canceled,
 * incomplete_expired), whatever plan it grants (past_due, unpaid, paused... may still be
 * charged). 1 with its Stripe id in sub_id, 0 when none, -1 with err. */
/* Whether a Stripe subscription status is final (canceled, incomplete_expired): Stripe never
 * revives such a subscription. */
bool billing_status_terminal(const char *status);
int billing_live_subscription(sqlite3 *db, long long user_id, char *sub_id, size_t len, struct mt_err *err);

/* What the billing page shows for a user: the plan, and the subscription when there is one. */
struct billing_state {
    char plan[8];
    char status[32];            /* Stripe's status, "" without a subscription */
    long long current_period_end; /* 0 when unknown */
};
/* 0 with *out, or -1 with err (no such user: MT_ERR_FAIL; the database: MT_ERR_DB). */
int billing_state_get(sqlite3 *db, long long user_id, struct billing_state *out, struct mt_err *err);

#endif
