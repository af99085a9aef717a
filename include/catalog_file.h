/* catalog_file: loads a catalog from a JSON array or JSON Lines file, checking every record. */
#ifndef PRODUCT_SEARCH_CATALOG_FILE_H
#define PRODUCT_SEARCH_CATALOG_FILE_H

#include "catalog.h"

enum {
    CATALOG_FILE_ERROR_MAX = 512, /* room for one error line */
};

/* Fills cat (caller-owned, initialised) from path: a JSON array of product
 * objects, or one object per line. Prices are read from the number's digits
 * into exact cents (more than 2 fraction digits is an error, never rounded);
 * a string holding a NUL is an error, never cut short; ids are unique.
 * Products end up in id order. Returns 0, or -1 with one line in err
 * (CATALOG_FILE_ERROR_MAX bytes) naming the file, the record (its number,
 * and its line in a JSON Lines file) and the problem; cat is then empty. */
int catalog_load_file(struct catalog *cat, const char *path, char *err);

#endif
