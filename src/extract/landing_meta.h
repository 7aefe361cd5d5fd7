/* landing_meta.h — the {etag}.meta.json sidecar of a landed release (ARCHITECTURE.md §1).
 *
 * Keys: etag, url, last_modified (string or null), release_date, landed_at, sha256,
 * csv_bytes, gzip_bytes, rows; and, for a source other than PSD (source set), source and
 * source_year (the URL's {YYYY}, or null); for a file:// URL, file_stat (the local file's
 * size and modification time when it was read: "<bytes>:<seconds>.<nanoseconds>", extract's
 * validator for that URL, as an ETag is for HTTP). The writer emits exactly these; the reader accepts any
 * flat JSON object (unknown keys ignored, missing ones left NULL / -1), so a meta file
 * written by a later version with extra keys still reads. */
#ifndef MATERIA_EXTRACT_LANDING_META_H
#define MATERIA_EXTRACT_LANDING_META_H

#include <stddef.h>
#include "util/err.h"
#include <stdint.h>

struct landing_meta {
    char *etag, *url, *last_modified, *release_date, *landed_at, *sha256; /* owned or NULL */
    int64_t csv_bytes, gzip_bytes, rows; /* -1 when absent */
    char *source;        /* owned or NULL; the writer emits source/source_year only when set */
    int64_t source_year; /* -1 when absent (written as null) */
    char *file_stat;     /* owned or NULL; written only when set (file:// URLs) */
};

void landing_meta_init(struct landing_meta *m);
void landing_meta_free(struct landing_meta *m);
/* Parses a flat JSON object. Returns 0, or -1 with the problem and byte offset in err. */
int landing_meta_parse(const char *json, size_t len, struct landing_meta *m, struct mt_err *err);
/* Formats m as pretty JSON with a trailing newline (malloc'd, caller frees). */
char *landing_meta_format(const struct landing_meta *m);

#endif
