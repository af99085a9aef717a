/* fuzz_search: random q, limit and scan limit over a generated catalog:
 * http_check_q, search_run, render_search; the answer must parse as JSON,
 * agree with a naive reference scan, and keep total_found >= listed.
 * Input: byte 0 picks limit, bytes 1-2 the scan limit, the rest is raw q. */
#define _GNU_SOURCE /* memmem */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "http.h"
#include "render.h"
#include "search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { PRODUCTS = 1200 };

static struct catalog cat;
static struct search_index idx;
static bool ready;

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* q (already lower-cased) in s, ignoring ASCII case in s. */
static bool ref_contains(const char *s, size_t n, const char *q, size_t qn)
{
    char buf[CATALOG_MAX_STRING];
    for (size_t i = 0; i < n; i++)
        buf[i] = lower(s[i]);
    return memmem(buf, n, q, qn) != NULL;
}

static bool ref_match(const struct product *p, const char *q, size_t qn)
{
    return ref_contains(catalog_text(&cat, p->name), p->name.len, q, qn) ||
           ref_contains(catalog_text(&cat, p->category), p->category.len, q, qn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        if (catalog_generate(&cat, PRODUCTS) != 0 || search_index_init(&idx, &cat) != 0)
            abort();
        ready = true;
    }
    if (size < 3)
        return 0;
    size_t limit = 1 + data[0] % SEARCH_MAX_LIMIT;
    size_t scan = ((size_t)data[1] << 8 | data[2]) % (PRODUCTS + 100); /* 0 = all */
    size_t rawn = size - 3;
    char *raw = malloc(rawn ? rawn : 1);
    memcpy(raw, data + 3, rawn);

    const char *q;
    size_t qn;
    struct search_result res;
    if (http_check_q(raw, rawn, &q, &qn) != HTTP_Q_OK) {
        /* search_run must refuse what validation refuses, never crash on it */
        if (rawn <= SEARCH_MAX_QUERY && rawn > 0 && memchr(raw, 0, rawn) != NULL &&
            search_run(&idx, raw, rawn, scan, limit, &res) != -1)
            abort();
        free(raw);
        return 0;
    }
    if (search_run(&idx, q, qn, scan, limit, &res) != 0)
        abort();

    /* the reference scan */
    char lq[SEARCH_MAX_QUERY];
    for (size_t i = 0; i < qn; i++)
        lq[i] = lower(q[i]);
    size_t checked = (scan == 0 || scan > PRODUCTS) ? PRODUCTS : scan;
    size_t found = 0, listed = 0;
    uint32_t want[SEARCH_MAX_LIMIT];
    for (size_t k = 0; k < checked; k++) {
        if (!ref_match(&cat.items[k], lq, qn))
            continue;
        if (listed < limit)
            want[listed++] = (uint32_t)k;
        found++;
    }
    if (res.checked != checked || res.total_found != found || res.count != listed ||
        memcmp(res.idx, want, listed * sizeof(want[0])) != 0)
        abort();

    size_t len;
    char *body = render_search(&cat, &res, &len);
    if (body == NULL)
        abort();
    cJSON *j = cJSON_ParseWithLength(body, len);
    if (j == NULL)
        abort();
    const cJSON *products = cJSON_GetObjectItemCaseSensitive(j, "products");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(j, "total_found");
    const cJSON *chk = cJSON_GetObjectItemCaseSensitive(j, "checked");
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(j, "search_time_ns");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "search_time");
    if (!cJSON_IsArray(products) || !cJSON_IsNumber(total) || !cJSON_IsNumber(chk) ||
        !cJSON_IsNumber(ns) || !cJSON_IsString(st))
        abort();
    int n = cJSON_GetArraySize(products);
    if (n != (int)listed || total->valuedouble < n || total->valuedouble != (double)found ||
        chk->valuedouble != (double)checked)
        abort();
    int i = 0;
    for (const cJSON *p = products->child; p != NULL; p = p->next, i++) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "name");
        if (!cJSON_IsNumber(id) || id->valuedouble != (double)cat.items[want[i]].id ||
            !cJSON_IsString(name) ||
            strcmp(name->valuestring, catalog_text(&cat, cat.items[want[i]].name)) != 0)
            abort();
    }
    cJSON_Delete(j);
    free(body);
    free(raw);
    return 0;
}
