/* hash.h — SHA-256 as lowercase hex, and run/snapshot ids. SHA-256 is for content identity:
 * a landed release without a server ETag is named by the SHA-256 of its CSV, model
 * fingerprints are SHA-256 over their rendered definition, and a published snapshot is
 * checked by the SHA-256 of its file.
 *
 * The digest is OpenSSL's (libcrypto, EVP): it uses the CPU's SHA extensions where present,
 * ~1.3 GB/s here against libsodium's portable ~0.25 GB/s, and extract hashes every
 * downloaded CSV whole (17 MB per CFTC year file: 13 ms instead of 60-86 ms, bench/cot).
 * libsodium stays for what it is for: randomness, secrets and constant-time comparison.
 *
 * Lifetime: hash_init allocates the context; hash_final_hex (or hash_discard, on an error
 * path) frees it, exactly once per init (a copy made with hash_copy is a context of its own). */
#ifndef MATERIA_HASH_H
#define MATERIA_HASH_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "util/err.h"

#define HASH_HEX_LEN 65 /* 64 hex digits + NUL */

struct hash_ctx {
    struct evp_md_ctx_st *md; /* OpenSSL's EVP_MD_CTX */
};

void hash_init(struct hash_ctx *h);
/* dst becomes an independent copy of src's state (src stays usable). */
void hash_copy(struct hash_ctx *dst, const struct hash_ctx *src);
void hash_update(struct hash_ctx *h, const void *data, size_t len);
void hash_final_hex(struct hash_ctx *h, char out[HASH_HEX_LEN]);
/* Frees a context that will not be finished (an error path between init and final). */
void hash_discard(struct hash_ctx *h);
void hash_sha256_hex(const void *data, size_t len, char out[HASH_HEX_LEN]);
/* The SHA-256 of len bytes of fd from offset off (pread: fd's file offset is not moved).
 * -1 with err (MT_ERR_IO) when the bytes cannot be read or the file is shorter. */
int hash_sha256_fd(int fd, off_t off, size_t len, char out[HASH_HEX_LEN], struct mt_err *err);

/* An id "[prefix-]YYYYMMDDTHHMMSSZ-xxxxxxxx": the UTC second of t (sortable by time) and
 * 32 random bits (two ids of the same second differ). Used for transform and pipeline
 * run ids and serving snapshot ids. out needs ID_LEN bytes (with a prefix of up to 15). */
#define ID_LEN 48
void id_make(char *out, size_t outlen, const char *prefix, time_t t);

#endif
