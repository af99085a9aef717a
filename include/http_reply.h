/* http_reply: canned and built answers, each queued, counted and logged in one place. */
#ifndef PRODUCT_SEARCH_HTTP_REPLY_H
#define PRODUCT_SEARCH_HTTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "http_frame.h"
#include "metrics.h"

/* The canned answers, built once at start-up and shared by every request. */
enum http_canned {
    HTTP_CANNED_HEALTH_DRAINING,
    HTTP_CANNED_NOT_FOUND,
    HTTP_CANNED_METHOD,
    HTTP_CANNED_BODY_TOO_LARGE,
    HTTP_CANNED_INTERNAL,
    HTTP_CANNED_BAD_ID,
    HTTP_CANNED_OPENAPI,
    HTTP_CANNED_UI,             /* the search page (GET /) */
    HTTP_CANNED_BAD_HEAD,       /* framing the service refuses; closes the connection */
    HTTP_CANNED_HEAD_TOO_LARGE, /* head over 8 KB; closes the connection */
    HTTP_CANNED_COUNT,
};

/* The canned answers of one server. */
struct http_replies {
    struct MHD_Response *canned[HTTP_CANNED_COUNT]; /* constant answers */
    size_t len[HTTP_CANNED_COUNT];                  /* their body sizes */
};

/* One request being answered: where the answer goes and how it is counted. */
struct exchange {
    struct MHD_Connection *conn;        /* the connection */
    const struct http_replies *replies; /* the canned answers */
    struct metrics *metrics;            /* counts the answer */
    bool access_log;                    /* ACCESS_LOG: log the answer */
    enum http_route route;              /* counted under this route */
    uint64_t start;                     /* clock_ns() when the handler first ran */
    const char *method;                 /* request method */
    const char *url;                    /* decoded path (no query) */
    char *query;                        /* raw query after '?' (http_frame_params), or NULL */
};

/* Builds the canned answers into r (caller-owned). Returns 0, or -1 when
 * memory runs out (r is then empty). */
int http_replies_init(struct http_replies *r);

/* Frees the canned answers. */
void http_replies_deinit(struct http_replies *r);

/* Queues the canned answer which. */
enum MHD_Result http_reply_canned(const struct exchange *ex, enum http_canned which);

/* Queues status with body (len bytes, a heap buffer this call takes and
 * frees; NULL answers 500) of content type type. */
enum MHD_Result http_reply_body(const struct exchange *ex, unsigned status, char *body,
                                size_t len, const char *type);

/* One more header on a built answer. */
struct http_header {
    const char *name;  /* field name */
    const char *value; /* field value */
};

/* http_reply_body() with n more headers (extra) on the answer. */
enum MHD_Result http_reply_body_with(const struct exchange *ex, unsigned status, char *body,
                                     size_t len, const char *type,
                                     const struct http_header *extra, size_t n);

/* Queues status with the JSON error {"error":code,"message":message}. */
enum MHD_Result http_reply_error(const struct exchange *ex, unsigned status, const char *code,
                                 const char *message);

#endif
