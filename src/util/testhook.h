/* testhook.h — named crash points for the crash-safety tests (compiled in always).
 *
 * testhook_point("after_rename") does nothing unless the environment names that point:
 * MATERIA_CRASH_AT=<point> makes the process raise(SIGKILL) there (a crash at exactly that
 * instant), MATERIA_SIGNAL_AT=<point> makes it raise(SIGTERM) there instead (to test "stop
 * between steps" deterministically), MATERIA_STOP_AT=<point> makes it raise(SIGSTOP) there
 * (the test sees the process stopped, state T, changes the world at exactly that instant,
 * e.g. renames a file over another, then sends SIGCONT). Export names its points (mid_copy,
 * after_copy, after_checkpoint, after_fsync, after_verify, after_link_prev, after_rename, after_swap);
 * publish names publish_after_hash (the snapshot hashed, its identity not yet read);
 * the pipeline names after_step_<step>; transform names after_model_<model> (built and
 * promoted, inside the run's open transaction).
 *
 * testhook_fail("fsync_dir") is the fault-injection side: it returns true when
 * MATERIA_FAIL_AT names that point (a comma-separated list may name several), and the
 * caller then behaves as if the library call guarded by the point had failed. It lets a
 * test prove what happens when a call that practically never fails does (util/fsutil.c:
 * fsync_dir, no_renameat2; util/db.c: db_set_config; extract/fetch.c: curl_protocols;
 * pipeline/pipeline.c: sigaction). Outside tests the variable is unset and the check is
 * one getenv(3). */
#ifndef MATERIA_TESTHOOK_H
#define MATERIA_TESTHOOK_H

#include <stdbool.h>

void testhook_point(const char *point);
bool testhook_fail(const char *point);

#endif
