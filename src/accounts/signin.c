/* signin.c — see signin.h. */
#include "accounts/signin.h"

#include <stdio.h>
#include <string.h>

#include "accounts/sqlite_util.h"
#include "accounts/users.h"

int signin_link_create(sqlite3 *db, enum signin_purpose purpose, long long user_id, const char *email,
                       long long now, char token[SESS_TOKEN_LEN + 1], struct mt_err *err)
{
    unsigned char h[32];
    sess_token_new(token);
    sess_token_hash(token, h);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO login_tokens (token_hash, purpose, user_id, email, created_at, "
                           "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlu_fail(db, "signin", "create link", err);
    sqlite3_bind_blob(st, 1, h, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, purpose == SIGNIN_LOGIN ? "signin" : "email_change", -1, SQLITE_STATIC);
    if (user_id > 0) sqlite3_bind_int64(st, 3, user_id);
    sqlite3_bind_text(st, 4, email, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int64(st, 6, now + SIGNIN_LINK_TTL);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        token[0] = '\0';
        return sqlu_fail(db, "signin", "create link", err);
    }
    return 0;
}

/* Marks the link used if it is still usable; 1 with its row, 0 when not, -1. */
static int take_link(sqlite3 *db, const unsigned char h[32], long long now, char *purpose, size_t plen,
                     long long *user_id, char *email, size_t elen, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "UPDATE login_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL "
                           "AND expires_at > ? RETURNING purpose, coalesce(user_id, 0), email",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlu_fail(db, "signin", "consume link", err);
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_blob(st, 2, h, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        sqlu_copy_col(purpose, plen, st, 0);
        *user_id = sqlite3_column_int64(st, 1);
        sqlu_copy_col(email, elen, st, 2);
        rc = sqlite3_step(st); /* RETURNING: the UPDATE completes on the next step */
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 1 : sqlu_fail(db, "signin", "consume link", err);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sqlu_fail(db, "signin", "consume link", err);
}

int signin_link_consume(sqlite3 *db, const char *token, long long now, struct signin_result *out,
                        char *why, size_t whylen, struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    const char *invalid = "this link is not valid: it may have expired (links last 15 minutes) or "
                          "been used already; ask for a new one";
    if (!sess_token_wellformed(token)) {
        snprintf(why, whylen, "%s", invalid);
        return 0;
    }
    unsigned char h[32];
    sess_token_hash(token, h);
    if (users_tx_begin(db, err) < 0) return -1;
    char purpose[16];
    long long uid = 0;
    int rc = take_link(db, h, now, purpose, sizeof purpose, &uid, out->email, sizeof out->email, err);
    if (rc <= 0) {
        if (rc == 0) snprintf(why, whylen, "%s", invalid);
        users_tx_rollback(db);
        return rc;
    }
    struct user u;
    if (!strcmp(purpose, "signin")) {
        out->purpose = SIGNIN_LOGIN;
        rc = users_by_email(db, out->email, &u, err);
        if (rc < 0) goto fail;
        if (rc == 0) {
            if (users_create(db, out->email, now, &out->user_id, err) < 0) goto fail;
            out->created = 1;
        } else {
            out->user_id = u.id;
            if (u.disabled_at) {
                /* the link stays used: a disabled account gets nothing from it */
                if (users_tx_commit(db, err) < 0) return -1;
                snprintf(why, whylen, "this account is disabled");
                return 0;
            }
        }
    } else {
        out->purpose = SIGNIN_EMAIL_CHANGE;
        rc = users_by_id(db, uid, &u, err);
        if (rc < 0) goto fail;
        if (rc == 0 || u.disabled_at) {
            if (users_tx_commit(db, err) < 0) return -1;
            snprintf(why, whylen, "%s", rc == 0 ? invalid : "this account is disabled");
            return 0;
        }
        rc = users_set_email(db, uid, out->email, err);
        if (rc < 0) goto fail;
        if (rc == 0) {
            if (users_tx_commit(db, err) < 0) return -1;
            snprintf(why, whylen, "that address now belongs to another account");
            return 0;
        }
        out->user_id = uid;
    }
    if (users_tx_commit(db, err) < 0) return -1;
    return 1;
fail:
    users_tx_rollback(db);
    return -1;
}

int signin_purge(sqlite3 *db, long long now, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "DELETE FROM login_tokens WHERE expires_at < ?", -1, &st, NULL) != SQLITE_OK)
        return sqlu_fail(db, "signin", "purge", err);
    sqlite3_bind_int64(st, 1, now - 86400);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? sqlite3_changes(db) : sqlu_fail(db, "signin", "purge", err);
}
