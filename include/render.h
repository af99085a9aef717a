/* render: JSON bodies for the search answer, errors and health; no HTTP. */
#ifndef PRODUCT_SEARCH_RENDER_H
#define PRODUCT_SEARCH_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "request.h"

enum {
    RENDER_DURATION_MAX = 40, /* room for any render_duration() output */
};

/* Writes ns as a Go duration string ("850ns", "3.2µs", "1.25ms", "2m3.5s")
 * into buf (at least RENDER_DURATION_MAX bytes), NUL-terminated; returns its length. */
size_t render_duration(char *buf, uint64_t ns);

/* The search answer (docs/api.md) for res, the answer to req over cat, with
 * each product's highlight when req asks for it; NUL-terminated, in one heap
 * buffer the caller owns (free()); *len gets its length. NULL when memory
 * runs out. */
char *render_search(const struct catalog *cat, const struct request *req,
                    const struct result *res, size_t *len);

/* One product as a JSON object, NUL-terminated, in a heap buffer the caller owns (free());
 * the catalog export writes these as JSON Lines. NULL when memory runs out. */
char *render_product(const struct catalog *cat, const struct product *p, size_t *len);

/* {"error":code,"message":message} in a heap buffer the caller owns (free()). */
char *render_error(const char *code, const char *message, size_t *len);

#endif
