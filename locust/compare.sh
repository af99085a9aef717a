#!/usr/bin/env bash
# Compare load-test runs side by side (make compare).
#
#   RUNS  space-separated run directories written by loadtest.sh (required),
#         e.g. RUNS="reports/local reports/localstack reports/aws"; an entry may
#         be a pattern, e.g. locust/reference/* (the published reference runs)
#   OUT   output directory (default reports/compare-<UTC timestamp>)
#
# Writes OUT/compare.md (one Markdown table: throughput, median, p95, p99,
# failures % per run) and the charts compare_rps.png, compare_latency.png,
# compare_failures.png and compare_over_time.png.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3

die() {
    echo "compare: $*" >&2
    exit 2
}

RUNS=${RUNS:-}
OUT=${OUT:-reports/compare-$(date -u +%Y%m%d-%H%M%S)}

[[ -n "${RUNS// /}" ]] ||
    die "RUNS is empty: give run directories, e.g. make compare RUNS=\"reports/local reports/aws\""
read -r -a words <<<"$RUNS"
runs=()
for word in "${words[@]}"; do
    if [[ "$word" == *[*?[]* ]]; then
        # a pattern such as locust/reference/*: expanded here, since make passes it quoted
        matches=()
        for match in $word; do
            [[ -e "$match" ]] && matches+=("$match")
        done
        (( ${#matches[@]} > 0 )) || die "RUNS entry '$word' matches no directory"
        runs+=("${matches[@]}")
    else
        runs+=("$word")
    fi
done
for run in "${runs[@]}"; do
    [[ -d "$run" ]] || die "RUNS entry '$run' is not a directory"
    [[ -f "$run/locust_stats.csv" ]] ||
        die "RUNS entry '$run' has no locust_stats.csv (not a make loadtest output directory)"
done
[[ -n "$OUT" && "$OUT" != */ ]] || die "OUT '$OUT' must name a directory (no trailing slash)"

PROG=compare "$HERE/ensure-deps.sh" matplotlib

"$PY" "$HERE/loadreport.py" compare --out "$OUT" "${runs[@]}" >/dev/null ||
    die "could not write $OUT/compare.md (see the error above)"

sed -n '/^| Run /,/^$/p' "$OUT/compare.md"
echo "compare: $OUT/compare.md (charts: $OUT/compare_*.png)"
