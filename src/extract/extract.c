/* extract.c — extract_psd(): the extract stage end to end (docs/ARCHITECTURE.md §1).
 *
 * Steps, each failing with "<url>: <problem>" and leaving LANDING_DIR untouched:
 *   1. scan the landing area (what is already landed, and the newest release's ETag);
 *   2. fetch PSD_SOURCE_URL, conditional on that ETag (fetch.c: timeouts, retries);
 *   3. a 304, or an ETag already landed, is "unchanged";
 *   4. decode the body (decode.c: zip / gzip / plain CSV by magic bytes, capped);
 *   5. validate the CSV (psd_csv.c) and hash it; content already landed is "unchanged";
 *   6. date it — Last-Modified, else the zip member's mtime, else now — and land it
 *      atomically (landing.c: meta first, data file last).
 * Only one extract runs at a time (LANDING_DIR.extract.lock, flock).
 * The ETag sent as If-None-Match is only ever one a server sent: a release named by its
 * SHA-256 (no server ETag, e.g. file://) sends none, and step 5 catches the repeat. */
#include "extract/extract.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extract/decode.h"
#include "extract/fetch.h"
#include "extract/landing.h"
#include "extract/psd_csv.h"
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
static int land_body(const char *url, const char *landing_dir, const struct landing_set *set,
                     const struct fetch_result *fr, size_t max_bytes, struct extract_outcome *out,
                     struct mt_err *err)
{
    struct decoded dec;
    memset(&dec, 0, sizeof dec);
    int rc = -1;
    int64_t rows = 0;
    if (decode_body(fr->body.buf, fr->body.len, max_bytes, &dec, err) < 0) goto done;
    if (psd_csv_validate(dec.csv, dec.csv_len, &rows, err) < 0) {
        if (dec.format == DECODE_PLAIN && err->code == MT_ERR_FORMAT)
            /* nothing recognisable at all: say so before the CSV detail */
            mt_err_prefix(err, "not a zip, gzip or PSD CSV file");
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

int extract_psd(const struct config *cfg, struct extract_outcome *out, struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    /* every value below was checked by config_load (util/config.c's table) */
    const char *url = cfg->s.psd_source_url;
    const char *landing_dir = cfg->s.landing_dir;
    struct fetch_opts fo = {
        .url = url,
        .connect_timeout_s = cfg->s.extract_connect_timeout_s,
        .timeout_s = cfg->s.extract_timeout_s,
        .retries = cfg->s.extract_retries,
        .backoff_ms = cfg->s.extract_backoff_ms,
        .max_bytes = (size_t)cfg->s.extract_max_bytes,
        .progress = isatty(STDERR_FILENO) == 1,
    };
    int lock = extract_lock(landing_dir, err);
    if (lock < 0) return mt_err_prefix(err, "%s", url);
    struct landing_set set;
    if (landing_scan(landing_dir, &set, err) < 0) {
        fs_lock_release(lock);
        return mt_err_prefix(err, "%s", url);
    }
    const struct landing_release *newest = landing_newest(&set);
    if (newest && newest->has_meta && strcmp(newest->etag, newest->sha256) != 0)
        fo.if_none_match = newest->etag;

    struct fetch_result fr;
    int rc = -1;
    fetch_global_init();
    if (fetch_url(&fo, &fr, err) < 0) {
        mt_err_prefix(err, "%s", url);
        goto done;
    }
    const struct landing_release *same;
    if (fr.not_modified) {
        log_info("extract: %s: 304 Not Modified (ETag %s)", url, fo.if_none_match);
        rc = 0;
    } else if ((same = landing_find_etag(&set, fr.etag))) {
        log_info("extract: %s: ETag %s already landed as %s", url, fr.etag, same->rel_path);
        rc = 0;
    } else if ((rc = land_body(url, landing_dir, &set, &fr, fo.max_bytes, out, err)) < 0) {
        mt_err_prefix(err, "%s", url);
    }
done:
    fetch_result_free(&fr);
    fetch_global_cleanup();
    landing_set_free(&set);
    fs_lock_release(lock);
    return rc;
}
