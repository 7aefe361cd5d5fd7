/* run_cmd.c — `materia run` (also `materia transform`): plan and run the models into the
 * lakehouse, one line per model (action, model, reason, time, rows), then a summary.
 * Opens DUCKDB_PATH read-write (creating its folder); exit 1 on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "commands.h"
#include "util/err.h"
#include "transform/engine.h"
#include "transform/transform.h"
#include "util/cli.h"
#include "util/clock.h"
#include "util/common.h"
#include "util/db.h"
#include "util/log.h"

static const char usage[] =
    "usage: materia run [--execution-time TS] [--full-check] [--environment ENV]\n"
    "                   [--restate-model MODEL ...] [--start S] [--end E]\n"
    "       materia transform (the same options)\n\n"
    "Runs the SQL models under MATERIA_PROJECT_DIR into DUCKDB_PATH: builds what is new,\n"
    "changed, downstream of a change, due by cron, or whose input files changed; audits each\n"
    "new version; then swaps the views in one transaction. Prints one line per model and\n"
    "'nothing to do' when everything is up to date.\n\n"
    "A run that finds nothing to do leaves DUCKDB_PATH.noop, a stamp of what that answer\n"
    "depended on (project files, input files, the lakehouse, configuration, the cron\n"
    "window); while none of it changes, the next run answers 'nothing to do' from the\n"
    "stamp without opening the lakehouse, and records no run in _materia.runs.\n\n"
    "  --execution-time TS   pretend the run happens at TS (YYYY-MM-DD[ HH:MM[:SS]], UTC);\n"
    "                        default MATERIA_EXECUTION_TIME, else now\n"
    "  --full-check          ignore the no-op stamp: open the lakehouse and plan\n"
    "  --environment ENV     run into a development environment (as `sqlmesh plan ENV`\n"
    "                        applied): views <schema>__ENV.<table>; models unchanged there\n"
    "                        point at prod's tables and are never built by it; changed ones\n"
    "                        (and their downstream) get new versions only ENV sees; prod and\n"
    "                        the serving export are untouched. `materia invalidate ENV`\n"
    "                        deletes it. Default prod.\n"
    "  --restate-model MODEL restate MODEL and its downstream models over [--start, --end)\n"
    "                        (repeatable; patterns as in `materia plan --help`): their\n"
    "                        intervals are cleared and processed again, FULL/VIEW models\n"
    "                        rebuilt; nothing else runs. disable_restatement models are\n"
    "                        skipped with a warning.\n"
    "  --start S, --end E    the restated range (default: earliest start to now)\n";

int cmd_run(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    struct plan_opts o;
    int urc = plan_cmd_args(argc, argv, usage, true, &o);
    if (urc != MT_EXIT_OK) return urc;
    int64_t exec_us = o.exec_us;
    struct mt_err err = MT_ERR_INIT;
    /* before the no-op stamp: a refused project must not get "nothing to do" */
    if (config_project_check(&g_config, &err) < 0) {
        plan_opts_free(&o);
        return cli_fail(err.msg);
    }
    size_t n_models;
    double t0 = clock_mono_ms();
    /* the stamp answers for prod's plain run only */
    if (!o.full_check && !o.env && !o.restate.n && noop_stamp_matches(&g_config, exec_us, &n_models)) {
        plan_opts_free(&o);
        log_debug("transform: the no-op stamp matches (%.1f ms): nothing to do, lakehouse not opened",
                  clock_mono_ms() - t0);
        printf("nothing to do (%zu models unchanged)\n", n_models);
        return MT_EXIT_OK;
    }
    noop_stamp_clear(&g_config);
    struct db d;
    if (transform_open_lakehouse(&g_config, &d, &err) < 0) {
        plan_opts_free(&o);
        return cli_fail(err.msg);
    }
    struct transform_outcome oc;
    double t1 = clock_mono_ms();
    char *stamp = NULL;
    int rc = runner_execute_opts(&g_config, d.con, &o, stdout, &oc, &stamp, &err);
    plan_opts_free(&o);
    double t2 = clock_mono_ms();
    if (rc == 0 && oc.models_rebuilt == 0) {
        /* A no-op run only appended its 'nothing_to_do' row, which is durable in the WAL.
         * Checkpointing on close costs more than the rest of the run (~35 ms CPU), but
         * every open replays the WAL (~0.3 ms per commit in it), so the checkpoint is
         * skipped only while the WAL is under 4 KiB (~20 no-op runs): measured best in
         * bench/RESULTS.md. Readers, read-only ones included, replay the WAL on open. */
        char *wal = xasprintf("%s.wal", g_config.s.duckdb_path);
        struct stat st;
        if (stat(wal, &st) == 0 && st.st_size < 4096)
            db_exec(d.con, "PRAGMA disable_checkpoint_on_shutdown", &err);
        free(wal);
    }
    db_close(&d);
    if (stamp) noop_stamp_write(&g_config, stamp); /* after close: it records the lakehouse as closed */
    free(stamp);
    log_debug("transform: open %.1f ms, run %.1f ms, close %.1f ms", t1 - t0, t2 - t1, clock_mono_ms() - t2);
    return rc < 0 ? cli_fail(err.msg) : MT_EXIT_OK;
}
