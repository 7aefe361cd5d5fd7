/* db.c — see db.h.
 *
 * db_open fails closed: every duckdb_set_config is checked, and one that fails refuses the
 * open. A "read-only" open whose access_mode could not be set would otherwise open the
 * file read-write (and take DuckDB's exclusive lock); a lost autoinstall=false would let a
 * query download an extension. Fault point (util/testhook.h): MATERIA_FAIL_AT=db_set_config
 * makes every set_config report failure.
 *
 * Every file Materia writes is stored without FSST string compression
 * (disabled_compression_methods=fsst). Why: at each checkpoint DuckDB analyses every string
 * column it rewrites for FSST by building a symbol table, and in the daily incremental run
 * that analysis was most of the checkpoint at close (callgrind, weekly COT run, bench/cot:
 * 5.19 G instructions in all with FSST, 2.85 G without), while the lakehouse stayed the same
 * size (7.35 MB both ways after a full run: our strings repeat — country names, codes,
 * release dates — and dictionary compression, still on, takes them).
 *
 * The lakehouse (db_open_lakehouse) is made with 16 KiB blocks and DuckDB 1.4's storage
 * format (storage_compatibility_version v1.4.0) instead of DuckDB's defaults (256 KiB blocks,
 * the v0.10.2-compatible format). Why: each run's checkpoint at close rewrites every table the
 * run changed, and on the weekly COT run (bench/cot: 41 new raw rows, one new staging row,
 * four small serving tables rebuilt) it was most of the run — close 177 ms, commit 50 ms of a
 * 0.53 s `materia run`; with both settings close is ~40 ms, commit ~15 ms and the run 0.36 s
 * (/tmp experiments recorded in bench/RESULTS.md, "COT incremental"). Either one alone gained
 * little. Both apply only when the file is created: DuckDB keeps an existing file's block
 * size and format, so a lakehouse made earlier keeps working as it is (docs/ARCHITECTURE.md
 * §2 says how to remake it). The settings are the database instance's, so a further catalog
 * file config.yaml's `catalogs` makes on that connection (runner.c) gets the format too: it
 * is lakehouse data, read only by this binary. The file then needs DuckDB >= 1.4 to read, which is what
 * Materia links (pinned). The serving snapshot keeps DuckDB's defaults (export.c pins them
 * on its ATTACH): it is what readers outside this binary may open. */
#include "util/db.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fsutil.h"
#include "util/testhook.h"


static int set_config(duckdb_config cfg, const char *name, const char *value, const char *path,
                      struct mt_err *err)
{
    if (testhook_fail("db_set_config") || duckdb_set_config(cfg, name, value) == DuckDBError) {
        mt_errf(err, "%s: cannot set DuckDB option %s=%s: not opening it", path ? path : ":memory:", name,
            value);
        return -1;
    }
    return 0;
}

/* db_open with extra (name, value) settings, NULL-terminated pairs, or NULL. */
static int open_with(struct db *d, const char *path, bool read_only, int threads, const char *const *extra,
                     struct mt_err *err)
{
    memset(d, 0, sizeof *d);
    duckdb_config cfg = NULL;
    char *open_err = NULL;
    if (duckdb_create_config(&cfg) == DuckDBError) {
        mt_errf(err, "%s: cannot create DuckDB config", path ? path : ":memory:");
        return -1;
    }
    char t[16];
    snprintf(t, sizeof t, "%d", threads);
    /* Extensions are statically linked; never try to download one at run time. */
    if ((read_only && set_config(cfg, "access_mode", "READ_ONLY", path, err) < 0) ||
        (threads > 0 && set_config(cfg, "threads", t, path, err) < 0) ||
        set_config(cfg, "autoinstall_known_extensions", "false", path, err) < 0 ||
        set_config(cfg, "disabled_compression_methods", "fsst", path, err) < 0 ||
        set_config(cfg, "autoload_known_extensions", "true", path, err) < 0) {
        duckdb_destroy_config(&cfg);
        return -1;
    }
    for (size_t i = 0; extra && extra[i]; i += 2) {
        if (set_config(cfg, extra[i], extra[i + 1], path, err) < 0) {
            duckdb_destroy_config(&cfg);
            return -1;
        }
    }
    duckdb_state st = duckdb_open_ext(path && *path ? path : NULL, &d->db, cfg, &open_err);
    duckdb_destroy_config(&cfg);
    if (st == DuckDBError) {
        mt_errf(err, "%s: cannot open DuckDB database: %s", path ? path : ":memory:",
            open_err ? open_err : "unknown error");
        duckdb_free(open_err);
        return -1;
    }
    if (duckdb_connect(d->db, &d->con) == DuckDBError) {
        mt_errf(err, "%s: cannot connect to DuckDB database", path ? path : ":memory:");
        duckdb_close(&d->db);
        return -1;
    }
    d->open = true;
    return 0;
}

int db_open(struct db *d, const char *path, bool read_only, int threads, struct mt_err *err)
{
    return open_with(d, path, read_only, threads, NULL, err);
}

int db_open_lakehouse(struct db *d, const char *path, struct mt_err *err)
{
    memset(d, 0, sizeof *d); /* closable (db_close) even when the folder cannot be made */
    char *dir = fs_dirname(path);
    int rc = fs_mkdir_p(dir, err);
    free(dir);
    if (rc < 0) return -1;
    static const char *const lakehouse[] = {"default_block_size", DB_LAKEHOUSE_BLOCK_SIZE,
                                            "storage_compatibility_version", DB_LAKEHOUSE_STORAGE, NULL};
    return open_with(d, path, false, 0, lakehouse, err);
}

void db_close(struct db *d)
{
    if (!d->open) return;
    duckdb_disconnect(&d->con);
    duckdb_close(&d->db);
    d->open = false;
}

int db_query(duckdb_connection con, const char *sql, duckdb_result *res, struct mt_err *err)
{
    if (duckdb_query(con, sql, res) == DuckDBError) {
        const char *e = duckdb_result_error(res);
        mt_errf(err, "%s", e ? e : "query failed");
        duckdb_destroy_result(res);
        return -1;
    }
    return 0;
}

int db_exec(duckdb_connection con, const char *sql, struct mt_err *err)
{
    duckdb_result res;
    if (db_query(con, sql, &res, err) < 0) return -1;
    duckdb_destroy_result(&res);
    return 0;
}

int db_execf(duckdb_connection con, struct mt_err *err, const char *fmt, ...)
{
    strbuf sb;
    sb_init(&sb);
    va_list ap;
    va_start(ap, fmt);
    sb_vappendf(&sb, fmt, ap);
    va_end(ap);
    int rc = db_exec(con, sb.buf, err);
    sb_free(&sb);
    return rc;
}

/* True when the result has a first row whose first value is not NULL. */
static bool has_first_value(duckdb_result *res)
{
    return duckdb_row_count(res) > 0 && duckdb_column_count(res) > 0 &&
           !duckdb_value_is_null(res, 0, 0);
}

int db_query_i64(duckdb_connection con, const char *sql, int64_t *out, bool *found,
                 struct mt_err *err)
{
    duckdb_result res;
    if (found) *found = false;
    if (db_query(con, sql, &res, err) < 0) return -1;
    if (has_first_value(&res)) {
        *out = duckdb_value_int64(&res, 0, 0);
        if (found) *found = true;
    }
    duckdb_destroy_result(&res);
    return 0;
}

int db_query_str(duckdb_connection con, const char *sql, char **out, struct mt_err *err)
{
    duckdb_result res;
    *out = NULL;
    if (db_query(con, sql, &res, err) < 0) return -1;
    if (has_first_value(&res)) {
        char *v = duckdb_value_varchar(&res, 0, 0);
        *out = xstrdup(v ? v : "");
        duckdb_free(v);
    }
    duckdb_destroy_result(&res);
    return 0;
}


int db_describe(duckdb_connection con, const char *rel, struct strlist *names, struct strlist *types,
                struct mt_err *err)
{
    char *sql = xasprintf("SELECT column_name, column_type FROM (DESCRIBE %s)", rel);
    duckdb_result res;
    int rc = 0;
    if (duckdb_query(con, sql, &res) == DuckDBError) {
        rc = mt_errf(err, "%s", duckdb_result_error(&res));
    } else {
        for (idx_t r = 0; r < duckdb_row_count(&res); r++) {
            char *n = duckdb_value_varchar(&res, 0, r), *t = duckdb_value_varchar(&res, 1, r);
            strlist_push(names, n);
            strlist_push(types, t);
            duckdb_free(n);
            duckdb_free(t);
        }
    }
    duckdb_destroy_result(&res);
    free(sql);
    return rc;
}

char *db_value_text(duckdb_result *res, idx_t col, idx_t row)
{
    if (duckdb_value_is_null(res, col, row)) return xstrdup("");
    char *v = duckdb_value_varchar(res, col, row);
    char *s = xstrdup(v ? v : "");
    duckdb_free(v);
    return s;
}
