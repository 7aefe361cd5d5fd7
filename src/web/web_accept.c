/* web_accept.c — see web_accept.h. Invariant: every accepted descriptor is either handed
 * to libmicrohttpd (which then owns it, and closes it when MHD_add_connection fails) or
 * closed here; none is leaked when the thread stops. */
#include "web/web_accept.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

int web_accept_listen(struct web_accept *a, const struct sockaddr_in *sa, int backlog,
                      uint16_t *port, struct mt_err *err)
{
    memset(a, 0, sizeof *a);
    a->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (a->fd < 0) return mt_err_set(err, MT_ERR_IO, "socket: %s", strerror(errno));
    int one = 1;
    struct sockaddr_in bound;
    socklen_t len = sizeof bound;
    if (setsockopt(a->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(a->fd, (const struct sockaddr *)sa, sizeof *sa) < 0 || listen(a->fd, backlog) < 0 ||
        getsockname(a->fd, (struct sockaddr *)&bound, &len) < 0) {
        int e = errno;
        close(a->fd);
        a->fd = -1;
        return mt_err_set(err, MT_ERR_IO, "%s", strerror(e));
    }
    *port = ntohs(bound.sin_port);
    return 0;
}

static void *accept_main(void *arg)
{
    struct web_accept *a = arg;
    while (!atomic_load(&a->stop)) {
        if (a->limit > 0 && web_guard_open(a->guard) >= a->limit) {
            /* full: let the backlog hold new connections until one closes */
            struct timespec nap = {0, 10 * 1000000L};
            nanosleep(&nap, NULL);
            continue;
        }
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        int c = accept4(a->fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
        if (c < 0) {
            if (atomic_load(&a->stop)) break;
            if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
            /* out of descriptors or memory: back off rather than spin */
            log_warn("serve: accept: %s", strerror(errno));
            struct timespec nap = {0, 50 * 1000000L};
            nanosleep(&nap, NULL);
            continue;
        }
        if (atomic_load(&a->stop)) {
            close(c);
            break;
        }
        if (MHD_add_connection(a->daemon, c, (const struct sockaddr *)&peer, len) == MHD_YES)
            atomic_fetch_add(&a->accepted, 1);
        else /* libmicrohttpd closed it: the per-IP cap, or no resources */
            atomic_fetch_add(&a->refused, 1);
    }
    return NULL;
}

int web_accept_start(struct web_accept *a, struct MHD_Daemon *daemon, struct web_guard *guard,
                     int limit, struct mt_err *err)
{
    a->daemon = daemon;
    a->guard = guard;
    a->limit = limit;
    atomic_store(&a->stop, false);
    int e = pthread_create(&a->thread, NULL, accept_main, a);
    if (e) return mt_err_set(err, MT_ERR_FAIL, "serve: cannot start the accept thread: %s", strerror(e));
    a->running = true;
    return 0;
}

void web_accept_stop(struct web_accept *a)
{
    if (!a->running) return;
    atomic_store(&a->stop, true);
    /* wakes the blocked accept4() (EINVAL); the descriptor is closed by web_accept_close */
    shutdown(a->fd, SHUT_RD);
    pthread_join(a->thread, NULL);
    a->running = false;
}

void web_accept_close(struct web_accept *a)
{
    web_accept_stop(a);
    if (a->fd >= 0) close(a->fd);
    a->fd = -1;
}
