/* test_extract.c — unit tests for the extract stage: ETag sanitising, the PSD CSV
 * validator's edge cases, zip/gzip/plain detection and decoding (caps included), the meta
 * JSON round trip, and landing_write's no-trace failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "extract/decode.h"
#include "util/err.h"
#include "extract/landing.h"
#include "extract/landing_meta.h"
#include "extract/psd_csv.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/strbuf.h"

#define HEADER_REST "Commodity_Description,Country_Code,Country_Name,Market_Year," \
                    "Calendar_Year,Month,Attribute_ID,Attribute_Description,Unit_ID," \
                    "Unit_Description,Value"
#define HEADER "Commodity_Code," HEADER_REST
#define ROW "0711100,\"Coffee, Green\",BR,\"Brazil\",2021,2022,06,141," \
            "\"Rst,Ground Dom. Consum\",02,\"(1000 60 KG BAGS)\",21000.5"

static char *scratch_dir(void)
{
    const char *root = getenv("MATERIA_TEST_TMP");
    struct mt_err err = MT_ERR_INIT;
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    char *tmpl = xasprintf("%s/extract-unit-XXXXXX", root);
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

/* ---- ETag sanitising ------------------------------------------------------------------ */

static void expect_sanitized(const char *raw, const char *want)
{
    char out[LANDING_ETAG_MAX + 1];
    landing_sanitize_etag(raw, out);
    assert_string_equal(out, want);
}

static void test_sanitize_etag(void **state)
{
    (void)state;
    expect_sanitized("\"5f3a-abc\"", "5f3a-abc");
    expect_sanitized("W/\"5f3a-abc\"", "W_5f3a-abc");
    expect_sanitized("\"a/b\\\\c d:e\"", "a_b__c_d_e");
    expect_sanitized("\"abc.123_X-y\"", "abc.123_X-y");
    expect_sanitized("\"..\"", "_.");          /* never "..", never hidden */
    expect_sanitized("\".hidden\"", "_hidden");
    expect_sanitized("\"\"", "");              /* caller falls back to the sha256 */
    expect_sanitized("", "");
    expect_sanitized("\"caf\xc3\xa9\"", "caf__");  /* non-ASCII bytes each become '_' */
    char raw[300];
    memset(raw, 'x', sizeof raw - 1);
    raw[sizeof raw - 1] = '\0';
    char out[LANDING_ETAG_MAX + 1];
    landing_sanitize_etag(raw, out);
    assert_int_equal(strlen(out), LANDING_ETAG_MAX);
    for (const char *p = out; *p; p++) assert_true(*p == 'x');
}

/* ---- CSV validator -------------------------------------------------------------------- */

static int validate(const char *s, int64_t *rows, struct mt_err *err)
{
    return psd_csv_validate(s, strlen(s), rows, err);
}

static void expect_ok(const char *csv, int64_t want_rows)
{
    int64_t rows = -1;
    struct mt_err err = MT_ERR_INIT;
    int rc = validate(csv, &rows, &err);
    if (rc != 0) fail_msg("expected valid, got: %s", err);
    assert_int_equal(rows, want_rows);
}

static void expect_bad(const char *csv, const char *want)
{
    int64_t rows = -1;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(validate(csv, &rows, &err), -1);
    if (!strstr(err.msg, want)) fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_csv_valid_variants(void **state)
{
    (void)state;
    expect_ok(HEADER "\r\n" ROW "\r\n", 1);
    expect_ok(HEADER "\n" ROW "\n" ROW "\n", 2);           /* LF */
    expect_ok(HEADER "\r\n" ROW, 1);                       /* no final line end */
    expect_ok(HEADER "\r\n" ROW "\r\n\r\n\n", 1);          /* trailing blank lines */
    expect_ok(HEADER "\r\n" ROW "\r\n\n", 1);                /* ...of either ending */
    expect_ok("\xEF\xBB\xBF" HEADER "\n" ROW "\n", 1);     /* BOM */
    /* quoted header names, "" escapes, a newline inside quotes, empty fields */
    expect_ok("\"Commodity_Code\"," HEADER_REST "\n"
              "0711100,\"Coffee \"\"Green\"\"\",BR,\"Bra\nzil\",2021,,,141,,02,\"\",-1.5e3\n"
              "0711100,x,BR,y,2021,2022,06,141,z,02,u,.5\n", 2);
    expect_ok(HEADER "\n" "0,a,B,c,+2021,1,1,1,d,1,e,7\n", 1);
}

static void test_csv_invalid(void **state)
{
    (void)state;
    expect_bad("", "empty file");
    expect_bad("\xEF\xBB\xBF", "empty file");
    expect_bad(HEADER "\r\n", "no data rows");
    expect_bad(HEADER "\r\n\r\n", "no data rows");
    expect_bad("<html><body>oops</body></html>\n", "line 1: header has 1 columns");
    expect_bad("commodity_code," HEADER_REST "\n" ROW "\n", "header column 1 is 'commodity_code'");
    expect_bad(HEADER ",Extra\n" ROW "\n", "header has 13 columns");
    expect_bad(HEADER "\n" ROW "\n\n" ROW "\n", "line 3: empty line");
    /* one file, one line ending (transform's CSV reader fails mid-file on a switch) */
    expect_bad(HEADER "\r\n" ROW "\n" ROW "\r\n", "line 2: mixed line endings (LF here, CRLF before)");
    expect_bad(HEADER "\n" ROW "\n" ROW "\r\n", "line 3: mixed line endings (CRLF here, LF before)");
    expect_bad(HEADER "\n" ROW ",\n", "line 2: expected 12 fields, got 13");
    expect_bad(HEADER "\n" ROW "\n" "a,b\n", "line 3: expected 12 fields, got 2");
    expect_bad(HEADER "\n" "0,a,B,c,2021,1,1,1,d,1,e,\n", "line 2: Value '' is not a number");
    expect_bad(HEADER "\n" "0,a,B,c,2021,1,1,1,d,1,e,1.2.3\n", "Value '1.2.3'");
    expect_bad(HEADER "\n" "0,a,B,c,2021,1,1,1,d,1,e,1e\n", "Value '1e'");
    expect_bad(HEADER "\n" "0,a,B,c,2021,1,1,1,d,1,e,-\n", "Value '-'");
    expect_bad(HEADER "\n" "0,a,B,c,2021,1,1,1,d,1,e, 5\n", "Value ' 5'");
    expect_bad(HEADER "\n" "0,a,B,c,20x1,1,1,1,d,1,e,5\n", "Market_Year '20x1'");
    expect_bad(HEADER "\n" "0,\"a,B,c,2021,1,1,1,d,1,e,5\n", "line 2: unterminated quoted field");
    expect_bad(HEADER "\n" "0,\"a\"x,B,c,2021,1,1,1,d,1,e,5\n", "after closing quote in field 2");
    expect_bad(HEADER "\n" "0,a\"b,B,c,2021,1,1,1,d,1,e,5\n", "quote inside unquoted field 2");
    expect_bad(HEADER "\r" ROW "\n", "line 1: bare carriage return");
    /* a quoted newline moves the line count: the bad record starts on line 4 */
    expect_bad(HEADER "\n" "0,\"a\nb\",B,c,2021,1,1,1,d,1,e,5\n" "x\n", "line 4: expected 12 fields");
    /* a NUL byte is never valid (length-delimited input, not C string) */
    const char nul[] = HEADER "\n0,a,B,c,2021,1,1,1,d\0x,1,e,5\n";
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(psd_csv_validate(nul, sizeof nul - 1, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "NUL"));
}

/* Every prefix of a valid file, placed so that its last byte is the last readable byte
 * before a PROT_NONE page: a read past len is a SIGSEGV (a failed test) with or without
 * ASan. Each result must also be the same when other bytes follow the prefix (an unclosed
 * quote, then a valid row), so the outcome depends on data[0..len) only; and the prefixes
 * that are whole files validate with their row count. */
static void test_csv_never_reads_past_len(void **state)
{
    (void)state;
    const char *full = HEADER "\r\n" ROW "\r\n" ROW "\r\n";
    const char tail[] = "\"" ROW "\r\n";
    size_t n = strlen(full), header_len = strlen(HEADER "\r\n");
    long pg = sysconf(_SC_PAGESIZE);
    assert_true(pg > 0 && (size_t)pg >= n);
    char *map = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
    char *other = xmalloc(n + sizeof tail);
    int whole = 0;
    for (size_t k = 0; k <= n; k++) {
        char *at_edge = map + pg - k;
        memcpy(at_edge, full, k);
        memcpy(other, full, k);
        memcpy(other + k, tail, sizeof tail);
        int64_t rows = -1, rows2 = -1;
        struct mt_err err = MT_ERR_INIT, err2 = MT_ERR_INIT;
        int rc = psd_csv_validate(at_edge, k, &rows, &err);
        int rc2 = psd_csv_validate(other, k, &rows2, &err2);
        assert_int_equal(rc, rc2);
        assert_string_equal(err.msg, err2.msg);
        if (rc == 0) {
            assert_int_equal(rows, rows2);
            whole++;
        } else {
            assert_true(err.msg[0] != '\0'); /* a failure always says why */
        }
        if (k == n || k == n - 2) { /* two rows, with or without the last line ending */
            assert_int_equal(rc, 0);
            assert_int_equal(rows, 2);
        }
        if (k == header_len) assert_int_equal(rc, -1); /* header only: no data rows */
    }
    assert_true(whole >= 2);
    free(other);
    munmap(map, 2 * (size_t)pg);
}

/* ---- detection and decoding ----------------------------------------------------------- */

static char *build_zip(const char *const *names, const char *const *datas, int n, size_t *len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    zip_source_keep(src);
    for (int i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(za, datas[i], strlen(datas[i]), 0);
        assert_true(zip_file_add(za, names[i], s, ZIP_FL_OVERWRITE) >= 0);
    }
    assert_int_equal(zip_close(za), 0);
    assert_int_equal(zip_source_open(src), 0);
    zip_source_seek(src, 0, SEEK_END);
    zip_int64_t sz = zip_source_tell(src);
    zip_source_seek(src, 0, SEEK_SET);
    char *buf = xmalloc((size_t)sz);
    assert_int_equal(zip_source_read(src, buf, (zip_uint64_t)sz), sz);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
    *len = (size_t)sz;
    return buf;
}

static void test_detect(void **state)
{
    (void)state;
    assert_int_equal(decode_detect("PK\x03\x04rest", 8), DECODE_ZIP);
    assert_int_equal(decode_detect("PK\x05\x06", 4), DECODE_ZIP); /* empty zip */
    assert_int_equal(decode_detect("\x1f\x8b\x08", 3), DECODE_GZIP);
    assert_int_equal(decode_detect("Commodity_Code,", 15), DECODE_PLAIN);
    assert_int_equal(decode_detect("PK", 2), DECODE_PLAIN);
    assert_int_equal(decode_detect("", 0), DECODE_PLAIN);
}

static void test_decode_zip(void **state)
{
    (void)state;
    const char *csv = HEADER "\n" ROW "\n";
    const char *names[] = {"README.txt", "dir/psd_coffee.CSV"};
    const char *datas[] = {"hello", csv};
    size_t zlen;
    char *z = build_zip(names, datas, 2, &zlen);
    struct decoded d;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(decode_body(z, zlen, 1 << 20, &d, &err), 0);
    assert_int_equal(d.format, DECODE_ZIP);
    assert_string_equal(d.member, "dir/psd_coffee.CSV");
    assert_int_equal(d.csv_len, strlen(csv));
    assert_memory_equal(d.csv, csv, d.csv_len);
    assert_true(d.member_mtime > 0);
    decoded_free(&d);
    /* the cap: the member is bigger than 10 bytes */
    assert_int_equal(decode_body(z, zlen, 10, &d, &err), -1);
    assert_non_null(strstr(err.msg, "cap"));
    /* truncated */
    assert_int_equal(decode_body(z, zlen - 30, 1 << 20, &d, &err), -1);
    assert_non_null(strstr(err.msg, "zip"));
    free(z);
    /* no csv */
    z = build_zip(names, datas, 1, &zlen);
    assert_int_equal(decode_body(z, zlen, 1 << 20, &d, &err), -1);
    assert_non_null(strstr(err.msg, "no .csv member"));
    free(z);
}

static void test_decode_gzip_roundtrip_and_cap(void **state)
{
    (void)state;
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, HEADER "\n");
    for (int i = 0; i < 5000; i++) sb_append(&sb, ROW "\n");
    unsigned char *gz;
    size_t gzlen;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(decode_gzip_compress(sb.buf, sb.len, &gz, &gzlen, &err), 0);
    assert_int_equal(decode_detect(gz, gzlen), DECODE_GZIP);
    assert_true(gzlen < sb.len / 10);
    /* deterministic: same input, same bytes (mtime 0 in the header) */
    unsigned char *gz2;
    size_t gzlen2;
    assert_int_equal(decode_gzip_compress(sb.buf, sb.len, &gz2, &gzlen2, &err), 0);
    assert_int_equal(gzlen, gzlen2);
    assert_memory_equal(gz, gz2, gzlen);
    free(gz2);
    struct decoded d;
    assert_int_equal(decode_body((char *)gz, gzlen, sb.len, &d, &err), 0);
    assert_int_equal(d.format, DECODE_GZIP);
    assert_int_equal(d.csv_len, sb.len);
    assert_memory_equal(d.csv, sb.buf, sb.len);
    decoded_free(&d);
    assert_int_equal(decode_body((char *)gz, gzlen, sb.len - 1, &d, &err), -1);
    assert_non_null(strstr(err.msg, "cap"));
    assert_int_equal(decode_body((char *)gz, gzlen / 2, sb.len, &d, &err), -1);
    assert_non_null(strstr(err.msg, "truncated gzip"));
    /* two concatenated members decode as one stream */
    unsigned char *cat = xmalloc(2 * gzlen);
    memcpy(cat, gz, gzlen);
    memcpy(cat + gzlen, gz, gzlen);
    assert_int_equal(decode_body((char *)cat, 2 * gzlen, 2 * sb.len, &d, &err), 0);
    assert_int_equal(d.csv_len, 2 * sb.len);
    decoded_free(&d);
    free(cat);
    free(gz);
    sb_free(&sb);
}

static void test_decode_plain_and_html(void **state)
{
    (void)state;
    const char *csv = HEADER "\n" ROW "\n";
    struct decoded d;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(decode_body(csv, strlen(csv), 1 << 20, &d, &err), 0);
    assert_int_equal(d.format, DECODE_PLAIN);
    assert_ptr_equal(d.csv, csv); /* not copied */
    decoded_free(&d);
    const char *html = "\n  <!DOCTYPE html><html>error</html>";
    assert_int_equal(decode_body(html, strlen(html), 1 << 20, &d, &err), -1);
    assert_non_null(strstr(err.msg, "HTML"));
    assert_int_equal(decode_body("", 0, 1 << 20, &d, &err), -1);
    assert_non_null(strstr(err.msg, "empty"));
}

/* ---- meta JSON ------------------------------------------------------------------------ */

/* A deflated zip member comes with the same bytes as a gzip file made from the zip's own
 * deflate stream (landing stores it instead of compressing again); a stored member gets
 * none. The rewrapped file must inflate to exactly the CSV. */
static void test_decode_zip_rewraps_the_deflate_stream(void **state)
{
    (void)state;
    strbuf csv;
    sb_init(&csv);
    sb_append(&csv, HEADER "\r\n");
    for (int i = 0; i < 2000; i++) sb_appendf(&csv, "%s%d\r\n", ROW, i);
    for (int method = 0; method < 2; method++) {
        zip_error_t ze;
        zip_error_init(&ze);
        zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
        zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
        zip_source_keep(src);
        zip_source_t *s = zip_source_buffer(za, csv.buf, csv.len, 0);
        zip_int64_t idx = zip_file_add(za, "f_year.txt", s, 0);
        assert_true(idx >= 0);
        assert_int_equal(zip_set_file_compression(za, (zip_uint64_t)idx, method ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0), 0);
        assert_int_equal(zip_close(za), 0);
        assert_int_equal(zip_source_open(src), 0);
        zip_source_seek(src, 0, SEEK_END);
        zip_int64_t sz = zip_source_tell(src);
        zip_source_seek(src, 0, SEEK_SET);
        char *z = xmalloc((size_t)sz);
        assert_int_equal(zip_source_read(src, z, (zip_uint64_t)sz), sz);
        zip_source_close(src);
        zip_source_free(src);
        zip_error_fini(&ze);
        struct decoded d;
        struct mt_err err = MT_ERR_INIT;
        assert_int_equal(decode_body_member(z, (size_t)sz, 1 << 24, ".txt", &d, &err), 0);
        assert_int_equal(d.csv_len, csv.len);
        if (method == 0) {
            assert_non_null(d.gzip);
            assert_true(d.gzip_len < csv.len / 4); /* the zip's stream, not a copy of the text */
            assert_memory_equal(d.gzip, "\x1f\x8b\x08", 3);
            char *back;
            size_t blen;
            assert_int_equal(decode_gunzip(d.gzip, d.gzip_len, 1 << 24, &back, &blen, &err), 0);
            assert_int_equal(blen, csv.len);
            assert_memory_equal(back, csv.buf, blen);
            free(back);
        } else {
            assert_null(d.gzip);
        }
        decoded_free(&d);
        free(z);
    }
    sb_free(&csv);
}

static void test_meta_roundtrip(void **state)
{
    (void)state;
    struct landing_meta m;
    landing_meta_init(&m);
    m.etag = "W/\"x<y>\\z\"";
    m.url = "https://example.test/psd.zip";
    m.last_modified = NULL;
    m.release_date = "2022-12-20";
    m.landed_at = "2026-11-25T14:50:00.123Z";
    m.sha256 = "ab";
    m.csv_bytes = 8271017;
    m.gzip_bytes = 394070;
    m.rows = 77957;
    char *json = landing_meta_format(&m);
    struct landing_meta r;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(landing_meta_parse(json, strlen(json), &r, &err), 0);
    assert_string_equal(r.etag, m.etag);
    assert_string_equal(r.url, m.url);
    assert_null(r.last_modified);
    assert_string_equal(r.release_date, m.release_date);
    assert_string_equal(r.landed_at, m.landed_at);
    assert_int_equal(r.csv_bytes, 8271017);
    assert_int_equal(r.gzip_bytes, 394070);
    assert_int_equal(r.rows, 77957);
    assert_null(r.file_stat);
    landing_meta_free(&r);
    free(json);
    /* a file:// landing of a source: source, source_year and file_stat, all read back */
    m.source = "cot";
    m.source_year = 2023;
    m.file_stat = "15774607:1764640000.000000789";
    json = landing_meta_format(&m);
    assert_int_equal(landing_meta_parse(json, strlen(json), &r, &err), 0);
    assert_string_equal(r.source, "cot");
    assert_int_equal(r.source_year, 2023);
    assert_string_equal(r.file_stat, m.file_stat);
    landing_meta_free(&r);
    free(json);
    const char *extra = "{\"etag\":\"\\u00e9\\ud83d\\ude00\",\"future\":true,\"n\":1.5,\"rows\":3}";
    assert_int_equal(landing_meta_parse(extra, strlen(extra), &r, &err), 0);
    assert_string_equal(r.etag, "\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(r.rows, 3);
    landing_meta_free(&r);
    const char *bad[] = {"", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":[1]}", "{\"a\":\"x}", "{} x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(landing_meta_parse(bad[i], strlen(bad[i]), &r, &err), -1);
}

/* ---- landing_write -------------------------------------------------------------------- */

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *p = fs_join(dir, e->d_name);
        struct stat st;
        stat(p, &st);
        n += S_ISDIR(st.st_mode) ? 1 + count_files(p) : 1;
        free(p);
    }
    closedir(d);
    return n;
}

static void test_landing_write_and_conflicts(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    char *landing = fs_join(dir, "landing");
    const char *csv = HEADER "\n" ROW "\n";
    char sha[HASH_HEX_LEN];
    hash_sha256_hex(csv, strlen(csv), sha);
    struct landing_new ln = {.etag_raw = "\"e1\"", .url = "http://x/y.zip",
                             .year = 2022, .month = 12, .day = 20, .csv = csv,
                             .csv_len = strlen(csv), .rows = 1, .sha256 = sha};
    char *path = NULL;
    int64_t gzb = 0;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(landing_write(landing, &ln, &path, &gzb, &err), 0);
    assert_true(strstr(path, "/psd/2022/12/e1.csv.gzip") != NULL);
    struct landing_set set;
    assert_int_equal(landing_scan(landing, &set, &err), 0);
    assert_int_equal(set.n, 1);
    assert_string_equal(set.v[0].etag, "\"e1\"");
    assert_string_equal(set.v[0].sha256, sha);
    assert_int_equal(set.v[0].gzip_bytes, gzb);
    assert_non_null(landing_find_sha256(&set, sha));
    assert_non_null(landing_find_etag(&set, "\"e1\""));
    assert_null(landing_find_etag(&set, "\"e2\""));
    landing_set_free(&set);
    free(path);
    int before = count_files(landing);

    /* the same name again is refused, nothing changes */
    assert_int_equal(landing_write(landing, &ln, &path, &gzb, &err), -1);
    assert_non_null(strstr(err.msg, "never overwritten"));
    assert_int_equal(count_files(landing), before);

    /* an orphan meta (no data) describing other content blocks the name, untouched;
     * the new month directory this call created is removed again */
    char *mdir = fs_join(landing, "psd/2023/01");
    assert_int_equal(fs_mkdir_p(mdir, &err), 0);
    char *orphan = fs_join(mdir, "e2.meta.json");
    const char *oj = "{\"etag\":\"\\\"e2\\\"\",\"sha256\":\"other\"}";
    assert_int_equal(fs_write_atomic(orphan, oj, strlen(oj), true, &err), 0);
    before = count_files(landing);
    ln.etag_raw = "\"e2\"";
    ln.year = 2023;
    ln.month = 1;
    assert_int_equal(landing_write(landing, &ln, &path, &gzb, &err), -1);
    assert_non_null(strstr(err.msg, "other content"));
    assert_int_equal(count_files(landing), before);
    char *oj2;
    size_t ojlen;
    assert_int_equal(fs_read_all(orphan, &oj2, &ojlen, &err), 0);
    assert_string_equal(oj2, oj);
    free(oj2);

    /* a failure in a fresh year removes the directories it created */
    ln.year = 2030;
    ln.month = 7;
    char *ydir = fs_join(landing, "psd/2030");
    char *m7 = fs_join(landing, "psd/2030/07");
    assert_int_equal(fs_mkdir_p(m7, &err), 0);
    char *blocker = fs_join(m7, "e2.csv.gzip"); /* data exists already -> refused early */
    assert_int_equal(fs_write_atomic(blocker, "x", 1, true, &err), 0);
    assert_int_equal(landing_write(landing, &ln, &path, &gzb, &err), -1);
    assert_int_equal(unlink(blocker), 0);
    assert_int_equal(rmdir(m7), 0);
    assert_int_equal(rmdir(ydir), 0);
    chmod(landing, 0555); /* cannot create psd/2030 now (unless root: then it succeeds) */
    int rc = landing_write(landing, &ln, &path, &gzb, &err);
    chmod(landing, 0755);
    if (rc < 0) assert_false(fs_exists(ydir));
    else free(path);

    free(blocker);
    free(m7);
    free(ydir);
    free(orphan);
    free(mdir);
    free(landing);
    free(dir);
}

/* A run that stopped after committing meta (before the data file) left a meta of the
 * same content: the next run lands the data next to it and leaves the meta as it was. */
static void test_landing_write_reuses_interrupted_meta(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    char *landing = fs_join(dir, "landing");
    const char *csv = HEADER "\n" ROW "\n";
    char sha[HASH_HEX_LEN];
    hash_sha256_hex(csv, strlen(csv), sha);
    struct mt_err err = MT_ERR_INIT;
    char *mdir = fs_join(landing, "psd/2022/12");
    assert_int_equal(fs_mkdir_p(mdir, &err), 0);
    char *meta = fs_join(mdir, "e1.meta.json");
    char *mj = xasprintf("{\"etag\":\"\\\"e1\\\"\",\"sha256\":\"%s\",\"landed_at\":\"2020-01-01T00:00:00Z\","
                         "\"release_date\":\"2022-12-20\",\"rows\":1}", sha);
    assert_int_equal(fs_write_atomic(meta, mj, strlen(mj), true, &err), 0);
    struct landing_set set;
    assert_int_equal(landing_scan(landing, &set, &err), 0);
    assert_int_equal(set.n, 0); /* meta without data: not a release */
    landing_set_free(&set);

    struct landing_new ln = {.etag_raw = "\"e1\"", .url = "http://x/y.zip", .year = 2022,
                             .month = 12, .day = 20, .csv = csv, .csv_len = strlen(csv),
                             .rows = 1, .sha256 = sha};
    char *path = NULL;
    int64_t gzb = 0;
    assert_int_equal(landing_write(landing, &ln, &path, &gzb, &err), 0);
    char *got;
    size_t glen;
    assert_int_equal(fs_read_all(meta, &got, &glen, &err), 0);
    assert_string_equal(got, mj); /* never rewritten */
    free(got);
    assert_int_equal(landing_scan(landing, &set, &err), 0);
    assert_int_equal(set.n, 1);
    assert_string_equal(set.v[0].landed_at, "2020-01-01T00:00:00Z");
    landing_set_free(&set);
    free(path);
    free(mj);
    free(meta);
    free(mdir);
    free(landing);
    free(dir);
}

/* What kind of failure it was is a code, not a message to match (issue 11): nothing like
 * a CSV header is MT_ERR_FORMAT; a good header with a bad row is not. */
static void test_validate_error_codes(void **state)
{
    (void)state;
    static const char *const not_csv[] = {"", "\x89PNG\r\n\x1a\n\"\"x\"", "<html><body>hi</body></html>\n",
                                          "a,b,c\n1,2,3\n"};
    for (size_t i = 0; i < sizeof not_csv / sizeof *not_csv; i++) {
        struct mt_err err = MT_ERR_INIT;
        assert_int_equal(psd_csv_validate(not_csv[i], strlen(not_csv[i]), NULL, &err), -1);
        if (err.code != MT_ERR_FORMAT) fail_msg("case %zu: code %d (%s)", i, err.code, err.msg);
    }
    const char *bad_row = "Commodity_Code,Commodity_Description,Country_Code,Country_Name,Market_Year,"
                          "Calendar_Year,Month,Attribute_ID,Attribute_Description,Unit_ID,Unit_Description,Value\n"
                          "0711100,Coffee,BR,Brazil,20x2,2022,12,28,Production,2,(1000 60 KG BAGS),1\n";
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(psd_csv_validate(bad_row, strlen(bad_row), NULL, &err), -1);
    assert_int_not_equal(err.code, MT_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "line 2: Market_Year"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_error_codes),
        cmocka_unit_test(test_sanitize_etag),
        cmocka_unit_test(test_csv_valid_variants),
        cmocka_unit_test(test_csv_invalid),
        cmocka_unit_test(test_csv_never_reads_past_len),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_decode_zip),
        cmocka_unit_test(test_decode_zip_rewraps_the_deflate_stream),
        cmocka_unit_test(test_decode_gzip_roundtrip_and_cap),
        cmocka_unit_test(test_decode_plain_and_html),
        cmocka_unit_test(test_meta_roundtrip),
        cmocka_unit_test(test_landing_write_and_conflicts),
        cmocka_unit_test(test_landing_write_reuses_interrupted_meta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
