/* metrics: request counters, a latency histogram and gauges, in Prometheus text format. */
#ifndef PRODUCT_SEARCH_METRICS_H
#define PRODUCT_SEARCH_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    METRICS_ROUTES = 8,        /* routes counted apart at most */
    METRICS_STATUS_COUNT = 8,  /* status codes counted one by one, the rest as "other" */
    METRICS_BUCKET_COUNT = 14, /* latency buckets before +Inf */
};

/* Counters shared by every worker thread; updated with relaxed atomics. */
struct metrics {
    atomic_uint_fast64_t requests[METRICS_ROUTES][METRICS_STATUS_COUNT + 1]; /* by status */
    atomic_uint_fast64_t buckets[METRICS_ROUTES][METRICS_BUCKET_COUNT + 1];  /* not cumulative */
    atomic_uint_fast64_t latency_ns[METRICS_ROUTES]; /* sum of durations */
    const char *const *route_names;                  /* label of each route */
    size_t nroutes;                                  /* routes counted (at most METRICS_ROUTES) */
    atomic_int_fast64_t in_flight;                        /* requests being answered */
    atomic_size_t products;                               /* products in the catalog served */
    atomic_int index_ready;                               /* 1 once the whole-catalog index answers */
    atomic_uint_fast64_t index_build_ns;                  /* time the index took to build */
    atomic_uint_fast64_t catalog_version;                 /* the catalog's version (48 bits) */
    atomic_int_fast64_t catalog_loaded_ms;                /* when it was loaded, Unix ms */
    atomic_uint_fast64_t catalog_load_ns;                 /* how long loading it took */
    atomic_uint_fast64_t reloads;                         /* reloads that switched catalogs */
    atomic_uint_fast64_t reload_failures;                 /* reloads refused (old catalog kept) */
};

/* Prepares m (caller-owned) for a catalog of products and the nroutes
 * routes named by routes (static strings; at most METRICS_ROUTES). Route 0's
 * 200 counter is written even at zero, so that the series exists before the
 * first request. */
void metrics_init(struct metrics *m, size_t products, const char *const *routes, size_t nroutes);

/* The whole-catalog index is built (in build_ns) and answers from now on. */
void metrics_index_ready(struct metrics *m, uint64_t build_ns);

/* The catalog served from now on: products, its version (the number its
 * hex version spells, 48 bits), when it was loaded (ms since the epoch) and
 * how long that took. */
void metrics_catalog(struct metrics *m, size_t products, uint64_t version, int64_t loaded_at_ms,
                     uint64_t load_ns);

/* A reload ended: switched to a new catalog (ok), or refused. */
void metrics_reload(struct metrics *m, bool ok);

/* A request started (in_flight + 1). */
void metrics_begin(struct metrics *m);

/* A request ended (in_flight - 1). */
void metrics_end(struct metrics *m);

/* Counts one answered request on route (an index into the names given to
 * metrics_init()) with status, handled in duration_ns. */
void metrics_observe(struct metrics *m, unsigned route, unsigned status, uint64_t duration_ns);

/* The Prometheus text exposition of m, in a heap buffer the caller owns
 * (free()); *len gets its length. NULL when memory runs out. */
char *metrics_render(struct metrics *m, size_t *len);

#endif
