/* account_close.c — see account_close.h. */
#include "accounts/account_close.h"

#include <string.h>

#include "accounts/billing.h"
#include "util/log.h"

int account_close(sqlite3 *db, long long user_id, long long now, const struct stripe_api *api,
                  bool keep_subscription, struct account_close_res *res, struct mt_err *err)
{
    memset(res, 0, sizeof *res);
    int live = billing_live_subscription(db, user_id, res->sub_id, sizeof res->sub_id, err);
    if (live < 0) return -1;
    if (live && keep_subscription) {
        res->sub_kept = true;
    } else if (live) {
        if (stripe_cancel_subscription(api, res->sub_id, err) < 0) {
            res->outcome = ACCOUNT_SUB_REFUSED;
            return 0;
        }
        res->sub_cancelled = true;
    }
    int rc = users_delete(db, user_id, now, &res->removed, err);
    if (rc < 0 && res->sub_cancelled) {
        /* the one state this path must not leave unsaid: no longer billed, still here */
        mt_err_prefix(err, "subscription %s was cancelled in Stripe but the account was not deleted", res->sub_id);
        log_error("account: user %lld: %s", user_id, err->msg);
    }
    if (rc < 0) return -1;
    res->outcome = rc ? ACCOUNT_CLOSED : ACCOUNT_NO_USER;
    if (rc && res->sub_kept)
        log_warn("account: user %lld deleted with subscription %s still live in Stripe (kept by the operator)",
                 user_id, res->sub_id);
    return 0;
}
