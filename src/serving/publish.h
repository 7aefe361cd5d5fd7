/* publish.h — publishing serving snapshots to a bucket, and the manifest format replicas
 * read (docs/ARCHITECTURE.md, "Scaling out").
 *
 * Layout under SERVING_PUBLISH_URL (s3://bucket/prefix/):
 *   <prefix><snapshot_id>.duckdb   one object per published snapshot, never rewritten
 *   <prefix>LATEST.json            the manifest: {"snapshot_id", "sha256", "size",
 *                                  "created_at", "file"}; written LAST, after its file is
 *                                  complete, so a reader never sees a manifest before its file
 * created_at is the snapshot's own _snapshot.created_at ("YYYY-MM-DDTHH:MM:SSZ", the text
 * `serve`'s /health shows), so a replica can refuse a manifest older than what it serves. */
#ifndef MATERIA_SERVING_PUBLISH_H
#define MATERIA_SERVING_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>

#include <duckdb.h>

#include "serving/s3.h"
#include "util/config.h"
#include "util/err.h"

#define PUBLISH_MANIFEST "LATEST.json"
#define PUBLISH_ID_MAX 64

struct publish_manifest {
    char snapshot_id[PUBLISH_ID_MAX];
    char sha256[65];
    int64_t size;
    char created_at[32];
};

struct publish_result {
    struct publish_manifest m;
    int parts;   /* 0: one PUT; else the multipart upload's parts */
    int pruned;  /* older snapshots deleted */
};

/* The S3 options of the settings (S3_ENDPOINT, AWS_*, SERVING_PUBLISH_PART_MB). */
void publish_s3_opts(const struct settings *s, struct s3_opts *o);

/* Whether SERVING_PUBLISH_URL is set; and its check (URL, credentials), run before an
 * export starts so a publish that cannot work is refused before anything is done. */
bool publish_enabled(const struct settings *s);
int publish_check(const struct settings *s, struct mt_err *err);

/* Publishes the live snapshot SERVING_DUCKDB_PATH: its object, then LATEST.json, then
 * prunes snapshots beyond SERVING_PUBLISH_KEEP (never the one just named). The file is
 * read through one descriptor (so a later export renaming a new file into place cannot mix
 * two snapshots) and must still be the live file when the manifest is written. Returns 0,
 * or -1 with the reason in err; a failure to prune is only a warning (the publish is done). */
int publish_snapshot(const struct settings *s, struct publish_result *out, struct mt_err *err);

/* Whether the bucket's LATEST.json names the live snapshot (a missing manifest: no). The
 * pipeline asks when it skips an export, so a publish that failed is retried by the next
 * run even though the lakehouse has not changed since. */
int publish_is_current(const struct settings *s, bool *current, struct mt_err *err);

/* The manifest as JSON (caller frees), and back: -1 with err for text that is not a
 * manifest (missing or mistyped field, an id with characters a key cannot hold). */
char *publish_manifest_json(const struct publish_manifest *m);
int publish_manifest_parse(const char *text, struct publish_manifest *m, struct mt_err *err);

/* Reads snapshot_id and created_at from a serving file's _snapshot (read-only open). */
/* The same read on a connection already open on the snapshot (path: for errors). */
int publish_query_identity(duckdb_connection con, const char *path, char *id, size_t idlen, char *created,
                           size_t createdlen, struct mt_err *err);
int publish_read_identity(const char *path, char *id, size_t idlen, char *created, size_t createdlen,
                          struct mt_err *err);
/* The same from the file open on fd (through /proc/self/fd: the inode fd refers to, even if
 * another file was renamed over `path` since), path naming it in errors. */
int publish_read_identity_fd(int fd, const char *path, char *id, size_t idlen, char *created, size_t createdlen,
                             struct mt_err *err);

#endif
