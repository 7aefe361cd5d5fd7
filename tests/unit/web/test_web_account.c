/* test_web_account.c — the account routes' dispatch and checks (src/web/web_account.h),
 * without a server: requests are structs with a fake header table, over a real account
 * database. Which paths are the account side's, 404 and 405 (with Allow), 401 before
 * anything else, the CSRF token (header or form field, this session's only) and the
 * Origin/Referer check against PUBLIC_BASE_URL or the Host, the reply builder, and
 * MATERIA_TRUSTED_PROXIES' parser (web_client.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "accounts/appdb.h"
#include "accounts/sessions.h"
#include "accounts/users.h"
#include "util/config.h"
#include "util/fsutil.h"
#include "web/web_account.h"
#include "web/web_server.h"

#define T0 1700000000LL

struct hdrs {
    const char *k[8], *v[8];
    int n;
};

static const char *hget(void *ctx, const char *name)
{
    struct hdrs *h = ctx;
    for (int i = 0; i < h->n; i++)
        if (!strcasecmp(h->k[i], name)) return h->v[i];
    return NULL;
}

static void hset(struct hdrs *h, const char *k, const char *v)
{
    h->k[h->n] = k;
    h->v[h->n] = v;
    h->n++;
}

static char db_path[512];
static char token[SESS_TOKEN_LEN + 1], csrf[SESS_TOKEN_LEN + 1], cookie[80];

static int setup(void **state)
{
    (void)state;
    const char *root = getenv("MATERIA_TEST_TMP");
    struct mt_err err = MT_ERR_INIT;
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    char *dir = xasprintf("%s/webacct-XXXXXX", root);
    assert_non_null(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/app.sqlite", dir);
    free(dir);
    g_config.s.session_idle_hours = 72;
    g_config.s.session_max_days = 30;
    g_config.s.public_base_url = "";
    assert_int_equal(web_account_start(db_path, 1, "http://127.0.0.1:8000", &err), 0);
    sqlite3 *db = web_account_db_acquire();
    long long id;
    assert_int_equal(users_create(db, "a@b.example", T0, &id, &err), 0);
    assert_int_equal(sessions_create(db, id, NULL, NULL, T0, token, csrf, &err), 0);
    web_account_db_release(db);
    snprintf(cookie, sizeof cookie, "x=1; " ACCOUNT_COOKIE "=%s", token);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    web_account_stop();
    return 0;
}

/* Dispatches one request; returns the status, the reply in *out (caller frees). */
static int run(const char *method, const char *path, struct hdrs *h, const char *body,
               struct account_reply *out)
{
    struct account_req rq = {
        .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0,
        .ip = "127.0.0.1", .bucket = "ip:127.0.0.1", .now = T0 + 10, .header_fn = hget, .hctx = h,
    };
    rq.db = web_account_db_acquire();
    account_reply_init(out);
    web_account_dispatch(&rq, out);
    web_account_db_release(rq.db);
    return out->status;
}

static const char *reply_header(const struct account_reply *r, const char *name)
{
    for (int i = 0; i < r->n_headers; i++)
        if (!strcasecmp(r->headers[i][0], name)) return r->headers[i][1];
    return NULL;
}

static void test_paths(void **state)
{
    (void)state;
    assert_true(web_account_path("/account/me"));
    assert_true(web_account_path("/account"));
    assert_true(web_account_path("/billing/webhook"));
    assert_false(web_account_path("/accounts"));
    assert_false(web_account_path("/api/countries"));
    assert_false(web_account_path("/"));
    assert_true(web_account_takes_body("POST", "/account/link"));
    assert_false(web_account_takes_body("POST", "/account/me"));
    assert_false(web_account_takes_body("GET", "/account/link"));
    assert_false(web_account_takes_body("POST", "/account/nope"));
}

static void test_404_405_401(void **state)
{
    (void)state;
    struct hdrs h = {0};
    struct account_reply r;
    assert_int_equal(run("GET", "/account/nope", &h, NULL, &r), 404);
    account_reply_free(&r);
    assert_int_equal(run("DELETE", "/account/me", &h, NULL, &r), 405);
    assert_string_equal(reply_header(&r, "Allow"), "GET, HEAD");
    account_reply_free(&r);
    assert_int_equal(run("GET", "/account/signout", &h, NULL, &r), 405);
    assert_string_equal(reply_header(&r, "Allow"), "POST");
    account_reply_free(&r);
    /* a path with several methods lists them all (it named only the last one) */
    assert_int_equal(run("PUT", "/account/keys", &h, NULL, &r), 405);
    assert_string_equal(reply_header(&r, "Allow"), "GET, HEAD, POST");
    account_reply_free(&r);
    assert_int_equal(run("GET", "/account/me", &h, NULL, &r), 401);
    assert_string_equal(r.body.buf, "{\"error\":\"not signed in\"}\n");
    account_reply_free(&r);
    /* a malformed or unknown cookie is nobody */
    hset(&h, "Cookie", ACCOUNT_COOKIE "=\"bad value");
    assert_int_equal(run("GET", "/account/me", &h, NULL, &r), 401);
    account_reply_free(&r);
    /* HEAD is GET without a body (libmicrohttpd drops it) */
    struct hdrs h2 = {0};
    hset(&h2, "Cookie", cookie);
    assert_int_equal(run("HEAD", "/account/me", &h2, NULL, &r), 200);
    account_reply_free(&r);
}

static void test_me_and_csrf(void **state)
{
    (void)state;
    struct account_reply r;
    struct hdrs h = {0};
    hset(&h, "Cookie", cookie);
    assert_int_equal(run("GET", "/account/me", &h, NULL, &r), 200);
    assert_non_null(strstr(r.body.buf, "\"email\":\"a@b.example\""));
    assert_non_null(strstr(r.body.buf, csrf));
    account_reply_free(&r);

    const char *body = "{\"theme\":\"dark\"}";
    /* no token */
    hset(&h, "Origin", "http://localhost:8000");
    hset(&h, "Host", "localhost:8000");
    assert_int_equal(run("POST", "/account/preferences", &h, body, &r), 403);
    assert_non_null(strstr(r.body.buf, "CSRF token missing"));
    account_reply_free(&r);
    /* wrong token, right length; right token, wrong length */
    char wrong[SESS_TOKEN_LEN + 1];
    memcpy(wrong, csrf, sizeof wrong);
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    struct hdrs hw = h;
    hset(&hw, "X-CSRF-Token", wrong);
    assert_int_equal(run("POST", "/account/preferences", &hw, body, &r), 403);
    account_reply_free(&r);
    char longer[SESS_TOKEN_LEN + 3];
    snprintf(longer, sizeof longer, "%sx", csrf);
    struct hdrs hl = h;
    hset(&hl, "X-CSRF-Token", longer);
    assert_int_equal(run("POST", "/account/preferences", &hl, body, &r), 403);
    account_reply_free(&r);
    /* the right token: 200 */
    struct hdrs hr = h;
    hset(&hr, "X-CSRF-Token", csrf);
    assert_int_equal(run("POST", "/account/preferences", &hr, body, &r), 200);
    assert_string_equal(r.body.buf, "{\"preferences\":{\"units\":\"bags\",\"default_country\":null,\"theme\":\"dark\"}}\n");
    account_reply_free(&r);
    /* the form field instead of the header (the JSON parse then refuses the body: past CSRF) */
    char form[128];
    snprintf(form, sizeof form, "csrf_token=%s", csrf);
    struct hdrs hf = h;
    hset(&hf, "Content-Type", "application/x-www-form-urlencoded");
    assert_int_equal(run("POST", "/account/preferences", &hf, form, &r), 400);
    account_reply_free(&r);
}

static void test_origin(void **state)
{
    (void)state;
    struct account_req rq = {.method = "POST", .path = "/account/link", .ip = "-", .bucket = "ip:-", .header_fn = hget};
    char why[160];
    struct hdrs h = {0};
    rq.hctx = &h;
    hset(&h, "Host", "127.0.0.1:8000");
    assert_int_equal(web_account_check_origin(&rq, why, sizeof why), -1); /* neither header */
    assert_string_equal(why, "an Origin or Referer header is required");
    struct hdrs h1 = h;
    hset(&h1, "Origin", "http://127.0.0.1:8000");
    rq.hctx = &h1;
    assert_int_equal(web_account_check_origin(&rq, why, sizeof why), 0);
    struct hdrs h2 = h;
    hset(&h2, "Origin", "http://127.0.0.1:8000.evil.example");
    rq.hctx = &h2;
    assert_int_equal(web_account_check_origin(&rq, why, sizeof why), -1);
    struct hdrs h3 = h;
    hset(&h3, "Referer", "http://127.0.0.1:8000/#/signin");
    rq.hctx = &h3;
    assert_int_equal(web_account_check_origin(&rq, why, sizeof why), 0);
    struct hdrs h4 = h;
    hset(&h4, "Referer", "http://127.0.0.1:80001/");
    rq.hctx = &h4;
    assert_int_equal(web_account_check_origin(&rq, why, sizeof why), -1);
    /* "null" (a sandboxed or privacy-stripped origin) falls back to the Referer */
    struct hdrs h5 = h;
    hset(&h5, "Origin", "null");
    rq.hctx = &h5;
    assert_int_equal(web_account_check_origin(&rq, why, sizeof why), -1);
    /* with PUBLIC_BASE_URL, its origin is the site's, whatever the Host says */
    g_config.s.public_base_url = "https://coffee.example/app/";
    struct hdrs h6 = {0};
    hset(&h6, "Host", "coffee.example");
    hset(&h6, "Origin", "https://coffee.example");
    rq.hctx = &h6;
    assert_int_equal(web_account_check_origin(&rq, why, sizeof why), 0);
    char o[64];
    web_account_origin(&rq, o, sizeof o);
    assert_string_equal(o, "https://coffee.example");
    struct hdrs h7 = {0};
    hset(&h7, "Host", "coffee.example");
    hset(&h7, "Origin", "http://coffee.example");
    rq.hctx = &h7;
    assert_int_equal(web_account_check_origin(&rq, why, sizeof why), -1);
    g_config.s.public_base_url = "";
}

static void test_reply_builder(void **state)
{
    (void)state;
    struct account_reply r;
    account_reply_init(&r);
    assert_string_equal(r.content_type, "application/json");
    account_reply_error(&r, 400, "bad \"x\" <y>");
    assert_int_equal(r.status, 400);
    assert_string_equal(r.body.buf, "{\"error\":\"bad \\\"x\\\" \\u003cy\\u003e\"}\n");
    for (int i = 0; i < WEB_ACCOUNT_MAX_HEADERS + 2; i++) account_reply_header(&r, "X-N", "v");
    assert_int_equal(r.n_headers, WEB_ACCOUNT_MAX_HEADERS);
    strbuf sb;
    sb_init(&sb);
    account_json_time(&sb, 0);
    sb_append_char(&sb, ' ');
    account_json_time(&sb, T0);
    assert_string_equal(sb.buf, "null \"2023-11-14T22:13:20Z\"");
    account_reply_json_sb(&r, 200, &sb);
    assert_string_equal(r.body.buf, "null \"2023-11-14T22:13:20Z\"");
    account_reply_free(&r);
}

static void test_trusted_proxies(void **state)
{
    (void)state;
    uint32_t a[WEB_MAX_PROXIES];
    int n = -1;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(web_parse_proxies("", a, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(web_parse_proxies(" 127.0.0.1, 10.0.0.2 ,", a, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(web_parse_proxies("127.0.0.1,nginx", a, &n, &err), -1);
    assert_string_equal(err.msg, "MATERIA_TRUSTED_PROXIES: 'nginx' is not an IPv4 address");
    assert_int_equal(web_parse_proxies("::1", a, &n, &err), -1);
    assert_int_equal(web_parse_proxies("1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9",
                                       a, &n, &err), -1);
    assert_string_equal(err.msg, "MATERIA_TRUSTED_PROXIES: at most 8 addresses");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),      cmocka_unit_test(test_404_405_401),
        cmocka_unit_test(test_me_and_csrf), cmocka_unit_test(test_origin),
        cmocka_unit_test(test_reply_builder), cmocka_unit_test(test_trusted_proxies),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
