/* pipeline_cmd.c — `materia pipeline list` and `materia pipeline run NAME` (pipeline.c).
 *
 * Logs (one summary line per step) go to stdout. Exit codes: 0 a step did work, 3 nothing
 * to do, 1 a step failed (or a SIGTERM/SIGINT stopped the run between steps), 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "util/err.h"
#include "pipeline/pipeline.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/log.h"

static const char usage[] =
    "usage: materia pipeline list\n"
    "       materia pipeline run NAME\n\n"
    "Pipelines: extract, transform, export_serving, all (the three in order, stopping at\n"
    "the first failure; export only when a release landed, a model was rebuilt, or serving\n"
    "is missing). Each run is recorded in the lakehouse's _materia.runs (kind 'pipeline').\n"
    "SIGTERM/SIGINT stop the run between steps.\n\n"
    "Exit status: 0 did work, 3 nothing to do, 1 failed, 2 usage error.\n";

int cmd_pipeline(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    if (argc < 2) return cli_usage_error(usage, "pipeline needs a subcommand: list or run");
    if (!strcmp(argv[1], "list")) {
        if (argc != 2) return cli_usage_error(usage, "pipeline list takes no arguments");
        pipeline_list();
        return MT_EXIT_OK;
    }
    if (strcmp(argv[1], "run") != 0) return cli_usage_error(usage, "unknown pipeline subcommand '%s'", argv[1]);
    if (argc != 3) return cli_usage_error(usage, "pipeline run needs exactly one NAME");
    if (!pipeline_known(argv[2])) return cli_usage_error(usage, "unknown pipeline '%s'", argv[2]);
    log_set_fd(STDOUT_FILENO);
    if (pipeline_install_stop_handler() < 0) {
        struct mt_err err = MT_ERR_INIT;
        mt_errf(&err, "cannot install the SIGTERM/SIGINT handler: %s", strerror(errno));
        return cli_fail(err.msg);
    }
    int rc = pipeline_run(&g_config, argv[2]);
    return rc == PIPELINE_STOPPED ? MT_EXIT_FAIL : rc;
}
