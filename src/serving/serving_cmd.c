/* serving_cmd.c — `materia serving status|rollback`: look at and undo published snapshots.
 *
 * status opens the live serving file read-only and prints its _snapshot (id, created_at,
 * run id, each table's rows and checksum), the file's size and inode (the inode changes
 * with every publish, which is how a reader notices a swap), and the previous snapshot's
 * id; --verify also recomputes every checksum. rollback takes the export lock, verifies
 * serving.prev.duckdb, then exchanges it with the live file in one rename (the current
 * snapshot becomes prev, so a second rollback undoes the first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "util/err.h"
#include "serving/snapshot.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/config.h"
#include "util/db.h"
#include "util/fsutil.h"

static const char usage[] =
    "usage: materia serving status [--verify]\n"
    "       materia serving rollback\n\n"
    "status    show the live snapshot of SERVING_DUCKDB_PATH: id, created_at, run id,\n"
    "          tables with row counts and checksums, file size and inode, previous id;\n"
    "          --verify recomputes every checksum (exit 1 on a mismatch)\n"
    "rollback  make serving.prev.duckdb live again (atomic exchange; the current\n"
    "          snapshot becomes the previous one)\n";

static int serving_status(const struct serving_paths *p, bool verify)
{
    struct mt_err err = MT_ERR_INIT;
    struct stat st;
    if (stat(p->live, &st) < 0) {
        cli_error("serving status: no serving snapshot at %s (run export-serving)", p->live);
        return MT_EXIT_FAIL;
    }
    struct db d;
    if (db_open(&d, p->live, true, 1, &err) < 0) {
        cli_error("serving status: %s", err.msg);
        return MT_EXIT_FAIL;
    }
    duckdb_result res;
    if (db_query(d.con, "SELECT snapshot_id, created_at::VARCHAR, run_id, table_name, row_count, "
                        "checksum FROM main._snapshot ORDER BY table_name", &res, &err) < 0) {
        cli_error("serving status: %s: %s", p->live, err.msg);
        db_close(&d);
        return MT_EXIT_FAIL;
    }
    idx_t n = duckdb_row_count(&res);
    printf("serving:     %s\n", p->live);
    if (n > 0) {
        char *id = duckdb_value_varchar(&res, 0, 0);
        char *created = duckdb_value_varchar(&res, 1, 0);
        char *run = duckdb_value_varchar(&res, 2, 0);
        printf("snapshot_id: %s\ncreated_at:  %s\nrun_id:      %s\n", id ? id : "", created ? created : "",
               run ? run : "");
        duckdb_free(id);
        duckdb_free(created);
        duckdb_free(run);
    }
    printf("file:        %lld bytes, inode %llu\n", (long long)st.st_size, (unsigned long long)st.st_ino);
    printf("tables:\n");
    for (idx_t i = 0; i < n; i++) {
        char *t = duckdb_value_varchar(&res, 3, i);
        char *sum = duckdb_value_varchar(&res, 5, i);
        printf("  %-20s rows=%-10lld checksum=%s\n", t ? t : "", (long long)duckdb_value_int64(&res, 4, i),
               sum ? sum : "");
        duckdb_free(t);
        duckdb_free(sum);
    }
    duckdb_destroy_result(&res);
    int vrc = n > 0 && verify ? serving_verify_con(d.con, p->live, &err) : 0;
    db_close(&d);
    if (fs_exists(p->prev)) {
        struct mt_err e2 = MT_ERR_INIT; /* err may hold the live file's verification error */
        char *prev = serving_snapshot_field(p->prev, "snapshot_id", &e2);
        printf("previous:    %s (%s)\n", prev ? prev : "unreadable", p->prev);
        free(prev);
    } else {
        printf("previous:    none\n");
    }
    if (n == 0) {
        cli_error("serving status: %s: _snapshot is empty (not a complete snapshot)",
                p->live);
        return MT_EXIT_FAIL;
    }
    if (verify) {
        if (vrc < 0) {
            printf("verified:    FAILED\n");
            cli_error("serving status: %s", err.msg);
            return MT_EXIT_FAIL;
        }
        printf("verified:    ok\n");
    }
    return MT_EXIT_OK;
}

static int serving_rollback(const struct serving_paths *p)
{
    struct mt_err err = MT_ERR_INIT;
    int lock = fs_lock_acquire(p->lock, "export-serving or serving rollback", &err);
    if (lock < 0) {
        cli_error("serving rollback: %s", err.msg);
        return MT_EXIT_FAIL;
    }
    int rc = MT_EXIT_FAIL;
    char *prev_id = NULL, *cur_id = NULL;
    if (!fs_exists(p->prev)) {
        cli_error("serving rollback: no previous snapshot at %s", p->prev);
        goto out;
    }
    if (serving_verify_file(p->prev, &prev_id, &err) < 0) {
        cli_error("serving rollback: refusing, the previous snapshot is not intact: %s", err.msg);
        goto out;
    }
    if (fs_exists(p->live)) cur_id = serving_snapshot_field(p->live, "snapshot_id", &err);
    if (serving_swap_prev(p, &err) < 0) {
        cli_error("serving rollback: %s", err.msg);
        goto out;
    }
    printf("serving rollback: snapshot %s is live again (was %s; kept as %s)\n", prev_id ? prev_id : "?",
           cur_id ? cur_id : "none", p->prev);
    rc = MT_EXIT_OK;
out:
    free(prev_id);
    free(cur_id);
    fs_lock_release(lock);
    return rc;
}

int cmd_serving(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    if (argc < 2) return cli_usage_error(usage, "serving needs a subcommand: status or rollback");
    struct serving_paths p;
    serving_paths_init(&p, g_config.s.serving_duckdb_path);
    int rc;
    if (!strcmp(argv[1], "status")) {
        bool verify = argc >= 3 && !strcmp(argv[2], "--verify");
        int bad = verify ? 3 : 2; /* the first argument that is not --verify */
        if (argc > bad)
            rc = cli_usage_error(usage, "serving status: unknown argument '%s'", argv[bad]);
        else
            rc = serving_status(&p, verify);
    } else if (!strcmp(argv[1], "rollback")) {
        rc = argc == 2 ? serving_rollback(&p) : cli_usage_error(usage, "serving rollback takes no arguments");
    } else {
        rc = cli_usage_error(usage, "unknown serving subcommand '%s'", argv[1]);
    }
    serving_paths_free(&p);
    return rc;
}
