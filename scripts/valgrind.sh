#!/usr/bin/env bash
# Memcheck over the project: fails on any leak (definite, indirect or
# possible) and any memory error.
#  1. The Check suites that run in one process (units, catalog files and the
#     in-process HTTP daemon), each under valgrind with CK_FORK=no.
#  2. The server binary itself under valgrind, driven over loopback through
#     every route and error (bad parameters, 404, 405, HEAD, bodies, oversized
#     URIs and headers, garbage, pipelining, stalled clients), then SIGTERM:
#     it must exit 0 with nothing reported.
# Usage: scripts/valgrind.sh   (after `make`; builds build/obj/check_all if missing)
set -euo pipefail

die() { echo "valgrind: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v valgrind >/dev/null || die "valgrind not found (apt-get install valgrind)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"

bin=${PRODUCT_SEARCH_BIN:-build/product-search}
checks=build/obj/check_all
make --no-print-directory "$bin" "$checks" >/dev/null || die "make failed"

logs=build/valgrind
mkdir -p "$logs"
vg=(valgrind --leak-check=full "--show-leak-kinds=definite,indirect,possible"
    "--errors-for-leak-kinds=definite,indirect,possible" --error-exitcode=99
    --num-callers=30)

# ---- 1. in-process suites ----
suites=${VALGRIND_SUITES:-text catalog search query render config metrics catalog_file http}
for s in $suites; do
    log=$logs/suite-$s.log
    echo "valgrind: suite $s"
    set +e
    CK_FORK=no CK_RUN_SUITE=$s PRODUCT_SEARCH_BIN=$bin timeout 300 \
        "${vg[@]}" --log-file="$log.vg" "$checks" >"$log" 2>&1
    rc=$?
    set -e
    grep -E '^[0-9]+%: Checks' "$log" || true
    if [[ $rc -ne 0 ]]; then
        sed -n '/== [A-Z]/,/==$/p' "$log.vg" | head -n 60 >&2
        die "suite $s: exit $rc (99 = memcheck errors); see $log.vg"
    fi
    grep -q '100%: Checks' "$log" || die "suite $s: did not pass; see $log"
done

# ---- 2. the server binary ----
out=$logs/server.out
vglog=$logs/server.vg
echo "valgrind: server binary $bin"
PORT=0 BIND=127.0.0.1 THREADS=2 PRODUCT_COUNT=20000 CONN_TIMEOUT_S=2 ACCESS_LOG=on \
    "${vg[@]}" --log-file="$vglog" "$bin" >"$out" 2>"$logs/server.err" &
pid=$!
port=
for _ in $(seq 1 600); do
    port=$(sed -n 's/.*"event":"start".*"port":\([0-9]*\).*/\1/p' "$out" | head -n 1)
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || die "the server exited at start-up; see $vglog"
    sleep 0.1
done
[[ -n $port ]] || { kill "$pid"; die "the server did not start within 60 s"; }
base=http://127.0.0.1:$port
fail=0
requests=0

# method target expected-status [extra curl arguments...]
expect() {
    local method=$1 target=$2 want=$3
    shift 3
    local got
    if [[ $method == HEAD ]]; then
        got=$(curl -s -o /dev/null -w '%{http_code}' -I --max-time 20 "$@" "$base$target" || true)
    else
        got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X "$method" "$@" "$base$target" || true)
    fi
    requests=$((requests + 1))
    if [[ $got != "$want" ]]; then
        echo "valgrind: $method $target: got $got, want $want" >&2
        fail=1
    fi
}

# raw bytes on one connection; the answer is read until the server closes
raw() {
    local fd
    exec {fd}<>"/dev/tcp/127.0.0.1/$port"
    printf '%b' "$1" >&"$fd" || true
    timeout 10 cat <&"$fd" >/dev/null || true
    exec {fd}>&-
    requests=$((requests + 1))
}

expect GET '/products/search?q=alpha' 200
expect GET '/products/search?q=Electronics&limit=100' 200
expect GET '/products/search?q=zzz-none' 200
expect GET '/products/search?q=%20kappa%2099%20&limit=1' 200
expect GET '/products/search?q=caf%C3%A9' 200
expect GET '/products/search' 400
expect GET '/products/search?q=' 400
expect GET '/products/search?q=%20%09' 400
expect GET '/products/search?q=a%00b' 400
expect GET '/products/search?q=%FF' 400
expect GET "/products/search?q=$(printf 'x%.0s' $(seq 1 300))" 400
expect GET '/products/search?q=a&limit=0' 400
expect GET '/products/search?q=a&limit=101' 400
expect GET '/products/search?q=a&limit=x' 400
expect GET /health 200
expect GET /metrics 200
expect GET /nope 404
expect HEAD '/products/search?q=beta' 200
expect HEAD /health 200
expect POST /health 405
expect DELETE /products/search 405
expect GET /health 200 -H 'Content-Length: 5' --data-binary hello -X GET
expect GET '/products/search?q=beta' 200 -H 'Content-Type: application/x-www-form-urlencoded' --data-binary timeout=10 -X GET
expect POST /health 405 -H 'Content-Type: application/octet-stream' --data-binary @<(head -c 100000 /dev/zero)
expect GET /health 413 -H 'Content-Type: application/octet-stream' --data-binary @<(head -c 100000 /dev/zero)
expect GET /health 413 -H 'Transfer-Encoding: chunked' --data-binary x -X GET
expect GET "/products/search?q=$(head -c 70000 /dev/zero | tr '\0' u)" 414
expect GET /health 431 -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' h)"
raw 'GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /products/search?q=b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n'
raw 'HELLO\r\n\r\n'
raw 'GET /health HTTP/9.9\r\n\r\n'
raw 'GET /products/search?q=al'   # stalled, reaped after CONN_TIMEOUT_S
raw 'GET /health HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc'
expect GET /health 200

kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
echo "valgrind: server: $requests requests and raw exchanges, exit $rc"
if [[ $rc -ne 0 ]]; then
    sed -n '/== [A-Z]/,/==$/p' "$vglog" | head -n 80 >&2
    die "server: exit $rc (99 = memcheck errors or leaks); see $vglog"
fi
grep -q '"event":"stopped"' "$out" || die "server: no stopped line after SIGTERM"
grep -E 'ERROR SUMMARY|definitely lost|possibly lost' "$vglog" | sed 's/^==[0-9]*== /valgrind: server: /'
[[ $fail -eq 0 ]] || die "some answers were not the expected ones (see above)"
echo "valgrind: OK, no leaks and no memory errors"
