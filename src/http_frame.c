/* http_frame: the framing rules every request head must meet before
 * anything else reads it, the route of its raw target and the parameters of
 * its query. */
#include "http_frame.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

const char *const HTTP_ROUTE_NAMES[HTTP_ROUTE_COUNT] = {
    "/products/search", "/health", "/metrics", "/products/{id}", "/openapi.json", "other",
};

/* libmicrohttpd before 1.0 keeps the request line and each header field in
 * place in its read buffer; the fold and raw-NUL checks below read that
 * layout, so they are made only where it is known. 1.0 handles both itself. */
static const bool LIBRARY_0_9 = MHD_VERSION < 0x01000000;

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
    struct http_head *h = cls;
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
            if (n <= HTTP_BODY_MAX)
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
bool http_frame_check(struct MHD_Connection *c, const char *version, struct http_head *h)
{
    memset(h, 0, sizeof(*h));
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, &scan_field, h);
    if (h->bad || h->lengths > 1 || h->encodings > 1 || (h->lengths && h->encodings))
        return false;
    if (h->hosts > 1 || (h->hosts == 0 && strcmp(version, MHD_HTTP_VERSION_1_1) == 0))
        return false;
    return true;
}

size_t http_frame_params_max(const char *query)
{
    size_t n = 0;
    if (query != NULL && *query != '\0')
        for (n = 1; *query != '\0'; query++)
            n += *query == '&';
    return n;
}

/* One parameter: '+' is a space, then %XX decoded as libmicrohttpd decodes. */
static size_t decode(char *s)
{
    for (char *p = s; *p != '\0'; p++)
        if (*p == '+')
            *p = ' ';
    return MHD_http_unescape(s);
}

size_t http_frame_params(char *query, MHD_KeyValueIteratorN it, void *cls)
{
    size_t n = 0;
    char *next = NULL;
    for (char *p = query; p != NULL && *p != '\0'; p = next) {
        char *amp = strchr(p, '&');
        if (amp != NULL)
            *amp = '\0';
        next = amp ? amp + 1 : NULL;
        char *eq = strchr(p, '=');
        if (eq != NULL)
            *eq++ = '\0';
        size_t key_len = decode(p), value_len = eq ? decode(eq) : 0;
        n++;
        if (it(cls, MHD_GET_ARGUMENT_KIND, p, key_len, eq, value_len) != MHD_YES)
            break;
    }
    return n;
}

enum { PRODUCTS_LEN = sizeof(HTTP_FRAME_PRODUCTS) - 1 };

/* The route of a request target: origin form ("/health?x") or absolute form
 * ("http://host/health?x", routed by its path). len is the target up to the
 * query. */
enum http_route http_frame_route(const char *target, size_t len)
{
    if (len > 0 && target[0] != '/') {
        const char *scheme = memchr(target, ':', len);
        if (scheme == NULL || (size_t)(target + len - scheme) < 3 || scheme[1] != '/' ||
            scheme[2] != '/')
            return HTTP_ROUTE_OTHER;
        const char *host = scheme + 3;
        const char *path = memchr(host, '/', (size_t)(target + len - host));
        if (path == NULL)
            return HTTP_ROUTE_OTHER; /* "http://host" is "/" */
        len -= (size_t)(path - target);
        target = path;
    }
    if (len == 16 && memcmp(target, "/products/search", 16) == 0)
        return HTTP_ROUTE_SEARCH;
    if (len == 7 && memcmp(target, "/health", 7) == 0)
        return HTTP_ROUTE_HEALTH;
    if (len == 8 && memcmp(target, "/metrics", 8) == 0)
        return HTTP_ROUTE_METRICS;
    if (len == 13 && memcmp(target, "/openapi.json", 13) == 0)
        return HTTP_ROUTE_OPENAPI;
    /* /products/{id}: one non-empty segment; its value is checked later */
    if (len > PRODUCTS_LEN && memcmp(target, HTTP_FRAME_PRODUCTS, PRODUCTS_LEN) == 0 &&
        memchr(target + PRODUCTS_LEN, '/', len - PRODUCTS_LEN) == NULL)
        return HTTP_ROUTE_PRODUCT;
    return HTTP_ROUTE_OTHER;
}

/* The library has put a NUL where the space before the version was, and the
 * version follows it; when the first NUL is not that one, the target held a
 * raw NUL. */
enum http_route http_frame_route_raw(const char *uri)
{
    if (uri == NULL)
        return HTTP_ROUTE_OTHER;
    size_t len = strlen(uri);
    if (LIBRARY_0_9 && strncmp(uri + len + 1, "HTTP/", 5) != 0)
        return HTTP_ROUTE_OTHER;
    const char *query = memchr(uri, '?', len);
    size_t path_len = query ? (size_t)(query - uri) : len;
    for (size_t i = 0; i + 2 < path_len; i++)
        if (uri[i] == '%' && uri[i + 1] == '0' && uri[i + 2] == '0')
            return HTTP_ROUTE_OTHER;
    return http_frame_route(uri, path_len);
}
