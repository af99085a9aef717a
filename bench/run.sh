#!/usr/bin/env bash
# bench/run.sh: the the performance targets benchmarks, side by side with their
# yardsticks.
#
# Contenders: product-search (build/product-search), the ceiling (a bare
# libmicrohttpd program answering a constant body, bench/ceiling.c) and nginx
# (Debian's, serving the same body as a static file). Server on CPU 0 with one
# thread, wrk on CPU 1 with 50 keep-alive connections and bench/search.lua,
# interleaved rounds, medians. Then: time to ready, peak memory under load,
# the full-catalog scan time, and a 2-thread scaling table.
#
# the whole-catalog targets phases, each against the ceiling in interleaved rounds, on
# the seeded query mixes of bench/mixes.py (10,000 requests each):
#   features  the features mix in default mode (SCAN_LIMIT=100)
#   whole     SCAN_LIMIT=0: text and features mixes at 100,000 products, text
#             mix at 1,000,000; requests/s vs the ceiling, p50, p99, errors
#             and non-2xx, peak memory, time to ready and to index ready
#   relevance SCAN_LIMIT=0: the text mix ranked (sort=relevance), and ranked over
#             the four fields with highlights, at 100,000 and 1,000,000 products
#   typo      SCAN_LIMIT=0: the typo mix (misspelt words, typos=2&sort=relevance)
#             at 100,000 and 1,000,000 products
#   worst     search_time_ns medians of `product`, `a`, `1` and a miss, at
#             100,000 and 1,000,000 products (SCAN_LIMIT=0)
#   snapshot  --write-snapshot at 100,000 and 1,000,000 products (build and write
#             time, file size, peak memory), time to ready from SNAPSHOT_FILE
#             (and anonymous memory then), the text mix served from it
#   fts5      the text mix in-process on SQLite FTS5 trigram (bench/fts5.c)
#             beside product-search's search_time_ns for the same queries
#   reload    SPEC 9: RELOADS reloads (rename + SIGHUP) of a 100,000-product
#             file alternating two contents, under wrk's CONNECTIONS
#             connections, then the same load as long without reloads, ROUNDS
#             times: errors and non-2xx, median p99 of each, resident memory
#             sampled every 10 ms (peak against old + new)
#   readiness SPEC 9: a whole-catalog start at READINESS_PRODUCTS products
#             with requests from its first moment (8 clients on the features
#             mix, /health every 10 ms): every search answer must be 503 or
#             under 50 ms of server time (ACCESS_LOG's duration_us)
# BENCH_10M=1 runs only the 10,000,000-product measurement (ready, index
# build, peak memory, search_time over the text mix, one query at a time)
# and writes results-10m.*.
#
# Loopback only; inside a private network namespace when `unshare -n` works.
# Writes results.md, results.json and results.png under bench/results/
# (bench/results/tmp/ for smoke runs), prints the table.
# Exit status: 0, or 1 when a contender had errors or crashed (never on
# timing), 2 on bad settings or missing tools.
#
# Settings (environment):
#   BENCH_SMOKE=1       a few seconds per phase (CI); results go to results/tmp
#   DURATION=10         seconds per measured wrk run (after a WARMUP=2 s run)
#   ROUNDS=3            interleaved rounds of the main table
#   CONNECTIONS=50      wrk connections in the main table
#   SCALE_CONNECTIONS="50 500 2000"   connections for the THREADS=2 table
#   CONTENDERS="product-search ceiling nginx"
#   READY_RUNS=7        starts for the time-to-ready median
#   SCAN_REQUESTS=200   requests per query for the full-catalog scan median
#   CATALOG_SIZES=100000,1000000   PRODUCTS_FILE catalogs to load (JSON Lines)
#   CATALOG_RUNS=3      loads of each catalog file, for the median load time
#   RESULTS_DIR=bench/results
#   BENCH_NETNS=off     stay on the host's loopback (no private namespace)
#   PHASES="main ready scan catalog features whole relevance typo snapshot worst fts5
#           scale reload readiness"
#                       the phases to run, a subset of these
#   RELOADS=10          reloads in the reload phase
#   READINESS_PRODUCTS=1000000   catalog size of the readiness phase
#   MIX_SEED=7          seed of the whole-catalog query mixes
#   FTS5_QUERIES=10000  queries of the text mix in the FTS5 comparison
#   INDEX_TIMEOUT=120   seconds to wait for product_search_index_ready 1 on
#                       /metrics after /health turns 200 (when it exists)
#   BENCH_10M=1         only the 10,000,000-product measurement
#   TENM_QUERIES=1000   text-mix queries sent one at a time at 10,000,000
set -euo pipefail

# The script is one { } block: bash parses it whole before running it, so
# editing this file while a benchmark runs cannot derail that run.
{
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/bench/run.sh"
PY=/usr/bin/python3
SERVER="$ROOT/build/product-search"
CEILING="$ROOT/build/bench/ceiling"

die() { echo "bench: $*" >&2; exit 2; }
note() { echo "bench: $*" >&2; }

if [[ ${BENCH_SMOKE:-0} == 1 ]]; then
    : "${DURATION:=2}" "${WARMUP:=1}" "${ROUNDS:=1}" "${READY_RUNS:=2}"
    : "${SCAN_REQUESTS:=10}" "${RESULTS_DIR:=$ROOT/bench/results/tmp}"
    : "${CATALOG_SIZES:=100000}" "${CATALOG_RUNS:=1}" "${FTS5_QUERIES:=200}"
    : "${RELOADS:=2}" "${READINESS_PRODUCTS:=100000}"
else
    : "${DURATION:=10}" "${WARMUP:=2}" "${ROUNDS:=3}" "${READY_RUNS:=7}"
    : "${SCAN_REQUESTS:=200}" "${RESULTS_DIR:=$ROOT/bench/results}"
    : "${CATALOG_SIZES:=100000,1000000}" "${CATALOG_RUNS:=3}" "${FTS5_QUERIES:=10000}"
    : "${RELOADS:=10}" "${READINESS_PRODUCTS:=1000000}"
fi
: "${CONNECTIONS:=50}" "${SCALE_CONNECTIONS:=50 500 2000}"
: "${CONTENDERS:=product-search ceiling nginx}"
: "${MIX_SEED:=7}" "${INDEX_TIMEOUT:=120}" "${BENCH_10M:=0}" "${TENM_QUERIES:=1000}"
ALL_PHASES="main ready scan catalog features whole relevance typo snapshot worst fts5 scale reload readiness"
if [[ $BENCH_10M == 1 ]]; then
    PHASES=10m REPORT_NAME=results-10m
else
    : "${PHASES:=$ALL_PHASES}"
    REPORT_NAME=results
fi

# The server's own settings (the configuration) must not leak in from the
# caller's environment: each start below sets what it needs explicitly.
unset PORT BIND THREADS PRODUCT_COUNT SCAN_LIMIT MAX_RESULTS CONN_LIMIT \
    CONN_TIMEOUT_S DRAIN_S ACCESS_LOG PRODUCTS_FILE RELOAD_S

[[ $CATALOG_SIZES =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
    die "CATALOG_SIZES must be a comma-separated list of product counts, got '$CATALOG_SIZES'"
[[ $BENCH_10M =~ ^[01]$ ]] || die "BENCH_10M must be 0 or 1, got '$BENCH_10M'"
[[ $MIX_SEED =~ ^[0-9]+$ ]] || die "MIX_SEED must be a non-negative integer, got '$MIX_SEED'"
for setting in DURATION WARMUP ROUNDS READY_RUNS SCAN_REQUESTS CONNECTIONS CATALOG_RUNS \
    FTS5_QUERIES INDEX_TIMEOUT TENM_QUERIES RELOADS READINESS_PRODUCTS; do
    [[ ${!setting} =~ ^[1-9][0-9]*$ ]] ||
        die "$setting must be a positive integer, got '${!setting}'"
done
for c in $SCALE_CONNECTIONS; do
    [[ $c =~ ^[1-9][0-9]*$ ]] || die "SCALE_CONNECTIONS: '$c' is not a positive integer"
done
read -r -a CONTENDER_LIST <<<"$CONTENDERS"
[[ ${#CONTENDER_LIST[@]} -gt 0 ]] || die "CONTENDERS is empty"
for c in "${CONTENDER_LIST[@]}"; do
    case $c in
    product-search | ceiling | nginx) ;;
    *) die "CONTENDERS: unknown contender '$c' (product-search, ceiling, nginx)" ;;
    esac
done
has_contender() { [[ " $CONTENDERS " == *" $1 "* ]]; }
read -r -a PHASE_LIST <<<"$PHASES"
[[ ${#PHASE_LIST[@]} -gt 0 ]] || die "PHASES is empty"
for p in "${PHASE_LIST[@]}"; do
    [[ " $ALL_PHASES 10m " == *" $p "* ]] ||
        die "PHASES: unknown phase '$p' ($ALL_PHASES)"
done
has_phase() { [[ " $PHASES " == *" $1 "* ]]; }
# The whole-catalog phases measure product-search against the ceiling.
if has_phase features || has_phase whole || has_phase relevance || has_phase typo ||
    has_phase snapshot || has_phase worst || has_phase fts5 || has_phase 10m ||
    has_phase reload || has_phase readiness; then
    has_contender product-search ||
        die "PHASES '$PHASES' measure product-search: add it to CONTENDERS"
fi

# --- 1. Build, then re-enter in a private network namespace ---------------
if [[ -z ${BENCH_REEXEC:-} ]]; then
    for tool in wrk taskset curl cc pkg-config; do
        command -v "$tool" >/dev/null || die "$tool not found (apt-get install wrk util-linux curl gcc pkg-config)"
    done
    if has_contender nginx; then
        command -v nginx >/dev/null || die "nginx not found (apt-get install nginx-light)"
    fi
    "$PY" -c 'import matplotlib' 2>/dev/null ||
        die "$PY cannot import matplotlib (apt-get install python3-matplotlib)"
    if has_phase fts5; then
        pkg-config --exists sqlite3 libcjson 2>/dev/null ||
            die "the fts5 phase needs SQLite's and cJSON's headers (apt-get install libsqlite3-dev libcjson-dev)"
    fi
    if has_contender product-search; then
        echo "bench: building build/product-search (make)"
        make -C "$ROOT" -s >/dev/null || die "make failed; build/product-search is needed"
        [[ -x $SERVER ]] || die "make did not produce $SERVER"
    fi
    echo "bench: building build/bench/ceiling"
    mkdir -p "$ROOT/build/bench"
    # shellcheck disable=SC2046 # pkg-config prints several words on purpose
    cc -std=c11 -O2 -g -Wall -Wextra -Wpedantic $(pkg-config --cflags libmicrohttpd) \
        -o "$CEILING" "$ROOT/bench/ceiling.c" $(pkg-config --libs libmicrohttpd) -pthread ||
        die "cannot compile bench/ceiling.c (apt-get install libmicrohttpd-dev)"
    if has_phase fts5; then
        echo "bench: building build/bench/fts5"
        # shellcheck disable=SC2046 # pkg-config prints several words on purpose
        cc -std=c11 -O2 -g -Wall -Wextra -Wpedantic $(pkg-config --cflags sqlite3 libcjson) \
            -o "$ROOT/build/bench/fts5" "$ROOT/bench/fts5.c" $(pkg-config --libs sqlite3 libcjson) ||
            die "cannot compile bench/fts5.c (apt-get install libsqlite3-dev libcjson-dev)"
    fi

    if [[ ${BENCH_NETNS:-auto} != off ]] && command -v ip >/dev/null &&
        unshare -n true 2>/dev/null; then
        exec unshare -n env BENCH_REEXEC=1 BENCH_NETNS=private "$SELF" "$@"
    fi
    if [[ ${BENCH_NETNS:-auto} == off ]]; then
        BENCH_NETNS="host loopback (BENCH_NETNS=off)"
    else
        BENCH_NETNS="host loopback (unshare -n unavailable)"
        note "unshare -n is not available here: running on the host's loopback (other local traffic can disturb the figures)"
    fi
fi
if [[ $BENCH_NETNS == private ]]; then
    ip link set lo up || die "cannot bring lo up in the private network namespace"
fi

# --- 2. Machine set-up ----------------------------------------------------
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt 4500 ]]; then
    note "open files limited to $(ulimit -n): the 2,000-connection runs may fail"
fi
if [[ $(nproc) -ge 2 ]]; then
    SERVER_CPU=0 CLIENT_CPU=1
else
    SERVER_CPU=0 CLIENT_CPU=0
    note "only one CPU: server and wrk share it"
fi

LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
chmod 755 "$WORK" # nginx workers may run as another user and read body.json
RUNS="$WORK/runs.jsonl"
: >"$RUNS"
: >"$WORK/notes.txt"
CPID=""
# shellcheck disable=SC2317 # called by the EXIT trap below
cleanup() {
    if [[ -n $CPID ]] && kill -0 "$CPID" 2>/dev/null; then
        kill -TERM "$CPID" 2>/dev/null || true
        wait "$CPID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# json_put OBJECT KEY VALUE: prints the JSON OBJECT with KEY set to the JSON VALUE.
json_put() {
    "$PY" -c 'import json, sys
m = json.loads(sys.argv[1])
m[sys.argv[2]] = json.loads(sys.argv[3])
print(json.dumps(m))' "$1" "$2" "$3"
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_contender NAME THREADS PIN(yes|no) PORT [VAR=VALUE...]: starts it in
# the background, sets CPID, waits until /health answers 200.
start_contender() {
    local name=$1 threads=$2 pin=$3 port=$4
    shift 4
    local -a prefix=()
    [[ $pin == yes ]] && prefix=(taskset -c "$SERVER_CPU")
    local log="$WORK/$name.log"
    case $name in
    product-search)
        env THREADS="$threads" PORT="$port" BIND=127.0.0.1 "$@" \
            "${prefix[@]}" "$SERVER" >"$log" 2>&1 &
        ;;
    ceiling)
        "${prefix[@]}" "$CEILING" --port "$port" --threads "$threads" \
            "$WORK/body.json" >"$log" 2>&1 &
        ;;
    nginx)
        local affinity="# no CPU affinity"
        if [[ $pin == yes ]]; then
            # nginx reads the mask as binary digits, CPU 0 rightmost.
            local mask=1 i
            for ((i = 0; i < SERVER_CPU; i++)); do mask+=0; done
            affinity="worker_cpu_affinity $mask;"
        fi
        sed -e "s|@PREFIX@|$WORK|g" -e "s|@PORT@|$port|g" \
            -e "s|@WORKERS@|$threads|g" -e "s|@CPU_AFFINITY@|$affinity|g" \
            "$ROOT/bench/nginx.conf" >"$WORK/nginx.conf"
        "${prefix[@]}" nginx -p "$WORK" -c "$WORK/nginx.conf" >"$log" 2>&1 &
        ;;
    esac
    CPID=$!
    local i
    for ((i = 0; i < 12000; i++)); do
        if curl -fs -o /dev/null "http://127.0.0.1:$port/health"; then
            # Measure the index, not the scan that answers while it builds
            # (only a whole-catalog window builds one).
            if [[ $name == product-search && " $* " == *" SCAN_LIMIT=0 "* ]] &&
                ! "$PY" "$ROOT/bench/measure.py" index-wait --timeout "$INDEX_TIMEOUT" \
                    "$port" >/dev/null; then
                echo "bench: $name: no product_search_index_ready 1 within $INDEX_TIMEOUT s" >&2
                return 1
            fi
            return 0
        fi
        if ! kill -0 "$CPID" 2>/dev/null; then
            echo "bench: $name exited during start-up:" >&2
            tail -n 5 "$log" >&2
            CPID=""
            return 1
        fi
        sleep 0.01
    done
    echo "bench: $name did not answer /health within 120 s" >&2
    return 1
}

# stop_contender NAME: SIGTERM, and require exit status 0. Returns 1 when the
# process had already died (a crash) or exited with another status.
stop_contender() {
    local name=$1 status=0
    if ! kill -0 "$CPID" 2>/dev/null; then
        wait "$CPID" 2>/dev/null || status=$?
        echo "bench: $name died under load (status $status):" >&2
        tail -n 5 "$WORK/$name.log" >&2
        CPID=""
        return 1
    fi
    kill -TERM "$CPID"
    wait "$CPID" || status=$?
    CPID=""
    if [[ $status -ne 0 ]]; then
        echo "bench: $name exited with status $status after SIGTERM:" >&2
        tail -n 5 "$WORK/$name.log" >&2
        return 1
    fi
}

# bench_one PHASE ROUND NAME THREADS PIN CONNECTIONS [MIX [VAR=VALUE...]]: one
# wrk run against a fresh contender, appended to $RUNS as one JSON line. MIX
# is a file of request paths (bench/mixes.py), empty for the default mix; the
# VAR=VALUE settings go to product-search only.
bench_one() {
    local phase=$1 round=$2 name=$3 threads=$4 pin=$5 conns=$6 mix=${7:-}
    shift 6
    if [[ $# -gt 0 ]]; then shift; fi
    local port wrk_threads=1 result crashed=false hwm=null
    local -a wrk_prefix=(env BENCH_MIX="$mix")
    port=$(free_port)
    [[ $pin == yes ]] && wrk_prefix+=(taskset -c "$CLIENT_CPU")
    [[ $pin == no ]] && wrk_threads=2
    printf 'bench: %-19s round %s  %-15s THREADS=%s  %5s connections ... ' \
        "$phase" "$round" "$name" "$threads" "$conns"
    if ! start_contender "$name" "$threads" "$pin" "$port" "$@"; then
        echo "did not start"
        printf '{"phase":"%s","round":%s,"contender":"%s","threads":%s,"connections":%s,"crashed":true,"wrk":null,"vmhwm_kb":null}\n' \
            "$phase" "$round" "$name" "$threads" "$conns" >>"$RUNS"
        return 0
    fi
    local url="http://127.0.0.1:$port"
    if [[ $round == 1 && $phase == main ]] &&
        ! curl -sv -o /dev/null -o /dev/null "$url/health" "$url/health" 2>&1 | grep -q 'Re-using'; then
        echo "$name closed a keep-alive connection after one request (it answered Connection: close), so wrk reconnects for every request" |
            tee -a "$WORK/notes.txt" | sed 's/^/bench: WARNING: /' >&2
    fi
    local -a wrk_cmd=(wrk "-t$wrk_threads" "-c$conns" --timeout 5s -s "$ROOT/bench/search.lua")
    "${wrk_prefix[@]}" "${wrk_cmd[@]}" "-d${WARMUP}s" "$url" >/dev/null 2>&1 || true
    "${wrk_prefix[@]}" "${wrk_cmd[@]}" "-d${DURATION}s" "$url" >"$WORK/wrk.out" 2>&1 || true
    result=$(sed -n 's/^BENCH_RESULT //p' "$WORK/wrk.out")
    if [[ -z $result ]]; then
        echo "bench: wrk gave no result:" >&2
        cat "$WORK/wrk.out" >&2
        result=null
    fi
    # nginx spreads over a master and workers; the two libmicrohttpd
    # programs are one process each, so their VmHWM compares directly.
    if [[ $name != nginx && -r /proc/$CPID/status ]]; then
        hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$CPID/status")
    fi
    stop_contender "$name" || crashed=true
    # product-search's index_ready log line: build time, index and dictionary sizes
    local index_log
    index_log=$(grep -m1 '"event":"index_ready"' "$WORK/$name.log" 2>/dev/null) || index_log=null
    printf '{"phase":"%s","round":%s,"contender":"%s","threads":%s,"connections":%s,"crashed":%s,"wrk":%s,"vmhwm_kb":%s,"index_log":%s}\n' \
        "$phase" "$round" "$name" "$threads" "$conns" "$crashed" "$result" "$hwm" "$index_log" >>"$RUNS"
    if [[ $result == null ]]; then
        echo "no result"
    else
        "$PY" -c 'import json, sys
r = json.loads(sys.argv[1])
errors = sum(v for k, v in r.items() if k.startswith("errors_"))
print("%9.0f req/s  p99 %6.2f ms  errors %d"
      % (r["requests"] * 1e6 / r["duration_us"], r["p99_us"] / 1000, errors))' "$result"
    fi
}

EXTRA="{}"
# --- 3. The body every yardstick answers: one real search response --------
# Also: does this server implement the search features (browsing a category without q)?
# Until it does, the features mix's q-less requests are answered 400.
SPEC6=unknown
if has_contender product-search; then
    port=$(free_port)
    start_contender product-search 1 yes "$port" || die "product-search does not start"
    curl -fsS -o "$WORK/body.json" "http://127.0.0.1:$port/products/search?q=alpha" ||
        die "product-search does not answer /products/search?q=alpha"
    if curl -fs -o /dev/null "http://127.0.0.1:$port/products/search?category=Books"; then
        SPEC6=yes
    else
        SPEC6=no
        if has_phase features || has_phase whole; then
            echo "this server does not implement the search features (GET /products/search?category=Books is not 200): the features mix's requests without q get 400, counted as non-2xx but not failing the run" |
                tee -a "$WORK/notes.txt" | sed 's/^/bench: NOTE: /' >&2
        fi
    fi
    stop_contender product-search || die "product-search did not stop cleanly"
else
    "$PY" "$ROOT/bench/measure.py" sample-body >"$WORK/body.json"
fi
chmod 644 "$WORK/body.json"
echo "bench: constant body for the yardsticks: $(wc -c <"$WORK/body.json") bytes (the answer to q=alpha)"

# The whole-catalog query mixes, per catalog size: $WORK/mix-N.{text,features}.paths
# and $WORK/mix-N.text.queries (bench/mixes.py, seeded).
MIXES="{}"
mix_sizes=()
if has_phase features || has_phase whole || has_phase relevance || has_phase typo ||
    has_phase snapshot || has_phase fts5; then
    mix_sizes+=(100000)
fi
if has_phase whole || has_phase relevance || has_phase typo || has_phase snapshot; then
    mix_sizes+=(1000000)
fi
if has_phase readiness && [[ " ${mix_sizes[*]} " != *" $READINESS_PRODUCTS "* ]]; then
    mix_sizes+=("$READINESS_PRODUCTS")
fi
if has_phase 10m; then mix_sizes+=(10000000); fi
for size in "${mix_sizes[@]}"; do
    echo "bench: whole-catalog query mixes for $size products (seed $MIX_SEED)"
    summary=$("$PY" "$ROOT/bench/mixes.py" --products "$size" --seed "$MIX_SEED" \
        "$WORK/mix-$size") || die "bench/mixes.py failed for $size products"
    MIXES=$(json_put "$MIXES" "$size" "$summary")
done

# --- 4. Main table: THREADS=1 pinned, interleaved rounds ------------------
if has_phase main; then
    for ((round = 1; round <= ROUNDS; round++)); do
        for name in "${CONTENDER_LIST[@]}"; do
            bench_one main "$round" "$name" 1 yes "$CONNECTIONS"
        done
    done
fi

# --- 5. Time to ready, full-catalog scan (product-search only) ------------
READY=null SCAN=null CATALOG=null
if has_contender product-search && has_phase ready; then
    port=$(free_port)
    echo "bench: time to ready, $READY_RUNS starts, 100,000 products"
    READY=$("$PY" "$ROOT/bench/measure.py" ready --runs "$READY_RUNS" "$port" -- \
        taskset -c "$SERVER_CPU" env THREADS=1 PRODUCT_COUNT=100000 PORT="$port" \
        BIND=127.0.0.1 "$SERVER") || READY='{"error":"failed"}'
fi
if has_contender product-search && has_phase scan; then
    echo "bench: full-catalog scan (SCAN_LIMIT=0), $SCAN_REQUESTS requests per query"
    port=$(free_port)
    if start_contender product-search 1 yes "$port" SCAN_LIMIT=0 PRODUCT_COUNT=100000; then
        SCAN=$("$PY" "$ROOT/bench/measure.py" scan --requests "$SCAN_REQUESTS" "$port") ||
            SCAN='{"error":"failed"}'
        stop_contender product-search || SCAN='{"error":"crashed"}'
    else
        SCAN='{"error":"did not start"}'
    fi
fi
if has_contender product-search && has_phase catalog; then
    echo "bench: catalog files (PRODUCTS_FILE, JSON Lines) of $CATALOG_SIZES products, $CATALOG_RUNS loads each"
    port=$(free_port)
    CATALOG=$("$PY" "$ROOT/bench/measure.py" catalog --sizes "$CATALOG_SIZES" \
        --runs "$CATALOG_RUNS" "$port" -- taskset -c "$SERVER_CPU" "$SERVER") ||
        CATALOG='{"error":"failed"}'
fi

# --- 6. features mix in default mode, whole catalog ---------------
# Interleaved rounds: each scenario's product-search run, then the ceiling's
# on the same mix, so both see the same requests and the same machine.
if has_phase features; then
    for ((round = 1; round <= ROUNDS; round++)); do
        bench_one features-100k "$round" product-search 1 yes "$CONNECTIONS" \
            "$WORK/mix-100000.features.paths" PRODUCT_COUNT=100000
        if has_contender ceiling; then
            bench_one features-100k "$round" ceiling 1 yes "$CONNECTIONS" \
                "$WORK/mix-100000.features.paths"
        fi
    done
fi
# whole_scenarios: phase, products, mix
whole_scenarios=("whole-text-100k 100000 text" "whole-features-100k 100000 features"
    "whole-text-1m 1000000 text")
READY_WHOLE="{}"
if has_phase whole; then
    for ((round = 1; round <= ROUNDS; round++)); do
        for scenario in "${whole_scenarios[@]}"; do
            read -r phase size mix <<<"$scenario"
            bench_one "$phase" "$round" product-search 1 yes "$CONNECTIONS" \
                "$WORK/mix-$size.$mix.paths" SCAN_LIMIT=0 PRODUCT_COUNT="$size"
            if has_contender ceiling; then
                bench_one "$phase" "$round" ceiling 1 yes "$CONNECTIONS" \
                    "$WORK/mix-$size.$mix.paths"
            fi
        done
    done
    for size in 100000 1000000; do
        echo "bench: time to ready and to index ready (SCAN_LIMIT=0), $READY_RUNS starts, $size products"
        port=$(free_port)
        ready=$("$PY" "$ROOT/bench/measure.py" ready --index --timeout "$INDEX_TIMEOUT" \
            --runs "$READY_RUNS" "$port" -- taskset -c "$SERVER_CPU" env THREADS=1 \
            SCAN_LIMIT=0 PRODUCT_COUNT="$size" PORT="$port" BIND=127.0.0.1 "$SERVER") ||
            ready='{"error":"failed"}'
        READY_WHOLE=$(json_put "$READY_WHOLE" "$size" "$ready")
    done
fi

# relevance_scenarios: phase, products, mix (bench/mixes.py)
relevance_scenarios=()
if has_phase relevance; then
    relevance_scenarios+=("relevance-100k 100000 relevance" "fields4-100k 100000 fields4"
        "relevance-1m 1000000 relevance" "fields4-1m 1000000 fields4")
fi
if has_phase typo; then
    relevance_scenarios+=("typo-100k 100000 typo" "typo-1m 1000000 typo")
fi
if ((${#relevance_scenarios[@]})); then
    for ((round = 1; round <= ROUNDS; round++)); do
        for scenario in "${relevance_scenarios[@]}"; do
            read -r phase size mix <<<"$scenario"
            bench_one "$phase" "$round" product-search 1 yes "$CONNECTIONS" \
                "$WORK/mix-$size.$mix.paths" SCAN_LIMIT=0 PRODUCT_COUNT="$size"
            if has_contender ceiling; then
                bench_one "$phase" "$round" ceiling 1 yes "$CONNECTIONS" \
                    "$WORK/mix-$size.$mix.paths"
            fi
        done
    done
fi

# snapshot_one SIZE: writes a snapshot of SIZE generated products, then
# measures starts from it; appends {"SIZE": {...}} to $SNAPSHOTS.
snapshot_one() {
    local size=$1 file="$WORK/snapshot-$1.snap" written ready port
    echo "bench: --write-snapshot, $size products"
    if written=$(env PRODUCT_COUNT="$size" "$SERVER" --write-snapshot "$file" 2>&1 |
        grep '"event":"snapshot_written"'); then
        echo "bench: time to ready from SNAPSHOT_FILE, $READY_RUNS starts, $size products"
        port=$(free_port)
        ready=$("$PY" "$ROOT/bench/measure.py" ready --index --timeout "$INDEX_TIMEOUT" \
            --runs "$READY_RUNS" "$port" -- taskset -c "$SERVER_CPU" env THREADS=1 \
            SNAPSHOT_FILE="$file" PORT="$port" BIND=127.0.0.1 "$SERVER") ||
            ready='{"error":"failed"}'
    else
        written='{"error":"failed"}' ready='{"error":"no snapshot"}'
    fi
    SNAPSHOTS=$(json_put "$SNAPSHOTS" "$size" "$(json_put "{}" written "$written")")
    SNAPSHOTS=$("$PY" -c 'import json, sys
s = json.loads(sys.argv[1]); s[sys.argv[2]]["ready"] = json.loads(sys.argv[3]); print(json.dumps(s))' \
        "$SNAPSHOTS" "$size" "$ready")
}

SNAPSHOTS="{}"
if has_phase snapshot; then
    for size in 100000 1000000; do
        snapshot_one "$size"
        phase=snapshot-text-$([[ $size == 100000 ]] && echo 100k || echo 1m)
        for ((round = 1; round <= ROUNDS; round++)); do
            if [[ -f $WORK/snapshot-$size.snap ]]; then
                bench_one "$phase" "$round" product-search 1 yes "$CONNECTIONS" \
                    "$WORK/mix-$size.text.paths" SNAPSHOT_FILE="$WORK/snapshot-$size.snap"
            fi
            if has_contender ceiling; then
                bench_one "$phase" "$round" ceiling 1 yes "$CONNECTIONS" \
                    "$WORK/mix-$size.text.paths"
            fi
        done
        rm -f "$WORK/snapshot-$size.snap"
    done
fi

# --- 7. worst single queries, FTS5 trigram ------------------------
WORST="{}"
if has_phase worst; then
    for size in 100000 1000000; do
        echo "bench: worst single queries (SCAN_LIMIT=0, $size products), $SCAN_REQUESTS requests each"
        port=$(free_port)
        if start_contender product-search 1 yes "$port" SCAN_LIMIT=0 PRODUCT_COUNT="$size"; then
            worst=$("$PY" "$ROOT/bench/measure.py" scan --requests "$SCAN_REQUESTS" \
                --queries product,a,1,zzzz-none "$port") || worst='{"error":"failed"}'
            stop_contender product-search || worst='{"error":"crashed"}'
        else
            worst='{"error":"did not start"}'
        fi
        WORST=$(json_put "$WORST" "$size" "$worst")
    done
fi
# FTS5 (in-process, on CPU 0 like the server) and product-search (the same
# queries over HTTP, its search_time_ns) take turns, one round each.
FTS5=null
if has_phase fts5; then
    echo "bench: SQLite FTS5 trigram vs product-search, text mix at 100,000 products, first $FTS5_QUERIES queries, $ROUNDS rounds"
    head -n "$FTS5_QUERIES" "$WORK/mix-100000.text.queries" >"$WORK/fts5.queries"
    PRODUCT_COUNT=100000 "$SERVER" --export-catalog >"$WORK/catalog-100000.jsonl" ||
        die "product-search --export-catalog failed"
    port=$(free_port)
    FTS5='{"error":"failed"}'
    if start_contender product-search 1 yes "$port" SCAN_LIMIT=0 PRODUCT_COUNT=100000; then
        fts5_ok=yes fts5_summary=""
        for ((round = 1; round <= ROUNDS; round++)); do
            printf 'bench: %-19s round %s  %-15s ... ' fts5 "$round" sqlite-fts5
            if fts5_summary=$(taskset -c "$SERVER_CPU" "$ROOT/build/bench/fts5" \
                "$WORK/catalog-100000.jsonl" "$WORK/fts5.queries" "$WORK/fts5-$round.out"); then
                echo "done"
            else
                echo "failed"
                fts5_ok=no
                break
            fi
            printf 'bench: %-19s round %s  %-15s ... ' fts5 "$round" product-search
            if taskset -c "$CLIENT_CPU" "$PY" "$ROOT/bench/measure.py" mix-times "$port" \
                --queries "$WORK/fts5.queries" --out "$WORK/ours-$round.out" >/dev/null; then
                echo "done"
            else
                echo "failed"
                fts5_ok=no
                break
            fi
        done
        if [[ $fts5_ok == yes ]]; then
            FTS5=$("$PY" "$ROOT/bench/measure.py" mix-compare --queries "$WORK/fts5.queries" \
                --ours "$WORK"/ours-*.out --fts5 "$WORK"/fts5-*.out \
                --fts5-summary "$fts5_summary") || FTS5='{"error":"failed"}'
        fi
        stop_contender product-search || FTS5='{"error":"crashed"}'
    fi
fi

# --- 7b. Reloads under load, readiness from the first moment -----------
RELOAD=null
if has_phase reload; then
    echo "bench: $ROUNDS x ($RELOADS reloads of a 100,000-product file under $CONNECTIONS connections, then the same load without)"
    port=$(free_port)
    RELOAD=$("$PY" "$ROOT/bench/measure.py" reload --reloads "$RELOADS" --rounds "$ROUNDS" \
        --connections "$CONNECTIONS" --warmup "$WARMUP" --lua "$ROOT/bench/search.lua" \
        --server-cpu "$SERVER_CPU" --client-cpu "$CLIENT_CPU" "$port" -- "$SERVER") ||
        RELOAD='{"error":"failed"}'
fi
READINESS=null
if has_phase readiness; then
    echo "bench: requests from the first moment of a whole-catalog start, $READINESS_PRODUCTS products"
    port=$(free_port)
    READINESS=$(taskset -c "$CLIENT_CPU" "$PY" "$ROOT/bench/measure.py" readiness \
        --paths "$WORK/mix-$READINESS_PRODUCTS.features.paths" --timeout "$INDEX_TIMEOUT" \
        "$port" -- taskset -c "$SERVER_CPU" env THREADS=1 SCAN_LIMIT=0 \
        PRODUCT_COUNT="$READINESS_PRODUCTS" "$SERVER") || READINESS='{"error":"failed"}'
fi

# --- 8. Scaling: THREADS=2, no pinning ------------------------------------
if has_phase scale; then
    for conns in $SCALE_CONNECTIONS; do
        for name in "${CONTENDER_LIST[@]}"; do
            bench_one scale 1 "$name" 2 no "$conns"
        done
    done
fi

# --- 9. BENCH_10M=1: 10,000,000 products, once ----------------------------
TENM=null
if has_phase 10m; then
    echo "bench: 10,000,000 products (SCAN_LIMIT=0): time to ready and to index ready, one start"
    port=$(free_port)
    TENM=$("$PY" "$ROOT/bench/measure.py" ready --index --timeout "$INDEX_TIMEOUT" \
        --runs 1 "$port" -- taskset -c "$SERVER_CPU" env THREADS=1 SCAN_LIMIT=0 \
        PRODUCT_COUNT=10000000 PORT="$port" BIND=127.0.0.1 "$SERVER") ||
        TENM='{"error":"failed"}'
    # One client, one query at a time: at 10,000,000 products a scan takes
    # tens of milliseconds, so 50 connections would only measure the queue.
    echo "bench: 10,000,000 products: the first $TENM_QUERIES queries of the text mix, one at a time"
    head -n "$TENM_QUERIES" "$WORK/mix-10000000.text.queries" >"$WORK/tenm.queries"
    port=$(free_port)
    tenm_queries='{"error":"did not start"}' tenm_hwm=null
    if start_contender product-search 1 yes "$port" SCAN_LIMIT=0 PRODUCT_COUNT=10000000; then
        tenm_queries=$(taskset -c "$CLIENT_CPU" "$PY" "$ROOT/bench/measure.py" mix-times \
            "$port" --queries "$WORK/tenm.queries" --out "$WORK/tenm.out") ||
            tenm_queries='{"error":"failed"}'
        tenm_hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$CPID/status")
        stop_contender product-search || tenm_queries='{"error":"crashed"}'
    fi
    TENM=$(json_put "$TENM" queries "$tenm_queries")
    TENM=$(json_put "$TENM" queries_peak_rss_kb "$tenm_hwm")
    snapshot_one 10000000
    rm -f "$WORK/snapshot-10000000.snap"
fi

# --- 10. Report -----------------------------------------------------------
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain -- src include Makefile 2>/dev/null) ]]; then
    commit+=" + uncommitted server changes"
fi
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
EXTRA=$("$PY" -c 'import json, sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
    date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" commit "$commit" cpu "${cpu:-unknown}" \
    cpus "$(nproc)" kernel "$(uname -r)" netns "$BENCH_NETNS" \
    load_start "$LOAD_START" load_end "$(cut -d' ' -f1 /proc/loadavg)" \
    wrk "$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)" \
    nginx "$(nginx -v 2>&1 | sed 's/.*: //')" \
    smoke "${BENCH_SMOKE:-0}" duration_s "$DURATION" warmup_s "$WARMUP" rounds "$ROUNDS" \
    connections "$CONNECTIONS" body_bytes "$(wc -c <"$WORK/body.json")" \
    phases "$PHASES" spec6 "$SPEC6" mix_seed "$MIX_SEED")
mkdir -p "$RESULTS_DIR"
"$PY" "$ROOT/bench/report.py" --runs "$RUNS" --ready "$READY" --scan "$SCAN" \
    --catalog "$CATALOG" --mixes "$MIXES" --ready-whole "$READY_WHOLE" \
    --worst "$WORST" --fts5 "$FTS5" --tenm "$TENM" --reload "$RELOAD" \
    --readiness "$READINESS" --snapshots "$SNAPSHOTS" --name "$REPORT_NAME" \
    --meta "$EXTRA" --notes "$WORK/notes.txt" --out "$RESULTS_DIR"
exit
}
