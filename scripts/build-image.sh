#!/usr/bin/env bash
# Build the product-search container image (called by `make image`).
#
# Uses `docker build` when a Docker daemon answers `docker info`; otherwise
# `podman build --isolation chroot --pull=never --format docker`, after
# creating the debian:bookworm-slim base locally if it is missing
# (scripts/make-base-image.sh). Tags IMAGE:latest and IMAGE:<git short rev>.
#
# Environment: IMAGE (default product-search), VERSION (default: the Makefile's),
#              PLATFORM linux/amd64 (default; Fargate's X86_64) or linux/arm64 (ARM64):
#              the platform the image is built for, whatever the build machine is,
#              SOURCE (label org.opencontainers.image.source, default: git origin URL),
#              CONTAINER_ENGINE=docker|podman to force an engine,
#              BUILD_TIMEOUT seconds (default 1800).
set -euo pipefail

die() { echo "build-image: $*" >&2; exit 1; }

[ $# -eq 0 ] || die "takes no arguments (configure with IMAGE, VERSION, CONTAINER_ENGINE)"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ -f Dockerfile ] || die "no Dockerfile in $ROOT"
command -v git >/dev/null 2>&1 || die "git is not installed (needed for the revision tag)"

IMAGE="${IMAGE:-product-search}"
BUILD_TIMEOUT="${BUILD_TIMEOUT:-1800}"
# The task's cpu_architecture decides, not this machine: an arm64 image on an
# X86_64 task (or the reverse) dies with "exec format error".
PLATFORM="${PLATFORM:-linux/amd64}"
case "$PLATFORM" in
    linux/amd64) ARCH=amd64 ;;
    linux/arm64) ARCH=arm64 ;;
    *) die "PLATFORM must be linux/amd64 or linux/arm64, not '$PLATFORM'" ;;
esac
REVISION="$(git rev-parse HEAD 2>/dev/null)" || die "$ROOT is not a git checkout with a commit"
SHORT_REV="$(git rev-parse --short HEAD)"
# The product version is the Makefile's VERSION unless VERSION is set.
if [ -z "${VERSION:-}" ]; then
    VERSION="$(printf "print-version:\n\t@echo \$(VERSION)\n" |
        make --no-print-directory -s -f Makefile -f - print-version 2>/dev/null || true)"
fi
[ -n "$VERSION" ] || die "cannot read VERSION from the Makefile; set VERSION"
# Source URL label: SOURCE, else the origin remote without any user:token@ part.
if [ -z "${SOURCE:-}" ]; then
    SOURCE="$(git config --get remote.origin.url 2>/dev/null | sed -E 's#^([a-z+]+://)[^/@]*@#\1#' || true)"
fi
SOURCE="${SOURCE:-unknown}"
if ! git diff --quiet HEAD -- 2>/dev/null; then
    echo "build-image: warning: the work tree has uncommitted changes; tag $SHORT_REV is the last commit"
fi

ENGINE="${CONTAINER_ENGINE:-}"
if [ -z "$ENGINE" ]; then
    if command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then
        ENGINE=docker
    else
        ENGINE=podman
    fi
fi

BUILD_ARGS=(
    --platform "$PLATFORM"
    --build-arg "VERSION=$VERSION"
    --build-arg "REVISION=$REVISION"
    --build-arg "SHORT_REVISION=$SHORT_REV"
    --build-arg "SOURCE=$SOURCE"
    --tag "$IMAGE:latest"
    --tag "$IMAGE:$SHORT_REV"
)

# The unit tests open a few thousand sockets (abuse suite: 1,000 concurrent
# and 2,000 stalled clients), above the 1024 open files podman gives a build
# step by default. podman cannot raise the limit above this shell's hard limit.
nofile=65536
if [ "$ENGINE" = podman ]; then
    hard="$(ulimit -Hn)"
    if [ "$hard" != unlimited ] && [ "$hard" -lt "$nofile" ]; then nofile="$hard"; fi
fi
BUILD_ARGS+=(--ulimit "nofile=$nofile:$nofile")

case "$ENGINE" in
    docker)
        echo "build-image: docker build for $PLATFORM ($IMAGE:latest, $IMAGE:$SHORT_REV, version $VERSION)"
        timeout "$BUILD_TIMEOUT" docker build "${BUILD_ARGS[@]}" .
        size="$(docker image inspect --format '{{.Size}}' "$IMAGE:latest")"
        built="$(docker image inspect --format '{{.Architecture}}' "$IMAGE:latest")"
        ;;
    podman)
        command -v podman >/dev/null 2>&1 ||
            die "no Docker daemon answers and podman is not installed (apt-get install podman buildah debootstrap)"
        "$ROOT/scripts/make-base-image.sh"
        base="${BASE_IMAGE:-docker.io/library/debian:bookworm-slim}"
        base_arch="$(podman image inspect --format '{{.Architecture}}' "$base" 2>/dev/null || true)"
        [ "$base_arch" = "$ARCH" ] ||
            die "PLATFORM=$PLATFORM, but the local base image $base is for '${base_arch:-unknown}' and podman builds here never pull; build on an $ARCH machine or with docker (buildx)"
        echo "build-image: podman build --isolation chroot --pull=never --format docker for $PLATFORM ($IMAGE:latest, $IMAGE:$SHORT_REV, version $VERSION)"
        timeout "$BUILD_TIMEOUT" podman build --isolation chroot --pull=never --format docker \
            "${BUILD_ARGS[@]}" .
        size="$(podman image inspect --format '{{.Size}}' "$IMAGE:latest")"
        built="$(podman image inspect --format '{{.Architecture}}' "$IMAGE:latest")"
        ;;
    *)
        die "CONTAINER_ENGINE must be docker or podman, not '$ENGINE'"
        ;;
esac

[ "$built" = "$ARCH" ] || die "asked for $PLATFORM but $ENGINE built an image for '$built'"
echo "build-image: built $IMAGE:latest and $IMAGE:$SHORT_REV for $PLATFORM with $ENGINE, $size bytes uncompressed"
