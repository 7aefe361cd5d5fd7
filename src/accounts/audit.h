/* audit.h — the audit log (table audit_log): one row per sign-in, sign-out, settings
 * change, key and plan event, written in the same transaction as the change where the
 * caller holds one. Detail is short, human-readable and never holds a secret (no token,
 * no password, no key): an email address at most, which a deletion scrubs. */
#ifndef MATERIA_ACCOUNTS_AUDIT_H
#define MATERIA_ACCOUNTS_AUDIT_H

#include <sqlite3.h>

#include "util/err.h"

/* Appends a row. user_id 0 = none (e.g. a refused sign-in for an unknown address); ip and
 * detail may be NULL. 0, or -1 with err. */
int audit_add(sqlite3 *db, long long now, long long user_id, const char *action, const char *ip,
              const char *detail, struct mt_err *err);
/* Scrubs a user's rows before the user is deleted: detail and ip become NULL (the rows keep
 * what happened and when; ON DELETE SET NULL then drops who). Returns the rows touched, or -1. */
int audit_scrub_user(sqlite3 *db, long long user_id, struct mt_err *err);

#endif
