/* reference: the contract, read literally. Slow and obviously right; the
 * scan, the index and the highlighter are held to it by the differential
 * tests and the fuzz targets. */
#define _GNU_SOURCE /* qsort_r */
#include "reference.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "text.h"

/* One field of p as bytes. */
struct bytes {
    const char *s; /* the field as stored */
    size_t n;      /* its length */
};

static struct bytes field_of(const struct catalog *cat, const struct product *p,
                             enum catalog_field f)
{
    struct catalog_str s = catalog_field(p, f);
    return (struct bytes){catalog_text(cat, s), s.len};
}

/* Whether term t (m bytes, lower-cased) occurs in s at i, ASCII case ignored. */
static bool occurs_at(struct bytes s, size_t i, const char *t, size_t m)
{
    if (i + m > s.n)
        return false;
    for (size_t j = 0; j < m; j++)
        if (text_lower(s.s[i + j]) != t[j])
            return false;
    return true;
}

static bool word_byte(const char *s, size_t i)
{
    return text_word_byte((unsigned char)s[i]);
}

/* The class of the occurrence of t (m bytes) at i in s, as the contract
 * words it: whole, word, prefix or infix. */
static enum request_class class_at(struct bytes s, size_t i, const char *t, size_t m)
{
    bool starts = i == 0 || !word_byte(s.s, i - 1) || !word_byte(t, 0);
    bool ends = i + m == s.n || !word_byte(s.s, i + m) || !word_byte(t, m - 1);
    if (i == 0 && m == s.n)
        return REQUEST_WHOLE;
    if (starts && ends)
        return REQUEST_WORD;
    if (starts)
        return REQUEST_PREFIX;
    return REQUEST_INFIX;
}

/* Term k of req. */
static const char *term(const struct request *req, size_t k, size_t *m)
{
    *m = req->term_len[k];
    return req->text + req->term_off[k];
}

/* The best placement of term k in p over the listed fields: the least
 * 4 * i + class over every occurrence in field i (overlapping ones too);
 * UINT32_MAX when the term is in no listed field. */
static uint32_t placement(const struct catalog *cat, const struct product *p,
                          const struct request *req, size_t k)
{
    size_t m;
    const char *t = term(req, k, &m);
    uint32_t best = UINT32_MAX;
    for (unsigned i = 0; i < req->nfields; i++) {
        struct bytes s = field_of(cat, p, req->field[i]);
        for (size_t at = 0; at + m <= s.n; at++) {
            if (!occurs_at(s, at, t, m))
                continue;
            uint32_t place = 4 * i + class_at(s, at, t, m);
            if (place < best)
                best = place;
        }
    }
    return best;
}

/* The optimal-string-alignment distance between a and b, ASCII case
 * folded, byte by byte: insertions, deletions, substitutions and adjacent
 * transpositions, no substring edited twice. The whole matrix, plainly. */
static unsigned osa(const char *a, size_t an, const char *b, size_t bn)
{
    size_t w = bn + 1;
    unsigned *d = malloc((an + 1) * w * sizeof(*d)); /* d[i * w + j]: a[0..i) to b[0..j) */
    if (d == NULL)
        return UINT_MAX; /* out of memory: no word is near */
    for (size_t i = 0; i <= an; i++)
        d[i * w] = (unsigned)i;
    for (size_t j = 0; j <= bn; j++)
        d[j] = (unsigned)j;
    for (size_t i = 1; i <= an; i++) {
        for (size_t j = 1; j <= bn; j++) {
            char x = text_lower(a[i - 1]), y = text_lower(b[j - 1]);
            unsigned best = d[(i - 1) * w + j - 1] + (x != y);
            if (d[(i - 1) * w + j] + 1 < best)
                best = d[(i - 1) * w + j] + 1;
            if (d[i * w + j - 1] + 1 < best)
                best = d[i * w + j - 1] + 1;
            if (i > 1 && j > 1 && x == text_lower(b[j - 2]) && text_lower(a[i - 2]) == y &&
                d[(i - 2) * w + j - 2] + 1 < best)
                best = d[(i - 2) * w + j - 2] + 1;
            d[i * w + j] = best;
        }
    }
    unsigned dist = d[an * w + bn];
    free(d);
    return dist;
}

/* The typos term t (m bytes) may use under req: none for a term holding an
 * ASCII digit or a byte that is not a word byte (it is compared whole with
 * words, which hold none) or shorter than 4 bytes; min(typos, 1) from 4
 * bytes; min(typos, 2) from 8. */
static unsigned allowance(const struct request *req, const char *t, size_t m)
{
    for (size_t i = 0; i < m; i++)
        if ((t[i] >= '0' && t[i] <= '9') || !word_byte(t, i))
            return 0;
    unsigned most = m >= 8 ? 2 : m >= 4 ? 1 : 0;
    return req->typos < most ? req->typos : most;
}

/* Calls each word (a maximal run of word bytes) of s with ctx: its offset
 * and length. */
static void each_word(struct bytes s, void (*fn)(void *ctx, size_t at, size_t len), void *ctx)
{
    for (size_t i = 0; i < s.n;) {
        if (!word_byte(s.s, i)) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < s.n && word_byte(s.s, j))
            j++;
        fn(ctx, i, j - i);
        i = j;
    }
}

/* The least distance from a term to the words of one field. */
struct nearest {
    struct bytes field; /* the field */
    const char *t;      /* the term */
    size_t m;           /* its length */
    unsigned best;      /* the least distance so far */
};

static void nearest_word(void *ctx, size_t at, size_t len)
{
    struct nearest *n = ctx;
    unsigned d = osa(n->t, n->m, n->field.s + at, len);
    if (d < n->best)
        n->best = d;
}

static unsigned nearest(struct bytes s, const char *t, size_t m)
{
    struct nearest n = {s, t, m, UINT_MAX};
    each_word(s, nearest_word, &n);
    return n.best;
}

/* How term k is matched in p: with d typos (0: an occurrence) and its
 * placement; false when it is not. A term that occurs in a listed field uses
 * no typo; else, within its allowance, the least distance d from it to a word
 * of a listed field, placed 4 * i + 1 in the first field i holding a word at
 * distance d. */
static bool term_match(const struct catalog *cat, const struct product *p,
                       const struct request *req, size_t k, unsigned *d, uint32_t *place)
{
    size_t m;
    const char *t = term(req, k, &m);
    *d = 0;
    *place = placement(cat, p, req, k);
    if (*place != UINT32_MAX)
        return true;
    unsigned allowed = allowance(req, t, m);
    if (allowed == 0)
        return false;
    unsigned least = UINT_MAX;
    for (unsigned i = 0; i < req->nfields; i++) {
        unsigned n = nearest(field_of(cat, p, req->field[i]), t, m);
        if (n < least) {
            least = n;
            *place = 4 * i + REQUEST_WORD;
        }
    }
    if (least == 0 || least > allowed)
        return false;
    *d = least;
    return true;
}

/* The text test over the listed fields; *key gets the relevance key. */
static bool text_test(const struct catalog *cat, const struct product *p,
                      const struct request *req, uint32_t *key)
{
    *key = 0;
    if (!req->has_text)
        return true;
    unsigned typos = 0, score = 0;
    for (size_t k = 0; k < req->nterms; k++) {
        unsigned d;
        uint32_t place;
        if (!term_match(cat, p, req, k, &d, &place))
            return false;
        typos += d;
        score += place;
    }
    *key = request_key(typos, score);
    return true;
}

static bool filters(const struct catalog *cat, const struct product *p,
                    const struct request *req)
{
    if (p->price_cents < req->min_price || p->price_cents > req->max_price)
        return false;
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++) {
        const struct request_filter *flt = &req->filter[f];
        if (flt->count == 0)
            continue;
        struct catalog_str s = request_value(p, (enum request_field)f);
        bool any = false;
        for (size_t i = 0; i < flt->count && !any; i++)
            any = text_casecmp(catalog_text(cat, s), s.len, flt->value[i], flt->len[i]) == 0;
        if (!any)
            return false;
    }
    return true;
}

/* Orders matches by field f's bytes, for counting runs of equal values. */
struct field_order {
    const struct catalog *cat; /* the products */
    enum request_field f;      /* the field */
};

static int field_cmp(const void *a, const void *b, void *ctx)
{
    const struct field_order *fo = ctx;
    struct catalog_str x = request_value(&fo->cat->items[*(const uint32_t *)a], fo->f);
    struct catalog_str y = request_value(&fo->cat->items[*(const uint32_t *)b], fo->f);
    return text_cmp(catalog_text(fo->cat, x), x.len, catalog_text(fo->cat, y), y.len);
}

/* Facets without tables: sort the matches by value, count the runs (run
 * numbers follow value order), rank the runs by count then value. */
static int facet(const struct catalog *cat, enum request_field f, const uint32_t *m, size_t n,
                 struct result_facet *out, size_t *nout)
{
    uint32_t *s = malloc((n ? n : 1) * sizeof(*s));
    uint32_t *count = malloc((n ? n : 1) * sizeof(*count)); /* run number -> matches */
    uint32_t *first = malloc((n ? n : 1) * sizeof(*first)); /* run number -> product */
    int ret = -1;
    if (s == NULL || count == NULL || first == NULL)
        goto out;
    memcpy(s, m, n * sizeof(*s));
    struct field_order fo = {cat, f};
    qsort_r(s, n, sizeof(*s), field_cmp, &fo);
    size_t runs = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || field_cmp(&s[i - 1], &s[i], &fo) != 0) {
            first[runs] = s[i];
            count[runs++] = 0;
        }
        count[runs - 1]++;
    }
    ret = request_facet_top(count, first, runs, out, nout);
out:
    free(s);
    free(count);
    free(first);
    return ret;
}

int reference_run(const struct catalog *cat, const struct request *req, size_t scan_limit,
                  struct result *out)
{
    uint64_t start = clock_ns();
    size_t checked = (scan_limit == 0 || scan_limit > cat->count) ? cat->count : scan_limit;
    uint32_t *m = malloc((checked ? checked : 1) * sizeof(*m));
    uint32_t *key = malloc((checked ? checked : 1) * sizeof(*key));
    int ret = -1;
    if (m == NULL || key == NULL)
        goto out;
    size_t n = 0;
    for (size_t k = 0; k < checked; k++) {
        const struct product *p = &cat->items[k];
        if (text_test(cat, p, req, &key[n]) && filters(cat, p, req))
            m[n++] = (uint32_t)k;
    }
    out->total_found = n;
    out->checked = checked;
    out->facets = req->facets;
    ret = 0;
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++) {
        out->nfacet[f] = 0;
        if ((req->facets & (1u << f)) && ret == 0)
            ret = facet(cat, (enum request_field)f, m, n, out->facet[f], &out->nfacet[f]);
    }
    if (ret == 0)
        ret = request_page(cat, req, m, key, n, out);
out:
    free(m);
    free(key);
    out->elapsed_ns = clock_ns() - start;
    return ret;
}

/* Marks [a, b) in the byte map of a field. */
static void mark(unsigned char *on, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        on[i] = 1;
}

/* Marks the words of a field at one distance from a term. */
struct at_distance {
    struct bytes field; /* the field */
    const char *t;      /* the term */
    size_t m;           /* its length */
    unsigned d;         /* the distance */
    unsigned char *on;  /* the byte map of the field */
};

static void mark_word(void *ctx, size_t at, size_t len)
{
    struct at_distance *a = ctx;
    if (osa(a->t, a->m, a->field.s + at, len) == a->d)
        mark(a->on, at, at + len);
}

void reference_highlight(const struct catalog *cat, const struct product *p,
                         const struct request *req, struct highlight *out)
{
    unsigned char on[CATALOG_MAX_STRING + 1];
    for (unsigned i = 0; i < req->nfields; i++) {
        struct bytes s = field_of(cat, p, req->field[i]);
        memset(on, 0, s.n);
        for (size_t k = 0; req->has_text && k < req->nterms; k++) {
            size_t m;
            const char *t = term(req, k, &m);
            unsigned d;
            uint32_t place;
            if (term_match(cat, p, req, k, &d, &place) && d > 0) {
                /* matched with d typos: every word of the field at distance d */
                struct at_distance a = {s, t, m, d, on};
                each_word(s, mark_word, &a);
                continue;
            }
            /* left to right without overlap: after a match at at, the next
             * search starts at at + m */
            for (size_t at = 0; at + m <= s.n;) {
                if (occurs_at(s, at, t, m)) {
                    mark(on, at, at + m);
                    at += m;
                } else {
                    at++;
                }
            }
        }
        /* the marked bytes as ranges: touching and overlapping ones merge */
        out->n[i] = 0;
        for (size_t a = 0; a < s.n;) {
            if (!on[a]) {
                a++;
                continue;
            }
            size_t b = a;
            while (b < s.n && on[b])
                b++;
            out->range[i][out->n[i]][0] = (uint16_t)a;
            out->range[i][out->n[i]][1] = (uint16_t)b;
            out->n[i]++;
            a = b;
        }
    }
}
