/* web_account_auth.c — the sign-in routes: magic links (POST /account/link; GET
 * /account/verify shows a page, POST /account/verify uses the link), password sign-in, sign
 * out and sign out everywhere.
 *
 * The same answer whatever the address: POST /account/link answers 202 with one fixed text
 * for a new address (the link signs up), a registered one (it signs in) and a disabled one
 * (no mail is sent). Throttling comes before any lookup, keyed by the client address and by
 * the normalised email, so the 429 does not depend on registration either.
 *
 * Sessions are rotated at every sign-in: the session the browser came with (if any) is
 * deleted and a new token is set, so a token planted before sign-in is worth nothing after. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts/audit.h"
#include "accounts/http_form.h"
#include "accounts/mail.h"
#include "accounts/sessions.h"
#include "accounts/signin.h"
#include "accounts/throttle.h"
#include "accounts/users.h"
#include "util/config.h"
#include "util/log.h"
#include "web/web_account_handlers.h"

/* The limits (per hour, with a burst): generous for a person, tight for a script. */
static const struct throttle_rule LINK_IP = {"link-ip", 10, 20};
static const struct throttle_rule LINK_ACCT = {"link-acct", 3, 6};
static const struct throttle_rule SIGNIN_IP = {"signin-ip", 20, 60};
static const struct throttle_rule SIGNIN_ACCT = {"signin-acct", 5, 12};
/* following a link writes (the link is used up, a refusal is audited): a client that
 * guesses tokens in a loop is stopped before it queues everyone else behind SQLite's
 * write lock */
static const struct throttle_rule VERIFY_IP = {"verify-ip", 20, 60};

static struct throttle *throttles;
static char *local_base; /* http://HOST:PORT of the listening socket */

void web_account_throttle_start(void) { throttles = throttle_new(); }
void web_account_throttle_stop(void)
{
    throttle_free(throttles);
    throttles = NULL;
    free(local_base);
    local_base = NULL;
}

void web_account_set_local_base(const char *base)
{
    free(local_base);
    local_base = base ? xstrdup(base) : NULL;
}


void web_account_set_cookie(struct account_reply *out, const char *token)
{
    const char *b = g_config.s.public_base_url;
    bool secure = b && !strncasecmp(b, "https://", 8); /* config accepts the scheme in any case */
    char v[256];
    if (token)
        snprintf(v, sizeof v, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%lld%s", ACCOUNT_COOKIE, token,
                 g_config.s.session_max_days * 86400LL, secure ? "; Secure" : "");
    else
        snprintf(v, sizeof v, "%s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s", ACCOUNT_COOKIE,
                 secure ? "; Secure" : "");
    account_reply_header(out, "Set-Cookie", v);
    sodium_memzero(v, sizeof v);
    /* A marker the page's script can read (the session cookie is HttpOnly): without it the
     * dashboard does not ask /account/me at all, so an anonymous visit costs no request and
     * shows no 401. It says nothing a request could not learn; it grants nothing. */
    if (token)
        snprintf(v, sizeof v, "materia_signed_in=1; Path=/; SameSite=Lax; Max-Age=%lld%s",
                 g_config.s.session_max_days * 86400LL, secure ? "; Secure" : "");
    else
        snprintf(v, sizeof v, "materia_signed_in=; Path=/; SameSite=Lax; Max-Age=0%s", secure ? "; Secure" : "");
    account_reply_header(out, "Set-Cookie", v);
}

int web_account_throttled(const struct account_req *rq, const struct throttle_rule *rule, const char *key,
                     struct account_reply *out)
{
    long wait = 0;
    if (throttle_take(throttles, rule, key, (double)rq->now, &wait)) return 0;
    char msg[128], ra[24];
    snprintf(ra, sizeof ra, "%ld", wait);
    snprintf(msg, sizeof msg, "too many attempts; try again in %ld seconds", wait);
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "{\"error\":");
    sb_append_json_str(&sb, msg);
    sb_appendf(&sb, ",\"retry_after\":%ld}\n", wait);
    account_reply_json_sb(out, 429, &sb);
    account_reply_header(out, "Retry-After", ra);
    log_warn("serve: account: %s throttled for %s (retry after %ld s)", rule->name, rq->ip, wait);
    return 1;
}

int account_read_email(const struct json *j, char email[FORM_EMAIL_MAX + 1], struct account_reply *out)
{
    struct mt_err err = MT_ERR_INIT;
    char raw[FORM_EMAIL_MAX + 64];
    int rc = form_json_string(j, "email", raw, sizeof raw, &err);
    if (rc == 0) {
        account_reply_error(out, 400, "field 'email' is required");
        return -1;
    }
    if (rc < 0 || form_email_normalize(raw, email, &err) < 0) {
        account_reply_error(out, 400, err.msg);
        return -1;
    }
    return 0;
}

int web_account_send_link(const struct account_req *rq, enum signin_purpose purpose, long long user_id,
                          const char *email, struct mt_err *err)
{
    char token[SESS_TOKEN_LEN + 1];
    if (signin_link_create(rq->db, purpose, user_id, email, rq->now, token, err) < 0) return -1;
    char *base = config_site_base(&g_config.s, local_base);
    char *text = xasprintf(
        purpose == SIGNIN_LOGIN
            ? "Open this link to sign in to Materia:\n\n%s/account/verify?token=%s\n\n"
              "It works once, within 15 minutes. If you did not ask for it, ignore this message.\n"
            : "Open this link to make this address the one of your Materia account:\n\n"
              "%s/account/verify?token=%s\n\n"
              "It works once, within 15 minutes. If you did not ask for it, ignore this message.\n",
        base, token);
    struct mail_cfg mc = {g_config.s.smtp_url, g_config.s.smtp_username, g_config.s.smtp_password,
                          g_config.s.mail_from};
    int rc = mail_send(&mc, email,
                       purpose == SIGNIN_LOGIN ? "Your Materia sign-in link" : "Confirm your new Materia email address",
                       text, rq->now, err);
    sodium_memzero(text, strlen(text));
    sodium_memzero(token, sizeof token);
    free(text);
    free(base);
    return rc;
}

void account_link(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    (void)u;
    static const char *const allowed[] = {"email", NULL};
    struct json j;
    if (account_read_body(rq, allowed, &j, out) < 0) return;
    char email[FORM_EMAIL_MAX + 1];
    int bad = account_read_email(&j, email, out);
    json_free(&j);
    if (bad) return;
    if (web_account_throttled(rq, &LINK_IP, rq->bucket, out) || web_account_throttled(rq, &LINK_ACCT, email, out)) return;
    struct mt_err err = MT_ERR_INIT;
    struct user usr;
    int found = users_by_email(rq->db, email, &usr, &err);
    if (found < 0) {
        account_reply_server_error(out, "link: user lookup", &err);
        return;
    }
    if (!(found && usr.disabled_at)) {
        if (web_account_send_link(rq, SIGNIN_LOGIN, found ? usr.id : 0, email, &err) < 0) {
            log_error("serve: account: sign-in link: %s", err.msg);
            account_reply_error(out, 502, "the sign-in mail could not be sent; try again later");
            return;
        }
    }
    if (audit_add(rq->db, rq->now, found ? usr.id : 0, "link_request", rq->ip, NULL, &err) < 0)
        log_error("serve: account: %s", err.msg);
    account_reply_json(out, 202,
                       "{\"status\":\"sent\",\"message\":\"If this address can receive mail, a sign-in "
                       "link is on its way. It works once, within 15 minutes.\"}\n");
}

/* A new session for user_id, replacing the one the request came with; sets the cookie and
 * writes the CSRF token. 0, or -1 (answered 500). */
static int start_session(const struct account_req *rq, long long user_id, const char *how,
                         char csrf[SESS_TOKEN_LEN + 1], struct account_reply *out)
{
    struct mt_err err = MT_ERR_INIT;
    struct account_user old;
    if (web_account_user(rq, &old) == 1 && sessions_revoke(rq->db, old.session_hash, &err) < 0) {
        account_reply_server_error(out, "sign-in: rotate", &err);
        return -1;
    }
    char token[SESS_TOKEN_LEN + 1];
    if (sessions_create(rq->db, user_id, rq->ip, web_account_header(rq, "User-Agent"), rq->now, token, csrf,
                        &err) < 0) {
        account_reply_server_error(out, "sign-in: session", &err);
        return -1;
    }
    web_account_set_cookie(out, token);
    sodium_memzero(token, sizeof token);
    if (audit_add(rq->db, rq->now, user_id, "signin", rq->ip, how, &err) < 0)
        log_error("serve: account: %s", err.msg);
    /* Expired sessions and links are deleted when seen; the ones never seen again go here,
     * at each sign-in (the tables stay the size of the live ones). */
    struct sess_limits lim = web_account_limits();
    if (sessions_purge(rq->db, rq->now, &lim, &err) < 0 || signin_purge(rq->db, rq->now, &err) < 0)
        log_error("serve: account: purge: %s", err.msg);
    return 0;
}

/* HTML-escapes s into sb (the five characters that matter in text and in a quoted
 * attribute). The confirmation page is the account side's only HTML. */
static void append_html(strbuf *sb, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sb_append(sb, "&amp;"); break;
        case '<': sb_append(sb, "&lt;"); break;
        case '>': sb_append(sb, "&gt;"); break;
        case '"': sb_append(sb, "&quot;"); break;
        case '\'': sb_append(sb, "&#39;"); break;
        default: sb_append_char(sb, *s);
        }
    }
}

/* GET (and HEAD) /account/verify?token=...: the link from the mail. It changes nothing and
 * does not use the link up: it answers a page whose one button POSTs the token back (below).
 * So a mail scanner or a browser's prefetch that opens the link leaves it working, and a
 * cross-site navigation to the link (login CSRF: an attacker's own link opened in the
 * victim's browser) only shows the page, since the POST needs our own Origin.
 * Referrer-Policy strict-origin: the page's URL holds the token, and no request from the
 * page may carry it (not even to us); no-referrer would also blank the form POST's Origin
 * ("null", the Fetch standard's rule), which the Origin check rightly refuses. */
void account_verify_page(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    (void)u;
    if (web_account_throttled(rq, &VERIFY_IP, rq->bucket, out)) return;
    char token[SESS_TOKEN_LEN + 8];
    const char *q = rq->query ? rq->query : "";
    if (form_urlencoded_get(q, strlen(q), "token", token, sizeof token) != 1) token[0] = '\0';
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb,
              "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
              "<title>Materia: continue</title></head>\n"
              "<body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem\">\n"
              "<h1 style=\"font-size:1.4rem\">Materia</h1>\n"
              "<p>Press Continue to use your link: it signs you in, or confirms your new email "
              "address. It works once.</p>\n"
              "<form method=\"post\" action=\"/account/verify\">"
              "<input type=\"hidden\" name=\"token\" value=\"");
    append_html(&sb, token);
    sb_append(&sb, "\"><button type=\"submit\" id=\"verify-continue\">Continue</button></form>\n"
                   "<p style=\"color:#666\">If you did not ask for this link, close this page.</p>\n"
                   "</body></html>\n");
    sodium_memzero(token, sizeof token);
    account_reply_json_sb(out, 200, &sb);
    out->content_type = "text/html; charset=utf-8";
    account_reply_header(out, "Referrer-Policy", "strict-origin");
}

/* POST /account/verify (form field token; the dispatcher has checked the Origin): uses the
 * link up and does what it is for. */
void account_verify(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    (void)u;
    if (web_account_throttled(rq, &VERIFY_IP, rq->bucket, out)) return;
    char token[SESS_TOKEN_LEN + 8];
    if (form_urlencoded_get(rq->body ? rq->body : "", rq->body_len, "token", token, sizeof token) != 1)
        token[0] = '\0';
    /* a string this server could not have made is refused without a database write
     * (signin_link_consume checks it first) and without an audit row: a row per junk
     * request would let anyone grow the log without bound */
    bool wellformed = sess_token_wellformed(token);
    struct signin_result res;
    struct mt_err err = MT_ERR_INIT;
    char why[200];
    int rc = signin_link_consume(rq->db, token, rq->now, &res, why, sizeof why, &err);
    sodium_memzero(token, sizeof token);
    if (rc < 0) {
        account_reply_server_error(out, "verify", &err);
        return;
    }
    if (rc == 0) {
        if (wellformed && audit_add(rq->db, rq->now, res.user_id, "link_refused", rq->ip, why, &err) < 0)
            log_error("serve: account: %s", err.msg);
        account_reply_error(out, 303, why);
        account_reply_header(out, "Location", "/#/signin?link=invalid");
        return;
    }
    char csrf[SESS_TOKEN_LEN + 1];
    if (res.purpose == SIGNIN_EMAIL_CHANGE) {
        if (audit_add(rq->db, rq->now, res.user_id, "email_change", rq->ip, res.email, &err) < 0)
            log_error("serve: account: %s", err.msg);
        account_reply_json(out, 303, "{\"status\":\"email_changed\"}\n");
        account_reply_header(out, "Location", "/#/settings?email=changed");
        return;
    }
    if (res.created && audit_add(rq->db, rq->now, res.user_id, "signup", rq->ip, NULL, &err) < 0)
        log_error("serve: account: %s", err.msg);
    if (start_session(rq, res.user_id, "link", csrf, out) < 0) return;
    account_reply_json(out, 303, "{\"status\":\"signed_in\"}\n");
    account_reply_header(out, "Location", "/#/settings");
}

void account_signin(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    (void)u;
    static const char *const allowed[] = {"email", "password", NULL};
    struct json j;
    if (account_read_body(rq, allowed, &j, out) < 0) return;
    char email[FORM_EMAIL_MAX + 1], pw[USERS_PASSWORD_MAX + 2];
    struct mt_err err = MT_ERR_INIT;
    if (account_read_email(&j, email, out) < 0) {
        json_free(&j);
        return;
    }
    int prc = form_json_string(&j, "password", pw, sizeof pw, &err);
    json_free(&j);
    if (prc != 1) {
        account_reply_error(out, 400, prc == 0 ? "field 'password' is required" : err.msg);
        return;
    }
    if (web_account_throttled(rq, &SIGNIN_IP, rq->bucket, out) || web_account_throttled(rq, &SIGNIN_ACCT, email, out)) {
        sodium_memzero(pw, sizeof pw);
        return;
    }
    long long id = 0;
    int ok = users_verify_password(rq->db, email, pw, &id, &err);
    sodium_memzero(pw, sizeof pw);
    if (ok < 0) {
        account_reply_server_error(out, "sign-in: verify", &err);
        return;
    }
    if (!ok) {
        struct user usr;
        long long who = users_by_email(rq->db, email, &usr, &err) == 1 ? usr.id : 0;
        if (audit_add(rq->db, rq->now, who, "signin_failed", rq->ip, "password", &err) < 0)
            log_error("serve: account: %s", err.msg);
        account_reply_error(out, 401, "wrong email or password (or no password is set: ask for a sign-in link)");
        return;
    }
    char csrf[SESS_TOKEN_LEN + 1];
    if (start_session(rq, id, "password", csrf, out) < 0) return;
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "{\"status\":\"signed_in\",\"csrf_token\":");
    sb_append_json_str(&sb, csrf);
    sb_append(&sb, "}\n");
    account_reply_json_sb(out, 200, &sb);
}

void account_signout(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    struct mt_err err = MT_ERR_INIT;
    if (sessions_revoke(rq->db, u->session_hash, &err) < 0) {
        account_reply_server_error(out, "sign-out", &err);
        return;
    }
    if (audit_add(rq->db, rq->now, u->id, "signout", rq->ip, NULL, &err) < 0)
        log_error("serve: account: %s", err.msg);
    web_account_set_cookie(out, NULL);
    account_reply_json(out, 200, "{\"status\":\"signed_out\"}\n");
}

void account_signout_all(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    struct mt_err err = MT_ERR_INIT;
    int n = sessions_revoke_user(rq->db, u->id, &err);
    if (n < 0) {
        account_reply_server_error(out, "sign-out everywhere", &err);
        return;
    }
    if (audit_add(rq->db, rq->now, u->id, "signout_all", rq->ip, NULL, &err) < 0)
        log_error("serve: account: %s", err.msg);
    web_account_set_cookie(out, NULL);
    strbuf sb;
    sb_init(&sb);
    sb_appendf(&sb, "{\"status\":\"signed_out\",\"sessions_ended\":%d}\n", n);
    account_reply_json_sb(out, 200, &sb);
}
