/* web_api.h — the JSON/CSV data routes of ARCHITECTURE §5 over one snapshot.
 *
 * web_api_answer() runs the route's prepared statements (fixed SQL text in web_api.c,
 * selected by route and whitelist index, with bound parameters; the one exception is the
 * country code, already validated as two of [A-Z0-9], spliced as a literal into the
 * per-country statements because DuckDB re-plans parameterized scans on every execution)
 * on the calling thread's connection to the snapshot, under the query watchdog, and
 * renders the body in C from DuckDB's (streamed) result chunks. */
#ifndef MATERIA_WEB_API_H
#define MATERIA_WEB_API_H

#include "util/strbuf.h"
#include "web/web_cdn_tags.h"
#include "web/web_route.h"
#include "web/web_snapshot.h"

/* Writes the body of a data route (WEB_DATA_FIRST..WEB_DATA_LAST) into body. Returns 200, or
 * 404 (unknown country), 503 (query interrupted by the time limit) or 500 with *e set. */
int web_api_answer(struct web_snapshot *s, int slot, const struct web_route *rt, strbuf *body,
                   struct web_error *e);

/* Appends the rows of res as a JSON array of objects (keys = column names) or as CSV with a
 * header line. Exposed for unit tests. */
void web_api_render_rows(strbuf *sb, duckdb_result *res, enum web_format fmt);

/* CDN headers of a data answer (docs/CDN.md has the table and the reasons). An answer is
 * immutable for its snapshot, so shared caches may keep it (s-maxage) and a purge by tag
 * drops it when the snapshot changes; browsers revalidate (max-age=0, ETag). Only 200s and
 * 304s of data routes carry these: errors, refusals of the API gate (401/429), /health,
 * /metrics and the account side stay no-store. */
/* The tags (WEB_CDN_TAG_ALL, WEB_CDN_TAG_SNAPSHOT) are in web_cdn_tags.h, which the purge
 * includes too. */
/* The Cache-Control of a data route's answer, and its CDN-Cache-Control (RFC 9213: the CDN's
 * own lifetime and stale-while-revalidate; web_api.c says why they are split). Static strings. */
const char *web_api_cache_control(enum web_route_id id);
const char *web_api_cdn_cache_control(enum web_route_id id);
/* The tag list for Surrogate-Key (space-separated, sep ' ') or Cache-Tag (sep ','). */
void web_api_cdn_tags(const char *snapshot_id, char sep, char *out, size_t outlen);

/* The /api documentation page (static HTML): src/web/api_doc.html, compiled in by
 * cmake/embed.cmake (the definition is generated into the build tree). */
const char *web_api_doc_html(void);

#endif
