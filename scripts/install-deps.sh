#!/bin/sh
# scripts/install-deps.sh [--list | --check] [GROUP...]
#
# The project's one list of Debian/Ubuntu packages. Installs, with apt-get,
# those of the named groups (default: build) that are not installed yet, and
# does nothing else when everything is there. Used by `make run`, `make test`,
# `make bench`, `make bench-smoke`, `make fuzz`, `make valgrind`, the
# Dockerfile's build stage and the .ci/ steps. POSIX sh: runs on a bare Debian
# or Ubuntu (no bash, make, sudo, curl or git needed).
#
# Groups:
#   build     compile build/product-search (make, make run): gcc libc6-dev
#             binutils make pkg-config libmicrohttpd-dev libcjson-dev
#             libdivsufsort-dev libroaring-dev libxxhash-dev
#   test      the Check unit suites (make test): check
#   bench     make bench, make bench-smoke: wrk nginx-light curl iproute2
#             util-linux python3 python3-matplotlib libsqlite3-dev
#   fuzz      make fuzz: clang libclang-rt-14-dev (Debian 12's clang 14)
#   valgrind  make valgrind: valgrind curl
#   curl      curl, for the README's curl examples
#   browser   the search page's browser test and screenshot (tests/browser_test.py,
#             scripts/screenshot.py): chromium chromium-driver python3-selenium
#             (Debian's; Ubuntu's chromium is a snap, which they do not use)
#   ci        .ci/run's own tools: ca-certificates git curl shellcheck
#   docs      .ci/docs.sh: python3 curl
#   openapi   .ci/openapi.sh: python3 python3-jsonschema
#   rollout   make rollout-test, .ci/rollout.sh: haproxy wrk python3
#   terraform make tf-check's tools, .ci/terraform.sh: python3 shellcheck
#   localstack .ci/localstack.sh: python3 shellcheck curl docker-compose
#   node      Debian's nodejs npm, asked for only where no node and npm are on
#             PATH (a NodeSource nodejs ships its own npm, which Debian's npm
#             package conflicts with)
#   image     .ci/image.sh (podman build, a Debian root): podman buildah
#             debootstrap fuse-overlayfs uidmap curl jq shellcheck git make
#             ca-certificates iproute2 procps
#
#   --list    print the packages of the groups, one a line; install nothing
#   --check   print one line naming the missing packages and exit 1 when some
#             are missing; install nothing
#
# Runs as root, or through sudo when not root; stops with one line when it
# needs to install and can do neither. Quiet: one line per step; apt's own
# output goes to a log file, $INSTALL_DEPS_LOG (default
# /tmp/product-search-install-deps.log), whose tail is printed when apt fails.
# `apt-get update` runs first unless the package lists are under an hour old.
# Without dpkg-query (not Debian or Ubuntu) it names the packages and exits 0,
# so that make goes on with whatever is installed.
# Exit status: 0 when everything is installed, 1 when something is missing
# and could not be installed (or, with --check, is missing), 2 on bad usage.
set -eu

PROG=install-deps

group_packages() {
    case $1 in
    build) echo "gcc libc6-dev binutils make pkg-config libmicrohttpd-dev libcjson-dev libdivsufsort-dev libroaring-dev libxxhash-dev" ;;
    test) echo "check" ;;
    bench) echo "wrk nginx-light curl iproute2 util-linux python3 python3-matplotlib libsqlite3-dev" ;;
    fuzz) echo "clang libclang-rt-14-dev" ;;
    valgrind) echo "valgrind curl" ;;
    curl) echo "curl" ;;
    browser) echo "chromium chromium-driver python3-selenium" ;;
    ci) echo "ca-certificates git curl shellcheck" ;;
    docs) echo "python3 curl" ;;
    openapi) echo "python3 python3-jsonschema" ;;
    rollout) echo "haproxy wrk python3" ;;
    terraform) echo "python3 shellcheck" ;;
    localstack) echo "python3 shellcheck curl docker-compose" ;;
    node) echo "nodejs npm" ;;
    image) echo "podman buildah debootstrap fuse-overlayfs uidmap curl jq shellcheck git make ca-certificates iproute2 procps" ;;
    *) return 1 ;;
    esac
}
GROUPS_KNOWN="build test bench fuzz valgrind curl browser ci docs openapi rollout terraform localstack node image"

die() {
    echo "$PROG: $*" >&2
    exit 1
}

mode=install
groups=
for arg in "$@"; do
    case $arg in
    --list) mode=list ;;
    --check) mode=check ;;
    -h | --help)
        sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "$PROG: unknown option '$arg' (--list, --check, --help)" >&2
        exit 2
        ;;
    *)
        if ! group_packages "$arg" >/dev/null; then
            echo "$PROG: unknown group '$arg' (groups: $GROUPS_KNOWN)" >&2
            exit 2
        fi
        groups="$groups $arg"
        ;;
    esac
done
[ -n "$groups" ] || groups=" build"
groups=${groups# }

# The packages of the groups, each once, in order.
packages=
for g in $groups; do
    for p in $(group_packages "$g"); do
        case " $packages " in
        *" $p "*) ;;
        *) packages="${packages:+$packages }$p" ;;
        esac
    done
done

if [ "$mode" = list ]; then
    for p in $packages; do echo "$p"; done
    exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "$PROG: not Debian or Ubuntu (no dpkg-query): make sure these, or your system's equivalents, are installed: $packages" >&2
    exit 0
fi

missing=
for p in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case $status in
    *"install ok installed"*) ;;
    *) missing="${missing:+$missing }$p" ;;
    esac
done
[ -n "$missing" ] || exit 0

if [ "$mode" = check ]; then
    echo "$PROG: missing ($groups): $missing (install them with: scripts/install-deps.sh $groups)" >&2
    exit 1
fi

command -v apt-get >/dev/null 2>&1 ||
    die "no apt-get here; install these yourself: $missing"

if [ "$(id -u)" -eq 0 ]; then
    as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
    as_root() { sudo "$@"; }
    # Ask for the password (if any) now, on the terminal, not inside the log.
    sudo -v || die "sudo refused; run as root, or install these yourself: $missing"
else
    die "not root and no sudo: run this script as root (or install sudo), or install these yourself: $missing"
fi

LOG=${INSTALL_DEPS_LOG:-/tmp/product-search-install-deps.log}
if ! { : >"$LOG"; } 2>/dev/null; then
    LOG=$(mktemp "${TMPDIR:-/tmp}/product-search-install-deps.XXXXXX") ||
        die "cannot create a log file in ${TMPDIR:-/tmp}"
fi
start=$(date +%s)
count=$(echo "$missing" | wc -w | tr -d ' ')
echo "$PROG: installing $count package(s) for $groups: $missing (apt output: $LOG)"

run_apt() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@" >>"$LOG" 2>&1
}
fail() {
    echo "$PROG: $1 failed; the end of $LOG:" >&2
    tail -n 15 "$LOG" >&2
    exit 1
}

# Fresh lists (an `apt-get update` within the hour, as CI's) are reused.
fresh=
if [ -d /var/lib/apt/lists ]; then
    fresh=$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | head -n 1)
fi
updated=no
if [ -z "$fresh" ]; then
    echo "$PROG: apt-get update"
    run_apt update || fail "apt-get update"
    updated=yes
fi
echo "$PROG: apt-get install"
# shellcheck disable=SC2086 # one word per package
if ! run_apt install -y --no-install-recommends $missing; then
    [ "$updated" = no ] || fail "apt-get install"
    echo "$PROG: apt-get install failed on the old package lists; apt-get update, then again"
    run_apt update || fail "apt-get update"
    # shellcheck disable=SC2086
    run_apt install -y --no-install-recommends $missing || fail "apt-get install"
fi
echo "$PROG: done in $(($(date +%s) - start)) s"
