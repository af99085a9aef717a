/* config: one table of settings, read from the environment then the flags. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

enum kind { UINT, SIZE, BOOL, ADDR, PATH };

/* One setting: its variable, its flag, how to read it and where it goes. */
struct setting {
    const char *env;  /* environment variable */
    const char *flag; /* command-line flag */
    enum kind kind;   /* how the value is read */
    uint64_t min;     /* smallest accepted integer */
    uint64_t max;     /* largest accepted integer */
    size_t offset;    /* field in struct config */
};

#define FIELD(f) offsetof(struct config, f)

static const struct setting SETTINGS[] = {
    {"PORT", "--port", UINT, 0, 65535, FIELD(port)},
    {"BIND", "--bind", ADDR, 0, 0, FIELD(bind)},
    {"THREADS", "--threads", UINT, 1, 1024, FIELD(threads)},
    {"PRODUCT_COUNT", "--product-count", SIZE, 1, 10000000, FIELD(product_count)},
    {"SCAN_LIMIT", "--scan-limit", SIZE, 0, 10000000, FIELD(scan_limit)},
    {"MAX_RESULTS", "--max-results", UINT, 1, 100, FIELD(max_results)},
    {"CONN_LIMIT", "--conn-limit", UINT, 1, 1000000, FIELD(conn_limit)},
    {"CONN_TIMEOUT_S", "--conn-timeout-s", UINT, 1, 86400, FIELD(conn_timeout_s)},
    {"DRAIN_S", "--drain-s", UINT, 0, 3600, FIELD(drain_s)},
    {"ACCESS_LOG", "--access-log", BOOL, 0, 0, FIELD(access_log)},
    {"PRODUCTS_FILE", "--products-file", PATH, 0, 0, FIELD(products_file)},
    {"SNAPSHOT_FILE", "--snapshot-file", PATH, 0, 0, FIELD(snapshot_file)},
    {"RELOAD_S", "--reload-s", UINT, 0, 86400, FIELD(reload_s)},
    {"UI", "--ui", BOOL, 0, 0, FIELD(ui)},
};

const char *config_usage(void)
{
    return "Usage: product-search [options]\n"
           "\n"
           "Serves over HTTP, GET and HEAD (docs/api.md in the repository describes each):\n"
           "  /                    the search page (UI=off turns it off)\n"
           "  /products/search     the products that match ?q=... (and filters, sort,\n"
           "                       paging, facets, relevance, typos, highlight)\n"
           "  /products/{id}       one product by its id\n"
           "  /health              200 when ready; 503 starting (indexing) or draining\n"
           "  /metrics             Prometheus text: requests, latency, catalog\n"
           "  /openapi.json        the OpenAPI 3 document of these routes\n"
           "\n"
           "Each option can also be set by its environment variable; the option wins\n"
           "and the variable is then not read.\n"
           "\n"
           "  --port N             PORT            TCP port, 0 = any free port (8080)\n"
           "  --bind ADDR          BIND            listen address (0.0.0.0)\n"
           "  --threads N          THREADS         worker threads (online CPUs)\n"
           "  --product-count N    PRODUCT_COUNT   generated products, 1..10000000 (100000)\n"
           "  --scan-limit N       SCAN_LIMIT      products checked per search, 0 = all\n"
           "                                       (100; 0 with a catalog file)\n"
           "  --max-results N      MAX_RESULTS     default limit, 1..100 (20)\n"
           "  --conn-limit N       CONN_LIMIT      open connections at most (10000)\n"
           "  --conn-timeout-s N   CONN_TIMEOUT_S  idle connection timeout, seconds (30)\n"
           "  --drain-s N          DRAIN_S         seconds /health answers 503 before\n"
           "                                       the listener closes on SIGTERM (0)\n"
           "  --access-log on|off  ACCESS_LOG      one JSON line per request (off);\n"
           "                                       on, true, yes or 1 turn it on, off,\n"
           "                                       false, no or 0 turn it off (lower case)\n"
           "  --products-file PATH PRODUCTS_FILE   load the catalog from a JSON or JSON\n"
           "                                       Lines file instead of generating it\n"
           "  --snapshot-file PATH SNAPSHOT_FILE   serve a snapshot (--write-snapshot):\n"
           "                                       the catalog and its index, mapped,\n"
           "                                       ready at once; checked whole first\n"
           "  --reload-s N         RELOAD_S        seconds between checks of the catalog\n"
           "                                       or snapshot file (size, mtime, inode);\n"
           "                                       a change reloads it; 0 = only on\n"
           "                                       SIGHUP (0)\n"
           "  --ui on|off          UI              GET / serves the search page (on);\n"
           "                                       the same spellings as --access-log\n"
           "\n"
           "  --write-snapshot FILE\n"
           "                       write the catalog (PRODUCTS_FILE, or the generated one)\n"
           "                       and its whole-catalog index to FILE, and exit\n"
           "  --export-catalog     write the catalog as JSON Lines to stdout and exit\n"
           "  --import-csv FILE    read a CSV file with a header row and write it to stdout\n"
           "                       as JSON Lines, as --export-catalog does, and exit\n"
           "  --csv-id COL, --csv-name COL, --csv-category COL, --csv-description COL,\n"
           "  --csv-brand COL, --csv-price COL\n"
           "                       the header names of the columns to read (id, name,\n"
           "                       category, description, brand, price); without an id\n"
           "                       column, ids are 1..N in file order\n"
           "  --csv-delimiter D    the separator: , (default), ; or tab\n"
           "  --healthcheck        GET /health on the configured port; exit 0 when 200\n"
           "  --version            print the version and exit\n"
           "  --help               print this text and exit\n";
}

/* Strictly decimal digits, no sign or space, within [min, max]. */
static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > max)
            return -1;
    }
    if (v < min)
        return -1;
    *out = v;
    return 0;
}

/* The spellings ACCESS_LOG accepts, exactly as the --help text lists them:
 * lower case only, so that "On" or "TRUE" is refused rather than guessed. */
static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"on", "true", "yes", "1"};
    static const char *const no[] = {"off", "false", "no", "0"};
    for (size_t i = 0; i < COUNT_OF(yes); i++) {
        if (strcmp(s, yes[i]) == 0)
            return *out = true, 0;
        if (strcmp(s, no[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

/* The value as shown in an error: at most 40 bytes, non-printables as '?'. */
static void shown(char *out, const char *value)
{
    size_t i = 0;
    for (; value[i] && i < 40; i++)
        out[i] = (value[i] >= 0x20 && value[i] < 0x7f) ? value[i] : '?';
    if (value[i])
        out[i++] = '.', out[i++] = '.', out[i++] = '.';
    out[i] = '\0';
}

/* Stores value into cfg; on error writes the line that names the setting. */
static int apply(struct config *cfg, const struct setting *s, const char *value,
                 const char *origin, char *err)
{
    char *field = (char *)cfg + s->offset;
    char show[48];
    uint64_t v;
    switch (s->kind) {
    case UINT:
    case SIZE:
        if (parse_uint(value, s->min, s->max, &v) != 0)
            goto invalid;
        if (s->kind == UINT)
            *(unsigned *)(void *)field = (unsigned)v;
        else
            *(size_t *)(void *)field = (size_t)v;
        return 0;
    case BOOL:
        if (parse_bool(value, (bool *)(void *)field) != 0)
            goto invalid;
        return 0;
    case ADDR: {
        unsigned char buf[sizeof(struct in6_addr)];
        if (strlen(value) >= sizeof(cfg->bind) ||
            (inet_pton(AF_INET, value, buf) != 1 && inet_pton(AF_INET6, value, buf) != 1))
            goto invalid;
        strcpy(field, value);
        return 0;
    }
    case PATH:
        if (*value == '\0' || strlen(value) >= sizeof(cfg->products_file))
            goto invalid;
        strcpy(field, value);
        return 0;
    }
invalid:
    shown(show, value);
    switch (s->kind) {
    case BOOL:
        snprintf(err, CONFIG_ERROR_MAX, "invalid %s \"%s\" (from %s): expected on, off, true, false, yes, no, 1 or 0",
                 s->env, show, origin);
        break;
    case ADDR:
        snprintf(err, CONFIG_ERROR_MAX,
                 "invalid %s \"%s\" (from %s): expected an IPv4 or IPv6 address", s->env, show,
                 origin);
        break;
    case PATH:
        snprintf(err, CONFIG_ERROR_MAX, "invalid %s \"%s\" (from %s): expected a file path",
                 s->env, show, origin);
        break;
    default:
        snprintf(err, CONFIG_ERROR_MAX,
                 "invalid %s \"%s\" (from %s): expected an integer from %llu to %llu", s->env,
                 show, origin, (unsigned long long)s->min, (unsigned long long)s->max);
    }
    return -1;
}

/* --import-csv and the --csv-* column mapping: flags without environment
 * variables, read only by catalog_csv_import(). */
static const struct {
    const char *flag; /* command-line flag */
    size_t offset;    /* char array in struct config */
    size_t size;      /* its size */
} CSV_FLAGS[] = {
    {"--import-csv", FIELD(import_csv), sizeof(((struct config *)0)->import_csv)},
    {"--csv-id", FIELD(csv_id), CONFIG_CSV_COLUMN_MAX},
    {"--csv-name", FIELD(csv_name), CONFIG_CSV_COLUMN_MAX},
    {"--csv-category", FIELD(csv_category), CONFIG_CSV_COLUMN_MAX},
    {"--csv-description", FIELD(csv_description), CONFIG_CSV_COLUMN_MAX},
    {"--csv-brand", FIELD(csv_brand), CONFIG_CSV_COLUMN_MAX},
    {"--csv-price", FIELD(csv_price), CONFIG_CSV_COLUMN_MAX},
    {"--csv-delimiter", 0, 0},
};

/* When argv[*a] is one of CSV_FLAGS (as "--flag value" or "--flag=value"),
 * stores its value, steps *a past it and returns 1; returns 0 for any other
 * argument, -1 with err set for a missing or invalid value. */
static int parse_csv_flag(struct config *cfg, int argc, char **argv, int *a, char *err)
{
    const char *arg = argv[*a], *value = NULL;
    size_t f = COUNT_OF(CSV_FLAGS);
    for (size_t i = 0; i < COUNT_OF(CSV_FLAGS) && f == COUNT_OF(CSV_FLAGS); i++) {
        size_t n = strlen(CSV_FLAGS[i].flag);
        if (strncmp(arg, CSV_FLAGS[i].flag, n) == 0 && (arg[n] == '=' || arg[n] == '\0'))
            f = i, value = arg[n] == '=' ? arg + n + 1 : NULL;
    }
    if (f == COUNT_OF(CSV_FLAGS))
        return 0;
    const char *flag = CSV_FLAGS[f].flag;
    if (value == NULL) {
        if (*a + 1 >= argc) {
            snprintf(err, CONFIG_ERROR_MAX, "missing value for %s", flag);
            return -1;
        }
        value = argv[++*a];
    }
    char show[48];
    shown(show, value);
    if (CSV_FLAGS[f].size == 0) { /* --csv-delimiter */
        if (strcmp(value, ",") == 0 || strcmp(value, ";") == 0 || strcmp(value, "\t") == 0)
            cfg->csv_delimiter = value[0];
        else if (strcmp(value, "tab") == 0)
            cfg->csv_delimiter = '\t';
        else {
            snprintf(err, CONFIG_ERROR_MAX, "invalid %s \"%s\": expected , or ; or tab", flag,
                     show);
            return -1;
        }
        return 1;
    }
    if (*value == '\0' || strlen(value) >= CSV_FLAGS[f].size) {
        if (f == 0)
            snprintf(err, CONFIG_ERROR_MAX, "invalid %s \"%s\": expected a file path", flag,
                     show);
        else
            snprintf(err, CONFIG_ERROR_MAX,
                     "invalid %s \"%s\": expected a column name of 1 to %d bytes", flag, show,
                     CONFIG_CSV_COLUMN_MAX - 1);
        return -1;
    }
    strcpy((char *)cfg + CSV_FLAGS[f].offset, value);
    if (f == 0)
        cfg->action = CONFIG_IMPORT_CSV;
    return 1;
}

static void set_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->action = CONFIG_RUN;
    cfg->port = 8080;
    strcpy(cfg->bind, "0.0.0.0");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->threads = (cpus < 1) ? 1 : (cpus > 1024 ? 1024 : (unsigned)cpus);
    cfg->product_count = 100000;
    cfg->scan_limit = 100;
    cfg->max_results = 20;
    cfg->conn_limit = 10000;
    cfg->conn_timeout_s = 30;
    cfg->drain_s = 0;
    cfg->access_log = false;
    cfg->ui = true;
    /* --import-csv: the columns catalog_csv_map_init() names */
    strcpy(cfg->csv_id, "id");
    strcpy(cfg->csv_name, "name");
    strcpy(cfg->csv_category, "category");
    strcpy(cfg->csv_description, "description");
    strcpy(cfg->csv_brand, "brand");
    strcpy(cfg->csv_price, "price");
    cfg->csv_delimiter = ',';
    cfg->reload_s = 0;
}

/* True when the catalog comes from a file, not from generation. */
static bool file_source(const struct config *cfg)
{
    return cfg->products_file[0] != '\0' || cfg->snapshot_file[0] != '\0';
}

/* Flags first, then the environment for the settings no flag gave: a flag
 * wins without its variable being read, so PORT=abc --port 9000 starts.
 * SCAN_LIMIT's default depends on the source: a catalog file is searched
 * whole (a user's file is meant to be found in, and 100 of 1,000 products
 * would silently miss most of it); the generated catalog keeps the seed's
 * 100. A SCAN_LIMIT given either way wins. */
int config_parse(struct config *cfg, int argc, char **argv, char *err)
{
    bool given[COUNT_OF(SETTINGS)] = {false};
    set_defaults(cfg);
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cfg->action = CONFIG_HELP;
            continue;
        }
        if (strcmp(arg, "--version") == 0) {
            cfg->action = CONFIG_VERSION;
            continue;
        }
        if (strcmp(arg, "--healthcheck") == 0) {
            cfg->action = CONFIG_HEALTHCHECK;
            continue;
        }
        if (strcmp(arg, "--export-catalog") == 0) {
            cfg->action = CONFIG_EXPORT_CATALOG;
            continue;
        }
        if (strncmp(arg, "--write-snapshot", 16) == 0 && (arg[16] == '\0' || arg[16] == '=')) {
            const char *path = arg[16] == '=' ? arg + 17 : (a + 1 < argc ? argv[++a] : NULL);
            if (path == NULL || *path == '\0' || strlen(path) >= sizeof(cfg->write_snapshot)) {
                snprintf(err, CONFIG_ERROR_MAX,
                         "invalid --write-snapshot: expected the path of the file to write");
                return -1;
            }
            strcpy(cfg->write_snapshot, path);
            cfg->action = CONFIG_WRITE_SNAPSHOT;
            continue;
        }
        int csv = parse_csv_flag(cfg, argc, argv, &a, err); /* --import-csv, --csv-* */
        if (csv != 0) {
            if (csv < 0)
                return -1;
            continue;
        }
        size_t s = COUNT_OF(SETTINGS);
        const char *value = NULL;
        for (size_t i = 0; i < COUNT_OF(SETTINGS) && s == COUNT_OF(SETTINGS); i++) {
            size_t n = strlen(SETTINGS[i].flag);
            if (strncmp(arg, SETTINGS[i].flag, n) != 0)
                continue;
            if (arg[n] == '=')
                s = i, value = arg + n + 1;
            else if (arg[n] == '\0')
                s = i;
        }
        if (s == COUNT_OF(SETTINGS)) {
            char show[48];
            shown(show, arg);
            snprintf(err, CONFIG_ERROR_MAX, "unknown option \"%s\" (see --help)", show);
            return -1;
        }
        if (value == NULL) {
            if (a + 1 >= argc) {
                snprintf(err, CONFIG_ERROR_MAX, "missing value for %s (%s)", SETTINGS[s].flag,
                         SETTINGS[s].env);
                return -1;
            }
            value = argv[++a];
        }
        if (apply(cfg, &SETTINGS[s], value, SETTINGS[s].flag, err) != 0)
            return -1;
        given[s] = true;
    }
    bool scan_limit_set = false;
    for (size_t i = 0; i < COUNT_OF(SETTINGS); i++) {
        const char *value = given[i] ? NULL : getenv(SETTINGS[i].env);
        if (value != NULL && *value != '\0') {
            if (apply(cfg, &SETTINGS[i], value, "environment", err) != 0)
                return -1;
            given[i] = true;
        }
        if (SETTINGS[i].offset == FIELD(scan_limit))
            scan_limit_set = given[i];
    }
    if (!scan_limit_set && file_source(cfg))
        cfg->scan_limit = 0;
    if (cfg->snapshot_file[0] != '\0' && cfg->scan_limit != 0) {
        snprintf(err, CONFIG_ERROR_MAX,
                 "invalid SCAN_LIMIT %zu with SNAPSHOT_FILE: a snapshot serves the whole "
                 "catalog (leave SCAN_LIMIT unset, or 0)",
                 cfg->scan_limit);
        return -1;
    }
    if (cfg->action == CONFIG_WRITE_SNAPSHOT && cfg->snapshot_file[0] != '\0') {
        snprintf(err, CONFIG_ERROR_MAX,
                 "--write-snapshot writes PRODUCTS_FILE or the generated catalog; unset "
                 "SNAPSHOT_FILE");
        return -1;
    }
    return 0;
}

socklen_t config_sockaddr(struct sockaddr_storage *addr, const char *bind, unsigned port,
                          bool to_loopback)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    memset(addr, 0, sizeof(*addr));
    if (inet_pton(AF_INET, bind, &v4->sin_addr) == 1) {
        if (to_loopback && v4->sin_addr.s_addr == htonl(INADDR_ANY))
            v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return sizeof(*v4);
    }
    if (inet_pton(AF_INET6, bind, &v6->sin6_addr) == 1) {
        if (to_loopback && IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr))
            v6->sin6_addr = in6addr_loopback;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        return sizeof(*v6);
    }
    return 0;
}
