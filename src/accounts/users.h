/* users.h — user rows and what hangs off them: password, preferences, watchlist, email
 * change, disable and delete (table users and friends, accounts/appdb_schema.c).
 *
 * Emails arrive here already normalised (http_form.h: trimmed, lower-cased, checked).
 * Passwords: crypto_pwhash_str_alg with argon2id, opslimit 2 and a 19 MiB memlimit (the
 * OWASP password-storage parameters); a verify for an unknown address or a user without a
 * password still runs one argon2id verify against a fixed dummy hash, so the answer time does
 * not tell which addresses are registered. */
#ifndef MATERIA_ACCOUNTS_USERS_H
#define MATERIA_ACCOUNTS_USERS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/strbuf.h"

#define USERS_EMAIL_MAX 254
#define USERS_PASSWORD_MIN 12  /* ASVS 2.1.1 */
#define USERS_PASSWORD_MAX 128 /* ASVS 2.1.2: at least 64 allowed; argon2 cost bounded */
#define USERS_PWHASH_OPSLIMIT 2
#define USERS_PWHASH_MEMLIMIT (19u * 1024u * 1024u)
#define USERS_WATCHLIST_MAX 50

struct user {
    long long id;
    char email[USERS_EMAIL_MAX + 1];
    char plan[8];
    long long created_at;
    long long disabled_at; /* 0: active */
    bool has_password;
};

/* 1 with *u, 0 when there is no such user, -1 with err. */
int users_by_email(sqlite3 *db, const char *email, struct user *u, struct mt_err *err);
int users_by_id(sqlite3 *db, long long id, struct user *u, struct mt_err *err);
/* Creates a user (plan free, no password); 0 with *id, or -1 (an address already taken
 * is an error here: callers look up first, in the same transaction). */
int users_create(sqlite3 *db, const char *email, long long now, long long *id, struct mt_err *err);

/* Checks a new password's length (USERS_PASSWORD_MIN..MAX bytes): 0, or -1 with why. */
int users_password_ok(const char *password, struct mt_err *err);
/* Sets the password (argon2id hash). 0, or -1 with err (a refused password says why). */
int users_set_password(sqlite3 *db, long long id, const char *password, struct mt_err *err);
/* 1 with *id when email has a password and it matches and the user is not disabled; 0
 * otherwise (same work done either way); -1 with err on a database failure. */
int users_verify_password(sqlite3 *db, const char *email, const char *password, long long *id,
                          struct mt_err *err);

/* Changes the address: 1, 0 when another user has it, -1 with err. */
int users_set_email(sqlite3 *db, long long id, const char *email, struct mt_err *err);
/* Sets (or with disable=false clears) disabled_at; 1, 0 when no such user, -1. */
int users_set_disabled(sqlite3 *db, long long id, bool disable, long long now, struct mt_err *err);

/* What a deletion removed, for the answer that says so. */
struct users_deleted {
    int sessions, api_keys, watchlist, audit_scrubbed, login_links;
    int stripe_customer_kept; /* 1: the user's Stripe customer id went into closed_customers */
};
/* Deletes a user and everything personal, in one transaction: the audit rows are scrubbed
 * (audit_scrub_user) and lose the user; sessions, links, keys, preferences, watchlist,
 * subscription and alert records go with the row (ON DELETE CASCADE); an "account_delete"
 * row without a person is added. The one thing kept besides the audit log: the user's
 * Stripe customer id, when they have one, goes into closed_customers (billing_close_customer)
 * so Stripe's later events about it are acknowledged instead of retried.
 * 1 with *out, 0 when no such user, -1 with err. */
int users_delete(sqlite3 *db, long long id, long long now, struct users_deleted *out,
                 struct mt_err *err);

/* Preferences (defaults when the user never saved any). */
struct prefs {
    char units[8];           /* "bags" | "tonnes" */
    char default_country[3]; /* "" = none */
    char theme[8];           /* "system" | "light" | "dark" */
};
int prefs_get(sqlite3 *db, long long id, struct prefs *p, struct mt_err *err);
/* Stores p (validated by the caller; the table's CHECKs are the second guard). */
int prefs_set(sqlite3 *db, long long id, const struct prefs *p, struct mt_err *err);

struct watch_item {
    char country[8]; /* a PSD country code or "WORLD" */
    char metric[40];
};
/* Appends the watchlist as a JSON array [{"country","metric"},...] (ordered). */
int watchlist_json(sqlite3 *db, long long id, strbuf *sb, struct mt_err *err);
/* Replaces the watchlist with items[0..n) (n <= USERS_WATCHLIST_MAX; duplicates collapse),
 * in one transaction. */
int watchlist_replace(sqlite3 *db, long long id, const struct watch_item *items, size_t n,
                      struct mt_err *err);

/* Runs BEGIN IMMEDIATE / COMMIT / ROLLBACK (the account writes that must be whole). */
int users_tx_begin(sqlite3 *db, struct mt_err *err);
int users_tx_commit(sqlite3 *db, struct mt_err *err);
void users_tx_rollback(sqlite3 *db);

#endif
