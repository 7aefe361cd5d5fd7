/* web_compress.h — content codings for `materia serve` (issue 16): gzip (zlib) and brotli
 * (Debian's libbrotli) of a whole buffer, and the choice of a coding from a request's
 * Accept-Encoding (RFC 9110 §12.5.3).
 *
 * Every response body is compressed once: static files when first requested (kept in
 * memory, web_static.h), API answers once per snapshot and URL (the response cache). The
 * counters below count every compression, so a test or /metrics can prove that a cached
 * hit does none. */
#ifndef MATERIA_WEB_COMPRESS_H
#define MATERIA_WEB_COMPRESS_H

#include <stdatomic.h>
#include <stddef.h>

#include "util/err.h"
#include "util/strbuf.h"

/* The codings we send, in our order of preference (ties in q-value go to the larger). */
enum web_coding { WC_IDENTITY = 0, WC_GZIP = 1, WC_BR = 2, WC__COUNT = 3 };
#define WC_MASK(c) (1u << (c))
#define WC_ALL (WC_MASK(WC_IDENTITY) | WC_MASK(WC_GZIP) | WC_MASK(WC_BR))

/* "identity", "gzip", "br". */
const char *web_coding_name(enum web_coding c);

/* The coding to send for a request with this Accept-Encoding value (NULL: the header is
 * absent), among `available` (a WC_MASK set; identity is always possible). The coding with
 * the highest q-value wins, ties going to br, then gzip, then identity. A coding the header
 * does not name takes the q of `*` when present; identity is acceptable unless refused
 * ("identity;q=0", or "*;q=0" without an identity entry); gzip and br need the header
 * (by name, "x-gzip", or "*"). When nothing acceptable is available the answer is identity
 * (RFC 9110 allows it; a 406 would break more clients than it helps). Names and "q" are
 * case-insensitive; an element with a malformed q-value is ignored. */
enum web_coding web_coding_choose(const char *accept_encoding, unsigned available);

/* The entity tag of the `c`-coded form of a representation whose identity form has the
 * strong tag `etag` ("\"abc\"" → "\"abc-gzip\"", "\"abc-br\""; identity: unchanged).
 * RFC 9110 §8.8.3: a content-coded response is a different representation, so its strong
 * validator must differ from the identity one's (a cache may otherwise combine ranges of
 * both). out needs strlen(etag) + 6 bytes. */
void web_etag_coded(const char *etag, enum web_coding c, char *out, size_t outlen);

/* Levels: static files are compressed once per file and get the best ratio; API bodies are
 * compressed on every cache miss (a client can cause one per distinct URL), so a fast
 * level. */
enum web_compress_level { WCL_FAST, WCL_BEST };

/* Appends the coding of in[0..len) to out (gzip: a gzip member, RFC 1952; br: a brotli
 * stream, RFC 7932). 0, or -1 with err. */
int web_compress(enum web_coding c, enum web_compress_level level, const void *in, size_t len,
                 strbuf *out, struct mt_err *err);

/* Compressions done since start, per coding (index WC_GZIP, WC_BR), for /metrics. */
extern atomic_ullong web_compress_count[WC__COUNT];
extern atomic_ullong web_compress_bytes_in[WC__COUNT];

#endif
