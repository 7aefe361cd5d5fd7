/* landing_cmd.c — `materia landing list`: the landed releases, newest last.
 *
 * Reads the meta files (landing.h); a data file without one is described from the file
 * itself. Output is tab-separated with a header line, one release per line:
 *   release_date  etag  bytes  rows  landed_at  file
 * bytes is the size of the landed .csv.gzip; file is relative to LANDING_DIR. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util/err.h"
#include "extract/landing.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"

static const char usage_landing[] =
    "usage: materia landing list [--help]\n"
    "\n"
    "List the releases landed under LANDING_DIR, oldest first, newest last:\n"
    "release_date, etag, bytes (of the .csv.gzip), rows, landed_at, file (tab-separated,\n"
    "with a header line).\n";

static int landing_list(void)
{
    const char *dir = g_config.s.landing_dir;
    struct landing_set set;
    struct mt_err err = MT_ERR_INIT;
    if (landing_scan(dir, &set, &err) < 0) {
        cli_error("landing list: %s", err.msg);
        return MT_EXIT_FAIL;
    }
    printf("release_date\tetag\tbytes\trows\tlanded_at\tfile\n");
    for (size_t i = 0; i < set.n; i++) {
        const struct landing_release *r = &set.v[i];
        printf("%s\t%s\t%lld\t%lld\t%s\t%s\n", r->release_date, r->etag,
               (long long)r->gzip_bytes, (long long)r->rows, r->landed_at, r->rel_path);
    }
    landing_set_free(&set);
    return MT_EXIT_OK;
}

int cmd_landing(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error(usage_landing, "which action? (list)");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) return cli_help(usage_landing);
    if (strcmp(argv[1], "list") != 0) {
        if (argv[1][0] == '-')
            return cli_usage_error(usage_landing, "unknown option '%s'", argv[1]);
        return cli_usage_error(usage_landing, "unknown action '%s'", argv[1]);
    }
    if (cli_wants_help(argc - 1, argv + 1)) return cli_help(usage_landing);
    if (argc > 2) return cli_usage_error(usage_landing, "unexpected argument '%s'", argv[2]);
    return landing_list();
}
