#!/bin/sh
# The catalog copier of product-search, run in the official AWS CLI image by the task's
# catalog-fetch (init) and catalog-sync (sidecar) containers (modules/ecs_service) and by
# the LocalStack compose file's catalog services (envs/localstack/compose.catalog.yaml).
#
#   CATALOG_MODE=fetch  copy s3://CATALOG_BUCKET/CATALOG_KEY to CATALOG_FILE and exit 0;
#                       the service container starts only once this has succeeded
#   CATALOG_MODE=sync   every CATALOG_REFRESH_S seconds compare the object's ETag with the
#                       one of the last copy; when it changed, copy that version (--if-match)
#
# Every copy is written to a temporary name in CATALOG_FILE's directory and renamed over
# CATALOG_FILE: rename(2) is atomic, so the service (which checks the file's size, mtime and
# inode every RELOAD_S seconds) sees the old catalog or the new one, never half of one.
# Log lines are JSON, like the service's. Needs: aws (CLI v2), sh, mv, cat, sleep, dirname.
set -eu

: "${CATALOG_MODE:?CATALOG_MODE must be fetch or sync}"
: "${CATALOG_BUCKET:?CATALOG_BUCKET is not set}"
: "${CATALOG_KEY:?CATALOG_KEY is not set}"
: "${CATALOG_FILE:?CATALOG_FILE is not set}"

dir=$(dirname "$CATALOG_FILE")
etag_file="$dir/.catalog.etag"

log() {
  printf '{"level":"%s","msg":"catalog: %s","object":"s3://%s/%s"%s}\n' \
    "$1" "$2" "$CATALOG_BUCKET" "$CATALOG_KEY" "${3:-}"
}

# copy [ETAG]: the object (the version with ETAG when given) to CATALOG_FILE, atomically.
copy() {
  tmp="$dir/.catalog.tmp.$$"
  if [ -n "${1:-}" ]; then
    set -- --if-match "$1"
  else
    set --
  fi
  if ! etag=$(aws s3api get-object --bucket "$CATALOG_BUCKET" --key "$CATALOG_KEY" "$@" \
    --query ETag --output text "$tmp"); then
    rm -f "$tmp"
    return 1
  fi
  mv -f "$tmp" "$CATALOG_FILE"
  printf '%s\n' "$etag" >"$etag_file.tmp"
  mv -f "$etag_file.tmp" "$etag_file"
  log info "copied to $CATALOG_FILE" ",\"etag\":$etag"
}

case "$CATALOG_MODE" in
  fetch)
    if ! copy; then
      log error "the first copy failed (see the AWS CLI's message above); the service does not start without it"
      exit 1
    fi
    ;;
  sync)
    : "${CATALOG_REFRESH_S:?CATALOG_REFRESH_S is not set}"
    trap 'exit 0' TERM INT
    while :; do
      # in the background, so that SIGTERM is handled at once, not after the sleep
      sleep "$CATALOG_REFRESH_S" &
      wait $!
      current=$(cat "$etag_file" 2>/dev/null || true)
      if ! latest=$(aws s3api head-object --bucket "$CATALOG_BUCKET" --key "$CATALOG_KEY" \
        --query ETag --output text); then
        log warn "head-object failed; the current copy stays"
        continue
      fi
      [ "$latest" != "$current" ] || continue
      copy "$latest" || log warn "the copy of a changed object failed; the current copy stays"
    done
    ;;
  *)
    echo "catalog.sh: CATALOG_MODE must be fetch or sync, not '$CATALOG_MODE'" >&2
    exit 2
    ;;
esac
