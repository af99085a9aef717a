/* catalog: the products, one contiguous array plus one string arena; knows nothing of HTTP. */
#ifndef PRODUCT_SEARCH_CATALOG_H
#define PRODUCT_SEARCH_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    CATALOG_MAX_PRODUCTS = 10000000, /* PRODUCT_COUNT upper bound (see the configuration in README.md) */
    CATALOG_MAX_STRING = 4096,       /* longest field, in bytes */
    CATALOG_HUGE_MIN = 2 << 20,      /* buffers from this size get huge pages */
};

/* A string stored in the catalog's arena. */
struct catalog_str {
    uint32_t off; /* byte offset into catalog.arena */
    uint32_t len; /* length in bytes, no terminator counted (one is stored) */
};

/* One product; its strings live in the owning catalog's arena. */
struct product {
    uint64_t id;                     /* unique, positive */
    uint64_t price_cents;            /* price in cents, never negative */
    struct catalog_str name;         /* "Product Alpha 1" */
    struct catalog_str category;     /* "Electronics" */
    struct catalog_str description;  /* "Durable electronics item by Alpha." */
    struct catalog_str brand;        /* "Alpha" */
    uint8_t plain;                   /* bit per field: no JSON escaping needed */
};

/* The four text fields of a product. */
enum catalog_field {
    CATALOG_NAME,
    CATALOG_CATEGORY,
    CATALOG_DESCRIPTION,
    CATALOG_BRAND,
    CATALOG_FIELD_COUNT,
};

/* Bits of product.plain: the field's bytes can be copied into JSON as they are. */
enum catalog_plain {
    CATALOG_PLAIN_NAME = 1 << CATALOG_NAME,
    CATALOG_PLAIN_CATEGORY = 1 << CATALOG_CATEGORY,
    CATALOG_PLAIN_DESCRIPTION = 1 << CATALOG_DESCRIPTION,
    CATALOG_PLAIN_BRAND = 1 << CATALOG_BRAND,
};

/* The whole catalog: products in load order, strings in one arena. */
struct catalog {
    struct product *items; /* count products, contiguous */
    size_t count;          /* number of products */
    size_t cap;            /* allocated slots in items */
    char *arena;           /* every string, each NUL-terminated */
    size_t arena_len;      /* bytes used in arena */
    size_t arena_cap;      /* bytes allocated for arena */
    bool borrowed;         /* items and arena belong to someone else (a snapshot's
                            * mapping): read only, never freed here */
};

/* Fills cat (caller-owned storage) with the generated catalog (docs/api.md) of n products,
 * byte-identical on every run. Returns 0, or -1 when n is out of range or
 * memory runs out (cat is then empty). Release with catalog_deinit(). */
int catalog_generate(struct catalog *cat, size_t n);

/* Prepares an empty catalog able to take products with catalog_add(). */
void catalog_init(struct catalog *cat);

/* Appends one product, copying the four strings into the arena. Returns 0,
 * or -1 when a string is longer than CATALOG_MAX_STRING, memory runs out or
 * the arena would pass 4 GiB. */
int catalog_add(struct catalog *cat, uint64_t id, uint64_t price_cents,
                const char *name, size_t name_len,
                const char *category, size_t category_len,
                const char *description, size_t description_len,
                const char *brand, size_t brand_len);

/* Position of the product with this id in a catalog in id order (as every
 * loaded or generated catalog is), or -1 when there is none. */
long catalog_find(const struct catalog *cat, uint64_t id);

/* Asks the kernel for transparent huge pages behind a large buffer (at least
 * CATALOG_HUGE_MIN bytes): a 100,000-product catalog then takes a few dozen
 * page faults instead of thousands, a third of its start-up time. Harmless
 * where the kernel says no. */
void catalog_huge_pages(void *p, size_t len);

struct snapfile;
struct snapfile_writer;

/* Writes cat's products and strings to w as sections of their own. Returns
 * 0, or -1 when memory runs out. */
int catalog_snapshot_write(const struct catalog *cat, struct snapfile_writer *w);

/* Fills cat (caller-owned) from snapshot s: products and strings are read
 * where they lie in the mapping (borrowed: s must outlive cat). Returns 0,
 * or -1 with one line in err (SNAPFILE_ERROR_MAX bytes) when a section is
 * missing or out of shape. */
int catalog_snapshot_open(struct catalog *cat, const struct snapfile *s, char *err);

/* Gives back unused capacity once loading is over. */
void catalog_shrink(struct catalog *cat);

/* Frees what the catalog owns and leaves it empty. */
void catalog_deinit(struct catalog *cat);

/* Field f of product p. */
static inline struct catalog_str catalog_field(const struct product *p, enum catalog_field f)
{
    switch (f) {
    case CATALOG_NAME:
        return p->name;
    case CATALOG_CATEGORY:
        return p->category;
    case CATALOG_DESCRIPTION:
        return p->description;
    default:
        return p->brand;
    }
}

/* True when field f of p can be copied into a JSON string as it is. */
static inline int catalog_plain(const struct product *p, enum catalog_field f)
{
    return (p->plain >> f) & 1;
}

/* The bytes of s, NUL-terminated, valid while cat lives. */
static inline const char *catalog_text(const struct catalog *cat, struct catalog_str s)
{
    return cat->arena + s.off;
}

#endif
