/* common.h — exit codes and tiny macros shared by every stage.
 *
 * Exit codes are part of the CLI contract (scripts and systemd read them):
 *   0 ok, 1 failure, 2 usage error, 3 nothing to do (pipelines only). */
#ifndef MATERIA_COMMON_H
#define MATERIA_COMMON_H

#include <stddef.h>

enum {
    MT_EXIT_OK = 0,
    MT_EXIT_FAIL = 1,
    MT_EXIT_USAGE = 2,
    MT_EXIT_NOTHING = 3,
};

#define MT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Error text buffers passed down call chains are this size; functions that fail write a
 * one-line, human-readable reason into them (never a partial sentence). */
#define MT_ERR_LEN 1024

#endif
