/* web_keys.c — see web_keys.h.
 *
 * The account database: the gate borrows a connection of web_account.h's pool (opened at
 * server start, one per worker) for the length of one key check, and anonymous requests
 * never touch the database at all. */
#include "web/web_keys.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "accounts/apikeys.h"
#include "accounts/audit.h"
#include "accounts/billing.h"
#include "accounts/http_form.h"
#include "accounts/ratelimit.h"
#include "accounts/stripe_sig.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "web/web_account.h"
#include "web/web_route.h"
#include "web/web_server.h"

#define KEYS_MAX_BUCKETS 100000 /* ~200 bytes each: 20 MB at most */

static struct ratelimit *limiter;

void web_keys_start(void)
{
    if (!limiter) limiter = ratelimit_new(KEYS_MAX_BUCKETS);
}

void web_keys_stop(void)
{
    ratelimit_free(limiter);
    limiter = NULL;
}

/* The client's per-address bucket: web_server.h's web_client_bucket of web_client_ip. */
static void client_bucket(const struct web_server *srv, struct MHD_Connection *c, char *out, size_t outlen)
{
    char a[INET6_ADDRSTRLEN];
    web_client_ip(srv, c, a, sizeof a);
    web_client_bucket(a, out, outlen);
}

static struct MHD_Response *refusal(int status, const char *msg, unsigned long long rid, long retry_after,
                                    int *status_out, size_t *bytes)
{
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "{\"error\":");
    web_json_str(&sb, msg, strlen(msg));
    sb_appendf(&sb, ",\"request_id\":\"%llx\"}\n", rid);
    size_t len = sb.len;
    char *body = sb_detach(&sb);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return NULL;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (status == 401) MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"materia\", error=\"invalid_token\"");
    if (retry_after > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%ld", retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    *status_out = status;
    *bytes = len;
    return r;
}

/* The key of "Bearer <key>" (scheme case-insensitive, RFC 6750 §2.1), or NULL. */
static const char *bearer_token(const char *h)
{
    if (strncasecmp(h, "Bearer ", 7) != 0) return NULL;
    h += 7;
    while (*h == ' ') h++;
    return *h ? h : NULL;
}

struct MHD_Response *web_keys_gate(const struct web_server *srv, struct MHD_Connection *c, unsigned long long rid,
                                   int *status, size_t *bytes)
{
    if (!limiter) return NULL;
    const struct settings *s = &g_config.s;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    char bucket[64];
    long rate;
    const char *who;
    if (auth) {
        const char *key = bearer_token(auth);
        if (!key) return refusal(401, "Authorization must be 'Bearer <API key>'", rid, 0, status, bytes);
        struct apikey_auth a;
        struct mt_err err = MT_ERR_INIT;
        sqlite3 *db = web_account_db_acquire();
        if (!db) mt_errf(&err, "the account database is not open");
        int v = db ? apikey_verify(db, key, (long long)time(NULL), &a, &err) : -1;
        web_account_db_release(db);
        if (v < 0) {
            log_error("serve: request %llx: API key check failed: %s", rid, err.msg);
            return refusal(503, "the API key could not be checked: try again", rid, 5, status, bytes);
        }
        if (v == 0) return refusal(401, "invalid or revoked API key", rid, 0, status, bytes);
        snprintf(bucket, sizeof bucket, "key:%lld", a.key_id);
        bool pro = strcmp(a.plan, "pro") == 0;
        rate = pro ? s->api_rate_pro_per_min : s->api_rate_free_per_min;
        who = pro ? "the pro plan" : "the free plan";
    } else {
        client_bucket(srv, c, bucket, sizeof bucket);
        rate = s->api_rate_anon_per_min;
        who = "anonymous clients (an API key raises it)";
    }
    long wait = ratelimit_take(limiter, bucket, rate, (double)clock_mono_ns() / 1e9);
    if (!wait) return NULL;
    char msg[160];
    snprintf(msg, sizeof msg, "rate limit exceeded: %ld requests per minute for %s; retry in %ld s", rate, who, wait);
    return refusal(429, msg, rid, wait, status, bytes);
}

/* ---- the account routes of API keys and billing (registered in web_account.c's table) ---- */

static void key_json(strbuf *sb, const struct apikey_info *k)
{
    sb_appendf(sb, "{\"id\":%lld,\"name\":", k->id);
    sb_append_json_str(sb, k->name);
    sb_append(sb, ",\"prefix\":");
    sb_append_json_str(sb, k->prefix);
    sb_append(sb, ",\"created_at\":");
    account_json_time(sb, k->created_at);
    sb_append(sb, ",\"last_used_at\":");
    account_json_time(sb, k->last_used_at);
    sb_append(sb, ",\"revoked_at\":");
    account_json_time(sb, k->revoked_at);
    sb_append_char(sb, '}');
}

void keys_list(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    struct apikey_info *v;
    size_t n;
    struct mt_err err = MT_ERR_INIT;
    if (apikey_list(rq->db, u->id, &v, &n, &err) < 0) {
        account_reply_server_error(out, "keys", &err);
        return;
    }
    strbuf sb;
    sb_init(&sb);
    sb_append_char(&sb, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) sb_append_char(&sb, ',');
        key_json(&sb, &v[i]);
    }
    sb_append(&sb, "]\n");
    free(v);
    account_reply_json_sb(out, 200, &sb);
}

void keys_create(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    static const char *const allowed[] = {"name", NULL};
    struct json j;
    if (account_read_body(rq, allowed, &j, out) < 0) return;
    struct mt_err err = MT_ERR_INIT;
    char name[APIKEY_NAME_MAX * 2 + 1];
    int got = form_json_string(&j, "name", name, sizeof name, &err);
    json_free(&j);
    if (got <= 0) {
        account_reply_error(out, 400, got < 0 ? err.msg : "the key needs a name");
        return;
    }
    struct apikey_info info;
    char key[APIKEY_BUF];
    if (apikey_create(rq->db, u->id, name, rq->now, &info, key, &err) < 0) {
        if (err.code == MT_ERR_DB) account_reply_server_error(out, "key create", &err);
        else account_reply_error(out, err.code == MT_ERR_FORMAT ? 400 : 409, err.msg);
        return;
    }
    char detail[96];
    snprintf(detail, sizeof detail, "key %lld (%s)", info.id, info.prefix);
    if (audit_add(rq->db, rq->now, u->id, "key_create", rq->ip, detail, &err) < 0)
        log_warn("serve: account: audit of key_create: %s", err.msg);
    strbuf sb;
    sb_init(&sb);
    sb_appendf(&sb, "{\"id\":%lld,\"name\":", info.id);
    sb_append_json_str(&sb, info.name);
    sb_append(&sb, ",\"prefix\":");
    sb_append_json_str(&sb, info.prefix);
    sb_append(&sb, ",\"key\":");
    sb_append_json_str(&sb, key);
    sb_append(&sb, "}\n");
    sodium_memzero(key, sizeof key);
    account_reply_json_sb(out, 201, &sb);
}

void keys_revoke(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    static const char *const allowed[] = {"id", NULL};
    struct json j;
    if (account_read_body(rq, allowed, &j, out) < 0) return;
    const struct json *idv = json_get(&j, "id");
    long long id = 0;
    bool ok = idv && idv->t == JSON_NUM && idv->s[0] && strlen(idv->s) <= 18;
    for (const char *c = ok ? idv->s : ""; *c && ok; c++) {
        if (*c < '0' || *c > '9') ok = false;
        else id = id * 10 + (*c - '0');
    }
    json_free(&j);
    if (!ok || id <= 0) {
        account_reply_error(out, 400, "id must be the key's id (a positive integer)");
        return;
    }
    struct mt_err err = MT_ERR_INIT;
    int r = apikey_revoke(rq->db, u->id, id, rq->now, &err);
    if (r < 0) {
        account_reply_server_error(out, "key revoke", &err);
        return;
    }
    if (r == 0) {
        account_reply_error(out, 404, "no such key");
        return;
    }
    char detail[48];
    snprintf(detail, sizeof detail, "key %lld", id);
    if (audit_add(rq->db, rq->now, u->id, "key_revoke", rq->ip, detail, &err) < 0)
        log_warn("serve: account: audit of key_revoke: %s", err.msg);
    char body[64];
    snprintf(body, sizeof body, "{\"id\":%lld,\"revoked\":true}\n", id);
    account_reply_json(out, 200, body);
}

/* Appends s percent-encoded for a query string value (RFC 3986 unreserved kept). */
static void append_query_value(strbuf *sb, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
            *c == '.' || *c == '_' || *c == '~')
            sb_append_char(sb, (char)*c);
        else
            sb_appendf(sb, "%%%02X", *c);
    }
}

void keys_billing(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    const struct settings *s = &g_config.s;
    struct billing_state bs;
    struct mt_err err = MT_ERR_INIT;
    if (billing_state_get(rq->db, u->id, &bs, &err) < 0) {
        account_reply_server_error(out, "billing", &err);
        return;
    }
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "{\"plan\":");
    sb_append_json_str(&sb, bs.plan);
    sb_append(&sb, ",\"status\":");
    if (bs.status[0]) sb_append_json_str(&sb, bs.status);
    else sb_append(&sb, "null");
    sb_append(&sb, ",\"current_period_end\":");
    account_json_time(&sb, bs.current_period_end);
    sb_append(&sb, ",\"checkout_url\":");
    if (s->stripe_checkout_url && s->stripe_checkout_url[0]) {
        strbuf url;
        sb_init(&url);
        sb_append(&url, s->stripe_checkout_url);
        sb_appendf(&url, "%cclient_reference_id=%lld&prefilled_email=", strchr(s->stripe_checkout_url, '?') ? '&' : '?',
                   u->id);
        append_query_value(&url, u->email);
        sb_append_json_str(&sb, url.buf);
        sb_free(&url);
    } else {
        sb_append(&sb, "null");
    }
    sb_appendf(&sb, ",\"limits\":{\"anonymous\":{\"api_requests_per_min\":%ld},"
                    "\"free\":{\"api_requests_per_min\":%ld,\"api_keys\":%d},"
                    "\"pro\":{\"api_requests_per_min\":%ld,\"api_keys\":%d}}}\n",
               s->api_rate_anon_per_min, s->api_rate_free_per_min, APIKEY_MAX_PER_USER, s->api_rate_pro_per_min,
               APIKEY_MAX_PER_USER);
    account_reply_json_sb(out, 200, &sb);
}

void keys_webhook(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    (void)u;
    const char *secret = g_config.s.stripe_webhook_secret;
    if (!secret || !secret[0]) {
        account_reply_error(out, 503, "billing webhook not configured (STRIPE_WEBHOOK_SECRET is empty)");
        return;
    }
    /* the signature is over the raw bytes exactly as received */
    const char *body = rq->body ? rq->body : "";
    enum stripe_sig_result sr = stripe_sig_verify(web_account_header(rq, "Stripe-Signature"), body, rq->body_len,
                                                  secret, rq->now, STRIPE_SIG_TOLERANCE);
    if (sr != STRIPE_SIG_OK) {
        log_warn("serve: billing webhook from %s refused: %s", rq->ip, stripe_sig_reason(sr));
        account_reply_error(out, 400, stripe_sig_reason(sr));
        return;
    }
    if (memchr(body, '\0', rq->body_len)) {
        account_reply_error(out, 400, "the event is not JSON text (it holds a NUL byte)");
        return;
    }
    char *payload = xstrndup(body, rq->body_len);
    struct billing_result res;
    struct mt_err err = MT_ERR_INIT;
    int rc = billing_apply(rq->db, payload, rq->now, &res, &err);
    free(payload);
    if (rc < 0) {
        if (err.code == MT_ERR_FORMAT) {
            log_warn("serve: billing webhook: %s", err.msg);
            account_reply_error(out, 400, err.msg);
        } else {
            account_reply_server_error(out, "billing webhook", &err); /* 500: Stripe retries */
        }
        return;
    }
    log_info("serve: billing webhook: %s (user %lld, plan %s)", billing_outcome_name(res.outcome), res.user_id,
             res.plan[0] ? res.plan : "-");
    if (res.outcome == BILLING_UNMATCHED) {
        account_reply_error(out, 409, "the customer is not linked to an account yet; deliver the event again later");
        return;
    }
    char reply[96];
    snprintf(reply, sizeof reply, "{\"received\":true,\"outcome\":\"%s\"}\n", billing_outcome_name(res.outcome));
    account_reply_json(out, 200, reply);
}
