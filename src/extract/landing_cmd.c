/* landing_cmd.c — `materia landing list [--source S]`: the landed releases, newest last.
 *
 * Reads the meta files (landing.h) of every source's folder, or of S's only; a data file
 * without one is described from the file itself. Output is tab-separated with a header
 * line, one release per line, all sources merged by landed_at (then path):
 *   release_date  etag  bytes  rows  landed_at  file
 * bytes is the size of the landed .csv.gzip; file is relative to LANDING_DIR and starts
 * with the source's folder (psd/..., cot/...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util/err.h"
#include "extract/landing.h"
#include "extract/source.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/strbuf.h"

static const char usage_landing[] =
    "usage: materia landing list [--source psd|cot] [--help]\n"
    "\n"
    "List the releases landed under LANDING_DIR, oldest first, newest last:\n"
    "release_date, etag, bytes (of the .csv.gzip), rows, landed_at, file (tab-separated,\n"
    "with a header line; file is relative to LANDING_DIR and starts with the source).\n"
    "Every source by default; --source S lists S's only.\n";

static int cmp_ptr(const void *a, const void *b)
{
    const struct landing_release *x = *(const struct landing_release *const *)a;
    const struct landing_release *y = *(const struct landing_release *const *)b;
    int c = strcmp(x->landed_at, y->landed_at);
    return c ? c : strcmp(x->rel_path, y->rel_path);
}

static int landing_list(const struct extract_source *only)
{
    const char *dir = g_config.s.landing_dir;
    struct landing_set sets[8];
    size_t nsets = 0, total = 0;
    int rc = MT_EXIT_OK;
    for (size_t i = 0; i < extract_sources_n && nsets < MT_ARRAY_LEN(sets); i++) {
        if (only && extract_sources[i] != only) continue;
        struct mt_err err = MT_ERR_INIT;
        if (landing_scan_source(dir, extract_sources[i], &sets[nsets], &err) < 0) {
            cli_error("landing list: %s", err.msg);
            rc = MT_EXIT_FAIL;
            break;
        }
        total += sets[nsets++].n;
    }
    if (rc == MT_EXIT_OK) {
        const struct landing_release **v = xmalloc((total ? total : 1) * sizeof *v);
        size_t k = 0;
        for (size_t s = 0; s < nsets; s++)
            for (size_t i = 0; i < sets[s].n; i++) v[k++] = &sets[s].v[i];
        if (k > 1) qsort(v, k, sizeof *v, cmp_ptr);
        printf("release_date\tetag\tbytes\trows\tlanded_at\tfile\n");
        for (size_t i = 0; i < k; i++)
            printf("%s\t%s\t%lld\t%lld\t%s\t%s\n", v[i]->release_date, v[i]->etag,
                   (long long)v[i]->gzip_bytes, (long long)v[i]->rows, v[i]->landed_at,
                   v[i]->rel_path);
        free(v);
    }
    for (size_t s = 0; s < nsets; s++) landing_set_free(&sets[s]);
    return rc;
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
    const struct extract_source *only = NULL;
    for (int i = 2; i < argc; i++) {
        const char *val = NULL;
        if (!strcmp(argv[i], "--source")) {
            if (i + 1 >= argc) return cli_usage_error(usage_landing, "--source needs a source (psd or cot)");
            val = argv[++i];
        } else if (!strncmp(argv[i], "--source=", 9)) {
            val = argv[i] + 9;
        } else { /* an unknown option too, as before --source existed */
            return cli_usage_error(usage_landing, "unexpected argument '%s'", argv[i]);
        }
        if (!(only = source_find(val)))
            return cli_usage_error(usage_landing, "unknown source '%s' (psd or cot)", val);
    }
    return landing_list(only);
}
