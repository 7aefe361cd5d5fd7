/* stripe_api.c — see stripe_api.h. The request and its retries are util/http_post.c's; this
 * file builds the URL and the headers and reads Stripe's answer.
 *
 * The subscription id goes into the URL's path, so it must be a Stripe id (letters, digits,
 * '_': "sub_..."), never anything that could change the path; it comes from a signed event,
 * but a stored value is checked again before it is sent. */
#include "accounts/stripe_api.h"

#include "accounts/billing.h"

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
    api->attempts = STRIPE_API_ATTEMPTS;
    api->timeout_s = STRIPE_API_TIMEOUT_S;
}

void stripe_api_for_web(struct stripe_api *api)
{
    stripe_api_from_config(api);
    api->attempts = STRIPE_API_WEB_ATTEMPTS;
    api->timeout_s = STRIPE_API_WEB_TIMEOUT_S;
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

/* The status of a Subscription object (the answer's whole body) into out, "" when the body is
 * not one. */
static void subscription_status(const char *body, char *out, size_t outlen)
{
    out[0] = '\0';
    struct json j;
    struct mt_err e = MT_ERR_INIT;
    if (json_parse(body, &j, &e) < 0) return;
    if (!strcmp(json_str(&j, "object"), "subscription")) snprintf(out, outlen, "%s", json_str(&j, "status"));
    json_free(&j);
}

/* One call, method on /v1/subscriptions/<sub_id>, with its retries: http_post_json's result,
 * *status the last HTTP status, status_out the subscription's status from a 2xx ("" if none),
 * code_out the error's code from a refusal, the failure in e. */
static int subscription_call(const struct stripe_api *api, const char *method, const char *sub_id, long *status,
                             char *sub_status, size_t sslen, char *code, size_t codelen, struct mt_err *e)
{
    size_t ul = strlen(api->url);
    while (ul > 0 && api->url[ul - 1] == '/') ul--;
    char *url = xasprintf("%.*s/v1/subscriptions/%s", (int)ul, api->url, sub_id);
    char *auth = xasprintf("Authorization: Bearer %s", api->key);
    const char *headers[] = {auth, NULL};
    strbuf whole;
    sb_init(&whole);
    struct http_post_req req = {
        .method = method,
        .url = url,
        .body = NULL,
        .headers = headers,
        .timeout_s = api->timeout_s,
        .attempts = strcmp(method, "GET") == 0 ? 1 : api->attempts, /* the check: one try */
        .backoff_ms = api->backoff_ms,
        .body_error = stripe_error,
        .on_retry = log_retry,
        .ud = (void *)sub_id,
        .whole_body = &whole,
    };
    struct http_post_res *res = xcalloc(1, sizeof *res); /* 4 KiB: not on a web worker's stack */
    int rc = http_post_json(&req, res, e);
    memset(auth, 0, strlen(auth));
    free(auth);
    free(url);
    *status = res->status;
    sub_status[0] = code[0] = '\0';
    if (rc == 0) subscription_status(whole.buf, sub_status, sslen);
    else stripe_error_code(res->body, code, codelen);
    free(res);
    sb_free(&whole);
    return rc;
}

int stripe_cancel_subscription(const struct stripe_api *api, const char *sub_id, struct mt_err *err)
{
    if (!stripe_api_configured(api))
        return mt_errf(err, "subscription %s: STRIPE_API_KEY is not set, so it cannot be cancelled from here", sub_id);
    if (!stripe_id_ok(sub_id))
        return mt_errf(err, "subscription %.100s: not a Stripe subscription id; nothing was sent", sub_id);
    long status;
    char sub_status[32], code[64];
    struct mt_err e = MT_ERR_INIT;
    int rc = subscription_call(api, "DELETE", sub_id, &status, sub_status, sizeof sub_status, code, sizeof code, &e);
    if (rc == 0) {
        if (billing_status_terminal(sub_status)) { /* an incomplete one ends incomplete_expired */
            log_info("stripe: subscription %s cancelled (%s)", sub_id, sub_status);
            return 0;
        }
        return mt_errf(err, "subscription %s: Stripe answered HTTP %ld but the subscription's status is '%s', "
                            "not canceled", sub_id, status, sub_status[0] ? sub_status : "(none)");
    }
    if (status == 404 && !strcmp(code, "resource_missing")) {
        log_info("stripe: subscription %s: Stripe has no such subscription (already gone)", sub_id);
        return 0;
    }
    /* Another refusal may be of a subscription that has ended already (cancelled in the
     * dashboard before its webhook arrived, or by an attempt whose answer was lost): Stripe
     * refuses to cancel it again. Its own status says so. */
    if (status >= 400 && status < 500 && status != 429) {
        long gst;
        char gcode[64];
        struct mt_err ge = MT_ERR_INIT;
        if (subscription_call(api, "GET", sub_id, &gst, sub_status, sizeof sub_status, gcode, sizeof gcode, &ge) == 0 &&
            billing_status_terminal(sub_status)) {
            log_info("stripe: subscription %s: already %s (Stripe refused the cancel: %s)", sub_id, sub_status, e.msg);
            return 0;
        }
    }
    return mt_errf(err, "subscription %s: Stripe did not cancel it: %s", sub_id, e.msg);
}
