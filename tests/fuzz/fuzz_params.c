/* fuzz_params: the URL query splitter (http_frame_params) against an
 * independent reference of libmicrohttpd 0.9.75's own argument parsing, which
 * it replaces: the query is cut at every '&' (a last, empty piece is no
 * parameter), a piece's first '=' ends its name (no '=': no value), '+' is a
 * space and %XX with two hex digits a byte. The input is the raw query, up to
 * its first NUL. Also: never more parameters than http_frame_params_max. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* s[0..n) decoded into out; returns its length. */
static size_t ref_decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out[o++] = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    return o;
}

/* What the splitter handed over, checked one parameter at a time. */
struct expect {
    const char *query; /* the reference's copy of the raw query */
    size_t len;        /* its length */
    size_t pos;        /* where the next parameter starts */
    size_t seen;       /* parameters seen */
    char *scratch;     /* room for one decoded piece */
};

static enum MHD_Result check(void *cls, enum MHD_ValueKind kind, const char *key,
                             size_t key_size, const char *value, size_t value_size)
{
    struct expect *e = cls;
    if (kind != MHD_GET_ARGUMENT_KIND || e->pos >= e->len)
        abort(); /* a parameter past the end of the query */
    const char *p = e->query + e->pos;
    const char *amp = memchr(p, '&', e->len - e->pos);
    size_t piece = amp ? (size_t)(amp - p) : e->len - e->pos;
    const char *eq = memchr(p, '=', piece);
    size_t name_len = eq ? (size_t)(eq - p) : piece;
    size_t n = ref_decode(p, name_len, e->scratch);
    if (n != key_size || memcmp(e->scratch, key, n) != 0 || key[key_size] != '\0')
        abort();
    if ((eq == NULL) != (value == NULL))
        abort();
    if (eq != NULL) {
        n = ref_decode(eq + 1, piece - name_len - 1, e->scratch);
        if (n != value_size || memcmp(e->scratch, value, n) != 0 || value[value_size] != '\0')
            abort();
    }
    e->pos += piece + 1;
    e->seen++;
    return MHD_YES;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *query = malloc(size + 1), *copy = malloc(size + 1), *scratch = malloc(size + 1);
    if (query == NULL || copy == NULL || scratch == NULL)
        abort();
    memcpy(query, data, size);
    query[size] = '\0';
    size_t len = strlen(query);
    memcpy(copy, query, len + 1);
    size_t most = http_frame_params_max(query);
    struct expect e = {copy, len, 0, 0, scratch};
    size_t n = http_frame_params(query, &check, &e);
    /* every piece was seen, the last one only when it is not empty */
    size_t want = 0;
    for (size_t i = 0, start = 0; i <= len; i++) {
        if (i == len || copy[i] == '&') {
            if (i < len || i > start)
                want++;
            start = i + 1;
        }
    }
    if (n != e.seen || n != want || n > most)
        abort();
    free(query);
    free(copy);
    free(scratch);
    return 0;
}
