/* web_account.c — see web_account.h: the dispatch table, the request/reply helpers, the
 * session and CSRF checks, and the pool of account-database connections.
 *
 * The pool: SQLite connections are not shared between threads here (each is used by one
 * request at a time); a request borrows one for its whole life and gives it back. WAL lets
 * the borrowed connections read at once; writes queue on busy_timeout (appdb.c). */
#include "web/web_account.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts/appdb.h"
#include "accounts/http_form.h"
#include "accounts/sessions.h"
#include "accounts/sqlite_util.h"
#include "util/config.h"
#include "util/log.h"
#include "web/web_account_handlers.h"
#include "web/web_keys.h"

/* ---- the table ------------------------------------------------------------------------- */

const struct account_route web_account_routes[] = {
    {"POST", "/account/link", ACCOUNT_ORIGIN, account_link},
    {"GET", "/account/verify", 0, account_verify_page},
    {"POST", "/account/verify", ACCOUNT_ORIGIN, account_verify},
    {"POST", "/account/signin", ACCOUNT_ORIGIN, account_signin},
    {"POST", "/account/signout", ACCOUNT_CSRF, account_signout},
    {"POST", "/account/signout-all", ACCOUNT_CSRF, account_signout_all},
    {"GET", "/account/me", ACCOUNT_SIGNED_IN, account_me},
    {"POST", "/account/preferences", ACCOUNT_CSRF, account_preferences},
    {"POST", "/account/watchlist", ACCOUNT_CSRF, account_watchlist},
    {"POST", "/account/email", ACCOUNT_CSRF, account_email},
    {"POST", "/account/password", ACCOUNT_CSRF, account_password},
    {"POST", "/account/delete", ACCOUNT_CSRF, account_delete},
    {"GET", "/account/keys", ACCOUNT_SIGNED_IN, keys_list},
    {"POST", "/account/keys", ACCOUNT_CSRF, keys_create},
    {"POST", "/account/keys/revoke", ACCOUNT_CSRF, keys_revoke},
    {"GET", "/account/billing", ACCOUNT_SIGNED_IN, keys_billing},
    {"POST", "/billing/webhook", 0, keys_webhook},
    {NULL, NULL, 0, NULL},
};

/* ---- the connection pool ----------------------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sqlite3 **free_dbs;
    int n_free, n;
    bool started;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, false};

int web_account_start(const char *path, int n, const char *local_base, struct mt_err *err)
{
    if (n < 1) n = 1;
    pool.free_dbs = xcalloc((size_t)n, sizeof *pool.free_dbs);
    for (int i = 0; i < n; i++) {
        if (appdb_open(path, &pool.free_dbs[i], err) < 0) {
            mt_err_prefix(err, "serve: APP_DB_PATH");
            pool.n_free = i;
            pool.n = i;
            web_account_stop();
            return -1;
        }
    }
    pool.n = pool.n_free = n;
    pool.started = true;
    web_account_throttle_start();
    web_account_set_local_base(local_base);
    return 0;
}

void web_account_stop(void)
{
    pthread_mutex_lock(&pool.mu);
    for (int i = 0; i < pool.n_free; i++) appdb_close(pool.free_dbs[i]);
    free(pool.free_dbs);
    pool.free_dbs = NULL;
    pool.n = pool.n_free = 0;
    bool was = pool.started;
    pool.started = false;
    pthread_mutex_unlock(&pool.mu);
    if (was) web_account_throttle_stop();
}

sqlite3 *web_account_db_acquire(void)
{
    pthread_mutex_lock(&pool.mu);
    while (pool.started && pool.n_free == 0) pthread_cond_wait(&pool.cv, &pool.mu);
    sqlite3 *db = pool.started ? pool.free_dbs[--pool.n_free] : NULL;
    pthread_mutex_unlock(&pool.mu);
    return db;
}

void web_account_db_release(sqlite3 *db)
{
    if (!db) return;
    pthread_mutex_lock(&pool.mu);
    pool.free_dbs[pool.n_free++] = db;
    pthread_cond_signal(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
}

/* ---- replies --------------------------------------------------------------------------- */

void account_reply_init(struct account_reply *r)
{
    memset(r, 0, sizeof *r);
    sb_init(&r->body);
    r->content_type = "application/json";
}

void account_reply_free(struct account_reply *r)
{
    sb_free(&r->body);
    for (int i = 0; i < r->n_headers; i++) {
        free(r->headers[i][0]);
        free(r->headers[i][1]);
    }
    r->n_headers = 0;
}

void account_reply_json(struct account_reply *r, int status, const char *json)
{
    r->status = status;
    sb_reset(&r->body);
    sb_append(&r->body, json);
}

void account_reply_json_sb(struct account_reply *r, int status, strbuf *sb)
{
    r->status = status;
    sb_free(&r->body);
    r->body = *sb;
    sb_init(sb);
    sb_free(sb);
}

void account_reply_error(struct account_reply *r, int status, const char *message)
{
    r->status = status;
    sb_reset(&r->body);
    sb_append(&r->body, "{\"error\":");
    sb_append_json_str(&r->body, message);
    sb_append(&r->body, "}\n");
}

void account_reply_header(struct account_reply *r, const char *name, const char *value)
{
    if (r->n_headers >= WEB_ACCOUNT_MAX_HEADERS) {
        log_warn("serve: account reply: header %s dropped (more than %d)", name, WEB_ACCOUNT_MAX_HEADERS);
        return;
    }
    r->headers[r->n_headers][0] = xstrdup(name);
    r->headers[r->n_headers][1] = xstrdup(value);
    r->n_headers++;
}

void account_reply_server_error(struct account_reply *r, const char *what, const struct mt_err *err)
{
    log_error("serve: account: %s: %s", what, err ? err->msg : "");
    account_reply_error(r, 500, "internal error (account database); the server log has the detail");
}

void account_json_time(strbuf *sb, long long t)
{
    if (t <= 0) {
        sb_append(sb, "null");
        return;
    }
    char buf[SQLU_ISO_LEN];
    sqlu_iso_utc(t, buf);
    sb_appendf(sb, "\"%s\"", buf);
}

/* ---- request helpers ------------------------------------------------------------------- */

const char *web_account_header(const struct account_req *rq, const char *name)
{
    return rq->header_fn ? rq->header_fn(rq->hctx, name) : NULL;
}

struct sess_limits web_account_limits(void)
{
    struct sess_limits l = {g_config.s.session_idle_hours * 3600LL, g_config.s.session_max_days * 86400LL};
    return l;
}

int web_account_user(const struct account_req *rq, struct account_user *u)
{
    memset(u, 0, sizeof *u);
    char tok[SESS_TOKEN_LEN + 2];
    if (form_cookie_get(web_account_header(rq, "Cookie"), ACCOUNT_COOKIE, tok, sizeof tok) != 1) return 0;
    struct sess_limits lim = web_account_limits();
    struct sess_info si;
    struct mt_err err = MT_ERR_INIT;
    int rc = sessions_lookup(rq->db, tok, rq->now, &lim, &si, &err);
    sodium_memzero(tok, sizeof tok);
    if (rc < 0) log_error("serve: account: session lookup: %s", err.msg);
    if (rc != 1) return 0;
    u->id = si.user_id;
    snprintf(u->email, sizeof u->email, "%s", si.email);
    snprintf(u->plan, sizeof u->plan, "%s", si.plan);
    snprintf(u->csrf_token, sizeof u->csrf_token, "%s", si.csrf_token);
    memcpy(u->session_hash, si.token_hash, 32);
    u->created_at = si.user_created_at;
    return 1;
}

/* The site's origin ("scheme://host[:port]"): PUBLIC_BASE_URL's when set, else http:// and
 * the request's Host (a browser sends the Host of the page it is on; a forged Host changes
 * nothing for a cross-site form, whose Origin still names the other site). */
void web_account_origin(const struct account_req *rq, char *out, size_t outlen)
{
    const char *base = g_config.s.public_base_url;
    if (base && *base) {
        const char *p = strstr(base, "://");
        size_t n = p ? (size_t)(p + 3 - base) : 0;
        if (p) n += strcspn(p + 3, "/?#");
        else n = strlen(base);
        snprintf(out, outlen, "%.*s", (int)n, base);
        return;
    }
    const char *host = web_account_header(rq, "Host");
    snprintf(out, outlen, "http://%s", host ? host : "");
}

int web_account_check_origin(const struct account_req *rq, char *why, size_t whylen)
{
    char origin[300];
    web_account_origin(rq, origin, sizeof origin);
    const char *o = web_account_header(rq, "Origin");
    if (o && *o && strcmp(o, "null") != 0) {
        if (!strcasecmp(o, origin)) return 0;
        snprintf(why, whylen, "cross-origin request refused (Origin is not %s)", origin);
        return -1;
    }
    const char *r = web_account_header(rq, "Referer");
    if (r && *r) {
        size_t n = strlen(origin);
        if (!strncasecmp(r, origin, n) && (r[n] == '/' || r[n] == '\0')) return 0;
        snprintf(why, whylen, "cross-origin request refused (Referer is not on %s)", origin);
        return -1;
    }
    snprintf(why, whylen, "an Origin or Referer header is required");
    return -1;
}

int web_account_check_csrf(const struct account_req *rq, const struct account_user *u,
                           char *why, size_t whylen)
{
    char tok[SESS_TOKEN_LEN + 2] = "";
    const char *h = web_account_header(rq, "X-CSRF-Token");
    bool have = false;
    if (h && strlen(h) < sizeof tok) {
        snprintf(tok, sizeof tok, "%s", h);
        have = true;
    } else if (!h) {
        const char *ct = web_account_header(rq, "Content-Type");
        if (ct && !strncasecmp(ct, "application/x-www-form-urlencoded", 33))
            have = form_urlencoded_get(rq->body, rq->body_len, "csrf_token", tok, sizeof tok) == 1;
    }
    if (!have || !tok[0]) {
        snprintf(why, whylen, "CSRF token missing (X-CSRF-Token header)");
        return -1;
    }
    if (strlen(tok) != strlen(u->csrf_token) ||
        sodium_memcmp(tok, u->csrf_token, strlen(u->csrf_token)) != 0) {
        snprintf(why, whylen, "CSRF token does not match this session");
        return -1;
    }
    return web_account_check_origin(rq, why, whylen);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

bool web_account_path(const char *path)
{
    return path && (!strcmp(path, "/account") || !strncmp(path, "/account/", 9) ||
                    !strcmp(path, "/billing/webhook"));
}

bool web_account_takes_body(const char *method, const char *path)
{
    if (!method || strcmp(method, "POST") != 0) return false;
    for (const struct account_route *r = web_account_routes; r->path; r++)
        if (!strcmp(r->method, "POST") && !strcmp(r->path, path)) return true;
    return false;
}

void web_account_dispatch(const struct account_req *rq, struct account_reply *out)
{
    const struct account_route *hit = NULL;
    char allow[64] = ""; /* every method the path answers, for a 405's Allow header */
    for (const struct account_route *r = web_account_routes; r->path; r++) {
        if (strcmp(r->path, rq->path) != 0) continue;
        bool get = !strcmp(r->method, "GET");
        if (!strcmp(r->method, rq->method) || (get && !strcmp(rq->method, "HEAD"))) hit = r;
        size_t n = strlen(allow);
        snprintf(allow + n, sizeof allow - n, "%s%s", n ? ", " : "", get ? "GET, HEAD" : r->method);
    }
    if (!hit) {
        if (allow[0]) {
            char msg[128];
            snprintf(msg, sizeof msg, "method %.20s not allowed (%s)", rq->method, allow);
            account_reply_error(out, 405, msg);
            account_reply_header(out, "Allow", allow);
        } else {
            account_reply_error(out, 404, "no such account route");
        }
        return;
    }
    if (!rq->db) {
        account_reply_error(out, 503, "the account database is not available");
        return;
    }
    struct account_user u;
    bool signed_in = false;
    char why[160];
    if (hit->flags & ACCOUNT_SIGNED_IN) {
        if (web_account_user(rq, &u) != 1) {
            account_reply_error(out, 401, "not signed in");
            return;
        }
        signed_in = true;
        if ((hit->flags & ACCOUNT_CSRF) == ACCOUNT_CSRF && web_account_check_csrf(rq, &u, why, sizeof why) < 0) {
            account_reply_error(out, 403, why);
            return;
        }
    }
    if ((hit->flags & ACCOUNT_ORIGIN) && web_account_check_origin(rq, why, sizeof why) < 0) {
        account_reply_error(out, 403, why);
        return;
    }
    hit->fn(rq, signed_in ? &u : NULL, out);
    if (!out->status) account_reply_error(out, 500, "internal error: the handler gave no answer");
    sodium_memzero(&u, sizeof u);
}

int account_read_body(const struct account_req *rq, const char *const *allowed, struct json *j,
                      struct account_reply *out)
{
    struct mt_err err = MT_ERR_INIT;
    memset(j, 0, sizeof *j);
    if (form_json_object(rq->body, rq->body_len, j, &err) < 0 || form_json_only(j, allowed, &err) < 0) {
        if (j->t == JSON_OBJ) json_free(j);
        account_reply_error(out, 400, err.msg);
        return -1;
    }
    return 0;
}
