/* web_keys.h — the HTTP side of API keys, rate limits and billing (issue 15): the /api gate
 * called from web_server.c's data-route path, and (once the account routes exist) the
 * /account/keys, /account/billing and /billing/webhook handlers.
 *
 * The gate, per data request, before the response cache is consulted (a cached answer is
 * still served to anyone the gate lets through; the gate is never part of a cache key):
 *  - `Authorization: Bearer <key>`: the key must verify (apikeys.h), else 401 with
 *    `WWW-Authenticate: Bearer error="invalid_token"`; its bucket is "key:<id>" at the
 *    rate of the key owner's plan (API_RATE_FREE_PER_MIN or API_RATE_PRO_PER_MIN);
 *    an Authorization header of any other form is a 401 too (never silently anonymous);
 *  - no Authorization header: the bucket is "ip:<client address>" (an IPv6 client's /64)
 *    at API_RATE_ANON_PER_MIN;
 *  - an empty bucket: 429 with Retry-After (whole seconds) and a JSON error.
 * The client address is the TCP peer's: X-Forwarded-For is not trusted (behind a proxy
 * every anonymous client shares the proxy's bucket, which errs on the strict side). */
#ifndef MATERIA_WEB_KEYS_H
#define MATERIA_WEB_KEYS_H

#include <microhttpd.h>
#include <stddef.h>

#include "util/err.h"

/* Opens the account database at app_db_path (migrating it) and creates the rate limiter.
 * Called once by serve before the server starts; 0, or -1 with err (serve then refuses to
 * start: a gate that cannot check keys is not run open). */
int web_keys_start(const char *app_db_path, struct mt_err *err);
/* After the server has stopped (no worker left): closes what web_keys_start opened. */
void web_keys_stop(void);

/* The gate. NULL: the request may proceed. Otherwise the refusal to queue, with its status
 * and body size (the caller adds the common security headers, queues it and destroys it).
 * rid is the request id the error body carries. Without web_keys_start (unit tests of the
 * server alone) every request proceeds. */
struct MHD_Response *web_keys_gate(struct MHD_Connection *c, unsigned long long rid, int *status, size_t *bytes);

#endif
