/* extract.h — the extract stage's entry point for the pipeline (docs/ARCHITECTURE.md §1).
 *
 * extract_psd() downloads cfg's PSD_SOURCE_URL conditionally on the newest landed ETag and
 * lands a new release atomically, or reports that nothing changed. */
#ifndef MATERIA_EXTRACT_H
#define MATERIA_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/config.h"
#include "util/err.h"

struct extract_outcome {
    bool landed;      /* false: unchanged (304, or that ETag/content is already landed) */
    char *path;       /* the landed .csv.gzip (owned; NULL when unchanged) */
    int64_t rows;     /* data rows in the landed CSV */
    int64_t bytes;    /* size of the landed .csv.gzip */
};

/* Returns 0 (landed or unchanged, see out->landed) or -1 with a one-line reason naming the
 * URL in err; on -1 nothing new exists under LANDING_DIR. */
int extract_psd(const struct config *cfg, struct extract_outcome *out, struct mt_err *err);
void extract_outcome_free(struct extract_outcome *out);

#endif
