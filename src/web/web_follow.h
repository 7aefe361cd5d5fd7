/* web_follow.h — `materia serve --follow s3://bucket/prefix/`: a replica that keeps
 * SERVING_DUCKDB_PATH equal to the snapshot the bucket's LATEST.json names
 * (serving/publish.h has the layout).
 *
 * One thread per process polls LATEST.json every SERVING_FOLLOW_POLL_S with a conditional
 * GET (If-None-Match: the last ETag). When the manifest names a snapshot this replica has
 * not installed, it downloads {id}.duckdb to a temporary file beside SERVING_DUCKDB_PATH,
 * checks its size and sha256 against the manifest, opens it read-only and runs the
 * reader's own checks (serving_snapshot_check: the contract's tables and every checksum)
 * and that its _snapshot names the manifest's id and created_at, fsyncs it and renames it over
 * SERVING_DUCKDB_PATH (fs_publish). The reader (web_snapshot.c) sees the new inode on the
 * next request and swaps, as it does for a local export. Anything that fails leaves the
 * file in place untouched and the temporary removed; the reason shows in /health and a
 * later poll tries again (the same snapshot not before 30 s: web_follow.c). A manifest
 * whose created_at is older than the installed snapshot's is refused (a replica never
 * goes backwards), as is one that cannot be parsed, or whose created_at is not its
 * snapshot's own (a forged date cannot carry an old snapshot past that order, nor hold
 * back the next good one: the installed created_at is the verified file's). Temporary
 * files left by a killed replica are removed at start. Replica errors do not change
 * /health's status (a bucket outage must not make an active load-balancer check drop
 * every replica at once). */
#ifndef MATERIA_WEB_FOLLOW_H
#define MATERIA_WEB_FOLLOW_H

#include "util/config.h"
#include "util/err.h"
#include "util/strbuf.h"

/* Checks url and the credentials and starts the thread (one per process). -1 with err
 * (naming --follow) when it cannot work. */
int web_follow_start(const char *url, const struct settings *s, struct mt_err *err);
void web_follow_stop(void);
/* Appends ,"replica":{...} to /health's object when following; nothing otherwise.
 * served_id: the snapshot the reader serves now ("" if none). */
void web_follow_health(strbuf *sb, const char *served_id);

#endif
