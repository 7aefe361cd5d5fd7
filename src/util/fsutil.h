/* fsutil.h — durable, atomic file-system operations.
 *
 * The rule everywhere in Materia: a file that readers can see is complete. New files are
 * written to a temporary name in the same directory (so rename(2) is atomic), fsynced,
 * renamed into place, and the directory is fsynced so the rename survives a crash.
 * Error-returning functions write a one-line reason naming the path into err. */
#ifndef MATERIA_FSUTIL_H
#define MATERIA_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

int fs_mkdir_p(const char *path, char *err, size_t errlen);
int fs_fsync_dir(const char *dir, char *err, size_t errlen);
int fs_fsync_path(const char *path, char *err, size_t errlen);
bool fs_exists(const char *path);

/* Creates "<dir of final>/.<base of final>.tmp.XXXXXX" (mode 0644) and returns its fd;
 * *tmp_path (caller frees) names it. The directory must exist. */
int fs_tmp_create(const char *final_path, char **tmp_path, char *err, size_t errlen);

/* fsyncs tmp_path, moves it to final_path, fsyncs the directory. With no_replace, an
 * existing final_path is never touched: the call fails with EEXIST semantics ("already
 * exists") and tmp_path is removed. On any failure tmp_path is removed. Returns 0 once
 * final_path is in place: a failure to fsync the directory after that is logged as a
 * warning, not returned (the file is committed; only its durability is in doubt). */
int fs_commit_tmp(const char *tmp_path, const char *final_path, bool no_replace,
                  char *err, size_t errlen);

/* Whole-file atomic write: tmp + fsync + rename + fsync(dir). */
int fs_write_atomic(const char *path, const void *data, size_t len, bool no_replace,
                    char *err, size_t errlen);

/* Reads a whole file (NUL-terminated for convenience; *len excludes the NUL). */
int fs_read_all(const char *path, char **data, size_t *len, char *err, size_t errlen);

/* An exclusive, non-blocking flock(2) on path (created 0644 if missing; our pid written
 * into it for operators, informational only). Returns the fd (>= 0), which holds the lock
 * until fs_lock_release(); or -1 with the reason in err — "<path>: lock is held by another
 * process (another <what> is running)" when busy. Used by export/rollback and supervise. */
int fs_lock_acquire(const char *path, const char *what, char *err, size_t errlen);
void fs_lock_release(int fd);

/* Path helpers; results are malloc'd and owned by the caller. */
char *fs_dirname(const char *path);
char *fs_basename(const char *path);
char *fs_join(const char *a, const char *b);

#endif
