/* scan: the bounded scan, product by product over the tables' lower-cased text, in id order. */
#ifndef PRODUCT_SEARCH_SCAN_H
#define PRODUCT_SEARCH_SCAN_H

#include <stddef.h>

#include "request.h"
#include "tables.h"

/* Answers req over the first checked products (checked at most t->scanned):
 * the finder runs over the window's text for the first term, each hit's
 * product is checked for the rest, the filters and the page. Returns 0, or
 * -1 when memory runs out. elapsed_ns is left for the caller. */
int scan_run(const struct tables *t, const struct request *req, size_t checked,
             struct result *out);

#endif
