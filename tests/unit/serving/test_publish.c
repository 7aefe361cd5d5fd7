/* test_publish.c — unit tests for the parts of serving/s3.c and serving/publish.c that need
 * no server: bucket URLs (what SERVING_PUBLISH_URL and --follow accept), the client's
 * refusals (credentials, region), and the manifest's round trip and refusals (a replica
 * builds an object key from the manifest's id, so an id that could name another key must
 * be refused). The requests themselves are tested against a SigV4-verifying server in
 * tests/integration/scale/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serving/publish.h"
#include "serving/s3.h"
#include "util/err.h"

static void test_url_parse(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    char *b, *p;
    assert_int_equal(s3_url_parse("s3://snaps/serving/", "X", &b, &p, &err), 0);
    assert_string_equal(b, "snaps");
    assert_string_equal(p, "serving/");
    free(b);
    free(p);
    assert_int_equal(s3_url_parse("s3://my.bucket-1/a/b", "X", &b, &p, &err), 0);
    assert_string_equal(p, "a/b/"); /* a prefix always ends in '/' */
    free(b);
    free(p);
    assert_int_equal(s3_url_parse("s3://snaps", "X", &b, &p, &err), 0);
    assert_string_equal(p, "");
    free(b);
    free(p);
    const char *bad[] = {"https://snaps/x/", "s3://Snaps/x/", "s3://ab/x/", "s3://snaps/a b/",
                         "s3://snaps//x/", "s3://snaps/a//b/", "s3://snaps/x?y/"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(s3_url_parse(bad[i], "SERVING_PUBLISH_URL", &b, &p, &err), -1);
        assert_non_null(strstr(err.msg, "SERVING_PUBLISH_URL"));
        assert_null(b);
        assert_null(p);
    }
}

static void test_client_refusals(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    struct s3_client c;
    struct s3_opts o = {"http://127.0.0.1:9", "auto", "", "s", 0};
    assert_int_equal(s3_client_init(&c, &o, "--follow", &err), -1);
    assert_non_null(strstr(err.msg, "AWS_ACCESS_KEY_ID"));
    struct s3_opts o2 = {"", "auto", "k", "s", 0};
    assert_int_equal(s3_client_init(&c, &o2, "--follow", &err), -1);
    assert_non_null(strstr(err.msg, "S3_ENDPOINT"));
    struct s3_opts o3 = {"", "eu west", "k", "s", 0};
    assert_int_equal(s3_client_init(&c, &o3, "--follow", &err), -1);
    assert_non_null(strstr(err.msg, "AWS_REGION"));
    struct s3_opts ok = {"http://127.0.0.1:9/", "us-east-1", "k", "s", 0};
    assert_int_equal(s3_client_init(&c, &ok, "--follow", &err), 0);
    assert_string_equal(c.endpoint, "http://127.0.0.1:9");
    assert_string_equal(c.sigv4, "aws:amz:us-east-1:s3");
    assert_int_equal(c.part_bytes, 64L * 1024 * 1024);
    s3_client_free(&c);
}

static void test_manifest_round_trip_and_refusals(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    struct publish_manifest m = {"20261202T053000Z-0a1b2c3d", "", 12345, "2026-12-02T05:30:00Z"};
    memset(m.sha256, 'a', 64);
    char *j = publish_manifest_json(&m);
    struct publish_manifest back;
    assert_int_equal(publish_manifest_parse(j, &back, &err), 0);
    assert_string_equal(back.snapshot_id, m.snapshot_id);
    assert_string_equal(back.sha256, m.sha256);
    assert_int_equal(back.size, 12345);
    assert_string_equal(back.created_at, m.created_at);
    assert_non_null(strstr(j, "\"file\":\"20261202T053000Z-0a1b2c3d.duckdb\""));
    free(j);
    const char *sha = "\"sha256\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"";
    char buf[512];
    const char *ids[] = {"\"../x\"", "\"a/b\"", "\".hidden\"", "\"\"", "7"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        snprintf(buf, sizeof buf, "{\"snapshot_id\":%s,%s,\"size\":1,\"created_at\":\"2026-12-02T05:30:00Z\"}",
                 ids[i], sha);
        assert_int_equal(publish_manifest_parse(buf, &back, &err), -1);
        assert_non_null(strstr(err.msg, "snapshot_id"));
    }
    snprintf(buf, sizeof buf, "{\"snapshot_id\":\"a\",%s,\"size\":0,\"created_at\":\"2026-12-02T05:30:00Z\"}", sha);
    assert_int_equal(publish_manifest_parse(buf, &back, &err), -1);
    assert_non_null(strstr(err.msg, "size"));
    snprintf(buf, sizeof buf, "{\"snapshot_id\":\"a\",\"sha256\":\"AB\",\"size\":1,\"created_at\":\"2026-12-02T05:30:00Z\"}");
    assert_int_equal(publish_manifest_parse(buf, &back, &err), -1);
    assert_non_null(strstr(err.msg, "sha256"));
    snprintf(buf, sizeof buf, "{\"snapshot_id\":\"a\",%s,\"size\":1,\"created_at\":\"yesterday\"}", sha);
    assert_int_equal(publish_manifest_parse(buf, &back, &err), -1);
    assert_non_null(strstr(err.msg, "created_at"));
    assert_int_equal(publish_manifest_parse("{not json", &back, &err), -1);
    assert_true(s3_key_ok("serving/20261202T053000Z-0a1b2c3d.duckdb"));
    assert_false(s3_key_ok("serving/a b"));
    assert_false(s3_key_ok("serving/a?b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_client_refusals),
        cmocka_unit_test(test_manifest_round_trip_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
