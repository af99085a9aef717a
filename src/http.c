/* http: libmicrohttpd glue. Each request is one exchange: the first handler
 * call checks its framing, head size, route, method and body policy; a GET or
 * HEAD with a small body is answered on the last call, once the body has
 * been read and dropped; routes answer the rest. */
#include "http.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base.h"
#include "log.h"

enum {
    /* Per-connection pool: the read buffer holding the head, the library's
     * list of its headers (about 50 bytes each) and the response headers.
     * libmicrohttpd clears the used part between keep-alive requests, so a
     * larger pool costs little; 16 KB answers any HTTP_HEAD_MAX head of
     * ordinary headers, cookies included. A head that does not fit gets the
     * library's own 431. */
    CONN_MEMORY = 20 * 1024,
};

/* Where a request stands, stored in the per-request pointer: one marker per
 * phase and route, static, so that no request allocates. The URI log
 * callback sets SEEN (the request line is in); the first handler call moves
 * it to COUNTED (answered, or answer due on the last call, after any body
 * has been read and dropped). */
enum req_phase { REQ_SEEN, REQ_COUNTED, REQ_PHASES };
static char REQ_MARK[REQ_PHASES][HTTP_ROUTE_COUNT];

static void *req_mark(enum req_phase phase, enum http_route route)
{
    return &REQ_MARK[phase][route];
}

/* Reads a marker back; false when p is not one (NULL). */
static bool req_read(const void *p, enum req_phase *phase, enum http_route *route)
{
    if (p == NULL)
        return false;
    size_t i = (size_t)((const char *)p - &REQ_MARK[0][0]);
    *phase = (enum req_phase)(i / HTTP_ROUTE_COUNT);
    *route = (enum http_route)(i % HTTP_ROUTE_COUNT);
    return true;
}

/* The route of a request as this server answers it: with UI off, the
 * search page's path is no route, answered as any unknown path is. */
static enum http_route served_route(const struct http_server *s, enum http_route rt)
{
    return rt == HTTP_ROUTE_UI && !s->cfg->ui ? HTTP_ROUTE_OTHER : rt;
}

/* Called by libmicrohttpd with the raw request target as soon as the request
 * line is in, before it splits off the query and decodes the path. The
 * marker becomes the request's per-request pointer, and makes the library
 * report the end of every request to completed(), even one it refuses on its
 * own.
 *
 * The query is held back from the library: left to it, libmicrohttpd 0.9.75
 * records every parameter in the connection's memory pool (CONN_MEMORY), and
 * a few hundred of them fill it, after which it neither answers nor closes
 * the connection (1.0 answers its own 431). Its first byte is kept aside in
 * the connection's request record and a NUL written in its place (the target
 * lies in the library's read buffer; it is const only in this callback's
 * type), so the library's parser finds nothing; the first handler call puts
 * the byte back and routes read every parameter with http_frame_params. */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct http_watch_request *rq = http_watch_request(c);
    void *marker = req_mark(REQ_SEEN, served_route(cls, http_frame_route_raw(uri)));
    if (rq != NULL && uri != NULL) {
        size_t len = strlen(uri);
        char *mark = memchr(uri, '?', len);
        bool bad = !http_frame_target_ok(uri, len);
        *rq = (struct http_watch_request){uri, uri + len, NULL, '\0', bad};
        if (mark != NULL) {
            rq->query = mark + 1;
            rq->query_first = mark[1];
            mark[1] = '\0';
        }
    }
    return marker;
}

/* libmicrohttpd's unescaper (MHD_http_unescape), which it calls for the
 * path right after uri_seen. A call for anything else is for a parameter the
 * library found after a raw NUL in the target, where uri_seen could not hold
 * the query back: the request is refused, and every '&' after this parameter
 * (up to the end of the target) is blanked, so that the library records at
 * most two parameters instead of filling the pool. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    struct http_watch_request *rq = http_watch_request(c);
    (void)cls;
    if (rq != NULL && s != rq->target) {
        rq->bad = true;
        for (char *p = s + strlen(s) + 1; *p != '\0'; p++)
            if (*p == '&')
                *p = '=';
    }
    return MHD_http_unescape(s);
}

static bool method_allowed(const char *method)
{
    return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* The first handler call: the head is complete. In this order: framing (400
 * and close), head size (431 and close), route (404), method (405), then the
 * body policy of GET and HEAD: a body of at most HTTP_BODY_MAX bytes with a
 * Content-Length is read and dropped and the request answered as if it had
 * none (as Go's net/http and nginx do); a larger or chunked one gets 413 and a
 * close. A refusal is queued at once; with a body announced the library then
 * closes the connection instead of reading it, so its bytes never run as a
 * request. Returns MHD_YES with *req_cls set, or the queued answer's result. */
static enum MHD_Result first_call(const struct exchange *ex, const char *version, void **req_cls)
{
    *req_cls = req_mark(REQ_COUNTED, ex->route);
    struct http_watch_request *rq = http_watch_request(ex->conn);
    if (rq == NULL) /* no record for this connection: memory ran out */
        return http_reply_canned(ex, HTTP_CANNED_INTERNAL);
    if (rq->query != NULL)
        rq->query[0] = rq->query_first; /* the library is done with the request line */
    const union MHD_ConnectionInfo *size =
        MHD_get_connection_info(ex->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    struct http_line line = {ex->method, rq->target, rq->target_end, version};
    struct http_head h;
    if (size == NULL || rq->bad || !http_frame_check(ex->conn, &line, size->header_size, &h))
        return http_reply_canned(ex, HTTP_CANNED_BAD_HEAD);
    if (size->header_size > HTTP_HEAD_MAX)
        return http_reply_canned(ex, HTTP_CANNED_HEAD_TOO_LARGE);
    bool get = method_allowed(ex->method);
    bool dropped = get && h.encodings == 0 && h.length <= HTTP_BODY_MAX; /* read, then answered */
    /* Without a body, or with one to drop, the answer waits for the last
     * call, which keeps the connection open; queued now, it would close it. */
    if ((h.encodings == 0 && h.length == 0) || dropped)
        return MHD_YES;
    if (ex->route == HTTP_ROUTE_OTHER)
        return http_reply_canned(ex, HTTP_CANNED_NOT_FOUND);
    return http_reply_canned(ex, get ? HTTP_CANNED_BODY_TOO_LARGE : HTTP_CANNED_METHOD);
}

/* libmicrohttpd calls this at least twice per request: once when the headers
 * are in, then once per chunk of body, then once with no data. Answering on
 * the first call would make it close the connection when a body follows, so
 * the answer waits for the last call; refusals that must close are queued at
 * once (first_call). */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    struct http_server *s = cls;
    enum req_phase phase;
    enum http_route rt;
    (void)upload_data;
    if (!req_read(*req_cls, &phase, &rt)) /* no URI log call: route the decoded path */
        phase = REQ_SEEN, rt = served_route(s, http_frame_route(url, strlen(url)));
    struct exchange ex = {c, &s->replies, s->metrics, s->cfg->access_log, rt, clock_ns(), method,
                          url, NULL};
    if (phase == REQ_SEEN) {
        /* Shutting down: a request that arrives now on a kept-alive
         * connection is not in flight; closing the connection (MHD_NO) lets
         * the client retry elsewhere, and lets the in-flight count reach 0. */
        if (atomic_load_explicit(&s->stopping, memory_order_relaxed))
            return MHD_NO;
        metrics_begin(s->metrics);
        return first_call(&ex, version, req_cls);
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* read and dropped, so keep-alive survives */
        return MHD_YES;
    }
    if (rt != HTTP_ROUTE_OTHER && !method_allowed(method))
        return http_reply_canned(&ex, HTTP_CANNED_METHOD);
    struct http_watch_request *rq = http_watch_request(c);
    ex.query = rq ? rq->query : NULL;
    return routes_answer(&s->routes, &ex);
}

/* The end of every request whose request line was read. One the handler never
 * saw was refused by the library itself (a Content-Length it cannot parse, a
 * head too large for the pool): it is counted here, under the route of its
 * target, with the status the library queued and no duration. */
static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    enum req_phase phase;
    enum http_route rt;
    (void)toe;
    http_watch_waiting(c); /* the next request on c starts waiting */
    struct http_watch_request *rq = http_watch_request(c);
    if (rq != NULL) /* its pointers lie in a buffer the library now reuses */
        *rq = (struct http_watch_request){NULL, NULL, NULL, '\0', false};
    if (req_read(*req_cls, &phase, &rt)) {
        if (phase != REQ_SEEN) {
            metrics_end(s->metrics);
        } else {
            const union MHD_ConnectionInfo *st =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
            if (st != NULL && st->http_status != 0)
                metrics_observe(s->metrics, rt, st->http_status, 0);
        }
    }
    *req_cls = NULL;
}

enum {
    MHD_LOG_PER_SECOND = 20, /* libmicrohttpd messages written per second at most */
};

/* Descriptors the process needs besides its connections: standard streams,
 * the listener, a catalog file being read, one to accept and close a
 * connection past the limit, and margin; and per thread, libmicrohttpd's
 * epoll and event descriptors. */
static unsigned nofile_reserve(unsigned threads)
{
    return 32 + 2 * threads;
}

/* CONN_LIMIT as the open-files limit allows it: the soft limit is raised to
 * the hard one, and when CONN_LIMIT connections still do not fit, the limit
 * is lowered to what fits, with one error line saying so. Returns the
 * limit, 0 when not a single connection fits (err set). */
static unsigned fit_conn_limit(const struct config *cfg, char *err)
{
    unsigned long long soft, hard;
    unsigned reserve = nofile_reserve(cfg->threads);
    unsigned fit = http_watch_fit_nofile(cfg->conn_limit, reserve, &soft, &hard);
    if (fit == 0) {
        snprintf(err, CONFIG_ERROR_MAX,
                 "RLIMIT_NOFILE %llu (hard %llu) leaves no descriptor for connections: the "
                 "process needs %u for itself",
                 soft, hard, reserve);
    } else if (fit < cfg->conn_limit) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "RLIMIT_NOFILE %llu (hard %llu) holds %u connections, not CONN_LIMIT %u: "
                 "serving at most %u; raise the limit (ulimit -n, the task's nofile ulimit) "
                 "or lower CONN_LIMIT",
                 soft, hard, fit, cfg->conn_limit, fit);
        log_error("conn_limit", msg);
    }
    return fit;
}

/* libmicrohttpd's messages as JSON lines. Those about a client's own mistake
 * (a request the library refused with a 4xx or 505, a connection the client
 * broke) are info lines, as nginx logs them; the rest are errors. The close
 * of a request refused during shutdown is expected and not logged. A flood of
 * bad clients must not become a flood of log lines (CloudWatch bills them), so
 * past MHD_LOG_PER_SECOND a second the rest are counted and reported as one
 * line when the next second begins. The window is shared by all threads; a
 * race at its edge costs at most a line or two. */
/* True when a library message is about the client's request or connection,
 * not about the server (messages of libmicrohttpd 0.9.75). */
static bool client_fault(const char *msg)
{
    static const char *const PREFIXES[] = {
        "Error processing request (HTTP response code is 4",
        "Error processing request (HTTP response code is 505",
        "Failed to parse `Content-Length' header",
        "Too large value of 'Content-Length' header",
        "Not enough memory in pool to allocate header record",
        "Not enough memory in pool to parse cookies",
        "Received HTTP/1.1 request without `Host' header",
        "Connection socket is closed when reading request",
        "Connection was closed by remote side with incomplete request",
    };
    for (size_t i = 0; i < COUNT_OF(PREFIXES); i++)
        if (strncmp(msg, PREFIXES[i], strlen(PREFIXES[i])) == 0)
            return true;
    return false;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    static atomic_llong window;
    static atomic_uint written, dropped;
    static const char SHUTDOWN_CLOSE[] = "Application reported internal error";
    const struct http_server *s = cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* While stopping, the handler closes every new request on purpose
     * (http_server_stop); the library reports each as an internal error. */
    if (atomic_load_explicit(&s->stopping, memory_order_relaxed) &&
        strncmp(msg, SHUTDOWN_CLOSE, sizeof(SHUTDOWN_CLOSE) - 1) == 0)
        return;
    long long now = (long long)time(NULL);
    if (atomic_exchange(&window, now) != now) {
        unsigned lost = atomic_exchange(&dropped, 0);
        atomic_store(&written, 0);
        if (lost > 0) {
            char note[96];
            snprintf(note, sizeof(note), "%u further messages suppressed in the last second",
                     lost);
            log_error("libmicrohttpd", note);
        }
    }
    if (atomic_fetch_add(&written, 1) >= MHD_LOG_PER_SECOND) {
        atomic_fetch_add(&dropped, 1);
        return;
    }
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    if (client_fault(msg)) {
        cJSON *fields = cJSON_CreateObject();
        if (fields != NULL)
            cJSON_AddStringToObject(fields, "message", msg);
        log_info("libmicrohttpd", fields);
    } else {
        log_error("libmicrohttpd", msg);
    }
}

int http_server_start(struct http_server *s, const struct config *cfg, struct live *live,
                      struct metrics *metrics, char *err)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->metrics = metrics;
    atomic_init(&s->draining, false);
    atomic_init(&s->stopping, false);
    s->routes = (struct routes){cfg, live, metrics, &s->draining};
    unsigned conn_limit = fit_conn_limit(cfg, err);
    http_watch_init(&s->watch, conn_limit, cfg->conn_timeout_s);
    if (conn_limit == 0)
        goto error;
    if (http_replies_init(&s->replies) != 0) {
        snprintf(err, CONFIG_ERROR_MAX, "out of memory building the constant answers");
        goto error;
    }

    struct sockaddr_storage addr;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (config_sockaddr(&addr, cfg->bind, cfg->port, false) == 0) {
        snprintf(err, CONFIG_ERROR_MAX, "invalid BIND \"%s\"", cfg->bind);
        goto error;
    }
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;

    /* The logger goes first so that option errors reach it; a pool is only
     * asked for when there is more than one thread. */
    struct MHD_OptionItem options[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)&mhd_log, s},
        {MHD_OPTION_SOCK_ADDR, 0, &addr},
        /* libmicrohttpd's own limit (split across pool threads) is never
         * reached: the accept policy enforces CONN_LIMIT over all threads. */
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)conn_limit * (cfg->threads + 1), NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)&http_watch_notify, &s->watch},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->conn_timeout_s, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)&completed, s},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)&uri_seen, s},
        {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)&unescape, s},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY, NULL},
        {cfg->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
         (intptr_t)cfg->threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    s->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, &http_watch_accept, &s->watch,
                                 &handle, s, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    if (s->daemon == NULL) {
        snprintf(err, CONFIG_ERROR_MAX,
                 "cannot listen on %s port %u (in use, or not allowed?)", cfg->bind, cfg->port);
        goto error;
    }
    if (http_watch_start(&s->watch) != 0) {
        snprintf(err, CONFIG_ERROR_MAX, "cannot start the request watchdog thread");
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
        goto error;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    return 0;
error:
    http_replies_deinit(&s->replies);
    http_watch_deinit(&s->watch);
    return -1;
}

void http_server_drain(struct http_server *s)
{
    atomic_store(&s->draining, true);
}

void http_server_stop(struct http_server *s, unsigned wait_ms)
{
    if (s->daemon == NULL)
        return;
    atomic_store(&s->stopping, true);
    /* New connections are closed by the accept policy until the daemon
     * stops and closes the listening socket. Not MHD_quiesce_daemon: on an
     * epoll daemon it races the worker threads, which remove the listening
     * socket from their epoll sets too, and the loser aborts the process
     * ("Failed to remove listen FD from epoll set", libmicrohttpd 0.9.75). */
    http_watch_refuse(&s->watch);
    for (unsigned waited = 0; waited < wait_ms; waited += 5) {
        if (atomic_load_explicit(&s->metrics->in_flight, memory_order_relaxed) <= 0)
            break;
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    http_watch_deinit(&s->watch);
    http_replies_deinit(&s->replies);
}
