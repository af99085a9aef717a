/* fuzz_catalog_file: catalog_load_file on a temporary file holding the input.
 * A loaded catalog must be in strictly increasing id order, hold prices of at
 * most 1e13 (in exact cents), render every product as JSON that parses back
 * to the same fields, and be searchable; a refused one must be empty, with
 * one error line. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "catalog_file.h"
#include "render.h"
#include "search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static bool same_string(const cJSON *o, const char *key, const struct catalog *cat,
                        struct catalog_str s)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && strlen(v->valuestring) == s.len &&
           memcmp(v->valuestring, catalog_text(cat, s), s.len) == 0;
}

static void check_catalog(const struct catalog *cat)
{
    if (cat->count == 0)
        abort();
    for (size_t k = 0; k < cat->count; k++) {
        const struct product *p = &cat->items[k];
        if (p->id == 0 || (k > 0 && p->id <= cat->items[k - 1].id))
            abort();
        if (p->price_cents > 1000000000000000ULL) /* 1e13 in cents */
            abort();
        size_t len;
        char *js = render_product(cat, p, &len);
        if (js == NULL)
            abort();
        cJSON *o = cJSON_ParseWithLength(js, len);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        const cJSON *price = cJSON_GetObjectItemCaseSensitive(o, "price");
        if (o == NULL || !cJSON_IsNumber(id) || id->valuedouble != (double)p->id ||
            !cJSON_IsNumber(price) || !same_string(o, "name", cat, p->name) ||
            !same_string(o, "category", cat, p->category) ||
            !same_string(o, "description", cat, p->description) ||
            !same_string(o, "brand", cat, p->brand))
            abort();
        cJSON_Delete(o);
        free(js);
    }
    struct search engine;
    if (search_init(&engine, cat, 0) != 0)
        abort();
    /* the first product's whole name (when short enough) finds it first */
    const struct product *p0 = &cat->items[0];
    if (p0->name.len > 0 && p0->name.len <= REQUEST_MAX_QUERY &&
        memchr(catalog_text(cat, p0->name), '\0', p0->name.len) == NULL) {
        struct request req;
        struct result res;
        if (request_phrase(&req, catalog_text(cat, p0->name), p0->name.len, 1) != 0 ||
            search_run(&engine, &req, 0, &res) != 0 ||
            res.count != 1 || res.item[0] != 0 || res.checked != cat->count)
            abort();
        size_t len;
        char *body = render_search(cat, &req, &res, &len);
        cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
        if (j == NULL)
            abort();
        cJSON_Delete(j);
        free(body);
    }
    search_deinit(&engine);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (path[0] == '\0')
        snprintf(path, sizeof(path), "/tmp/fuzz-catalog-%ld.json", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();

    struct catalog cat;
    char err[CATALOG_FILE_ERROR_MAX];
    memset(err, 0, sizeof(err));
    if (catalog_load_file(&cat, path, err) == 0) {
        check_catalog(&cat);
        catalog_deinit(&cat);
    } else {
        size_t n = strnlen(err, sizeof(err));
        if (n == 0 || n >= sizeof(err) || memchr(err, '\n', n) != NULL || cat.count != 0)
            abort();
    }
    return 0;
}
