#!/usr/bin/env bash
# CI step: build the container image without a Docker engine and check it
# from outside. Runs as root on a fresh Debian 12 machine (apt only):
#   1. installs podman, buildah, debootstrap, curl, jq, shellcheck (if missing)
#   2. shellcheck on the container scripts; push-ecr.sh refusals (and, after
#      the build, its login/tag/push sequence against stand-ins)
#   3. creates the debian:bookworm-slim base locally, builds the image offline
#      (scripts/build-image.sh: podman build --isolation chroot --pull=never)
#      with the 1024 open files a default podman build step has
#   4. inspects it: non-root numeric user, HEALTHCHECK, size <= 25 MB, exec
#      ENTRYPOINT, port 8080, OCI labels
#   5. runs it with `buildah from` + `buildah run --isolation chroot` (host
#      network): /health 200, a search answers the documented shape, the in-image
#      health check passes, the process runs as uid 10001
#   6. SIGTERM to the server: /health turns 503 while draining, exit status 0;
#      afterwards the health check fails (exit 1)
# Every step is bounded by a timeout; the container is removed on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

IMAGE="${IMAGE:-product-search}"
SIZE_LIMIT=25000000          # 25 MB (decimal), uncompressed image size
DRAIN_S=2
BIN=/usr/local/bin/product-search
START_TIME=$SECONDS

say()  { echo "image: $*"; }
pass() { echo "image: ok   $*"; }
fail() { echo "image: FAIL $*" >&2; exit 1; }

WORK="$(mktemp -d /tmp/ci-image.XXXXXX)"
CTR=""
RUN_PID=""
cleanup() {
    local rc=$?
    if [ -n "$RUN_PID" ] && kill -0 "$RUN_PID" 2>/dev/null; then
        kill -TERM "$RUN_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$RUN_PID" 2>/dev/null || true
    fi
    if [ -n "$CTR" ]; then
        timeout 60 buildah rm "$CTR" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    say "finished in $((SECONDS - START_TIME)) s (exit $rc)"
    exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------- 1. tools
say "step 1: tools"
timeout 1800 scripts/install-deps.sh image
pass "podman $(podman --version | awk '{print $3}'), buildah $(buildah --version | awk '{print $3}')"

# ----------------------------------------------- 2. lint, push-ecr refusals
say "step 2: shellcheck and push-ecr.sh refusals"
shellcheck scripts/make-base-image.sh scripts/debian-root.sh scripts/build-image.sh scripts/push-ecr.sh .ci/image.sh
pass "shellcheck: no findings"

# expect_refusal WHAT PATTERN -- COMMAND...: non-zero exit, one stderr line matching PATTERN
expect_refusal() {
    local what="$1" pattern="$2"; shift 3
    local rc=0
    timeout 60 "$@" >"$WORK/refusal.out" 2>"$WORK/refusal.err" || rc=$?
    [ "$rc" -ne 0 ] || fail "push-ecr.sh ran with $what"
    if [ "$(wc -l <"$WORK/refusal.err")" -ne 1 ] || ! grep -q "$pattern" "$WORK/refusal.err"; then
        fail "push-ecr.sh with $what: expected one line matching '$pattern', got: $(cat "$WORK/refusal.err")"
    fi
    pass "push-ecr.sh refuses with $what: $(cat "$WORK/refusal.err")"
}
ECR_URL=123456789012.dkr.ecr.eu-west-1.amazonaws.com/product-search
mkdir -p "$WORK/empty-path" "$WORK/fake-aws"
printf '#!/bin/sh\necho "Unable to locate credentials" >&2\nexit 255\n' >"$WORK/fake-aws/aws"
chmod +x "$WORK/fake-aws/aws"
expect_refusal "no repository URL" "no repository URL" -- \
    env -u ECR_REPOSITORY_URL scripts/push-ecr.sh
expect_refusal "a malformed URL" "not an ECR repository URL" -- \
    scripts/push-ecr.sh "docker.io/library/product-search:latest"
expect_refusal "no AWS CLI" "AWS CLI" -- \
    env PATH="$WORK/empty-path" /bin/bash scripts/push-ecr.sh "$ECR_URL"
expect_refusal "no AWS credentials" "credentials" -- \
    env PATH="$WORK/fake-aws:$PATH" scripts/push-ecr.sh "$ECR_URL"

# ------------------------------------------------------- 3. base and build
say "step 3: base image and offline build"
t0=$SECONDS
timeout 1500 scripts/make-base-image.sh
pass "base image docker.io/library/debian:bookworm-slim present ($((SECONDS - t0)) s)"
t0=$SECONDS
# Under the open-file limit a default podman build step has (1024): the build
# must not depend on the builder's ulimit (the abuse tests size themselves to
# it and print what they ran with).
(
    ulimit -n 1024
    CONTAINER_ENGINE=podman BUILD_TIMEOUT=1800 scripts/build-image.sh
) >"$WORK/build.log" 2>&1 || {
    tail -n 60 "$WORK/build.log" >&2
    fail "image build failed (log tail above)"
}
grep -E '^(build-image:|[0-9]+%: Checks|abuse: RLIMIT)' "$WORK/build.log" || true
podman image exists "$IMAGE:latest" || fail "no $IMAGE:latest after the build"
# The commit the build was tagged with (HEAD when build-image.sh started).
FULL_REV="$(podman image inspect --format '{{index .Labels "org.opencontainers.image.revision"}}' "$IMAGE:latest")"
git cat-file -e "$FULL_REV^{commit}" 2>/dev/null || fail "revision label '$FULL_REV' is not a commit of this repository"
REV="$(git rev-parse --short "$FULL_REV")"
podman image exists "$IMAGE:$REV" || fail "no $IMAGE:$REV after the build"
pass "built $IMAGE:latest and $IMAGE:$REV in $((SECONDS - t0)) s (unit tests ran in the build stage)"

# -------------------------------------------------------------- 4. inspect
say "step 4: image metadata"
podman image inspect "$IMAGE:latest" | jq '.[0]' >"$WORK/inspect.json"
jqr() { jq -r "$1" "$WORK/inspect.json"; }

user="$(jqr '.Config.User // ""')"
uid="${user%%:*}"
[[ "$uid" =~ ^[0-9]+$ ]] || fail "image USER '$user' is not numeric"
[ "$uid" -ne 0 ] || fail "image USER is root"
pass "USER $user (numeric, not root)"

size="$(jqr '.Size')"
[ "$size" -le "$SIZE_LIMIT" ] || fail "image size $size bytes exceeds $SIZE_LIMIT"
gz="$(timeout 120 podman save --format docker-archive "$IMAGE:latest" 2>/dev/null | gzip -c | wc -c)"
pass "size $size bytes uncompressed (limit $SIZE_LIMIT), about $gz bytes compressed"

hc="$(jq -c '.Healthcheck.Test // empty' "$WORK/inspect.json")"
[ "$hc" = "[\"CMD\",\"$BIN\",\"--healthcheck\"]" ] || fail "HEALTHCHECK is '$hc'"
pass "HEALTHCHECK $hc"

ep="$(jq -c '.Config.Entrypoint // empty' "$WORK/inspect.json")"
[ "$ep" = "[\"$BIN\"]" ] || fail "ENTRYPOINT is '$ep', want exec form [\"$BIN\"]"
pass "ENTRYPOINT $ep (exec form)"

[ "$(jqr '.Config.ExposedPorts | has("8080/tcp")')" = true ] || fail "port 8080 not exposed"
pass "EXPOSE 8080"

for label in source version revision; do
    v="$(jqr ".Labels[\"org.opencontainers.image.$label\"] // \"\"")"
    [ -n "$v" ] || fail "label org.opencontainers.image.$label missing"
    pass "label org.opencontainers.image.$label=$v"
done

# push-ecr.sh's login/tag/push sequence, with stand-ins for the AWS CLI and for
# podman's login/tag/push (no AWS account or registry here); `image inspect`
# goes to the real podman, so the local image must exist.
say "step 4b: push-ecr.sh sequence against stand-ins"
REAL_PODMAN="$(command -v podman)"
mkdir -p "$WORK/stand-ins"
cat >"$WORK/stand-ins/aws" <<'STAND_IN'
#!/bin/sh
case "$1 $2" in
    "sts get-caller-identity") echo "arn:aws:iam::123456789012:user/ci" ;;
    "ecr get-login-password") echo "ecr-password-$4" ;;
    *) echo "unexpected aws $*" >&2; exit 2 ;;
esac
STAND_IN
cat >"$WORK/stand-ins/podman" <<STAND_IN
#!/bin/sh
if [ "\$1 \$2" = "image inspect" ]; then exec "$REAL_PODMAN" "\$@"; fi
if [ "\$1" = login ]; then echo "login \$* password=\$(cat)" >>"$WORK/engine.log"; exit 0; fi
echo "\$*" >>"$WORK/engine.log"
STAND_IN
chmod +x "$WORK/stand-ins/aws" "$WORK/stand-ins/podman"
: >"$WORK/engine.log"
PATH="$WORK/stand-ins:$PATH" CONTAINER_ENGINE=podman IMAGE="$IMAGE" IMAGE_TAG="$REV" \
    timeout 60 scripts/push-ecr.sh "$ECR_URL" >"$WORK/push.out" 2>&1 ||
    { cat "$WORK/push.out" >&2; fail "push-ecr.sh failed against stand-ins"; }
cat >"$WORK/engine.want" <<WANT
login login --username AWS --password-stdin ${ECR_URL%%/*} password=ecr-password-eu-west-1
tag $IMAGE:$REV $ECR_URL:$REV
push --format v2s2 $ECR_URL:$REV
tag $IMAGE:$REV $ECR_URL:latest
push --format v2s2 $ECR_URL:latest
WANT
diff -u "$WORK/engine.want" "$WORK/engine.log" >&2 || fail "push-ecr.sh ran an unexpected engine sequence (diff above)"
pass "push-ecr.sh: ECR login for eu-west-1 on stdin, tags and pushes :$REV and :latest (v2s2)"

# ------------------------------------------------------------------ 5. run
say "step 5: run with buildah run --isolation chroot"
CTR="$(timeout 60 buildah from --pull-never --name "product-search-ci-$$" "$IMAGE:latest")"

free_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        if [ -z "$(ss -Hltn "sport = :$p")" ]; then echo "$p"; return 0; fi
    done
    fail "no free port found"
}
# crun: buildah run inside the image's root, as the image's USER, host network.
in_image() { timeout "$1" buildah run --isolation chroot --env "PORT=$PORT" "$CTR" "${@:2}"; }

PORT="$(free_port)"
version_out="$(in_image 30 "$BIN" --version)" || fail "--version failed in the image"
want_version="$(jqr '.Labels["org.opencontainers.image.version"]')"
[[ "$version_out" == *"$want_version"* ]] || fail "--version printed '$version_out', want version $want_version"
[[ "$version_out" == *"$REV"* ]] || fail "--version printed '$version_out', want revision $REV"
pass "--version: $version_out"

timeout 120 buildah run --isolation chroot \
    --env "PORT=$PORT" --env "DRAIN_S=$DRAIN_S" --env THREADS=2 \
    "$CTR" "$BIN" >"$WORK/server.out" 2>"$WORK/server.err" &
RUN_PID=$!
server_logs() { echo "--- server stdout"; cat "$WORK/server.out"; echo "--- server stderr"; cat "$WORK/server.err"; } >&2

code=000
for _ in $(seq 1 150); do
    code="$(curl -s -o "$WORK/health.json" -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/health" || true)"
    [ "$code" = 200 ] && break
    if ! kill -0 "$RUN_PID" 2>/dev/null; then
        rc=0; wait "$RUN_PID" || rc=$?; RUN_PID=""
        server_logs; fail "the container exited (status $rc) before answering /health on port $PORT"
    fi
    sleep 0.1
done
[ "$code" = 200 ] || { server_logs; fail "/health answered $code, want 200"; }
jq -e '.status == "ok" and (.products | type == "number") and .products > 0' "$WORK/health.json" >/dev/null ||
    fail "/health body $(cat "$WORK/health.json")"
pass "GET /health on 127.0.0.1:$PORT: 200 $(cat "$WORK/health.json")"

# The server process: a descendant of `buildah run` named product-search.
descendants() { local c; for c in $(pgrep -P "$1" || true); do echo "$c"; descendants "$c"; done; }
SERVER_PID=""
for p in $(descendants "$RUN_PID"); do
    [ "$(ps -o comm= -p "$p" 2>/dev/null)" = product-search ] && SERVER_PID="$p"
done
[ -n "$SERVER_PID" ] || fail "cannot find the server process under buildah run"
run_uid="$(ps -o uid= -p "$SERVER_PID" | tr -d ' ')"
[ "$run_uid" = "$uid" ] || fail "the server runs as uid $run_uid, want $uid"
pass "the server (pid $SERVER_PID) runs as uid $run_uid"

code="$(curl -s -o "$WORK/search.json" -w '%{http_code}' --max-time 5 \
    -D "$WORK/search.headers" "http://127.0.0.1:$PORT/products/search?q=alpha&limit=5")"
[ "$code" = 200 ] || fail "search answered $code: $(cat "$WORK/search.json")"
grep -qi '^content-type: application/json' "$WORK/search.headers" || fail "search Content-Type is not application/json"
# The catalog and search rules: default SCAN_LIMIT 100 checks ids 1..100; 'alpha' matches the
# Alpha brand, ids 1, 11, ..., 91: 10 found, 5 returned; product 1 is fixed.
jq -e '
  (keys == ["checked","products","search_time","search_time_ns","total_found"]) and
  (.products | type == "array" and length == 5) and
  (.products | map(.id) == [1,11,21,31,41]) and
  (.products | all(keys == ["brand","category","description","id","name","price"])) and
  (.products[0] == {"id":1,"name":"Product Alpha 1","category":"Electronics",
                    "description":"Durable electronics item by Alpha.","brand":"Alpha","price":80.19}) and
  .total_found == 10 and .checked == 100 and
  (.search_time | type == "string" and test("^[0-9.]+(ns|µs|us|ms|s)$")) and
  (.search_time_ns | type == "number" and . >= 0 and floor == .)
' "$WORK/search.json" >/dev/null || fail "search body does not match the documented answer: $(cat "$WORK/search.json")"
pass "GET /products/search?q=alpha&limit=5: 200, documented shape, 5 of 10 found, product 1 exact"

code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/products/search")"
[ "$code" = 400 ] || fail "search without q answered $code, want 400"
pass "GET /products/search without q: 400"

in_image 30 "$BIN" --healthcheck || fail "the image's health check command failed against a healthy server"
pass "HEALTHCHECK command ($BIN --healthcheck) exits 0 while the server is up"

# ------------------------------------------------------------- 6. SIGTERM
say "step 6: SIGTERM"
kill -TERM "$SERVER_PID"
saw_503=no
for _ in $(seq 1 $((DRAIN_S * 10))); do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT/health" || true)"
    if [ "$code" = 503 ]; then saw_503=yes; break; fi
    sleep 0.1
done
[ "$saw_503" = yes ] || fail "/health never answered 503 during the ${DRAIN_S}s drain after SIGTERM"
pass "/health answers 503 while draining"
rc=0
wait "$RUN_PID" || rc=$?
RUN_PID=""
[ "$rc" -ne 124 ] || { server_logs; fail "the server did not exit after SIGTERM (timeout)"; }
[ "$rc" -eq 0 ] || { server_logs; fail "the server exited with status $rc after SIGTERM, want 0"; }
pass "SIGTERM: exit status 0"

rc=0
in_image 30 "$BIN" --healthcheck >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "the health check exits $rc with no server, want 1"
pass "HEALTHCHECK command exits 1 once the server is gone"

say "all checks passed: $IMAGE:$REV, $size bytes"
