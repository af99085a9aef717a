/* http_frame: the framing rules every request head must meet before
 * anything else reads it, the route of its raw target and the parameters of
 * its query. */
#include "http_frame.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

const char *const HTTP_ROUTE_NAMES[HTTP_ROUTE_COUNT] = {
    "/products/search", "/health", "/metrics", "/products/{id}", "/openapi.json", "/", "other",
};

/* libmicrohttpd before 1.0 keeps the request line and each header field in
 * place in its read buffer; the fold, raw-NUL and head-layout checks below
 * read that layout, so they are made only where it is known. 1.0 refuses
 * those heads itself. */
static const bool LIBRARY_0_9 = MHD_VERSION < 0x01000000;

/* RFC 9110 tchar: the bytes a field name or a method may hold. */
static bool is_tchar(unsigned char ch)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && memchr(extra, ch, sizeof(extra) - 1) != NULL);
}

/* A control character: C0 or DEL. */
static bool is_ctl(unsigned char ch)
{
    return ch < 0x20 || ch == 0x7f;
}

static bool name_is(const char *key, size_t key_size, const char *name, size_t len)
{
    return key_size == len && strncasecmp(key, name, len) == 0;
}

bool http_frame_target_ok(const char *target, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (target[i] == ' ' || is_ctl((unsigned char)target[i]))
            return false;
    return true;
}

/* RFC 3986 unreserved and sub-delims: the bytes of a reg-name (with
 * pct-encoded) and of an IP-literal (with ':'). */
static bool is_host_byte(unsigned char ch)
{
    static const char extra[] = "-._~!$&'()*+,;=";
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && memchr(extra, ch, sizeof(extra) - 1) != NULL);
}

static bool is_hex(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* A Host value (RFC 9110 section 7.2): uri-host [ ":" port ], the host a
 * reg-name, an IPv4 address or a bracketed IP-literal, the port digits. An
 * empty value, white space, '/', '@' and the like are refused, as nginx
 * refuses them. */
static bool host_ok(const char *v, size_t n)
{
    size_t i = 0;
    if (n > 0 && v[0] == '[') {
        for (i = 1; i < n && v[i] != ']'; i++)
            if (!is_host_byte((unsigned char)v[i]) && v[i] != ':')
                return false;
        if (i == n || i == 1)
            return false;
        i++; /* the ']' */
    } else {
        for (; i < n && v[i] != ':'; i++) {
            if (v[i] == '%' && i + 2 < n && is_hex((unsigned char)v[i + 1]) &&
                is_hex((unsigned char)v[i + 2]))
                i += 2;
            else if (!is_host_byte((unsigned char)v[i]))
                return false;
        }
        if (i == 0)
            return false;
    }
    if (i < n && v[i++] != ':')
        return false;
    for (; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

/* One pass over the header fields, in the order they came. */
struct field_walk {
    struct http_head *h; /* what the pass found */
    const char *at;      /* 0.9 layout: the NUL that ended the previous line's text */
    const char *end;     /* 0.9 layout: the end of the head */
};

/* One header field. libmicrohttpd 0.9.75 keeps a field as "name\0<blanks>value"
 * in its read buffer, and each line ends with one NUL per line-end byte (CR
 * LF, or a bare LF). Each field must then start right after the previous
 * line's end: bytes left between a value's end and the next line are what
 * followed a raw NUL inside the line ("Content-Length: 0\0" "34"), which the
 * library cut off silently. An obsolete folded line makes the library append
 * the next line to the *name* and move the name elsewhere in the pool, so a
 * value that does not follow its name at once reveals the fold. Only
 * addresses are compared until the value is known to lie a few bytes after
 * the name. */
static enum MHD_Result scan_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
    struct field_walk *w = cls;
    struct http_head *h = w->h;
    (void)kind;
    if (key_size == 0 || value == NULL)
        goto bad;
    for (size_t i = 0; i < key_size; i++)
        if (!is_tchar((unsigned char)key[i]))
            goto bad;
    if (LIBRARY_0_9) {
        uintptr_t line = (uintptr_t)key, after = (uintptr_t)w->at;
        if (!((line == after + 1 && w->at[0] == '\0') ||
              (line == after + 2 && w->at[0] == '\0' && w->at[1] == '\0')) ||
            line >= (uintptr_t)w->end)
            goto bad;
        uintptr_t name_end = (uintptr_t)key + key_size, at = (uintptr_t)value;
        if (at <= name_end || at - name_end > 64)
            goto bad;
        for (const char *p = key + key_size + 1; p < value; p++)
            if (*p != ' ' && *p != '\t')
                goto bad;
        w->at = value + value_size;
    }
    for (size_t i = 0; i < value_size; i++)
        if (is_ctl((unsigned char)value[i]) && value[i] != '\t')
            goto bad;
    if (name_is(key, key_size, "host", 4)) {
        h->hosts++;
        if (!host_ok(value, value_size))
            goto bad;
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

/* The request line in libmicrohttpd 0.9.75's buffer: the method (a token)
 * and its NUL, blanks, the target, which must run up to the NUL that replaced
 * the space before the version (an earlier NUL was a raw NUL in the target),
 * the version and its line end. Returns the NUL ending the version's line, or
 * NULL when the line is not as it must be. */
static const char *request_line_end(const struct http_line *l, const char *end)
{
    const char *p = l->method;
    while (p < end && *p != '\0' && is_tchar((unsigned char)*p))
        p++;
    if (p == l->method || p >= end || *p != '\0')
        return NULL;
    for (p++; p < end && *p == ' '; p++)
        ;
    if (p != l->target || l->target_end == NULL || l->target_end + 1 != l->version)
        return NULL;
    p = l->version + strlen(l->version);
    return p < end ? p : NULL;
}

/* The framing rules a request head must meet before anything else looks at
 * it (RFC 9112 sections 2.2, 3, 5 and 6, as strict as nginx): the method and
 * field names are tokens, no bare CR and no NUL anywhere in the head, no
 * control character in a field value, no folded lines, at most one
 * Content-Length (plain digits) or Transfer-Encoding and not both, exactly one
 * Host in HTTP/1.1 and later (at most one before), its value a host and an
 * optional port. libmicrohttpd 0.9.75 lets all of these through, and the
 * bytes after such a head would run as a second request. Returns true when
 * the head is well framed. */
bool http_frame_check(struct MHD_Connection *c, const struct http_line *l, size_t head_size,
                      struct http_head *h)
{
    memset(h, 0, sizeof(*h));
    struct field_walk w = {h, NULL, l->method + head_size};
    if (LIBRARY_0_9) {
        w.at = request_line_end(l, w.end);
        if (w.at == NULL || memchr(l->version, '\r', (size_t)(w.end - l->version)) != NULL)
            return false;
    }
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, &scan_field, &w);
    if (h->bad || h->lengths > 1 || h->encodings > 1 || (h->lengths && h->encodings))
        return false;
    if (LIBRARY_0_9) {
        /* what is left is the last line's end and the blank line: 2 to 4 NULs */
        size_t left = (size_t)(w.end - w.at);
        if (left < 2 || left > 4)
            return false;
        for (size_t i = 0; i < left; i++)
            if (w.at[i] != '\0')
                return false;
    }
    bool http_1_0 = strcmp(l->version, MHD_HTTP_VERSION_1_0) == 0;
    if (h->hosts > 1 || (h->hosts == 0 && !http_1_0))
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
            return HTTP_ROUTE_UI; /* "http://host" is "/" */
        len -= (size_t)(path - target);
        target = path;
    }
    if (len == 1 && target[0] == '/')
        return HTTP_ROUTE_UI;
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
