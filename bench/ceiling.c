/* ceiling: the benchmark's yardstick, libmicrohttpd answering every request
 * with one constant body and zero work per request (the benchmark's ceiling).
 *
 * Usage: ceiling [--port N] [--threads N] BODY_FILE
 *   --port     TCP port on 127.0.0.1 (default 8081; 0 = any free port)
 *   --threads  worker threads (default: the THREADS variable, else 1)
 *
 * Prints {"event":"start","port":N} on stdout once it listens; SIGTERM or
 * SIGINT stops it with exit status 0. The daemon flags match what a sensible
 * fast server on this stack uses, so the product-search service can be held
 * to at least 0.8 x this program's requests/s.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

enum {
    CEILING_CONN_LIMIT = 10000,  /* as the server's CONN_LIMIT default */
    CEILING_CONN_TIMEOUT_S = 30, /* as the server's CONN_TIMEOUT_S default */
    CEILING_CONN_MEMORY = 20480, /* as the server's per-connection pool (src/http.c) */
    CEILING_BODY_MAX = 1 << 20   /* a search response is a few KiB at most */
};

static struct MHD_Response *response; /* the one reply, built at start-up */

/* Parses a decimal integer in [min, max] from text; returns 0 or -1. */
static int parse_int(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

/* Reads the whole of path into a malloc'ed buffer; returns its size, or -1
 * with a message on stderr. The caller owns *out. */
static long read_body(const char *path, char **out)
{
    FILE *file = fopen(path, "rb");
    char *body = NULL;
    size_t size;
    long ret = -1;

    if (file == NULL) {
        fprintf(stderr, "ceiling: cannot open %s: %s\n", path, strerror(errno));
        goto out;
    }
    body = malloc(CEILING_BODY_MAX);
    if (body == NULL) {
        fprintf(stderr, "ceiling: out of memory\n");
        goto out;
    }
    size = fread(body, 1, CEILING_BODY_MAX, file);
    if (ferror(file) || !feof(file)) {
        fprintf(stderr, "ceiling: cannot read %s (or larger than %d bytes)\n",
                path, CEILING_BODY_MAX);
        goto out;
    }
    *out = body;
    body = NULL;
    ret = (long)size;
out:
    free(body);
    if (file != NULL)
        fclose(file);
    return ret;
}

/* Answers every request with the constant response.
 *
 * The first call for a request only marks it seen: libmicrohttpd 0.9.75
 * answers "Connection: close" to a response queued in that first call (it
 * cannot yet know the request has no body), which would turn every
 * keep-alive request into a new connection. Any upload is consumed, then the
 * response is queued on a later call. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *connection,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    static int seen; /* its address marks a request already called once */

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (*req_cls == NULL) {
        *req_cls = &seen;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(connection, MHD_HTTP_OK, response);
}

static void usage(FILE *to)
{
    fprintf(to, "usage: ceiling [--port N] [--threads N] BODY_FILE\n");
}

int main(int argc, char **argv)
{
    const char *threads_env = getenv("THREADS");
    const char *body_path = NULL;
    struct MHD_Daemon *daemon = NULL;
    const union MHD_DaemonInfo *info;
    struct sockaddr_in addr;
    sigset_t stop_signals;
    char *body = NULL;
    long port = 8081;
    long threads = 1;
    long body_size;
    int sig;
    int ret = 2;

    if (threads_env != NULL && parse_int(threads_env, 1, 1024, &threads) != 0) {
        fprintf(stderr, "ceiling: invalid THREADS: %s\n", threads_env);
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            ret = 0;
            goto out;
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            if (parse_int(argv[++i], 0, 65535, &port) != 0) {
                fprintf(stderr, "ceiling: invalid --port: %s\n", argv[i]);
                goto out;
            }
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (parse_int(argv[++i], 1, 1024, &threads) != 0) {
                fprintf(stderr, "ceiling: invalid --threads: %s\n", argv[i]);
                goto out;
            }
        } else if (argv[i][0] != '-' && body_path == NULL) {
            body_path = argv[i];
        } else {
            usage(stderr);
            goto out;
        }
    }
    if (body_path == NULL) {
        usage(stderr);
        goto out;
    }
    body_size = read_body(body_path, &body);
    if (body_size < 0)
        goto out;

    response = MHD_create_response_from_buffer((size_t)body_size, body,
                                               MHD_RESPMEM_PERSISTENT);
    if (response == NULL ||
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/json") != MHD_YES) {
        fprintf(stderr, "ceiling: cannot build the response\n");
        goto out;
    }

    /* Block the stop signals before any daemon thread exists, so only
     * sigwait() below receives them. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* libmicrohttpd warns about a thread pool of 1 (or 0): with one thread
     * the internal polling thread serves everything, so the pool option is
     * only passed for 2 threads or more. */
    struct MHD_OptionItem options[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &addr},
        {MHD_OPTION_CONNECTION_LIMIT, CEILING_CONN_LIMIT, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, CEILING_CONN_TIMEOUT_S, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, CEILING_CONN_MEMORY, NULL},
        {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
         (intptr_t)threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
                              (uint16_t)port, NULL, NULL, handle, NULL,
                              MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    if (daemon == NULL) {
        fprintf(stderr, "ceiling: cannot listen on 127.0.0.1:%ld\n", port);
        goto out;
    }
    info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    printf("{\"event\":\"start\",\"port\":%u,\"threads\":%ld,\"body_bytes\":%ld}\n",
           info != NULL ? (unsigned int)info->port : (unsigned int)port, threads,
           body_size);
    fflush(stdout);

    if (sigwait(&stop_signals, &sig) != 0)
        goto out;
    ret = 0;
out:
    if (daemon != NULL)
        MHD_stop_daemon(daemon);
    if (response != NULL)
        MHD_destroy_response(response);
    free(body);
    return ret;
}
