/* live: loads a catalog generation (file or generated, version, engine) and
 * switches the one being served, freeing the old one after its last reader. */
#include "live.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "base.h"
#include "hash.h"
#include "version.h"

enum {
    SWITCH_POLL_US = 200, /* how often a switch looks for the last reader */
    HASH_CHUNK = 1 << 20, /* bytes read at a time to hash a catalog file */
};

static const char PROGRAM[] = "product-search " PRODUCT_SEARCH_VERSION;

/* What a snapshot says of itself (its section "about"). */
struct about {
    char program[64];      /* the program and version that wrote it */
    uint64_t catalog_hash; /* the catalog's version hash (live_gen.hash) */
    uint64_t products;     /* its products */
    uint32_t from_file;    /* written from a catalog file, not generated */
    uint32_t pad;
    char source[256];      /* the file's name as given, or "generated" */
};

const char *live_source_file(const struct live_source *src)
{
    if (src->snapshot_file != NULL && src->snapshot_file[0] != '\0')
        return src->snapshot_file;
    if (src->products_file != NULL && src->products_file[0] != '\0')
        return src->products_file;
    return NULL;
}

const char *live_source_setting(const struct live_source *src)
{
    return src->snapshot_file != NULL && src->snapshot_file[0] != '\0' ? "SNAPSHOT_FILE"
                                                                       : "PRODUCTS_FILE";
}

/* The XXH3-64 hash of the bytes of path, a regular file, as
 * catalog_file_load() computes it. Returns 0, or -1 with err set. */
static int hash_file(const char *path, uint64_t *hash, char *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    char *buf = malloc(HASH_CHUNK);
    XXH3_state_t *h = XXH3_createState();
    int ret = -1;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || buf == NULL || h == NULL) {
        snprintf(err, LIVE_ERROR_MAX, "PRODUCTS_FILE %.300s: %s", path,
                 fd < 0 ? strerror(errno) : "not a regular file");
        goto out;
    }
    XXH3_64bits_reset(h);
    ssize_t got;
    while ((got = read(fd, buf, HASH_CHUNK)) > 0)
        XXH3_64bits_update(h, buf, (size_t)got);
    if (got < 0) {
        snprintf(err, LIVE_ERROR_MAX, "PRODUCTS_FILE %.300s: %s", path, strerror(errno));
        goto out;
    }
    *hash = XXH3_64bits_digest(h);
    ret = 0;
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    XXH3_freeState(h);
    return ret;
}

/* g's catalog and engine from src's snapshot: checked whole, mapped, its
 * writer's version and (with PRODUCTS_FILE too) its catalog checked.
 * Returns 0, or -1 with err set. */
static int open_snapshot(struct live_gen *g, const struct live_source *src, char *err)
{
    char why[SNAPFILE_ERROR_MAX];
    const char *path = src->snapshot_file;
    catalog_file_stat(path, &g->file);
    if (snapfile_open(&g->snap, path, why) != 0) {
        snprintf(err, LIVE_ERROR_MAX, "SNAPSHOT_FILE %.480s", why);
        return -1;
    }
    g->from_snapshot = true;
    size_t len;
    const struct about *a = snapfile_get(&g->snap, "about", &len);
    if (a == NULL || len != sizeof(*a) || memchr(a->program, 0, sizeof(a->program)) == NULL) {
        snprintf(err, LIVE_ERROR_MAX, "SNAPSHOT_FILE %.300s: no description of its writer",
                 path);
        return -1;
    }
    if (strcmp(a->program, PROGRAM) != 0) {
        snprintf(err, LIVE_ERROR_MAX,
                 "SNAPSHOT_FILE %.300s: written by %s, this is %s: write it again with "
                 "--write-snapshot",
                 path, a->program, PROGRAM);
        return -1;
    }
    if (src->products_file != NULL && src->products_file[0] != '\0') {
        uint64_t hash;
        if (hash_file(src->products_file, &hash, err) != 0)
            return -1;
        if (!a->from_file || hash != a->catalog_hash) {
            snprintf(err, LIVE_ERROR_MAX,
                     "SNAPSHOT_FILE %.150s: written from another catalog than PRODUCTS_FILE "
                     "%.150s (catalog %012" PRIx64 ", the file's %012" PRIx64 ")",
                     path, src->products_file, a->catalog_hash >> 16, hash >> 16);
            return -1;
        }
    }
    if (catalog_snapshot_open(&g->cat, &g->snap, why) != 0 ||
        (uint64_t)g->cat.count != a->products ||
        search_init_snapshot(&g->engine, &g->cat, &g->snap, why) != 0) {
        if ((uint64_t)g->cat.count != a->products && why[0] == '\0')
            snprintf(why, sizeof(why), "product count out of shape");
        snprintf(err, LIVE_ERROR_MAX, "SNAPSHOT_FILE %.200s: %.280s", path, why);
        return -1;
    }
    g->hash = a->catalog_hash;
    return 0;
}

int live_gen_write_snapshot(const struct live_gen *g, const char *path, char *err)
{
    struct about a;
    memset(&a, 0, sizeof(a));
    snprintf(a.program, sizeof(a.program), "%s", PROGRAM);
    a.catalog_hash = g->hash;
    a.products = g->cat.count;
    a.from_file = g->from_file;
    snprintf(a.source, sizeof(a.source), "%s", g->from_file ? "file" : "generated");
    struct snapfile_writer w;
    char why[SNAPFILE_ERROR_MAX];
    if (snapfile_create(&w, path, why) != 0) {
        snprintf(err, LIVE_ERROR_MAX, "--write-snapshot %.480s", why);
        return -1;
    }
    snapfile_section(&w, "about", &a, sizeof(a));
    if (catalog_snapshot_write(&g->cat, &w) != 0 || search_snapshot_write(&g->engine, &w) != 0) {
        snapfile_abandon(&w);
        snprintf(err, LIVE_ERROR_MAX, "--write-snapshot %.300s: out of memory", path);
        return -1;
    }
    if (snapfile_finish(&w, why) != 0) {
        snprintf(err, LIVE_ERROR_MAX, "--write-snapshot %.480s", why);
        return -1;
    }
    return 0;
}

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
    g->from_file = live_source_file(src) != NULL;
    if (src->snapshot_file != NULL && src->snapshot_file[0] != '\0') {
        if (open_snapshot(g, src, err) != 0)
            goto error;
    } else if (g->from_file) {
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
    if (g->from_snapshot) {
        /* the engine came with the snapshot */
    } else if (src->scan_limit == 0 || src->scan_limit >= count) {
        search_init_whole(&g->engine, &g->cat);
    } else if (search_init(&g->engine, &g->cat, src->scan_limit) != 0) {
        snprintf(err, LIVE_ERROR_MAX, "out of memory building the search tables");
        goto error;
    }
    stamp(g);
    g->load_ns = clock_ns() - t0;
    return g;
error:
    search_deinit(&g->engine);
    catalog_deinit(&g->cat);
    snapfile_close(&g->snap);
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
    snapfile_close(&g->snap);
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
