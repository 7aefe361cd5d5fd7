/* web_guard.h — connection fairness for `materia serve`: a deadline for each request head,
 * and shedding of slow or idle connections when the server is nearly full.
 *
 * libmicrohttpd's own idle timeout restarts on every byte, so a client sending one header
 * line every few seconds (slowloris) holds its slot forever, and enough of them keep every
 * other client out. The guard tracks every connection (MHD_OPTION_NOTIFY_CONNECTION) and
 * gives each one head_timeout_s to deliver a complete request head, counted from its
 * accept or from the end of its previous request (so an idle keep-alive connection is
 * also closed after head_timeout_s). While the server holds at least 3/4 of its
 * connection limit ("pressure"), that allowance drops to pressure_ms: connections that are
 * idle or still dribbling a head are shed first, so complete requests — /health among
 * them — keep getting slots. The per-IP cap is libmicrohttpd's own
 * (MHD_OPTION_PER_IP_CONNECTION_LIMIT), set by web_server.c.
 *
 * How a connection is closed: the reaper thread shutdown(2)s its socket; libmicrohttpd's
 * next poll sees the hang-up and closes the connection the ordinary way. This is safe
 * against fd reuse because libmicrohttpd (0.9.75, daemon.c) notifies
 * MHD_CONNECTION_NOTIFY_CLOSED before it closes the socket, and the notification removes
 * the record under the same mutex the reaper holds while it calls shutdown(). */
#ifndef MATERIA_WEB_GUARD_H
#define MATERIA_WEB_GUARD_H

#include <microhttpd.h>
#include "util/err.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct web_guard_conn;

struct web_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct web_guard_conn *head; /* every open connection, under mu */
    int open;                    /* connections in the list */
    int limit;                   /* the server's connection limit */
    long head_timeout_ms;
    long pressure_ms;
    bool stop;
    bool running;
    pthread_t thread;
    atomic_ullong reaped_deadline;  /* closed: no complete head within head_timeout */
    atomic_ullong reaped_pressure;  /* closed early while under pressure */
};

/* Starts the reaper thread. 0, or -1 with err. */
int web_guard_start(struct web_guard *g, int limit, long head_timeout_ms, long pressure_ms,
                    struct mt_err *err);
void web_guard_stop(struct web_guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION callback (cls = the guard). */
void web_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code);
/* The connection delivered a complete request head: no deadline while it is served. */
void web_guard_head_done(struct MHD_Connection *c);
/* Its request finished: the next head is due within head_timeout from now. */
void web_guard_request_done(struct MHD_Connection *c);
int web_guard_open(struct web_guard *g);

#endif
