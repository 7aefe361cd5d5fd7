/* contract.c — see contract.h. The lists below are docs/ARCHITECTURE.md §3 written as
 * data; a test (tests/unit/serving/test_contract.c) builds a snapshot from them and checks
 * that one missing column or one changed type is refused. */
#include "serving/contract.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/common.h"
#include "serving/snapshot.h"
#include "util/db.h"

#define T(name, cols) {name, cols, MT_ARRAY_LEN(cols), false}
#define T_MAY_BE_EMPTY(name, cols) {name, cols, MT_ARRAY_LEN(cols), true}

#define QTY_COLS                                                                                \
    {"production", "DOUBLE"}, {"arabica_production", "DOUBLE"}, {"robusta_production", "DOUBLE"}, \
    {"other_production", "DOUBLE"}, {"beginning_stocks", "DOUBLE"}, {"imports", "DOUBLE"},      \
    {"bean_imports", "DOUBLE"}, {"exports", "DOUBLE"}, {"bean_exports", "DOUBLE"},              \
    {"domestic_consumption", "DOUBLE"}, {"ending_stocks", "DOUBLE"},                            \
    {"total_supply", "DOUBLE"}, {"total_distribution", "DOUBLE"}

static const struct serving_column coffee_balance[] = {
    {"country_code", "VARCHAR"}, {"country_name", "VARCHAR"}, {"iso3", "VARCHAR"},
    {"region", "VARCHAR"},       {"market_year", "INTEGER"},  QTY_COLS,
    {"stocks_to_use_pct", "DOUBLE"}, {"release_date", "DATE"},
};
static const struct serving_column world_balance[] = {
    {"market_year", "INTEGER"}, QTY_COLS, {"stocks_to_use_pct", "DOUBLE"},
    {"reporting_countries", "BIGINT"}, {"release_date", "DATE"},
};
static const struct serving_column psd_revisions[] = {
    {"country_code", "VARCHAR"}, {"country_name", "VARCHAR"}, {"market_year", "INTEGER"},
    {"attribute", "VARCHAR"},    {"release_date", "DATE"},    {"value", "DOUBLE"},
    {"previous_value", "DOUBLE"}, {"change", "DOUBLE"},
};
static const struct serving_column releases[] = {
    {"release_date", "DATE"}, {"etag", "VARCHAR"}, {"file", "VARCHAR"},
    {"rows", "BIGINT"},       {"landed_at", "TIMESTAMP"},
};
static const struct serving_column countries[] = {
    {"country_code", "VARCHAR"}, {"country_name", "VARCHAR"}, {"iso2", "VARCHAR"},
    {"iso3", "VARCHAR"},         {"iso_numeric", "VARCHAR"},  {"region", "VARCHAR"},
};
/* CFTC Commitments of Traders, Coffee C (models/serving/cot_*.sql). Per trader category:
 * long, short, spread (NULL for prod_merc and nonrept), net, net change, percent of open
 * interest long/short, trader counts long/short (NULL for nonrept). */
#define COT_CATEGORY(c)                                                                      \
    {c "_long", "BIGINT"}, {c "_short", "BIGINT"}, {c "_spread", "BIGINT"},                  \
    {c "_net", "BIGINT"}, {c "_net_change", "BIGINT"}, {c "_long_pct_oi", "DOUBLE"},         \
    {c "_short_pct_oi", "DOUBLE"}, {c "_traders_long", "INTEGER"},                           \
    {c "_traders_short", "INTEGER"}
static const struct serving_column cot_positioning[] = {
    {"report_date", "DATE"}, {"open_interest", "BIGINT"}, {"open_interest_change", "BIGINT"},
    COT_CATEGORY("prod_merc"), COT_CATEGORY("swap"), COT_CATEGORY("managed_money"),
    COT_CATEGORY("other_rept"), COT_CATEGORY("nonrept"),
    {"traders_total", "INTEGER"}, {"source_file", "VARCHAR"}, {"landed_at", "TIMESTAMP"},
};
static const struct serving_column cot_index[] = {
    {"report_date", "DATE"},
    {"managed_money_net", "BIGINT"}, {"managed_money_index_26w", "DOUBLE"},
    {"managed_money_index_52w", "DOUBLE"},
    {"prod_merc_net", "BIGINT"}, {"prod_merc_index_26w", "DOUBLE"},
    {"prod_merc_index_52w", "DOUBLE"},
};
static const struct serving_column snapshot[] = {
    {"snapshot_id", "VARCHAR"}, {"created_at", "TIMESTAMP"}, {"run_id", "VARCHAR"},
    {"table_name", "VARCHAR"},  {"row_count", "BIGINT"},     {"checksum", "VARCHAR"},
};

const struct serving_table serving_contract[] = {
    T("coffee_balance", coffee_balance), T("world_balance", world_balance),
    T("psd_revisions", psd_revisions),   T("releases", releases),
    T("countries", countries),           T_MAY_BE_EMPTY("cot_positioning", cot_positioning),
    T_MAY_BE_EMPTY("cot_index", cot_index), T("_snapshot", snapshot),
};
const size_t serving_contract_len = MT_ARRAY_LEN(serving_contract);

bool serving_table_may_be_empty(const char *name)
{
    for (size_t t = 0; t < serving_contract_len; t++)
        if (!strcmp(serving_contract[t].name, name)) return serving_contract[t].may_be_empty;
    return false;
}

/* One catalog query for the whole file; the comparison is done here so the error can say
 * exactly which table or column differs. */
static int check_columns(duckdb_connection con, struct mt_err *err)
{
    duckdb_result res;
    struct mt_err e2 = MT_ERR_INIT;
    if (db_query(con,
                 "SELECT table_name, column_name, data_type FROM duckdb_columns() "
                 "WHERE database_name = current_database() AND schema_name = 'main'",
                 &res, &e2) < 0) {
        mt_errf(err, "cannot read the catalog: %s", e2.msg);
        return -1;
    }
    idx_t n = duckdb_row_count(&res);
    int rc = 0;
    for (size_t t = 0; t < serving_contract_len && rc == 0; t++) {
        const struct serving_table *tab = &serving_contract[t];
        for (size_t c = 0; c < tab->ncols && rc == 0; c++) {
            bool table_seen = false, col_seen = false;
            for (idx_t i = 0; i < n && !col_seen; i++) {
                char *tn = duckdb_value_varchar(&res, 0, i);
                bool same_table = tn && !strcmp(tn, tab->name);
                duckdb_free(tn);
                if (!same_table) continue;
                table_seen = true;
                char *cn = duckdb_value_varchar(&res, 1, i);
                if (cn && !strcmp(cn, tab->cols[c].name)) {
                    col_seen = true;
                    char *ty = duckdb_value_varchar(&res, 2, i);
                    if (!ty || strcmp(ty, tab->cols[c].type) != 0) {
                        mt_errf(err, "column %s.%s is %s; the serving contract says %s", tab->name,
                            tab->cols[c].name, ty ? ty : "NULL", tab->cols[c].type);
                        rc = -1;
                    }
                    duckdb_free(ty);
                }
                duckdb_free(cn);
            }
            if (rc == 0 && !table_seen) {
                mt_errf(err, "table %s is missing", tab->name);
                rc = -1;
            } else if (rc == 0 && !col_seen) {
                mt_errf(err, "table %s has no column %s", tab->name, tab->cols[c].name);
                rc = -1;
            }
        }
    }
    duckdb_destroy_result(&res);
    return rc;
}

static int check_snapshot_covers(duckdb_connection con, struct mt_err *err)
{
    for (size_t t = 0; t < serving_contract_len; t++) {
        const char *name = serving_contract[t].name;
        if (!strcmp(name, "_snapshot")) continue;
        strbuf q;
        sb_init(&q);
        sb_append(&q, "SELECT count(*) FROM main._snapshot WHERE table_name = ");
        db_quote_literal(&q, name);
        int64_t k = 0;
        struct mt_err e2 = MT_ERR_INIT;
        int rc = db_query_i64(con, q.buf, &k, NULL, &e2);
        sb_free(&q);
        if (rc < 0) {
            mt_errf(err, "cannot read _snapshot: %s", e2.msg);
            return -1;
        }
        if (k != 1) {
            mt_errf(err, "_snapshot has %lld rows for table %s (want exactly 1)", (long long)k, name);
            return -1;
        }
    }
    return 0;
}

int serving_contract_check(duckdb_connection con, struct mt_err *err)
{
    if (check_columns(con, err) < 0) return -1;
    return check_snapshot_covers(con, err);
}

int serving_snapshot_check(duckdb_connection con, char *pub, size_t publen, char *detail,
                           size_t detaillen)
{
    struct mt_err ce = MT_ERR_INIT;
    if (serving_contract_check(con, &ce) < 0) {
        snprintf(pub, publen, "%s", ce.msg);
        snprintf(detail, detaillen, "%s", ce.msg);
        return -1;
    }
    char table[128];
    if (serving_verify_tables(con, table, sizeof table, &ce) == 0) return 0;
    snprintf(detail, detaillen, "%s", ce.msg);
    if (ce.code == MT_ERR_DB && table[0]) /* DuckDB's message stays in the log */
        snprintf(pub, publen, "table %s cannot be read back (a damaged file?)", table);
    else if (ce.code == MT_ERR_DB)
        snprintf(pub, publen, "_snapshot cannot be read");
    else
        snprintf(pub, publen, "%s", ce.msg); /* our own words: names and numbers only */
    return -1;
}
