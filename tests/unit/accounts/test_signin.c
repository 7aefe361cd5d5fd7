/* test_signin.c — sign-in links and email-change links (src/accounts/signin.h): a link is
 * stored hashed, works once (a second use is refused), not after 15 minutes (fake clock),
 * signs a new address up and a known one in, gives a disabled account nothing, moves an
 * email only while the new address is free; and users.h's password storage (argon2id with
 * the OWASP parameters, verify, length limits) and deletion (scrubbed audit, cascades). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "accounts/audit.h"
#include "accounts/sessions.h"
#include "accounts/signin.h"
#include "accounts/users.h"
#include "appdb_fixture.h"

#define T0 1700000000LL

static void test_link_single_use(void **state)
{
    (void)state;
    struct appdb_fx fx;
    appdb_fx_open(&fx, "acct", NULL);
    sqlite3 *db = fx.db;
    struct mt_err err = MT_ERR_INIT;
    char tok[SESS_TOKEN_LEN + 1], why[200];
    assert_int_equal(signin_link_create(db, SIGNIN_LOGIN, 0, "new@b.example", T0, tok, &err), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM login_tokens WHERE length(token_hash) = 32"), 1);
    struct signin_result r;
    assert_int_equal(signin_link_consume(db, tok, T0 + 60, &r, why, sizeof why, &err), 1);
    assert_int_equal(r.purpose, SIGNIN_LOGIN);
    assert_int_equal(r.created, 1); /* sign-up */
    assert_string_equal(r.email, "new@b.example");
    struct user u;
    assert_int_equal(users_by_email(db, "new@b.example", &u, &err), 1);
    assert_int_equal(u.id, r.user_id);
    /* the same link again: refused */
    why[0] = '\0';
    assert_int_equal(signin_link_consume(db, tok, T0 + 61, &r, why, sizeof why, &err), 0);
    assert_non_null(strstr(why, "not valid"));
    /* a second link for the now registered address signs in, creating nothing */
    assert_int_equal(signin_link_create(db, SIGNIN_LOGIN, u.id, "new@b.example", T0 + 100, tok, &err), 0);
    assert_int_equal(signin_link_consume(db, tok, T0 + 101, &r, why, sizeof why, &err), 1);
    assert_int_equal(r.created, 0);
    assert_int_equal(r.user_id, u.id);
    assert_int_equal(q_int(db, "SELECT count(*) FROM users"), 1);
    /* garbage and unknown tokens */
    assert_int_equal(signin_link_consume(db, "nope", T0, &r, why, sizeof why, &err), 0);
    sess_token_new(tok);
    assert_int_equal(signin_link_consume(db, tok, T0, &r, why, sizeof why, &err), 0);
    appdb_fx_close(&fx);
}

static void test_link_expiry(void **state)
{
    (void)state;
    struct appdb_fx fx;
    appdb_fx_open(&fx, "acct", NULL);
    sqlite3 *db = fx.db;
    struct mt_err err = MT_ERR_INIT;
    char tok[SESS_TOKEN_LEN + 1], tok2[SESS_TOKEN_LEN + 1], why[200];
    struct signin_result r;
    assert_int_equal(signin_link_create(db, SIGNIN_LOGIN, 0, "a@b.example", T0, tok, &err), 0);
    assert_int_equal(signin_link_create(db, SIGNIN_LOGIN, 0, "a@b.example", T0, tok2, &err), 0);
    /* the last second of the 15 minutes works; the first second after does not */
    assert_int_equal(signin_link_consume(db, tok, T0 + SIGNIN_LINK_TTL, &r, why, sizeof why, &err), 0);
    assert_int_equal(signin_link_consume(db, tok2, T0 + SIGNIN_LINK_TTL - 1, &r, why, sizeof why, &err), 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM users"), 1);
    assert_int_equal(signin_purge(db, T0 + SIGNIN_LINK_TTL + 86401, &err), 2);
    appdb_fx_close(&fx);
}

static void test_link_disabled(void **state)
{
    (void)state;
    struct appdb_fx fx;
    appdb_fx_open(&fx, "acct", NULL);
    sqlite3 *db = fx.db;
    struct mt_err err = MT_ERR_INIT;
    long long id;
    char tok[SESS_TOKEN_LEN + 1], why[200];
    struct signin_result r;
    assert_int_equal(users_create(db, "a@b.example", T0, &id, &err), 0);
    assert_int_equal(signin_link_create(db, SIGNIN_LOGIN, id, "a@b.example", T0, tok, &err), 0);
    assert_int_equal(users_set_disabled(db, id, true, T0, &err), 1);
    assert_int_equal(signin_link_consume(db, tok, T0 + 1, &r, why, sizeof why, &err), 0);
    assert_string_equal(why, "this account is disabled");
    /* and it stays used */
    assert_int_equal(users_set_disabled(db, id, false, T0, &err), 1);
    assert_int_equal(signin_link_consume(db, tok, T0 + 2, &r, why, sizeof why, &err), 0);
    appdb_fx_close(&fx);
}

static void test_email_change(void **state)
{
    (void)state;
    struct appdb_fx fx;
    appdb_fx_open(&fx, "acct", NULL);
    sqlite3 *db = fx.db;
    struct mt_err err = MT_ERR_INIT;
    long long a, b;
    char t1[SESS_TOKEN_LEN + 1], t2[SESS_TOKEN_LEN + 1], why[200];
    struct signin_result r;
    assert_int_equal(users_create(db, "a@b.example", T0, &a, &err), 0);
    assert_int_equal(users_create(db, "taken@b.example", T0, &b, &err), 0);
    assert_int_equal(signin_link_create(db, SIGNIN_EMAIL_CHANGE, a, "new@b.example", T0, t1, &err), 0);
    assert_int_equal(signin_link_create(db, SIGNIN_EMAIL_CHANGE, a, "taken@b.example", T0, t2, &err), 0);
    assert_int_equal(signin_link_consume(db, t1, T0 + 1, &r, why, sizeof why, &err), 1);
    assert_int_equal(r.purpose, SIGNIN_EMAIL_CHANGE);
    struct user u;
    assert_int_equal(users_by_id(db, a, &u, &err), 1);
    assert_string_equal(u.email, "new@b.example");
    assert_int_equal(signin_link_consume(db, t2, T0 + 2, &r, why, sizeof why, &err), 0);
    assert_string_equal(why, "that address now belongs to another account");
    assert_int_equal(users_by_id(db, a, &u, &err), 1);
    assert_string_equal(u.email, "new@b.example");
    appdb_fx_close(&fx);
}

static void test_password(void **state)
{
    (void)state;
    struct appdb_fx fx;
    appdb_fx_open(&fx, "acct", NULL);
    sqlite3 *db = fx.db;
    struct mt_err err = MT_ERR_INIT;
    long long id, got;
    assert_int_equal(users_create(db, "a@b.example", T0, &id, &err), 0);
    /* no password yet: nothing matches */
    assert_int_equal(users_verify_password(db, "a@b.example", "", &got, &err), 0);
    assert_int_equal(users_set_password(db, id, "short", &err), -1);
    assert_string_equal(err.msg, "password must be at least 12 characters");
    char longpw[200];
    memset(longpw, 'x', 129);
    longpw[129] = '\0';
    assert_int_equal(users_set_password(db, id, longpw, &err), -1);
    assert_int_equal(users_set_password(db, id, "correct horse battery", &err), 0);
    /* argon2id, t=2, m=19 MiB (19456 KiB) */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT password_hash FROM users", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *h = (const char *)sqlite3_column_text(st, 0);
    assert_non_null(strstr(h, "$argon2id$v=19$m=19456,t=2,"));
    assert_null(strstr(h, "correct horse"));
    sqlite3_finalize(st);
    assert_int_equal(users_verify_password(db, "a@b.example", "correct horse battery", &got, &err), 1);
    assert_int_equal(got, id);
    assert_int_equal(users_verify_password(db, "a@b.example", "correct horse batterx", &got, &err), 0);
    assert_int_equal(got, 0);
    assert_int_equal(users_verify_password(db, "nobody@b.example", "correct horse battery", &got, &err), 0);
    assert_int_equal(users_set_disabled(db, id, true, T0, &err), 1);
    assert_int_equal(users_verify_password(db, "a@b.example", "correct horse battery", &got, &err), 0);
    appdb_fx_close(&fx);
}

static void test_delete(void **state)
{
    (void)state;
    struct appdb_fx fx;
    appdb_fx_open(&fx, "acct", NULL);
    sqlite3 *db = fx.db;
    struct mt_err err = MT_ERR_INIT;
    long long id, other;
    char tok[SESS_TOKEN_LEN + 1], csrf[SESS_TOKEN_LEN + 1];
    assert_int_equal(users_create(db, "a@b.example", T0, &id, &err), 0);
    assert_int_equal(users_create(db, "c@d.example", T0, &other, &err), 0);
    assert_int_equal(sessions_create(db, id, "10.0.0.1", "ua", T0, tok, csrf, &err), 0);
    assert_int_equal(signin_link_create(db, SIGNIN_EMAIL_CHANGE, id, "z@b.example", T0, tok, &err), 0);
    assert_int_equal(audit_add(db, T0, id, "signin", "10.0.0.1", "link", &err), 0);
    assert_int_equal(audit_add(db, T0, other, "signin", "10.0.0.2", "link", &err), 0);
    struct watch_item w[2] = {{"BR", "production"}, {"WORLD", "ending_stocks"}};
    assert_int_equal(watchlist_replace(db, id, w, 2, &err), 0);
    assert_int_equal(appdb_exec(db,
                                "INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at) "
                                "VALUES (1, 'k', 'mk_abc', x'00', 1)",
                                &err), 0);
    struct users_deleted d;
    assert_int_equal(users_delete(db, id, T0 + 5, &d, &err), 1);
    assert_int_equal(d.sessions, 1);
    assert_int_equal(d.api_keys, 1);
    assert_int_equal(d.watchlist, 2);
    assert_int_equal(d.login_links, 1);
    assert_int_equal(d.audit_scrubbed, 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM users WHERE email = 'a@b.example'"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM sessions"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM api_keys"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM watchlist"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM login_tokens"), 0);
    /* the audit keeps the event, not the person: no user, no address, no detail */
    assert_int_equal(q_int(db, "SELECT count(*) FROM audit_log WHERE user_id IS NULL AND ip IS NULL "
                                  "AND detail IS NULL AND action = 'signin'"), 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM audit_log WHERE action = 'account_delete'"), 1);
    /* the other user is untouched */
    assert_int_equal(q_int(db, "SELECT count(*) FROM audit_log WHERE user_id = 2 AND ip = '10.0.0.2'"), 1);
    assert_int_equal(users_delete(db, id, T0 + 6, &d, &err), 0);
    appdb_fx_close(&fx);
}

static void test_prefs_watchlist(void **state)
{
    (void)state;
    struct appdb_fx fx;
    appdb_fx_open(&fx, "acct", NULL);
    sqlite3 *db = fx.db;
    struct mt_err err = MT_ERR_INIT;
    long long id;
    assert_int_equal(users_create(db, "a@b.example", T0, &id, &err), 0);
    struct prefs p;
    assert_int_equal(prefs_get(db, id, &p, &err), 0);
    assert_string_equal(p.units, "bags");
    assert_string_equal(p.theme, "system");
    assert_string_equal(p.default_country, "");
    struct prefs q = {"tonnes", "BR", "dark"};
    assert_int_equal(prefs_set(db, id, &q, &err), 0);
    assert_int_equal(prefs_get(db, id, &p, &err), 0);
    assert_string_equal(p.units, "tonnes");
    assert_string_equal(p.default_country, "BR");
    assert_string_equal(p.theme, "dark");
    struct prefs bad = {"kg", "", "dark"}; /* the table's CHECK is the second guard */
    assert_int_equal(prefs_set(db, id, &bad, &err), -1);
    struct watch_item w[3] = {{"VM", "exports"}, {"BR", "production"}, {"VM", "exports"}};
    assert_int_equal(watchlist_replace(db, id, w, 3, &err), 0);
    strbuf sb;
    sb_init(&sb);
    assert_int_equal(watchlist_json(db, id, &sb, &err), 0);
    assert_string_equal(sb.buf, "[{\"country\":\"BR\",\"metric\":\"production\"},{\"country\":\"VM\",\"metric\":\"exports\"}]");
    sb_free(&sb);
    assert_int_equal(watchlist_replace(db, id, w, USERS_WATCHLIST_MAX + 1, &err), -1);
    appdb_fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_single_use), cmocka_unit_test(test_link_expiry),
        cmocka_unit_test(test_link_disabled),   cmocka_unit_test(test_email_change),
        cmocka_unit_test(test_password),        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_prefs_watchlist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
