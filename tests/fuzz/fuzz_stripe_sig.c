/* fuzz_stripe_sig.c — libFuzzer target for the Stripe-Signature parser and verifier
 * (src/accounts/stripe_sig.c), the first code to touch a POST /billing/webhook.
 *
 * Input: "HEADER\nBODY" (no newline: all header, empty body). The header is verified under a
 * fixed secret at a fixed now. Contract checked on every input:
 *   - the result is one of the enum's values and has a non-empty reason;
 *   - OK only when the header really carries the MAC of "<t>.<body>" under the secret as
 *     a "v1=" item, with t within the tolerance: recomputed here from the t the header
 *     shows, so a parser that accepts a forged or misread header is caught;
 *   - the same input under another secret is never OK (nothing verifies without the key);
 *   - verifying is deterministic (the same input twice gives the same result). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/stripe_sig.h"

#define SECRET "whsec_fuzz"
#define NOW 1700000000LL

static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_stripe_sig: contract broken: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t hlen = nl ? (size_t)(nl - data) : size;
    char *header = malloc(hlen + 1);
    if (!header) return 0;
    memcpy(header, data, hlen);
    header[hlen] = '\0'; /* an embedded NUL ends the header, as it would in a C string */
    const uint8_t *body = nl ? nl + 1 : data + size;
    size_t blen = (size_t)(data + size - body);

    enum stripe_sig_result r = stripe_sig_verify(header, body, blen, SECRET, NOW, STRIPE_SIG_TOLERANCE);
    if (r < STRIPE_SIG_OK || r > STRIPE_SIG_FUTURE) fuzz_fail("result out of range");
    if (!stripe_sig_reason(r)[0]) fuzz_fail("empty reason");
    if (stripe_sig_verify(header, body, blen, SECRET, NOW, STRIPE_SIG_TOLERANCE) != r)
        fuzz_fail("not deterministic");
    if (stripe_sig_verify(header, body, blen, "whsec_other", NOW, STRIPE_SIG_TOLERANCE) == STRIPE_SIG_OK)
        fuzz_fail("verified under the wrong secret");
    if (r == STRIPE_SIG_OK) {
        /* find the t= item the way a reader of the header would: at the start or after ',' */
        const char *t = NULL;
        for (const char *p = header; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
            if (strncmp(p, "t=", 2) == 0) {
                t = p + 2;
                break;
            }
        if (!t) fuzz_fail("OK without a t= item");
        char *end;
        long long tv = strtoll(t, &end, 10);
        if (end == t || tv < NOW - STRIPE_SIG_TOLERANCE || tv > NOW + STRIPE_SIG_TOLERANCE)
            fuzz_fail("OK with a timestamp outside the tolerance");
        char want[STRIPE_SIG_HEX_LEN], item[STRIPE_SIG_HEX_LEN + 3];
        stripe_sig_sign(SECRET, tv, body, blen, want);
        snprintf(item, sizeof item, "v1=%s", want);
        if (!strstr(header, item)) fuzz_fail("OK without the expected v1 in the header");
    }
    free(header);
    return 0;
}
