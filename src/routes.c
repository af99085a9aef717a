/* routes: one handler per route: parameters in (query), the engine
 * (search), JSON out (render), handed to http_reply. */
#include "routes.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "query.h"
#include "render.h"

static const char JSON_TYPE[] = "application/json";

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

/* GET /products/search with its parameters: validate, search, render into
 * one buffer. */
static enum MHD_Result search_with(const struct routes *r, const struct exchange *ex,
                                   const struct params *ps)
{
    struct request req;
    struct query_error qe;
    if (query_parse(ps->p, ps->n, r->cfg->max_results, &req, &qe) != 0)
        return http_reply_error(ex, MHD_HTTP_BAD_REQUEST, qe.code, qe.message);
    struct result res;
    if (search_run(r->search, &req, r->cfg->scan_limit, &res) != 0) {
        log_error("search", "out of memory answering a search");
        return http_reply_canned(ex, HTTP_CANNED_INTERNAL);
    }
    size_t len;
    char *body = render_search(r->cat, &req, &res, &len);
    if (body == NULL)
        log_error("response", "out of memory building a search answer");
    return http_reply_body(ex, MHD_HTTP_OK, body, len, JSON_TYPE);
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
 * window a search checks. */
static enum MHD_Result product(const struct routes *r, const struct exchange *ex)
{
    /* the decoded path; an absolute-form target keeps its scheme and host */
    const char *seg = strstr(ex->url, HTTP_FRAME_PRODUCTS) + strlen(HTTP_FRAME_PRODUCTS);
    uint64_t id;
    if (query_parse_id(seg, strlen(seg), &id) != 0)
        return http_reply_canned(ex, HTTP_CANNED_BAD_ID);
    long k = catalog_find(r->cat, id);
    if (k < 0) {
        char msg[64];
        snprintf(msg, sizeof(msg), "no product has id %" PRIu64, id);
        return http_reply_error(ex, MHD_HTTP_NOT_FOUND, "product_not_found", msg);
    }
    size_t len;
    char *body = render_product(r->cat, &r->cat->items[k], &len);
    return http_reply_body(ex, MHD_HTTP_OK, body, len, JSON_TYPE);
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
    case HTTP_ROUTE_HEALTH:
        return http_reply_canned(ex, atomic_load(r->draining) ? HTTP_CANNED_HEALTH_DRAINING
                                                              : HTTP_CANNED_HEALTH_OK);
    case HTTP_ROUTE_METRICS:
        return metrics(r, ex);
    default:
        return http_reply_canned(ex, HTTP_CANNED_NOT_FOUND);
    }
}
