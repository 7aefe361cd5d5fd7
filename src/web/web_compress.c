/* web_compress.c — see web_compress.h. Whole-buffer compression only (every body we send
 * is in memory already): zlib's deflate with a gzip wrapper, libbrotli's one-shot
 * BrotliEncoderCompress. The Accept-Encoding parser reads q-values in thousandths, as
 * RFC 9110's grammar writes them (at most three decimals). */
#include "web/web_compress.h"

#include <brotli/encode.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

atomic_ullong web_compress_count[WC__COUNT];
atomic_ullong web_compress_bytes_in[WC__COUNT];

const char *web_coding_name(enum web_coding c)
{
    switch (c) {
    case WC_GZIP: return "gzip";
    case WC_BR: return "br";
    default: return "identity";
    }
}

/* ---- Accept-Encoding -------------------------------------------------------------------- */

static bool ows(char c) { return c == ' ' || c == '\t'; }

/* A qvalue: "0", "0.", "0.5", "0.123", "1", "1.", "1.0", "1.000". Thousandths, or -1. */
static int parse_q(const char *s, size_t n)
{
    if (!n || (s[0] != '0' && s[0] != '1')) return -1;
    int q = (s[0] - '0') * 1000;
    if (n == 1) return q;
    if (s[1] != '.' || n > 5) return -1;
    int scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (!isdigit((unsigned char)s[i])) return -1;
        q += (s[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

enum { AE_UNSET = -1 };

enum web_coding web_coding_choose(const char *ae, unsigned available)
{
    if (!ae) return WC_IDENTITY; /* no header: no coding asked for */
    /* q per coding in thousandths, AE_UNSET when the header does not name it */
    int q[WC__COUNT] = {AE_UNSET, AE_UNSET, AE_UNSET};
    int star = AE_UNSET;
    const char *p = ae;
    while (*p) {
        while (ows(*p) || *p == ',') p++;
        if (!*p) break;
        const char *name = p;
        while (*p && *p != ',' && *p != ';' && !ows(*p)) p++;
        size_t nlen = (size_t)(p - name);
        int qv = 1000;
        bool bad = false;
        /* parameters: ;q=... (any other parameter makes the element unusable) */
        while (ows(*p)) p++;
        while (*p == ';') {
            p++;
            while (ows(*p)) p++;
            const char *k = p;
            while (*p && *p != '=' && *p != ',' && *p != ';' && !ows(*p)) p++;
            size_t klen = (size_t)(p - k);
            while (ows(*p)) p++;
            const char *v = p;
            size_t vlen = 0;
            if (*p == '=') {
                p++;
                while (ows(*p)) p++;
                v = p;
                while (*p && *p != ',' && *p != ';' && !ows(*p)) p++;
                vlen = (size_t)(p - v);
                while (ows(*p)) p++;
            }
            if (klen == 1 && (*k == 'q' || *k == 'Q')) {
                int x = parse_q(v, vlen);
                if (x < 0) bad = true;
                else qv = x;
            } else {
                bad = true;
            }
        }
        /* skip anything up to the next element (junk after a value) */
        if (*p && *p != ',') {
            bad = true;
            while (*p && *p != ',') p++;
        }
        if (bad || !nlen) continue;
        int idx = -1;
        if (nlen == 1 && *name == '*') star = qv;
        else if (nlen == 2 && !strncasecmp(name, "br", 2)) idx = WC_BR;
        else if ((nlen == 4 && !strncasecmp(name, "gzip", 4)) || (nlen == 6 && !strncasecmp(name, "x-gzip", 6)))
            idx = WC_GZIP;
        else if (nlen == 8 && !strncasecmp(name, "identity", 8)) idx = WC_IDENTITY;
        /* a coding named twice: the higher q counts (clients do not do this on purpose) */
        if (idx >= 0 && qv > q[idx]) q[idx] = qv;
    }
    int best = WC_IDENTITY, best_q = -1;
    for (int c = WC_BR; c >= WC_IDENTITY; c--) {
        if (c != WC_IDENTITY && !(available & WC_MASK(c))) continue;
        int qc = q[c];
        /* not named: the q of "*"; without one, identity stays acceptable as the last
         * choice (1 thousandth, below any coding the client named) and the others are not */
        if (qc == AE_UNSET) qc = star != AE_UNSET ? star : c == WC_IDENTITY ? 1 : 0;
        if (qc > 0 && qc > best_q) {
            best = c;
            best_q = qc;
        }
    }
    return best_q > 0 ? (enum web_coding)best : WC_IDENTITY;
}

void web_etag_coded(const char *etag, enum web_coding c, char *out, size_t outlen)
{
    size_t n = strlen(etag);
    if (c == WC_IDENTITY || n < 2 || etag[n - 1] != '"') {
        snprintf(out, outlen, "%s", etag);
        return;
    }
    snprintf(out, outlen, "%.*s-%s\"", (int)(n - 1), etag, web_coding_name(c));
}

/* ---- compression ------------------------------------------------------------------------ */

static int gzip_buf(int level, const void *in, size_t len, strbuf *out, struct mt_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* 15 + 16: a 32 KiB window with the gzip wrapper; memLevel 9 is zlib's fastest */
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        mt_errf(err, "gzip: deflateInit2 failed");
        return -1;
    }
    if (len > (size_t)UINT32_MAX / 2) {
        deflateEnd(&z);
        mt_errf(err, "gzip: body too large (%zu bytes)", len);
        return -1;
    }
    uLong bound = deflateBound(&z, (uLong)len);
    sb_grow(out, (size_t)bound + 1);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->buf + out->len;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    size_t n = (size_t)bound - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        mt_errf(err, "gzip: deflate failed (%d)", rc);
        return -1;
    }
    out->len += n;
    out->buf[out->len] = '\0';
    return 0;
}

static int brotli_buf(int quality, const void *in, size_t len, strbuf *out, struct mt_err *err)
{
    size_t bound = BrotliEncoderMaxCompressedSize(len);
    if (!bound) {
        mt_errf(err, "brotli: body too large (%zu bytes)", len);
        return -1;
    }
    sb_grow(out, bound + 1);
    size_t n = bound;
    if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, len,
                               (const uint8_t *)in, &n, (uint8_t *)out->buf + out->len)) {
        mt_errf(err, "brotli: BrotliEncoderCompress failed");
        return -1;
    }
    out->len += n;
    out->buf[out->len] = '\0';
    return 0;
}

int web_compress(enum web_coding c, enum web_compress_level level, const void *in, size_t len,
                 strbuf *out, struct mt_err *err)
{
    int rc;
    switch (c) {
    case WC_GZIP: rc = gzip_buf(level == WCL_BEST ? 9 : 6, in, len, out, err); break;
    /* brotli 5 compresses about as fast as gzip 6 and better; 11 is the format's best */
    case WC_BR: rc = brotli_buf(level == WCL_BEST ? BROTLI_MAX_QUALITY : 5, in, len, out, err); break;
    default:
        mt_errf(err, "compress: no such coding %d", (int)c);
        return -1;
    }
    if (rc == 0) {
        atomic_fetch_add(&web_compress_count[c], 1);
        atomic_fetch_add(&web_compress_bytes_in[c], len);
    }
    return rc;
}
