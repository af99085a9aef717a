/* http: the libmicrohttpd daemon: start, drain, stop, and the callbacks that make each request an exchange. */
#ifndef PRODUCT_SEARCH_HTTP_H
#define PRODUCT_SEARCH_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "http_reply.h"
#include "http_watch.h"
#include "live.h"
#include "metrics.h"
#include "routes.h"

struct MHD_Daemon;

/* A running server; the catalog being served (live) and the metrics are
 * borrowed and must outlive it. */
struct http_server {
    struct MHD_Daemon *daemon;   /* the libmicrohttpd daemon */
    const struct config *cfg;    /* settings in force */
    struct metrics *metrics;     /* counters updated per request */
    atomic_bool draining;        /* /health answers 503 */
    atomic_bool stopping;        /* listener closed: no new requests */
    unsigned port;               /* port actually bound */
    struct http_replies replies; /* constant answers */
    struct http_watch watch;     /* open connections, deadlines, CONN_LIMIT */
    struct routes routes;        /* what the handlers read */
};

/* Starts serving on cfg's address and port. A request must be complete
 * (head and body, up to its answer) within cfg->conn_timeout_s of its
 * connection opening or of the previous answer on it; past that its
 * connection is closed, so a client trickling bytes cannot hold its slot.
 * Returns 0, or -1 with a reason in err (CONFIG_ERROR_MAX bytes). */
int http_server_start(struct http_server *s, const struct config *cfg, struct live *live,
                      struct metrics *metrics, char *err);

/* From now on /health answers 503 {"status":"draining"}. */
void http_server_drain(struct http_server *s);

/* Closes the listener and stops taking new requests, even on open keep-alive
 * connections (they are closed instead); lets the requests in flight finish
 * (waiting at most wait_ms), then stops the daemon and frees what s owns. */
void http_server_stop(struct http_server *s, unsigned wait_ms);

#endif
