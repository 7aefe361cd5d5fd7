/* hash.h — SHA-256 (libsodium) as lowercase hex. Used for content identity: a landed
 * release without a server ETag is named by the SHA-256 of its CSV, and model
 * fingerprints are SHA-256 over their rendered definition. */
#ifndef MATERIA_HASH_H
#define MATERIA_HASH_H

#include <sodium.h>
#include <stddef.h>

#define HASH_HEX_LEN 65 /* 64 hex digits + NUL */

struct hash_ctx {
    crypto_hash_sha256_state st;
};

void hash_init(struct hash_ctx *h);
void hash_update(struct hash_ctx *h, const void *data, size_t len);
void hash_final_hex(struct hash_ctx *h, char out[HASH_HEX_LEN]);
void hash_sha256_hex(const void *data, size_t len, char out[HASH_HEX_LEN]);

#endif
