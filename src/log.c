/* log: JSON lines for CloudWatch and friends. */
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "render.h"

void log_timestamp(char *buf)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Writes the whole of buf, retrying short writes. */
static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void emit(int fd, const char *level, const char *event, cJSON *fields)
{
    char ts[32];
    log_timestamp(ts);
    cJSON *line = cJSON_CreateObject();
    if (line == NULL) {
        cJSON_Delete(fields);
        return;
    }
    cJSON_AddStringToObject(line, "ts", ts);
    cJSON_AddStringToObject(line, "level", level);
    cJSON_AddStringToObject(line, "event", event);
    if (fields != NULL) {
        cJSON *item = fields->child;
        while (item != NULL) {
            cJSON *next = item->next;
            cJSON_AddItemToObject(line, item->string, cJSON_DetachItemViaPointer(fields, item));
            item = next;
        }
        cJSON_Delete(fields);
    }
    char *text = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    if (text == NULL)
        return;
    size_t len = strlen(text);
    text[len] = '\n'; /* overwrite the terminator: the line is written by length */
    write_all(fd, text, len + 1);
    free(text);
}

void log_info(const char *event, cJSON *fields)
{
    emit(STDOUT_FILENO, "info", event, fields);
}

void log_error(const char *event, const char *message)
{
    cJSON *fields = cJSON_CreateObject();
    if (fields != NULL)
        cJSON_AddStringToObject(fields, "message", message);
    emit(STDERR_FILENO, "error", event, fields);
}

void log_access(const char *method, const char *path, unsigned status, size_t bytes,
                uint64_t duration_ns)
{
    char ts[32];
    char line[1024];
    char method_json[64], path_json[512];
    size_t mlen = strlen(method), plen = strlen(path);
    if (mlen > 8)
        mlen = 8; /* methods the service knows are short; the rest is noise */
    if (plen > 80)
        plen = 80; /* paths are bounded in the log: 80 bytes escape to at most 482 */
    method_json[render_json_string(method_json, method, mlen)] = '\0';
    path_json[render_json_string(path_json, path, plen)] = '\0';
    log_timestamp(ts);
    int n = snprintf(line, sizeof(line),
                     "{\"ts\":\"%s\",\"level\":\"info\",\"event\":\"access\",\"method\":%s,"
                     "\"path\":%s,\"status\":%u,\"bytes\":%zu,\"duration_us\":%.1f}\n",
                     ts, method_json, path_json, status, bytes, (double)duration_ns / 1000.0);
    if (n > 0)
        write_all(STDOUT_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}
