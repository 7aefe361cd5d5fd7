/* web_server.c — see web_server.h.
 *
 * Per request: MHD calls on_uri() first (raw URI, before headers): we allocate the request
 * record there, so the raw query string, the start time and the in-flight count exist even
 * for requests MHD itself refuses. on_request() is called once when the head is complete
 * (framing checks: anything a proxy could read differently is refused there, with the
 * connection closed) and answers on its last call (request complete): size limits, then
 * web_route_match(), then a snapshot reference for the whole request (released in
 * on_done(), after the response is sent — which is what keeps an old snapshot open exactly
 * as long as a request still uses it). Data responses are built once per snapshot and URL
 * and, with the cache on, the finished MHD_Response (headers included) is shared by every
 * later request for that URL on that snapshot. on_done() writes the access-log line (to
 * the log queue: a stalled log reader never blocks a worker) and the metrics.
 *
 * Why poll and not epoll: libmicrohttpd 0.9.75's MHD_epoll() (and 1.0.1's) loops
 * `while (MAX_EVENTS == num_events) epoll_wait(..., timeout)` before handling the 128
 * edge-triggered events it already has, so exactly 128 requests arriving together park a
 * worker until the idle timeout (issue 10). MHD_USE_POLL has no such loop; bench/RESULTS.md
 * has the measurements behind the choice. */
#include "web/web_server.h"
#include "web/web_follow.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "web/web_accept.h"
#include "web/web_account.h"
#include "web/web_alerts.h"
#include "web/web_api.h"
#include "web/web_compress.h"
#include "web/web_guard.h"
#include "web/web_keys.h"
#include "web/web_metrics.h"
#include "web/web_route.h"
#include "web/web_watchdog.h"


struct req {
    char *uri;
    unsigned long long id;      /* request id: error bodies carry it, the log line too */
    long long start_ns;
    char method[16];
    struct web_snapshot *snap;
    enum web_route_id route;
    int status;
    size_t bytes;
    int cache_hit; /* -1 not cacheable, 0 miss, 1 hit */
    bool headers_seen;
    bool answered;
    bool close;                 /* answer with Connection: close (framing refused) */
    bool account;               /* an account route (web_account.h): no snapshot, no cache */
    strbuf body;                /* an account route's POST body, as it arrives */
    size_t body_over;           /* bytes dropped past WEB_ACCOUNT_MAX_BODY (then 413) */
};

static atomic_ullong next_request_id;

/* A cached response: one shared MHD_Response (headers included) per content coding, each
 * with its body size and ETag, so a cache hit computes no hash and compresses nothing. The
 * coded forms are made once, when the entry is built (web_compress.h); a coding whose form
 * would not be smaller is not offered (resp NULL). */
struct cached {
    struct MHD_Response *resp[WC__COUNT];
    size_t bytes[WC__COUNT];
    char etag[WC__COUNT][48];
    unsigned available;
};

static void cached_free(void *v)
{
    struct cached *c = v;
    for (int i = 0; i < WC__COUNT; i++)
        if (c->resp[i]) MHD_destroy_response(c->resp[i]);
    free(c);
}

int web_parse_addr(const char *addr, char *host, size_t hostlen, uint16_t *port, struct mt_err *err)
{
    const char *colon = addr ? strrchr(addr, ':') : NULL;
    if (!colon || colon == addr) {
        mt_errf(err, "MATERIA_HTTP_ADDR '%s': expected host:port (e.g. 127.0.0.1:8000)", addr ? addr : "");
        return -1;
    }
    char h[64];
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof h) {
        mt_errf(err, "MATERIA_HTTP_ADDR '%s': host too long", addr);
        return -1;
    }
    memcpy(h, addr, hl);
    h[hl] = '\0';
    if (!strcmp(h, "localhost")) snprintf(h, sizeof h, "127.0.0.1");
    struct in_addr ia;
    if (inet_pton(AF_INET, h, &ia) != 1) {
        mt_errf(err, "MATERIA_HTTP_ADDR '%s': host must be an IPv4 address or localhost", addr);
        return -1;
    }
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || p < 0 || p > 65535) {
        mt_errf(err, "MATERIA_HTTP_ADDR '%s': port must be 0..65535", addr);
        return -1;
    }
    snprintf(host, hostlen, "%s", h);
    *port = (uint16_t)p;
    return 0;
}

/* ---- responses ------------------------------------------------------------------------- */

/* The dashboard loads only its own scripts (no inline script, no eval); inline style
 * attributes are allowed because the templates set widths and colours with them. */
#define WEB_CSP                                                                              \
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "              \
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "  \
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* Headers every answer of ours carries, cached ones included (added once at creation). */
static void add_security_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Content-Security-Policy", WEB_CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "strict-origin-when-cross-origin");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

static enum MHD_Result queue(struct MHD_Connection *c, struct req *rq, int status,
                             struct MHD_Response *resp, size_t bytes)
{
    rq->status = status;
    rq->bytes = bytes;
    rq->answered = true;
    return MHD_queue_response(c, (unsigned)status, resp);
}

static void add_snapshot_header(struct MHD_Response *resp, const struct req *rq)
{
    if (rq->snap) MHD_add_response_header(resp, "X-Materia-Snapshot", rq->snap->snapshot_id);
}

/* A response over a malloc'd body (taken over), or NULL when libmicrohttpd cannot make one
 * (the body is then freed). */
static struct MHD_Response *response_owning(size_t len, char *body)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) free(body);
    else add_security_headers(resp);
    return resp;
}

/* Builds and queues a response owning body (sb is released). */
static enum MHD_Result send_body(struct MHD_Connection *c, struct req *rq, int status,
                                 strbuf *sb, const char *ctype, const char *cache_control)
{
    size_t len = sb->len;
    struct MHD_Response *resp = response_owning(len, sb_detach(sb));
    if (!resp) return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
    MHD_add_response_header(resp, "Content-Type", ctype);
    if (cache_control) MHD_add_response_header(resp, "Cache-Control", cache_control);
    add_snapshot_header(resp, rq);
    if (status == 405) MHD_add_response_header(resp, "Allow", "GET, HEAD");
    if (rq->close) MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result r = queue(c, rq, status, resp, len);
    MHD_destroy_response(resp);
    return r;
}

/* An error answer. Client errors (4xx) say what was wrong with the request; server errors
 * (5xx) never show a path or an engine message: the body says what kind of failure it was
 * and carries the request id, and the detail goes to the log under the same id. */
static enum MHD_Result send_error_detail(struct MHD_Connection *c, struct req *rq, int status,
                                         const char *message, const char *parameter,
                                         const char *detail)
{
    strbuf sb;
    sb_init(&sb);
    char rid[24];
    snprintf(rid, sizeof rid, "%llx", rq->id);
    if (status >= 500 && detail && *detail)
        log_error("serve: request %s %s: %d %s: %s", rid, rq->uri, status, message, detail);
    sb_append(&sb, "{\"error\":");
    web_json_str(&sb, message, strlen(message));
    if (parameter && *parameter) {
        sb_append(&sb, ",\"parameter\":");
        web_json_str(&sb, parameter, strlen(parameter));
    }
    sb_appendf(&sb, ",\"request_id\":\"%s\"}\n", rid);
    return send_body(c, rq, status, &sb, "application/json", "no-store");
}

static enum MHD_Result send_error(struct MHD_Connection *c, struct req *rq, int status,
                                  const char *message, const char *parameter)
{
    return send_error_detail(c, rq, status, message, parameter, NULL);
}

/* Framing refusals: answered, then the connection is closed (whatever follows the head on
 * this connection can no longer be told apart from a next request). */
static enum MHD_Result refuse_framing(struct MHD_Connection *c, struct req *rq, int status,
                                      const char *message)
{
    rq->close = true;
    log_warn("serve: request %llx refused: %s", rq->id, message);
    return send_error(c, rq, status, message, "");
}

/* The CDN headers of a data answer (web_api.h): CDN-Cache-Control, and the tags (the
 * snapshot's and "all answers") as Surrogate-Key (Fastly and others: space-separated) and
 * Cache-Tag (Cloudflare: commas). */
static void add_cdn_tags(struct MHD_Response *resp, const struct req *rq)
{
    MHD_add_response_header(resp, "CDN-Cache-Control", web_api_cdn_cache_control(rq->route));
    char tags[128];
    web_api_cdn_tags(rq->snap->snapshot_id, ' ', tags, sizeof tags);
    MHD_add_response_header(resp, "Surrogate-Key", tags);
    web_api_cdn_tags(rq->snap->snapshot_id, ',', tags, sizeof tags);
    MHD_add_response_header(resp, "Cache-Tag", tags);
}

/* A 304. It carries what the 200 would have (RFC 9110 §15.4.5): ETag, Cache-Control and —
 * every answer that varies by coding does — Vary. */
static enum MHD_Result send_not_modified(struct MHD_Connection *c, struct req *rq,
                                         const char *etag, const char *cache_control)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    add_security_headers(resp);
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Cache-Control", cache_control);
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    add_snapshot_header(resp, rq);
    if (rq->snap && rq->route >= WEB_DATA_FIRST && rq->route <= WEB_DATA_LAST) add_cdn_tags(resp, rq);
    enum MHD_Result r = queue(c, rq, MHD_HTTP_NOT_MODIFIED, resp, 0);
    MHD_destroy_response(resp);
    return r;
}

/* ---- routes ---------------------------------------------------------------------------- */

static enum MHD_Result answer_health(struct web_server *srv, struct MHD_Connection *c,
                                     struct req *rq, const char *snap_err)
{
    strbuf sb;
    sb_init(&sb);
    char rerr[MT_ERR_LEN];
    web_reader_error(&srv->reader, rerr, sizeof rerr);
    struct web_snapshot *s = rq->snap;
    /* ok: the file on disk is the snapshot being served. degraded: a snapshot is served,
     * but the file on disk was refused or is gone (error says which). unavailable: none. */
    const char *status = !s ? "unavailable" : rerr[0] ? "degraded" : "ok";
    sb_appendf(&sb, "{\"status\":\"%s\",\"serving_file\":", status);
    web_json_str(&sb, srv->reader.base, strlen(srv->reader.base));
    if (s) {
        const char *k[] = {"snapshot_id", "release_date", "created_at", "run_id", "opened_at"};
        const char *v[] = {s->snapshot_id, s->release_date, s->created_at, s->run_id, s->opened_at};
        for (int i = 0; i < 5; i++) {
            sb_appendf(&sb, ",\"%s\":", k[i]);
            if (*v[i]) web_json_str(&sb, v[i], strlen(v[i]));
            else sb_append(&sb, "null");
        }
        sb_appendf(&sb, ",\"generation\":%llu", (unsigned long long)s->generation);
    }
    web_follow_health(&sb, s ? s->snapshot_id : ""); /* serve --follow: the replica's lag */
    const char *e = s ? rerr : snap_err;
    if (e && *e) {
        sb_append(&sb, ",\"error\":");
        web_json_str(&sb, e, strlen(e));
    }
    sb_append(&sb, "}\n");
    return send_body(c, rq, s ? 200 : 503, &sb, "application/json", "no-store");
}

static enum MHD_Result answer_metrics(struct web_server *srv, struct MHD_Connection *c,
                                      struct req *rq)
{
    strbuf sb;
    sb_init(&sb);
    web_metrics_render(&sb, rq->snap ? rq->snap->generation : 0,
                       atomic_load(&srv->reader.swaps), atomic_load(&srv->reader.open_snapshots),
                       rq->snap != NULL);
    sb_appendf(&sb,
               "# HELP materia_http_connections_open Connections open now.\n"
               "# TYPE materia_http_connections_open gauge\n"
               "materia_http_connections_open %d\n"
               "# HELP materia_http_connections_reaped_total Connections closed for sending no "
               "complete request head in time (reason=deadline) or while shedding load (reason=pressure).\n"
               "# TYPE materia_http_connections_reaped_total counter\n"
               "materia_http_connections_reaped_total{reason=\"deadline\"} %llu\n"
               "materia_http_connections_reaped_total{reason=\"pressure\"} %llu\n"
               "# HELP materia_http_connections_accepted_total Connections accepted and handed to the server.\n"
               "# TYPE materia_http_connections_accepted_total counter\n"
               "materia_http_connections_accepted_total %llu\n"
               "# HELP materia_http_connections_refused_total Accepted connections the server refused "
               "(the per-address cap).\n"
               "# TYPE materia_http_connections_refused_total counter\n"
               "materia_http_connections_refused_total %llu\n"
               "# HELP materia_log_lines_dropped_total Log lines dropped because the log reader "
               "was slower than the server.\n"
               "# TYPE materia_log_lines_dropped_total counter\n"
               "materia_log_lines_dropped_total %llu\n"
               "# HELP materia_access_log_lines_skipped_total Access-log lines left out by "
               "MATERIA_ACCESS_LOG / MATERIA_ACCESS_LOG_SAMPLE.\n"
               "# TYPE materia_access_log_lines_skipped_total counter\n"
               "materia_access_log_lines_skipped_total %llu\n"
               "# HELP materia_http_compressions_total Bodies compressed (static files once per "
               "version, API answers once per snapshot and URL when the cache keeps them, else in the "
               "asked-for coding per request; a cached hit compresses nothing).\n"
               "# TYPE materia_http_compressions_total counter\n"
               "materia_http_compressions_total{coding=\"gzip\"} %llu\n"
               "materia_http_compressions_total{coding=\"br\"} %llu\n"
               "# HELP materia_http_compressed_input_bytes_total Bytes fed to the compressors.\n"
               "# TYPE materia_http_compressed_input_bytes_total counter\n"
               "materia_http_compressed_input_bytes_total{coding=\"gzip\"} %llu\n"
               "materia_http_compressed_input_bytes_total{coding=\"br\"} %llu\n",
               web_guard_open(&srv->guard), atomic_load(&srv->guard.reaped_deadline),
               atomic_load(&srv->guard.reaped_pressure), atomic_load(&srv->acceptor.accepted),
               atomic_load(&srv->acceptor.refused), log_dropped(),
               atomic_load(&srv->access_skipped), atomic_load(&web_compress_count[WC_GZIP]),
               atomic_load(&web_compress_count[WC_BR]), atomic_load(&web_compress_bytes_in[WC_GZIP]),
               atomic_load(&web_compress_bytes_in[WC_BR]));
    return send_body(c, rq, 200, &sb, "text/plain; version=0.0.4; charset=utf-8", "no-store");
}

static const char *accept_encoding(struct MHD_Connection *c)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
}

/* A dashboard file: from memory, in the coding Accept-Encoding picks (web_static.h). */
static enum MHD_Result answer_static(struct web_server *srv, struct MHD_Connection *c,
                                     struct req *rq, const struct web_route *rt)
{
    const struct web_static_file *f;
    struct web_static_stream fs;
    struct mt_err err = MT_ERR_INIT;
    int st = web_static_get(&srv->statics, srv->web_dir, rt->static_path, &f, &fs, &err);
    if (st == 404) return send_error(c, rq, 404, "not found", "");
    if (st < 0) return send_error_detail(c, rq, 500, "cannot send the file", "", err.msg);
    const char *cc = web_static_cache_control(rt->static_path);
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    if (st == 0) {
        enum web_coding coding = web_coding_choose(accept_encoding(c), f->available);
        if (web_etag_matches(inm, f->etag[coding])) return send_not_modified(c, rq, f->etag[coding], cc);
        return queue(c, rq, 200, f->resp[coding], f->len[coding]);
    }
    /* Not kept in memory (too large, or the budget is spent): from disk, as it is, with the
     * size web_static_get's fstat of this descriptor found. */
    if (web_etag_matches(inm, fs.etag)) {
        close(fs.fd);
        return send_not_modified(c, rq, fs.etag, cc);
    }
    struct MHD_Response *resp = MHD_create_response_from_fd(fs.size, fs.fd);
    if (!resp) {
        close(fs.fd);
        return send_error_detail(c, rq, 500, "cannot send the file", "", rt->static_path);
    }
    add_security_headers(resp);
    MHD_add_response_header(resp, "Content-Type", web_content_type(rt->static_path));
    MHD_add_response_header(resp, "Cache-Control", cc);
    MHD_add_response_header(resp, "ETag", fs.etag);
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    enum MHD_Result r = queue(c, rq, 200, resp, (size_t)fs.size);
    MHD_destroy_response(resp);
    return r;
}

/* Adds the headers every form of a data answer carries. */
static void add_data_headers(struct MHD_Response *resp, struct req *rq, const struct web_route *rt,
                             const char *etag, enum web_coding coding)
{
    if (rt->format == WF_CSV) {
        char disp[160];
        MHD_add_response_header(resp, "Content-Type", "text/csv; charset=utf-8");
        char suffix[16] = ""; /* the country, or the COT index window */
        if (rt->country[0]) snprintf(suffix, sizeof suffix, "-%s", rt->country);
        else if (rt->id == WR_COT_INDEX) snprintf(suffix, sizeof suffix, "-%dw", rt->window);
        /* PSD answers are named by the USDA release they come from (issue 16: "the release
         * date in the file name"), as the dashboard's own downloads are; COT answers are
         * dated by the report dates inside them, so they carry none. The date is the
         * snapshot's, never request text: YYYY-MM-DD or nothing. */
        char dated[16] = "";
        const char *rel = rq->snap ? rq->snap->release_date : "";
        bool cot = rt->id == WR_COT || rt->id == WR_COT_INDEX;
        if (!cot && strlen(rel) == 10 && strspn(rel, "0123456789-") == 10) snprintf(dated, sizeof dated, "-%s", rel);
        snprintf(disp, sizeof disp, "attachment; filename=\"materia-%s%s%s.csv\"",
                 web_route_name(rt->id), suffix, dated);
        MHD_add_response_header(resp, "Content-Disposition", disp);
    } else {
        MHD_add_response_header(resp, "Content-Type", "application/json");
    }
    MHD_add_response_header(resp, "Cache-Control", web_api_cache_control(rt->id));
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    if (coding != WC_IDENTITY) MHD_add_response_header(resp, "Content-Encoding", web_coding_name(coding));
    add_snapshot_header(resp, rq);
    add_cdn_tags(resp, rq);
}

#define CODED_MIN 256 /* a body shorter than this (a header's worth) is not worth a coding */

/* The `coding` form of body (not taken over) as a response with its headers, or NULL when
 * it would not be smaller than the body or cannot be made (the identity form is sent). */
static struct MHD_Response *coded_response(struct req *rq, const struct web_route *rt,
                                           const strbuf *body, enum web_coding coding,
                                           const char *etag, size_t *len)
{
    if (body->len < CODED_MIN) return NULL;
    strbuf z;
    sb_init(&z);
    struct mt_err err = MT_ERR_INIT;
    if (web_compress(coding, WCL_FAST, body->buf, body->len, &z, &err) < 0 || z.len >= body->len) {
        if (err.msg[0]) log_warn("serve: request %llx: %s", rq->id, err.msg);
        sb_free(&z);
        return NULL;
    }
    *len = z.len; /* before sb_detach, which zeroes it */
    struct MHD_Response *resp = response_owning(*len, sb_detach(&z));
    if (resp) add_data_headers(resp, rq, rt, etag, coding);
    return resp;
}

/* The most a cache entry for a body of len bytes under key can cost (web_cache_put counts
 * the key): the identity form and each coded form, which is kept only when smaller than the
 * body (coded_response). An upper bound, so that has_room's yes means the forms made will
 * be kept; near a full budget an answer that would have fitted is made per request. */
static size_t entry_bound(size_t len, const char *key)
{
    size_t coded = len < CODED_MIN ? 0 : (size_t)(WC__COUNT - 1) * len;
    return len + coded + strlen(key);
}

static enum MHD_Result answer_data(struct web_server *srv, struct MHD_Connection *c,
                                   struct req *rq, const struct web_route *rt)
{
    struct web_snapshot *s = rq->snap;
    /* the /api gate (issue 15, web_keys.h): API key and rate limit, before the cache and outside its keys */
    int gate_status;
    size_t gate_bytes;
    struct MHD_Response *deny = web_keys_gate(srv, c, rq->id, &gate_status, &gate_bytes);
    if (deny) {
        add_security_headers(deny);
        enum MHD_Result r = queue(c, rq, gate_status, deny, gate_bytes);
        MHD_destroy_response(deny);
        return r;
    }
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    const char *ae = accept_encoding(c);
    if (srv->cache) {
        struct cached *hit = web_cache_get(&s->cache, rt->key);
        if (hit) {
            enum web_coding k = web_coding_choose(ae, hit->available);
            if (web_etag_matches(inm, hit->etag[k])) return send_not_modified(c, rq, hit->etag[k], web_api_cache_control(rt->id));
            rq->cache_hit = 1;
            return queue(c, rq, 200, hit->resp[k], hit->bytes[k]);
        }
        rq->cache_hit = 0;
    }
    /* The ETag of each form: the identity one names the snapshot and the canonical URL;
     * coded forms append their coding (web_etag_coded: strong validators, distinct per
     * representation as RFC 9110 §8.8.3 requires). */
    char etag[WC__COUNT][48];
    web_etag(s->snapshot_id, rt->key, etag[WC_IDENTITY], sizeof etag[WC_IDENTITY]);
    for (int k = WC_GZIP; k <= WC_BR; k++) web_etag_coded(etag[WC_IDENTITY], (enum web_coding)k, etag[k], sizeof etag[k]);
    /* A validator of the form this request would get is answered before any query when that
     * form is the wanted one: a client holds a coded form's ETag only if that form was
     * offered, and the same snapshot and URL give the same body, so it still is. When the
     * wanted coding is not offered for this answer (too small, or it does not shrink), the
     * form sent is the identity one, known only once the body is made: checked below. */
    enum web_coding want = web_coding_choose(ae, WC_ALL);
    if (web_etag_matches(inm, etag[want])) return send_not_modified(c, rq, etag[want], web_api_cache_control(rt->id));
    strbuf body;
    sb_init(&body);
    struct web_error e = {0};
    int status = web_api_answer(s, web_thread_slot(), rt, &body, &e);
    if (status != 200) {
        sb_free(&body);
        if (status == 503 && e.timeout) /* the one server error whose text is the answer */
            return send_error(c, rq, status, e.message, "");
        if (status >= 500)
            return send_error_detail(c, rq, status, "internal error: the query failed", "", e.message);
        return send_error(c, rq, status, e.message, e.parameter);
    }
    if (rt->format == WF_JSON) sb_append_char(&body, '\n');
    /* Kept (cache on, and room for it): every form now, once for this snapshot and URL.
     * Not kept (cache off, or its budget spent): the asked-for coding only, each request
     * paying for its own, as web_static.c does for files; making the other forms would be
     * work thrown away on every request. */
    size_t len = body.len;
    bool keep = srv->cache && web_cache_has_room(&s->cache, entry_bound(len, rt->key));
    struct cached cv = {0};
    for (int k = WC_GZIP; k <= WC_BR; k++) {
        if (!keep && k != (int)want) continue;
        cv.resp[k] = coded_response(rq, rt, &body, (enum web_coding)k, etag[k], &cv.bytes[k]);
        if (cv.resp[k]) cv.available |= WC_MASK(k);
    }
    cv.bytes[WC_IDENTITY] = len;
    size_t total = len + cv.bytes[WC_GZIP] + cv.bytes[WC_BR];
    cv.resp[WC_IDENTITY] = response_owning(len, sb_detach(&body));
    if (!cv.resp[WC_IDENTITY]) {
        for (int i = WC_GZIP; i <= WC_BR; i++)
            if (cv.resp[i]) MHD_destroy_response(cv.resp[i]);
        return MHD_NO;
    }
    add_data_headers(cv.resp[WC_IDENTITY], rq, rt, etag[WC_IDENTITY], WC_IDENTITY);
    cv.available |= WC_MASK(WC_IDENTITY);
    for (int k = 0; k < WC__COUNT; k++) snprintf(cv.etag[k], sizeof cv.etag[k], "%s", etag[k]);
    const struct cached *use = &cv; /* the forms this request picks from */
    if (keep) {
        struct cached *heap = xmalloc(sizeof *heap);
        *heap = cv;
        struct cached *in = web_cache_put(&s->cache, rt->key, heap, total);
        if (in) use = in; /* the cache owns it now (or another thread's equal entry) */
        else free(heap);  /* another thread spent the room meanwhile */
    }
    /* as on a hit: the form this request gets, and a 304 when the client holds it */
    enum web_coding k = web_coding_choose(ae, use->available);
    enum MHD_Result r = web_etag_matches(inm, use->etag[k])
                            ? send_not_modified(c, rq, use->etag[k], web_api_cache_control(rt->id))
                            : queue(c, rq, 200, use->resp[k], use->bytes[k]);
    if (use == &cv)
        for (int i = 0; i < WC__COUNT; i++)
            if (cv.resp[i]) MHD_destroy_response(cv.resp[i]);
    return r;
}

/* ---- account routes -------------------------------------------------------------------- */

static const char *account_header(void *hctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)hctx, MHD_HEADER_KIND, name);
}

/* An account route (web_account.h): no snapshot, never the response cache, always
 * Cache-Control: no-store (these answers are per person). */
static enum MHD_Result answer_account(struct web_server *srv, struct MHD_Connection *c, struct req *rq,
                                      const char *url, const char *method)
{
    char ip[INET6_ADDRSTRLEN], bucket[INET6_ADDRSTRLEN + 8];
    web_client_ip(srv, c, ip, sizeof ip);
    web_client_bucket(ip, bucket, sizeof bucket);
    const char *q = strchr(rq->uri, '?');
    struct account_req arq = {
        .method = method,
        .path = url,
        .query = q && q[1] ? q + 1 : NULL,
        .body = rq->body.buf && rq->body.len ? rq->body.buf : NULL,
        .body_len = rq->body.buf ? rq->body.len : 0,
        .ip = ip,
        .bucket = bucket,
        .now = (long long)time(NULL),
        .header_fn = account_header,
        .hctx = c,
    };
    arq.db = web_account_db_acquire();
    struct account_reply out;
    account_reply_init(&out);
    web_account_dispatch(&arq, &out);
    web_account_db_release(arq.db);
    size_t len = out.body.len;
    struct MHD_Response *resp = response_owning(len, sb_detach(&out.body));
    if (!resp) {
        account_reply_free(&out);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", out.content_type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    for (int i = 0; i < out.n_headers; i++) {
        /* a handler's header replaces a default of the same name (the sign-in page's
         * Referrer-Policy); one the handler sends twice (Set-Cookie) stays twice */
        bool first = true;
        for (int k = 0; k < i && first; k++) first = strcasecmp(out.headers[k][0], out.headers[i][0]) != 0;
        const char *dflt = first ? MHD_get_response_header(resp, out.headers[i][0]) : NULL;
        if (dflt && MHD_del_response_header(resp, out.headers[i][0], dflt) != MHD_YES)
            log_warn("serve: account reply: default %s not replaced", out.headers[i][0]);
        MHD_add_response_header(resp, out.headers[i][0], out.headers[i][1]);
    }
    if (rq->close) MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result r = queue(c, rq, out.status, resp, len);
    MHD_destroy_response(resp);
    account_reply_free(&out);
    return r;
}

/* ---- MHD callbacks --------------------------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct web_server *srv = cls;
    (void)c;
    struct req *rq = xcalloc(1, sizeof *rq);
    rq->uri = xstrdup(uri ? uri : "");
    rq->id = atomic_fetch_add(&next_request_id, 1) + 1;
    rq->start_ns = clock_mono_ns();
    rq->route = WR_NONE;
    rq->cache_hit = -1;
    atomic_fetch_add(&srv->inflight, 1);
    /* We route on our own copy of the raw query string, never on libmicrohttpd's argument
     * table. Ending the query right after '?' in its buffer makes libmicrohttpd parse no
     * arguments at all: 0.9.75 parses them into the connection's memory pool right after
     * this callback (connection.c, parse_initial_message_line), and a request with ~1,000
     * arguments exhausted the pool so that no answer could be built — the connection hung
     * until the idle timeout. The buffer is libmicrohttpd's writable read buffer (it writes
     * NULs into it itself); only the query part, which nothing of ours reads there, changes. */
    char *q = uri ? strchr(uri, '?') : NULL;
    if (q && q[1]) q[1] = '\0';
    return rq;
}

/* What the framing checks count over the request's headers. */
struct framing {
    int n_cl, n_te, n_host;
    const char *te;
    const char *cl;
    bool bad_name;
};

/* RFC 9110 token characters: a header name with anything else (a space before the colon,
 * above all) is read differently by different servers — a smuggling primitive. */
static bool is_token(const char *k)
{
    if (!*k) return false;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        if (!(isalnum(*p) || strchr("!#$%&'*+-.^_`|~", *p))) return false;
    return true;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct framing *f = cls;
    if (!key || !is_token(key)) f->bad_name = true;
    else if (!strcasecmp(key, "Content-Length")) f->n_cl++, f->cl = value;
    else if (!strcasecmp(key, "Transfer-Encoding")) f->n_te++, f->te = value;
    else if (!strcasecmp(key, "Host")) f->n_host++;
    return MHD_YES;
}

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    size_t *n = cls;
    *n += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/* "%00" anywhere in the raw target: libmicrohttpd's unescaping would cut the path there. */
static bool has_encoded_nul(const char *uri)
{
    for (const char *p = strchr(uri, '%'); p; p = strchr(p + 1, '%'))
        if (p[1] == '0' && p[2] == '0') return true;
    return false;
}

/* The first call, when the request head is complete: everything about how the message is
 * framed is decided here, before any body byte is read. Any doubt → refused and closed. */
static enum MHD_Result check_head(struct MHD_Connection *c, struct req *rq, const char *url,
                                  const char *method, const char *version)
{
    web_guard_head_done(c);
    struct framing f = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, scan_header, &f);
    if (f.bad_name) return refuse_framing(c, rq, 400, "malformed header field name");
    bool http11 = version && !strcmp(version, MHD_HTTP_VERSION_1_1);
    if (f.n_host > 1 || (http11 && f.n_host != 1))
        return refuse_framing(c, rq, 400, "an HTTP/1.1 request needs exactly one Host header");
    if (f.n_cl && f.n_te)
        return refuse_framing(c, rq, 400, "both Content-Length and Transfer-Encoding");
    if (f.n_cl > 1) return refuse_framing(c, rq, 400, "more than one Content-Length");
    if (f.n_te && (f.n_te > 1 || strcasecmp(f.te ? f.te : "", "chunked") != 0))
        return refuse_framing(c, rq, 501, "transfer coding not supported (only chunked)");
    if (has_encoded_nul(rq->uri)) return refuse_framing(c, rq, 400, "NUL byte (%00) in the request target");
    if (strlen(rq->uri) > WEB_MAX_URI) {
        rq->close = true;
        return send_error(c, rq, 431, "request URI too long", "");
    }
    /* Only the POST routes of the account side take a body (at most WEB_ACCOUNT_MAX_BODY
     * bytes: a larger announced one is refused before it is read; a chunked one when it grows
     * past it, in on_request). Every other route refuses an announced body now rather than
     * read it: with the method's own answer (405) when the method is wrong, else 413. */
    bool body = f.n_te || (f.cl && strtoull(f.cl, NULL, 10) > 0);
    if (web_account_path(url)) {
        rq->account = true;
        rq->route = WR_ACCOUNT;
        if (!body) return MHD_YES;
        if (!web_account_takes_body(method, url)) {
            rq->close = true;
            return send_error(c, rq, 413, "this route takes no request body", "");
        }
        if (f.cl && strtoull(f.cl, NULL, 10) > WEB_ACCOUNT_MAX_BODY) {
            rq->close = true;
            return send_error(c, rq, 413, "request body too large (at most 65536 bytes)", "");
        }
        sb_init(&rq->body);
        return MHD_YES;
    }
    if (body) {
        rq->close = true;
        if (f.cl && strtoull(f.cl, NULL, 10) > WEB_MAX_BODY)
            return send_error(c, rq, 413, "request body too large", "");
        const char *q = strchr(rq->uri, '?');
        struct web_route rt;
        struct web_error e = {0};
        int st = web_route_match(method, url, q ? q + 1 : NULL, &rt, &e);
        rq->route = rt.id;
        if (st == 405 || st == 404) return send_error(c, rq, st, e.message, e.parameter);
        return send_error(c, rq, 413, "this route takes no request body", "");
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    struct web_server *srv = cls;
    struct req *rq = *req_cls;
    if (!rq) return MHD_NO;
    if (rq->answered) { /* a body arriving after we answered: drop it */
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* 1. The head. The first call comes when it is complete. We answer only on the final
     * call otherwise: answering on the first one makes libmicrohttpd close the connection
     * (no keep-alive), which costs a TCP handshake per request. */
    if (!rq->headers_seen) {
        rq->headers_seen = true;
        snprintf(rq->method, sizeof rq->method, "%s", method);
        return check_head(c, rq, url, method, version);
    }
    if (*upload_data_size) {
        if (!rq->account) { /* unreachable: a body was refused in check_head */
            *upload_data_size = 0;
            return MHD_NO;
        }
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        /* A chunked body past the cap: libmicrohttpd takes no answer before the body has
         * been read, so the rest is read and dropped and the 413 comes at the end — up to
         * four times the cap; beyond that the connection is closed without one. */
        if (rq->body_over || rq->body.len + n > WEB_ACCOUNT_MAX_BODY) {
            rq->body_over += n;
            return rq->body_over > 4 * (size_t)WEB_ACCOUNT_MAX_BODY ? MHD_NO : MHD_YES;
        }
        sb_append_len(&rq->body, upload_data, n);
        return MHD_YES;
    }
    size_t hbytes = 0;
    MHD_get_connection_values(c, MHD_HEADER_KIND, sum_header, &hbytes);
    if (hbytes > WEB_MAX_HEADERS) return send_error(c, rq, 431, "request headers too large", "");

    if (rq->body_over) {
        rq->close = true;
        return send_error(c, rq, 413, "request body too large (at most 65536 bytes)", "");
    }
    if (rq->account) return answer_account(srv, c, rq, url, method);

    /* 2. Route and parameters. */
    const char *q = strchr(rq->uri, '?');
    struct web_route rt;
    struct web_error e = {0};
    int st = web_route_match(method, url, q ? q + 1 : NULL, &rt, &e);
    rq->route = rt.id;

    /* 3. The snapshot this request will see from start to end. */
    struct mt_err serr = MT_ERR_INIT;
    rq->snap = web_reader_acquire(&srv->reader, &serr);
    if (st != 200) return send_error(c, rq, st, e.message, e.parameter);

    switch (rt.id) {
    case WR_HEALTH: return answer_health(srv, c, rq, serr.msg);
    case WR_METRICS: return answer_metrics(srv, c, rq);
    case WR_STATIC: return answer_static(srv, c, rq, &rt);
    case WR_API_DOC: {
        strbuf sb;
        sb_init(&sb);
        sb_append(&sb, web_api_doc_html());
        return send_body(c, rq, 200, &sb, "text/html; charset=utf-8", "no-cache");
    }
    default:
        if (!rq->snap) return send_error(c, rq, 503, serr.msg, "");
        return answer_data(srv, c, rq, &rt);
    }
}

/* Whether this request's access line is written: MATERIA_ACCESS_LOG and, for successful
 * requests, 1 in MATERIA_ACCESS_LOG_SAMPLE. Errors and refusals are always logged (unless
 * the access log is off): they are the lines an operator looks for. */
static bool access_logged(struct web_server *srv, const struct req *rq)
{
    if (srv->access_log == ACCESS_LOG_OFF) return false;
    bool error = rq->status == 0 || rq->status >= 400;
    if (error) return true;
    if (srv->access_log == ACCESS_LOG_ERRORS) return false;
    if (srv->access_sample <= 1) return true;
    return atomic_fetch_add(&srv->access_seq, 1) % (unsigned long long)srv->access_sample == 0;
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct web_server *srv = cls;
    struct req *rq = *req_cls;
    if (!rq) return;
    *req_cls = NULL;
    web_guard_request_done(c);
    long long us = (clock_mono_ns() - rq->start_ns) / 1000;
    if (!rq->answered) rq->status = 0; /* refused by MHD itself (e.g. oversize) or aborted */
    web_metrics_observe(rq->route, rq->status, (uint64_t)us, rq->bytes, rq->cache_hit);
    /* An account route's query may carry a secret (a sign-in link's token): never logged. */
    const char *q = rq->account ? strchr(rq->uri, '?') : NULL;
    int ulen = q ? (int)(q - rq->uri) : (int)strlen(rq->uri);
    if (access_logged(srv, rq))
        log_info("access %s %.*s%s %d %zu %lldus snapshot=%s id=%llx%s", rq->method[0] ? rq->method : "-",
                 ulen, rq->uri, q ? "?(query not logged)" : "", rq->status, rq->bytes, us, rq->snap ? rq->snap->snapshot_id : "-", rq->id,
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    else
        atomic_fetch_add(&srv->access_skipped, 1);
    web_snapshot_release(rq->snap);
    /* an account request's body may hold a password: wiped before it goes back to malloc */
    if (rq->account && rq->body.buf) sodium_memzero(rq->body.buf, rq->body.cap);
    sb_free(&rq->body);
    free(rq->uri);
    free(rq);
    atomic_fetch_sub(&srv->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == '\n') buf[--n] = '\0';
    log_warn("serve: libmicrohttpd: %s", buf);
}

/* ---- lifetime -------------------------------------------------------------------------- */

int web_server_start(struct web_server *srv, const struct web_server_opts *o, struct mt_err *err)
{
    memset(srv, 0, sizeof *srv);
    srv->acceptor.fd = -1;
    uint16_t port;
    if (web_parse_addr(o->addr, srv->host, sizeof srv->host, &port, err) < 0) return -1;
    int threads = o->threads < 1 ? 1 : o->threads > WEB_MAX_SLOTS ? WEB_MAX_SLOTS : o->threads;
    int limit = o->max_connections;
    srv->web_dir = xstrdup(o->web_dir ? o->web_dir : ".");
    srv->cache = o->cache;
    srv->access_log = o->access_log;
    srv->access_sample = o->access_sample;
    if (web_parse_proxies(o->trusted_proxies, srv->trusted, &srv->n_trusted, err) < 0) {
        free(srv->web_dir);
        srv->web_dir = NULL;
        return -1;
    }
    web_snapshot_set_cache_free(cached_free);
    web_static_init(&srv->statics, add_security_headers);
    if (web_reader_init(&srv->reader, o->serving_path, threads, o->cache, o->cache_max_bytes, err) < 0) {
        web_static_free(&srv->statics);
        free(srv->web_dir);
        srv->web_dir = NULL;
        return -1;
    }
    long head_ms = o->head_timeout_s * 1000L;
    if (web_guard_start(&srv->guard, limit, head_ms, 1000, err) < 0) goto fail;
    if (web_watchdog_start(o->query_timeout_ms, err) < 0) goto fail_guard;

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, srv->host, &sa.sin_addr) != 1) {
        mt_errf(err, "serve: bad listen address %s", srv->host);
        goto fail_watchdog;
    }
    if (web_accept_listen(&srv->acceptor, &sa, 1024, &srv->port, err) < 0) {
        mt_err_prefix(err, "serve: cannot listen on %s", o->addr);
        goto fail_watchdog;
    }
    /* Poll, not epoll: see the top of this file. No listening socket of libmicrohttpd's:
     * web_accept.c accepts and hands connections over (why: web_accept.h). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        /* first, so libmicrohttpd's own messages go through our log from the start */
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        /* The limit is kept by web_accept.c (it stops accepting at `limit`, counting
         * web_guard's connections). libmicrohttpd's own count drops only after a closed
         * connection is cleaned up, a little after web_guard's: with the same number it
         * would refuse (reset) connections the acceptor rightly took. Hence the margin. */
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(limit + 16 * threads),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o->per_ip_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        /* Host required on HTTP/1.1, no space inside the request target. */
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, srv,
        MHD_OPTION_NOTIFY_CONNECTION, web_guard_notify, &srv->guard,
        MHD_OPTION_END);
    if (!srv->daemon) {
        mt_errf(err, "serve: cannot start the HTTP server on %s: %s", o->addr,
                errno ? strerror(errno) : "libmicrohttpd failed to start");
        web_accept_close(&srv->acceptor);
        goto fail_watchdog;
    }
    if (o->app_db_path) {
        char base[96];
        snprintf(base, sizeof base, "http://%s:%u", srv->host, srv->port);
        if (web_account_start(o->app_db_path, threads, base, err) < 0) {
            MHD_stop_daemon(srv->daemon);
            srv->daemon = NULL;
            web_accept_close(&srv->acceptor);
            goto fail_watchdog;
        }
        if (web_alerts_start(&srv->reader, o->app_db_path, base, err) < 0) {
            web_account_stop();
            MHD_stop_daemon(srv->daemon);
            srv->daemon = NULL;
            web_accept_close(&srv->acceptor);
            goto fail_watchdog;
        }
    }
    if (web_accept_start(&srv->acceptor, srv->daemon, &srv->guard, limit, err) < 0) {
        web_alerts_stop();
        web_account_stop();
        MHD_stop_daemon(srv->daemon);
        srv->daemon = NULL;
        web_accept_close(&srv->acceptor);
        goto fail_watchdog;
    }
    web_static_warm(&srv->statics, srv->web_dir);
    return 0;
fail_watchdog:
    web_watchdog_stop();
fail_guard:
    web_guard_stop(&srv->guard);
fail:
    web_reader_free(&srv->reader);
    web_static_free(&srv->statics);
    free(srv->web_dir);
    srv->web_dir = NULL;
    return -1;
}

void web_server_quiesce(struct web_server *srv, long wait_ms)
{
    if (!srv->daemon) return;
    web_accept_stop(&srv->acceptor);
    long long deadline = clock_mono_ns() + wait_ms * 1000000LL;
    while (atomic_load(&srv->inflight) > 0 && clock_mono_ns() < deadline) {
        struct timespec nap = {0, 5 * 1000000L};
        nanosleep(&nap, NULL);
    }
    int left = atomic_load(&srv->inflight);
    if (left) log_warn("serve: %d request(s) still running after %ld ms; stopping anyway", left, wait_ms);
}

void web_server_stop(struct web_server *srv)
{
    web_accept_stop(&srv->acceptor); /* before the daemon: it hands connections to it */
    if (srv->daemon) MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    web_accept_close(&srv->acceptor);
    web_alerts_stop();  /* before the reader goes: it may hold a snapshot reference */
    web_account_stop(); /* after the daemon: no request holds a connection of the pool now */
    web_guard_stop(&srv->guard);
    web_watchdog_stop();
    web_reader_free(&srv->reader);
    web_static_free(&srv->statics); /* after the daemon: no connection holds a response now */
    free(srv->web_dir);
    srv->web_dir = NULL;
}
