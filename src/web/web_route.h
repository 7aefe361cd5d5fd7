/* web_route.h — routing, parameter validation and text escaping for `materia serve`.
 *
 * Everything here is pure: no libmicrohttpd, no DuckDB, no globals. The server hands in the
 * method, the (already percent-decoded) path and the raw query string; web_route_match()
 * answers which route it is, with every parameter parsed and checked, or the HTTP status
 * and a JSON-ready error naming the bad parameter. Unit tests and the libFuzzer target
 * (tests/fuzz/fuzz_web_route.c) call these functions directly.
 *
 * The canonical key (route->key) is the URL rebuilt from the parsed parameters; the
 * per-snapshot cache and the ETag are keyed by it, so equivalent URLs share one entry and
 * junk never reaches the cache. */
#ifndef MATERIA_WEB_ROUTE_H
#define MATERIA_WEB_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

enum web_route_id {
    WR_HEALTH = 0,
    WR_METRICS,
    WR_API_DOC,
    WR_COUNTRIES,
    WR_BALANCE,
    WR_WORLD,
    WR_RANKINGS,
    WR_REVISIONS,
    WR_RELEASES,
    WR_COT,       /* /api/cot?from=&to= */
    WR_COT_INDEX, /* /api/cot/index?window=26|52 */
    WR_STATIC,
    WR_ACCOUNT, /* /account/... and /billing/webhook (web_account.h): matched by web_server.c */
    WR_NONE, /* no route matched (404) — a metrics label, never a successful match */
    WR__COUNT
};

enum web_format { WF_JSON = 0, WF_CSV };

#define WEB_YEAR_MIN 1900
#define WEB_YEAR_MAX 2100
#define WEB_LIMIT_MAX 100
#define WEB_DATA_FIRST WR_COUNTRIES /* the data routes: WEB_DATA_FIRST..WEB_DATA_LAST */
#define WEB_DATA_LAST WR_COT_INDEX
#define WEB_KEY_MAX 256

struct web_route {
    enum web_route_id id;
    enum web_format format;
    char country[3];   /* balance, revisions: two uppercase alnum chars */
    int metric;        /* rankings: index into web_metrics[] */
    int attribute;     /* revisions: index into web_attributes[] */
    int year;          /* rankings: 0 = the latest market year */
    int limit;         /* rankings: 1..100 */
    int market_year;   /* revisions: 0 = all years */
    int from, to;      /* cot: report-date bounds as YYYYMMDD, inclusive; 0 = open */
    int window;        /* cot index: 26 or 52 weekly reports (default 52) */
    char key[WEB_KEY_MAX];       /* canonical URL: cache key and ETag input */
    char static_path[WEB_KEY_MAX]; /* WR_STATIC: path relative to the web dir */
};

/* Why a request was refused: the message and the parameter it names ("" when none). */
struct web_error {
    char message[160];
    char parameter[48];
    bool timeout; /* the query watchdog interrupted it (a 503 whose message is the answer) */
};

extern const char *const web_metrics[];     /* rankings metrics, NULL-terminated */
extern const char *const web_attributes[];  /* revisions attributes, NULL-terminated */

/* Matches a request. Returns 200 with *r filled in, or 400 (bad parameter), 404 (no such
 * route) or 405 (method not GET/HEAD; answer with "Allow: GET, HEAD") with *e filled in.
 * query may be NULL or "" (no query string). */
int web_route_match(const char *method, const char *path, const char *query,
                    struct web_route *r, struct web_error *e);

/* Metrics label of a route ("balance", "static", "none" ...). */
const char *web_route_name(enum web_route_id id);

/* Percent-decodes src[0..len) into dst (size dstlen, NUL-terminated); '+' is a space.
 * Returns the decoded length, or -1 on a malformed escape, an embedded NUL or overflow. */
int web_url_decode(const char *src, size_t len, char *dst, size_t dstlen);

/* s[0..len) as a JSON string literal (quotes included); bytes < 0x20 and <, >, & escaped.
 * The web name for util's one escaper, sb_append_json_strn. */
static inline void web_json_str(strbuf *sb, const char *s, size_t len)
{
    sb_append_json_strn(sb, s, len);
}
/* s[0..len) as one CSV field (RFC 4180): quoted when it holds , " CR or LF. The web name for
 * util's one CSV field writer, sb_append_csv_field. */
static inline void web_csv_field(strbuf *sb, const char *s, size_t len)
{
    sb_append_csv_field(sb, s, len, ',');
}
/* A double as a JSON number (shortest form that round-trips); NaN/Inf become null. */
void web_json_double(strbuf *sb, double v);

/* Strong ETag (quotes included) for a snapshot id and a canonical key: out >= 40 bytes. */
void web_etag(const char *snapshot_id, const char *key, char *out, size_t outlen);
/* True when an If-None-Match header value ("*", or a list of tags, weak or strong) names
 * etag. */
bool web_etag_matches(const char *if_none_match, const char *etag);

/* Content type for a static file name (by extension). */
const char *web_content_type(const char *path);

#endif
