/* throttle.h — in-memory token buckets for the sign-in side: link requests and sign-in
 * attempts, per client address and per account (issue 15).
 *
 * A bucket holds up to `burst` tokens and gains `per_hour` tokens an hour; each attempt
 * takes one; an empty bucket refuses and says when the next token arrives (Retry-After).
 * Buckets are keyed by text ("link-ip:127.0.0.1", "link-acct:a@b.example"), in a fixed table
 * of THROTTLE_SLOTS slots (open addressing over THROTTLE_PROBE neighbours): memory is bounded
 * whatever the traffic. When every neighbour is taken, the fullest bucket is reused
 * (forgetting it changes least; a drained one, someone being held back, goes last). The
 * table lives as long as the
 * server (a restart forgets it: these are abuse brakes, not quotas).
 *
 * Time is a parameter (seconds, any monotonic origin): tests pass a fake clock. Safe to
 * call from any thread (one mutex; the work under it is a few probes). */
#ifndef MATERIA_ACCOUNTS_THROTTLE_H
#define MATERIA_ACCOUNTS_THROTTLE_H

#define THROTTLE_SLOTS 8192
#define THROTTLE_PROBE 16
#define THROTTLE_KEY_MAX 300

struct throttle_rule {
    const char *name; /* key prefix: "link-ip", "link-acct", "signin-ip", "signin-acct" */
    double burst;     /* tokens a fresh bucket holds */
    double per_hour;  /* refill */
};

struct throttle;

struct throttle *throttle_new(void);
void throttle_free(struct throttle *t);
/* Takes one token from the bucket (rule, key) at time now. 1: allowed. 0: refused, with
 * *retry_after (whole seconds, >= 1) until a token is back. */
int throttle_take(struct throttle *t, const struct throttle_rule *rule, const char *key, double now,
                  long *retry_after);

#endif
