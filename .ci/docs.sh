#!/usr/bin/env bash
# .ci/docs.sh: CI step for the documentation. Builds the server, then checks that
# every relative link in every tracked Markdown file resolves inside the repository
# (scripts/check-links.py) and that every console example marked <!-- example -->
# still prints what the documentation says against a freshly started server
# (scripts/check-examples.py), and that the example catalog the documentation
# uses is what its seeded script makes (tests/test_example_catalog.py). Needs
# python3 and curl; installs them when missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

timeout 600 scripts/install-deps.sh docs || { echo "docs: installing python3 and curl failed" >&2; exit 1; }

make -j2
status=0
python3 scripts/check-links.py || status=1
python3 scripts/check-examples.py || status=1
python3 -m unittest tests/test_example_catalog.py || status=1
exit "$status"
