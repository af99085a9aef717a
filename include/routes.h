/* routes: the handlers of the service's routes; the only module that knows query, search and render. */
#ifndef PRODUCT_SEARCH_ROUTES_H
#define PRODUCT_SEARCH_ROUTES_H

#include <stdatomic.h>
#include <stdbool.h>

#include <microhttpd.h>

#include "catalog.h"
#include "config.h"
#include "http_reply.h"
#include "metrics.h"
#include "search.h"

/* What the handlers read; everything borrowed, outliving the server. */
struct routes {
    const struct config *cfg;      /* MAX_RESULTS, SCAN_LIMIT */
    const struct catalog *cat;     /* products answered by id and rendered */
    const struct search *search;   /* the engine searches go to */
    struct metrics *metrics;       /* rendered by /metrics */
    const atomic_bool *draining;   /* /health answers 503 once true */
};

/* Answers ex on its route (ex->route; HTTP_ROUTE_OTHER gets 404) once the
 * request is complete, method checked. */
enum MHD_Result routes_answer(const struct routes *r, const struct exchange *ex);

#endif
