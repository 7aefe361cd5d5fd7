/* account_close.h — deleting an account that may be paying: the one path by which both
 * POST /account/delete (web/web_account_settings.c) and `materia users delete`
 * (accounts/users_cmd.c) delete a user.
 *
 * A user with a live subscription (billing_live_subscription) has it cancelled in Stripe
 * first (stripe_api.h); only when Stripe says it is cancelled (or gone) is the user deleted
 * (users_delete). When it cannot be cancelled (no STRIPE_API_KEY, Stripe refuses or cannot be
 * reached), nothing is deleted: deleting the user would leave Stripe charging someone who
 * has no account, with nobody left here to stop it. keep_subscription (the operator's
 * --keep-subscription) deletes anyway without asking Stripe, and says which subscription
 * is left to cancel by hand. A user without a live subscription is deleted with no request
 * to Stripe at all.
 *
 * The Stripe call is made outside any transaction: the account database is not locked
 * while Stripe answers. A checkout completed in the moments between that call and the
 * deletion is not seen (its events then find no user). */
#ifndef MATERIA_ACCOUNTS_ACCOUNT_CLOSE_H
#define MATERIA_ACCOUNTS_ACCOUNT_CLOSE_H

#include <sqlite3.h>
#include <stdbool.h>

#include "accounts/stripe_api.h"
#include "accounts/users.h"
#include "util/err.h"

enum account_close_outcome {
    ACCOUNT_CLOSED,      /* deleted (its subscription, if any, cancelled or kept) */
    ACCOUNT_NO_USER,     /* no such user: nothing done */
    ACCOUNT_SUB_REFUSED, /* the live subscription could not be cancelled: nothing deleted */
};

struct account_close_res {
    enum account_close_outcome outcome;
    struct users_deleted removed; /* when ACCOUNT_CLOSED */
    char sub_id[128];             /* the live subscription found, "" when none */
    bool sub_cancelled;           /* it was cancelled in Stripe now */
    bool sub_kept;                /* keep_subscription: deleted with it still running */
};

/* 0 with *res (for ACCOUNT_SUB_REFUSED, err says why the subscription was not cancelled,
 * naming its id); -1 with err when the database failed. */
int account_close(sqlite3 *db, long long user_id, long long now, const struct stripe_api *api,
                  bool keep_subscription, struct account_close_res *res, struct mt_err *err);

#endif
