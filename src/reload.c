/* reload: one thread that turns SIGHUP requests and RELOAD_S checks of the
 * catalog file into reloads, one at a time: load and index beside the
 * catalog served, switch, free the old one after its last request. */
#define _GNU_SOURCE /* gettid */
#include "reload.h"

#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base.h"
#include "log.h"

void reload_init(struct reload *r, struct live *l, struct metrics *m,
                 const struct live_source *src, unsigned every_s,
                 const struct catalog_file_id *loaded)
{
    memset(r, 0, sizeof(*r));
    r->live = l;
    r->metrics = m;
    r->src = *src;
    r->every_s = every_s;
    r->seen = *loaded;
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* checks keep time across clock steps */
    pthread_cond_init(&r->wake, &attr);
    pthread_condattr_destroy(&attr);
}

/* True when the file changed since it was last loaded or tried, and the
 * change is ready to load: a new inode (or the file appearing or
 * disappearing) at once, a change in place once a second check sees the
 * same identity. */
static bool changed(struct reload *r, struct catalog_file_id *now)
{
    catalog_file_stat(live_source_file(&r->src), now);
    if (catalog_file_same(now, &r->seen)) {
        memset(&r->settling, 0, sizeof(r->settling));
        return false;
    }
    if (now->exists != r->seen.exists || now->dev != r->seen.dev || now->ino != r->seen.ino)
        return true;
    if (r->settling.exists && catalog_file_same(now, &r->settling))
        return true;
    r->settling = *now;
    return false;
}

/* Logs the switch to g from the catalog previous: resident memory with
 * both in memory (both_kb, the peak of a reload), and after the old one was
 * freed. */
static void log_switch(const struct live_gen *g, const char *previous, double wait_ms,
                       long both_kb)
{
    cJSON *f = cJSON_CreateObject();
    if (f == NULL)
        return;
    cJSON_AddStringToObject(f, "catalog", g->version);
    cJSON_AddStringToObject(f, "previous", previous);
    cJSON_AddNumberToObject(f, "products", (double)g->cat.count);
    cJSON_AddNumberToObject(f, "load_ms", (double)(long)((double)g->load_ns / 1e4) / 100);
    cJSON_AddNumberToObject(f, "switch_wait_ms", (double)(long)(wait_ms * 100) / 100);
    cJSON_AddNumberToObject(f, "rss_both_kb", (double)both_kb);
    cJSON_AddNumberToObject(f, "rss_kb", (double)log_proc_kb("VmRSS"));
    cJSON_AddNumberToObject(f, "peak_rss_kb", (double)log_proc_kb("VmHWM"));
    log_info("reload", f);
}

/* Says which engine reload_stop() must stop (NULL: none); false when the
 * reloader is stopping already. */
static bool set_building(struct reload *r, struct search *engine)
{
    pthread_mutex_lock(&r->mu);
    bool go = !r->stopping;
    r->building = go ? engine : NULL;
    pthread_mutex_unlock(&r->mu);
    return go;
}

int reload_run(struct reload *r)
{
    char err[LIVE_ERROR_MAX];
    struct catalog_file_id tried;
    catalog_file_stat(live_source_file(&r->src), &tried);
    uint64_t t0 = clock_ns();
    struct live_gen *g = live_gen_create(&r->src, err);
    if (g == NULL)
        goto failed;
    if (!set_building(r, &g->engine)) {
        live_gen_destroy(g); /* shutting down: nothing to report */
        return -1;
    }
    int built = live_gen_index(g);
    bool stopped = !set_building(r, NULL);
    if (built != 0) {
        live_gen_destroy(g);
        if (stopped)
            return -1;
        snprintf(err, sizeof(err), "%s %s: out of memory building the index",
                 live_source_setting(&r->src), live_source_file(&r->src));
        goto failed;
    }
    g->load_ns = clock_ns() - t0;
    r->seen = g->file;
    memset(&r->settling, 0, sizeof(r->settling));
    uint64_t t1 = clock_ns();
    struct live_gen *old = live_switch(r->live, g);
    double wait_ms = (double)(clock_ns() - t1) / 1e6;
    long both_kb = log_proc_kb("VmRSS");
    metrics_catalog(r->metrics, g->cat.count, g->hash >> 16, g->loaded_at_ms, g->load_ns);
    const struct index *ix = atomic_load(&g->engine.index);
    if (ix != NULL) {
        struct index_stats st;
        index_stats(ix, &st);
        metrics_index_ready(r->metrics, (uint64_t)(st.build_s * 1e9));
    }
    metrics_reload(r->metrics, true);
    char previous[LIVE_VERSION_LEN + 1];
    memcpy(previous, old->version, sizeof(previous));
    live_gen_destroy(old);
    /* The old index is many small blocks (its bitmaps) in a malloc arena,
     * which glibc does not give back by itself: without a trim, resident
     * memory grew by a catalog's worth every few reloads. */
    malloc_trim(0);
    log_switch(g, previous, wait_ms, both_kb);
    return 0;
failed:
    r->seen = tried;
    memset(&r->settling, 0, sizeof(r->settling));
    metrics_reload(r->metrics, false);
    {
        struct live_gen *cur = live_acquire(r->live);
        char line[LIVE_ERROR_MAX + 64];
        snprintf(line, sizeof(line), "%s; still serving catalog %s", err, cur->version);
        live_release(cur);
        log_error("reload", line);
    }
    return -1;
}

enum {
    RELOAD_NICE = 19, /* the reloader's nice value where SCHED_IDLE is refused */
};

/* Makes the calling thread yield to every thread that answers requests: a
 * SCHED_IDLE thread runs on CPU time the workers leave idle, and a worker
 * that wakes preempts it at once. At an equal share (or even at nice 10,
 * about a tenth), the reload's parsing and indexing held the CPU for whole
 * scheduler slices, a few milliseconds each, and the requests queued behind
 * them: p99 went from 0.7 ms to 4 ms on a core pinned at full load, as a
 * plain busy loop at nice 10 on that core also makes it. The price: on a
 * CPU kept busy all the time a reload waits for idle moments (about 0.3 %
 * of the CPU is still guaranteed to it), while the old catalog serves. */
static void yield_to_workers(void)
{
    struct sched_param sp = {0};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0)
        setpriority(PRIO_PROCESS, (id_t)gettid(), RELOAD_NICE); /* nice is per thread on Linux */
}

/* The reloader thread: waits for a request, the next check or the stop,
 * at the lowest priority (yield_to_workers). */
static void *run(void *arg)
{
    struct reload *r = arg;
    yield_to_workers();
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    next.tv_sec += r->every_s;
    pthread_mutex_lock(&r->mu);
    while (!r->stopping) {
        bool due = false;
        if (!r->requested) {
            int rc = r->every_s > 0 ? pthread_cond_timedwait(&r->wake, &r->mu, &next)
                                    : pthread_cond_wait(&r->wake, &r->mu);
            due = rc == ETIMEDOUT;
        }
        if (r->stopping)
            break;
        bool forced = r->requested;
        r->requested = false; /* requests from now on ask for one more reload */
        pthread_mutex_unlock(&r->mu);
        if (due) {
            clock_gettime(CLOCK_MONOTONIC, &next);
            next.tv_sec += r->every_s;
        }
        struct catalog_file_id now;
        if (forced || (due && changed(r, &now)))
            reload_run(r);
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int reload_start(struct reload *r)
{
    if (pthread_create(&r->thread, NULL, run, r) != 0)
        return -1;
    r->started = true;
    return 0;
}

void reload_request(struct reload *r)
{
    pthread_mutex_lock(&r->mu);
    r->requested = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->mu);
}

void reload_stop(struct reload *r)
{
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    if (r->building != NULL)
        search_stop(r->building);
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->mu);
    if (r->started)
        pthread_join(r->thread, NULL);
    r->started = false;
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->mu);
}
