#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build/fuzz/ and runs
# each for FUZZ_SECONDS (default 60). Exits non-zero on any crash, leak,
# sanitizer report or oracle failure; the reproducer is left in
# build/fuzz/artifacts/. Prints libFuzzer's executions per target and in all.
#
#   tests/fuzz/run.sh                      # every target, 60 s each
#   FUZZ_SECONDS=30 tests/fuzz/run.sh      # as CI runs it
#   FUZZ_TARGETS="query config" tests/fuzz/run.sh
#   FUZZ_SECONDS=0 tests/fuzz/run.sh       # build, then replay the corpora only
set -euo pipefail

die() { echo "fuzz: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

seconds=${FUZZ_SECONDS:-60}
[[ $seconds =~ ^[0-9]+$ ]] || die "FUZZ_SECONDS must be a whole number of seconds, got '$seconds'"
targets=${FUZZ_TARGETS:-query params search index config catalog_file catalog_csv}
cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null || die "$cc not found (apt-get install clang libclang-rt-14-dev)"
command -v pkg-config >/dev/null || die "pkg-config not found"
pkg-config --exists libmicrohttpd libcjson libdivsufsort ||
    die "libmicrohttpd-dev, libcjson-dev and libdivsufsort-dev are needed"

out=build/fuzz
mkdir -p "$out/obj" "$out/artifacts" "$out/corpus"

read -r -a pkg_cflags <<<"$(pkg-config --cflags libmicrohttpd libcjson libdivsufsort libxxhash)"
read -r -a pkg_libs <<<"$(pkg-config --libs libmicrohttpd libcjson libdivsufsort libxxhash) -lroaring"
san=("-fsanitize=address,undefined" -fno-sanitize-recover=all -fno-omit-frame-pointer)
cflags=(-std=c11 -g -O1 -Wall -Wextra -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
        "${pkg_cflags[@]}" "${san[@]}")

echo "fuzz: building into $out/ with $cc"
objs=()
for src in src/*.c; do
    [[ $src == src/main.c ]] && continue
    obj=$out/obj/$(basename "${src%.c}").o
    "$cc" "${cflags[@]}" -fsanitize=fuzzer-no-link -c -o "$obj" "$src"
    objs+=("$obj")
done
# The index target draws its requests from the differential tests' generator.
"$cc" "${cflags[@]}" -fsanitize=fuzzer-no-link -c -o "$out/obj/reqgen.o" tests/reqgen.c
for t in $targets; do
    [[ -f tests/fuzz/fuzz_$t.c ]] || die "no such target '$t' (tests/fuzz/fuzz_$t.c)"
    extra=()
    [[ $t == index || $t == search ]] && extra=(-Itests "$out/obj/reqgen.o")
    "$cc" "${cflags[@]}" -fsanitize=fuzzer -o "$out/fuzz_$t" "tests/fuzz/fuzz_$t.c" \
        "${objs[@]}" "${extra[@]}" "${pkg_libs[@]}" -lpthread -lm
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

summary=$out/summary.txt
: >"$summary"
total=0
failed=()
for t in $targets; do
    work=$out/corpus/$t
    seeds=tests/fuzz/corpus/$t
    mkdir -p "$work"
    [[ -d $seeds ]] || die "missing seed corpus $seeds"
    log=$out/$t.log
    if [[ $seconds -eq 0 ]]; then
        echo "fuzz: $t: replaying $seeds"
        set +e
        "$out/fuzz_$t" -runs=0 "$seeds" >"$log" 2>&1
        rc=$?
        set -e
    else
        echo "fuzz: $t: ${seconds}s, seeds from $seeds"
        set +e
        "$out/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
            "$work" "$seeds" >"$log" 2>&1
        rc=$?
        set -e
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    execs=${execs:-0}
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2 || true)
    corpus=$(find "$work" -type f | wc -l)
    total=$((total + execs))
    printf '%-14s executions=%-10s coverage=%-6s corpus=%-6s exit=%s\n' \
        "$t" "$execs" "${cov:-?}" "$corpus" "$rc" | tee -a "$summary"
    if [[ $rc -ne 0 ]]; then
        failed+=("$t")
        echo "fuzz: $t FAILED (exit $rc); the end of $log:" >&2
        tail -n 40 "$log" >&2
        find "$out/artifacts" -name "$t-*" -newer "$out/fuzz_$t" | sed 's/^/fuzz: reproducer: /' >&2
    fi
done
printf 'total executions=%s seconds_per_target=%s\n' "$total" "$seconds" | tee -a "$summary"
if [[ ${#failed[@]} -gt 0 ]]; then
    die "failed: ${failed[*]} (reproduce: $out/fuzz_<target> <artifact>)"
fi
echo "fuzz: OK, no crash in ${targets// /, }"
