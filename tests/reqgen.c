/* reqgen: random requests and awkward catalogs for the differential tests. */
#include "reqgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "highlight.h"
#include "query.h"
#include "reference.h"
#include "text.h"
#include "search.h"

static const char *const AWK_CATEGORIES[] = {
    "Books", "books", "BOOKS", "\xC3\x89lectronique", "Toys & \"Games\"", "Garden\\Tools",
    "a", "Office", "office supplies", "Caf\xC3\xA9",
};
static const char *const AWK_BRANDS[] = {
    "Alpha", "ALPHA", "alpha", "\xC3\x86r\xC3\xB8", "Zo\xC3\xAB", "O'Brien", "\"Quoted\"",
    "Beta Co", "b", "\xE2\x98\x83 Snow",
};
static const char *const AWK_WORDS[] = {
    "Product", "book", "BOOK", "aaaa", "aa", "Caf\xC3\xA9", "CAF\xC3\x89", "\"q\"", "o'b",
    "x y", "123", "1", "Alpha", "office", "\\", "\xC3\xA9l", "tab\tbed", "usb-c", "USB", "c",
    "phone", "headphone", "Phones", "a.b", "-x-", "15", "15 Pro", "Pro", "b\xC3\xBC" "cher",
};

static unsigned pick(unsigned *seed, unsigned n)
{
    return (unsigned)rand_r(seed) % n;
}

int reqgen_awkward_catalog(struct catalog *cat, size_t n, unsigned seed)
{
    catalog_init(cat);
    uint64_t id = 0;
    for (size_t k = 0; k < n; k++) {
        id += 1 + pick(&seed, pick(&seed, 10) == 0 ? 20000 : 3); /* sparse, up to ~5,000,000 */
        if (id > 5000000)
            id = 5000000 - n + k;
        const char *category = AWK_CATEGORIES[pick(&seed, 10)];
        const char *brand = AWK_BRANDS[pick(&seed, 10)];
        char name[256];
        int len = 0;
        unsigned words = 1 + pick(&seed, 4);
        for (unsigned w = 0; w < words; w++)
            len += snprintf(name + len, sizeof(name) - (size_t)len, "%s%s", w ? " " : "",
                            pick(&seed, 5) == 0 ? category : AWK_WORDS[pick(&seed, 29)]);
        if (pick(&seed, 5) != 0) /* a fifth of the names are words only, some a whole category */
            len += snprintf(name + len, sizeof(name) - (size_t)len, " %u", pick(&seed, 1000));
        char description[512];
        int dlen = 0;
        for (unsigned w = 0, dwords = pick(&seed, 8); w < dwords; w++)
            dlen += snprintf(description + dlen, sizeof(description) - (size_t)dlen, "%s%s",
                             w ? (pick(&seed, 4) == 0 ? ", " : " ") : "",
                             pick(&seed, 6) == 0 ? brand : AWK_WORDS[pick(&seed, 29)]);
        uint64_t price = pick(&seed, 4) == 0 ? pick(&seed, 5) : pick(&seed, 50000);
        if (catalog_add(cat, id, price, name, (size_t)len, category, strlen(category),
                        description, (size_t)dlen, brand, strlen(brand)) != 0)
            return -1;
    }
    catalog_shrink(cat);
    return 0;
}

/* Some bytes of a random product's field (mostly its name), in random
 * letter case. */
static size_t piece(char *w, const struct catalog *cat, unsigned *seed)
{
    const struct product *p = &cat->items[pick(seed, (unsigned)cat->count)];
    unsigned which = pick(seed, 8);
    struct catalog_str s = which == 0   ? p->category
                           : which == 1 ? p->description
                           : which == 2 ? p->brand
                                        : p->name;
    const char *t = catalog_text(cat, s);
    size_t a = s.len ? pick(seed, (unsigned)s.len) : 0;
    size_t n = 1 + pick(seed, 12);
    if (a + n > s.len)
        n = s.len - a;
    for (size_t i = 0; i < n; i++) {
        char c = t[a + i];
        if (c == '&' || c == '=' || c == ',' || c == '\0')
            c = 'x'; /* the test parser splits on these */
        if (pick(seed, 3) == 0 && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        w[i] = c;
    }
    return n;
}

/* The bytes of the UTF-8 character at w[i] (1 for ASCII, and for a byte that
 * starts no whole character within n). */
static size_t char_len(const char *w, size_t n, size_t i)
{
    unsigned char c = (unsigned char)w[i];
    size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return i + k <= n ? k : 1;
}

/* One random edit of the n bytes of w, by whole characters so that UTF-8
 * stays UTF-8: insert a letter (now and then a two-byte one, two byte edits),
 * delete a character, substitute one with a letter or, for a non-ASCII one,
 * its last byte (one byte edit: "crème" to "crême"), or swap two neighbours.
 * Returns the new length. */
static size_t edit(char *w, size_t n, unsigned *seed)
{
    size_t start[64] = {0}, chars = 0; /* where each character starts */
    for (size_t i = 0; i < n && chars < 64; i += char_len(w, n, i))
        start[chars++] = i;
    size_t c = pick(seed, (unsigned)chars), at = start[c], len = char_len(w, n, at);
    static const char *const WIDE[] = {"\xC3\xA9", "\xC3\xA8", "\xC3\xBC", "\xC3\x9F"};
    switch (pick(seed, 4)) {
    case 0: { /* insert */
        char letter[2] = {(char)('a' + pick(seed, 26)), 0};
        size_t k = 1;
        if (pick(seed, 5) == 0) {
            memcpy(letter, WIDE[pick(seed, 4)], 2);
            k = 2;
        }
        memmove(w + at + k, w + at, n - at);
        memcpy(w + at, letter, k);
        return n + k;
    }
    case 1: /* delete */
        memmove(w + at, w + at + len, n - at - len);
        return n - len;
    case 2: /* substitute */
        if (len > 1 && pick(seed, 2) == 0) {
            w[at + len - 1] = (char)(0x80 + pick(seed, 64));
            return n;
        }
        memmove(w + at + 1, w + at + len, n - at - len);
        w[at] = (char)('a' + pick(seed, 26));
        return n - len + 1;
    default: /* swap with the next character */
        if (c + 1 < chars) {
            size_t next = char_len(w, n, at + len);
            char tmp[4];
            memcpy(tmp, w + at, len);
            memmove(w + at, w + at + len, next);
            memcpy(w + at + next, tmp, len);
        }
        return n;
    }
}

/* A word of a field of p (a random product when NULL), a run of word bytes,
 * with up to two random edits (edit()), in random letter case: what a
 * shopper mistypes. */
static size_t misspelt(char *w, const struct catalog *cat, const struct product *p,
                       unsigned *seed)
{
    if (p == NULL)
        p = &cat->items[pick(seed, (unsigned)cat->count)];
    struct catalog_str s = catalog_field(p, (enum catalog_field)pick(seed, CATALOG_FIELD_COUNT));
    const unsigned char *t = (const unsigned char *)catalog_text(cat, s);
    size_t a = s.len ? pick(seed, (unsigned)s.len) : 0, n = 0;
    while (a < s.len && !text_word_byte(t[a]))
        a++;
    while (a + n < s.len && text_word_byte(t[a + n]) && n < 40)
        n++;
    if (n == 0)
        return (size_t)sprintf(w, "abcde");
    memcpy(w, t + a, n);
    for (unsigned e = 0, edits = pick(seed, 3); e < edits && n > 1; e++)
        n = edit(w, n, seed);
    for (size_t i = 0; i < n; i++) {
        if (w[i] == '&' || w[i] == '=' || w[i] == ',' || w[i] == '\0')
            w[i] = 'x';
        if (pick(seed, 3) == 0 && w[i] >= 'a' && w[i] <= 'z')
            w[i] = (char)(w[i] - 'a' + 'A');
    }
    return n;
}

static size_t value_of(char *w, const struct catalog *cat, enum request_field f, unsigned *seed)
{
    if (pick(seed, 8) == 0)
        return (size_t)sprintf(w, "nosuchvalue");
    const struct product *p = &cat->items[pick(seed, (unsigned)cat->count)];
    struct catalog_str s = f == REQUEST_CATEGORY ? p->category : p->brand;
    const char *t = catalog_text(cat, s);
    size_t n = 0;
    for (size_t i = 0; i < s.len && n < REQUEST_MAX_VALUE; i++) {
        char c = t[i];
        if (c == '&' || c == '=' || c == ',')
            continue;
        if (pick(seed, 2) == 0 && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        w[n++] = c;
    }
    if (n == 0)
        w[n++] = 'z';
    return n;
}

void reqgen_url(char *url, const struct catalog *cat, unsigned *seed)
{
    char *w = url;
    bool browse = pick(seed, 6) == 0;
    bool all = pick(seed, 4) == 0;
    if (!browse) {
        w += sprintf(w, "q=");
        switch (pick(seed, 6)) {
        case 0: /* random letters, mostly misses */
            for (unsigned i = 0, n = 1 + pick(seed, 5); i < n; i++)
                *w++ = (char)('a' + pick(seed, 26));
            break;
        case 1: /* digits */
            w += sprintf(w, "%u", pick(seed, 1000));
            break;
        case 2: /* mistyped words, and now and then an exact piece */
            w += misspelt(w, cat, NULL, seed);
            for (unsigned t = 0, n = pick(seed, 3); t < n; t++) {
                *w++ = ' ';
                w += pick(seed, 3) ? misspelt(w, cat, NULL, seed) : piece(w, cat, seed);
            }
            break;
        default:
            w += piece(w, cat, seed);
            for (unsigned t = 0, n = pick(seed, 3); t < n; t++) {
                *w++ = ' ';
                w += piece(w, cat, seed);
            }
        }
        if (pick(seed, 20) == 0)
            w += sprintf(w, " ");
    }
    for (int f = 0; f < REQUEST_FIELD_COUNT; f++) {
        if (pick(seed, browse ? 2 : 4) != 0)
            continue;
        w += sprintf(w, "&%s=", f == REQUEST_CATEGORY ? "category" : "brand");
        for (unsigned i = 0, n = 1 + pick(seed, 3); i < n; i++) {
            if (i > 0)
                *w++ = ',';
            w += value_of(w, cat, (enum request_field)f, seed);
        }
    }
    if (pick(seed, browse ? 3 : 5) == 0)
        w += sprintf(w, "&min_price=%u.%02u", pick(seed, 200), pick(seed, 100));
    if (pick(seed, 5) == 0)
        w += sprintf(w, "&max_price=%u", 200 + pick(seed, 400));
    if (browse && w == url)
        w += sprintf(w, "&min_price=0");
    static const char *const SORTS[] = {"id", "price", "-price", "relevance", "relevance"};
    if (pick(seed, 2) == 0)
        w += sprintf(w, "&sort=%s", SORTS[pick(seed, 5)]);
    static const char *const FIELDS[] = {"name", "brand", "category", "description"};
    if (pick(seed, 3) == 0) { /* 1 to 4 distinct fields in a random order */
        unsigned order[4] = {0, 1, 2, 3}, n = 1 + pick(seed, 4);
        for (unsigned i = 0; i < n; i++) {
            unsigned j = i + pick(seed, 4 - i), x = order[i];
            order[i] = order[j], order[j] = x;
            w += sprintf(w, "%s%s", i ? "," : "&fields=", FIELDS[order[i]]);
        }
    }
    if (pick(seed, 4) == 0)
        w += sprintf(w, "&highlight=%s", pick(seed, 4) ? "true" : "false");
    if (pick(seed, 4) == 0)
        w += sprintf(w, "&typos=%u", pick(seed, 3));
    if (pick(seed, 3) == 0)
        w += sprintf(w, "&offset=%u", pick(seed, 4) == 0 ? pick(seed, 5000) : pick(seed, 40));
    if (pick(seed, 2) == 0)
        w += sprintf(w, "&limit=%u", 1 + pick(seed, 100));
    static const char *const FACETS[] = {"category", "brand", "category,brand", "brand,category"};
    if (pick(seed, 3) == 0)
        w += sprintf(w, "&facets=%s", FACETS[pick(seed, 4)]);
    if (all)
        w += sprintf(w, "&match=all");
    else if (pick(seed, 10) == 0)
        w += sprintf(w, "&match=phrase");
    *w = '\0';
    if (url[0] == '&')
        memmove(url, url + 1, strlen(url));
}

void reqgen_url_typos(char *url, const struct catalog *cat, unsigned *seed)
{
    char other[REQGEN_URL_MAX];
    reqgen_url(other, cat, seed);
    const struct product *p = &cat->items[pick(seed, (unsigned)cat->count)];
    char *w = url + sprintf(url, "q=");
    for (unsigned t = 0, n = 1 + pick(seed, 3); t < n; t++) {
        if (t > 0)
            *w++ = ' ';
        if (pick(seed, 5) == 0)
            w += piece(w, cat, seed);
        else
            w += misspelt(w, cat, pick(seed, 4) ? p : NULL, seed);
    }
    w += sprintf(w, "&typos=%u", pick(seed, 8) ? 1 + pick(seed, 2) : 0);
    /* reqgen_url()'s other parameters; its fields now and then all four, so
     * that the words drawn from any field can match */
    bool fields = false;
    for (char *save = NULL, *tok = strtok_r(other, "&", &save); tok != NULL;
         tok = strtok_r(NULL, "&", &save)) {
        if (strncmp(tok, "q=", 2) == 0 || strncmp(tok, "typos=", 6) == 0)
            continue;
        fields |= strncmp(tok, "fields=", 7) == 0;
        w += sprintf(w, "&%s", tok);
    }
    if (!fields && pick(seed, 2) == 0)
        sprintf(w, "&fields=%s", pick(seed, 2) ? "name,brand,category,description"
                                               : "description,category,brand,name");
}

int reqgen_parse_err(const char *url, struct request *req, struct query_error *err)
{
    char buf[REQGEN_URL_MAX];
    struct query_param ps[QUERY_MAX_PARAMS];
    size_t n = 0;
    snprintf(buf, sizeof(buf), "%s", url);
    for (char *save = NULL, *tok = strtok_r(buf, "&", &save); tok && n < QUERY_MAX_PARAMS;
         tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        if (eq != NULL)
            *eq = '\0';
        ps[n++] = (struct query_param){tok, strlen(tok), eq ? eq + 1 : NULL, eq ? strlen(eq + 1) : 0};
    }
    err->code = NULL;
    return query_parse(ps, n, 20, req, err);
}

int reqgen_parse(const char *url, struct request *req)
{
    struct query_error err;
    return reqgen_parse_err(url, req, &err);
}

/* A query as the benchmark's text mix draws it: substrings of names, brands
 * in random case, categories and their prefixes, numbers, whole names,
 * random letters, single characters, the words every product holds, and
 * two of these joined by a space. */
static size_t mix_query(char *w, const struct catalog *cat, unsigned *seed, int depth)
{
    const struct product *p = &cat->items[pick(seed, (unsigned)cat->count)];
    static const char *const BROAD[] = {"product", "prod", "duct", "uct", "a", "1", "o", "e"};
    size_t n = 0;
    struct catalog_str s = p->name;
    switch (pick(seed, 9)) {
    case 0:
    case 1: {
        size_t len = 2 + pick(seed, 11), a;
        if (len > s.len)
            len = s.len;
        a = pick(seed, (unsigned)(s.len - len + 1));
        memcpy(w, catalog_text(cat, s) + a, len);
        n = len;
        break;
    }
    case 2:
        s = p->brand;
        memcpy(w, catalog_text(cat, s), s.len);
        n = s.len;
        break;
    case 3:
        s = p->category;
        n = s.len;
        if (pick(seed, 2) == 0 && n > 3)
            n = 3 + pick(seed, 6) < n ? 3 + pick(seed, 6) : n;
        memcpy(w, catalog_text(cat, s), n);
        break;
    case 4:
        n = (size_t)sprintf(w, "%u", pick(seed, 1000000) % (1u + pick(seed, 1000000)));
        break;
    case 5:
        memcpy(w, catalog_text(cat, s), s.len);
        n = s.len;
        break;
    case 6:
        for (unsigned i = 0, m = 3 + pick(seed, 8); i < m; i++)
            w[n++] = (char)('a' + pick(seed, 26));
        break;
    case 7:
        n = (size_t)sprintf(w, "%s", BROAD[pick(seed, 8)]);
        break;
    default:
        if (depth == 0) {
            n = mix_query(w, cat, seed, 1);
            w[n++] = ' ';
            n += mix_query(w + n, cat, seed, 1);
        } else {
            w[n++] = (char)(pick(seed, 2) ? 'a' + pick(seed, 26) : '0' + pick(seed, 10));
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (w[i] == '&' || w[i] == '=' || w[i] == '\0')
            w[i] = 'x'; /* the test parser splits on these */
        else if (pick(seed, 4) == 0 && w[i] >= 'a' && w[i] <= 'z')
            w[i] = (char)(w[i] - 'a' + 'A');
    }
    if (n == 0)
        w[n++] = 'a';
    return n;
}

void reqgen_url_mixed(char *url, const struct catalog *cat, unsigned *seed)
{
    reqgen_url(url, cat, seed);
    if (pick(seed, 2) == 0 || strncmp(url, "q=", 2) != 0)
        return;
    char tail[REQGEN_URL_MAX];
    const char *amp = strchr(url, '&');
    snprintf(tail, sizeof(tail), "%s", amp ? amp : "");
    char *w = url + 2;
    w += mix_query(w, cat, seed, 0);
    snprintf(w, REQGEN_URL_MAX - (size_t)(w - url), "%s", tail);
}


int reqgen_check(const struct catalog *cat, size_t window, reqgen_answer fast, const void *ctx,
                 const struct request *req, struct reqgen_report *rep)
{
    struct result got, want;
    if (fast(ctx, req, window, &got) != 0 || reference_run(cat, req, window, &want) != 0) {
        rep->failed = true;
        return -1;
    }
    rep->compared++;
    rep->matched += want.total_found > 0;
    rep->got_total = got.total_found, rep->want_total = want.total_found;
    rep->got_count = got.count, rep->want_count = want.count;
    if (!request_results_equal(cat, &got, &want)) {
        rep->failed = true;
        return -1;
    }
    if (req->highlight && reqgen_highlights_equal(cat, req, &got) != 0) {
        rep->failed = true;
        rep->highlight = true;
        return -1;
    }
    return 0;
}

int reqgen_highlights_equal(const struct catalog *cat, const struct request *req,
                            const struct result *res)
{
    static struct highlight a, b; /* 32 KB each: not on the stack */
    for (size_t i = 0; i < res->count; i++) {
        const struct product *p = &cat->items[res->item[i]];
        if (highlight_product(cat, p, req, &a) != 0)
            return -1;
        reference_highlight(cat, p, req, &b);
        for (unsigned f = 0; f < req->nfields; f++)
            if (a.n[f] != b.n[f] || memcmp(a.range[f], b.range[f], a.n[f] * sizeof(a.range[f][0])))
                return -1;
    }
    return 0;
}

int reqgen_compare(const struct catalog *cat, size_t window, reqgen_answer fast, const void *ctx,
                   reqgen_draw draw, unsigned *seed, size_t n, struct reqgen_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    /* Refused requests have no answer to compare; a generator that is
     * refused more often than not is a broken test, which the bound stops. */
    while (rep->compared < n && rep->drawn < 20 * n + 100) {
        struct request req;
        draw(rep->url, cat, seed);
        rep->drawn++;
        if (reqgen_parse(rep->url, &req) != 0)
            continue;
        if (reqgen_check(cat, window, fast, ctx, &req, rep) != 0)
            return -1;
    }
    return rep->compared == n ? 0 : -1;
}

int reqgen_answer_search(const void *engine, const struct request *req, size_t window,
                         struct result *out)
{
    return search_run(engine, req, window, out);
}

int reqgen_answer_index(const void *ix, const struct request *req, size_t window,
                        struct result *out)
{
    (void)window; /* the index answers the whole catalog */
    return index_run(ix, req, out);
}
