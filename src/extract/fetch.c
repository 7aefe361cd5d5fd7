/* fetch.c — see fetch.h.
 *
 * One easy handle per attempt, so nothing (headers, body, error buffer) carries over from
 * a failed attempt into the next. Response headers are captured by a header callback that
 * forgets what it saw whenever a new status line starts (redirects, 100 Continue), so the
 * ETag and Last-Modified kept are those of the final response. The protocol allow-lists
 * are checked (fault point "curl_protocols", util/testhook.h): a fetch that cannot apply
 * them is refused, not retried. */
#include "extract/fetch.h"
#include "util/err.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "util/log.h"
#include "util/testhook.h"

struct xfer {
    struct fetch_result *res;
    size_t max_bytes;
    bool too_big;
    bool http;      /* headers count only from an HTTP server (see on_header) */
    /* progress */
    bool progress;
    bool drawn;
    time_t started;
    int last_pct;
    curl_off_t last_now;
};


void fetch_result_free(struct fetch_result *res)
{
    sb_free(&res->body);
    free(res->etag);
    free(res->last_modified);
    memset(res, 0, sizeof *res);
    res->last_modified_t = -1;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    if (x->res->body.len + n > x->max_bytes) {
        x->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    sb_append_len(&x->res->body, ptr, n);
    return n;
}

/* value of "Name: value\r\n" with surrounding blanks trimmed, or NULL if name differs */
static char *header_value(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':') return NULL;
    const char *v = line + k + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && isspace((unsigned char)end[-1])) end--;
    return xstrndup(v, (size_t)(end - v));
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    char *v;
    /* for file:// libcurl synthesises a Last-Modified from the local file's mtime: that
     * is when the copy was made, not when USDA published it, so it is ignored (the
     * zip member's own mtime dates the release instead) */
    if (!x->http) return n;
    if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
        free(x->res->etag);
        free(x->res->last_modified);
        x->res->etag = x->res->last_modified = NULL;
    } else if ((v = header_value(line, n, "ETag"))) {
        free(x->res->etag);
        x->res->etag = *v ? v : (free(v), NULL);
    } else if ((v = header_value(line, n, "Last-Modified"))) {
        free(x->res->last_modified);
        x->res->last_modified = v;
    }
    return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct xfer *x = ud;
    (void)ultotal;
    (void)ulnow;
    if (!x->progress) return 0;
    /* only long downloads get a bar: nothing for the first second */
    if (!x->drawn && time(NULL) - x->started < 1) return 0;
    if (dltotal > 0) {
        int pct = (int)(dlnow * 100 / dltotal);
        if (x->drawn && pct == x->last_pct) return 0;
        int filled = pct * 30 / 100;
        char bar[31];
        for (int i = 0; i < 30; i++) bar[i] = i < filled ? '#' : ' ';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %3d%% %.1f/%.1f MB", bar, pct, dlnow / 1048576.0,
                dltotal / 1048576.0);
        x->last_pct = pct;
    } else {
        if (x->drawn && dlnow - x->last_now < 262144) return 0;
        fprintf(stderr, "\r%.1f MB", dlnow / 1048576.0);
        x->last_now = dlnow;
    }
    fflush(stderr);
    x->drawn = true;
    return 0;
}

static bool url_is_http(const char *url)
{
    return !strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8);
}

/* One attempt. Returns 0 (body or 304 received), 1 (retryable failure), -1 (fatal);
 * err is set for 1 and -1. */
static int fetch_once(const struct fetch_opts *o, struct fetch_result *res, struct mt_err *err)
{
    CURL *h = curl_easy_init();
    if (!h) {
        mt_errf(err, "curl_easy_init failed");
        return -1;
    }
    struct xfer x = {.res = res, .max_bytes = o->max_bytes, .progress = o->progress,
                     .started = time(NULL), .last_pct = -1,
                     .http = url_is_http(o->url)};
    char cerr[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    char *inm = NULL;
    /* a header value with control characters (a hand-edited meta file) is not sent */
    bool inm_ok = o->if_none_match && *o->if_none_match;
    for (const char *c = o->if_none_match; inm_ok && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) inm_ok = false;
    if (inm_ok && url_is_http(o->url)) {
        inm = xasprintf("If-None-Match: %s", o->if_none_match);
        hdrs = curl_slist_append(hdrs, inm);
    }
    curl_easy_setopt(h, CURLOPT_URL, o->url);
    /* The allow-lists fail closed: a libcurl that cannot apply them (too old, or built
     * without a listed protocol) would otherwise follow a redirect to any scheme it has. */
    CURLcode pc = testhook_fail("curl_protocols") ? CURLE_UNKNOWN_OPTION
                                                  : curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
    if (pc == CURLE_OK) pc = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (pc != CURLE_OK) {
        mt_errf(err, "libcurl cannot restrict the protocols to http, https and file (%s): "
                 "not fetching", curl_easy_strerror(pc));
        curl_slist_free_all(hdrs);
        free(inm);
        curl_easy_cleanup(h);
        return -1;
    }
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "materia/" MATERIA_VERSION);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout_s);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, o->progress ? 0L : 1L);
    if (hdrs) curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    CURLcode cc = curl_easy_perform(h);
    if (x.drawn) fputs("\n", stderr);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    res->status = status;
    int rc;
    if (x.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        mt_errf(err, "download is larger than the cap of %zu bytes (EXTRACT_MAX_BYTES)",
                 o->max_bytes);
        rc = -1;
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        mt_errf(err, "timed out: %s", *cerr ? cerr : curl_easy_strerror(cc));
        rc = 1;
    } else if (cc != CURLE_OK) {
        mt_errf(err, "%s", *cerr ? cerr : curl_easy_strerror(cc));
        rc = -1;
    } else if (status == 304) {
        res->not_modified = true;
        rc = 0;
    } else if (status >= 500) {
        mt_errf(err, "HTTP %ld server error", status);
        rc = 1;
    } else if (status >= 400) {
        mt_errf(err, "HTTP %ld client error (not retried)", status);
        rc = -1;
    } else if (status != 0 && status != 200) {
        mt_errf(err, "unexpected HTTP status %ld", status);
        rc = -1;
    } else {
        res->last_modified_t = res->last_modified ? curl_getdate(res->last_modified, NULL) : -1;
        rc = 0;
    }
    curl_slist_free_all(hdrs);
    free(inm);
    curl_easy_cleanup(h);
    return rc;
}

int fetch_url(const struct fetch_opts *o, struct fetch_result *res, struct mt_err *err)
{
    memset(res, 0, sizeof *res);
    sb_init(&res->body);
    res->last_modified_t = -1;
    long delay = o->backoff_ms > 0 ? o->backoff_ms : 0;
    for (long attempt = 0;; attempt++) {
        res->attempts = (int)attempt + 1;
        int rc = fetch_once(o, res, err);
        if (rc <= 0) return rc;
        if (attempt >= o->retries) {
            mt_err_set(err, err->code, "%s (after %ld attempts)", err->msg, attempt + 1);
            return -1;
        }
        log_warn("extract: %s: attempt %ld failed (%s); retrying in %ld ms", o->url,
                 attempt + 1, err->msg, delay);
        /* start the next attempt from nothing */
        sb_reset(&res->body);
        free(res->etag);
        free(res->last_modified);
        res->etag = res->last_modified = NULL;
        res->status = 0;
        if (delay > 0) {
            struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
        }
        delay = delay < 30000 ? delay * 2 : 60000; /* exponential, capped at a minute */
    }
}
