/* fsutil.h — durable, atomic file-system operations.
 *
 * The rule everywhere in Materia: a file that readers can see is complete. New files are
 * written to a temporary name in the same directory (so rename(2) is atomic), fsynced,
 * renamed into place, and the directory is fsynced so the rename survives a crash.
 * Error-returning functions write a one-line reason naming the path into err. */
#ifndef MATERIA_FSUTIL_H
#define MATERIA_FSUTIL_H

#include <stdbool.h>
#include "util/err.h"
#include <stddef.h>

int fs_mkdir_p(const char *path, struct mt_err *err);
int fs_fsync_dir(const char *dir, struct mt_err *err);
int fs_fsync_path(const char *path, struct mt_err *err);
bool fs_exists(const char *path);

/* Creates "<dir of final>/.<base of final>.tmp.XXXXXX" (mode 0644) and returns its fd;
 * *tmp_path (caller frees) names it. The directory must exist. */
int fs_tmp_create(const char *final_path, char **tmp_path, struct mt_err *err);

/* ---- the durable-publish primitive ------------------------------------------------------
 * Every change of which file a name points at goes through fs_publish(): export's publish
 * of a snapshot, rollback's swap, and every fs_commit_tmp (landing's files, the no-op stamp,
 * the meta files). src and dst must be in the same directory (rename(2) is atomic only
 * within one file system; one directory makes one fsync enough).
 *
 *   FS_PUBLISH_RENAME      rename(src, dst): dst is replaced atomically; src is gone.
 *   FS_PUBLISH_NO_REPLACE  link(src, dst), then unlink(src): an existing dst is never
 *                          touched — the kernel refuses with EEXIST, reported as
 *                          "<dst>: already exists (never overwritten)". A src name left
 *                          behind after the link is only a warning (dst is in place).
 *   FS_PUBLISH_EXCHANGE    renameat2(RENAME_EXCHANGE): src and dst trade names in one step;
 *                          both must exist. Where the file system lacks it (EINVAL/ENOSYS)
 *                          the documented fallback is link(dst, "<src>.tmp"), rename(src,
 *                          dst) (the commit point: dst changes in one step), rename(
 *                          "<src>.tmp", src). If that last rename fails, dst is published
 *                          and the old dst survives only as "<src>.tmp", named in err, and
 *                          the call fails (the caller must report it: src is missing).
 * Then the directory is fsynced.
 *
 * THE RULE for "the file is in place but the directory fsync failed": it is published.
 * Readers already see the new name; only its survival across a power loss is in doubt, and
 * reporting a failure would make callers act as if nothing had changed (export would say
 * "failed" about a snapshot that is live; landing would drop the meta of a landed file).
 * So fs_publish logs a warning naming dst and returns 1, which every caller treats as
 * success (they test `< 0`); 0 means published and durable; -1 means dst was not changed
 * (except the EXCHANGE case above), with the reason in err and src left where it was.
 * The fsync of the file's own data is the caller's job before publishing
 * (fs_publish_prepare), since a rollback's swap or a second name publishes a file that is
 * already durable. */
enum fs_publish_mode {
    FS_PUBLISH_RENAME,
    FS_PUBLISH_NO_REPLACE,
    FS_PUBLISH_EXCHANGE,
};

int fs_publish(const char *src, const char *dst, enum fs_publish_mode mode,
               struct mt_err *err);

/* Publishes a second name for `existing` at dst, replacing dst atomically (src keeps its
 * name): link(existing, "<dst>.tmp"), then fs_publish("<dst>.tmp", dst, FS_PUBLISH_RENAME)
 * with its rule and return values. The temporary name is removed on failure. Export keeps
 * the live snapshot as prev this way: prev is never missing or half-written. */
int fs_publish_link(const char *existing, const char *dst, struct mt_err *err);

/* The directory side of publishing, for writers that create and remove folders (landing):
 * fs_mkdir_durable creates one directory (an existing one is fine) and fsyncs its parent,
 * so files later published in it cannot vanish with it; a failed parent fsync fails the
 * call (nothing is published in it yet, so failing closed costs nothing).
 * fs_remove_durable removes a file, or an empty directory when is_dir, and fsyncs its
 * parent; it follows fs_publish's rule: -1 when nothing was removed, 1 (and a warning)
 * when removed but the parent fsync failed, 0 otherwise. */
int fs_mkdir_durable(const char *path, struct mt_err *err);
int fs_remove_durable(const char *path, bool is_dir, struct mt_err *err);

/* The first half of a publish: fsyncs the file's data, so no name ever published for it
 * can point at a file a power loss would truncate. */
int fs_publish_prepare(const char *path, struct mt_err *err);

/* fs_publish_prepare(tmp_path), then fs_publish(tmp_path, final_path, no_replace ?
 * FS_PUBLISH_NO_REPLACE : FS_PUBLISH_RENAME). On any failure tmp_path is removed. Returns
 * 0 once final_path is in place, whether or not the directory fsync succeeded (the rule
 * above: that case is a warning, the file is committed). */
int fs_commit_tmp(const char *tmp_path, const char *final_path, bool no_replace,
                  struct mt_err *err);

/* Whole-file atomic write: tmp + fsync + rename + fsync(dir). */
int fs_write_atomic(const char *path, const void *data, size_t len, bool no_replace,
                    struct mt_err *err);

/* Reads a whole file (NUL-terminated for convenience; *len excludes the NUL). */
int fs_read_all(const char *path, char **data, size_t *len, struct mt_err *err);

/* An exclusive, non-blocking flock(2) on path (created 0644 if missing; our pid written
 * into it for operators, informational only). Returns the fd (>= 0), which holds the lock
 * until fs_lock_release(); or -1 with the reason in err — "<path>: lock is held by another
 * process (another <what> is running)" when busy. Used by export/rollback and supervise. */
int fs_lock_acquire(const char *path, const char *what, struct mt_err *err);
void fs_lock_release(int fd);

/* Path helpers; results are malloc'd and owned by the caller. */
char *fs_dirname(const char *path);
char *fs_basename(const char *path);
char *fs_join(const char *a, const char *b);

#endif
