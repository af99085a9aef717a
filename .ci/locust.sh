#!/usr/bin/env bash
# CI step: Locust load tests and reports. Runs as root on a fresh Debian 12
# machine (apt only), from any directory:
#   1. installs python3-locust and python3-matplotlib when missing
#   2. unit tests of the summary, comparison, response-check and step-plan code
#      on the fixture CSVs in locust/tests/ (/usr/bin/python3 -m unittest)
#   3. loadtest.sh refuses bad input with one line and exit status 2
#   4. starts build/product-search (built with make when missing) on a free
#      loopback port; a 20-second headless run with 50 users through
#      locust/loadtest.sh must end with zero failures and produce summary.md,
#      Locust's CSV files, the HTML report and the three PNG charts
#   5. a short run that expects a different default limit than the server's
#      must be reported as failures (the checks catch a wrong answer)
#   6. compare.sh puts both runs in one table with four charts
# Every step is bounded by a timeout; the server is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
START_TIME=$SECONDS

say()  { echo "locust: $*"; }
pass() { echo "locust: ok   $*"; }
fail() { echo "locust: FAIL $*" >&2; exit 1; }

WORK="$(mktemp -d /tmp/ci-locust.XXXXXX)"
SERVER_PID=""
cleanup() {
    local rc=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    say "finished in $((SECONDS - START_TIME)) s (exit $rc)"
    exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------- 1. tools
say "step 1: python3-locust and python3-matplotlib"
timeout 900 locust/ensure-deps.sh locust matplotlib || fail "could not install Locust and matplotlib"
pass "Locust $(dpkg-query -W -f '${Version}' python3-locust 2>/dev/null || echo '?'), matplotlib $("$PY" -c 'import matplotlib; print(matplotlib.__version__)')"

# ---------------------------------------------------------------- 2. unit tests
say "step 2: unit tests (locust/tests, fixture CSVs)"
timeout 300 "$PY" -m unittest discover -s locust/tests -t locust/tests 2>&1 | tail -n 4
[[ "${PIPESTATUS[0]}" == 0 ]] || fail "unit tests failed"
pass "unit tests"

if command -v shellcheck >/dev/null 2>&1; then
    shellcheck locust/*.sh .ci/locust.sh || fail "shellcheck findings in the Locust scripts"
    pass "shellcheck locust/*.sh .ci/locust.sh"
fi

# ---------------------------------------------------------------- 3. bad input
say "step 3: loadtest.sh and compare.sh refuse bad input"
refuses() {
    local expect=$1 out rc
    shift
    set +e
    out=$(env "$@" timeout 60 locust/loadtest.sh 2>&1 >/dev/null)
    rc=$?
    set -e
    [[ "$rc" == 2 ]] || fail "loadtest.sh with $* exited $rc, expected 2"
    [[ "$(wc -l <<<"$out")" == 1 && "$out" == *"$expect"* ]] ||
        fail "loadtest.sh with $* said '$out', expected one line with '$expect'"
    pass "loadtest.sh $* -> $out"
}
refuses "USERS '0'" USERS=0
refuses "RUN_TIME '2x'" RUN_TIME=2x
refuses "HOST 'localhost:8080'" HOST=localhost:8080
refuses "unknown SCENARIO" SCENARIO=huge
refuses "is not ready" HOST=http://127.0.0.1:1 OUT="$WORK/unreachable"
set +e
out=$(RUNS="$WORK/none" timeout 60 locust/compare.sh 2>&1 >/dev/null)
rc=$?
set -e
[[ "$rc" == 2 && "$out" == "compare: RUNS entry '$WORK/none' is not a directory" ]] ||
    fail "compare.sh with a missing run: exit $rc, '$out'"
pass "compare.sh RUNS=<missing> -> $out"

# ---------------------------------------------------------------- 4. real run
say "step 4: 20-second headless run, 50 users, against build/product-search"
if [[ ! -x build/product-search ]]; then
    say "build/product-search missing: running make"
    timeout 900 make >/dev/null || fail "make could not build build/product-search"
fi
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
build/product-search --port "$PORT" --bind 127.0.0.1 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
HOST="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
    "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "$HOST/health" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited at start: $(cat "$WORK/server.log")"
    sleep 0.1
done
"$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$HOST/health" ||
    fail "server not answering /health on $HOST"
pass "server up on $HOST"

RUN="$WORK/reports/ci-local"
HOST="$HOST" USERS=50 SPAWN_RATE=10 RUN_TIME=20s OUT="$RUN" LABEL=ci-local \
    timeout 240 locust/loadtest.sh >"$WORK/run.log" 2>&1 ||
    { tail -n 40 "$WORK/run.log" >&2; fail "loadtest.sh exited non-zero (failures or error)"; }
sed -n '/^| Type /,/^$/p' "$RUN/summary.md"

for f in locust_stats.csv locust_stats_history.csv locust_failures.csv locust_exceptions.csv \
         report.html run.json summary.md; do
    [[ -s "$RUN/$f" ]] || fail "$RUN/$f missing or empty"
done
pass "CSV files, report.html, run.json and summary.md written"

"$PY" - "$RUN" <<'EOF' || fail "the run's figures are wrong (see above)"
import csv, os, sys
run = sys.argv[1]
with open(os.path.join(run, "locust_stats.csv"), newline="") as handle:
    rows = list(csv.DictReader(handle))
total = rows[-1]
assert total["Name"] == "Aggregated", "last row is %r" % total["Name"]
requests, fails = int(total["Request Count"]), int(total["Failure Count"])
print("locust: requests %d, failures %d, %.1f req/s" % (requests, fails, float(total["Requests/s"])))
assert requests >= 300, "only %d requests in 20 s with 50 users" % requests
assert fails == 0, "%d failed requests" % fails
names = {r["Name"]: int(r["Request Count"]) for r in rows[:-1]}
expected = {"/health", "/products/search [invalid, expect 400]",
            "/products/search?q=[any]&limit=[1-100]", "/products/search?q=[brand]",
            "/products/search?q=[category]", "/products/search?q=[miss]",
            "/products/search?q=[multi-word]"}
assert set(names) == expected, "request names %s" % sorted(names)
assert all(n > 0 for n in names.values()), names
with open(os.path.join(run, "locust_failures.csv"), newline="") as handle:
    assert len(list(csv.reader(handle))) == 1, "locust_failures.csv lists failures"
with open(os.path.join(run, "locust_stats_history.csv"), newline="") as handle:
    agg = [r for r in csv.DictReader(handle) if r["Name"] == "Aggregated"]
assert len(agg) >= 18, "only %d history rows for a 20 s run" % len(agg)
assert max(int(r["User Count"]) for r in agg) == 50, "never reached 50 users"
assert int(agg[-1]["Total Request Count"]) == requests, "history misses the end of the run"
with open(os.path.join(run, "summary.md"), encoding="utf-8") as handle:
    text = handle.read()
header = ("| Type | Name | # Requests | # Fails | Median | 95%ile | 99%ile | Average | Min | Max "
          "| Average size | RPS |")
assert header in text, "summary.md lacks the table header"
assert "\n|  | Aggregated | %d | 0 |" % requests in text, "summary.md lacks the Aggregated row"
for png in ("requests_per_second.png", "response_times.png", "failures.png"):
    with open(os.path.join(run, png), "rb") as handle:
        data = handle.read()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10000, "%s is not a chart" % png
EOF
pass "zero failures, every request kind seen, 50 users reached, history complete"
pass "summary.md has the table and Aggregated row; 3 PNG charts"

# ---------------------------------------------------------------- 5. failures are caught
say "step 5: a wrong answer is a failure (expect default limit 5, the server uses 20)"
BAD="$WORK/reports/ci-wrong-limit"
set +e
HOST="$HOST" USERS=10 SPAWN_RATE=10 RUN_TIME=6s OUT="$BAD" LABEL=ci-wrong-limit \
    EXPECT_DEFAULT_LIMIT=5 WAIT_TIME=0.1-0.3 timeout 120 locust/loadtest.sh >"$WORK/bad.log" 2>&1
rc=$?
set -e
[[ "$rc" == 1 ]] || { tail -n 20 "$WORK/bad.log" >&2; fail "loadtest.sh exited $rc, expected 1 (failures)"; }
grep -q "products for limit 5" "$BAD/locust_failures.csv" ||
    fail "locust_failures.csv does not name the limit violation"
grep -q "^Failures: [1-9][0-9]* of " "$BAD/summary.md" || fail "summary.md does not count failures"
pass "exit 1, failures listed: $(grep -o '[0-9]* products for limit 5' "$BAD/locust_failures.csv" | head -n 1)"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "server exited non-zero on SIGTERM"
SERVER_PID=""
pass "server stopped"

# ---------------------------------------------------------------- 6. compare
say "step 6: compare.sh on both runs"
CMP="$WORK/reports/compare"
RUNS="$RUN $BAD" OUT="$CMP" timeout 120 locust/compare.sh >"$WORK/compare.log" 2>&1 ||
    { cat "$WORK/compare.log" >&2; fail "compare.sh failed"; }
cat "$WORK/compare.log"
[[ "$(grep -c -e '^| ci-local |' -e '^| ci-wrong-limit |' "$CMP/compare.md")" == 2 ]] ||
    fail "compare.md does not have one row per run"
for png in compare_rps.png compare_latency.png compare_failures.png compare_over_time.png; do
    [[ "$(head -c 8 "$CMP/$png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] ||
        fail "$png is not a PNG"
done
pass "compare.md with 2 rows, 4 PNG charts"
