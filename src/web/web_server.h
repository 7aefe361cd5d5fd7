/* web_server.h — the HTTP side of `materia serve`: libmicrohttpd with a thread pool on
 * poll(2) fed by our accept thread (web_accept.h), strict request framing, connection
 * fairness (web_guard.h), request limits, the request pipeline (limits → route → snapshot → ETag/304 →
 * cache → query → response), static dashboard files, the access log and metrics.
 *
 * Lifetime: web_server_start() → (serve) → web_server_quiesce() (stop accepting; in-flight
 * requests finish) → web_server_stop() (close everything, reader included). */
#ifndef MATERIA_WEB_SERVER_H
#define MATERIA_WEB_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/config.h"
#include "web/web_accept.h"
#include "web/web_guard.h"
#include "util/err.h"
#include "web/web_snapshot.h"
#include "web/web_static.h"

#define WEB_MAX_PROXIES 8       /* MATERIA_TRUSTED_PROXIES entries */

struct web_server_opts {
    const char *addr;         /* host:port (IPv4 literal or "localhost"); port 0 = any */
    const char *serving_path; /* SERVING_DUCKDB_PATH */
    const char *web_dir;      /* MATERIA_WEB_DIR: static dashboard files */
    int threads;              /* worker threads (thread pool size) */
    int max_connections;
    int per_ip_limit;         /* connections from one address (0 = no cap) */
    int timeout_s;            /* idle timeout per connection */
    int head_timeout_s;       /* a complete request head within this, from accept or the
                               * end of the previous request (web_guard.h) */
    enum access_log_mode access_log; /* util/config.h */
    int access_sample;        /* log 1 in N successful requests (errors always) */
    long query_timeout_ms;    /* per-query limit (0 = none) */
    bool cache;               /* per-snapshot response cache */
    size_t cache_max_bytes;   /* its budget per snapshot (MATERIA_CACHE_MAX_BYTES) */
    const char *trusted_proxies; /* MATERIA_TRUSTED_PROXIES: "a.b.c.d,..." or "" */
    const char *app_db_path;  /* APP_DB_PATH: the account routes' database (NULL: none —
                               * the account routes then answer 503) */
};

struct web_server {
    struct MHD_Daemon *daemon;
    struct web_reader reader;
    struct web_guard guard;
    char *web_dir;
    struct web_static statics; /* the static files, compressed once (web_static.h) */
    enum access_log_mode access_log;
    int access_sample;
    atomic_ullong access_seq;     /* successful requests seen by the sampler */
    atomic_ullong access_skipped; /* access lines not written (level or sampling) */
    bool cache;
    uint16_t port;            /* bound port */
    char host[64];
    atomic_int inflight;      /* requests between URI callback and completion */
    struct web_accept acceptor; /* the listening socket and its accept thread */
    uint32_t trusted[WEB_MAX_PROXIES]; /* MATERIA_TRUSTED_PROXIES, network order */
    int n_trusted;
};

#define WEB_MAX_URI 2048        /* longer request targets → 431 */
#define WEB_MAX_HEADERS 8192    /* more header bytes → 431 */
#define WEB_MAX_BODY 16384      /* larger request bodies → 413 */

int web_server_start(struct web_server *srv, const struct web_server_opts *o, struct mt_err *err);
/* Stops accepting connections; waits up to wait_ms for in-flight requests to finish. */
void web_server_quiesce(struct web_server *srv, long wait_ms);
void web_server_stop(struct web_server *srv);

/* Parses MATERIA_TRUSTED_PROXIES ("a.b.c.d, ..."; "" = none) into out[0..*n) (network
 * order). 0, or -1 with err naming the entry that is not an IPv4 address. */
int web_parse_proxies(const char *list, uint32_t *out, int *n, struct mt_err *err);
/* The client's address as text for a connection: the peer address, or — when the peer is a
 * trusted proxy — the last X-Forwarded-For entry that is not one (the one the proxy added;
 * entries further left are whatever the client sent). out needs 46 bytes. */
struct MHD_Connection;
void web_client_ip(const struct web_server *srv, struct MHD_Connection *c, char *out, size_t outlen);
/* The key of a client's per-address limits (API rate limit, account throttles): "ip:" and
 * web_client_ip's address, an IPv6 one by its /64 — one subscriber's usual allocation, so a
 * client cannot walk its own addresses to get fresh buckets. The one place this rule
 * lives. out needs 50 bytes. */
void web_client_bucket(const char *ip, char *out, size_t outlen);

/* Parses "host:port" into a dotted IPv4 host and a port. Returns 0 or -1 with err. */
int web_parse_addr(const char *addr, char *host, size_t hostlen, uint16_t *port, struct mt_err *err);

#endif
