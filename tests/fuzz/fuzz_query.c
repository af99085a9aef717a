/* fuzz_query: the query-parameter validation (query_check_q, query_parse_limit)
 * against independent reference implementations of the q and limit rules. The input
 * is split at its first '&': q's raw bytes before it, limit's after it. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* UTF-8 by the ranges of Unicode Table 3-7 (well-formed byte sequences),
 * written differently from text_utf8_valid on purpose. */
static bool ref_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char a = s[i];
        unsigned char lo = 0x80, hi = 0xBF;
        size_t k;
        if (a <= 0x7F) {
            i++;
            continue;
        } else if (a >= 0xC2 && a <= 0xDF) {
            k = 1;
        } else if (a == 0xE0) {
            k = 2, lo = 0xA0;
        } else if ((a >= 0xE1 && a <= 0xEC) || a == 0xEE || a == 0xEF) {
            k = 2;
        } else if (a == 0xED) {
            k = 2, hi = 0x9F;
        } else if (a == 0xF0) {
            k = 3, lo = 0x90;
        } else if (a >= 0xF1 && a <= 0xF3) {
            k = 3;
        } else if (a == 0xF4) {
            k = 3, hi = 0x8F;
        } else {
            return false;
        }
        if (i + k >= n) /* the sequence runs past the end */
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t j = 2; j <= k; j++)
            if (s[i + j] < 0x80 || s[i + j] > 0xBF)
                return false;
        i += k + 1;
    }
    return true;
}

static enum query_q_status ref_q(const unsigned char *raw, size_t n, size_t *from, size_t *len)
{
    size_t a = 0, b = n;
    while (a < b && space(raw[a]))
        a++;
    while (b > a && space(raw[b - 1]))
        b--;
    if (a == b)
        return QUERY_Q_BLANK;
    if (b - a > REQUEST_MAX_QUERY)
        return QUERY_Q_TOO_LONG;
    if (memchr(raw + a, 0, b - a) != NULL)
        return QUERY_Q_NUL;
    if (!ref_utf8(raw + a, b - a))
        return QUERY_Q_BAD_UTF8;
    *from = a;
    *len = b - a;
    return QUERY_Q_OK;
}

/* limit: one or more decimal digits whose value is 1..REQUEST_MAX_LIMIT. */
static int ref_limit(const unsigned char *s, size_t n, unsigned *out)
{
    unsigned long v = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
        if (v > REQUEST_MAX_LIMIT)
            return -1;
    }
    if (v < 1)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *amp = memchr(data, '&', size);
    size_t qn = amp ? (size_t)(amp - data) : size;
    /* Exact-size heap copies, so ASan sees any read past the end. */
    char *q = malloc(qn ? qn : 1);
    memcpy(q, data, qn);

    const char *got = NULL;
    size_t got_len = 0, want_from = 0, want_len = 0;
    enum query_q_status st = query_check_q(q, qn, &got, &got_len);
    enum query_q_status want = ref_q((const unsigned char *)q, qn, &want_from, &want_len);
    if (st != want)
        abort();
    if (st == QUERY_Q_OK && (got != q + want_from || got_len != want_len))
        abort();
    if (query_check_q(NULL, 0, &got, &got_len) != QUERY_Q_MISSING)
        abort();
    free(q);

    if (amp != NULL) {
        size_t ln = size - qn - 1;
        char *lim = malloc(ln ? ln : 1);
        memcpy(lim, amp + 1, ln);
        unsigned v = 0, rv = 0;
        int r = query_parse_limit(lim, ln, &v);
        int rr = ref_limit((const unsigned char *)lim, ln, &rv);
        if (r != rr)
            abort();
        if (r == 0 && v != rv)
            abort();
        free(lim);
    }
    return 0;
}
