/* fuzz_search: random URL parameters over a generated catalog: query_parse,
 * search_run against reference_run, render_search. Every accepted request
 * must get the reference's answer, and its rendering must parse as JSON with
 * total_found >= the products listed; every refused one an error code.
 * Input: bytes 0-1 pick the scan limit, the rest is a query string
 * ("q=alpha&sort=price&facets=brand", '&' and '=' separate, no decoding). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "query.h"
#include "render.h"
#include "reqgen.h"
#include "search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { PRODUCTS = 1200 };

static struct catalog cat;
static struct search engine;
static bool ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        if (catalog_generate(&cat, PRODUCTS) != 0 || search_init(&engine, &cat, 0) != 0)
            abort();
        ready = true;
    }
    if (size < 2)
        return 0;
    size_t scan = ((size_t)data[0] << 8 | data[1]) % (PRODUCTS + 100); /* 0 = all */
    size_t n = size - 2;
    /* An exact-size copy, so ASan sees any read past the end. */
    char *s = malloc(n ? n : 1);
    memcpy(s, data + 2, n);

    struct query_param ps[QUERY_MAX_PARAMS];
    size_t np = 0, start = 0;
    for (size_t i = 0; i <= n && np < QUERY_MAX_PARAMS; i++) {
        if (i < n && s[i] != '&')
            continue;
        const char *eq = memchr(s + start, '=', i - start);
        size_t name_len = eq ? (size_t)(eq - (s + start)) : i - start;
        ps[np++] = (struct query_param){s + start, name_len, eq ? eq + 1 : NULL,
                                        eq ? i - start - name_len - 1 : 0};
        start = i + 1;
    }
    struct request req;
    struct query_error err;
    if (query_parse(ps, np, 20, &req, &err) != 0) {
        if (err.code == NULL || strncmp(err.code, "invalid_", 8) != 0) {
            if (strcmp(err.code, "missing_query") != 0 && strcmp(err.code, "duplicate_parameter") != 0)
                abort();
        }
        free(s);
        return 0;
    }
    free(s); /* the request owns copies of everything it needs */

    struct reqgen_report rep = {0};
    if (reqgen_check(&cat, scan, reqgen_answer_search, &engine, &req, &rep) != 0)
        abort();
    struct result got;
    if (search_run(&engine, &req, scan, &got) != 0)
        abort();

    size_t len;
    char *body = render_search(&cat, &req, &got, &len);
    if (body == NULL)
        abort();
    cJSON *j = cJSON_ParseWithLength(body, len);
    if (j == NULL)
        abort();
    const cJSON *products = cJSON_GetObjectItemCaseSensitive(j, "products");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(j, "total_found");
    const cJSON *facets = cJSON_GetObjectItemCaseSensitive(j, "facets");
    if (!cJSON_IsArray(products) || !cJSON_IsNumber(total) ||
        total->valuedouble < cJSON_GetArraySize(products) ||
        (size_t)cJSON_GetArraySize(products) != got.count || (req.facets != 0) != (facets != NULL))
        abort();
    cJSON_Delete(j);
    free(body);
    return 0;
}
