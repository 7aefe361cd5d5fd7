/* fetch.h — download one URL with libcurl (https://, http://, file://).
 *
 * Conditional GET (If-None-Match) for http(s); connect and total timeouts per attempt;
 * retries with exponential backoff (backoff_ms, 2x, 4x, ...) on timeouts and HTTP 5xx
 * only — any 4xx, a refused connection or a bad URL fails at once. The body is held in
 * memory and capped at max_bytes. A progress bar goes to stderr when asked (the caller
 * decides: only when stderr is a terminal), and only once a transfer has run a second.
 * ETag and Last-Modified are taken from HTTP responses only (for file:// both are NULL). */
#ifndef MATERIA_EXTRACT_FETCH_H
#define MATERIA_EXTRACT_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/strbuf.h"
#include "util/err.h"

struct fetch_opts {
    const char *url;
    const char *if_none_match; /* raw ETag to send, or NULL (ignored for file://) */
    long connect_timeout_s;
    long timeout_s;
    long retries;              /* extra attempts after the first */
    long backoff_ms;           /* delay before the first retry; doubles each time */
    size_t max_bytes;
    bool progress;
};

struct fetch_result {
    long status;               /* final HTTP status; 0 for file:// */
    bool not_modified;         /* 304 */
    strbuf body;
    char *etag;                /* raw ETag header value (owned) or NULL */
    char *last_modified;       /* raw Last-Modified header value (owned) or NULL */
    time_t last_modified_t;    /* parsed Last-Modified, or -1 */
    int attempts;
};

/* Returns 0 when a body (or a 304) was received, else -1 with a one-line reason in err
 * (no URL in it: the caller names the URL). res is always initialised; free it with
 * fetch_result_free() either way. */
int fetch_url(const struct fetch_opts *o, struct fetch_result *res, struct mt_err *err);
void fetch_result_free(struct fetch_result *res);

#endif
