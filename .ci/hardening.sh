#!/usr/bin/env bash
# CI step (issue 8): fuzzing, memcheck, the hardened binary, safe headers.
#  1. installs what it needs (scripts/install-deps.sh build test fuzz valgrind
#     curl: clang + its runtime, valgrind, binutils, curl)
#  2. tests/fuzz/run.sh, FUZZ_SECONDS (30) per target
#  3. scripts/valgrind.sh: no leak, no memory error
#  4. build/product-search: PIE, full RELRO (BIND_NOW), non-executable stack,
#     stack protector and FORTIFY_SOURCE symbols (readelf)
#  5. every answer the service builds carries X-Content-Type-Options: nosniff,
#     none names the server software, none echoes the request
# Bounded: each stage runs under `timeout`; about 6 minutes in all.
set -euo pipefail

die() { echo "hardening: FAIL: $*" >&2; exit 1; }
step() { echo; echo "== hardening: $* =="; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

step "installing what is missing: scripts/install-deps.sh build test fuzz valgrind curl"
timeout 900 scripts/install-deps.sh build test fuzz valgrind curl || die "installing the packages"
echo "present: clang $(clang --version | head -n 1 | grep -Eo '[0-9]+\.[0-9.]+' | head -n 1), $(valgrind --version), readelf, curl"

step "building build/product-search"
timeout 300 make --no-print-directory all >/dev/null || die "make"
bin=build/product-search

step "fuzzing: tests/fuzz/run.sh, ${FUZZ_SECONDS:-30} s per target"
FUZZ_SECONDS=${FUZZ_SECONDS:-30} timeout 600 tests/fuzz/run.sh || die "fuzzing found a problem (see above)"

step "valgrind memcheck: scripts/valgrind.sh"
timeout 900 scripts/valgrind.sh || die "valgrind found a problem (see above)"

step "hardened binary: $bin"
header=$(readelf -hW "$bin")
dynamic=$(readelf -dW "$bin")
segments=$(readelf -lW "$bin")
dynsyms=$(readelf --dyn-syms -W "$bin")
check() { # description, then a command that succeeds when the property holds
    local what=$1
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; bad=1; fi
}
is_pie() { grep -q 'Type:[[:space:]]*DYN' <<<"$header" && grep -q PIE <<<"$dynamic"; }
stack_not_exec() { grep GNU_STACK <<<"$segments" | grep -qv RWE; }
bad=0
check "PIE (ELF type DYN, DF_1_PIE)" is_pie
check "RELRO (GNU_RELRO segment)" grep -q GNU_RELRO <<<"$segments"
check "BIND_NOW (full RELRO)" grep -Eq 'BIND_NOW|FLAGS.*NOW' <<<"$dynamic"
check "non-executable stack (GNU_STACK RW)" stack_not_exec
check "stack protector (__stack_chk_fail)" grep -q __stack_chk_fail <<<"$dynsyms"
fortified=$(grep -Eo '__[a-z_]+_chk' <<<"$dynsyms" | grep -v __stack_chk | sort -u | paste -sd ' ' -)
check "FORTIFY_SOURCE (*_chk symbols: ${fortified:-none})" test -n "$fortified"
[[ $bad -eq 0 ]] || die "the binary is not hardened as the Makefile asks"

step "response headers"
out=$(mktemp)
PORT=0 BIND=127.0.0.1 PRODUCT_COUNT=1000 "$bin" >"$out" 2>/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*"event":"start".*"port":\([0-9]*\).*/\1/p' "$out" | head -n 1)
    [[ -n $port ]] && break
    sleep 0.1
done
[[ -n $port ]] || die "the server did not start"
probe() { # status, then curl arguments; checks the headers of the answer
    local want=$1 head status
    shift
    head=$(curl -s -D - -o /dev/null --max-time 10 "$@")
    status=$(head -n 1 <<<"$head" | cut -d' ' -f2)
    if [[ $status != "$want" ]]; then
        echo "FAIL $* -> $status, want $want"; bad=1; return
    fi
    if ! grep -qi '^X-Content-Type-Options: nosniff' <<<"$head"; then
        echo "FAIL $* -> $status without X-Content-Type-Options: nosniff"; bad=1; return
    fi
    if grep -Eqi '^(Server|X-Powered-By):' <<<"$head"; then
        echo "FAIL $* -> $status names the server software"; bad=1; return
    fi
    echo "ok   $status nosniff, no Server header: $*"
}
base=http://127.0.0.1:$port
probe 200 "$base/products/search?q=alpha"
probe 400 "$base/products/search?q=%FF"
probe 400 "$base/products/search?q=a&limit=0"
probe 404 "$base/<script>alert(1)</script>"
probe 405 -X POST "$base/health"
# a GET body of at most 64 KB is read, dropped and answered as without it (docs/api.md)
probe 200 -X GET -H 'Content-Length: 5' --data-binary hello "$base/health"
probe 413 -X GET -H 'Transfer-Encoding: chunked' --data-binary x "$base/health"
probe 200 -I "$base/health"
probe 200 "$base/metrics"
# error bodies never echo what the client sent
body=$(curl -s --max-time 10 "$base/%3Cscript%3Ealert(1)%3C/script%3E?q=%3Cscript%3E")
if grep -qi script <<<"$body"; then echo "FAIL the 404 body echoes the request"; bad=1;
else echo "ok   404 body does not echo the request"; fi
kill -TERM "$pid"
wait "$pid" || die "the server did not exit 0 on SIGTERM"
trap 'rm -f "$out"' EXIT
[[ $bad -eq 0 ]] || die "some answers lack the safe headers"
echo
echo "hardening: OK (fuzzing, valgrind, hardened binary, safe headers)"
