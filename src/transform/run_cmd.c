/* run_cmd.c — `materia run` (also `materia transform`): plan and run the models into the
 * lakehouse, one line per model (action, model, reason, time, rows), then a summary.
 * Opens DUCKDB_PATH read-write (creating its folder); exit 1 on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "commands.h"
#include "transform/engine.h"
#include "transform/transform.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/db.h"
#include "util/log.h"

static const char usage[] =
    "usage: materia run [--execution-time TS]\n"
    "       materia transform [--execution-time TS]\n\n"
    "Runs the SQL models under MATERIA_PROJECT_DIR into DUCKDB_PATH: builds what is new,\n"
    "changed, downstream of a change, due by cron, or whose input files changed; audits each\n"
    "new version; then swaps the views in one transaction. Prints one line per model and\n"
    "'nothing to do' when everything is up to date.\n\n"
    "  --execution-time TS   pretend the run happens at TS (YYYY-MM-DD[ HH:MM[:SS]], UTC);\n"
    "                        default MATERIA_EXECUTION_TIME, else now\n";

int cmd_run(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    int64_t exec_us;
    int urc = plan_cmd_args(argc, argv, usage, &exec_us);
    if (urc != MT_EXIT_OK) return urc;
    char err[MT_ERR_LEN];
    struct db d;
    double t0 = time_mono_ms();
    if (transform_open_lakehouse(&g_config, &d, err, sizeof err) < 0) {
        fprintf(stderr, "materia: %s\n", err);
        return MT_EXIT_FAIL;
    }
    struct transform_outcome oc;
    double t1 = time_mono_ms();
    int rc = runner_execute(&g_config, d.con, exec_us, stdout, &oc, err, sizeof err);
    double t2 = time_mono_ms();
    if (rc == 0 && oc.models_rebuilt == 0) {
        /* A no-op run only appended its 'nothing_to_do' row, which is durable in the WAL.
         * Checkpointing on close costs more than the rest of the run (~35 ms CPU), but
         * every open replays the WAL (~0.3 ms per commit in it), so the checkpoint is
         * skipped only while the WAL is under 4 KiB (~20 no-op runs): measured best in
         * bench/RESULTS.md. Readers, read-only ones included, replay the WAL on open. */
        char *wal = xasprintf("%s.wal", config_get(&g_config, "DUCKDB_PATH"));
        struct stat st;
        if (stat(wal, &st) == 0 && st.st_size < 4096)
            db_exec(d.con, "PRAGMA disable_checkpoint_on_shutdown", err, sizeof err);
        free(wal);
    }
    db_close(&d);
    log_debug("transform: open %.1f ms, run %.1f ms, close %.1f ms", t1 - t0, t2 - t1, time_mono_ms() - t2);
    if (rc < 0) {
        fprintf(stderr, "materia: %s\n", err);
        return MT_EXIT_FAIL;
    }
    return MT_EXIT_OK;
}
