/* decode.c — see decode.h.
 *
 * Zip: the whole body is in memory, so libzip reads it through a buffer source (no temp
 * file). The archive must contain exactly one member whose name ends in the source's
 * suffix (".csv" for PSD, ".txt" for COT's f_year.txt; any case, directories ignored);
 * its declared size is checked against the cap before reading, and
 * the read itself stops at cap + 1 bytes, so a member that lies about its size cannot get
 * past the cap either. libzip verifies the member's CRC as it reads.
 *
 * Gzip: streamed through inflate into a growing buffer, again stopping at the cap; a
 * stream that ends early is "truncated", one followed by garbage is "trailing data". */
#include "extract/decode.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zip.h>
#include <zlib.h>

#include "util/strbuf.h"

enum decode_format decode_detect(const void *data, size_t len)
{
    const unsigned char *p = data;
    if (len >= 4 && p[0] == 'P' && p[1] == 'K' &&
        ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6)))
        return DECODE_ZIP;
    if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b) return DECODE_GZIP;
    return DECODE_PLAIN;
}

const char *decode_format_name(enum decode_format f)
{
    switch (f) {
    case DECODE_ZIP: return "zip";
    case DECODE_GZIP: return "gzip";
    default: return "csv";
    }
}

void decoded_free(struct decoded *d)
{
    if (!d->csv_is_body) free(d->csv);
    free(d->member);
    free(d->gzip);
    memset(d, 0, sizeof *d);
}

static bool looks_like_html(const char *p, size_t len)
{
    size_t i = 0;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) i = 3;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    /* a CSV release starts with "Commodity_Code"; markup (an HTML error page, an XML
     * error document from a CDN) starts with '<' */
    return i < len && p[i] == '<';
}

static bool name_is_member(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && name[n - 1] != '/' && !strcasecmp(name + n - k, suffix);
}

/* The deflated member `idx` (stat st, already read and CRC-checked by zip_fread) rewrapped
 * as a gzip file: RFC 1952's 10-byte header (mtime 0, OS Unix, as decode_gzip_compress
 * writes), the member's raw deflate data as stored in the zip (RFC 1951 in both formats),
 * then CRC-32 and length mod 2^32, little-endian. Sets out->gzip, or leaves it NULL when the
 * member is not plainly deflated (stored, another method, encrypted) or its raw bytes
 * cannot be read — landing then compresses the CSV itself. */
static void rewrap_member(zip_t *za, zip_int64_t idx, const zip_stat_t *st, size_t csv_len,
                          struct decoded *out)
{
    const zip_uint64_t need = ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC | ZIP_STAT_COMP_SIZE |
                              ZIP_STAT_ENCRYPTION_METHOD | ZIP_STAT_SIZE;
    if ((st->valid & need) != need || st->comp_method != ZIP_CM_DEFLATE ||
        st->encryption_method != ZIP_EM_NONE || st->size != csv_len || st->comp_size > SIZE_MAX - 18)
        return;
    zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)idx, ZIP_FL_COMPRESSED);
    if (!zf) return;
    size_t n = (size_t)st->comp_size;
    unsigned char *g = xmalloc(n + 18);
    static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    memcpy(g, head, sizeof head);
    size_t got = 0;
    while (got < n) {
        zip_int64_t r = zip_fread(zf, g + 10 + got, n - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    zip_fclose(zf);
    if (got != n) {
        free(g);
        return;
    }
    uint32_t crc = st->crc, isize = (uint32_t)(csv_len & 0xffffffffu);
    for (int i = 0; i < 4; i++) {
        g[10 + n + i] = (unsigned char)(crc >> (8 * i));
        g[14 + n + i] = (unsigned char)(isize >> (8 * i));
    }
    out->gzip = g;
    out->gzip_len = n + 18;
}

static int decode_zip(const char *body, size_t len, size_t max_bytes, const char *suffix,
                      struct decoded *out, struct mt_err *err)
{
    zip_error_t zerr;
    zip_error_init(&zerr);
    zip_source_t *src = zip_source_buffer_create(body, len, 0, &zerr);
    if (!src) {
        mt_errf(err, "cannot read zip: %s", zip_error_strerror(&zerr));
        zip_error_fini(&zerr);
        return -1;
    }
    zip_t *za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (!za) {
        mt_errf(err, "corrupt or truncated zip: %s", zip_error_strerror(&zerr));
        zip_source_free(src);
        zip_error_fini(&zerr);
        return -1;
    }
    zip_error_fini(&zerr);

    int rc = -1;
    zip_int64_t n = zip_get_num_entries(za, 0), found = -1, ncsv = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
        if (name && name_is_member(name, suffix)) {
            ncsv++;
            found = i;
        }
    }
    if (ncsv == 0) {
        mt_errf(err, "zip has no %s member (%lld entries)", suffix, (long long)n);
        goto done;
    }
    if (ncsv > 1) {
        mt_errf(err, "zip has %lld %s members, expected one", (long long)ncsv, suffix);
        goto done;
    }
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za, (zip_uint64_t)found, 0, &st) < 0) {
        mt_errf(err, "corrupt zip: %s", zip_strerror(za));
        goto done;
    }
    if ((st.valid & ZIP_STAT_SIZE) && st.size > max_bytes) {
        mt_errf(err, "zip member %s is %llu bytes uncompressed, over the cap of %zu "
                 "(EXTRACT_MAX_BYTES)", st.name, (unsigned long long)st.size, max_bytes);
        goto done;
    }
    zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)found, 0);
    if (!zf) {
        mt_errf(err, "cannot open zip member %s: %s", st.name, zip_strerror(za));
        goto done;
    }
    strbuf sb;
    sb_init(&sb);
    char buf[65536];
    for (;;) {
        zip_int64_t r = zip_fread(zf, buf, sizeof buf);
        if (r < 0) {
            mt_errf(err, "corrupt zip member %s: %s", st.name,
                     zip_error_strerror(zip_file_get_error(zf)));
            break;
        }
        if (r == 0) { rc = 0; break; }
        if (sb.len + (size_t)r > max_bytes) {
            mt_errf(err, "zip member %s inflates past the cap of %zu bytes "
                     "(EXTRACT_MAX_BYTES)", st.name, max_bytes);
            break;
        }
        sb_append_len(&sb, buf, (size_t)r);
    }
    zip_fclose(zf);
    if (rc == 0) {
        out->csv_len = sb.len;
        out->csv = sb_detach(&sb);
        out->member = xstrdup(st.name);
        out->member_mtime = (st.valid & ZIP_STAT_MTIME) ? st.mtime : 0;
        rewrap_member(za, found, &st, out->csv_len, out);
    } else {
        sb_free(&sb);
    }
done:
    zip_discard(za); /* read-only: also frees src */
    return rc;
}

int decode_gunzip(const void *data, size_t len, size_t max_bytes, char **out, size_t *outlen,
                  struct mt_err *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        mt_errf(err, "gzip: inflateInit failed");
        return -1;
    }
    strbuf sb;
    sb_init(&sb);
    zs.next_in = (Bytef *)data;
    zs.avail_in = 0;
    size_t left = len;
    unsigned char buf[65536];
    int rc = -1;
    for (;;) {
        if (zs.avail_in == 0 && left > 0) {
            uInt chunk = left > (1u << 30) ? (1u << 30) : (uInt)left;
            zs.avail_in = chunk;
            left -= chunk;
        }
        zs.next_out = buf;
        zs.avail_out = sizeof buf;
        int z = inflate(&zs, Z_NO_FLUSH);
        size_t got = sizeof buf - zs.avail_out;
        if (sb.len + got > max_bytes) {
            mt_errf(err, "gzip inflates past the cap of %zu bytes (EXTRACT_MAX_BYTES)",
                     max_bytes);
            break;
        }
        sb_append_len(&sb, buf, got);
        if (z == Z_STREAM_END) {
            if (zs.avail_in == 0 && left == 0) { rc = 0; break; }
            /* another gzip member follows (gzip allows concatenation) */
            if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            mt_errf(err, "gzip: trailing data after the compressed stream");
            break;
        }
        if (z == Z_BUF_ERROR && zs.avail_in == 0 && left == 0) {
            mt_errf(err, "truncated gzip stream");
            break;
        }
        if (z != Z_OK && z != Z_BUF_ERROR) {
            mt_errf(err, "corrupt gzip: %s", zs.msg ? zs.msg : "inflate error");
            break;
        }
    }
    inflateEnd(&zs);
    if (rc == 0) {
        *outlen = sb.len;
        *out = sb_detach(&sb);
    } else {
        sb_free(&sb);
    }
    return rc;
}

int decode_gzip_compress(const void *data, size_t len, unsigned char **out, size_t *outlen,
                         struct mt_err *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 15 + 16: gzip wrapper with a zero mtime header */
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        mt_errf(err, "gzip: deflateInit failed");
        return -1;
    }
    strbuf sb;
    sb_init(&sb);
    const unsigned char *p = data;
    size_t left = len;
    unsigned char buf[65536];
    int z;
    do {
        if (zs.avail_in == 0 && left > 0) {
            uInt chunk = left > (1u << 30) ? (1u << 30) : (uInt)left;
            zs.next_in = (Bytef *)p;
            zs.avail_in = chunk;
            p += chunk;
            left -= chunk;
        }
        zs.next_out = buf;
        zs.avail_out = sizeof buf;
        z = deflate(&zs, left == 0 ? Z_FINISH : Z_NO_FLUSH);
        if (z == Z_STREAM_ERROR) {
            mt_errf(err, "gzip: deflate failed");
            deflateEnd(&zs);
            sb_free(&sb);
            return -1;
        }
        sb_append_len(&sb, buf, sizeof buf - zs.avail_out);
    } while (z != Z_STREAM_END);
    deflateEnd(&zs);
    *outlen = sb.len;
    *out = (unsigned char *)sb_detach(&sb);
    return 0;
}

int decode_body(const char *body, size_t len, size_t max_bytes, struct decoded *out,
                struct mt_err *err)
{
    return decode_body_member(body, len, max_bytes, ".csv", out, err);
}

int decode_body_member(const char *body, size_t len, size_t max_bytes, const char *suffix,
                       struct decoded *out, struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    if (len == 0) {
        mt_errf(err, "empty response body");
        return -1;
    }
    out->format = decode_detect(body, len);
    switch (out->format) {
    case DECODE_ZIP:
        return decode_zip(body, len, max_bytes, suffix, out, err);
    case DECODE_GZIP:
        return decode_gunzip(body, len, max_bytes, &out->csv, &out->csv_len, err);
    default:
        if (looks_like_html(body, len)) {
            mt_errf(err, "got an HTML/markup page, not a zip, gzip or CSV file");
            return -1;
        }
        if (len > max_bytes) {
            mt_errf(err, "CSV is %zu bytes, over the cap of %zu (EXTRACT_MAX_BYTES)",
                     len, max_bytes);
            return -1;
        }
        out->csv = (char *)body;
        out->csv_len = len;
        out->csv_is_body = true;
        return 0;
    }
}
