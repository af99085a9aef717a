/* testutil: a raw HTTP/1.1 client and process helpers for the integration suites. */
#ifndef PRODUCT_SEARCH_TESTUTIL_H
#define PRODUCT_SEARCH_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "config.h"
#include "http.h"
#include "live.h"
#include "metrics.h"
#include "search.h"

/* One parsed HTTP response. */
struct tu_response {
    int status;          /* status code, 0 when none was read */
    char headers[4096];  /* raw header block, NUL-terminated */
    char *body;          /* body bytes, NUL-terminated, heap (tu_response_deinit) */
    size_t body_len;     /* bytes in body */
    bool closed;         /* the server announced or performed a close */
};

/* A TCP connection to 127.0.0.1:port with 5 s timeouts, or -1. */
int tu_connect(unsigned port);

/* Sends raw bytes. Returns 0, or -1. */
int tu_send(int fd, const char *raw, size_t len);

/* Reads one response; head is true for a HEAD request (no body follows).
 * Returns 0, or -1 when the connection ended before a full response. */
int tu_read_response(int fd, bool head, struct tu_response *r);

/* Opens a connection, sends "METHOD target HTTP/1.1" with Connection: close
 * and reads the answer. Returns 0, or -1. */
int tu_request(unsigned port, const char *method, const char *target, struct tu_response *r);

/* The value of header name (case-insensitive) in r, copied into out, or NULL. */
const char *tu_header(const struct tu_response *r, const char *name, char *out, size_t out_len);

void tu_response_deinit(struct tu_response *r);

/* The body parsed as JSON (caller deletes), or NULL. */
cJSON *tu_json(const struct tu_response *r);

/* A path under /tmp unique to this test process ("/tmp/ps-<pid>-<name>"), so
 * that test runs side by side never share a file; four stay valid at once. */
const char *tu_tmp_path(const char *name);

/* Path of the server binary under test (PRODUCT_SEARCH_BIN or build/product-search). */
const char *tu_server_bin(void);

/* Starts the server binary with extra environment entries (NULL-terminated,
 * "NAME=value") and argv, stdout to out_path; waits for its start line and
 * returns its pid, with the bound port in *port; -1 on failure. */
pid_t tu_spawn_server(char *const env[], char *const argv[], const char *out_path,
                      unsigned *port);

/* tu_spawn_server with the child's RLIMIT_NOFILE set to soft and hard
 * before exec, and its stderr written to out_path as well. */
pid_t tu_spawn_server_nofile(char *const env[], const char *out_path, unsigned *port,
                             unsigned long soft, unsigned long hard);

/* tu_spawn_server() with stderr to err_path (NULL: inherited). */
pid_t tu_spawn_server_err(char *const env[], char *const argv[], const char *out_path,
                          const char *err_path, unsigned *port);

/* Runs the binary to completion with env and argv, capturing stderr (and
 * stdout) into buffers. Returns the exit status, or -1. */
int tu_run(char *const env[], char *const argv[], char *out, size_t out_len, char *err,
           size_t err_len);

/* Polls GET /health until it answers 200 (a whole-catalog index is
 * published), at most timeout_ms. Returns 0 when it did, -1 otherwise. */
int tu_wait_ready(unsigned port, unsigned timeout_ms);

/* Waits up to timeout_ms for pid; returns its exit status, or -1 on timeout/signal. */
int tu_wait_exit(pid_t pid, unsigned timeout_ms);

/* A server of this process on 127.0.0.1, port 0, and what it serves. */
struct tu_daemon {
    struct config cfg;          /* its settings */
    struct live served;         /* the catalog it serves */
    struct live_gen *gen;       /* that catalog (generated; owned by served) */
    struct metrics metrics;     /* its counters */
    struct http_server server;  /* the running server; server.port is bound */
};

/* Starts d with two threads, CONN_LIMIT 512, conn_timeout_s ("5") and
 * product_count ("100000"), the default SCAN_LIMIT (100, a bounded engine,
 * ready at once), asserting success (Check). */
void tu_daemon_start(struct tu_daemon *d, const char *conn_timeout_s, const char *product_count);

/* Stops d and frees what it holds. */
void tu_daemon_stop(struct tu_daemon *d);

#endif
