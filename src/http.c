/* http: libmicrohttpd glue. One call of the access handler answers a request
 * without a body; a GET or HEAD with a small body is answered on the last
 * call, once the body has been read and dropped. */
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
#include <strings.h>
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
    HEAD_MAX = 8 * 1024,  /* a larger request head (request line to blank line) gets 431 */
    /* Per-connection pool: the read buffer holding the head, the library's
     * list of its headers (about 50 bytes each) and the response headers.
     * libmicrohttpd clears the used part between keep-alive requests, so a
     * larger pool costs little; 16 KB answers any HEAD_MAX head of ordinary
     * headers, cookies included. A head that does not fit gets the library's
     * own 431. */
    CONN_MEMORY = 20 * 1024,
};

/* Where a request stands, stored in the per-request pointer: one marker per
 * phase and route. The URI log callback sets SEEN (the request line is in);
 * the first handler call moves it to COUNTED (answered, or answer due on the
 * last call, after any body has been read and dropped). */
enum req_phase { REQ_SEEN, REQ_COUNTED, REQ_PHASES };
static char REQ_MARK[REQ_PHASES][METRICS_ROUTE_COUNT];

static void *req_mark(enum req_phase phase, enum metrics_route route)
{
    return &REQ_MARK[phase][route];
}

/* Reads a marker back; false when p is not one (NULL). */
static bool req_read(const void *p, enum req_phase *phase, enum metrics_route *route)
{
    if (p == NULL)
        return false;
    size_t i = (size_t)((const char *)p - &REQ_MARK[0][0]);
    *phase = (enum req_phase)(i / METRICS_ROUTE_COUNT);
    *route = (enum metrics_route)(i % METRICS_ROUTE_COUNT);
    return true;
}

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
    [HTTP_CANNED_BODY_TOO_LARGE] = {413, "body_too_large",
                                    "a GET or HEAD body over 64 KB, or a chunked one, is not "
                                    "read; the connection is closed"},
    [HTTP_CANNED_INTERNAL] = {500, "internal_error", "the server could not answer; try again"},
    [HTTP_CANNED_BAD_ID] = {400, "invalid_id",
                            "a product id is a positive decimal integer below 2^63, no sign, "
                            "no leading zeros"},
    [HTTP_CANNED_OPENAPI] = {200, NULL, NULL}, /* the embedded document */
    [HTTP_CANNED_BAD_HEAD] = {400, "bad_request",
                              "malformed or ambiguous request head; the connection is closed"},
    [HTTP_CANNED_HEAD_TOO_LARGE] = {431, "header_too_large",
                                    "request head over 8 KB; the connection is closed"},
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
                                "GET, HEAD") != MHD_YES ||
        MHD_add_response_header(s->canned[HTTP_CANNED_BAD_HEAD], MHD_HTTP_HEADER_CONNECTION,
                                "close") != MHD_YES ||
        MHD_add_response_header(s->canned[HTTP_CANNED_HEAD_TOO_LARGE],
                                MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
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

/* One open connection, as the watchdog sees it (the socket context). */
struct http_conn {
    struct http_conn *prev, *next; /* in http_server.conns */
    int fd;                        /* its socket */
    atomic_llong since_ms;         /* waiting for a request to complete since; 0: answered */
    bool cut;                      /* the watchdog has shut it down */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Marks c's current request as waiting since now (ms), or answered (0). */
static void conn_mark(struct MHD_Connection *c, long long ms)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct http_conn *conn = info ? info->socket_context : NULL;
    if (conn != NULL)
        atomic_store_explicit(&conn->since_ms, ms, memory_order_relaxed);
}

/* One answer on its way: queues it, counts it, logs it. */
static enum MHD_Result answer(struct http_server *s, struct MHD_Connection *c,
                              enum metrics_route route, unsigned status,
                              struct MHD_Response *r, size_t bytes, uint64_t start,
                              const char *method, const char *url)
{
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    conn_mark(c, 0);
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

/* libmicrohttpd before 1.0 keeps the request line and each header field in
 * place in its read buffer; the fold and raw-NUL checks below read that
 * layout, so they are made only where it is known. 1.0 handles both itself. */
static const bool LIBRARY_0_9 = MHD_VERSION < 0x01000000;

/* What one pass over the request's header fields found. */
struct head_scan {
    unsigned hosts;     /* Host fields */
    unsigned lengths;   /* Content-Length fields */
    unsigned encodings; /* Transfer-Encoding fields */
    bool bad;           /* a name that is not a token, a folded line, a bad length */
    unsigned long long length; /* the Content-Length value, saturated */
};

/* RFC 9110 tchar: the bytes a field name may hold. */
static bool is_tchar(unsigned char ch)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && memchr(extra, ch, sizeof(extra) - 1) != NULL);
}

static bool name_is(const char *key, size_t key_size, const char *name, size_t len)
{
    return key_size == len && strncasecmp(key, name, len) == 0;
}

/* One header field. libmicrohttpd 0.9.75 keeps a field as "name\0<blanks>value"
 * in its read buffer; an obsolete folded line makes it append the next line to
 * the *name* and move the name elsewhere in the pool, so a value that does not
 * follow its name at once reveals the fold. Only addresses are compared until
 * the value is known to lie a few bytes after the name. */
static enum MHD_Result scan_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
    struct head_scan *h = cls;
    (void)kind;
    if (key_size == 0 || value == NULL)
        goto bad;
    for (size_t i = 0; i < key_size; i++)
        if (!is_tchar((unsigned char)key[i]))
            goto bad;
    uintptr_t name_end = (uintptr_t)key + key_size, at = (uintptr_t)value;
    if (LIBRARY_0_9 && (at <= name_end || at - name_end > 64))
        goto bad;
    for (const char *p = key + key_size + 1; LIBRARY_0_9 && p < value; p++)
        if (*p != ' ' && *p != '\t')
            goto bad;
    if (name_is(key, key_size, "host", 4)) {
        h->hosts++;
    } else if (name_is(key, key_size, "content-length", 14)) {
        h->lengths++;
        if (value_size == 0)
            goto bad;
        unsigned long long n = 0;
        for (size_t i = 0; i < value_size; i++) {
            if (value[i] < '0' || value[i] > '9')
                goto bad;
            if (n <= BODY_MAX)
                n = n * 10 + (unsigned)(value[i] - '0');
        }
        h->length = n;
    } else if (name_is(key, key_size, "transfer-encoding", 17)) {
        h->encodings++;
    }
    return MHD_YES;
bad:
    h->bad = true;
    return MHD_NO;
}

/* The framing rules a request head must meet before anything else looks at
 * it (RFC 9112 sections 3.2, 5 and 6): field names are tokens, no folded
 * lines, at most one Content-Length (plain digits) or Transfer-Encoding and
 * not both, exactly one Host in HTTP/1.1 and at most one before. libmicrohttpd
 * 0.9.75 lets all of these through, and the bytes after such a head would run
 * as a second request. Returns true when the head is well framed. */
static bool head_is_framed(struct MHD_Connection *c, const char *version, struct head_scan *h)
{
    memset(h, 0, sizeof(*h));
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, &scan_field, h);
    if (h->bad || h->lengths > 1 || h->encodings > 1 || (h->lengths && h->encodings))
        return false;
    if (h->hosts > 1 || (h->hosts == 0 && strcmp(version, MHD_HTTP_VERSION_1_1) == 0))
        return false;
    return true;
}

static const char PRODUCTS[] = "/products/";
enum { PRODUCTS_LEN = sizeof(PRODUCTS) - 1 };

/* The route of a request target: origin form ("/health?x") or absolute form
 * ("http://host/health?x", routed by its path). len is the target up to the
 * query. */
static enum metrics_route classify(const char *target, size_t len)
{
    if (len > 0 && target[0] != '/') {
        const char *scheme = memchr(target, ':', len);
        if (scheme == NULL || (size_t)(target + len - scheme) < 3 || scheme[1] != '/' ||
            scheme[2] != '/')
            return METRICS_ROUTE_OTHER;
        const char *host = scheme + 3;
        const char *path = memchr(host, '/', (size_t)(target + len - host));
        if (path == NULL)
            return METRICS_ROUTE_OTHER; /* "http://host" is "/" */
        len -= (size_t)(path - target);
        target = path;
    }
    if (len == 16 && memcmp(target, "/products/search", 16) == 0)
        return METRICS_ROUTE_SEARCH;
    if (len == 7 && memcmp(target, "/health", 7) == 0)
        return METRICS_ROUTE_HEALTH;
    if (len == 8 && memcmp(target, "/metrics", 8) == 0)
        return METRICS_ROUTE_METRICS;
    if (len == 13 && memcmp(target, "/openapi.json", 13) == 0)
        return METRICS_ROUTE_OPENAPI;
    /* /products/{id}: one non-empty segment; its value is checked later */
    if (len > PRODUCTS_LEN && memcmp(target, PRODUCTS, PRODUCTS_LEN) == 0 &&
        memchr(target + PRODUCTS_LEN, '/', len - PRODUCTS_LEN) == NULL)
        return METRICS_ROUTE_PRODUCT;
    return METRICS_ROUTE_OTHER;
}

/* Called by libmicrohttpd with the raw request target as soon as the request
 * line is in (before it splits off the query and decodes the path). Routes on
 * the raw path, so a path holding "%00", or a raw NUL that would cut the
 * decoded path short ("/health\0x"), routes nowhere. The library has put a NUL
 * where the space before the version was, and the version follows it; when
 * the first NUL is not that one, the target held a raw NUL. The result becomes
 * the request's per-request pointer, and makes the library report the end of
 * every request to completed(), even one it refuses on its own. */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    if (uri == NULL)
        return req_mark(REQ_SEEN, METRICS_ROUTE_OTHER);
    size_t len = strlen(uri);
    if (LIBRARY_0_9 && strncmp(uri + len + 1, "HTTP/", 5) != 0)
        return req_mark(REQ_SEEN, METRICS_ROUTE_OTHER);
    const char *query = memchr(uri, '?', len);
    size_t path_len = query ? (size_t)(query - uri) : len;
    for (size_t i = 0; i + 2 < path_len; i++)
        if (uri[i] == '%' && uri[i + 1] == '0' && uri[i + 2] == '0')
            return req_mark(REQ_SEEN, METRICS_ROUTE_OTHER);
    return req_mark(REQ_SEEN, classify(uri, path_len));
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

static bool method_allowed(const char *method)
{
    return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* The answer to a request whose head is complete, on its last handler call. */
static enum MHD_Result route(struct http_server *s, struct MHD_Connection *c,
                             enum metrics_route rt, const char *url, const char *method,
                             uint64_t start)
{
    switch (rt) {
    case METRICS_ROUTE_SEARCH:
        return handle_search(s, c, start, method, url);
    case METRICS_ROUTE_PRODUCT:
        /* the decoded path; an absolute-form target keeps its scheme and host */
        return handle_product(s, c, strstr(url, PRODUCTS) + PRODUCTS_LEN, start, method, url);
    case METRICS_ROUTE_OPENAPI:
        return answer_canned(s, c, rt, HTTP_CANNED_OPENAPI, start, method, url);
    case METRICS_ROUTE_HEALTH:
        return answer_canned(s, c, rt,
                             atomic_load(&s->draining) ? HTTP_CANNED_HEALTH_DRAINING
                                                       : HTTP_CANNED_HEALTH_OK,
                             start, method, url);
    case METRICS_ROUTE_METRICS:
        return handle_metrics(s, c, start, method, url);
    default:
        return answer_canned(s, c, rt, HTTP_CANNED_NOT_FOUND, start, method, url);
    }
}

/* The first handler call: the head is complete. In this order: framing (400
 * and close), head size (431 and close), route (404), method (405), then the
 * body policy of GET and HEAD: a body of at most BODY_MAX bytes with a
 * Content-Length is read and dropped and the request answered as if it had
 * none (as Go's net/http and nginx do); a larger or chunked one gets 413 and a
 * close. A refusal is queued at once; with a body announced the library then
 * closes the connection instead of reading it, so its bytes never run as a
 * request. Returns MHD_YES with *req_cls set, or the queued answer's result. */
static enum MHD_Result first_call(struct http_server *s, struct MHD_Connection *c,
                                  enum metrics_route rt, const char *url, const char *method,
                                  const char *version, uint64_t start, void **req_cls)
{
    *req_cls = req_mark(REQ_COUNTED, rt);
    struct head_scan h;
    if (!head_is_framed(c, version, &h))
        return answer_canned(s, c, rt, HTTP_CANNED_BAD_HEAD, start, method, url);
    const union MHD_ConnectionInfo *size =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (size != NULL && size->header_size > HEAD_MAX)
        return answer_canned(s, c, rt, HTTP_CANNED_HEAD_TOO_LARGE, start, method, url);
    bool get = method_allowed(method);
    bool dropped = get && h.encodings == 0 && h.length <= BODY_MAX; /* read, then answered */
    /* Without a body, or with one to drop, the answer waits for the last
     * call, which keeps the connection open; queued now, it would close it. */
    if ((h.encodings == 0 && h.length == 0) || dropped)
        return MHD_YES;
    if (rt == METRICS_ROUTE_OTHER)
        return answer_canned(s, c, rt, HTTP_CANNED_NOT_FOUND, start, method, url);
    return answer_canned(s, c, rt, get ? HTTP_CANNED_BODY_TOO_LARGE : HTTP_CANNED_METHOD, start,
                         method, url);
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
    uint64_t start = now_ns();
    enum req_phase phase;
    enum metrics_route rt;
    (void)upload_data;
    if (!req_read(*req_cls, &phase, &rt)) /* no URI log call: route the decoded path */
        phase = REQ_SEEN, rt = classify(url, strlen(url));
    if (phase == REQ_SEEN) {
        /* Shutting down: a request that arrives now on a kept-alive
         * connection is not in flight; closing the connection (MHD_NO) lets
         * the client retry elsewhere, and lets the in-flight count reach 0. */
        if (atomic_load_explicit(&s->stopping, memory_order_relaxed))
            return MHD_NO;
        metrics_begin(s->metrics);
        return first_call(s, c, rt, url, method, version, start, req_cls);
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* read and dropped, so keep-alive survives */
        return MHD_YES;
    }
    if (rt != METRICS_ROUTE_OTHER && !method_allowed(method))
        return answer_canned(s, c, rt, HTTP_CANNED_METHOD, start, method, url);
    return route(s, c, rt, url, method, start);
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
    enum metrics_route rt;
    (void)toe;
    conn_mark(c, now_ms()); /* the next request on c starts waiting */
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

/* Keeps the count of open connections that the accept policy reads, and the
 * list the watchdog walks. The library calls CLOSED before it closes the
 * socket, so a connection in the list always has its socket open. */
static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *s = cls;
    struct http_conn *conn = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add_explicit(&s->open_conns, 1, memory_order_relaxed);
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn = info ? calloc(1, sizeof(*conn)) : NULL;
        if (conn == NULL)
            return; /* not watched; the idle timeout still applies */
        conn->fd = info->connect_fd;
        atomic_init(&conn->since_ms, now_ms());
        pthread_mutex_lock(&s->conns_lock);
        conn->next = s->conns;
        if (s->conns != NULL)
            s->conns->prev = conn;
        s->conns = conn;
        pthread_mutex_unlock(&s->conns_lock);
        *socket_context = conn;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        atomic_fetch_sub_explicit(&s->open_conns, 1, memory_order_relaxed);
        if (conn == NULL)
            return;
        pthread_mutex_lock(&s->conns_lock);
        if (conn->prev != NULL)
            conn->prev->next = conn->next;
        else
            s->conns = conn->next;
        if (conn->next != NULL)
            conn->next->prev = conn->prev;
        pthread_mutex_unlock(&s->conns_lock);
        free(conn);
        *socket_context = NULL;
    }
}

enum {
    WATCH_PERIOD_MS = 250, /* how often the watchdog looks */
};

/* libmicrohttpd 0.9.75 has only an idle timeout: a client sending a byte a
 * second keeps its connection forever. Every WATCH_PERIOD_MS this thread
 * shuts down the socket of each connection whose request has waited longer
 * than CONN_TIMEOUT_S (plus a second); the library then sees the end of the
 * stream and closes it (and reports the request's end as usual). */
static void *watchdog(void *arg)
{
    struct http_server *s = arg;
    /* A second past the idle timeout, so that the library closes idle
     * connections itself and this thread only cuts the ones kept busy. */
    long long limit = (long long)s->cfg->conn_timeout_s * 1000 + 1000;
    pthread_mutex_lock(&s->conns_lock);
    while (!s->watch_stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WATCH_PERIOD_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->watch_wake, &s->conns_lock, &until);
        long long now = now_ms();
        for (struct http_conn *conn = s->conns; conn != NULL; conn = conn->next) {
            long long since = atomic_load_explicit(&conn->since_ms, memory_order_relaxed);
            if (since != 0 && now - since > limit && !conn->cut) {
                shutdown(conn->fd, SHUT_RDWR);
                conn->cut = true;
            }
        }
    }
    pthread_mutex_unlock(&s->conns_lock);
    return NULL;
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
    for (size_t i = 0; i < sizeof(PREFIXES) / sizeof(PREFIXES[0]); i++)
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
    pthread_mutex_init(&s->conns_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->watch_wake, &ca);
    pthread_condattr_destroy(&ca);
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
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)&mhd_log, s},
        {MHD_OPTION_SOCK_ADDR, 0, &addr},
        /* libmicrohttpd's own limit (split across pool threads) is never
         * reached: accept_policy enforces CONN_LIMIT over all threads. */
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->conn_limit * (cfg->threads + 1), NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)&notify_connection, s},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->conn_timeout_s, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)&completed, s},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)&uri_seen, s},
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
    if (pthread_create(&s->watchdog, NULL, &watchdog, s) != 0) {
        snprintf(err, CONFIG_ERROR_MAX, "cannot start the request watchdog thread");
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
        goto error;
    }
    s->watching = true;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    return 0;
error:
    destroy_canned(s);
    pthread_cond_destroy(&s->watch_wake);
    pthread_mutex_destroy(&s->conns_lock);
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
    if (s->watching) {
        pthread_mutex_lock(&s->conns_lock);
        s->watch_stop = true;
        pthread_cond_signal(&s->watch_wake);
        pthread_mutex_unlock(&s->conns_lock);
        pthread_join(s->watchdog, NULL);
        s->watching = false;
    }
    pthread_cond_destroy(&s->watch_wake);
    pthread_mutex_destroy(&s->conns_lock);
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
