/* ratelimit.h — token buckets for the /api rate limits (issue 15), keyed by a string the
 * caller chooses ("key:<api key id>", "ip:<client address>"), safe to call from every web
 * worker at once.
 *
 * A bucket holds up to per_min tokens and refills at per_min/60 a second; a request takes
 * one. So a client may burst a whole minute's allowance, then runs at the steady rate; when
 * the bucket is empty the answer is the whole seconds until a token is back (Retry-After).
 * The rate is given on every call (it follows the key's plan, which may change while the
 * bucket lives): a new rate applies from that call, the tokens held are kept (capped).
 *
 * Memory is bounded: at most max_buckets buckets. A bucket untouched for 60 s or more is
 * full again, the same as no bucket, so such idle ones are dropped as calls pass by (the
 * least recently used first); when the table is full of active buckets, the least recently
 * used is dropped anyway (that client starts again with a full bucket: the price of a
 * bound, paid only by the least active client while more than max_buckets are active
 * within a minute; counted in ratelimit_stats).
 *
 * Time is the caller's `now` in seconds (a monotonic clock in serve, a fake one in tests). */
#ifndef MATERIA_ACCOUNTS_RATELIMIT_H
#define MATERIA_ACCOUNTS_RATELIMIT_H

#include <stddef.h>

#define RATELIMIT_KEY_MAX 63 /* longer keys are cut to this many bytes */

struct ratelimit;

/* A limiter holding at most max_buckets buckets (at least 16). Never NULL (aborts when out
 * of memory, as xmalloc does). */
struct ratelimit *ratelimit_new(size_t max_buckets);
void ratelimit_free(struct ratelimit *rl);

/* Takes a token from key's bucket at rate per_min (>= 1). 0 when allowed; otherwise the
 * request is refused and the answer is the seconds (>= 1) after which one token will be
 * there, for Retry-After. */
long ratelimit_take(struct ratelimit *rl, const char *key, long per_min, double now);

struct ratelimit_stats {
    size_t buckets;           /* held now */
    unsigned long long idle_dropped, active_evicted;
};
void ratelimit_stats(struct ratelimit *rl, struct ratelimit_stats *out);

#endif
