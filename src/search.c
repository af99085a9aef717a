/* search: chooses the path that answers a request (index, scan or
 * reference), and builds and publishes the whole-catalog index. */
#include "search.h"

#include <string.h>

#include "base.h"
#include "reference.h"
#include "scan.h"
#include "snapfile.h"

int search_init(struct search *s, const struct catalog *cat, size_t window)
{
    memset(s, 0, sizeof(*s));
    s->cat = cat;
    atomic_init(&s->index, NULL);
    atomic_init(&s->stop, false);
    return tables_init(&s->tables, cat, window == 0 ? cat->count : window);
}

void search_init_whole(struct search *s, const struct catalog *cat)
{
    memset(s, 0, sizeof(*s));
    s->cat = cat;
    s->whole = true;
    s->tables.cat = cat;
    s->tables.count = cat->count;
    atomic_init(&s->index, NULL);
    atomic_init(&s->stop, false);
}

int search_build_index(struct search *s)
{
    if (s->whole && tables_init(&s->tables, s->cat, 0) != 0) /* value tables only */
        return -1;
    struct index *ix = index_build(&s->tables, &s->stop);
    if (ix == NULL)
        return -1;
    /* The release pairs with search_run()'s acquire: a search that sees the
     * index sees it whole, and the tables built before it. */
    atomic_store_explicit(&s->index, ix, memory_order_release);
    return 0;
}

static void *build(void *arg)
{
    struct search *s = arg;
    int ret = search_build_index(s);
    if (ret != 0 && atomic_load(&s->stop))
        return NULL; /* stopped on purpose: nothing to report */
    if (s->ready != NULL) {
        struct index_stats st;
        if (ret == 0)
            index_stats(atomic_load_explicit(&s->index, memory_order_acquire), &st);
        s->ready(s->ready_ctx, ret == 0 ? &st : NULL);
    }
    return NULL;
}

int search_start_builder(struct search *s, search_ready_fn ready, void *ctx)
{
    s->ready = ready;
    s->ready_ctx = ctx;
    if (pthread_create(&s->builder, NULL, build, s) != 0)
        return -1;
    s->building = true;
    return 0;
}

bool search_ready(const struct search *s)
{
    return !s->whole || atomic_load_explicit(&s->index, memory_order_acquire) != NULL;
}

void search_stop(struct search *s)
{
    atomic_store(&s->stop, true);
}

int search_run(const struct search *s, const struct request *req, size_t scan_limit,
               struct result *out)
{
    uint64_t start = clock_ns();
    size_t count = s->cat->count;
    size_t checked = (scan_limit == 0 || scan_limit > count) ? count : scan_limit;
    out->facets = req->facets;
    out->nfacet[0] = out->nfacet[1] = 0;
    const struct index *ix = atomic_load_explicit(&s->index, memory_order_acquire);
    int ret;
    if (ix != NULL && checked == count)
        ret = index_run(ix, req, out);
    else if (s->whole)
        ret = reference_run(s->cat, req, scan_limit, out); /* until the index is in */
    else if (checked > s->tables.scanned)
        ret = -1; /* a window wider than the one the text was built for */
    else
        ret = scan_run(&s->tables, req, checked, out);
    out->elapsed_ns = clock_ns() - start;
    return ret;
}

void search_deinit(struct search *s)
{
    if (s->building) {
        atomic_store(&s->stop, true);
        pthread_join(s->builder, NULL);
    }
    index_destroy(atomic_load(&s->index));
    tables_deinit(&s->tables);
    memset(s, 0, sizeof(*s));
}

int search_snapshot_write(const struct search *s, struct snapfile_writer *w)
{
    const struct index *ix = atomic_load_explicit(&s->index, memory_order_acquire);
    if (ix == NULL)
        return -1;
    tables_snapshot_write(&s->tables, w);
    return index_snapshot_write(ix, w);
}

int search_init_snapshot(struct search *s, const struct catalog *cat, const struct snapfile *snap,
                         char *err)
{
    search_init_whole(s, cat);
    if (tables_snapshot_open(&s->tables, cat, snap, err) != 0)
        return -1;
    struct index *ix = index_snapshot_open(&s->tables, snap, err);
    if (ix == NULL) {
        tables_deinit(&s->tables);
        return -1;
    }
    atomic_store_explicit(&s->index, ix, memory_order_release);
    return 0;
}
