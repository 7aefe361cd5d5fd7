/* test_sessions.c — sessions and tokens (src/accounts/sessions.h): the token's shape and
 * randomness, only the SHA-256 stored, idle and absolute expiry on a fake clock (an expired
 * session is deleted when seen), the idle clock refreshed by use, a disabled user's session
 * refused, sign out and sign out everywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "accounts/sessions.h"
#include "accounts/users.h"
#include "appdb_fixture.h"

static const struct sess_limits LIM = {3600, 86400}; /* idle 1 h, absolute 1 day */
#define T0 1700000000LL

static long long mkuser(sqlite3 *db, const char *email)
{
    long long id;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(users_create(db, email, T0, &id, &err), 0);
    return id;
}

static void test_tokens(void **state)
{
    (void)state;
    char a[SESS_TOKEN_LEN + 1], b[SESS_TOKEN_LEN + 1];
    sess_token_new(a);
    sess_token_new(b);
    assert_int_equal(strlen(a), 43);
    assert_true(sess_token_wellformed(a));
    assert_string_not_equal(a, b);
    assert_false(sess_token_wellformed("short"));
    assert_false(sess_token_wellformed(NULL));
    char bad[SESS_TOKEN_LEN + 1];
    memcpy(bad, a, sizeof bad);
    bad[5] = '=';
    assert_false(sess_token_wellformed(bad));
}

static void test_create_lookup_hashed(void **state)
{
    (void)state;
    struct appdb_fx fx;
    appdb_fx_open(&fx, "acct", NULL);
    sqlite3 *db = fx.db;
    struct mt_err err = MT_ERR_INIT;
    long long uid = mkuser(db, "a@b.example");
    char tok[SESS_TOKEN_LEN + 1], csrf[SESS_TOKEN_LEN + 1];
    assert_int_equal(sessions_create(db, uid, "127.0.0.1", "test-agent", T0, tok, csrf, &err), 0);
    assert_true(sess_token_wellformed(csrf));
    /* the table holds the hash, never the token */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT token_hash FROM sessions", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    unsigned char h[32];
    sess_token_hash(tok, h);
    assert_int_equal(sqlite3_column_bytes(st, 0), 32);
    assert_memory_equal(sqlite3_column_blob(st, 0), h, 32);
    sqlite3_finalize(st);
    struct sess_info si;
    assert_int_equal(sessions_lookup(db, tok, T0 + 10, &LIM, &si, &err), 1);
    assert_int_equal(si.user_id, uid);
    assert_string_equal(si.email, "a@b.example");
    assert_string_equal(si.plan, "free");
    assert_string_equal(si.csrf_token, csrf);
    /* a token one character off finds nothing */
    tok[0] = tok[0] == 'A' ? 'B' : 'A';
    assert_int_equal(sessions_lookup(db, tok, T0 + 10, &LIM, &si, &err), 0);
    appdb_fx_close(&fx);
}

static void test_idle_expiry_and_touch(void **state)
{
    (void)state;
    struct appdb_fx fx;
    appdb_fx_open(&fx, "acct", NULL);
    sqlite3 *db = fx.db;
    struct mt_err err = MT_ERR_INIT;
    long long uid = mkuser(db, "a@b.example");
    char tok[SESS_TOKEN_LEN + 1], csrf[SESS_TOKEN_LEN + 1];
    struct sess_info si;
    assert_int_equal(sessions_create(db, uid, NULL, NULL, T0, tok, csrf, &err), 0);
    /* used every 50 minutes: alive after 3 h 20 (the idle clock moves with use) */
    for (int i = 1; i <= 4; i++) assert_int_equal(sessions_lookup(db, tok, T0 + i * 3000, &LIM, &si, &err), 1);
    /* then idle for an hour: gone, and deleted */
    assert_int_equal(sessions_lookup(db, tok, T0 + 4 * 3000 + 3600, &LIM, &si, &err), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM sessions"), 0);
    appdb_fx_close(&fx);
}

static void test_absolute_expiry(void **state)
{
    (void)state;
    struct appdb_fx fx;
    appdb_fx_open(&fx, "acct", NULL);
    sqlite3 *db = fx.db;
    struct mt_err err = MT_ERR_INIT;
    long long uid = mkuser(db, "a@b.example");
    char tok[SESS_TOKEN_LEN + 1], csrf[SESS_TOKEN_LEN + 1];
    struct sess_info si;
    assert_int_equal(sessions_create(db, uid, NULL, NULL, T0, tok, csrf, &err), 0);
    long long t = T0;
    while (t + 1800 < T0 + 86400) {
        t += 1800;
        assert_int_equal(sessions_lookup(db, tok, t, &LIM, &si, &err), 1);
    }
    /* never idle, but a day old */
    assert_int_equal(sessions_lookup(db, tok, T0 + 86400, &LIM, &si, &err), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM sessions"), 0);
    appdb_fx_close(&fx);
}

static void test_disabled_and_revoke(void **state)
{
    (void)state;
    struct appdb_fx fx;
    appdb_fx_open(&fx, "acct", NULL);
    sqlite3 *db = fx.db;
    struct mt_err err = MT_ERR_INIT;
    long long uid = mkuser(db, "a@b.example"), other = mkuser(db, "c@d.example");
    char t1[SESS_TOKEN_LEN + 1], t2[SESS_TOKEN_LEN + 1], t3[SESS_TOKEN_LEN + 1], csrf[SESS_TOKEN_LEN + 1];
    struct sess_info si;
    assert_int_equal(sessions_create(db, uid, NULL, NULL, T0, t1, csrf, &err), 0);
    assert_int_equal(sessions_create(db, uid, NULL, NULL, T0, t2, csrf, &err), 0);
    assert_int_equal(sessions_create(db, other, NULL, NULL, T0, t3, csrf, &err), 0);
    /* sign out: that session only */
    assert_int_equal(sessions_lookup(db, t1, T0 + 1, &LIM, &si, &err), 1);
    assert_int_equal(sessions_revoke(db, si.token_hash, &err), 0);
    assert_int_equal(sessions_lookup(db, t1, T0 + 2, &LIM, &si, &err), 0);
    assert_int_equal(sessions_lookup(db, t2, T0 + 2, &LIM, &si, &err), 1);
    /* disabled: refused while disabled */
    assert_int_equal(users_set_disabled(db, uid, true, T0 + 3, &err), 1);
    assert_int_equal(sessions_lookup(db, t2, T0 + 4, &LIM, &si, &err), 0);
    assert_int_equal(users_set_disabled(db, uid, false, T0 + 5, &err), 1);
    assert_int_equal(sessions_lookup(db, t2, T0 + 6, &LIM, &si, &err), 1);
    /* everywhere: every session of the user, nobody else's */
    assert_int_equal(sessions_revoke_user(db, uid, &err), 1);
    assert_int_equal(sessions_lookup(db, t2, T0 + 7, &LIM, &si, &err), 0);
    assert_int_equal(sessions_lookup(db, t3, T0 + 7, &LIM, &si, &err), 1);
    /* purge */
    assert_int_equal(sessions_purge(db, T0 + 7 + 3600, &LIM, &err), 1);
    appdb_fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_create_lookup_hashed),
        cmocka_unit_test(test_idle_expiry_and_touch),
        cmocka_unit_test(test_absolute_expiry),
        cmocka_unit_test(test_disabled_and_revoke),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
