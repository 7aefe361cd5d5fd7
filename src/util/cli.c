/* cli.c — see cli.h. */
#include "util/cli.h"

#include <stdarg.h>
#include <stdio.h>
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
