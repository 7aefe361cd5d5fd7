/* runlog.c — see runlog.h. Every statement on _materia.runs and _materia.run_models is in
 * this file. Values are quoted with db_quote_literal; status and kind come from the enums,
 * so a row never carries a status this file does not know. */
#include "util/runlog.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/db.h"


static const char *const kind_names[] = {"transform", "pipeline"};
static const char *const status_names[] = {"running", "ok", "nothing_to_do", "failed",
                                           "audit_failed", "rolled_back", "unknown"};

const char *runlog_kind_name(enum runlog_kind kind)
{
    return (unsigned)kind < MT_ARRAY_LEN(kind_names) ? kind_names[kind] : "unknown";
}

const char *runlog_status_name(enum runlog_status st)
{
    return (unsigned)st < MT_ARRAY_LEN(status_names) ? status_names[st] : "unknown";
}

enum runlog_status runlog_status_parse(const char *name)
{
    for (int i = 0; name && i < RUNLOG_UNKNOWN; i++)
        if (!strcmp(name, status_names[i])) return (enum runlog_status)i;
    return RUNLOG_UNKNOWN;
}

const char *runlog_ddl(void)
{
    return "CREATE TABLE IF NOT EXISTS _materia.runs(run_id VARCHAR PRIMARY KEY, kind VARCHAR, "
           "started_at TIMESTAMP, ended_at TIMESTAMP, status VARCHAR, message VARCHAR);"
           "CREATE TABLE IF NOT EXISTS _materia.run_models(run_id VARCHAR, model VARCHAR, "
           "fingerprint VARCHAR, action VARCHAR, status VARCHAR, seconds DOUBLE, rows BIGINT);";
}

static void quote_or_null(strbuf *sql, const char *text)
{
    if (text) db_quote_literal(sql, text);
    else sb_append(sql, "NULL");
}

/* The one "mark a stale running row failed" (runlog.h): ended_at is now() — the moment
 * the kill was noticed; when it happened is not known. */
static void stale_sql(strbuf *sql, enum runlog_kind kind)
{
    sb_append(sql, "UPDATE _materia.runs SET status = 'failed', ended_at = now()::TIMESTAMP, "
                   "message = 'interrupted (found running at a later run''s start)' WHERE kind = ");
    db_quote_literal(sql, runlog_kind_name(kind));
    sb_append(sql, " AND status = 'running';\n");
}

static int insert_run(duckdb_connection con, enum runlog_kind kind, const char *run_id,
                      enum runlog_status st, const char *message, struct mt_err *err)
{
    strbuf sql;
    sb_init(&sql);
    stale_sql(&sql, kind);
    sb_append(&sql, "INSERT INTO _materia.runs VALUES (");
    db_quote_literal(&sql, run_id);
    sb_append(&sql, ", ");
    db_quote_literal(&sql, runlog_kind_name(kind));
    sb_append(&sql, st == RUNLOG_RUNNING ? ", now()::TIMESTAMP, NULL, "
                                         : ", now()::TIMESTAMP, now()::TIMESTAMP, ");
    db_quote_literal(&sql, runlog_status_name(st));
    sb_append(&sql, ", ");
    quote_or_null(&sql, message);
    sb_append(&sql, ")");
    int rc = db_exec(con, sql.buf, err);
    sb_free(&sql);
    return rc;
}

int runlog_begin(duckdb_connection con, enum runlog_kind kind, const char *run_id,
                 const char *message, struct mt_err *err)
{
    return insert_run(con, kind, run_id, RUNLOG_RUNNING, message, err);
}

int runlog_record(duckdb_connection con, enum runlog_kind kind, const char *run_id,
                  enum runlog_status st, const char *message, struct mt_err *err)
{
    return insert_run(con, kind, run_id, st, message, err);
}

void runlog_model_row(strbuf *rows, const char *run_id, const char *model, const char *fingerprint,
                      const char *action, enum runlog_status st, double secs, int64_t n)
{
    if (rows->len) sb_append(rows, ", ");
    sb_append_char(rows, '(');
    db_quote_literal(rows, run_id);
    sb_append(rows, ", ");
    db_quote_literal(rows, model);
    sb_append(rows, ", ");
    db_quote_literal(rows, fingerprint);
    sb_append(rows, ", ");
    db_quote_literal(rows, action);
    sb_append(rows, ", ");
    db_quote_literal(rows, runlog_status_name(st));
    sb_appendf(rows, ", %.6f, ", secs);
    if (n >= 0) sb_appendf(rows, "%lld)", (long long)n);
    else sb_append(rows, "NULL)");
}

void runlog_end_sql(strbuf *sql, const char *run_id, enum runlog_status st, const char *message,
                    const strbuf *models, bool rolled_back, const char *ended_at)
{
    if (models && models->len) {
        if (rolled_back)
            sb_appendf(sql, "INSERT INTO _materia.run_models SELECT r, m, f, a, CASE s WHEN 'ok' THEN "
                            "'rolled_back' ELSE s END, sec, n FROM (VALUES %s) AS v(r, m, f, a, s, sec, n);\n",
                       models->buf);
        else
            sb_appendf(sql, "INSERT INTO _materia.run_models VALUES %s;\n", models->buf);
    }
    sb_append(sql, "UPDATE _materia.runs SET ended_at = ");
    if (ended_at) {
        sb_append(sql, "TIMESTAMP ");
        db_quote_literal(sql, ended_at);
    } else {
        sb_append(sql, "now()::TIMESTAMP");
    }
    sb_append(sql, ", status = ");
    db_quote_literal(sql, runlog_status_name(st));
    sb_append(sql, ", message = ");
    quote_or_null(sql, message);
    sb_append(sql, " WHERE run_id = ");
    db_quote_literal(sql, run_id);
    sb_append(sql, ";\n");
}

int runlog_end(duckdb_connection con, const char *run_id, enum runlog_status st,
               const char *message, const strbuf *models, bool rolled_back,
               struct mt_err *err)
{
    strbuf sql;
    sb_init(&sql);
    runlog_end_sql(&sql, run_id, st, message, models, rolled_back, NULL);
    int rc = db_exec(con, sql.buf, err);
    sb_free(&sql);
    return rc;
}

int runlog_last(duckdb_connection con, enum runlog_kind kind, struct runlog_last *out,
                struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    out->status = RUNLOG_UNKNOWN;
    struct mt_err e2 = MT_ERR_INIT;
    int64_t have = 0;
    if (db_query_i64(con, "SELECT count(*) FROM information_schema.tables WHERE "
                          "table_catalog = current_database() AND table_schema = '_materia' "
                          "AND table_name = 'runs'", &have, NULL, &e2) < 0) {
        mt_errf(err, "cannot read the run log: %s", e2.msg);
        return -1;
    }
    if (!have) return 0;
    out->table_exists = true;
    strbuf sql;
    sb_init(&sql);
    sb_append(&sql, "SELECT run_id, status FROM _materia.runs WHERE kind = ");
    db_quote_literal(&sql, runlog_kind_name(kind));
    sb_append(&sql, " ORDER BY started_at DESC NULLS LAST, run_id DESC LIMIT 1");
    duckdb_result res;
    int rc = db_query(con, sql.buf, &res, &e2);
    sb_free(&sql);
    if (rc < 0) {
        mt_errf(err, "cannot read _materia.runs: %s", e2.msg);
        return -1;
    }
    if (duckdb_row_count(&res) > 0) {
        out->found = true;
        char *id = duckdb_value_varchar(&res, 0, 0);
        char *st = duckdb_value_varchar(&res, 1, 0);
        out->run_id = id ? xstrdup(id) : NULL;
        out->status_name = st ? xstrdup(st) : NULL;
        out->status = runlog_status_parse(st);
        duckdb_free(id);
        duckdb_free(st);
    }
    duckdb_destroy_result(&res);
    return 0;
}

void runlog_last_free(struct runlog_last *r)
{
    free(r->run_id);
    free(r->status_name);
    memset(r, 0, sizeof *r);
}

int runlog_count_ok_after(duckdb_connection con, enum runlog_kind kind, const char *run_id,
                          int64_t *n, struct mt_err *err)
{
    strbuf sql;
    sb_init(&sql);
    sb_append(&sql, "SELECT count(*) FROM _materia.runs WHERE kind = ");
    db_quote_literal(&sql, runlog_kind_name(kind));
    sb_append(&sql, " AND status = 'ok' AND started_at > coalesce((SELECT max(started_at) FROM "
                    "_materia.runs WHERE run_id = ");
    db_quote_literal(&sql, run_id);
    sb_append(&sql, "), TIMESTAMP '-infinity')");
    *n = 0;
    int rc = db_query_i64(con, sql.buf, n, NULL, err);
    sb_free(&sql);
    return rc;
}
