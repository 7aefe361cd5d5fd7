/* extract.c — the extract stage end to end, for any source (source.h; ARCHITECTURE §1).
 *
 * For each of the source's URLs (PSD: one; COT: one per year), steps each failing with
 * "<url>: <problem>" and leaving LANDING_DIR untouched for that URL:
 *   1. scan the source's landing folder (what is already landed, and the newest ETag
 *      landed from this URL — PSD: the newest release's, as before);
 *   2. fetch the URL, conditional on that ETag (fetch.c: timeouts, retries);
 *   3. a 304, or an ETag already landed, is "unchanged";
 *   4. decode the body (decode.c: zip / gzip / plain by magic bytes, capped; a zip's member
 *      is the one ending in the source's suffix);
 *   5. validate it (the source's validator) and hash it; content already landed is
 *      "unchanged";
 *   6. date it — Last-Modified, else the zip member's mtime, else now — and land it
 *      atomically (landing.c: meta first, data file last).
 * Only one extract runs at a time (LANDING_DIR.extract.lock, flock, held for a source's
 * whole run). The URLs of one source are independent: one failing (a 404, a bad file)
 * lands nothing for that URL, the others are still fetched and landed, and the run
 * returns -1 naming the failed ones — never a silent partial set.
 * The ETag sent as If-None-Match is only ever one a server sent: a release named by its
 * SHA-256 (no server ETag, e.g. file://) sends none, and step 5 catches the repeat.
 * A file:// URL has its own validator instead, checked before step 2: the local file's size
 * and modification time (nanoseconds), taken before it is read and kept in the meta of the
 * release landed from it. When the newest release landed from this very URL recorded the
 * same pair, the file is "unchanged" without being read — what a 304 is for HTTP (a file
 * rewritten in place gets a new mtime; CFTC's year files are 17 MB each, and re-reading and
 * hashing the unchanged years was most of a weekly extract). Any difference, or no recorded
 * pair, falls through to the full read, where step 5 still decides by content. */
#include "extract/extract.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <unistd.h>

#include "extract/decode.h"
#include "extract/fetch.h"
#include "extract/landing.h"
#include "extract/source.h"
#include "util/common.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/log.h"

void extract_outcome_free(struct extract_outcome *out)
{
    free(out->path);
    memset(out, 0, sizeof *out);
}

/* The release date: Last-Modified (UTC), else the zip member's mtime (zip times are local
 * wall-clock times without a zone, so they are read back as local time), else now. */
static void release_date(const struct fetch_result *fr, const struct decoded *dec,
                         struct tm *tm, const char **source)
{
    time_t t;
    if (fr->last_modified_t >= 0) {
        t = fr->last_modified_t;
        gmtime_r(&t, tm);
        *source = "Last-Modified";
    } else if (dec->member_mtime > 0) {
        t = dec->member_mtime;
        localtime_r(&t, tm);
        *source = "zip member mtime";
    } else {
        t = time(NULL);
        gmtime_r(&t, tm);
        *source = "download time";
    }
}

/* One extract at a time: two would both fetch, and the slower one's landing would fail on
 * the file the first landed. The lock sits beside LANDING_DIR, not in it, so the landing
 * stays pure data (and backups copy no lock file). Returns the lock's fd, or -1. */
static int extract_lock(const char *landing_dir, struct mt_err *err)
{
    size_t dl = strlen(landing_dir);
    while (dl > 1 && landing_dir[dl - 1] == '/') dl--; /* "landing/" and "landing" share one lock */
    char *lock_path = xasprintf("%.*s.extract.lock", (int)dl, landing_dir);
    char *lock_dir = fs_dirname(lock_path);
    int lock = fs_mkdir_p(lock_dir, err) < 0 ? -1 : fs_lock_acquire(lock_path, "extract", err);
    free(lock_dir);
    free(lock_path);
    return lock;
}

/* A downloaded body: decoded, validated, and landed unless the same content already has
 * (set). 0 (landed or already there; out says which), or -1 with err. */
static int land_body(const struct extract_source *src, const struct source_url *su,
                     const char *landing_dir, const struct landing_set *set,
                     const struct fetch_result *fr, size_t max_bytes, const char *file_stat,
                     struct extract_outcome *out, struct mt_err *err)
{
    const char *url = su->url;
    struct decoded dec;
    memset(&dec, 0, sizeof dec);
    int rc = -1;
    int64_t rows = 0;
    if (decode_body_member(fr->body.buf, fr->body.len, max_bytes, src->member_suffix, &dec,
                           err) < 0)
        goto done;
    if (src->validate(dec.csv, dec.csv_len, &rows, err) < 0) {
        if (dec.format == DECODE_PLAIN && err->code == MT_ERR_FORMAT && src->plain_hint)
            /* nothing recognisable at all: say so before the CSV detail */
            mt_err_prefix(err, "%s", src->plain_hint);
        else
            mt_err_prefix(err, "%s", dec.member ? dec.member : "CSV");
        goto done;
    }
    char sha[HASH_HEX_LEN];
    hash_sha256_hex(dec.csv, dec.csv_len, sha);
    const struct landing_release *same = landing_find_sha256(set, sha);
    if (same) {
        log_info("extract: %s: content (sha256 %.12s…) already landed as %s", url, sha,
                 same->rel_path);
        rc = 0;
        goto done;
    }
    struct tm tm;
    const char *date_source;
    release_date(fr, &dec, &tm, &date_source);
    struct landing_new ln = {
        .source = src,
        .source_year = su->year,
        .etag_raw = fr->etag,
        .url = url,
        .last_modified = fr->last_modified,
        .year = tm.tm_year + 1900,
        .month = tm.tm_mon + 1,
        .day = tm.tm_mday,
        .csv = dec.csv,
        .csv_len = dec.csv_len,
        .rows = rows,
        .sha256 = sha,
        .file_stat = file_stat,
        .gzip = dec.gzip,
        .gzip_len = dec.gzip_len,
    };
    if (landing_write(landing_dir, &ln, &out->path, &out->bytes, err) < 0) goto done;
    out->landed = true;
    out->rows = rows;
    log_info("extract: %s: landed %s (%s %s, release date %04d-%02d-%02d from %s)", url,
             out->path, decode_format_name(dec.format), dec.member ? dec.member : "", ln.year,
             ln.month, ln.day, date_source);
    rc = 0;
done:
    decoded_free(&dec);
    return rc;
}

/* For a file:// URL: "<bytes>:<seconds>.<nanoseconds>" of the file it names (following
 * links), into out; false for any other URL or a file that cannot be stat'ed (the fetch
 * then reports the problem). */
static bool file_url_stat(const char *url, char *out, size_t outlen)
{
    if (strncasecmp(url, "file://", 7) != 0) return false;
    CURLU *u = curl_url();
    char *path = NULL, *host = NULL;
    bool ok = false;
    struct stat st;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) == CURLUE_OK &&
        (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host ||
         !strcasecmp(host, "localhost")) &&
        stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        snprintf(out, outlen, "%lld:%lld.%09ld", (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                 st.st_mtim.tv_nsec);
        ok = true;
    }
    curl_free(path);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

/* One URL of src, under the extract lock. 0 or -1 with "<url>: <problem>" in err. */
static int extract_url(const struct config *cfg, const struct extract_source *src,
                       const struct source_url *su, struct extract_outcome *out,
                       struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    const char *url = su->url;
    const char *landing_dir = cfg->s.landing_dir;
    /* every value below was checked by config_load (util/config.c's table) */
    struct fetch_opts fo = {
        .url = url,
        .connect_timeout_s = cfg->s.extract_connect_timeout_s,
        .timeout_s = cfg->s.extract_timeout_s,
        .retries = cfg->s.extract_retries,
        .backoff_ms = cfg->s.extract_backoff_ms,
        .max_bytes = (size_t)cfg->s.extract_max_bytes,
        .progress = isatty(STDERR_FILENO) == 1,
    };
    struct landing_set set;
    if (landing_scan_source(landing_dir, src, &set, err) < 0) return mt_err_prefix(err, "%s", url);
    /* PSD has one URL: its newest release is the one to ask about, whatever URL it came
     * from (as before sources existed). A source with several URLs asks about the newest
     * release landed from this very URL. */
    const struct landing_release *newest =
        src->meta_names_source ? landing_newest_for_url(&set, url) : landing_newest(&set);
    if (newest && newest->has_meta && strcmp(newest->etag, newest->sha256) != 0)
        fo.if_none_match = newest->etag;

    /* file://: taken before the file is read, so a rewrite during the read is seen next time */
    char fstat_buf[64];
    const char *fstat = file_url_stat(url, fstat_buf, sizeof fstat_buf) ? fstat_buf : NULL;
    const struct landing_release *same_url = landing_newest_for_url(&set, url);
    if (fstat && same_url && same_url->file_stat && !strcmp(same_url->file_stat, fstat)) {
        log_info("extract: %s: unchanged (size and modification time %s as when %s was landed)",
                 url, fstat, same_url->rel_path);
        landing_set_free(&set);
        return 0;
    }

    struct fetch_result fr;
    int rc = -1;
    if (fetch_url(&fo, &fr, err) < 0) {
        mt_err_prefix(err, "%s", url);
        goto done;
    }
    const struct landing_release *same;
    if (fr.not_modified) {
        log_info("extract: %s: 304 Not Modified (ETag %s)", url, fo.if_none_match);
        rc = 0;
    } else if ((same = landing_find_etag(&set, fr.etag)) &&
               /* several URLs: an ETag names content only at the URL that sent it */
               (!src->meta_names_source || (same->url && !strcmp(same->url, url)))) {
        log_info("extract: %s: ETag %s already landed as %s", url, fr.etag, same->rel_path);
        rc = 0;
    } else if ((rc = land_body(src, su, landing_dir, &set, &fr, fo.max_bytes, fstat, out, err)) < 0) {
        mt_err_prefix(err, "%s", url);
    }
done:
    fetch_result_free(&fr);
    landing_set_free(&set);
    return rc;
}

void extract_report_free(struct extract_report *rep)
{
    for (size_t i = 0; i < rep->n; i++) {
        free(rep->v[i].url);
        extract_outcome_free(&rep->v[i].out);
    }
    free(rep->v);
    memset(rep, 0, sizeof *rep);
}

int extract_source_run(const struct config *cfg, const struct extract_source *src,
                       struct extract_report *rep, struct mt_err *err)
{
    memset(rep, 0, sizeof *rep);
    rep->source = src;
    struct source_url *urls = NULL;
    size_t n = src->urls(cfg, &urls);
    if (n == 0) {
        source_urls_free(urls, n);
        return mt_errf(err, "%s: no URL to fetch", src->name);
    }
    int lock = extract_lock(cfg->s.landing_dir, err);
    if (lock < 0) {
        mt_err_prefix(err, "%s", urls[0].url);
        source_urls_free(urls, n);
        return -1;
    }
    rep->v = xmalloc(n * sizeof *rep->v);
    memset(rep->v, 0, n * sizeof *rep->v);
    rep->n = n;
    struct mt_err first = MT_ERR_INIT;
    for (size_t i = 0; i < n; i++) {
        struct extract_url_result *u = &rep->v[i];
        u->url = urls[i].url;
        urls[i].url = NULL;
        u->year = urls[i].year;
        struct mt_err e = MT_ERR_INIT;
        struct source_url su = {u->url, u->year};
        if (extract_url(cfg, src, &su, &u->out, &e) < 0) {
            u->failed = true;
            snprintf(u->error, sizeof u->error, "%s", e.msg);
            if (rep->failed++ == 0) first = e;
        } else if (u->out.landed) {
            rep->landed++;
        }
    }
    fs_lock_release(lock);
    source_urls_free(urls, n);
    if (rep->failed == 0) return 0;
    *err = first;
    if (rep->n > 1)
        mt_err_prefix(err, "%zu of %zu URLs failed, first", rep->failed, rep->n);
    return -1;
}

int extract_psd(const struct config *cfg, struct extract_outcome *out, struct mt_err *err)
{
    struct extract_report rep;
    int rc = extract_source_run(cfg, &source_psd, &rep, err);
    memset(out, 0, sizeof *out);
    if (rc == 0 && rep.n == 1) {
        *out = rep.v[0].out;
        memset(&rep.v[0].out, 0, sizeof rep.v[0].out);
    }
    extract_report_free(&rep);
    return rc;
}
