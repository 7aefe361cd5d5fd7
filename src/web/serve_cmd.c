/* serve_cmd.c — `materia serve`: the dashboard and JSON API over serving.duckdb.
 *
 * Takes its settings from the checked configuration (MATERIA_HTTP_*, SERVING_DUCKDB_PATH,
 * MATERIA_WEB_DIR, MATERIA_QUERY_TIMEOUT_MS, MATERIA_CACHE*, MATERIA_ACCESS_LOG*; a value that
 * cannot take effect was refused by name at load), derives the connection limit from the
 * open-file limit (refusing an explicit one that does not fit), switches the log to
 * its queue (a stalled log reader must not stop the workers), starts the server
 * (web_server.c) and waits for SIGTERM or SIGINT with sigwait(): the signals are blocked
 * before any thread starts, so only this thread ever sees them. On a signal it stops
 * accepting, lets in-flight requests finish (up to 10 s), then stops and exits 0. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "commands.h"
#include "util/err.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/log.h"
#include "web/web_follow.h"
#include "web/web_keys.h"
#include "web/web_server.h"
#include "web/web_watchdog.h"

static const char *const usage =
    "usage: materia serve [--addr HOST:PORT] [--follow s3://bucket/prefix/]\n"
    "\n"
    "Serves the coffee dashboard (MATERIA_WEB_DIR) and the JSON API (see /api) from the\n"
    "serving snapshot SERVING_DUCKDB_PATH, read-only. A new snapshot renamed over the file\n"
    "is picked up by the next request; the old one is closed when its last request ends.\n"
    "\n"
    "options:\n"
    "  --addr HOST:PORT  listen address (default MATERIA_HTTP_ADDR; port 0 picks a free\n"
    "                    port, printed as 'listening on http://HOST:PORT')\n"
    "  --follow URL      run as a replica: poll URL's LATEST.json every SERVING_FOLLOW_POLL_S,\n"
    "                    download each new snapshot, verify its size, sha256 and tables, and\n"
    "                    rename it over SERVING_DUCKDB_PATH (S3_ENDPOINT, AWS_ACCESS_KEY_ID,\n"
    "                    AWS_SECRET_ACCESS_KEY, AWS_REGION); /health shows the replica's lag\n"
    "\n"
    "configuration: MATERIA_HTTP_ADDR, MATERIA_HTTP_THREADS, MATERIA_HTTP_MAX_CONNECTIONS,\n"
    "MATERIA_HTTP_PER_IP_CONNECTIONS, MATERIA_HTTP_TIMEOUT_S, MATERIA_HTTP_HEAD_TIMEOUT_S,\n"
    "MATERIA_QUERY_TIMEOUT_MS, MATERIA_CACHE (on/off), MATERIA_CACHE_MAX_BYTES,\n"
    "MATERIA_ACCESS_LOG (all/errors/off), MATERIA_ACCESS_LOG_SAMPLE, MATERIA_LOG_QUEUE_LINES,\n"
    "SERVING_DUCKDB_PATH, MATERIA_WEB_DIR, MATERIA_TRUSTED_PROXIES, and the account settings (APP_DB_PATH, PUBLIC_BASE_URL, SMTP_*,\n"
    "MAIL_FROM, SESSION_*; see `materia config`). Every value is checked\n"
    "at start; one that cannot take effect is refused by name. Stops gracefully on SIGTERM\n"
    "or SIGINT.\n";

/* Raises the soft open-file limit to the hard one and returns the soft limit. Each
 * connection may hold two descriptors (its socket and a static file being sent); the
 * rest is kept for DuckDB, the log and libmicrohttpd's own. */
#define FD_RESERVE 128
static long open_file_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl.rlim_cur = rl.rlim_max;
        else log_warn("serve: cannot raise the open-file limit to %llu: %s",
                      (unsigned long long)rl.rlim_max, strerror(errno));
    }
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1L << 24 ? 1L << 24 : (long)rl.rlim_cur;
}

/* The server's options from the checked settings (util/config.c). What is left to decide
 * here depends on the machine: the connection limit the open-file limit allows. */
static int serve_settings(const struct settings *st, struct web_server_opts *o, struct mt_err *err)
{
    long nofile = open_file_limit();
    long fit = (nofile - FD_RESERVE) / 2;
    if (fit < 1) {
        mt_errf(err, "the open-file limit (%ld) leaves no room for connections; raise LimitNOFILE",
                 nofile);
        return -1;
    }
    long maxc = st->http_max_connections;
    if (maxc == SETTING_AUTO) {
        maxc = fit < 4096 ? fit : 4096;
    } else if (maxc > fit) {
        mt_errf(err,
                 "MATERIA_HTTP_MAX_CONNECTIONS=%ld is not supported by materia with an open-file limit "
                 "of %ld (at most %ld: two descriptors per connection plus %d): raise LimitNOFILE or lower it",
                 maxc, nofile, fit, FD_RESERVE);
        return -1;
    }
    long perip = st->http_per_ip_connections;
    if (perip == SETTING_AUTO) perip = maxc / 4 > 16 ? maxc / 4 : (maxc < 16 ? maxc : 16);
    o->access_log = (enum access_log_mode)st->access_log;
    o->cache = st->cache;
    o->cache_max_bytes = (size_t)st->cache_max_bytes;
    o->serving_path = st->serving_duckdb_path;
    o->web_dir = st->web_dir;
    o->threads = (int)st->http_threads;
    o->max_connections = (int)maxc;
    o->per_ip_limit = (int)perip;
    o->timeout_s = (int)st->http_timeout_s;
    o->head_timeout_s = (int)st->http_head_timeout_s;
    o->query_timeout_ms = st->query_timeout_ms;
    o->access_sample = (int)st->access_log_sample;
    o->app_db_path = st->app_db_path;
    o->trusted_proxies = st->trusted_proxies;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    const char *addr = g_config.s.http_addr, *follow = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--addr") && i + 1 < argc) addr = argv[++i];
        else if (!strncmp(argv[i], "--addr=", 7)) addr = argv[i] + 7;
        else if (!strcmp(argv[i], "--follow") && i + 1 < argc) follow = argv[++i];
        else if (!strncmp(argv[i], "--follow=", 9)) follow = argv[i] + 9;
        else return cli_usage_error(usage, "serve: unknown argument '%s'", argv[i]);
    }
    struct web_server_opts o = {.addr = addr};
    struct mt_err err = MT_ERR_INIT;
    if (serve_settings(&g_config.s, &o, &err) < 0) {
        log_error("serve: %s", err.msg);
        return MT_EXIT_FAIL;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int e = pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (e || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        log_error("serve: cannot set up signal handling: %s", strerror(e ? e : errno));
        return MT_EXIT_FAIL;
    }
    /* From here on no worker ever writes the log itself (log.h, queued mode). */
    if (log_queue_start((size_t)g_config.s.log_queue_lines) < 0) {
        log_error("serve: cannot start the log thread");
        return MT_EXIT_FAIL;
    }

    web_keys_start(); /* the /api rate limiter (issue 15, web_keys.h) */
    struct web_server srv;
    if (web_server_start(&srv, &o, &err) < 0) {
        log_error("%s", err.msg);
        web_keys_stop();
        log_queue_stop(2000);
        return MT_EXIT_FAIL;
    }
    log_info("serve: listening on http://%s:%u (serving %s, %d threads, %d connections, %d per "
             "address, head deadline %d s, cache %s, web %s)",
             srv.host, srv.port, o.serving_path, o.threads, o.max_connections, o.per_ip_limit,
             o.head_timeout_s, o.cache ? "on" : "off", o.web_dir);
    if (follow && web_follow_start(follow, &g_config.s, &err) < 0) {
        log_error("serve: %s", err.msg);
        web_server_quiesce(&srv, 1000);
        web_server_stop(&srv);
        web_keys_stop();
        log_queue_stop(2000);
        return MT_EXIT_FAIL;
    }
    printf("listening on http://%s:%u\n", srv.host, srv.port);
    fflush(stdout);

    int sig = 0;
    sigwait(&set, &sig);
    log_info("serve: %s received, finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    web_follow_stop(); /* a download in flight is aborted and its temporary removed */
    web_server_quiesce(&srv, 10000);
    web_server_stop(&srv);
    web_keys_stop();
    log_info("serve: stopped");
    log_queue_stop(2000);
    if (log_dropped()) /* synchronous again: written unless the reader is stalled (log.c) */
        log_warn("serve: %llu log line(s) were dropped (the log's reader was too slow)", log_dropped());
    return MT_EXIT_OK;
}
