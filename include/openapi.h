/* openapi: the OpenAPI document of the service (docs/openapi.json), built into
 * the binary at compile time, so serving it reads no file. */
#ifndef PRODUCT_SEARCH_OPENAPI_H
#define PRODUCT_SEARCH_OPENAPI_H

#include <stddef.h>

/* The document's bytes (static, not NUL-terminated); *len gets their count. */
const char *openapi_document(size_t *len);

#endif
