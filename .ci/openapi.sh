#!/usr/bin/env bash
# CI step: the OpenAPI document against the live service.
#  1. installs python3-jsonschema (Debian's) when /usr/bin/python3 lacks it
#  2. builds build/product-search with make
#  3. runs tests/openapi_check.py: the document's own checks, then every route
#     and error code of a live server on 127.0.0.1 validated against
#     docs/openapi.json; it ends with `N passed, M failed`
# Bounded: under a minute once installed; each stage runs under `timeout`.
set -euo pipefail

die() { echo "openapi: FAIL: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
py=/usr/bin/python3

timeout 600 scripts/install-deps.sh openapi || die "installing python3 python3-jsonschema"

echo "openapi: building build/product-search"
timeout 300 make --no-print-directory -j2 all || die "make"

echo "openapi: tests/openapi_check.py"
timeout 300 "$py" tests/openapi_check.py "$root/build/product-search" ||
    die "live answers do not match docs/openapi.json (see the FAIL lines above)"
echo "openapi: OK"
