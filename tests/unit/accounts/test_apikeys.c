/* test_apikeys.c — API keys (src/accounts/apikeys.h): a created key has the documented
 * shape, is stored only as its SHA-256 and prefix, verifies with the user's plan; unknown,
 * malformed, revoked keys and keys of disabled users do not; revoking is per user;
 * last_used_at is written at most once a minute; the per-user limit counts live keys only;
 * names are checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/apikeys.h"
#include "accounts/appdb.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/strbuf.h"

#include "appdb_fixture.h"

struct fx {
    struct appdb_fx a;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    appdb_fx_open(&f->a, "apikeys", "INSERT INTO users (id, email, created_at, plan) VALUES "
                                     "(1, 'a@example.com', 1, 'free'), (2, 'b@example.com', 1, 'pro')");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    appdb_fx_close(&f->a);
    free(f);
    return 0;
}

static long long create(struct fx *f, long long uid, const char *name, char key[APIKEY_BUF])
{
    struct apikey_info info;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(apikey_create(f->a.db, uid, name, 1000, &info, key, &err), 0);
    return info.id;
}

static void test_create_shape_and_storage(void **state)
{
    struct fx *f = *state;
    char key[APIKEY_BUF];
    struct apikey_info info;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(apikey_create(f->a.db, 1, "  laptop  ", 1000, &info, key, &err), 0);
    assert_int_equal(strlen(key), APIKEY_LEN);
    assert_memory_equal(key, "mk_", 3);
    assert_int_equal(strspn(key + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), APIKEY_LEN - 3);
    assert_string_equal(info.name, "laptop");
    assert_int_equal(strncmp(info.prefix, key, APIKEY_PREFIX_LEN), 0);
    assert_int_equal(strlen(info.prefix), APIKEY_PREFIX_LEN);
    assert_int_equal(info.created_at, 1000);
    /* at rest: the SHA-256 and the prefix, the key itself nowhere */
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)key, APIKEY_LEN);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(f->a.db, "SELECT key_hash, prefix FROM api_keys WHERE id = ?", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, info.id);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(st, 0), 32);
    assert_memory_equal(sqlite3_column_blob(st, 0), h, 32);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), info.prefix);
    sqlite3_finalize(st);
    char *like = xasprintf("SELECT count(*) FROM api_keys WHERE instr(name || prefix, '%s') > 0", key + APIKEY_PREFIX_LEN);
    assert_int_equal(q_int(f->a.db, like), 0);
    free(like);
    /* two keys differ */
    char key2[APIKEY_BUF];
    create(f, 1, "second", key2);
    assert_string_not_equal(key, key2);
}

static void test_verify_live_key_with_plan(void **state)
{
    struct fx *f = *state;
    char k1[APIKEY_BUF], k2[APIKEY_BUF];
    long long id1 = create(f, 1, "a", k1), id2 = create(f, 2, "b", k2);
    struct apikey_auth a;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(apikey_verify(f->a.db, k1, 2000, &a, &err), 1);
    assert_int_equal(a.key_id, id1);
    assert_int_equal(a.user_id, 1);
    assert_string_equal(a.plan, "free");
    assert_int_equal(apikey_verify(f->a.db, k2, 2000, &a, &err), 1);
    assert_int_equal(a.key_id, id2);
    assert_string_equal(a.plan, "pro");
}

static void test_unknown_and_malformed_keys_do_not_verify(void **state)
{
    struct fx *f = *state;
    char k[APIKEY_BUF];
    create(f, 1, "a", k);
    struct apikey_auth a;
    struct mt_err err = MT_ERR_INIT;
    char other[APIKEY_BUF];
    memcpy(other, k, sizeof other);
    other[APIKEY_LEN - 1] = other[APIKEY_LEN - 1] == 'A' ? 'B' : 'A'; /* one character off */
    const char *bad[] = {other, "", "mk_", "mk_short", "Bearer x", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(apikey_verify(f->a.db, bad[i], 2000, &a, &err), 0);
        assert_int_equal(a.user_id, 0);
    }
    char longer[APIKEY_BUF + 1];
    snprintf(longer, sizeof longer, "%sx", k);
    assert_int_equal(apikey_verify(f->a.db, longer, 2000, &a, &err), 0);
    char badchar[APIKEY_BUF];
    memcpy(badchar, k, sizeof badchar);
    badchar[10] = '+';
    assert_int_equal(apikey_verify(f->a.db, badchar, 2000, &a, &err), 0);
}

static void test_revoke_is_per_user_and_final(void **state)
{
    struct fx *f = *state;
    char k[APIKEY_BUF];
    long long id = create(f, 1, "a", k);
    struct apikey_auth a;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(apikey_revoke(f->a.db, 2, id, 3000, &err), 0); /* not user 2's key */
    assert_int_equal(apikey_verify(f->a.db, k, 3000, &a, &err), 1);
    assert_int_equal(apikey_revoke(f->a.db, 1, id, 3000, &err), 1);
    assert_int_equal(apikey_verify(f->a.db, k, 3001, &a, &err), 0);
    assert_int_equal(apikey_revoke(f->a.db, 1, id, 4000, &err), 1); /* again: kept at 3000 */
    assert_int_equal(apikey_revoke(f->a.db, 1, 999, 4000, &err), 0);
    struct apikey_info *v;
    size_t n;
    assert_int_equal(apikey_list(f->a.db, 1, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].revoked_at, 3000);
    free(v);
}

static void test_disabled_or_deleted_user_keys_do_not_verify(void **state)
{
    struct fx *f = *state;
    char k1[APIKEY_BUF], k2[APIKEY_BUF];
    create(f, 1, "a", k1);
    create(f, 2, "b", k2);
    struct apikey_auth a;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(appdb_exec(f->a.db, "UPDATE users SET disabled_at = 5 WHERE id = 1", &err), 0);
    assert_int_equal(apikey_verify(f->a.db, k1, 2000, &a, &err), 0);
    assert_int_equal(appdb_exec(f->a.db, "DELETE FROM users WHERE id = 2", &err), 0);
    assert_int_equal(apikey_verify(f->a.db, k2, 2000, &a, &err), 0);
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM api_keys WHERE user_id = 2"), 0);
}

static void test_last_used_written_at_most_once_a_minute(void **state)
{
    struct fx *f = *state;
    char k[APIKEY_BUF];
    create(f, 1, "a", k);
    struct apikey_auth a;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(q_int(f->a.db, "SELECT last_used_at IS NULL FROM api_keys"), 1);
    assert_int_equal(apikey_verify(f->a.db, k, 2000, &a, &err), 1);
    assert_int_equal(q_int(f->a.db, "SELECT last_used_at FROM api_keys"), 2000);
    int before = sqlite3_total_changes(f->a.db);
    assert_int_equal(apikey_verify(f->a.db, k, 2030, &a, &err), 1);
    assert_int_equal(apikey_verify(f->a.db, k, 2059, &a, &err), 1);
    assert_int_equal(sqlite3_total_changes(f->a.db), before); /* no write at all within the minute */
    assert_int_equal(q_int(f->a.db, "SELECT last_used_at FROM api_keys"), 2000);
    assert_int_equal(apikey_verify(f->a.db, k, 2060, &a, &err), 1);
    assert_int_equal(q_int(f->a.db, "SELECT last_used_at FROM api_keys"), 2060);
}

static void test_limit_counts_live_keys(void **state)
{
    struct fx *f = *state;
    char k[APIKEY_BUF];
    long long first = 0;
    for (int i = 0; i < APIKEY_MAX_PER_USER; i++) {
        long long id = create(f, 1, "k", k);
        if (i == 0) first = id;
    }
    struct apikey_info info;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(apikey_create(f->a.db, 1, "one more", 1000, &info, k, &err), -1);
    assert_int_equal(err.code, MT_ERR_FAIL);
    assert_non_null(strstr(err.msg, "at most 10"));
    assert_string_equal(k, "");
    create(f, 2, "other user", k); /* the limit is per user */
    assert_int_equal(apikey_revoke(f->a.db, 1, first, 1000, &err), 1);
    create(f, 1, "after a revoke", k);
    struct apikey_info *v;
    size_t n;
    assert_int_equal(apikey_list(f->a.db, 1, &v, &n, &err), 0);
    assert_int_equal(n, APIKEY_MAX_PER_USER + 1);
    assert_string_equal(v[0].name, "after a revoke"); /* newest first */
    assert_true(v[0].id > v[1].id);
    free(v);
    assert_int_equal(apikey_list(f->a.db, 3, &v, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(v);
}

static void test_names_are_checked(void **state)
{
    struct fx *f = *state;
    char k[APIKEY_BUF];
    struct apikey_info info;
    char long_name[APIKEY_NAME_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    const char *bad[] = {NULL, "", "   ", "tab\tinside", "new\nline", "\xff\xfe", "\xc0\xaf", "\xed\xa0\x80",
                         "cut \xe2\x82", long_name};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mt_err err = MT_ERR_INIT;
        assert_int_equal(apikey_create(f->a.db, 1, bad[i], 1000, &info, k, &err), -1);
        assert_int_equal(err.code, MT_ERR_FORMAT);
    }
    assert_int_equal(q_int(f->a.db, "SELECT count(*) FROM api_keys"), 0);
    create(f, 1, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", k); /* UTF-8 is fine */
    long_name[APIKEY_NAME_MAX] = '\0';
    create(f, 1, long_name, k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_shape_and_storage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_live_key_with_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_malformed_keys_do_not_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_is_per_user_and_final, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disabled_or_deleted_user_keys_do_not_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_used_written_at_most_once_a_minute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_counts_live_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_are_checked, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
