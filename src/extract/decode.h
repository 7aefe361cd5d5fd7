/* decode.h — turn a downloaded body into the CSV bytes of a release (any source).
 *
 * The body's format is detected from its first bytes, never from the URL or a
 * Content-Type: "PK\3\4"/"PK\5\6" is a zip (libzip; its one member ending in the source's
 * suffix, .csv or .txt, is the release),
 * 1f 8b is gzip (zlib; concatenated members allowed), anything else is taken as plain CSV
 * (an HTML page is recognised and named as such in the error). Uncompressed output is
 * capped at max_bytes: a decompression bomb fails cleanly once it passes the cap. */
#ifndef MATERIA_EXTRACT_DECODE_H
#define MATERIA_EXTRACT_DECODE_H

#include <stdbool.h>
#include "util/err.h"
#include <stddef.h>
#include <time.h>

enum decode_format { DECODE_PLAIN = 0, DECODE_ZIP, DECODE_GZIP };

struct decoded {
    enum decode_format format;
    char *csv;          /* owned, NUL-terminated (the NUL is not part of csv_len) */
    size_t csv_len;
    bool csv_is_body;   /* plain: csv aliases the body (not owned, not freed) */
    char *member;       /* zip: the CSV member's name (owned), else NULL */
    time_t member_mtime; /* zip: the member's modification time, else 0 */
    /* zip with a deflated member: the member as a gzip file made from the zip's own
     * deflate stream (header, the stream byte for byte, CRC-32 and size) — what landing
     * stores, without compressing 17 MB again; else NULL (landing compresses csv) */
    unsigned char *gzip;
    size_t gzip_len;
};

enum decode_format decode_detect(const void *data, size_t len);
const char *decode_format_name(enum decode_format f);

/* Decodes body[0..len) into out. body must stay alive while out is used (plain CSV is not
 * copied). Returns 0, or -1 with a one-line reason in err (no URL: the caller adds it). */
int decode_body(const char *body, size_t len, size_t max_bytes, struct decoded *out,
                struct mt_err *err);
/* The same for a source whose zip member ends in suffix (decode_body: ".csv"). */
int decode_body_member(const char *body, size_t len, size_t max_bytes, const char *suffix,
                       struct decoded *out, struct mt_err *err);
void decoded_free(struct decoded *d);

/* Gzip-compresses data into a malloc'd buffer (header mtime 0, so the output depends only
 * on the input). Returns 0 or -1 with err. */
int decode_gzip_compress(const void *data, size_t len, unsigned char **out, size_t *outlen,
                         struct mt_err *err);
/* Inflates a gzip buffer (capped at max_bytes) into a malloc'd NUL-terminated buffer. */
int decode_gunzip(const void *data, size_t len, size_t max_bytes, char **out, size_t *outlen,
                  struct mt_err *err);

#endif
