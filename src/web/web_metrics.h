/* web_metrics.h — request counters and the latency histogram behind GET /metrics.
 *
 * Lock-free: every counter is an atomic, bumped once per finished request
 * (web_metrics_observe). web_metrics_render writes Prometheus text exposition format,
 * adding the reader's gauges (generation, swaps, open snapshots) passed in by the caller. */
#ifndef MATERIA_WEB_METRICS_H
#define MATERIA_WEB_METRICS_H

#include <stdint.h>

#include "util/strbuf.h"
#include "web/web_route.h"

void web_metrics_observe(enum web_route_id route, int status, uint64_t micros, uint64_t bytes,
                         int cache_hit);
void web_metrics_render(strbuf *sb, uint64_t generation, uint64_t swaps, int open_snapshots,
                        int snapshot_ok);

#endif
