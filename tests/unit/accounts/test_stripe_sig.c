/* test_stripe_sig.c — Stripe-Signature verification (src/accounts/stripe_sig.h): a header
 * Stripe would send verifies; a wrong secret, an altered body or timestamp, a stale or
 * future timestamp, a missing t= or v1= and malformed items are each refused with their own
 * reason; several v1 (a secret being rolled) verify when any one matches; other schemes are
 * ignored. The expected MAC of the first test was computed outside this code (Python's
 * hmac.new(secret, b"1700000000." + body, sha256)), so sign and verify cannot agree on a
 * wrong answer together. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "accounts/stripe_sig.h"

#define SECRET "whsec_test_secret"
#define BODY "{\"id\":\"evt_1\"}"
#define T0 1700000000LL
/* hmac.new(b"whsec_test_secret", b'1700000000.{"id":"evt_1"}', hashlib.sha256).hexdigest() */
#define MAC0 "248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a"

static enum stripe_sig_result verify(const char *header, const char *body, long long now)
{
    return stripe_sig_verify(header, body, strlen(body), SECRET, now, STRIPE_SIG_TOLERANCE);
}

static void test_sign_matches_an_independent_hmac(void **state)
{
    (void)state;
    char hex[STRIPE_SIG_HEX_LEN];
    stripe_sig_sign(SECRET, T0, BODY, strlen(BODY), hex);
    assert_string_equal(hex, MAC0);
}

static void test_good_header_verifies(void **state)
{
    (void)state;
    assert_int_equal(verify("t=1700000000,v1=" MAC0, BODY, T0), STRIPE_SIG_OK);
    /* order of items does not matter; other schemes are ignored */
    assert_int_equal(verify("v0=abc,v1=" MAC0 ",t=1700000000,x=1", BODY, T0 + 10), STRIPE_SIG_OK);
}

static void test_wrong_secret_body_or_timestamp_is_a_mismatch(void **state)
{
    (void)state;
    const char *h = "t=1700000000,v1=" MAC0;
    assert_int_equal(stripe_sig_verify(h, BODY, strlen(BODY), "whsec_other", T0, 300), STRIPE_SIG_MISMATCH);
    assert_int_equal(verify(h, "{\"id\":\"evt_2\"}", T0), STRIPE_SIG_MISMATCH);
    /* the timestamp is signed: moving it breaks the signature */
    assert_int_equal(verify("t=1700000001,v1=" MAC0, BODY, T0), STRIPE_SIG_MISMATCH);
    /* upper-case hex is not what Stripe sends and does not match (as in stripe-python) */
    char upper[] = "t=1700000000,v1=" MAC0;
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f') *c = (char)(*c - 'a' + 'A');
    assert_int_equal(verify(upper, BODY, T0), STRIPE_SIG_MISMATCH);
    /* a truncated or extended signature */
    assert_int_equal(verify("t=1700000000,v1=248a374f50f943a28b0f6ab50faf9a7e", BODY, T0), STRIPE_SIG_MISMATCH);
    assert_int_equal(verify("t=1700000000,v1=" MAC0 "00", BODY, T0), STRIPE_SIG_MISMATCH);
}

static void test_empty_secret_verifies_nothing(void **state)
{
    (void)state;
    char hex[STRIPE_SIG_HEX_LEN], h[128];
    stripe_sig_sign("", T0, BODY, strlen(BODY), hex);
    snprintf(h, sizeof h, "t=%lld,v1=%s", T0, hex);
    assert_int_equal(stripe_sig_verify(h, BODY, strlen(BODY), "", T0, 300), STRIPE_SIG_NO_SECRET);
    assert_int_equal(stripe_sig_verify(h, BODY, strlen(BODY), NULL, T0, 300), STRIPE_SIG_NO_SECRET);
}

static void test_tolerance_both_sides(void **state)
{
    (void)state;
    const char *h = "t=1700000000,v1=" MAC0;
    assert_int_equal(verify(h, BODY, T0 + 300), STRIPE_SIG_OK);
    assert_int_equal(verify(h, BODY, T0 + 301), STRIPE_SIG_STALE);
    assert_int_equal(verify(h, BODY, T0 + 86400), STRIPE_SIG_STALE);
    assert_int_equal(verify(h, BODY, T0 - 300), STRIPE_SIG_OK);
    assert_int_equal(verify(h, BODY, T0 - 301), STRIPE_SIG_FUTURE);
    /* a stale header that is also forged is a mismatch: time is judged only for genuine ones */
    assert_int_equal(stripe_sig_verify(h, BODY, strlen(BODY), "whsec_other", T0 + 9999, 300),
                     STRIPE_SIG_MISMATCH);
}

static void test_several_v1_any_one_matches(void **state)
{
    (void)state;
    const char *bad = "0000000000000000000000000000000000000000000000000000000000000000";
    char h[256];
    snprintf(h, sizeof h, "t=1700000000,v1=%s,v1=%s", bad, MAC0);
    assert_int_equal(verify(h, BODY, T0), STRIPE_SIG_OK);
    snprintf(h, sizeof h, "t=1700000000,v1=%s,v1=%s", MAC0, bad);
    assert_int_equal(verify(h, BODY, T0), STRIPE_SIG_OK);
    snprintf(h, sizeof h, "t=1700000000,v1=%s,v1=%s", bad, bad);
    assert_int_equal(verify(h, BODY, T0), STRIPE_SIG_MISMATCH);
    /* a v0 carrying the right MAC is not a v1 */
    assert_int_equal(verify("t=1700000000,v0=" MAC0, BODY, T0), STRIPE_SIG_NO_V1);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    assert_int_equal(verify(NULL, BODY, T0), STRIPE_SIG_MALFORMED);
    assert_int_equal(verify("", BODY, T0), STRIPE_SIG_MALFORMED);
    assert_int_equal(verify("v1=" MAC0, BODY, T0), STRIPE_SIG_MALFORMED);          /* no t */
    assert_int_equal(verify("t=,v1=" MAC0, BODY, T0), STRIPE_SIG_MALFORMED);        /* empty t */
    assert_int_equal(verify("t=17e8,v1=" MAC0, BODY, T0), STRIPE_SIG_MALFORMED);    /* not digits */
    assert_int_equal(verify("t=-1,v1=" MAC0, BODY, T0), STRIPE_SIG_MALFORMED);
    assert_int_equal(verify("t=+1700000000,v1=" MAC0, BODY, T0), STRIPE_SIG_MALFORMED);
    assert_int_equal(verify("t=1234567890123456789,v1=" MAC0, BODY, T0), STRIPE_SIG_MALFORMED);
    assert_int_equal(verify("t=1700000000,t=1700000000,v1=" MAC0, BODY, T0), STRIPE_SIG_MALFORMED);
    assert_int_equal(verify("t", BODY, T0), STRIPE_SIG_MALFORMED);                  /* no '=' */
    assert_int_equal(verify("t=1700000000", BODY, T0), STRIPE_SIG_NO_V1);
    assert_int_equal(verify("t=1700000000,,,", BODY, T0), STRIPE_SIG_NO_V1);
    assert_int_equal(verify("t=1700000000,v1", BODY, T0), STRIPE_SIG_MISMATCH);     /* v1 without value */
    assert_int_equal(verify("t=1700000000,v1=", BODY, T0), STRIPE_SIG_MISMATCH);
    /* keys are exact: no trimming, no case folding (stripe-python does neither) */
    assert_int_equal(verify(" t=1700000000,v1=" MAC0, BODY, T0), STRIPE_SIG_MALFORMED);
    assert_int_equal(verify("t=1700000000, v1=" MAC0, BODY, T0), STRIPE_SIG_NO_V1);
    assert_int_equal(verify("T=1700000000,V1=" MAC0, BODY, T0), STRIPE_SIG_MALFORMED);
    /* a second '=' ends the value, as Python's split("=", 2) does */
    assert_int_equal(verify("t=1700000000,v1=" MAC0 "=x", BODY, T0), STRIPE_SIG_OK);
    assert_int_equal(verify("t=1700000000=9,v1=" MAC0, BODY, T0), STRIPE_SIG_OK);
}

static void test_reasons_never_empty(void **state)
{
    (void)state;
    for (int r = STRIPE_SIG_OK; r <= STRIPE_SIG_FUTURE; r++)
        assert_true(strlen(stripe_sig_reason((enum stripe_sig_result)r)) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_matches_an_independent_hmac),
        cmocka_unit_test(test_good_header_verifies),
        cmocka_unit_test(test_wrong_secret_body_or_timestamp_is_a_mismatch),
        cmocka_unit_test(test_empty_secret_verifies_nothing),
        cmocka_unit_test(test_tolerance_both_sides),
        cmocka_unit_test(test_several_v1_any_one_matches),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_reasons_never_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
