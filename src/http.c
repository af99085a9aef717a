/* http: libmicrohttpd glue. One call of the access handler answers a request
 * without a body; requests with one are read to the end and refused. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "log.h"
#include "openapi.h"
#include "query.h"
#include "render.h"
#include "text.h"

enum {
    BODY_MAX = 64 * 1024, /* a larger body is refused before it is read */
    /* Per-connection pool. libmicrohttpd clears the used pool between
     * keep-alive requests, so its size is paid on every request: the default
     * 32 KB cost a third of a search's instructions (callgrind). 8 KB still
     * takes a 7 KB request head; a larger one gets 431. */
    CONN_MEMORY = 8 * 1024,
};

/* Markers stored in the per-request pointer: the request was counted, and
 * whether its body is still being read. */
static char REQ_COUNTED, REQ_IN_BODY;

static const char JSON_TYPE[] = "application/json";

/* A canned answer: its status and the body it is built from. */
struct canned_spec {
    unsigned status; /* HTTP status */
    const char *code;    /* error code; NULL for the health bodies */
    const char *message; /* error text, or the health body itself */
};

static const struct canned_spec CANNED[HTTP_CANNED_COUNT] = {
    [HTTP_CANNED_HEALTH_OK] = {200, NULL, NULL}, /* built with the product count */
    [HTTP_CANNED_HEALTH_DRAINING] = {503, NULL, "{\"status\":\"draining\"}"},
    [HTTP_CANNED_NOT_FOUND] = {404, "not_found", "no such route; try /products/search?q=..."},
    [HTTP_CANNED_METHOD] = {405, "method_not_allowed", "this route answers GET and HEAD only"},
    [HTTP_CANNED_BODY] = {400, "body_not_allowed", "requests to this service carry no body"},
    [HTTP_CANNED_BODY_TOO_LARGE] = {413, "body_not_allowed",
                                    "requests to this service carry no body"},
    [HTTP_CANNED_INTERNAL] = {500, "internal_error", "the server could not answer; try again"},
    [HTTP_CANNED_BAD_ID] = {400, "invalid_id",
                            "a product id is a positive decimal integer below 2^63, no sign, "
                            "no leading zeros"},
    [HTTP_CANNED_OPENAPI] = {200, NULL, NULL}, /* the embedded document */
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A response owning buf (freed by libmicrohttpd) with the headers every
 * answer carries; NULL, with buf freed, on failure. */
static struct MHD_Response *response_take(char *buf, size_t len, const char *content_type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, buf, &free);
    if (r == NULL) {
        free(buf);
        return NULL;
    }
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES ||
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

static int build_canned(struct http_server *s)
{
    for (size_t i = 0; i < HTTP_CANNED_COUNT; i++) {
        char *body;
        size_t len;
        if (i == HTTP_CANNED_OPENAPI) {
            /* the document is static: served from where it lies, never copied */
            const char *doc = openapi_document(&len);
            s->canned[i] = MHD_create_response_from_buffer(len, (void *)doc,
                                                           MHD_RESPMEM_PERSISTENT);
            if (s->canned[i] == NULL ||
                MHD_add_response_header(s->canned[i], MHD_HTTP_HEADER_CONTENT_TYPE, JSON_TYPE) !=
                    MHD_YES ||
                MHD_add_response_header(s->canned[i], "X-Content-Type-Options", "nosniff") !=
                    MHD_YES)
                return -1;
            s->canned_len[i] = len;
            continue;
        }
        if (i == HTTP_CANNED_HEALTH_OK) {
            body = malloc(64);
            if (body == NULL)
                return -1;
            len = (size_t)snprintf(body, 64, "{\"status\":\"ok\",\"products\":%zu}", s->cat->count);
        } else if (CANNED[i].code == NULL) {
            body = strdup(CANNED[i].message);
            len = body ? strlen(body) : 0;
        } else {
            body = render_error(CANNED[i].code, CANNED[i].message, &len);
        }
        if (body == NULL || (s->canned[i] = response_take(body, len, JSON_TYPE)) == NULL)
            return -1;
        s->canned_len[i] = len;
    }
    if (MHD_add_response_header(s->canned[HTTP_CANNED_METHOD], MHD_HTTP_HEADER_ALLOW,
                                "GET, HEAD") != MHD_YES)
        return -1;
    return 0;
}

static void destroy_canned(struct http_server *s)
{
    for (size_t i = 0; i < HTTP_CANNED_COUNT; i++) {
        if (s->canned[i] != NULL)
            MHD_destroy_response(s->canned[i]);
        s->canned[i] = NULL;
    }
}

/* One answer on its way: queues it, counts it, logs it. */
static enum MHD_Result answer(struct http_server *s, struct MHD_Connection *c,
                              enum metrics_route route, unsigned status,
                              struct MHD_Response *r, size_t bytes, uint64_t start,
                              const char *method, const char *url)
{
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    uint64_t took = now_ns() - start;
    metrics_observe(s->metrics, route, status, took);
    if (s->cfg->access_log)
        log_access(method, url, status, bytes, took);
    return ret;
}

static enum MHD_Result answer_canned(struct http_server *s, struct MHD_Connection *c,
                                     enum metrics_route route, enum http_canned which,
                                     uint64_t start, const char *method, const char *url)
{
    return answer(s, c, route, CANNED[which].status, s->canned[which], s->canned_len[which],
                  start, method, url);
}

/* Gathers the URL's parameters for query_parse(); past QUERY_MAX_PARAMS the
 * rest are ignored, as unknown parameters are. */
struct params {
    struct query_param p[QUERY_MAX_PARAMS]; /* in URL order */
    size_t n;                               /* entries used */
};

static enum MHD_Result add_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
    struct params *ps = cls;
    (void)kind;
    if (ps->n < QUERY_MAX_PARAMS)
        ps->p[ps->n++] = (struct query_param){key, key_size, value, value ? value_size : 0};
    return MHD_YES;
}

/* An error answer built for this request (freed after queuing). */
static enum MHD_Result answer_error(struct http_server *s, struct MHD_Connection *c,
                                    enum metrics_route route, unsigned status,
                                    const char *code, const char *message, uint64_t start,
                                    const char *method, const char *url)
{
    size_t len;
    char *body = render_error(code, message, &len);
    struct MHD_Response *r = body ? response_take(body, len, JSON_TYPE) : NULL;
    if (r == NULL)
        return answer_canned(s, c, route, HTTP_CANNED_INTERNAL, start, method, url);
    enum MHD_Result ret = answer(s, c, route, status, r, len, start, method, url);
    MHD_destroy_response(r);
    return ret;
}

/* GET /products/search: validate, search, render into one buffer. */
static enum MHD_Result handle_search(struct http_server *s, struct MHD_Connection *c,
                                     uint64_t start, const char *method, const char *url)
{
    struct params ps;
    struct search_request req;
    struct query_error qe;
    ps.n = 0;
    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, &add_param, &ps);
    if (query_parse(ps.p, ps.n, s->cfg->max_results, &req, &qe) != 0)
        return answer_error(s, c, METRICS_ROUTE_SEARCH, MHD_HTTP_BAD_REQUEST, qe.code,
                            qe.message, start, method, url);

    struct search_result res;
    if (search_run(s->idx, &req, s->cfg->scan_limit, &res) != 0) {
        log_error("search", "out of memory answering a search");
        return answer_canned(s, c, METRICS_ROUTE_SEARCH, HTTP_CANNED_INTERNAL, start, method,
                             url);
    }
    size_t len;
    char *body = render_search(s->cat, &res, &len);
    struct MHD_Response *r = body ? response_take(body, len, JSON_TYPE) : NULL;
    if (r == NULL) {
        log_error("response", "out of memory building a search answer");
        return answer_canned(s, c, METRICS_ROUTE_SEARCH, HTTP_CANNED_INTERNAL, start, method,
                             url);
    }
    enum MHD_Result ret = answer(s, c, METRICS_ROUTE_SEARCH, MHD_HTTP_OK, r, len, start, method,
                                 url);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle_metrics(struct http_server *s, struct MHD_Connection *c,
                                      uint64_t start, const char *method, const char *url)
{
    size_t len;
    char *body = metrics_render(s->metrics, &len);
    struct MHD_Response *r =
        body ? response_take(body, len, "text/plain; version=0.0.4; charset=utf-8") : NULL;
    if (r == NULL)
        return answer_canned(s, c, METRICS_ROUTE_METRICS, HTTP_CANNED_INTERNAL, start, method,
                             url);
    enum MHD_Result ret = answer(s, c, METRICS_ROUTE_METRICS, MHD_HTTP_OK, r, len, start,
                                 method, url);
    MHD_destroy_response(r);
    return ret;
}

/* True when the request announces a body (chunked, or a non-zero length);
 * *large when it is chunked or longer than BODY_MAX. */
static bool has_body(struct MHD_Connection *c, bool *large)
{
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_TRANSFER_ENCODING);
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    *large = false;
    if (te != NULL) {
        *large = true;
        return true;
    }
    if (cl == NULL)
        return false;
    unsigned long long n = strtoull(cl, NULL, 10);
    *large = n > BODY_MAX;
    return n > 0;
}

/* GET /products/{id}: one product from the whole catalog, whatever the
 * window a search checks. */
static enum MHD_Result handle_product(struct http_server *s, struct MHD_Connection *c,
                                      const char *seg, uint64_t start, const char *method,
                                      const char *url)
{
    uint64_t id;
    if (query_parse_id(seg, strlen(seg), &id) != 0)
        return answer_canned(s, c, METRICS_ROUTE_PRODUCT, HTTP_CANNED_BAD_ID, start, method, url);
    long k = catalog_find(s->cat, id);
    if (k < 0) {
        char msg[64];
        snprintf(msg, sizeof(msg), "no product has id %" PRIu64, id);
        return answer_error(s, c, METRICS_ROUTE_PRODUCT, MHD_HTTP_NOT_FOUND, "product_not_found",
                            msg, start, method, url);
    }
    size_t len;
    char *body = render_product(s->cat, &s->cat->items[k], &len);
    struct MHD_Response *r = body ? response_take(body, len, JSON_TYPE) : NULL;
    if (r == NULL)
        return answer_canned(s, c, METRICS_ROUTE_PRODUCT, HTTP_CANNED_INTERNAL, start, method,
                             url);
    enum MHD_Result ret = answer(s, c, METRICS_ROUTE_PRODUCT, MHD_HTTP_OK, r, len, start, method,
                                 url);
    MHD_destroy_response(r);
    return ret;
}

/* The route of a path, or METRICS_ROUTE_OTHER; *seg gets the id segment of
 * /products/{id} (one non-empty segment, no further '/'). */
static enum metrics_route route_of(const char *url, const char **seg)
{
    static const char PRODUCTS[] = "/products/";
    if (strcmp(url, "/products/search") == 0)
        return METRICS_ROUTE_SEARCH;
    if (strcmp(url, "/health") == 0)
        return METRICS_ROUTE_HEALTH;
    if (strcmp(url, "/metrics") == 0)
        return METRICS_ROUTE_METRICS;
    if (strcmp(url, "/openapi.json") == 0)
        return METRICS_ROUTE_OPENAPI;
    if (strncmp(url, PRODUCTS, sizeof(PRODUCTS) - 1) == 0) {
        *seg = url + sizeof(PRODUCTS) - 1;
        if (**seg != '\0' && strchr(*seg, '/') == NULL)
            return METRICS_ROUTE_PRODUCT;
    }
    return METRICS_ROUTE_OTHER;
}

static enum MHD_Result route(struct http_server *s, struct MHD_Connection *c, const char *url,
                             const char *method, uint64_t start)
{
    const char *seg = NULL;
    enum metrics_route rt = route_of(url, &seg);
    if (rt == METRICS_ROUTE_OTHER)
        return answer_canned(s, c, METRICS_ROUTE_OTHER, HTTP_CANNED_NOT_FOUND, start, method,
                             url);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return answer_canned(s, c, rt, HTTP_CANNED_METHOD, start, method, url);
    switch (rt) {
    case METRICS_ROUTE_SEARCH:
        return handle_search(s, c, start, method, url);
    case METRICS_ROUTE_PRODUCT:
        return handle_product(s, c, seg, start, method, url);
    case METRICS_ROUTE_OPENAPI:
        return answer_canned(s, c, rt, HTTP_CANNED_OPENAPI, start, method, url);
    case METRICS_ROUTE_HEALTH:
        return answer_canned(s, c, rt,
                             atomic_load(&s->draining) ? HTTP_CANNED_HEALTH_DRAINING
                                                       : HTTP_CANNED_HEALTH_OK,
                             start, method, url);
    default:
        return handle_metrics(s, c, start, method, url);
    }
}

/* libmicrohttpd calls this at least twice per request: once when the headers
 * are in, then once per chunk of body, then once with no data. Answering on
 * the first call would make it close the connection (it cannot know that no
 * body follows), so the answer waits for the last call; only a body too large
 * to read is refused at once, closing the connection. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    struct http_server *s = cls;
    uint64_t start = now_ns();
    (void)version;
    (void)upload_data;
    if (*req_cls == NULL) {
        /* Shutting down: a request that arrives now on a kept-alive
         * connection is not in flight; closing the connection (MHD_NO) lets
         * the client retry elsewhere, and lets the in-flight count reach 0. */
        if (atomic_load_explicit(&s->stopping, memory_order_relaxed))
            return MHD_NO;
        metrics_begin(s->metrics);
        *req_cls = &REQ_COUNTED;
        bool large;
        if (has_body(c, &large)) {
            if (large)
                return answer_canned(s, c, METRICS_ROUTE_OTHER, HTTP_CANNED_BODY_TOO_LARGE,
                                     start, method, url);
            *req_cls = &REQ_IN_BODY;
        }
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* read and dropped, so keep-alive survives */
        return MHD_YES;
    }
    if (*req_cls == &REQ_IN_BODY)
        return answer_canned(s, c, METRICS_ROUTE_OTHER, HTTP_CANNED_BODY, start, method, url);
    return route(s, c, url, method, start);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    (void)c;
    (void)toe;
    if (*req_cls != NULL)
        metrics_end(s->metrics);
    *req_cls = NULL;
}

/* Keeps the count of open connections that the accept policy reads. */
static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *s = cls;
    (void)c;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        atomic_fetch_add_explicit(&s->open_conns, 1, memory_order_relaxed);
    else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
        atomic_fetch_sub_explicit(&s->open_conns, 1, memory_order_relaxed);
}

/* Past CONN_LIMIT a new connection is accepted and closed at once, so the
 * client sees a close instead of waiting in the listen backlog (where
 * libmicrohttpd leaves it once its own limit is reached). */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http_server *s = cls;
    (void)addr;
    (void)addrlen;
    return atomic_load_explicit(&s->open_conns, memory_order_relaxed) < (long)s->cfg->conn_limit
               ? MHD_YES
               : MHD_NO;
}

enum {
    MHD_LOG_PER_SECOND = 20, /* libmicrohttpd messages written per second at most */
};

/* libmicrohttpd's messages, mostly about broken clients, as JSON error lines.
 * A flood of bad clients must not become a flood of log lines (CloudWatch
 * bills them), so past MHD_LOG_PER_SECOND a second the rest are counted and
 * reported as one line when the next second begins. The window is shared by
 * all threads; a race at its edge costs at most a line or two. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    static atomic_llong window;
    static atomic_uint written, dropped;
    (void)cls;
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
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_error("libmicrohttpd", msg);
}

/* Fills addr from an IPv4 or IPv6 literal and a port; returns the address
 * length, or 0 when bind is neither. With to_loopback, the wildcard addresses
 * (0.0.0.0, ::) become the loopback one, for a client of this server. */
static socklen_t sock_addr(struct sockaddr_storage *addr, const char *bind, unsigned port,
                           bool to_loopback)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    memset(addr, 0, sizeof(*addr));
    if (inet_pton(AF_INET, bind, &v4->sin_addr) == 1) {
        if (to_loopback && v4->sin_addr.s_addr == htonl(INADDR_ANY))
            v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return sizeof(*v4);
    }
    if (inet_pton(AF_INET6, bind, &v6->sin6_addr) == 1) {
        if (to_loopback && IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr))
            v6->sin6_addr = in6addr_loopback;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        return sizeof(*v6);
    }
    return 0;
}

int http_server_start(struct http_server *s, const struct config *cfg, const struct catalog *cat,
                      const struct search_index *idx, struct metrics *metrics, char *err)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->cat = cat;
    s->idx = idx;
    s->metrics = metrics;
    atomic_init(&s->draining, false);
    atomic_init(&s->stopping, false);
    atomic_init(&s->open_conns, 0);
    if (build_canned(s) != 0) {
        snprintf(err, CONFIG_ERROR_MAX, "out of memory building the constant answers");
        goto error;
    }

    struct sockaddr_storage addr;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (sock_addr(&addr, cfg->bind, cfg->port, false) == 0) {
        snprintf(err, CONFIG_ERROR_MAX, "invalid BIND \"%s\"", cfg->bind);
        goto error;
    }
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;

    /* The logger goes first so that option errors reach it; a pool is only
     * asked for when there is more than one thread. */
    struct MHD_OptionItem options[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)&mhd_log, NULL},
        {MHD_OPTION_SOCK_ADDR, 0, &addr},
        /* libmicrohttpd's own limit (split across pool threads) is never
         * reached: accept_policy enforces CONN_LIMIT over all threads. */
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->conn_limit * (cfg->threads + 1), NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)&notify_connection, s},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->conn_timeout_s, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)&completed, s},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY, NULL},
        {cfg->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
         (intptr_t)cfg->threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    s->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, &accept_policy, s, &handle, s,
                                 MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    if (s->daemon == NULL) {
        snprintf(err, CONFIG_ERROR_MAX,
                 "cannot listen on %s port %u (in use, or not allowed?)", cfg->bind, cfg->port);
        goto error;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    return 0;
error:
    destroy_canned(s);
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
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    for (unsigned waited = 0; waited < wait_ms; waited += 5) {
        if (atomic_load_explicit(&s->metrics->in_flight, memory_order_relaxed) <= 0)
            break;
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    destroy_canned(s);
}

int http_healthcheck(const struct config *cfg)
{
    struct sockaddr_storage addr;
    socklen_t addr_len = sock_addr(&addr, cfg->bind, cfg->port, true);
    if (addr_len == 0)
        return 1;
    int ret = 1;
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 1;
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    static const char req[] = "GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n";
    char buf[64];
    size_t got = 0;
    if (connect(fd, (struct sockaddr *)&addr, addr_len) != 0 ||
        send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
        goto out;
    while (got < 12) {
        ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (n <= 0)
            goto out;
        got += (size_t)n;
    }
    buf[got] = '\0';
    if (strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 8, " 200", 4) == 0)
        ret = 0;
out:
    close(fd);
    return ret;
}
