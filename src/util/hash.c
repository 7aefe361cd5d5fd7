/* hash.c — see hash.h. sodium_init() is idempotent and thread-safe; calling it on every
 * init keeps callers from having to remember it. */
#include "util/hash.h"

#include <stdio.h>
#include <stdlib.h>

void hash_init(struct hash_ctx *h)
{
    if (sodium_init() < 0) abort();
    crypto_hash_sha256_init(&h->st);
}

void hash_update(struct hash_ctx *h, const void *data, size_t len)
{
    crypto_hash_sha256_update(&h->st, data, len);
}

void hash_final_hex(struct hash_ctx *h, char out[HASH_HEX_LEN])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h->st, d);
    sodium_bin2hex(out, HASH_HEX_LEN, d, sizeof d);
}

void hash_sha256_hex(const void *data, size_t len, char out[HASH_HEX_LEN])
{
    struct hash_ctx h;
    hash_init(&h);
    hash_update(&h, data, len);
    hash_final_hex(&h, out);
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
