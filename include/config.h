/* config: the settings of README.md's configuration table, from the environment and the command line. */
#ifndef PRODUCT_SEARCH_CONFIG_H
#define PRODUCT_SEARCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum {
    CONFIG_ERROR_MAX = 256, /* room for one error line */
    CONFIG_CSV_COLUMN_MAX = 256, /* room for a --csv-* column name and its NUL */
};

/* What the command line asks the program to do. */
enum config_action {
    CONFIG_RUN,            /* serve */
    CONFIG_HELP,           /* print usage, exit 0 */
    CONFIG_VERSION,        /* print the version, exit 0 */
    CONFIG_HEALTHCHECK,    /* GET /health on the configured port, exit 0 or 1 */
    CONFIG_EXPORT_CATALOG, /* write the catalog as JSON Lines to stdout */
    CONFIG_IMPORT_CSV,     /* write the CSV file import_csv as JSON Lines to stdout */
    CONFIG_WRITE_SNAPSHOT, /* write the catalog and its index to write_snapshot */
};

/* The effective settings; README.md describes each. */
struct config {
    enum config_action action; /* what to do */
    unsigned port;             /* PORT: TCP port, 0 = any free port */
    char bind[64];             /* BIND: listen address, IPv4 or IPv6 literal */
    unsigned threads;          /* THREADS: worker threads */
    size_t product_count;      /* PRODUCT_COUNT: generated catalog size */
    size_t scan_limit;         /* SCAN_LIMIT: products checked per search, 0 = all
                                * (default 100, 0 with a catalog file) */
    unsigned max_results;      /* MAX_RESULTS: default limit */
    unsigned conn_limit;       /* CONN_LIMIT: open connections at most */
    unsigned conn_timeout_s;   /* CONN_TIMEOUT_S: idle connection timeout */
    unsigned drain_s;          /* DRAIN_S: seconds of 503 health before closing */
    bool access_log;           /* ACCESS_LOG: one JSON line per request */
    bool ui;                   /* UI: GET / serves the search page (on by default) */
    char products_file[4096];  /* PRODUCTS_FILE: catalog file, "" = generate */
    char snapshot_file[4096];  /* SNAPSHOT_FILE: serve this snapshot, "" = none */
    unsigned reload_s;         /* RELOAD_S: seconds between checks of the catalog file, 0 = off */
    char write_snapshot[4096]; /* --write-snapshot: the snapshot to write */
    /* --import-csv and its column mapping (catalog_csv.h): flags only, no variables */
    char import_csv[4096];                        /* --import-csv: the CSV file */
    char csv_id[CONFIG_CSV_COLUMN_MAX];           /* --csv-id: id column ("id") */
    char csv_name[CONFIG_CSV_COLUMN_MAX];         /* --csv-name: name column ("name") */
    char csv_category[CONFIG_CSV_COLUMN_MAX];     /* --csv-category ("category") */
    char csv_description[CONFIG_CSV_COLUMN_MAX];  /* --csv-description ("description") */
    char csv_brand[CONFIG_CSV_COLUMN_MAX];        /* --csv-brand ("brand") */
    char csv_price[CONFIG_CSV_COLUMN_MAX];        /* --csv-price ("price") */
    char csv_delimiter;                           /* --csv-delimiter: ',', ';' or '\t' */
};

/* Fills cfg from the defaults, argv and the environment. A flag wins over its
 * variable, which is then not read (nor validated). Returns 0, or -1 with one
 * line naming the setting in err (CONFIG_ERROR_MAX bytes). */
int config_parse(struct config *cfg, int argc, char **argv, char *err);

/* The --help text. */
const char *config_usage(void);

/* Fills addr from bind (an IPv4 or IPv6 literal) and port; returns the
 * address length, or 0 when bind is neither. With to_loopback the wildcard
 * addresses (0.0.0.0, ::) become the loopback one, for a client of the
 * server. */
socklen_t config_sockaddr(struct sockaddr_storage *addr, const char *bind, unsigned port,
                          bool to_loopback);

#endif
