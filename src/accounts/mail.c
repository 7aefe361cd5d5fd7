/* mail.c — see mail.h. */
#include "accounts/mail.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "util/strbuf.h"

static int has_crlf(const char *s) { return s && strpbrk(s, "\r\n") != NULL; }

int mail_address(const char *from, char *out, size_t outlen)
{
    if (!from || !outlen) return -1;
    const char *lt = strrchr(from, '<');
    const char *s = from, *e = from + strlen(from);
    if (lt) {
        const char *gt = strchr(lt, '>');
        if (!gt) return -1;
        s = lt + 1, e = gt;
    }
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    size_t n = (size_t)(e - s);
    if (!n || n >= outlen || !memchr(s, '@', n) || memchr(s, ' ', n) || memchr(s, '<', n)) return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

char *mail_format(const struct mail_cfg *cfg, const char *to, const char *subject, const char *text,
                  long long now, struct mt_err *err)
{
    char addr[320];
    if (has_crlf(to) || has_crlf(subject) || has_crlf(cfg->from)) {
        mt_errf(err, "mail: a header value holds a line break");
        return NULL;
    }
    if (mail_address(cfg->from, addr, sizeof addr) < 0) {
        mt_errf(err, "mail: MAIL_FROM has no address (expected 'Name <addr@host>' or 'addr@host')");
        return NULL;
    }
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    char date[64];
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    unsigned char r[12];
    randombytes_buf(r, sizeof r);
    char rid[25];
    sodium_bin2hex(rid, sizeof rid, r, sizeof r);
    const char *dom = strchr(addr, '@') + 1;
    strbuf sb;
    sb_init(&sb);
    sb_appendf(&sb,
               "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n"
               "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: 8bit\r\n\r\n",
               cfg->from, to, subject, date, rid, dom);
    for (const char *p = text; *p; p++) {
        if (*p == '\r') continue;
        if (*p == '\n') sb_append(&sb, "\r\n");
        else sb_append_char(&sb, *p);
    }
    if (sb.len < 2 || strcmp(sb.buf + sb.len - 2, "\r\n") != 0) sb_append(&sb, "\r\n");
    return sb_detach(&sb);
}

struct upload {
    const char *data;
    size_t len, pos;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *userp)
{
    struct upload *u = userp;
    size_t room = size * nitems, left = u->len - u->pos;
    size_t n = left < room ? left : room;
    memcpy(buf, u->data + u->pos, n);
    u->pos += n;
    return n;
}

/* The message's text on one log line: line breaks as " | ". */
static void log_instead(const char *to, const char *subject, const char *text)
{
    strbuf sb;
    sb_init(&sb);
    for (const char *p = text; *p; p++) {
        if (*p == '\n') sb_append(&sb, " | ");
        else if (*p != '\r') sb_append_char(&sb, *p);
    }
    log_info("mail: SMTP_URL is not set, so this message to %s was not sent: %s: %s", to, subject, sb.buf);
    sb_free(&sb);
}

int mail_send(const struct mail_cfg *cfg, const char *to, const char *subject, const char *text,
              long long now, struct mt_err *err)
{
    char *msg = mail_format(cfg, to, subject, text, now, err);
    if (!msg) return -1;
    if (!cfg->smtp_url || !*cfg->smtp_url) {
        log_instead(to, subject, text);
        free(msg);
        return 0;
    }
    char from[320], rcpt_s[330], from_s[330];
    mail_address(cfg->from, from, sizeof from);
    snprintf(from_s, sizeof from_s, "<%s>", from);
    snprintf(rcpt_s, sizeof rcpt_s, "<%s>", to);
    CURL *c = curl_easy_init();
    if (!c) {
        free(msg);
        return mt_errf(err, "mail: cannot start libcurl");
    }
    struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_s);
    struct upload up = {msg, strlen(msg), 0};
    bool auth = cfg->username && *cfg->username;
    curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_s);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)MAIL_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_USE_SSL, auth ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
    if (auth) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->username);
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    }
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    sodium_memzero(msg, strlen(msg)); /* it holds a sign-in link */
    free(msg);
    if (rc != CURLE_OK)
        return mt_errf(err, "mail: sending to the SMTP server failed: %s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
    return 0;
}
