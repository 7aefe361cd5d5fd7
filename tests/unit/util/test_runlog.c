/* test_runlog.c — unit tests for util/runlog.h on an in-memory DuckDB: begin/end, the one
 * "stale running row is marked failed" rule (per kind, same message and timestamp rule
 * for transform and pipeline), model rows (rolled back on a failed run), last-run and
 * ok-after queries, and the status names that docs/ARCHITECTURE.md §2 fixes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/db.h"
#include "util/err.h"
#include "util/runlog.h"
#include "util/strbuf.h"

static struct db d;
static struct mt_err err = MT_ERR_INIT;

static int setup(void **state)
{
    (void)state;
    if (db_open(&d, NULL, false, 1, &err) < 0) return -1;
    char *sql = xasprintf("CREATE SCHEMA _materia; %s", runlog_ddl());
    int rc = db_exec(d.con, sql, &err);
    free(sql);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    db_close(&d);
    return 0;
}

static char *query_str(const char *sql)
{
    char *v = NULL;
    assert_int_equal(db_query_str(d.con, sql, &v, &err), 0);
    return v;
}

static void expect_str(const char *sql, const char *want)
{
    char *v = query_str(sql);
    if (!want) assert_null(v);
    else {
        assert_non_null(v);
        assert_string_equal(v, want);
    }
    free(v);
}

static void test_status_names_are_the_contract(void **state)
{
    (void)state;
    const char *names[] = {"running", "ok", "nothing_to_do", "failed", "audit_failed", "rolled_back"};
    for (int i = 0; i < 6; i++) {
        assert_string_equal(runlog_status_name((enum runlog_status)i), names[i]);
        assert_int_equal(runlog_status_parse(names[i]), i);
    }
    assert_int_equal(runlog_status_parse("bogus"), RUNLOG_UNKNOWN);
    assert_int_equal(runlog_status_parse(NULL), RUNLOG_UNKNOWN);
    assert_string_equal(runlog_kind_name(RUNLOG_TRANSFORM), "transform");
    assert_string_equal(runlog_kind_name(RUNLOG_PIPELINE), "pipeline");
}

static void test_begin_marks_only_its_kinds_stale_rows_failed(void **state)
{
    (void)state;
    assert_int_equal(runlog_begin(d.con, RUNLOG_TRANSFORM, "t1", NULL, &err), 0);
    assert_int_equal(runlog_begin(d.con, RUNLOG_PIPELINE, "p1", "all", &err), 0);
    /* a pipeline run does not touch a transform row, and vice versa */
    expect_str("SELECT status FROM _materia.runs WHERE run_id = 't1'", "running");
    assert_int_equal(runlog_begin(d.con, RUNLOG_PIPELINE, "p2", "all", &err), 0);
    expect_str("SELECT status FROM _materia.runs WHERE run_id = 'p1'", "failed");
    expect_str("SELECT message FROM _materia.runs WHERE run_id = 'p1'",
               "interrupted (found running at a later run's start)");
    expect_str("SELECT (ended_at IS NOT NULL)::VARCHAR FROM _materia.runs WHERE run_id = 'p1'", "true");
    expect_str("SELECT status FROM _materia.runs WHERE run_id = 't1'", "running");
    /* a transform no-op recorded in one step marks the same way, and is over at once */
    assert_int_equal(runlog_record(d.con, RUNLOG_TRANSFORM, "t2", RUNLOG_NOTHING_TO_DO, NULL, &err), 0);
    expect_str("SELECT status FROM _materia.runs WHERE run_id = 't1'", "failed");
    expect_str("SELECT message FROM _materia.runs WHERE run_id = 't1'",
               "interrupted (found running at a later run's start)");
    expect_str("SELECT (ended_at = started_at)::VARCHAR || status FROM _materia.runs WHERE run_id = 't2'",
               "truenothing_to_do");
    expect_str("SELECT kind FROM _materia.runs WHERE run_id = 'p2'", "pipeline");
    expect_str("SELECT message FROM _materia.runs WHERE run_id = 'p2'", "all");
}

static void test_end_with_models_and_rollback(void **state)
{
    (void)state;
    strbuf rows;
    sb_init(&rows);
    assert_int_equal(runlog_begin(d.con, RUNLOG_TRANSFORM, "t3", NULL, &err), 0);
    runlog_model_row(&rows, "t3", "staging.o'k", "fp1", "build", RUNLOG_OK, 0.5, 10);
    runlog_model_row(&rows, "t3", "serving.bad", "fp2", "build", RUNLOG_AUDIT_FAILED, 0.25, -1);
    assert_int_equal(runlog_end(d.con, "t3", RUNLOG_AUDIT_FAILED, "audit x failed", &rows, true,
                                &err), 0);
    expect_str("SELECT status || ':' || message FROM _materia.runs WHERE run_id = 't3'",
               "audit_failed:audit x failed");
    expect_str("SELECT string_agg(model || '=' || status || '/' || coalesce(rows::VARCHAR, 'NULL'), ',' "
               "ORDER BY model) FROM _materia.run_models WHERE run_id = 't3'",
               "serving.bad=audit_failed/NULL,staging.o'k=rolled_back/10");
    /* a successful end inside the caller's transaction, with the caller's timestamp */
    sb_reset(&rows);
    assert_int_equal(runlog_begin(d.con, RUNLOG_TRANSFORM, "t4", NULL, &err), 0);
    runlog_model_row(&rows, "t4", "raw.x", "fp", "build", RUNLOG_OK, 1.0, 3);
    strbuf sql;
    sb_init(&sql);
    sb_append(&sql, "BEGIN TRANSACTION;\n");
    runlog_end_sql(&sql, "t4", RUNLOG_OK, NULL, &rows, false, "2030-01-02 03:04:05.123456");
    sb_append(&sql, "COMMIT");
    assert_int_equal(db_exec(d.con, sql.buf, &err), 0);
    expect_str("SELECT ended_at::VARCHAR || ' ' || status FROM _materia.runs WHERE run_id = 't4'",
               "2030-01-02 03:04:05.123456 ok");
    expect_str("SELECT status FROM _materia.run_models WHERE run_id = 't4'", "ok");
    sb_free(&sql);
    sb_free(&rows);
}

static void test_last_and_ok_after(void **state)
{
    (void)state;
    struct runlog_last last;
    /* newest transform run: t4 (ok) */
    assert_int_equal(runlog_last(d.con, RUNLOG_TRANSFORM, &last, &err), 0);
    assert_true(last.table_exists && last.found);
    assert_string_equal(last.run_id, "t4");
    assert_int_equal(last.status, RUNLOG_OK);
    runlog_last_free(&last);
    int64_t n = -1;
    assert_int_equal(runlog_count_ok_after(d.con, RUNLOG_TRANSFORM, "t4", &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(runlog_count_ok_after(d.con, RUNLOG_TRANSFORM, "no-such-run", &n, &err), 0);
    assert_int_equal(n, 1); /* every ok run counts when the snapshot's run is unknown */
    /* no run log at all, and a run log without that kind */
    struct db e;
    assert_int_equal(db_open(&e, NULL, false, 1, &err), 0);
    assert_int_equal(runlog_last(e.con, RUNLOG_TRANSFORM, &last, &err), 0);
    assert_false(last.table_exists);
    runlog_last_free(&last);
    char *sql = xasprintf("CREATE SCHEMA _materia; %s", runlog_ddl());
    assert_int_equal(db_exec(e.con, sql, &err), 0);
    free(sql);
    assert_int_equal(runlog_begin(e.con, RUNLOG_PIPELINE, "p", "all", &err), 0);
    assert_int_equal(runlog_last(e.con, RUNLOG_TRANSFORM, &last, &err), 0);
    assert_true(last.table_exists && !last.found);
    runlog_last_free(&last);
    db_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names_are_the_contract),
        cmocka_unit_test(test_begin_marks_only_its_kinds_stale_rows_failed),
        cmocka_unit_test(test_end_with_models_and_rollback),
        cmocka_unit_test(test_last_and_ok_after),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
