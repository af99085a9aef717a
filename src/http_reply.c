/* http_reply: canned answers, built answers, and the one place an answer is
 * queued, counted in the metrics and written to the access log. */
#include "http_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "http_watch.h"
#include "log.h"
#include "openapi.h"
#include "render.h"
#include "ui.h"

static const char JSON_TYPE[] = "application/json";
static const char HTML_TYPE[] = "text/html; charset=utf-8";

/* A canned answer: its status and the body it is built from. */
struct canned_spec {
    unsigned status;     /* HTTP status */
    const char *code;    /* error code; NULL for the bodies given whole */
    const char *message; /* error text, or the whole body (draining health) */
};

static const struct canned_spec CANNED[HTTP_CANNED_COUNT] = {
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
    [HTTP_CANNED_UI] = {200, NULL, NULL},      /* the embedded page */
    [HTTP_CANNED_BAD_HEAD] = {400, "bad_request",
                              "malformed or ambiguous request head; the connection is closed"},
    [HTTP_CANNED_HEAD_TOO_LARGE] = {431, "header_too_large",
                                    "request head over 8 KB; the connection is closed"},
};

/* The headers every answer carries. Returns 0, or -1. */
static int add_common(struct MHD_Response *r, const char *content_type)
{
    return MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) == MHD_YES &&
                   MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_YES
               ? 0
               : -1;
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
    if (add_common(r, content_type) != 0) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

/* The search page, served from where it lies in the binary: an HTML
 * answer whose policy lets only the page's own inline blocks run and its
 * requests go to this server only, which nothing may frame or refer to.
 * Returns the response, or NULL. */
static struct MHD_Response *page_response(size_t *len)
{
    char policy[UI_POLICY_MAX];
    const char *page = ui_page(len);
    if (ui_policy(policy) != 0)
        return NULL;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(*len, (void *)page, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return NULL;
    if (add_common(r, HTML_TYPE) != 0 ||
        MHD_add_response_header(r, "Content-Security-Policy", policy) != MHD_YES ||
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer") != MHD_YES ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

int http_replies_init(struct http_replies *r)
{
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < HTTP_CANNED_COUNT; i++) {
        char *body;
        size_t len;
        if (i == HTTP_CANNED_OPENAPI) {
            /* the document is static: served from where it lies, never copied */
            const char *doc = openapi_document(&len);
            r->canned[i] = MHD_create_response_from_buffer(len, (void *)doc,
                                                           MHD_RESPMEM_PERSISTENT);
            if (r->canned[i] == NULL || add_common(r->canned[i], JSON_TYPE) != 0)
                goto error;
            r->len[i] = len;
            continue;
        }
        if (i == HTTP_CANNED_UI) {
            if ((r->canned[i] = page_response(&len)) == NULL)
                goto error;
            r->len[i] = len;
            continue;
        }
        if (CANNED[i].code == NULL) {
            body = strdup(CANNED[i].message);
            len = body ? strlen(body) : 0;
        } else {
            body = render_error(CANNED[i].code, CANNED[i].message, &len);
        }
        if (body == NULL || (r->canned[i] = response_take(body, len, JSON_TYPE)) == NULL)
            goto error;
        r->len[i] = len;
    }
    if (MHD_add_response_header(r->canned[HTTP_CANNED_METHOD], MHD_HTTP_HEADER_ALLOW,
                                "GET, HEAD") != MHD_YES ||
        MHD_add_response_header(r->canned[HTTP_CANNED_BAD_HEAD], MHD_HTTP_HEADER_CONNECTION,
                                "close") != MHD_YES ||
        MHD_add_response_header(r->canned[HTTP_CANNED_HEAD_TOO_LARGE],
                                MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
        goto error;
    return 0;
error:
    http_replies_deinit(r);
    return -1;
}

void http_replies_deinit(struct http_replies *r)
{
    for (size_t i = 0; i < HTTP_CANNED_COUNT; i++) {
        if (r->canned[i] != NULL)
            MHD_destroy_response(r->canned[i]);
        r->canned[i] = NULL;
    }
}

/* One answer on its way: queues it, counts it, logs it. */
static enum MHD_Result answer(const struct exchange *ex, unsigned status, struct MHD_Response *r,
                              size_t bytes)
{
    enum MHD_Result ret = MHD_queue_response(ex->conn, status, r);
    http_watch_answered(ex->conn);
    uint64_t took = clock_ns() - ex->start;
    metrics_observe(ex->metrics, ex->route, status, took);
    if (ex->access_log)
        log_access(ex->method, ex->url, status, bytes, took);
    return ret;
}

enum MHD_Result http_reply_canned(const struct exchange *ex, enum http_canned which)
{
    return answer(ex, CANNED[which].status, ex->replies->canned[which], ex->replies->len[which]);
}

enum MHD_Result http_reply_body(const struct exchange *ex, unsigned status, char *body,
                                size_t len, const char *type)
{
    return http_reply_body_with(ex, status, body, len, type, NULL, 0);
}

enum MHD_Result http_reply_body_with(const struct exchange *ex, unsigned status, char *body,
                                     size_t len, const char *type,
                                     const struct http_header *extra, size_t n)
{
    struct MHD_Response *r = body ? response_take(body, len, type) : NULL;
    for (size_t i = 0; r != NULL && i < n; i++) {
        if (MHD_add_response_header(r, extra[i].name, extra[i].value) != MHD_YES) {
            MHD_destroy_response(r);
            r = NULL;
        }
    }
    if (r == NULL)
        return http_reply_canned(ex, HTTP_CANNED_INTERNAL);
    enum MHD_Result ret = answer(ex, status, r, len);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result http_reply_error(const struct exchange *ex, unsigned status, const char *code,
                                 const char *message)
{
    size_t len;
    char *body = render_error(code, message, &len);
    return http_reply_body(ex, status, body, len, JSON_TYPE);
}
