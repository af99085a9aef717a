/* check_main: runs every suite in one SRunner and ends with Check's summary line. */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
    SRunner *sr = srunner_create(text_suite());
    srunner_add_suite(sr, typo_suite());
    srunner_add_suite(sr, catalog_suite());
    srunner_add_suite(sr, search_suite());
    srunner_add_suite(sr, query_suite());
    srunner_add_suite(sr, differential_suite());
    srunner_add_suite(sr, index_suite());
    srunner_add_suite(sr, snapshot_suite());
    srunner_add_suite(sr, render_suite());
    srunner_add_suite(sr, config_suite());
    srunner_add_suite(sr, metrics_suite());
    srunner_add_suite(sr, catalog_file_suite());
    srunner_add_suite(sr, catalog_csv_suite());
    srunner_add_suite(sr, http_suite());
    srunner_add_suite(sr, ui_suite());
    srunner_add_suite(sr, compat_suite());
    srunner_add_suite(sr, edge_suite());
    srunner_add_suite(sr, abuse_suite());
    srunner_add_suite(sr, process_suite());
    srunner_add_suite(sr, reload_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
