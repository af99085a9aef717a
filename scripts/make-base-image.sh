#!/usr/bin/env bash
# Create the docker.io/library/debian:bookworm-slim base image locally, for
# machines that cannot pull from Docker Hub. Does nothing when the image is
# already present (pass --force to rebuild it).
#
#   scripts/make-base-image.sh [--force]
#   DEBIAN_SUITE=trixie scripts/make-base-image.sh   # debian:trixie-slim
#
# Environment: DEBIAN_SUITE (default bookworm),
#              DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security),
#              BASE_IMAGE (default docker.io/library/debian:$DEBIAN_SUITE-slim).
set -euo pipefail

SUITE="${DEBIAN_SUITE:-bookworm}"
IMAGE="${BASE_IMAGE:-docker.io/library/debian:$SUITE-slim}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
FORCE=0

die() { echo "make-base-image: $*" >&2; exit 1; }

case "${1:-}" in
    "") ;;
    --force) FORCE=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (usage: $0 [--force])" ;;
esac

command -v podman >/dev/null 2>&1 || die "podman is not installed (apt-get install podman)"

if [ "$FORCE" -eq 0 ] && podman image exists "$IMAGE"; then
    echo "make-base-image: $IMAGE already present, nothing to do"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "debootstrap needs root; run as root"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (apt-get install debootstrap)"

case "$SUITE" in
    bookworm|trixie) ;;
    *) die "DEBIAN_SUITE '$SUITE' is not supported (bookworm or trixie)" ;;
esac

ROOT="$(mktemp -d "/var/tmp/$SUITE-slim.XXXXXX")"
LOG="$ROOT.log"
cleanup() { rm -rf --one-file-system "$ROOT" "$LOG"; }
trap cleanup EXIT

echo "make-base-image: debootstrap --variant=minbase $SUITE from $MIRROR (takes a few minutes)"
timeout 1200 debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$LOG" 2>&1 || {
    tail -n 20 "$LOG" >&2
    die "debootstrap failed (log tail above)"
}

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
# The host's resolver is bind-mounted by podman/buildah at run time.
: >"$ROOT/etc/resolv.conf"
: >"$ROOT/etc/hostname"

echo "make-base-image: importing as $IMAGE"
tar --numeric-owner -C "$ROOT" -c . |
    podman import --quiet --change 'CMD ["bash"]' - "$IMAGE" >/dev/null
podman image exists "$IMAGE" || die "podman import did not create $IMAGE"
echo "make-base-image: created $IMAGE ($(podman image inspect --format '{{.Size}}' "$IMAGE") bytes)"
