/* ui: ui/index.html embedded with the assembler's .incbin, as openapi.c
 * embeds the OpenAPI document, and the policy that lets only its own inline
 * blocks run. The hashes are computed from the bytes served, once at
 * start-up, so an edit of the page can never leave a stale hash behind.
 * The path is relative to the repository root, where every build runs; the
 * Makefile makes this object depend on the file. */
#include "ui.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sha256.h"

__asm__(".section .rodata\n"
        ".global product_search_ui_start\n"
        ".global product_search_ui_end\n"
        "product_search_ui_start:\n"
        ".incbin \"ui/index.html\"\n"
        "product_search_ui_end:\n"
        ".previous\n");

extern const char product_search_ui_start[];
extern const char product_search_ui_end[];

enum {
    SOURCES_MAX = 256, /* room for one directive's hash sources */
    BASE64_DIGEST = 44, /* a SHA-256 digest in base64, padded */
};

const char *ui_page(size_t *len)
{
    *len = (size_t)(product_search_ui_end - product_search_ui_start);
    return product_search_ui_start;
}

/* The first n bytes of needle in [p, end), or NULL. */
static const char *find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (; (size_t)(end - p) >= n; p++)
        if (memcmp(p, needle, n) == 0)
            return p;
    return NULL;
}

/* The digest in base64 (RFC 4648, padded), NUL-terminated. */
static void base64(const uint8_t d[SHA256_BYTES], char out[BASE64_DIGEST + 1])
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < SHA256_BYTES; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < SHA256_BYTES)
            v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < SHA256_BYTES)
            v |= d[i + 2];
        out[o++] = A[v >> 18 & 63];
        out[o++] = A[v >> 12 & 63];
        out[o++] = i + 1 < SHA256_BYTES ? A[v >> 6 & 63] : '=';
        out[o++] = i + 2 < SHA256_BYTES ? A[v & 63] : '=';
    }
    out[o] = '\0';
}

/* The hash sources ('sha256-...' separated by spaces) of every block the
 * page holds between open and close (as "<style>" and "</style>": the page
 * writes its tags without attributes), or 'none' when it holds none.
 * Returns 0, or -1 when a block is not closed or the sources do not fit. */
static int sources(const char *open, const char *close, char out[SOURCES_MAX])
{
    size_t len;
    const char *p = ui_page(&len), *end = p + len;
    size_t used = 0;
    out[0] = '\0';
    while ((p = find(p, end, open)) != NULL) {
        const char *body = p + strlen(open), *stop = find(body, end, close);
        if (stop == NULL)
            return -1;
        uint8_t d[SHA256_BYTES];
        char b64[BASE64_DIGEST + 1];
        sha256_digest(body, (size_t)(stop - body), d);
        base64(d, b64);
        int n = snprintf(out + used, SOURCES_MAX - used, "%s'sha256-%s'", used ? " " : "", b64);
        if (n < 0 || (size_t)n >= SOURCES_MAX - used)
            return -1;
        used += (size_t)n;
        p = stop + strlen(close);
    }
    if (used == 0)
        snprintf(out, SOURCES_MAX, "'none'");
    return 0;
}

/* form-action 'none': the page never submits its form (its script answers
 * the keys); img-src data: is for its icon, drawn inline, which spares the
 * browser a request for /favicon.ico (a 404). */
int ui_policy(char *policy)
{
    char script[SOURCES_MAX], style[SOURCES_MAX];
    if (sources("<script>", "</script>", script) != 0 ||
        sources("<style>", "</style>", style) != 0)
        return -1;
    int n = snprintf(policy, UI_POLICY_MAX,
                     "default-src 'none'; script-src %s; style-src %s; connect-src 'self'; "
                     "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                     script, style);
    return n > 0 && n < UI_POLICY_MAX ? 0 : -1;
}
