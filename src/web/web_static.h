/* web_static.h — the dashboard's static files (MATERIA_WEB_DIR) for `materia serve`,
 * compressed once and kept in memory (issue 16).
 *
 * The first request for a file reads it, compresses it with gzip and brotli at their best
 * levels (only text-like types, only when the result is smaller) and builds one finished
 * MHD_Response per coding, headers included: Content-Type, Content-Encoding, ETag,
 * Vary: Accept-Encoding and Cache-Control — `public, max-age=31536000, immutable` under
 * assets/ (web/build.mjs puts only content-hashed names there), `no-cache` elsewhere
 * (index.html: revalidated on every visit, answered 304 when unchanged). Later requests
 * pick the coding from Accept-Encoding (web_compress.h) and queue the shared response.
 *
 * A file is looked up by its path and what stat(2) says of it (device, inode, size,
 * mtime), so a rebuilt web/dist is picked up on the next request without a restart; the
 * ETag is a hash of the file's bytes (a rebuild that changes nothing keeps its ETag), with
 * the coding appended for compressed forms (web_etag_coded). Entries are never evicted
 * (web_cache.h): the memory budget bounds what old builds can hold; past it, or for a file
 * larger than WEB_STATIC_MAX_FILE, the file is sent from disk uncompressed as before. */
#ifndef MATERIA_WEB_STATIC_H
#define MATERIA_WEB_STATIC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "web/web_cache.h"
#include "web/web_compress.h"

#define WEB_STATIC_MAX_FILE (16u << 20)  /* larger files are streamed from disk as they are */
#define WEB_STATIC_BUDGET (128u << 20)   /* bytes of file versions kept in memory */

struct MHD_Response;

/* One version of one file: immutable once published. */
struct web_static_file {
    struct MHD_Response *resp[WC__COUNT]; /* NULL: that coding is not offered */
    size_t len[WC__COUNT];
    char etag[WC__COUNT][48];
    unsigned available;                   /* WC_MASK set of the non-NULL resp */
    bool immutable;
};

struct web_static {
    struct web_cache files; /* "path\nstat key" -> struct web_static_file */
    pthread_t warmer;       /* web_static_warm's thread */
    bool warming;           /* warmer started (joined by web_static_free) */
    atomic_bool stop;       /* asks the warmer to finish early */
    char *warm_dir;
};

/* add_headers: called on every response built (the server's security headers). */
void web_static_init(struct web_static *ws, void (*add_headers)(struct MHD_Response *));
/* Stops the warmer (after the file it is on) and frees every entry. */
void web_static_free(struct web_static *ws);
/* Compresses every file under dir in a background thread, so that the first visitor after
 * a start does not wait for brotli's best level (about a second for the chart library on
 * this machine) and no worker thread is tied up doing it. Files added later are compressed
 * on their first request, as always. */
void web_static_warm(struct web_static *ws, const char *dir);

/* A file sent from disk as it is: what web_static_get's one fstat(2) of the open file
 * said, so the caller does not ask again (and the length it sends is the one the ETag
 * names). */
struct web_static_stream {
    int fd;        /* open, the caller's to close; -1 unless web_static_get returned 1 */
    uint64_t size;
    char etag[64];
};

/* The file rel (a validated relative path, web_route.h) under dir: *out points at the
 * cached version, valid until web_static_free. Returns 0, 404 (no such regular file), or
 * 1 when the file cannot be kept (too large, budget spent: the caller streams it as
 * *stream describes). -1 on a read error (err). */
int web_static_get(struct web_static *ws, const char *dir, const char *rel,
                   const struct web_static_file **out, struct web_static_stream *stream,
                   struct mt_err *err);

/* Whether files of this path are worth compressing (text, JSON, SVG, JS, CSS, HTML). */
bool web_static_compressible(const char *rel);
/* The Cache-Control of a static path. */
const char *web_static_cache_control(const char *rel);

#endif
