/* fuzz_index: a small catalog built from the input, indexed with tiny
 * thresholds (so that every path of the index runs on a few products), then
 * random requests (tests/reqgen.c, seeded from the input) through
 * index_run() and reference_run() over the whole catalog: every answer
 * must be the reference's.
 * Input: bytes 0-2 pick the thresholds, and bit 7 of byte 0 typo requests
 * (reqgen_url_typos: misspelt words of the products, typos=1|2) instead of
 * reqgen_url's mix; then one product per line, a price byte followed by
 * name, category and brand separated by '|'. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "index.h"
#include "index_test.h"
#include "reqgen.h"
#include "tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    MAX_PRODUCTS = 300,
    REQUESTS = 24,
};

/* The next field of [*p, end) up to sep or the end of the line. */
static const char *field(const char **p, const char *end, char sep, size_t *len)
{
    const char *s = *p;
    while (*p < end && **p != sep && **p != '\n')
        (*p)++;
    *len = (size_t)(*p - s);
    if (*p < end && **p == sep)
        (*p)++;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    struct index_tuning tune = {2u + data[0] % 8u, data[1] % 8u, data[2] % 16u};
    const char *p = (const char *)data + 3, *end = (const char *)data + size;
    struct catalog cat;
    catalog_init(&cat);
    unsigned seed = 0;
    for (size_t i = 0; i < size; i++)
        seed = seed * 31u + data[i];
    while (p < end && cat.count < MAX_PRODUCTS) {
        uint64_t price = (uint8_t)*p++ % 50u;
        size_t nl, cl, bl;
        const char *name = field(&p, end, '|', &nl);
        const char *category = field(&p, end, '|', &cl);
        const char *brand = field(&p, end, '|', &bl);
        while (p < end && *p != '\n')
            p++;
        if (p < end)
            p++;
        if (catalog_add(&cat, cat.count * 7 + 1, price, name, nl, category, cl, "d", 1, brand,
                        bl) != 0)
            abort();
    }
    if (cat.count == 0) {
        catalog_deinit(&cat);
        return 0;
    }
    struct tables t;
    if (tables_init(&t, &cat, 0) != 0)
        abort();
    struct index *ix = index_build_tuned(&t, &tune, NULL);
    if (ix == NULL)
        abort();
    struct reqgen_report rep;
    reqgen_draw draw = data[0] & 0x80 ? reqgen_url_typos : reqgen_url;
    if (reqgen_compare(&cat, 0, reqgen_answer_index, ix, draw, &seed, REQUESTS, &rep) != 0 &&
        rep.failed)
        abort(); /* a difference from the reference (a shortfall of valid requests is fine) */
    index_destroy(ix);
    tables_deinit(&t);
    catalog_deinit(&cat);
    return 0;
}
