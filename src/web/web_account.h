/* web_account.h — the HTTP side of the account routes (/account/... and /billing/webhook):
 * the request and reply every handler sees, the dispatch table, and the helpers handlers
 * share (who is signed in, the CSRF check, JSON replies).
 *
 * How a request gets here: web_server.c sees a path web_account_path() claims, reads a
 * POST body (at most WEB_ACCOUNT_MAX_BODY bytes, else 413), fills a struct account_req and
 * calls web_account_dispatch(), then sends the struct account_reply as it is: status, JSON
 * body (HTML for the sign-in link's page), the extra headers (Set-Cookie among them; one
 * named like a default header, Referrer-Policy say, replaces it), always
 * `Cache-Control: no-store` and never through the per-snapshot cache. No serving snapshot is involved: the account routes
 * answer while the data side is unavailable.
 *
 * The dispatcher finds the route by method and path (404 / 405 with Allow otherwise), then
 * enforces the route's flags before the handler runs:
 *   ACCOUNT_SIGNED_IN  a signed-in user (session cookie) or 401 {"error": ...}; the handler
 *                      gets it in u (else u is NULL);
 *   ACCOUNT_CSRF       the session's CSRF token (X-CSRF-Token header, or the form field
 *                      csrf_token of an urlencoded body) and a same-origin Origin/Referer,
 *                      or 403 (implies ACCOUNT_SIGNED_IN);
 *   ACCOUNT_ORIGIN     the Origin/Referer check alone (sign-in forms: no session yet).
 * A handler that needs neither (the Stripe webhook) takes flags 0.
 *
 * The database: each request borrows one connection of a small pool (rq->db) opened on
 * APP_DB_PATH at server start (web_account_start), so handlers never open or close one.
 * Time: rq->now (Unix seconds) is read once per request; handlers and the account modules
 * take it as a parameter, never reading the clock themselves (tests pass a fake clock). */
#ifndef MATERIA_WEB_ACCOUNT_H
#define MATERIA_WEB_ACCOUNT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/strbuf.h"

#define WEB_ACCOUNT_MAX_BODY 65536 /* request bodies on account routes; larger → 413 */
#define WEB_ACCOUNT_MAX_HEADERS 8  /* extra reply headers a handler may add */
#define ACCOUNT_COOKIE "materia_session"
#define ACCOUNT_EMAIL_MAX 254
#define ACCOUNT_TOKEN_LEN 43        /* 32 random bytes, base64url without padding */

/* The request, as the server hands it over. Every pointer lives until the reply is sent. */
struct account_req {
    const char *method;   /* "GET", "HEAD" or "POST" (others are refused before) */
    const char *path;     /* decoded path, e.g. "/account/me" */
    const char *query;    /* the raw query string after '?', or NULL when none */
    const char *body;     /* POST body bytes (not NUL-terminated; NULL when none) */
    size_t body_len;
    const char *ip;       /* the peer's address as text ("127.0.0.1"); never NULL */
    const char *bucket;   /* its per-address limit key (web_client_bucket: IPv6 by /64) */
    long long now;        /* Unix seconds, read once for the whole request */
    sqlite3 *db;          /* the account database (a pooled connection) */
    /* The value of request header name (case-insensitive), or NULL: use
     * web_account_header(), which calls this with hctx. */
    const char *(*header_fn)(void *hctx, const char *name);
    void *hctx;
};

/* The signed-in user of a request (from its session cookie). */
struct account_user {
    long long id;
    char email[ACCOUNT_EMAIL_MAX + 1];
    char plan[8];                          /* "free" or "pro" */
    char csrf_token[ACCOUNT_TOKEN_LEN + 1];
    unsigned char session_hash[32];        /* SHA-256 of the session token (sign out) */
    long long created_at;                  /* the user's, not the session's */
};

/* What a handler answers. Build it with the account_reply_* functions only. */
struct account_reply {
    int status;                   /* 0 until set: the dispatcher then answers 500 */
    strbuf body;                  /* JSON text (or empty, e.g. a 303; HTML with content_type) */
    const char *content_type;     /* default "application/json" */
    char *headers[WEB_ACCOUNT_MAX_HEADERS][2]; /* name, value (owned) */
    int n_headers;
};

/* Request helpers. */
const char *web_account_header(const struct account_req *rq, const char *name);
/* The signed-in user from the request's session cookie: 1 with *u, 0 when nobody is
 * signed in (no cookie, unknown/expired session, disabled user) or on a database error
 * (logged, never shown). Refreshes the session's idle clock. */
int web_account_user(const struct account_req *rq, struct account_user *u);
/* The CSRF check of a state-changing request: 0 when the X-CSRF-Token header (or form
 * field csrf_token) equals u's token (constant-time) and the Origin (or Referer) is the
 * site's own origin; -1 otherwise, with the reason in why (for the 403 body). */
int web_account_check_csrf(const struct account_req *rq, const struct account_user *u,
                           char *why, size_t whylen);
/* The Origin/Referer check alone (same contract as above). */
int web_account_check_origin(const struct account_req *rq, char *why, size_t whylen);

/* Reply builders. json is a complete JSON value (copied); an error is {"error": message}. */
void account_reply_init(struct account_reply *r);
void account_reply_free(struct account_reply *r);
void account_reply_json(struct account_reply *r, int status, const char *json);
/* Takes sb's text as the body (sb is released). */
void account_reply_json_sb(struct account_reply *r, int status, strbuf *sb);
void account_reply_error(struct account_reply *r, int status, const char *message);
/* Adds a header (copied); a 9th header is dropped with a logged warning. */
void account_reply_header(struct account_reply *r, const char *name, const char *value);
/* A 500 whose body says only what kind of failure it was; what and err go to the log. */
void account_reply_server_error(struct account_reply *r, const char *what, const struct mt_err *err);
/* Times in account JSON are ISO 8601 UTC strings ("2026-12-02T02:17:31Z"); 0 is null. */
void account_json_time(strbuf *sb, long long t);
struct json;
/* Reads the request's body as a JSON object holding only the fields in allowed (NULL
 * ended). 0 with *j to json_free; -1 with the 400 answered in out (j needs no freeing).
 * The one body reader of the account and key routes. */
int account_read_body(const struct account_req *rq, const char *const *allowed, struct json *j,
                      struct account_reply *out);
/* The site's origin ("scheme://host[:port]"): PUBLIC_BASE_URL's, else http://<Host>. */
void web_account_origin(const struct account_req *rq, char *out, size_t outlen);

/* The dispatch table. */
enum {
    ACCOUNT_SIGNED_IN = 1,
    ACCOUNT_CSRF = 2 | 1,
    ACCOUNT_ORIGIN = 4,
};
typedef void (*account_handler)(const struct account_req *rq, const struct account_user *u,
                                struct account_reply *out);
struct account_route {
    const char *method; /* "GET" (HEAD too) or "POST" */
    const char *path;   /* exact path */
    int flags;
    account_handler fn;
};
extern const struct account_route web_account_routes[];

/* True for the paths the account side owns (web_server.c sends them here, before the
 * data routes): /account and everything under it, and /billing/webhook. */
bool web_account_path(const char *path);
/* Whether a POST body is accepted on this path (a POST route of the table). */
bool web_account_takes_body(const char *method, const char *path);
/* Routes rq and fills out (always: a 404/405/401/403/500 is a reply too). */
void web_account_dispatch(const struct account_req *rq, struct account_reply *out);

/* Server lifetime: opens n pooled connections to the account database at path (migrating
 * it) and the in-memory throttles; local_base ("http://HOST:PORT", the listening socket)
 * starts links in mail when PUBLIC_BASE_URL is unset. -1 with err when the database cannot
 * be opened. */
int web_account_start(const char *path, int n, const char *local_base, struct mt_err *err);
void web_account_stop(void);
/* Borrow / return a pooled connection (blocks while all are in use). */
sqlite3 *web_account_db_acquire(void);
void web_account_db_release(sqlite3 *db);

#endif
