/* live: loads a catalog generation (file or generated, version, engine) and
 * switches the one being served, freeing the old one after its last reader. */
#include "live.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "base.h"

enum {
    SWITCH_POLL_US = 200, /* how often a switch looks for the last reader */
};

/* The wall clock now, as ms since the epoch and as 2026-01-02T03:04:05.678Z. */
static void stamp(struct live_gen *g)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    g->loaded_at_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    size_t n = strftime(g->loaded_at, sizeof(g->loaded_at), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(g->loaded_at + n, sizeof(g->loaded_at) - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

struct live_gen *live_gen_create(const struct live_source *src, char *err)
{
    uint64_t t0 = clock_ns();
    struct live_gen *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        snprintf(err, LIVE_ERROR_MAX, "out of memory loading the catalog");
        return NULL;
    }
    atomic_init(&g->released, 0);
    catalog_init(&g->cat);
    g->from_file = src->products_file != NULL && src->products_file[0] != '\0';
    if (g->from_file) {
        struct catalog_file_info info;
        if (catalog_file_load(&g->cat, src->products_file, &info, err) != 0)
            goto error;
        g->file = info.id;
        g->hash = info.hash;
    } else {
        if (catalog_generate(&g->cat, src->product_count) != 0) {
            snprintf(err, LIVE_ERROR_MAX, "out of memory generating the catalog");
            goto error;
        }
        /* The generated catalog is a function of its size (and of the
         * generator, which the build's version names). */
        char params[64];
        int n = snprintf(params, sizeof(params), "generated products=%zu", src->product_count);
        g->hash = XXH3_64bits(params, (size_t)n);
    }
    snprintf(g->version, sizeof(g->version), "%012" PRIx64, g->hash >> 16);
    size_t count = g->cat.count;
    if (src->scan_limit == 0 || src->scan_limit >= count) {
        search_init_whole(&g->engine, &g->cat);
    } else if (search_init(&g->engine, &g->cat, src->scan_limit) != 0) {
        snprintf(err, LIVE_ERROR_MAX, "out of memory building the search tables");
        goto error;
    }
    stamp(g);
    g->load_ns = clock_ns() - t0;
    return g;
error:
    catalog_deinit(&g->cat);
    free(g);
    return NULL;
}

int live_gen_index(struct live_gen *g)
{
    if (!g->engine.whole || search_ready(&g->engine))
        return 0;
    return search_build_index(&g->engine);
}

void live_gen_destroy(struct live_gen *g)
{
    if (g == NULL)
        return;
    search_deinit(&g->engine);
    catalog_deinit(&g->cat);
    free(g);
}

void live_init(struct live *l, struct live_gen *first)
{
    l->slot[0] = first;
    l->slot[1] = NULL;
    atomic_init(&l->word, 0);
}

struct live_gen *live_acquire(struct live *l)
{
    /* The add both counts this request and reads which slot is current; its
     * acquire pairs with the switch's release, so the slot's pointer, written
     * before the switch, is seen. */
    uint_fast64_t w = atomic_fetch_add_explicit(&l->word, 2, memory_order_acquire);
    return l->slot[w & 1];
}

void live_release(struct live_gen *g)
{
    /* The release orders every read of g before it, for the switch that
     * frees g once the count is complete. */
    atomic_fetch_add_explicit(&g->released, 1, memory_order_release);
}

struct live_gen *live_switch(struct live *l, struct live_gen *g)
{
    unsigned old = (unsigned)(atomic_load_explicit(&l->word, memory_order_relaxed) & 1);
    /* Nobody reads the other slot: its last readers were waited for by the
     * previous switch. */
    l->slot[old ^ 1] = g;
    uint_fast64_t w = atomic_exchange_explicit(&l->word, old ^ 1, memory_order_acq_rel);
    uint_fast64_t acquired = w >> 1;
    struct live_gen *prev = l->slot[old];
    while (atomic_load_explicit(&prev->released, memory_order_acquire) != acquired) {
        struct timespec ts = {0, SWITCH_POLL_US * 1000};
        nanosleep(&ts, NULL);
    }
    l->slot[old] = NULL;
    return prev;
}

void live_deinit(struct live *l)
{
    unsigned cur = (unsigned)(atomic_load(&l->word) & 1);
    live_gen_destroy(l->slot[cur]);
    l->slot[cur] = NULL;
}
