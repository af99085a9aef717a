/* tables: what scan and index read besides the catalog: lower-cased text and value tables. */
#ifndef PRODUCT_SEARCH_TABLES_H
#define PRODUCT_SEARCH_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

/* The distinct values of one field. Value ids follow the byte order of the
 * values, so sorting by id sorts by value; folded ids follow the byte order
 * of the ASCII lower-cased values. */
struct tables_values {
    uint32_t *of;       /* per product: the id of its value */
    uint32_t *rep;      /* per value id: a product holding that value */
    uint32_t *folded;   /* per value id: the id of its ASCII lower-cased form */
    uint32_t *fold_rep; /* per folded id: a product holding a value of that form */
    uint32_t count;     /* distinct values */
    uint32_t nfolded;   /* distinct lower-cased values */
};

/* The tables of one catalog, built once and then only read. */
struct tables {
    const struct catalog *cat; /* the products (borrowed; must outlive the tables) */
    char *text;     /* for each product its lower-cased name and category, each
                     * followed by a NUL, back to back in id order; a query holds
                     * no NUL, so no match spans two fields or two products */
    uint32_t *offs; /* scanned + 1 offsets: product k is text[offs[k], offs[k+1]) */
    char *more;     /* the same for each product's description and brand, for the
                     * searches that list those fields */
    uint32_t *more_offs; /* scanned + 1 offsets into more */
    size_t count;   /* products in the catalog */
    size_t scanned; /* products whose text is built: the widest window a scan reads */
    struct tables_values values[CATALOG_FIELD_COUNT]; /* built for every field but the name */
    bool borrowed;  /* the value tables belong to someone else (a snapshot's mapping) */
};

/* Builds the tables of cat into t (caller-owned): the text of the first
 * scanned products (a server whose SCAN_LIMIT is 100 needs no text for the
 * rest; the whole-catalog index needs none) and the value tables of every
 * product. Returns 0, or -1 when memory runs out or the text would pass
 * 4 GiB (t is then empty). */
int tables_init(struct tables *t, const struct catalog *cat, size_t scanned);

/* Frees what t owns and leaves it empty. */
void tables_deinit(struct tables *t);

struct snapfile;
struct snapfile_writer;

/* Writes t's value tables (the whole-catalog index reads them) to w. */
void tables_snapshot_write(const struct tables *t, struct snapfile_writer *w);

/* The tables of a whole-catalog engine (no scan text, as tables_init()
 * with scanned 0 builds them) for cat, with the value tables read from
 * snapshot s where they lie (borrowed: s must outlive t). Returns 0, or -1
 * with one line in err (SNAPFILE_ERROR_MAX bytes). */
int tables_snapshot_open(struct tables *t, const struct catalog *cat, const struct snapfile *s,
                         char *err);

/* The lower-cased field f of product k (k < t->scanned), *len bytes. */
const char *tables_field(const struct tables *t, size_t k, enum catalog_field f, size_t *len);

/* The folded id of value v (vn bytes, ASCII lower-cased) of field f
 * (category or brand), or UINT32_MAX when no product holds it in any case. */
uint32_t tables_fold_find(const struct tables *t, enum catalog_field f, const char *v, size_t vn);

#endif
