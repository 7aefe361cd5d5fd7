/* stripe_sig.c — see stripe_sig.h.
 *
 * The parsing follows Stripe's reference implementation, stripe-python's
 * WebhookSignature (stripe/_webhook.py: _get_timestamp_and_signatures and verify_header):
 * the header is split on ',', each item on '=' into a key and a value; the timestamp is the
 * value of the item whose key is exactly "t"; the signatures are the values of every item
 * whose key is exactly "v1" (no white space is trimmed, keys are case-sensitive, items of
 * other schemes are skipped); "no v1" and "no match" are distinct failures; the expected
 * signature is hex(HMAC-SHA256(secret, "<t>.<payload>")) compared with each v1 in constant
 * time; the tolerance is checked after the signature.
 *
 * Where we are stricter, and why:
 *  - t must be 1-18 ASCII digits (Python's int() also takes "+5", " 5", "5_0"): what is
 *    signed is the text of t, so a lenient parse would only widen what a forger can try;
 *  - two t= items are refused (Python takes the first, stripe-node the last: a header the
 *    two libraries read differently is not one we guess at);
 *  - a t more than `tolerance` seconds in the FUTURE is refused too (the libraries check
 *    only the past side): a genuine event is never dated ahead of us by more than clock
 *    skew, and accepting one would stretch its replay window by the amount it is ahead;
 *  - an empty secret verifies nothing (HMAC with an empty key would be computable by anyone).
 * A v1 value that is not 64 hex digits can never match (compared as text, as Python does)
 * but still counts as a v1 for the NO_V1/MISMATCH distinction. */
#include "accounts/stripe_sig.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* key k[0..kl) is exactly the literal lit */
#define STRIPE_ITEM_KEY(k, kl, lit) ((kl) == sizeof(lit) - 1 && memcmp((k), (lit), (kl)) == 0)

struct item {
    const char *k, *v;
    size_t kl, vl;
};

/* The next ','-separated item of *p (advanced past it and its comma); 0 at the end. An item
 * without '=' is all key with an empty value (so it is neither t nor a matching v1). */
static int next_item(const char **p, struct item *it)
{
    const char *s = *p;
    if (!s) return 0;
    const char *end = strchr(s, ',');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    const char *eq = memchr(s, '=', len);
    it->k = s;
    it->kl = eq ? (size_t)(eq - s) : len;
    it->v = eq ? eq + 1 : s + len;
    /* Python's split("=", 2) keeps only what lies before a second '=' as the value */
    const char *eq2 = eq ? memchr(it->v, '=', len - it->kl - 1) : NULL;
    it->vl = eq ? (size_t)((eq2 ? eq2 : s + len) - it->v) : 0;
    *p = end ? end + 1 : NULL;
    return 1;
}

static int parse_t(const char *v, size_t vl, long long *t)
{
    if (vl == 0 || vl > 18) return -1;
    long long x = 0;
    for (size_t i = 0; i < vl; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        x = x * 10 + (v[i] - '0');
    }
    *t = x;
    return 0;
}

void stripe_sig_sign(const char *secret, long long t, const void *body, size_t body_len,
                     char out[STRIPE_SIG_HEX_LEN])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[24];
    int n = snprintf(ts, sizeof ts, "%lld.", t);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, STRIPE_SIG_HEX_LEN, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}

enum stripe_sig_result stripe_sig_verify(const char *header, const void *body, size_t body_len,
                                         const char *secret, long long now, long long tolerance)
{
    if (!secret || !*secret) return STRIPE_SIG_NO_SECRET;
    if (!header) return STRIPE_SIG_MALFORMED;
    long long t = -1;
    int nt = 0;
    struct item it;
    for (const char *p = header; next_item(&p, &it);) {
        if (!STRIPE_ITEM_KEY(it.k, it.kl, "t")) continue;
        if (++nt > 1 || parse_t(it.v, it.vl, &t) != 0) return STRIPE_SIG_MALFORMED;
    }
    if (nt == 0) return STRIPE_SIG_MALFORMED;

    char want[STRIPE_SIG_HEX_LEN];
    stripe_sig_sign(secret, t, body, body_len, want);
    int nv1 = 0, match = 0;
    for (const char *p = header; next_item(&p, &it);) {
        if (!STRIPE_ITEM_KEY(it.k, it.kl, "v1")) continue;
        nv1++;
        /* every v1 is compared (no early exit), each in constant time */
        if (it.vl == STRIPE_SIG_HEX_LEN - 1 && sodium_memcmp(it.v, want, it.vl) == 0) match = 1;
    }
    if (nv1 == 0) return STRIPE_SIG_NO_V1;
    if (!match) return STRIPE_SIG_MISMATCH;
    if (t < now - tolerance) return STRIPE_SIG_STALE;
    if (t > now + tolerance) return STRIPE_SIG_FUTURE;
    return STRIPE_SIG_OK;
}

const char *stripe_sig_reason(enum stripe_sig_result r)
{
    switch (r) {
    case STRIPE_SIG_OK: return "signature valid";
    case STRIPE_SIG_NO_SECRET: return "no webhook secret configured";
    case STRIPE_SIG_MALFORMED: return "Stripe-Signature header missing or malformed (no single numeric t=)";
    case STRIPE_SIG_NO_V1: return "no v1 signature in Stripe-Signature";
    case STRIPE_SIG_MISMATCH: return "no v1 signature matches the payload";
    case STRIPE_SIG_STALE: return "timestamp older than the tolerance";
    case STRIPE_SIG_FUTURE: return "timestamp ahead of the tolerance";
    }
    return "unknown result";
}
