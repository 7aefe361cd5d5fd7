/* web_account_settings.c — the settings routes of a signed-in user: GET /account/me, the
 * preferences, the watchlist, email change (by a confirmation link to the new address),
 * password, and account deletion.
 *
 * Every field a body may hold is listed; any other is refused by name (400), and every value
 * is checked before anything is written: what a 200 says was saved is what is stored. Each
 * change writes an audit row (action settings_change, detail naming what changed). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/account_close.h"
#include "accounts/audit.h"
#include "accounts/http_form.h"
#include "accounts/sessions.h"
#include "accounts/signin.h"
#include "accounts/throttle.h"
#include "accounts/users.h"
#include "util/log.h"
#include "web/web_account_handlers.h"
#include "web/web_route.h"

static void audit_change(const struct account_req *rq, long long uid, const char *action, const char *detail)
{
    struct mt_err err = MT_ERR_INIT;
    if (audit_add(rq->db, rq->now, uid, action, rq->ip, detail, &err) < 0)
        log_error("serve: account: %s", err.msg);
}

static void prefs_json(strbuf *sb, const struct prefs *p)
{
    sb_append(sb, "{\"units\":");
    sb_append_json_str(sb, p->units);
    sb_append(sb, ",\"default_country\":");
    if (p->default_country[0]) sb_append_json_str(sb, p->default_country);
    else sb_append(sb, "null");
    sb_append(sb, ",\"theme\":");
    sb_append_json_str(sb, p->theme);
    sb_append_char(sb, '}');
}

void account_me(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    struct mt_err err = MT_ERR_INIT;
    struct prefs p;
    struct user usr;
    if (prefs_get(rq->db, u->id, &p, &err) < 0 || users_by_id(rq->db, u->id, &usr, &err) < 0) {
        account_reply_server_error(out, "me", &err);
        return;
    }
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "{\"email\":");
    sb_append_json_str(&sb, u->email);
    sb_append(&sb, ",\"plan\":");
    sb_append_json_str(&sb, u->plan);
    sb_append(&sb, ",\"csrf_token\":");
    sb_append_json_str(&sb, u->csrf_token);
    sb_append(&sb, ",\"created_at\":");
    account_json_time(&sb, u->created_at);
    sb_appendf(&sb, ",\"has_password\":%s,\"preferences\":", usr.has_password ? "true" : "false");
    prefs_json(&sb, &p);
    sb_append(&sb, ",\"watchlist\":");
    if (watchlist_json(rq->db, u->id, &sb, &err) < 0) {
        sb_free(&sb);
        account_reply_server_error(out, "me: watchlist", &err);
        return;
    }
    sb_append(&sb, "}\n");
    account_reply_json_sb(out, 200, &sb);
}

/* A PSD country code as the serving tables write it: two uppercase letters or digits. */
static bool country_code(const char *s)
{
    return strlen(s) == 2 && ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')) &&
           ((s[1] >= 'A' && s[1] <= 'Z') || (s[1] >= '0' && s[1] <= '9'));
}

void account_preferences(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    static const char *const allowed[] = {"units", "default_country", "theme", NULL};
    struct json j;
    if (account_read_body(rq, allowed, &j, out) < 0) return;
    struct mt_err err = MT_ERR_INIT;
    struct prefs p;
    if (prefs_get(rq->db, u->id, &p, &err) < 0) {
        json_free(&j);
        account_reply_server_error(out, "preferences", &err);
        return;
    }
    char v[16];
    int rc;
    const char *bad = NULL;
    if ((rc = form_json_string(&j, "units", v, sizeof v, &err)) < 0) bad = err.msg;
    else if (rc == 1) {
        if (strcmp(v, "bags") && strcmp(v, "tonnes")) bad = "units must be \"bags\" or \"tonnes\"";
        else snprintf(p.units, sizeof p.units, "%.7s", v);
    }
    if (!bad && (rc = form_json_string(&j, "theme", v, sizeof v, &err)) < 0) bad = err.msg;
    else if (!bad && rc == 1) {
        if (strcmp(v, "system") && strcmp(v, "light") && strcmp(v, "dark"))
            bad = "theme must be \"system\", \"light\" or \"dark\"";
        else snprintf(p.theme, sizeof p.theme, "%.7s", v);
    }
    if (!bad && json_get(&j, "default_country")) {
        rc = form_json_string(&j, "default_country", v, sizeof v, &err);
        if (rc < 0) bad = "default_country must be a two-character USDA PSD country code (e.g. \"BR\") or null";
        else if (rc == 0 || !v[0]) p.default_country[0] = '\0';
        else if (!country_code(v))
            bad = "default_country must be a two-character USDA PSD country code (e.g. \"BR\") or null";
        else memcpy(p.default_country, v, 3); /* two characters and the NUL */
    }
    json_free(&j);
    if (bad) {
        account_reply_error(out, 400, bad);
        return;
    }
    if (prefs_set(rq->db, u->id, &p, &err) < 0) {
        account_reply_server_error(out, "preferences: save", &err);
        return;
    }
    audit_change(rq, u->id, "settings_change", "preferences");
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "{\"preferences\":");
    prefs_json(&sb, &p);
    sb_append(&sb, "}\n");
    account_reply_json_sb(out, 200, &sb);
}

static bool known_metric(const char *m)
{
    for (const char *const *a = web_attributes; *a; a++)
        if (!strcmp(*a, m)) return true;
    return false;
}

void account_watchlist(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    static const char *const allowed[] = {"items", NULL};
    static const char *const item_fields[] = {"country", "metric", NULL};
    struct json j;
    if (account_read_body(rq, allowed, &j, out) < 0) return;
    const struct json *items = json_get(&j, "items");
    struct mt_err err = MT_ERR_INIT;
    char msg[200] = "";
    struct watch_item *w = NULL;
    size_t n = 0;
    if (!items || items->t != JSON_ARR) snprintf(msg, sizeof msg, "field 'items' must be an array");
    else if (items->n > USERS_WATCHLIST_MAX)
        snprintf(msg, sizeof msg, "a watchlist holds at most %d items", USERS_WATCHLIST_MAX);
    else {
        w = xcalloc(items->n ? items->n : 1, sizeof *w);
        for (; n < items->n && !msg[0]; n++) {
            const struct json *it = &items->items[n];
            if (it->t != JSON_OBJ) {
                snprintf(msg, sizeof msg, "items[%zu] must be an object {\"country\", \"metric\"}", n);
            } else if (form_json_only(it, item_fields, &err) < 0) {
                snprintf(msg, sizeof msg, "items[%zu]: %.150s", n, err.msg);
            } else if (form_json_string(it, "country", w[n].country, sizeof w[n].country, &err) != 1 ||
                       (strcmp(w[n].country, "WORLD") && !country_code(w[n].country))) {
                snprintf(msg, sizeof msg,
                         "items[%zu].country must be a USDA PSD country code (e.g. \"BR\") or \"WORLD\"", n);
            } else if (form_json_string(it, "metric", w[n].metric, sizeof w[n].metric, &err) != 1 ||
                       !known_metric(w[n].metric)) {
                snprintf(msg, sizeof msg,
                         "items[%zu].metric must be a coffee balance attribute (e.g. \"production\", "
                         "\"ending_stocks\"; see /api)", n);
            }
        }
    }
    json_free(&j);
    if (msg[0]) {
        free(w);
        account_reply_error(out, 400, msg);
        return;
    }
    int rc = watchlist_replace(rq->db, u->id, w, n, &err);
    free(w);
    if (rc < 0) {
        account_reply_server_error(out, "watchlist: save", &err);
        return;
    }
    audit_change(rq, u->id, "settings_change", "watchlist");
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "{\"watchlist\":");
    if (watchlist_json(rq->db, u->id, &sb, &err) < 0) {
        sb_free(&sb);
        account_reply_server_error(out, "watchlist", &err);
        return;
    }
    sb_append(&sb, "}\n");
    account_reply_json_sb(out, 200, &sb);
}

static const struct throttle_rule EMAIL_ACCT = {"email-acct", 3, 6};

void account_email(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    static const char *const allowed[] = {"email", NULL};
    struct json j;
    if (account_read_body(rq, allowed, &j, out) < 0) return;
    char email[FORM_EMAIL_MAX + 1];
    int bad = account_read_email(&j, email, out);
    json_free(&j);
    if (bad) return;
    if (!strcmp(email, u->email)) {
        account_reply_error(out, 400, "that is already your address");
        return;
    }
    char key[32];
    snprintf(key, sizeof key, "%lld", u->id);
    if (web_account_throttled(rq, &EMAIL_ACCT, key, out)) return;
    struct mt_err err = MT_ERR_INIT;
    if (web_account_send_link(rq, SIGNIN_EMAIL_CHANGE, u->id, email, &err) < 0) {
        log_error("serve: account: email change link: %s", err.msg);
        account_reply_error(out, 502, "the confirmation mail could not be sent; try again later");
        return;
    }
    audit_change(rq, u->id, "email_change_request", email);
    account_reply_json(out, 202,
                       "{\"status\":\"sent\",\"message\":\"A confirmation link was sent to the new address; "
                       "your address changes when you open it (within 15 minutes).\"}\n");
}

void account_password(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    static const char *const allowed[] = {"password", NULL};
    struct json j;
    if (account_read_body(rq, allowed, &j, out) < 0) return;
    struct mt_err err = MT_ERR_INIT;
    char pw[USERS_PASSWORD_MAX + 2];
    int rc = form_json_string(&j, "password", pw, sizeof pw, &err);
    json_free(&j);
    if (rc == 0) {
        account_reply_error(out, 400, "field 'password' is required");
        return;
    }
    if (rc < 0) {
        account_reply_error(out, 400, "password must be at most 128 characters");
        return;
    }
    if (users_password_ok(pw, &err) < 0) {
        sodium_memzero(pw, sizeof pw);
        account_reply_error(out, 400, err.msg);
        return;
    }
    rc = users_set_password(rq->db, u->id, pw, &err);
    sodium_memzero(pw, sizeof pw);
    if (rc < 0) {
        account_reply_server_error(out, "password", &err);
        return;
    }
    /* every other session ends; this one is replaced (rotated) */
    char token[SESS_TOKEN_LEN + 1], csrf[SESS_TOKEN_LEN + 1];
    if (sessions_revoke_user(rq->db, u->id, &err) < 0 ||
        sessions_create(rq->db, u->id, rq->ip, web_account_header(rq, "User-Agent"), rq->now, token, csrf, &err) < 0) {
        account_reply_server_error(out, "password: sessions", &err);
        return;
    }
    web_account_set_cookie(out, token);
    sodium_memzero(token, sizeof token);
    audit_change(rq, u->id, "settings_change", "password");
    strbuf sb;
    sb_init(&sb);
    sb_append(&sb, "{\"status\":\"password_set\",\"other_sessions_ended\":true,\"csrf_token\":");
    sb_append_json_str(&sb, csrf);
    sb_append(&sb, "}\n");
    account_reply_json_sb(out, 200, &sb);
}

void account_delete(const struct account_req *rq, const struct account_user *u, struct account_reply *out)
{
    static const char *const allowed[] = {"confirm", NULL};
    struct json j;
    if (account_read_body(rq, allowed, &j, out) < 0) return;
    struct mt_err err = MT_ERR_INIT;
    char c[16];
    int rc = form_json_string(&j, "confirm", c, sizeof c, &err);
    json_free(&j);
    if (rc != 1 || strcmp(c, "delete") != 0) {
        account_reply_error(out, 400, "to delete the account, send {\"confirm\": \"delete\"}");
        return;
    }
    struct stripe_api api;
    stripe_api_for_web(&api);
    struct account_close_res cr;
    if (account_close(rq->db, u->id, rq->now, &api, false, &cr, &err) < 0) {
        account_reply_server_error(out, "delete", &err);
        return;
    }
    if (cr.outcome == ACCOUNT_SUB_REFUSED) {
        /* Stripe's words stay in the log: they can name the key's kind or its last digits */
        log_error("serve: account: delete of user %lld refused: %s", u->id, err.msg);
        account_reply_error(out, 409,
                            "Your account was not deleted: your subscription could not be cancelled "
                            "automatically, and deleting the account first would leave it charging you. "
                            "Cancel the subscription first (from the link in your Stripe receipt email, or "
                            "by writing to us), then delete the account again.");
        return;
    }
    const struct users_deleted d = cr.removed;
    web_account_set_cookie(out, NULL);
    strbuf sb;
    sb_init(&sb);
    sb_appendf(&sb,
               "{\"status\":\"deleted\",\"removed\":{\"sessions\":%d,\"api_keys\":%d,\"watchlist_items\":%d,"
               "\"sign_in_links\":%d,\"audit_entries_scrubbed\":%d},\"message\":\"Your account is deleted: "
               "your email address, password, preferences and watchlist are gone, your API keys are "
               "revoked and every session is signed out.%s The audit log keeps what happened and "
               "when, without you.%s\"}\n",
               d.sessions, d.api_keys, d.watchlist, d.login_links, d.audit_scrubbed,
               cr.sub_cancelled ? " Your subscription is cancelled: you will not be charged again." : "",
               d.stripe_customer_kept ? " Stripe's customer number for you is kept (it holds no email or name), "
                                        "so that Stripe's later messages about it are recognised." : "");
    account_reply_json_sb(out, 200, &sb);
}
