/* version: the build's version and revision, set by the Makefile. */
#ifndef PRODUCT_SEARCH_VERSION_H
#define PRODUCT_SEARCH_VERSION_H

#ifndef PRODUCT_SEARCH_VERSION
#define PRODUCT_SEARCH_VERSION "dev"
#endif
#ifndef PRODUCT_SEARCH_REVISION
#define PRODUCT_SEARCH_REVISION "unknown"
#endif

#endif
