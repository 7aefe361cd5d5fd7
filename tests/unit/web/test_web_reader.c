/* test_web_reader.c — the reader (snapshot publish, swap, refcount close), the response
 * cache, the query watchdog and result rendering, on real DuckDB files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serving/contract.h"
#include "util/err.h"
#include "util/db.h"
#include "util/fsutil.h"
#include "web/web_api.h"
#include "web/web_cache.h"
#include "web/web_snapshot.h"
#include "web/web_watchdog.h"

static char *scratch_dir(void)
{
    const char *root = getenv("MATERIA_TEST_TMP");
    struct mt_err err = MT_ERR_INIT;
    if (!root) root = "/tmp";
    assert_int_equal(fs_mkdir_p(root, &err), 0);
    char *tmpl = xasprintf("%s/webreader-XXXXXX", root);
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

/* A serving file built from the contract itself (serving/contract.c): every table with
 * every listed column and type, one row in coffee_balance and releases, and a _snapshot
 * whose checksums are computed by the same SQL export uses. `damage` is SQL run after
 * the seal (e.g. dropping a column), so the file is refused for exactly that reason.
 * Written to a temp name and renamed over path. */
static void make_snapshot_damaged(const char *path, const char *id, const char *damage)
{
    struct mt_err err = MT_ERR_INIT;
    char *tmp = xasprintf("%s.tmp", path);
    unlink(tmp);
    struct db d;
    assert_int_equal(db_open(&d, tmp, false, 1, &err), 0);
    strbuf sql;
    sb_init(&sql);
    for (size_t t = 0; t < serving_contract_len; t++) {
        const struct serving_table *tab = &serving_contract[t];
        sb_appendf(&sql, "CREATE TABLE %s (", tab->name);
        for (size_t c = 0; c < tab->ncols; c++)
            sb_appendf(&sql, "%s\"%s\" %s", c ? ", " : "", tab->cols[c].name, tab->cols[c].type);
        sb_append(&sql, ");");
    }
    sb_append(&sql, "INSERT INTO coffee_balance (country_code, country_name, iso3, region, market_year,"
                    " production, release_date) VALUES ('BR', 'Brazil', 'BRA', 'South America', 2022,"
                    " 58100.0, DATE '2022-12-20');"
                    "INSERT INTO releases (release_date, etag) VALUES (DATE '2022-12-20', 'e');");
    for (size_t t = 0; t < serving_contract_len; t++) {
        const char *n = serving_contract[t].name;
        if (!strcmp(n, "_snapshot")) continue;
        sb_appendf(&sql, "INSERT INTO _snapshot SELECT '%s', TIMESTAMP '2022-12-21 06:00:00', 'run-1',"
                         " '%s', count(*), coalesce(sum(hash(_r::VARCHAR)), 0)::VARCHAR FROM %s AS _r;",
                   id, n, n);
    }
    if (damage) sb_append(&sql, damage);
    if (db_exec(d.con, sql.buf, &err)) fail_msg("%s", err);
    sb_free(&sql);
    db_close(&d);
    assert_int_equal(rename(tmp, path), 0);
    free(tmp);
}

static void make_snapshot(const char *path, const char *id)
{
    make_snapshot_damaged(path, id, NULL);
}

static void test_reader_swap_and_refcount(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    char *path = fs_join(dir, "serving.duckdb");
    struct web_reader r;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(web_reader_init(&r, path, 2, true, 64u << 20, &err), 0);

    /* missing file: NULL with the reason */
    assert_null(web_reader_acquire(&r, &err));
    assert_non_null(strstr(err.msg, "No such file"));

    make_snapshot(path, "A");
    struct web_snapshot *a = web_reader_acquire(&r, &err);
    assert_non_null(a);
    assert_string_equal(a->snapshot_id, "A");
    assert_string_equal(a->release_date, "2022-12-20");
    assert_string_equal(a->created_at, "2022-12-21T06:00:00Z");
    assert_int_equal(a->latest_year, 2022);
    assert_int_equal(a->generation, 1);
    assert_int_equal(atomic_load(&r.open_snapshots), 1);
    struct web_snapshot *a2 = web_reader_acquire(&r, &err);
    assert_ptr_equal(a, a2); /* same inode: same handle */
    web_snapshot_release(a2);

    /* a connection from slot 0 with a prepared statement, bound to snapshot A */
    struct web_conn tmp;
    struct web_conn *wc = web_snapshot_conn(a, 0, &tmp, &err);
    assert_non_null(wc);
    assert_non_null(web_conn_stmt(wc, 0, "SELECT snapshot_id FROM _snapshot", &err));
    assert_null(web_conn_stmt(wc, 1, "SELECT nope FROM nowhere", &err));

    /* swap: a new file renamed over; A stays open while referenced */
    make_snapshot(path, "B");
    struct web_snapshot *b = web_reader_acquire(&r, &err);
    assert_non_null(b);
    assert_string_equal(b->snapshot_id, "B");
    assert_int_equal(b->generation, 2);
    assert_int_equal(atomic_load(&r.open_snapshots), 2);
    assert_int_equal(atomic_load(&r.swaps), 1);
    assert_string_equal(a->snapshot_id, "A"); /* still valid: we hold it */
    web_snapshot_release(a);                  /* last reference: A closes */
    assert_int_equal(atomic_load(&r.open_snapshots), 1);

    /* corrupt file: keep B, report, don't retry the same inode */
    char *bad = xasprintf("%s.bad", path);
    FILE *f = fopen(bad, "w");
    fputs("garbage garbage garbage", f);
    fclose(f);
    assert_int_equal(rename(bad, path), 0);
    struct web_snapshot *b2 = web_reader_acquire(&r, &err);
    assert_ptr_equal(b2, b);
    web_reader_error(&r, err.msg, sizeof err.msg);
    assert_non_null(strstr(err.msg, "cannot open serving snapshot"));
    assert_int_equal(atomic_load(&r.open_snapshots), 1);
    web_snapshot_release(b2);
    web_snapshot_release(b);

    /* removed: the open snapshot keeps serving (DuckDB holds its descriptor), and the
     * reader says the file is gone */
    unlink(path);
    struct web_snapshot *b3 = web_reader_acquire(&r, &err);
    assert_ptr_equal(b3, b);
    web_reader_error(&r, err.msg, sizeof err.msg);
    assert_non_null(strstr(err.msg, "the file is gone"));
    assert_null(strstr(err.msg, dir)); /* no path in what answers show */
    assert_int_equal(atomic_load(&r.open_snapshots), 1);
    web_snapshot_release(b3);
    /* a good file again: published, the error clears */
    make_snapshot(path, "C");
    struct web_snapshot *c = web_reader_acquire(&r, &err);
    assert_non_null(c);
    assert_string_equal(c->snapshot_id, "C");
    web_reader_error(&r, err.msg, sizeof err.msg);
    assert_string_equal(err.msg, "");
    web_snapshot_release(c);

    web_reader_free(&r);
    free(bad);
    free(path);
    rmdir(dir); /* may fail if files remain; fine */
    free(dir);
}

static int freed;
static void count_free(void *v)
{
    freed++;
    free(v);
}

static void test_cache(void **state)
{
    (void)state;
    struct web_cache c;
    freed = 0;
    web_cache_init(&c, 3, 1000, count_free);
    assert_null(web_cache_get(&c, "/a"));
    char *v1 = xstrdup("one");
    assert_ptr_equal(web_cache_put(&c, "/a", v1, 4), v1);
    assert_ptr_equal(web_cache_get(&c, "/a"), v1);
    char *dup = xstrdup("other");
    assert_ptr_equal(web_cache_put(&c, "/a", dup, 6), v1); /* first one wins, dup freed */
    assert_int_equal(freed, 1);
    assert_non_null(web_cache_put(&c, "/b", xstrdup("b"), 2));
    assert_non_null(web_cache_put(&c, "/c", xstrdup("c"), 2));
    char *over = xstrdup("d");
    assert_null(web_cache_put(&c, "/d", over, 2)); /* entry budget spent: caller keeps it */
    free(over);
    web_cache_free(&c);
    assert_int_equal(freed, 4);
    web_cache_init(&c, 100, 10, count_free);
    char *big = xstrdup("big");
    assert_null(web_cache_put(&c, "/big", big, 100)); /* byte budget */
    free(big);
    web_cache_free(&c);
}

static void test_watchdog_interrupts_long_query(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    struct db d;
    assert_int_equal(db_open(&d, NULL, false, 1, &err), 0);
    assert_int_equal(web_watchdog_start(100, &err), 0);
    duckdb_result res;
    web_watch_begin(3, d.con);
    duckdb_state st = duckdb_query(d.con, "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 1", &res);
    bool hit = web_watch_end(3);
    assert_int_equal(st, DuckDBError);
    assert_true(hit);
    duckdb_destroy_result(&res);
    /* a quick query is not interrupted */
    web_watch_begin(3, d.con);
    st = duckdb_query(d.con, "SELECT 42", &res);
    assert_false(web_watch_end(3));
    assert_int_equal(st, DuckDBSuccess);
    duckdb_destroy_result(&res);
    web_watchdog_stop();
    db_close(&d);
}

static void test_render_rows(void **state)
{
    (void)state;
    struct mt_err err = MT_ERR_INIT;
    struct db d;
    assert_int_equal(db_open(&d, NULL, false, 1, &err), 0);
    duckdb_result res;
    const char *sql = "SELECT * FROM (VALUES ('BR', 'Rst,\"G\"', 2022, 58100.5::DOUBLE, DATE '2022-12-20',"
                      " TIMESTAMP '2022-12-21 06:00:00', 12::BIGINT, 1.25::DECIMAL(9,2)),"
                      " ('CI', NULL, 2021, NULL, NULL, NULL, NULL, NULL))"
                      " t(code, name, year, v, d, ts, n, dec)";
    assert_int_equal(duckdb_query(d.con, sql, &res), DuckDBSuccess);
    strbuf sb;
    sb_init(&sb);
    web_api_render_rows(&sb, &res, WF_JSON);
    duckdb_destroy_result(&res);
    assert_string_equal(sb.buf,
                        "[{\"code\":\"BR\",\"name\":\"Rst,\\\"G\\\"\",\"year\":2022,\"v\":58100.5,"
                        "\"d\":\"2022-12-20\",\"ts\":\"2022-12-21T06:00:00Z\",\"n\":12,\"dec\":1.25},"
                        "{\"code\":\"CI\",\"name\":null,\"year\":2021,\"v\":null,\"d\":null,\"ts\":null,"
                        "\"n\":null,\"dec\":null}]");
    sb_reset(&sb);
    assert_int_equal(duckdb_query(d.con, sql, &res), DuckDBSuccess);
    web_api_render_rows(&sb, &res, WF_CSV);
    duckdb_destroy_result(&res);
    assert_string_equal(sb.buf, "code,name,year,v,d,ts,n,dec\r\n"
                                "BR,\"Rst,\"\"G\"\"\",2022,58100.5,2022-12-20,2022-12-21T06:00:00Z,12,1.25\r\n"
                                "CI,,2021,,,,,\r\n");
    sb_free(&sb);
    db_close(&d);
}

/* Each way a file can break the contract: refused, the previous snapshot kept, and the
 * reason names the table and column (never a path). */
static void test_reader_refuses_broken_snapshots(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    char *path = fs_join(dir, "serving.duckdb");
    struct web_reader r;
    struct mt_err err = MT_ERR_INIT;
    assert_int_equal(web_reader_init(&r, path, 1, false, 64u << 20, &err), 0);
    make_snapshot(path, "good");
    struct web_snapshot *g = web_reader_acquire(&r, &err);
    assert_non_null(g);
    web_snapshot_release(g);
    static const struct {
        const char *damage, *want;
    } cases[] = {
        {"ALTER TABLE coffee_balance DROP COLUMN production;", "table coffee_balance has no column production"},
        {"ALTER TABLE world_balance ALTER market_year TYPE BIGINT;", "column world_balance.market_year is BIGINT"},
        {"DROP TABLE countries;", "table countries is missing"},
        {"DELETE FROM _snapshot WHERE table_name = 'releases';", "_snapshot has 0 rows for table releases"},
        {"UPDATE coffee_balance SET production = 1;", "table coffee_balance: 1 rows, checksum"},
    };
    for (size_t i = 0; i < MT_ARRAY_LEN(cases); i++) {
        make_snapshot_damaged(path, "bad", cases[i].damage);
        struct web_snapshot *s = web_reader_acquire(&r, &err);
        assert_non_null(s);
        assert_string_equal(s->snapshot_id, "good");
        web_snapshot_release(s);
        web_reader_error(&r, err.msg, sizeof err.msg);
        if (!strstr(err.msg, cases[i].want)) fail_msg("case %zu: '%s' does not say '%s'", i, err, cases[i].want);
        assert_null(strstr(err.msg, dir));
    }
    /* a DuckDB setting that cannot be applied: the file is not opened at all */
    make_snapshot(path, "unopened");
    setenv("MATERIA_FAIL_AT", "web_open_config", 1);
    struct web_snapshot *s = web_reader_acquire(&r, &err);
    unsetenv("MATERIA_FAIL_AT");
    assert_string_equal(s->snapshot_id, "good");
    web_snapshot_release(s);
    web_reader_error(&r, err.msg, sizeof err.msg);
    assert_non_null(strstr(err.msg, "read-only settings could not be applied"));
    web_reader_free(&r);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_swap_and_refcount),
        cmocka_unit_test(test_reader_refuses_broken_snapshots),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_watchdog_interrupts_long_query),
        cmocka_unit_test(test_render_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
