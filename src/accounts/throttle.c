/* throttle.c — see throttle.h. */
#include "accounts/throttle.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

struct slot {
    bool used;
    char key[THROTTLE_KEY_MAX];
    double tokens;
    double burst, per_s;
    double at; /* when tokens was last brought up to date */
};

struct throttle {
    pthread_mutex_t mu;
    struct slot slots[THROTTLE_SLOTS];
};

struct throttle *throttle_new(void)
{
    struct throttle *t = xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    return t;
}

void throttle_free(struct throttle *t)
{
    if (!t) return;
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static double level(const struct slot *s, double now)
{
    double v = s->tokens + (now > s->at ? now - s->at : 0) * s->per_s; /* a clock step back adds nothing */
    return v > s->burst ? s->burst : v;
}

int throttle_take(struct throttle *t, const struct throttle_rule *rule, const char *key, double now,
                  long *retry_after)
{
    char full[THROTTLE_KEY_MAX];
    snprintf(full, sizeof full, "%s:%s", rule->name, key ? key : "");
    uint64_t h = fnv1a(full);
    pthread_mutex_lock(&t->mu);
    struct slot *hit = NULL, *victim = NULL;
    double v_fill = INFINITY, v_at = INFINITY;
    for (int i = 0; i < THROTTLE_PROBE && !hit; i++) {
        struct slot *s = &t->slots[(h + (uint64_t)i) % THROTTLE_SLOTS];
        if (s->used && !strcmp(s->key, full)) {
            hit = s;
            break;
        }
        /* Reuse order: an empty slot; then the fullest bucket (forgetting it loses the least:
         * a forgotten bucket comes back full), the one idle longest among equals. A drained
         * bucket — someone being held back — is the last to go, so a flood of fresh keys
         * cannot wash it out. */
        double fill = !s->used ? -1.0 : -(level(s, now) / s->burst);
        double at = s->used ? s->at : -INFINITY;
        if (fill < v_fill || (fill == v_fill && at < v_at)) v_fill = fill, v_at = at, victim = s;
    }
    if (!hit) {
        hit = victim;
        hit->used = true;
        snprintf(hit->key, sizeof hit->key, "%s", full);
        hit->tokens = rule->burst;
        hit->at = now;
    }
    hit->burst = rule->burst;
    hit->per_s = rule->per_hour / 3600.0;
    hit->tokens = level(hit, now);
    hit->at = now;
    int ok = hit->tokens >= 1.0;
    if (ok) {
        hit->tokens -= 1.0;
        *retry_after = 0;
    } else {
        double wait = hit->per_s > 0 ? (1.0 - hit->tokens) / hit->per_s : 3600.0;
        *retry_after = (long)ceil(wait);
        if (*retry_after < 1) *retry_after = 1;
    }
    pthread_mutex_unlock(&t->mu);
    return ok;
}
