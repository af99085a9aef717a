/* testutil: a deliberately small HTTP client, enough to see every byte the server sends. */
#define _GNU_SOURCE
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

int tu_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int tu_send(int fd, const char *raw, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, raw, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        raw += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads one byte at a time for the head: slow, but never reads past this
 * response, which pipelining tests rely on. */
static int read_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t got = recv(fd, buf + n, 1, 0);
        if (got <= 0)
            return -1;
        n++;
        if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0) {
            buf[n] = '\0';
            return 0;
        }
    }
    return -1;
}

const char *tu_header(const struct tu_response *r, const char *name, char *out, size_t out_len)
{
    size_t nlen = strlen(name);
    const char *p = strstr(r->headers, "\r\n");
    while (p != NULL && p[2] != '\r') {
        p += 2;
        if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t len = (size_t)(e - v);
            if (len >= out_len)
                len = out_len - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return out;
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

int tu_read_response(int fd, bool head, struct tu_response *r)
{
    memset(r, 0, sizeof(*r));
    if (read_head(fd, r->headers, sizeof(r->headers)) != 0)
        return -1;
    if (sscanf(r->headers, "HTTP/1.%*d %d", &r->status) != 1)
        return -1;
    char v[64];
    r->closed = tu_header(r, "Connection", v, sizeof(v)) && strcasecmp(v, "close") == 0;
    size_t len = 0;
    if (!head && tu_header(r, "Content-Length", v, sizeof(v)))
        len = strtoul(v, NULL, 10);
    r->body = malloc(len + 1);
    if (r->body == NULL)
        return -1;
    while (r->body_len < len) {
        ssize_t n = recv(fd, r->body + r->body_len, len - r->body_len, 0);
        if (n <= 0)
            return -1;
        r->body_len += (size_t)n;
    }
    r->body[len] = '\0';
    return 0;
}

int tu_request(unsigned port, const char *method, const char *target, struct tu_response *r)
{
    char req[4096];
    int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                     method, target);
    int fd = tu_connect(port);
    if (fd < 0)
        return -1;
    int ret = (n > 0 && (size_t)n < sizeof(req) && tu_send(fd, req, (size_t)n) == 0 &&
               tu_read_response(fd, strcmp(method, "HEAD") == 0, r) == 0)
                  ? 0
                  : -1;
    close(fd);
    return ret;
}

void tu_response_deinit(struct tu_response *r)
{
    free(r->body);
    r->body = NULL;
}

cJSON *tu_json(const struct tu_response *r)
{
    return r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
}

const char *tu_tmp_path(const char *name)
{
    static char paths[4][128];
    static unsigned next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof(paths[0]), "/tmp/ps-%ld-%s", (long)getpid(), name);
    return p;
}

const char *tu_server_bin(void)
{
    const char *bin = getenv("PRODUCT_SEARCH_BIN");
    return bin ? bin : "build/product-search";
}

/* Child side of a spawn: the open-files limit (when nofile is set),
 * environment entries, stdout/stderr, exec. */
static void exec_server(char *const env[], char *const argv[], int out_fd, int err_fd,
                        const struct rlimit *nofile)
{
    if (nofile != NULL && setrlimit(RLIMIT_NOFILE, nofile) != 0)
        _exit(126);
    for (size_t i = 0; env && env[i]; i++)
        putenv(env[i]);
    if (out_fd >= 0)
        dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0)
        dup2(err_fd, STDERR_FILENO);
    size_t argc = 0;
    while (argv && argv[argc])
        argc++;
    char **args = calloc(argc + 2, sizeof(*args));
    args[0] = (char *)tu_server_bin();
    for (size_t i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    execv(args[0], args);
    _exit(127);
}

/* A server spawned with stdout in out_path and stderr in err_path (NULL:
 * inherited; out_path itself: the same file), with the child's open-files
 * limit set to nofile first when given; *port from its start line. */
static pid_t spawn(char *const env[], char *const argv[], const char *out_path,
                   const char *err_path, unsigned *port, const struct rlimit *nofile)
{
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        return -1;
    bool same = err_path != NULL && strcmp(err_path, out_path) == 0;
    int errfd = err_path && !same ? open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)
                                  : -1;
    if (err_path != NULL && !same && errfd < 0) {
        close(out);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0)
        exec_server(env, argv, out, same ? out : errfd, nofile);
    close(out);
    if (errfd >= 0)
        close(errfd);
    if (pid < 0)
        return -1;
    /* The start line carries "port":N once the listener is up. */
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(out_path, "r");
        char line[2048];
        while (f && fgets(line, sizeof(line), f)) {
            const char *p = strstr(line, "\"event\":\"start\"");
            const char *q = p ? strstr(line, "\"port\":") : NULL;
            if (q) {
                *port = (unsigned)strtoul(q + 7, NULL, 10);
                fclose(f);
                return pid;
            }
        }
        if (f)
            fclose(f);
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -1;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

pid_t tu_spawn_server(char *const env[], char *const argv[], const char *out_path,
                      unsigned *port)
{
    return spawn(env, argv, out_path, NULL, port, NULL);
}

pid_t tu_spawn_server_err(char *const env[], char *const argv[], const char *out_path,
                          const char *err_path, unsigned *port)
{
    return spawn(env, argv, out_path, err_path, port, NULL);
}

pid_t tu_spawn_server_nofile(char *const env[], const char *out_path, unsigned *port,
                             unsigned long soft, unsigned long hard)
{
    struct rlimit rl = {(rlim_t)soft, (rlim_t)hard};
    return spawn(env, NULL, out_path, out_path, port, &rl);
}

int tu_wait_ready(unsigned port, unsigned timeout_ms)
{
    for (unsigned waited = 0; waited <= timeout_ms; waited += 10) {
        struct tu_response r;
        memset(&r, 0, sizeof(r));
        int status = tu_request(port, "GET", "/health", &r) == 0 ? r.status : 0;
        tu_response_deinit(&r);
        if (status == 200)
            return 0;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

int tu_wait_exit(pid_t pid, unsigned timeout_ms)
{
    for (unsigned waited = 0; waited <= timeout_ms; waited += 10) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* Reads what fd holds until EOF into buf. */
static void slurp(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t got;
    while (len > 0 && n + 1 < len && (got = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)got;
    if (len > 0)
        buf[n] = '\0';
    close(fd);
}

int tu_run(char *const env[], char *const argv[], char *out, size_t out_len, char *err,
           size_t err_len)
{
    char out_path[] = "/tmp/ps-out-XXXXXX", err_path[] = "/tmp/ps-err-XXXXXX";
    int ofd = mkstemp(out_path), efd = mkstemp(err_path);
    if (ofd < 0 || efd < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0)
        exec_server(env, argv, ofd, efd, NULL);
    close(ofd);
    close(efd);
    int status = pid < 0 ? -1 : tu_wait_exit(pid, 20000);
    slurp(open(out_path, O_RDONLY), out, out_len);
    slurp(open(err_path, O_RDONLY), err, err_len);
    unlink(out_path);
    unlink(err_path);
    return status;
}

void tu_daemon_start(struct tu_daemon *d, const char *conn_timeout_s, const char *product_count)
{
    char err[CONFIG_ERROR_MAX];
    /* 512 connections fit the open-files limit of a default container build
     * (1024), so the server never has to lower CONN_LIMIT (and say so) */
    char *argv[] = {"test", "--port", "0", "--bind", "127.0.0.1", "--threads", "2",
                    "--conn-timeout-s", (char *)conn_timeout_s,
                    "--product-count", (char *)product_count, "--conn-limit", "512", NULL};
    char load_err[LIVE_ERROR_MAX];
    ck_assert_int_eq(config_parse(&d->cfg, 13, argv, err), 0);
    struct live_source src = {NULL, NULL, d->cfg.product_count, d->cfg.scan_limit};
    d->gen = live_gen_create(&src, load_err);
    ck_assert_msg(d->gen != NULL, "%s", load_err);
    live_init(&d->served, d->gen);
    metrics_init(&d->metrics, d->gen->cat.count, HTTP_ROUTE_NAMES, HTTP_ROUTE_COUNT);
    ck_assert_int_eq(http_server_start(&d->server, &d->cfg, &d->served, &d->metrics, err), 0);
    ck_assert_uint_ne(d->server.port, 0);
}

void tu_daemon_stop(struct tu_daemon *d)
{
    http_server_stop(&d->server, 1000);
    live_deinit(&d->served);
}
