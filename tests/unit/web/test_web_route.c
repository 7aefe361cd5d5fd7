/* test_web_route.c — routing, parameter validation, URL decoding, JSON/CSV escaping, ETags
 * and content types (web_route.c: pure functions, no server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "web/web_route.h"

static int match(const char *method, const char *path, const char *query, struct web_route *r,
                 struct web_error *e)
{
    return web_route_match(method, path, query, r, e);
}

static void test_routes_match(void **state)
{
    (void)state;
    struct web_route r;
    struct web_error e;
    assert_int_equal(match("GET", "/health", NULL, &r, &e), 200);
    assert_int_equal(r.id, WR_HEALTH);
    assert_int_equal(match("GET", "/metrics", "", &r, &e), 200);
    assert_int_equal(r.id, WR_METRICS);
    assert_int_equal(match("GET", "/api", NULL, &r, &e), 200);
    assert_int_equal(r.id, WR_API_DOC);
    assert_int_equal(match("HEAD", "/api/countries", NULL, &r, &e), 200);
    assert_int_equal(r.id, WR_COUNTRIES);
    assert_int_equal(r.format, WF_JSON);
    assert_int_equal(match("GET", "/api/balance/BR", "format=csv", &r, &e), 200);
    assert_int_equal(r.id, WR_BALANCE);
    assert_string_equal(r.country, "BR");
    assert_int_equal(r.format, WF_CSV);
    assert_string_equal(r.key, "/api/balance/BR?format=csv");
    assert_int_equal(match("GET", "/api/balance/E4", NULL, &r, &e), 200);
    assert_string_equal(r.country, "E4");
    assert_int_equal(match("GET", "/api/world", NULL, &r, &e), 200);
    assert_int_equal(r.id, WR_WORLD);
    assert_int_equal(match("GET", "/api/releases", NULL, &r, &e), 200);
    assert_int_equal(r.id, WR_RELEASES);
    assert_int_equal(match("GET", "/", NULL, &r, &e), 200);
    assert_int_equal(r.id, WR_STATIC);
    assert_string_equal(r.static_path, "index.html");
    assert_int_equal(match("GET", "/assets/app-1.js", "v=3", &r, &e), 200);
    assert_string_equal(r.static_path, "assets/app-1.js");
}

static void test_rankings_defaults_and_key(void **state)
{
    (void)state;
    struct web_route r;
    struct web_error e;
    assert_int_equal(match("GET", "/api/rankings", NULL, &r, &e), 200);
    assert_string_equal(web_metrics[r.metric], "production");
    assert_int_equal(r.year, 0);
    assert_int_equal(r.limit, 10);
    assert_string_equal(r.key, "/api/rankings?metric=production&year=0&limit=10&format=json");
    /* order and encoding do not matter: same canonical key */
    struct web_route r2;
    assert_int_equal(match("GET", "/api/rankings", "limit=5&metric=exports&year=2022", &r, &e), 200);
    assert_int_equal(match("GET", "/api/rankings", "year=2022&metric=%65xports&limit=5", &r2, &e), 200);
    assert_string_equal(r.key, r2.key);
    assert_int_equal(r.limit, 5);
    assert_int_equal(r.year, 2022);
    assert_int_equal(match("GET", "/api/revisions/CO", "attribute=ending_stocks&market_year=2020", &r, &e), 200);
    assert_string_equal(web_attributes[r.attribute], "ending_stocks");
    assert_int_equal(r.market_year, 2020);
    assert_int_equal(match("GET", "/api/revisions/CO", NULL, &r, &e), 200);
    assert_string_equal(web_attributes[r.attribute], "production");
    assert_int_equal(r.market_year, 0);
}

static void expect_400(const char *path, const char *query, const char *param)
{
    struct web_route r;
    struct web_error e;
    int st = web_route_match("GET", path, query, &r, &e);
    if (st != 400 || strcmp(e.parameter, param) != 0)
        fail_msg("%s?%s: status %d parameter '%s' (want 400 '%s')", path, query ? query : "", st,
                 e.parameter, param);
    assert_true(e.message[0] != '\0');
}

static void test_bad_parameters(void **state)
{
    (void)state;
    expect_400("/api/balance/br", NULL, "country_code");
    expect_400("/api/balance/B", NULL, "country_code");
    expect_400("/api/balance/BRA", NULL, "country_code");
    expect_400("/api/balance/", NULL, "country_code");
    expect_400("/api/balance/B-", NULL, "country_code");
    expect_400("/api/revisions/b1", NULL, "country_code");
    expect_400("/api/rankings", "metric=price", "metric");
    expect_400("/api/rankings", "metric=", "metric");
    expect_400("/api/rankings", "year=1899", "year");
    expect_400("/api/rankings", "year=2101", "year");
    expect_400("/api/rankings", "year=+2022", "year");
    expect_400("/api/rankings", "year=2022.0", "year");
    expect_400("/api/rankings", "year=", "year");
    expect_400("/api/rankings", "year=99999999999999999999", "year");
    expect_400("/api/rankings", "limit=0", "limit");
    expect_400("/api/rankings", "limit=101", "limit");
    expect_400("/api/rankings", "limit=1e2", "limit");
    expect_400("/api/revisions/BR", "attribute=Production", "attribute");
    expect_400("/api/revisions/BR", "market_year=x", "market_year");
    expect_400("/api/world", "format=xml", "format");
    expect_400("/api/world", "bogus=1", "bogus");
    expect_400("/api/world", "year=2020", "year");       /* not a world parameter */
    expect_400("/api/balance/BR", "metric=production", "metric");
    expect_400("/health", "format=csv", "format");        /* health takes no parameters */
    expect_400("/api/world", "format=csv&format=json", "format");
    expect_400("/api/world", "%zz=1", "");
    expect_400("/api/world", "format=%", "format");
    expect_400("/api/world", "format=js%00on", "format");
}

static void test_cot_routes(void **state)
{
    (void)state;
    struct web_route r, r2;
    struct web_error e;
    assert_int_equal(match("GET", "/api/cot", NULL, &r, &e), 200);
    assert_int_equal(r.id, WR_COT);
    assert_int_equal(r.from, 0);
    assert_int_equal(r.to, 0);
    assert_string_equal(r.key, "/api/cot?format=json");
    assert_int_equal(match("GET", "/api/cot", "to=2019-12-31&from=2019-01-01&format=csv", &r, &e), 200);
    assert_int_equal(r.from, 20190101);
    assert_int_equal(r.to, 20191231);
    assert_int_equal(r.format, WF_CSV);
    assert_string_equal(r.key, "/api/cot?from=2019-01-01&to=2019-12-31&format=csv");
    assert_int_equal(match("GET", "/api/cot", "from=2019-01-01&to=2019-12-31&format=csv", &r2, &e), 200);
    assert_string_equal(r.key, r2.key);
    assert_int_equal(match("GET", "/api/cot", "from=2020-02-29&to=2020-02-29", &r, &e), 200); /* leap day */
    assert_int_equal(match("GET", "/api/cot", "from=2000-02-29", &r, &e), 200);               /* 400-year leap */
    assert_int_equal(match("GET", "/api/cot/index", NULL, &r, &e), 200);
    assert_int_equal(r.id, WR_COT_INDEX);
    assert_int_equal(r.window, 52);
    assert_string_equal(r.key, "/api/cot/index?window=52&format=json");
    assert_int_equal(match("GET", "/api/cot/index", "window=26", &r, &e), 200);
    assert_int_equal(r.window, 26);
    assert_string_equal(r.key, "/api/cot/index?window=26&format=json");
    assert_string_equal(web_route_name(WR_COT), "cot");
    assert_string_equal(web_route_name(WR_COT_INDEX), "cot_index");
    expect_400("/api/cot", "from=2019-13-01", "from");
    expect_400("/api/cot", "from=2019-02-29", "from"); /* not a leap year */
    expect_400("/api/cot", "from=1900-02-29", "from"); /* nor is 1900 */
    expect_400("/api/cot", "from=2019-04-31", "from");
    expect_400("/api/cot", "from=2019-00-10", "from");
    expect_400("/api/cot", "to=2019-01-00", "to");
    expect_400("/api/cot", "to=2019-1-01", "to");
    expect_400("/api/cot", "to=20190101", "to");
    expect_400("/api/cot", "to=2019-01-01T00", "to");
    expect_400("/api/cot", "to=+019-01-01", "to");
    expect_400("/api/cot", "from=", "from");
    expect_400("/api/cot", "from=1899-12-31", "from");
    expect_400("/api/cot", "to=2101-01-01", "to");
    expect_400("/api/cot", "from=2019-01-02&to=2019-01-01", "from");
    expect_400("/api/cot", "window=52", "window");
    expect_400("/api/cot/index", "window=13", "window");
    expect_400("/api/cot/index", "window=27", "window");
    expect_400("/api/cot/index", "window=", "window");
    expect_400("/api/cot/index", "window=52w", "window");
    expect_400("/api/cot/index", "from=2019-01-01", "from");
    expect_400("/api/cot/index", "format=xml", "format");
}

static void test_404_405(void **state)
{
    (void)state;
    struct web_route r;
    struct web_error e;
    assert_int_equal(match("GET", "/api/nope", NULL, &r, &e), 404);
    assert_int_equal(match("GET", "/api/balance/BR/x", NULL, &r, &e), 404);
    assert_int_equal(match("GET", "/api/countries/", NULL, &r, &e), 404);
    assert_int_equal(match("GET", "/../etc/passwd", NULL, &r, &e), 404);
    assert_int_equal(match("GET", "/assets/.env", NULL, &r, &e), 404);
    assert_int_equal(match("GET", "/a//b", NULL, &r, &e), 404);
    assert_int_equal(match("GET", "relative", NULL, &r, &e), 404);
    assert_int_equal(match("GET", NULL, NULL, &r, &e), 404);
    assert_int_equal(match("POST", "/api/world", NULL, &r, &e), 405);
    assert_int_equal(r.id, WR_WORLD); /* the route is known: metrics label it */
    assert_int_equal(match("DELETE", "/", NULL, &r, &e), 405);
    assert_int_equal(match("POST", "/api/nope", NULL, &r, &e), 404);
}

static void test_url_decode(void **state)
{
    (void)state;
    char b[16];
    assert_int_equal(web_url_decode("a%20b+c", 7, b, sizeof b), 5);
    assert_string_equal(b, "a b c");
    assert_int_equal(web_url_decode("%4", 2, b, sizeof b), -1);
    assert_int_equal(web_url_decode("%", 1, b, sizeof b), -1);
    assert_int_equal(web_url_decode("%g0", 3, b, sizeof b), -1);
    assert_int_equal(web_url_decode("%00", 3, b, sizeof b), -1);
    assert_int_equal(web_url_decode("0123456789abcdefXYZ", 19, b, sizeof b), -1);
    assert_int_equal(web_url_decode("", 0, b, sizeof b), 0);
}

static void test_json_and_csv_escaping(void **state)
{
    (void)state;
    strbuf sb;
    sb_init(&sb);
    web_json_str(&sb, "a\"b\\c\n\t<x>&\x01z", 13);
    assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\n\\t\\u003cx\\u003e\\u0026\\u0001z\"");
    sb_reset(&sb);
    web_json_str(&sb, "C\xc3\xb4te d'Ivoire", 14); /* UTF-8 passes through */
    assert_string_equal(sb.buf, "\"C\xc3\xb4te d'Ivoire\"");
    sb_reset(&sb);
    web_json_str(&sb, "ab\0cd", 5); /* length-delimited: NUL escaped, not a terminator */
    assert_string_equal(sb.buf, "\"ab\\u0000cd\"");
    sb_reset(&sb);
    web_csv_field(&sb, "plain", 5);
    sb_append_char(&sb, ',');
    web_csv_field(&sb, "Rst,Ground", 10);
    sb_append_char(&sb, ',');
    web_csv_field(&sb, "say \"hi\"", 8);
    sb_append_char(&sb, ',');
    web_csv_field(&sb, "two\nlines", 9);
    assert_string_equal(sb.buf, "plain,\"Rst,Ground\",\"say \"\"hi\"\"\",\"two\nlines\"");
    sb_reset(&sb);
    web_json_double(&sb, 58100.0);
    sb_append_char(&sb, ' ');
    web_json_double(&sb, 0.1);
    sb_append_char(&sb, ' ');
    web_json_double(&sb, -12.25);
    sb_append_char(&sb, ' ');
    web_json_double(&sb, 1.0 / 3.0);
    sb_append_char(&sb, ' ');
    web_json_double(&sb, 0.0 / 0.0);
    assert_string_equal(sb.buf, "58100 0.1 -12.25 0.3333333333333333 null");
    sb_free(&sb);
}

static void test_etag(void **state)
{
    (void)state;
    char a[48], b[48], c[48];
    web_etag("snap-A", "/api/world?format=json", a, sizeof a);
    web_etag("snap-B", "/api/world?format=json", b, sizeof b);
    web_etag("snap-A", "/api/world?format=csv", c, sizeof c);
    assert_int_equal(strlen(a), 34);
    assert_true(a[0] == '"' && a[33] == '"');
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
    char a2[48];
    web_etag("snap-A", "/api/world?format=json", a2, sizeof a2);
    assert_string_equal(a, a2);
    assert_true(web_etag_matches(a, a));
    assert_true(web_etag_matches("*", a));
    char list[128];
    snprintf(list, sizeof list, "\"x\", W/%s", a);
    assert_true(web_etag_matches(list, a));
    assert_false(web_etag_matches("\"x\", \"y\"", a));
    assert_false(web_etag_matches("", a));
    assert_false(web_etag_matches(NULL, a));
    assert_false(web_etag_matches("\"unterminated", a));
}

static void test_content_types(void **state)
{
    (void)state;
    assert_string_equal(web_content_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(web_content_type("assets/app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(web_content_type("assets/app.css"), "text/css; charset=utf-8");
    assert_string_equal(web_content_type("world.json"), "application/json");
    assert_string_equal(web_content_type("logo.svg"), "image/svg+xml");
    assert_string_equal(web_content_type("a.dir/noext"), "application/octet-stream");
    assert_string_equal(web_route_name(WR_BALANCE), "balance");
    assert_string_equal(web_route_name(WR__COUNT), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_match),      cmocka_unit_test(test_rankings_defaults_and_key),
        cmocka_unit_test(test_bad_parameters),    cmocka_unit_test(test_404_405),
        cmocka_unit_test(test_url_decode),        cmocka_unit_test(test_json_and_csv_escaping),
        cmocka_unit_test(test_etag),              cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_cot_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
