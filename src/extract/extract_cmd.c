/* extract_cmd.c — `materia extract psd`: a thin wrapper over extract_psd() (extract.h).
 *
 * Output contract: stdout gets one line — "landed <path> (<bytes> bytes, <rows> rows)" or
 * "unchanged"; errors go to stderr as one line naming the URL, exit 1; usage errors
 * exit 2. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util/err.h"
#include "extract/extract.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"

static const char usage_extract[] =
    "usage: materia extract <source> [--help]\n"
    "\n"
    "Download a source and land a new release under LANDING_DIR, exactly once.\n"
    "\n"
    "sources:\n"
    "  psd    USDA PSD coffee (PSD_SOURCE_URL; https://, http:// or file://)\n"
    "\n"
    "Run 'materia extract psd --help' for details.\n";

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

static int extract_psd_cmd(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage_psd);
    if (argc > 1) {
        if (argv[1][0] == '-') return cli_usage_error(usage_psd, "unknown option '%s'", argv[1]);
        return cli_usage_error(usage_psd, "unexpected argument '%s'", argv[1]);
    }
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

int cmd_extract(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error(usage_extract, "which source? (psd)");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) return cli_help(usage_extract);
    if (!strcmp(argv[1], "psd")) return extract_psd_cmd(argc - 1, argv + 1);
    if (argv[1][0] == '-') return cli_usage_error(usage_extract, "unknown option '%s'", argv[1]);
    return cli_usage_error(usage_extract, "unknown source '%s'", argv[1]);
}
