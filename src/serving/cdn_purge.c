/* cdn_purge.c — see cdn_purge.h. One synchronous libcurl POST per attempt.
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

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "web/web_cdn_tags.h"

#define PURGE_TAGS "[\"" WEB_CDN_TAG_ALL "\"]" /* the tag every data answer carries */

static size_t keep_body(char *p, size_t size, size_t n, void *ud)
{
    strbuf *sb = ud;
    if (sb->len < 4096) sb_append_len(sb, p, size * n);
    return size * n;
}

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

/* One attempt: 0 done, 1 retryable, -1 not (reason in err). */
static int purge_once(const char *url, const char *token, long timeout_s, struct mt_err *err)
{
    CURL *h = curl_easy_init();
    if (!h) {
        mt_errf(err, "cannot start libcurl");
        return 1;
    }
    strbuf body;
    sb_init(&body);
    char cerr[CURL_ERROR_SIZE] = "";
    char *auth = *token ? xasprintf("Authorization: Bearer %s", token) : NULL;
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    if (auth) hdrs = curl_slist_append(hdrs, auth);
    CURLcode pc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{\"tags\":" PURGE_TAGS "}");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s < 5 ? timeout_s : 5L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "materia/" MATERIA_VERSION);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode cc = pc == CURLE_OK ? curl_easy_perform(h) : pc;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    curl_easy_cleanup(h);
    int rc;
    char cf[256];
    cloudflare_error(body.buf, cf, sizeof cf);
    if (cc != CURLE_OK) {
        mt_errf(err, "%s", *cerr ? cerr : curl_easy_strerror(cc));
        rc = pc == CURLE_OK ? 1 : -1;
    } else if (status >= 200 && status < 300 && !cf[0]) {
        rc = 0;
    } else {
        mt_errf(err, "HTTP %ld%s%s", status, cf[0] ? ": " : "", cf);
        rc = status >= 500 || status == 429 ? 1 : -1;
    }
    sb_free(&body);
    return rc;
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
    if (!*url) {
        if (*token) {
            mt_errf(err, "CDN purge: CDN_PURGE_TOKEN is set but CDN_PURGE_URL is empty: nothing was purged");
            log_warn("%s", err->msg);
            return -1;
        }
        return 0;
    }
    long delay = CDN_PURGE_BACKOFF_MS;
    int rc = -1;
    for (int attempt = 1; attempt <= CDN_PURGE_ATTEMPTS; attempt++) {
        struct mt_err e = MT_ERR_INIT;
        int r = purge_once(url, token, cfg->s.cdn_purge_timeout_s, &e);
        if (r == 0) {
            log_info("CDN purge: tag materia-api purged after snapshot %s (attempt %d)", snapshot_id, attempt);
            rc = 0;
            break;
        }
        *err = e;
        if (r < 0 || attempt == CDN_PURGE_ATTEMPTS) break;
        log_warn("CDN purge: attempt %d of %d failed: %s; retrying in %ld ms", attempt, CDN_PURGE_ATTEMPTS, e.msg,
                 delay);
        struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
        delay *= 2;
    }
    if (rc < 0) {
        mt_err_prefix(err, "CDN purge of %s failed (snapshot %s is live; cached API answers expire within "
                           "6 minutes)", url, snapshot_id);
        log_warn("%s", err->msg);
    }
    return rc;
}
