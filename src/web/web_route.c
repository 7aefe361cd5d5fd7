/* web_route.c — see web_route.h. Pure functions: routing table, strict parameter parsing,
 * JSON numbers, ETags, content types (JSON strings and CSV fields: util/strbuf).
 *
 * Parameter rules (ARCHITECTURE §5): country code = exactly two of [A-Z0-9]; years are
 * plain decimal integers in WEB_YEAR_MIN..WEB_YEAR_MAX; limit 1..100; metric and attribute
 * from fixed whitelists; COT dates (from, to) exactly YYYY-MM-DD, a real calendar day with
 * the year in WEB_YEAR_MIN..WEB_YEAR_MAX, from <= to; COT window 26 or 52; format json|csv;
 * any other query parameter, or one given twice, is a 400 naming it. Static paths are checked segment by segment (no "..", no hidden
 * files, no backslashes) before they can reach the file system. */
#include "web/web_route.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

const char *const web_metrics[] = {"production", "exports", "imports", "domestic_consumption",
                                   "ending_stocks", "arabica_production", "robusta_production",
                                   NULL};

const char *const web_attributes[] = {
    "beginning_stocks", "production", "arabica_production", "robusta_production",
    "other_production", "imports", "bean_imports", "roast_ground_imports", "soluble_imports",
    "total_supply", "exports", "bean_exports", "roast_ground_exports", "soluble_exports",
    "domestic_consumption", "rst_ground_dom_consum", "soluble_dom_cons", "ending_stocks",
    "total_distribution", NULL};

static const char *const route_names[WR__COUNT] = {
    [WR_HEALTH] = "health",       [WR_METRICS] = "metrics",   [WR_API_DOC] = "api",
    [WR_COUNTRIES] = "countries", [WR_BALANCE] = "balance",   [WR_WORLD] = "world",
    [WR_RANKINGS] = "rankings",   [WR_REVISIONS] = "revisions", [WR_RELEASES] = "releases",
    [WR_COT] = "cot",             [WR_COT_INDEX] = "cot_index",
    [WR_STATIC] = "static",       [WR_ACCOUNT] = "account",   [WR_NONE] = "none"};

const char *web_route_name(enum web_route_id id)
{
    return (unsigned)id < WR__COUNT ? route_names[id] : "none";
}

static int fail(struct web_error *e, int status, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct web_error *e, int status, const char *param, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    snprintf(e->parameter, sizeof e->parameter, "%s", param ? param : "");
    return status;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int web_url_decode(const char *src, size_t len, char *dst, size_t dstlen)
{
    size_t o = 0;
    if (dstlen == 0) return -1;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            if (i + 2 >= len) return -1;
            int h = hexval(src[i + 1]), l = hexval(src[i + 2]);
            if (h < 0 || l < 0) return -1;
            c = h * 16 + l;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == 0 || o + 1 >= dstlen) return -1;
        dst[o++] = (char)c;
    }
    dst[o] = '\0';
    return (int)o;
}

/* ---- query parameters ------------------------------------------------------------------- */

#define MAX_PARAMS 8
#define PARAM_LEN 64

struct qparam {
    char name[PARAM_LEN];
    char value[PARAM_LEN];
    bool used;
};

/* Splits and decodes the query string. Returns 0 or a 400 in e. */
static int parse_query(const char *q, struct qparam *ps, int *n, struct web_error *e)
{
    *n = 0;
    if (!q) return 0;
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t seglen = amp ? (size_t)(amp - q) : strlen(q);
        if (seglen > 0) {
            const char *eq = memchr(q, '=', seglen);
            size_t nlen = eq ? (size_t)(eq - q) : seglen;
            char name[PARAM_LEN];
            if (web_url_decode(q, nlen, name, sizeof name) < 0)
                return fail(e, 400, "", "malformed or oversize query parameter name");
            if (!name[0]) return fail(e, 400, "", "empty query parameter name");
            for (int i = 0; i < *n; i++)
                if (!strcmp(ps[i].name, name))
                    return fail(e, 400, name, "query parameter '%s' given more than once", name);
            if (*n == MAX_PARAMS) return fail(e, 400, name, "too many query parameters");
            struct qparam *p = &ps[(*n)++];
            memcpy(p->name, name, sizeof name);
            p->used = false;
            const char *v = eq ? eq + 1 : q + seglen;
            size_t vlen = (size_t)(q + seglen - v);
            if (web_url_decode(v, vlen, p->value, sizeof p->value) < 0)
                return fail(e, 400, name, "malformed or oversize value for '%s'", name);
        }
        if (!amp) break;
        q = amp + 1;
    }
    return 0;
}

static const char *take(struct qparam *ps, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(ps[i].name, name)) {
            ps[i].used = true;
            return ps[i].value;
        }
    return NULL;
}

/* Plain decimal integer in [lo, hi]: digits only, no sign, no spaces, no leading '+'. */
static bool parse_int(const char *s, int lo, int hi, int *out)
{
    if (!s || !*s || strlen(s) > 6) return false;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        v = v * 10 + (*p - '0');
    }
    if (v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

/* Exactly YYYY-MM-DD naming a real day (leap years included), year in WEB_YEAR_MIN..MAX;
 * *out = YYYYMMDD, so two dates compare as integers. */
static bool parse_date(const char *s, int *out)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < WEB_YEAR_MIN || y > WEB_YEAR_MAX || m < 1 || m > 12 || d < 1) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) return false;
    *out = y * 10000 + m * 100 + d;
    return true;
}

static int whitelist_index(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(list[i], s)) return i;
    return -1;
}

static bool valid_country(const char *s, size_t len)
{
    if (len != 2) return false;
    for (size_t i = 0; i < 2; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) return false;
    return true;
}

/* A static path: segments of [A-Za-z0-9._-], none empty or starting with '.'. */
static bool valid_static_path(const char *p)
{
    if (!*p || strlen(p) >= WEB_KEY_MAX) return false;
    const char *seg = p;
    for (const char *c = p;; c++) {
        if (*c == '/' || *c == '\0') {
            if (c == seg || *seg == '.') return false;
            if (*c == '\0') break;
            seg = c + 1;
            continue;
        }
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            return false;
    }
    return true;
}

/* Step 1: which route — the path alone decides (a 404 when none). Sets r->id, the static
 * path, and for the per-country routes where the code starts. Returns 0 or a status. */
static int route_by_path(const char *path, size_t plen, struct web_route *r, const char **cc,
                         size_t *cclen, struct web_error *e)
{
    if (!strcmp(path, "/health")) r->id = WR_HEALTH;
    else if (!strcmp(path, "/metrics")) r->id = WR_METRICS;
    else if (!strcmp(path, "/api") || !strcmp(path, "/api/")) r->id = WR_API_DOC;
    else if (!strcmp(path, "/api/countries")) r->id = WR_COUNTRIES;
    else if (!strcmp(path, "/api/world")) r->id = WR_WORLD;
    else if (!strcmp(path, "/api/rankings")) r->id = WR_RANKINGS;
    else if (!strcmp(path, "/api/releases")) r->id = WR_RELEASES;
    else if (!strcmp(path, "/api/cot")) r->id = WR_COT;
    else if (!strcmp(path, "/api/cot/index")) r->id = WR_COT_INDEX;
    else if (!strncmp(path, "/api/balance/", 13) && !strchr(path + 13, '/')) {
        r->id = WR_BALANCE;
        *cc = path + 13;
        *cclen = plen - 13;
    } else if (!strncmp(path, "/api/revisions/", 15) && !strchr(path + 15, '/')) {
        r->id = WR_REVISIONS;
        *cc = path + 15;
        *cclen = plen - 15;
    } else if (!strncmp(path, "/api/", 5) || !strcmp(path, "/api")) {
        return fail(e, 404, "", "no such API route: %.100s", path);
    } else {
        const char *rel = !strcmp(path, "/") ? "index.html" : path + 1;
        if (!valid_static_path(rel)) return fail(e, 404, "", "not found: %.100s", path);
        r->id = WR_STATIC;
        snprintf(r->static_path, sizeof r->static_path, "%s", rel);
    }
    return 0;
}

/* Step 4: the query parameters, each route taking only its own; any other is a 400
 * naming it. Returns 0 or a status. */
static int route_params(const char *query, struct web_route *r, struct web_error *e)
{
    struct qparam ps[MAX_PARAMS];
    int n = 0;
    int st = parse_query(query, ps, &n, e);
    if (st) return st;
    bool data = r->id >= WEB_DATA_FIRST && r->id <= WEB_DATA_LAST;
    const char *v;
    if (data && (v = take(ps, n, "format"))) {
        if (!strcmp(v, "json")) r->format = WF_JSON;
        else if (!strcmp(v, "csv")) r->format = WF_CSV;
        else return fail(e, 400, "format", "format must be json or csv");
    }
    if (r->id == WR_RANKINGS) {
        r->metric = 0;
        r->limit = 10;
        if ((v = take(ps, n, "metric")) && (r->metric = whitelist_index(web_metrics, v)) < 0)
            return fail(e, 400, "metric",
                        "metric must be one of production, exports, imports, "
                        "domestic_consumption, ending_stocks, arabica_production, "
                        "robusta_production");
        if ((v = take(ps, n, "year")) && !parse_int(v, WEB_YEAR_MIN, WEB_YEAR_MAX, &r->year))
            return fail(e, 400, "year", "year must be an integer from %d to %d", WEB_YEAR_MIN,
                        WEB_YEAR_MAX);
        if ((v = take(ps, n, "limit")) && !parse_int(v, 1, WEB_LIMIT_MAX, &r->limit))
            return fail(e, 400, "limit", "limit must be an integer from 1 to %d", WEB_LIMIT_MAX);
    }
    if (r->id == WR_REVISIONS) {
        r->attribute = whitelist_index(web_attributes, "production");
        if ((v = take(ps, n, "attribute")) &&
            (r->attribute = whitelist_index(web_attributes, v)) < 0)
            return fail(e, 400, "attribute",
                        "attribute must be a PSD attribute in snake_case (e.g. production)");
        if ((v = take(ps, n, "market_year")) &&
            !parse_int(v, WEB_YEAR_MIN, WEB_YEAR_MAX, &r->market_year))
            return fail(e, 400, "market_year", "market_year must be an integer from %d to %d",
                        WEB_YEAR_MIN, WEB_YEAR_MAX);
    }
    if (r->id == WR_COT) {
        if ((v = take(ps, n, "from")) && !parse_date(v, &r->from))
            return fail(e, 400, "from", "from must be a date YYYY-MM-DD (years %d to %d)",
                        WEB_YEAR_MIN, WEB_YEAR_MAX);
        if ((v = take(ps, n, "to")) && !parse_date(v, &r->to))
            return fail(e, 400, "to", "to must be a date YYYY-MM-DD (years %d to %d)",
                        WEB_YEAR_MIN, WEB_YEAR_MAX);
        if (r->from && r->to && r->from > r->to)
            return fail(e, 400, "from", "from must not be after to");
    }
    if (r->id == WR_COT_INDEX) {
        r->window = 52;
        if ((v = take(ps, n, "window")) &&
            (!parse_int(v, 26, 52, &r->window) || (r->window != 26 && r->window != 52)))
            return fail(e, 400, "window", "window must be 26 or 52 (weekly reports)");
    }
    for (int i = 0; i < n; i++)
        if (!ps[i].used)
            return fail(e, 400, ps[i].name, "unknown query parameter '%s'", ps[i].name);
    return 0;
}

/* YYYYMMDD as "YYYY-MM-DD". */
static const char *ymd_text(int ymd, char *out, size_t outlen)
{
    snprintf(out, outlen, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
    return out;
}

/* Step 5: the canonical key — one per distinct answer, whatever the parameter order. */
static void route_key(const char *path, struct web_route *r)
{
    bool data = r->id >= WEB_DATA_FIRST && r->id <= WEB_DATA_LAST;
    const char *fmt = r->format == WF_CSV ? "csv" : "json";
    switch (r->id) {
    case WR_RANKINGS:
        snprintf(r->key, sizeof r->key, "/api/rankings?metric=%s&year=%d&limit=%d&format=%s",
                 web_metrics[r->metric], r->year, r->limit, fmt);
        break;
    case WR_REVISIONS:
        snprintf(r->key, sizeof r->key, "/api/revisions/%s?attribute=%s&market_year=%d&format=%s",
                 r->country, web_attributes[r->attribute], r->market_year, fmt);
        break;
    case WR_COT: {
        /* an open bound is left out, not written empty: the key must match again as a
         * request (fuzz_web_route's round trip), and `from=` is refused */
        char from[24] = "", to[24] = "", d[16];
        if (r->from) snprintf(from, sizeof from, "from=%s&", ymd_text(r->from, d, sizeof d));
        if (r->to) snprintf(to, sizeof to, "to=%s&", ymd_text(r->to, d, sizeof d));
        snprintf(r->key, sizeof r->key, "/api/cot?%s%sformat=%s", from, to, fmt);
        break;
    }
    case WR_COT_INDEX:
        snprintf(r->key, sizeof r->key, "/api/cot/index?window=%d&format=%s", r->window, fmt);
        break;
    default:
        snprintf(r->key, sizeof r->key, "%s%s%s", path, data ? "?format=" : "", data ? fmt : "");
    }
}

int web_route_match(const char *method, const char *path, const char *query,
                    struct web_route *r, struct web_error *e)
{
    memset(r, 0, sizeof *r);
    memset(e, 0, sizeof *e);
    r->id = WR_NONE;
    if (!path || path[0] != '/') return fail(e, 404, "", "not found");
    size_t plen = strlen(path);
    if (plen >= WEB_KEY_MAX) return fail(e, 404, "", "not found");

    /* 1. Which route. */
    const char *cc = NULL;
    size_t cclen = 0;
    int st = route_by_path(path, plen, r, &cc, &cclen, e);
    if (st) return st;

    /* 2. Method: GET and HEAD only. */
    if (!method || (strcmp(method, "GET") && strcmp(method, "HEAD"))) {
        enum web_route_id id = r->id;
        st = fail(e, 405, "", "method %.20s not allowed (GET, HEAD)", method ? method : "?");
        r->id = id;
        return st;
    }
    if (r->id == WR_STATIC) {
        snprintf(r->key, sizeof r->key, "%s", path); /* query ignored: cache busting */
        return 200;
    }

    /* 3. Path parameter. */
    if (cc) {
        if (!valid_country(cc, cclen))
            return fail(e, 400, "country_code",
                        "country_code must be two uppercase letters or digits (e.g. BR)");
        memcpy(r->country, cc, 2);
        r->country[2] = '\0';
    }

    /* 4. Query parameters; 5. canonical key. */
    if ((st = route_params(query, r, e)) != 0) return st;
    route_key(path, r);
    return 200;
}

/* ---- JSON numbers ------------------------------------------------------------------------ */

void web_json_double(strbuf *sb, double v)
{
    if (!isfinite(v)) {
        sb_append_len(sb, "null", 4);
        return;
    }
    if (v == (double)(long long)v && fabs(v) < 1e15) {
        sb_appendf(sb, "%lld", (long long)v);
        return;
    }
    char b[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, v);
        if (prec == 17 || strtod(b, NULL) == v) break;
    }
    sb_append(sb, b);
}

/* ---- ETags ----------------------------------------------------------------------------- */

void web_etag(const char *snapshot_id, const char *key, char *out, size_t outlen)
{
    struct hash_ctx h;
    char hex[HASH_HEX_LEN];
    hash_init(&h);
    hash_update(&h, snapshot_id, strlen(snapshot_id));
    hash_update(&h, "\n", 1);
    hash_update(&h, key, strlen(key));
    hash_final_hex(&h, hex);
    snprintf(out, outlen, "\"%.32s\"", hex);
}

bool web_etag_matches(const char *inm, const char *etag)
{
    if (!inm || !etag) return false;
    size_t elen = strlen(etag);
    const char *p = inm;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (!*p) break;
        if (*p == '*') return true;
        if (!strncmp(p, "W/", 2)) p += 2; /* weak comparison, as If-None-Match requires */
        const char *end = p;
        if (*p == '"') {
            end = strchr(p + 1, '"');
            if (!end) return false;
            end++;
        } else {
            while (*end && *end != ',') end++;
        }
        if ((size_t)(end - p) == elen && !memcmp(p, etag, elen)) return true;
        p = end;
    }
    return false;
}

const char *web_content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".txt", "text/plain; charset=utf-8"},
        {".csv", "text/csv; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
        {".wasm", "application/wasm"},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcmp(dot, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}
