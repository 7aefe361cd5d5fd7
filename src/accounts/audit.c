/* audit.c — see audit.h. */
#include "accounts/audit.h"

int audit_add(sqlite3 *db, long long now, long long user_id, const char *action, const char *ip,
              const char *detail, struct mt_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO audit_log (at, user_id, action, ip, detail) VALUES (?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return mt_err_set(err, MT_ERR_DB, "audit: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(st, 1, now);
    if (user_id > 0) sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_text(st, 3, action, -1, SQLITE_TRANSIENT);
    if (ip) sqlite3_bind_text(st, 4, ip, -1, SQLITE_TRANSIENT);
    if (detail) sqlite3_bind_text(st, 5, detail, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return mt_err_set(err, MT_ERR_DB, "audit: %s", sqlite3_errmsg(db));
    return 0;
}

int audit_scrub_user(sqlite3 *db, long long user_id, struct mt_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "UPDATE audit_log SET detail = NULL, ip = NULL WHERE user_id = ?", -1,
                           &st, NULL) != SQLITE_OK)
        return mt_err_set(err, MT_ERR_DB, "audit: scrub: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(st, 1, user_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return mt_err_set(err, MT_ERR_DB, "audit: scrub: %s", sqlite3_errmsg(db));
    return sqlite3_changes(db);
}
