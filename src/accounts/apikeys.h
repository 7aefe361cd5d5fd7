/* apikeys.h — API keys: the one owner of the api_keys table.
 *
 * A key is "mk_" followed by 32 random bytes (randombytes_buf) in unpadded base64url: 46
 * characters, 256 bits of secret. It is shown once, at creation; the database keeps only
 * its SHA-256 (key_hash) and its first APIKEY_PREFIX_LEN characters (prefix, shown in
 * the list so a user can tell keys apart; 9 random characters: 54 of the 256 bits, which
 * leaves 202 unknown). Verifying a key looks it up by its SHA-256: no compare on secret
 * bytes happens in our code, and the lookup's timing depends on the hash, never on how
 * much of a guess is right.
 *
 * A user has at most APIKEY_MAX_PER_USER keys that are not revoked. A revoked key stays
 * listed (with revoked_at) and never verifies again; a disabled or deleted user's keys
 * never verify (deletion cascades). last_used_at is written at most once a minute per key,
 * so a busy key does not turn every API read into a database write. */
#ifndef MATERIA_ACCOUNTS_APIKEYS_H
#define MATERIA_ACCOUNTS_APIKEYS_H

#include <sqlite3.h>
#include <stddef.h>

#include "util/err.h"

#define APIKEY_MAX_PER_USER 10
#define APIKEY_LEN 46          /* "mk_" + 43 base64url characters */
#define APIKEY_BUF (APIKEY_LEN + 1)
#define APIKEY_PREFIX_LEN 12   /* "mk_" + 9 */
#define APIKEY_NAME_MAX 64     /* bytes of UTF-8 */
#define APIKEY_TOUCH_EVERY 60  /* seconds between last_used_at writes */

struct apikey_info {
    long long id;
    char name[APIKEY_NAME_MAX + 1];
    char prefix[APIKEY_PREFIX_LEN + 1];
    long long created_at;
    long long last_used_at; /* 0: never */
    long long revoked_at;   /* 0: live */
};

/* Creates a key named name (1-64 bytes of valid UTF-8 without control characters, surrounding
 * white space trimmed) for user_id. 0 with *info and the key in key_out (the only copy:
 * show it and forget it), or -1 with err: MT_ERR_FORMAT for a bad name, MT_ERR_FAIL when
 * the user already has APIKEY_MAX_PER_USER live keys, MT_ERR_DB for the database. */
int apikey_create(sqlite3 *db, long long user_id, const char *name, long long now, struct apikey_info *info,
                  char key_out[APIKEY_BUF], struct mt_err *err);

/* The user's keys, newest first (revoked ones too). 0 with *out (free()) and *n, or -1. */
int apikey_list(sqlite3 *db, long long user_id, struct apikey_info **out, size_t *n, struct mt_err *err);

/* Revokes key id if it is the user's: 1 revoked (or already revoked: revoked_at kept),
 * 0 no such key of this user, -1 with err. */
int apikey_revoke(sqlite3 *db, long long user_id, long long key_id, long long now, struct mt_err *err);

/* Who a presented key is. */
struct apikey_auth {
    long long key_id;
    long long user_id;
    char plan[8]; /* the user's plan now: "free" or "pro" */
};

/* Verifies key (the text after "Bearer "): 1 with *out when it is a live key of an
 * enabled user, 0 when it is not (malformed, unknown, revoked, user disabled), -1 with err
 * when the database failed. Records the use (last_used_at) at most once a minute. */
int apikey_verify(sqlite3 *db, const char *key, long long now, struct apikey_auth *out, struct mt_err *err);

#endif
