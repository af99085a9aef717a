/* reference: the plain search every fast path is tested against; nothing precomputed. */
#ifndef PRODUCT_SEARCH_REFERENCE_H
#define PRODUCT_SEARCH_REFERENCE_H

#include <stddef.h>

#include "catalog.h"
#include "request.h"

/* Answers req over the window of the first min(scan_limit, count) products
 * (scan_limit 0 = all) in the contract's order (window, text test, filters,
 * sort, offset, limit, facets), written for clarity, never tuned. Sets
 * elapsed_ns. Returns 0, or -1 when memory runs out. */
int reference_run(const struct catalog *cat, const struct request *req, size_t scan_limit,
                  struct result *out);

/* The highlight of product p under req (docs/api.md), read off the
 * definition. */
void reference_highlight(const struct catalog *cat, const struct product *p,
                         const struct request *req, struct highlight *out);

#endif
