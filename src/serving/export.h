/* export.h — the serving export's entry point for the pipeline (docs/ARCHITECTURE.md §3).
 *
 * serving_export() copies schema `serving` of the lakehouse open on `lake` into a new
 * serving_new.duckdb beside SERVING_DUCKDB_PATH, verifies it, and renames it into place
 * (the previous file kept as serving.prev.duckdb). serving_export_needed() tells the
 * pipeline whether the live snapshot is behind the lakehouse. */
#ifndef MATERIA_SERVING_EXPORT_H
#define MATERIA_SERVING_EXPORT_H

#include <duckdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/config.h"
#include "util/err.h"

struct export_outcome {
    char snapshot_id[64];
    int tables;
    int64_t rows;
};

/* Returns 0 once the new snapshot is live, or -1 with the reason in err and the live
 * serving file untouched. */
int serving_export(const struct config *cfg, duckdb_connection lake, struct export_outcome *out,
                   struct mt_err *err);

/* Whether the pipeline should export although nothing changed in this run: there is no
 * live snapshot, it cannot be read, or it predates the lakehouse — a transform run that
 * rebuilt models ('ok') started after the run the snapshot was exported from. That is how
 * a failed or killed export shows on the next run: its transform committed, so the next
 * transform has nothing to do, and without this nothing would ever publish the new data. */
bool serving_export_needed(const struct config *cfg, duckdb_connection lake);

#endif
