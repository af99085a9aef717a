#!/usr/bin/env bash
# A clean Debian root (debootstrap --variant=minbase, slimmed as the official
# debian:SUITE-slim image), kept as a tarball under build/debian-root/ and
# shared: scripts/make-base-image.sh imports it as the image's base and
# .ci/firstrun.sh runs the README's first command in a chroot of a copy of it.
# Debootstraps only when the tarball is missing (or with --force). Prints the
# tarball's path on stdout; everything else goes to stderr.
#
#   scripts/debian-root.sh [--force]
#
# Environment: DEBIAN_SUITE (default bookworm; trixie also works),
#              DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security),
#              DEBIAN_ROOT_CACHE (default build/debian-root in the repository).
# Needs root and debootstrap. Exit status: 0, 1 on failure, 3 when debootstrap
# cannot reach the mirror (callers may skip on 3).
set -euo pipefail

SUITE="${DEBIAN_SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${DEBIAN_ROOT_CACHE:-$REPO/build/debian-root}"
TAR="$CACHE/$SUITE-slim.tar"
FORCE=0

die() { echo "debian-root: $*" >&2; exit 1; }

case "${1:-}" in
    "") ;;
    --force) FORCE=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (usage: $0 [--force])" ;;
esac
case "$SUITE" in
    bookworm|trixie) ;;
    *) die "DEBIAN_SUITE '$SUITE' is not supported (bookworm or trixie)" ;;
esac

if [ "$FORCE" -eq 0 ] && [ -s "$TAR" ]; then
    echo "debian-root: $TAR (cached; --force makes it again)" >&2
    echo "$TAR"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "debootstrap needs root; run as root"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (apt-get install debootstrap)"
mkdir -p "$CACHE"

ROOT="$(mktemp -d "/var/tmp/$SUITE-slim.XXXXXX")"
LOG="$ROOT.log"
cleanup() { rm -rf --one-file-system "$ROOT" "$LOG" "$TAR.tmp"; }
trap cleanup EXIT

echo "debian-root: debootstrap --variant=minbase $SUITE from $MIRROR (takes a minute or a few)" >&2
t0=$SECONDS
if ! timeout 1200 debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    if grep -Eq "Failed getting release file|Couldn't download|Could not resolve|Temporary failure resolving|unable to resolve" "$LOG"; then
        echo "debian-root: debootstrap cannot reach $MIRROR (log tail above)" >&2
        exit 3
    fi
    die "debootstrap failed (log tail above)"
fi

# Same apt sources and slimming as the official image: no docs, man pages or
# locales installed by later apt-get calls, no package caches kept.
rm -f "$ROOT/etc/apt/sources.list"
cat >"$ROOT/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
DPKG
cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
echo 'Acquire::Languages "none";' >"$ROOT/etc/apt/apt.conf.d/docker-no-languages"
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* \
       "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/*
# A container engine bind-mounts the host's resolver at run time (a chroot
# user copies it in).
: >"$ROOT/etc/resolv.conf"
: >"$ROOT/etc/hostname"

# mktemp made the root 0700: as / that keeps apt's _apt user out (its
# downloads then run unsandboxed, with a warning).
chmod 0755 "$ROOT"
tar --numeric-owner -C "$ROOT" -cf "$TAR.tmp" .
mv -f "$TAR.tmp" "$TAR"
echo "debian-root: $TAR ($(du -m "$TAR" | cut -f1) MB, $((SECONDS - t0)) s)" >&2
echo "$TAR"
