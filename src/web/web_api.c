/* web_api.c — see web_api.h. The SQL of every data route, the rendering of result chunks
 * into JSON or CSV, and the /api documentation page.
 *
 * Statements are prepared once per (snapshot, worker connection) and addressed by id; the
 * ranking metric picks one of seven fixed statements (a column name cannot be a bound
 * parameter, and request text never becomes SQL). Columns are listed explicitly in the
 * order of ARCHITECTURE §3, so a snapshot missing one fails loudly instead of changing the
 * API's shape. */
#include "web/web_api.h"

#include <stdio.h>
#include <string.h>

#include "web/web_watchdog.h"

enum {
    Q_COUNTRIES = 0,
    Q_COUNTRY,
    Q_BALANCE,
    Q_WORLD,
    Q_REVISIONS,
    Q_RELEASES,
    Q_RANK0, /* + index into web_metrics[] */
};

#define BALANCE_COLS                                                                         \
    "country_code, country_name, iso3, region, market_year, production, arabica_production, " \
    "robusta_production, other_production, beginning_stocks, imports, bean_imports, exports, " \
    "bean_exports, domestic_consumption, ending_stocks, total_supply, total_distribution, "   \
    "stocks_to_use_pct, release_date"

#define WORLD_COLS                                                                            \
    "market_year, production, arabica_production, robusta_production, other_production, "    \
    "beginning_stocks, imports, bean_imports, exports, bean_exports, domestic_consumption, "  \
    "ending_stocks, total_supply, total_distribution, stocks_to_use_pct, reporting_countries, " \
    "release_date"

static const char *const sql_fixed[] = {
    [Q_COUNTRIES] =
        "SELECT c.country_code, c.country_name, c.iso2, c.iso3, c.iso_numeric, c.region,"
        " b.market_year AS latest_market_year, b.production"
        " FROM countries c LEFT JOIN (SELECT country_code, market_year, production"
        "   FROM coffee_balance"
        "   QUALIFY row_number() OVER (PARTITION BY country_code ORDER BY market_year DESC) = 1) b"
        " ON b.country_code = c.country_code ORDER BY c.country_code",
    [Q_COUNTRY] = "SELECT country_code, country_name, iso3, region FROM countries"
                  " WHERE country_code = $1",
    [Q_BALANCE] = "SELECT " BALANCE_COLS " FROM coffee_balance WHERE country_code = $1"
                  " ORDER BY market_year",
    [Q_WORLD] = "SELECT " WORLD_COLS " FROM world_balance ORDER BY market_year",
    [Q_REVISIONS] = "SELECT market_year, release_date, value, previous_value, change"
                    " FROM psd_revisions WHERE country_code = $1 AND attribute = $2"
                    " AND ($3::INTEGER = 0 OR market_year = $3::INTEGER)"
                    " ORDER BY market_year, release_date",
    [Q_RELEASES] = "SELECT release_date, etag, file, rows, landed_at FROM releases"
                   " ORDER BY release_date DESC, landed_at DESC, etag",
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

/* ---- rendering ------------------------------------------------------------------------- */

static void render_value(strbuf *sb, duckdb_type t, duckdb_logical_type lt, void *data,
                         idx_t row, enum web_format fmt)
{
    char b[48];
    switch (t) {
    case DUCKDB_TYPE_BOOLEAN: sb_append(sb, ((bool *)data)[row] ? "true" : "false"); return;
    case DUCKDB_TYPE_TINYINT: sb_appendf(sb, "%d", ((int8_t *)data)[row]); return;
    case DUCKDB_TYPE_SMALLINT: sb_appendf(sb, "%d", ((int16_t *)data)[row]); return;
    case DUCKDB_TYPE_INTEGER: sb_appendf(sb, "%d", ((int32_t *)data)[row]); return;
    case DUCKDB_TYPE_BIGINT: sb_appendf(sb, "%lld", (long long)((int64_t *)data)[row]); return;
    case DUCKDB_TYPE_UTINYINT: sb_appendf(sb, "%u", ((uint8_t *)data)[row]); return;
    case DUCKDB_TYPE_USMALLINT: sb_appendf(sb, "%u", ((uint16_t *)data)[row]); return;
    case DUCKDB_TYPE_UINTEGER: sb_appendf(sb, "%u", ((uint32_t *)data)[row]); return;
    case DUCKDB_TYPE_UBIGINT:
        sb_appendf(sb, "%llu", (unsigned long long)((uint64_t *)data)[row]);
        return;
    case DUCKDB_TYPE_HUGEINT: web_json_double(sb, duckdb_hugeint_to_double(((duckdb_hugeint *)data)[row])); return;
    case DUCKDB_TYPE_FLOAT: web_json_double(sb, ((float *)data)[row]); return;
    case DUCKDB_TYPE_DOUBLE: web_json_double(sb, ((double *)data)[row]); return;
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
        web_json_double(sb, v);
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

void web_api_render_rows(strbuf *sb, duckdb_result *res, enum web_format fmt)
{
    idx_t ncol = duckdb_column_count(res);
    duckdb_type types[64];
    duckdb_logical_type ltypes[64];
    char keys[64][80];
    if (ncol > 64) ncol = 64;
    for (idx_t c = 0; c < ncol; c++) {
        types[c] = duckdb_column_type(res, c);
        ltypes[c] = duckdb_column_logical_type(res, c);
        snprintf(keys[c], sizeof keys[c], "%s", duckdb_column_name(res, c));
    }
    if (fmt == WF_CSV) {
        for (idx_t c = 0; c < ncol; c++) {
            if (c) sb_append_char(sb, ',');
            web_csv_field(sb, keys[c], strlen(keys[c]));
        }
        sb_append(sb, "\r\n");
    } else {
        sb_append_char(sb, '[');
    }
    bool first_row = true;
    duckdb_data_chunk chunk;
    while ((chunk = duckdb_fetch_chunk(*res)) != NULL) {
        idx_t n = duckdb_data_chunk_get_size(chunk);
        void *data[64];
        uint64_t *valid[64];
        for (idx_t c = 0; c < ncol; c++) {
            duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
            data[c] = duckdb_vector_get_data(v);
            valid[c] = duckdb_vector_get_validity(v);
        }
        for (idx_t r = 0; r < n; r++) {
            if (fmt == WF_JSON) {
                sb_append(sb, first_row ? "{" : ",{");
                first_row = false;
            }
            for (idx_t c = 0; c < ncol; c++) {
                if (fmt == WF_JSON) {
                    if (c) sb_append_char(sb, ',');
                    web_json_str(sb, keys[c], strlen(keys[c]));
                    sb_append_char(sb, ':');
                } else if (c) {
                    sb_append_char(sb, ',');
                }
                if (valid[c] && !duckdb_validity_row_is_valid(valid[c], r)) {
                    if (fmt == WF_JSON) sb_append(sb, "null");
                    continue;
                }
                render_value(sb, types[c], ltypes[c], data[c], r, fmt);
            }
            sb_append(sb, fmt == WF_JSON ? "}" : "\r\n");
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    if (fmt == WF_JSON) sb_append_char(sb, ']');
    for (idx_t c = 0; c < ncol; c++) duckdb_destroy_logical_type(&ltypes[c]);
}

/* ---- running statements ---------------------------------------------------------------- */

/* Executes statement id with the parameters already bound; 0, or an HTTP status with e. */
static int run(struct web_conn *wc, int slot, duckdb_prepared_statement st, duckdb_result *res,
               struct web_error *e)
{
    web_watch_begin(slot, wc->con);
    duckdb_state ok = duckdb_execute_prepared(st, res);
    bool interrupted = web_watch_end(slot);
    if (ok == DuckDBSuccess) return 0;
    if (interrupted) {
        snprintf(e->message, sizeof e->message,
                 "query exceeded the time limit (MATERIA_QUERY_TIMEOUT_MS); try again later");
        duckdb_destroy_result(res);
        return 503;
    }
    snprintf(e->message, sizeof e->message, "query failed: %.120s", duckdb_result_error(res));
    duckdb_destroy_result(res);
    return 500;
}

static duckdb_prepared_statement stmt(struct web_conn *wc, int id, struct web_error *e)
{
    char err[MT_ERR_LEN];
    const char *sql = id >= Q_RANK0 ? sql_rank[id - Q_RANK0] : sql_fixed[id];
    duckdb_prepared_statement st = web_conn_stmt(wc, id, sql, err, sizeof err);
    if (!st) snprintf(e->message, sizeof e->message, "%.150s", err);
    return st;
}

/* The {"country":{...}} object (JSON) for cc, or 404 when the snapshot has no such code. */
static int country_object(struct web_conn *wc, int slot, const char *cc, strbuf *out,
                          struct web_error *e)
{
    duckdb_prepared_statement st = stmt(wc, Q_COUNTRY, e);
    if (!st) return 500;
    duckdb_bind_varchar(st, 1, cc);
    duckdb_result res;
    int rc = run(wc, slot, st, &res, e);
    if (rc) return rc;
    strbuf tmp;
    sb_init(&tmp);
    web_api_render_rows(&tmp, &res, WF_JSON);
    duckdb_destroy_result(&res);
    if (tmp.len <= 2) { /* "[]" */
        sb_free(&tmp);
        snprintf(e->message, sizeof e->message, "no country with code %s in this snapshot", cc);
        snprintf(e->parameter, sizeof e->parameter, "country_code");
        return 404;
    }
    if (out) sb_append_len(out, tmp.buf + 1, tmp.len - 2); /* the one object, unwrapped */
    sb_free(&tmp);
    return 0;
}

int web_api_answer(struct web_snapshot *s, int slot, const struct web_route *rt, strbuf *body,
                   struct web_error *e)
{
    char err[MT_ERR_LEN];
    struct web_conn tmp;
    struct web_conn *wc = web_snapshot_conn(s, slot, &tmp, err, sizeof err);
    if (!wc) {
        snprintf(e->message, sizeof e->message, "%.150s", err);
        return 503;
    }
    int watch_slot = wc == &tmp ? -1 : slot;
    bool json = rt->format == WF_JSON;
    int rc = 0;
    duckdb_prepared_statement st = NULL;
    duckdb_result res;
    switch (rt->id) {
    case WR_COUNTRIES: st = stmt(wc, Q_COUNTRIES, e); break;
    case WR_WORLD: st = stmt(wc, Q_WORLD, e); break;
    case WR_RELEASES: st = stmt(wc, Q_RELEASES, e); break;
    case WR_BALANCE:
        if (json) sb_append(body, "{\"country\":");
        rc = country_object(wc, watch_slot, rt->country, json ? body : NULL, e);
        if (json) sb_append(body, ",");
        if (!rc && (st = stmt(wc, Q_BALANCE, e))) duckdb_bind_varchar(st, 1, rt->country);
        break;
    case WR_RANKINGS: {
        int year = rt->year ? rt->year : s->latest_year;
        if (json)
            sb_appendf(body, "{\"metric\":\"%s\",\"year\":%d,", web_metrics[rt->metric], year);
        if ((st = stmt(wc, Q_RANK0 + rt->metric, e))) {
            duckdb_bind_int32(st, 1, year);
            duckdb_bind_int64(st, 2, rt->limit);
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
        if (!rc && (st = stmt(wc, Q_REVISIONS, e))) {
            duckdb_bind_varchar(st, 1, rt->country);
            duckdb_bind_varchar(st, 2, web_attributes[rt->attribute]);
            duckdb_bind_int32(st, 3, rt->market_year);
        }
        break;
    default:
        snprintf(e->message, sizeof e->message, "not a data route");
        rc = 500;
    }
    if (!rc && !st) rc = 500;
    if (!rc) rc = run(wc, watch_slot, st, &res, e);
    if (!rc) {
        if (json && (rt->id == WR_COUNTRIES || rt->id == WR_WORLD || rt->id == WR_RELEASES))
            sb_append_char(body, '{');
        if (json) sb_append(body, "\"rows\":");
        web_api_render_rows(body, &res, rt->format);
        if (json) sb_append_char(body, '}');
        duckdb_destroy_result(&res);
    }
    if (wc == &tmp) web_conn_close(&tmp);
    return rc ? rc : 200;
}

const char *web_api_doc_html(void)
{
    return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<title>Materia coffee API</title><style>body{font:16px/1.5 system-ui,sans-serif;"
           "max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}code,pre{background:#f4f1ec;"
           "padding:.1rem .3rem;border-radius:3px}table{border-collapse:collapse}td,th{border:1px "
           "solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}</style></head><body>\n"
           "<h1>Materia coffee API</h1>\n"
           "<p>USDA PSD coffee balance sheets (quantities in 1000 60-kg bags), read from the current "
           "serving snapshot. Every answer is JSON (lists under <code>rows</code>, one object per "
           "row keyed by column name, NULL as <code>null</code>); add <code>?format=csv</code> to "
           "any <code>/api/</code> route for the same rows as a CSV download. Every response "
           "carries <code>X-Materia-Snapshot</code> and an <code>ETag</code> "
           "(send <code>If-None-Match</code> for a 304).</p>\n<table>\n"
           "<tr><th>route</th><th>answer</th></tr>\n"
           "<tr><td><code>GET /health</code></td><td>status, serving path, snapshot id, release "
           "date, created at, run id, opened at, generation (503 when no snapshot)</td></tr>\n"
           "<tr><td><code>GET /metrics</code></td><td>Prometheus text</td></tr>\n"
           "<tr><td><code>GET /api/countries</code></td><td>every country with ISO codes, region, "
           "latest market year and its production</td></tr>\n"
           "<tr><td><code>GET /api/balance/{country_code}</code></td><td>the country and its "
           "balance sheet by market year (e.g. <a href=\"/api/balance/BR\">/api/balance/BR</a>)"
           "</td></tr>\n"
           "<tr><td><code>GET /api/world</code></td><td>world totals by market year</td></tr>\n"
           "<tr><td><code>GET /api/rankings?metric=&amp;year=&amp;limit=</code></td><td>rank, "
           "country, value and share of the world total; metric one of production, exports, "
           "imports, domestic_consumption, ending_stocks, arabica_production, robusta_production "
           "(default production); year defaults to the latest market year; limit 1..100 "
           "(default 10)</td></tr>\n"
           "<tr><td><code>GET /api/revisions/{country_code}?attribute=&amp;market_year=</code></td>"
           "<td>how an estimate moved from release to release; attribute is a PSD attribute in "
           "snake_case (default production); market_year optional</td></tr>\n"
           "<tr><td><code>GET /api/releases</code></td><td>USDA releases in this snapshot, newest "
           "first</td></tr>\n</table>\n"
           "<h2>Errors</h2><p><code>{\"error\":\"...\",\"parameter\":\"...\"}</code> with 400 (bad "
           "parameter, named), 404 (unknown route or country), 405 (method other than GET/HEAD), "
           "413/431 (request too large), 503 (no snapshot, or a query over its time limit).</p>\n"
           "</body></html>\n";
}
