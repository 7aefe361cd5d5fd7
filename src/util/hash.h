/* hash.h — SHA-256 (libsodium) as lowercase hex, and run/snapshot ids. SHA-256 is for
 * content identity: a landed release without a server ETag is named by the SHA-256 of
 * its CSV, and model fingerprints are SHA-256 over their rendered definition. */
#ifndef MATERIA_HASH_H
#define MATERIA_HASH_H

#include <sodium.h>
#include <stddef.h>
#include <time.h>

#define HASH_HEX_LEN 65 /* 64 hex digits + NUL */

struct hash_ctx {
    crypto_hash_sha256_state st;
};

void hash_init(struct hash_ctx *h);
void hash_update(struct hash_ctx *h, const void *data, size_t len);
void hash_final_hex(struct hash_ctx *h, char out[HASH_HEX_LEN]);
void hash_sha256_hex(const void *data, size_t len, char out[HASH_HEX_LEN]);

/* An id "[prefix-]YYYYMMDDTHHMMSSZ-xxxxxxxx": the UTC second of t (sortable by time) and
 * 32 random bits (two ids of the same second differ). Used for transform and pipeline
 * run ids and serving snapshot ids. out needs ID_LEN bytes (with a prefix of up to 15). */
#define ID_LEN 48
void id_make(char *out, size_t outlen, const char *prefix, time_t t);

#endif
