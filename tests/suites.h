/* suites: every Check suite of the project, run together by check_main.c. */
#ifndef PRODUCT_SEARCH_SUITES_H
#define PRODUCT_SEARCH_SUITES_H

#include <check.h>

Suite *abuse_suite(void);
Suite *catalog_suite(void);
Suite *catalog_csv_suite(void);
Suite *compat_suite(void);
Suite *catalog_file_suite(void);
Suite *config_suite(void);
Suite *differential_suite(void);
Suite *edge_suite(void);
Suite *http_suite(void);
Suite *index_suite(void);
Suite *metrics_suite(void);
Suite *process_suite(void);
Suite *query_suite(void);
Suite *reload_suite(void);
Suite *render_suite(void);
Suite *search_suite(void);
Suite *snapshot_suite(void);
Suite *text_suite(void);
Suite *typo_suite(void);
Suite *ui_suite(void);

#endif
