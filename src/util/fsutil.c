/* fsutil.c — see fsutil.h. Invariant: no function here leaves a temporary file behind on
 * an error path, and none ever rewrites a file in place. fs_publish is the only place in
 * Materia that calls rename(2), link(2) or renameat2(2) to publish a file.
 *
 * Fault points (util/testhook.h, MATERIA_FAIL_AT): "fsync_dir" makes fs_fsync_dir fail
 * with EIO; "no_renameat2" makes RENAME_EXCHANGE report EINVAL, so the fallback runs. */
#include "util/fsutil.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strbuf.h"
#include "util/testhook.h"


bool fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int fs_mkdir_p(const char *path, struct mt_err *err)
{
    char *p = xstrdup(path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                mt_errf(err, "%s: cannot create directory: %s", p, strerror(errno));
                free(p);
                return -1;
            }
            *s = c;
            if (c == '\0') break;
        }
    }
    struct stat st;
    if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
        mt_errf(err, "%s: not a directory", p);
        free(p);
        return -1;
    }
    free(p);
    return 0;
}

int fs_fsync_path(const char *path, struct mt_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mt_errf(err, "%s: cannot open for fsync: %s", path, strerror(errno));
        return -1;
    }
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc < 0) {
        mt_errf(err, "%s: fsync failed: %s", path, strerror(e));
        return -1;
    }
    return 0;
}

int fs_fsync_dir(const char *dir, struct mt_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        mt_errf(err, "%s: cannot open directory for fsync: %s", dir, strerror(errno));
        return -1;
    }
    int rc = fsync(fd);
    int e = errno;
    if (testhook_fail("fsync_dir")) {
        rc = -1;
        e = EIO;
    }
    close(fd);
    if (rc < 0) {
        mt_errf(err, "%s: fsync of directory failed: %s", dir, strerror(e));
        return -1;
    }
    return 0;
}

char *fs_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return xstrdup(".");
    if (slash == path) return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

char *fs_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return xstrdup(slash ? slash + 1 : path);
}

char *fs_join(const char *a, const char *b)
{
    if (b[0] == '/' || a[0] == '\0') return xstrdup(b);
    size_t n = strlen(a);
    return xasprintf("%s%s%s", a, (n && a[n - 1] == '/') ? "" : "/", b);
}

int fs_tmp_create(const char *final_path, char **tmp_path, struct mt_err *err)
{
    char *dir = fs_dirname(final_path);
    char *base = fs_basename(final_path);
    char *tmpl = xasprintf("%s/.%s.tmp.XXXXXX", dir, base);
    free(dir);
    free(base);
    int fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd < 0) {
        mt_errf(err, "%s: cannot create temporary file: %s", tmpl, strerror(errno));
        free(tmpl);
        return -1;
    }
    /* mkostemp makes 0600; landed and serving files are read by other users (web) */
    if (fchmod(fd, 0644) < 0) {
        mt_errf(err, "%s: cannot chmod temporary file: %s", tmpl, strerror(errno));
        close(fd);
        unlink(tmpl);
        free(tmpl);
        return -1;
    }
    *tmp_path = tmpl;
    return fd;
}

int fs_publish_prepare(const char *path, struct mt_err *err)
{
    return fs_fsync_path(path, err);
}

/* RENAME_EXCHANGE where renameat2 lacks it: see fsutil.h for the three steps and what a
 * failure at each leaves. */
static int exchange_fallback(const char *src, const char *dst, struct mt_err *err)
{
    char *tmp = xasprintf("%s.tmp", src);
    unlink(tmp); /* debris of an earlier interrupted fallback: a second name, never the only one */
    int rc = -1;
    if (link(dst, tmp) < 0) {
        mt_errf(err, "%s: cannot link to %s: %s", dst, tmp, strerror(errno));
    } else if (rename(src, dst) < 0) {
        mt_errf(err, "%s: cannot rename to %s: %s", src, dst, strerror(errno));
        unlink(tmp); /* dst is untouched: tmp was only a second name for it */
    } else if (rename(tmp, src) < 0) {
        /* src is live at dst; tmp is now the only name of the file that was dst, so it is
         * kept (and named in the error), never unlinked */
        mt_errf(err, "%s: cannot rename to %s (the replaced %s is kept as %s): %s", tmp, src, dst, tmp,
            strerror(errno));
    } else {
        rc = 0;
    }
    free(tmp);
    return rc;
}

int fs_publish(const char *src, const char *dst, enum fs_publish_mode mode,
               struct mt_err *err)
{
    switch (mode) {
    case FS_PUBLISH_RENAME:
        if (rename(src, dst) < 0) {
            mt_errf(err, "%s: cannot rename into place: %s", dst, strerror(errno));
            return -1;
        }
        break;
    case FS_PUBLISH_NO_REPLACE:
        /* link(2) fails with EEXIST instead of replacing: the "never overwritten" rule is
         * enforced by the kernel, not by a racy exists-check. */
        if (link(src, dst) < 0) {
            int e = errno;
            if (e == EEXIST) mt_errf(err, "%s: already exists (never overwritten)", dst);
            else mt_errf(err, "%s: cannot link into place: %s", dst, strerror(e));
            return -1;
        }
        /* dst is committed; a leftover src name would only be a second link to it */
        if (unlink(src) < 0)
            log_warn("%s: cannot remove temporary name: %s", src, strerror(errno));
        break;
    case FS_PUBLISH_EXCHANGE: {
        int rc, e = 0;
        if (testhook_fail("no_renameat2")) {
            rc = -1;
            e = EINVAL; /* what a file system without RENAME_EXCHANGE answers */
        } else if ((rc = renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_EXCHANGE)) < 0) {
            e = errno;
        }
        if (rc < 0 && e != EINVAL && e != ENOSYS) {
            mt_errf(err, "%s: cannot exchange with %s: %s", src, dst, strerror(e));
            return -1;
        }
        if (rc < 0 && exchange_fallback(src, dst, err) < 0) return -1;
        break;
    }
    default:
        mt_errf(err, "%s: unknown publish mode %d", dst, (int)mode);
        return -1;
    }
    /* dst is in place from here on (the rule in fsutil.h): a failed directory fsync is a
     * warning and a 1, never a -1 — callers would act as if nothing had been published. */
    char *dir = fs_dirname(dst);
    struct mt_err e = MT_ERR_INIT;
    int rc = 0;
    if (fs_fsync_dir(dir, &e) < 0) {
        log_warn("%s: published, but its directory could not be synced (%s): a power loss could still lose it",
                 dst, e.msg);
        rc = 1;
    }
    free(dir);
    return rc;
}

int fs_publish_link(const char *existing, const char *dst, struct mt_err *err)
{
    char *tmp = xasprintf("%s.tmp", dst);
    unlink(tmp); /* debris of an interrupted earlier call: only ever a second name */
    int rc = -1;
    if (link(existing, tmp) < 0)
        mt_errf(err, "%s: cannot link to %s: %s", existing, tmp, strerror(errno));
    else if ((rc = fs_publish(tmp, dst, FS_PUBLISH_RENAME, err)) < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

int fs_mkdir_durable(const char *path, struct mt_err *err)
{
    if (mkdir(path, 0755) < 0) {
        if (errno == EEXIST) return 0; /* made by someone else, who syncs it */
        mt_errf(err, "%s: cannot create directory: %s", path, strerror(errno));
        return -1;
    }
    char *parent = fs_dirname(path);
    struct mt_err e = MT_ERR_INIT;
    int rc = 0;
    if (fs_fsync_dir(parent, &e) < 0) {
        mt_errf(err, "%s: created, but its parent could not be synced: %s", path, e.msg);
        rc = -1;
    }
    free(parent);
    return rc;
}

int fs_remove_durable(const char *path, bool is_dir, struct mt_err *err)
{
    if ((is_dir ? rmdir(path) : unlink(path)) < 0) {
        int e = errno;
        mt_errf(err, "%s: cannot remove: %s", path, strerror(e));
        errno = e; /* callers may tell ENOTEMPTY from the rest */
        return -1;
    }
    char *parent = fs_dirname(path);
    struct mt_err e = MT_ERR_INIT;
    int rc = 0;
    if (fs_fsync_dir(parent, &e) < 0) {
        log_warn("%s: removed, but its directory could not be synced (%s): a power loss could bring it back",
                 path, e.msg);
        rc = 1;
    }
    free(parent);
    return rc;
}

int fs_commit_tmp(const char *tmp_path, const char *final_path, bool no_replace,
                  struct mt_err *err)
{
    if (fs_publish_prepare(tmp_path, err) < 0 ||
        fs_publish(tmp_path, final_path, no_replace ? FS_PUBLISH_NO_REPLACE : FS_PUBLISH_RENAME,
                   err) < 0) {
        unlink(tmp_path);
        return -1;
    }
    return 0;
}

int fs_write_atomic(const char *path, const void *data, size_t len, bool no_replace,
                    struct mt_err *err)
{
    char *tmp;
    int fd = fs_tmp_create(path, &tmp, err);
    if (fd < 0) return -1;
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            mt_errf(err, "%s: write failed: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) < 0) {
        mt_errf(err, "%s: close failed: %s", tmp, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    int rc = fs_commit_tmp(tmp, path, no_replace, err);
    free(tmp);
    return rc;
}

int fs_read_all(const char *path, char **data, size_t *len, struct mt_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mt_errf(err, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    strbuf sb;
    sb_init(&sb);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_append_len(&sb, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        mt_errf(err, "%s: read error", path);
        sb_free(&sb);
        return -1;
    }
    *len = sb.len;
    *data = sb_detach(&sb);
    return 0;
}

int fs_lock_acquire(const char *path, const char *what, struct mt_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        mt_errf(err, "%s: cannot open lock file: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            mt_errf(err, "%s: lock is held by another process (another %s is running)", path, what);
        else
            mt_errf(err, "%s: cannot lock: %s", path, strerror(e));
        return -1;
    }
    /* The pid is informational only (the flock is the lock); failures here do not matter. */
    if (ftruncate(fd, 0) == 0) {
        char pid[32];
        int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (pwrite(fd, pid, (size_t)n, 0) < 0) { /* ignored */ }
    }
    return fd;
}

void fs_lock_release(int fd)
{
    if (fd >= 0) close(fd); /* closing drops the flock */
}
