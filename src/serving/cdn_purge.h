/* cdn_purge.h — drop the CDN's copies of the API answers after a new snapshot is live.
 *
 * Every data answer carries the tag "materia-api" (and its snapshot's tag; web_api.h,
 * docs/CDN.md). After a successful export (and after the remote publish, when one is
 * configured) cdn_purge_after_export() POSTs Cloudflare's purge-by-tag request to
 * CDN_PURGE_URL: `{"tags":["materia-api"]}` with `Authorization: Bearer CDN_PURGE_TOKEN`.
 *
 * A failed purge is not a failed export: the snapshot is already live and nothing is lost;
 * cached answers expire on their own within s-maxage + stale-while-revalidate (6 minutes).
 * Export and the pipeline then exit CDN_PURGE_EXIT (a distinct status an operator's check
 * or the supervisor can alert on) rather than 1, which would invite a retry that cannot
 * help: a second pipeline run finds nothing changed and exports (so purges) nothing. */
#ifndef MATERIA_CDN_PURGE_H
#define MATERIA_CDN_PURGE_H

#include "util/config.h"
#include "util/err.h"

#define CDN_PURGE_EXIT 4          /* published, but the CDN purge failed */
#define CDN_PURGE_ATTEMPTS 3      /* a 5xx, 429, timeout or connection error is retried */
#define CDN_PURGE_BACKOFF_MS 1000 /* before the second attempt, doubled after */
/* One attempt's limit is CDN_PURGE_TIMEOUT_S (default 10, connection included): with the
 * backoff, a purge takes at most 3 x 10 + 3 = 33 s by default. */

/* The purge settings, checked before any work (export-serving, pipeline run, supervise):
 * a CDN_PURGE_TOKEN without a CDN_PURGE_URL can purge nothing, and is refused by name
 * rather than found out after a publish. 0, or -1 with err. */
int cdn_purge_check(const struct config *cfg, struct mt_err *err);

/* Purges when CDN_PURGE_URL is set (logs one line either way). 0: purged, or no purge
 * configured; -1 with the reason in err (nothing to undo: the snapshot stays live). Only
 * after cdn_purge_check() passed (a token without a URL is not handled here). */
int cdn_purge_after_export(const struct config *cfg, const char *snapshot_id, struct mt_err *err);

#endif
