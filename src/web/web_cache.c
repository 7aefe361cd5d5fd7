/* web_cache.c — see web_cache.h. Chained hash map (FNV-1a over the key) with a fixed bucket
 * array sized for the whole budget, guarded by a rwlock: lookups share the lock, inserts
 * take it exclusively. No eviction: entries live exactly as long as their snapshot. */
#include "web/web_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

struct web_cache_entry {
    struct web_cache_entry *next;
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
    pthread_rwlock_init(&c->lock, NULL);
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
        struct web_cache_entry *e = c->buckets[i];
        while (e) {
            struct web_cache_entry *next = e->next;
            if (c->free_value) c->free_value(e->value);
            free(e);
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = NULL;
    pthread_rwlock_destroy(&c->lock);
}

static struct web_cache_entry *find(struct web_cache *c, const char *key, uint64_t h)
{
    for (struct web_cache_entry *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && !strcmp(e->key, key)) return e;
    return NULL;
}

void *web_cache_get(struct web_cache *c, const char *key)
{
    uint64_t h = fnv1a(key);
    pthread_rwlock_rdlock(&c->lock);
    struct web_cache_entry *e = find(c, key, h);
    void *v = e ? e->value : NULL;
    pthread_rwlock_unlock(&c->lock);
    return v;
}

void *web_cache_put(struct web_cache *c, const char *key, void *value, size_t bytes)
{
    uint64_t h = fnv1a(key);
    size_t klen = strlen(key);
    pthread_rwlock_wrlock(&c->lock);
    struct web_cache_entry *e = find(c, key, h);
    if (e) {
        void *v = e->value;
        pthread_rwlock_unlock(&c->lock);
        if (c->free_value) c->free_value(value);
        return v;
    }
    if (c->entries >= c->max_entries || c->bytes + bytes + klen > c->max_bytes) {
        pthread_rwlock_unlock(&c->lock);
        return NULL;
    }
    e = xmalloc(sizeof *e + klen + 1);
    memcpy(e->key, key, klen + 1);
    e->hash = h;
    e->value = value;
    e->bytes = bytes;
    struct web_cache_entry **b = &c->buckets[h & (c->nbuckets - 1)];
    e->next = *b;
    *b = e;
    c->entries++;
    c->bytes += bytes + klen;
    pthread_rwlock_unlock(&c->lock);
    return value;
}
