/* highlight: where a request's terms matched in a listed product, as byte ranges per field. */
#ifndef PRODUCT_SEARCH_HIGHLIGHT_H
#define PRODUCT_SEARCH_HIGHLIGHT_H

#include "catalog.h"
#include "request.h"

/* Fills out with the highlight of product p under req (docs/api.md): for
 * each listed field, each term's occurrences found left to right without
 * overlap, ASCII case ignored, merged where they touch or overlap. Returns
 * 0, or -1 when memory runs out. */
int highlight_product(const struct catalog *cat, const struct product *p,
                       const struct request *req, struct highlight *out);

#endif
