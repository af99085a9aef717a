#!/usr/bin/env bash
# Push the locally built product-search image to Amazon ECR.
#
#   scripts/push-ecr.sh [REPOSITORY_URL]
#
# REPOSITORY_URL (or ECR_REPOSITORY_URL) is the repository URI as ECR shows it,
# e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/product-search (the
# Terraform output of the ECR repository). Logs in with
# `aws ecr get-login-password`, tags IMAGE:<git short rev> as URL:<rev> and
# URL:latest, pushes both. Build first with `make image`.
#
# Environment: ECR_REPOSITORY_URL, IMAGE (local name, default product-search),
#              IMAGE_TAG (local tag to push, default the git short revision),
#              AWS_REGION (default: the region in the URL),
#              PLATFORM (linux/amd64 or linux/arm64): refuse an image built for another one,
#              CONTAINER_ENGINE=docker|podman to force an engine.
set -euo pipefail

die() { echo "push-ecr: $*" >&2; exit 1; }

case "${1:-}" in
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
esac
[ $# -le 1 ] || die "too many arguments (usage: $0 [REPOSITORY_URL])"

URL="${1:-${ECR_REPOSITORY_URL:-}}"
[ -n "$URL" ] || die "no repository URL: pass it as the argument or set ECR_REPOSITORY_URL (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME)"
URL="${URL#https://}"
URL_RE='^([0-9]{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([a-z0-9][a-z0-9._/-]*)$'
[[ "$URL" =~ $URL_RE ]] ||
    die "'$URL' is not an ECR repository URL (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME, no tag)"
REGISTRY="${URL%%/*}"
REGION="${AWS_REGION:-${BASH_REMATCH[3]}}"

command -v aws >/dev/null 2>&1 || die "the AWS CLI (aws) is not installed or not on PATH"
if ! caller="$(timeout 60 aws sts get-caller-identity --query Arn --output text 2>/dev/null)"; then
    die "no usable AWS credentials: 'aws sts get-caller-identity' failed (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
fi

ENGINE="${CONTAINER_ENGINE:-}"
if [ -z "$ENGINE" ]; then
    if command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then
        ENGINE=docker
    elif command -v podman >/dev/null 2>&1; then
        ENGINE=podman
    else
        die "neither a Docker daemon nor podman is available"
    fi
fi
case "$ENGINE" in
    docker) PUSH_OPTS=() ;;
    # Keep the Docker v2 schema 2 manifest so the HEALTHCHECK stays in the config.
    podman) PUSH_OPTS=(--format v2s2) ;;
    *) die "CONTAINER_ENGINE must be docker or podman, not '$ENGINE'" ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${IMAGE:-product-search}"
if [ -n "${IMAGE_TAG:-}" ]; then
    REV="$IMAGE_TAG"
else
    REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" || die "$ROOT is not a git checkout with a commit"
fi
"$ENGINE" image inspect "$IMAGE:$REV" >/dev/null 2>&1 ||
    die "no local image $IMAGE:$REV: run 'make image' first"
if [ -n "${PLATFORM:-}" ]; then
    arch="$("$ENGINE" image inspect --format '{{.Architecture}}' "$IMAGE:$REV")"
    [ "linux/$arch" = "$PLATFORM" ] ||
        die "local image $IMAGE:$REV is for linux/$arch, not $PLATFORM (the tasks would fail with exec format error); rebuild with PLATFORM=$PLATFORM scripts/build-image.sh"
fi

echo "push-ecr: logging in to $REGISTRY ($REGION) as $caller with $ENGINE"
timeout 60 aws ecr get-login-password --region "$REGION" |
    timeout 60 "$ENGINE" login --username AWS --password-stdin "$REGISTRY" >/dev/null ||
    die "login to $REGISTRY failed"

for tag in "$REV" latest; do
    "$ENGINE" tag "$IMAGE:$REV" "$URL:$tag"
    echo "push-ecr: pushing $URL:$tag"
    timeout 900 "$ENGINE" push "${PUSH_OPTS[@]}" "$URL:$tag" || die "push of $URL:$tag failed"
done
echo "push-ecr: pushed $URL:$REV and $URL:latest"
