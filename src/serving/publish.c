/* publish.c — see publish.h. Uploads the live serving snapshot and its manifest.
 *
 * Order is the contract: 1. the snapshot's object ({id}.duckdb: one PUT, or a multipart
 * upload above SERVING_PUBLISH_PART_MB that is aborted on failure, so a partial object never
 * exists under the name), 2. LATEST.json naming it (one small PUT: S3 replaces an object
 * atomically, so a reader sees the old manifest or the new one, never a mix), 3. pruning.
 * A failure in 1 or 2 leaves the previous manifest in place: replicas keep serving the
 * previous snapshot and nothing points at a half-written one. Pruning runs last and keeps
 * the SERVING_PUBLISH_KEEP newest snapshot objects (ids start with their UTC time, so key
 * order is age order) and always the one the new manifest names; its failure is logged,
 * not fatal (the publish itself is complete).
 *
 * The file is opened once; its size and sha256 are computed from that descriptor, its
 * snapshot id and created_at are read through it (/proc/self/fd/N: the same inode), the
 * upload reads the same descriptor, and before the manifest is written the live path must
 * still be that inode — so the manifest's sha256 is the uploaded bytes' even if an export
 * renamed a newer file into place meanwhile (then this publish fails and says so; the next
 * export publishes the newer one). */
#include "serving/publish.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/db.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strlist.h"
#include "util/testhook.h"

void publish_s3_opts(const struct settings *s, struct s3_opts *o)
{
    o->endpoint = s->s3_endpoint;
    o->region = s->aws_region;
    o->access_key = s->aws_access_key_id;
    o->secret = s->aws_secret_access_key;
    o->part_bytes = s->serving_publish_part_mb * 1024L * 1024L;
}

bool publish_enabled(const struct settings *s) { return s->serving_publish_url[0] != '\0'; }

int publish_check(const struct settings *s, struct mt_err *err)
{
    char *bucket, *prefix;
    if (s3_url_parse(s->serving_publish_url, "SERVING_PUBLISH_URL", &bucket, &prefix, err) < 0) return -1;
    free(bucket);
    free(prefix);
    struct s3_opts o;
    publish_s3_opts(s, &o);
    struct s3_client c;
    if (s3_client_init(&c, &o, "SERVING_PUBLISH_URL", err) < 0) return -1;
    s3_client_free(&c);
    return 0;
}

static bool id_ok(const char *id)
{
    if (!*id || strlen(id) >= PUBLISH_ID_MAX || *id == '.') return false;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p)) return false;
    return true;
}

char *publish_manifest_json(const struct publish_manifest *m)
{
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "{\"snapshot_id\":");
    sb_append_json_str(&sb, m->snapshot_id);
    sb_append(&sb, ",\"sha256\":");
    sb_append_json_str(&sb, m->sha256);
    sb_appendf(&sb, ",\"size\":%lld,\"created_at\":", (long long)m->size);
    sb_append_json_str(&sb, m->created_at);
    sb_append(&sb, ",\"file\":");
    sb_appendf(&sb, "\"%s.duckdb\"}\n", m->snapshot_id); /* id_ok: nothing to escape */
    return sb_detach(&sb);
}

int publish_manifest_parse(const char *text, struct publish_manifest *m, struct mt_err *err)
{
    memset(m, 0, sizeof *m);
    struct json j;
    if (json_parse(text, &j, err) < 0) return mt_err_prefix(err, "%s is not JSON", PUBLISH_MANIFEST);
    const struct json *id = json_get(&j, "snapshot_id"), *sha = json_get(&j, "sha256"),
                      *size = json_get(&j, "size"), *created = json_get(&j, "created_at");
    int rc = 0;
    char *end = NULL;
    if (!id || id->t != JSON_STR || !id_ok(id->s))
        rc = mt_err_set(err, MT_ERR_FORMAT, "%s: snapshot_id is missing or not an id", PUBLISH_MANIFEST);
    else if (!sha || sha->t != JSON_STR || strlen(sha->s) != 64 || strspn(sha->s, "0123456789abcdef") != 64)
        rc = mt_err_set(err, MT_ERR_FORMAT, "%s: sha256 is missing or not 64 hex digits", PUBLISH_MANIFEST);
    else if (!size || size->t != JSON_NUM || (errno = 0, strtoll(size->s, &end, 10) <= 0) || errno || *end)
        rc = mt_err_set(err, MT_ERR_FORMAT, "%s: size is missing or not a positive whole number",
                        PUBLISH_MANIFEST);
    else if (!created || created->t != JSON_STR || strlen(created->s) != 20)
        rc = mt_err_set(err, MT_ERR_FORMAT, "%s: created_at is missing or not YYYY-MM-DDTHH:MM:SSZ",
                        PUBLISH_MANIFEST);
    if (rc == 0) {
        snprintf(m->snapshot_id, sizeof m->snapshot_id, "%s", id->s);
        snprintf(m->sha256, sizeof m->sha256, "%s", sha->s);
        m->size = strtoll(size->s, NULL, 10);
        snprintf(m->created_at, sizeof m->created_at, "%s", created->s);
    }
    json_free(&j);
    return rc;
}

int publish_query_identity(duckdb_connection con, const char *path, char *id, size_t idlen, char *created,
                           size_t createdlen, struct mt_err *err)
{
    duckdb_result res;
    int rc = db_query(con,
                      "SELECT min(snapshot_id), strftime(max(created_at), '%Y-%m-%dT%H:%M:%SZ') FROM _snapshot",
                      &res, err);
    if (rc == 0) {
        char *a = db_value_text(&res, 0, 0), *b = db_value_text(&res, 1, 0);
        if (!*a || !*b) rc = mt_err_set(err, MT_ERR_FORMAT, "%s: _snapshot names no snapshot", path);
        snprintf(id, idlen, "%s", a);
        snprintf(created, createdlen, "%s", b);
        free(a);
        free(b);
        duckdb_destroy_result(&res);
    }
    return rc;
}

/* The identity of the database opened at open_path, named `path` in errors. */
static int read_identity(const char *open_path, const char *path, char *id, size_t idlen, char *created,
                         size_t createdlen, struct mt_err *err)
{
    struct db d;
    if (db_open(&d, open_path, true, 1, err) < 0) return -1;
    int rc = publish_query_identity(d.con, path, id, idlen, created, createdlen, err);
    db_close(&d);
    return rc;
}

int publish_read_identity(const char *path, char *id, size_t idlen, char *created, size_t createdlen,
                          struct mt_err *err)
{
    return read_identity(path, path, id, idlen, created, createdlen, err);
}

int publish_read_identity_fd(int fd, const char *path, char *id, size_t idlen, char *created, size_t createdlen,
                             struct mt_err *err)
{
    /* /proc/self/fd/N reopens the inode fd refers to, whatever `path` names now; DuckDB
     * opens it read-only like any file (a snapshot is checkpointed: no WAL to find beside it) */
    char via[64];
    snprintf(via, sizeof via, "/proc/self/fd/%d", fd);
    if (read_identity(via, path, id, idlen, created, createdlen, err) < 0)
        return mt_err_prefix(err, "%s: cannot read the snapshot's identity through %s", path, via);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Deletes snapshot objects beyond keep (oldest first), never `current`. Returns how many. */
static int prune(struct s3_client *c, const char *bucket, const char *prefix, long keep,
                 const char *current_key, struct mt_err *err)
{
    struct strlist keys = {0}, snaps = {0};
    if (s3_list(c, bucket, prefix, &keys, err) < 0) return -1;
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < keys.n; i++) {
        const char *rest = keys.v[i] + plen;
        size_t rl = strlen(rest);
        /* only our own snapshot objects: "<id>.duckdb" directly under the prefix */
        if (strncmp(keys.v[i], prefix, plen) || strchr(rest, '/') || rl <= 7 ||
            strcmp(rest + rl - 7, ".duckdb"))
            continue;
        strlist_push(&snaps, keys.v[i]);
    }
    strlist_free(&keys);
    qsort(snaps.v, snaps.n, sizeof *snaps.v, cmp_str);
    int deleted = 0, rc = 0;
    size_t excess = snaps.n > (size_t)keep ? snaps.n - (size_t)keep : 0;
    for (size_t i = 0; i < snaps.n && excess > 0; i++) {
        if (!strcmp(snaps.v[i], current_key)) continue;
        if (s3_delete(c, bucket, snaps.v[i], err) < 0) {
            rc = -1;
            break;
        }
        log_info("publish: pruned %s (SERVING_PUBLISH_KEEP=%ld)", snaps.v[i], keep);
        deleted++;
        excess--;
    }
    strlist_free(&snaps);
    return rc < 0 ? -1 : deleted;
}

int publish_snapshot(const struct settings *s, struct publish_result *out, struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    char *bucket = NULL, *prefix = NULL;
    struct s3_client c = {0};
    int fd = -1, rc = -1;
    char *object_key = NULL, *manifest_key = NULL, *manifest = NULL;
    const char *path = s->serving_duckdb_path;
    struct publish_manifest *m = &out->m;
    if (s3_url_parse(s->serving_publish_url, "SERVING_PUBLISH_URL", &bucket, &prefix, err) < 0) goto out;
    struct s3_opts o;
    publish_s3_opts(s, &o);
    if (s3_client_init(&c, &o, "SERVING_PUBLISH_URL", err) < 0) goto out;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st, now;
    if (fd < 0 || fstat(fd, &st) < 0) {
        mt_err_set(err, MT_ERR_IO, "%s: cannot open the snapshot to publish: %s", path, strerror(errno));
        goto out;
    }
    m->size = (int64_t)st.st_size;
    if (hash_sha256_fd(fd, 0, (size_t)st.st_size, m->sha256, err) < 0) {
        mt_err_prefix(err, "%s: cannot read the snapshot", path);
        goto out;
    }
    testhook_point("publish_after_hash");
    /* the id and created_at of the inode just hashed (and uploaded next), not of whatever
     * the path names by now: an export may have renamed a newer file into place */
    if (publish_read_identity_fd(fd, path, m->snapshot_id, sizeof m->snapshot_id, m->created_at,
                                 sizeof m->created_at, err) < 0)
        goto out;
    if (!id_ok(m->snapshot_id)) {
        mt_err_set(err, MT_ERR_FORMAT, "%s: snapshot id '%s' cannot name an object", path, m->snapshot_id);
        goto out;
    }
    strbuf k;
    sb_init(&k);
    sb_appendf(&k, "%s%s.duckdb", prefix, m->snapshot_id);
    object_key = sb_detach(&k);
    sb_init(&k);
    sb_appendf(&k, "%s%s", prefix, PUBLISH_MANIFEST);
    manifest_key = sb_detach(&k);

    /* the manifest's sha256 is the payload hash too: the file is not read a second time */
    if (s3_put_fd(&c, bucket, object_key, fd, (size_t)st.st_size, m->sha256, err) < 0) goto out;
    out->parts = c.last_parts;
    if (stat(path, &now) < 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
        mt_errf(err, "%s changed while it was being published (a newer export?): LATEST.json not "
                     "written; the next publish names the newer snapshot", path);
        goto out;
    }
    manifest = publish_manifest_json(m);
    if (s3_put_mem(&c, bucket, manifest_key, manifest, strlen(manifest), "application/json", err) < 0)
        goto out;
    rc = 0;
    log_info("publish: s3://%s/%s (%lld bytes, sha256 %.12s…, %s), then %s", bucket, object_key,
             (long long)m->size, m->sha256, out->parts ? "multipart" : "one PUT", manifest_key);
    struct mt_err perr = MT_ERR_INIT;
    int n = prune(&c, bucket, prefix, s->serving_publish_keep, object_key, &perr);
    if (n < 0) log_warn("publish: pruning old snapshots failed (the publish is complete): %s", perr.msg);
    else out->pruned = n;
out:
    if (rc < 0) mt_err_prefix(err, "publish to %s", s->serving_publish_url);
    if (fd >= 0) close(fd);
    s3_client_free(&c);
    free(bucket);
    free(prefix);
    free(object_key);
    free(manifest_key);
    free(manifest);
    return rc;
}

int publish_is_current(const struct settings *s, bool *current, struct mt_err *err)
{
    *current = false;
    char id[PUBLISH_ID_MAX], created[32];
    if (publish_read_identity(s->serving_duckdb_path, id, sizeof id, created, sizeof created, err) < 0)
        return -1;
    char *bucket, *prefix;
    if (s3_url_parse(s->serving_publish_url, "SERVING_PUBLISH_URL", &bucket, &prefix, err) < 0) return -1;
    struct s3_opts o;
    publish_s3_opts(s, &o);
    struct s3_client c;
    int rc = s3_client_init(&c, &o, "SERVING_PUBLISH_URL", err);
    if (rc == 0) {
        strbuf key, body;
        sb_init(&key);
        sb_init(&body);
        sb_appendf(&key, "%s%s", prefix, PUBLISH_MANIFEST);
        rc = s3_get_mem(&c, bucket, key.buf, NULL, 1u << 16, &body, err);
        struct publish_manifest m;
        if (rc < 0 && c.status == 404) { /* nothing published yet */
            mt_err_clear(err);
            rc = 0;
        } else if (rc == 0 && publish_manifest_parse(body.buf, &m, err) == 0) {
            *current = !strcmp(m.snapshot_id, id);
        } else if (rc == 0) {
            log_warn("publish: the bucket's %s is unreadable (%s); publishing again", PUBLISH_MANIFEST, err->msg);
            mt_err_clear(err);
        }
        sb_free(&key);
        sb_free(&body);
        s3_client_free(&c);
    }
    free(bucket);
    free(prefix);
    return rc < 0 ? -1 : 0;
}
