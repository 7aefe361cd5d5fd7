/* source_psd.c — USDA PSD coffee as an extract source: one URL (PSD_SOURCE_URL), a zip
 * whose .csv member is the release (or a gzipped or plain CSV), validated by psd_csv.c.
 * Landed as LANDING_DIR/psd/...; its meta has the original keys only (no "source"). */
#include "extract/source.h"

#include <stdlib.h>

#include "extract/psd_csv.h"
#include "util/common.h"
#include "util/strbuf.h"

static size_t psd_urls(const struct config *cfg, struct source_url **out)
{
    *out = xmalloc(sizeof **out);
    (*out)[0].url = xstrdup(cfg->s.psd_source_url);
    (*out)[0].year = 0;
    return 1;
}

const struct extract_source source_psd = {
    .name = "psd",
    .title = "USDA PSD coffee",
    .member_suffix = ".csv",
    .plain_hint = "not a zip, gzip or PSD CSV file",
    .meta_names_source = 0,
    .validate = psd_csv_validate,
    .urls = psd_urls,
};
