/* check_http: every route of a real daemon on 127.0.0.1, port 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "catalog.h"
#include "config.h"
#include "http.h"
#include "metrics.h"
#include "search.h"
#include "suites.h"
#include "testutil.h"

/* ---- a live daemon ---- */

static struct tu_daemon live;

static void start(void)
{
    tu_daemon_start(&live, "5", "100000");
}

static void stop(void)
{
    tu_daemon_stop(&live);
}

/* GET target; asserts the status and a JSON content type; returns the body. */
static cJSON *get_json(const char *target, int status)
{
    struct tu_response r;
    char ct[64];
    ck_assert_int_eq(tu_request(live.server.port, "GET", target, &r), 0);
    ck_assert_msg(r.status == status, "%s: status %d, body %s", target, r.status, r.body);
    ck_assert_str_eq(tu_header(&r, "Content-Type", ct, sizeof(ct)), "application/json");
    ck_assert_str_eq(tu_header(&r, "X-Content-Type-Options", ct, sizeof(ct)), "nosniff");
    cJSON *j = tu_json(&r);
    ck_assert_msg(j != NULL, "%s: body is not JSON: %s", target, r.body);
    tu_response_deinit(&r);
    return j;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", k);
    return v->valuedouble;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsString(v), "%s is not a string", k);
    return v->valuestring;
}

/* /products/{id} answers the product object exactly as a search lists it,
 * from the whole catalog even beyond the search window. */
START_TEST(product_by_id_is_the_search_object)
{
    cJSON *one = get_json("/products/1", 200);
    cJSON *j = get_json("/products/search?q=alpha&limit=1", 200);
    ck_assert(cJSON_Compare(one, cJSON_GetArrayItem(cJSON_GetObjectItem(j, "products"), 0), 1));
    cJSON_Delete(one);
    cJSON_Delete(j);
    char target[64];
    snprintf(target, sizeof(target), "/products/%zu", live.gen->cat.count);
    cJSON *last = get_json(target, 200);
    ck_assert_int_eq((int)num(last, "id"), (int)live.gen->cat.count);
    cJSON_Delete(last);
}
END_TEST

/* /openapi.json serves docs/openapi.json byte for byte. */
START_TEST(openapi_document_is_the_file)
{
    FILE *f = fopen("docs/openapi.json", "rb");
    ck_assert_ptr_nonnull(f);
    static char want[1 << 20];
    size_t n = fread(want, 1, sizeof(want), f);
    fclose(f);
    struct tu_response r;
    ck_assert_int_eq(tu_request(live.server.port, "GET", "/openapi.json", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, n);
    ck_assert_int_eq(memcmp(r.body, want, n), 0);
    tu_response_deinit(&r);
}
END_TEST

START_TEST(search_answers_the_spec_shape)
{
    cJSON *j = get_json("/products/search?q=alpha", 200);
    const cJSON *products = cJSON_GetObjectItem(j, "products");
    ck_assert_int_eq(cJSON_GetArraySize(products), 10);
    ck_assert_int_eq((int)num(j, "total_found"), 10);
    ck_assert_int_eq((int)num(j, "checked"), 100);
    ck_assert_double_gt(num(j, "search_time_ns"), 0);
    const char *t = str(j, "search_time");
    ck_assert_int_eq(t[strlen(t) - 1], 's');
    const cJSON *p = cJSON_GetArrayItem(products, 0);
    ck_assert_int_eq((int)num(p, "id"), 1);
    ck_assert_str_eq(str(p, "name"), "Product Alpha 1");
    ck_assert_str_eq(str(p, "category"), "Electronics");
    ck_assert_str_eq(str(p, "description"), "Durable electronics item by Alpha.");
    ck_assert_str_eq(str(p, "brand"), "Alpha");
    ck_assert_double_eq_tol(num(p, "price"), 80.19, 1e-9);
    ck_assert_int_eq((int)num(cJSON_GetArrayItem(products, 9), "id"), 91);
    cJSON_Delete(j);
}
END_TEST

static const struct {
    const char *target;
    int total, listed;
} GOOD[] = {
    {"/products/search?q=alpha&limit=3", 10, 3},
    {"/products/search?q=ALPHA&limit=100", 10, 10},
    {"/products/search?q=product+alpha+1", 2, 2},     /* '+' is a space */
    {"/products/search?q=%41lpha", 10, 10},           /* percent-decoding */
    {"/products/search?q=%20%20electronics%09", 9, 9}, /* trimmed */
    {"/products/search?q=zzz-none", 0, 0},
    {"/products/search?q=product", 100, 20},          /* MAX_RESULTS by default */
    {"/products/search?q=caf%C3%A9", 0, 0},           /* valid UTF-8, no match */
    {"/products/search?limit=5&q=beta", 10, 5},
    {"/products/search?Q=x&q=beta&LIMIT=3", 10, 10},  /* names are exact: Q, LIMIT ignored */
};

START_TEST(good_queries)
{
    cJSON *j = get_json(GOOD[_i].target, 200);
    ck_assert_int_eq((int)num(j, "total_found"), GOOD[_i].total);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "products")), GOOD[_i].listed);
    cJSON_Delete(j);
}
END_TEST

static char long_q[300];

static const struct {
    const char *target;
    int status;
    const char *error;
} BAD[] = {
    {"/products/search", 400, "missing_query"},
    {"/products/search?limit=5", 400, "missing_query"},
    {"/products/search?q=", 400, "invalid_query"},
    {"/products/search?q", 400, "invalid_query"},
    {"/products/search?q=%20%09%0A", 400, "invalid_query"},
    {"/products/search?q=+++", 400, "invalid_query"},
    {"/products/search?q=%00", 400, "invalid_query"},
    {"/products/search?q=a%00b", 400, "invalid_query"},
    {"/products/search?q=%FF", 400, "invalid_query"},
    {"/products/search?q=%C3%28", 400, "invalid_query"},
    {"/products/search?q=%ED%A0%80", 400, "invalid_query"},
    {NULL /* long_q */, 400, "invalid_query"},
    {"/products/search?q=alpha&limit=0", 400, "invalid_limit"},
    {"/products/search?q=alpha&limit=101", 400, "invalid_limit"},
    {"/products/search?q=alpha&limit=-1", 400, "invalid_limit"},
    {"/products/search?q=alpha&limit=abc", 400, "invalid_limit"},
    {"/products/search?q=alpha&limit=5x", 400, "invalid_limit"},
    {"/products/search?q=alpha&limit=", 400, "invalid_limit"},
    {"/products/search?q=alpha&limit=1.5", 400, "invalid_limit"},
    {"/products/search?q=alpha&limit=%205", 400, "invalid_limit"},
    {"/products/search?q=beta&q=alpha", 400, "duplicate_parameter"},
    {"/products/abc", 400, "invalid_id"},
    {"/products/0", 400, "invalid_id"},
    {"/products/007", 400, "invalid_id"},
    {"/products/-1", 400, "invalid_id"},
    {"/products/9223372036854775808", 400, "invalid_id"},
    {"/products/999999999", 404, "product_not_found"},
    {"/products/9223372036854775807", 404, "product_not_found"},
    {"/products/1/x", 404, "not_found"},
    {"/products/search?Q=alpha", 400, "missing_query"},
    {"/products/search?q=a&offset=x", 400, "invalid_offset"},
    {"/products/search?q=a&sort=name", 400, "invalid_sort"},
    {"/products/search?q=a&category=", 400, "invalid_filter"},
    {"/products/search?q=a&brand=a,,b", 400, "invalid_filter"},
    {"/products/search?q=a&min_price=1.005", 400, "invalid_price"},
    {"/products/search?min_price=2&max_price=1", 400, "invalid_price"},
    {"/products/search?q=a&match=any", 400, "invalid_match"},
    {"/products/search?q=a&facets=price", 400, "invalid_facets"},
    {"/products/search?q=a+b+c+d+e+f+g+h+i&match=all", 400, "invalid_query"},
    {"/nope", 404, "not_found"},
    {"/index.html", 404, "not_found"}, /* the page is "/" only */
    {"/products/search/", 404, "not_found"},
    {"/products", 404, "not_found"},
    {"/health/x", 404, "not_found"},
    {"/HEALTH", 404, "not_found"},
};

START_TEST(bad_requests_get_json_errors)
{
    const char *target = BAD[_i].target;
    if (target == NULL) {
        strcpy(long_q, "/products/search?q=");
        memset(long_q + strlen(long_q), 'a', 257);
        target = long_q;
    }
    cJSON *j = get_json(target, BAD[_i].status);
    ck_assert_str_eq(str(j, "error"), BAD[_i].error);
    ck_assert_uint_gt(strlen(str(j, "message")), 0);
    cJSON_Delete(j);
}
END_TEST

static const char *const METHODS[] = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"};

START_TEST(other_methods_get_405_with_allow)
{
    static const char *const routes[] = {"/health", "/products/search?q=a", "/metrics",
                                         "/products/1", "/openapi.json", "/"};
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        struct tu_response r;
        char v[64];
        ck_assert_int_eq(tu_request(live.server.port, METHODS[_i], routes[i], &r), 0);
        ck_assert_int_eq(r.status, 405);
        ck_assert_str_eq(tu_header(&r, "Allow", v, sizeof(v)), "GET, HEAD");
        cJSON *j = tu_json(&r);
        ck_assert_str_eq(str(j, "error"), "method_not_allowed");
        cJSON_Delete(j);
        tu_response_deinit(&r);
    }
    struct tu_response r;
    ck_assert_int_eq(tu_request(live.server.port, METHODS[_i], "/nope", &r), 0);
    ck_assert_int_eq(r.status, 404);
    tu_response_deinit(&r);
}
END_TEST

START_TEST(head_has_headers_and_no_body)
{
    static const struct {
        const char *target;
        int status;
    } heads[] = {{"/health", 200}, {"/products/search?q=alpha", 200}, {"/nope", 404},
                 {"/products/search", 400}, {"/metrics", 200}, {"/products/5", 200},
                 {"/products/x", 400}, {"/openapi.json", 200}};
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        struct tu_response get, head;
        char a[32], b[32];
        int fd = tu_connect(live.server.port);
        char req[256];
        int n = snprintf(req, sizeof(req), "HEAD %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                         heads[i].target);
        ck_assert_int_eq(tu_send(fd, req, (size_t)n), 0);
        ck_assert_int_eq(tu_read_response(fd, true, &head), 0);
        ck_assert_int_eq(head.status, heads[i].status);
        char extra;
        ck_assert_int_eq(recv(fd, &extra, 1, 0), 0); /* nothing after the headers */
        close(fd);
        ck_assert_int_eq(tu_request(live.server.port, "GET", heads[i].target, &get), 0);
        ck_assert_str_eq(tu_header(&head, "Content-Type", a, sizeof(a)),
                         tu_header(&get, "Content-Type", b, sizeof(b)));
        if (i == 0) /* constant body: the same length announced */
            ck_assert_str_eq(tu_header(&head, "Content-Length", a, sizeof(a)), "33");
        tu_response_deinit(&get);
        tu_response_deinit(&head);
    }
}
END_TEST

/* Bodies a GET or HEAD may carry, as clients send them: Locust's fast client
 * sends its keyword arguments as a form body on every request. */
static const struct {
    const char *type; /* Content-Type */
    size_t len;       /* body bytes */
} BODIES[] = {
    {"application/x-www-form-urlencoded; charset=utf-8", 0},
    {"application/x-www-form-urlencoded; charset=utf-8", 1},
    {"application/x-www-form-urlencoded; charset=utf-8", 10},
    {"application/x-www-form-urlencoded; charset=utf-8", 65536},
    {"application/json", 0},
    {"application/json", 1},
    {"application/json", 10},
    {"application/json", 65536},
};
enum { NBODIES = sizeof(BODIES) / sizeof(BODIES[0]) };

/* Every route, its errors, and no route at all. */
static const char *const BODY_TARGETS[] = {
    "/products/search?q=alpha&limit=3", "/products/search?q=", "/products/1",
    "/products/999999999", "/products/x", "/health", "/openapi.json", "/metrics", "/nope",
};
enum { NTARGETS = sizeof(BODY_TARGETS) / sizeof(BODY_TARGETS[0]) };

/* A request for target carrying body i of BODIES (none when with_body is
 * false) in a heap buffer; *len gets its length. */
static char *request_with_body(const char *method, const char *target, size_t i, bool with_body,
                               size_t *len)
{
    size_t blen = with_body ? BODIES[i].len : 0;
    char *req = malloc(blen + 512);
    ck_assert_ptr_nonnull(req);
    int n = with_body ? sprintf(req, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                                     "Content-Length: %zu\r\n\r\n",
                                method, target, BODIES[i].type, blen)
                      : sprintf(req, "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", method, target);
    char *b = req + n;
    if (blen == 1) {
        b[0] = '1';
    } else if (blen > 0 && BODIES[i].type[12] == 'j') { /* {"t":"xx...x"} */
        memcpy(b, "{\"t\":\"", 6);
        memset(b + 6, 'x', blen - 8);
        memcpy(b + blen - 2, "\"}", 2);
    } else {
        for (size_t k = 0; k < blen; k++) /* timeout=10&timeout=10&... */
            b[k] = "timeout=10&"[k % 11];
    }
    *len = (size_t)n + blen;
    return req;
}

/* The response without what may differ between two identical requests:
 * the Date header, and the search time of a search answer (timed), with the
 * Content-Length that depends on its digits. */
static void normalise(struct tu_response *r, bool timed, char *head, size_t head_len)
{
    char *t = strstr(r->body, ",\"search_time\"");
    if (t != NULL)
        *t = '\0';
    head[0] = '\0';
    for (const char *line = r->headers; *line != '\0';) {
        const char *eol = strstr(line, "\r\n");
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        if (strncasecmp(line, "Date:", 5) != 0 &&
            !(timed && strncasecmp(line, "Content-Length:", 15) == 0))
            snprintf(head + strlen(head), head_len - strlen(head), "%.*s\n", (int)n, line);
        line += n + (eol ? 2 : 0);
    }
}

/* A GET or HEAD with a body of at most 64 KB is answered exactly as without
 * it, and the keep-alive connection goes on: both are asked on one connection. */
START_TEST(get_and_head_with_a_body_answer_as_without)
{
    int body = _i % NBODIES, target = (_i / NBODIES) % NTARGETS;
    const char *method = _i / (NBODIES * NTARGETS) ? "HEAD" : "GET";
    bool head = method[0] == 'H';
    int fd = tu_connect(live.server.port);
    ck_assert_int_ge(fd, 0);
    struct tu_response with, without;
    char a[2048], b[2048];
    size_t len;
    char *req = request_with_body(method, BODY_TARGETS[target], (size_t)body, true, &len);
    ck_assert_int_eq(tu_send(fd, req, len), 0);
    free(req);
    ck_assert_int_eq(tu_read_response(fd, head, &with), 0);
    ck_assert_msg(!with.closed, "%s %s with %zu bytes closed the connection", method,
                  BODY_TARGETS[target], BODIES[body].len);
    req = request_with_body(method, BODY_TARGETS[target], (size_t)body, false, &len);
    ck_assert_int_eq(tu_send(fd, req, len), 0);
    free(req);
    ck_assert_int_eq(tu_read_response(fd, head, &without), 0);
    close(fd);
    ck_assert_int_eq(with.status, without.status);
    ck_assert_int_ne(with.status, 413);
    if (strcmp(BODY_TARGETS[target], "/metrics") != 0) { /* counters move between the two */
        bool timed = strncmp(BODY_TARGETS[target], "/products/search?q=a", 20) == 0;
        normalise(&with, timed, a, sizeof(a));
        normalise(&without, timed, b, sizeof(b));
        ck_assert_str_eq(a, b);
        ck_assert_str_eq(with.body, without.body);
    }
    tu_response_deinit(&with);
    tu_response_deinit(&without);
}
END_TEST

/* A body is read and dropped, never run as a request: a request hidden in
 * the body of a pipelined GET is not answered, and the plain GET after it is. */
START_TEST(a_dropped_body_never_runs_as_a_request)
{
    static const char hidden[] = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET /products/search?q=beta&limit=1 HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: %zu\r\n\r\n%s"
                     "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                     sizeof(hidden) - 1, hidden);
    int fd = tu_connect(live.server.port);
    ck_assert_int_eq(tu_send(fd, req, (size_t)n), 0);
    struct tu_response r;
    ck_assert_int_eq(tu_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"total_found\":10"));
    tu_response_deinit(&r);
    ck_assert_int_eq(tu_read_response(fd, false, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"status\":\"ok\",\"products\":100000}");
    tu_response_deinit(&r);
    char extra;
    ck_assert_int_eq(recv(fd, &extra, 1, 0), 0); /* closed, and nothing else was answered */
    close(fd);
}
END_TEST

START_TEST(large_or_chunked_body_gets_413_and_close)
{
    static const char *const reqs[] = {
        "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\nxxxx",
        "HEAD /products/search?q=a HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\nx",
        "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nxxxx",
        "GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    };
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        int fd = tu_connect(live.server.port);
        struct tu_response r;
        ck_assert_int_eq(tu_send(fd, reqs[i], strlen(reqs[i])), 0);
        ck_assert_int_eq(tu_read_response(fd, strncmp(reqs[i], "HEAD", 4) == 0, &r), 0);
        ck_assert_int_eq(r.status, 413);
        ck_assert(r.closed);
        if (strncmp(reqs[i], "HEAD", 4) != 0)
            ck_assert_ptr_nonnull(strstr(r.body, "\"error\":\"body_too_large\""));
        tu_response_deinit(&r);
        close(fd);
    }
    /* and the server still answers */
    cJSON *j = get_json("/health", 200);
    cJSON_Delete(j);
}
END_TEST

START_TEST(keep_alive_hundreds_of_requests)
{
    int fd = tu_connect(live.server.port);
    ck_assert_int_ge(fd, 0);
    for (int i = 0; i < 500; i++) {
        const char *req = (i % 2) ? "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                                  : "GET /products/search?q=kappa&limit=2 HTTP/1.1\r\nHost: x\r\n\r\n";
        struct tu_response r;
        ck_assert_int_eq(tu_send(fd, req, strlen(req)), 0);
        ck_assert_int_eq(tu_read_response(fd, false, &r), 0);
        ck_assert_int_eq(r.status, 200);
        ck_assert(!r.closed);
        if (i % 2 == 0)
            ck_assert_ptr_nonnull(strstr(r.body, "\"total_found\":10"));
        tu_response_deinit(&r);
    }
    close(fd);
}
END_TEST

START_TEST(pipelined_requests_answered_in_order)
{
    int fd = tu_connect(live.server.port);
    static const char reqs[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /products/search?q=beta HTTP/1.1\r\nHost: x\r\n\r\n";
    int want[] = {200, 404, 200};
    ck_assert_int_eq(tu_send(fd, reqs, sizeof(reqs) - 1), 0);
    for (int i = 0; i < 3; i++) {
        struct tu_response r;
        ck_assert_int_eq(tu_read_response(fd, false, &r), 0);
        ck_assert_int_eq(r.status, want[i]);
        tu_response_deinit(&r);
    }
    close(fd);
}
END_TEST

START_TEST(health_then_draining)
{
    cJSON *j = get_json("/health", 200);
    ck_assert_str_eq(str(j, "status"), "ok");
    ck_assert_int_eq((int)num(j, "products"), 100000);
    cJSON_Delete(j);
    http_server_drain(&live.server);
    j = get_json("/health", 503);
    ck_assert_str_eq(str(j, "status"), "draining");
    cJSON_Delete(j);
    j = get_json("/products/search?q=alpha", 200); /* still serving while draining */
    cJSON_Delete(j);
}
END_TEST

START_TEST(metrics_count_requests)
{
    cJSON_Delete(get_json("/products/search?q=alpha", 200));
    cJSON_Delete(get_json("/products/search?q=alpha", 200));
    cJSON_Delete(get_json("/products/search", 400));
    cJSON_Delete(get_json("/nope", 404));
    struct tu_response r;
    char ct[64];
    ck_assert_int_eq(tu_request(live.server.port, "GET", "/metrics", &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(tu_header(&r, "Content-Type", ct, sizeof(ct)), "text/plain"));
    ck_assert_ptr_nonnull(strstr(r.body, "product_search_requests_total{route=\"/products/search\",code=\"200\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "product_search_requests_total{route=\"/products/search\",code=\"400\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "product_search_requests_total{route=\"other\",code=\"404\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "product_search_request_duration_seconds_count{route=\"/products/search\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "product_search_requests_in_flight 1\n")); /* this one */
    ck_assert_ptr_nonnull(strstr(r.body, "product_search_products_loaded 100000\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "product_search_build_info{"));
    tu_response_deinit(&r);
}
END_TEST

START_TEST(garbage_and_oversized_requests_are_refused_cleanly)
{
    static const char *const garbage[] = {
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n",
        "HELLO\r\n\r\n",
        "GET /health HTTP/9.9\r\n\r\n",
    };
    for (size_t i = 0; i < 3; i++) {
        int fd = tu_connect(live.server.port);
        struct tu_response r;
        ck_assert_int_eq(tu_send(fd, garbage[i], strlen(garbage[i])), 0);
        if (tu_read_response(fd, false, &r) == 0) /* an answer, when any, is a 4xx/5xx */
            ck_assert_int_ge(r.status, 400);
        tu_response_deinit(&r);
        close(fd);
    }
    /* a 64 KB URI and a 64 KB header */
    size_t big = 64 * 1024;
    char *req = malloc(big + 128);
    strcpy(req, "GET /products/search?q=");
    memset(req + strlen(req), 'a', big);
    strcpy(req + 23 + big, " HTTP/1.1\r\nHost: x\r\n\r\n");
    int fd = tu_connect(live.server.port);
    struct tu_response r;
    tu_send(fd, req, strlen(req));
    if (tu_read_response(fd, false, &r) == 0)
        ck_assert_int_ge(r.status, 400);
    tu_response_deinit(&r);
    close(fd);
    strcpy(req, "GET /health HTTP/1.1\r\nX-Big: ");
    memset(req + strlen(req), 'b', big);
    strcpy(req + 29 + big, "\r\n\r\n");
    fd = tu_connect(live.server.port);
    tu_send(fd, req, strlen(req));
    if (tu_read_response(fd, false, &r) == 0)
        ck_assert_int_ge(r.status, 400);
    tu_response_deinit(&r);
    close(fd);
    free(req);
    cJSON_Delete(get_json("/health", 200)); /* still up */
}
END_TEST

/* ---- the query splitter (no daemon) ---- */

/* Every parameter as "name" or "name=value" (bytes below 0x20 as \xNN), joined
 * by '|' after the count: what query_parse would see. */
static enum MHD_Result show_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
    char *out = cls;
    (void)kind;
    size_t n = strlen(out);
    if (out[n - 1] != ':')
        out[n++] = '|';
    for (size_t i = 0; i < key_size + (value ? value_size + 1 : 0); i++) {
        unsigned char ch = i < key_size ? (unsigned char)key[i]
                           : i == key_size ? '='
                                           : (unsigned char)value[i - key_size - 1];
        n += (size_t)(ch < 0x20 ? sprintf(out + n, "\\x%02x", ch) : sprintf(out + n, "%c", ch));
    }
    out[n] = '\0';
    return MHD_YES;
}

/* The splitting and decoding libmicrohttpd's own argument parser did:
 * '&' between parameters (empty ones kept), the first '=' ends the name, no
 * '=' is no value, '+' is a space, %XX decoded and a malformed % kept. */
static const struct {
    const char *query;
    const char *params;
} SPLITS[] = {
    {"", "0:"},
    {"q=alpha", "1:q=alpha"},
    {"a=1&b&=c&&d=%41+B", "5:a=1|b|=c||d=A B"},
    {"&", "1:"},
    {"a&", "1:a"},
    {"q=a%26b%3Dc", "1:q=a&b=c"},
    {"q=%zz%4", "1:q=%zz%4"},
    {"q=%00x&%71=1", "2:q=\\x00x|q=1"},
    {"a=b=c", "1:a=b=c"},
    {"+=+", "1: = "},
};

START_TEST(parameters_split_as_the_library_did)
{
    char query[64], out[256] = "?:"; /* the count goes first */
    snprintf(query, sizeof(query), "%s", SPLITS[_i].query);
    size_t n = http_frame_params(query, &show_param, out);
    ck_assert_uint_le(n, http_frame_params_max(SPLITS[_i].query));
    out[0] = (char)('0' + n);
    ck_assert_str_eq(out, SPLITS[_i].params);
}
END_TEST

Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("daemon");
    tcase_add_checked_fixture(tc, start, stop);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, search_answers_the_spec_shape);
    tcase_add_test(tc, product_by_id_is_the_search_object);
    tcase_add_test(tc, openapi_document_is_the_file);
    tcase_add_loop_test(tc, good_queries, 0, (int)(sizeof(GOOD) / sizeof(GOOD[0])));
    tcase_add_loop_test(tc, bad_requests_get_json_errors, 0, (int)(sizeof(BAD) / sizeof(BAD[0])));
    tcase_add_loop_test(tc, other_methods_get_405_with_allow, 0,
                        (int)(sizeof(METHODS) / sizeof(METHODS[0])));
    tcase_add_test(tc, head_has_headers_and_no_body);
    tcase_add_loop_test(tc, get_and_head_with_a_body_answer_as_without, 0,
                        2 * NBODIES * NTARGETS);
    tcase_add_test(tc, a_dropped_body_never_runs_as_a_request);
    tcase_add_test(tc, large_or_chunked_body_gets_413_and_close);
    tcase_add_test(tc, keep_alive_hundreds_of_requests);
    tcase_add_test(tc, pipelined_requests_answered_in_order);
    tcase_add_test(tc, health_then_draining);
    tcase_add_test(tc, metrics_count_requests);
    tcase_add_test(tc, garbage_and_oversized_requests_are_refused_cleanly);
    suite_add_tcase(s, tc);
    TCase *frame = tcase_create("frame");
    tcase_add_loop_test(frame, parameters_split_as_the_library_did, 0,
                        (int)(sizeof(SPLITS) / sizeof(SPLITS[0])));
    suite_add_tcase(s, frame);
    return s;
}
