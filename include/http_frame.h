/* http_frame: framing checks of a request head, the route of its target and its parameters. */
#ifndef PRODUCT_SEARCH_HTTP_FRAME_H
#define PRODUCT_SEARCH_HTTP_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

enum {
    HTTP_BODY_MAX = 64 * 1024, /* a larger body is refused before it is read */
    HTTP_HEAD_MAX = 8 * 1024,  /* a larger request head (request line to blank line) gets 431 */
};

/* The routes the service answers, and every other path. */
enum http_route {
    HTTP_ROUTE_SEARCH,  /* /products/search */
    HTTP_ROUTE_HEALTH,  /* /health */
    HTTP_ROUTE_METRICS, /* /metrics */
    HTTP_ROUTE_PRODUCT, /* /products/{id} */
    HTTP_ROUTE_OPENAPI, /* /openapi.json */
    HTTP_ROUTE_UI,      /* / (the search page; the server makes it OTHER when UI is off) */
    HTTP_ROUTE_OTHER,   /* any other path */
    HTTP_ROUTE_COUNT,
};

/* Each route's name, as /metrics labels it. */
extern const char *const HTTP_ROUTE_NAMES[HTTP_ROUTE_COUNT];

/* The prefix of /products/{id}. */
#define HTTP_FRAME_PRODUCTS "/products/"

/* What one pass over a request's header fields found. */
struct http_head {
    unsigned hosts;            /* Host fields */
    unsigned lengths;          /* Content-Length fields */
    unsigned encodings;        /* Transfer-Encoding fields */
    bool bad;                  /* a field or a line breaking the rules of http_frame_check */
    unsigned long long length; /* the Content-Length value, saturated past HTTP_BODY_MAX */
};

/* Where a request line lies in libmicrohttpd's read buffer, as its callbacks
 * handed it over. */
struct http_line {
    const char *method;     /* the method, the first byte of the head */
    const char *target;     /* the target (its path decoded in place by now) */
    const char *target_end; /* the first NUL after the target when it arrived */
    const char *version;    /* "HTTP/1.x" */
};

/* Whether a raw request target of len bytes holds only bytes a target may:
 * no white space and no control character (RFC 9112 section 3.2). */
bool http_frame_target_ok(const char *target, size_t len);

/* Checks the head of c, head_size bytes from l->method on (RFC 9112 sections
 * 2.2, 3, 5 and 6, as strict as nginx): the method and field names are
 * tokens, no bare CR or NUL in the head, no control character in a field
 * value, no folded lines, at most one Content-Length (plain digits) or
 * Transfer-Encoding and not both, exactly one Host in HTTP/1.1 and later (at
 * most one before), its value a host and an optional port. Fills h; returns
 * true when the head is well framed. */
bool http_frame_check(struct MHD_Connection *c, const struct http_line *l, size_t head_size,
                      struct http_head *h);

/* An upper bound of the parameters http_frame_params finds in query (NULL:
 * none): one more than its '&'. */
size_t http_frame_params_max(const char *query);

/* Calls it (as libmicrohttpd's MHD_get_connection_values_n would, kind
 * MHD_GET_ARGUMENT_KIND) for every parameter of query, the raw text after a
 * target's '?', in URL order, until it returns MHD_NO: the name, and the
 * value or NULL when the parameter has no '='; '+' is a space and %XX is
 * decoded. query is written over in place, so it is read once. Returns how
 * many parameters were passed to it. */
size_t http_frame_params(char *query, MHD_KeyValueIteratorN it, void *cls);

/* The route of a target: origin form ("/health") or absolute form
 * ("http://host/health", routed by its path); len is the target up to the
 * query. */
enum http_route http_frame_route(const char *target, size_t len);

/* The route of the raw target libmicrohttpd passes to its URI log callback
 * (NULL: other): a "%00" or a raw NUL in the path routes nowhere. */
enum http_route http_frame_route_raw(const char *uri);

#endif
