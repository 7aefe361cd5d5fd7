/* rename_to_read.c — time from serving.duckdb being renamed into place to the first query
 * answered by a new read-only DuckDB open of it (what a fresh reader of a new snapshot pays).
 *
 * usage: rename_to_read LIVE_PATH [COUNT]
 * Watches LIVE_PATH's directory with inotify; on each IN_MOVED_TO of LIVE_PATH's name
 * (the export's rename(2)), opens LIVE_PATH read-only, runs
 * SELECT snapshot_id, count(*) FROM _snapshot GROUP BY ALL, and prints one line
 * "rename_to_read_ms=<ms> open_ms=<ms> snapshot_id=<id>" (times from the inotify event,
 * which the kernel queues during rename(2)). Exits after COUNT renames (default 1).
 * DuckDB's one-time process initialisation is paid before the watch starts (an open of
 * :memory:), as it is in a running `materia serve`. Prints "ready" on stderr once the
 * watch is in place. */
#include <duckdb.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int read_once(const char *path, double t_event)
{
    duckdb_database db;
    duckdb_connection con;
    duckdb_config cfg;
    char *err = NULL;
    duckdb_create_config(&cfg);
    duckdb_set_config(cfg, "access_mode", "READ_ONLY");
    if (duckdb_open_ext(path, &db, cfg, &err) == DuckDBError) {
        fprintf(stderr, "rename_to_read: %s: %s\n", path, err ? err : "open failed");
        duckdb_free(err);
        duckdb_destroy_config(&cfg);
        return -1;
    }
    duckdb_destroy_config(&cfg);
    double t_open = now_ms();
    duckdb_connect(db, &con);
    duckdb_result res;
    int rc = 0;
    if (duckdb_query(con, "SELECT any_value(snapshot_id), count(*) FROM _snapshot", &res) == DuckDBError) {
        fprintf(stderr, "rename_to_read: %s: %s\n", path, duckdb_result_error(&res));
        rc = -1;
    } else {
        double t_done = now_ms();
        char *id = duckdb_value_varchar(&res, 0, 0);
        printf("rename_to_read_ms=%.2f open_ms=%.2f snapshot_id=%s\n", t_done - t_event, t_open - t_event,
               id ? id : "?");
        fflush(stdout);
        duckdb_free(id);
    }
    duckdb_destroy_result(&res);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rename_to_read LIVE_PATH [COUNT]\n");
        return 2;
    }
    int count = argc > 2 ? atoi(argv[2]) : 1;
    duckdb_database warm;
    if (duckdb_open(NULL, &warm) == DuckDBSuccess) duckdb_close(&warm);
    char *d = strdup(argv[1]), *b = strdup(argv[1]);
    const char *dir = dirname(d), *base = basename(b);
    int fd = inotify_init1(0);
    if (fd < 0 || inotify_add_watch(fd, dir, IN_MOVED_TO) < 0) {
        perror("rename_to_read: inotify");
        return 1;
    }
    fprintf(stderr, "ready\n");
    int rc = 0;
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (count > 0 && rc == 0) {
        ssize_t n = read(fd, buf, sizeof buf);
        double t = now_ms();
        if (n <= 0) { rc = 1; break; }
        for (char *p = buf; p < buf + n && count > 0;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            if (ev->len && !strcmp(ev->name, base)) {
                if (read_once(argv[1], t) < 0) rc = 1;
                count--;
            }
            p += sizeof *ev + ev->len;
        }
    }
    close(fd);
    free(d);
    free(b);
    return rc;
}
