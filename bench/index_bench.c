/* index_bench: the whole-catalog index in process, without HTTP: build time
 * and memory, then the text and features mixes (10,000 distinct
 * queries each, seeded) through index_run() + render_search(), with mean,
 * p50, p99 and the slowest requests, and the broad single queries.
 *
 *   make && cc -O2 -Iinclude $(pkg-config --cflags libdivsufsort) -o build/index_bench \
 *       bench/index_bench.c $(find build/obj -maxdepth 1 -name '*.o' ! -name main.o) \
 *       $(pkg-config --libs libmicrohttpd libcjson libdivsufsort libxxhash) -lroaring -lpthread -lm
 *   build/index_bench [products or a catalog file] [passes] [mixes: "0,1,2,3" = text, features,
 *                                              relevance, 4 fields+highlight]
 *                     [paths file: its first 10,000 request paths (bench/mixes.py's
 *                      OUT.typo.paths, say) measured the same way, as mix "file"]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "catalog.h"
#include "catalog_file.h"
#include "index.h"
#include "query.h"
#include "render.h"
#include "search.h"

enum {
    QUERIES = 10000,
    URL_MAX = 512,
};

static const char *const BRANDS[] = {"Alpha", "Beta", "Gamma", "Delta", "Epsilon",
                                     "Zeta", "Eta", "Theta", "Iota", "Kappa"};
static const char *const CATEGORIES[] = {"Electronics", "Books", "Home", "Sports",
                                         "Clothing", "Toys", "Garden", "Food",
                                         "Health", "Automotive", "Beauty", "Office"};

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static unsigned pick(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static double now(void)
{
    return (double)clock_ns() / 1e9;
}

static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, field, strlen(field)) == 0)
            kb = atol(line + strlen(field) + 1);
    if (f != NULL)
        fclose(f);
    return kb;
}

/* One text-mix query (SPEC 7) appended at w; returns its length. */
static size_t text_query(char *w, size_t n, int depth)
{
    char name[64];
    unsigned r = pick(100), i = 1 + pick((unsigned)n);
    int nl = snprintf(name, sizeof(name), "Product %s %u", BRANDS[(i - 1) % 10], i);
    size_t len = 0;
    if (r < 25) {
        size_t l = 2 + pick(11);
        if (l > (size_t)nl)
            l = (size_t)nl;
        size_t a = pick((unsigned)((size_t)nl - l + 1));
        memcpy(w, name + a, l);
        len = l;
    } else if (r < 40) {
        const char *b = BRANDS[pick(10)];
        for (len = 0; b[len]; len++)
            w[len] = pick(2) ? (char)(b[len] | 0x20) : (char)(b[len] & ~0x20);
    } else if (r < 50) {
        const char *c = CATEGORIES[pick(12)];
        len = strlen(c);
        if (pick(2) && len > 3)
            len = 3 + pick(6) < len ? 3 + pick(6) : len;
        memcpy(w, c, len);
    } else if (r < 65) {
        for (unsigned d = 1 + pick(6); len < d; len++)
            w[len] = (char)('0' + pick(10));
    } else if (r < 75) {
        memcpy(w, name, (size_t)nl);
        len = (size_t)nl;
    } else if (r < 85) {
        for (unsigned d = 3 + pick(8); len < d; len++)
            w[len] = (char)('a' + pick(26));
    } else if (r < 90) {
        w[len++] = pick(2) ? (char)('a' + pick(26)) : (char)('0' + pick(10));
    } else if (r < 95 || depth > 0) {
        static const char *const W[] = {"product", "prod", "duct", "uct"};
        const char *x = W[pick(4)];
        len = strlen(x);
        memcpy(w, x, len);
    } else {
        len = text_query(w, n, 1);
        w[len++] = ' ';
        len += text_query(w + len, n, 1);
    }
    return len;
}

/* The mixes measured: the text and features mixes, and the text mix ranked
 * by relevance, alone and over the four fields with highlights. */
enum mix { MIX_TEXT, MIX_FEATURES, MIX_RELEVANCE, MIX_FIELDS4, MIX_FILE, MIXES };
static const char *const MIX_NAME[MIXES] = {"text", "features", "relevance", "4 fields+highlight",
                                            "file"};
static const char *const MIX_TAIL[MIXES] = {
    "", "", "&sort=relevance", "&sort=relevance&fields=name,brand,category,description&highlight=true",
    ""};

/* One request of the text or the features mix, as a raw query string. */
static void mix_url(char *url, size_t n, int features)
{
    char q[256];
    size_t ql = text_query(q, n, 0);
    char extra[256] = "";
    size_t el = 0;
    int noq = 0;
    if (features && pick(2)) {
        unsigned used = 0;
        for (unsigned k = 1 + pick(3); k > 0; k--) {
            unsigned f = pick(8);
            while (used & (1u << f))
                f = pick(8);
            used |= 1u << f;
            switch (f) {
            case 0:
                el += (size_t)sprintf(extra + el, "&category=%s", CATEGORIES[pick(12)]);
                if (pick(2))
                    el += (size_t)sprintf(extra + el, ",%s", CATEGORIES[pick(12)]);
                break;
            case 1:
                el += (size_t)sprintf(extra + el, "&brand=%s", BRANDS[pick(10)]);
                break;
            case 2: {
                unsigned a = 1 + pick(900);
                el += (size_t)sprintf(extra + el, "&min_price=%u&max_price=%u", a, a + 1 + pick(300));
                break;
            }
            case 3:
                el += (size_t)sprintf(extra + el, "&sort=%s", pick(2) ? "price" : "-price");
                break;
            case 4:
                el += (size_t)sprintf(extra + el, "&offset=%u", pick(201));
                break;
            case 5: {
                static const char *const F[] = {"category", "brand", "category,brand"};
                el += (size_t)sprintf(extra + el, "&facets=%s", F[pick(3)]);
                break;
            }
            case 6:
                ql = text_query(q, n, 1);
                q[ql++] = ' ';
                ql += text_query(q + ql, n, 1);
                el += (size_t)sprintf(extra + el, "&match=all");
                break;
            default:
                noq = 1;
            }
        }
        if (noq && strstr(extra, "category=") == NULL)
            el += (size_t)sprintf(extra + el, "&category=%s", CATEGORIES[pick(12)]);
    }
    if (noq)
        snprintf(url, URL_MAX, "%s", extra + 1);
    else
        snprintf(url, URL_MAX, "q=%.*s%s", (int)ql, q, extra);
}

/* s percent-decoded in place ('+' is a space); returns its new length. */
static size_t url_decode(char *s)
{
    char *w = s, *start = s;
    for (; *s; s++) {
        unsigned v;
        if (*s == '%' && s[1] && s[2] && sscanf(s + 1, "%2x", &v) == 1) {
            *w++ = (char)v;
            s += 2;
        } else {
            *w++ = *s == '+' ? ' ' : *s;
        }
    }
    *w = 0;
    return (size_t)(w - start);
}

/* The query string of url parsed into req; the parameters are decoded in a
 * copy that req may point into, kept until the next QUERIES calls. */
static int parse(const char *url, struct request *req)
{
    static char copies[QUERIES][URL_MAX];
    static unsigned next;
    char *copy = copies[next++ % QUERIES];
    snprintf(copy, URL_MAX, "%s", url);
    url = copy;
    struct query_param ps[QUERY_MAX_PARAMS];
    struct query_error err;
    size_t np = 0;
    for (const char *s = url; *s && np < QUERY_MAX_PARAMS;) {
        const char *amp = strchr(s, '&');
        size_t len = amp ? (size_t)(amp - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        ps[np++] = (struct query_param){s, eq ? (size_t)(eq - s) : len, eq ? eq + 1 : NULL,
                                        eq ? len - (size_t)(eq - s) - 1 : 0};
        s += len + (amp != NULL);
    }
    for (size_t i = 0; i < np; i++) { /* decoded, then cut at their ends */
        char *k = (char *)ps[i].name, *v = (char *)ps[i].value;
        k[ps[i].name_len] = 0;
        ps[i].name_len = url_decode(k);
        if (v != NULL) {
            v[ps[i].value_len] = 0;
            ps[i].value_len = url_decode(v);
        }
    }
    return query_parse(ps, np, 20, req, &err);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *source = argc > 1 ? argv[1] : "100000";
    int passes = argc > 2 ? atoi(argv[2]) : 3;
    const char *which = argc > 3 ? argv[3] : "0,1,2,3"; /* the mixes run, by number */
    FILE *paths = NULL;
    if (argc > 4 && (paths = fopen(argv[4], "r")) == NULL) {
        perror(argv[4]);
        return 2;
    }
    static struct catalog cat;
    static struct search engine;
    char err[CATALOG_FILE_ERROR_MAX];
    if (source[0] >= '0' && source[0] <= '9') {
        if (catalog_generate(&cat, strtoul(source, NULL, 10)) != 0)
            return 1;
    } else if (catalog_init(&cat), catalog_load_file(&cat, source, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    size_t n = cat.count;
    if (search_init(&engine, &cat, 0) != 0)
        return 1;
    long before = status_kb("VmRSS");
    if (search_build_index(&engine) != 0) /* search_run() uses it from now on */
        return 1;
    struct index_stats st;
    index_stats(atomic_load(&engine.index), &st);
    printf("products %zu: build %.3f s, index %.1f MB, %zu precomputed sets, RSS %ld -> %ld kB "
           "(peak %ld kB)\n",
           n, st.build_s, (double)st.bytes / 1e6, st.heavy, before, status_kb("VmRSS"),
           status_kb("VmHWM"));
    printf("typo dictionary: %zu words, %.1f MB with their products, built in %.3f s\n",
           st.dict_words, (double)st.dict_bytes / 1e6, st.dict_build_s);

    static char urls[QUERIES][URL_MAX];
    static struct request reqs[QUERIES];
    static double lat[QUERIES];
    for (int mix = 0; mix < MIXES; mix++) {
        if (strchr(which, '0' + mix) == NULL)
            continue;
        int m = 0;
        char line[URL_MAX];
        while (mix == MIX_FILE && paths != NULL && m < QUERIES &&
               fgets(line, sizeof(line), paths) != NULL) {
            line[strcspn(line, "\n")] = 0;
            const char *qs = strchr(line, '?');
            snprintf(urls[m], URL_MAX, "%s", qs ? qs + 1 : line);
            if (parse(urls[m], &reqs[m]) == 0)
                m++;
        }
        if (mix == MIX_FILE && m == 0) /* no file given, or no request in it */
            continue;
        int count = mix == MIX_FILE ? m : QUERIES;
        while (m < QUERIES && mix != MIX_FILE) {
            mix_url(urls[m], n, mix == MIX_FEATURES);
            strncat(urls[m], MIX_TAIL[mix], URL_MAX - strlen(urls[m]) - 1);
            if (parse(urls[m], &reqs[m]) == 0)
                m++;
        }
        double best_mean = 1e9;
        for (int p = 0; p < passes; p++) {
            double sum = 0;
            for (int i = 0; i < count; i++) {
                struct result r;
                size_t len;
                double t0 = now();
                if (search_run(&engine, &reqs[i], 0, &r) != 0)
                    return 1;
                free(render_search(&cat, &reqs[i], &r, &len));
                lat[i] = now() - t0;
                sum += lat[i];
            }
            if (sum / count < best_mean)
                best_mean = sum / count;
        }
        int worst[3] = {0, 0, 0};
        for (int i = 0; i < count; i++)
            for (int w = 0; w < 3; w++)
                if (lat[i] > lat[worst[w]]) {
                    memmove(worst + w + 1, worst + w, (size_t)(2 - w) * sizeof(int));
                    worst[w] = i;
                    break;
                }
        for (int w = 0; w < 3; w++)
            printf("  slow: %.0f us %s\n", lat[worst[w]] * 1e6, urls[worst[w]]);
        qsort(lat, count, sizeof(double), cmp_double);
        printf("%s mix: search+render mean %.2f us (best of %d passes), p50 %.2f us, p99 %.1f us, "
               "max %.1f us\n",
               MIX_NAME[mix], best_mean * 1e6, passes, lat[count / 2] * 1e6,
               lat[count * 99 / 100] * 1e6, lat[count - 1] * 1e6);
    }
    static const char *const BROAD[] = {"q=product", "q=a", "q=1", "q=zzz-none",
                                        "q=product&facets=category,brand&sort=-price&offset=200"};
    for (size_t b = 0; b < COUNT_OF(BROAD); b++) {
        struct request req;
        struct result r;
        parse(BROAD[b], &req);
        for (int i = 0; i < 201; i++) {
            search_run(&engine, &req, 0, &r);
            lat[i] = (double)r.elapsed_ns / 1e3;
        }
        qsort(lat, 201, sizeof(double), cmp_double);
        printf("  %-58s median search_time %.2f us, total_found %zu\n", BROAD[b], lat[100],
               r.total_found);
    }
    printf("peak RSS %ld kB\n", status_kb("VmHWM"));
    search_deinit(&engine); /* frees the index too */
    catalog_deinit(&cat);
    return 0;
}
