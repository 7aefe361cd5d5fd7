/* plan_cmd.c — `materia plan`: what a run would do, and why (new / changed / downstream /
 * inputs / due / unchanged), without running anything or writing to the lakehouse. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util/err.h"
#include "transform/engine.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/db.h"
#include "util/fsutil.h"

static const char usage[] =
    "usage: materia plan [--execution-time TS]\n\n"
    "Compares the models under MATERIA_PROJECT_DIR with the live versions in DUCKDB_PATH and\n"
    "prints, per model in run order, what a run would do and why:\n"
    "  new, changed, downstream (a parent changed), inputs (its files changed),\n"
    "  due (cron / missing intervals, shown as [start, end)), unchanged.\n"
    "Runs nothing.\n\n"
    "  --execution-time TS   plan as of TS (YYYY-MM-DD[ HH:MM[:SS]], UTC)\n";

int plan_cmd_args(int argc, char **argv, const char *use, int64_t *exec_us, bool *full_check)
{
    static const struct option plan_opts[] = {{"execution-time", required_argument, NULL, 'e'},
                                              {NULL, 0, NULL, 0}};
    static const struct option run_opts[] = {{"execution-time", required_argument, NULL, 'e'},
                                             {"full-check", no_argument, NULL, 'f'},
                                             {NULL, 0, NULL, 0}};
    const char *exec = NULL;
    int c;
    optind = 1;
    opterr = 0;
    if (full_check) *full_check = false;
    while ((c = getopt_long(argc, argv, ":", full_check ? run_opts : plan_opts, NULL)) != -1) {
        if (c == 'e') exec = optarg;
        else if (c == 'f' && full_check) *full_check = true;
        else return cli_getopt_error(use, argv[0], c, argv);
    }
    if (optind < argc)
        return cli_usage_error(use, "%s: unexpected argument '%s'", argv[0], argv[optind]);
    struct mt_err err = MT_ERR_INIT;
    if (plan_exec_time(&g_config, exec, exec_us, &err) < 0)
        return cli_usage_error(use, "%s: %s", argv[0], err.msg);
    return MT_EXIT_OK;
}

int cmd_plan(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    int64_t exec_us;
    int urc = plan_cmd_args(argc, argv, usage, &exec_us, NULL);
    if (urc != MT_EXIT_OK) return urc;
    struct mt_err err = MT_ERR_INIT;
    const char *path = g_config.s.duckdb_path;
    struct db d;
    /* read-only: plan never writes; a missing lakehouse means everything is new */
    if (db_open(&d, fs_exists(path) ? path : ":memory:", fs_exists(path), 0, &err) < 0) {
        return cli_fail(err.msg);
    }
    struct plan pl;
    int rc = plan_build(&g_config, d.con, true, exec_us, &pl, &err);
    if (rc == 0) {
        /* which project and which lakehouse, and why: the environment may point DUCKDB_PATH
         * elsewhere than the project's config.yaml does */
        const char *keys[] = {"MATERIA_PROJECT_DIR", "DUCKDB_PATH"};
        for (size_t k = 0; k < 2; k++)
            for (size_t i = 0; i < g_config.n; i++) {
                const struct config_item *it = &g_config.items[i];
                if (strcmp(it->key, keys[k])) continue;
                char *src = config_source_describe(&g_config, it);
                printf("%s %s (%s)%s", k ? "lakehouse" : "project", it->value, src, k ? "\n" : ", ");
                free(src);
            }
        plan_print(&pl, stdout);
        plan_free(&pl);
    }
    db_close(&d);
    return rc < 0 ? cli_fail(err.msg) : MT_EXIT_OK;
}
