/* apikeys.c — see apikeys.h.
 *
 * The limit check and the insert run in one IMMEDIATE transaction, so two creations racing
 * on two web workers cannot both pass a count of 9. The prefix column is UNIQUE: two keys
 * sharing their first 9 random characters (2^-54 per pair) make the insert fail, and a
 * fresh key is drawn (a few times at most, then the error is reported). */
#include "accounts/apikeys.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/sqlite_util.h"
#include "util/log.h"
#include "util/strbuf.h"

/* A name: trimmed, 1..APIKEY_NAME_MAX bytes, valid UTF-8 (libsodium has no validator;
 * this is the RFC 3629 shape: no overlongs, no surrogates, nothing above U+10FFFF), no
 * control characters (it is shown in a list and written to nowhere else). */
static int clean_name(const char *in, char out[APIKEY_NAME_MAX + 1], struct mt_err *err)
{
    if (!in) return mt_err_set(err, MT_ERR_FORMAT, "the key needs a name");
    while (*in == ' ' || *in == '\t') in++;
    size_t n = strlen(in);
    while (n && (in[n - 1] == ' ' || in[n - 1] == '\t')) n--;
    if (n == 0) return mt_err_set(err, MT_ERR_FORMAT, "the key needs a name");
    if (n > APIKEY_NAME_MAX) return mt_err_set(err, MT_ERR_FORMAT, "a key name has at most %d bytes", APIKEY_NAME_MAX);
    const unsigned char *s = (const unsigned char *)in;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (c < 0x20 || c == 0x7F) return mt_err_set(err, MT_ERR_FORMAT, "a key name cannot hold control characters");
        if (len == 0 || i + len > n) return mt_err_set(err, MT_ERR_FORMAT, "a key name must be UTF-8 text");
        unsigned cp = len == 1 ? c : c & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return mt_err_set(err, MT_ERR_FORMAT, "a key name must be UTF-8 text");
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp < 0xA0))
            return mt_err_set(err, MT_ERR_FORMAT, "a key name must be UTF-8 text");
        i += len;
    }
    memcpy(out, in, n);
    out[n] = '\0';
    return 0;
}

static bool key_shape_ok(const char *key)
{
    if (!key || strncmp(key, "mk_", 3) != 0 || strlen(key) != APIKEY_LEN) return false;
    for (const char *c = key + 3; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
              *c == '_'))
            return false;
    return true;
}

static void new_key(char key[APIKEY_BUF])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(key, "mk_", 3);
    sodium_bin2base64(key + 3, APIKEY_BUF - 3, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

static long long live_count(sqlite3 *db, long long uid, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM api_keys WHERE user_id = ? AND revoked_at IS NULL", -1, &st,
                           NULL) != SQLITE_OK)
        return sqlu_fail(db, "api keys", "count", err);
    sqlite3_bind_int64(st, 1, uid);
    long long n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (n < 0) return sqlu_fail(db, "api keys", "count", err);
    return n;
}

/* Inserts one freshly drawn key: 0, 1 when its prefix (or hash) collided, -1 with err. */
static int insert_key(sqlite3 *db, long long uid, const char *name, long long now, struct apikey_info *info,
                      char key[APIKEY_BUF], struct mt_err *err)
{
    new_key(key);
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, (const unsigned char *)key, APIKEY_LEN);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlu_fail(db, "api keys", "insert", err);
    sqlite3_bind_int64(st, 1, uid);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, key, APIKEY_PREFIX_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 4, hash, sizeof hash, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT_UNIQUE) return 1;
    if (rc != SQLITE_DONE) return sqlu_fail(db, "api keys", "insert", err);
    memset(info, 0, sizeof *info);
    info->id = sqlite3_last_insert_rowid(db);
    snprintf(info->name, sizeof info->name, "%s", name);
    memcpy(info->prefix, key, APIKEY_PREFIX_LEN);
    info->prefix[APIKEY_PREFIX_LEN] = '\0';
    info->created_at = now;
    return 0;
}

int apikey_create(sqlite3 *db, long long user_id, const char *name, long long now, struct apikey_info *info,
                  char key_out[APIKEY_BUF], struct mt_err *err)
{
    char clean[APIKEY_NAME_MAX + 1];
    key_out[0] = '\0';
    if (clean_name(name, clean, err) < 0) return -1;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sqlu_fail(db, "api keys", "begin", err);
    int rc = -1;
    long long n = live_count(db, user_id, err);
    if (n >= APIKEY_MAX_PER_USER) {
        mt_errf(err, "at most %d API keys per account: revoke one first", APIKEY_MAX_PER_USER);
    } else if (n >= 0) {
        for (int tries = 0; tries < 4; tries++) {
            rc = insert_key(db, user_id, clean, now, info, key_out, err);
            if (rc != 1) break;
        }
        if (rc == 1) rc = mt_err_set(err, MT_ERR_DB, "api keys: could not draw a unique key");
    }
    if (sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK && rc == 0) {
        rc = sqlu_fail(db, "api keys", "commit", err);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    if (rc != 0) {
        sodium_memzero(key_out, APIKEY_BUF);
        return -1;
    }
    return 0;
}

int apikey_list(sqlite3 *db, long long user_id, struct apikey_info **out, size_t *n, struct mt_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT id, name, prefix, created_at, coalesce(last_used_at, 0), "
                               "coalesce(revoked_at, 0) FROM api_keys WHERE user_id = ? ORDER BY id DESC",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlu_fail(db, "api keys", "list", err);
    sqlite3_bind_int64(st, 1, user_id);
    size_t cap = 0;
    struct apikey_info *v = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            v = xrealloc(v, cap * sizeof *v);
        }
        struct apikey_info *k = &v[(*n)++];
        memset(k, 0, sizeof *k);
        k->id = sqlite3_column_int64(st, 0);
        sqlu_copy_col(k->name, sizeof k->name, st, 1);
        sqlu_copy_col(k->prefix, sizeof k->prefix, st, 2);
        k->created_at = sqlite3_column_int64(st, 3);
        k->last_used_at = sqlite3_column_int64(st, 4);
        k->revoked_at = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        *n = 0;
        return sqlu_fail(db, "api keys", "list", err);
    }
    *out = v;
    return 0;
}

int apikey_revoke(sqlite3 *db, long long user_id, long long key_id, long long now, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?3) WHERE id = ?1 AND user_id = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlu_fail(db, "api keys", "revoke", err);
    sqlite3_bind_int64(st, 1, key_id);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_int64(st, 3, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sqlu_fail(db, "api keys", "revoke", err);
    return sqlite3_changes(db) > 0 ? 1 : 0;
}

/* The verify query runs on every keyed API request, and preparing it costs more than
 * running it (~35 of ~55 us): it is prepared once per connection (SQLITE_PREPARE_PERSISTENT)
 * and found again among the connection's statements by its text. A connection is used by
 * one thread at a time, so is its statement; appdb_close finalizes it with the connection. */
#define VERIFY_SQL                                                                                                \
    "SELECT k.id, k.user_id, u.plan, coalesce(k.last_used_at, 0) FROM api_keys k JOIN users u ON u.id = k.user_id " \
    "WHERE k.key_hash = ?1 AND k.revoked_at IS NULL AND u.disabled_at IS NULL /* apikey_verify */"

static sqlite3_stmt *verify_stmt(sqlite3 *db)
{
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
        if (strcmp(sqlite3_sql(st), VERIFY_SQL) == 0 && !sqlite3_stmt_busy(st)) return st;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db, VERIFY_SQL, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) return NULL;
    return st;
}

int apikey_verify(sqlite3 *db, const char *key, long long now, struct apikey_auth *out, struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    if (!key_shape_ok(key)) return 0;
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, (const unsigned char *)key, APIKEY_LEN);
    sqlite3_stmt *st = verify_stmt(db);
    if (!st) return sqlu_fail(db, "api keys", "verify", err);
    sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    long long last = 0;
    if (rc == SQLITE_ROW) {
        out->key_id = sqlite3_column_int64(st, 0);
        out->user_id = sqlite3_column_int64(st, 1);
        sqlu_copy_col(out->plan, sizeof out->plan, st, 2);
        last = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st); /* kept prepared for the next request on this connection */
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlu_fail(db, "api keys", "verify", err);
    if (rc == SQLITE_DONE) return 0;
    /* Only when a minute has passed: an UPDATE that matches no row still takes SQLite's
     * write lock, so the time test is made here and not in its WHERE alone. The WHERE
     * repeats it so two workers racing write once. */
    if (last == 0 || now - last >= APIKEY_TOUCH_EVERY) {
        /* A failed write here (the database busy past its timeout) is logged, not fatal:
         * the key is valid, and a missed last_used_at is retried on the next use. */
        rc = sqlite3_prepare_v2(db, "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND "
                                    "(last_used_at IS NULL OR last_used_at <= ?2 - ?3)",
                                -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, out->key_id);
            sqlite3_bind_int64(st, 2, now);
            sqlite3_bind_int(st, 3, APIKEY_TOUCH_EVERY);
            rc = sqlite3_step(st);
            sqlite3_finalize(st);
        }
        if (rc != SQLITE_DONE) log_warn("api keys: key %lld: last_used_at not written: %s", out->key_id, sqlite3_errmsg(db));
    }
    return 1;
}
