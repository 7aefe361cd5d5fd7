/* fuzz_cookie_form.c — libFuzzer target for the account routes' request parsers
 * (src/accounts/http_form.c): form_cookie_get, form_urlencoded_get, form_url_decode,
 * form_json_object (+ form_json_only, form_json_string) and form_email_normalize.
 *
 * Input: "NAME\nREST": NAME is the cookie / field name looked up, REST is read as a Cookie
 * header, an urlencoded body, a JSON body and an email address in turn.
 * Contract checked on every input:
 *   - every result is one of the documented values; out is NUL-terminated within its size;
 *   - a cookie value found holds only RFC 6265 cookie-octets;
 *   - a normalised email is non-empty, has exactly one '@', no upper case or white space,
 *     is at most FORM_EMAIL_MAX bytes, and normalising it again gives itself (idempotent);
 *   - a refused email leaves out empty and says why;
 *   - form_json_object gives an object exactly when it returns 0. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/http_form.h"

static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_cookie_form: contract broken: %s\n", what);
    abort();
}

static void check_terminated(const char *out, size_t size)
{
    if (!memchr(out, '\0', size)) fuzz_fail("output not NUL-terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t nlen = nl ? (size_t)(nl - (const char *)data) : 0;
    if (nlen > 64) nlen = 64;
    char name[65];
    memcpy(name, data, nlen);
    name[nlen] = '\0';
    const char *rest = nl ? nl + 1 : (const char *)data;
    size_t rlen = size - (size_t)(rest - (const char *)data);
    char *text = malloc(rlen + 1);
    if (!text) return 0;
    memcpy(text, rest, rlen);
    text[rlen] = '\0';

    char out[48];
    memset(out, 'x', sizeof out);
    int rc = form_cookie_get(text, name, out, sizeof out);
    if (rc < -1 || rc > 1) fuzz_fail("form_cookie_get result");
    check_terminated(out, sizeof out);
    if (rc == 1)
        for (const unsigned char *p = (const unsigned char *)out; *p; p++)
            if (*p <= 0x20 || *p == '"' || *p == ',' || *p == ';' || *p == '\\' || *p >= 0x7f)
                fuzz_fail("cookie value holds a byte outside cookie-octet");

    memset(out, 'x', sizeof out);
    rc = form_urlencoded_get(rest, rlen, name, out, sizeof out);
    if (rc < -1 || rc > 1) fuzz_fail("form_urlencoded_get result");
    check_terminated(out, sizeof out);

    memset(out, 'x', sizeof out);
    int n = form_url_decode(rest, rlen, out, sizeof out);
    check_terminated(out, sizeof out);
    if (n >= 0 && (size_t)n != strlen(out)) fuzz_fail("form_url_decode length");

    struct json j;
    struct mt_err err = MT_ERR_INIT;
    if (form_json_object(rest, rlen, &j, &err) == 0) {
        if (j.t != JSON_OBJ) fuzz_fail("form_json_object gave a non-object");
        const char *const allowed[] = {"email", "password", NULL};
        (void)form_json_only(&j, allowed, &err);
        memset(out, 'x', sizeof out);
        (void)form_json_string(&j, "email", out, sizeof out, &err);
        check_terminated(out, sizeof out);
        json_free(&j);
    } else if (!err.msg[0]) {
        fuzz_fail("form_json_object refused without a message");
    }

    char email[FORM_EMAIL_MAX + 1];
    err.msg[0] = '\0';
    if (form_email_normalize(text, email, &err) == 0) {
        size_t el = strlen(email);
        if (!el || el > FORM_EMAIL_MAX) fuzz_fail("email length");
        const char *at = strchr(email, '@');
        if (!at || strchr(at + 1, '@')) fuzz_fail("email without exactly one '@'");
        for (const char *p = email; *p; p++)
            if ((*p >= 'A' && *p <= 'Z') || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                fuzz_fail("email not normalised");
        char again[FORM_EMAIL_MAX + 1];
        if (form_email_normalize(email, again, &err) != 0 || strcmp(again, email))
            fuzz_fail("email normalisation not idempotent");
    } else if (email[0] || !err.msg[0]) {
        fuzz_fail("refused email left output or no message");
    }
    free(text);
    return 0;
}
