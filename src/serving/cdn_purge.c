/* cdn_purge.c — see cdn_purge.h. The POST and its retries are util/http_post.c's.
 *
 * Cloudflare's "Purge Cached Content" (POST /zones/{zone_id}/purge_cache) takes a JSON
 * body {"tags": [...]} and an API token as `Authorization: Bearer`; it answers
 * {"success": true, ...} with 200, or {"success": false, "errors": [{"code","message"}]}
 * with a 4xx. Success here is a 2xx whose body does not say "success": false (a stand-in
 * or another CDN's endpoint that answers an empty 2xx counts as done). The token never
 * appears in a log line or an error: only the URL does.
 *
 * Why synchronous: the purge must follow the publish (purging before the new file is live
 * would let the CDN refill from the old snapshot), and the export command must be able to
 * say how it went. The bound is CDN_PURGE_ATTEMPTS x CDN_PURGE_TIMEOUT_S plus the backoff. */
#include "serving/cdn_purge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/http_post.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "web/web_cdn_tags.h"

#define PURGE_TAGS "[\"" WEB_CDN_TAG_ALL "\"]" /* the tag every data answer carries */

/* The error Cloudflare reports in a JSON body, or "". */
static void cloudflare_error(const char *body, char *out, size_t outlen)
{
    out[0] = '\0';
    struct json j;
    struct mt_err e = MT_ERR_INIT;
    if (!body || json_parse(body, &j, &e) < 0) return;
    const struct json *errs = json_get(&j, "errors");
    if (errs && errs->t == JSON_ARR && errs->n > 0)
        snprintf(out, outlen, "%s", json_str(&errs->items[0], "message"));
    const struct json *ok = json_get(&j, "success");
    if (!out[0] && ok && ok->t == JSON_BOOL && !ok->b) snprintf(out, outlen, "success: false");
    json_free(&j);
}

static void log_retry(int attempt, int attempts, const char *why, long delay_ms, void *ud)
{
    (void)ud;
    log_warn("CDN purge: attempt %d of %d failed: %s; retrying in %ld ms", attempt, attempts, why, delay_ms);
}

int cdn_purge_check(const struct config *cfg, struct mt_err *err)
{
    if (!*cfg->s.cdn_purge_url && *cfg->s.cdn_purge_token)
        return mt_errf(err, "CDN_PURGE_TOKEN is set but CDN_PURGE_URL is empty: no purge could be made "
                            "(set both, or neither)");
    return 0;
}

int cdn_purge_after_export(const struct config *cfg, const char *snapshot_id, struct mt_err *err)
{
    const char *url = cfg->s.cdn_purge_url, *token = cfg->s.cdn_purge_token;
    /* No URL means no purge configured. A token without a URL never gets here:
     * cdn_purge_check() refuses that pair before any work, in each command that can purge
     * (export_cmd.c, pipeline_run in pipeline.c, supervise_cmd.c at its start). */
    if (!*url) return 0;
    char *auth = *token ? xasprintf("Authorization: Bearer %s", token) : NULL;
    const char *headers[] = {auth, NULL};
    struct http_post_req req = {
        .url = url,
        .body = "{\"tags\":" PURGE_TAGS "}",
        .headers = headers,
        .timeout_s = cfg->s.cdn_purge_timeout_s,
        .attempts = CDN_PURGE_ATTEMPTS,
        .backoff_ms = CDN_PURGE_BACKOFF_MS,
        .body_error = cloudflare_error,
        .on_retry = log_retry,
    };
    struct http_post_res res;
    int rc = http_post_json(&req, &res, err);
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    if (rc == 0)
        log_info("CDN purge: tag " WEB_CDN_TAG_ALL " purged after snapshot %s (attempt %d)", snapshot_id, res.attempts);
    if (rc < 0) {
        mt_err_prefix(err, "CDN purge of %s failed (snapshot %s is live; cached API answers expire within "
                           "6 minutes)", url, snapshot_id);
        log_warn("%s", err->msg);
    }
    return rc;
}
