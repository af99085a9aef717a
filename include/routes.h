/* routes: the handlers of the service's routes; the only module that knows query, search and render. */
#ifndef PRODUCT_SEARCH_ROUTES_H
#define PRODUCT_SEARCH_ROUTES_H

#include <stdatomic.h>
#include <stdbool.h>

#include <microhttpd.h>

#include "config.h"
#include "http_reply.h"
#include "live.h"
#include "metrics.h"

/* The header naming the catalog an answer came from (its version). */
#define ROUTES_VERSION_HEADER "X-Catalog-Version"

/* What the handlers read; everything borrowed, outliving the server. */
struct routes {
    const struct config *cfg;      /* MAX_RESULTS, SCAN_LIMIT */
    struct live *live;             /* the catalog and engine each request holds */
    struct metrics *metrics;       /* rendered by /metrics */
    const atomic_bool *draining;   /* /health answers 503 once true */
};

/* Answers ex on its route (ex->route; HTTP_ROUTE_OTHER gets 404) once the
 * request is complete, method checked. */
enum MHD_Result routes_answer(const struct routes *r, const struct exchange *ex);

#endif
