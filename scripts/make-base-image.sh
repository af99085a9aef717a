#!/usr/bin/env bash
# Create the docker.io/library/debian:bookworm-slim base image locally, for
# machines that cannot pull from Docker Hub: imports the root that
# scripts/debian-root.sh debootstraps (and caches in build/debian-root/).
# Does nothing when the image is already present (pass --force to rebuild it
# and its root).
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
FORCE_ARG=""
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "make-base-image: $*" >&2; exit 1; }

case "${1:-}" in
    "") ;;
    --force) FORCE=1 FORCE_ARG=--force ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (usage: $0 [--force])" ;;
esac

command -v podman >/dev/null 2>&1 || die "podman is not installed (apt-get install podman)"

if [ "$FORCE" -eq 0 ] && podman image exists "$IMAGE"; then
    echo "make-base-image: $IMAGE already present, nothing to do"
    exit 0
fi

# The root itself: build/debian-root/$SUITE-slim.tar, debootstrapped once and
# shared with .ci/firstrun.sh (scripts/debian-root.sh).
TAR="$(DEBIAN_SUITE="$SUITE" DEBIAN_MIRROR="$MIRROR" DEBIAN_SECURITY_MIRROR="$SECURITY_MIRROR" \
    "$REPO/scripts/debian-root.sh" ${FORCE_ARG:+"$FORCE_ARG"})" || die "no Debian root (see above)"

echo "make-base-image: importing $TAR as $IMAGE"
podman import --quiet --change 'CMD ["bash"]' "$TAR" "$IMAGE" >/dev/null
podman image exists "$IMAGE" || die "podman import did not create $IMAGE"
echo "make-base-image: created $IMAGE ($(podman image inspect --format '{{.Size}}' "$IMAGE") bytes)"
