/* cli.h — small helpers every subcommand uses for its --help and usage errors.
 *
 * Convention (git-style): each command has a usage text; `materia CMD --help` prints it to
 * stdout and exits 0; an unknown option or bad argument prints the problem and the usage
 * to stderr and exits 2 (MT_EXIT_USAGE). Commands parse options with getopt_long. */
#ifndef MATERIA_CLI_H
#define MATERIA_CLI_H

#include <stdbool.h>

/* True when argv (after the command name) asks for help: -h or --help anywhere. */
bool cli_wants_help(int argc, char **argv);
/* Prints usage to stdout, returns MT_EXIT_OK. */
int cli_help(const char *usage);
/* Prints "materia: <err>" to stderr, returns MT_EXIT_FAIL: a command's failure exit. */
int cli_fail(const char *err);
/* Prints "materia: <message>" to stderr (the one place that formats a command's error
 * line; cli_fail is this plus the exit code). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "materia: <message>" and usage to stderr, returns MT_EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The usage error for getopt_long()'s failure return c, for an optstring that starts with
 * ':' (so a missing argument returns ':' rather than '?'): "<cmd>: option '--x' needs a
 * value" or "<cmd>: unknown option '--x'". Returns MT_EXIT_USAGE. */
int cli_getopt_error(const char *usage, const char *cmd, int c, char **argv);

#endif
