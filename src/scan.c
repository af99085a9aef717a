/* scan: the bounded scan. The window's text is one contiguous lower-cased
 * buffer (tables.h), so a term is searched once over the whole window with a
 * SIMD finder instead of once per product. */
#define _GNU_SOURCE /* memmem */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

#include "scan_test.h"
#include "text.h"
#include "typo.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The finder compares the needle's first and last bytes against 16
 * positions at once and only then compares the middle (the "generic SIMD"
 * substring search, W. Mula). On this data it reads about four times as fast
 * as glibc's memmem (docs/performance.md). Without SSE2 it falls back to
 * memmem. */
const char *scan_find(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0)
        return hay;
    if (m > n)
        return NULL;
    if (m == 1)
        return memchr(hay, (unsigned char)needle[0], n);
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i first = _mm_set1_epi8(needle[0]);
    const __m128i last = _mm_set1_epi8(needle[m - 1]);
    for (; i + m - 1 + 16 <= n; i += 16) {
        __m128i bf = _mm_loadu_si128((const __m128i *)(const void *)(hay + i));
        __m128i bl = _mm_loadu_si128((const __m128i *)(const void *)(hay + i + m - 1));
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(first, bf), _mm_cmpeq_epi8(last, bl)));
        while (mask != 0) {
            unsigned bit = (unsigned)__builtin_ctz(mask);
            if (memcmp(hay + i + bit + 1, needle + 1, m - 2) == 0)
                return hay + i + bit;
            mask &= mask - 1;
        }
    }
#endif
    return memmem(hay + i, n - i, needle, m);
}

/* The product whose text holds offset off: the last k in [lo, hi) with
 * offs[k] <= off. The scan only moves forward and matches are often a few
 * products apart, so this gallops from lo (1, 2, 4, ... ahead) before the
 * binary search: a dense query such as "alpha" over the whole catalog pays a
 * few steps per match instead of seventeen. */
static size_t owner(const uint32_t *offs, size_t lo, size_t hi, size_t off)
{
    size_t step = 1;
    while (lo + step < hi && offs[lo + step] <= off) {
        lo += step;
        step *= 2;
    }
    if (lo + step < hi)
        hi = lo + step;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (offs[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Counts the n matches' values of field f with the value tables; keeps the
 * first REQUEST_MAX_FACET_VALUES by count, then value. */
static int facet_count(const struct tables_values *v, const uint32_t *m, size_t n,
                       struct result_facet *facet, size_t *nfacet)
{
    uint32_t *count = calloc(v->count ? v->count : 1, sizeof(*count));
    if (count == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        count[v->of[m[i]]]++;
    int ret = request_facet_top(count, v->rep, v->count, facet, nfacet);
    free(count);
    return ret;
}

/* The folded value ids a filter accepts (at most REQUEST_MAX_VALUES). */
struct accept {
    bool on;                         /* the request filters on this field */
    size_t n;                        /* ids in id */
    uint32_t id[REQUEST_MAX_VALUES]; /* folded ids that pass */
};

static void accept_init(struct accept *a, const struct tables *t, enum request_field f,
                        const struct request_filter *flt)
{
    a->on = flt->count > 0;
    a->n = 0;
    for (size_t i = 0; i < flt->count; i++) {
        uint32_t id = tables_fold_find(t, request_catalog_field(f), flt->value[i], flt->len[i]);
        if (id != UINT32_MAX)
            a->id[a->n++] = id;
    }
}

static bool accepts(const struct accept *a, const struct tables_values *v, uint32_t k)
{
    if (!a->on)
        return true;
    uint32_t g = v->folded[v->of[k]];
    for (size_t i = 0; i < a->n; i++)
        if (a->id[i] == g)
            return true;
    return false;
}

/* Whether product k's text holds every term of req but the first. */
static bool other_terms(const struct tables *t, const struct request *req, size_t k)
{
    const char *s = t->text + t->offs[k];
    size_t n = t->offs[k + 1] - t->offs[k];
    for (size_t i = 1; i < req->nterms; i++)
        if (scan_find(s, n, req->text + req->term_off[i], req->term_len[i]) == NULL)
            return false;
    return true;
}

/* The best placement of term (m bytes, lower-cased) in field i of req for
 * product k: the least 4 * i + class over its occurrences in the listed
 * fields, UINT32_MAX when it has none. Each field is searched with the
 * finder from one past the previous hit, so overlapping occurrences count. */
static uint32_t placement(const struct tables *t, const struct request *req, size_t k,
                          const char *term, size_t m)
{
    bool starts_any = !text_word_byte((unsigned char)term[0]);
    bool ends_any = !text_word_byte((unsigned char)term[m - 1]);
    for (unsigned i = 0; i < req->nfields; i++) {
        size_t n;
        const char *s = tables_field(t, k, req->field[i], &n);
        unsigned best = REQUEST_CLASSES;
        for (const char *at = s; best > REQUEST_WHOLE && (size_t)(s + n - at) >= m; at++) {
            at = scan_find(at, (size_t)(s + n - at), term, m);
            if (at == NULL)
                break;
            size_t pos = (size_t)(at - s);
            bool starts = starts_any || pos == 0 || !text_word_byte((unsigned char)s[pos - 1]);
            bool ends = ends_any || pos + m == n || !text_word_byte((unsigned char)s[pos + m]);
            unsigned c = (pos == 0 && m == n) ? REQUEST_WHOLE
                         : starts && ends     ? REQUEST_WORD
                         : starts             ? REQUEST_PREFIX
                                              : REQUEST_INFIX;
            if (c < best)
                best = c;
        }
        /* fields are listed heaviest first: any class here beats the next field */
        if (best < REQUEST_CLASSES)
            return 4 * i + best;
    }
    return UINT32_MAX;
}

/* A term with no occurrence in product k's listed fields: the least typo
 * distance d (1..allowed) from it to a word of those fields, and the
 * placement 4 * i + 1 of the first field i holding a word at distance d;
 * false when no word is that near. */
static bool near_word(const struct tables *t, const struct request *req, size_t k,
                      const char *term, size_t m, unsigned allowed, unsigned *d,
                      uint32_t *place)
{
    unsigned least = allowed + 1;
    for (unsigned i = 0; i < req->nfields; i++) {
        size_t n;
        const char *s = tables_field(t, k, req->field[i], &n);
        for (size_t a = 0; a < n;) {
            if (!text_word_byte((unsigned char)s[a])) {
                a++;
                continue;
            }
            size_t b = a;
            while (b < n && text_word_byte((unsigned char)s[b]))
                b++;
            unsigned dist = typo_distance(term, m, s + a, b - a, least - 1);
            if (dist < least) {
                least = dist;
                *place = 4 * i + REQUEST_WORD;
            }
            a = b;
        }
    }
    *d = least;
    return least <= allowed;
}

/* The scan for requests beyond the default fields and order: product by
 * product over the window, each term placed in the listed fields. */
static int scan_rich(const struct tables *t, const struct request *req, size_t checked,
                     const struct accept acc[REQUEST_FIELD_COUNT],
                     const struct tables_values *values[REQUEST_FIELD_COUNT],
                     struct result *out)
{
    const struct catalog *cat = t->cat;
    uint32_t *m = malloc((checked ? checked : 1) * sizeof(*m));
    uint32_t *key = malloc((checked ? checked : 1) * sizeof(*key));
    int ret = -1;
    if (m == NULL || key == NULL)
        goto out;
    size_t found = 0;
    for (size_t k = 0; k < checked; k++) {
        const struct product *p = &cat->items[k];
        if (p->price_cents < req->min_price || p->price_cents > req->max_price ||
            !accepts(&acc[0], values[0], (uint32_t)k) || !accepts(&acc[1], values[1], (uint32_t)k))
            continue;
        unsigned typos = 0, score = 0;
        size_t i = 0;
        for (; req->has_text && i < req->nterms; i++) {
            const char *term = req->text + req->term_off[i];
            size_t tlen = req->term_len[i];
            uint32_t place = placement(t, req, k, term, tlen);
            unsigned d = 0, allowed;
            if (place == UINT32_MAX &&
                ((allowed = request_allowance(req, term, tlen)) == 0 ||
                 !near_word(t, req, k, term, tlen, allowed, &d, &place)))
                break;
            typos += d;
            score += place;
        }
        if (req->has_text && i < req->nterms)
            continue;
        key[found] = request_key(typos, score);
        m[found++] = (uint32_t)k;
    }
    out->total_found = found;
    out->checked = checked;
    ret = 0;
    for (int f = 0; f < REQUEST_FIELD_COUNT && ret == 0; f++)
        if (req->facets & (1u << f))
            ret = facet_count(values[f], m, found, out->facet[f], &out->nfacet[f]);
    if (ret == 0)
        ret = request_page(cat, req, m, key, found, out);
out:
    free(m);
    free(key);
    return ret;
}

/* A request in id order without facets needs no list of matches: it is
 * counted and paged as it goes, which keeps the seed's search as fast as it
 * was. */
int scan_run(const struct tables *t, const struct request *req, size_t checked,
             struct result *out)
{
    const struct catalog *cat = t->cat;
    const struct tables_values *values[REQUEST_FIELD_COUNT];
    struct accept acc[REQUEST_FIELD_COUNT];
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++) {
        values[f] = &t->values[request_catalog_field((enum request_field)f)];
        accept_init(&acc[f], t, (enum request_field)f, &req->filter[f]);
    }
    out->count = 0;
    out->facets = req->facets;
    out->nfacet[0] = out->nfacet[1] = 0;
    if (!request_default_fields(req) || req->sort == REQUEST_SORT_RELEVANCE || req->typos > 0)
        return scan_rich(t, req, checked, acc, values, out);
    bool filtered = acc[0].on || acc[1].on || req->min_price > 0 || req->max_price != UINT64_MAX;
    bool stream = req->sort == REQUEST_SORT_ID && req->facets == 0;
    uint32_t *m = NULL;
    if (!stream && (m = malloc((checked ? checked : 1) * sizeof(*m))) == NULL)
        return -1;

    const char *needle = req->text + req->term_off[0];
    size_t nlen = req->term_len[0];
    const char *text = t->text;
    size_t end = checked ? t->offs[checked] : 0;
    size_t pos = 0, k = 0, found = 0;
    out->count = 0;
    out->facets = req->facets;
    out->nfacet[0] = out->nfacet[1] = 0;
    for (;;) {
        if (req->has_text) {
            const char *hit = pos < end ? scan_find(text + pos, end - pos, needle, nlen) : NULL;
            if (hit == NULL)
                break;
            k = owner(t->offs, k, checked, (size_t)(hit - text));
            pos = t->offs[k + 1]; /* one match per product: skip the rest of it */
            if (req->nterms > 1 && !other_terms(t, req, k)) {
                k++;
                continue;
            }
        } else if (k >= checked) {
            break;
        }
        if (filtered) {
            const struct product *p = &cat->items[k];
            if (p->price_cents < req->min_price || p->price_cents > req->max_price ||
                !accepts(&acc[0], values[0], (uint32_t)k) ||
                !accepts(&acc[1], values[1], (uint32_t)k)) {
                k++;
                continue;
            }
        }
        if (stream) {
            if (found >= req->offset && out->count < req->limit)
                out->item[out->count++] = (uint32_t)k;
        } else {
            m[found] = (uint32_t)k;
        }
        found++;
        k++;
    }
    out->total_found = found;
    out->checked = checked;
    if (!stream) {
        int ret = 0;
        for (int f = 0; f < REQUEST_FIELD_COUNT && ret == 0; f++)
            if (req->facets & (1u << f))
                ret = facet_count(values[f], m, found, out->facet[f], &out->nfacet[f]);
        if (ret == 0)
            ret = request_page(cat, req, m, NULL, found, out);
        free(m);
        return ret;
    }
    return 0;
}
