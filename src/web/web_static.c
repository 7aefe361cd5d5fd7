/* web_static.c — see web_static.h. The map is a web_cache (lock-free lookups, inserts under
 * its mutex, no eviction) whose key carries the file's stat identity, so a changed file is a
 * new key and an old version simply stops being looked up. Two threads missing the same
 * file both compress it; web_cache_put keeps the first and frees the other (rare: the
 * first request of each file after a start or a rebuild). */
#include "web/web_static.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hash.h"
#include "util/strbuf.h"
#include "web/web_route.h"

static void (*static_add_headers)(struct MHD_Response *);

static void file_free(void *v)
{
    struct web_static_file *f = v;
    for (int c = 0; c < WC__COUNT; c++)
        if (f->resp[c]) MHD_destroy_response(f->resp[c]);
    free(f);
}

void web_static_init(struct web_static *ws, void (*add_headers)(struct MHD_Response *))
{
    static_add_headers = add_headers;
    memset(ws, 0, sizeof *ws); /* no warmer yet (web_static_free asks) */
    web_cache_init(&ws->files, 4096, WEB_STATIC_BUDGET, file_free);
}

void web_static_free(struct web_static *ws)
{
    if (ws->warming) {
        atomic_store(&ws->stop, true);
        pthread_join(ws->warmer, NULL);
        ws->warming = false;
    }
    free(ws->warm_dir);
    ws->warm_dir = NULL;
    web_cache_free(&ws->files);
}

bool web_static_compressible(const char *rel)
{
    const char *t = web_content_type(rel);
    return !strncmp(t, "text/", 5) || !strncmp(t, "application/json", 16) ||
           !strncmp(t, "application/manifest+json", 25) || !strcmp(t, "image/svg+xml") ||
           !strcmp(t, "application/wasm") || !strcmp(t, "image/x-icon");
}

const char *web_static_cache_control(const char *rel)
{
    /* Only web/build.mjs's content-hashed names live under assets/: a changed file gets a
     * new name, so these never change. Anything else (index.html above all) is revalidated
     * on every use. */
    return !strncmp(rel, "assets/", 7) ? "public, max-age=31536000, immutable" : "no-cache";
}

static void stat_key(strbuf *key, const char *rel, const struct stat *st)
{
    sb_appendf(key, "%s\n%llx:%llx:%llx:%lld.%09ld", rel, (unsigned long long)st->st_dev,
               (unsigned long long)st->st_ino, (unsigned long long)st->st_size,
               (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

static struct MHD_Response *make_response(const char *rel, char *body, size_t len,
                                          enum web_coding c, const char *etag)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return NULL;
    }
    if (static_add_headers) static_add_headers(r);
    MHD_add_response_header(r, "Content-Type", web_content_type(rel));
    MHD_add_response_header(r, "Cache-Control", web_static_cache_control(rel));
    MHD_add_response_header(r, "ETag", etag);
    MHD_add_response_header(r, "Vary", "Accept-Encoding");
    if (c != WC_IDENTITY) MHD_add_response_header(r, "Content-Encoding", web_coding_name(c));
    return r;
}

/* Reads fd (size bytes) whole. */
static char *read_all(int fd, size_t size, struct mt_err *err)
{
    char *buf = xmalloc(size ? size : 1);
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            mt_errf(err, "static file: %s", n < 0 ? strerror(errno) : "shorter than its size");
            free(buf);
            return NULL;
        }
        got += (size_t)n;
    }
    return buf;
}

/* Builds every form of the file read from fd. NULL with err on failure. */
static struct web_static_file *build(const char *rel, int fd, size_t size, size_t *bytes,
                                     struct mt_err *err)
{
    char *body = read_all(fd, size, err);
    if (!body) return NULL;
    struct web_static_file *f = xcalloc(1, sizeof *f);
    f->immutable = !strncmp(rel, "assets/", 7);
    char hex[HASH_HEX_LEN], etag[48];
    hash_sha256_hex(body, size, hex);
    snprintf(etag, sizeof etag, "\"%.32s\"", hex);
    *bytes = size;
    if (web_static_compressible(rel) && size >= 256) {
        for (int c = WC_GZIP; c <= WC_BR; c++) {
            strbuf z;
            sb_init(&z);
            if (web_compress((enum web_coding)c, WCL_BEST, body, size, &z, err) < 0) {
                sb_free(&z);
                free(body);
                file_free(f);
                return NULL;
            }
            if (z.len >= size) { /* no gain: not offered */
                sb_free(&z);
                continue;
            }
            web_etag_coded(etag, (enum web_coding)c, f->etag[c], sizeof f->etag[c]);
            f->len[c] = z.len;
            *bytes += z.len;
            f->resp[c] = make_response(rel, sb_detach(&z), f->len[c], (enum web_coding)c, f->etag[c]);
            if (!f->resp[c]) {
                free(body);
                file_free(f);
                mt_errf(err, "static file: out of memory");
                return NULL;
            }
            f->available |= WC_MASK(c);
        }
    }
    snprintf(f->etag[WC_IDENTITY], sizeof f->etag[WC_IDENTITY], "%s", etag);
    f->len[WC_IDENTITY] = size;
    f->resp[WC_IDENTITY] = make_response(rel, body, size, WC_IDENTITY, etag);
    if (!f->resp[WC_IDENTITY]) {
        file_free(f);
        mt_errf(err, "static file: out of memory");
        return NULL;
    }
    f->available |= WC_MASK(WC_IDENTITY);
    return f;
}

int web_static_get(struct web_static *ws, const char *dir, const char *rel,
                   const struct web_static_file **out, struct web_static_stream *stream,
                   struct mt_err *err)
{
    *out = NULL;
    stream->fd = -1;
    char *path = xasprintf("%s/%s", dir, rel);
    struct stat st;
    strbuf key;
    sb_init(&key);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        stat_key(&key, rel, &st);
        *out = web_cache_get(&ws->files, key.buf);
        if (*out) {
            free(path);
            sb_free(&key);
            return 0;
        }
    }
    /* A miss: open, and describe what was opened (the path may have changed since). */
    int f = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (f < 0 || fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (f >= 0) close(f);
        sb_free(&key);
        return 404;
    }
    sb_reset(&key);
    stat_key(&key, rel, &st);
    size_t bytes = 0;
    struct web_static_file *nf = NULL;
    /* cached files keep at least their identity bytes: without room for those, the file is
     * streamed as it is, without compressing it first only to throw the result away */
    if ((uint64_t)st.st_size <= WEB_STATIC_MAX_FILE && web_cache_has_room(&ws->files, (size_t)st.st_size)) {
        nf = build(rel, f, (size_t)st.st_size, &bytes, err);
        if (!nf) {
            close(f);
            sb_free(&key);
            return -1;
        }
        *out = web_cache_put(&ws->files, key.buf, nf, bytes);
        if (*out) {
            close(f);
            sb_free(&key);
            return 0;
        }
        file_free(nf); /* the budget is spent: stream it */
        if (lseek(f, 0, SEEK_SET) < 0) {
            mt_errf(err, "static file: %s", strerror(errno));
            close(f);
            sb_free(&key);
            return -1;
        }
    }
    snprintf(stream->etag, sizeof stream->etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL + (unsigned long long)st.st_mtim.tv_nsec);
    stream->size = (uint64_t)st.st_size;
    stream->fd = f;
    sb_free(&key);
    return 1;
}

/* ---- warming ---------------------------------------------------------------------------- */

#define WARM_MAX_FILES 2048
#define WARM_MAX_BYTES (32u << 20)

/* Every compressible regular file under dir/rel (rel "" at the top), depth-first, names as
 * the router accepts them (no hidden files); at most 8 levels, WARM_MAX_FILES files and
 * WARM_MAX_BYTES bytes read (a MATERIA_WEB_DIR pointed at the wrong folder costs a bounded
 * amount of work; the rest is done on request). Other files (images) wait for a request:
 * they are sent as they are anyway. */
static void warm_tree(struct web_static *ws, const char *rel, int depth, size_t *files, size_t *bytes)
{
    if (depth > 8 || atomic_load(&ws->stop)) return;
    char *path = rel[0] ? xasprintf("%s/%s", ws->warm_dir, rel) : xstrdup(ws->warm_dir);
    DIR *d = opendir(path);
    free(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) && !atomic_load(&ws->stop) && *files < WARM_MAX_FILES && *bytes < WARM_MAX_BYTES) {
        if (e->d_name[0] == '.') continue;
        char *sub = rel[0] ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
        if (strlen(sub) < WEB_KEY_MAX) {
            if (e->d_type == DT_DIR) {
                warm_tree(ws, sub, depth + 1, files, bytes);
            } else if ((e->d_type == DT_REG || e->d_type == DT_UNKNOWN) && web_static_compressible(sub)) {
                const struct web_static_file *f;
                struct web_static_stream stream;
                struct mt_err err = MT_ERR_INIT;
                int st = web_static_get(ws, ws->warm_dir, sub, &f, &stream, &err);
                if (st == 1) close(stream.fd);
                if (st == 0) {
                    (*files)++;
                    *bytes += f->len[WC_IDENTITY];
                }
            }
        }
        free(sub);
    }
    closedir(d);
}

static void *warm_main(void *arg)
{
    size_t files = 0, bytes = 0;
    warm_tree(arg, "", 0, &files, &bytes);
    return NULL;
}

void web_static_warm(struct web_static *ws, const char *dir)
{
    if (ws->warming) return;
    ws->warm_dir = xstrdup(dir);
    atomic_store(&ws->stop, false);
    ws->warming = pthread_create(&ws->warmer, NULL, warm_main, ws) == 0;
}
