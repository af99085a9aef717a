/* http_watch: open connections and their request, deadlines (a watchdog thread), CONN_LIMIT. */
#ifndef PRODUCT_SEARCH_HTTP_WATCH_H
#define PRODUCT_SEARCH_HTTP_WATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct http_watch_conn;

/* What the server keeps of a connection's request in progress between
 * libmicrohttpd's callbacks (a connection carries one request at a time).
 * The pointers lie in the library's read buffer and are valid until the
 * request ends. */
struct http_watch_request {
    const char *target;     /* the raw request target, as the URI log callback saw it */
    const char *target_end; /* its first NUL then (the end of the target, or a raw NUL) */
    char *query;            /* the raw query after '?', NULL when there is none */
    char query_first;       /* the query's first byte, held back from the library's parser */
    bool bad;               /* the target holds a byte no request-target may hold */
};

/* The connections of one daemon, as the watchdog and the accept policy see them. */
struct http_watch {
    atomic_long open_conns;        /* connections open now */
    atomic_bool refusing;          /* every new connection is closed at once */
    long conn_limit;               /* CONN_LIMIT: connections past it are closed at once */
    long long limit_ms;            /* a request waiting longer than this is cut */
    pthread_mutex_t lock;          /* guards conns and stop */
    pthread_cond_t wake;           /* wakes the watchdog to stop */
    struct http_watch_conn *conns; /* open connections */
    bool stop;                     /* the watchdog is to exit */
    bool running;                  /* the watchdog thread runs */
    pthread_t thread;              /* closes requests past their deadline */
};

/* Prepares w (caller-owned) for CONN_LIMIT conn_limit and CONN_TIMEOUT_S
 * conn_timeout_s: a request must be complete (head and body, up to its
 * answer) within conn_timeout_s (plus a second) of its connection opening or
 * of the previous answer on it. */
void http_watch_init(struct http_watch *w, unsigned conn_limit, unsigned conn_timeout_s);

/* Raises the soft RLIMIT_NOFILE to the hard limit, and returns how many of
 * want connections fit under it once reserve descriptors are kept for the
 * rest of the process (0 when none do). *soft and *hard get the limits in
 * force (RLIM_INFINITY as ULLONG_MAX, 0 when they cannot be read). */
unsigned http_watch_fit_nofile(unsigned want, unsigned reserve, unsigned long long *soft,
                               unsigned long long *hard);

/* From now on the accept policy closes every new connection at once (the
 * server is stopping). */
void http_watch_refuse(struct http_watch *w);

/* Starts the watchdog thread. Returns 0, or -1. */
int http_watch_start(struct http_watch *w);

/* Stops the watchdog (if it runs) and frees what w holds. */
void http_watch_deinit(struct http_watch *w);

/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback (cls: the watch):
 * keeps the count of open connections and the list the watchdog walks. */
void http_watch_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe);

/* libmicrohttpd's accept policy (cls: the watch): past CONN_LIMIT a new
 * connection is accepted and closed at once, so the client sees a close
 * instead of waiting in the listen backlog. */
enum MHD_Result http_watch_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);

/* The request record of c, NULL when c is not watched (out of memory). */
struct http_watch_request *http_watch_request(struct MHD_Connection *c);

/* c's current request is answered: the watchdog stops timing it. */
void http_watch_answered(struct MHD_Connection *c);

/* c's next request starts waiting now. */
void http_watch_waiting(struct MHD_Connection *c);

#endif
