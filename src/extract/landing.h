/* landing.h — the landing area on disk (docs/ARCHITECTURE.md §1): scan, name, write.
 *
 *   $LANDING_DIR/{source}/{YYYY}/{MM}/{etag}.csv.gzip    the data exactly as published, gzipped
 *   $LANDING_DIR/{source}/{YYYY}/{MM}/{etag}.meta.json   what extract knew when it landed it
 *
 * {source} is the source's name (source.h: psd, cot); each source's folder is scanned on
 * its own, so dedup by ETag and SHA-256 is per source.
 *
 * The data file is the commit point: a release exists when its .csv.gzip exists. Its meta
 * file is written first; a meta file without a data file is ignored by the scan. A data
 * file without a meta file (landed by hand, or by an older tool) still counts: its
 * release is described from the path and from the file itself (rows counted, SHA-256
 * computed). Nothing here ever modifies or removes a landed file. */
#ifndef MATERIA_EXTRACT_LANDING_H
#define MATERIA_EXTRACT_LANDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"
#include "util/err.h"

#define LANDING_ETAG_MAX 100

struct landing_release {
    char *data_path;      /* full path of the .csv.gzip */
    char *rel_path;       /* the same, relative to LANDING_DIR */
    char *etag;           /* raw ETag (or sha256) from meta; the file stem without meta */
    char *url;            /* NULL without meta */
    char *last_modified;  /* NULL when the server sent none, or without meta */
    char *release_date;   /* YYYY-MM-DD; YYYY-MM without meta */
    char *landed_at;      /* ISO-8601 UTC; the data file's mtime without meta */
    char sha256[HASH_HEX_LEN]; /* of the uncompressed CSV ("" if unreadable) */
    int64_t csv_bytes, gzip_bytes, rows; /* rows -1 if unknown */
    int64_t source_year;  /* meta's source_year, -1 when absent */
    char *file_stat;      /* meta's file_stat (file:// URLs), NULL when absent */
    bool has_meta;
};

struct extract_source;

struct landing_set {
    struct landing_release *v; /* sorted: oldest landed_at first, newest last */
    size_t n;
};

/* Scans LANDING_DIR/<src->name>. A missing landing dir is an empty set, not an error. */
int landing_scan_source(const char *landing_dir, const struct extract_source *src,
                        struct landing_set *out, struct mt_err *err);
/* landing_scan_source for PSD. */
int landing_scan(const char *landing_dir, struct landing_set *out, struct mt_err *err);
void landing_set_free(struct landing_set *s);
/* The newest release (latest landed_at), or NULL for an empty set. */
const struct landing_release *landing_newest(const struct landing_set *s);
/* A release with this raw ETag / this CSV SHA-256, or NULL. */
const struct landing_release *landing_find_etag(const struct landing_set *s, const char *etag);
const struct landing_release *landing_find_sha256(const struct landing_set *s, const char *sha);
/* The newest release (with meta) fetched from url, or NULL. */
const struct landing_release *landing_newest_for_url(const struct landing_set *s, const char *url);

/* Makes raw (a server ETag) safe as a file name: keeps [A-Za-z0-9._-], drops '"', maps
 * every other byte to '_', never starts with '.', at most LANDING_ETAG_MAX characters.
 * out must hold LANDING_ETAG_MAX + 1 bytes. The result may be "" (e.g. for `""`): the
 * caller then names the release by its SHA-256. */
void landing_sanitize_etag(const char *raw, char out[LANDING_ETAG_MAX + 1]);

struct landing_new {
    const struct extract_source *source; /* NULL: PSD */
    int source_year;            /* the URL's {YYYY}, or 0 */
    const char *etag_raw;       /* server ETag or NULL */
    const char *url;
    const char *last_modified;  /* raw header or NULL */
    int year, month, day;       /* release date (decides {YYYY}/{MM}) */
    const char *csv;
    size_t csv_len;
    int64_t rows;
    const char *sha256;         /* hex of csv */
    const char *file_stat;      /* file:// URLs: the local file's size and mtime (meta), or NULL */
    /* csv already gzipped (decode.h: a zip member's own deflate stream rewrapped), or NULL:
     * landing_write then compresses csv itself */
    const unsigned char *gzip;
    size_t gzip_len;
};

/* Lands one release atomically: meta first, then the data file (both tmp + fsync +
 * link-no-replace + fsync dir). On success *data_path (caller frees) and *gzip_bytes are
 * set. On failure nothing new is left under landing_dir (files or directories). */
int landing_write(const char *landing_dir, const struct landing_new *r, char **data_path,
                  int64_t *gzip_bytes, struct mt_err *err);

#endif
