/* source_cot.c — CFTC Commitments of Traders ("Disaggregated, Futures Only") as an extract
 * source: one URL per year of COT_YEARS, COT_SOURCE_URL with every {YYYY} replaced by the
 * year; each a zip whose one member f_year.txt is the year's file (all markets), validated
 * by cot_csv.c (the exact 191-column header, 191 fields a row, at least one Coffee C row).
 * Landed as LANDING_DIR/cot/...; its meta adds "source": "cot" and "source_year". */
#include "extract/source.h"

#include <stdlib.h>
#include <string.h>

#include "extract/cot_csv.h"
#include "util/common.h"
#include "util/strbuf.h"

/* template with each {YYYY} replaced by year */
static char *expand(const char *tmpl, int year)
{
    strbuf sb;
    sb_init(&sb);
    for (const char *p = tmpl; *p;) {
        if (!strncmp(p, "{YYYY}", 6)) {
            sb_appendf(&sb, "%04d", year);
            p += 6;
        } else {
            sb_append_len(&sb, p++, 1);
        }
    }
    return sb_detach(&sb);
}

static size_t cot_urls(const struct config *cfg, struct source_url **out)
{
    int years[CONFIG_YEARS_MAX], n = 0;
    /* checked by config_load: cannot fail here */
    if (config_years(cfg->s.cot_years, years, &n) < 0) n = 0;
    *out = n ? xmalloc((size_t)n * sizeof **out) : NULL;
    for (int i = 0; i < n; i++) {
        (*out)[i].url = expand(cfg->s.cot_source_url, years[i]);
        (*out)[i].year = years[i];
    }
    return (size_t)n;
}

const struct extract_source source_cot = {
    .name = "cot",
    .title = "CFTC Commitments of Traders (Disaggregated, Futures Only)",
    .member_suffix = ".txt",
    .plain_hint = NULL,
    .meta_names_source = 1,
    .validate = cot_csv_validate,
    .urls = cot_urls,
};
