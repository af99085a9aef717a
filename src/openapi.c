/* openapi: docs/openapi.json embedded with the assembler's .incbin, so the
 * bytes served are the file's bytes, with no copy of them in the sources.
 * The path is relative to the repository root, where every build runs; the
 * Makefile makes this object depend on the file. */
#include "openapi.h"

__asm__(".section .rodata\n"
        ".global product_search_openapi_start\n"
        ".global product_search_openapi_end\n"
        "product_search_openapi_start:\n"
        ".incbin \"docs/openapi.json\"\n"
        "product_search_openapi_end:\n"
        ".previous\n");

extern const char product_search_openapi_start[];
extern const char product_search_openapi_end[];

const char *openapi_document(size_t *len)
{
    *len = (size_t)(product_search_openapi_end - product_search_openapi_start);
    return product_search_openapi_start;
}
