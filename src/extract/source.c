/* source.c — the list of sources and the helpers every descriptor shares (source.h). */
#include "extract/source.h"

#include <stdlib.h>
#include <string.h>

const struct extract_source *const extract_sources[] = {&source_psd, &source_cot};
const size_t extract_sources_n = sizeof extract_sources / sizeof extract_sources[0];

const struct extract_source *source_find(const char *name)
{
    for (size_t i = 0; i < extract_sources_n; i++)
        if (!strcmp(extract_sources[i]->name, name)) return extract_sources[i];
    return NULL;
}

int source_enabled(const struct config *cfg, const struct extract_source *src)
{
    return config_list_has(cfg->s.extract_sources, src->name);
}

void source_urls_free(struct source_url *v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i].url);
    free(v);
}
