#!/usr/bin/env bash
# .ci/bench-smoke.sh: CI step for the benchmark (the performance targets).
#
# Installs what bench/run.sh needs when missing (scripts/install-deps.sh
# build bench), then runs it with
# BENCH_SMOKE=1: every contender (product-search, the libmicrohttpd ceiling,
# nginx) under wrk for a few seconds, plus the time-to-ready, full-scan and
# scaling phases, and the whole-catalog phases (query mixes, whole catalog at 100k
# and 1M products, worst queries, SQLite FTS5 trigram), and SPEC 9's (2 reloads
# under load, readiness from the first moment at 100k products). Fails only when a
# contender answers with errors (socket errors or non-2xx), crashes, or does
# not start, or when FTS5 and product-search disagree on an answer; never on
# timing figures.
# Results go to bench/results/tmp/ (ignored by git), not over the committed
# ones. Bounded: the whole step takes about two minutes, 10 minutes at most.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

echo "bench-smoke: scripts/install-deps.sh build bench (what bench/run.sh needs)"
timeout 900 "$ROOT/scripts/install-deps.sh" build bench

echo "bench-smoke: BENCH_SMOKE=1 bench/run.sh (fails on errors or crashes only)"
status=0
BENCH_SMOKE=1 timeout 600 "$ROOT/bench/run.sh" || status=$?
case $status in
0) echo "bench-smoke: OK, every contender answered without errors" ;;
124) echo "bench-smoke: FAILED, the benchmark did not finish within 600 s" >&2 ;;
*) echo "bench-smoke: FAILED (exit status $status): see the errors above" >&2 ;;
esac
exit "$status"
