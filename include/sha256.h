/* sha256: the SHA-256 digest (FIPS 180-4), for the hashes of the search page's Content-Security-Policy. */
#ifndef PRODUCT_SEARCH_SHA256_H
#define PRODUCT_SEARCH_SHA256_H

#include <stddef.h>
#include <stdint.h>

enum {
    SHA256_BYTES = 32, /* digest size */
};

/* Writes the SHA-256 digest of the len bytes at data into out. */
void sha256_digest(const void *data, size_t len, uint8_t out[SHA256_BYTES]);

#endif
