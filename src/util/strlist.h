/* strlist.h — a list of owned strings: the one growable char * array (model headers'
 * depends_on and audit arguments, file lists, fingerprint entries).
 *
 * A zeroed struct strlist ({0}) is an empty list; strlist_push copies its argument;
 * strlist_free releases every string and the array and leaves the list empty again.
 * Allocation failure aborts (xmalloc family, util/strbuf.h). */
#ifndef MATERIA_STRLIST_H
#define MATERIA_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

struct strlist {
    char **v;
    size_t n;
};

/* Appends a copy of s. */
void strlist_push(struct strlist *l, const char *s);
/* True when l holds s, compared ignoring ASCII case (SQL names). */
bool strlist_has(const struct strlist *l, const char *s);
/* Sorts l in strcmp (byte) order, the order fingerprints hash in. */
void strlist_sort(struct strlist *l);
void strlist_free(struct strlist *l);

#endif
