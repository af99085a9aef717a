/* http_watch: request deadlines. libmicrohttpd 0.9.75 has only an idle
 * timeout: a client sending a byte a second keeps its connection forever.
 * Every WATCH_PERIOD_MS a thread shuts down the socket of each connection
 * whose request has waited longer than CONN_TIMEOUT_S plus a second; the
 * library then sees the end of the stream and closes it (and reports the
 * request's end as usual). */
#include "http_watch.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "base.h"

enum {
    WATCH_PERIOD_MS = 250, /* how often the watchdog looks */
};

/* One open connection, as the watchdog sees it (the socket context). */
struct http_watch_conn {
    struct http_watch_conn *prev, *next; /* in http_watch.conns */
    int fd;                              /* its socket */
    atomic_llong since_ms;               /* waiting for a request to complete since; 0: answered */
    bool cut;                            /* the watchdog has shut it down */
    struct http_watch_request request;   /* its request in progress (its own thread only) */
};

void http_watch_init(struct http_watch *w, unsigned conn_limit, unsigned conn_timeout_s)
{
    atomic_init(&w->open_conns, 0);
    atomic_init(&w->refusing, false);
    w->conn_limit = (long)conn_limit;
    /* A second past the idle timeout, so that the library closes idle
     * connections itself and the watchdog only cuts the ones kept busy. */
    w->limit_ms = (long long)conn_timeout_s * 1000 + 1000;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    w->conns = NULL;
    w->stop = false;
    w->running = false;
}

/* Without enough descriptors libmicrohttpd's accept() fails with EMFILE and
 * it stops accepting for a while: clients wait in the listen backlog and time
 * out instead of being closed by the accept policy. */
unsigned http_watch_fit_nofile(unsigned want, unsigned reserve, unsigned long long *soft,
                               unsigned long long *hard)
{
    struct rlimit rl;
    unsigned fit = want;
    *soft = *hard = 0;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return fit;
    if (rl.rlim_cur != rl.rlim_max) {
        rlim_t cur = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = cur;
    }
    *soft = rl.rlim_cur == RLIM_INFINITY ? ULLONG_MAX : (unsigned long long)rl.rlim_cur;
    *hard = rl.rlim_max == RLIM_INFINITY ? ULLONG_MAX : (unsigned long long)rl.rlim_max;
    if (*soft <= reserve)
        fit = 0;
    else if (*soft - reserve < want)
        fit = (unsigned)(*soft - reserve);
    return fit;
}

static void *watchdog(void *arg)
{
    struct http_watch *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WATCH_PERIOD_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->wake, &w->lock, &until);
        long long now = clock_coarse_ms();
        for (struct http_watch_conn *conn = w->conns; conn != NULL; conn = conn->next) {
            long long since = atomic_load_explicit(&conn->since_ms, memory_order_relaxed);
            if (since != 0 && now - since > w->limit_ms && !conn->cut) {
                shutdown(conn->fd, SHUT_RDWR);
                conn->cut = true;
            }
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int http_watch_start(struct http_watch *w)
{
    if (pthread_create(&w->thread, NULL, &watchdog, w) != 0)
        return -1;
    w->running = true;
    return 0;
}

void http_watch_deinit(struct http_watch *w)
{
    if (w->running) {
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        w->running = false;
    }
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
}

/* The library calls CLOSED before it closes the socket, so a connection in
 * the list always has its socket open. */
void http_watch_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe)
{
    struct http_watch *w = cls;
    struct http_watch_conn *conn = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add_explicit(&w->open_conns, 1, memory_order_relaxed);
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn = info ? calloc(1, sizeof(*conn)) : NULL;
        if (conn == NULL)
            return; /* not watched; the idle timeout still applies */
        conn->fd = info->connect_fd;
        atomic_init(&conn->since_ms, clock_coarse_ms());
        pthread_mutex_lock(&w->lock);
        conn->next = w->conns;
        if (w->conns != NULL)
            w->conns->prev = conn;
        w->conns = conn;
        pthread_mutex_unlock(&w->lock);
        *socket_context = conn;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        atomic_fetch_sub_explicit(&w->open_conns, 1, memory_order_relaxed);
        if (conn == NULL)
            return;
        pthread_mutex_lock(&w->lock);
        if (conn->prev != NULL)
            conn->prev->next = conn->next;
        else
            w->conns = conn->next;
        if (conn->next != NULL)
            conn->next->prev = conn->prev;
        pthread_mutex_unlock(&w->lock);
        free(conn);
        *socket_context = NULL;
    }
}

enum MHD_Result http_watch_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http_watch *w = cls;
    (void)addr;
    (void)addrlen;
    if (atomic_load_explicit(&w->refusing, memory_order_relaxed))
        return MHD_NO;
    return atomic_load_explicit(&w->open_conns, memory_order_relaxed) < w->conn_limit ? MHD_YES
                                                                                       : MHD_NO;
}

void http_watch_refuse(struct http_watch *w)
{
    atomic_store(&w->refusing, true);
}

/* The record of c, NULL when it is not watched. */
static struct http_watch_conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

struct http_watch_request *http_watch_request(struct MHD_Connection *c)
{
    struct http_watch_conn *conn = conn_of(c);
    return conn ? &conn->request : NULL;
}

/* Marks c's current request as waiting since ms, or answered (0). */
static void mark(struct MHD_Connection *c, long long ms)
{
    struct http_watch_conn *conn = conn_of(c);
    if (conn != NULL)
        atomic_store_explicit(&conn->since_ms, ms, memory_order_relaxed);
}

void http_watch_answered(struct MHD_Connection *c)
{
    mark(c, 0);
}

void http_watch_waiting(struct MHD_Connection *c)
{
    mark(c, clock_coarse_ms());
}
