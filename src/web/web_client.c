/* web_client.c — who the client of a request is (web_server.h: web_parse_proxies,
 * web_client_ip), for the per-address limits of the account routes and the API.
 *
 * The TCP peer is the client unless it is one of MATERIA_TRUSTED_PROXIES (nginx on this
 * host, typically 127.0.0.1): then X-Forwarded-For is read from the right, and the first
 * entry that is not a trusted proxy is the client — the one the proxy itself appended.
 * Entries further left are whatever the client sent and are never believed; from a peer
 * that is not trusted the header is ignored altogether. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "web/web_server.h"

int web_parse_proxies(const char *list, uint32_t *out, int *n, struct mt_err *err)
{
    *n = 0;
    const char *p = list ? list : "";
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        size_t len = strcspn(p, ", ");
        char one[64];
        if (len >= sizeof one) return mt_errf(err, "MATERIA_TRUSTED_PROXIES: an entry is too long");
        memcpy(one, p, len);
        one[len] = '\0';
        struct in_addr ia;
        if (inet_pton(AF_INET, one, &ia) != 1)
            return mt_errf(err, "MATERIA_TRUSTED_PROXIES: '%s' is not an IPv4 address", one);
        if (*n >= WEB_MAX_PROXIES)
            return mt_errf(err, "MATERIA_TRUSTED_PROXIES: at most %d addresses", WEB_MAX_PROXIES);
        out[(*n)++] = ia.s_addr;
        p += len;
    }
    return 0;
}

static bool trusted_v4(const struct web_server *srv, uint32_t a)
{
    for (int i = 0; i < srv->n_trusted; i++)
        if (srv->trusted[i] == a) return true;
    return false;
}

void web_client_ip(const struct web_server *srv, struct MHD_Connection *c, char *out, size_t outlen)
{
    snprintf(out, outlen, "-");
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)outlen);
        return;
    }
    if (sa->sa_family != AF_INET) return;
    uint32_t peer = ((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr;
    struct in_addr ia = {peer};
    inet_ntop(AF_INET, &ia, out, (socklen_t)outlen);
    if (!trusted_v4(srv, peer)) return;
    const char *xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
    if (!xff) return;
    /* right to left: the first entry that is not one of our proxies is the client */
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end;
        while (start > xff && start[-1] != ',') start--;
        const char *s = start, *e = end;
        while (s < e && (*s == ' ' || *s == '\t')) s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
        char one[INET6_ADDRSTRLEN];
        size_t len = (size_t)(e - s);
        struct in_addr a4;
        struct in6_addr a6;
        if (!len || len >= sizeof one) return; /* malformed: keep the proxy's own address */
        memcpy(one, s, len);
        one[len] = '\0';
        if (inet_pton(AF_INET, one, &a4) == 1) {
            if (!trusted_v4(srv, a4.s_addr)) {
                snprintf(out, outlen, "%s", one);
                return;
            }
        } else if (inet_pton(AF_INET6, one, &a6) == 1) {
            snprintf(out, outlen, "%s", one);
            return;
        } else {
            return;
        }
        end = start > xff ? start - 1 : xff;
    }
}

void web_client_bucket(const char *ip, char *out, size_t outlen)
{
    char a[INET6_ADDRSTRLEN];
    snprintf(a, sizeof a, "%s", ip);
    struct in6_addr x;
    if (strchr(a, ':') && inet_pton(AF_INET6, a, &x) == 1) {
        memset(x.s6_addr + 8, 0, 8);
        if (!inet_ntop(AF_INET6, &x, a, sizeof a)) snprintf(a, sizeof a, "%s", ip);
    }
    snprintf(out, outlen, "ip:%s", a);
}
