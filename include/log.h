/* log: JSON lines, one per event; info on stdout, errors on stderr. */
#ifndef PRODUCT_SEARCH_LOG_H
#define PRODUCT_SEARCH_LOG_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Writes {"ts":...,"level":"info","event":event, ...fields} to stdout as one
 * line. Consumes fields (an object, or NULL). */
void log_info(const char *event, cJSON *fields);

/* Writes {"ts":...,"level":"error","event":event,"message":message} to stderr. */
void log_error(const char *event, const char *message);

/* The access log line of one request, written with a single write(2) so
 * lines from several threads never interleave. The line is valid UTF-8 JSON
 * whatever the bytes: method and path are cut to 8 and 80 bytes on a
 * character boundary, and bytes that are not UTF-8 are written as U+FFFD. */
void log_access(const char *method, const char *path, unsigned status, size_t bytes,
                uint64_t duration_ns);

/* A field of /proc/self/status in kB (VmRSS, VmHWM), as log lines report
 * memory; -1 when it cannot be read. */
long log_proc_kb(const char *field);

/* Writes the current UTC time as 2026-01-02T03:04:05.678Z into buf (32 bytes). */
void log_timestamp(char *buf);

#endif
