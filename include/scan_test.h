/* scan_test: the scan's substring finder, exposed for its tests only. */
#ifndef PRODUCT_SEARCH_SCAN_TEST_H
#define PRODUCT_SEARCH_SCAN_TEST_H

#include <stddef.h>

/* Position of the first occurrence of needle (m bytes) in hay (n bytes), or NULL. */
const char *scan_find(const char *hay, size_t n, const char *needle, size_t m);

#endif
