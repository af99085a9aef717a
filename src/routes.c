/* routes: one handler per route: parameters in (query), the catalog
 * generation held for the request (live) and its engine (search), JSON out
 * (render), handed to http_reply. */
#include "routes.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "catalog.h"
#include "log.h"
#include "query.h"
#include "render.h"
#include "search.h"

static const char JSON_TYPE[] = "application/json";

enum {
    HEALTH_MAX = 160, /* the longest health body, with room to spare */
};

/* Gathers the URL's parameters for query_parse(), every one of them: a
 * filter or a duplicate past any count must not go unseen. */
struct params {
    struct query_param *p; /* in URL order; room for http_frame_params_max() */
    size_t n;              /* entries used */
};

static enum MHD_Result add_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
    struct params *ps = cls;
    (void)kind;
    ps->p[ps->n++] = (struct query_param){key, key_size, value, value ? value_size : 0};
    return MHD_YES;
}

/* The version header of an answer from generation g. */
static struct http_header version_of(const struct live_gen *g)
{
    return (struct http_header){ROUTES_VERSION_HEADER, g->version};
}

/* 503 to a search while g's whole-catalog index is being built: the
 * reference would answer, but at 1,000,000 products it takes seconds of a
 * worker thread, so the request is refused at once instead, for a client or
 * a load balancer to try again (/health says starting meanwhile). */
static enum MHD_Result starting(const struct exchange *ex, const struct live_gen *g)
{
    size_t len;
    char *body = render_error("starting",
                              "the catalog is being indexed; retry in a moment", &len);
    struct http_header extra[] = {version_of(g), {MHD_HTTP_HEADER_RETRY_AFTER, "1"}};
    return http_reply_body_with(ex, MHD_HTTP_SERVICE_UNAVAILABLE, body, len, JSON_TYPE, extra,
                                COUNT_OF(extra));
}

/* GET /products/search with its parameters: validate, search, render into
 * one buffer; the answer names the catalog it came from. */
static enum MHD_Result search_with(const struct routes *r, const struct exchange *ex,
                                   const struct params *ps)
{
    struct request req;
    struct query_error qe;
    if (query_parse(ps->p, ps->n, r->cfg->max_results, &req, &qe) != 0)
        return http_reply_error(ex, MHD_HTTP_BAD_REQUEST, qe.code, qe.message);
    struct live_gen *g = live_acquire(r->live);
    enum MHD_Result ret;
    struct result res;
    if (!search_ready(&g->engine)) {
        ret = starting(ex, g);
    } else if (search_run(&g->engine, &req, r->cfg->scan_limit, &res) != 0) {
        log_error("search", "out of memory answering a search");
        ret = http_reply_canned(ex, HTTP_CANNED_INTERNAL);
    } else {
        size_t len;
        char *body = render_search(&g->cat, &req, &res, &len);
        if (body == NULL)
            log_error("response", "out of memory building a search answer");
        struct http_header extra = version_of(g);
        ret = http_reply_body_with(ex, MHD_HTTP_OK, body, len, JSON_TYPE, &extra, 1);
    }
    live_release(g);
    return ret;
}

/* GET /products/search: the parameters on the stack, or on the heap when
 * the URL holds more than QUERY_MAX_PARAMS (an 8 KB head holds at most about
 * 4,000). */
static enum MHD_Result search(const struct routes *r, const struct exchange *ex)
{
    struct query_param few[QUERY_MAX_PARAMS];
    struct params ps = {few, 0};
    size_t most = http_frame_params_max(ex->query);
    enum MHD_Result ret;
    if (most > QUERY_MAX_PARAMS && (ps.p = malloc(most * sizeof(*ps.p))) == NULL) {
        log_error("search", "out of memory reading the parameters");
        ret = http_reply_canned(ex, HTTP_CANNED_INTERNAL);
    } else {
        http_frame_params(ex->query, &add_param, &ps);
        ret = search_with(r, ex, &ps);
    }
    if (ps.p != few)
        free(ps.p);
    return ret;
}

/* GET /products/{id}: one product from the whole catalog, whatever the
 * window a search checks (a lookup is cheap, so it is answered while an
 * index is being built too). */
static enum MHD_Result product(const struct routes *r, const struct exchange *ex)
{
    /* the decoded path; an absolute-form target keeps its scheme and host */
    const char *seg = strstr(ex->url, HTTP_FRAME_PRODUCTS) + strlen(HTTP_FRAME_PRODUCTS);
    uint64_t id;
    if (query_parse_id(seg, strlen(seg), &id) != 0)
        return http_reply_canned(ex, HTTP_CANNED_BAD_ID);
    struct live_gen *g = live_acquire(r->live);
    struct http_header extra = version_of(g);
    long k = catalog_find(&g->cat, id);
    size_t len;
    char *body;
    unsigned status = MHD_HTTP_OK;
    if (k < 0) {
        char msg[64];
        snprintf(msg, sizeof(msg), "no product has id %" PRIu64, id);
        body = render_error("product_not_found", msg, &len);
        status = MHD_HTTP_NOT_FOUND;
    } else {
        body = render_product(&g->cat, &g->cat.items[k], &len);
    }
    enum MHD_Result ret = http_reply_body_with(ex, status, body, len, JSON_TYPE, &extra, 1);
    live_release(g);
    return ret;
}

/* GET /health: 503 draining once shutdown began; 503 starting until every
 * search is answered from a fast path (a whole-catalog index is published);
 * then 200. The body of the generated catalog is the seed's, byte for byte
 * ({"status":"ok","products":N}); a catalog file's adds its version and
 * when it was loaded, after those two fields, since a file can change under
 * a running server. */
static enum MHD_Result health(const struct routes *r, const struct exchange *ex)
{
    if (atomic_load(r->draining))
        return http_reply_canned(ex, HTTP_CANNED_HEALTH_DRAINING);
    struct live_gen *g = live_acquire(r->live);
    struct http_header extra = version_of(g);
    bool ready = search_ready(&g->engine);
    char *body = malloc(HEALTH_MAX);
    int len = -1;
    if (body != NULL && !ready)
        len = snprintf(body, HEALTH_MAX, "{\"status\":\"starting\"}");
    else if (body != NULL && g->from_file)
        len = snprintf(body, HEALTH_MAX,
                       "{\"status\":\"ok\",\"products\":%zu,\"catalog\":\"%s\",\"loaded_at\":\"%s\"}",
                       g->cat.count, g->version, g->loaded_at);
    else if (body != NULL)
        len = snprintf(body, HEALTH_MAX, "{\"status\":\"ok\",\"products\":%zu}", g->cat.count);
    if (len < 0) {
        free(body);
        body = NULL;
    }
    enum MHD_Result ret =
        http_reply_body_with(ex, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body,
                             len < 0 ? 0 : (size_t)len, JSON_TYPE, &extra, 1);
    live_release(g);
    return ret;
}

static enum MHD_Result metrics(const struct routes *r, const struct exchange *ex)
{
    size_t len;
    char *body = metrics_render(r->metrics, &len);
    return http_reply_body(ex, MHD_HTTP_OK, body, len, "text/plain; version=0.0.4; charset=utf-8");
}

enum MHD_Result routes_answer(const struct routes *r, const struct exchange *ex)
{
    switch (ex->route) {
    case HTTP_ROUTE_SEARCH:
        return search(r, ex);
    case HTTP_ROUTE_PRODUCT:
        return product(r, ex);
    case HTTP_ROUTE_OPENAPI:
        return http_reply_canned(ex, HTTP_CANNED_OPENAPI);
    case HTTP_ROUTE_UI:
        return http_reply_canned(ex, HTTP_CANNED_UI);
    case HTTP_ROUTE_HEALTH:
        return health(r, ex);
    case HTTP_ROUTE_METRICS:
        return metrics(r, ex);
    default:
        return http_reply_canned(ex, HTTP_CANNED_NOT_FOUND);
    }
}
