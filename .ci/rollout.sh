#!/usr/bin/env bash
# CI step: the rolling deploy under load, short form (bench/rollout.sh with
# one round: each of the two instances behind HAProxy restarted once, the ECS
# way and by the health check alone, under wrk at 50 connections; about 20 s).
# First a negative control: the same run with SIGKILL instead of SIGTERM must
# fail, so the test is known to see lost requests. Installs haproxy, wrk and
# python3 with apt when missing.
set -uo pipefail

die() { echo "rollout: $*" >&2; exit 1; }

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
timeout 600 scripts/install-deps.sh rollout || die "installing haproxy wrk python3"
timeout 300 make --no-print-directory -j2 all || die "make"

echo "rollout: negative control (SIGKILL: requests must be seen lost)"
neg=$(mktemp -d)
trap 'rm -rf "$neg"' EXIT
if ROLLOUT_ROUNDS=1 ROLLOUT_SEQUENCE=health ROLLOUT_SIGNAL=KILL \
    ROLLOUT_REPORT="$neg/rollout-kill.md" timeout 120 bench/rollout.sh >"$neg/out" 2>&1; then
    cat "$neg/out"
    die "the negative control passed: the test would not see lost requests"
fi
grep -E '^rollout: [0-9]+ restarts' "$neg/out" || true

echo "rollout: short form"
ROLLOUT_ROUNDS=1 timeout 120 bench/rollout.sh || die "requests were lost (see above)"
