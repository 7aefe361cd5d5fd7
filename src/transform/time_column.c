/* time_column.c — how an INCREMENTAL_BY_TIME_RANGE model's time column is compared with an
 * interval's bounds, by the column's type, as SQLMesh does.
 *
 * SQLMesh deletes and inserts an interval with `time_column BETWEEN low AND high`, where
 * high is the interval's end minus 1 µs (utils/date.py make_inclusive) and both bounds are
 * converted to the column's type (model/definition.py convert_to_time_column →
 * utils/date.py to_time_column):
 *   DATE, TIMESTAMP[TZ] and other temporal types  a cast of the bound: materia keeps its
 *                                                 `>= s AND < e` form, the same rows
 *   text types                                    the bound formatted with the time
 *                                                 column's format, a string literal
 *   numeric types                                 the formatted bound as a number literal
 * The format is `time_column (col, '%Y%m%d')`'s, else SQLMesh's default '%Y-%m-%d'
 * (constants.py DEFAULT_TIME_COLUMN_FORMAT, model/definition.py set_time_format). SQLMesh
 * formats with Python's strftime; the C library's strftime takes the same codes.
 *
 * The type comes from DuckDB (DESCRIBE): the query's on a version's first range, the
 * physical table's afterwards (it is what the DELETE compares). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "transform/engine.h"
#include "transform/incr.h"
#include "util/db.h"

#define DEFAULT_TIME_COLUMN_FORMAT "%Y-%m-%d"

static enum time_col_kind kind_of_type(const char *t)
{
    static const char *const text[] = {"VARCHAR", "CHAR", "BPCHAR", "TEXT", "STRING"};
    static const char *const num[] = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                                      "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL"};
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
        if (!strncasecmp(t, text[i], strlen(text[i]))) return TIME_COL_TEXT;
    for (size_t i = 0; i < sizeof num / sizeof num[0]; i++)
        if (!strncasecmp(t, num[i], strlen(num[i]))) return TIME_COL_NUMERIC;
    return TIME_COL_TEMPORAL;
}

int time_column_detect(duckdb_connection con, const struct model *m, const char *relation, enum time_col_kind *out,
                       struct mt_err *err)
{
    strbuf sql;
    sb_init(&sql);
    sb_appendf(&sql, "SELECT column_type FROM (DESCRIBE %s) WHERE column_name = ", relation);
    db_quote_literal(&sql, m->time_column);
    duckdb_result res;
    int rc = 0;
    if (duckdb_query(con, sql.buf, &res) == DuckDBError) {
        mt_errf(err, "%s", duckdb_result_error(&res));
        rc = -1;
    } else if (duckdb_row_count(&res) == 0) {
        /* as SQLMesh's convert_to_time_column: ConfigError */
        mt_errf(err, "%s:%d: Time column '%s' not found in model '%s'", m->file, m->line, m->time_column, m->name);
        rc = -1;
    } else {
        char *t = duckdb_value_varchar(&res, 0, 0);
        *out = kind_of_type(t ? t : "");
        duckdb_free(t);
    }
    duckdb_destroy_result(&res);
    sb_free(&sql);
    return rc;
}

static void put_ts(strbuf *sb, int64_t us)
{
    char b[32];
    time_fmt_ts(us, b);
    sb_appendf(sb, "TIMESTAMP '%s'", b);
}

/* The bound formatted (C strftime, UTC) as a literal of kind k. */
static void put_formatted(strbuf *sb, const struct model *m, enum time_col_kind k, int64_t us)
{
    time_t secs = (time_t)(us >= 0 ? us / US_PER_SEC : (us - (US_PER_SEC - 1)) / US_PER_SEC);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[256];
    size_t n = strftime(buf, sizeof buf, m->incr.time_format ? m->incr.time_format : DEFAULT_TIME_COLUMN_FORMAT, &tm);
    buf[n] = '\0';
    if (k == TIME_COL_TEXT) db_quote_literal(sb, buf);
    else sb_append(sb, buf); /* SQLMesh: exp.Literal.number(formatted) */
}

void time_column_filter(strbuf *sb, const struct model *m, enum time_col_kind k, int64_t s, int64_t e)
{
    db_quote_ident(sb, m->time_column);
    if (k == TIME_COL_TEMPORAL) {
        sb_append(sb, " >= ");
        put_ts(sb, s);
        sb_append(sb, " AND ");
        db_quote_ident(sb, m->time_column);
        sb_append(sb, " < ");
        put_ts(sb, e);
        return;
    }
    sb_append(sb, " BETWEEN ");
    put_formatted(sb, m, k, s);
    sb_append(sb, " AND ");
    put_formatted(sb, m, k, e - 1); /* make_inclusive: end - 1 µs */
}
