/* stripe_api.c — see stripe_api.h. The request and its retries are util/http_post.c's; this
 * file builds the URL and the headers and reads Stripe's answer.
 *
 * The subscription id goes into the URL's path, so it must be a Stripe id (letters, digits,
 * '_': "sub_..."), never anything that could change the path; it comes from a signed event,
 * but a stored value is checked again before it is sent. */
#include "accounts/stripe_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/config.h"
#include "util/http_post.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"

void stripe_api_from_config(struct stripe_api *api)
{
    api->url = g_config.s.stripe_api_url ? g_config.s.stripe_api_url : "https://api.stripe.com";
    api->key = g_config.s.stripe_api_key ? g_config.s.stripe_api_key : "";
    api->backoff_ms = STRIPE_API_BACKOFF_MS;
}

bool stripe_api_configured(const struct stripe_api *api)
{
    return api->key && *api->key;
}

static bool stripe_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 255) return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    return true;
}

/* Stripe's error answer: {"error": {"code": "...", "message": "...", "type": "..."}}. */
static void stripe_error(const char *body, char *out, size_t outlen)
{
    out[0] = '\0';
    struct json j;
    struct mt_err e = MT_ERR_INIT;
    if (json_parse(body, &j, &e) < 0) return;
    const struct json *er = json_get(&j, "error");
    const char *msg = json_str(er, "message");
    if (*msg) snprintf(out, outlen, "%s", msg);
    json_free(&j);
}

/* The error's code ("resource_missing"...) of a Stripe error answer, into out ("" if none). */
static void stripe_error_code(const char *body, char *out, size_t outlen)
{
    out[0] = '\0';
    struct json j;
    struct mt_err e = MT_ERR_INIT;
    if (json_parse(body, &j, &e) < 0) return;
    snprintf(out, outlen, "%s", json_str(json_get(&j, "error"), "code"));
    json_free(&j);
}

static void log_retry(int attempt, int attempts, const char *why, long delay_ms, void *ud)
{
    log_warn("stripe: cancelling subscription %s: attempt %d of %d failed (%s); again in %ld ms", (const char *)ud,
             attempt, attempts, why, delay_ms);
}

int stripe_cancel_subscription(const struct stripe_api *api, const char *sub_id, struct mt_err *err)
{
    if (!stripe_api_configured(api))
        return mt_errf(err, "subscription %s: STRIPE_API_KEY is not set, so it cannot be cancelled from here", sub_id);
    if (!stripe_id_ok(sub_id))
        return mt_errf(err, "subscription %.100s: not a Stripe subscription id; nothing was sent", sub_id);
    size_t ul = strlen(api->url);
    while (ul > 0 && api->url[ul - 1] == '/') ul--;
    char *url = xasprintf("%.*s/v1/subscriptions/%s", (int)ul, api->url, sub_id);
    char *auth = xasprintf("Authorization: Bearer %s", api->key);
    const char *headers[] = {auth, NULL};
    strbuf whole;
    sb_init(&whole);
    struct http_post_req req = {
        .method = "DELETE",
        .url = url,
        .body = NULL,
        .headers = headers,
        .timeout_s = STRIPE_API_TIMEOUT_S,
        .attempts = STRIPE_API_ATTEMPTS,
        .backoff_ms = api->backoff_ms,
        .body_error = stripe_error,
        .on_retry = log_retry,
        .ud = (void *)sub_id,
        .whole_body = &whole,
    };
    struct http_post_res *res = xcalloc(1, sizeof *res);
    struct mt_err e = MT_ERR_INIT;
    int rc = http_post_json(&req, res, &e);
    memset(auth, 0, strlen(auth));
    free(auth);
    free(url);
    if (rc < 0) {
        char code[64];
        stripe_error_code(res->body, code, sizeof code);
        if (res->status == 404 && !strcmp(code, "resource_missing")) {
            log_info("stripe: subscription %s: Stripe has no such subscription (already gone)", sub_id);
            rc = 0;
        } else {
            mt_errf(err, "subscription %s: Stripe did not cancel it: %s", sub_id, e.msg);
        }
    } else {
        /* a 2xx: the Subscription object, whose status must now say so */
        struct json j;
        struct mt_err pe = MT_ERR_INIT;
        if (json_parse(whole.buf, &j, &pe) < 0) {
            rc = mt_errf(err, "subscription %s: Stripe's answer (HTTP %ld) is not a subscription: %s", sub_id,
                         res->status, pe.msg);
        } else {
            const char *status = json_str(&j, "status");
            if (strcmp(status, "canceled") != 0)
                rc = mt_errf(err, "subscription %s: Stripe answered HTTP %ld but its status is '%.40s', not canceled",
                             sub_id, res->status, status);
            else
                log_info("stripe: subscription %s cancelled (attempt %d)", sub_id, res->attempts);
            json_free(&j);
        }
    }
    free(res);
    sb_free(&whole);
    return rc;
}
