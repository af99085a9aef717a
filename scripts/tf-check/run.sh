#!/usr/bin/env bash
# Runs the Terraform checker: scripts/tf-check/run.sh [--json] [DIR...]  (default: terraform/)
# Installs the checker's npm dependencies (npm ci) when node_modules is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"

command -v node >/dev/null 2>&1 || { echo "tf-check: node is not installed (Node.js 20 or newer is needed)" >&2; exit 2; }
command -v npm >/dev/null 2>&1 || { echo "tf-check: npm is not installed" >&2; exit 2; }

if [[ ! -d "${here}/node_modules/@cdktn/provider-aws" ]]; then
  echo "tf-check: installing dependencies (npm ci) in ${here}" >&2
  (cd "${here}" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

if [[ $# -eq 0 ]]; then
  set -- "${repo}/terraform"
fi
exec node "${here}/tf-check.js" "$@"
