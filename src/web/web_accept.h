/* web_accept.h — the listening socket of `materia serve` and the thread that accepts on it.
 *
 * Why not libmicrohttpd's own: in poll mode (web_server.c says why poll) each worker accepts
 * one connection per poll iteration, and an iteration over hundreds of busy connections
 * takes milliseconds — a burst of 500 or 1,000 new connections waited up to seconds in the
 * backlog (bench/RESULTS.md, issue 10). This thread accepts as fast as they come and hands
 * each connection to libmicrohttpd (MHD_add_connection, which wakes a worker and applies
 * the per-IP cap). At the connection limit it stops accepting — connections then wait in
 * the kernel's backlog, as they did with libmicrohttpd's own socket — and looks again
 * every 10 ms (web_guard.c sheds slow connections meanwhile).
 *
 * Lifetime: web_accept_listen() (bind, before the daemon starts) → web_accept_start()
 * → web_accept_stop() (shutdown(2) wakes the thread; the socket listens no more, so new
 * connections are refused while in-flight requests finish) → web_accept_close(). */
#ifndef MATERIA_WEB_ACCEPT_H
#define MATERIA_WEB_ACCEPT_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "web/web_guard.h"

struct web_accept {
    int fd;                    /* the listening socket, -1 when closed */
    pthread_t thread;
    bool running;
    atomic_bool stop;
    struct MHD_Daemon *daemon;
    struct web_guard *guard;
    int limit;                 /* the connection limit: no accept while it is reached */
    atomic_ullong accepted;    /* handed to libmicrohttpd */
    atomic_ullong refused;     /* refused by it (per-IP cap, or out of resources) */
};

/* Binds and listens on sa (port 0: any); *port gets the bound port. 0, or -1 with err. */
int web_accept_listen(struct web_accept *a, const struct sockaddr_in *sa, int backlog,
                      uint16_t *port, struct mt_err *err);
/* Starts the accept thread for daemon. 0, or -1 with err. */
int web_accept_start(struct web_accept *a, struct MHD_Daemon *daemon, struct web_guard *guard,
                     int limit, struct mt_err *err);
/* Stops accepting and joins the thread. Safe to call twice. */
void web_accept_stop(struct web_accept *a);
/* Closes the socket (after web_accept_stop). */
void web_accept_close(struct web_accept *a);

#endif
