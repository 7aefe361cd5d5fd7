/* test_throttle_mail.c — the token buckets of src/accounts/throttle.h on a fake clock (burst,
 * refill, Retry-After, keys and rules apart, memory bounded under a flood of keys) and the
 * mail formatting of src/accounts/mail.h (headers, CRLF, no header injection, the From
 * address, the log fallback when SMTP_URL is unset). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/mail.h"
#include "accounts/throttle.h"

static const struct throttle_rule R = {"t", 3, 6}; /* 3 at once, one back every 10 minutes */

static void test_bucket(void **state)
{
    (void)state;
    struct throttle *t = throttle_new();
    long wait = -1;
    for (int i = 0; i < 3; i++) assert_int_equal(throttle_take(t, &R, "k", 1000.0, &wait), 1);
    assert_int_equal(throttle_take(t, &R, "k", 1000.0, &wait), 0);
    assert_int_equal(wait, 600);
    /* 5 minutes later: still empty, 300 s to go */
    assert_int_equal(throttle_take(t, &R, "k", 1300.0, &wait), 0);
    assert_int_equal(wait, 300);
    /* a refused attempt takes nothing: at 10 minutes one token is back */
    assert_int_equal(throttle_take(t, &R, "k", 1600.0, &wait), 1);
    assert_int_equal(throttle_take(t, &R, "k", 1600.0, &wait), 0);
    /* other keys and other rules have their own buckets */
    assert_int_equal(throttle_take(t, &R, "other", 1600.0, &wait), 1);
    static const struct throttle_rule R2 = {"t2", 1, 1};
    assert_int_equal(throttle_take(t, &R2, "k", 1600.0, &wait), 1);
    assert_int_equal(throttle_take(t, &R2, "k", 1600.0, &wait), 0);
    assert_int_equal(wait, 3600);
    /* a long pause refills to the burst, never beyond */
    for (int i = 0; i < 3; i++) assert_int_equal(throttle_take(t, &R, "k", 1e6, &wait), 1);
    assert_int_equal(throttle_take(t, &R, "k", 1e6, &wait), 0);
    /* the clock stepping back adds nothing */
    assert_int_equal(throttle_take(t, &R, "k", 10.0, &wait), 0);
    throttle_free(t);
}

static void test_flood_bounded(void **state)
{
    (void)state;
    struct throttle *t = throttle_new();
    long wait;
    /* an empty bucket under attack stays empty while many other keys come and go: the
     * victim chosen for reuse is a full bucket before an active one */
    for (int i = 0; i < 3; i++) assert_int_equal(throttle_take(t, &R, "victim", 0.0, &wait), 1);
    char key[32];
    for (int i = 0; i < 4 * THROTTLE_SLOTS; i++) {
        snprintf(key, sizeof key, "k%d", i);
        (void)throttle_take(t, &R, key, 1.0, &wait);
    }
    assert_int_equal(throttle_take(t, &R, "victim", 2.0, &wait), 0);
    throttle_free(t);
}

static void test_mail_format(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    struct mail_cfg c = {NULL, NULL, NULL, "Materia <noreply@materia.example>"};
    char *m = mail_format(&c, "a@b.example", "Your link", "line 1\nline 2\n", 0, &err);
    assert_non_null(m);
    assert_non_null(strstr(m, "From: Materia <noreply@materia.example>\r\n"));
    assert_non_null(strstr(m, "To: a@b.example\r\nSubject: Your link\r\nDate: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
    assert_non_null(strstr(m, "@materia.example>\r\nMIME-Version: 1.0\r\n"));
    assert_non_null(strstr(m, "\r\n\r\nline 1\r\nline 2\r\n"));
    assert_null(strstr(m, "2\n\n"));
    free(m);
    /* header injection */
    assert_null(mail_format(&c, "a@b.example\r\nBcc: x@y.example", "s", "t", 0, &err));
    assert_null(mail_format(&c, "a@b.example", "s\nBcc: x@y.example", "t", 0, &err));
    struct mail_cfg bad = {NULL, NULL, NULL, "Materia"};
    assert_null(mail_format(&bad, "a@b.example", "s", "t", 0, &err));
    char addr[64];
    assert_int_equal(mail_address("Materia <n@x.example>", addr, sizeof addr), 0);
    assert_string_equal(addr, "n@x.example");
    assert_int_equal(mail_address(" n@x.example ", addr, sizeof addr), 0);
    assert_string_equal(addr, "n@x.example");
    assert_int_equal(mail_address("Materia <n@x.example", addr, sizeof addr), -1);
    /* no SMTP_URL: logged, not sent, and that is success */
    assert_int_equal(mail_send(&c, "a@b.example", "s", "t", 0, &err), 0);
    /* an SMTP server that is not there: a failure naming SMTP, not the message */
    struct mail_cfg dead = {"smtp://127.0.0.1:1", NULL, NULL, "n@x.example"};
    assert_int_equal(mail_send(&dead, "a@b.example", "s", "secret-link", 0, &err), -1);
    assert_non_null(strstr(err.msg, "SMTP server"));
    assert_null(strstr(err.msg, "secret-link"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_flood_bounded),
        cmocka_unit_test(test_mail_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
