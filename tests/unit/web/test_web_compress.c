/* test_web_compress.c — content codings (web_compress.c): gzip and brotli round trips
 * (decoded with zlib's inflate and libbrotli's decoder, byte for byte), the compression
 * counters, and the Accept-Encoding choice (q-values, identity;q=0, "*", odd spellings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <brotli/decode.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "web/web_compress.h"

#define ALL WC_ALL
#define GZ_ONLY (WC_MASK(WC_IDENTITY) | WC_MASK(WC_GZIP))
#define ID_ONLY WC_MASK(WC_IDENTITY)

static enum web_coding ch(const char *ae) { return web_coding_choose(ae, ALL); }

static void test_choose_basics(void **state)
{
    (void)state;
    assert_int_equal(ch(NULL), WC_IDENTITY);
    assert_int_equal(ch(""), WC_IDENTITY);
    assert_int_equal(ch("gzip"), WC_GZIP);
    assert_int_equal(ch("br"), WC_BR);
    /* what browsers send: br preferred over gzip at equal q */
    assert_int_equal(ch("gzip, deflate, br"), WC_BR);
    assert_int_equal(ch("gzip, deflate, br, zstd"), WC_BR);
    assert_int_equal(web_coding_choose("gzip, deflate, br", GZ_ONLY), WC_GZIP);
    assert_int_equal(web_coding_choose("gzip, deflate, br", ID_ONLY), WC_IDENTITY);
    assert_int_equal(ch("deflate"), WC_IDENTITY);
    assert_int_equal(ch("x-gzip"), WC_GZIP);
    assert_int_equal(ch("GZIP"), WC_GZIP);
    assert_int_equal(ch("Br"), WC_BR);
    assert_int_equal(ch("identity"), WC_IDENTITY);
    assert_int_equal(ch("  gzip  ,  "), WC_GZIP);
    assert_int_equal(ch(",,,br,,"), WC_BR);
    assert_int_equal(ch("brotli"), WC_IDENTITY); /* not a prefix match */
    assert_int_equal(ch("gzipx, bro"), WC_IDENTITY);
}

static void test_choose_qvalues(void **state)
{
    (void)state;
    assert_int_equal(ch("br;q=0.5, gzip"), WC_GZIP);
    assert_int_equal(ch("br;q=0.5, gzip;q=0.4"), WC_BR);
    assert_int_equal(ch("br;q=0.5, gzip;q=0.5"), WC_BR);
    assert_int_equal(ch("br;q=0, gzip;q=0"), WC_IDENTITY);
    assert_int_equal(ch("br;q=0.000"), WC_IDENTITY);
    assert_int_equal(ch("br;q=1.000"), WC_BR);
    assert_int_equal(ch("br;Q=0.9, gzip;q=0.8"), WC_BR);
    assert_int_equal(ch("br ; q=0.9 , gzip ; q = 0.8"), WC_BR);
    assert_int_equal(ch("gzip;q=0.001"), WC_GZIP); /* above identity's implicit place */
    /* identity named with a higher q than the codings: identity */
    assert_int_equal(ch("gzip;q=0.5, identity"), WC_IDENTITY);
    assert_int_equal(ch("gzip, identity;q=0.5"), WC_GZIP);
    /* malformed q: the element is ignored */
    assert_int_equal(ch("br;q=2, gzip"), WC_GZIP);
    assert_int_equal(ch("br;q=1.5"), WC_IDENTITY);
    assert_int_equal(ch("br;q=0.1234"), WC_IDENTITY);
    assert_int_equal(ch("br;q=abc"), WC_IDENTITY);
    assert_int_equal(ch("br;q="), WC_IDENTITY);
    assert_int_equal(ch("br;q"), WC_IDENTITY);
    assert_int_equal(ch("br;q=-1"), WC_IDENTITY);
    assert_int_equal(ch("br;level=5"), WC_IDENTITY); /* a parameter we do not know */
    assert_int_equal(ch("br;q=0.5 junk, gzip;q=0.1"), WC_GZIP);
    assert_int_equal(ch("br;q=0.,gzip;q=1."), WC_GZIP);
}

static void test_choose_star_and_identity(void **state)
{
    (void)state;
    assert_int_equal(ch("*"), WC_BR);
    assert_int_equal(web_coding_choose("*", GZ_ONLY), WC_GZIP);
    assert_int_equal(ch("*;q=0"), WC_IDENTITY); /* nothing acceptable: identity anyway */
    assert_int_equal(ch("br;q=0, *"), WC_GZIP);
    assert_int_equal(ch("*;q=0.5, gzip"), WC_GZIP);
    assert_int_equal(ch("*;q=0, br"), WC_BR);
    assert_int_equal(ch("identity;q=0"), WC_IDENTITY);
    assert_int_equal(ch("identity;q=0, gzip"), WC_GZIP);
    assert_int_equal(web_coding_choose("identity;q=0, br", GZ_ONLY), WC_IDENTITY);
    /* a coding named twice: the higher q counts */
    assert_int_equal(ch("br;q=0, br;q=0.8, gzip;q=0.5"), WC_BR);
    assert_string_equal(web_coding_name(WC_BR), "br");
    assert_string_equal(web_coding_name(WC_GZIP), "gzip");
    assert_string_equal(web_coding_name(WC_IDENTITY), "identity");
}

static void test_etag_coded(void **state)
{
    (void)state;
    char out[64];
    web_etag_coded("\"abc\"", WC_IDENTITY, out, sizeof out);
    assert_string_equal(out, "\"abc\"");
    web_etag_coded("\"abc\"", WC_GZIP, out, sizeof out);
    assert_string_equal(out, "\"abc-gzip\"");
    web_etag_coded("\"abc\"", WC_BR, out, sizeof out);
    assert_string_equal(out, "\"abc-br\"");
}

static char *sample(size_t n)
{
    char *s = malloc(n + 1);
    const char *words[] = {"{\"market_year\":", "2022", ",\"production\":", "66300", "},", "\n"};
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        const char *w = words[k++ % 6];
        for (; *w && i < n; w++) s[i++] = *w;
    }
    s[n] = '\0';
    return s;
}

static void roundtrip(enum web_coding c, enum web_compress_level lv, const char *in, size_t n,
                      bool text)
{
    strbuf out;
    sb_init(&out);
    sb_append(&out, "PFX"); /* appends: what is there stays */
    struct mt_err err = MT_ERR_INIT;
    unsigned long long before = atomic_load(&web_compress_count[c]);
    assert_int_equal(web_compress(c, lv, in, n, &out, &err), 0);
    assert_int_equal(atomic_load(&web_compress_count[c]), before + 1);
    assert_memory_equal(out.buf, "PFX", 3);
    const unsigned char *z = (const unsigned char *)out.buf + 3;
    size_t zn = out.len - 3;
    char *back = malloc(n + 16);
    size_t bn = n + 16;
    if (c == WC_GZIP) {
        assert_true(zn >= 18 && z[0] == 0x1f && z[1] == 0x8b); /* a gzip member */
        z_stream s;
        memset(&s, 0, sizeof s);
        assert_int_equal(inflateInit2(&s, 15 + 16), Z_OK);
        s.next_in = (Bytef *)z;
        s.avail_in = (uInt)zn;
        s.next_out = (Bytef *)back;
        s.avail_out = (uInt)bn;
        assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
        bn = bn - s.avail_out;
        assert_int_equal(s.avail_in, 0);
        inflateEnd(&s);
    } else {
        assert_int_equal(BrotliDecoderDecompress(zn, z, &bn, (uint8_t *)back), BROTLI_DECODER_RESULT_SUCCESS);
    }
    assert_int_equal(bn, n);
    assert_memory_equal(back, in, n);
    if (text && n > 4096) assert_true(zn < n / 4); /* repetitive JSON compresses well */
    free(back);
    sb_free(&out);
}

static void test_roundtrips(void **state)
{
    (void)state;
    size_t sizes[] = {0, 1, 100, 5000, 300000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *s = sample(sizes[i]);
        for (int lv = WCL_FAST; lv <= WCL_BEST; lv++) {
            roundtrip(WC_GZIP, (enum web_compress_level)lv, s, sizes[i], true);
            roundtrip(WC_BR, (enum web_compress_level)lv, s, sizes[i], true);
        }
        free(s);
    }
    /* incompressible bytes still round-trip */
    size_t n = 70000;
    char *r = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) r[i] = (char)((x = x * 1103515245u + 12345u) >> 24);
    roundtrip(WC_GZIP, WCL_FAST, r, n, false);
    roundtrip(WC_BR, WCL_FAST, r, n, false);
    free(r);
}

static void test_identity_is_not_a_compression(void **state)
{
    (void)state;
    strbuf out;
    sb_init(&out);
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(web_compress(WC_IDENTITY, WCL_FAST, "x", 1, &out, &err), -1);
    assert_true(err.msg[0] != '\0');
    sb_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choose_basics),
        cmocka_unit_test(test_choose_qvalues),
        cmocka_unit_test(test_choose_star_and_identity),
        cmocka_unit_test(test_etag_coded),
        cmocka_unit_test(test_roundtrips),
        cmocka_unit_test(test_identity_is_not_a_compression),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
