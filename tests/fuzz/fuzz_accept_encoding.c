/* fuzz_accept_encoding.c — libFuzzer target for src/web/web_compress.c: the Accept-Encoding
 * parser (web_coding_choose, fed straight from a request header) and the gzip/brotli
 * encoders it selects.
 *
 * Input: the header value (bytes up to the first NUL). An input starting with a NUL byte
 * (an empty header value) is fed to the encoders instead: they cost ~1000 times the parser,
 * so only those inputs pay for them.
 * Contract checked on every input:
 *   - the choice is identity or a coding in the available set, for each of the four sets;
 *   - a coding other than identity is chosen only when the header names it ("gzip",
 *     "x-gzip", "br", case-insensitively) or says "*";
 *   - the choice is a function of the input (same answer twice);
 *   - gzip and brotli of an encoder input decode back to it byte for byte. */
#include <brotli/decode.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "web/web_compress.h"

static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_accept_encoding: contract broken: %s\n", what);
    abort();
}

static int names(const char *s, const char *word)
{
    return strcasestr(s, word) != NULL;
}

static void check_roundtrip(enum web_coding c, const char *in, size_t n)
{
    strbuf out;
    sb_init(&out);
    struct mt_err err = MT_ERR_INIT;
    if (web_compress(c, WCL_FAST, in, n, &out, &err) < 0) fuzz_fail("compression failed");
    char *back = malloc(n + 1);
    size_t bn = n + 1;
    if (c == WC_GZIP) {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, 15 + 16) != Z_OK) fuzz_fail("inflateInit2");
        z.next_in = (Bytef *)out.buf;
        z.avail_in = (uInt)out.len;
        z.next_out = (Bytef *)back;
        z.avail_out = (uInt)bn;
        if (inflate(&z, Z_FINISH) != Z_STREAM_END) fuzz_fail("gzip does not decode");
        bn -= z.avail_out;
        inflateEnd(&z);
    } else if (BrotliDecoderDecompress(out.len, (const uint8_t *)out.buf, &bn, (uint8_t *)back) !=
               BROTLI_DECODER_RESULT_SUCCESS) {
        fuzz_fail("brotli does not decode");
    }
    if (bn != n || memcmp(back, in, n)) fuzz_fail("round trip changed the bytes");
    free(back);
    sb_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    static const unsigned sets[] = {WC_MASK(WC_IDENTITY), WC_MASK(WC_IDENTITY) | WC_MASK(WC_GZIP),
                                    WC_MASK(WC_IDENTITY) | WC_MASK(WC_BR), WC_ALL};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        enum web_coding c = web_coding_choose(s, sets[i]);
        if (c != WC_IDENTITY && !(sets[i] & WC_MASK(c))) fuzz_fail("chose a coding not available");
        if (c == WC_GZIP && !names(s, "gzip") && !strchr(s, '*')) fuzz_fail("gzip not asked for");
        if (c == WC_BR && !names(s, "br") && !strchr(s, '*')) fuzz_fail("br not asked for");
        if (web_coding_choose(s, sets[i]) != c) fuzz_fail("not deterministic");
    }
    if (web_coding_choose(NULL, WC_ALL) != WC_IDENTITY) fuzz_fail("no header must mean identity");
    if (size && !data[0] && size <= 4096) {
        check_roundtrip(WC_GZIP, (const char *)data, size);
        check_roundtrip(WC_BR, (const char *)data, size);
    }
    free(s);
    return 0;
}
