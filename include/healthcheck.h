/* healthcheck: the --healthcheck client, so that a container health check needs no curl. */
#ifndef PRODUCT_SEARCH_HEALTHCHECK_H
#define PRODUCT_SEARCH_HEALTHCHECK_H

#include "config.h"

/* GET /health on cfg's port over loopback (or cfg's bind address); returns
 * 0 when it answers 200 within two seconds, 1 otherwise (the exit status). */
int healthcheck_run(const struct config *cfg);

#endif
