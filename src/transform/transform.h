/* transform.h — the transform stage's entry point for the pipeline (docs/ARCHITECTURE.md §2).
 *
 * transform_run() plans and runs the models under MATERIA_PROJECT_DIR into the lakehouse
 * open on `lake` (read-write, owned by the caller), records the run in _materia.runs and
 * _materia.run_models, and promotes new versions only after their audits pass. */
#ifndef MATERIA_TRANSFORM_H
#define MATERIA_TRANSFORM_H

#include <duckdb.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/config.h"
#include "util/err.h"

struct transform_outcome {
    char run_id[64];
    int models_total;
    int models_rebuilt;   /* 0: nothing to do */
};

/* Creates the _materia state tables (the run log included, docs/ARCHITECTURE.md §2) when
 * missing: one bind when they exist, one transaction when not. */
int state_init(duckdb_connection con, struct mt_err *err);

/* Returns 0 on success (including nothing to do) or -1 with the model and reason in err. */
int transform_run(const struct config *cfg, duckdb_connection lake, struct transform_outcome *out,
                  struct mt_err *err);

#endif
