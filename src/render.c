/* render: the JSON the service answers with, written straight into one buffer. */
#include "render.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "highlight.h"
#include "text.h"

/* Formats v / 10^prec with the fraction's trailing zeros dropped, as Go's
 * time.Duration.String does; returns the end of what it wrote. */
static char *put_fixed(char *p, uint64_t v, unsigned prec)
{
    uint64_t scale = 1;
    for (unsigned i = 0; i < prec; i++)
        scale *= 10;
    p += sprintf(p, "%" PRIu64, v / scale);
    uint64_t frac = v % scale;
    if (frac != 0) {
        char digits[20];
        unsigned n = prec;
        while (frac % 10 == 0)
            frac /= 10, n--;
        snprintf(digits, sizeof(digits), "%0*" PRIu64, (int)n, frac);
        *p++ = '.';
        memcpy(p, digits, n);
        p += n;
    }
    return p;
}

size_t render_duration(char *buf, uint64_t ns)
{
    char *p = buf;
    if (ns == 0) {
        p = stpcpy(p, "0s");
    } else if (ns < 1000) {
        p += sprintf(p, "%" PRIu64 "ns", ns);
    } else if (ns < 1000000) {
        p = stpcpy(put_fixed(p, ns, 3), "\xC2\xB5s"); /* U+00B5, as Go writes it */
    } else if (ns < 1000000000) {
        p = stpcpy(put_fixed(p, ns, 6), "ms");
    } else {
        uint64_t s = ns / 1000000000u, frac = ns % 1000000000u;
        if (s >= 3600)
            p += sprintf(p, "%" PRIu64 "h", s / 3600);
        if (s >= 60)
            p += sprintf(p, "%" PRIu64 "m", s / 60 % 60);
        p = stpcpy(put_fixed(p, (s % 60) * 1000000000u + frac, 9), "s");
    }
    *p = '\0';
    return (size_t)(p - buf);
}

#define KEY(k) k, sizeof(k) - 1

static char *put_lit(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* A field copied as it is when the catalog marked it plain, escaped otherwise. */
static char *put_field(char *p, const char *key, size_t key_len,
                       const struct catalog *cat, struct catalog_str s, int plain)
{
    memcpy(p, key, key_len);
    p += key_len;
    const char *text = catalog_text(cat, s);
    if (plain) {
        *p++ = '"';
        memcpy(p, text, s.len);
        p += s.len;
        *p++ = '"';
        return p;
    }
    return p + text_json_string(p, text, s.len);
}

static size_t field_max(struct catalog_str s, int plain)
{
    return plain ? s.len + 2 : text_json_string_max(s.len);
}

/* Upper bound of put_product()'s output. */
static size_t product_max(const struct product *p)
{
    return 128 + 2 * 20 +
           field_max(p->name, p->plain & CATALOG_PLAIN_NAME) +
           field_max(p->category, p->plain & CATALOG_PLAIN_CATEGORY) +
           field_max(p->description, p->plain & CATALOG_PLAIN_DESCRIPTION) +
           field_max(p->brand, p->plain & CATALOG_PLAIN_BRAND);
}

static char *put_product(char *w, const struct catalog *cat, const struct product *p)
{
    w = text_put_u64(put_lit(w, KEY("{\"id\":")), p->id);
    w = put_field(w, KEY(",\"name\":"), cat, p->name, p->plain & CATALOG_PLAIN_NAME);
    w = put_field(w, KEY(",\"category\":"), cat, p->category, p->plain & CATALOG_PLAIN_CATEGORY);
    w = put_field(w, KEY(",\"description\":"), cat, p->description,
                  p->plain & CATALOG_PLAIN_DESCRIPTION);
    w = put_field(w, KEY(",\"brand\":"), cat, p->brand, p->plain & CATALOG_PLAIN_BRAND);
    w = text_put_u64(put_lit(w, KEY(",\"price\":")), p->price_cents / 100);
    unsigned cents = (unsigned)(p->price_cents % 100);
    *w++ = '.';
    *w++ = (char)('0' + cents / 10);
    *w++ = (char)('0' + cents % 10);
    *w++ = '}';
    return w;
}

static const char *const FACET_KEY[REQUEST_FIELD_COUNT] = {"category", "brand"};

static struct catalog_str facet_value(const struct product *p, int f, int *plain)
{
    *plain = catalog_plain(p, request_catalog_field((enum request_field)f));
    return request_value(p, (enum request_field)f);
}

/* Upper bound of put_facets()'s output. */
static size_t facets_max(const struct catalog *cat, const struct result *res)
{
    size_t cap = 32;
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++) {
        if (!(res->facets & (1u << f)))
            continue;
        cap += 32;
        for (size_t i = 0; i < res->nfacet[f]; i++) {
            int plain;
            struct catalog_str v = facet_value(&cat->items[res->facet[f][i].product], f, &plain);
            cap += field_max(v, plain) + 48;
        }
    }
    return cap;
}

/* ,"facets":{"category":[{"value":"Books","count":12},...],"brand":[...]}
 * with only the facets asked for; nothing when none was. */
static char *put_facets(char *w, const struct catalog *cat, const struct result *res)
{
    if (res->facets == 0)
        return w;
    w = put_lit(w, KEY(",\"facets\":{"));
    bool first_key = true;
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++) {
        if (!(res->facets & (1u << f)))
            continue;
        if (!first_key)
            *w++ = ',';
        first_key = false;
        *w++ = '"';
        w = stpcpy(w, FACET_KEY[f]);
        w = put_lit(w, KEY("\":["));
        for (size_t i = 0; i < res->nfacet[f]; i++) {
            int plain;
            struct catalog_str v = facet_value(&cat->items[res->facet[f][i].product], f, &plain);
            if (i > 0)
                *w++ = ',';
            w = put_field(w, KEY("{\"value\":"), cat, v, plain);
            w = text_put_u64(put_lit(w, KEY(",\"count\":")), res->facet[f][i].count);
            *w++ = '}';
        }
        *w++ = ']';
    }
    *w++ = '}';
    return w;
}

static const char *const FIELD_KEY[CATALOG_FIELD_COUNT] = {
    [CATALOG_NAME] = "name",
    [CATALOG_CATEGORY] = "category",
    [CATALOG_DESCRIPTION] = "description",
    [CATALOG_BRAND] = "brand",
};

/* Upper bound of put_highlight()'s output for h. */
static size_t highlight_max(const struct request *req, const struct highlight *h)
{
    size_t cap = 16;
    for (unsigned i = 0; i < req->nfields; i++)
        cap += 20 + (size_t)h->n[i] * 14; /* "description":[ ... ], and [4096,4096], each */
    return cap;
}

/* ,"highlight":{"name":[[0,7]],...} with the fields that hold a range. */
static char *put_highlight(char *w, const struct request *req, const struct highlight *h)
{
    w = put_lit(w, KEY(",\"highlight\":{"));
    bool first_key = true;
    for (unsigned i = 0; i < req->nfields; i++) {
        if (h->n[i] == 0)
            continue;
        if (!first_key)
            *w++ = ',';
        first_key = false;
        *w++ = '"';
        w = stpcpy(w, FIELD_KEY[req->field[i]]);
        w = put_lit(w, KEY("\":["));
        for (unsigned r = 0; r < h->n[i]; r++) {
            if (r > 0)
                *w++ = ',';
            *w++ = '[';
            w = text_put_u64(w, h->range[i][r][0]);
            *w++ = ',';
            w = text_put_u64(w, h->range[i][r][1]);
            *w++ = ']';
        }
        *w++ = ']';
    }
    *w++ = '}';
    return w;
}

/* A buffer that grows: the answer with highlights has no tight bound before
 * the highlights are computed. */
struct out {
    char *buf;  /* the answer so far */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
};

/* Room for more bytes after what is written; false when memory runs out. */
static bool reserve(struct out *o, size_t more)
{
    if (o->len + more <= o->cap)
        return true;
    size_t cap = 2 * o->cap > o->len + more ? 2 * o->cap : o->len + more;
    char *b = realloc(o->buf, cap);
    if (b == NULL)
        return false;
    o->buf = b;
    o->cap = cap;
    return true;
}

char *render_search(const struct catalog *cat, const struct request *req,
                    const struct result *res, size_t *len)
{
    struct out o = {NULL, 0, 256}; /* the envelope: keys, three integers, a duration */
    for (size_t i = 0; i < res->count; i++)
        o.cap += product_max(&cat->items[res->item[i]]) + 1;
    o.cap += facets_max(cat, res);
    struct highlight *h = req->highlight ? malloc(sizeof(*h)) : NULL;
    if ((req->highlight && h == NULL) || (o.buf = malloc(o.cap)) == NULL)
        goto error;
    char *w = stpcpy(o.buf, "{\"products\":[");
    for (size_t i = 0; i < res->count; i++) {
        const struct product *p = &cat->items[res->item[i]];
        if (i > 0)
            *w++ = ',';
        w = put_product(w, cat, p);
        if (h != NULL) {
            if (highlight_product(cat, p, req, h) != 0)
                goto error;
            o.len = (size_t)(w - o.buf) - 1; /* the highlight goes before the product's '}' */
            /* room for the highlight and for the products still to come */
            size_t rest = 256 + facets_max(cat, res);
            for (size_t j = i + 1; j < res->count; j++)
                rest += product_max(&cat->items[res->item[j]]) + 1;
            if (!reserve(&o, highlight_max(req, h) + rest))
                goto error;
            w = put_highlight(o.buf + o.len, req, h);
            *w++ = '}';
        }
    }
    w = text_put_u64(put_lit(w, KEY("],\"total_found\":")), res->total_found);
    w = text_put_u64(put_lit(w, KEY(",\"checked\":")), res->checked);
    w = put_lit(w, KEY(",\"search_time\":\""));
    w += render_duration(w, res->elapsed_ns);
    w = text_put_u64(put_lit(w, KEY("\",\"search_time_ns\":")), res->elapsed_ns);
    w = put_facets(w, cat, res);
    *w++ = '}';
    *w = '\0';
    *len = (size_t)(w - o.buf);
    free(h);
    return o.buf;
error:
    free(h);
    free(o.buf);
    return NULL;
}

char *render_product(const struct catalog *cat, const struct product *p, size_t *len)
{
    char *buf = malloc(product_max(p) + 1);
    if (buf == NULL)
        return NULL;
    char *w = put_product(buf, cat, p);
    *w = '\0';
    *len = (size_t)(w - buf);
    return buf;
}

char *render_error(const char *code, const char *message, size_t *len)
{
    size_t code_len = strlen(code), message_len = strlen(message);
    char *buf = malloc(32 + text_json_string_max(code_len) + text_json_string_max(message_len));
    if (buf == NULL)
        return NULL;
    char *w = stpcpy(buf, "{\"error\":");
    w += text_json_string(w, code, code_len);
    w = stpcpy(w, ",\"message\":");
    w += text_json_string(w, message, message_len);
    w = stpcpy(w, "}");
    *len = (size_t)(w - buf);
    return buf;
}
