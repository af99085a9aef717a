/* query: parameter parsing and validation for the search and lookup routes.
 * Every rule lives here, so that http.c stays transport and routing and the
 * search sees only validated requests. */
#include "query.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

/* The parameters a search reads; anything else in the URL is ignored. */
enum param {
    P_Q,
    P_LIMIT,
    P_OFFSET,
    P_SORT,
    P_CATEGORY,
    P_BRAND,
    P_MIN_PRICE,
    P_MAX_PRICE,
    P_MATCH,
    P_FACETS,
    P_FIELDS,
    P_HIGHLIGHT,
    P_TYPOS,
    P_COUNT,
};

static const char *const PARAM_NAME[P_COUNT] = {
    "q",         "limit",     "offset", "sort",   "category", "brand",
    "min_price", "max_price", "match",  "facets", "fields",   "highlight",
    "typos",
};

/* The names of the catalog's fields as the fields parameter spells them. */
static const char *const FIELD_NAME[CATALOG_FIELD_COUNT] = {
    [CATALOG_NAME] = "name",
    [CATALOG_CATEGORY] = "category",
    [CATALOG_DESCRIPTION] = "description",
    [CATALOG_BRAND] = "brand",
};

/* Writes code and a message built from fmt into err; returns -1, so that a
 * refusal is `return fail(...)`. */
static int fail(struct query_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct query_error *err, const char *code, const char *fmt, ...)
{
    va_list ap;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* The refusal of a q that query_check_q() did not pass. */
static int fail_q(struct query_error *err, enum query_q_status qs)
{
    const char *code = qs == QUERY_Q_MISSING ? "missing_query" : "invalid_query";
    switch (qs) {
    case QUERY_Q_MISSING:
        return fail(err, code, "query parameter q is required");
    case QUERY_Q_BLANK:
        return fail(err, code, "q must not be empty or blank");
    case QUERY_Q_TOO_LONG:
        return fail(err, code, "q must be at most %d bytes after trimming white space",
                    REQUEST_MAX_QUERY);
    case QUERY_Q_NUL:
        return fail(err, code, "q must not contain NUL bytes");
    default:
        return fail(err, code, "q must be valid UTF-8");
    }
}

enum query_q_status query_check_q(const char *raw, size_t raw_len, const char **q, size_t *qlen)
{
    if (raw == NULL)
        return QUERY_Q_MISSING;
    text_trim_ascii(&raw, &raw_len);
    if (raw_len == 0)
        return QUERY_Q_BLANK;
    if (raw_len > REQUEST_MAX_QUERY)
        return QUERY_Q_TOO_LONG;
    if (memchr(raw, '\0', raw_len) != NULL)
        return QUERY_Q_NUL;
    if (!text_utf8_valid(raw, raw_len))
        return QUERY_Q_BAD_UTF8;
    *q = raw;
    *qlen = raw_len;
    return QUERY_Q_OK;
}

/* Decimal digits only, value at most max (leading zeros are fine). */
static int parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (s == NULL || len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > max) /* stops before any overflow */
            return -1;
    }
    *out = v;
    return 0;
}

int query_parse_limit(const char *s, size_t len, unsigned *out)
{
    uint64_t v;
    if (parse_uint(s, len, REQUEST_MAX_LIMIT, &v) != 0 || v < 1)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int query_parse_price(const char *s, size_t len, uint64_t *cents)
{
    const char *dot = s ? memchr(s, '.', len) : NULL;
    size_t whole = dot ? (size_t)(dot - s) : len;
    size_t frac = dot ? len - whole - 1 : 0;
    uint64_t units, f = 0;
    if (dot != NULL && (frac < 1 || frac > 2))
        return -1;
    if (parse_uint(s, whole, REQUEST_MAX_PRICE_CENTS / 100, &units) != 0)
        return -1;
    if (frac > 0 && parse_uint(dot + 1, frac, 99, &f) != 0)
        return -1;
    if (frac == 1)
        f *= 10;
    uint64_t v = units * 100 + f;
    if (v > REQUEST_MAX_PRICE_CENTS)
        return -1;
    *cents = v;
    return 0;
}

int query_parse_id(const char *s, size_t len, uint64_t *id)
{
    if (len == 0 || len > 19 || s[0] == '0')
        return -1;
    return parse_uint(s, len, INT64_MAX, id);
}

/* q with match=all: its white-space separated terms, 1..REQUEST_MAX_TERMS. */
static int split_terms(struct request *req)
{
    size_t n = 0, i = 0;
    while (i < req->text_len) {
        while (i < req->text_len && strchr(" \t\n\v\f\r", req->text[i]) != NULL)
            i++;
        if (i == req->text_len)
            break;
        size_t start = i;
        while (i < req->text_len && strchr(" \t\n\v\f\r", req->text[i]) == NULL)
            i++;
        if (n == REQUEST_MAX_TERMS)
            return -1;
        req->term_off[n] = (uint16_t)start;
        req->term_len[n] = (uint16_t)(i - start);
        n++;
    }
    req->nterms = n;
    return n > 0 ? 0 : -1;
}

/* The next comma-separated item of s[0..len) from *pos on, empty items
 * included ("a,,b" holds three); false once past the last one. */
static bool next_item(const char *s, size_t len, size_t *pos, const char **item, size_t *n)
{
    if (*pos > len)
        return false;
    const char *comma = memchr(s + *pos, ',', len - *pos);
    *item = s + *pos;
    *n = comma ? (size_t)(comma - *item) : len - *pos;
    *pos += *n + 1;
    return true;
}

/* A category or brand list: 1..REQUEST_MAX_VALUES comma-separated values of
 * 1..REQUEST_MAX_VALUE bytes of UTF-8, stored lower-cased. */
static int parse_filter(const char *s, size_t len, struct request_filter *flt)
{
    flt->count = 0;
    if (s == NULL || !text_utf8_valid(s, len) || memchr(s, '\0', len) != NULL)
        return -1;
    const char *item;
    size_t pos = 0, n;
    while (next_item(s, len, &pos, &item, &n)) {
        if (n == 0 || n > REQUEST_MAX_VALUE || flt->count == REQUEST_MAX_VALUES)
            return -1;
        for (size_t j = 0; j < n; j++)
            flt->value[flt->count][j] = text_lower(item[j]);
        flt->len[flt->count++] = (uint8_t)n;
    }
    return 0;
}

static int parse_facets(const char *s, size_t len, unsigned *facets)
{
    static const char *const NAME[REQUEST_FIELD_COUNT] = {"category", "brand"};
    *facets = 0;
    if (s == NULL)
        return -1;
    const char *item;
    size_t pos = 0, n;
    while (next_item(s, len, &pos, &item, &n)) {
        int f = 0;
        while (f < REQUEST_FIELD_COUNT && !(strlen(NAME[f]) == n && memcmp(item, NAME[f], n) == 0))
            f++;
        if (f == REQUEST_FIELD_COUNT || (*facets & (1u << f)))
            return -1;
        *facets |= 1u << f;
    }
    return 0;
}

static bool is(const char *s, size_t len, const char *word)
{
    return s != NULL && strlen(word) == len && memcmp(s, word, len) == 0;
}

/* fields: 1..4 distinct field names, comma-separated, heaviest first. */
static int parse_fields(const char *s, size_t len, struct request *req)
{
    unsigned seen = 0;
    req->nfields = 0;
    if (s == NULL)
        return -1;
    const char *item;
    size_t pos = 0, n;
    while (next_item(s, len, &pos, &item, &n)) {
        int f = 0;
        while (f < CATALOG_FIELD_COUNT && !is(item, n, FIELD_NAME[f]))
            f++;
        if (f == CATALOG_FIELD_COUNT || (seen & (1u << f)))
            return -1;
        seen |= 1u << f;
        req->field[req->nfields++] = (enum catalog_field)f;
    }
    return 0;
}

int query_parse(const struct query_param *params, size_t n, unsigned default_limit,
                struct request *req, struct query_error *err)
{
    const struct query_param *p[P_COUNT] = {NULL};
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < P_COUNT; k++) {
            if (!is(params[i].name, params[i].name_len, PARAM_NAME[k]))
                continue;
            if (p[k] != NULL)
                return fail(err, "duplicate_parameter", "parameter %s must appear at most once",
                            PARAM_NAME[k]);
            p[k] = &params[i];
            break;
        }
    }
#define VAL(k) (p[k]->value ? p[k]->value : ""), p[k]->value_len

    bool browse = p[P_CATEGORY] || p[P_BRAND] || p[P_MIN_PRICE] || p[P_MAX_PRICE];
    const char *q = NULL;
    size_t qlen = 0;
    if (p[P_Q] != NULL || !browse) {
        enum query_q_status qs =
            query_check_q(p[P_Q] ? (p[P_Q]->value ? p[P_Q]->value : "") : NULL,
                          p[P_Q] ? p[P_Q]->value_len : 0, &q, &qlen);
        if (qs != QUERY_Q_OK)
            return fail_q(err, qs);
    }
    request_init(req, default_limit);
    if (q != NULL && request_set_phrase(req, q, qlen) != 0)
        return fail_q(err, QUERY_Q_NUL);

    unsigned limit = default_limit;
    if (p[P_LIMIT] && query_parse_limit(VAL(P_LIMIT), &limit) != 0)
        return fail(err, "invalid_limit", "limit must be an integer from 1 to %d",
                    REQUEST_MAX_LIMIT);
    req->limit = limit;

    uint64_t offset = 0;
    if (p[P_OFFSET] && parse_uint(VAL(P_OFFSET), REQUEST_MAX_OFFSET, &offset) != 0)
        return fail(err, "invalid_offset", "offset must be an integer from 0 to %d",
                    REQUEST_MAX_OFFSET);
    req->offset = (size_t)offset;

    if (p[P_SORT]) {
        if (is(VAL(P_SORT), "id"))
            req->sort = REQUEST_SORT_ID;
        else if (is(VAL(P_SORT), "price"))
            req->sort = REQUEST_SORT_PRICE;
        else if (is(VAL(P_SORT), "-price"))
            req->sort = REQUEST_SORT_PRICE_DESC;
        else if (is(VAL(P_SORT), "relevance"))
            req->sort = REQUEST_SORT_RELEVANCE;
        else
            return fail(err, "invalid_sort", "sort must be one of id, price, -price, relevance");
    }

    for (int f = 0; f < REQUEST_FIELD_COUNT; f++) {
        int k = f == REQUEST_CATEGORY ? P_CATEGORY : P_BRAND;
        req->filter[f].count = 0;
        if (p[k] && parse_filter(VAL(k), &req->filter[f]) != 0)
            return fail(err, "invalid_filter",
                        "%s must be 1 to %d comma-separated values, each 1 to %d bytes of UTF-8",
                        PARAM_NAME[k], REQUEST_MAX_VALUES, REQUEST_MAX_VALUE);
    }

    req->min_price = 0;
    req->max_price = UINT64_MAX;
    for (int k = P_MIN_PRICE; k <= P_MAX_PRICE; k++) {
        uint64_t cents;
        if (!p[k])
            continue;
        if (query_parse_price(VAL(k), &cents) != 0)
            return fail(err, "invalid_price",
                        "%s must be a decimal from 0 to %d with at most 2 decimals",
                        PARAM_NAME[k], REQUEST_MAX_PRICE_CENTS / 100);
        *(k == P_MIN_PRICE ? &req->min_price : &req->max_price) = cents;
    }
    if (req->min_price > req->max_price)
        return fail(err, "invalid_price", "min_price must not be above max_price");

    req->match = REQUEST_MATCH_PHRASE;
    if (p[P_MATCH]) {
        if (is(VAL(P_MATCH), "all"))
            req->match = REQUEST_MATCH_ALL;
        else if (!is(VAL(P_MATCH), "phrase"))
            return fail(err, "invalid_match", "match must be phrase or all");
    }
    if (p[P_TYPOS]) {
        const char *v = p[P_TYPOS]->value;
        if (p[P_TYPOS]->value_len != 1 || v == NULL || v[0] < '0' || v[0] > '2')
            return fail(err, "invalid_typos", "typos must be 0, 1 or 2");
        req->typos = (unsigned)(v[0] - '0');
    }
    /* With typos, q is matched term by term, whatever match says. */
    if (req->has_text && (req->match == REQUEST_MATCH_ALL || req->typos > 0) &&
        split_terms(req) != 0)
        return fail(err, "invalid_query", "q must hold at most %d terms with %s",
                    REQUEST_MAX_TERMS, req->match == REQUEST_MATCH_ALL ? "match=all" : "typos");

    req->facets = 0;
    if (p[P_FACETS] && parse_facets(VAL(P_FACETS), &req->facets) != 0)
        return fail(err, "invalid_facets",
                    "facets must be a comma-separated subset of category, brand, each at most once");
    if (p[P_FIELDS] && parse_fields(VAL(P_FIELDS), req) != 0)
        return fail(err, "invalid_fields",
                    "fields must be 1 to 4 distinct of name, brand, category, description, "
                    "comma-separated");

    if (p[P_HIGHLIGHT]) {
        if (is(VAL(P_HIGHLIGHT), "true"))
            req->highlight = true;
        else if (!is(VAL(P_HIGHLIGHT), "false"))
            return fail(err, "invalid_highlight", "highlight must be true or false");
    }
#undef VAL
    return 0;
}
