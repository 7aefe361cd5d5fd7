/* users.c — see users.h. */
#include "accounts/users.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "accounts/audit.h"
#include "accounts/billing.h"
#include "accounts/sqlite_util.h"

int users_tx_begin(sqlite3 *db, struct mt_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
        mt_err_set(err, MT_ERR_DB, "users: begin: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int users_tx_commit(sqlite3 *db, struct mt_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
        mt_err_set(err, MT_ERR_DB, "users: commit: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        users_tx_rollback(db);
        return -1;
    }
    return 0;
}

void users_tx_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

#define USER_COLS "id, email, plan, created_at, coalesce(disabled_at, 0), password_hash IS NOT NULL"

static int read_user(sqlite3 *db, sqlite3_stmt *st, struct user *u, struct mt_err *err)
{
    memset(u, 0, sizeof *u);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        u->id = sqlite3_column_int64(st, 0);
        sqlu_copy_col(u->email, sizeof u->email, st, 1);
        sqlu_copy_col(u->plan, sizeof u->plan, st, 2);
        u->created_at = sqlite3_column_int64(st, 3);
        u->disabled_at = sqlite3_column_int64(st, 4);
        u->has_password = sqlite3_column_int(st, 5) != 0;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    return sqlu_fail(db, "users", "read user", err);
}

int users_by_email(sqlite3 *db, const char *email, struct user *u, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users", "SELECT " USER_COLS " FROM users WHERE email = ?", &st, err) < 0) return -1;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
    return read_user(db, st, u, err);
}

int users_by_id(sqlite3 *db, long long id, struct user *u, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users", "SELECT " USER_COLS " FROM users WHERE id = ?", &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, id);
    return read_user(db, st, u, err);
}

int users_create(sqlite3 *db, const char *email, long long now, long long *id, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users", "INSERT INTO users (email, created_at) VALUES (?, ?)", &st, err) < 0) return -1;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    if (sqlu_step_done(db, "users", st, "create", err) < 0) return -1;
    *id = sqlite3_last_insert_rowid(db);
    return 0;
}

int users_password_ok(const char *password, struct mt_err *err)
{
    size_t n = password ? strlen(password) : 0;
    if (n < USERS_PASSWORD_MIN)
        return mt_errf(err, "password must be at least %d characters", USERS_PASSWORD_MIN);
    if (n > USERS_PASSWORD_MAX)
        return mt_errf(err, "password must be at most %d characters", USERS_PASSWORD_MAX);
    return 0;
}

int users_set_password(sqlite3 *db, long long id, const char *password, struct mt_err *err)
{
    if (users_password_ok(password, err) < 0) return -1;
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(hash, password, strlen(password), USERS_PWHASH_OPSLIMIT,
                              USERS_PWHASH_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return mt_errf(err, "users: cannot hash the password (out of memory)");
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users", "UPDATE users SET password_hash = ? WHERE id = ?", &st, err) < 0) return -1;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    sodium_memzero(hash, sizeof hash);
    return sqlu_step_done(db, "users", st, "set password", err);
}

/* A hash of a random password nobody knows, made once: verified against when there is no
 * real hash, so both paths cost one argon2id verify. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy(void)
{
    char pw[33];
    unsigned char r[16];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(pw, sizeof pw, r, sizeof r);
    if (crypto_pwhash_str_alg(dummy_hash, pw, strlen(pw), USERS_PWHASH_OPSLIMIT, USERS_PWHASH_MEMLIMIT,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        dummy_hash[0] = '\0';
}

int users_verify_password(sqlite3 *db, const char *email, const char *password, long long *id,
                          struct mt_err *err)
{
    *id = 0;
    pthread_once(&dummy_once, make_dummy);
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users",
                  "SELECT id, password_hash, disabled_at IS NOT NULL FROM users WHERE email = ?", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    char hash[crypto_pwhash_STRBYTES] = "";
    long long uid = 0;
    bool disabled = false;
    if (rc == SQLITE_ROW) {
        uid = sqlite3_column_int64(st, 0);
        sqlu_copy_col(hash, sizeof hash, st, 1);
        disabled = sqlite3_column_int(st, 2) != 0;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlu_fail(db, "users", "verify password", err);
    size_t plen = password ? strlen(password) : 0;
    if (plen > USERS_PASSWORD_MAX) plen = USERS_PASSWORD_MAX; /* bounded work; still refused below */
    bool real = hash[0] != '\0';
    int ok = crypto_pwhash_str_verify(real ? hash : dummy_hash, password ? password : "", plen) == 0;
    sodium_memzero(hash, sizeof hash);
    if (!real || !ok || disabled || !password || strlen(password) > USERS_PASSWORD_MAX) return 0;
    *id = uid;
    return 1;
}

int users_set_email(sqlite3 *db, long long id, const char *email, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users", "UPDATE users SET email = ? WHERE id = ?", &st, err) < 0) return -1;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) return 0;
    if (rc != SQLITE_DONE) return sqlu_fail(db, "users", "set email", err);
    return sqlite3_changes(db) > 0;
}

int users_set_disabled(sqlite3 *db, long long id, bool disable, long long now, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users", "UPDATE users SET disabled_at = ? WHERE id = ?", &st, err) < 0) return -1;
    if (disable) sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, id);
    if (sqlu_step_done(db, "users", st, "disable", err) < 0) return -1;
    return sqlite3_changes(db) > 0;
}

/* The count of rows of one table for a user (the table name is a literal of ours). */
static int count_rows(sqlite3 *db, const char *sql, long long id, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users", sql, &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int n = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (n < 0) return sqlu_fail(db, "users", "count", err);
    return n;
}

int users_delete(sqlite3 *db, long long id, long long now, struct users_deleted *out,
                 struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    if (users_tx_begin(db, err) < 0) return -1;
    struct user u;
    int found = users_by_id(db, id, &u, err);
    if (found <= 0) {
        users_tx_rollback(db);
        return found;
    }
    if ((out->sessions = count_rows(db, "SELECT count(*) FROM sessions WHERE user_id = ?", id, err)) < 0 ||
        (out->api_keys = count_rows(db, "SELECT count(*) FROM api_keys WHERE user_id = ?", id, err)) < 0 ||
        (out->watchlist = count_rows(db, "SELECT count(*) FROM watchlist WHERE user_id = ?", id, err)) < 0 ||
        (out->login_links = count_rows(db, "SELECT count(*) FROM login_tokens WHERE user_id = ?", id, err)) < 0 ||
        (out->audit_scrubbed = audit_scrub_user(db, id, err)) < 0)
        goto fail;
    sqlite3_stmt *st;
    /* links sent to the address before it had a user row (sign-up links) carry no user_id */
    if (sqlu_prep(db, "users", "DELETE FROM login_tokens WHERE user_id = ? OR email = ?", &st, err) < 0) goto fail;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, u.email, -1, SQLITE_TRANSIENT);
    if (sqlu_step_done(db, "users", st, "delete links", err) < 0) goto fail;
    /* the Stripe customer id outlives the row, so Stripe's later events are acknowledged */
    if ((out->stripe_customer_kept = billing_close_customer(db, id, now, err)) < 0) goto fail;
    if (sqlu_prep(db, "users", "DELETE FROM users WHERE id = ?", &st, err) < 0) goto fail;
    sqlite3_bind_int64(st, 1, id);
    if (sqlu_step_done(db, "users", st, "delete", err) < 0) goto fail;
    if (audit_add(db, now, 0, "account_delete", NULL, NULL, err) < 0) goto fail;
    if (users_tx_commit(db, err) < 0) return -1;
    return 1;
fail:
    users_tx_rollback(db);
    return -1;
}

int prefs_get(sqlite3 *db, long long id, struct prefs *p, struct mt_err *err)
{
    snprintf(p->units, sizeof p->units, "bags");
    snprintf(p->theme, sizeof p->theme, "system");
    p->default_country[0] = '\0';
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users",
                  "SELECT units, coalesce(default_country, ''), theme FROM preferences WHERE user_id = ?",
                  &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        sqlu_copy_col(p->units, sizeof p->units, st, 0);
        sqlu_copy_col(p->default_country, sizeof p->default_country, st, 1);
        sqlu_copy_col(p->theme, sizeof p->theme, st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sqlu_fail(db, "users", "preferences", err);
}

int prefs_set(sqlite3 *db, long long id, const struct prefs *p, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users",
                  "INSERT INTO preferences (user_id, units, default_country, theme) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (user_id) DO UPDATE SET units = excluded.units, "
                  "default_country = excluded.default_country, theme = excluded.theme",
                  &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, p->units, -1, SQLITE_TRANSIENT);
    if (p->default_country[0]) sqlite3_bind_text(st, 3, p->default_country, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, p->theme, -1, SQLITE_TRANSIENT);
    return sqlu_step_done(db, "users", st, "save preferences", err);
}

int watchlist_json(sqlite3 *db, long long id, strbuf *sb, struct mt_err *err)
{
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users",
                  "SELECT country, metric FROM watchlist WHERE user_id = ? ORDER BY country, metric", &st,
                  err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sb_append_char(sb, '[');
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++) sb_append_char(sb, ',');
        sb_append(sb, "{\"country\":");
        sb_append_json_str(sb, (const char *)sqlite3_column_text(st, 0));
        sb_append(sb, ",\"metric\":");
        sb_append_json_str(sb, (const char *)sqlite3_column_text(st, 1));
        sb_append_char(sb, '}');
    }
    sqlite3_finalize(st);
    sb_append_char(sb, ']');
    return rc == SQLITE_DONE ? 0 : sqlu_fail(db, "users", "watchlist", err);
}

int watchlist_replace(sqlite3 *db, long long id, const struct watch_item *items, size_t n,
                      struct mt_err *err)
{
    if (n > USERS_WATCHLIST_MAX) return mt_errf(err, "a watchlist holds at most %d items", USERS_WATCHLIST_MAX);
    if (users_tx_begin(db, err) < 0) return -1;
    sqlite3_stmt *st;
    if (sqlu_prep(db, "users", "DELETE FROM watchlist WHERE user_id = ?", &st, err) < 0) goto fail;
    sqlite3_bind_int64(st, 1, id);
    if (sqlu_step_done(db, "users", st, "watchlist", err) < 0) goto fail;
    for (size_t i = 0; i < n; i++) {
        if (sqlu_prep(db, "users",
                      "INSERT OR IGNORE INTO watchlist (user_id, country, metric) VALUES (?, ?, ?)", &st,
                      err) < 0)
            goto fail;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, items[i].country, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, items[i].metric, -1, SQLITE_TRANSIENT);
        if (sqlu_step_done(db, "users", st, "watchlist", err) < 0) goto fail;
    }
    return users_tx_commit(db, err);
fail:
    users_tx_rollback(db);
    return -1;
}
