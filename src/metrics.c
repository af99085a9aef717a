/* metrics: lock-free counters rendered on demand. */
#include "metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"


static const unsigned STATUSES[METRICS_STATUS_COUNT] = {200, 400, 404, 405, 413, 431, 500, 503};
/* Upper bounds in nanoseconds; rendered in seconds. */
static const uint64_t BOUNDS_NS[METRICS_BUCKET_COUNT] = {
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
    10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000,
};

void metrics_init(struct metrics *m, size_t products, const char *const *routes, size_t nroutes)
{
    memset(m, 0, sizeof(*m));
    atomic_init(&m->products, products);
    m->route_names = routes;
    m->nroutes = nroutes < METRICS_ROUTES ? nroutes : METRICS_ROUTES;
}

void metrics_index_ready(struct metrics *m, uint64_t build_ns)
{
    atomic_store_explicit(&m->index_build_ns, build_ns, memory_order_relaxed);
    atomic_store_explicit(&m->index_ready, 1, memory_order_release);
}

void metrics_catalog(struct metrics *m, size_t products, uint64_t version, int64_t loaded_at_ms,
                     uint64_t load_ns)
{
    atomic_store_explicit(&m->products, products, memory_order_relaxed);
    atomic_store_explicit(&m->catalog_version, version, memory_order_relaxed);
    atomic_store_explicit(&m->catalog_loaded_ms, loaded_at_ms, memory_order_relaxed);
    atomic_store_explicit(&m->catalog_load_ns, load_ns, memory_order_relaxed);
}

void metrics_reload(struct metrics *m, bool ok)
{
    atomic_fetch_add_explicit(ok ? &m->reloads : &m->reload_failures, 1, memory_order_relaxed);
}

void metrics_begin(struct metrics *m)
{
    atomic_fetch_add_explicit(&m->in_flight, 1, memory_order_relaxed);
}

void metrics_end(struct metrics *m)
{
    atomic_fetch_sub_explicit(&m->in_flight, 1, memory_order_relaxed);
}

void metrics_observe(struct metrics *m, unsigned route, unsigned status, uint64_t duration_ns)
{
    size_t s = 0;
    while (s < METRICS_STATUS_COUNT && STATUSES[s] != status)
        s++;
    size_t b = 0;
    while (b < METRICS_BUCKET_COUNT && duration_ns > BOUNDS_NS[b])
        b++;
    atomic_fetch_add_explicit(&m->requests[route][s], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->buckets[route][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_ns[route], duration_ns, memory_order_relaxed);
}

/* A growing text buffer; a failed append marks it failed. */
struct text {
    char *buf;  /* the text so far */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
    int failed; /* an allocation failed */
};

static void append(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void append(struct text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n;
        char *buf = realloc(t->buf, cap);
        if (buf == NULL) {
            t->failed = 1;
            return;
        }
        t->buf = buf;
        t->cap = cap;
    }
}

static uint64_t load(atomic_uint_fast64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

char *metrics_render(struct metrics *m, size_t *len)
{
    struct text t = {malloc(8192), 0, 8192, 0};
    if (t.buf == NULL)
        return NULL;
    append(&t, "# HELP product_search_requests_total HTTP requests answered, by route and status code.\n"
               "# TYPE product_search_requests_total counter\n");
    for (size_t r = 0; r < m->nroutes; r++) {
        for (size_t s = 0; s <= METRICS_STATUS_COUNT; s++) {
            uint64_t n = load(&m->requests[r][s]);
            if (n == 0 && !(r == 0 && s == 0))
                continue;
            if (s < METRICS_STATUS_COUNT)
                append(&t, "product_search_requests_total{route=\"%s\",code=\"%u\"} %" PRIu64 "\n",
                       m->route_names[r], STATUSES[s], n);
            else
                append(&t, "product_search_requests_total{route=\"%s\",code=\"other\"} %" PRIu64 "\n",
                       m->route_names[r], n);
        }
    }
    append(&t, "# HELP product_search_request_duration_seconds Time to answer a request, by route.\n"
               "# TYPE product_search_request_duration_seconds histogram\n");
    for (size_t r = 0; r < m->nroutes; r++) {
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= METRICS_BUCKET_COUNT; b++) {
            cumulative += load(&m->buckets[r][b]);
            if (b < METRICS_BUCKET_COUNT)
                append(&t, "product_search_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %" PRIu64 "\n",
                       m->route_names[r], (double)BOUNDS_NS[b] / 1e9, cumulative);
            else
                append(&t, "product_search_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
                       m->route_names[r], cumulative);
        }
        append(&t, "product_search_request_duration_seconds_sum{route=\"%s\"} %.9f\n", m->route_names[r],
               (double)load(&m->latency_ns[r]) / 1e9);
        append(&t, "product_search_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
               m->route_names[r], cumulative);
    }
    append(&t, "# HELP product_search_requests_in_flight Requests being answered now.\n"
               "# TYPE product_search_requests_in_flight gauge\n"
               "product_search_requests_in_flight %" PRIdFAST64 "\n",
           atomic_load_explicit(&m->in_flight, memory_order_relaxed));
    append(&t, "# HELP product_search_products_loaded Products in the catalog.\n"
               "# TYPE product_search_products_loaded gauge\n"
               "product_search_products_loaded %zu\n",
           atomic_load_explicit(&m->products, memory_order_relaxed));
    append(&t, "# HELP product_search_catalog_info The catalog served: its version, the first 48 bits of the XXH3-64 hash of its file (or of the generated catalog's size), in hex.\n"
               "# TYPE product_search_catalog_info gauge\n"
               "product_search_catalog_info{version=\"%012" PRIxFAST64 "\"} 1\n"
               "# HELP product_search_catalog_loaded_timestamp_seconds When the catalog served was loaded, Unix time.\n"
               "# TYPE product_search_catalog_loaded_timestamp_seconds gauge\n"
               "product_search_catalog_loaded_timestamp_seconds %.3f\n"
               "# HELP product_search_catalog_load_seconds Time the catalog served took to load (a reload: and to index).\n"
               "# TYPE product_search_catalog_load_seconds gauge\n"
               "product_search_catalog_load_seconds %.6f\n"
               "# HELP product_search_reloads_total Catalog reloads that switched to a new catalog.\n"
               "# TYPE product_search_reloads_total counter\n"
               "product_search_reloads_total %" PRIu64 "\n"
               "# HELP product_search_reload_failures_total Catalog reloads refused (invalid or unreadable file, out of memory); the catalog served stayed.\n"
               "# TYPE product_search_reload_failures_total counter\n"
               "product_search_reload_failures_total %" PRIu64 "\n",
           (uint_fast64_t)load(&m->catalog_version),
           (double)atomic_load_explicit(&m->catalog_loaded_ms, memory_order_relaxed) / 1e3,
           (double)load(&m->catalog_load_ns) / 1e9, load(&m->reloads),
           load(&m->reload_failures));
    append(&t, "# HELP product_search_index_ready 1 once the whole-catalog index answers searches; 0 while it is built (searches get 503) or when a bounded SCAN_LIMIT needs none.\n"
               "# TYPE product_search_index_ready gauge\n"
               "product_search_index_ready %d\n"
               "# HELP product_search_index_build_seconds Time the whole-catalog index took to build (0 until built).\n"
               "# TYPE product_search_index_build_seconds gauge\n"
               "product_search_index_build_seconds %.6f\n",
           atomic_load_explicit(&m->index_ready, memory_order_acquire),
           (double)load(&m->index_build_ns) / 1e9);
    append(&t, "# HELP product_search_build_info Build of the running server.\n"
               "# TYPE product_search_build_info gauge\n"
               "product_search_build_info{version=\"%s\",revision=\"%s\"} 1\n",
           PRODUCT_SEARCH_VERSION, PRODUCT_SEARCH_REVISION);
    if (t.failed) {
        free(t.buf);
        return NULL;
    }
    *len = t.len;
    return t.buf;
}
