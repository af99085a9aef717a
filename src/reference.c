/* reference: the contract, read literally. Slow and obviously right; the
 * scan and the index are held to it by the differential tests and the fuzz
 * targets. */
#define _GNU_SOURCE /* qsort_r */
#include "reference.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "text.h"

/* Whether term (lower-cased) occurs in s, ASCII case ignored: every start tried. */
static bool contains(const char *s, size_t n, const char *term, size_t m)
{
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && text_lower(s[i + j]) == term[j])
            j++;
        if (j == m)
            return true;
    }
    return false;
}

static bool text_test(const struct catalog *cat, const struct product *p,
                      const struct request *req)
{
    if (!req->has_text)
        return true;
    for (size_t i = 0; i < req->nterms; i++) {
        const char *t = req->text + req->term_off[i];
        size_t m = req->term_len[i];
        if (!contains(catalog_text(cat, p->name), p->name.len, t, m) &&
            !contains(catalog_text(cat, p->category), p->category.len, t, m))
            return false;
    }
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
    if (m == NULL)
        return -1;
    size_t n = 0;
    for (size_t k = 0; k < checked; k++) {
        const struct product *p = &cat->items[k];
        if (text_test(cat, p, req) && filters(cat, p, req))
            m[n++] = (uint32_t)k;
    }
    out->total_found = n;
    out->checked = checked;
    out->facets = req->facets;
    int ret = 0;
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++) {
        out->nfacet[f] = 0;
        if ((req->facets & (1u << f)) && ret == 0)
            ret = facet(cat, (enum request_field)f, m, n, out->facet[f], &out->nfacet[f]);
    }
    request_page(cat, req, m, n, out);
    free(m);
    out->elapsed_ns = clock_ns() - start;
    return ret;
}
