#!/usr/bin/env bash
# Runs the Terraform checker: scripts/tf-check/run.sh [--json] [DIR...]  (default: terraform/)
# Needs Node.js 20 or newer and npm; the first run installs the checker's npm packages
# (npm ci, from package-lock.json), which needs the npm registry. Debian 12's nodejs
# package is 18: scripts/tf-check/install-node.sh puts Node.js 20 (from the npm
# registry) into scripts/tf-check/.node, which this script then uses.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
need=20

die() { echo "tf-check: $*" >&2; exit 2; }

# The node to run: the one on PATH when it is new enough, else the one install-node.sh put here.
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
node=""
if command -v node >/dev/null 2>&1 && [[ "$(node_major node)" -ge "$need" ]]; then
  node="$(command -v node)"
elif [[ -x "${here}/.node/bin/node" && "$(node_major "${here}/.node/bin/node")" -ge "$need" ]]; then
  node="${here}/.node/bin/node"
elif command -v node >/dev/null 2>&1; then
  die "Node.js ${need} or newer is needed; $(command -v node) is $(node --version 2>/dev/null || echo 'unknown') (Debian 12's nodejs package is 18). Run scripts/tf-check/install-node.sh (Node.js ${need} from the npm registry into scripts/tf-check/.node), or install Node.js ${need}+ another way"
else
  die "Node.js ${need} or newer is needed and node is not installed: install nodejs and npm (Debian 12: apt-get install nodejs npm, then scripts/tf-check/install-node.sh, since its nodejs is 18)"
fi
command -v npm >/dev/null 2>&1 || die "npm is not installed (Debian: apt-get install npm); it installs the checker's packages from the npm registry"

if [[ ! -d "${here}/node_modules/@cdktn/provider-aws" ]]; then
  echo "tf-check: installing the checker's packages (npm ci) in ${here}" >&2
  (cd "${here}" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
    die "npm ci failed in ${here}: the checker's packages (@cdktn/hcl2json, @cdktn/hcl-tools, @cdktn/provider-aws) come from the npm registry, which must be reachable (npm config get registry)"
fi

if [[ $# -eq 0 ]]; then
  set -- "${repo}/terraform"
fi
exec "$node" "${here}/tf-check.js" "$@"
