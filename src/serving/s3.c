/* s3.c — see s3.h. The S3 client of publish and follow, over libcurl.
 *
 * Why libcurl and not rclone (which the landing backup uses): publishing is a step of the
 * export and following is a thread of `serve`, so the bucket is spoken to from inside the
 * one binary — its errors arrive as values we check and report (status, S3's error code
 * and message), not as a child's exit code and stderr to parse; a replica's poll is a
 * conditional GET with the manifest's ETag (one cheap 304 a second, on a kept-alive
 * connection), which rclone has no verb for; and nothing else needs installing, configuring
 * or keeping in step on a replica. rclone stays what the backups use (many files, sync
 * semantics, its own retries).
 *
 * Signing: libcurl's CURLOPT_AWS_SIGV4 ("aws:amz:<region>:s3") computes the Authorization
 * header. Debian 12's libcurl 7.88 signs host, x-amz-date and the x-amz-* headers we add,
 * and takes the payload hash from our x-amz-content-sha256 header when one is given (it
 * is: the sha256 of the body is computed here, from memory or by reading the file region
 * once before sending it). 7.88 also signs every header we pass, even the "Expect:" that
 * only removes one — it then signs a header that is never sent (the server refuses), so
 * no such removal is used: uploads keep libcurl's Expect: 100-continue, which S3 honours. Queries are built already canonical (names sorted, "name=value"
 * even for a bare flag like ?uploads=, values RFC 3986-encoded), so the query curl signs
 * is the one S3 recomputes; keys are restricted to characters needing no encoding.
 * tests/integration/scale/ check all of it against a server that verifies SigV4 and
 * refuses a wrong secret.
 *
 * Transfers: no total timeout (a large snapshot may take minutes); a 10 s connect timeout
 * and a stall limit (under 1 byte/s for 30 s aborts) instead. */
#include "serving/s3.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "util/common.h"
#include "util/hash.h"
#include "util/log.h"

#define S3_ERRBODY_MAX 8192
#define S3_STALL_S 30L

/* ---- URLs and keys ------------------------------------------------------------------- */

bool s3_key_ok(const char *key)
{
    for (const char *p = key; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-/", *p)) return false;
    return true;
}

int s3_url_parse(const char *url, const char *what, char **bucket, char **prefix,
                 struct mt_err *err)
{
    *bucket = *prefix = NULL;
    if (strncasecmp(url, "s3://", 5) != 0)
        return mt_errf(err, "%s=%s is not supported by materia: expected s3://bucket/prefix/", what, url);
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t blen = slash ? (size_t)(slash - b) : strlen(b);
    /* S3's bucket names: 3 to 63 of lower-case letters, digits, '.' and '-' */
    bool ok = blen >= 3 && blen <= 63;
    for (size_t i = 0; ok && i < blen; i++)
        ok = islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '.' || b[i] == '-';
    if (!ok)
        return mt_errf(err, "%s=%s is not supported by materia: the bucket name must be 3 to 63 "
                            "lower-case letters, digits, '.' or '-'", what, url);
    const char *p = slash ? slash + 1 : "";
    if (!s3_key_ok(p) || strstr(p, "//") || *p == '/')
        return mt_errf(err, "%s=%s is not supported by materia: the prefix may hold only letters, "
                            "digits and \"._-/\" (no empty folder names)", what, url);
    *bucket = xstrndup(b, blen);
    size_t plen = strlen(p);
    *prefix = xmalloc(plen + 2);
    memcpy(*prefix, p, plen + 1);
    if (plen && p[plen - 1] != '/') strcat(*prefix, "/");
    return 0;
}

/* RFC 3986 encoding of a query value (what SigV4's canonical query uses). */
static void uri_encode(strbuf *sb, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p)) sb_append_char(sb, (char)*p);
        else sb_appendf(sb, "%%%02X", *p);
    }
}

/* ---- the client ---------------------------------------------------------------------- */

int s3_client_init(struct s3_client *c, const struct s3_opts *o, const char *what,
                   struct mt_err *err)
{
    memset(c, 0, sizeof *c);
    if (!*o->access_key || !*o->secret)
        return mt_errf(err, "%s is set but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is empty "
                            "(the bucket's credentials)", what);
    if (!*o->endpoint && !strcasecmp(o->region, "auto"))
        return mt_errf(err, "%s: S3_ENDPOINT is empty and AWS_REGION=auto: set S3_ENDPOINT (R2: "
                            "https://<account>.r2.cloudflarestorage.com) or an AWS region", what);
    for (const char *p = o->region; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-')
            return mt_errf(err, "AWS_REGION=%s is not supported by materia: expected a region name "
                                "like us-east-1 or auto", o->region);
    CURL *h = curl_easy_init();
    if (!h) return mt_errf(err, "%s: cannot create a curl handle", what);
    c->curl = h;
    strbuf sb;
    sb_init(&sb);
    if (*o->endpoint) sb_append(&sb, o->endpoint);
    else sb_appendf(&sb, "https://s3.%s.amazonaws.com", o->region);
    while (sb.len && sb.buf[sb.len - 1] == '/') sb.buf[--sb.len] = '\0';
    c->endpoint = sb_detach(&sb);
    sb_init(&sb);
    sb_appendf(&sb, "aws:amz:%s:s3", o->region);
    c->sigv4 = sb_detach(&sb);
    sb_init(&sb);
    sb_appendf(&sb, "%s:%s", o->access_key, o->secret);
    c->userpwd = sb_detach(&sb);
    c->part_bytes = o->part_bytes > 0 ? o->part_bytes : 64L * 1024 * 1024;
    return 0;
}

void s3_client_free(struct s3_client *c)
{
    if (c->curl) curl_easy_cleanup(c->curl);
    if (c->userpwd) {
        explicit_bzero(c->userpwd, strlen(c->userpwd));
        free(c->userpwd);
    }
    free(c->endpoint);
    free(c->sigv4);
    memset(c, 0, sizeof *c);
}

/* One request. The body comes from mem, or from fd's region [in_off, in_off + in_len);
 * the answer's body goes to out (at most out_max) or out_fd, and an error answer's body
 * (status >= 300) to errbody, whatever the sink. */
struct call {
    const char *method, *bucket, *key, *query, *content_type, *if_none_match;
    const void *mem;
    size_t mem_len;
    int in_fd;
    off_t in_off;
    size_t in_len;
    /* the payload's sha256 (x-amz-content-sha256): given by the caller, or computed once by
     * run_call before its attempts, never per attempt (a retry does not re-read the file) */
    char sha[HASH_HEX_LEN];
    strbuf *out;
    size_t out_max; /* of out, or of what is written to out_fd (0 there: no limit) */
    int out_fd;
    /* transfer state */
    size_t sent, written;
    strbuf errbody;
    bool too_big, write_failed, read_failed;
    int write_errno, read_errno;
    struct s3_client *c;
};

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
    struct call *k = ud;
    size_t want = size * nitems, left = (k->mem ? k->mem_len : k->in_len) - k->sent;
    if (want > left) want = left;
    if (!want) return 0;
    if (k->mem) {
        memcpy(buf, (const char *)k->mem + k->sent, want);
    } else {
        ssize_t r = pread(k->in_fd, buf, want, k->in_off + (off_t)k->sent);
        if (r <= 0) { /* said by run_once, with the cause */
            k->read_failed = true;
            k->read_errno = r < 0 ? errno : EIO;
            return CURL_READFUNC_ABORT;
        }
        want = (size_t)r;
    }
    k->sent += want;
    return want;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct call *k = ud;
    size_t n = size * nmemb;
    long status = 0;
    curl_easy_getinfo(k->c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300) {
        if (k->errbody.len + n <= S3_ERRBODY_MAX) sb_append_len(&k->errbody, ptr, n);
        return n;
    }
    if (k->out) {
        if (k->out->len + n > k->out_max) {
            k->too_big = true;
            return 0;
        }
        sb_append_len(k->out, ptr, n);
    } else if (k->out_fd >= 0) {
        if (k->out_max && k->written + n > k->out_max) { /* never fill the disk past what was asked */
            k->too_big = true;
            return 0;
        }
        k->written += n;
        for (size_t done = 0; done < n;) {
            ssize_t w = write(k->out_fd, ptr + done, n - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                k->write_failed = true;
                k->write_errno = w < 0 ? errno : EIO;
                return 0;
            }
            done += (size_t)w;
        }
    }
    return n;
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    struct s3_client *c = ud;
    size_t len = size * n;
    if (len >= 5 && !strncmp(buf, "HTTP/", 5)) { /* a new response: forget the last one's */
        c->etag[0] = '\0';
    } else if (len > 5 && !strncasecmp(buf, "ETag:", 5)) {
        const char *v = buf + 5;
        size_t vl = len - 5;
        while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ')) vl--;
        if (vl < S3_ETAG_LEN) {
            memcpy(c->etag, v, vl);
            c->etag[vl] = '\0';
        }
    }
    return len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const struct s3_client *c = ud;
    return atomic_load(c->cancel) ? 1 : 0; /* non-zero aborts: CURLE_ABORTED_BY_CALLBACK */
}

/* The text between <tag> and </tag> in xml (first one at or after *from), or NULL. */
static char *xml_take(const char *xml, const char *tag, const char **from)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *s = strstr(from && *from ? *from : xml, open);
    if (!s) return NULL;
    s += strlen(open);
    const char *e = strstr(s, close);
    if (!e) return NULL;
    if (from) *from = e + strlen(close);
    strbuf sb;
    sb_init(&sb);
    for (const char *p = s; p < e; p++) { /* the five predefined entities */
        static const struct { const char *ent; char ch; } ents[] = {
            {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
        bool done = false;
        for (size_t i = 0; *p == '&' && i < MT_ARRAY_LEN(ents) && !done; i++)
            if (!strncmp(p, ents[i].ent, strlen(ents[i].ent))) {
                sb_append_char(&sb, ents[i].ch);
                p += strlen(ents[i].ent) - 1;
                done = true;
            }
        if (!done) sb_append_char(&sb, *p);
    }
    return sb_detach(&sb);
}

static int run_once(struct s3_client *c, struct call *k, CURLcode *crc, struct mt_err *err)
{
    CURL *h = c->curl;
    c->status = 0;
    c->etag[0] = '\0';
    k->c = c;
    k->sent = 0;
    sb_init(&k->errbody);
    strbuf url;
    sb_init(&url);
    sb_appendf(&url, "%s/%s", c->endpoint, k->bucket);
    if (k->key) sb_appendf(&url, "/%s", k->key);
    else sb_append(&url, "/");
    if (k->query && *k->query) sb_appendf(&url, "?%s", k->query);

    struct curl_slist *hdrs = NULL, *t;
    char line[256];
#define ADD_HDR(...)                                          \
    do {                                                      \
        snprintf(line, sizeof line, __VA_ARGS__);             \
        t = curl_slist_append(hdrs, line);                    \
        if (t) hdrs = t;                                      \
        else ok = false;                                      \
    } while (0)
    bool ok = true;
    ADD_HDR("x-amz-content-sha256: %s", k->sha);
    if (k->content_type) ADD_HDR("Content-Type: %s", k->content_type);
    if (k->if_none_match && *k->if_none_match) ADD_HDR("If-None-Match: %s", k->if_none_match);
#undef ADD_HDR
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_reset(h);
    CURLcode rc = CURLE_OK;
#define SET(opt, val) \
    do {              \
        if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); \
    } while (0)
    SET(CURLOPT_URL, url.buf);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_AWS_SIGV4, c->sigv4);
    SET(CURLOPT_USERPWD, c->userpwd);
    SET(CURLOPT_HTTPHEADER, hdrs);
    SET(CURLOPT_CONNECTTIMEOUT, 10L);
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, S3_STALL_S);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, k);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, c);
    if (c->cancel) {
        SET(CURLOPT_XFERINFOFUNCTION, on_progress);
        SET(CURLOPT_XFERINFODATA, c);
        SET(CURLOPT_NOPROGRESS, 0L);
    }
    if (!strcmp(k->method, "PUT")) {
        SET(CURLOPT_UPLOAD, 1L);
        SET(CURLOPT_READFUNCTION, on_read);
        SET(CURLOPT_READDATA, k);
        SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)(k->mem ? k->mem_len : k->in_len));
    } else if (!strcmp(k->method, "POST")) {
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDS, k->mem ? (const char *)k->mem : "");
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(k->mem ? k->mem_len : 0));
    } else if (strcmp(k->method, "GET") != 0) {
        SET(CURLOPT_CUSTOMREQUEST, k->method);
    }
#undef SET
    int ret = 0;
    if (!ok || rc != CURLE_OK) {
        ret = mt_errf(err, "%s %s/%s: cannot set up the request: %s", k->method, k->bucket,
                      k->key ? k->key : "", ok ? curl_easy_strerror(rc) : "out of memory");
    } else {
        rc = curl_easy_perform(h);
        *crc = rc;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
        const char *what = k->key ? k->key : "";
        if (rc != CURLE_OK && k->too_big) {
            ret = mt_errf(err, "GET %s/%s: the answer is larger than %zu bytes", k->bucket, what, k->out_max);
        } else if (rc != CURLE_OK && k->read_failed) {
            ret = mt_err_set(err, MT_ERR_IO, "%s %s/%s: cannot read what is being uploaded: %s", k->method, k->bucket,
                             what, strerror(k->read_errno));
        } else if (rc != CURLE_OK && k->write_failed) {
            ret = mt_err_set(err, MT_ERR_IO, "GET %s/%s: cannot write the download: %s", k->bucket, what,
                             strerror(k->write_errno));
        } else if (rc != CURLE_OK) {
            c->status = 0;
            /* names the endpoint: "cannot connect" is about it, not the key */
            ret = mt_errf(err, "%s %s/%s/%s: %s", k->method, c->endpoint, k->bucket, what,
                          errbuf[0] ? errbuf : curl_easy_strerror(rc));
        } else if (c->status == 304 && k->if_none_match) {
            ret = 1;
        } else if (c->status < 200 || c->status >= 300) {
            char *code = xml_take(k->errbody.buf, "Code", NULL);
            char *msg = xml_take(k->errbody.buf, "Message", NULL);
            ret = mt_errf(err, "%s %s/%s: HTTP %ld%s%s%s%s", k->method, k->bucket, what, c->status,
                          code ? " " : "", code ? code : (c->status == 404 ? " (no such object)" : ""),
                          msg ? ": " : "", msg ? msg : "");
            free(code);
            free(msg);
        }
    }
    curl_slist_free_all(hdrs);
    sb_free(&url);
    sb_free(&k->errbody);
    return ret;
}

/* run_once, retried twice (after 0.25 s, then 0.5 s) when the answer never came whole — a
 * kept-alive connection the server had just closed (an empty reply, a reset), a refused
 * connection — or was a 5xx (S3 and R2 ask clients to retry those: 500, 503 SlowDown).
 * Every request here may be repeated: PUTs and part uploads carry the same bytes, GETs and
 * DELETEs are idempotent, and a repeated multipart Create only leaves an upload that is
 * never completed (aborted or expired by the bucket's lifecycle rule). A retried download
 * starts again from an empty sink. A cancelled transfer is not retried. */
static int run_call(struct s3_client *c, struct call *k, struct mt_err *err)
{
    if (!k->sha[0] && (k->mem || !k->in_len)) {
        hash_sha256_hex(k->mem ? k->mem : "", k->mem ? k->mem_len : 0, k->sha);
    } else if (!k->sha[0] && hash_sha256_fd(k->in_fd, k->in_off, k->in_len, k->sha, err) < 0) {
        return mt_err_prefix(err, "%s %s/%s: cannot read the file to upload", k->method, k->bucket,
                             k->key ? k->key : "");
    }
    off_t fd_start = k->out_fd >= 0 ? lseek(k->out_fd, 0, SEEK_CUR) : 0;
    for (int attempt = 0;; attempt++) {
        CURLcode crc = CURLE_OK;
        int ret = run_once(c, k, &crc, err);
        bool transport = crc == CURLE_GOT_NOTHING || crc == CURLE_SEND_ERROR || crc == CURLE_RECV_ERROR ||
                         crc == CURLE_COULDNT_CONNECT || crc == CURLE_PARTIAL_FILE;
        bool retry = ret < 0 && attempt < 2 && !k->too_big && !k->write_failed && !k->read_failed &&
                     !(c->cancel && atomic_load(c->cancel)) && (transport || c->status >= 500);
        if (!retry) return ret;
        log_warn("s3: %s (attempt %d of 3; retrying)", err->msg, attempt + 1);
        if (k->out) sb_reset(k->out);
        k->written = 0;
        if (k->out_fd >= 0 && (ftruncate(k->out_fd, fd_start) < 0 || lseek(k->out_fd, fd_start, SEEK_SET) < 0))
            return mt_err_set(err, MT_ERR_IO, "cannot restart the download: %s", strerror(errno));
        mt_err_clear(err);
        usleep((useconds_t)(250000 << attempt));
    }
}

#define CALL_INIT(m, b, key_) {.method = (m), .bucket = (b), .key = (key_), .in_fd = -1, .out_fd = -1}

int s3_put_mem(struct s3_client *c, const char *bucket, const char *key, const void *data,
               size_t len, const char *content_type, struct mt_err *err)
{
    struct call k = CALL_INIT("PUT", bucket, key);
    k.mem = data ? data : "";
    k.mem_len = len;
    k.content_type = content_type;
    return run_call(c, &k, err);
}

int s3_get_mem(struct s3_client *c, const char *bucket, const char *key, const char *if_none_match,
               size_t max_bytes, strbuf *body, struct mt_err *err)
{
    struct call k = CALL_INIT("GET", bucket, key);
    k.if_none_match = if_none_match;
    strbuf tmp;
    sb_init(&tmp);
    k.out = &tmp;
    k.out_max = max_bytes;
    int rc = run_call(c, &k, err);
    if (rc == 0) {
        sb_free(body);
        *body = tmp;
    } else {
        sb_free(&tmp);
    }
    return rc;
}

int s3_get_fd(struct s3_client *c, const char *bucket, const char *key, int fd, size_t max_bytes,
              struct mt_err *err)
{
    struct call k = CALL_INIT("GET", bucket, key);
    k.out_fd = fd;
    k.out_max = max_bytes;
    return run_call(c, &k, err);
}

int s3_delete(struct s3_client *c, const char *bucket, const char *key, struct mt_err *err)
{
    struct call k = CALL_INIT("DELETE", bucket, key);
    return run_call(c, &k, err);
}

int s3_list(struct s3_client *c, const char *bucket, const char *prefix, struct strlist *keys,
            struct mt_err *err)
{
    char *token = NULL;
    for (int page = 0; page < 100000; page++) {
        strbuf q, body;
        sb_init(&q);
        sb_init(&body);
        if (token) {
            sb_append(&q, "continuation-token=");
            uri_encode(&q, token);
            sb_append(&q, "&");
        }
        sb_append(&q, "list-type=2&prefix=");
        uri_encode(&q, prefix);
        struct call k = CALL_INIT("GET", bucket, NULL);
        k.query = q.buf;
        k.out = &body;
        k.out_max = 16u << 20;
        int rc = run_call(c, &k, err);
        sb_free(&q);
        free(token);
        token = NULL;
        if (rc != 0) {
            sb_free(&body);
            return -1;
        }
        const char *at = NULL;
        for (char *key; (key = xml_take(body.buf, "Key", &at)) != NULL; free(key))
            strlist_push(keys, key);
        char *trunc = xml_take(body.buf, "IsTruncated", NULL);
        bool more = trunc && !strcmp(trunc, "true");
        free(trunc);
        if (more) token = xml_take(body.buf, "NextContinuationToken", NULL);
        sb_free(&body);
        if (!more) return 0;
        if (!token) return mt_errf(err, "LIST %s/%s: a truncated listing without a continuation token", bucket, prefix);
    }
    free(token);
    return mt_errf(err, "LIST %s/%s: too many pages", bucket, prefix);
}

/* ---- multipart ----------------------------------------------------------------------- */

static int put_multipart(struct s3_client *c, const char *bucket, const char *key, int fd,
                         size_t size, struct mt_err *err)
{
    strbuf body;
    sb_init(&body);
    struct call k = CALL_INIT("POST", bucket, key);
    k.query = "uploads=";
    k.out = &body;
    k.out_max = 1u << 20;
    if (run_call(c, &k, err) != 0) {
        sb_free(&body);
        return mt_err_prefix(err, "multipart upload: create");
    }
    char *upload_id = xml_take(body.buf, "UploadId", NULL);
    sb_free(&body);
    if (!upload_id || !*upload_id) {
        free(upload_id);
        return mt_errf(err, "POST %s/%s?uploads: the answer names no UploadId", bucket, key);
    }
    strbuf enc_id, complete;
    sb_init(&enc_id);
    uri_encode(&enc_id, upload_id);
    sb_init(&complete);
    sb_append(&complete, "<CompleteMultipartUpload>");
    size_t nparts = (size + (size_t)c->part_bytes - 1) / (size_t)c->part_bytes;
    int rc = 0;
    for (size_t i = 0; i < nparts && rc == 0; i++) {
        strbuf q;
        sb_init(&q);
        sb_appendf(&q, "partNumber=%zu&uploadId=%s", i + 1, enc_id.buf);
        struct call p = CALL_INIT("PUT", bucket, key);
        p.query = q.buf;
        p.in_fd = fd;
        p.in_off = (off_t)(i * (size_t)c->part_bytes);
        p.in_len = i + 1 < nparts ? (size_t)c->part_bytes : size - i * (size_t)c->part_bytes;
        rc = run_call(c, &p, err);
        sb_free(&q);
        if (rc == 0 && !c->etag[0]) rc = mt_errf(err, "PUT %s/%s part %zu: the answer has no ETag", bucket, key, i + 1);
        if (rc != 0) {
            mt_err_prefix(err, "multipart upload: part %zu of %zu", i + 1, nparts);
            break;
        }
        sb_appendf(&complete, "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>", i + 1, c->etag);
    }
    sb_append(&complete, "</CompleteMultipartUpload>");
    if (rc == 0) {
        strbuf q, ans;
        sb_init(&q);
        sb_init(&ans);
        sb_appendf(&q, "uploadId=%s", enc_id.buf);
        struct call f = CALL_INIT("POST", bucket, key);
        f.query = q.buf;
        f.mem = complete.buf;
        f.mem_len = complete.len;
        f.content_type = "application/xml";
        f.out = &ans;
        f.out_max = 1u << 20;
        rc = run_call(c, &f, err);
        /* S3 may answer 200 and still fail: the error is then in the body */
        if (rc == 0 && strstr(ans.buf, "<Error>")) {
            char *code = xml_take(ans.buf, "Code", NULL), *msg = xml_take(ans.buf, "Message", NULL);
            rc = mt_errf(err, "POST %s/%s?uploadId: %s: %s", bucket, key, code ? code : "error", msg ? msg : "");
            free(code);
            free(msg);
        }
        if (rc != 0) mt_err_prefix(err, "multipart upload: complete");
        sb_free(&q);
        sb_free(&ans);
    }
    if (rc != 0) { /* abort, so no parts linger (and are billed); the first error is the one reported */
        strbuf q;
        sb_init(&q);
        sb_appendf(&q, "uploadId=%s", enc_id.buf);
        struct call a = CALL_INIT("DELETE", bucket, key);
        a.query = q.buf;
        struct mt_err aerr = MT_ERR_INIT;
        if (run_call(c, &a, &aerr) != 0)
            log_warn("s3: could not abort the multipart upload of %s/%s (its parts may linger until "
                     "the bucket's lifecycle rule removes them): %s", bucket, key, aerr.msg);
        sb_free(&q);
    } else {
        c->last_parts = (int)nparts;
        log_info("s3: multipart upload of %s/%s: %zu parts of up to %ld bytes", bucket, key, nparts,
                 c->part_bytes);
    }
    sb_free(&enc_id);
    sb_free(&complete);
    free(upload_id);
    return rc;
}

int s3_put_fd(struct s3_client *c, const char *bucket, const char *key, int fd, size_t size,
              const char *sha256, struct mt_err *err)
{
    c->last_parts = 0;
    if ((long long)size > (long long)c->part_bytes) return put_multipart(c, bucket, key, fd, size, err);
    struct call k = CALL_INIT("PUT", bucket, key);
    k.in_fd = fd;
    k.in_len = size;
    k.content_type = "application/octet-stream";
    if (sha256) snprintf(k.sha, sizeof k.sha, "%s", sha256);
    return run_call(c, &k, err);
}
