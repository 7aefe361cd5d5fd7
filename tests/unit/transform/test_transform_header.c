/* test_transform_header.c — the MODEL/AUDIT header parser (every malformed case gives
 * file:line and what was expected), macro rendering, and interval arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/engine.h"
#include "util/err.h"
#include "transform/model.h"

static int parse(const char *text, struct model *m, struct mt_err *err)
{
    return model_parse(text, strlen(text), "models/x.sql", m, err);
}

static void expect_error(const char *text, const char *want)
{
    struct model m;
    struct mt_err err = MT_ERR_INIT;
    int rc = parse(text, &m, &err);
    if (rc == 0 || !strstr(err.msg, want)) {
        fprintf(stderr, "input:\n%s\nerror: %s\nwanted: %s\n", text, err.msg, want);
        if (rc == 0) model_free(&m);
        fail();
    }
    assert_null(m.name); /* zeroed on error */
}

static void test_full_header(void **state)
{
    (void)state;
    const char *text =
        "-- leading comment\n"
        "MODEL (\n"
        "  name Serving.Coffee_Balance, /* block\n comment */\n"
        "  kind INCREMENTAL_BY_TIME_RANGE (time_column (landed_at, '%Y-%m-%d'), batch_size 10),\n"
        "  cron '@hourly',\n"
        "  grain (country_code, market_year),\n"
        "  start '2020-01-01',\n"
        "  owner data, tags (a, b), allow_partials true, dialect duckdb,\n"
        "  columns (a INT, b VARCHAR),\n"
        "  depends_on (raw.x, [raw.y]),\n"
        "  description 'it''s coffee',\n"
        "  audits (not_null(columns := (a, b)), accepted_range(column := x, min_v := 0), my_custom)\n"
        ");\n\n"
        "SELECT 1 AS a; \n";
    struct model m;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(parse(text, &m, &err), 0);
    assert_string_equal(m.name, "serving.coffee_balance");
    assert_string_equal(m.schema, "serving");
    assert_string_equal(m.table, "coffee_balance");
    assert_int_equal(m.kind, KIND_INCR_TIME);
    assert_string_equal(m.time_column, "landed_at");
    assert_int_equal(m.unit, CRON_HOURLY);
    assert_int_equal(m.meta.grains.n, 2);
    assert_string_equal(m.meta.grains.v[0], "country_code");
    assert_string_equal(m.meta.grains.v[1], "market_year");
    assert_int_equal(m.meta.tags.n, 2);
    assert_string_equal(m.meta.tags.v[1], "b");
    assert_string_equal(m.start, "2020-01-01");
    assert_string_equal(m.description, "it's coffee");
    assert_string_equal(m.columns, "a INT, b VARCHAR");
    assert_true(m.allow_partials);
    assert_int_equal(m.n_audits, 3);
    assert_string_equal(m.audits[0].name, "not_null");
    assert_string_equal(m.audits[0].arg_names.v[0], "columns");
    assert_string_equal(m.audits[0].arg_values.v[0], "(a, b)");
    assert_string_equal(m.audits[1].arg_values.v[1], "0");
    assert_string_equal(m.audits[2].name, "my_custom");
    assert_int_equal(m.audits[2].arg_names.n, 0);
    assert_string_equal(m.query, "SELECT 1 AS a");
    assert_int_equal(m.query_line, 16);
    assert_int_equal(m.depends_on.n, 2);
    assert_string_equal(m.depends_on.v[1], "raw.y");
    assert_int_equal(m.line, 2);
    model_free(&m);
}

static void test_kinds(void **state)
{
    (void)state;
    struct model m;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(parse("MODEL (name a.b);\nSELECT 1", &m, &err), 0);
    assert_int_equal(m.kind, KIND_VIEW); /* SQLMesh's default kind */
    assert_string_equal(m.cron, "@daily");
    model_free(&m);
    assert_int_equal(parse("model (name a.b, kind full);\nSELECT 1", &m, &err), 0);
    assert_int_equal(m.kind, KIND_FULL);
    model_free(&m);
    assert_int_equal(parse("MODEL (name a.b, kind SEED (path 'x.csv'));", &m, &err), 0);
    assert_int_equal(m.kind, KIND_SEED);
    assert_string_equal(m.seed_path, "x.csv");
    model_free(&m);
    assert_int_equal(parse("MODEL (name a.b, kind INCREMENTAL_BY_UNIQUE_KEY (unique_key (k1, k2)));\nSELECT 1", &m,
                           &err), 0);
    assert_int_equal(m.unique_key.n, 2);
    assert_string_equal(m.unique_key.v[1], "k2");
    assert_false(m.incr.key_is_expr);
    model_free(&m);
    /* the incremental kinds' options (src/transform/forward_only.c, merge.c, time_column.c) */
    assert_int_equal(parse("MODEL (name a.b, kind INCREMENTAL_BY_UNIQUE_KEY (unique_key (COALESCE(a, ''), B),\n"
                           " when_matched (WHEN MATCHED THEN UPDATE SET target.v = source.v), merge_filter source.v > 0,\n"
                           " forward_only TRUE, on_destructive_change Warn, on_additive_change 'ignore', batch_size 2));\n"
                           "SELECT 1", &m, &err), 0);
    assert_true(m.incr.key_is_expr);
    assert_string_equal(m.incr.key_exprs.v[0], "COALESCE(a, '')");
    assert_string_equal(m.incr.key_exprs.v[1], "\"b\"");
    assert_string_equal(m.incr.when_matched, "WHEN MATCHED THEN UPDATE SET target.v = source.v");
    assert_string_equal(m.incr.merge_filter, "source.v > 0");
    assert_true(m.incr.forward_only);
    assert_int_equal(m.incr.on_destructive, CHANGE_WARN);
    assert_int_equal(m.incr.on_additive, CHANGE_IGNORE);
    assert_int_equal(m.batch_size, 2);
    /* metadata (model/kind.py metadata_hash_values): not in the fingerprinted kind_args */
    assert_null(strstr(m.kind_args, "forward_only"));
    assert_null(strstr(m.kind_args, "batch_size"));
    assert_non_null(strstr(m.kind_args, "when_matched"));
    model_free(&m);
    assert_int_equal(parse("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column (ds, '%Y%m%d'),\n"
                           " partition_by_time_column false, batch_concurrency 4));\nSELECT 1", &m, &err), 0);
    assert_string_equal(m.time_column, "ds");
    assert_string_equal(m.incr.time_format, "%Y%m%d");
    model_free(&m);
    assert_int_equal(parse("MODEL (name a.b, kind VIEW, cron '0 0 * * *');\nSELECT 1", &m, &err), 0);
    assert_int_equal(m.unit, CRON_DAILY);
    model_free(&m);
}

/* Names as SQLMesh writes them: one part (schema `default`, constants.py DEFAULT_SCHEMA),
 * schema.table, catalog.schema.table, quoted parts (case kept). */
/* SQLMesh's model/kind.py SCD type 2 kinds: SCD_TYPE_2 is SCD_TYPE_2_BY_TIME; defaults
 * (valid_from, valid_to, updated_at, TIMESTAMP, forward_only true, invalidate_hard_deletes
 * false); key items as quoted columns or expression text. */
static void test_scd2_kinds(void **state)
{
    (void)state;
    struct model m;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(parse("MODEL (name a.b, kind SCD_TYPE_2 (unique_key customer_id));\nSELECT 1", &m, &err), 0);
    assert_int_equal(m.kind, KIND_SCD2_TIME);
    assert_string_equal(model_kind_name(m.kind), "SCD_TYPE_2_BY_TIME");
    assert_string_equal(m.scd2.key.v[0], "\"customer_id\"");
    assert_string_equal(m.scd2.valid_from, "valid_from");
    assert_string_equal(m.scd2.valid_to, "valid_to");
    assert_string_equal(m.scd2.updated_at, "updated_at");
    assert_string_equal(m.scd2.time_type, "TIMESTAMP");
    assert_true(m.scd2.forward_only);
    assert_false(m.scd2.invalidate_hard_deletes);
    model_free(&m);
    assert_int_equal(parse("MODEL (name a.b, kind SCD_TYPE_2_BY_COLUMN (unique_key [COALESCE(id, ''), \"Name\"],\n"
                           "  columns *, valid_from_name VF, execution_time_as_valid_from true, forward_only false,\n"
                           "  invalidate_hard_deletes true, time_data_type TIMESTAMPTZ, disable_restatement false));\n"
                           "SELECT 1", &m, &err), 0);
    assert_int_equal(m.kind, KIND_SCD2_COLUMN);
    assert_int_equal(m.scd2.key.n, 2);
    assert_string_equal(m.scd2.key.v[0], "COALESCE(id, '')");
    assert_string_equal(m.scd2.key.v[1], "\"Name\"");
    assert_true(m.scd2.star);
    assert_string_equal(m.scd2.valid_from, "vf");
    assert_null(m.scd2.updated_at);
    assert_true(m.scd2.execution_time_as_valid_from);
    assert_false(m.scd2.forward_only);
    assert_true(m.scd2.invalidate_hard_deletes);
    assert_string_equal(m.scd2.time_type, "TIMESTAMPTZ");
    model_free(&m);
}

static void test_names(void **state)
{
    (void)state;
    struct model m;
    struct mt_err err = MT_ERR_INIT;
    static const struct { const char *text, *catalog, *schema, *table; } cases[] = {
        {"MODEL (name Orders);\nSELECT 1", NULL, "default", "orders"},
        {"MODEL (name S.T);\nSELECT 1", NULL, "s", "t"},
        {"MODEL (name db.s.t);\nSELECT 1", "db", "s", "t"},
        {"MODEL (name \"My S\".\"T.x\");\nSELECT 1", NULL, "My S", "T.x"},
        {"MODEL (name db.\"S\".t);\nSELECT 1", "db", "S", "t"},
        {"MODEL (name 'a.b');\nSELECT 1", NULL, "a", "b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(parse(cases[i].text, &m, &err), 0);
        if (cases[i].catalog) assert_string_equal(m.catalog, cases[i].catalog);
        else assert_null(m.catalog);
        assert_string_equal(m.schema, cases[i].schema);
        assert_string_equal(m.table, cases[i].table);
        model_free(&m);
    }
}

/* config.yaml model_defaults (header.c model_apply_defaults): each applies where the model
 * sets nothing; the model's own property wins; default audits come first. */
static void test_model_defaults(void **state)
{
    (void)state;
    struct project_config pc = {.path = "config.yaml", .d_kind = "FULL", .d_kind_line = 3, .d_cron = "@hourly",
                                .d_cron_line = 4, .d_start = "2024-01-01", .d_owner = "data-team",
                                .d_audits = "not_null(columns := (a)), mine", .d_audits_line = 6};
    struct model m;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(parse("MODEL (name a.b, audits (own));\nSELECT 1 AS a", &m, &err), 0);
    assert_int_equal(model_apply_defaults(&m, &pc, &err), 0);
    assert_int_equal(m.kind, KIND_FULL);
    assert_int_equal(m.unit, CRON_HOURLY);
    assert_string_equal(m.start, "2024-01-01");
    assert_true(m.start_default);
    assert_string_equal(m.owner, "data-team");
    assert_int_equal(m.n_audits, 3);
    assert_string_equal(m.audits[0].name, "not_null");
    assert_string_equal(m.audits[0].arg_values.v[0], "(a)");
    assert_string_equal(m.audits[1].name, "mine");
    assert_string_equal(m.audits[2].name, "own");
    model_free(&m);
    assert_int_equal(parse("MODEL (name a.b, kind VIEW, cron '@daily', start '2020-01-01', owner me);\nSELECT 1",
                           &m, &err), 0);
    assert_int_equal(model_apply_defaults(&m, &pc, &err), 0);
    assert_int_equal(m.kind, KIND_VIEW);
    assert_int_equal(m.unit, CRON_DAILY);
    assert_string_equal(m.start, "2020-01-01");
    assert_false(m.start_default);
    assert_string_equal(m.owner, "me");
    model_free(&m);
    /* a bad default is reported at its config.yaml line */
    pc.d_kind = "SCD_TYPE_3";
    assert_int_equal(parse("MODEL (name a.b);\nSELECT 1", &m, &err), 0);
    assert_int_equal(model_apply_defaults(&m, &pc, &err), -1);
    assert_non_null(strstr(err.msg, "config.yaml (model_defaults.kind):3: unknown kind 'SCD_TYPE_3'"));
    model_free(&m);
    /* an SCD default kind brings its arguments */
    pc.d_kind = "SCD_TYPE_2_BY_COLUMN (unique_key id, columns [a, b], batch_size 2)";
    assert_int_equal(parse("MODEL (name a.b);\nSELECT 1", &m, &err), 0);
    assert_int_equal(model_apply_defaults(&m, &pc, &err), 0);
    assert_int_equal(m.kind, KIND_SCD2_COLUMN);
    assert_int_equal(m.scd2.columns.n, 2);
    assert_string_equal(m.scd2.key.v[0], "\"id\"");
    assert_int_equal(m.batch_size, 2);
    model_free(&m);
    pc.d_kind = "INCREMENTAL_BY_TIME_RANGE (time_column ds)";
    pc.d_cron = "* * * * *"; /* IntervalUnit.from_cron: faster than every 5 minutes */
    assert_int_equal(parse("MODEL (name a.b);\nSELECT 1", &m, &err), 0);
    assert_int_equal(model_apply_defaults(&m, &pc, &err), -1);
    assert_non_null(strstr(err.msg, ":4: Invalid cron '* * * * *': must run at a frequency of 5 minutes or slower"));
    model_free(&m);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    expect_error("SELECT 1", "models/x.sql:1: expected MODEL ( ... );");
    expect_error("MODEL name a.b;", "models/x.sql:1: expected '(' after MODEL");
    expect_error("MODEL (\n  name a.b,\n  kind FULL\n\nSELECT 1", "models/x.sql:1: expected ')' to close");
    expect_error("MODEL (name a.b, kind FULL (\n  x 1);\n", "models/x.sql:1: expected ')' to close");
    expect_error("MODEL (name a.b)\nSELECT 1", "models/x.sql:2: expected ';' after MODEL");
    expect_error("MODEL (\n  kind FULL\n);\nSELECT 1", "models/x.sql:1: expected a name property");
    expect_error("MODEL (name a.b.c.d);\nSELECT 1", "models/x.sql:1: expected name [catalog.]schema.table");
    expect_error("MODEL (name a..b);\nSELECT 1", "expected name [catalog.]schema.table");
    expect_error("MODEL (name \"a\" \"b\");\nSELECT 1", "expected name [catalog.]schema.table");
    expect_error("MODEL (\n  name a.b,\n  colour 'red'\n);\nSELECT 1", "models/x.sql:3: unknown property 'colour': expected name, kind");
    expect_error("MODEL (\n  name a.b,\n  kind SCD_TYPE_3\n);\nSELECT 1", "models/x.sql:3: unknown kind 'SCD_TYPE_3': expected VIEW, FULL, SEED");
    /* SQLMesh's kinds materia cannot run are refused by name */
    expect_error("MODEL (name a.b, kind MANAGED);\nSELECT 1", "models/x.sql:1: kind MANAGED is not supported by materia");
    expect_error("MODEL (name a.b, kind CUSTOM (materialization 'x'));\nSELECT 1",
                 "models/x.sql:1: kind CUSTOM is not supported by materia");
    expect_error("MODEL (\n  name a.b,\n  kind SCD_TYPE_2\n);\nSELECT 1", "models/x.sql:3: expected SCD_TYPE_2_BY_TIME (unique_key COLUMN)");
    expect_error("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE);\nSELECT 1", "expected INCREMENTAL_BY_TIME_RANGE (time_column COLUMN)");
    expect_error("MODEL (name a.b, kind INCREMENTAL_BY_UNIQUE_KEY (time_column x));\nSELECT 1", "unknown INCREMENTAL_BY_UNIQUE_KEY property 'time_column': expected unique_key");
    expect_error("MODEL (name a.b, kind SEED);", "expected SEED (path 'file.csv')");
    expect_error("MODEL (name a.b, kind FULL (\n forward_only true));\nSELECT 1",
                 "models/x.sql:2: forward_only true is not supported by materia on a FULL model");
    expect_error("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column t,\n on_additive_change often));\nSELECT 1",
                 "models/x.sql:2: expected on_additive_change ERROR, WARN, ALLOW or IGNORE");
    expect_error("MODEL (name a.b, kind INCREMENTAL_BY_UNIQUE_KEY (unique_key k, batch_concurrency 3));\nSELECT 1",
                 "models/x.sql:1: expected batch_concurrency 1");
    expect_error("MODEL (name a.b, kind FULL (lookback 2));\nSELECT 1",
                 "models/x.sql:1: lookback is not supported by materia: only INCREMENTAL_BY_TIME_RANGE and");
    expect_error("MODEL (name a.b, kind SEED (path 'x.csv', csv_settings (delimiter ';')));",
                 "models/x.sql:1: expected '=' after the setting's name in csv_settings");
    expect_error("MODEL (name a.b, kind SEED (path 'x.csv', csv_settings (escapechar = '\\\\')));",
                 "models/x.sql:1: csv_settings escapechar is not supported by materia");
    expect_error("MODEL (name a.b, kind FULL (csv_settings (delimiter = ';')));\nSELECT 1",
                 "models/x.sql:1: unknown FULL property 'csv_settings'");
    expect_error("MODEL (name a.b, kind EXTERNAL);\nSELECT 1", "models/x.sql:1: kind EXTERNAL is not supported by materia");
    expect_error("MODEL (name a.b, kind INCREMENTAL_UNMANAGED (insert_overwrite maybe));\nSELECT 1",
                 "models/x.sql:1: expected insert_overwrite true or false");
    expect_error("MODEL (name a.b, kind VIEW (materialized 1, x 2));\nSELECT 1",
                 "models/x.sql:1: expected materialized true or false");
    expect_error("MODEL (name a.b, physical_properties (a = 1));\nSELECT 1", "physical_properties is not supported");
    expect_error("MODEL (name a.b, kind SEED (path x));", "expected path 'file.csv'");
    expect_error("MODEL (name a.b, kind FULL);\n\n", "models/x.sql:1: expected a query after MODEL");
    expect_error("MODEL (name a.b, cron '0 0 * * 5#3');\nSELECT 1", "cron syntax '#' is not supported by materia");
    expect_error("MODEL (name a.b, description 'oops);\nSELECT 1", "models/x.sql:1: expected closing '");
    expect_error("MODEL (name a.b, audits (not_null(columns (a))));\nSELECT 1", "expected audit argument 'name := value'");
    expect_error("MODEL (name a.b, allow_partials maybe);\nSELECT 1", "expected allow_partials true or false");
    expect_error("MODEL (name a.b, depends_on ('x'));\nSELECT 1", "expected a table or column name");
    expect_error("MODEL (name a.b, start);\nSELECT 1", "expected a value after property 'start'");
    expect_error("MODEL (name a.b, kind FULL,\n end 'the end of time');\nSELECT 1",
                 "models/x.sql:2: 'the end of time' needs to be time-like");
    expect_error("MODEL (name a.b, cron_tz 'Nowhere/Town');\nSELECT 1", "models/x.sql:1: cron_tz: no IANA time zone");
    expect_error("MODEL (name a.b, interval_unit fortnight);\nSELECT 1", "interval_unit 'fortnight': expected year");
    expect_error("", "models/x.sql:1: expected MODEL");
}

/* Every prefix of a valid file parses or fails cleanly (no crash, no leak). */
static void test_prefixes_never_crash(void **state)
{
    (void)state;
    const char *text = "MODEL (name a.b, kind INCREMENTAL_BY_UNIQUE_KEY (unique_key (k)), audits (forall("
                       "criteria := (a > 0, b <= 1)), number_of_rows(threshold := 1)), description 'x''y');\n"
                       "SELECT 1 AS k";
    for (size_t n = 0; n <= strlen(text); n++) {
        struct model m;
        struct mt_err err = MT_ERR_INIT;
        if (model_parse(text, n, "f.sql", &m, &err) == 0) model_free(&m);
        else assert_non_null(strstr(err.msg, "f.sql:"));
    }
}

static void test_audit_files(void **state)
{
    (void)state;
    const char *text = "AUDIT (name assert_positive, defaults (col := qty));\n"
                       "SELECT * FROM @this_model WHERE @col < 0;\n\n"
                       "AUDIT (name assert_small);\nSELECT * FROM @this_model WHERE x > 10\n";
    struct audit_def *defs = NULL;
    size_t n = 0;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(audit_file_parse(text, strlen(text), "audits/a.sql", &defs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(defs[0].name, "assert_positive");
    assert_string_equal(defs[0].query, "SELECT * FROM @this_model WHERE @col < 0");
    assert_string_equal(defs[0].default_values.v[0], "qty");
    assert_string_equal(defs[1].name, "assert_small");
    /* the query's line, for render errors (SQLMesh names the audit file's line) */
    assert_int_equal(defs[0].line, 1);
    assert_int_equal(defs[0].query_line, 2);
    assert_int_equal(defs[1].query_line, 5);
    assert_false(defs[0].non_blocking || defs[0].skip || defs[0].standalone);
    for (size_t i = 0; i < n; i++) audit_def_free(&defs[i]);
    free(defs);
    defs = NULL;
    n = 0;
    /* SQLMesh's ModelAudit fields: blocking, skip, dialect, description; standalone */
    const char *props = "AUDIT (name a, blocking false, skip TRUE, dialect duckdb, description 'd');\nSELECT 1;\n"
                        "AUDIT (name s, standalone true);\nSELECT 2\n";
    assert_int_equal(audit_file_parse(props, strlen(props), "audits/p.sql", &defs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_true(defs[0].non_blocking && defs[0].skip && !defs[0].standalone);
    assert_string_equal(defs[0].description, "'d'");
    assert_true(defs[1].standalone && defs[1].non_blocking); /* never blocking */
    for (size_t i = 0; i < n; i++) audit_def_free(&defs[i]);
    free(defs);
    defs = NULL;
    n = 0;
    static const struct {
        const char *text, *want;
    } refused[] = {
        {"AUDIT (name a, dialect bigquery);\nSELECT 1", "p.sql:1: dialect bigquery is not supported by materia"},
        {"AUDIT (name a, blocking 0);\nSELECT 1", "p.sql:1: expected blocking true or false"},
        {"AUDIT (name a,\n standalone true, blocking true);\nSELECT 1", "p.sql:1: Standalone audits cannot be blocking"},
        {"AUDIT (name a, cron '@daily');\nSELECT 1", "p.sql:1: cron is not supported by materia on an audit"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(audit_file_parse(refused[i].text, strlen(refused[i].text), "p.sql", &defs, &n, &err), -1);
        if (!strstr(err.msg, refused[i].want)) fail_msg("%s: got %s", refused[i].want, err.msg);
        assert_int_equal(n, 0);
    }
    free(defs);
    defs = NULL;
    const char *bad = "AUDIT (colour red);\nSELECT 1";
    assert_int_equal(audit_file_parse(bad, strlen(bad), "audits/b.sql", &defs, &n, &err), -1);
    assert_non_null(strstr(err.msg, "audits/b.sql:1: unknown audit property 'colour'"));
    free(defs);
}

static void test_intervals(void **state)
{
    (void)state;
    int64_t d1, d3, x, mon;
    time_parse("2024-01-01", &d1);
    time_parse("2024-01-03", &d3);
    time_parse("2024-01-03 12:00", &x);
    time_parse("2024-01-01", &mon); /* a Monday */
    assert_int_equal(cron_floor(CRON_DAILY, x), d3);
    assert_int_equal(cron_floor(CRON_WEEKLY, x), mon);
    int64_t feb;
    time_parse("2024-02-01", &feb);
    assert_int_equal(cron_next(CRON_MONTHLY, x), feb);
    /* nothing done: everything complete is missing, partial only when asked */
    struct ranges done = {0}, miss = {0};
    ranges_missing(&done, CRON_DAILY, d1, x, false, &miss);
    assert_int_equal(miss.n, 1);
    assert_int_equal(miss.v[0].s, d1);
    assert_int_equal(miss.v[0].e, d3);
    ranges_free(&miss);
    ranges_missing(&done, CRON_DAILY, d1, x, true, &miss);
    assert_int_equal(miss.n, 1);
    assert_int_equal(miss.v[0].e, x);
    ranges_free(&miss);
    /* processed up to a partial day: that day is missing once complete, not before */
    ranges_add(&done, d1, x);
    ranges_missing(&done, CRON_DAILY, d1, x, false, &miss);
    assert_int_equal(miss.n, 0);
    int64_t next = x + 24 * 3600 * US_PER_SEC;
    ranges_missing(&done, CRON_DAILY, d1, next, false, &miss);
    assert_int_equal(miss.n, 1);
    assert_int_equal(miss.v[0].s, d3);
    assert_int_equal(miss.v[0].e, d3 + 24 * 3600 * US_PER_SEC);
    ranges_free(&miss);
    ranges_free(&done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_header),     cmocka_unit_test(test_kinds), cmocka_unit_test(test_scd2_kinds),
        cmocka_unit_test(test_malformed_headers), cmocka_unit_test(test_prefixes_never_crash),
        cmocka_unit_test(test_audit_files),
        cmocka_unit_test(test_intervals),       cmocka_unit_test(test_names),
        cmocka_unit_test(test_model_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
