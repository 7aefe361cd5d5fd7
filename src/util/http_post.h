/* http_post.h — one outgoing API request, with retries: the one owner of Materia's outgoing
 * JSON requests, the CDN purge (serving/cdn_purge.c), the supervisor's alerts
 * (pipeline/webhook.c) and the Stripe subscription cancel (accounts/stripe_api.c).
 *
 * One attempt is one synchronous libcurl request (http or https only): a POST of a JSON body
 * with `Content-Type: application/json` unless the caller names another method (a DELETE
 * carries no body), the caller's extra headers and a time limit (connection included; the
 * connection itself gets at most 5 s of it). A failed attempt is retried after
 * backoff_ms, doubled each time, up to `attempts` in all, when another attempt can help: a
 * timeout or a connection error, a 5xx, a 429. Any other answer (a 4xx: the URL, the token
 * or the body is wrong), or a 2xx whose body states an error (body_error), is final.
 *
 * libcurl's global initialisation is main()'s (before any thread): nothing here calls
 * curl_global_init. The caller decides what its log says: on_retry is told of each failed
 * attempt that will be retried, the result of the last one comes back in err and res. */
#ifndef MATERIA_HTTP_POST_H
#define MATERIA_HTTP_POST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/strbuf.h"

#define HTTP_POST_BODY_MAX 4096 /* of the answer's body, kept for the caller and body_error */
#define HTTP_POST_WHOLE_MAX (1024 * 1024) /* of the answer's body, kept in whole_body */

struct http_post_req {
    const char *method;          /* NULL: POST; else e.g. "DELETE" */
    const char *url;
    const char *body;            /* the JSON text, sent as is; NULL: no body (not for a POST) */
    const char *const *headers;  /* more "Name: value" lines, NULL-terminated; NULL: none */
    long timeout_s;              /* one attempt, connection included */
    int attempts;                /* in all, at least 1 */
    long backoff_ms;             /* before the second attempt; doubled after each retry */
    /* Each of these may be NULL. */
    /* The error the answer's body states, or "" in out (e.g. Cloudflare's "success": false):
     * it is added to a failure's message, and makes a 2xx a (final) failure. */
    void (*body_error)(const char *body, char *out, size_t outlen);
    /* Polled during a transfer (at least once a second, even while the receiver is silent):
     * true aborts it, and no attempt follows. */
    bool (*cancelled)(void *ud);
    /* Waits ms before a retry (NULL: sleeps); false: the wait was cut short, no attempt
     * follows. */
    bool (*wait)(long ms, void *ud);
    /* Told of each failed attempt that will be retried, with why and the wait before the next. */
    void (*on_retry)(int attempt, int attempts, const char *why, long delay_ms, void *ud);
    void *ud;
    /* NULL, or where the last answer's whole body goes (cut at HTTP_POST_WHOLE_MAX; replaced
     * at each attempt): for an answer longer than res->body, e.g. a Stripe object. */
    strbuf *whole_body;
};

struct http_post_res {
    long status;                       /* the last answer's HTTP status; 0: none came */
    int attempts;                      /* made */
    bool cancelled;                    /* stopped by cancelled() or a cut-short wait() */
    char body[HTTP_POST_BODY_MAX + 1]; /* the last answer's body, cut at HTTP_POST_BODY_MAX */
};

/* Sends req->method (POST) with req->body to req->url, retrying as above. 0: a 2xx (res says which attempt); -1
 * with the last attempt's failure in err ("HTTP 500: <body_error>", or libcurl's message).
 * res may be NULL. */
int http_post_json(const struct http_post_req *req, struct http_post_res *res, struct mt_err *err);

#endif
