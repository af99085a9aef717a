#!/usr/bin/env bash
# ensure-deps.sh MODULE... : make Debian's /usr/bin/python3 able to import the
# given modules (locust, matplotlib), installing python3-MODULE with apt-get
# (through sudo when not root) when one is missing. Used by loadtest.sh,
# compare.sh and .ci/locust.sh. Imports are checked with -I (isolated): from the
# repository root, a plain "import locust" would find the locust/ directory itself.
set -euo pipefail

PROG=${PROG:-ensure-deps}
PY=/usr/bin/python3

die() {
    echo "$PROG: $*" >&2
    exit 2
}

ensure_python_modules() {
    local import_list missing=() pkgs=() mod
    import_list=$(IFS=,; echo "$*")
    if [[ -x "$PY" ]] && "$PY" -I -c "import ${import_list}" 2>/dev/null; then
        return 0
    fi
    for mod in "$@"; do
        if [[ ! -x "$PY" ]] || ! "$PY" -I -c "import ${mod}" 2>/dev/null; then
            missing+=("$mod")
            pkgs+=("python3-${mod}")
        fi
    done
    echo "$PROG: installing ${pkgs[*]} (missing Python modules: ${missing[*]})" >&2
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 ||
            die "${pkgs[*]} missing and not root without sudo: run 'apt-get install ${pkgs[*]}' as root"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "${pkgs[*]} missing and no apt-get here: install Debian's ${pkgs[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
        die "apt-get update failed while installing ${pkgs[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends python3 "${pkgs[@]}" >&2 ||
        die "apt-get install ${pkgs[*]} failed"
    "$PY" -I -c "import ${import_list}" 2>/dev/null ||
        die "installed ${pkgs[*]} but $PY still cannot import ${import_list}"
}

[[ $# -gt 0 ]] || die "usage: ensure-deps.sh MODULE... (e.g. locust matplotlib)"
for module in "$@"; do
    [[ "$module" =~ ^[a-z][a-z0-9_]*$ ]] || die "'$module' is not a Python module name"
done
ensure_python_modules "$@"
