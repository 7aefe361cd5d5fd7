/* extract.h — the extract stage's entry points (docs/ARCHITECTURE.md §1, §4).
 *
 * extract_source_run() fetches every URL of one source (source.h) conditionally on the
 * newest ETag landed from it and lands each new release atomically, or reports that
 * nothing changed; extract_psd() is the same for PSD's one URL. */
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

struct extract_source;

struct extract_url_result {
    char *url;                 /* owned */
    int year;                  /* the URL's {YYYY}, 0 for none */
    bool failed;
    char error[MT_ERR_LEN];    /* "<url>: <problem>" when failed */
    struct extract_outcome out;
};

struct extract_report {
    const struct extract_source *source;
    struct extract_url_result *v; /* one per URL, in the source's order */
    size_t n, landed, failed;
};

/* Every URL of src, each on its own: a failed URL lands nothing and does not stop the
 * others. Returns 0 when none failed, else -1 with err = the failure (one URL) or
 * "<k> of <n> URLs failed, first: <url>: <problem>"; rep always describes every URL. */
int extract_source_run(const struct config *cfg, const struct extract_source *src,
                       struct extract_report *rep, struct mt_err *err);
void extract_report_free(struct extract_report *rep);

#endif
