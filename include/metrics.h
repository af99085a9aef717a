/* metrics: request counters, a latency histogram and gauges, in Prometheus text format. */
#ifndef PRODUCT_SEARCH_METRICS_H
#define PRODUCT_SEARCH_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The routes requests are counted under. */
enum metrics_route {
    METRICS_ROUTE_SEARCH,  /* /products/search */
    METRICS_ROUTE_HEALTH,  /* /health */
    METRICS_ROUTE_METRICS, /* /metrics */
    METRICS_ROUTE_PRODUCT, /* /products/{id} */
    METRICS_ROUTE_OPENAPI, /* /openapi.json */
    METRICS_ROUTE_OTHER,   /* any other path */
    METRICS_ROUTE_COUNT,
};

enum {
    METRICS_STATUS_COUNT = 8,  /* status codes counted one by one, the rest as "other" */
    METRICS_BUCKET_COUNT = 14, /* latency buckets before +Inf */
};

/* Counters shared by every worker thread; updated with relaxed atomics. */
struct metrics {
    atomic_uint_fast64_t requests[METRICS_ROUTE_COUNT][METRICS_STATUS_COUNT + 1]; /* by status */
    atomic_uint_fast64_t buckets[METRICS_ROUTE_COUNT][METRICS_BUCKET_COUNT + 1];  /* not cumulative */
    atomic_uint_fast64_t latency_ns[METRICS_ROUTE_COUNT]; /* sum of durations */
    atomic_int_fast64_t in_flight;                        /* requests being answered */
    size_t products;                                      /* products loaded */
    atomic_int index_ready;                               /* 1 once the whole-catalog index answers */
    atomic_uint_fast64_t index_build_ns;                  /* time the index took to build */
};

/* Prepares m (caller-owned) for a catalog of products. */
void metrics_init(struct metrics *m, size_t products);

/* The whole-catalog index is built (in build_ns) and answers from now on. */
void metrics_index_ready(struct metrics *m, uint64_t build_ns);

/* A request started (in_flight + 1). */
void metrics_begin(struct metrics *m);

/* A request ended (in_flight - 1). */
void metrics_end(struct metrics *m);

/* Counts one answered request on route with status, handled in duration_ns. */
void metrics_observe(struct metrics *m, enum metrics_route route, unsigned status,
                     uint64_t duration_ns);

/* The Prometheus text exposition of m, in a heap buffer the caller owns
 * (free()); *len gets its length. NULL when memory runs out. */
char *metrics_render(struct metrics *m, size_t *len);

#endif
