/* testhook.h — named crash points for the crash-safety tests (compiled in always).
 *
 * testhook_point("after_rename") does nothing unless the environment names that point:
 * MATERIA_CRASH_AT=<point> makes the process raise(SIGKILL) there (a crash at exactly that
 * instant), MATERIA_SIGNAL_AT=<point> makes it raise(SIGTERM) there instead (to test "stop
 * between steps" deterministically). Export names its points (mid_copy, after_copy,
 * after_checkpoint, after_fsync, after_verify, after_link_prev, after_rename, after_swap);
 * the pipeline names after_step_<step>. */
#ifndef MATERIA_TESTHOOK_H
#define MATERIA_TESTHOOK_H

void testhook_point(const char *point);

#endif
