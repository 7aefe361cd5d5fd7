/* test_http_form.c — the pure request parsers of the account routes (src/accounts/http_form.h):
 * cookies (RFC 6265 pairs, quoting, white space, our cookie's bad value refused while another
 * cookie's junk is not), urlencoded fields, JSON object bodies (only objects, unknown fields
 * refused by name) and email normalisation (trim, lower case, one '@', length caps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "accounts/http_form.h"

static void test_cookie_pairs(void **state)
{
    (void)state;
    char v[64];
    assert_int_equal(form_cookie_get("a=1; materia_session=abc; b=2", "materia_session", v, sizeof v), 1);
    assert_string_equal(v, "abc");
    assert_int_equal(form_cookie_get("materia_session=x", "materia_session", v, sizeof v), 1);
    assert_string_equal(v, "x");
    /* white space around separators, a quoted value */
    assert_int_equal(form_cookie_get(" a = 1 ;materia_session = \"q-1_2\" ", "materia_session", v, sizeof v), 1);
    assert_string_equal(v, "q-1_2");
    /* the first of two wins; a prefix of the name is not the name */
    assert_int_equal(form_cookie_get("materia_session_x=no; materia_session=one; materia_session=two",
                                     "materia_session", v, sizeof v), 1);
    assert_string_equal(v, "one");
    /* absent */
    assert_int_equal(form_cookie_get("a=1; b=2", "materia_session", v, sizeof v), 0);
    assert_int_equal(form_cookie_get(NULL, "materia_session", v, sizeof v), 0);
    assert_int_equal(form_cookie_get("", "materia_session", v, sizeof v), 0);
    assert_int_equal(form_cookie_get(";;;", "materia_session", v, sizeof v), 0);
    /* an empty value is a value */
    assert_int_equal(form_cookie_get("materia_session=", "materia_session", v, sizeof v), 1);
    assert_string_equal(v, "");
}

static void test_cookie_refusals(void **state)
{
    (void)state;
    char v[8];
    /* another cookie's junk (no '=', bad bytes) does not hide ours */
    assert_int_equal(form_cookie_get("junk; x=\\\"; materia_session=ok", "materia_session", v, sizeof v), 1);
    assert_string_equal(v, "ok");
    /* our value with a byte RFC 6265 does not allow: refused, not cut */
    assert_int_equal(form_cookie_get("materia_session=a\\b", "materia_session", v, sizeof v), -1);
    assert_int_equal(form_cookie_get("materia_session=a b", "materia_session", v, sizeof v), -1);
    assert_int_equal(form_cookie_get("materia_session=a,b", "materia_session", v, sizeof v), -1);
    assert_int_equal(form_cookie_get("materia_session=\"a", "materia_session", v, sizeof v), -1);
    /* too long for the buffer: refused, not cut */
    assert_int_equal(form_cookie_get("materia_session=12345678", "materia_session", v, sizeof v), -1);
    assert_int_equal(form_cookie_get("materia_session=1234567", "materia_session", v, sizeof v), 1);
    assert_string_equal(v, "1234567");
}

static void test_urlencoded(void **state)
{
    (void)state;
    char v[32];
    const char *b = "email=a%40b.example&csrf_token=t+1&flag&x=%zz";
    assert_int_equal(form_urlencoded_get(b, strlen(b), "email", v, sizeof v), 1);
    assert_string_equal(v, "a@b.example");
    assert_int_equal(form_urlencoded_get(b, strlen(b), "csrf_token", v, sizeof v), 1);
    assert_string_equal(v, "t 1");
    assert_int_equal(form_urlencoded_get(b, strlen(b), "flag", v, sizeof v), 1);
    assert_string_equal(v, "");
    assert_int_equal(form_urlencoded_get(b, strlen(b), "nope", v, sizeof v), 0); /* x=%zz is not ours: not read */
    assert_int_equal(form_urlencoded_get(b, strlen(b), "x", v, sizeof v), -1);
    const char *c = "a=1&&b=%41";
    assert_int_equal(form_urlencoded_get(c, strlen(c), "b", v, sizeof v), 1);
    assert_string_equal(v, "A");
    assert_int_equal(form_urlencoded_get(c, strlen(c), "c", v, sizeof v), 0);
    /* the length bounds the body: nothing past it is read */
    assert_int_equal(form_urlencoded_get("a=1&b=2", 3, "b", v, sizeof v), 0);
    /* a decoded NUL, a truncated escape, overflow */
    assert_int_equal(form_urlencoded_get("a=%00", 5, "a", v, sizeof v), -1);
    assert_int_equal(form_urlencoded_get("a=%4", 4, "a", v, sizeof v), -1);
    char small[4];
    assert_int_equal(form_urlencoded_get("a=1234", 6, "a", small, sizeof small), -1);
    assert_int_equal(form_urlencoded_get("a=123", 5, "a", small, sizeof small), 1);
}

static void test_json_body(void **state)
{
    (void)state;
    struct json j;
    struct mt_err err = MT_ERR_INIT;
    const char *b = "{\"email\":\"A@B.example\",\"n\":1}";
    assert_int_equal(form_json_object(b, strlen(b), &j, &err), 0);
    char v[32];
    assert_int_equal(form_json_string(&j, "email", v, sizeof v, &err), 1);
    assert_string_equal(v, "A@B.example");
    assert_int_equal(form_json_string(&j, "absent", v, sizeof v, &err), 0);
    assert_int_equal(form_json_string(&j, "n", v, sizeof v, &err), -1);
    assert_string_equal(err.msg, "field 'n' must be a string");
    char small[4];
    assert_int_equal(form_json_string(&j, "email", small, sizeof small, &err), -1);
    const char *const ok1[] = {"email", NULL};
    assert_int_equal(form_json_only(&j, ok1, &err), -1);
    assert_string_equal(err.msg, "unknown field 'n'");
    const char *const ok2[] = {"email", "n", NULL};
    assert_int_equal(form_json_only(&j, ok2, &err), 0);
    json_free(&j);

    assert_int_equal(form_json_object("[1]", 3, &j, &err), -1);
    assert_string_equal(err.msg, "request body must be a JSON object");
    assert_int_equal(form_json_object("", 0, &j, &err), -1);
    assert_int_equal(form_json_object("{\"a\":1} x", 9, &j, &err), -1);
    assert_int_equal(form_json_object("{\"a\":\0}", 7, &j, &err), -1);
    assert_string_equal(err.msg, "request body holds a NUL byte");
    /* the length bounds the text: a body cut mid-object is invalid */
    assert_int_equal(form_json_object("{\"a\":1}", 5, &j, &err), -1);
}

static void test_email(void **state)
{
    (void)state;
    char out[FORM_EMAIL_MAX + 1];
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(form_email_normalize("  Ana.Silva+coffee@Example.COM \n", out, &err), 0);
    assert_string_equal(out, "ana.silva+coffee@example.com");
    assert_int_equal(form_email_normalize("a@b-c.d1.example", out, &err), 0);
    const char *bad[] = {"", "   ", "no-at.example", "a@@b.example", "a@b@c.example", "@b.example",
                         "a@", "a@localhost", "a.@b.example", ".a@b.example", "a..b@b.example",
                         "a b@b.example", "a@b..example", "a@-b.example", "a@b-.example",
                         "a@b_c.example", "\"q\"@b.example", "a@b.example\x01", "é@b.example",
                         "a@b.example.", NULL};
    for (int i = 0; bad[i]; i++) {
        err.msg[0] = '\0';
        assert_int_equal(form_email_normalize(bad[i], out, &err), -1);
        assert_true(err.msg[0] != '\0');
        assert_string_equal(out, "");
    }
    /* length caps: 64 in the local part, 254 in all */
    char local[70], addr[300];
    memset(local, 'a', 64);
    local[64] = '\0';
    snprintf(addr, sizeof addr, "%s@b.example", local);
    assert_int_equal(form_email_normalize(addr, out, &err), 0);
    local[64] = 'a', local[65] = '\0';
    snprintf(addr, sizeof addr, "%s@b.example", local);
    assert_int_equal(form_email_normalize(addr, out, &err), -1);
    char dom[260];
    /* 60-char labels: "a@" + 4 x 61 + "ex" = 2 + 244 + 2 = 248 ok; one more label > 254 */
    size_t o = 0;
    for (int l = 0; l < 4; l++) { memset(dom + o, 'd', 60); o += 60; dom[o++] = '.'; }
    memcpy(dom + o, "ex", 3);
    snprintf(addr, sizeof addr, "a@%s", dom);
    assert_int_equal(form_email_normalize(addr, out, &err), 0);
    snprintf(addr, sizeof addr, "abcdefghi@%s", dom);
    assert_int_equal(form_email_normalize(addr, out, &err), -1);
    assert_string_equal(err.msg, "email is longer than 254 characters");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cookie_pairs), cmocka_unit_test(test_cookie_refusals),
        cmocka_unit_test(test_urlencoded),   cmocka_unit_test(test_json_body),
        cmocka_unit_test(test_email),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
