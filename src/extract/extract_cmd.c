/* extract_cmd.c — `materia extract psd|cot|all`: thin wrappers over extract.h.
 *
 * Output contract:
 *   extract psd   one line on stdout — "landed <path> (<bytes> bytes, <rows> rows)" or
 *                 "unchanged" (unchanged since before sources existed);
 *   extract cot   one line per year — "cot <YYYY>: landed <path> (...)" or
 *                 "cot <YYYY>: unchanged"; a failed year prints nothing on stdout;
 *   extract all   every source in EXTRACT_SOURCES, in order, lines "psd: ..." and
 *                 "cot <YYYY>: ...".
 * Each failed URL is one line on stderr naming it ("extract <source>: <url>: <problem>");
 * the others are still done. Exit 0 when nothing failed, 1 when a URL failed, 2 usage. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util/err.h"
#include "extract/extract.h"
#include "extract/source.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"

static const char usage_extract[] =
    "usage: materia extract <psd|cot|all> [--help]\n"
    "\n"
    "Download a source and land each new release under LANDING_DIR/<source>/, exactly once.\n"
    "\n"
    "sources:\n"
    "  psd    USDA PSD coffee (PSD_SOURCE_URL; https://, http:// or file://)\n"
    "  cot    CFTC Commitments of Traders, one file per year (COT_SOURCE_URL, COT_YEARS)\n"
    "  all    every source EXTRACT_SOURCES names (default: psd, then cot)\n"
    "\n"
    "Run 'materia extract <source> --help' for details.\n";

static const char usage_psd[] =
    "usage: materia extract psd [--help]\n"
    "\n"
    "Download PSD_SOURCE_URL (a zip with one CSV, a gzipped CSV or a plain CSV), validate\n"
    "it, and land it as LANDING_DIR/psd/YYYY/MM/<etag>.csv.gzip plus <etag>.meta.json.\n"
    "Sends If-None-Match with the newest landed ETag; prints 'unchanged' and writes\n"
    "nothing on a 304 or when the ETag or content is already landed.\n"
    "\n"
    "settings (environment or .env):\n"
    "  PSD_SOURCE_URL, LANDING_DIR, EXTRACT_CONNECT_TIMEOUT_S, EXTRACT_TIMEOUT_S,\n"
    "  EXTRACT_RETRIES, EXTRACT_BACKOFF_MS, EXTRACT_MAX_BYTES\n"
    "\n"
    "output: 'landed <path> (<bytes> bytes, <rows> rows)' or 'unchanged' on stdout;\n"
    "exit 0 on either, 1 on failure (one line on stderr naming the URL).\n";

static const char usage_cot[] =
    "usage: materia extract cot [--help]\n"
    "\n"
    "For each year of COT_YEARS, download COT_SOURCE_URL with {YYYY} replaced by the year\n"
    "(CFTC's 'Disaggregated, Futures Only' zip, member f_year.txt), check its exact\n"
    "191-column header and that it has Coffee C (083731) rows, and land the file as\n"
    "published (all markets) as LANDING_DIR/cot/YYYY/MM/<etag or sha256>.csv.gzip plus\n"
    ".meta.json (with \"source\": \"cot\" and \"source_year\"). Sends If-None-Match with\n"
    "the newest ETag landed from that URL; content already landed is not landed again.\n"
    "Years are independent: a failed year lands nothing, the others are still landed.\n"
    "\n"
    "settings (environment or .env):\n"
    "  COT_SOURCE_URL (default https://www.cftc.gov/files/dea/history/fut_disagg_txt_{YYYY}.zip),\n"
    "  COT_YEARS (auto = this year and last, UTC; or e.g. 2017,2019-2021), LANDING_DIR,\n"
    "  EXTRACT_CONNECT_TIMEOUT_S, EXTRACT_TIMEOUT_S, EXTRACT_RETRIES, EXTRACT_BACKOFF_MS,\n"
    "  EXTRACT_MAX_BYTES\n"
    "\n"
    "output: one line per year on stdout, 'cot YYYY: landed <path> (<bytes> bytes, <rows>\n"
    "rows)' or 'cot YYYY: unchanged'; one line on stderr per failed year naming its URL.\n"
    "exit 0 when no year failed, 1 when one did.\n";

static const char usage_all[] =
    "usage: materia extract all [--help]\n"
    "\n"
    "Run 'extract <source>' for every source EXTRACT_SOURCES names (default all: psd, then\n"
    "cot). A failing source does not stop the others.\n"
    "\n"
    "output: one line per URL on stdout, 'psd: landed ...', 'psd: unchanged',\n"
    "'cot YYYY: landed ...', 'cot YYYY: unchanged'; one line on stderr per failed URL.\n"
    "exit 0 when nothing failed, 1 when something did.\n";

static int no_args(int argc, char **argv, const char *usage)
{
    if (argc <= 1) return 0;
    if (argv[1][0] == '-') return cli_usage_error(usage, "unknown option '%s'", argv[1]);
    return cli_usage_error(usage, "unexpected argument '%s'", argv[1]);
}

static int extract_psd_cmd(void)
{
    struct extract_outcome out;
    struct mt_err err = MT_ERR_INIT;
    if (extract_psd(&g_config, &out, &err) < 0) {
        cli_error("extract psd: %s", err.msg);
        return MT_EXIT_FAIL;
    }
    if (out.landed)
        printf("landed %s (%lld bytes, %lld rows)\n", out.path, (long long)out.bytes,
               (long long)out.rows);
    else
        printf("unchanged\n");
    extract_outcome_free(&out);
    return MT_EXIT_OK;
}

/* Runs one source and prints its lines; returns the number of failed URLs. */
static size_t run_source(const struct extract_source *src)
{
    struct extract_report rep;
    struct mt_err err = MT_ERR_INIT;
    int rc = extract_source_run(&g_config, src, &rep, &err);
    if (rep.n == 0 && rc < 0) {
        cli_error("extract %s: %s", src->name, err.msg);
        return 1;
    }
    for (size_t i = 0; i < rep.n; i++) {
        const struct extract_url_result *u = &rep.v[i];
        char label[32];
        if (u->year) snprintf(label, sizeof label, "%s %04d", src->name, u->year);
        else snprintf(label, sizeof label, "%s", src->name);
        if (u->failed) cli_error("extract %s: %s", src->name, u->error);
        else if (u->out.landed)
            printf("%s: landed %s (%lld bytes, %lld rows)\n", label, u->out.path,
                   (long long)u->out.bytes, (long long)u->out.rows);
        else
            printf("%s: unchanged\n", label);
        fflush(stdout);
    }
    size_t failed = rep.failed;
    extract_report_free(&rep);
    return failed;
}

int cmd_extract(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error(usage_extract, "which source? (psd, cot or all)");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) return cli_help(usage_extract);
    const char *name = argv[1];
    argc--;
    argv++;
    if (!strcmp(name, "psd")) {
        if (cli_wants_help(argc, argv)) return cli_help(usage_psd);
        int u = no_args(argc, argv, usage_psd);
        return u ? u : extract_psd_cmd();
    }
    if (!strcmp(name, "cot")) {
        if (cli_wants_help(argc, argv)) return cli_help(usage_cot);
        int u = no_args(argc, argv, usage_cot);
        return u ? u : run_source(&source_cot) ? MT_EXIT_FAIL : MT_EXIT_OK;
    }
    if (!strcmp(name, "all")) {
        if (cli_wants_help(argc, argv)) return cli_help(usage_all);
        int u = no_args(argc, argv, usage_all);
        if (u) return u;
        size_t failed = 0;
        for (size_t i = 0; i < extract_sources_n; i++)
            if (source_enabled(&g_config, extract_sources[i])) failed += run_source(extract_sources[i]);
        return failed ? MT_EXIT_FAIL : MT_EXIT_OK;
    }
    if (name[0] == '-') return cli_usage_error(usage_extract, "unknown option '%s'", name);
    return cli_usage_error(usage_extract, "unknown source '%s'", name);
}
