/* web_api.c — see web_api.h. The SQL of every data route, the rendering of result chunks
 * into JSON or CSV. (The /api documentation page is src/web/api_doc.html, compiled in.)
 *
 * Statements are prepared once per (snapshot, worker connection) and addressed by id; the
 * ranking metric picks one of seven fixed statements, the COT index window one of two (a
 * column name cannot be a bound parameter); the COT date bounds are bound parameters. Columns are listed explicitly in the order of ARCHITECTURE §3, so a snapshot
 * missing one fails loudly instead of changing the API's shape.
 *
 * Measured costs that shape this file (bench/RESULTS.md "Web", DuckDB 1.4, 4k-row table):
 *  - DuckDB re-binds and re-optimizes a prepared statement with a parameter in a table-scan
 *    filter on *every* execution (~0.4 ms). The per-country statements (country header and
 *    balance) therefore carry the country code as a literal, prepared once per (connection,
 *    country) and kept only for countries that exist (so at most 2 x #countries per
 *    connection). Request text never becomes SQL text: the request's code (validated by
 *    web_route as exactly two of [A-Z0-9]) is only bound as a parameter to Q_CC_LOOKUP, and
 *    the literal spliced into the per-country SQL is the string that lookup returned from
 *    the snapshot's countries table. An unknown code is a 404 before any SQL is built.
 *  - ORDER BY on a few dozen rows costs ~0.3 ms (sort operator setup): balance and world
 *    are fetched unordered and put in market_year order here (a stable insertion sort on
 *    row indices; storage order is nearly always already sorted, so it is O(n)).
 *  - A streaming result (duckdb_pending_prepared_streaming) skips materializing the result
 *    in DuckDB: the chunks are fetched inside the watchdog window and rendered from there. */
#include "web/web_api.h"
#include "util/err.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/web_watchdog.h"

enum {
    Q_COUNTRIES = 0,
    Q_WORLD,
    Q_REVISIONS,
    Q_RELEASES,
    Q_CC_LOOKUP,
    Q_COT,
    Q_COT_INDEX26,
    Q_COT_INDEX52,
    Q_RANK0, /* + index into web_metrics[] */
};

/* market_year_label: the dashboard's market-year language ("2022/23" for PSD's 2023), so a
 * CSV opened in a spreadsheet says what the screen says; market_year stays PSD's integer. */
#define MY_LABEL                                                                              \
    "CAST(market_year - 1 AS VARCHAR) || '/' || right(CAST(market_year AS VARCHAR), 2)"       \
    " AS market_year_label, " /* no '%': CC_SQL_BALANCE is a printf format */

#define BALANCE_COLS                                                                         \
    "country_code, country_name, iso3, region, market_year, " MY_LABEL                      \
    "production, arabica_production, "                                                       \
    "robusta_production, other_production, beginning_stocks, imports, bean_imports, exports, " \
    "bean_exports, domestic_consumption, ending_stocks, total_supply, total_distribution, "   \
    "stocks_to_use_pct, release_date"

#define WORLD_COLS                                                                            \
    "market_year, " MY_LABEL "production, arabica_production, robusta_production, "          \
    "other_production, "                                                                      \
    "beginning_stocks, imports, bean_imports, exports, bean_exports, domestic_consumption, "  \
    "ending_stocks, total_supply, total_distribution, stocks_to_use_pct, reporting_countries, " \
    "release_date"

/* cot_positioning in the order of the serving contract (ARCHITECTURE §3): per trader
 * category long, short, spread, net, net change, % of open interest, trader counts. */
#define COT_CAT(c)                                                                            \
    c "_long, " c "_short, " c "_spread, " c "_net, " c "_net_change, " c "_long_pct_oi, "    \
    c "_short_pct_oi, " c "_traders_long, " c "_traders_short, "
#define COT_COLS                                                                              \
    "report_date, open_interest, open_interest_change, " COT_CAT("prod_merc") COT_CAT("swap") \
    COT_CAT("managed_money") COT_CAT("other_rept") COT_CAT("nonrept")                         \
    "traders_total, source_file, landed_at"
/* cot_index for one window: the window's two index columns under window-free names, so
 * the 26- and 52-week answers have the same shape. */
#define COT_INDEX_SQL(w)                                                                      \
    "SELECT report_date, managed_money_net, managed_money_index_" w "w AS managed_money_index," \
    " prod_merc_net, prod_merc_index_" w "w AS prod_merc_index FROM cot_index"

static const char *const sql_fixed[] = {
    [Q_COUNTRIES] =
        "SELECT c.country_code, c.country_name, c.iso2, c.iso3, c.iso_numeric, c.region,"
        " b.market_year AS latest_market_year, b.production"
        " FROM countries c LEFT JOIN (SELECT country_code, market_year, production"
        "   FROM coffee_balance"
        "   QUALIFY row_number() OVER (PARTITION BY country_code ORDER BY market_year DESC) = 1) b"
        " ON b.country_code = c.country_code ORDER BY c.country_code",
    [Q_WORLD] = "SELECT " WORLD_COLS " FROM world_balance", /* ordered in C (sort_col 0) */
    [Q_REVISIONS] = "SELECT market_year, release_date, value, previous_value, change"
                    " FROM psd_revisions WHERE country_code = $1 AND attribute = $2"
                    " AND ($3::INTEGER = 0 OR market_year = $3::INTEGER)"
                    " ORDER BY market_year, release_date",
    [Q_RELEASES] = "SELECT release_date, etag, file, rows, landed_at FROM releases"
                   " ORDER BY release_date DESC, landed_at DESC, etag",
    /* the snapshot's own spelling of a country code, found through a bound parameter */
    [Q_CC_LOOKUP] = "SELECT country_code FROM countries WHERE country_code = $1",
    /* bounds always bound (open ends as WEB_YEAR_MIN-01-01 / WEB_YEAR_MAX-12-31); rows put
     * in report_date order in C (sort_col 0), like world */
    [Q_COT] = "SELECT " COT_COLS " FROM cot_positioning WHERE report_date BETWEEN $1 AND $2",
    [Q_COT_INDEX26] = COT_INDEX_SQL("26"), /* ordered in C (sort_col 0) */
    [Q_COT_INDEX52] = COT_INDEX_SQL("52"),
};

/* Rankings: one statement per whitelisted metric (web_metrics[] order). */
#define RANK_SQL(col)                                                                         \
    "WITH t AS (SELECT country_code, country_name, iso3, " col " AS value FROM coffee_balance" \
    " WHERE market_year = $1 AND " col " > 0)"                                                \
    " SELECT CAST(row_number() OVER (ORDER BY value DESC, country_code) AS INTEGER) AS rank,"  \
    " country_code, country_name, iso3, value,"                                               \
    " round(100 * value / sum(value) OVER (), 2) AS share_pct"                                \
    " FROM t ORDER BY rank LIMIT $2"

static const char *const sql_rank[] = {
    RANK_SQL("production"),         RANK_SQL("exports"),
    RANK_SQL("imports"),            RANK_SQL("domestic_consumption"),
    RANK_SQL("ending_stocks"),      RANK_SQL("arabica_production"),
    RANK_SQL("robusta_production"),
};

/* Per-country statements (literal country code; see the top of this file). */
#define CC_SQL_COUNTRY "SELECT country_code, country_name, iso3, region FROM countries WHERE country_code = '%s'"
#define CC_SQL_BALANCE "SELECT " BALANCE_COLS " FROM coffee_balance WHERE country_code = '%s'"
enum { CC_COUNTRY = 0, CC_BALANCE = 1 };

/* ---- rendering ------------------------------------------------------------------------- */

/* Appends v in decimal (no printf: this runs for most cells). */
static void put_i64(strbuf *sb, long long v)
{
    char b[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        b[sizeof b - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) b[sizeof b - 1 - n++] = '-';
    sb_append_len(sb, b + sizeof b - n, (size_t)n);
}

static void put_u64(strbuf *sb, unsigned long long u)
{
    char b[24];
    int n = 0;
    do {
        b[sizeof b - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    sb_append_len(sb, b + sizeof b - n, (size_t)n);
}

static void put_double(strbuf *sb, double v)
{
    if (v == v && v > -1e15 && v < 1e15 && v == (double)(long long)v) put_i64(sb, (long long)v);
    else web_json_double(sb, v);
}

static void render_value(strbuf *sb, duckdb_type t, duckdb_logical_type lt, void *data,
                         idx_t row, enum web_format fmt)
{
    char b[48];
    switch (t) {
    case DUCKDB_TYPE_BOOLEAN: sb_append(sb, ((bool *)data)[row] ? "true" : "false"); return;
    case DUCKDB_TYPE_TINYINT: put_i64(sb, ((int8_t *)data)[row]); return;
    case DUCKDB_TYPE_SMALLINT: put_i64(sb, ((int16_t *)data)[row]); return;
    case DUCKDB_TYPE_INTEGER: put_i64(sb, ((int32_t *)data)[row]); return;
    case DUCKDB_TYPE_BIGINT: put_i64(sb, (long long)((int64_t *)data)[row]); return;
    case DUCKDB_TYPE_UTINYINT: put_u64(sb, ((uint8_t *)data)[row]); return;
    case DUCKDB_TYPE_USMALLINT: put_u64(sb, ((uint16_t *)data)[row]); return;
    case DUCKDB_TYPE_UINTEGER: put_u64(sb, ((uint32_t *)data)[row]); return;
    case DUCKDB_TYPE_UBIGINT: put_u64(sb, (unsigned long long)((uint64_t *)data)[row]); return;
    case DUCKDB_TYPE_HUGEINT: put_double(sb, duckdb_hugeint_to_double(((duckdb_hugeint *)data)[row])); return;
    case DUCKDB_TYPE_FLOAT: web_json_double(sb, ((float *)data)[row]); return;
    case DUCKDB_TYPE_DOUBLE: put_double(sb, ((double *)data)[row]); return;
    case DUCKDB_TYPE_DECIMAL: {
        uint8_t scale = duckdb_decimal_scale(lt);
        double v;
        switch (duckdb_decimal_internal_type(lt)) {
        case DUCKDB_TYPE_SMALLINT: v = ((int16_t *)data)[row]; break;
        case DUCKDB_TYPE_INTEGER: v = ((int32_t *)data)[row]; break;
        case DUCKDB_TYPE_BIGINT: v = (double)((int64_t *)data)[row]; break;
        default: v = duckdb_hugeint_to_double(((duckdb_hugeint *)data)[row]);
        }
        for (uint8_t i = 0; i < scale; i++) v /= 10;
        put_double(sb, v);
        return;
    }
    case DUCKDB_TYPE_DATE: {
        duckdb_date_struct d = duckdb_from_date(((duckdb_date *)data)[row]);
        snprintf(b, sizeof b, "%04d-%02d-%02d", d.year, d.month, d.day);
        break;
    }
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ: {
        duckdb_timestamp_struct ts = duckdb_from_timestamp(((duckdb_timestamp *)data)[row]);
        int n = snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d", ts.date.year,
                         ts.date.month, ts.date.day, ts.time.hour, ts.time.min, ts.time.sec);
        if (ts.time.micros) snprintf(b + n, sizeof b - (size_t)n, ".%06d", ts.time.micros);
        strcat(b, "Z");
        break;
    }
    case DUCKDB_TYPE_VARCHAR: {
        duckdb_string_t *s = &((duckdb_string_t *)data)[row];
        uint32_t len = duckdb_string_t_length(*s);
        const char *p = duckdb_string_t_data(s);
        if (fmt == WF_JSON) web_json_str(sb, p, len);
        else web_csv_field(sb, p, len);
        return;
    }
    default: sb_append(sb, fmt == WF_JSON ? "null" : ""); return;
    }
    /* text types (date, timestamp) */
    if (fmt == WF_JSON) web_json_str(sb, b, strlen(b));
    else sb_append(sb, b);
}

#define MAX_COLS 64

/* A fetched result: its chunks, in order (owned; rows_free destroys them). */
struct rows {
    duckdb_data_chunk *chunks;
    size_t n, cap;
    idx_t total;
};

static void rows_free(struct rows *r)
{
    for (size_t i = 0; i < r->n; i++) duckdb_destroy_data_chunk(&r->chunks[i]);
    free(r->chunks);
    memset(r, 0, sizeof *r);
}

static void rows_fetch(struct rows *r, duckdb_result *res)
{
    duckdb_data_chunk chunk;
    while ((chunk = duckdb_fetch_chunk(*res)) != NULL) {
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 4;
            r->chunks = xrealloc(r->chunks, r->cap * sizeof *r->chunks);
        }
        r->chunks[r->n++] = chunk;
        r->total += duckdb_data_chunk_get_size(chunk);
    }
}

/* Integer (or date: days) value of column c of (chunk, row) for ordering; NULL sorts last. */
static long long sort_key(duckdb_data_chunk ch, idx_t c, duckdb_type t, idx_t row)
{
    duckdb_vector v = duckdb_data_chunk_get_vector(ch, c);
    uint64_t *valid = duckdb_vector_get_validity(v);
    if (valid && !duckdb_validity_row_is_valid(valid, row)) return LLONG_MAX;
    void *d = duckdb_vector_get_data(v);
    switch (t) {
    case DUCKDB_TYPE_SMALLINT: return ((int16_t *)d)[row];
    case DUCKDB_TYPE_INTEGER: return ((int32_t *)d)[row];
    case DUCKDB_TYPE_BIGINT: return (long long)((int64_t *)d)[row];
    case DUCKDB_TYPE_DATE: return ((duckdb_date *)d)[row].days;
    default: return 0; /* not an integer or date column: keep storage order */
    }
}

/* Renders r (columns described by res) as JSON or CSV; sort_col >= 0 orders the rows by
 * that integer column (stable), else storage order. */
static void render_fetched(strbuf *sb, duckdb_result *res, struct rows *r, enum web_format fmt,
                           int sort_col)
{
    idx_t ncol = duckdb_column_count(res);
    if (ncol > MAX_COLS) ncol = MAX_COLS;
    duckdb_type types[MAX_COLS];
    duckdb_logical_type ltypes[MAX_COLS];
    strbuf keys; /* JSON: "name": for every column, back to back; CSV: the header line */
    size_t koff[MAX_COLS + 1];
    sb_init(&keys);
    for (idx_t c = 0; c < ncol; c++) {
        types[c] = duckdb_column_type(res, c);
        ltypes[c] = duckdb_column_logical_type(res, c);
        const char *name = duckdb_column_name(res, c);
        koff[c] = keys.len;
        if (fmt == WF_JSON) {
            if (c) sb_append_char(&keys, ',');
            web_json_str(&keys, name, strlen(name));
            sb_append_char(&keys, ':');
        } else {
            if (c) sb_append_char(&keys, ',');
            web_csv_field(&keys, name, strlen(name));
        }
    }
    koff[ncol] = keys.len;
    if (fmt == WF_CSV) {
        if (keys.len) sb_append_len(sb, keys.buf, keys.len);
        sb_append_len(sb, "\r\n", 2);
    } else {
        sb_append_char(sb, '[');
    }

    /* Row order: (chunk, row) pairs, stably sorted when asked. */
    struct pos { uint32_t chunk, row; long long key; };
    struct pos *order = xmalloc((r->total ? r->total : 1) * sizeof *order);
    size_t n = 0;
    bool sort = sort_col >= 0 && (idx_t)sort_col < ncol;
    for (size_t k = 0; k < r->n; k++) {
        idx_t sz = duckdb_data_chunk_get_size(r->chunks[k]);
        for (idx_t i = 0; i < sz; i++) {
            struct pos p = {(uint32_t)k, (uint32_t)i,
                            sort ? sort_key(r->chunks[k], (idx_t)sort_col, types[sort_col], i) : 0};
            size_t j = n++;
            while (sort && j > 0 && order[j - 1].key > p.key) { /* insertion: stable */
                order[j] = order[j - 1];
                j--;
            }
            order[j] = p;
        }
    }

    void *data[MAX_COLS];
    uint64_t *valid[MAX_COLS];
    uint32_t cur = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        if (order[i].chunk != cur) {
            cur = order[i].chunk;
            for (idx_t c = 0; c < ncol; c++) {
                duckdb_vector v = duckdb_data_chunk_get_vector(r->chunks[cur], c);
                data[c] = duckdb_vector_get_data(v);
                valid[c] = duckdb_vector_get_validity(v);
            }
        }
        idx_t row = order[i].row;
        if (fmt == WF_JSON) sb_append_len(sb, i ? ",{" : "{", i ? 2 : 1);
        for (idx_t c = 0; c < ncol; c++) {
            if (fmt == WF_JSON) sb_append_len(sb, keys.buf + koff[c], koff[c + 1] - koff[c]);
            else if (c) sb_append_char(sb, ',');
            if (valid[c] && !duckdb_validity_row_is_valid(valid[c], row)) {
                if (fmt == WF_JSON) sb_append_len(sb, "null", 4);
                continue;
            }
            render_value(sb, types[c], ltypes[c], data[c], row, fmt);
        }
        if (fmt == WF_JSON) sb_append_char(sb, '}');
        else sb_append_len(sb, "\r\n", 2);
    }
    if (fmt == WF_JSON) sb_append_char(sb, ']');
    free(order);
    sb_free(&keys);
    for (idx_t c = 0; c < ncol; c++) duckdb_destroy_logical_type(&ltypes[c]);
}

void web_api_render_rows(strbuf *sb, duckdb_result *res, enum web_format fmt)
{
    struct rows r = {0};
    rows_fetch(&r, res);
    render_fetched(sb, res, &r, fmt, -1);
    rows_free(&r);
}

/* ---- running statements ---------------------------------------------------------------- */

#define TIMEOUT_MESSAGE "query exceeded the time limit (MATERIA_QUERY_TIMEOUT_MS); try again later"

/* Executes st (parameters already bound) as a streaming query and fetches every chunk into
 * *out, all inside the watchdog window (a streaming query does its work while fetching).
 * 0 with *res open (the caller destroys it and frees *out), or an HTTP status with e. */
static int run(struct web_conn *wc, int slot, duckdb_prepared_statement st, duckdb_result *res,
               struct rows *out, struct web_error *e)
{
    memset(out, 0, sizeof *out);
    wc->queries++;
    web_watch_begin(slot, wc->con);
    duckdb_pending_result pending;
    duckdb_state ok = duckdb_pending_prepared_streaming(st, &pending);
    if (ok == DuckDBSuccess) {
        ok = duckdb_execute_pending(pending, res);
        if (ok == DuckDBSuccess) {
            rows_fetch(out, res);
            if (duckdb_result_error(res)) ok = DuckDBError; /* failed or interrupted mid-stream */
        }
    } else {
        memset(res, 0, sizeof *res);
    }
    bool interrupted = web_watch_end(slot);
    if (ok == DuckDBSuccess) {
        duckdb_destroy_pending(&pending);
        return 0;
    }
    rows_free(out);
    int status = 500;
    if (interrupted) {
        e->timeout = true;
        snprintf(e->message, sizeof e->message, TIMEOUT_MESSAGE);
        status = 503;
    } else {
        const char *msg = res->internal_data ? duckdb_result_error(res) : duckdb_pending_error(pending);
        snprintf(e->message, sizeof e->message, "query failed: %.120s", msg ? msg : "unknown error");
    }
    if (res->internal_data) duckdb_destroy_result(res);
    duckdb_destroy_pending(&pending);
    return status;
}

/* The watchdog covers preparation too (binding and planning read the catalog). */
static duckdb_prepared_statement stmt(struct web_conn *wc, int slot, int id, struct web_error *e)
{
    struct mt_err err = MT_ERR_INIT;
    const char *sql = id >= Q_RANK0 ? sql_rank[id - Q_RANK0] : sql_fixed[id];
    web_watch_begin(slot, wc->con);
    duckdb_prepared_statement st = web_conn_stmt(wc, id, sql, &err);
    bool interrupted = web_watch_end(slot);
    if (!st && interrupted) {
        e->timeout = true;
        snprintf(e->message, sizeof e->message, TIMEOUT_MESSAGE);
    } else if (!st) {
        snprintf(e->message, sizeof e->message, "%.150s", err.msg);
    }
    return st;
}

/* 0..1295 for a code of exactly two [A-Z0-9] (what web_route accepts), else -1. */
static int cc_index(const char *cc)
{
    int v = 0;
    for (int i = 0; i < 2; i++) {
        char ch = cc[i];
        int d = ch >= 'A' && ch <= 'Z' ? ch - 'A' : ch >= '0' && ch <= '9' ? 26 + ch - '0' : -1;
        if (d < 0) return -1;
        v = v * 36 + d;
    }
    return cc[2] ? -1 : v;
}

/* The per-country statement `which` (CC_COUNTRY / CC_BALANCE) for cc on wc. Returns NULL
 * with *status 404 when the snapshot has no such country, or 500 on a DuckDB error. */
static duckdb_prepared_statement cc_stmt(struct web_conn *wc, int slot, int which, const char *cc,
                                         struct web_error *e, int *status)
{
    int ix = cc_index(cc);
    *status = 500;
    if (ix < 0) {
        snprintf(e->message, sizeof e->message, "bad country code");
        return NULL;
    }
    if (!wc->cc_stmts) wc->cc_stmts = xcalloc(2 * WEB_CC_SLOTS, sizeof *wc->cc_stmts);
    duckdb_prepared_statement *cached = &wc->cc_stmts[2 * ix + which];
    if (*cached) {
        *status = 0;
        return *cached;
    }
    /* First use on this connection: read the code back from the snapshot (bound). */
    duckdb_prepared_statement look = stmt(wc, slot, Q_CC_LOOKUP, e);
    if (!look) {
        if (e->timeout) *status = 503;
        return NULL;
    }
    duckdb_result res;
    if (duckdb_bind_varchar(look, 1, cc) == DuckDBError) {
        snprintf(e->message, sizeof e->message, "country lookup: cannot bind the code");
        return NULL;
    }
    web_watch_begin(slot, wc->con);
    duckdb_state lk = duckdb_execute_prepared(look, &res);
    if (web_watch_end(slot)) {
        duckdb_destroy_result(&res);
        e->timeout = true;
        snprintf(e->message, sizeof e->message, TIMEOUT_MESSAGE);
        *status = 503;
        return NULL;
    }
    if (lk == DuckDBError) {
        snprintf(e->message, sizeof e->message, "country lookup failed: %.120s",
                 duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        return NULL;
    }
    char *known = duckdb_row_count(&res) == 1 ? duckdb_value_varchar(&res, 0, 0) : NULL;
    duckdb_destroy_result(&res);
    if (!known || cc_index(known) != ix) {
        duckdb_free(known);
        snprintf(e->message, sizeof e->message, "no country with code %s in this snapshot", cc);
        snprintf(e->parameter, sizeof e->parameter, "country_code");
        *status = 404;
        return NULL;
    }
    char sql[sizeof CC_SQL_BALANCE + 8];
    snprintf(sql, sizeof sql, which == CC_COUNTRY ? CC_SQL_COUNTRY : CC_SQL_BALANCE, known);
    duckdb_free(known);
    web_watch_begin(slot, wc->con);
    duckdb_state pr = duckdb_prepare(wc->con, sql, cached);
    bool interrupted = web_watch_end(slot);
    if (pr == DuckDBError) {
        if (interrupted) {
            e->timeout = true;
            snprintf(e->message, sizeof e->message, TIMEOUT_MESSAGE);
            *status = 503;
        } else {
            snprintf(e->message, sizeof e->message, "cannot prepare: %.120s", duckdb_prepare_error(*cached));
        }
        duckdb_destroy_prepare(cached);
        *cached = NULL;
        return NULL;
    }
    *status = 0;
    return *cached;
}

/* The {"country":{...}} object (JSON) for cc, or 404 when the snapshot has no such code
 * (its statement is then dropped, so unknown codes never pile up statements). */
static int country_object(struct web_conn *wc, int slot, const char *cc, strbuf *out,
                          struct web_error *e)
{
    int status;
    duckdb_prepared_statement st = cc_stmt(wc, slot, CC_COUNTRY, cc, e, &status);
    if (!st) return status;
    duckdb_result res;
    struct rows r;
    int rc = run(wc, slot, st, &res, &r, e);
    if (rc) return rc;
    if (!r.total) {
        rows_free(&r);
        duckdb_destroy_result(&res);
        duckdb_destroy_prepare(&wc->cc_stmts[2 * cc_index(cc) + CC_COUNTRY]);
        snprintf(e->message, sizeof e->message, "no country with code %s in this snapshot", cc);
        snprintf(e->parameter, sizeof e->parameter, "country_code");
        return 404;
    }
    if (out) {
        strbuf tmp;
        sb_init(&tmp);
        render_fetched(&tmp, &res, &r, WF_JSON, -1);
        sb_append_len(out, tmp.buf + 1, tmp.len - 2); /* the one object, unwrapped */
        sb_free(&tmp);
    }
    rows_free(&r);
    duckdb_destroy_result(&res);
    return 0;
}

int web_api_answer(struct web_snapshot *s, int slot, const struct web_route *rt, strbuf *body,
                   struct web_error *e)
{
    struct mt_err err = MT_ERR_INIT;
    struct web_conn tmp;
    if (slot >= 0 && slot < s->nslots && s->conns[slot].queries >= WEB_CONN_RECYCLE)
        web_conn_close(&s->conns[slot]); /* this thread's own slot; reconnected just below */
    struct web_conn *wc = web_snapshot_conn(s, slot, &tmp, &err);
    if (!wc) {
        snprintf(e->message, sizeof e->message, "%.150s", err.msg);
        return 503;
    }
    int watch_slot = wc == &tmp ? -1 : slot;
    bool json = rt->format == WF_JSON;
    int rc = 0, sort_col = -1;
    duckdb_prepared_statement st = NULL;
    switch (rt->id) {
    case WR_COUNTRIES: st = stmt(wc, watch_slot, Q_COUNTRIES, e); break;
    case WR_WORLD:
        st = stmt(wc, watch_slot, Q_WORLD, e);
        sort_col = 0; /* market_year */
        break;
    case WR_RELEASES: st = stmt(wc, watch_slot, Q_RELEASES, e); break;
    case WR_BALANCE:
        if (json) sb_append(body, "{\"country\":");
        rc = country_object(wc, watch_slot, rt->country, json ? body : NULL, e);
        if (json) sb_append(body, ",");
        if (!rc && !(st = cc_stmt(wc, watch_slot, CC_BALANCE, rt->country, e, &rc))) break;
        sort_col = 4; /* market_year */
        break;
    case WR_RANKINGS: {
        int year = rt->year ? rt->year : s->latest_year;
        if (json)
            sb_appendf(body, "{\"metric\":\"%s\",\"year\":%d,", web_metrics[rt->metric], year);
        if ((st = stmt(wc, watch_slot, Q_RANK0 + rt->metric, e)) &&
            (duckdb_bind_int32(st, 1, year) == DuckDBError ||
             duckdb_bind_int64(st, 2, rt->limit) == DuckDBError)) {
            snprintf(e->message, sizeof e->message, "rankings: cannot bind the parameters");
            rc = 500;
        }
        break;
    }
    case WR_REVISIONS:
        rc = country_object(wc, watch_slot, rt->country, NULL, e);
        if (json) {
            sb_appendf(body, "{\"country_code\":\"%s\",\"attribute\":\"%s\",\"market_year\":",
                       rt->country, web_attributes[rt->attribute]);
            if (rt->market_year) sb_appendf(body, "%d,", rt->market_year);
            else sb_append(body, "null,");
        }
        if (!rc && (st = stmt(wc, watch_slot, Q_REVISIONS, e)) &&
            (duckdb_bind_varchar(st, 1, rt->country) == DuckDBError ||
             duckdb_bind_varchar(st, 2, web_attributes[rt->attribute]) == DuckDBError ||
             duckdb_bind_int32(st, 3, rt->market_year) == DuckDBError)) {
            snprintf(e->message, sizeof e->message, "revisions: cannot bind the parameters");
            rc = 500;
        }
        break;
    case WR_COT: {
        int lo = rt->from ? rt->from : WEB_YEAR_MIN * 10000 + 101;
        int hi = rt->to ? rt->to : WEB_YEAR_MAX * 10000 + 1231;
        duckdb_date_struct a = {lo / 10000, (int8_t)(lo / 100 % 100), (int8_t)(lo % 100)};
        duckdb_date_struct b = {hi / 10000, (int8_t)(hi / 100 % 100), (int8_t)(hi % 100)};
        if ((st = stmt(wc, watch_slot, Q_COT, e)) &&
            (duckdb_bind_date(st, 1, duckdb_to_date(a)) == DuckDBError ||
             duckdb_bind_date(st, 2, duckdb_to_date(b)) == DuckDBError)) {
            snprintf(e->message, sizeof e->message, "cot: cannot bind the dates");
            rc = 500;
        }
        sort_col = 0; /* report_date */
        break;
    }
    case WR_COT_INDEX:
        if (json) sb_appendf(body, "{\"window\":%d,", rt->window);
        st = stmt(wc, watch_slot, rt->window == 26 ? Q_COT_INDEX26 : Q_COT_INDEX52, e);
        sort_col = 0; /* report_date */
        break;
    default:
        snprintf(e->message, sizeof e->message, "not a data route");
        rc = 500;
    }
    if (!rc && !st) rc = e->timeout ? 503 : 500;
    duckdb_result res;
    struct rows r;
    if (!rc) rc = run(wc, watch_slot, st, &res, &r, e);
    if (!rc) {
        if (json && (rt->id == WR_COUNTRIES || rt->id == WR_WORLD || rt->id == WR_RELEASES ||
                     rt->id == WR_COT))
            sb_append_char(body, '{');
        if (json) sb_append(body, "\"rows\":");
        render_fetched(body, &res, &r, rt->format, sort_col);
        if (json) sb_append_char(body, '}');
        rows_free(&r);
        duckdb_destroy_result(&res);
    }
    if (wc == &tmp) web_conn_close(&tmp);
    return rc ? rc : 200;
}

/* Every data route has the same lifetimes, on purpose: the routes are all read from one
 * snapshot, and a dashboard page mixes several of them, so equal lifetimes make a PoP's
 * entries turn over together instead of mixing snapshots for longer than one of them would.
 *  Cache-Control: public, max-age=0, s-maxage=300
 *  - max-age=0: browsers revalidate every use (the ETag names the snapshot: a 304 until a
 *    swap), as they did with no-cache; no-cache itself would bind shared caches too.
 *  - s-maxage=300: how long a shared cache keeps an answer without asking. The purge after
 *    each export (serving/cdn_purge.h) makes a swap visible at once; 300 s bounds the
 *    staleness when no purge is configured, when it failed, or when a replica that had not
 *    swapped yet refilled the CDN with the previous snapshot after the purge. Cost: one
 *    origin request per PoP and URL per 5 minutes, answered from the response cache.
 *  CDN-Cache-Control: max-age=300, stale-while-revalidate=60 (RFC 9213; Cloudflare, Fastly
 *  and Akamai read it, and it takes precedence there over Cache-Control)
 *  - stale-while-revalidate=60: at expiry the CDN answers from its copy while one request
 *    refreshes it, so a release-day crowd never waits on the origin together. It is here and
 *    not in Cache-Control because there it would do the wrong thing twice: s-maxage carries
 *    proxy-revalidate's meaning, so RFC 9111 (§4.2.4, §5.2.2.10) forbids a shared cache to
 *    serve stale under it (Cloudflare documents that it then ignores the directive), and
 *    browsers, which ignore s-maxage, would apply it to max-age=0 and show an answer up to
 *    a minute old after a swap. */
const char *web_api_cache_control(enum web_route_id id)
{
    (void)id; /* see above: one lifetime for every data route */
    return "public, max-age=0, s-maxage=300";
}

const char *web_api_cdn_cache_control(enum web_route_id id)
{
    (void)id;
    return "max-age=300, stale-while-revalidate=60";
}

void web_api_cdn_tags(const char *snapshot_id, char sep, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s%c%s%s", WEB_CDN_TAG_ALL, sep, WEB_CDN_TAG_SNAPSHOT, snapshot_id);
}
