/* plan_cmd.c — `materia plan`: what a run would do, and why (new / changed / downstream /
 * inputs / due / restated / unchanged), without running anything or writing to the
 * lakehouse; and the options `plan` and `run` share (plan_cmd_args). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util/err.h"
#include "transform/engine.h"
#include "transform/env.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/db.h"
#include "util/fsutil.h"

static const char usage[] =
    "usage: materia plan [ENVIRONMENT] [--execution-time TS]\n"
    "                    [--restate-model MODEL ...] [--start S] [--end E]\n\n"
    "Compares the models under MATERIA_PROJECT_DIR with the live versions in DUCKDB_PATH and\n"
    "prints, per model in run order, what a run would do and why:\n"
    "  new, changed, downstream (a parent changed), inputs (its files changed),\n"
    "  due (cron / missing intervals, shown as [start, end)), restated, unchanged.\n"
    "Runs nothing.\n\n"
    "  ENVIRONMENT            plan against a development environment (as `sqlmesh plan dev`):\n"
    "                         its views are <schema>__ENVIRONMENT.<table>; models unchanged\n"
    "                         there reuse prod's tables (shown 'promote' by `materia run\n"
    "                         --environment`), changed ones get versions only it sees.\n"
    "                         Default prod. Also --environment ENVIRONMENT.\n"
    "  --execution-time TS    plan as of TS (YYYY-MM-DD[ HH:MM[:SS]], UTC)\n"
    "  --restate-model MODEL  a restatement plan (repeatable): MODEL and every model\n"
    "                         downstream of it get the intervals in [--start, --end)\n"
    "                         cleared and processed again (FULL and VIEW models and\n"
    "                         INCREMENTAL_BY_UNIQUE_KEY ones are rebuilt whole); no other\n"
    "                         model runs. MODEL is a name, a pattern with * (sushi.*),\n"
    "                         tag:TAG, +MODEL (and its upstream) or MODEL+ (and its\n"
    "                         downstream). Models with disable_restatement true, and seeds,\n"
    "                         are skipped with a warning. Refused while the project has\n"
    "                         changes the environment does not have (run them first).\n"
    "  --start S, --end E     the restated range (dates or timestamps, UTC; a date as --end\n"
    "                         includes that day); default: the earliest model start to the\n"
    "                         execution time\n";

int plan_cmd_args(int argc, char **argv, const char *use, bool is_run, struct plan_opts *o)
{
    static const struct option opts[] = {{"execution-time", required_argument, NULL, 'e'},
                                         {"environment", required_argument, NULL, 'E'},
                                         {"restate-model", required_argument, NULL, 'r'},
                                         {"start", required_argument, NULL, 's'},
                                         {"end", required_argument, NULL, 'n'},
                                         {"full-check", no_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    const char *exec = NULL, *env = NULL;
    int c;
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'e') exec = optarg;
        else if (c == 'E') env = optarg;
        else if (c == 'r') strlist_push(&o->restate, optarg);
        else if (c == 's') o->start = optarg;
        else if (c == 'n') o->end = optarg;
        else if (c == 'f' && is_run) o->full_check = true;
        else {
            plan_opts_free(o);
            return cli_getopt_error(use, argv[0], c, argv);
        }
    }
    /* `plan dev`, as `sqlmesh plan dev` */
    if (!is_run && !env && optind < argc) env = argv[optind++];
    if (optind < argc) {
        plan_opts_free(o);
        return cli_usage_error(use, "%s: unexpected argument '%s'", argv[0], argv[optind]);
    }
    struct mt_err err = MT_ERR_INIT;
    if (env) {
        o->env = xstrdup(env);
        if (env_name_check(o->env, &err) < 0) {
            plan_opts_free(o);
            return cli_usage_error(use, "%s: %s", argv[0], err.msg);
        }
        if (!strcmp(o->env, "prod")) {
            free(o->env);
            o->env = NULL;
        }
    }
    if ((o->start || o->end) && o->restate.n == 0) {
        /* plan/builder.py _ensure_valid_date_range, for prod; materia's dev plans too run
         * every missing interval */
        plan_opts_free(o);
        return cli_usage_error(use, "%s: --start/--end are not supported by materia without --restate-model: "
                               "a run processes every missing interval", argv[0]);
    }
    if (plan_exec_time(&g_config, exec, &o->exec_us, &err) < 0) {
        plan_opts_free(o);
        return cli_usage_error(use, "%s: %s", argv[0], err.msg);
    }
    return MT_EXIT_OK;
}

void plan_opts_free(struct plan_opts *o)
{
    free(o->env);
    strlist_free(&o->restate);
    memset(o, 0, sizeof *o);
}

int cmd_plan(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    struct plan_opts o;
    int urc = plan_cmd_args(argc, argv, usage, false, &o);
    if (urc != MT_EXIT_OK) return urc;
    struct mt_err err = MT_ERR_INIT;
    const char *path = g_config.s.duckdb_path;
    struct db d;
    /* read-only: plan never writes; a missing lakehouse means everything is new */
    if (db_open(&d, fs_exists(path) ? path : ":memory:", fs_exists(path), 0, &err) < 0) {
        plan_opts_free(&o);
        return cli_fail(err.msg);
    }
    struct plan pl;
    int rc = plan_build_env(&g_config, d.con, true, o.exec_us, o.env, &pl, &err);
    if (rc == 0 && (env_plan_apply(&pl, d.con, &err) < 0 || (o.restate.n && restate_apply(&pl, d.con, &o, &err) < 0))) {
        plan_free(&pl);
        rc = -1;
    }
    if (rc == 0) {
        if (pl.env) printf("environment %s (views <schema>__%s.<table>)\n", pl.env, pl.env);
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
    plan_opts_free(&o);
    return rc < 0 ? cli_fail(err.msg) : MT_EXIT_OK;
}
