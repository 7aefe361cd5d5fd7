/* sessions.h — sign-in sessions and the random tokens of the account side.
 *
 * A token is 32 bytes from randombytes_buf, sent as 43 characters of unpadded base64url
 * (a cookie-octet string, a URL-safe link parameter). Only its SHA-256 is stored
 * (sessions.token_hash, login_tokens.token_hash, api keys likewise): a copy of the database
 * lets nobody sign in. A lookup hashes the presented token and finds the row by that hash,
 * so no comparison of secret bytes ever depends on how many of them match.
 *
 * A session is valid while now - last_seen_at < idle and now - created_at < max (and its
 * user is not disabled); an expired one is deleted when it is seen. Each session has its
 * own CSRF token (another random token, kept in clear: it is no credential by itself,
 * the page must show it to the script that sends it back). */
#ifndef MATERIA_ACCOUNTS_SESSIONS_H
#define MATERIA_ACCOUNTS_SESSIONS_H

#include <sqlite3.h>
#include <stdbool.h>

#include "util/err.h"

#define SESS_TOKEN_LEN 43
#define SESS_EMAIL_MAX 254
#define SESS_TOUCH_S 60 /* last_seen_at is written at most once a minute per session */

/* A new random token (32 bytes, base64url without padding). */
void sess_token_new(char out[SESS_TOKEN_LEN + 1]);
/* SHA-256 of the token text. */
void sess_token_hash(const char *token, unsigned char out[32]);
/* True when token has the shape sess_token_new makes (43 base64url characters): anything
 * else is refused before the database is asked. */
bool sess_token_wellformed(const char *token);

struct sess_limits {
    long long idle_s; /* SESSION_IDLE_HOURS * 3600 */
    long long max_s;  /* SESSION_MAX_DAYS * 86400 */
};

struct sess_info {
    long long user_id;
    char email[SESS_EMAIL_MAX + 1];
    char plan[8];
    char csrf_token[SESS_TOKEN_LEN + 1];
    unsigned char token_hash[32];
    long long user_created_at;
    long long created_at; /* the session's */
};

/* Creates a session for user_id (ip and user_agent may be NULL; the user agent is cut to
 * 200 bytes). Writes the new cookie token and CSRF token. 0, or -1 with err. */
int sessions_create(sqlite3 *db, long long user_id, const char *ip, const char *user_agent,
                    long long now, char token[SESS_TOKEN_LEN + 1],
                    char csrf[SESS_TOKEN_LEN + 1], struct mt_err *err);
/* The session of token: 1 with *out, 0 when there is none valid (malformed, unknown,
 * expired — then deleted —, or the user is disabled), -1 with err. */
int sessions_lookup(sqlite3 *db, const char *token, long long now, const struct sess_limits *lim,
                    struct sess_info *out, struct mt_err *err);
/* Deletes one session (sign out). 0, or -1. */
int sessions_revoke(sqlite3 *db, const unsigned char hash[32], struct mt_err *err);
/* Deletes every session of a user (sign out everywhere, disable, password change);
 * returns how many, or -1. */
int sessions_revoke_user(sqlite3 *db, long long user_id, struct mt_err *err);
/* Deletes every expired session; returns how many, or -1. */
int sessions_purge(sqlite3 *db, long long now, const struct sess_limits *lim, struct mt_err *err);

#endif
