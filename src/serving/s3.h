/* s3.h — a small S3 client (libcurl + SigV4): what publish (serving/publish.c) and a
 * replica (web/web_follow.c) need of a bucket, and nothing more.
 *
 * Addresses are path-style, <S3_ENDPOINT>/<bucket>/<key> (Cloudflare R2 and local test
 * servers need it; AWS accepts it). Object keys are limited to letters, digits and
 * "._-/" (s3_key_ok): they are then their own URI encoding, which keeps SigV4's
 * canonical path trivially equal on both sides. Every request is signed by libcurl
 * (CURLOPT_AWS_SIGV4 "aws:amz:<region>:s3"); the payload's sha256 is computed here and
 * sent as x-amz-content-sha256 (S3 requires that header and it is part of what is signed).
 *
 * One struct s3_client per thread (it owns one curl easy handle, reused for keep-alive).
 * Every call returns 0 on a 2xx, or -1 with err saying "<METHOD> <bucket>/<key>: <status>
 * <S3 error code>: <S3 message>" (or curl's reason when no answer came); the HTTP status,
 * 0 when none, is in client->status after each call, so callers tell a missing object (404)
 * from a failure without reading the text. */
#ifndef MATERIA_SERVING_S3_H
#define MATERIA_SERVING_S3_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strbuf.h"
#include "util/strlist.h"

#define S3_ETAG_LEN 128

struct s3_opts {
    const char *endpoint;   /* S3_ENDPOINT ("" = https://s3.<region>.amazonaws.com) */
    const char *region;     /* AWS_REGION */
    const char *access_key; /* AWS_ACCESS_KEY_ID */
    const char *secret;     /* AWS_SECRET_ACCESS_KEY */
    long part_bytes;        /* files above this go up in parts of this size */
};

struct s3_client {
    void *curl;             /* CURL * */
    char *endpoint;         /* without a trailing '/' */
    char *sigv4;            /* "aws:amz:<region>:s3" */
    char *userpwd;          /* "<key id>:<secret>" */
    long part_bytes;
    long status;            /* HTTP status of the last request, 0 if none arrived */
    char etag[S3_ETAG_LEN]; /* ETag of the last answer ("" if none) */
    int last_parts;         /* parts of the last s3_put_fd (0: one plain PUT) */
    const atomic_bool *cancel; /* when set and true, a transfer in flight is aborted */
};

/* "s3://bucket/prefix/" into bucket and prefix ("" or ending in '/'; caller frees both).
 * -1 with err naming `what` (the setting or flag) when it is not such a URL. */
int s3_url_parse(const char *url, const char *what, char **bucket, char **prefix,
                 struct mt_err *err);
/* Whether key uses only the characters this client sends unencoded. */
bool s3_key_ok(const char *key);

/* Checks the options (credentials present, region usable with the endpoint) and makes a
 * client. `what` names the feature asking, for the errors ("SERVING_PUBLISH_URL"). */
int s3_client_init(struct s3_client *c, const struct s3_opts *o, const char *what,
                   struct mt_err *err);
void s3_client_free(struct s3_client *c);

/* PUT of a memory buffer. */
int s3_put_mem(struct s3_client *c, const char *bucket, const char *key, const void *data,
               size_t len, const char *content_type, struct mt_err *err);
/* PUT of the first size bytes of an open file (read with pread: the offset is kept): one
 * request up to part_bytes, above that a multipart upload (Create, UploadPart each part with
 * its own sha256, Complete; Abort on any failure, so no half-uploaded object is ever visible
 * under key). c->last_parts says which it was. sha256: the whole file's, when the caller
 * has it already (lowercase hex; NULL: computed here) — a single PUT then reads it once. */
int s3_put_fd(struct s3_client *c, const char *bucket, const char *key, int fd, size_t size,
              const char *sha256, struct mt_err *err);
/* GET into body (at most max_bytes). if_none_match may be NULL; a 304 returns 1 (body
 * untouched). */
int s3_get_mem(struct s3_client *c, const char *bucket, const char *key, const char *if_none_match,
               size_t max_bytes, strbuf *body, struct mt_err *err);
/* GET into the open file fd (written from its current offset), at most max_bytes (0: no
 * limit; more fails the call: a replica never fills its disk past the manifest's size). */
int s3_get_fd(struct s3_client *c, const char *bucket, const char *key, int fd, size_t max_bytes,
              struct mt_err *err);
int s3_delete(struct s3_client *c, const char *bucket, const char *key, struct mt_err *err);
/* ListObjectsV2 of every key under prefix (all pages), appended to keys. */
int s3_list(struct s3_client *c, const char *bucket, const char *prefix, struct strlist *keys,
            struct mt_err *err);

#endif
