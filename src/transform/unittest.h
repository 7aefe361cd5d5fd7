/* unittest.h — SQLMesh's YAML unit tests (tests/test*.yaml) run by `materia test`
 * (transform/unittest.c says how; transform/test_cmd.c is the command). */
#ifndef MATERIA_TRANSFORM_UNITTEST_H
#define MATERIA_TRANSFORM_UNITTEST_H

#include <stdio.h>

#include "util/config.h"
#include "util/err.h"

struct ut_summary {
    int passed, failed;
};

/* Loads cfg's project, discovers its tests (tests/ ** / test*.yaml|yml) and runs those whose
 * "path::name" matches one of patterns (all when npat is 0; SQLMesh's matching: a pattern
 * with * is a glob, else a substring), printing each result and every failure's diff to out.
 * -1 with err when the project or a test file cannot be loaded (a refusal names file:line). */
int unittest_run_all(const struct config *cfg, char **patterns, int npat, FILE *out, struct ut_summary *sum,
                     struct mt_err *err);

#endif
