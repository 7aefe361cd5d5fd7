/* test_webhook.c — unit tests for the alert texts' cut (pipeline/webhook.c): a text too long
 * for its buffer is cut at a UTF-8 character boundary, never inside a multibyte character
 * (a partial sequence makes the body invalid JSON text, which Slack and ntfy refuse).
 *
 * webhook_post's body is checked as it arrives at a one-request HTTP receiver on 127.0.0.1
 * (a thread here: accept, read the request, answer 200); the run notes are read back with
 * webhook_notes(). The receiver's accept has a 60 s guard so a broken sender fails the
 * test instead of hanging it; the synchronisation is the request's arrival itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pipeline/webhook.h"
#include "util/json.h"
#include "util/strbuf.h"

#define EURO "\xE2\x82\xAC" /* U+20AC, three bytes */
#define E_ACUTE "\xC3\xA9"  /* U+00E9, two bytes */

struct receiver {
    int lfd, port;
    pthread_t th;
    strbuf request; /* headers and body of the one request */
    const char *body; /* into request, after the headers; NULL if none arrived */
};

static void *serve_one(void *arg)
{
    struct receiver *r = arg;
    int fd = accept(r->lfd, NULL, NULL);
    if (fd < 0) return NULL;
    struct timeval tv = {60, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    long want = -1;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        sb_append_len(&r->request, buf, (size_t)n);
        char *end = strstr(r->request.buf, "\r\n\r\n");
        if (end && want < 0) {
            const char *cl = strcasestr(r->request.buf, "Content-Length:");
            want = cl && cl < end ? strtol(cl + 15, NULL, 10) : 0;
        }
        if (end && (long)(r->request.len - (size_t)(end + 4 - r->request.buf)) >= want) {
            r->body = end + 4;
            break;
        }
    }
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ssize_t w = write(fd, ok, sizeof ok - 1);
    (void)w;
    close(fd);
    return NULL;
}

static void receiver_start(struct receiver *r)
{
    memset(r, 0, sizeof *r);
    sb_init(&r->request);
    r->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(r->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(r->lfd, 4), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&a, &al), 0);
    r->port = ntohs(a.sin_port);
    struct timeval tv = {60, 0}; /* the guard: accept fails instead of waiting forever */
    assert_int_equal(setsockopt(r->lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    assert_int_equal(pthread_create(&r->th, NULL, serve_one, r), 0);
}

static void receiver_finish(struct receiver *r)
{
    pthread_join(r->th, NULL);
    close(r->lfd);
}

static void start_webhook(const char *url)
{
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.s.alert_webhook_url = url;
    cfg.s.alert_webhook_topic = "";
    cfg.s.landing_dir = "/nonexistent-landing";
    struct mt_err err = MT_ERR_INIT;
    if (webhook_start(&cfg, &err) < 0) fail_msg("webhook_start: %s", err.msg);
    assert_true(webhook_enabled());
}

/* A text of WEBHOOK_TEXT_MAX + 100 bytes whose three-byte character starts two bytes before
 * the cut: the message arrives as the whole characters before it, and valid JSON. */
static void test_post_cuts_text_at_a_character_boundary(void **state)
{
    (void)state;
    struct receiver r;
    receiver_start(&r);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", r.port);
    start_webhook(url);

    size_t before = WEBHOOK_TEXT_MAX - 3; /* the euro sign covers bytes MAX-3 .. MAX-1: cut */
    strbuf text;
    sb_init(&text);
    for (size_t i = 0; i < before; i++) sb_append_char(&text, 'a');
    sb_append(&text, EURO);
    for (int i = 0; i < 100; i++) sb_append_char(&text, 'b');
    webhook_post(WEBHOOK_FAILURE, "materia: test", "%s", text.buf);
    receiver_finish(&r);
    webhook_stop();

    if (!r.body) fail_msg("no request body arrived: %s", r.request.buf);
    struct json j;
    struct mt_err err = MT_ERR_INIT;
    if (json_parse(r.body, &j, &err) < 0) fail_msg("the body is not JSON (%s): %s", err.msg, r.body);
    const char *msg = json_str(&j, "message");
    assert_int_equal(strlen(msg), before); /* the 'a's, without the cut euro sign's first bytes */
    assert_int_equal(strspn(msg, "a"), before);
    assert_int_equal(utf8_whole_len(msg, strlen(msg)), strlen(msg));
    json_free(&j);
    sb_free(&text);
    sb_free(&r.request);
}

/* The run notes' fields: the message (512 bytes) and a landed path (256) with a two-byte
 * character across their last byte keep only the whole characters before it. */
static void test_notes_cut_at_a_character_boundary(void **state)
{
    (void)state;
    struct webhook_run_notes probe;
    start_webhook("http://127.0.0.1:9/"); /* nothing is posted: only the notes are used */
    webhook_notes_clear();

    size_t mlen = sizeof probe.message - 2; /* é covers the last byte that fits and the NUL's */
    strbuf msg;
    sb_init(&msg);
    for (size_t i = 0; i < mlen; i++) sb_append_char(&msg, 'x');
    sb_append(&msg, E_ACUTE "tail");
    webhook_note_finished("run-1", msg.buf);

    size_t plen = sizeof probe.landed[0].path - 3; /* the euro sign: its third byte would not fit */
    strbuf path;
    sb_init(&path);
    for (size_t i = 0; i < plen; i++) sb_append_char(&path, 'p');
    sb_append(&path, EURO "/x.csv");
    webhook_note_landed("psd", path.buf, 7);

    const struct webhook_run_notes *n = webhook_notes();
    assert_int_equal(strlen(n->message), mlen);
    assert_int_equal(strspn(n->message, "x"), mlen);
    assert_int_equal(n->n_landed, 1);
    assert_int_equal(strlen(n->landed[0].path), plen);
    assert_int_equal(strspn(n->landed[0].path, "p"), plen);
    /* a text that fits is kept whole, multibyte characters included */
    webhook_note_finished("run-2", "caf" E_ACUTE " " EURO);
    assert_string_equal(n->message, "caf" E_ACUTE " " EURO);
    webhook_stop();
    sb_free(&msg);
    sb_free(&path);
}

/* utf8_whole_len itself: every cut position of 1- to 4-byte characters. */
static void test_utf8_whole_len(void **state)
{
    (void)state;
    const char *s = "a" E_ACUTE EURO "\xF0\x9F\x98\x80"; /* 1 + 2 + 3 + 4 bytes */
    /* for each len, where the whole characters end */
    static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10};
    for (size_t len = 0; len <= 10; len++) assert_int_equal(utf8_whole_len(s, len), want[len]);
    /* bytes that are not UTF-8 are left alone: a stray continuation byte, ASCII */
    assert_int_equal(utf8_whole_len("\x80\x80", 2), 2);
    assert_int_equal(utf8_whole_len("abc", 3), 3);
    char dst[5];
    str_copy_utf8(dst, sizeof dst, "ab" EURO);
    assert_string_equal(dst, "ab");
    str_copy_utf8(dst, sizeof dst, "a" EURO);
    assert_string_equal(dst, "a" EURO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_cuts_text_at_a_character_boundary),
        cmocka_unit_test(test_notes_cut_at_a_character_boundary),
        cmocka_unit_test(test_utf8_whole_len),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
