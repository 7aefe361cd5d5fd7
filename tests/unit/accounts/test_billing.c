/* test_billing.c — Stripe events applied to the account database (src/accounts/billing.h):
 * checkout links the customer and grants pro; subscription statuses set the plan and
 * users.plan follows; a replayed event id changes nothing; events delivered in reverse
 * order leave the newest state (ties broken by the lifecycle); a subscription event for a
 * customer not linked yet is not recorded, so its redelivery applies; unknown types are
 * recorded and acknowledged; payloads that are not events are refused and leave nothing;
 * after users_delete, events about the deleted user's customer are recorded and ignored
 * (2xx) while a never-seen customer stays unmatched, and that customer checking out again
 * as a new user is linked to it and its events apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/appdb.h"
#include "accounts/billing.h"
#include "accounts/users.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/strbuf.h"

#include "appdb_fixture.h"

#define NOW 1800000000LL

struct fx {
    struct appdb_fx a;
    long long uid;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    appdb_fx_open(&f->a, "billing", "INSERT INTO users (id, email, created_at) VALUES (7, 'a@example.com', 1), "
                                     "(8, 'b@example.com', 1)");
    f->uid = 7;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    appdb_fx_close(&f->a);
    free(f);
    return 0;
}

static enum billing_outcome apply(struct fx *f, const char *payload, const char *want_plan)
{
    struct billing_result r;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(billing_apply(f->a.db, payload, NOW, &r, &err), 0);
    assert_string_equal(r.plan, want_plan);
    return r.outcome;
}

static char *checkout(const char *evt, long long created, const char *ref, const char *cus, const char *paid)
{
    return xasprintf("{\"id\":\"%s\",\"object\":\"event\",\"type\":\"checkout.session.completed\",\"created\":%lld,"
                     "\"data\":{\"object\":{\"id\":\"cs_1\",\"object\":\"checkout.session\",\"client_reference_id\":\"%s\","
                     "\"customer\":\"%s\",\"subscription\":\"sub_1\",\"payment_status\":\"%s\",\"mode\":\"subscription\"}}}",
                     evt, created, ref, cus, paid);
}

static char *sub_event_of(const char *cus, const char *evt, const char *what, long long created, const char *sub,
                          const char *status, long long period_end)
{
    return xasprintf("{\"id\":\"%s\",\"object\":\"event\",\"type\":\"customer.subscription.%s\",\"created\":%lld,"
                     "\"data\":{\"object\":{\"id\":\"%s\",\"object\":\"subscription\",\"customer\":\"%s\","
                     "\"status\":\"%s\",\"current_period_end\":%lld}}}",
                     evt, what, created, sub, cus, status, period_end);
}

/* about customer cus_A */
static char *sub_event(const char *evt, const char *what, long long created, const char *sub, const char *status,
                       long long period_end)
{
    return sub_event_of("cus_A", evt, what, created, sub, status, period_end);
}

static void link_customer(struct fx *f)
{
    char *p = checkout("evt_co", 1000, "7", "cus_A", "unpaid");
    assert_int_equal(apply(f, p, "free"), BILLING_APPLIED);
    free(p);
}

static void test_checkout_links_customer_and_grants_pro(void **state)
{
    struct fx *f = *state;
    char *p = checkout("evt_1", 1000, "7", "cus_A", "paid");
    assert_int_equal(apply(f, p, "pro"), BILLING_APPLIED);
    assert_string_equal(q_text(f->a.db, "SELECT stripe_customer_id FROM users WHERE id = 7"), "cus_A");
    assert_string_equal(q_text(f->a.db, "SELECT plan FROM users WHERE id = 7"), "pro");
    assert_string_equal(q_text(f->a.db, "SELECT status || ' ' || stripe_subscription_id FROM subscriptions WHERE user_id = 7"),
                        "active sub_1");
    assert_string_equal(q_text(f->a.db, "SELECT plan FROM users WHERE id = 8"), "free");
    /* the same delivery again: a replay, nothing new recorded */
    assert_int_equal(apply(f, p, "pro"), BILLING_REPLAY);
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM billing_events"), 1);
    assert_int_equal(q_int(f->a.db, "SELECT user_id FROM billing_events WHERE event_id = 'evt_1'"), 7);
    free(p);
}

static void test_checkout_for_unknown_user_is_recorded_and_ignored(void **state)
{
    struct fx *f = *state;
    char *p = checkout("evt_x", 1000, "99", "cus_Z", "paid");
    assert_int_equal(apply(f, p, ""), BILLING_IGNORED);
    free(p);
    p = checkout("evt_y", 1000, "not-a-number", "cus_Z", "paid");
    assert_int_equal(apply(f, p, ""), BILLING_IGNORED);
    free(p);
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM billing_events"), 2);
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM users WHERE stripe_customer_id IS NOT NULL"), 0);
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM subscriptions"), 0);
}

static void test_a_customer_is_never_moved_to_another_user(void **state)
{
    struct fx *f = *state;
    link_customer(f);
    char *p = checkout("evt_2", 1001, "8", "cus_A", "paid");
    assert_int_equal(apply(f, p, "free"), BILLING_IGNORED); /* about user 8, who stays free */
    free(p);
    assert_string_equal(q_text(f->a.db, "SELECT coalesce(stripe_customer_id, '-') FROM users WHERE id = 8"), "-");
    assert_string_equal(q_text(f->a.db, "SELECT plan FROM users WHERE id = 8"), "free");
}

static void test_subscription_lifecycle_sets_the_plan(void **state)
{
    struct fx *f = *state;
    link_customer(f);
    char *p = sub_event("evt_s1", "created", 2000, "sub_1", "trialing", 3000);
    assert_int_equal(apply(f, p, "pro"), BILLING_APPLIED);
    free(p);
    assert_int_equal(q_int(f->a.db, "SELECT current_period_end FROM subscriptions WHERE user_id = 7"), 3000);
    p = sub_event("evt_s2", "updated", 2100, "sub_1", "active", 4000);
    assert_int_equal(apply(f, p, "pro"), BILLING_APPLIED);
    free(p);
    p = sub_event("evt_s3", "updated", 2200, "sub_1", "past_due", 4000);
    assert_int_equal(apply(f, p, "free"), BILLING_APPLIED);
    free(p);
    assert_string_equal(q_text(f->a.db, "SELECT status || ' ' || plan FROM subscriptions WHERE user_id = 7"), "past_due free");
    p = sub_event("evt_s4", "updated", 2300, "sub_1", "active", 5000);
    assert_int_equal(apply(f, p, "pro"), BILLING_APPLIED);
    free(p);
    /* deleted: canceled and free, whatever status the object carries */
    p = sub_event("evt_s5", "deleted", 2400, "sub_1", "active", 5000);
    assert_int_equal(apply(f, p, "free"), BILLING_APPLIED);
    free(p);
    assert_string_equal(q_text(f->a.db, "SELECT status || ' ' || plan FROM subscriptions WHERE user_id = 7"), "canceled free");
    assert_string_equal(q_text(f->a.db, "SELECT plan FROM users WHERE id = 7"), "free");
    /* every plan change audited, none for the update that kept pro */
    assert_string_equal(q_text(f->a.db, "SELECT group_concat(detail, ' | ') FROM (SELECT detail FROM audit_log "
                                      "WHERE user_id = 7 AND action = 'plan_change' ORDER BY id)"),
                        "free -> pro (Stripe event evt_s1, status trialing) | "
                        "pro -> free (Stripe event evt_s3, status past_due) | "
                        "free -> pro (Stripe event evt_s4, status active) | "
                        "pro -> free (Stripe event evt_s5, status canceled)");
}

static void test_reversed_order_keeps_the_newest_state(void **state)
{
    struct fx *f = *state;
    link_customer(f);
    /* created (active) at 2000, updated (past_due) at 2100, delivered newest first */
    char *newer = sub_event("evt_b", "updated", 2100, "sub_1", "past_due", 4000);
    char *older = sub_event("evt_a", "created", 2000, "sub_1", "active", 3000);
    assert_int_equal(apply(f, newer, "free"), BILLING_APPLIED);
    assert_int_equal(apply(f, older, "free"), BILLING_OUTDATED);
    assert_string_equal(q_text(f->a.db, "SELECT status FROM subscriptions WHERE user_id = 7"), "past_due");
    assert_int_equal(q_int(f->a.db, "SELECT current_period_end FROM subscriptions WHERE user_id = 7"), 4000);
    /* the outdated one is recorded: its redelivery is a replay */
    assert_int_equal(apply(f, older, "free"), BILLING_REPLAY);
    free(newer);
    free(older);
    /* a deletion delivered before a same-subscription update that is older */
    char *del = sub_event("evt_d", "deleted", 2300, "sub_1", "canceled", 4000);
    char *upd = sub_event("evt_c", "updated", 2200, "sub_1", "active", 4000);
    assert_int_equal(apply(f, del, "free"), BILLING_APPLIED);
    assert_int_equal(apply(f, upd, "free"), BILLING_OUTDATED);
    free(del);
    free(upd);
    /* a paid checkout older than the subscription state does not override it */
    char *co = checkout("evt_co2", 1500, "7", "cus_A", "paid");
    assert_int_equal(apply(f, co, "free"), BILLING_APPLIED); /* applied: the link, not the plan */
    free(co);
    assert_string_equal(q_text(f->a.db, "SELECT status FROM subscriptions WHERE user_id = 7"), "canceled");
}

static void test_same_second_ties_follow_the_lifecycle(void **state)
{
    struct fx *f = *state;
    link_customer(f);
    /* .created (incomplete) and .updated (active) in one second, updated delivered first */
    char *upd = sub_event("evt_u", "updated", 2000, "sub_1", "active", 4000);
    char *cre = sub_event("evt_c", "created", 2000, "sub_1", "incomplete", 4000);
    assert_int_equal(apply(f, upd, "pro"), BILLING_APPLIED);
    assert_int_equal(apply(f, cre, "pro"), BILLING_OUTDATED);
    free(upd);
    free(cre);
    /* canceled is final for the same subscription, even against a same-second update */
    char *del = sub_event("evt_d", "deleted", 2100, "sub_1", "canceled", 4000);
    char *upd2 = sub_event("evt_u2", "updated", 2100, "sub_1", "active", 4000);
    assert_int_equal(apply(f, del, "free"), BILLING_APPLIED);
    assert_int_equal(apply(f, upd2, "free"), BILLING_OUTDATED);
    free(del);
    free(upd2);
    /* a NEW subscription after the canceled one grants pro again */
    char *sub2 = sub_event("evt_n", "created", 2200, "sub_2", "active", 6000);
    assert_int_equal(apply(f, sub2, "pro"), BILLING_APPLIED);
    free(sub2);
}

static void test_unlinked_customer_is_not_recorded_and_redelivery_applies(void **state)
{
    struct fx *f = *state;
    char *s = sub_event("evt_s", "updated", 2000, "sub_1", "active", 4000);
    struct billing_result r;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(billing_apply(f->a.db, s, NOW, &r, &err), 0);
    assert_int_equal(r.outcome, BILLING_UNMATCHED);
    assert_int_equal(r.user_id, 0);
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM billing_events"), 0);
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM subscriptions"), 0);
    link_customer(f); /* the checkout (created 1000, unpaid) arrives */
    assert_int_equal(apply(f, s, "pro"), BILLING_APPLIED);
    assert_int_equal(q_int(f->a.db, "SELECT current_period_end FROM subscriptions WHERE user_id = 7"), 4000);
    free(s);
}

/* users_delete, which says whether it kept a Stripe customer id */
static void delete_user(struct fx *f, long long uid, int want_kept)
{
    struct users_deleted d;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(users_delete(f->a.db, uid, NOW, &d, &err), 1);
    assert_int_equal(d.stripe_customer_kept, want_kept);
}

/* user 7 pays (customer cus_A, subscription sub_1 active), then is deleted */
static void paying_user_deleted(struct fx *f)
{
    link_customer(f);
    char *p = sub_event("evt_s1", "created", 2000, "sub_1", "active", 4000);
    assert_int_equal(apply(f, p, "pro"), BILLING_APPLIED);
    free(p);
    delete_user(f, 7, 1);
}

static void test_deleted_users_customer_is_acknowledged_and_changes_nothing(void **state)
{
    struct fx *f = *state;
    paying_user_deleted(f);
    /* the cancel at deletion is followed by Stripe's customer.subscription.deleted */
    char *p = sub_event("evt_after", "deleted", 2100, "sub_1", "canceled", 4000);
    struct billing_result r;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(billing_apply(f->a.db, p, NOW, &r, &err), 0);
    assert_int_equal(r.outcome, BILLING_IGNORED); /* before: UNMATCHED, the webhook's 409 */
    assert_int_equal(r.user_id, 0);
    assert_string_equal(r.plan, "");
    /* recorded (a redelivery is a replay), applied to nobody */
    assert_string_equal(q_text(f->a.db, "SELECT type || ' ' || coalesce(user_id, '-') FROM billing_events "
                                      "WHERE event_id = 'evt_after'"), "customer.subscription.deleted -");
    assert_int_equal(apply(f, p, ""), BILLING_REPLAY);
    free(p);
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM subscriptions"), 0);
    assert_string_equal(q_text(f->a.db, "SELECT group_concat(id || ' ' || plan || ' ' || "
                                      "coalesce(stripe_customer_id, '-')) FROM users"), "8 free -");
    /* what is kept of the deleted user: the customer id and when, nothing else */
    assert_string_equal(q_text(f->a.db, "SELECT group_concat(stripe_customer_id || ' ' || closed_at) "
                                      "FROM closed_customers"), "cus_A 1800000000");
    /* a customer never seen is still not linked YET: unmatched, not recorded */
    char *q = sub_event_of("cus_NEW", "evt_new", "updated", 2200, "sub_9", "active", 4000);
    assert_int_equal(billing_apply(f->a.db, q, NOW, &r, &err), 0);
    assert_int_equal(r.outcome, BILLING_UNMATCHED);
    free(q);
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM billing_events WHERE event_id = 'evt_new'"), 0);
    /* a user without a customer id leaves nothing behind */
    delete_user(f, 8, 0);
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM closed_customers"), 1);
}

static void test_deleted_customer_checking_out_again_is_the_new_users(void **state)
{
    struct fx *f = *state;
    paying_user_deleted(f);
    /* the same Stripe customer subscribes again, as user 8: the link wins */
    char *p = checkout("evt_co8", 3000, "8", "cus_A", "paid");
    assert_int_equal(apply(f, p, "pro"), BILLING_APPLIED);
    free(p);
    assert_string_equal(q_text(f->a.db, "SELECT stripe_customer_id FROM users WHERE id = 8"), "cus_A");
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM closed_customers"), 0);
    p = sub_event("evt_s8", "updated", 3100, "sub_8", "past_due", 5000);
    struct billing_result r;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(billing_apply(f->a.db, p, NOW, &r, &err), 0);
    assert_int_equal(r.outcome, BILLING_APPLIED);
    assert_int_equal(r.user_id, 8);
    assert_string_equal(r.plan, "free");
    free(p);
    assert_string_equal(q_text(f->a.db, "SELECT status FROM subscriptions WHERE user_id = 8"), "past_due");
    /* and deleting user 8 closes the customer again */
    delete_user(f, 8, 1);
    assert_int_equal(q_int(f->a.db, "SELECT closed_at FROM closed_customers WHERE stripe_customer_id = 'cus_A'"), NOW);
}

static void test_period_end_from_items_in_newer_api_versions(void **state)
{
    struct fx *f = *state;
    link_customer(f);
    const char *p = "{\"id\":\"evt_i\",\"type\":\"customer.subscription.updated\",\"created\":2000,\"data\":{\"object\":"
                    "{\"id\":\"sub_1\",\"customer\":\"cus_A\",\"status\":\"active\",\"items\":{\"data\":"
                    "[{\"id\":\"si_1\",\"current_period_end\":7777}]}}}}";
    assert_int_equal(apply(f, p, "pro"), BILLING_APPLIED);
    struct billing_state bs;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(billing_state_get(f->a.db, 7, &bs, &err), 0);
    assert_string_equal(bs.plan, "pro");
    assert_string_equal(bs.status, "active");
    assert_int_equal(bs.current_period_end, 7777);
    assert_int_equal(billing_state_get(f->a.db, 8, &bs, &err), 0);
    assert_string_equal(bs.plan, "free");
    assert_string_equal(bs.status, "");
    assert_int_equal(billing_state_get(f->a.db, 99, &bs, &err), -1);
}

static void test_unknown_types_recorded_and_acknowledged(void **state)
{
    struct fx *f = *state;
    const char *p = "{\"id\":\"evt_u\",\"type\":\"invoice.paid\",\"created\":5,\"data\":{\"object\":{}}}";
    assert_int_equal(apply(f, p, ""), BILLING_IGNORED);
    assert_int_equal(apply(f, p, ""), BILLING_REPLAY);
    assert_string_equal(q_text(f->a.db, "SELECT type FROM billing_events WHERE event_id = 'evt_u'"), "invoice.paid");
    const char *q = "{\"id\":\"evt_v\",\"type\":\"customer.subscription.paused\",\"created\":5}";
    assert_int_equal(apply(f, q, ""), BILLING_IGNORED);
}

static void test_payloads_that_are_not_events_leave_nothing(void **state)
{
    struct fx *f = *state;
    link_customer(f);
    const char *bad[] = {
        "",
        "not json",
        "[1,2]",
        "{\"type\":\"invoice.paid\",\"created\":5}",                      /* no id */
        "{\"id\":\"evt_1\",\"created\":5}",                               /* no type */
        "{\"id\":5,\"type\":\"invoice.paid\",\"created\":5}",              /* id not a string */
        "{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"created\":\"5\"}",  /* created a string */
        "{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"created\":5.5}",
        "{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"created\":-5}",
        "{\"id\":\"evt_1\",\"type\":\"customer.subscription.updated\",\"created\":5}", /* no object */
        "{\"id\":\"evt_1\",\"type\":\"customer.subscription.updated\",\"created\":5,\"data\":{\"object\":"
        "{\"id\":\"sub_1\",\"status\":\"active\"}}}", /* no customer */
    };
    long long before = q_int(f->a.db, "SELECT count(*) FROM billing_events");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct billing_result r;
        struct mt_err err = MT_ERR_INIT;
        assert_int_equal(billing_apply(f->a.db, bad[i], NOW, &r, &err), -1);
        assert_int_equal(err.code, MT_ERR_FORMAT);
        assert_true(err.msg[0] != '\0');
    }
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM billing_events"), before);
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM subscriptions"), 0);
}

/* What a deletion must cancel first (account_close.c): any status that is not terminal,
 * whether or not it grants pro (past_due and unpaid may still be charged). */
static void test_live_subscription_is_any_non_terminal_status(void **state)
{
    struct fx *f = *state;
    struct mt_err err = MT_ERR_INIT;
    char sub[128];
    assert_int_equal(billing_live_subscription(f->a.db, 7, sub, sizeof sub, &err), 0); /* none yet */
    assert_string_equal(sub, "");
    link_customer(f);
    static const struct {
        const char *status;
        int live;
    } cases[] = {{"active", 1}, {"past_due", 1}, {"unpaid", 1}, {"trialing", 1}, {"incomplete", 1},
                 {"incomplete_expired", 0}};
    long long t = 2000;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char evt[32];
        snprintf(evt, sizeof evt, "evt_live_%zu", i);
        char *p = sub_event(evt, "updated", t++, i + 1 < sizeof cases / sizeof cases[0] ? "sub_1" : "sub_2",
                            cases[i].status, 0);
        assert_int_equal(apply(f, p, billing_plan_of_status(cases[i].status)), BILLING_APPLIED);
        free(p);
        int got = billing_live_subscription(f->a.db, 7, sub, sizeof sub, &err);
        if (got != cases[i].live) fail_msg("%s: live %d, want %d", cases[i].status, got, cases[i].live);
        assert_string_equal(sub, cases[i].live ? "sub_1" : "");
    }
    /* canceled (by .deleted) is over too; another user has none */
    char *p = sub_event("evt_live_del", "deleted", t++, "sub_2", "canceled", 0);
    assert_int_equal(apply(f, p, "free"), BILLING_APPLIED);
    free(p);
    assert_int_equal(billing_live_subscription(f->a.db, 7, sub, sizeof sub, &err), 0);
    assert_int_equal(billing_live_subscription(f->a.db, 8, sub, sizeof sub, &err), 0);
}

static void test_plan_of_status(void **state)
{
    (void)state;
    assert_string_equal(billing_plan_of_status("active"), "pro");
    assert_string_equal(billing_plan_of_status("trialing"), "pro");
    const char *free_ones[] = {"past_due", "canceled", "unpaid", "incomplete", "incomplete_expired", "paused", "", NULL};
    for (size_t i = 0; i < sizeof free_ones / sizeof free_ones[0]; i++)
        assert_string_equal(billing_plan_of_status(free_ones[i]), "free");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checkout_links_customer_and_grants_pro, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkout_for_unknown_user_is_recorded_and_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_customer_is_never_moved_to_another_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscription_lifecycle_sets_the_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reversed_order_keeps_the_newest_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_second_ties_follow_the_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unlinked_customer_is_not_recorded_and_redelivery_applies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_users_customer_is_acknowledged_and_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_customer_checking_out_again_is_the_new_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_period_end_from_items_in_newer_api_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_types_recorded_and_acknowledged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payloads_that_are_not_events_leave_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_subscription_is_any_non_terminal_status, setup, teardown),
        cmocka_unit_test(test_plan_of_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
