/* stripe_api.h — Materia's calls to Stripe's API (the other direction from the webhook,
 * billing.h): the one owner of STRIPE_API_KEY and STRIPE_API_URL. Today there is one call,
 * cancelling a subscription at once, made when its user's account is deleted
 * (account_close.h).
 *
 * Stripe's API reference, "Cancel a subscription" (docs.stripe.com/api/subscriptions/cancel):
 * `DELETE /v1/subscriptions/{id}` with `Authorization: Bearer <secret key>` cancels it
 * immediately ("the customer won't be charged again for the subscription") and answers the
 * Subscription object, its `status` now "canceled". An unknown id is a 404 whose error has
 * `code` "resource_missing" ("No such subscription"); other refusals are 4xx with
 * `error.message`; 429 and 5xx say "not now". "Retrieve a subscription"
 * (docs.stripe.com/api/subscriptions/retrieve): `GET /v1/subscriptions/{id}`, the object. */
#ifndef MATERIA_ACCOUNTS_STRIPE_API_H
#define MATERIA_ACCOUNTS_STRIPE_API_H

#include <stdbool.h>

#include "util/err.h"

#define STRIPE_API_ATTEMPTS 3       /* a 5xx, 429 or connection error is tried again */
#define STRIPE_API_BACKOFF_MS 500L  /* before the second attempt; doubled after */
#define STRIPE_API_TIMEOUT_S 10L    /* one attempt: a user waits on the answer */
/* On a web worker (POST /account/delete) the call holds the worker and a pooled account
 * database handle, of which there are as many as workers: at most 2 attempts of 5 s, and
 * one for the status check (~15.5 s in all instead of ~63 s). The user can press again. */
#define STRIPE_API_WEB_ATTEMPTS 2
#define STRIPE_API_WEB_TIMEOUT_S 5L

struct stripe_api {
    const char *url; /* STRIPE_API_URL, e.g. https://api.stripe.com (no /v1) */
    const char *key; /* STRIPE_API_KEY; "" when not set */
    long backoff_ms; /* STRIPE_API_BACKOFF_MS (tests may shorten it) */
    int attempts;    /* of the cancel (the status check after a refusal: one) */
    long timeout_s;  /* of each attempt */
};

/* The settings' values (g_config), with the command line's attempts and timeout. */
void stripe_api_from_config(struct stripe_api *api);
/* The same for a call made on a web worker: STRIPE_API_WEB_ATTEMPTS and _TIMEOUT_S. */
void stripe_api_for_web(struct stripe_api *api);
/* A key is set: a cancel can be tried. */
bool stripe_api_configured(const struct stripe_api *api);

/* Cancels subscription sub_id at once. 0 when it is cancelled: Stripe answered it with
 * status "canceled", or said it has no such subscription (404 resource_missing: already
 * gone), or refused the cancel (another 4xx) of a subscription whose own status (GET
 * /v1/subscriptions/{id}) is canceled or incomplete_expired already. -1 with err naming sub_id and why (no key set; Stripe's message and HTTP status;
 * unreachable after STRIPE_API_ATTEMPTS). The key never appears in err. */
int stripe_cancel_subscription(const struct stripe_api *api, const char *sub_id, struct mt_err *err);

#endif
