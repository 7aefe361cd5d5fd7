/* landing.c — see landing.h.
 *
 * Scan: LANDING_DIR/<source>/<4 digits>/<2 digits>/<stem>.csv.gzip, hidden files (our own
 * temporaries, ".<name>.tmp.XXXXXX") skipped. Each data file is paired with
 * <stem>.meta.json when that exists and parses; otherwise the release is described from
 * the file itself (gunzip, count rows with the source's validator, hash). The set is sorted by landed_at, then path.
 *
 * Write: the release's directory chain is created as needed and remembered, so a failure
 * can remove exactly the directories this call created (rmdir only ever removes empty
 * ones). Every folder change goes through util/fsutil.h's durable operations (each new
 * directory's parent is fsynced; a failure there fails the landing before anything is
 * published). Meta is committed first, the data file last; both fs_publish
 * FS_PUBLISH_NO_REPLACE (link(2)), so an existing file is never replaced. If the data
 * commit fails, the meta this call created is removed again (unless a data file now
 * stands beside it: a concurrent extract committed the same release using it). A meta
 * left behind by an earlier crash (meta without data) is reused when it describes the
 * same content, and is an error otherwise — it is never rewritten. */
#include "extract/landing.h"
#include "util/err.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "extract/decode.h"
#include "extract/landing_meta.h"
#include "extract/source.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/strbuf.h"

#define DATA_SUFFIX ".csv.gzip"
#define META_SUFFIX ".meta.json"
/* a landed CSV can't be bigger than extract's cap; the scan uses a generous fixed cap */
#define SCAN_MAX_CSV ((size_t)4 << 30)

void landing_sanitize_etag(const char *raw, char out[LANDING_ETAG_MAX + 1])
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)raw; *p && k < LANDING_ETAG_MAX; p++) {
        unsigned char c = *p;
        if (c == '"') continue;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        out[k++] = ok ? (char)c : '_';
    }
    out[k] = '\0';
    /* no hidden files, no "." or ".." */
    if (out[0] == '.') out[0] = '_';
}

static bool all_digits(const char *s, size_t n)
{
    if (strlen(s) != n) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && !strcmp(s + n - k, suffix);
}

static void iso_utc(time_t t, long ms, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ms >= 0) snprintf(out + n, 32 - n, ".%03ldZ", ms);
    else snprintf(out + n, 32 - n, "Z");
}

/* Describes a data file that has no (readable) meta file. */
static void describe_from_data(const struct extract_source *src, struct landing_release *r,
                               const char *year, const char *month, const char *stem)
{
    struct stat st;
    char iso[32] = "";
    r->gzip_bytes = r->csv_bytes = r->rows = -1;
    if (stat(r->data_path, &st) == 0) {
        r->gzip_bytes = st.st_size;
        iso_utc(st.st_mtime, -1, iso);
    }
    r->landed_at = xstrdup(iso);
    r->etag = xstrdup(stem);
    r->release_date = xasprintf("%s-%s", year, month);
    struct mt_err err = MT_ERR_INIT;
    char *gz = NULL, *csv = NULL;
    size_t gzlen = 0, csvlen = 0;
    if (fs_read_all(r->data_path, &gz, &gzlen, &err) == 0 &&
        decode_gunzip(gz, gzlen, SCAN_MAX_CSV, &csv, &csvlen, &err) == 0) {
        r->csv_bytes = (int64_t)csvlen;
        hash_sha256_hex(csv, csvlen, r->sha256);
        int64_t rows = 0;
        if (src->validate(csv, csvlen, &rows, &err) == 0) {
            r->rows = rows;
        } else { /* not a valid release, but still landed: count lines after the header */
            rows = 0;
            for (size_t i = 0; i < csvlen; i++) rows += csv[i] == '\n';
            if (csvlen && csv[csvlen - 1] != '\n') rows++;
            r->rows = rows > 0 ? rows - 1 : 0;
        }
    } else {
        log_warn("landing: %s: %s", r->data_path, err.msg);
    }
    free(gz);
    free(csv);
}

static void scan_file(const struct extract_source *src, struct landing_set *s,
                      const char *landing_dir, const char *year, const char *month,
                      const char *name)
{
    size_t stem_len = strlen(name) - strlen(DATA_SUFFIX);
    char *stem = xstrndup(name, stem_len);
    struct landing_release r;
    memset(&r, 0, sizeof r);
    r.rel_path = xasprintf("%s/%s/%s/%s", src->name, year, month, name);
    r.data_path = fs_join(landing_dir, r.rel_path);
    char *meta_path = xasprintf("%s/%s/%s/%s/%s" META_SUFFIX, landing_dir, src->name, year,
                                month, stem);

    struct mt_err err = MT_ERR_INIT;
    char *json = NULL;
    size_t jlen = 0;
    struct landing_meta m;
    landing_meta_init(&m);
    if (fs_exists(meta_path)) {
        if (fs_read_all(meta_path, &json, &jlen, &err) < 0 ||
            landing_meta_parse(json, jlen, &m, &err) < 0) {
            log_warn("landing: %s: %s; describing the release from its data file", meta_path, err.msg);
        } else if (!m.etag || !m.sha256 || !m.landed_at || !m.release_date) {
            log_warn("landing: %s: missing keys; describing the release from its data file",
                     meta_path);
            landing_meta_free(&m);
        } else {
            r.has_meta = true;
        }
    }
    if (r.has_meta) {
        r.etag = m.etag;
        r.url = m.url;
        r.last_modified = m.last_modified;
        r.release_date = m.release_date;
        r.landed_at = m.landed_at;
        snprintf(r.sha256, sizeof r.sha256, "%s", m.sha256);
        free(m.sha256);
        free(m.source);
        r.file_stat = m.file_stat;
        r.source_year = m.source_year;
        r.csv_bytes = m.csv_bytes;
        r.gzip_bytes = m.gzip_bytes;
        r.rows = m.rows;
    } else {
        r.source_year = -1;
        describe_from_data(src, &r, year, month, stem);
    }
    free(json);
    free(meta_path);
    free(stem);
    s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n++] = r;
}

static int list_dir(const char *path, char ***names, size_t *n, struct mt_err *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT) return 0;
        mt_errf(err, "%s: cannot list: %s", path, strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        *names = xrealloc(*names, (*n + 1) * sizeof **names);
        (*names)[(*n)++] = xstrdup(e->d_name);
    }
    closedir(d);
    return 0;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static int cmp_release(const void *a, const void *b)
{
    const struct landing_release *x = a, *y = b;
    int c = strcmp(x->landed_at, y->landed_at);
    return c ? c : strcmp(x->rel_path, y->rel_path);
}

int landing_scan(const char *landing_dir, struct landing_set *out, struct mt_err *err)
{
    return landing_scan_source(landing_dir, &source_psd, out, err);
}

int landing_scan_source(const char *landing_dir, const struct extract_source *src,
                        struct landing_set *out, struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    char *sdir = fs_join(landing_dir, src->name);
    char **years = NULL;
    size_t ny = 0;
    int rc = list_dir(sdir, &years, &ny, err);
    for (size_t i = 0; rc == 0 && i < ny; i++) {
        if (!all_digits(years[i], 4)) continue;
        char *ydir = xasprintf("%s/%s", sdir, years[i]);
        char **months = NULL;
        size_t nm = 0;
        rc = list_dir(ydir, &months, &nm, err);
        for (size_t k = 0; rc == 0 && k < nm; k++) {
            if (!all_digits(months[k], 2)) continue;
            char *mdir = xasprintf("%s/%s", ydir, months[k]);
            char **files = NULL;
            size_t nf = 0;
            rc = list_dir(mdir, &files, &nf, err);
            for (size_t f = 0; rc == 0 && f < nf; f++)
                if (ends_with(files[f], DATA_SUFFIX))
                    scan_file(src, out, landing_dir, years[i], months[k], files[f]);
            free_names(files, nf);
            free(mdir);
        }
        free_names(months, nm);
        free(ydir);
    }
    free_names(years, ny);
    free(sdir);
    if (rc < 0) {
        landing_set_free(out);
        return -1;
    }
    if (out->n > 1) qsort(out->v, out->n, sizeof *out->v, cmp_release);
    return 0;
}

void landing_set_free(struct landing_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct landing_release *r = &s->v[i];
        free(r->data_path);
        free(r->rel_path);
        free(r->etag);
        free(r->url);
        free(r->last_modified);
        free(r->release_date);
        free(r->landed_at);
        free(r->file_stat);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}

const struct landing_release *landing_newest(const struct landing_set *s)
{
    return s->n ? &s->v[s->n - 1] : NULL;
}

const struct landing_release *landing_find_etag(const struct landing_set *s, const char *etag)
{
    for (size_t i = 0; etag && i < s->n; i++)
        if (s->v[i].has_meta && !strcmp(s->v[i].etag, etag)) return &s->v[i];
    return NULL;
}

const struct landing_release *landing_newest_for_url(const struct landing_set *s, const char *url)
{
    for (size_t i = s->n; i-- > 0;)
        if (s->v[i].has_meta && s->v[i].url && !strcmp(s->v[i].url, url)) return &s->v[i];
    return NULL;
}

const struct landing_release *landing_find_sha256(const struct landing_set *s, const char *sha)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].sha256[0] && !strcmp(s->v[i].sha256, sha)) return &s->v[i];
    return NULL;
}

/* Creates dir and its missing parents, recording the ones created (deepest last). Each
 * new directory's parent is fsynced (fs_mkdir_durable): a landed file must not vanish
 * with a directory entry that was never made durable. */
static int mkdirs_tracked(const char *dir, char *created[], int *ncreated, int max,
                          struct mt_err *err)
{
    char *chain[16];
    int n = 0;
    char *p = xstrdup(dir);
    while (n < max && n < 16 && !fs_exists(p)) {
        chain[n++] = p;
        char *parent = fs_dirname(p);
        if (!strcmp(parent, p)) { free(parent); p = NULL; break; }
        p = parent;
    }
    free(p);
    int first = *ncreated;
    for (int i = n - 1; i >= 0; i--) created[(*ncreated)++] = chain[i];
    for (int i = first; i < *ncreated; i++)
        if (fs_mkdir_durable(created[i], err) < 0) return -1;
    return fs_mkdir_p(dir, err); /* a chain deeper than 16, and the is-a-directory check */
}

/* Removes (deepest first) the directories this call created; rmdir only ever removes empty
 * ones. A failure here is reported as a warning: the landing has already failed. */
static void rmdirs_created(char *created[], int n)
{
    for (int i = n - 1; i >= 0; i--) {
        struct mt_err e = MT_ERR_INIT;
        /* not empty: a concurrent extract landed in it, so it stays (not worth a warning) */
        if (fs_exists(created[i]) && fs_remove_durable(created[i], true, &e) < 0 &&
            errno != ENOTEMPTY)
            log_warn("landing: %s", e.msg);
    }
}

int landing_write(const char *landing_dir, const struct landing_new *r, char **data_path,
                  int64_t *gzip_bytes, struct mt_err *err)
{
    char name[LANDING_ETAG_MAX + 1] = "";
    if (r->etag_raw) landing_sanitize_etag(r->etag_raw, name);
    if (!name[0]) snprintf(name, sizeof name, "%s", r->sha256);

    const char *folder = r->source ? r->source->name : "psd";
    char *dir = xasprintf("%s/%s/%04d/%02d", landing_dir, folder, r->year, r->month);
    char *dpath = xasprintf("%s/%s" DATA_SUFFIX, dir, name);
    char *mpath = xasprintf("%s/%s" META_SUFFIX, dir, name);
    char *created[16];
    int ncreated = 0;
    bool meta_created = false;
    unsigned char *gz = NULL;
    size_t gzlen = 0;
    char *json = NULL, *old = NULL;
    int rc = -1;

    if (fs_exists(dpath)) {
        mt_errf(err, "%s: already landed with different content (never overwritten)",
                 dpath);
        goto out;
    }
    if (r->gzip) {
        gz = xmalloc(r->gzip_len);
        memcpy(gz, r->gzip, r->gzip_len);
        gzlen = r->gzip_len;
    } else if (decode_gzip_compress(r->csv, r->csv_len, &gz, &gzlen, err) < 0) {
        goto out;
    }

    struct landing_meta m;
    landing_meta_init(&m);
    char landed_at[32];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    iso_utc(now.tv_sec, now.tv_nsec / 1000000L, landed_at);
    char release_date[16];
    snprintf(release_date, sizeof release_date, "%04d-%02d-%02d", r->year, r->month, r->day);
    m.etag = (char *)(r->etag_raw ? r->etag_raw : r->sha256);
    m.url = (char *)r->url;
    m.last_modified = (char *)r->last_modified;
    m.release_date = release_date;
    m.landed_at = landed_at;
    m.sha256 = (char *)r->sha256;
    m.csv_bytes = (int64_t)r->csv_len;
    m.gzip_bytes = (int64_t)gzlen;
    m.rows = r->rows;
    if (r->source && r->source->meta_names_source) {
        m.source = (char *)r->source->name;
        m.source_year = r->source_year > 0 ? r->source_year : -1;
    }
    m.file_stat = (char *)r->file_stat;
    json = landing_meta_format(&m); /* m borrows every string: not freed */

    if (mkdirs_tracked(dir, created, &ncreated, 16, err) < 0) goto out;
    if (fs_exists(mpath)) {
        /* meta without data: an earlier run stopped between the two commits */
        size_t olen;
        struct landing_meta om;
        struct mt_err perr = MT_ERR_INIT;
        if (fs_read_all(mpath, &old, &olen, err) < 0) goto out;
        if (landing_meta_parse(old, olen, &om, &perr) < 0 || !om.sha256 ||
            strcmp(om.sha256, r->sha256) != 0) {
            mt_errf(err, "%s: exists without its data file and describes other "
                     "content (never overwritten)", mpath);
            landing_meta_free(&om);
            goto out;
        }
        landing_meta_free(&om);
        log_info("landing: reusing %s left by an interrupted run", mpath);
    } else {
        if (fs_write_atomic(mpath, json, strlen(json), true, err) < 0) goto out;
        meta_created = true;
    }
    if (fs_write_atomic(dpath, gz, gzlen, true, err) < 0) goto out;
    *data_path = dpath;
    dpath = NULL;
    *gzip_bytes = (int64_t)gzlen;
    rc = 0;
out:
    if (rc < 0) {
        /* The meta goes only if no data file stands beside it: when a concurrent extract
         * reused this meta and committed the same release first, the meta now describes
         * a landed release and must stay. */
        struct mt_err e = MT_ERR_INIT;
        if (meta_created && !fs_exists(dpath) && fs_remove_durable(mpath, false, &e) < 0)
            log_warn("landing: %s", e.msg);
        rmdirs_created(created, ncreated);
    }
    for (int i = 0; i < ncreated; i++) free(created[i]);
    free(gz);
    free(json);
    free(old);
    free(dir);
    free(dpath);
    free(mpath);
    return rc;
}
