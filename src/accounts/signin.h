/* signin.h — sign-in links (magic links) and email-change confirmations (table
 * login_tokens).
 *
 * A link carries a token (sessions.h: 32 random bytes, base64url); the table keeps only its
 * SHA-256, the purpose, the address it was sent to and, for a registered user, who. It is
 * valid for SIGNIN_LINK_TTL seconds and for one use: consuming it is one UPDATE ... WHERE
 * used_at IS NULL AND expires_at > now, so two clicks racing each other cannot both win.
 *
 * A sign-in link for an address with no user is a sign-up link: consuming it creates the
 * user (free plan). The answer to "send me a link" is the same whether or not the address
 * is registered (the caller's job, see web_account_auth.c). */
#ifndef MATERIA_ACCOUNTS_SIGNIN_H
#define MATERIA_ACCOUNTS_SIGNIN_H

#include <sqlite3.h>

#include "accounts/sessions.h"
#include "util/err.h"

#define SIGNIN_LINK_TTL (15 * 60)

enum signin_purpose { SIGNIN_LOGIN, SIGNIN_EMAIL_CHANGE };

/* Stores a new link for email (user_id 0: none yet) and writes its token. 0, or -1. */
int signin_link_create(sqlite3 *db, enum signin_purpose purpose, long long user_id, const char *email,
                       long long now, char token[SESS_TOKEN_LEN + 1], struct mt_err *err);

struct signin_result {
    enum signin_purpose purpose;
    long long user_id; /* the user signed in (created for a sign-up link), or whose email changed */
    char email[SESS_EMAIL_MAX + 1];
    int created;       /* 1: this link created the user */
};

/* Consumes a link and does what it is for, in one transaction: a sign-in finds or creates
 * the user of its address; an email change moves its user to the new address. 1 with *out;
 * 0 with why (a sentence for the person clicking) when the link is malformed, unknown,
 * expired, already used, its user is disabled or the new address was taken meanwhile;
 * -1 with err on a database failure. */
int signin_link_consume(sqlite3 *db, const char *token, long long now, struct signin_result *out,
                        char *why, size_t whylen, struct mt_err *err);

/* Deletes links that expired more than a day ago. Returns how many, or -1. */
int signin_purge(sqlite3 *db, long long now, struct mt_err *err);

#endif
