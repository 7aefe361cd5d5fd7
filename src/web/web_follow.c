/* web_follow.c — see web_follow.h. The replica's poller: state, download, verify, install.
 *
 * State (g.mu guards it; /health reads it from the workers): the manifest last read, the
 * snapshot installed in SERVING_DUCKDB_PATH (read from the file at start, then what this
 * thread renamed into place), when the manifest first named a snapshot not installed (the
 * lag counts from then), the last successful poll and the last error. The thread sleeps on
 * a condition variable so stop() wakes it at once. */
#include "web/web_follow.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "serving/contract.h"
#include "serving/publish.h"
#include "serving/s3.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/log.h"

#define FOLLOW_RETRY_S 30

static struct {
    bool running;             /* under mu: /health reads the state only while it is set */
    bool stop;
    atomic_bool cancel;       /* aborts a download in flight (s3_client.cancel) */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *url, *bucket, *prefix, *path;
    long poll_s;
    struct s3_opts s3;
    /* state, under mu */
    struct publish_manifest manifest; /* snapshot_id "" until one was read */
    char installed_id[PUBLISH_ID_MAX], installed_created[32];
    time_t pending_since, last_ok_poll;
    char error[MT_ERR_LEN];
    /* the snapshot whose install last failed, and when: not downloaded again for
     * FOLLOW_RETRY_S (a corrupt 1 GB object is not fetched every poll) */
    char failed_id[PUBLISH_ID_MAX];
    time_t failed_at;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void set_error(const char *msg)
{
    pthread_mutex_lock(&g.mu);
    bool changed = strcmp(g.error, msg) != 0;
    snprintf(g.error, sizeof g.error, "%s", msg);
    pthread_mutex_unlock(&g.mu);
    if (changed && *msg) log_error("follow: %s", msg);
}

/* Opens tmp read-only (db_open: access mode checked, no extension downloads, one thread
 * beside the server's) and runs the reader's checks; the file's _snapshot must name the
 * manifest's id and created_at. created (the verified value) is what the replica decides
 * by from then on: a manifest is only a claim, the verified file is the snapshot. */
static int verify_snapshot(const char *tmp, const struct publish_manifest *m, char *created, size_t createdlen,
                           struct mt_err *err)
{
    struct db d;
    if (db_open(&d, tmp, true, 1, err) < 0)
        return mt_err_prefix(err, "the download does not open as a DuckDB database");
    char pub[MT_ERR_LEN / 2], detail[MT_ERR_LEN / 2];
    int checked = serving_snapshot_check(d.con, pub, sizeof pub, detail, sizeof detail);
    char id[PUBLISH_ID_MAX];
    /* on the same open: the file is opened once for both */
    int ident = checked < 0 ? 0 : publish_query_identity(d.con, tmp, id, sizeof id, created, createdlen, err);
    db_close(&d);
    if (checked < 0) return mt_err_set(err, MT_ERR_FORMAT, "the download fails the serving checks: %s", detail);
    if (ident < 0) return mt_err_prefix(err, "the download has no readable _snapshot");
    if (strcmp(id, m->snapshot_id) != 0)
        return mt_err_set(err, MT_ERR_FORMAT, "the download's _snapshot names %s, not %s", id, m->snapshot_id);
    if (strcmp(created, m->created_at) != 0)
        return mt_err_set(err, MT_ERR_FORMAT, "LATEST.json says %s was created %s, its _snapshot says %s: refused "
                          "(a manifest must describe its snapshot)", m->snapshot_id, m->created_at, created);
    return 0;
}

/* Downloads, verifies and installs the manifest's snapshot; created: its verified
 * created_at. On failure the temporary is removed and SERVING_DUCKDB_PATH is untouched. */
static int install(struct s3_client *c, const struct publish_manifest *m, char *created, size_t createdlen,
                   struct mt_err *err)
{
    char *tmp = NULL;
    int fd = fs_tmp_create(g.path, &tmp, err);
    if (fd < 0) return -1;
    strbuf key;
    sb_init(&key);
    sb_appendf(&key, "%s%s.duckdb", g.prefix, m->snapshot_id);
    int rc = s3_get_fd(c, g.bucket, key.buf, fd, m->size > 0 ? (size_t)m->size : 1, err);
    if (rc < 0 && c->status == 404)
        mt_errf(err, "LATEST.json names %s but s3://%s/%s does not exist", m->snapshot_id, g.bucket, key.buf);
    struct stat st;
    if (rc == 0 && fstat(fd, &st) < 0)
        rc = mt_err_set(err, MT_ERR_IO, "%s: cannot stat: %s", tmp, strerror(errno));
    if (rc == 0 && (int64_t)st.st_size != m->size)
        rc = mt_err_set(err, MT_ERR_FORMAT, "%s.duckdb: downloaded %lld bytes, the manifest says %lld",
                        m->snapshot_id, (long long)st.st_size, (long long)m->size);
    char hex[HASH_HEX_LEN];
    if (rc == 0 && hash_sha256_fd(fd, 0, (size_t)st.st_size, hex, err) < 0)
        rc = mt_err_prefix(err, "%s: cannot read back", tmp);
    if (rc == 0 && strcmp(hex, m->sha256) != 0)
        rc = mt_err_set(err, MT_ERR_FORMAT, "%s.duckdb: sha256 %.16s… does not match the manifest's %.16s…",
                        m->snapshot_id, hex, m->sha256);
    if (close(fd) < 0 && rc == 0) rc = mt_err_set(err, MT_ERR_IO, "%s: close: %s", tmp, strerror(errno));
    if (rc == 0) rc = verify_snapshot(tmp, m, created, createdlen, err);
    /* fsync, rename over SERVING_DUCKDB_PATH, fsync the folder; removes tmp on failure */
    if (rc == 0) rc = fs_commit_tmp(tmp, g.path, false, err);
    else unlink(tmp); /* never served: the reader only opens SERVING_DUCKDB_PATH */
    free(tmp);
    sb_free(&key);
    return rc < 0 ? -1 : 0;
}

/* Removes ".<base>.tmp.*" beside the serving file: downloads a killed replica left. */
static void remove_debris(void)
{
    char *dir = fs_dirname(g.path), *base = fs_basename(g.path);
    char pfx[512];
    snprintf(pfx, sizeof pfx, ".%s.tmp.", base);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        if (strncmp(e->d_name, pfx, strlen(pfx)) != 0) continue;
        char *p = fs_join(dir, e->d_name);
        if (unlink(p) == 0) log_warn("follow: removed %s (an interrupted download)", p);
        free(p);
    }
    if (d) closedir(d);
    free(dir);
    free(base);
}

static void poll_once(struct s3_client *c, char *etag, size_t etaglen)
{
    struct mt_err err = MT_ERR_INIT;
    strbuf key, body;
    sb_init(&key);
    sb_init(&body);
    sb_appendf(&key, "%s%s", g.prefix, PUBLISH_MANIFEST);
    int rc = s3_get_mem(c, g.bucket, key.buf, etag, 1u << 16, &body, &err);
    struct publish_manifest m;
    if (rc < 0) {
        if (c->status == 404) mt_errf(&err, "s3://%s/%s does not exist (nothing published yet)", g.bucket, key.buf);
        set_error(err.msg);
        goto out;
    }
    pthread_mutex_lock(&g.mu);
    g.last_ok_poll = time(NULL);
    m = g.manifest;
    pthread_mutex_unlock(&g.mu);
    if (rc == 0) {
        if (publish_manifest_parse(body.buf, &m, &err) < 0) {
            set_error(err.msg);
            etag[0] = '\0';
            goto out;
        }
        snprintf(etag, etaglen, "%s", c->etag);
        pthread_mutex_lock(&g.mu);
        g.manifest = m;
        pthread_mutex_unlock(&g.mu);
    }
    if (!m.snapshot_id[0]) goto out;
    pthread_mutex_lock(&g.mu);
    bool have = !strcmp(m.snapshot_id, g.installed_id);
    bool older = g.installed_created[0] && strcmp(m.created_at, g.installed_created) < 0;
    char inst[PUBLISH_ID_MAX], inst_created[32];
    snprintf(inst, sizeof inst, "%s", g.installed_id);
    snprintf(inst_created, sizeof inst_created, "%s", g.installed_created);
    if (!have && !older && !g.pending_since) g.pending_since = time(NULL);
    pthread_mutex_unlock(&g.mu);
    if (have) {
        set_error("");
        goto out;
    }
    if (older) {
        mt_errf(&err, "LATEST.json names %s created %s, older than the installed %s (%s): refused (a "
                      "replica never goes backwards)", m.snapshot_id, m.created_at, inst, inst_created);
        set_error(err.msg);
        goto out;
    }
    if (!strcmp(g.failed_id, m.snapshot_id) && time(NULL) - g.failed_at < FOLLOW_RETRY_S) goto out;
    log_info("follow: downloading %s (%lld bytes) from s3://%s/%s", m.snapshot_id, (long long)m.size, g.bucket,
             g.prefix);
    /* the order check above read the manifest's created_at (so an older snapshot is not even
     * downloaded); install refuses a file whose own created_at differs, so what is installed
     * is ordered by the verified value, and that is the one kept */
    char created[32];
    if (install(c, &m, created, sizeof created, &err) < 0) {
        mt_err_prefix(&err, "snapshot %s not installed (next try in %d s)", m.snapshot_id, FOLLOW_RETRY_S);
        set_error(err.msg);
        snprintf(g.failed_id, sizeof g.failed_id, "%s", m.snapshot_id); /* this thread only */
        g.failed_at = time(NULL);
        goto out;
    }
    g.failed_id[0] = '\0';
    pthread_mutex_lock(&g.mu);
    snprintf(g.installed_id, sizeof g.installed_id, "%s", m.snapshot_id);
    snprintf(g.installed_created, sizeof g.installed_created, "%s", created);
    long lag = g.pending_since ? (long)(time(NULL) - g.pending_since) : 0;
    g.pending_since = 0;
    pthread_mutex_unlock(&g.mu);
    set_error("");
    log_info("follow: installed snapshot %s (created %s) in %ld s", m.snapshot_id, created, lag);
out:
    sb_free(&key);
    sb_free(&body);
}

static void *follow_main(void *arg)
{
    (void)arg;
    struct s3_client c;
    struct mt_err err = MT_ERR_INIT;
    if (s3_client_init(&c, &g.s3, "--follow", &err) < 0) { /* checked at start: cannot happen */
        set_error(err.msg);
        return NULL;
    }
    c.cancel = &g.cancel;
    char etag[S3_ETAG_LEN] = "";
    pthread_mutex_lock(&g.mu);
    while (!g.stop) {
        pthread_mutex_unlock(&g.mu);
        poll_once(&c, etag, sizeof etag);
        pthread_mutex_lock(&g.mu);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until); /* g.cv waits on it: a clock step never stalls polling */
        until.tv_sec += g.poll_s;
        while (!g.stop && pthread_cond_timedwait(&g.cv, &g.mu, &until) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&g.mu);
    s3_client_free(&c);
    return NULL;
}

int web_follow_start(const char *url, const struct settings *s, struct mt_err *err)
{
    if (g.running) return mt_errf(err, "--follow: already following %s", g.url);
    if (s3_url_parse(url, "--follow", &g.bucket, &g.prefix, err) < 0) return -1;
    publish_s3_opts(s, &g.s3);
    struct s3_client probe;
    if (s3_client_init(&probe, &g.s3, "--follow", err) < 0) goto fail;
    s3_client_free(&probe);
    g.url = xstrdup(url);
    g.path = xstrdup(s->serving_duckdb_path);
    g.poll_s = s->serving_follow_poll_s;
    char *dir = fs_dirname(g.path);
    int mk = fs_mkdir_p(dir, err);
    free(dir);
    if (mk < 0) goto fail;
    remove_debris();
    if (fs_exists(g.path)) {
        struct mt_err ierr = MT_ERR_INIT;
        if (publish_read_identity(g.path, g.installed_id, sizeof g.installed_id, g.installed_created,
                                  sizeof g.installed_created, &ierr) < 0) {
            log_warn("follow: the local %s is unreadable (%s): it will be replaced", g.path, ierr.msg);
            g.installed_id[0] = g.installed_created[0] = '\0';
        }
    }
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) || pthread_cond_init(&g.cv, &ca)) {
        mt_errf(err, "--follow: cannot make the poll timer");
        goto fail;
    }
    pthread_condattr_destroy(&ca);
    g.stop = false;
    atomic_store(&g.cancel, false);
    /* said before the thread starts: from then on it owns installed_id */
    log_info("follow: following %s every %ld s (installed: %s)", url, g.poll_s,
             g.installed_id[0] ? g.installed_id : "nothing yet");
    int e = pthread_create(&g.th, NULL, follow_main, NULL);
    if (e) {
        mt_errf(err, "--follow: cannot start the thread: %s", strerror(e));
        goto fail;
    }
    pthread_mutex_lock(&g.mu);
    g.running = true;
    pthread_mutex_unlock(&g.mu);
    return 0;
fail:
    free(g.bucket);
    free(g.prefix);
    free(g.url);
    free(g.path);
    g.bucket = g.prefix = g.url = g.path = NULL;
    return -1;
}

void web_follow_stop(void)
{
    pthread_mutex_lock(&g.mu);
    bool was = g.running;
    g.stop = true;
    atomic_store(&g.cancel, true); /* a download in flight ends now; its temporary is removed */
    pthread_cond_signal(&g.cv);
    pthread_mutex_unlock(&g.mu);
    if (!was) return;
    pthread_join(g.th, NULL);
    pthread_mutex_lock(&g.mu); /* /health reads url only while running, under mu */
    g.running = false;
    free(g.bucket);
    free(g.prefix);
    free(g.url);
    free(g.path);
    g.bucket = g.prefix = g.url = g.path = NULL;
    pthread_mutex_unlock(&g.mu);
}

void web_follow_health(strbuf *sb, const char *served_id)
{
    pthread_mutex_lock(&g.mu);
    if (!g.running) {
        pthread_mutex_unlock(&g.mu);
        return;
    }
    time_t now = time(NULL);
    bool current = g.manifest.snapshot_id[0] && !strcmp(g.manifest.snapshot_id, served_id);
    sb_append(sb, ",\"replica\":{\"following\":");
    sb_append_json_str(sb, g.url);
    sb_append(sb, ",\"manifest_snapshot_id\":");
    if (g.manifest.snapshot_id[0]) sb_append_json_str(sb, g.manifest.snapshot_id);
    else sb_append(sb, "null");
    sb_append(sb, ",\"installed_snapshot_id\":");
    if (g.installed_id[0]) sb_append_json_str(sb, g.installed_id);
    else sb_append(sb, "null");
    sb_append(sb, ",\"served_snapshot_id\":");
    if (*served_id) sb_append_json_str(sb, served_id);
    else sb_append(sb, "null");
    /* lag: 0 when serving what the manifest names; else seconds since the manifest was first
     * seen naming a snapshot not yet installed (null: no manifest read yet) */
    if (!g.manifest.snapshot_id[0]) sb_append(sb, ",\"lag_s\":null");
    else sb_appendf(sb, ",\"lag_s\":%ld", current ? 0L : g.pending_since ? (long)(now - g.pending_since) : 0L);
    sb_appendf(sb, ",\"in_sync\":%s", current ? "true" : "false");
    if (g.last_ok_poll) sb_appendf(sb, ",\"last_poll_age_s\":%ld", (long)(now - g.last_ok_poll));
    else sb_append(sb, ",\"last_poll_age_s\":null");
    sb_append(sb, ",\"error\":");
    if (g.error[0]) sb_append_json_str(sb, g.error);
    else sb_append(sb, "null");
    sb_append(sb, "}");
    pthread_mutex_unlock(&g.mu);
}
