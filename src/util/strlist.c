/* strlist.c — see strlist.h. */
#include "util/strlist.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strbuf.h"

void strlist_push(struct strlist *l, const char *s)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = xstrdup(s);
}

bool strlist_has(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcasecmp(l->v[i], s)) return true;
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void strlist_sort(struct strlist *l)
{
    if (l->n) qsort(l->v, l->n, sizeof *l->v, cmp_str);
}

void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}
