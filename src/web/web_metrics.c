/* web_metrics.c — see web_metrics.h. Fixed label sets keep the counters a static array:
 * routes (web_route_id) x statuses (the ones this server answers, plus "other"). */
#include "web/web_metrics.h"

#include <stdatomic.h>
#include <stdio.h>

static const int statuses[] = {200, 304, 400, 404, 405, 413, 431, 500, 503, 0};
#define NSTATUS (sizeof statuses / sizeof statuses[0])
static const double buckets_s[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                   0.01,   0.025,   0.05,   0.1,   0.25,   0.5, 1, 2.5, 5};
#define NBUCKET (sizeof buckets_s / sizeof buckets_s[0])

static atomic_ullong req_count[WR__COUNT][NSTATUS];
static atomic_ullong hist[NBUCKET + 1];
static atomic_ullong hist_sum_us, hist_count, bytes_total, cache_hits, cache_misses;

void web_metrics_observe(enum web_route_id route, int status, uint64_t micros, uint64_t bytes,
                         int cache_hit)
{
    if ((unsigned)route >= WR__COUNT) route = WR_NONE;
    size_t si = NSTATUS - 1;
    for (size_t i = 0; i + 1 < NSTATUS; i++)
        if (statuses[i] == status) si = i;
    atomic_fetch_add_explicit(&req_count[route][si], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < NBUCKET && (double)micros > buckets_s[b] * 1e6) b++;
    atomic_fetch_add_explicit(&hist[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&hist_sum_us, micros, memory_order_relaxed);
    atomic_fetch_add_explicit(&hist_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&bytes_total, bytes, memory_order_relaxed);
    if (cache_hit > 0) atomic_fetch_add_explicit(&cache_hits, 1, memory_order_relaxed);
    if (cache_hit == 0) atomic_fetch_add_explicit(&cache_misses, 1, memory_order_relaxed);
}

void web_metrics_render(strbuf *sb, uint64_t generation, uint64_t swaps, int open_snapshots,
                        int snapshot_ok)
{
    sb_append(sb, "# HELP materia_http_requests_total HTTP requests by route and status.\n"
                  "# TYPE materia_http_requests_total counter\n");
    for (int r = 0; r < WR__COUNT; r++)
        for (size_t s = 0; s < NSTATUS; s++) {
            unsigned long long n = atomic_load(&req_count[r][s]);
            if (!n) continue;
            char st[8];
            if (statuses[s]) snprintf(st, sizeof st, "%d", statuses[s]);
            else snprintf(st, sizeof st, "other");
            sb_appendf(sb, "materia_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                       web_route_name((enum web_route_id)r), st, n);
        }
    sb_append(sb, "# HELP materia_http_request_duration_seconds Time from request to response queued.\n"
                  "# TYPE materia_http_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t b = 0; b < NBUCKET; b++) {
        cum += atomic_load(&hist[b]);
        sb_appendf(sb, "materia_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                   buckets_s[b], cum);
    }
    cum += atomic_load(&hist[NBUCKET]);
    sb_appendf(sb, "materia_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    sb_appendf(sb, "materia_http_request_duration_seconds_sum %.6f\n",
               (double)atomic_load(&hist_sum_us) / 1e6);
    sb_appendf(sb, "materia_http_request_duration_seconds_count %llu\n",
               (unsigned long long)atomic_load(&hist_count));
    sb_appendf(sb,
               "# HELP materia_http_response_bytes_total Response body bytes sent.\n"
               "# TYPE materia_http_response_bytes_total counter\n"
               "materia_http_response_bytes_total %llu\n"
               "# HELP materia_cache_hits_total Responses answered from the per-snapshot cache.\n"
               "# TYPE materia_cache_hits_total counter\n"
               "materia_cache_hits_total %llu\n"
               "# HELP materia_cache_misses_total Cacheable responses computed by a query.\n"
               "# TYPE materia_cache_misses_total counter\n"
               "materia_cache_misses_total %llu\n"
               "# HELP materia_snapshot_generation Generation of the current snapshot.\n"
               "# TYPE materia_snapshot_generation gauge\n"
               "materia_snapshot_generation %llu\n"
               "# HELP materia_snapshot_swaps_total Snapshots replaced by a newer one.\n"
               "# TYPE materia_snapshot_swaps_total counter\n"
               "materia_snapshot_swaps_total %llu\n"
               "# HELP materia_snapshots_open Snapshot databases open (current plus draining).\n"
               "# TYPE materia_snapshots_open gauge\n"
               "materia_snapshots_open %d\n"
               "# HELP materia_snapshot_up 1 when a snapshot is being served.\n"
               "# TYPE materia_snapshot_up gauge\n"
               "materia_snapshot_up %d\n",
               (unsigned long long)atomic_load(&bytes_total),
               (unsigned long long)atomic_load(&cache_hits),
               (unsigned long long)atomic_load(&cache_misses), (unsigned long long)generation,
               (unsigned long long)swaps, open_snapshots, snapshot_ok);
}
