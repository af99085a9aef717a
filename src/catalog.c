/* catalog: generation of the generated products (docs/api.md) into one array and one arena. */
#include "catalog.h"

#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include "snapfile.h"
#include "text.h"

static const char *const BRANDS[] = {
    "Alpha", "Beta", "Gamma", "Delta", "Epsilon",
    "Zeta", "Eta", "Theta", "Iota", "Kappa",
};
static const char *const CATEGORIES[] = {
    "Electronics", "Books", "Home", "Sports", "Clothing", "Toys",
    "Garden", "Food", "Health", "Automotive", "Beauty", "Office",
};
static const char *const CATEGORIES_LOWER[] = {
    "electronics", "books", "home", "sports", "clothing", "toys",
    "garden", "food", "health", "automotive", "beauty", "office",
};
static const char *const ADJECTIVES[] = {
    "Durable", "Compact", "Premium", "Classic",
    "Lightweight", "Smart", "Handcrafted", "Eco-friendly",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

void catalog_init(struct catalog *cat)
{
    memset(cat, 0, sizeof(*cat));
}

void catalog_deinit(struct catalog *cat)
{
    if (!cat->borrowed) {
        free(cat->items);
        free(cat->arena);
    }
    catalog_init(cat);
}

void catalog_huge_pages(void *p, size_t len)
{
    uintptr_t from = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
    uintptr_t to = ((uintptr_t)p + len) & ~(uintptr_t)4095;
    if (len >= CATALOG_HUGE_MIN && to > from)
        (void)madvise((void *)from, to - from, MADV_HUGEPAGE);
}

static int reserve_items(struct catalog *cat, size_t want)
{
    if (want <= cat->cap)
        return 0;
    size_t cap = cat->cap ? cat->cap * 2 : 1024;
    while (cap < want)
        cap *= 2;
    struct product *items = realloc(cat->items, cap * sizeof(*items));
    if (items == NULL)
        return -1;
    cat->items = items;
    cat->cap = cap;
    catalog_huge_pages(items, cap * sizeof(*items));
    return 0;
}

static int reserve_arena(struct catalog *cat, size_t extra)
{
    size_t want = cat->arena_len + extra;
    if (want > UINT32_MAX)
        return -1; /* offsets are 32-bit */
    if (want <= cat->arena_cap)
        return 0;
    size_t cap = cat->arena_cap ? cat->arena_cap * 2 : 64 * 1024;
    while (cap < want)
        cap *= 2;
    if (cap > (size_t)UINT32_MAX + 1)
        cap = (size_t)UINT32_MAX + 1;
    char *arena = realloc(cat->arena, cap);
    if (arena == NULL)
        return -1;
    cat->arena = arena;
    cat->arena_cap = cap;
    catalog_huge_pages(arena, cap);
    return 0;
}

/* Copies len bytes plus a terminator into the arena (space reserved by the caller). */
static struct catalog_str put(struct catalog *cat, const char *s, size_t len)
{
    struct catalog_str out = {(uint32_t)cat->arena_len, (uint32_t)len};
    memcpy(cat->arena + cat->arena_len, s, len);
    cat->arena[cat->arena_len + len] = '\0';
    cat->arena_len += len + 1;
    return out;
}

/* Appends a product whose JSON-plain bits are already known. */
/* Appends a product; field f's string is copied into the arena, or, when
 * have[f] is given (have NULL: none is), is that string already there. */
static int add_shared(struct catalog *cat, uint64_t id, uint64_t price_cents,
                      const char *const str[4], const size_t len[4], uint8_t plain,
                      struct catalog_str *const have[4])
{
    size_t need = 0;
    for (int f = 0; f < 4; f++)
        need += have != NULL && have[f] != NULL ? 0 : len[f] + 1;
    if (reserve_items(cat, cat->count + 1) != 0 || reserve_arena(cat, need) != 0)
        return -1;
    struct product *p = &cat->items[cat->count++];
    memset(p, 0, sizeof(*p)); /* padding too: generation is byte-identical */
    p->id = id;
    p->price_cents = price_cents;
    struct catalog_str *field[4] = {&p->name, &p->category, &p->description, &p->brand};
    for (int f = 0; f < 4; f++)
        *field[f] = have != NULL && have[f] != NULL ? *have[f] : put(cat, str[f], len[f]);
    p->plain = plain;
    return 0;
}

static int add_product(struct catalog *cat, uint64_t id, uint64_t price_cents,
                       const char *const str[4], const size_t len[4], uint8_t plain)
{
    return add_shared(cat, id, price_cents, str, len, plain, NULL);
}

int catalog_add(struct catalog *cat, uint64_t id, uint64_t price_cents,
                const char *name, size_t name_len,
                const char *category, size_t category_len,
                const char *description, size_t description_len,
                const char *brand, size_t brand_len)
{
    const char *const str[4] = {name, category, description, brand};
    const size_t len[4] = {name_len, category_len, description_len, brand_len};
    uint8_t plain = 0;
    for (unsigned f = 0; f < 4; f++) {
        if (len[f] > CATALOG_MAX_STRING)
            return -1;
        plain |= (uint8_t)(text_json_plain(str[f], len[f]) << f); /* order of enum catalog_field */
    }
    return add_product(cat, id, price_cents, str, len, plain);
}

long catalog_find(const struct catalog *cat, uint64_t id)
{
    size_t lo = 0, hi = cat->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cat->items[mid].id == id)
            return (long)mid;
        if (cat->items[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

void catalog_shrink(struct catalog *cat)
{
    if (cat->count > 0 && cat->count < cat->cap) {
        struct product *items = realloc(cat->items, cat->count * sizeof(*items));
        if (items != NULL) {
            cat->items = items;
            cat->cap = cat->count;
        }
    }
    if (cat->arena_len > 0 && cat->arena_len < cat->arena_cap) {
        char *arena = realloc(cat->arena, cat->arena_len);
        if (arena != NULL) {
            cat->arena = arena;
            cat->arena_cap = cat->arena_len;
        }
    }
}

static char *put_str(char *p, const char *s)
{
    size_t len = strlen(s);
    memcpy(p, s, len);
    return p + len;
}

/* Generation writes the fields with memcpy and a small integer formatter
 * rather than snprintf: 400,000 formatted strings at start-up is the bulk
 * of the time to ready. */
int catalog_generate(struct catalog *cat, size_t n)
{
    catalog_init(cat);
    if (n < 1 || n > CATALOG_MAX_PRODUCTS)
        return -1;
    /* A name is at most 32 bytes, and the other fields take few values,
     * each stored once (10,000,000 products: 300 MB of arena instead of
     * 800); reserving once keeps the arena from growing by doubling (and
     * from peaking at twice its size). */
    static struct catalog_str stored[COUNT_OF(ADJECTIVES)][COUNT_OF(CATEGORIES)][COUNT_OF(BRANDS)][3];
    memset(stored, 0, sizeof(stored));
    if (reserve_items(cat, n) != 0 || reserve_arena(cat, n * 32 + 65536) != 0) {
        catalog_deinit(cat);
        return -1;
    }
    size_t brand_len[COUNT_OF(BRANDS)], category_len[COUNT_OF(CATEGORIES)];
    for (size_t b = 0; b < COUNT_OF(BRANDS); b++)
        brand_len[b] = strlen(BRANDS[b]);
    for (size_t c = 0; c < COUNT_OF(CATEGORIES); c++)
        category_len[c] = strlen(CATEGORIES[c]);
    char name[64], description[64];
    for (size_t i = 1; i <= n; i++) {
        size_t b = (i - 1) % COUNT_OF(BRANDS), c = (i - 1) % COUNT_OF(CATEGORIES);
        char *end = put_str(put_str(name, "Product "), BRANDS[b]);
        *end++ = ' ';
        end = text_put_u64(end, i);

        char *d = put_str(description, ADJECTIVES[(i - 1) % COUNT_OF(ADJECTIVES)]);
        *d++ = ' ';
        d = put_str(d, CATEGORIES_LOWER[c]);
        d = put_str(d, " item by ");
        d = put_str(d, BRANDS[b]);
        *d++ = '.';

        const char *const str[4] = {name, CATEGORIES[c], description, BRANDS[b]};
        const size_t len[4] = {(size_t)(end - name), category_len[c], (size_t)(d - description),
                               brand_len[b]};
        uint64_t price = 100 + ((uint64_t)i * 7919) % 99900;
        /* category, description and brand as stored for the first product
         * of this (adjective, category, brand); len is 0 until then */
        struct catalog_str *was = stored[(i - 1) % COUNT_OF(ADJECTIVES)][c][b];
        struct catalog_str *const have[4] = {NULL, was[0].len ? &was[0] : NULL,
                                             was[1].len ? &was[1] : NULL,
                                             was[2].len ? &was[2] : NULL};
        /* Generated strings hold letters, digits, spaces, '-' and '.': all plain. */
        if (add_shared(cat, i, price, str, len, 0xF, have) != 0) {
            catalog_deinit(cat);
            return -1;
        }
        const struct product *p = &cat->items[cat->count - 1];
        was[0] = p->category;
        was[1] = p->description;
        was[2] = p->brand;
    }
    catalog_shrink(cat);
    return 0;
}

/* ---- snapshots -------------------------------------------------------------- */

enum {
    SNAP_ITEMS_CHUNK = 4096, /* products copied (without their padding) per write */
};

int catalog_snapshot_write(const struct catalog *cat, struct snapfile_writer *w)
{
    /* Field by field into zeroed records: the padding between fields is
     * written as zeros, not as whatever the heap held. */
    struct product *chunk = malloc(SNAP_ITEMS_CHUNK * sizeof(*chunk));
    if (chunk == NULL)
        return -1;
    snapfile_begin(w, "catalog.items");
    for (size_t k = 0; k < cat->count; k += SNAP_ITEMS_CHUNK) {
        size_t n = cat->count - k < SNAP_ITEMS_CHUNK ? cat->count - k : SNAP_ITEMS_CHUNK;
        memset(chunk, 0, n * sizeof(*chunk));
        for (size_t i = 0; i < n; i++) {
            const struct product *p = &cat->items[k + i];
            chunk[i].id = p->id;
            chunk[i].price_cents = p->price_cents;
            chunk[i].name = p->name;
            chunk[i].category = p->category;
            chunk[i].description = p->description;
            chunk[i].brand = p->brand;
            chunk[i].plain = p->plain;
        }
        snapfile_write(w, chunk, n * sizeof(*chunk));
    }
    snapfile_end(w);
    free(chunk);
    snapfile_section(w, "catalog.arena", cat->arena, cat->arena_len);
    return 0;
}

int catalog_snapshot_open(struct catalog *cat, const struct snapfile *s, char *err)
{
    size_t items_len, arena_len;
    const void *items = snapfile_get(s, "catalog.items", &items_len);
    const void *arena = snapfile_get(s, "catalog.arena", &arena_len);
    catalog_init(cat);
    if (items == NULL || arena == NULL || items_len % sizeof(struct product) != 0 ||
        items_len / sizeof(struct product) > CATALOG_MAX_PRODUCTS ||
        (arena_len > 0 && ((const char *)arena)[arena_len - 1] != '\0')) {
        snprintf(err, SNAPFILE_ERROR_MAX, "the catalog's sections are missing or out of shape");
        return -1;
    }
    cat->items = (struct product *)items;
    cat->count = items_len / sizeof(struct product);
    cat->arena = (char *)arena;
    cat->arena_len = arena_len;
    cat->borrowed = true;
    return 0;
}
