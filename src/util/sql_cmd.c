/* sql_cmd.c — `materia sql [--write] [--csv|--json] DBFILE SQL`: run SQL against a DuckDB
 * file and print the result. The operator's window into the lakehouse and serving files
 * (no DuckDB CLI ships on the box), and the tests' way to build and inspect fixtures.
 *
 * Read-only by default, so pointing it at serving.duckdb never takes a write lock; with
 * --write the file is opened read-write (and created if missing). Output is CSV with a
 * header (default), tab-separated (--tsv) or JSON rows (--json); NULL prints as empty
 * in CSV/TSV and null in JSON. Every value prints as DuckDB's own cast to VARCHAR gives it:
 * the row-wise duckdb_value_varchar for the types it handles, and for the others
 * (TIMESTAMPTZ, UUID, ENUM, LIST, STRUCT, MAP, ...) the result is cast by DuckDB itself
 * (result_as_text). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util/err.h"
#include "util/cli.h"
#include "util/common.h"
#include "util/db.h"
#include "util/strbuf.h"

static const char usage[] =
    "usage: materia sql [--write] [--csv|--tsv|--json] DBFILE SQL\n\n"
    "Runs SQL (one or more statements; the last one's result is printed) against the\n"
    "DuckDB file DBFILE (':memory:' for none).\n\n"
    "  --write   open read-write (creates the file); default is read-only\n"
    "  --csv     comma-separated with a header (default)\n"
    "  --tsv     tab-separated with a header\n"
    "  --json    one JSON object per row, one row per line\n";

enum fmt { FMT_CSV, FMT_TSV, FMT_JSON };

static bool is_numeric_type(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER: case DUCKDB_TYPE_UBIGINT: case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_FLOAT: case DUCKDB_TYPE_DOUBLE: case DUCKDB_TYPE_DECIMAL:
        return true;
    default:
        return false;
    }
}

/* The column types duckdb_value_varchar renders. For the others it returns NULL (DuckDB
 * 1.4.4), or for UUID corrupts the next column's value and crashes. */
static bool text_safe(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_BOOLEAN: case DUCKDB_TYPE_VARCHAR: case DUCKDB_TYPE_BLOB: case DUCKDB_TYPE_DATE:
    case DUCKDB_TYPE_TIME: case DUCKDB_TYPE_TIMESTAMP: case DUCKDB_TYPE_INTERVAL:
    case DUCKDB_TYPE_UHUGEINT:
        return true;
    default:
        return is_numeric_type(t);
    }
}

/* For a result with a column text_safe() refuses: appends its chunks through an appender
 * whose query casts every column to VARCHAR (DuckDB's own cast, so values print exactly as
 * `CAST(x AS VARCHAR)` does) into a temporary table, and returns that table's rows in *out.
 * Temporary objects live in memory, so this works on a read-only file too. */
static int result_as_text(duckdb_connection con, duckdb_result *res, duckdb_result *out, struct mt_err *err)
{
    idx_t cols = duckdb_column_count(res);
    duckdb_logical_type *types = xcalloc(cols, sizeof *types);
    strbuf sql;
    sb_init(&sql);
    sb_append(&sql, "CREATE OR REPLACE TEMP TABLE _materia_sql_text (");
    for (idx_t c = 0; c < cols; c++) {
        types[c] = duckdb_column_logical_type(res, c);
        sb_appendf(&sql, "%sc%llu VARCHAR", c ? ", " : "", (unsigned long long)c);
    }
    sb_append(&sql, ")");
    int rc = db_exec(con, sql.buf, err);
    duckdb_appender app = NULL;
    /* the appender's own column names (col1, ...): a result's names may repeat (a join's
     * SELECT *), which appended_data refuses; the header comes from res */
    if (rc == 0 && duckdb_appender_create_query(con, "INSERT INTO temp._materia_sql_text SELECT COLUMNS(*)::VARCHAR "
                                                "FROM appended_data", cols, types, NULL, NULL, &app) == DuckDBError) {
        mt_errf(err, "printing the result: %s", app ? duckdb_appender_error(app) : "no appender");
        rc = -1;
    }
    idx_t n = duckdb_result_chunk_count(*res);
    for (idx_t k = 0; rc == 0 && k < n; k++) {
        duckdb_data_chunk ch = duckdb_result_get_chunk(*res, k);
        if (duckdb_append_data_chunk(app, ch) == DuckDBError) {
            mt_errf(err, "printing the result: %s", duckdb_appender_error(app));
            rc = -1;
        }
        duckdb_destroy_data_chunk(&ch);
    }
    if (rc == 0 && duckdb_appender_flush(app) == DuckDBError) {
        mt_errf(err, "printing the result: %s", duckdb_appender_error(app));
        rc = -1;
    }
    if (app) duckdb_appender_destroy(&app);
    if (rc == 0 && duckdb_query(con, "SELECT * FROM temp._materia_sql_text", out) == DuckDBError) {
        mt_errf(err, "printing the result: %s", duckdb_result_error(out));
        duckdb_destroy_result(out);
        rc = -1;
    }
    for (idx_t c = 0; c < cols; c++) duckdb_destroy_logical_type(&types[c]);
    free(types);
    sb_free(&sql);
    return rc;
}

/* Prints res; text, when not NULL, holds the same rows with every column as VARCHAR
 * (result_as_text), read instead of res while res still gives the names and types. */
static void print_result(duckdb_result *res, duckdb_result *text, enum fmt fmt)
{
    idx_t cols = duckdb_column_count(res), rows = duckdb_row_count(res);
    char sep = fmt == FMT_TSV ? '\t' : ',';
    strbuf sb;
    sb_init(&sb);
    if (fmt != FMT_JSON) {
        for (idx_t c = 0; c < cols; c++) {
            if (c) sb_append_char(&sb, sep);
            const char *name = duckdb_column_name(res, c);
            sb_append_csv_field(&sb, name, strlen(name), sep);
        }
        sb_append_char(&sb, '\n');
    }
    for (idx_t r = 0; r < rows; r++) {
        if (fmt == FMT_JSON) sb_append_char(&sb, '{');
        for (idx_t c = 0; c < cols; c++) {
            duckdb_result *src = text ? text : res;
            bool null = duckdb_value_is_null(src, c, r);
            char *v = null ? NULL : duckdb_value_varchar(src, c, r);
            if (!v) null = true;
            if (fmt == FMT_JSON) {
                if (c) sb_append_char(&sb, ',');
                sb_append_json_str(&sb, duckdb_column_name(res, c));
                sb_append_char(&sb, ':');
                if (null) sb_append(&sb, "null");
                else if (is_numeric_type(duckdb_column_type(res, c))) sb_append(&sb, v);
                else if (duckdb_column_type(res, c) == DUCKDB_TYPE_BOOLEAN) sb_append(&sb, v);
                else sb_append_json_str(&sb, v);
            } else {
                if (c) sb_append_char(&sb, sep);
                if (!null) sb_append_csv_field(&sb, v, strlen(v), sep);
            }
            duckdb_free(v);
        }
        sb_append(&sb, fmt == FMT_JSON ? "}\n" : "\n");
        if (sb.len > 1 << 16) {
            fwrite(sb.buf, 1, sb.len, stdout);
            sb_reset(&sb);
        }
    }
    fwrite(sb.buf, 1, sb.len, stdout);
    sb_free(&sb);
}

int cmd_sql(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(usage);
    static const struct option opts[] = {
        {"write", no_argument, NULL, 'w'}, {"csv", no_argument, NULL, 'c'},
        {"tsv", no_argument, NULL, 't'},   {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0}};
    bool write = false;
    enum fmt fmt = FMT_CSV;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
        switch (o) {
        case 'w': write = true; break;
        case 'c': fmt = FMT_CSV; break;
        case 't': fmt = FMT_TSV; break;
        case 'j': fmt = FMT_JSON; break;
        default: return cli_getopt_error(usage, "sql", o, argv);
        }
    }
    if (argc - optind != 2) return cli_usage_error(usage, "sql: expected DBFILE and SQL");
    const char *path = argv[optind], *sql = argv[optind + 1];
    struct mt_err err = MT_ERR_INIT;
    struct db d;
    bool mem = !strcmp(path, ":memory:");
    if (db_open(&d, mem ? NULL : path, !write && !mem, 0, &err) < 0) {
        cli_error("sql: %s", err.msg);
        return MT_EXIT_FAIL;
    }
    /* Run every statement; print the last statement's result. */
    duckdb_extracted_statements stmts = NULL;
    idx_t n = duckdb_extract_statements(d.con, sql, &stmts);
    int rc = MT_EXIT_OK;
    if (n == 0) {
        const char *why = duckdb_extract_statements_error(stmts);
        cli_error("sql: %s: %s", path, why ? why : "no SQL statement given");
        rc = MT_EXIT_FAIL;
    }
    for (idx_t i = 0; rc == MT_EXIT_OK && i < n; i++) {
        duckdb_prepared_statement ps = NULL;
        duckdb_result res;
        if (duckdb_prepare_extracted_statement(d.con, stmts, i, &ps) == DuckDBError) {
            cli_error("sql: %s: %s", path, duckdb_prepare_error(ps));
            rc = MT_EXIT_FAIL;
        } else if (duckdb_execute_prepared(ps, &res) == DuckDBError) {
            cli_error("sql: %s: %s", path, duckdb_result_error(&res));
            duckdb_destroy_result(&res);
            rc = MT_EXIT_FAIL;
        } else {
            if (i == n - 1) {
                bool safe = true;
                for (idx_t c = 0; c < duckdb_column_count(&res); c++)
                    if (!text_safe(duckdb_column_type(&res, c))) safe = false;
                duckdb_result text;
                if (safe) print_result(&res, NULL, fmt);
                else if (result_as_text(d.con, &res, &text, &err) == 0) {
                    print_result(&res, &text, fmt);
                    duckdb_destroy_result(&text);
                } else {
                    cli_error("sql: %s: %s", path, err.msg);
                    rc = MT_EXIT_FAIL;
                }
            }
            duckdb_destroy_result(&res);
        }
        duckdb_destroy_prepare(&ps);
    }
    duckdb_destroy_extracted(&stmts);
    db_close(&d);
    return rc;
}
