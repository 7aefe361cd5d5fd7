/* web_cache.h — the per-snapshot response cache: a thread-safe hash map from canonical URL
 * to an opaque value (the server stores ready-made responses).
 *
 * A cache belongs to exactly one snapshot and is freed with it, so it empties exactly when
 * the snapshot changes and can never serve old data after a swap. Entries are never evicted
 * while the cache lives (a snapshot is immutable); inserts stop at a byte and entry budget.
 * Values stay valid until web_cache_free(), so a reader holding the snapshot may use a
 * value without further locking. */
#ifndef MATERIA_WEB_CACHE_H
#define MATERIA_WEB_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>

struct web_cache_entry;

/* Lookups take no lock: an entry is immutable once published (a release store of the
 * bucket head) and lives until web_cache_free, so readers walk the chains with acquire
 * loads. Inserts serialize on mu. */
struct web_cache {
    pthread_mutex_t mu;
    _Atomic(struct web_cache_entry *) *buckets;
    size_t nbuckets;
    size_t entries, bytes;
    size_t max_entries, max_bytes;
    void (*free_value)(void *value);
};

void web_cache_init(struct web_cache *c, size_t max_entries, size_t max_bytes,
                    void (*free_value)(void *value));
/* Frees every entry (and its value through free_value). */
void web_cache_free(struct web_cache *c);
/* The value cached under key, or NULL. */
void *web_cache_get(struct web_cache *c, const char *key);
/* Offers value (of size bytes) for key. Returns the value now cached under key: value
 * itself (the cache took ownership), or an entry another thread stored first (value is
 * freed through free_value). Returns NULL when the budget is spent: the caller keeps
 * ownership of value. */
void *web_cache_put(struct web_cache *c, const char *key, void *value, size_t bytes);
/* Whether an entry of at least `bytes` could still be put: a caller whose value is costly
 * to make (static files compressed at the highest levels) asks first, so that a spent
 * budget does not mean making it, and throwing it away, on every request. */
bool web_cache_has_room(struct web_cache *c, size_t bytes);

#endif
