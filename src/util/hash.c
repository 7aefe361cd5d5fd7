/* hash.c — see hash.h. The SHA-256 method is fetched from OpenSSL's default provider once
 * (pthread_once): an implicit fetch on every init would take a lock each time, and the web
 * server hashes per request. A failure of libcrypto here (no memory, no provider) leaves
 * nothing sensible to return, so it aborts, as xmalloc does. */
#include "util/hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static EVP_MD_CTX *new_ctx(void)
{
    if (pthread_once(&sha256_once, fetch_sha256) != 0 || !sha256_md) {
        fprintf(stderr, "materia: OpenSSL has no SHA-256\n");
        abort();
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md) abort();
    return md;
}

void hash_init(struct hash_ctx *h)
{
    h->md = new_ctx();
    if (EVP_DigestInit_ex2(h->md, sha256_md, NULL) != 1) abort();
}

void hash_copy(struct hash_ctx *dst, const struct hash_ctx *src)
{
    dst->md = new_ctx();
    if (EVP_MD_CTX_copy_ex(dst->md, src->md) != 1) abort();
}

void hash_update(struct hash_ctx *h, const void *data, size_t len)
{
    if (len && EVP_DigestUpdate(h->md, data, len) != 1) abort();
}

void hash_final_hex(struct hash_ctx *h, char out[HASH_HEX_LEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(h->md, d, &n) != 1 || n != 32) abort();
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[64] = '\0';
}

void hash_discard(struct hash_ctx *h)
{
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
}

void hash_sha256_hex(const void *data, size_t len, char out[HASH_HEX_LEN])
{
    struct hash_ctx h;
    hash_init(&h);
    hash_update(&h, data, len);
    hash_final_hex(&h, out);
}

int hash_sha256_fd(int fd, off_t off, size_t len, char out[HASH_HEX_LEN], struct mt_err *err)
{
    enum { CHUNK = 1 << 20 };
    char *buf = malloc(CHUNK);
    if (!buf) return mt_err_set(err, MT_ERR_IO, "out of memory hashing %zu bytes", len);
    struct hash_ctx h;
    hash_init(&h);
    size_t done = 0;
    while (done < len) {
        size_t want = len - done < CHUNK ? len - done : CHUNK;
        ssize_t r = pread(fd, buf, want, off + (off_t)done);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int e = errno;
            hash_discard(&h);
            free(buf);
            return mt_err_set(err, MT_ERR_IO, "read at byte %lld: %s", (long long)(off + (off_t)done),
                              r < 0 ? strerror(e) : "the file is shorter than expected");
        }
        hash_update(&h, buf, (size_t)r);
        done += (size_t)r;
    }
    free(buf);
    hash_final_hex(&h, out);
    return 0;
}

void id_make(char *out, size_t outlen, const char *prefix, time_t t)
{
    if (sodium_init() < 0) abort();
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out, outlen, "%s%s%s-%08x", prefix ? prefix : "", prefix ? "-" : "", stamp,
             (unsigned)randombytes_random());
}
