/* http: the libmicrohttpd daemon, routing, parameters and responses. */
#ifndef PRODUCT_SEARCH_HTTP_H
#define PRODUCT_SEARCH_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "config.h"
#include "metrics.h"
#include "search.h"

struct MHD_Daemon;
struct MHD_Response;
struct http_conn;

/* The canned answers, built once at start-up and shared by every request. */
enum http_canned {
    HTTP_CANNED_HEALTH_OK,
    HTTP_CANNED_HEALTH_DRAINING,
    HTTP_CANNED_NOT_FOUND,
    HTTP_CANNED_METHOD,
    HTTP_CANNED_BODY_TOO_LARGE,
    HTTP_CANNED_INTERNAL,
    HTTP_CANNED_BAD_ID,
    HTTP_CANNED_OPENAPI,
    HTTP_CANNED_BAD_HEAD,       /* framing the service refuses; closes the connection */
    HTTP_CANNED_HEAD_TOO_LARGE, /* head over 8 KB; closes the connection */
    HTTP_CANNED_COUNT,
};

/* A running server and what it serves; the catalog, index and metrics are
 * borrowed and must outlive it. */
struct http_server {
    struct MHD_Daemon *daemon;                       /* the libmicrohttpd daemon */
    const struct config *cfg;                        /* settings in force */
    const struct catalog *cat;                       /* products answered */
    const struct search_index *idx;                  /* text the scan reads */
    struct metrics *metrics;                         /* counters updated per request */
    atomic_bool draining;                            /* /health answers 503 */
    atomic_bool stopping;                            /* listener closed: no new requests */
    atomic_long open_conns;                          /* connections open now */
    unsigned port;                                   /* port actually bound */
    struct MHD_Response *canned[HTTP_CANNED_COUNT];  /* constant answers */
    size_t canned_len[HTTP_CANNED_COUNT];            /* their body sizes */
    pthread_mutex_t conns_lock;                      /* guards conns and watch_stop */
    pthread_cond_t watch_wake;                       /* wakes the watchdog to stop */
    struct http_conn *conns;                         /* open connections, for the watchdog */
    bool watch_stop;                                 /* the watchdog is to exit */
    bool watching;                                   /* the watchdog thread runs */
    pthread_t watchdog;                              /* closes requests past their deadline */
};

/* Starts serving on cfg's address and port. A request must be complete
 * (head and body, up to its answer) within cfg->conn_timeout_s of its
 * connection opening or of the previous answer on it; past that, a watchdog
 * closes the connection, so a client trickling bytes cannot hold its slot.
 * Returns 0, or -1 with a reason in err (CONFIG_ERROR_MAX bytes). */
int http_server_start(struct http_server *s, const struct config *cfg, const struct catalog *cat,
                      const struct search_index *idx, struct metrics *metrics, char *err);

/* From now on /health answers 503 {"status":"draining"}. */
void http_server_drain(struct http_server *s);

/* Closes the listener and stops taking new requests, even on open keep-alive
 * connections (they are closed instead); lets the requests in flight finish
 * (waiting at most wait_ms), then stops the daemon and frees what s owns. */
void http_server_stop(struct http_server *s, unsigned wait_ms);

/* GET /health on cfg's port over loopback (or cfg's bind address); returns
 * 0 when it answers 200 within two seconds, 1 otherwise. */
int http_healthcheck(const struct config *cfg);

#endif
