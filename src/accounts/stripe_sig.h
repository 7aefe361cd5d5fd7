/* stripe_sig.h — Stripe's webhook signature scheme (the `Stripe-Signature` header), the one
 * place that decides whether a POST to /billing/webhook came from Stripe.
 *
 * The header is a comma-separated list of `key=value` items: `t=<Unix seconds>` and one or
 * more `v1=<hex HMAC-SHA256>` (several while a secret is being rolled); other schemes (v0,
 * anything Stripe adds later) are ignored. The signed text is "<t>.<raw body>" under the
 * endpoint's secret (STRIPE_WEBHOOK_SECRET, "whsec_..." used as bytes, as Stripe does). The
 * message is genuine when ANY v1 equals the expected MAC (constant-time compare), and fresh
 * when t is within `tolerance` seconds of `now` on either side.
 *
 * Pure: no clock, no log, no allocation; `now` is a parameter so tests use a fake clock. */
#ifndef MATERIA_ACCOUNTS_STRIPE_SIG_H
#define MATERIA_ACCOUNTS_STRIPE_SIG_H

#include <stddef.h>

#define STRIPE_SIG_TOLERANCE 300 /* seconds: Stripe's libraries' DEFAULT_TOLERANCE */
#define STRIPE_SIG_HEX_LEN 65    /* 64 lowercase hex digits + NUL */

enum stripe_sig_result {
    STRIPE_SIG_OK = 0,
    STRIPE_SIG_NO_SECRET, /* the secret is empty: nothing can be verified */
    STRIPE_SIG_MALFORMED, /* no header, no t=, a t= that is not a number, or two t= */
    STRIPE_SIG_NO_V1,     /* no v1= item at all */
    STRIPE_SIG_MISMATCH,  /* no v1 matches: wrong secret, altered body or timestamp */
    STRIPE_SIG_STALE,     /* genuine, but t is more than tolerance seconds old */
    STRIPE_SIG_FUTURE,    /* genuine, but t is more than tolerance seconds ahead of now */
};

/* Verifies header (NUL-terminated, may be NULL = absent) for body[0..body_len) under secret
 * at time now. The signature is checked before the time (as Stripe's libraries do), so
 * STALE/FUTURE are only ever said of a message the secret really signed. */
enum stripe_sig_result stripe_sig_verify(const char *header, const void *body, size_t body_len,
                                         const char *secret, long long now, long long tolerance);

/* A short English reason for a result ("signature mismatch", ...), for the 400 answer and the
 * log line; it never includes the header, the body or the secret. */
const char *stripe_sig_reason(enum stripe_sig_result r);

/* The v1 signature of body at time t under secret, as lowercase hex: what Stripe sends, and
 * what the tests and the fuzz target use to sign their events. */
void stripe_sig_sign(const char *secret, long long t, const void *body, size_t body_len,
                     char out[STRIPE_SIG_HEX_LEN]);

#endif
