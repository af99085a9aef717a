/* highlight: the ranges a listed product shows. A field is lower-cased once,
 * each term found with memmem, and the ranges of all terms merged in one
 * sorted pass; at most a hundred products per answer take this path. */
#define _GNU_SOURCE /* memmem */
#include "highlight.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "typo.h"

enum {
    LOCAL_RANGES = 256, /* occurrences held without an allocation */
};

/* Occurrences found in one field, before merging. */
struct found {
    uint16_t (*r)[2];                /* the occurrences: local, or heap when many */
    size_t n;                        /* used */
    size_t cap;                      /* room */
    uint16_t local[LOCAL_RANGES][2]; /* the first ones */
};

/* Appends [a, b); false when memory runs out. */
static bool push(struct found *f, size_t a, size_t b)
{
    if (f->n == f->cap) {
        size_t cap = 2 * f->cap;
        uint16_t(*r)[2] = malloc(cap * sizeof(*r));
        if (r == NULL)
            return false;
        memcpy(r, f->r, f->n * sizeof(*r));
        if (f->r != f->local)
            free(f->r);
        f->r = r;
        f->cap = cap;
    }
    f->r[f->n][0] = (uint16_t)a;
    f->r[f->n][1] = (uint16_t)b;
    f->n++;
    return true;
}

/* Orders ranges by start, then end. */
static int range_cmp(const void *a, const void *b)
{
    const uint16_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Appends the words of low (len bytes) at distance d from term t. */
static bool push_near_words(struct found *f, const char *low, size_t len, const char *t, size_t m,
                            unsigned d)
{
    for (size_t a = 0; a < len;) {
        if (!text_word_byte((unsigned char)low[a])) {
            a++;
            continue;
        }
        size_t b = a;
        while (b < len && text_word_byte((unsigned char)low[b]))
            b++;
        if (typo_distance(t, m, low + a, b - a, d) == d && !push(f, a, b))
            return false;
        a = b;
    }
    return true;
}

/* The least typo distance (1..allowed) from term t to a word of the fields,
 * or allowed + 1. */
static unsigned least_distance(char low[][CATALOG_MAX_STRING], const size_t *len, unsigned nf,
                               const char *t, size_t m, unsigned allowed)
{
    unsigned least = allowed + 1;
    for (unsigned i = 0; i < nf; i++)
        for (size_t a = 0; a < len[i];) {
            if (!text_word_byte((unsigned char)low[i][a])) {
                a++;
                continue;
            }
            size_t b = a;
            while (b < len[i] && text_word_byte((unsigned char)low[i][b]))
                b++;
            unsigned d = typo_distance(t, m, low[i] + a, b - a, least - 1);
            if (d < least)
                least = d;
            a = b;
        }
    return least;
}

/* The merged ranges of one lower-cased field: every term's occurrences left
 * to right without overlap (or, for a term matched with dist[k] typos, the
 * field's words at that distance), sorted, touching and overlapping ones
 * joined. Returns their number, or -1 when memory runs out. */
static int field_ranges(const char *low, size_t len, const struct request *req,
                        const unsigned *dist, uint16_t (*out)[2])
{
    struct found f = {NULL, 0, LOCAL_RANGES, {{0}}};
    f.r = f.local;
    int used = -1;
    for (size_t k = 0; req->has_text && k < req->nterms; k++) {
        const char *t = req->text + req->term_off[k];
        size_t m = req->term_len[k];
        if (dist[k] > 0) {
            if (!push_near_words(&f, low, len, t, m, dist[k]))
                goto out;
            continue;
        }
        for (const char *at = low, *end = low + len; (size_t)(end - at) >= m;) {
            const char *hit = memmem(at, (size_t)(end - at), t, m);
            if (hit == NULL)
                break;
            if (!push(&f, (size_t)(hit - low), (size_t)(hit - low) + m))
                goto out;
            at = hit + m;
        }
    }
    qsort(f.r, f.n, sizeof(*f.r), range_cmp);
    used = 0;
    for (size_t i = 0; i < f.n; i++) {
        if (used > 0 && f.r[i][0] <= out[used - 1][1]) {
            if (f.r[i][1] > out[used - 1][1])
                out[used - 1][1] = f.r[i][1];
            continue;
        }
        out[used][0] = f.r[i][0];
        out[used][1] = f.r[i][1];
        used++;
    }
out:
    if (f.r != f.local)
        free(f.r);
    return used;
}

int highlight_product(const struct catalog *cat, const struct product *p,
                      const struct request *req, struct highlight *out)
{
    static _Thread_local char low[CATALOG_FIELD_COUNT][CATALOG_MAX_STRING];
    size_t len[CATALOG_FIELD_COUNT];
    unsigned dist[REQUEST_MAX_TERMS] = {0}; /* typos each term used (0: it occurs) */
    for (unsigned i = 0; i < req->nfields; i++) {
        struct catalog_str s = catalog_field(p, req->field[i]);
        text_lower_copy(low[i], catalog_text(cat, s), s.len);
        len[i] = s.len;
    }
    for (size_t k = 0; req->has_text && req->typos > 0 && k < req->nterms; k++) {
        const char *t = req->text + req->term_off[k];
        size_t m = req->term_len[k];
        unsigned allowed = request_allowance(req, t, m);
        bool occurs = false;
        for (unsigned i = 0; i < req->nfields && !occurs; i++)
            occurs = memmem(low[i], len[i], t, m) != NULL;
        if (!occurs && allowed > 0) {
            unsigned d = least_distance(low, len, req->nfields, t, m, allowed);
            dist[k] = d <= allowed ? d : 0;
        }
    }
    for (unsigned i = 0; i < req->nfields; i++) {
        int n = field_ranges(low[i], len[i], req, dist, out->range[i]);
        if (n < 0)
            return -1;
        out->n[i] = (uint16_t)n;
    }
    return 0;
}
