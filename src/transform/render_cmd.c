/* render_cmd.c — `materia render MODEL`: the model's SQL after macro expansion, as a run
 * would execute it (@this_model names its physical table for the current fingerprint). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util/err.h"
#include "transform/engine.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/db.h"

static const char usage[] =
    "usage: materia render [--start DS] [--end DS] [--execution-time TS] MODEL\n\n"
    "Prints MODEL's query (schema.table) after macro expansion. The interval defaults to\n"
    "the last complete cron interval before the execution time; --end is exclusive.\n";

int cmd_render(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    static const struct option opts[] = {{"start", required_argument, NULL, 's'}, {"end", required_argument, NULL, 'n'},
                                         {"execution-time", required_argument, NULL, 'e'}, {NULL, 0, NULL, 0}};
    const char *exec = NULL, *start = NULL, *end = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'e') exec = optarg;
        else if (c == 's') start = optarg;
        else if (c == 'n') end = optarg;
        else return cli_getopt_error(usage, argv[0], c, argv);
    }
    if (optind + 1 != argc) return cli_usage_error(usage, "%s: expected one MODEL", argv[0]);
    struct mt_err err = MT_ERR_INIT;
    int64_t exec_us, s_us = 0, e_us = 0;
    if (plan_exec_time(&g_config, exec, &exec_us, &err) < 0) return cli_usage_error(usage, "%s", err.msg);
    if ((start && time_parse(start, &s_us) < 0) || (end && time_parse(end, &e_us) < 0))
        return cli_usage_error(usage, "--start/--end: expected YYYY-MM-DD[ HH:MM[:SS]]");
    struct db d;
    if (db_open(&d, ":memory:", false, 1, &err) < 0) {
        return cli_fail(err.msg);
    }
    struct plan pl;
    int rc = plan_build(&g_config, d.con, false, exec_us, &pl, &err);
    if (rc == 0) {
        long i = project_find(&pl.proj, argv[optind]);
        const struct plan_item *it = NULL;
        for (size_t k = 0; k < pl.n && i >= 0; k++)
            if (pl.items[k].m == (size_t)i) it = &pl.items[k];
        if (!it) {
            mt_errf(&err, "no model named '%s' under %s", argv[optind], pl.proj.dir);
            rc = -1;
        } else if (pl.proj.models[i].kind == KIND_SEED) {
            printf("-- SEED %s: rows of %s\n", pl.proj.models[i].name, pl.proj.models[i].seed_path);
        } else {
            const struct model *m = &pl.proj.models[i];
            if (!end) e_us = cron_floor(m->unit, exec_us);
            if (!start) s_us = cron_floor(m->unit, e_us - 1);
            struct render_ctx ctx = {.cfg = &g_config, .this_model = it->physical, .start_us = s_us, .end_us = e_us,
                                     .exec_us = exec_us};
            strbuf sb;
            sb_init(&sb);
            rc = macro_render(m->query, m->file, m->query_line, &ctx, &sb, &err);
            if (rc == 0) printf("%s\n", sb.buf);
            sb_free(&sb);
        }
        plan_free(&pl);
    }
    db_close(&d);
    return rc < 0 ? cli_fail(err.msg) : MT_EXIT_OK;
}
