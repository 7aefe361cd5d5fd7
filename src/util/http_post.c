/* http_post.c — see http_post.h. One libcurl easy handle per attempt (an attempt after a
 * failure starts from a fresh connection), the retry loop around it.
 *
 * An attempt ends in one of three ways: done (a 2xx whose body states no error), retry (no
 * answer: libcurl's error, a timeout among them; or a 5xx or 429, which say "not now"), or
 * final (any other answer, a request libcurl cannot even set up, or the caller's cancel). */
#include "util/http_post.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CONNECT_TIMEOUT_MAX_S 5L

enum outcome { DONE, RETRY, FINAL };

struct body_buf {
    char *p;
    size_t len;
    strbuf *whole; /* NULL, or the caller's whole_body */
};

/* Keeps the first HTTP_POST_BODY_MAX bytes (and HTTP_POST_WHOLE_MAX in whole); the rest is
 * read and dropped. */
static size_t keep_body(char *p, size_t size, size_t n, void *ud)
{
    struct body_buf *b = ud;
    size_t got = size * n, room = HTTP_POST_BODY_MAX - b->len;
    size_t take = got < room ? got : room;
    memcpy(b->p + b->len, p, take);
    b->len += take;
    b->p[b->len] = '\0';
    if (b->whole && b->whole->len < HTTP_POST_WHOLE_MAX) {
        size_t wroom = HTTP_POST_WHOLE_MAX - b->whole->len;
        sb_append_len(b->whole, p, got < wroom ? got : wroom);
    }
    return got;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    const struct http_post_req *req = ud;
    return req->cancelled(req->ud) ? 1 : 0;
}

static enum outcome attempt_once(const struct http_post_req *req, struct http_post_res *res, struct mt_err *err)
{
    res->status = 0;
    res->body[0] = '\0';
    CURL *h = curl_easy_init();
    if (!h) {
        mt_errf(err, "cannot start libcurl");
        return RETRY;
    }
    if (req->whole_body) sb_reset(req->whole_body);
    struct body_buf b = {res->body, 0, req->whole_body};
    char cerr[CURL_ERROR_SIZE] = "";
    /* a request without a body has no Content-Type; libcurl wants a first list item, so
     * that one names the JSON or is a harmless Accept */
    struct curl_slist *hdrs =
        curl_slist_append(NULL, req->body ? "Content-Type: application/json" : "Accept: application/json");
    for (const char *const *hp = req->headers; hdrs && hp && *hp; hp++) {
        struct curl_slist *more = curl_slist_append(hdrs, *hp);
        if (!more) curl_slist_free_all(hdrs); /* the loop ends: hdrs is NULL */
        hdrs = more;
    }
    long connect_s = req->timeout_s < CONNECT_TIMEOUT_MAX_S ? req->timeout_s : CONNECT_TIMEOUT_MAX_S;
    /* every option is checked: one refused (an old libcurl without CURLOPT_PROTOCOLS_STR)
     * would send a request other than the one meant */
    CURLcode sc = hdrs ? CURLE_OK : CURLE_OUT_OF_MEMORY;
    if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_URL, req->url);
    if (sc == CURLE_OK && req->body) sc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
    if (sc == CURLE_OK && req->method) sc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_TIMEOUT, req->timeout_s);
    if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, connect_s);
    if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_USERAGENT, "materia/" MATERIA_VERSION);
    if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
    if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (sc == CURLE_OK && req->cancelled) {
        sc = curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        if (sc == CURLE_OK) sc = curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)req);
    }
    CURLcode cc = sc == CURLE_OK ? curl_easy_perform(h) : sc;
    long status = 0;
    if (sc == CURLE_OK && curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) status = 0;
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    res->status = status;
    if (sc != CURLE_OK) {
        mt_errf(err, "cannot set up the request: %s", curl_easy_strerror(sc));
        return FINAL;
    }
    if (cc == CURLE_ABORTED_BY_CALLBACK) {
        res->cancelled = true;
        mt_errf(err, "cancelled");
        return FINAL;
    }
    if (cc != CURLE_OK) {
        mt_errf(err, "%s", *cerr ? cerr : curl_easy_strerror(cc));
        return RETRY;
    }
    char stated[256] = "";
    if (req->body_error) req->body_error(res->body, stated, sizeof stated);
    if (status >= 200 && status < 300 && !stated[0]) return DONE;
    mt_errf(err, "HTTP %ld%s%s", status, stated[0] ? ": " : "", stated);
    return status >= 500 || status == 429 ? RETRY : FINAL;
}

static bool sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
    return true;
}

int http_post_json(const struct http_post_req *req, struct http_post_res *res, struct mt_err *err)
{
    struct http_post_res own;
    if (!res) res = &own;
    memset(res, 0, sizeof *res);
    int attempts = req->attempts > 0 ? req->attempts : 1;
    long delay = req->backoff_ms;
    for (int attempt = 1; attempt <= attempts; attempt++) {
        struct mt_err e = MT_ERR_INIT;
        res->attempts = attempt;
        enum outcome o = attempt_once(req, res, &e);
        if (o == DONE) return 0;
        if (err) *err = e;
        if (o == FINAL || attempt == attempts) return -1;
        if (req->on_retry) req->on_retry(attempt, attempts, e.msg, delay, req->ud);
        if (!(req->wait ? req->wait(delay, req->ud) : sleep_ms(delay))) {
            res->cancelled = true;
            return -1;
        }
        delay *= 2;
    }
    return -1; /* not reached: the last attempt returns above */
}
