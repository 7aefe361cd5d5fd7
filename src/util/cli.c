/* cli.c — see cli.h. */
#include "util/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <getopt.h>
#include <string.h>

#include "util/common.h"

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return true;
    }
    return false;
}

int cli_help(const char *usage)
{
    fputs(usage, stdout);
    return MT_EXIT_OK;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("materia: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n\n", stderr);
    va_end(ap);
    fputs(usage, stderr);
    return MT_EXIT_USAGE;
}

int cli_getopt_error(const char *usage, const char *cmd, int c, char **argv)
{
    /* getopt_long has just stepped past the offending element (or, for a short option
     * inside a group like -xy, may still be on it); optopt names a short option */
    const char *opt = optind > 0 ? argv[optind - 1] : "?";
    char shortopt[3] = {'-', (char)optopt, '\0'};
    bool is_long = !strncmp(opt, "--", 2);
    if (!is_long && optopt > 0 && optopt < 128) opt = shortopt;
    if (c == ':') return cli_usage_error(usage, "%s: option '%s' needs a value", cmd, opt);
    return cli_usage_error(usage, "%s: unknown option '%s'", cmd, opt);
}

void cli_error(const char *fmt, ...)
{
    char msg[MT_ERR_LEN * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "materia: %s\n", msg);
}

int cli_fail(const char *err)
{
    cli_error("%s", err);
    return MT_EXIT_FAIL;
}
