/* export_cmd.c — `materia export-serving`: publish serving.duckdb from the lakehouse.
 *
 * The standalone form of the pipeline's export_serving step. It opens the lakehouse
 * READ-ONLY (so it never races the pipeline's writer for DuckDB's lock: if a pipeline is
 * running, the open fails with DuckDB's lock message) and hands the connection to
 * serving_export() (export.c), which does all the work. */
#include <stdio.h>

#include "commands.h"
#include "util/err.h"
#include "serving/cdn_purge.h"
#include "serving/export.h"
#include "serving/publish.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/db.h"
#include "util/fsutil.h"

static const char usage[] =
    "usage: materia export-serving\n\n"
    "Copies every table and view of schema `serving` in the lakehouse (DUCKDB_PATH) into a\n"
    "new serving_new.duckdb beside SERVING_DUCKDB_PATH, with a _snapshot table of row\n"
    "counts and checksums, verifies it, keeps the live file as serving.prev.duckdb and\n"
    "renames the new one into place. Refuses (nothing changed) when the last transform run\n"
    "did not succeed or a serving table is empty. The lakehouse is opened read-only.\n\n"
    "With SERVING_PUBLISH_URL set (s3://bucket/prefix/), the new snapshot is then uploaded\n"
    "as {snapshot_id}.duckdb, LATEST.json is written last, and snapshots beyond\n"
    "SERVING_PUBLISH_KEEP are deleted; replicas follow it (`materia serve --follow`). A failed\n"
    "publish exits non-zero; the local snapshot stays live.\n"
    "With CDN_PURGE_URL set, then purges the CDN's cached API answers (docs/CDN.md); when\n"
    "that fails the snapshot stays published and the exit status is 4.\n\n"
    "Test hook: MATERIA_CRASH_AT=<point> kills the process with SIGKILL at a named point\n"
    "(mid_copy, after_copy, after_checkpoint, after_fsync, after_verify, after_link_prev,\n"
    "after_rename), for the crash-safety tests.\n";

int cmd_export_serving(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    if (argc > 1) return cli_usage_error(usage, "export-serving takes no arguments ('%s')", argv[1]);
    const char *lake_path = g_config.s.duckdb_path;
    if (!fs_exists(lake_path)) {
        cli_error("export-serving: lakehouse %s does not exist (run the transform first)",
                lake_path);
        return MT_EXIT_FAIL;
    }
    struct mt_err err = MT_ERR_INIT;
    /* a publish or a purge that cannot work is refused before anything is exported */
    if (cdn_purge_check(&g_config, &err) < 0 ||
        (publish_enabled(&g_config.s) && publish_check(&g_config.s, &err) < 0)) {
        cli_error("export-serving: %s", err.msg);
        return MT_EXIT_FAIL;
    }
    struct db lake;
    if (db_open(&lake, lake_path, true, 0, &err) < 0) {
        cli_error("export-serving: %s", err.msg);
        return MT_EXIT_FAIL;
    }
    struct export_outcome out;
    int rc = serving_export(&g_config, lake.con, &out, &err);
    db_close(&lake);
    if (rc < 0) {
        cli_error("export-serving: %s", err.msg);
        return MT_EXIT_FAIL;
    }
    printf("export-serving: published snapshot %s (%d tables, %lld rows) to %s\n", out.snapshot_id,
           out.tables, (long long)out.rows, g_config.s.serving_duckdb_path);
    if (publish_enabled(&g_config.s)) {
        /* the local snapshot stays live whatever happens here; a failed publish fails the
         * command (replicas stay on the previous manifest) */
        struct publish_result pr;
        if (publish_snapshot(&g_config.s, &pr, &err) < 0) {
            cli_error("export-serving: snapshot %s is live locally but was not published: %s",
                      out.snapshot_id, err.msg);
            return MT_EXIT_FAIL;
        }
        printf("export-serving: published snapshot %s to %s (%lld bytes, %s; %d older pruned)\n",
               pr.m.snapshot_id, g_config.s.serving_publish_url, (long long)pr.m.size,
               pr.parts ? "multipart" : "one PUT", pr.pruned);
    }
    if (cdn_purge_after_export(&g_config, out.snapshot_id, &err) < 0) {
        cli_error("export-serving: published, but %s", err.msg);
        return CDN_PURGE_EXIT;
    }
    return MT_EXIT_OK;
}
