/* fuzz_web_route.c — libFuzzer target for everything `materia serve` does with request text
 * before a query runs (src/web/web_route.c): web_route_match (path + query parameters),
 * web_url_decode, web_etag_matches, and the JSON/CSV escapers.
 *
 * Input: "METHOD\nPATH\nQUERY\nIF-NONE-MATCH" (missing parts are NULL, as when absent).
 * Contract checked on every input:
 *   - the status is 200, 400, 404 or 405; error messages are non-empty and
 *     NUL-terminated;
 *   - a 200 on a data route has a canonical key starting with '/', and matching that key
 *     again gives the same route, parameters and key (the cache and ETag depend on it);
 *   - a 200 on a static file never escapes the web dir (no "..", no absolute path, no
 *     hidden file);
 *   - web_url_decode never writes past dst and NUL-terminates;
 *   - web_json_str emits a well-formed JSON string (no raw control bytes, no bare quote);
 *   - web_csv_field emits one RFC 4180 field. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "web/web_route.h"

static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_web_route: contract broken: %s\n", what);
    abort();
}

/* "a&pat&b" with pat = "&x=0&" becomes "a&b" */
static void drop_param(char *s, const char *pat)
{
    char *z = strstr(s, pat);
    size_t n = strlen(pat);
    if (z) memmove(z + 1, z + n, strlen(z + n) + 1);
}

static void check_key_roundtrip(const char *method, const struct web_route *r)
{
    char path[WEB_KEY_MAX];
    snprintf(path, sizeof path, "%s", r->key);
    /* year=0 / market_year=0 stand for "latest" / "all years": not valid request values,
     * so drop them before matching the key again */
    drop_param(path, "&year=0&");
    drop_param(path, "&market_year=0&");
    char *q = strchr(path, '?');
    if (q) *q++ = '\0';
    struct web_route r2;
    struct web_error e2;
    int st = web_route_match(method, path, q, &r2, &e2);
    if (st != 200) fuzz_fail("canonical key does not match again");
    if (r2.id != r->id || r2.format != r->format || strcmp(r2.country, r->country) ||
        r2.metric != r->metric || r2.attribute != r->attribute || r2.year != r->year ||
        r2.limit != r->limit || r2.market_year != r->market_year)
        fuzz_fail("canonical key matches with different parameters");
    if (strcmp(r2.key, r->key)) fuzz_fail("canonical key is not a fixed point");
}

static void check_json_string(const strbuf *sb, size_t from)
{
    const char *s = sb->buf + from;
    size_t n = sb->len - from;
    if (n < 2 || s[0] != '"' || s[n - 1] != '"') fuzz_fail("json string not quoted");
    for (size_t i = 1; i < n - 1; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20) fuzz_fail("raw control byte in json string");
        if (c == '"') fuzz_fail("bare quote in json string");
        if (c == '\\') {
            if (i + 1 >= n - 1) fuzz_fail("dangling backslash in json string");
            i++;
        }
    }
}

static void check_csv_field(const strbuf *sb, size_t from)
{
    const char *s = sb->buf + from;
    size_t n = sb->len - from;
    if (n && s[0] == '"') {
        if (n < 2 || s[n - 1] != '"') fuzz_fail("csv field opened but not closed");
        for (size_t i = 1; i < n - 1; i++)
            if (s[i] == '"' && s[++i] != '"') fuzz_fail("undoubled quote in csv field");
    } else {
        for (size_t i = 0; i < n; i++)
            if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
                fuzz_fail("csv field needs quotes but has none");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *parts[4] = {NULL, NULL, NULL, NULL};
    char *p = buf;
    for (int i = 0; i < 4 && p; i++) {
        parts[i] = p;
        p = strchr(p, '\n');
        if (p) *p++ = '\0';
    }

    struct web_route r;
    struct web_error e;
    int st = web_route_match(parts[0], parts[1], parts[2], &r, &e);
    if (st != 200 && st != 400 && st != 404 && st != 405) fuzz_fail("unexpected status");
    if (!memchr(e.message, '\0', sizeof e.message) || !memchr(e.parameter, '\0', sizeof e.parameter))
        fuzz_fail("error text not NUL-terminated");
    if (st != 200 && !e.message[0]) fuzz_fail("error without a message");
    if (st == 200) {
        if (!memchr(r.key, '\0', sizeof r.key)) fuzz_fail("key not NUL-terminated");
        (void)web_route_name(r.id);
        if (r.id == WR_STATIC) {
            const char *sp = r.static_path;
            /* no absolute path, no empty segment, no segment starting with '.' (., .., hidden) */
            if (sp[0] == '/' || sp[0] == '.' || strstr(sp, "/.") || strstr(sp, "//") || !sp[0])
                fuzz_fail("static path escapes the web dir");
        } else {
            if (r.key[0] != '/') fuzz_fail("key does not start with /");
            check_key_roundtrip(parts[0], &r);
        }
    }

    /* url decoding into a small buffer: ASan sees any overrun of the heap copy */
    size_t dlen = 1 + (size ? data[0] % 64 : 0);
    char *dst = malloc(dlen);
    if (dst) {
        int n = web_url_decode(buf, strlen(buf), dst, dlen);
        if (n >= 0 && ((size_t)n >= dlen || dst[n] != '\0')) fuzz_fail("url decode overran");
        free(dst);
    }
    char etag[64];
    web_etag("snap-1", parts[1] ? parts[1] : "", etag, sizeof etag);
    if (web_etag_matches(etag, etag) != true) fuzz_fail("etag does not match itself");
    (void)web_etag_matches(parts[3], etag);

    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "x");
    web_json_str(&sb, (const char *)data, size);
    check_json_string(&sb, 1);
    size_t mark = sb.len;
    web_csv_field(&sb, (const char *)data, size);
    check_csv_field(&sb, mark);
    sb_free(&sb);
    free(buf);
    return 0;
}
