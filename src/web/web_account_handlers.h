/* web_account_handlers.h — the handlers of the sign-in and settings routes (AUTH's half of
 * web_account.c's table) and what they share. Private to src/web/web_account*.c. */
#ifndef MATERIA_WEB_ACCOUNT_HANDLERS_H
#define MATERIA_WEB_ACCOUNT_HANDLERS_H

#include "accounts/http_form.h"
#include "accounts/sessions.h"
#include "accounts/signin.h"
#include "accounts/throttle.h"
#include "web/web_account.h"

/* sign-in: web_account_auth.c */
void account_link(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void account_verify_page(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void account_verify(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void account_signin(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void account_signout(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void account_signout_all(const struct account_req *rq, const struct account_user *u, struct account_reply *out);

/* settings: web_account_settings.c */
void account_me(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void account_preferences(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void account_watchlist(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void account_email(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void account_password(const struct account_req *rq, const struct account_user *u, struct account_reply *out);
void account_delete(const struct account_req *rq, const struct account_user *u, struct account_reply *out);

/* The body's "email", normalised (accounts/http_form.h); -1 with the 400 answered in out
 * when it is missing or invalid. */
int account_read_email(const struct json *j, char email[FORM_EMAIL_MAX + 1], struct account_reply *out);

/* SESSION_IDLE_HOURS / SESSION_MAX_DAYS in seconds. */
struct sess_limits web_account_limits(void);
/* Sets the session cookie (token) or, with token NULL, clears it. HttpOnly, SameSite=Lax,
 * Path=/, Secure when PUBLIC_BASE_URL is https://. With it, the marker cookie
 * materia_signed_in=1 (readable by the page's script: no secret) is set or cleared. */
void web_account_set_cookie(struct account_reply *out, const char *token);

/* Mails a sign-in (or email-change) link for email: a new login_tokens row, the mail (or
 * the log line when SMTP_URL is unset). 0, or -1 with err. */
int web_account_send_link(const struct account_req *rq, enum signin_purpose purpose, long long user_id,
                          const char *email, struct mt_err *err);
/* The server's own address ("http://HOST:PORT") for links when PUBLIC_BASE_URL is unset. */
void web_account_set_local_base(const char *base);

/* Takes a token from the throttle (rule, key); when there is none, answers 429 with
 * Retry-After and returns 1. */
int web_account_throttled(const struct account_req *rq, const struct throttle_rule *rule, const char *key,
                          struct account_reply *out);

/* The in-memory throttles (web_account_auth.c), made at server start. */
void web_account_throttle_start(void);
void web_account_throttle_stop(void);

#endif
