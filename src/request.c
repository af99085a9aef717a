/* request: request defaults, paging and facet ranking shared by the scan,
 * the index and the reference, so that they order answers the same way. */
#define _GNU_SOURCE /* qsort_r */
#include "request.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

void request_init(struct request *req, size_t limit)
{
    /* The filter values (2 KB) are read only up to their counts: left as
     * they are, so that a request costs no 2 KB memset. */
    memset(req, 0, offsetof(struct request, filter));
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++)
        req->filter[f].count = 0;
    req->has_text = false;
    req->match = REQUEST_MATCH_PHRASE;
    req->min_price = 0;
    req->max_price = UINT64_MAX;
    req->sort = REQUEST_SORT_ID;
    req->offset = 0;
    req->limit = limit;
    req->facets = 0;
    req->nfields = 2;
    req->field[0] = CATALOG_NAME;
    req->field[1] = CATALOG_CATEGORY;
    req->highlight = false;
    req->typos = 0;
}

unsigned request_allowance(const struct request *req, const char *term, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((term[i] >= '0' && term[i] <= '9') || !text_word_byte((unsigned char)term[i]))
            return 0;
    unsigned most = len >= 8 ? 2 : len >= 4 ? 1 : 0;
    return req->typos < most ? req->typos : most;
}

int request_set_phrase(struct request *req, const char *q, size_t qlen)
{
    if (qlen == 0 || qlen > REQUEST_MAX_QUERY || memchr(q, '\0', qlen) != NULL)
        return -1;
    req->has_text = true;
    req->match = REQUEST_MATCH_PHRASE;
    text_lower_copy(req->text, q, qlen);
    req->text_len = qlen;
    req->nterms = 1;
    req->term_off[0] = 0;
    req->term_len[0] = (uint16_t)qlen;
    return 0;
}

int request_phrase(struct request *req, const char *q, size_t qlen, size_t limit)
{
    if (limit == 0 || limit > REQUEST_MAX_LIMIT)
        return -1;
    request_init(req, limit);
    return request_set_phrase(req, q, qlen);
}

/* The order of two matches (catalog positions) for a sort. */
struct order {
    const struct catalog *cat; /* prices and ids */
    enum request_sort sort;    /* which order */
};

static int order_cmp(const void *a, const void *b, void *ctx)
{
    const struct order *o = ctx;
    const struct product *p = &o->cat->items[*(const uint32_t *)a];
    const struct product *q = &o->cat->items[*(const uint32_t *)b];
    if (p->price_cents != q->price_cents) {
        int up = p->price_cents < q->price_cents ? -1 : 1;
        return o->sort == REQUEST_SORT_PRICE_DESC ? -up : up;
    }
    return p->id < q->id ? -1 : p->id > q->id;
}

/* A match and its relevance key, ordered by key then position (the
 * catalog is in id order, so position order is id order). */
struct keyed {
    uint32_t key; /* request_key() */
    uint32_t pos; /* catalog position */
};

static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

int request_page(const struct catalog *cat, const struct request *req, uint32_t *m,
                 const uint32_t *key, size_t n, struct result *out)
{
    out->count = 0;
    if (req->sort == REQUEST_SORT_RELEVANCE && key != NULL) {
        struct keyed *k = malloc((n ? n : 1) * sizeof(*k));
        if (k == NULL)
            return -1;
        for (size_t i = 0; i < n; i++)
            k[i] = (struct keyed){key[i], m[i]};
        qsort(k, n, sizeof(*k), keyed_cmp);
        for (size_t i = 0; i < n; i++)
            m[i] = k[i].pos;
        free(k);
    } else if (req->sort == REQUEST_SORT_PRICE || req->sort == REQUEST_SORT_PRICE_DESC) {
        struct order o = {cat, req->sort};
        qsort_r(m, n, sizeof(*m), order_cmp, &o);
    }
    for (size_t i = req->offset; i < n && out->count < req->limit; i++)
        out->item[out->count++] = m[i];
    return 0;
}

static int facet_cmp(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b; /* {value id, count} */
    if (x[1] != y[1])
        return x[1] > y[1] ? -1 : 1;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

int request_facet_top(const uint32_t *count, const uint32_t *rep, size_t nvalues,
                      struct result_facet *out, size_t *nout)
{
    size_t used = 0;
    for (size_t v = 0; v < nvalues; v++)
        used += count[v] != 0;
    uint32_t(*pairs)[2] = malloc((used ? used : 1) * sizeof(*pairs));
    if (pairs == NULL)
        return -1;
    size_t k = 0;
    for (size_t v = 0; v < nvalues && k < used; v++)
        if (count[v] != 0) {
            pairs[k][0] = (uint32_t)v;
            pairs[k++][1] = count[v];
        }
    qsort(pairs, used, sizeof(*pairs), facet_cmp);
    *nout = used < REQUEST_MAX_FACET_VALUES ? used : REQUEST_MAX_FACET_VALUES;
    for (size_t i = 0; i < *nout; i++)
        out[i] = (struct result_facet){rep[pairs[i][0]], pairs[i][1]};
    free(pairs);
    return 0;
}

bool request_results_equal(const struct catalog *cat, const struct result *a,
                           const struct result *b)
{
    if (a->count != b->count || a->total_found != b->total_found || a->checked != b->checked ||
        a->facets != b->facets)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (a->item[i] != b->item[i])
            return false;
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++) {
        if (!(a->facets & (1u << f)))
            continue;
        if (a->nfacet[f] != b->nfacet[f])
            return false;
        for (size_t i = 0; i < a->nfacet[f]; i++) {
            struct catalog_str x = request_value(&cat->items[a->facet[f][i].product], f);
            struct catalog_str y = request_value(&cat->items[b->facet[f][i].product], f);
            if (a->facet[f][i].count != b->facet[f][i].count ||
                text_cmp(catalog_text(cat, x), x.len, catalog_text(cat, y), y.len) != 0)
                return false;
        }
    }
    return true;
}
