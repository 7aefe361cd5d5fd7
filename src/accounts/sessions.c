/* sessions.c — see sessions.h. */
#include "accounts/sessions.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "accounts/sqlite_util.h"

void sess_token_new(char out[SESS_TOKEN_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, SESS_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

void sess_token_hash(const char *token, unsigned char out[32])
{
    crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

bool sess_token_wellformed(const char *token)
{
    if (!token || strlen(token) != SESS_TOKEN_LEN) return false;
    for (const char *p = token; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

int sessions_create(sqlite3 *db, long long user_id, const char *ip, const char *user_agent,
                    long long now, char token[SESS_TOKEN_LEN + 1],
                    char csrf[SESS_TOKEN_LEN + 1], struct mt_err *err)
{
    unsigned char h[32];
    sess_token_new(token);
    sess_token_new(csrf);
    sess_token_hash(token, h);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, "
                           "last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, substr(?, 1, 200))",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlu_fail(db, "sessions", "create", err);
    sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_text(st, 3, csrf, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, now);
    if (ip) sqlite3_bind_text(st, 6, ip, -1, SQLITE_TRANSIENT);
    if (user_agent) sqlite3_bind_text(st, 7, user_agent, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        token[0] = csrf[0] = '\0';
        return sqlu_fail(db, "sessions", "create", err);
    }
    return 0;
}

int sessions_lookup(sqlite3 *db, const char *token, long long now, const struct sess_limits *lim,
                    struct sess_info *out, struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    if (!sess_token_wellformed(token)) return 0;
    unsigned char h[32];
    sess_token_hash(token, h);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.user_id, s.csrf_token, s.created_at, s.last_seen_at, u.email, "
                           "u.plan, u.created_at, u.disabled_at FROM sessions s JOIN users u "
                           "ON u.id = s.user_id WHERE s.token_hash = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlu_fail(db, "sessions", "lookup", err);
    sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return sqlu_fail(db, "sessions", "lookup", err);
    }
    out->user_id = sqlite3_column_int64(st, 0);
    sqlu_copy_col(out->csrf_token, sizeof out->csrf_token, st, 1);
    out->created_at = sqlite3_column_int64(st, 2);
    long long seen = sqlite3_column_int64(st, 3);
    sqlu_copy_col(out->email, sizeof out->email, st, 4);
    sqlu_copy_col(out->plan, sizeof out->plan, st, 5);
    out->user_created_at = sqlite3_column_int64(st, 6);
    bool disabled = sqlite3_column_type(st, 7) != SQLITE_NULL;
    sqlite3_finalize(st);
    memcpy(out->token_hash, h, 32);
    bool expired = now - seen >= lim->idle_s || now - out->created_at >= lim->max_s;
    if (expired) {
        if (sessions_revoke(db, h, err) < 0) return -1;
    }
    if (expired || disabled) {
        memset(out, 0, sizeof *out);
        return 0;
    }
    if (now - seen >= SESS_TOUCH_S) {
        if (sqlite3_prepare_v2(db, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", -1,
                               &st, NULL) != SQLITE_OK)
            return sqlu_fail(db, "sessions", "touch", err);
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_blob(st, 2, h, 32, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return sqlu_fail(db, "sessions", "touch", err);
    }
    return 1;
}

int sessions_revoke(sqlite3 *db, const unsigned char hash[32], struct mt_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM sessions WHERE token_hash = ?", -1, &st, NULL) != SQLITE_OK)
        return sqlu_fail(db, "sessions", "revoke", err);
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sqlu_fail(db, "sessions", "revoke", err);
}

int sessions_revoke_user(sqlite3 *db, long long user_id, struct mt_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM sessions WHERE user_id = ?", -1, &st, NULL) != SQLITE_OK)
        return sqlu_fail(db, "sessions", "revoke all", err);
    sqlite3_bind_int64(st, 1, user_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? sqlite3_changes(db) : sqlu_fail(db, "sessions", "revoke all", err);
}

int sessions_purge(sqlite3 *db, long long now, const struct sess_limits *lim, struct mt_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?", -1,
                           &st, NULL) != SQLITE_OK)
        return sqlu_fail(db, "sessions", "purge", err);
    sqlite3_bind_int64(st, 1, now - lim->idle_s);
    sqlite3_bind_int64(st, 2, now - lim->max_s);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? sqlite3_changes(db) : sqlu_fail(db, "sessions", "purge", err);
}
