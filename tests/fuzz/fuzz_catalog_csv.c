/* fuzz_catalog_csv: catalog_csv_load on a temporary file holding the input,
 * with each delimiter (',', ';', tab) and the default columns. A loaded
 * catalog must be in strictly increasing id order (1..N when the header has no
 * id column), hold names that are not empty, strings of valid UTF-8 of at most
 * 4096 bytes without NUL, prices of at most 1e13, and, written as --import-csv
 * writes it, load back through catalog_load_file (PRODUCTS_FILE) to the same
 * products; a refused one must be empty, with one error line. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "catalog_csv.h"
#include "catalog_file.h"
#include "render.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char csv_path[64], jsonl_path[64];

static bool same_str(const struct catalog *a, struct catalog_str x, const struct catalog *b,
                     struct catalog_str y)
{
    return x.len == y.len && memcmp(catalog_text(a, x), catalog_text(b, y), x.len) == 0;
}

static void check_string(const struct catalog *cat, struct catalog_str s)
{
    const char *t = catalog_text(cat, s);
    if (s.len > CATALOG_MAX_STRING || memchr(t, '\0', s.len) != NULL ||
        !text_utf8_valid(t, s.len) || t[s.len] != '\0')
        abort();
}

static void check_catalog(const struct catalog *cat, bool assigned)
{
    if (cat->count == 0)
        abort();
    FILE *f = fopen(jsonl_path, "wb");
    if (f == NULL)
        abort();
    for (size_t k = 0; k < cat->count; k++) {
        const struct product *p = &cat->items[k];
        if (p->id == 0 || p->id > 9007199254740991ULL || (k > 0 && p->id <= p[-1].id) ||
            (assigned && p->id != k + 1))
            abort();
        if (p->price_cents > 1000000000000000ULL || p->name.len == 0)
            abort();
        check_string(cat, p->name);
        check_string(cat, p->category);
        check_string(cat, p->description);
        check_string(cat, p->brand);
        size_t len;
        char *line = render_product(cat, p, &len);
        if (line == NULL || fwrite(line, 1, len, f) != len || fputc('\n', f) == EOF)
            abort();
        free(line);
    }
    if (fclose(f) != 0)
        abort();
    struct catalog back;
    char err[CATALOG_FILE_ERROR_MAX];
    if (catalog_load_file(&back, jsonl_path, err) != 0) {
        fprintf(stderr, "the import does not load back: %s\n", err);
        abort();
    }
    if (back.count != cat->count)
        abort();
    for (size_t k = 0; k < cat->count; k++) {
        const struct product *a = &cat->items[k], *b = &back.items[k];
        if (a->id != b->id || a->price_cents != b->price_cents ||
            !same_str(cat, a->name, &back, b->name) ||
            !same_str(cat, a->category, &back, b->category) ||
            !same_str(cat, a->description, &back, b->description) ||
            !same_str(cat, a->brand, &back, b->brand))
            abort();
    }
    catalog_deinit(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (csv_path[0] == '\0') {
        snprintf(csv_path, sizeof(csv_path), "/tmp/fuzz-csv-%ld.csv", (long)getpid());
        snprintf(jsonl_path, sizeof(jsonl_path), "/tmp/fuzz-csv-%ld.jsonl", (long)getpid());
    }
    FILE *f = fopen(csv_path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();

    static const char delimiters[] = {',', ';', '\t'};
    for (size_t d = 0; d < sizeof(delimiters); d++) {
        struct catalog cat;
        struct catalog_csv_map map;
        char err[CATALOG_FILE_ERROR_MAX];
        bool assigned = false;
        catalog_csv_map_init(&map);
        map.delimiter = delimiters[d];
        memset(err, 0, sizeof(err));
        if (catalog_csv_load(&cat, csv_path, &map, &assigned, err) == 0) {
            check_catalog(&cat, assigned);
            catalog_deinit(&cat);
        } else {
            size_t n = strnlen(err, sizeof(err));
            if (n == 0 || n >= sizeof(err) || memchr(err, '\n', n) != NULL || cat.count != 0 ||
                strncmp(err, "--import-csv ", 13) != 0)
                abort();
        }
    }
    return 0;
}
