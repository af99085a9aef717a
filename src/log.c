/* log: JSON lines for CloudWatch and friends. */
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "text.h"

void log_timestamp(char *buf)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

long log_proc_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
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

/* Bytes in the UTF-8 sequence a lead byte c starts, 0 for a byte that cannot
 * start one (a continuation byte, C0, C1, F5..FF). */
static size_t utf8_length(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

/* Copies at most max bytes of s[0..len) into out (room for 3 * max bytes) as
 * valid UTF-8: each byte that is not part of a well-formed sequence becomes
 * U+FFFD, and the cut falls on a character boundary (a character that would
 * cross max is left out whole). Returns the bytes written. A log line is read
 * by JSON tools that reject invalid UTF-8, and request paths are the client's
 * bytes after percent-decoding: %FF arrives here as a raw 0xFF. */
static size_t utf8_clean_prefix(char *out, const char *s, size_t len, size_t max)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    size_t i = 0, o = 0;
    while (i < len && i < max) {
        size_t n = utf8_length((unsigned char)s[i]);
        if (n == 0 || n > len - i || !text_utf8_valid(s + i, n)) {
            memcpy(out + o, replacement, 3);
            o += 3, i += 1;
            continue;
        }
        if (n > max - i)
            break;
        memcpy(out + o, s + i, n);
        o += n, i += n;
    }
    return o;
}

enum {
    LOG_METHOD_MAX = 8, /* methods the service knows are short; the rest is noise */
    LOG_PATH_MAX = 80,  /* paths are bounded in the log */
};

void log_access(const char *method, const char *path, unsigned status, size_t bytes,
                uint64_t duration_ns)
{
    char ts[32];
    char line[1024];
    /* 80 input bytes clean to at most 240 (U+FFFD each), which escape to at
     * most 482 (\u00XX for each control byte, 2 quotes). */
    char method_clean[3 * LOG_METHOD_MAX], path_clean[3 * LOG_PATH_MAX];
    char method_json[64], path_json[512];
    size_t mlen = utf8_clean_prefix(method_clean, method, strlen(method), LOG_METHOD_MAX);
    size_t plen = utf8_clean_prefix(path_clean, path, strlen(path), LOG_PATH_MAX);
    method_json[text_json_string(method_json, method_clean, mlen)] = '\0';
    path_json[text_json_string(path_json, path_clean, plen)] = '\0';
    log_timestamp(ts);
    int n = snprintf(line, sizeof(line),
                     "{\"ts\":\"%s\",\"level\":\"info\",\"event\":\"access\",\"method\":%s,"
                     "\"path\":%s,\"status\":%u,\"bytes\":%zu,\"duration_us\":%.1f}\n",
                     ts, method_json, path_json, status, bytes, (double)duration_ns / 1000.0);
    if (n > 0)
        write_all(STDOUT_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}
