/* unittest_compare.c — an output of a unit test checked as SQLMesh's assert_equal does
 * (sqlmesh/core/test/definition.py): the query runs into a temporary table; the expected rows
 * go into one with the actual column types (pandas' astype); both are read back as text,
 * sorted on every column unless the query orders; cells are equal when both are NULL, the
 * text is equal, or — floats and decimals — within pandas' default tolerance. The diff: for
 * different row counts the missing and unexpected rows, else each differing cell. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transform/unittest_int.h"
#include "util/db.h"

struct table {
    struct strlist cols, types;
    size_t nrows;
    char **cells;  /* nrows * cols.n, NULL for SQL NULL */
};

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->cols.n; i++) free(t->cells[i]);
    free(t->cells);
    strlist_free(&t->cols);
    strlist_free(&t->types);
    memset(t, 0, sizeof *t);
}

static int describe(struct ut *u, const char *table, struct strlist *cols, struct strlist *types)
{
    strbuf q;
    sb_init(&q);
    sb_appendf(&q, "SELECT column_name, column_type FROM (DESCRIBE %s)", table);
    duckdb_result res;
    int rc = db_query(u->con, q.buf, &res, u->err);
    sb_free(&q);
    if (rc < 0) return -1;
    for (idx_t r = 0; r < duckdb_row_count(&res); r++) {
        char *c = duckdb_value_varchar(&res, 0, r), *t = duckdb_value_varchar(&res, 1, r);
        strlist_push(cols, c ? c : "");
        strlist_push(types, t ? t : "");
        duckdb_free(c);
        duckdb_free(t);
    }
    duckdb_destroy_result(&res);
    return 0;
}

/* Reads table's columns cols (as text), sorted on all of them when sort. */
static int fetch(struct ut *u, const char *table, const struct strlist *cols, const struct strlist *types, bool sort,
                 struct table *out)
{
    strbuf q;
    sb_init(&q);
    sb_append(&q, "SELECT ");
    for (size_t c = 0; c < cols->n; c++) {
        sb_append(&q, c ? ", CAST(" : "CAST(");
        db_quote_ident(&q, cols->v[c]);
        sb_append(&q, " AS VARCHAR)");
    }
    sb_appendf(&q, " FROM %s", table);
    if (sort && cols->n) {
        sb_append(&q, " ORDER BY ");
        for (size_t c = 0; c < cols->n; c++) {
            if (c) sb_append(&q, ", ");
            db_quote_ident(&q, cols->v[c]);
            sb_append(&q, " NULLS LAST");
        }
    }
    duckdb_result res;
    int rc = db_query(u->con, q.buf, &res, u->err);
    sb_free(&q);
    if (rc < 0) return -1;
    memset(out, 0, sizeof *out);
    for (size_t c = 0; c < cols->n; c++) {
        strlist_push(&out->cols, cols->v[c]);
        strlist_push(&out->types, types->v[c]);
    }
    out->nrows = duckdb_row_count(&res);
    out->cells = xcalloc(out->nrows * cols->n + 1, sizeof(char *));
    for (idx_t r = 0; r < out->nrows; r++)
        for (idx_t c = 0; c < cols->n; c++) {
            if (duckdb_value_is_null(&res, c, r)) continue;
            char *v = duckdb_value_varchar(&res, c, r);
            out->cells[r * cols->n + c] = xstrdup(v ? v : "");
            duckdb_free(v);
        }
    duckdb_destroy_result(&res);
    return 0;
}

static bool is_float_type(const char *t)
{
    return !strncasecmp(t, "DOUBLE", 6) || !strncasecmp(t, "FLOAT", 5) || !strncasecmp(t, "DECIMAL", 7) ||
           !strncasecmp(t, "REAL", 4);
}

/* pandas' assert_frame_equal(check_exact=False): rtol 1e-5, atol 1e-8 for floats. */
static bool cell_equal(const char *e, const char *a, const char *type)
{
    if (!e || !a) return !e && !a;
    if (!strcmp(e, a)) return true;
    if (is_float_type(type)) {
        char *x, *y;
        double de = strtod(e, &x), da = strtod(a, &y);
        if (*x || *y) return false;
        if (isnan(de) && isnan(da)) return true;
        return fabs(de - da) <= 1e-8 + 1e-5 * fabs(da);
    }
    return false;
}

static bool row_equal(const struct table *e, size_t re, const struct table *a, size_t ra)
{
    for (size_t c = 0; c < e->cols.n; c++)
        if (!cell_equal(e->cells[re * e->cols.n + c], a->cells[ra * a->cols.n + c], a->types.v[c])) return false;
    return true;
}

static void print_rows(strbuf *out, const struct table *t, const bool *which)
{
    size_t nc = t->cols.n;
    size_t *w = xcalloc(nc + 1, sizeof(size_t));
    for (size_t c = 0; c < nc; c++) {
        w[c] = strlen(t->cols.v[c]);
        for (size_t r = 0; r < t->nrows; r++)
            if (which[r]) {
                const char *v = t->cells[r * nc + c];
                size_t l = strlen(v ? v : "NULL");
                if (l > w[c]) w[c] = l;
            }
    }
    sb_append(out, "    ");
    for (size_t c = 0; c < nc; c++)
        sb_appendf(out, "%s%-*s", c ? " | " : "", c + 1 < nc ? (int)w[c] : 0, t->cols.v[c]);
    sb_append(out, "\n");
    for (size_t r = 0; r < t->nrows; r++) {
        if (!which[r]) continue;
        sb_append(out, "    ");
        for (size_t c = 0; c < nc; c++) {
            const char *v = t->cells[r * nc + c];
            sb_appendf(out, "%s%-*s", c ? " | " : "", c + 1 < nc ? (int)w[c] : 0, v ? v : "NULL");
        }
        sb_append(out, "\n");
    }
    free(w);
}

/* assert_equal's report: 0 when equal, 1 with the diff in u->msg. */
static int compare(struct ut *u, const char *label, const struct table *e, const struct table *a)
{
    if (e->nrows != a->nrows) {
        /* SQLMesh: "Data mismatch (rows are different)", then missing and unexpected rows */
        bool *ue = xcalloc(e->nrows + 1, 1), *ua = xcalloc(a->nrows + 1, 1), *miss = xcalloc(e->nrows + 1, 1),
             *unexp = xcalloc(a->nrows + 1, 1);
        for (size_t i = 0; i < e->nrows; i++) {
            for (size_t j = 0; j < a->nrows && !ue[i]; j++)
                if (!ua[j] && row_equal(e, i, a, j)) ue[i] = ua[j] = true;
            miss[i] = !ue[i];
        }
        for (size_t j = 0; j < a->nrows; j++) unexp[j] = !ua[j];
        sb_appendf(u->msg, "  %s: Data mismatch (rows are different): %zu expected, %zu actual\n", label, e->nrows,
                   a->nrows);
        bool any = false;
        for (size_t i = 0; i < e->nrows; i++) any |= miss[i];
        if (any) {
            sb_append(u->msg, "  Missing rows:\n");
            print_rows(u->msg, e, miss);
        }
        any = false;
        for (size_t j = 0; j < a->nrows; j++) any |= unexp[j];
        if (any) {
            sb_append(u->msg, "  Unexpected rows:\n");
            print_rows(u->msg, a, unexp);
        }
        free(ue);
        free(ua);
        free(miss);
        free(unexp);
        return 1;
    }
    bool header = false;
    for (size_t r = 0; r < e->nrows; r++)
        for (size_t c = 0; c < e->cols.n; c++) {
            const char *x = e->cells[r * e->cols.n + c], *y = a->cells[r * a->cols.n + c];
            if (cell_equal(x, y, a->types.v[c])) continue;
            if (!header) {
                sb_appendf(u->msg, "  %s: Data mismatch (exp: expected, act: actual)\n", label);
                header = true;
            }
            sb_appendf(u->msg, "    row %zu, column %s: exp %s, act %s\n", r, e->cols.v[c], x ? x : "NULL",
                       y ? y : "NULL");
        }
    return header ? 1 : 0;
}

/* The expected side of one output (a list of rows, or {rows | query, partial}) checked
 * against the query actual_sql. */
static int check_output_rows(struct ut *u, const char *label, const char *actual_sql, bool sort,
                             const struct ynode *spec, bool partial, struct ynode *loaded)
{
    const struct ynode *rows = NULL, *query = NULL;
    if (spec->t == YNODE_SEQ) rows = spec;
    else if (spec->t == YNODE_MAP) {
        static const char *const ok[] = {"rows", "query", "partial", "format", "path", "csv_settings", NULL};
        if (ut_check_keys(u, spec, ok, ut_no_refused, "outputs: ") < 0) return -1;
        int l;
        if (ut_rows_or_query(u, spec, spec->line, label, &rows, &query, loaded) < 0) return -1;
        if (ut_partial(u, ynode_get(spec, "partial", &l), "outputs: ", &partial) < 0) return -1;
        if (!rows && !query) return ut_fail_at(u, spec->line, "Incomplete test, missing row data for '%s'", label);
        if (rows && ynode_is_null(rows)) rows = NULL;
        if (rows && rows->t != YNODE_SEQ) return ut_fail_at(u, rows->line, "'rows' of '%s' must be a list", label);
    } else if (ynode_is_null(spec)) rows = NULL;
    else return ut_fail_at(u, spec->line, "Incomplete test, missing row data for '%s'", label);

    strbuf q;
    sb_init(&q);
    sb_appendf(&q, "CREATE OR REPLACE TEMP TABLE __mt_actual AS %s", actual_sql);
    int rc = db_exec(u->con, q.buf, u->err);
    sb_free(&q);
    if (rc < 0) {
        mt_err_prefix(u->err, "running the %s", label);
        return -1;
    }
    struct strlist acols = {0}, atypes = {0}, ref = {0};
    rc = describe(u, "__mt_actual", &acols, &atypes);
    /* the columns the expected rows name, in first-seen order */
    if (rc == 0 && rows) {
        struct strlist bad = {0};
        for (size_t r = 0; r < rows->n; r++) {
            const struct ynode *row = &rows->items[r];
            if (row->t != YNODE_MAP) {
                rc = ut_fail_at(u, row->line, "a row must be a map of column: value%s", "");
                break;
            }
            for (size_t k = 0; k < row->n; k++) {
                if (ut_col_index(&ref, row->keys[k]) < 0) strlist_push(&ref, row->keys[k]);
                if (ut_col_index(&acols, row->keys[k]) < 0 && !strlist_has(&bad, row->keys[k])) strlist_push(&bad, row->keys[k]);
            }
        }
        if (rc == 0 && bad.n) rc = ut_unknown_columns_error(u, rows->line, &acols, &bad);
        strlist_free(&bad);
    } else if (rc == 0 && query) {
        strbuf d;
        sb_init(&d);
        sb_appendf(&d, "(%s)", query->s);
        struct strlist t = {0};
        rc = describe(u, d.buf, &ref, &t);
        strlist_free(&t);
        sb_free(&d);
    }
    /* the compared columns: all of the actual ones, or (partial) those named */
    struct strlist cols = {0}, types = {0};
    for (size_t c = 0; rc == 0 && c < acols.n; c++)
        if (!partial || ut_col_index(&ref, acols.v[c]) >= 0) {
            strlist_push(&cols, acols.v[c]);
            strlist_push(&types, atypes.v[c]);
        }
    if (rc == 0) rc = db_exec(u->con, "DROP TABLE IF EXISTS __mt_expected", u->err);
    if (rc == 0) {
        if (rows) {
            /* a table with the actual types: expected values are cast to them (astype) */
            rc = ut_table_from_rows(u, "__mt_expected", &cols, &types, rows, spec->line);
        } else if (query) {
            rc = ut_table_from_rows(u, "__mt_expected", &cols, &types, NULL, spec->line);
            if (rc == 0) {
                strbuf ins;
                sb_init(&ins);
                sb_appendf(&ins, "INSERT INTO __mt_expected BY NAME SELECT * FROM (%s)", query->s);
                rc = db_exec(u->con, ins.buf, u->err);
                sb_free(&ins);
            }
        } else rc = ut_table_from_rows(u, "__mt_expected", &cols, &types, NULL, spec->line);
    }
    struct table e = {0}, a = {0};
    if (rc == 0) rc = fetch(u, "__mt_expected", &cols, &types, sort, &e);
    if (rc == 0) rc = fetch(u, "__mt_actual", &cols, &types, sort, &a);
    if (rc == 0) rc = compare(u, label, &e, &a);
    table_free(&e);
    table_free(&a);
    strlist_free(&cols);
    strlist_free(&types);
    strlist_free(&acols);
    strlist_free(&atypes);
    strlist_free(&ref);
    return rc;
}

int ut_check_output(struct ut *u, const char *label, const char *actual_sql, bool sort, const struct ynode *spec,
                    bool partial)
{
    struct ynode loaded;
    memset(&loaded, 0, sizeof loaded);
    int rc = check_output_rows(u, label, actual_sql, sort, spec, partial, &loaded);
    ynode_free(&loaded);
    return rc;
}

