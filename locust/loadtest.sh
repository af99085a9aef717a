#!/usr/bin/env bash
# Headless Locust run against a product-search deployment, then summary.md and
# PNG charts (make loadtest). Settings come from the environment:
#
#   HOST        base URL of the service        (default http://127.0.0.1:8080)
#   SCENARIO    original | course-5 | course-20 | step            (default original)
#                 original   50 users, spawn 3/s, 2m, no think time (the original
#                            measurement: 387 requests/s from 50 users is one request
#                            per user every 129 ms, about the response time alone,
#                            so its users did not wait between requests)
#                 course-5    5 users, spawn 1/s, 2m, think time 1-2 s (course assignment, run 1)
#                 course-20  20 users, spawn 2/s, 3m, think time 1-2 s (course assignment, run 2)
#                 step       step load shape until the breaking point (SHAPE=step)
#   USERS, SPAWN_RATE, RUN_TIME   override the scenario's values (RUN_TIME: 90s, 2m, 1h30m)
#   WAIT_TIME   think time per user, "MIN-MAX" or "SECONDS"
#               (original: 0, continuous; course-*: 1-2; step: 0.1-0.5)
#   WORKERS     0 (default): one Locust process. N: Locust's distributed mode, one
#               master (--master, headless, same outputs) and N local worker processes
#               (--worker) that generate the load; one per free core
#   REMOTE_WORKERS  workers started on other machines that the master also waits
#               for (default 0); with MASTER_BIND (default 127.0.0.1; 0.0.0.0 for other
#               machines) and MASTER_PORT (default: a free port); see locust/README.md
#   FEATURES    auto (default) | 1 | 0: the tasks with search parameters beyond q and
#               limit (filters, sort, offset, facets, match=all, browsing); auto asks
#               the target once (facets=category) and turns them on when it answers them
#   SHAPE       step, or a path to a LoadTestShape file: shape-driven run, no USERS/RUN_TIME
#   OUT         output directory               (default reports/<UTC timestamp>-<scenario>)
#   LABEL       run name in reports and comparisons (default: basename of OUT)
#   FAIL_ON_FAILURES  1 (default; 0 for step): exit 1 when any request failed
#   Step shape: STEP_USERS STEP_SECONDS STEP_MAX_USERS STEP_SPAWN_RATE STEP_TIME_LIMIT
#               BREAK_FAIL_PCT BREAK_P99_MS BREAK_MIN_REQUESTS (see locust/stepplan.py)
#
# OUT receives locust_stats.csv, locust_stats_history.csv (full history),
# locust_failures.csv, locust_exceptions.csv, locust_cpu.csv (CPU of every Locust
# process), report.html, locust.log (and worker-N.log), run.json, summary.md,
# requests_per_second.png, response_times.png, failures.png and, for the step
# shape, step_report.json.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3

die() {
    echo "loadtest: $*" >&2
    exit 2
}

SCENARIO=${SCENARIO:-original}
d_users='' d_rate='' d_time='' d_wait=1-2 d_shape='' d_fail=1
case "$SCENARIO" in
    # continuous: the original measurement's users sent their next request as soon
    # as the previous answer came (387 requests/s from 50 users, see above)
    original) d_users=50 d_rate=3 d_time=2m d_wait=0 ;;
    course-5) d_users=5 d_rate=1 d_time=2m ;;
    course-20) d_users=20 d_rate=2 d_time=3m ;;
    step) d_shape=step d_wait=0.1-0.5 d_fail=0 ;;
    *) die "unknown SCENARIO '$SCENARIO' (expected original, course-5, course-20 or step)" ;;
esac

user_users=${USERS:-} user_rate=${SPAWN_RATE:-} user_time=${RUN_TIME:-}
HOST=${HOST:-http://127.0.0.1:8080}
SHAPE=${SHAPE:-$d_shape}
USERS=${USERS:-$d_users}
SPAWN_RATE=${SPAWN_RATE:-$d_rate}
RUN_TIME=${RUN_TIME:-$d_time}
WAIT_TIME=${WAIT_TIME:-$d_wait}
FAIL_ON_FAILURES=${FAIL_ON_FAILURES:-$d_fail}
WORKERS=${WORKERS:-0}
REMOTE_WORKERS=${REMOTE_WORKERS:-0}
MASTER_BIND=${MASTER_BIND:-127.0.0.1}
MASTER_PORT=${MASTER_PORT:-}
FEATURES=${FEATURES:-auto}
OUT=${OUT:-reports/$(date -u +%Y%m%d-%H%M%S)-$SCENARIO}

# ---------------------------------------------------------------- validation
[[ "$HOST" =~ ^https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?(/[^[:space:]]*)?$ ]] ||
    die "HOST '$HOST' is not a URL like http://127.0.0.1:8080 or https://abc.execute-api.us-east-1.amazonaws.com/prod"
HOST=${HOST%/}
[[ "$WAIT_TIME" =~ ^[0-9]+(\.[0-9]+)?(-[0-9]+(\.[0-9]+)?)?$ ]] ||
    die "WAIT_TIME '$WAIT_TIME' is not SECONDS or MIN-MAX (e.g. 1-2)"
[[ "$FAIL_ON_FAILURES" =~ ^[01]$ ]] || die "FAIL_ON_FAILURES '$FAIL_ON_FAILURES' must be 0 or 1"
[[ "$WORKERS" =~ ^([0-9]|[1-5][0-9]|6[0-4])$ ]] ||
    die "WORKERS '$WORKERS' must be a whole number 0..64 (0: one Locust process)"
[[ "$REMOTE_WORKERS" =~ ^([0-9]|[1-9][0-9]{1,2})$ ]] ||
    die "REMOTE_WORKERS '$REMOTE_WORKERS' must be a whole number 0..999"
[[ "$MASTER_BIND" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] ||
    die "MASTER_BIND '$MASTER_BIND' must be an IPv4 address (127.0.0.1, or 0.0.0.0 for workers on other machines)"
if [[ -n "$MASTER_PORT" ]]; then
    if [[ ! "$MASTER_PORT" =~ ^[1-9][0-9]{0,4}$ ]] || (( MASTER_PORT > 65534 )); then
        die "MASTER_PORT '$MASTER_PORT' must be a port 1..65534 (Locust also uses the next one)"
    fi
fi
[[ "$FEATURES" =~ ^(auto|0|1)$ ]] || die "FEATURES '$FEATURES' must be auto, 0 or 1"
[[ -n "$OUT" && "$OUT" != */ ]] || die "OUT '$OUT' must name a directory (no trailing slash)"
if [[ -e "$OUT/locust_stats.csv" ]]; then
    die "OUT '$OUT' already holds a run; choose a new OUT"
fi

shape_file=''
if [[ -n "$SHAPE" ]]; then
    case "$SHAPE" in
        step) shape_file="$HERE/step_shape.py" ;;
        *.py) shape_file=$SHAPE ;;
        *) die "SHAPE '$SHAPE' is neither 'step' nor a .py file" ;;
    esac
    [[ -f "$shape_file" ]] || die "SHAPE file '$shape_file' does not exist"
    # a shape decides users, spawn rate and duration itself
    [[ -z "${user_users}${user_rate}${user_time}" ]] ||
        die "USERS, SPAWN_RATE and RUN_TIME do not apply to a SHAPE run (the shape sets them; see STEP_* settings)"
    limit=${STEP_TIME_LIMIT:-600}
    [[ "$limit" =~ ^[1-9][0-9]*$ ]] || die "STEP_TIME_LIMIT '$limit' must be a whole number of seconds"
    run_seconds=$limit
    USERS='' SPAWN_RATE='' RUN_TIME=''
else
    [[ "$USERS" =~ ^[1-9][0-9]{0,5}$ ]] || die "USERS '$USERS' must be a whole number 1..999999"
    if [[ ! "$SPAWN_RATE" =~ ^([0-9]+(\.[0-9]*)?|\.[0-9]+)$ || "$SPAWN_RATE" =~ ^[0.]+$ ]]; then
        die "SPAWN_RATE '$SPAWN_RATE' must be a number > 0 (users started per second)"
    fi
    if [[ "$RUN_TIME" =~ ^[0-9]+$ ]]; then
        run_seconds=$RUN_TIME
    elif [[ "$RUN_TIME" =~ ^(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?$ && -n "$RUN_TIME" ]]; then
        run_seconds=$(( 10#${BASH_REMATCH[2]:-0} * 3600 + 10#${BASH_REMATCH[4]:-0} * 60 + 10#${BASH_REMATCH[6]:-0} ))
    else
        die "RUN_TIME '$RUN_TIME' is not a duration like 20s, 2m, 1h30m"
    fi
    (( run_seconds > 0 )) || die "RUN_TIME '$RUN_TIME' must be longer than 0 s"
fi

# ---------------------------------------------------------------- prerequisites
PROG=loadtest "$HERE/ensure-deps.sh" locust matplotlib

# settings read by the locustfile and the step shape, checked before Locust starts
if ! reason=$(WAIT_TIME=$WAIT_TIME USE_STEP=${shape_file:+1} "$PY" - "$HERE" <<'EOF' 2>&1
import os, sys
sys.path.insert(0, sys.argv[1])
import searchcheck, stepplan
try:
    searchcheck.parse_wait_time(os.environ["WAIT_TIME"])
    limit = os.environ.get("EXPECT_DEFAULT_LIMIT", "20")
    if not (limit.isdigit() and 1 <= int(limit) <= 100):
        raise ValueError("EXPECT_DEFAULT_LIMIT %r must be an integer in 1..100" % limit)
    seed = os.environ.get("LOCUST_SEED", "")
    if seed and not seed.isdigit():
        raise ValueError("LOCUST_SEED %r must be a whole number" % seed)
    if os.environ.get("USE_STEP"):
        stepplan.StepConfig.from_env()
except ValueError as exc:
    sys.exit(str(exc))
EOF
); then
    die "$(tail -n 1 <<<"$reason")"
fi

if ! reason=$("$PY" - "$HOST/health" <<'EOF' 2>&1
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as resp:
        resp.read()
except urllib.error.HTTPError as exc:
    sys.exit("answered HTTP %d" % exc.code)
except Exception as exc:  # connection refused, DNS, timeout, TLS
    sys.exit(str(getattr(exc, "reason", exc)))
EOF
); then
    die "HOST $HOST is not ready: GET /health $(tail -n 1 <<<"$reason")"
fi

if [[ "$FEATURES" == auto ]]; then
    # one request with facets: a service with the search parameters beyond q and
    # limit answers with a "facets" object; one without them ignores the parameter
    FEATURES=$("$PY" - "$HOST/products/search?q=a&limit=1&facets=category" <<'EOF' 2>/dev/null || echo 0
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as resp:
    body = json.loads(resp.read().decode("utf-8"))
print(1 if isinstance(body, dict) and isinstance(body.get("facets"), dict) else 0)
EOF
)
    features_why="auto: the target $([[ "$FEATURES" == 1 ]] && echo answers || echo does not answer) facets=category"
else
    features_why="FEATURES=$FEATURES"
fi
export FEATURES

mkdir -p "$OUT" || die "cannot create OUT directory '$OUT'"
LABEL=${LABEL:-$(basename "$OUT")}
locust_version=$(dpkg-query -W -f '${Version}' python3-locust 2>/dev/null || echo unknown)
git_commit=$(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)

command_line="make loadtest HOST=$HOST SCENARIO=$SCENARIO"
if [[ -n "$shape_file" ]]; then
    command_line+=" SHAPE=$SHAPE"
else
    command_line+=" USERS=$USERS SPAWN_RATE=$SPAWN_RATE RUN_TIME=$RUN_TIME"
fi
command_line+=" WAIT_TIME=$WAIT_TIME"
(( WORKERS > 0 )) && command_line+=" WORKERS=$WORKERS"
(( REMOTE_WORKERS > 0 )) && command_line+=" REMOTE_WORKERS=$REMOTE_WORKERS MASTER_BIND=$MASTER_BIND"
command_line+=" OUT=$OUT"

if (( WORKERS + REMOTE_WORKERS > 0 )); then
    generator="Locust $locust_version (Debian python3-locust), FastHttpUser, distributed: one master and"
    (( WORKERS > 0 )) && generator+=" $WORKERS local worker process(es)"
    (( WORKERS > 0 && REMOTE_WORKERS > 0 )) && generator+=" +"
    (( REMOTE_WORKERS > 0 )) && generator+=" $REMOTE_WORKERS worker(s) on other machines"
else
    generator="Locust $locust_version (Debian python3-locust), FastHttpUser, one process"
fi

write_meta() {
    LT_LABEL=$LABEL LT_HOST=$HOST LT_SCENARIO=$SCENARIO LT_SHAPE=$SHAPE LT_USERS=$USERS \
    LT_SPAWN_RATE=$SPAWN_RATE LT_RUN_TIME=$RUN_TIME LT_WAIT=$WAIT_TIME \
    LT_LOCUST=$generator LT_WORKERS=$WORKERS LT_REMOTE=$REMOTE_WORKERS \
    LT_FEATURES=$FEATURES LT_FEATURES_WHY=$features_why \
    LT_COMMIT=$git_commit LT_COMMAND=$command_line LT_STATUS=${1:-} LT_CPU_WARNING=${2:-} \
    "$PY" - "$OUT/run.json" <<'EOF'
import datetime, json, os, sys
path = sys.argv[1]
meta = {}
if os.path.exists(path):
    with open(path, encoding="utf-8") as handle:
        meta = json.load(handle)
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
env = os.environ
meta.update({
    "label": env["LT_LABEL"], "host": env["LT_HOST"], "scenario": env["LT_SCENARIO"],
    "shape": env["LT_SHAPE"] or None, "users": int(env["LT_USERS"]) if env["LT_USERS"] else None,
    "spawn_rate": env["LT_SPAWN_RATE"] or None, "run_time": env["LT_RUN_TIME"] or None,
    "wait_time": env["LT_WAIT"], "generator": env["LT_LOCUST"], "git_commit": env["LT_COMMIT"],
    "workers": int(env["LT_WORKERS"]), "remote_workers": int(env["LT_REMOTE"]),
    "features": env["LT_FEATURES"] == "1", "features_decided_by": env["LT_FEATURES_WHY"],
    "command": env["LT_COMMAND"],
})
try:
    with open("/proc/loadavg", encoding="ascii") as handle:
        loadavg = " ".join(handle.read().split()[:3])
except OSError:
    loadavg = None
if env["LT_STATUS"]:
    meta["finished_at"] = now
    meta["load_average_at_end"] = loadavg
    meta["locust_exit_status"] = int(env["LT_STATUS"])
    # Locust's own warnings: "CPU usage above 90%" (a process), "exceeded cpu threshold" (a worker)
    meta["locust_cpu_warning"] = env["LT_CPU_WARNING"] == "1"
else:
    meta["started_at"] = now
    meta["load_average_at_start"] = loadavg
    meta["cpus"] = os.cpu_count()
with open(path, "w", encoding="utf-8") as handle:
    json.dump(meta, handle, indent=2)
    handle.write("\n")
EOF
}

# ---------------------------------------------------------------- run
locustfiles="$HERE/locustfile.py"
args=(--headless -H "$HOST" --csv "$OUT/locust" --csv-full-history --html "$OUT/report.html"
      --only-summary --exit-code-on-error 1)
if [[ -n "$shape_file" ]]; then
    locustfiles+=",$shape_file"
    export STEP_REPORT="$OUT/step_report.json"
    load="shape $SHAPE (at most ${run_seconds}s)"
else
    args+=(-u "$USERS" -r "$SPAWN_RATE" -t "${run_seconds}s")
    load="$USERS users, spawn $SPAWN_RATE/s, ${run_seconds}s"
fi
export WAIT_TIME
export LOCUST_CPU_CSV="$OUT/locust_cpu.csv"
# the version master and workers exchange (Debian's package leaves Locust's empty)
LOCUST_VERSION=${locust_version%%-*}
[[ "$LOCUST_VERSION" =~ ^[0-9]+\.[0-9]+ ]] || LOCUST_VERSION=''
export LOCUST_VERSION

worker_pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
stop_workers() {
    local pid
    for pid in "${worker_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
}
expected_workers=$(( WORKERS + REMOTE_WORKERS ))
master_wait=0
if (( expected_workers > 0 )); then
    master_wait=120
    if [[ -z "$MASTER_PORT" ]]; then
        # a free port whose successor is free too (Locust's master binds both)
        MASTER_PORT=$("$PY" - <<'EOF'
import socket
for _ in range(50):
    with socket.socket() as first:
        first.bind(("127.0.0.1", 0))
        port = first.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket() as second:
                second.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
    print(port)
    break
EOF
)
    fi
    args+=(--master --master-bind-host "$MASTER_BIND" --master-bind-port "$MASTER_PORT"
           --expect-workers "$expected_workers" --expect-workers-max-wait "$master_wait")
    load+=", master on $MASTER_BIND:$MASTER_PORT with $expected_workers worker(s)"
    trap stop_workers EXIT
    worker_master_host=$MASTER_BIND
    [[ "$MASTER_BIND" == 0.0.0.0 ]] && worker_master_host=127.0.0.1
    for (( i = 1; i <= WORKERS; i++ )); do
        # bounded like the master; a worker quits when the master tells it to
        timeout --signal=TERM --kill-after=30 "$(( run_seconds + 90 + master_wait + 30 ))" \
            "$PY" -m locust -f "$locustfiles" --worker --master-host "$worker_master_host" \
            --master-port "$MASTER_PORT" >"$OUT/worker-$i.log" 2>&1 &
        worker_pids+=("$!")
    done
fi
echo "loadtest: $HOST, $load, wait ${WAIT_TIME}s, search features $([[ $FEATURES == 1 ]] && echo on || echo off) ($features_why) -> $OUT"

write_meta
set +e
# bounded: Locust stops itself at RUN_TIME (or the shape's limit); the timeout is a
# safety net (plus the wait for workers to connect in distributed mode)
timeout --signal=TERM --kill-after=30 "$(( run_seconds + 90 + master_wait ))" \
    "$PY" -m locust -f "$locustfiles" "${args[@]}" 2>&1 | tee "$OUT/locust.log"
rc=${PIPESTATUS[0]}
set -e
for pid in "${worker_pids[@]}"; do
    # workers leave when the master quits; give them 5 s, then stop them
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
cpu_warning=0
if cat "$OUT/locust.log" "$OUT"/worker-*.log 2>/dev/null |
        grep -qE 'CPU usage above [0-9]+%|exceeded cpu threshold'; then
    cpu_warning=1
fi
write_meta "$rc" "$cpu_warning"

case "$rc" in
    0 | 1) ;;
    124 | 137) die "locust did not stop in time (killed after $(( run_seconds + 90 + master_wait ))s); see $OUT/locust.log" ;;
    *) die "locust exited with status $rc; see $OUT/locust.log" ;;
esac

"$PY" "$HERE/loadreport.py" summary "$OUT" >/dev/null ||
    die "could not write $OUT/summary.md (see the error above)"

echo
sed -n '/^| Type /,/^$/p' "$OUT/summary.md"
if [[ -f "$OUT/step_report.json" ]]; then
    grep -E '^\*\*(Breaking point|No breaking point)' "$OUT/summary.md" || true
fi
echo "loadtest: report in $OUT/summary.md (charts: $OUT/*.png, Locust HTML: $OUT/report.html)"

exceptions=$(( $(wc -l <"$OUT/locust_exceptions.csv") - 1 ))
if (( exceptions > 0 )); then
    echo "loadtest: locustfile raised $exceptions kind(s) of exception; see $OUT/locust_exceptions.csv" >&2
    exit 1
fi
failures=$(awk -F, 'END { print $4 }' "$OUT/locust_stats.csv")
if [[ "$failures" != 0 ]]; then
    echo "loadtest: $failures request(s) failed; see $OUT/summary.md" >&2
    [[ "$FAIL_ON_FAILURES" == 1 ]] && exit 1
fi
exit 0
