/* web_alerts.h — release alerts sent by `materia serve` (accounts/alerts.h).
 *
 * Why here and not in the pipeline: the account database is written only by serve (and the
 * operator's `materia users` / `materia alerts` commands); the pipeline never opens it.
 * So the process that owns it sends the digests, as soon as it serves a snapshot it has not
 * alerted for: one background thread checks the reader every WEB_ALERTS_POLL_S seconds (a
 * stat(); a new file on disk is picked up by this very check, as by any request), and for a
 * snapshot_id it has not handled runs alerts_compute + alerts_send over its own connections
 * (a private DuckDB connection on the served snapshot, its own SQLite connection). The
 * at-most-once record (alert_sends) makes a restart, a second serve or a manual
 * `materia alerts send` harmless: a digest already claimed is never sent again. A snapshot
 * whose digests failed for a database reason is retried at the next poll; mails that were
 * not sent (SMTP down) are retried with the next snapshot or by `materia alerts send`. */
#ifndef MATERIA_WEB_ALERTS_H
#define MATERIA_WEB_ALERTS_H

#include "util/err.h"
#include "web/web_snapshot.h"

#define WEB_ALERTS_POLL_S 10

/* Starts the thread. local_base ("http://host:port") is the links' base when
 * PUBLIC_BASE_URL is empty. 0, or -1 with err. */
int web_alerts_start(struct web_reader *reader, const char *app_db_path, const char *local_base,
                     struct mt_err *err);
/* Stops and joins it (a digest being sent finishes first: at most MAIL_TIMEOUT_S per mail). */
void web_alerts_stop(void);

#endif
