/* web_cache.c — see web_cache.h. Chained hash map (FNV-1a over the key) with a fixed bucket
 * array sized for the whole budget. Lookups are lock-free (acquire loads of immutable
 * chains; the cached path is the hot path of the server), inserts take a mutex and publish
 * a fully built entry with a release store. No eviction: entries live exactly as long as
 * their snapshot. */
#include "web/web_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

struct web_cache_entry {
    struct web_cache_entry *next; /* set before publication, never changed after */
    uint64_t hash;
    void *value;
    size_t bytes;
    char key[];
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void web_cache_init(struct web_cache *c, size_t max_entries, size_t max_bytes,
                    void (*free_value)(void *value))
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    c->nbuckets = 1024;
    while (c->nbuckets < max_entries && c->nbuckets < (1u << 20)) c->nbuckets <<= 1;
    c->buckets = xcalloc(c->nbuckets, sizeof *c->buckets);
    c->max_entries = max_entries;
    c->max_bytes = max_bytes;
    c->free_value = free_value;
}

void web_cache_free(struct web_cache *c)
{
    if (!c->buckets) return;
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct web_cache_entry *e = atomic_load_explicit(&c->buckets[i], memory_order_relaxed);
        while (e) {
            struct web_cache_entry *next = e->next;
            if (c->free_value) c->free_value(e->value);
            free(e);
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = NULL;
    pthread_mutex_destroy(&c->mu);
}

static struct web_cache_entry *find(struct web_cache *c, const char *key, uint64_t h)
{
    struct web_cache_entry *e =
        atomic_load_explicit(&c->buckets[h & (c->nbuckets - 1)], memory_order_acquire);
    for (; e; e = e->next)
        if (e->hash == h && !strcmp(e->key, key)) return e;
    return NULL;
}

void *web_cache_get(struct web_cache *c, const char *key)
{
    uint64_t h = fnv1a(key);
    struct web_cache_entry *e = find(c, key, h);
    return e ? e->value : NULL;
}

void *web_cache_put(struct web_cache *c, const char *key, void *value, size_t bytes)
{
    uint64_t h = fnv1a(key);
    size_t klen = strlen(key);
    pthread_mutex_lock(&c->mu);
    struct web_cache_entry *e = find(c, key, h);
    if (e) {
        void *v = e->value;
        pthread_mutex_unlock(&c->mu);
        if (c->free_value) c->free_value(value);
        return v;
    }
    if (c->entries >= c->max_entries || c->bytes + bytes + klen > c->max_bytes) {
        pthread_mutex_unlock(&c->mu);
        return NULL;
    }
    e = xmalloc(sizeof *e + klen + 1);
    memcpy(e->key, key, klen + 1);
    e->hash = h;
    e->value = value;
    e->bytes = bytes;
    _Atomic(struct web_cache_entry *) *b = &c->buckets[h & (c->nbuckets - 1)];
    e->next = atomic_load_explicit(b, memory_order_relaxed);
    atomic_store_explicit(b, e, memory_order_release);
    c->entries++;
    c->bytes += bytes + klen;
    pthread_mutex_unlock(&c->mu);
    return value;
}

bool web_cache_has_room(struct web_cache *c, size_t bytes)
{
    pthread_mutex_lock(&c->mu);
    bool room = c->entries < c->max_entries && c->bytes + bytes <= c->max_bytes;
    pthread_mutex_unlock(&c->mu);
    return room;
}
