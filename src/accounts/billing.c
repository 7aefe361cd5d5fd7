/* billing.c — see billing.h.
 *
 * One event, one IMMEDIATE transaction: the replay check, the state change and the
 * billing_events row commit together, so two deliveries of one event racing on two web
 * workers apply it once (the second waits for the write lock, then finds the id).
 *
 * Order between events is judged on Stripe's `created` (seconds), stored as
 * subscriptions.event_created. Ties are real (a subscription's .created and .updated are
 * often in the same second) and are broken by what can follow what in Stripe's lifecycle:
 * on a tie a .created never overrides (whatever else happened that second came after it),
 * and for the same subscription a terminal status (canceled, incomplete_expired) is final
 * whatever the order: Stripe never revives a canceled subscription. A user with several
 * subscriptions at once is not modelled: the newest event about any of them sets the plan.
 *
 * The customer of a deleted user stays in closed_customers (billing_close_customer, from
 * users_delete): an event about it that finds no linked user is IGNORED (recorded, 2xx)
 * rather than UNMATCHED (409, retried by Stripe for days for nothing). A linked user always
 * wins: the lookup of users comes first, and a checkout linking that customer to a new user
 * removes it from closed_customers in the same transaction.
 *
 * Times in the payload are JSON integers; numbers are text in util/json.h's tree and are
 * read strictly (digits only, no fraction, no exponent). */
#include "accounts/billing.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/audit.h"
#include "accounts/sqlite_util.h"
#include "util/json.h"
#include "util/log.h"

const char *billing_plan_of_status(const char *status)
{
    return status && (strcmp(status, "active") == 0 || strcmp(status, "trialing") == 0) ? "pro" : "free";
}

bool billing_status_terminal(const char *status)
{
    return strcmp(status, "canceled") == 0 || strcmp(status, "incomplete_expired") == 0;
}

const char *billing_outcome_name(enum billing_outcome o)
{
    switch (o) {
    case BILLING_APPLIED: return "applied";
    case BILLING_REPLAY: return "replay";
    case BILLING_OUTDATED: return "outdated";
    case BILLING_IGNORED: return "ignored";
    case BILLING_UNMATCHED: return "unmatched";
    }
    return "unknown";
}

/* ---- JSON fields ------------------------------------------------------------------- */

static const char *jstr(const struct json *o, const char *key)
{
    const struct json *v = json_get(o, key);
    return v && v->t == JSON_STR ? v->s : NULL;
}

/* A non-negative JSON integer of at most 18 digits: 0 with *out, -1 when absent or not one. */
static int jint(const struct json *o, const char *key, long long *out)
{
    const struct json *v = json_get(o, key);
    if (!v || v->t != JSON_NUM || !v->s[0] || strlen(v->s) > 18) return -1;
    long long x = 0;
    for (const char *c = v->s; *c; c++) {
        if (*c < '0' || *c > '9') return -1;
        x = x * 10 + (*c - '0');
    }
    *out = x;
    return 0;
}

/* client_reference_id: our user id as decimal text (the checkout link writes it so) */
static long long user_id_of_ref(const char *ref)
{
    if (!ref || !ref[0] || strlen(ref) > 18) return 0;
    long long x = 0;
    for (const char *c = ref; *c; c++) {
        if (*c < '0' || *c > '9') return 0;
        x = x * 10 + (*c - '0');
    }
    return x;
}

/* ---- SQL helpers --------------------------------------------------------------------- */

static int bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/* The single integer of a one-column query with one text parameter: 1 found, 0 no row, -1 error. */
static int lookup_id(sqlite3 *db, const char *sql, const char *arg, long long *out, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlu_prep(db, "billing", sql, &st, err) < 0) return -1;
    if (sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
        sqlite3_finalize(st);
        return sqlu_fail(db, "billing", "bind", err);
    }
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
        found = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlu_fail(db, "billing", "lookup", err);
    return found;
}

static int user_exists(sqlite3 *db, long long uid, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlu_prep(db, "billing", "SELECT 1 FROM users WHERE id = ?", &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, uid);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlu_fail(db, "billing", "user lookup", err);
    return rc == SQLITE_ROW;
}

struct sub_row {
    bool exists;
    long long event_created;
    char sub_id[128];
    char status[32];
};

static int sub_row_get(sqlite3 *db, long long uid, struct sub_row *r, struct mt_err *err)
{
    sqlite3_stmt *st;
    memset(r, 0, sizeof *r);
    if (sqlu_prep(db, "billing", "SELECT event_created, coalesce(stripe_subscription_id, ''), status "
                  "FROM subscriptions WHERE user_id = ?", &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, uid);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r->exists = true;
        r->event_created = sqlite3_column_int64(st, 0);
        sqlu_copy_col(r->sub_id, sizeof r->sub_id, st, 1);
        sqlu_copy_col(r->status, sizeof r->status, st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlu_fail(db, "billing", "subscription lookup", err);
    return 0;
}

/* Writes the user's subscriptions row and makes users.plan follow it. keep_period: keep the
 * stored current_period_end when the row is about the same subscription (the caller has
 * none to give). */
static int plan_of_user(sqlite3 *db, long long uid, char plan[8], struct mt_err *err);

static int sub_row_put(sqlite3 *db, const char *event_id, long long now, long long uid, const char *sub_id,
                       const char *status, long long period_end, bool keep_period, long long created,
                       struct mt_err *err)
{
    const char *plan = billing_plan_of_status(status);
    char before[8];
    if (plan_of_user(db, uid, before, err) < 0) return -1;
    sqlite3_stmt *st;
    if (sqlu_prep(db, "billing", "INSERT INTO subscriptions (user_id, stripe_subscription_id, status, plan, "
                  "current_period_end, event_created) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                  "ON CONFLICT (user_id) DO UPDATE SET stripe_subscription_id = excluded.stripe_subscription_id, "
                  "status = excluded.status, plan = excluded.plan, event_created = excluded.event_created, "
                  "current_period_end = CASE WHEN ?7 AND stripe_subscription_id IS excluded.stripe_subscription_id "
                  "THEN current_period_end ELSE excluded.current_period_end END",
                  &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, uid);
    bind_text_or_null(st, 2, sub_id);
    sqlite3_bind_text(st, 3, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, plan, -1, SQLITE_STATIC);
    if (period_end > 0) sqlite3_bind_int64(st, 5, period_end);
    else sqlite3_bind_null(st, 5);
    sqlite3_bind_int64(st, 6, created);
    sqlite3_bind_int(st, 7, keep_period ? 1 : 0);
    if (sqlu_step_done(db, "billing", st, "write subscription", err) < 0) return -1;
    if (sqlu_prep(db, "billing", "UPDATE users SET plan = ?2 WHERE id = ?1", &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, uid);
    sqlite3_bind_text(st, 2, plan, -1, SQLITE_STATIC);
    if (sqlu_step_done(db, "billing", st, "write plan", err) < 0) return -1;
    if (strcmp(before, plan) == 0) return 0;
    /* a plan change is audited in the same transaction (what changed and which event did it) */
    char detail[320];
    snprintf(detail, sizeof detail, "%s -> %s (Stripe event %.255s, status %s)", before, plan, event_id, status);
    return audit_add(db, now, uid, "plan_change", NULL, detail, err);
}

static int record_event(sqlite3 *db, const char *id, const char *type, long long created, long long now,
                        long long uid, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlu_prep(db, "billing", "INSERT INTO billing_events (event_id, type, created, received_at, user_id) "
                  "VALUES (?, ?, ?, ?, ?)", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, created);
    sqlite3_bind_int64(st, 4, now);
    if (uid > 0) sqlite3_bind_int64(st, 5, uid);
    else sqlite3_bind_null(st, 5);
    return sqlu_step_done(db, "billing", st, "record event", err);
}

static int plan_of_user(sqlite3 *db, long long uid, char plan[8], struct mt_err *err)
{
    plan[0] = '\0';
    if (uid <= 0) return 0;
    sqlite3_stmt *st;
    if (sqlu_prep(db, "billing", "SELECT plan FROM users WHERE id = ?", &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, uid);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) sqlu_copy_col(plan, 8, st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlu_fail(db, "billing", "plan lookup", err);
    return 0;
}

/* ---- the events -------------------------------------------------------------------- */

struct event {
    const char *id, *type;
    long long created;
    const struct json *obj; /* data.object */
};

static int apply_checkout(sqlite3 *db, const struct event *ev, long long now, struct billing_result *res,
                          struct mt_err *err)
{
    long long uid = user_id_of_ref(jstr(ev->obj, "client_reference_id"));
    const char *customer = jstr(ev->obj, "customer");
    int ex = uid > 0 ? user_exists(db, uid, err) : 0;
    if (ex < 0) return -1;
    if (!ex) { /* not started from our checkout link, or the account was deleted since */
        log_msg(LOG_WARN, "billing: event %s: checkout session without a known client_reference_id: ignored", ev->id);
        res->outcome = BILLING_IGNORED;
        return 0;
    }
    res->user_id = uid;
    if (customer) {
        long long other = 0;
        int f = lookup_id(db, "SELECT id FROM users WHERE stripe_customer_id = ?", customer, &other, err);
        if (f < 0) return -1;
        if (f && other != uid) {
            log_msg(LOG_WARN, "billing: event %s: customer already linked to user %lld, not to %lld: ignored",
                    ev->id, other, uid);
            res->outcome = BILLING_IGNORED;
            return 0;
        }
        sqlite3_stmt *st;
        if (sqlu_prep(db, "billing",
                      "UPDATE users SET stripe_customer_id = ?2 WHERE id = ?1", &st, err) < 0) return -1;
        sqlite3_bind_int64(st, 1, uid);
        sqlite3_bind_text(st, 2, customer, -1, SQLITE_TRANSIENT);
        if (sqlu_step_done(db, "billing", st, "link customer", err) < 0) return -1;
        /* a deleted user's customer subscribing again as this user: its events are this
         * user's from now on */
        if (sqlu_prep(db, "billing", "DELETE FROM closed_customers WHERE stripe_customer_id = ?", &st, err) < 0)
            return -1;
        sqlite3_bind_text(st, 1, customer, -1, SQLITE_TRANSIENT);
        if (sqlu_step_done(db, "billing", st, "reopen customer", err) < 0) return -1;
        if (sqlite3_changes(db) > 0)
            log_msg(LOG_INFO, "billing: event %s: the customer of a deleted account is linked to user %lld", ev->id,
                    uid);
    }
    res->outcome = BILLING_APPLIED;
    const char *sub = jstr(ev->obj, "subscription"), *paid = jstr(ev->obj, "payment_status");
    if (!sub || !paid || (strcmp(paid, "paid") != 0 && strcmp(paid, "no_payment_required") != 0)) return 0;
    struct sub_row row;
    if (sub_row_get(db, uid, &row, err) < 0) return -1;
    /* a subscription event of the same second or later knows better than "paid at checkout" */
    if (row.exists && (row.event_created >= ev->created ||
                       (strcmp(row.sub_id, sub) == 0 && billing_status_terminal(row.status))))
        return 0;
    return sub_row_put(db, ev->id, now, uid, sub, "active", 0, true, ev->created, err);
}

static int apply_subscription(sqlite3 *db, const struct event *ev, bool deleted, long long now,
                              struct billing_result *res, struct mt_err *err)
{
    const char *sub = jstr(ev->obj, "id"), *customer = jstr(ev->obj, "customer"), *status = jstr(ev->obj, "status");
    if (!sub || !customer || !status)
        return mt_err_set(err, MT_ERR_FORMAT, "billing: event %s: subscription without id, customer or status", ev->id);
    if (deleted) status = "canceled"; /* whatever the object says, it no longer grants anything */
    long long period_end = 0;
    if (jint(ev->obj, "current_period_end", &period_end) < 0) {
        /* API versions from 2025-03 keep the period on the subscription's items */
        const struct json *items = json_get(json_get(ev->obj, "items"), "data");
        if (!items || items->t != JSON_ARR || items->n == 0 || jint(&items->items[0], "current_period_end", &period_end) < 0)
            period_end = 0;
    }
    long long uid = 0;
    int f = lookup_id(db, "SELECT id FROM users WHERE stripe_customer_id = ?", customer, &uid, err);
    if (f < 0) return -1;
    if (!f) {
        long long closed_at = 0;
        int c = lookup_id(db, "SELECT closed_at FROM closed_customers WHERE stripe_customer_id = ?", customer,
                          &closed_at, err);
        if (c < 0) return -1;
        if (c) {
            log_msg(LOG_INFO, "billing: event %s (%s): its customer's account was deleted (at %lld): ignored",
                    ev->id, ev->type, closed_at);
            res->outcome = BILLING_IGNORED;
        } else {
            res->outcome = BILLING_UNMATCHED;
        }
        return 0;
    }
    res->user_id = uid;
    struct sub_row row;
    if (sub_row_get(db, uid, &row, err) < 0) return -1;
    bool same = row.exists && strcmp(row.sub_id, sub) == 0;
    bool older = row.exists && (ev->created < row.event_created ||
                                (ev->created == row.event_created && strcmp(ev->type, "customer.subscription.created") == 0));
    if (older || (same && billing_status_terminal(row.status) && !billing_status_terminal(status))) {
        res->outcome = BILLING_OUTDATED;
        return 0;
    }
    res->outcome = BILLING_APPLIED;
    return sub_row_put(db, ev->id, now, uid, sub, status, period_end, period_end == 0, ev->created, err);
}

static int parse_event(const struct json *root, struct event *ev, struct mt_err *err)
{
    memset(ev, 0, sizeof *ev);
    if (root->t != JSON_OBJ) return mt_err_set(err, MT_ERR_FORMAT, "billing: the payload is not a JSON object");
    ev->id = jstr(root, "id");
    ev->type = jstr(root, "type");
    if (!ev->id || !ev->id[0] || strlen(ev->id) > 255 || !ev->type || !ev->type[0] || strlen(ev->type) > 255)
        return mt_err_set(err, MT_ERR_FORMAT, "billing: the event has no string id or type");
    if (jint(root, "created", &ev->created) < 0)
        return mt_err_set(err, MT_ERR_FORMAT, "billing: event %s has no integer created", ev->id);
    ev->obj = json_get(json_get(root, "data"), "object");
    return 0;
}

static int apply_in_tx(sqlite3 *db, const struct event *ev, long long now, struct billing_result *res,
                       struct mt_err *err)
{
    long long prior_uid = 0;
    int seen = lookup_id(db, "SELECT user_id FROM billing_events WHERE event_id = ?", ev->id, &prior_uid, err);
    if (seen < 0) return -1;
    if (seen) {
        res->outcome = BILLING_REPLAY;
        res->user_id = prior_uid;
        return plan_of_user(db, prior_uid, res->plan, err);
    }
    bool checkout = strcmp(ev->type, "checkout.session.completed") == 0;
    bool subscription = strncmp(ev->type, "customer.subscription.", 22) == 0 &&
                        (strcmp(ev->type + 22, "created") == 0 || strcmp(ev->type + 22, "updated") == 0 ||
                         strcmp(ev->type + 22, "deleted") == 0);
    if ((checkout || subscription) && (!ev->obj || ev->obj->t != JSON_OBJ))
        return mt_err_set(err, MT_ERR_FORMAT, "billing: event %s (%s) has no data.object", ev->id, ev->type);
    int rc = 0;
    if (checkout) rc = apply_checkout(db, ev, now, res, err);
    else if (subscription) rc = apply_subscription(db, ev, strcmp(ev->type + 22, "deleted") == 0, now, res, err);
    else res->outcome = BILLING_IGNORED;
    if (rc < 0 || res->outcome == BILLING_UNMATCHED) return rc;
    if (record_event(db, ev->id, ev->type, ev->created, now, res->user_id, err) < 0) return -1;
    return plan_of_user(db, res->user_id, res->plan, err);
}

int billing_apply(sqlite3 *db, const char *payload, long long now, struct billing_result *res, struct mt_err *err)
{
    memset(res, 0, sizeof *res);
    struct json root;
    if (json_parse(payload, &root, err) < 0) return mt_err_prefix(err, "billing: the payload is not JSON");
    struct event ev;
    if (parse_event(&root, &ev, err) < 0) {
        json_free(&root);
        return -1;
    }
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        json_free(&root);
        return sqlu_fail(db, "billing", "begin", err);
    }
    int rc = apply_in_tx(db, &ev, now, res, err);
    /* an unmatched event leaves nothing behind, so its redelivery is applied */
    bool keep = rc == 0 && res->outcome != BILLING_UNMATCHED;
    if (sqlite3_exec(db, keep ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK) {
        if (keep) {
            rc = sqlu_fail(db, "billing", "commit", err);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    json_free(&root);
    if (rc < 0) {
        memset(res, 0, sizeof *res);
        return -1;
    }
    return 0;
}

int billing_state_get(sqlite3 *db, long long user_id, struct billing_state *out, struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlu_prep(db, "billing", "SELECT u.plan, coalesce(s.status, ''), coalesce(s.current_period_end, 0) "
                  "FROM users u LEFT JOIN subscriptions s ON s.user_id = u.id WHERE u.id = ?", &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, user_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        sqlu_copy_col(out->plan, sizeof out->plan, st, 0);
        sqlu_copy_col(out->status, sizeof out->status, st, 1);
        out->current_period_end = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return mt_errf(err, "billing: no user %lld", user_id);
    if (rc != SQLITE_ROW) return sqlu_fail(db, "billing", "billing state", err);
    return 0;
}

int billing_close_customer(sqlite3 *db, long long user_id, long long now, struct mt_err *err)
{
    sqlite3_stmt *st;
    /* OR REPLACE: a row for this id cannot be there (linking it to a user removed it), and
     * if it were, it must not fail the deletion */
    if (sqlu_prep(db, "billing", "INSERT OR REPLACE INTO closed_customers (stripe_customer_id, closed_at) "
                  "SELECT stripe_customer_id, ?2 FROM users WHERE id = ?1 AND stripe_customer_id IS NOT NULL",
                  &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, now);
    if (sqlu_step_done(db, "billing", st, "close customer", err) < 0) return -1;
    return sqlite3_changes(db) > 0;
}

int billing_live_subscription(sqlite3 *db, long long user_id, char *sub_id, size_t len, struct mt_err *err)
{
    sub_id[0] = '\0';
    struct sub_row row;
    if (sub_row_get(db, user_id, &row, err) < 0) return -1;
    if (!row.exists || !row.sub_id[0] || billing_status_terminal(row.status)) return 0;
    snprintf(sub_id, len, "%s", row.sub_id);
    return 1;
}
