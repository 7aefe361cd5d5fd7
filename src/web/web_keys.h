/* web_keys.h — the HTTP side of API keys, rate limits and billing (issue 15): the /api gate
 * called from web_server.c's data-route path, and the /account/keys, /account/billing and
 * /billing/webhook handlers of web_account.c's dispatch table.
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
 * The client address is web_client_ip's (web_server.h): the TCP peer, or behind a proxy
 * listed in MATERIA_TRUSTED_PROXIES the client its X-Forwarded-For names. */
#ifndef MATERIA_WEB_KEYS_H
#define MATERIA_WEB_KEYS_H

#include <microhttpd.h>
#include <stddef.h>

#include "util/err.h"
#include "web/web_account.h"

/* Creates the rate limiter (serve, before the server starts; the account database is
 * web_account.h's pool, opened by the server) and frees it after the server has stopped. */
void web_keys_start(void);
void web_keys_stop(void);

/* The gate. NULL: the request may proceed. Otherwise the refusal to queue, with its status
 * and body size (the caller adds the common security headers, queues it and destroys it).
 * rid is the request id the error body carries. Without web_keys_start (the server run
 * alone by its unit tests) every request proceeds. */
struct web_server;
struct MHD_Response *web_keys_gate(const struct web_server *srv, struct MHD_Connection *c, unsigned long long rid,
                                   int *status, size_t *bytes);

/* The account routes (web_account.c's table, web_account.h's handler type):
 *   GET  /account/keys         signed in   [{"id","name","prefix","created_at","last_used_at","revoked_at"}]
 *   POST /account/keys         CSRF        {"name"} -> 201 {"id","name","prefix","key"} (the key's only
 *                                          showing); 400 bad name, 409 at the per-user limit
 *   POST /account/keys/revoke  CSRF        {"id"} -> 200 {"id","revoked":true}; 404 not the user's key
 *   GET  /account/billing      signed in   {"plan","status","current_period_end","checkout_url","limits"}
 *   POST /billing/webhook      (Stripe-Signature) 200 {"received":true,"outcome"} on success and replays;
 *                              400 bad signature or not an event; 409 customer not linked yet (Stripe
 *                              redelivers); 503 when STRIPE_WEBHOOK_SECRET is empty
 * Times are ISO 8601 UTC strings or null (account_json_time). */
void keys_list(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void keys_create(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void keys_revoke(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void keys_billing(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void keys_webhook(const struct account_req *rq, const struct account_user *u, struct account_reply *out);

#endif
