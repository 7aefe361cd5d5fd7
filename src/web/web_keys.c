/* web_keys.c — see web_keys.h.
 *
 * Database connections: SQLite connections opened by appdb_open are single-threaded
 * (SQLITE_OPEN_NOMUTEX), so each web worker gets its own, opened on its first
 * authenticated request and indexed by its worker slot (web_thread_slot(), fixed for the
 * thread's life); a thread without a slot uses the start-up connection under a mutex. WAL
 * lets all of them read at once. Anonymous requests never touch the database. */
#include "web/web_keys.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "accounts/apikeys.h"
#include "accounts/appdb.h"
#include "accounts/ratelimit.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "web/web_route.h"
#include "web/web_snapshot.h"
#include "web/web_watchdog.h"

#define KEYS_MAX_BUCKETS 100000 /* ~150 bytes each: 15 MB at most */

static struct {
    bool started;
    char *path;
    sqlite3 *shared; /* opened at start; for threads without a slot, under mu */
    pthread_mutex_t mu;
    sqlite3 *slot_db[WEB_MAX_SLOTS];
    struct ratelimit *rl;
} K = {.mu = PTHREAD_MUTEX_INITIALIZER};

int web_keys_start(const char *app_db_path, struct mt_err *err)
{
    if (appdb_open(app_db_path, &K.shared, err) < 0) return mt_err_prefix(err, "serve: the account database");
    K.path = xstrdup(app_db_path);
    K.rl = ratelimit_new(KEYS_MAX_BUCKETS);
    K.started = true;
    return 0;
}

void web_keys_stop(void)
{
    if (!K.started) return;
    for (int i = 0; i < WEB_MAX_SLOTS; i++)
        if (K.slot_db[i]) appdb_close(K.slot_db[i]);
    appdb_close(K.shared);
    ratelimit_free(K.rl);
    free(K.path);
    memset(K.slot_db, 0, sizeof K.slot_db);
    K.shared = NULL;
    K.rl = NULL;
    K.path = NULL;
    K.started = false;
}

/* This thread's connection (NULL with err when it cannot be opened); *locked says the
 * caller must unlock K.mu when done. */
static sqlite3 *thread_db(bool *locked, struct mt_err *err)
{
    int slot = web_thread_slot();
    *locked = false;
    if (slot < 0 || slot >= WEB_MAX_SLOTS) {
        pthread_mutex_lock(&K.mu);
        *locked = true;
        return K.shared;
    }
    if (!K.slot_db[slot] && appdb_open(K.path, &K.slot_db[slot], err) < 0) return NULL;
    return K.slot_db[slot];
}

/* "ip:<address>": IPv4 as is, IPv6 by its /64 (one subscriber's usual allocation). */
static void client_bucket(struct MHD_Connection *c, char *out, size_t outlen)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char a[INET6_ADDRSTRLEN] = "unknown";
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr, a, sizeof a);
    } else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6) {
        struct in6_addr x = ((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr;
        memset(x.s6_addr + 8, 0, 8);
        inet_ntop(AF_INET6, &x, a, sizeof a);
    }
    snprintf(out, outlen, "ip:%s", a);
}

static struct MHD_Response *refusal(int status, const char *msg, unsigned long long rid, long retry_after,
                                    int *status_out, size_t *bytes)
{
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "{\"error\":");
    web_json_str(&sb, msg, strlen(msg));
    sb_appendf(&sb, ",\"request_id\":\"%llx\"}\n", rid);
    size_t len = sb.len;
    char *body = sb_detach(&sb);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return NULL;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (status == 401) MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"materia\", error=\"invalid_token\"");
    if (retry_after > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%ld", retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    *status_out = status;
    *bytes = len;
    return r;
}

/* The key of "Bearer <key>" (scheme case-insensitive, RFC 6750 §2.1), or NULL. */
static const char *bearer_token(const char *h)
{
    if (strncasecmp(h, "Bearer ", 7) != 0) return NULL;
    h += 7;
    while (*h == ' ') h++;
    return *h ? h : NULL;
}

struct MHD_Response *web_keys_gate(struct MHD_Connection *c, unsigned long long rid, int *status, size_t *bytes)
{
    if (!K.started) return NULL;
    const struct settings *s = &g_config.s;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    char bucket[64];
    long rate;
    const char *who;
    if (auth) {
        const char *key = bearer_token(auth);
        if (!key) return refusal(401, "Authorization must be 'Bearer <API key>'", rid, 0, status, bytes);
        struct apikey_auth a;
        struct mt_err err = MT_ERR_INIT;
        bool locked;
        sqlite3 *db = thread_db(&locked, &err);
        int v = db ? apikey_verify(db, key, (long long)time(NULL), &a, &err) : -1;
        if (locked) pthread_mutex_unlock(&K.mu);
        if (v < 0) {
            log_error("serve: request %llx: API key check failed: %s", rid, err.msg);
            return refusal(503, "the API key could not be checked: try again", rid, 5, status, bytes);
        }
        if (v == 0) return refusal(401, "invalid or revoked API key", rid, 0, status, bytes);
        snprintf(bucket, sizeof bucket, "key:%lld", a.key_id);
        bool pro = strcmp(a.plan, "pro") == 0;
        rate = pro ? s->api_rate_pro_per_min : s->api_rate_free_per_min;
        who = pro ? "the pro plan" : "the free plan";
    } else {
        client_bucket(c, bucket, sizeof bucket);
        rate = s->api_rate_anon_per_min;
        who = "anonymous clients (an API key raises it)";
    }
    long wait = ratelimit_take(K.rl, bucket, rate, (double)clock_mono_ns() / 1e9);
    if (!wait) return NULL;
    char msg[160];
    snprintf(msg, sizeof msg, "rate limit exceeded: %ld requests per minute for %s; retry in %ld s", rate, who, wait);
    return refusal(429, msg, rid, wait, status, bytes);
}
