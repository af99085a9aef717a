/* catalog_file: loads a catalog from a JSON array or JSON Lines file, checking every record. */
#ifndef PRODUCT_SEARCH_CATALOG_FILE_H
#define PRODUCT_SEARCH_CATALOG_FILE_H

#include "catalog.h"

enum {
    CATALOG_FILE_ERROR_MAX = 512, /* room for one error line */
};

/* Fills cat (caller-owned, initialised) from path: a JSON array of product
 * objects, or one object per line. Products end up in id order. Returns 0,
 * or -1 with one line naming the file, the record and the problem in err
 * (CATALOG_FILE_ERROR_MAX bytes); cat is then empty. */
int catalog_load_file(struct catalog *cat, const char *path, char *err);

#endif
