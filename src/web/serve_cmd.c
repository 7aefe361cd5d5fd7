/* serve_cmd.c — `materia serve`: the dashboard and JSON API over serving.duckdb.
 *
 * Reads its settings from the configuration (MATERIA_HTTP_*, SERVING_DUCKDB_PATH,
 * MATERIA_WEB_DIR, MATERIA_QUERY_TIMEOUT_MS, MATERIA_CACHE), starts the server
 * (web_server.c) and waits for SIGTERM or SIGINT with sigwait(): the signals are blocked
 * before any thread starts, so only this thread ever sees them. On a signal it stops
 * accepting, lets in-flight requests finish (up to 10 s), then stops and exits 0. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/log.h"
#include "web/web_server.h"

static const char *const usage =
    "usage: materia serve [--addr HOST:PORT]\n"
    "\n"
    "Serves the coffee dashboard (MATERIA_WEB_DIR) and the JSON API (see /api) from the\n"
    "serving snapshot SERVING_DUCKDB_PATH, read-only. A new snapshot renamed over the file\n"
    "is picked up by the next request; the old one is closed when its last request ends.\n"
    "\n"
    "options:\n"
    "  --addr HOST:PORT  listen address (default MATERIA_HTTP_ADDR; port 0 picks a free\n"
    "                    port, printed as 'listening on http://HOST:PORT')\n"
    "\n"
    "configuration: MATERIA_HTTP_ADDR, MATERIA_HTTP_THREADS, MATERIA_HTTP_MAX_CONNECTIONS,\n"
    "MATERIA_HTTP_TIMEOUT_S, MATERIA_QUERY_TIMEOUT_MS, MATERIA_CACHE (on/off),\n"
    "SERVING_DUCKDB_PATH, MATERIA_WEB_DIR. Stops gracefully on SIGTERM or SIGINT.\n";

int cmd_serve(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    const char *addr = config_get(&g_config, "MATERIA_HTTP_ADDR");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--addr") && i + 1 < argc) addr = argv[++i];
        else if (!strncmp(argv[i], "--addr=", 7)) addr = argv[i] + 7;
        else return cli_usage_error(usage, "serve: unknown argument '%s'", argv[i]);
    }
    const char *cache = config_get(&g_config, "MATERIA_CACHE");
    struct web_server_opts o = {
        .addr = addr,
        .serving_path = config_get(&g_config, "SERVING_DUCKDB_PATH"),
        .web_dir = config_get(&g_config, "MATERIA_WEB_DIR"),
        .threads = (int)config_get_long(&g_config, "MATERIA_HTTP_THREADS", 2),
        .max_connections = (int)config_get_long(&g_config, "MATERIA_HTTP_MAX_CONNECTIONS", 512),
        .timeout_s = (int)config_get_long(&g_config, "MATERIA_HTTP_TIMEOUT_S", 30),
        .query_timeout_ms = config_get_long(&g_config, "MATERIA_QUERY_TIMEOUT_MS", 5000),
        .cache = !(cache && (!strcasecmp(cache, "off") || !strcmp(cache, "0") ||
                             !strcasecmp(cache, "false") || !strcasecmp(cache, "no"))),
    };

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct web_server srv;
    char err[MT_ERR_LEN];
    if (web_server_start(&srv, &o, err, sizeof err) < 0) {
        log_error("%s", err);
        return MT_EXIT_FAIL;
    }
    log_info("serve: listening on http://%s:%u (serving %s, %d threads, cache %s, web %s)", srv.host,
             srv.port, o.serving_path, o.threads, o.cache ? "on" : "off", o.web_dir);
    printf("listening on http://%s:%u\n", srv.host, srv.port);
    fflush(stdout);

    int sig = 0;
    sigwait(&set, &sig);
    log_info("serve: %s received, finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    web_server_quiesce(&srv, 10000);
    web_server_stop(&srv);
    log_info("serve: stopped");
    return MT_EXIT_OK;
}
