/* main.c — the `materia` command table and dispatch.
 *
 * Like git, one binary with subcommands; each lives in its stage's folder and is listed
 * here once. main() loads the configuration (environment > ./.env > defaults), then runs
 * the command. Unknown commands and options print usage to stderr and exit 2.
 *
 * Every command's output is checked at exit, in one place (finish_stdout, as git's
 * run_builtin does): stdio buffers, so a full disk shows only when stdout is flushed, after
 * the command has returned "ok" — `materia sql --json ... > full-disk` must not exit 0
 * with truncated output. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <duckdb.h>

#include "commands.h"
#include "util/err.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/log.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"extract", cmd_extract, "download and land each source's new publications (extract psd|cot|all)"},
    {"landing", cmd_landing, "list landed releases (landing list [--source S])"},
    {"plan", cmd_plan, "show what a transform run would do, and why"},
    {"run", cmd_run, "run the SQL models into the lakehouse"},
    {"transform", cmd_run, "same as run"},
    {"dag", cmd_dag, "print the model graph (text or --format dot)"},
    {"render", cmd_render, "print a model's SQL after macro expansion"},
    {"info", cmd_info, "show one model: definition, metadata, tables and intervals"},
    {"test", cmd_test, "run the project's SQLMesh YAML unit tests (tests/test_*.yaml)"},
    {"janitor", cmd_janitor, "drop model versions no longer referenced"},
    {"invalidate", cmd_invalidate, "delete a development environment (its views)"},
    {"table_diff", cmd_table_diff, "compare a model between two environments (prod:dev)"},
    {"export-serving", cmd_export_serving, "publish serving.duckdb from the lakehouse (atomic swap)"},
    {"serving", cmd_serving, "serving snapshot status and rollback"},
    {"pipeline", cmd_pipeline, "list or run pipelines: extract, transform, export_serving, all"},
    {"supervise", cmd_supervise, "run the daily pipeline loop (for systemd)"},
    {"alerts", cmd_alerts, "release alerts: preview one user's digest, or send them (alerts preview|send)"},
    {"serve", cmd_serve, "the dashboard and JSON API over serving.duckdb"},
    {"users", cmd_users, "the site's accounts: list, disable, enable, delete"},
    {"appdb", cmd_appdb, "the account database: online backup"},
    {"config", cmd_config, "print the effective configuration and where it came from"},
    {"sql", cmd_sql, "run SQL against a DuckDB file (read-only unless --write)"},
};

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: materia [-p DIR] [--gateway NAME] <command> [options]\n"
            "       materia help | --version\n\n"
            "Materia: coffee market data (USDA PSD, CFTC COT), landed, transformed, served.\n\n"
            "commands:\n");
    for (size_t i = 0; i < MT_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-16s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n  -p, --paths DIR  the project folder (as `sqlmesh -p`); default: the current folder when\n"
                 "                   it holds config.yaml, else MATERIA_PROJECT_DIR\n"
                 "  --gateway NAME   config.yaml's gateway to use instead of default_gateway (as\n"
                 "                   `sqlmesh --gateway`; also SQLMESH_GATEWAY)\n");
    fprintf(out, "\nRun 'materia <command> --help' for a command's options.\n");
}

/* Flushes and closes stdout; a write failure turns a successful exit into a failure with
 * the reason on stderr. Pipes and sockets are exempt, as in git: a reader that quits early
 * (`materia sql ... | head`) is not an error of ours. */
static int finish_stdout(int rc)
{
    struct stat st;
    if (fstat(fileno(stdout), &st) < 0) return rc; /* stdout was closed: nothing to lose */
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) return rc;
    const char *why = NULL;
    if (fflush(stdout) != 0) why = strerror(errno);
    else if (ferror(stdout)) why = "an earlier write failed"; /* its errno is gone by now */
    if (fclose(stdout) != 0 && !why) why = strerror(errno);
    if (!why) return rc;
    cli_error("write failure on standard output: %s", why);
    return rc == MT_EXIT_OK || rc == MT_EXIT_NOTHING ? MT_EXIT_FAIL : rc;
}

static int dispatch(int argc, char **argv)
{
    /* global options, before the command (git's `git -C DIR`, sqlmesh's `-p PATH`) */
    const char *project_opt = NULL, *gateway_opt = NULL;
    while (argc >= 2 && argv[1][0] == '-') {
        const char *a = argv[1], *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        const char **slot;
        const char *what;
        if (nl == 9 && !strncmp(a, "--gateway", 9)) {
            slot = &gateway_opt; /* sqlmesh --gateway NAME: config.yaml's gateway to use */
            what = "a gateway name";
        } else if ((nl == 2 && !strncmp(a, "-p", 2) && !eq) || (nl == 7 && !strncmp(a, "--paths", 7))) {
            slot = &project_opt; /* sqlmesh -p PATH */
            what = "a folder";
        } else {
            break;
        }
        if (!eq && argc < 3) {
            cli_error("%.*s needs %s", (int)nl, a, what);
            print_usage(stderr);
            return MT_EXIT_USAGE;
        }
        if (*slot) {
            /* sqlmesh takes several paths; materia runs one project, on one gateway */
            cli_error("%s given twice: materia runs one %s", slot == &project_opt ? "-p" : "--gateway",
                      slot == &project_opt ? "project folder" : "gateway");
            return MT_EXIT_USAGE;
        }
        *slot = eq ? eq + 1 : argv[2];
        int used = eq ? 1 : 2;
        argv[used] = argv[0];
        argc -= used;
        argv += used;
    }
    if (argc < 2) {
        print_usage(stderr);
        return MT_EXIT_USAGE;
    }
    const char *name = argv[1];
    bool no_project = !strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h") ||
                      !strcmp(name, "--version") || !strcmp(name, "version");
    if (no_project && (project_opt || gateway_opt)) {
        /* they would be read and then ignored */
        cli_error("%s is not supported by materia with %s: it reads no project", project_opt ? "-p" : "--gateway",
                  name);
        return MT_EXIT_USAGE;
    }
    if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
        if (argc > 2) {
            /* `materia help extract` == `materia extract --help` */
            for (size_t i = 0; i < MT_ARRAY_LEN(commands); i++) {
                if (!strcmp(commands[i].name, argv[2])) {
                    char *hargv[] = {argv[2], "--help", NULL};
                    return commands[i].fn(2, hargv);
                }
            }
            cli_error("unknown command '%s'\n", argv[2]);
            print_usage(stderr);
            return MT_EXIT_USAGE;
        }
        print_usage(stdout);
        return MT_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("materia %s (duckdb %s)\n", MATERIA_VERSION, duckdb_library_version());
        return MT_EXIT_OK;
    }
    for (size_t i = 0; i < MT_ARRAY_LEN(commands); i++) {
        if (strcmp(commands[i].name, name) != 0) continue;
        struct mt_err err = MT_ERR_INIT;
        if (config_load_cli(&g_config, project_opt, gateway_opt, &err) < 0) return cli_fail(err.msg);
        log_set_level((enum log_level)g_config.s.log_level);
        int rc = commands[i].fn(argc - 1, argv + 1);
        config_free(&g_config);
        return rc;
    }
    cli_error("unknown command '%s'\n", name);
    print_usage(stderr);
    return MT_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    /* libcurl's process-wide state has one owner, here: its init is not thread-safe, and
     * extract, the S3 client, the CDN purge, the alert webhook and serve's mail all start
     * threads or transfers later. Before anything else runs; cleaned up after everything. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        cli_error("libcurl cannot start");
        return MT_EXIT_FAIL;
    }
    int rc = finish_stdout(dispatch(argc, argv));
    curl_global_cleanup();
    return rc;
}
