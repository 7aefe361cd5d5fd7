/* appdb.c — see appdb.h.
 *
 * Pragmas, and why: journal_mode=WAL so the web workers' reads never wait for a write (and
 * a write waits only for another write); busy_timeout so two workers writing at once queue
 * for up to 5 s instead of failing with SQLITE_BUSY; foreign_keys, which SQLite leaves off
 * per connection, so the ON DELETE rules of appdb_schema.c hold; synchronous=NORMAL, the
 * setting SQLite recommends with WAL (a power cut may lose the last transactions, never
 * corrupt the file). Each is read back after it is set: a pragma SQLite cannot apply (WAL on
 * a file system without shared memory) is an error, not a silent fallback. */
#include "accounts/appdb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/common.h"
#include "util/strbuf.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/testhook.h"

int appdb_latest_version(void) { return appdb_migrations[appdb_migrations_n - 1].version; }

int appdb_exec(sqlite3 *db, const char *sql, struct mt_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        mt_err_set(err, MT_ERR_DB, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* The first column of the first row of sql as text (caller frees), or NULL with err. */
static char *query_text(sqlite3 *db, const char *sql, struct mt_err *err)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        mt_err_set(err, MT_ERR_DB, "%s: %s", sql, sqlite3_errmsg(db));
        return NULL;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        out = xstrdup(t ? (const char *)t : "");
    } else {
        mt_err_set(err, MT_ERR_DB, "%s: %s", sql, rc == SQLITE_DONE ? "no row" : sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return out;
}

int appdb_version(sqlite3 *db, struct mt_err *err)
{
    char *v = query_text(db, "PRAGMA user_version", err);
    if (!v) return -1;
    int n = atoi(v);
    free(v);
    return n;
}

/* Sets a pragma and checks SQLite applied it: `PRAGMA name=value` answers (or is then
 * read back as) want. */
static int set_pragma(sqlite3 *db, const char *name, const char *value, const char *want,
                      struct mt_err *err)
{
    char *sql = xasprintf("PRAGMA %s=%s", name, value);
    int rc = appdb_exec(db, sql, err);
    free(sql);
    if (rc < 0) return -1;
    sql = xasprintf("PRAGMA %s", name);
    char *got = query_text(db, sql, err);
    free(sql);
    if (!got) return -1;
    rc = strcasecmp(got, want) == 0 ? 0
                                    : mt_err_set(err, MT_ERR_DB, "PRAGMA %s is %s after setting it to %s",
                                                 name, got, value);
    free(got);
    return rc;
}

/* Applies the migrations after the file's version, up to target, each in one transaction
 * with its version bump. */
static int migrate(sqlite3 *db, int target, struct mt_err *err)
{
    int have = appdb_version(db, err);
    if (have < 0) return -1;
    if (have > appdb_latest_version())
        return mt_err_set(err, MT_ERR_DB,
                          "schema version %d is newer than this materia knows (%d): it was written "
                          "by a newer release; run that release, or restore a backup",
                          have, appdb_latest_version());
    for (int i = 0; i < appdb_migrations_n; i++) {
        const struct appdb_migration *m = &appdb_migrations[i];
        if (m->version <= have || m->version > target) continue;
        /* fault point "appdb_migration": the migration fails after its statements ran,
         * inside its transaction (tests: nothing of it may remain) */
        char *sql = xasprintf("BEGIN IMMEDIATE;\n%s\nPRAGMA user_version=%d;\n%sCOMMIT;", m->sql,
                              m->version,
                              testhook_fail("appdb_migration") ? "SELECT fault_point_appdb_migration();\n" : "");
        int rc = appdb_exec(db, sql, err);
        free(sql);
        if (rc < 0) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return mt_err_prefix(err, "migration %d (%s)", m->version, m->name);
        }
        log_info("appdb: schema migrated to version %d (%s)", m->version, m->name);
    }
    return 0;
}

int appdb_open_at(const char *path, int target, sqlite3 **out, struct mt_err *err)
{
    *out = NULL;
    char *dir = fs_dirname(path);
    int rc = fs_mkdir_p(dir, err);
    free(dir);
    if (rc < 0) return mt_err_prefix(err, "%s", path);
    /* personal data: a new file is made the owner's only BEFORE SQLite opens it. SQLite
     * gives the -wal and -shm files the database file's mode when it creates them (at the
     * journal_mode pragma below), so a chmod afterwards would leave those two — which hold
     * recent pages: emails, password and session hashes — readable by others. */
    if (!fs_exists(path)) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) {
            mt_err_set(err, MT_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
            return -1;
        }
        if (fd >= 0 && close(fd) < 0) {
            mt_err_set(err, MT_ERR_IO, "%s: close: %s", path, strerror(errno));
            return -1;
        }
    }
    sqlite3 *db = NULL;
    int src = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        mt_err_set(err, MT_ERR_DB, "%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(src));
        sqlite3_close(db);
        return -1;
    }
    sqlite3_extended_result_codes(db, 1);
    if (sqlite3_busy_timeout(db, 5000) != SQLITE_OK || set_pragma(db, "journal_mode", "WAL", "wal", err) < 0 ||
        set_pragma(db, "foreign_keys", "ON", "1", err) < 0 ||
        set_pragma(db, "synchronous", "NORMAL", "1", err) < 0 || migrate(db, target, err) < 0) {
        if (!err || !err->msg[0]) mt_err_set(err, MT_ERR_DB, "%s", sqlite3_errmsg(db));
        mt_err_prefix(err, "%s", path);
        sqlite3_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

int appdb_open(const char *path, sqlite3 **out, struct mt_err *err)
{
    return appdb_open_at(path, appdb_latest_version(), out, err);
}

void appdb_close(sqlite3 *db)
{
    if (!db) return;
    /* a statement a module keeps prepared across calls (apikeys.c's verify query) ends with
     * its connection: sqlite3_close refuses a connection with statements still open */
    for (sqlite3_stmt *st; (st = sqlite3_next_stmt(db, NULL)) != NULL;) sqlite3_finalize(st);
    sqlite3_close(db);
}

int appdb_backup(const char *src_path, const char *dst_path, struct mt_err *err)
{
    sqlite3 *src = NULL, *dst = NULL;
    char *tmp = NULL;
    int rc = -1;
    if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        mt_err_set(err, MT_ERR_DB, "%s: cannot open: %s", src_path, sqlite3_errmsg(src));
        goto done;
    }
    sqlite3_busy_timeout(src, 5000);
    int fd = fs_tmp_create(dst_path, &tmp, err);
    if (fd < 0) goto done;
    /* personal data: readable by the owner only, as the live file */
    if (fchmod(fd, 0600) < 0 || close(fd) < 0) {
        mt_err_set(err, MT_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        mt_err_set(err, MT_ERR_DB, "%s: cannot open: %s", tmp, sqlite3_errmsg(dst));
        goto done;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        mt_err_set(err, MT_ERR_DB, "%s: backup: %s", src_path, sqlite3_errmsg(dst));
        goto done;
    }
    /* -1: every page in one step, under one read transaction: a consistent copy even while
     * serve writes (a writer then waits at most busy_timeout for the step to finish) */
    int st;
    while ((st = sqlite3_backup_step(b, -1)) == SQLITE_OK || st == SQLITE_BUSY || st == SQLITE_LOCKED)
        sqlite3_sleep(50);
    sqlite3_backup_finish(b);
    if (st != SQLITE_DONE) {
        mt_err_set(err, MT_ERR_DB, "%s: backup: %s", src_path, sqlite3_errstr(st));
        goto done;
    }
    /* the copy is a rollback-journal database file: it can be copied like any file */
    if (appdb_exec(dst, "PRAGMA journal_mode=DELETE", err) < 0) goto done;
    sqlite3_close(dst);
    dst = NULL;
    if (fs_commit_tmp(tmp, dst_path, false, err) < 0) goto done;
    free(tmp);
    tmp = NULL;
    rc = 0;
done:
    if (dst) sqlite3_close(dst);
    if (src) sqlite3_close(src);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    return rc;
}
