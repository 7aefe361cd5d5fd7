/* test_cot_source.c — unit tests for the COT source: the 191-column validator (header,
 * field counts, the Coffee C requirement, CSV quoting), COT_YEARS parsing, the {YYYY}
 * URL expansion, EXTRACT_SOURCES matching, and the meta's source keys round trip.
 * Headers and rows are built from cot_csv_columns at run time, never typed out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract/cot_csv.h"
#include "extract/landing_meta.h"
#include "extract/source.h"
#include "util/config.h"
#include "util/err.h"
#include "util/strbuf.h"

/* The real header, with column `rename` (0-based, -1 none) replaced by `as`, and
 * `ncols` columns. */
static void add_header(strbuf *sb, int ncols, int rename, const char *as)
{
    for (int i = 0; i < ncols; i++) {
        const char *name = i == rename ? as : cot_csv_columns[i % COT_CSV_COLUMNS];
        sb_appendf(sb, "%s\"%s\"", i ? "," : "", name);
    }
}

/* A data row of nfields fields: a quoted market name with a comma, then `code` as
 * CFTC_Contract_Market_Code, then space-padded numbers and a '.'. */
static void add_row(strbuf *sb, int nfields, const char *code, const char *eol)
{
    sb_append(sb, eol);
    sb_append(sb, "\"COFFEE C - ICE FUTURES U.S.\",231010,2023-10-10,");
    sb_append(sb, code);
    for (int i = 4; i < nfields; i++) sb_append(sb, i == 7 ? ",  217692" : i == 50 ? ",." : ", 1");
}

static int validate(strbuf *sb, int64_t *rows, int64_t *coffee, struct mt_err *err)
{
    return cot_csv_validate_counts(sb->buf, sb->len, rows, coffee, err);
}

static void test_valid_file_counts_rows_and_coffee(void **state)
{
    (void)state;
    for (int lf = 0; lf < 2; lf++) {
        const char *eol = lf ? "\n" : "\r\n";
        strbuf sb;
        sb_init(&sb);
        add_header(&sb, COT_CSV_COLUMNS, -1, NULL);
        add_row(&sb, COT_CSV_COLUMNS, "083731", eol);
        add_row(&sb, COT_CSV_COLUMNS, "001602", eol);
        add_row(&sb, COT_CSV_COLUMNS, "083731 ", eol); /* trailing spaces: still Coffee C */
        add_row(&sb, COT_CSV_COLUMNS, "83731", eol);   /* the leading zero is data */
        sb_append(&sb, eol);
        int64_t rows = 0, coffee = 0;
        struct mt_err err = MT_ERR_INIT;
        assert_int_equal(validate(&sb, &rows, &coffee, &err), 0);
        assert_int_equal(rows, 4);
        assert_int_equal(coffee, 2);
        assert_int_equal(cot_csv_validate(sb.buf, sb.len, &rows, &err), 0);
        sb_free(&sb);
    }
}

static void test_renamed_column_names_the_first_difference(void **state)
{
    (void)state;
    strbuf sb;
    sb_init(&sb);
    add_header(&sb, COT_CSV_COLUMNS, 11, "Swap_Positions_Short_All");
    add_row(&sb, COT_CSV_COLUMNS, "083731", "\r\n");
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(validate(&sb, NULL, NULL, &err), -1);
    assert_string_equal(err.msg,
                        "header column 12 is \"Swap_Positions_Short_All\", expected \"Swap__Positions_Short_All\"");
    assert_int_equal(err.code, MT_ERR_FORMAT);
    sb_free(&sb);
}

static void test_header_width_and_row_width(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    strbuf sb;
    sb_init(&sb);
    add_header(&sb, COT_CSV_COLUMNS - 1, -1, NULL);
    add_row(&sb, COT_CSV_COLUMNS, "083731", "\r\n");
    assert_int_equal(validate(&sb, NULL, NULL, &err), -1);
    assert_string_equal(err.msg, "header has 190 columns, expected 191");
    sb_free(&sb);

    sb_init(&sb);
    add_header(&sb, COT_CSV_COLUMNS + 1, -1, NULL);
    assert_int_equal(validate(&sb, NULL, NULL, &err), -1);
    assert_string_equal(err.msg, "header has 192 columns, expected 191");
    sb_free(&sb);

    sb_init(&sb);
    add_header(&sb, COT_CSV_COLUMNS, -1, NULL);
    add_row(&sb, COT_CSV_COLUMNS, "083731", "\r\n");
    add_row(&sb, COT_CSV_COLUMNS - 1, "083731", "\r\n"); /* a truncated last line */
    assert_int_equal(validate(&sb, NULL, NULL, &err), -1);
    assert_string_equal(err.msg, "line 3: 190 fields, expected 191");
    sb_free(&sb);
}

static void test_no_coffee_no_rows_and_bad_quoting(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    strbuf sb;
    sb_init(&sb);
    add_header(&sb, COT_CSV_COLUMNS, -1, NULL);
    add_row(&sb, COT_CSV_COLUMNS, "001602", "\r\n");
    assert_int_equal(validate(&sb, NULL, NULL, &err), -1);
    assert_string_equal(err.msg, "no Coffee C (083731) rows");
    sb_free(&sb);

    sb_init(&sb);
    add_header(&sb, COT_CSV_COLUMNS, -1, NULL);
    sb_append(&sb, "\r\n");
    assert_int_equal(validate(&sb, NULL, NULL, &err), -1);
    assert_string_equal(err.msg, "no data rows");
    sb_free(&sb);

    sb_init(&sb);
    add_header(&sb, COT_CSV_COLUMNS, -1, NULL);
    sb_append(&sb, "\r\n\"COFFEE C, unterminated");
    assert_int_equal(validate(&sb, NULL, NULL, &err), -1);
    assert_string_equal(err.msg, "line 2: unterminated quoted field");
    sb_free(&sb);

    assert_int_equal(cot_csv_validate("", 0, NULL, &err), -1);
    assert_string_equal(err.msg, "empty file");
    const char psd[] = "Commodity_Code,Commodity_Description\r\n";
    assert_int_equal(cot_csv_validate(psd, sizeof psd - 1, NULL, &err), -1);
    assert_string_equal(err.msg, "header column 1 is \"Commodity_Code\", expected \"Market_and_Exchange_Names\"");
}

static void test_cot_years(void **state)
{
    (void)state;
    int y[CONFIG_YEARS_MAX], n = 0;
    assert_int_equal(config_years("2017,2019-2021", y, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(y[0], 2017);
    assert_int_equal(y[1], 2019);
    assert_int_equal(y[3], 2021);
    assert_int_equal(config_years(" 2018 , 2017-2018,2018 ", y, &n), 0); /* sorted, once each */
    assert_int_equal(n, 2);
    assert_int_equal(y[0], 2017);
    assert_int_equal(config_years("auto", y, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(y[1], y[0] + 1);
    const char *bad[] = {"", "2017-", "2021-2019", "17", "1985", "2100", "2017;2018", "2017,", "x", "2017-2018-2019"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(config_years(bad[i], y, &n), -1);
}

static void test_cot_urls_and_source_list(void **state)
{
    (void)state;
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.s.cot_source_url = "https://x/{YYYY}/fut_disagg_txt_{YYYY}.zip";
    cfg.s.cot_years = "2019-2020";
    struct source_url *u = NULL;
    size_t n = source_cot.urls(&cfg, &u);
    assert_int_equal(n, 2);
    assert_string_equal(u[0].url, "https://x/2019/fut_disagg_txt_2019.zip");
    assert_int_equal(u[1].year, 2020);
    source_urls_free(u, n);

    cfg.s.extract_sources = "psd";
    assert_true(source_enabled(&cfg, &source_psd));
    assert_false(source_enabled(&cfg, &source_cot));
    cfg.s.extract_sources = " cot , psd";
    assert_true(source_enabled(&cfg, &source_cot));
    cfg.s.extract_sources = "all";
    assert_true(source_enabled(&cfg, &source_cot));
    assert_ptr_equal(source_find("cot"), &source_cot);
    assert_null(source_find("COT"));
}

static void test_meta_source_keys_round_trip(void **state)
{
    (void)state;
    struct landing_meta m;
    landing_meta_init(&m);
    m.etag = "e";
    m.sha256 = "s";
    m.source = "cot";
    m.source_year = 2023;
    char *json = landing_meta_format(&m);
    assert_non_null(strstr(json, "\"source\": \"cot\""));
    struct landing_meta r;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(landing_meta_parse(json, strlen(json), &r, &err), 0);
    assert_string_equal(r.source, "cot");
    assert_int_equal(r.source_year, 2023);
    landing_meta_free(&r);
    free(json);
    /* PSD's meta: no source keys written */
    m.source = NULL;
    json = landing_meta_format(&m);
    assert_null(strstr(json, "source"));
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_file_counts_rows_and_coffee),
        cmocka_unit_test(test_renamed_column_names_the_first_difference),
        cmocka_unit_test(test_header_width_and_row_width),
        cmocka_unit_test(test_no_coffee_no_rows_and_bad_quoting),
        cmocka_unit_test(test_cot_years),
        cmocka_unit_test(test_cot_urls_and_source_list),
        cmocka_unit_test(test_meta_source_keys_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
