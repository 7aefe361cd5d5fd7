/* source.h — what extract knows about one data source (docs/ARCHITECTURE.md §1).
 *
 * A source is a descriptor: its name (also its folder under LANDING_DIR), the URLs to fetch
 * for a configuration, which zip member holds its data, and a validator. Everything else —
 * fetching, the conditional GET, format detection (decode.c), dedup by ETag and SHA-256,
 * dating, the atomic landing — is the same code for every source (extract.c, landing.c).
 * A third source adds one source_<name>.c defining a descriptor, lists it in
 * extract_sources (source.c), adds its settings to util/config.c's table and a name to
 * EXTRACT_SOURCES' choices. */
#ifndef MATERIA_EXTRACT_SOURCE_H
#define MATERIA_EXTRACT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "util/config.h"
#include "util/err.h"

/* One URL to fetch; year is the URL's {YYYY} (0 for a source without one). */
struct source_url {
    char *url;
    int year;
};

struct extract_source {
    const char *name;          /* "psd", "cot": the command's word and the landing folder */
    const char *title;         /* for help and logs */
    const char *member_suffix; /* a zip's data member ends in this (any case): ".csv", ".txt" */
    /* Prefix for a validation error on a body that was neither zip nor gzip, or NULL. */
    const char *plain_hint;
    /* Whether the meta file names the source ("source", "source_year"). PSD's predates
     * sources and keeps its exact keys. */
    int meta_names_source;
    /* Pure validator over the decoded bytes: 0 with *rows, or -1 with err. */
    int (*validate)(const char *data, size_t len, int64_t *rows, struct mt_err *err);
    /* The URLs for cfg (malloc'd array, each url malloc'd; source_urls_free). */
    size_t (*urls)(const struct config *cfg, struct source_url **out);
};

extern const struct extract_source source_psd, source_cot;
/* Every source, in the order `extract all` and the pipeline run them. */
extern const struct extract_source *const extract_sources[];
extern const size_t extract_sources_n;

const struct extract_source *source_find(const char *name);
/* Whether cfg's EXTRACT_SOURCES selects src (for `extract all` and the pipeline). */
int source_enabled(const struct config *cfg, const struct extract_source *src);
void source_urls_free(struct source_url *v, size_t n);

#endif
