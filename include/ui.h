/* ui: the search page served at GET / (ui/index.html), built into the binary, and its Content-Security-Policy. */
#ifndef PRODUCT_SEARCH_UI_H
#define PRODUCT_SEARCH_UI_H

#include <stddef.h>

enum {
    UI_POLICY_MAX = 1024, /* room for the page's policy and its NUL */
};

/* The page's bytes (static, not NUL-terminated); *len gets their count. */
const char *ui_page(size_t *len);

/* Writes the page's Content-Security-Policy into policy (UI_POLICY_MAX
 * bytes): nothing is allowed but what the page uses, its inline <script> and
 * <style> blocks by their SHA-256 hashes, requests to its own origin and a
 * data: icon. Returns 0, or -1 when a block is not closed or the policy does
 * not fit. */
int ui_policy(char *policy);

#endif
