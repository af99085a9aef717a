#!/usr/bin/env bash
# CI step: Locust load tests and reports. Runs as root on a fresh Debian 12
# machine (apt only), from any directory:
#   1. installs python3-locust and python3-matplotlib when missing
#   2. unit tests of the summary, comparison, response-check and step-plan code
#      on the fixture CSVs in locust/tests/ (/usr/bin/python3 -m unittest)
#   3. loadtest.sh refuses bad input with one line and exit status 2
#   4. starts build/product-search (built with make when missing) on a free
#      loopback port; a 20-second headless run with 50 continuous users (the
#      original scenario's default: no think time) through locust/loadtest.sh
#      must end with zero failures and produce summary.md, Locust's CSV files,
#      the CPU samples, the HTML report and the three PNG charts; the history
#      must end with the running users (not 0) and no repeated timestamp
#   4b. the original project's client shape (locust/getbody.py: a FastHttpUser
#      whose every GET passes timeout=10, which Locust's fast client sends as a
#      form body): 50 users for 10 s, zero failures required
#   5. WORKERS=2: one master and two worker processes, same outputs, zero
#      failures, CPU samples of the master and both workers
#   6. a short run that expects a different default limit than the server's
#      must be reported as failures (the checks catch a wrong answer)
#   7. compare.sh puts the runs and the published reference runs in one table
#      (wait time, spawn rate, steady requests/s, "published" rows) with four charts
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
refuses "WORKERS 'two'" WORKERS=two
refuses "WORKERS '65'" WORKERS=65
refuses "FEATURES 'yes'" FEATURES=yes
refuses "MASTER_BIND 'anywhere'" MASTER_BIND=anywhere
refuses "is not ready" HOST=http://127.0.0.1:1 OUT="$WORK/unreachable"
compare_refuses() {
    local runs=$1 expect=$2 out rc
    set +e
    out=$(RUNS="$runs" timeout 60 locust/compare.sh 2>&1 >/dev/null)
    rc=$?
    set -e
    [[ "$rc" == 2 && "$out" == "$expect" ]] || fail "compare.sh RUNS=$runs: exit $rc, '$out'"
    pass "compare.sh RUNS=$runs -> $out"
}
compare_refuses "$WORK/none" "compare: RUNS entry '$WORK/none' is not a directory"
# a pattern that matches nothing (make passes RUNS="... locust/reference/*" unexpanded)
compare_refuses "$WORK/none-*" "compare: RUNS entry '$WORK/none-*' matches no directory"

# ---------------------------------------------------------------- 4. real run
say "step 4: 20-second headless run, 50 continuous users, against build/product-search"
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

check_outputs() {
    local f
    for f in locust_stats.csv locust_stats_history.csv locust_failures.csv locust_exceptions.csv \
             locust_cpu.csv report.html run.json summary.md; do
        [[ -s "$1/$f" ]] || fail "$1/$f missing or empty"
    done
}
check_outputs "$RUN"
pass "CSV files, CPU samples, report.html, run.json and summary.md written"

# check_run RUN_DIR EXPECTED_PROCESSES: zero failures, every request kind, 50 users
# reached and still running in the last history row, CPU samples, summary and charts
check_run() {
"$PY" - "$1" "$2" <<'EOF' || fail "the figures of $1 are wrong (see above)"
import csv, json, os, sys
run, processes = sys.argv[1], sys.argv[2].split(",")
with open(os.path.join(run, "run.json")) as handle:
    meta = json.load(handle)
assert meta["scenario"] == "original" and meta["wait_time"] == "0", \
    "the original scenario must be continuous by default: %r" % meta
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
if meta["features"]:  # the target answers the search parameters beyond q and limit
    expected |= {"/products/search?[browse: category|brand, no q]",
                 "/products/search?q&[category,brand,min/max_price]",
                 "/products/search?q&sort=[id|price|-price]",
                 "/products/search?q&offset=[page 2+]",
                 "/products/search?q&facets=[category,brand]",
                 "/products/search?q=[terms]&match=all",
                 "/products/search [invalid parameter, expect 400]"}
print("locust: search features %s (%s)" % ("on" if meta["features"] else "off",
                                             meta["features_decided_by"]))
assert set(names) == expected, "request names %s" % sorted(names)
assert all(n > 0 for n in names.values()), names
with open(os.path.join(run, "locust_failures.csv"), newline="") as handle:
    assert len(list(csv.reader(handle))) == 1, "locust_failures.csv lists failures"
with open(os.path.join(run, "locust_stats_history.csv"), newline="") as handle:
    agg = [r for r in csv.DictReader(handle) if r["Name"] == "Aggregated"]
assert len(agg) >= 18, "only %d history rows for a 20 s run" % len(agg)
assert max(int(r["User Count"]) for r in agg) == 50, "never reached 50 users"
assert int(agg[-1]["Total Request Count"]) == requests, "history misses the end of the run"
assert int(agg[-1]["User Count"]) == 50, "the last history row says %s users" % agg[-1]["User Count"]
stamps = [r["Timestamp"] for r in agg]
assert len(stamps) == len(set(stamps)), "repeated timestamps in the history"
with open(os.path.join(run, "locust_cpu.csv"), newline="") as handle:
    cpu = list(csv.DictReader(handle))
seen = sorted({r["Process"] for r in cpu})
assert seen == sorted(processes), "CPU samples of %s, expected %s" % (seen, processes)
with open(os.path.join(run, "summary.md"), encoding="utf-8") as handle:
    text = handle.read()
header = ("| Type | Name | # Requests | # Fails | Median | 95%ile | 99%ile | Average | Min | Max "
          "| Average size | RPS |")
assert header in text, "summary.md lacks the table header"
assert "\n|  | Aggregated | %d | 0 |" % requests in text, "summary.md lacks the Aggregated row"
assert "- Think time (WAIT_TIME): 0 s (continuous)" in text, "summary.md lacks the think time"
assert "- Steady state (all users running): " in text, "summary.md lacks the steady state"
assert "- Locust CPU once all users ran" in text, "summary.md lacks Locust's CPU"
for png in ("requests_per_second.png", "response_times.png", "failures.png"):
    with open(os.path.join(run, png), "rb") as handle:
        data = handle.read()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10000, "%s is not a chart" % png
EOF
}
check_run "$RUN" local
pass "zero failures, every request kind seen, 50 users reached and still running at the end"
pass "summary.md has the table, the Aggregated row, the steady state and Locust's CPU; 3 PNG charts"

# ---------------------------------------------------------------- 4b. GET with a body
say "step 4b: the original project's client shape: every GET carries the form body timeout=10"
GB="$WORK/getbody"
mkdir -p "$GB"
(cd "$GB" && timeout 120 "$PY" -m locust -f "$ROOT/locust/getbody.py" --headless -u 50 -r 50 \
    -t 10s -H "$HOST" --csv "$GB/getbody" --only-summary >"$GB/run.log" 2>&1) ||
    { tail -n 30 "$GB/run.log" >&2; fail "the GET-with-a-body scenario had failures or errors"; }
"$PY" - "$GB/getbody_stats.csv" <<'EOF' || fail "the GET-with-a-body scenario's figures are wrong"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
total = rows[-1]
requests, fails = int(total["Request Count"]), int(total["Failure Count"])
print("locust: GET with a body: %d requests, %d failures" % (requests, fails))
assert requests >= 300 and fails == 0
EOF
pass "50 FastHttpUsers, every GET with the body timeout=10: zero failures"

# ---------------------------------------------------------------- 5. distributed
say "step 5: WORKERS=2 (one master, two worker processes), 20 s"
DIST="$WORK/reports/ci-workers"
HOST="$HOST" USERS=50 SPAWN_RATE=25 RUN_TIME=20s WORKERS=2 OUT="$DIST" LABEL=ci-workers \
    timeout 400 locust/loadtest.sh >"$WORK/dist.log" 2>&1 ||
    { tail -n 40 "$WORK/dist.log" >&2; tail -n 20 "$DIST"/worker-*.log >&2 || true
      fail "loadtest.sh WORKERS=2 exited non-zero"; }
check_outputs "$DIST"
for i in 1 2; do
    grep -q "Got quit message from master" "$DIST/worker-$i.log" ||
        fail "worker $i did not run under the master (see $DIST/worker-$i.log)"
done
grep -q '"workers": 2' "$DIST/run.json" || fail "run.json does not record 2 workers"
grep -q 'distributed: one master and 2 local worker process(es)' "$DIST/summary.md" ||
    fail "summary.md does not name the distributed generator"
check_run "$DIST" master,worker-1,worker-2
pass "WORKERS=2: master and 2 workers, zero failures, same outputs, CPU of every process"

# ---------------------------------------------------------------- 6. failures are caught
say "step 6: a wrong answer is a failure (expect default limit 5, the server uses 20)"
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

# ---------------------------------------------------------------- 7. compare
say "step 7: compare.sh on the runs and the published references"
CMP="$WORK/reports/compare"
# the pattern is passed unexpanded, as make passes RUNS="... locust/reference/*"
RUNS="$RUN $DIST $BAD locust/reference/*" \
    OUT="$CMP" timeout 120 locust/compare.sh >"$WORK/compare.log" 2>&1 ||
    { cat "$WORK/compare.log" >&2; fail "compare.sh failed"; }
cat "$WORK/compare.log"
[[ "$(grep -c -e '^| ci-local | measured |' -e '^| ci-workers | measured |' \
        -e '^| ci-wrong-limit | measured |' -e '^| writeup-aws (published) | published |' \
        -e '^| writeup-localstack-lambda (published) | published |' "$CMP/compare.md")" == 5 ]] ||
    fail "compare.md does not have one row per run, the published ones labelled"
grep -q '| Spawn (/s) | Wait (s) |.*| RPS (steady) |' "$CMP/compare.md" ||
    fail "compare.md lacks spawn rate, wait time or steady requests/s"
for png in compare_rps.png compare_latency.png compare_failures.png compare_over_time.png; do
    [[ "$(head -c 8 "$CMP/$png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] ||
        fail "$png is not a PNG"
done
pass "compare.md with 5 rows (2 published), 4 PNG charts"
