#!/usr/bin/env bash
# CI step (issue 27): the search page (GET /) in a real browser.
#  1. scripts/install-deps.sh browser: Debian's chromium, chromium-driver and
#     python3-selenium, when missing
#  2. make: build/product-search
#  3. tests/browser_test.py: the server on the example catalog on 127.0.0.1,
#     driven through headless Chromium (type, highlights, facet, paging, sort,
#     typos, price, keyboard, an API error, HTML in a product), every count
#     against the API's answer to the same request, no console error
# Bounded: each stage runs under `timeout`; the test itself takes about 6 s.
set -euo pipefail

die() { echo "browser: FAIL: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

t0=$SECONDS
timeout 900 scripts/install-deps.sh browser ||
    die "installing chromium, chromium-driver and python3-selenium (scripts/install-deps.sh browser)"
echo "browser: packages ready ($((SECONDS - t0)) s)"

timeout 300 make --no-print-directory -j2 all || die "make"

t0=$SECONDS
echo "browser: tests/browser_test.py ($(/usr/bin/chromedriver --version | cut -d' ' -f1-2))"
timeout 180 /usr/bin/python3 -m unittest -v tests/browser_test.py ||
    die "the search page in Chromium (see the failures above)"
echo "browser: OK ($((SECONDS - t0)) s)"
