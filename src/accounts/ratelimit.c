/* ratelimit.c — see ratelimit.h.
 *
 * The table is split into RL_SHARDS shards by the key's hash, each with its own mutex, its
 * own chained hash table (fixed size: it never rehashes, since the number of buckets is
 * bounded) and its own LRU list; a call locks one shard for a few hundred nanoseconds, so
 * workers rarely wait on each other. Each shard holds at most max_buckets / RL_SHARDS. */
#include "accounts/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "util/strbuf.h"

#define RL_SHARDS 16
#define RL_IDLE 60.0 /* seconds: an untouched bucket is full again after this long */
#define RL_SWEEP 2   /* idle buckets dropped per call, at most */

struct rl_bucket {
    char key[RATELIMIT_KEY_MAX + 1];
    uint64_t hash;
    double tokens, last;
    struct rl_bucket *hnext;        /* hash chain */
    struct rl_bucket *newer, *older; /* LRU list: head is the newest */
};

struct rl_shard {
    pthread_mutex_t mu;
    struct rl_bucket **slots;
    size_t nslots, n, max;
    struct rl_bucket *newest, *oldest;
    unsigned long long idle_dropped, active_evicted;
};

struct ratelimit {
    struct rl_shard shard[RL_SHARDS];
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    /* FNV's top bits barely depend on the last bytes ("ip:10.0.0.1" and "...2" would share a
     * shard): finish with splitmix64's mixer so every bit depends on every input byte */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

struct ratelimit *ratelimit_new(size_t max_buckets)
{
    if (max_buckets < RL_SHARDS) max_buckets = RL_SHARDS;
    struct ratelimit *rl = xcalloc(1, sizeof *rl);
    for (int i = 0; i < RL_SHARDS; i++) {
        struct rl_shard *s = &rl->shard[i];
        pthread_mutex_init(&s->mu, NULL);
        s->max = max_buckets / RL_SHARDS;
        s->nslots = 1;
        while (s->nslots < s->max * 2) s->nslots <<= 1;
        s->slots = xcalloc(s->nslots, sizeof *s->slots);
    }
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl) return;
    for (int i = 0; i < RL_SHARDS; i++) {
        struct rl_shard *s = &rl->shard[i];
        for (struct rl_bucket *b = s->newest, *nx; b; b = nx) {
            nx = b->older;
            free(b);
        }
        free(s->slots);
        pthread_mutex_destroy(&s->mu);
    }
    free(rl);
}

static void lru_unlink(struct rl_shard *s, struct rl_bucket *b)
{
    if (b->newer) b->newer->older = b->older;
    else s->newest = b->older;
    if (b->older) b->older->newer = b->newer;
    else s->oldest = b->newer;
    b->newer = b->older = NULL;
}

static void lru_push(struct rl_shard *s, struct rl_bucket *b)
{
    b->older = s->newest;
    b->newer = NULL;
    if (s->newest) s->newest->newer = b;
    s->newest = b;
    if (!s->oldest) s->oldest = b;
}

static void drop(struct rl_shard *s, struct rl_bucket *b)
{
    struct rl_bucket **pp = &s->slots[b->hash & (s->nslots - 1)];
    while (*pp != b) pp = &(*pp)->hnext;
    *pp = b->hnext;
    lru_unlink(s, b);
    s->n--;
    free(b);
}

long ratelimit_take(struct ratelimit *rl, const char *key, long per_min, double now)
{
    if (per_min < 1) per_min = 1;
    size_t klen = strnlen(key, RATELIMIT_KEY_MAX);
    uint64_t h = fnv1a(key, klen);
    struct rl_shard *s = &rl->shard[(h >> 56) % RL_SHARDS];
    double cap = (double)per_min, rate = cap / 60.0;
    long wait = 0;

    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < RL_SWEEP && s->oldest && now - s->oldest->last >= RL_IDLE; i++) {
        drop(s, s->oldest);
        s->idle_dropped++;
    }
    struct rl_bucket *b = s->slots[h & (s->nslots - 1)];
    while (b && !(b->hash == h && strncmp(b->key, key, klen) == 0 && b->key[klen] == '\0')) b = b->hnext;
    if (b) {
        double el = now - b->last;
        if (el > 0) b->tokens += el * rate; /* a clock that steps back refills nothing */
        if (b->tokens > cap) b->tokens = cap;
        if (now > b->last) b->last = now;
        lru_unlink(s, b);
    } else {
        if (s->n >= s->max) { /* full of active buckets: the least recent one goes */
            drop(s, s->oldest);
            s->active_evicted++;
        }
        b = xcalloc(1, sizeof *b);
        memcpy(b->key, key, klen);
        b->hash = h;
        b->tokens = cap;
        b->last = now;
        struct rl_bucket **slot = &s->slots[h & (s->nslots - 1)];
        b->hnext = *slot;
        *slot = b;
        s->n++;
    }
    lru_push(s, b);
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
    } else {
        wait = (long)ceil((1.0 - b->tokens) / rate);
        if (wait < 1) wait = 1;
    }
    pthread_mutex_unlock(&s->mu);
    return wait;
}

void ratelimit_stats(struct ratelimit *rl, struct ratelimit_stats *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < RL_SHARDS; i++) {
        struct rl_shard *s = &rl->shard[i];
        pthread_mutex_lock(&s->mu);
        out->buckets += s->n;
        out->idle_dropped += s->idle_dropped;
        out->active_evicted += s->active_evicted;
        pthread_mutex_unlock(&s->mu);
    }
}
