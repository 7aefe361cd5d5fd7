/* mail.h — outgoing mail (sign-in links, email-change confirmations, alert digests) over
 * SMTP with libcurl: SMTP_URL (smtp:// with STARTTLS when the server offers it — required
 * when SMTP_USERNAME is set, so a password never crosses the network in clear — or smtps://),
 * MAIL_FROM, SMTP_USERNAME / SMTP_PASSWORD.
 *
 * With no SMTP_URL the message is not sent: it is written to the log at INFO instead (so a
 * local user can still sign in: the link is in `materia serve`'s log). That is the one place
 * a sign-in link may be logged, and only because the operator chose no mail server.
 *
 * Sending is synchronous (the caller's thread waits, at most MAIL_TIMEOUT_S). */
#ifndef MATERIA_ACCOUNTS_MAIL_H
#define MATERIA_ACCOUNTS_MAIL_H

#include "util/err.h"

#define MAIL_TIMEOUT_S 20

struct mail_cfg {
    const char *smtp_url; /* NULL or "": log instead of sending */
    const char *username, *password; /* NULL or "": no authentication */
    const char *from;     /* "Name <addr>" or "addr" */
};

/* Builds the RFC 5322 message (From, To, Subject, Date, Message-ID, MIME headers; text
 * with CRLF line ends; lines starting with '.' are left to curl's dot-stuffing) into a new
 * string (caller frees), or NULL with err when to/from/subject hold CR or LF (header
 * injection) or from has no address. */
char *mail_format(const struct mail_cfg *cfg, const char *to, const char *subject, const char *text,
                  long long now, struct mt_err *err);
/* Sends text to one recipient. 0, or -1 with err naming the SMTP failure (never the
 * password or the message). */
int mail_send(const struct mail_cfg *cfg, const char *to, const char *subject, const char *text,
              long long now, struct mt_err *err);
/* The envelope address of a From value: "Name <a@b>" → "a@b"; "a@b" → "a@b". 0, or -1. */
int mail_address(const char *from, char *out, size_t outlen);

#endif
