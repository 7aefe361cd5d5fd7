/* alerts.c — see alerts.h. */
#include "accounts/alerts.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/sqlite_util.h"
#include "util/common.h"
#include "util/db.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/testhook.h"


/* The newest release and its changes from the serving snapshot. */
static int load_release(duckdb_connection serving, struct alert_batch *b, struct mt_err *err)
{
    duckdb_result r;
    if (db_query(serving,
                 "SELECT CAST(release_date AS VARCHAR), etag, CAST(epoch(landed_at) AS BIGINT) "
                 "FROM releases ORDER BY release_date DESC, landed_at DESC LIMIT 1",
                 &r, err) < 0)
        return mt_err_prefix(err, "serving snapshot: releases");
    if (duckdb_row_count(&r) == 0) {
        duckdb_destroy_result(&r);
        return 0;
    }
    b->has_release = true;
    b->rel.release_date = db_value_text(&r, 0, 0);
    b->rel.etag = db_value_text(&r, 1, 0);
    b->rel.landed_at = duckdb_value_int64(&r, 2, 0);
    b->rel.key = xasprintf("%s/%s", b->rel.release_date, b->rel.etag);
    duckdb_destroy_result(&r);

    strbuf sql;
    sb_init(&sql);
    sb_append(&sql, "SELECT country_code, country_name, attribute, market_year, previous_value, value "
                    "FROM psd_revisions WHERE release_date = ");
    db_quote_literal(&sql, b->rel.release_date);
    sb_append(&sql, " AND change IS NOT NULL AND change <> 0 ");
    /* the watchlist's 'WORLD': the sum over the countries the release revised against the
     * previous release (a country's first value is not a change, so it is left out) */
    sb_append(&sql, "UNION ALL SELECT 'WORLD', 'World', attribute, market_year, sum(previous_value), "
                    "sum(value) FROM psd_revisions WHERE release_date = ");
    db_quote_literal(&sql, b->rel.release_date);
    sb_append(&sql, " AND previous_value IS NOT NULL GROUP BY attribute, market_year "
                    "HAVING sum(change) <> 0 "
                    "ORDER BY country_name, attribute, market_year");
    int rc = db_query(serving, sql.buf, &r, err);
    sb_free(&sql);
    if (rc < 0) return mt_err_prefix(err, "serving snapshot: psd_revisions");
    idx_t n = duckdb_row_count(&r);
    b->changes = n ? xmalloc(n * sizeof *b->changes) : NULL;
    for (idx_t i = 0; i < n; i++) {
        struct alert_change *c = &b->changes[i];
        c->country_code = db_value_text(&r, 0, i);
        c->country_name = db_value_text(&r, 1, i);
        c->attribute = db_value_text(&r, 2, i);
        c->market_year = (int)duckdb_value_int32(&r, 3, i);
        c->old_value = duckdb_value_double(&r, 4, i);
        c->new_value = duckdb_value_double(&r, 5, i);
    }
    b->n_changes = n;
    duckdb_destroy_result(&r);
    return 0;
}

/* Appends to d every change matching (country, attribute). Changes are few per release
 * (hundreds) and a watchlist is short: a scan is enough. */
static void add_matches(struct alert_batch *b, struct alert_digest *d, size_t *cap,
                        const char *country, const char *attribute)
{
    for (size_t i = 0; i < b->n_changes; i++) {
        struct alert_change *c = &b->changes[i];
        if (strcmp(c->country_code, country) || strcmp(c->attribute, attribute)) continue;
        if (d->n == *cap) {
            *cap = *cap ? 2 * *cap : 8;
            d->v = xrealloc(d->v, *cap * sizeof *d->v);
        }
        d->v[d->n++] = *c; /* a shallow copy: the strings stay the batch's */
    }
}

int alerts_compute(sqlite3 *app, duckdb_connection serving, const char *only_email,
                   struct alert_batch *out, struct mt_err *err)
{
    memset(out, 0, sizeof *out);
    if (load_release(serving, out, err) < 0) {
        alert_batch_free(out);
        return -1;
    }
    if (!out->has_release) return 0;
    /* one row per (user, watchlist entry), users in id order; the recorded send state */
    const char *sql =
        "SELECT u.id, u.email, w.country, w.metric, s.state "
        "FROM users u JOIN watchlist w ON w.user_id = u.id "
        "LEFT JOIN alert_sends s ON s.user_id = u.id AND s.release_key = ?1 "
        "WHERE u.disabled_at IS NULL AND (?2 IS NULL AND u.created_at <= ?3 OR u.email = ?2) "
        "ORDER BY u.id, w.country, w.metric";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(app, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlu_fail(app, "account database", "watchlists", err);
        alert_batch_free(out);
        return -1;
    }
    sqlite3_bind_text(st, 1, out->rel.key, -1, SQLITE_STATIC);
    if (only_email) sqlite3_bind_text(st, 2, only_email, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, out->rel.landed_at);
    size_t cap_d = 0, cap_v = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t uid = sqlite3_column_int64(st, 0);
        struct alert_digest *d = out->n ? &out->d[out->n - 1] : NULL;
        if (!d || d->user_id != uid) {
            if (d && d->n == 0) { /* the previous user had no match: drop it */
                free(d->email);
                free(d->v);
                out->n--;
            }
            if (out->n == cap_d) {
                cap_d = cap_d ? 2 * cap_d : 16;
                out->d = xrealloc(out->d, cap_d * sizeof *out->d);
            }
            d = &out->d[out->n++];
            memset(d, 0, sizeof *d);
            d->user_id = uid;
            d->email = xstrdup((const char *)sqlite3_column_text(st, 1));
            const unsigned char *state = sqlite3_column_text(st, 4);
            d->sent_state = !state ? NULL : !strcmp((const char *)state, "sent") ? "sent" : "sending";
            cap_v = 0;
        }
        add_matches(out, d, &cap_v, (const char *)sqlite3_column_text(st, 2),
                    (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    if (out->n && out->d[out->n - 1].n == 0) {
        free(out->d[out->n - 1].email);
        free(out->d[out->n - 1].v);
        out->n--;
    }
    if (rc != SQLITE_DONE) {
        sqlu_fail(app, "account database", "watchlists", err);
        alert_batch_free(out);
        return -1;
    }
    return 0;
}

void alert_batch_free(struct alert_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->d[i].email);
        free(b->d[i].v);
    }
    free(b->d);
    for (size_t i = 0; i < b->n_changes; i++) {
        free(b->changes[i].country_code);
        free(b->changes[i].country_name);
        free(b->changes[i].attribute);
    }
    free(b->changes);
    free(b->rel.release_date);
    free(b->rel.etag);
    free(b->rel.key);
    memset(b, 0, sizeof *b);
}

/* 62600 -> "62,600" (PSD coffee values are whole thousands of bags; a fraction is kept) */
static void put_number(strbuf *sb, double v, bool sign)
{
    char digits[64];
    double a = fabs(v);
    bool whole = a == floor(a);
    snprintf(digits, sizeof digits, whole ? "%.0f" : "%.1f", a);
    size_t int_len = strcspn(digits, ".");
    if (v < 0) sb_append(sb, "-");
    else if (sign) sb_append(sb, "+");
    for (size_t i = 0; i < int_len; i++) {
        if (i && (int_len - i) % 3 == 0) sb_append(sb, ",");
        sb_append_len(sb, digits + i, 1);
    }
    sb_append(sb, digits + int_len);
}

void alerts_render(const struct alert_release *rel, const struct alert_digest *d,
                   const char *base_url, char **subject, char **body)
{
    *subject = xasprintf("USDA PSD coffee, release of %s: %zu change%s on your watchlist",
                         rel->release_date, d->n, d->n == 1 ? "" : "s");
    strbuf sb;
    sb_init(&sb);
    sb_appendf(&sb, "USDA's PSD coffee release of %s revised %zu number%s you watch\n"
                    "(thousands of 60-kg bags; previous release -> this release):\n\n",
               rel->release_date, d->n, d->n == 1 ? "" : "s");
    for (size_t i = 0; i < d->n; i++) {
        const struct alert_change *c = &d->v[i];
        sb_appendf(&sb, "- %s, %s, %d/%02d: ", c->country_name, c->attribute, c->market_year,
                   (c->market_year + 1) % 100);
        put_number(&sb, c->old_value, false);
        sb_append(&sb, " -> ");
        put_number(&sb, c->new_value, false);
        sb_append(&sb, " (");
        put_number(&sb, c->new_value - c->old_value, true);
        if (!strcmp(c->country_code, "WORLD")) sb_appendf(&sb, ")\n  %s/#/\n", base_url);
        else sb_appendf(&sb, ")\n  %s/#/country/%s\n", base_url, c->country_code);
    }
    sb_appendf(&sb, "\nHow every estimate moved: %s/#/revisions\n"
                    "Change what you watch, or stop these mails: %s/#/settings\n",
               base_url, base_url);
    *body = sb_detach(&sb);
}

static int step_one(sqlite3 *app, const char *sql, int64_t uid, const char *key, int64_t now,
                    struct mt_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(app, sql, -1, &st, NULL) != SQLITE_OK)
        return sqlu_fail(app, "account database", "alert_sends", err);
    sqlite3_bind_int64(st, 1, uid);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sqlu_fail(app, "account database", "alert_sends", err);
    return sqlite3_changes(app);
}

int alerts_send(sqlite3 *app, const struct alert_batch *b, const char *base_url,
                alert_send_fn send, void *ud, int64_t now, const atomic_bool *stop,
                struct alert_send_report *rep, struct mt_err *err)
{
    memset(rep, 0, sizeof *rep);
    for (size_t i = 0; b->has_release && i < b->n; i++) {
        if (stop && atomic_load(stop)) {
            log_info("alerts: stopping: %zu digest(s) left for the next run", b->n - i);
            break;
        }
        const struct alert_digest *d = &b->d[i];
        /* the claim, committed before the mail leaves (autocommit: one statement) */
        int claimed = step_one(app,
                               "INSERT INTO alert_sends (user_id, release_key, state, started_at) "
                               "VALUES (?1, ?2, 'sending', ?3) ON CONFLICT DO NOTHING",
                               d->user_id, b->rel.key, now, err);
        if (claimed < 0) return -1;
        if (claimed == 0) {
            rep->already++;
            continue;
        }
        char *subject, *body;
        alerts_render(&b->rel, d, base_url, &subject, &body);
        struct mt_err e = MT_ERR_INIT;
        enum alert_send_result r = send(ud, d->email, subject, body, &e);
        free(subject);
        free(body);
        /* crash test point: the mail is out, its record not yet written */
        testhook_point("alerts_after_send");
        if (r == ALERT_SEND_OK) {
            if (step_one(app, "UPDATE alert_sends SET state = 'sent', sent_at = ?3 "
                              "WHERE user_id = ?1 AND release_key = ?2",
                         d->user_id, b->rel.key, now, err) < 0)
                return -1;
            rep->sent++;
        } else if (r == ALERT_SEND_NOT_SENT) {
            log_warn("alerts: user %" PRId64 ": not sent, retried next run: %s", d->user_id, e.msg);
            if (step_one(app, "DELETE FROM alert_sends WHERE user_id = ?1 AND release_key = ?2 "
                              "AND ?3 IS NOT NULL",
                         d->user_id, b->rel.key, now, err) < 0)
                return -1;
            rep->not_sent++;
        } else {
            log_warn("alerts: user %" PRId64 ": delivery unknown, not retried (at most once): %s",
                     d->user_id, e.msg);
            rep->unknown++;
        }
    }
    return 0;
}
