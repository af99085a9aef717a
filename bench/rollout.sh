#!/usr/bin/env bash
# Rolling deploy under load, through a real load balancer: what an ECS rolling
# deployment does to the service, and it must lose no request.
#
# HAProxy (Debian's) listens on 127.0.0.1 in front of two instances of
# build/product-search (127.0.0.1, ephemeral ports) and checks each with
# GET /health every CHECK_INTER_MS. wrk sends searches and product lookups
# through it on ROLLOUT_CONNECTIONS keep-alive connections the whole time,
# while each instance in turn is restarted ROLLOUT_ROUNDS times:
#
#   ecs     as ECS stops a task: the target is deregistered first (HAProxy's
#           runtime API puts the server in drain: no new requests), for
#           DEREG_S seconds (the target group's deregistration delay), then
#           SIGTERM with DRAIN_S (ECS uses 0 to 2): /health answers 503,
#           the listener closes, in-flight requests finish, exit 0;
#   health  no deregistration: SIGTERM alone, and the health check must see
#           the 503 and take the server out within DRAIN_S.
#
# ROLLOUT_SEQUENCE is ecs, health or both (the default: instance a is always
# stopped the ECS way with DRAIN_S, b by its health check alone with
# HEALTH_DRAIN_S, 2 by default, since each instance starts with its DRAIN_S). In both
# sequences the HAProxy log must show a health check of that server failing
# with 503 before the instance exited: the check saw the drain before the
# instance stopped taking requests. A new instance then starts on the same
# port, and the next restart waits until HAProxy has it up again.
#
# Passes when wrk reports no socket error (connect, read, write, timeout) and
# no non-2xx answer, every instance exited 0, and every restart was seen by
# the health check. Prints the figures and writes bench/results/rollout.md
# (ROLLOUT_REPORT).
#
#   bench/rollout.sh                          # 3 rounds: 6 restarts
#   ROLLOUT_ROUNDS=1 bench/rollout.sh         # the short form CI runs
#   make rollout-test                         # = bench/rollout.sh
#   ROLLOUT_SIGNAL=KILL bench/rollout.sh      # negative control: must fail
#
# Needs haproxy, wrk and python3 (for HAProxy's admin socket).
set -euo pipefail

die() { echo "rollout: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

rounds=${ROLLOUT_ROUNDS:-3}
conns=${ROLLOUT_CONNECTIONS:-50}
sequence=${ROLLOUT_SEQUENCE:-both}
drain_s=${DRAIN_S:-1}
health_drain_s=${HEALTH_DRAIN_S:-2}
dereg_s=${DEREG_S:-1}
inter_ms=${CHECK_INTER_MS:-200}
products=${PRODUCT_COUNT:-100000}
signal=${ROLLOUT_SIGNAL:-TERM} # KILL: a negative control, what a crash loses
out_md=${ROLLOUT_REPORT:-bench/results/rollout.md}
for v in rounds conns drain_s health_drain_s dereg_s inter_ms products; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
[[ $sequence =~ ^(ecs|health|both)$ ]] || die "ROLLOUT_SEQUENCE must be ecs, health or both"
((rounds >= 1)) || die "ROLLOUT_ROUNDS must be at least 1"
((health_drain_s * 1000 >= 3 * inter_ms)) ||
    die "HEALTH_DRAIN_S ($health_drain_s s) must leave the check (every $inter_ms ms) time to see 503"
for tool in haproxy wrk python3; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install $tool)"
done
bin=${PRODUCT_SEARCH_BIN:-build/product-search}
if [[ -z ${PRODUCT_SEARCH_BIN:-} ]]; then
    make --no-print-directory all >/dev/null || die "make failed"
fi
[[ -x $bin ]] || die "no server binary at $bin"

work=$(mktemp -d)
pids=("" "")
hapid=
wrkpid=
cleanup() {
    for p in "${pids[@]}" "$hapid" "$wrkpid"; do
        if [[ -n $p ]]; then kill "$p" 2>/dev/null || true; fi
    done
    rm -rf "$work"
}
trap cleanup EXIT

names=(a b)
ports=("" "")
starts=(0 0)

# A free port on 127.0.0.1 for HAProxy's frontend.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A command on HAProxy's admin socket; prints the answer.
hapi() {
    python3 - "$work/admin.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
sys.stdout.write(out.decode())
PY
}

# The state HAProxy holds for server $1: UP, DOWN, DRAIN, MAINT...
server_status() {
    hapi "show stat" | awk -F, -v s="$1" '$1 == "ps" && $2 == s {print $18}'
}

# Starts instance $1 (index) on port $2 (0: any) with DRAIN_S $3.
start_instance() {
    local i=$1 port=$2 drain=$3 out=$work/${names[$1]}.${starts[$1]}.out
    PORT=$port BIND=127.0.0.1 THREADS=1 PRODUCT_COUNT=$products DRAIN_S=$drain \
        "$bin" >"$out" 2>"$out.err" &
    pids[i]=$!
    starts[i]=$((starts[i] + 1))
    local got=
    for _ in $(seq 1 200); do
        got=$(sed -n 's/.*"event":"start".*"port":\([0-9]*\).*/\1/p' "$out" | head -n 1)
        [[ -n $got ]] && break
        kill -0 "${pids[i]}" 2>/dev/null || die "instance ${names[i]} exited at start-up: $(cat "$out.err")"
        sleep 0.05
    done
    [[ -n $got ]] || die "instance ${names[i]} did not start within 10 s"
    ports[i]=$got
}

# Waits up to $3 seconds for server $1 to be in state $2 at HAProxy.
wait_status() {
    local t0=$SECONDS
    while [[ $(server_status "$1") != "$2"* ]]; do
        ((SECONDS - t0 < $3)) || die "server $1 not $2 after $3 s (it is $(server_status "$1"))"
        sleep 0.05
    done
}

# How instance $1 is stopped, and the DRAIN_S it runs with.
sequence_of() {
    if [[ $sequence == both ]]; then
        (($1 == 0)) && echo ecs || echo health
    else
        echo "$sequence"
    fi
}
drain_of() {
    [[ $(sequence_of "$1") == ecs ]] && echo "$drain_s" || echo "$health_drain_s"
}

echo "rollout: $rounds round(s), sequence $sequence, $conns connections, DRAIN_S $drain_s" \
     "(health-only: $health_drain_s), deregistration delay ${dereg_s}s, check every ${inter_ms}ms"
start_instance 0 0 "$(drain_of 0)"
start_instance 1 0 "$(drain_of 1)"
fe=$(free_port)
cat >"$work/haproxy.cfg" <<CFG
global
    log stdout format raw daemon
    stats socket $work/admin.sock mode 600 level admin
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 2s
    # No retry and no redispatch: a request the service drops must show up
    # in wrk's errors, as it would at an ALB.
    retries 0

frontend fe
    bind 127.0.0.1:$fe
    default_backend ps

backend ps
    # the health checks' verdicts only, not one line per request
    log global
    option log-health-checks
    option httpchk GET /health
    http-check expect status 200
    default-server inter ${inter_ms}ms fall 2 rise 2
    server a 127.0.0.1:${ports[0]} check
    server b 127.0.0.1:${ports[1]} check
CFG
haproxy -c -f "$work/haproxy.cfg" >/dev/null || die "haproxy refuses its configuration"
haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
hapid=$!
for _ in $(seq 1 100); do
    [[ -S $work/admin.sock ]] && break
    sleep 0.05
done
wait_status a UP 10
wait_status b UP 10

# The load: searches and product lookups (no /health: its 503 while draining
# is the service's answer to the load balancer, not to a client).
cat >"$work/load.lua" <<'LUA'
local paths = {
  "/products/search?q=alpha&limit=5", "/products/42", "/products/search?q=electronics",
  "/products/search?category=books&limit=3", "/products/search?q=zzz-none", "/products/7",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
LUA

restarts=$((2 * rounds))
per_restart=$((dereg_s + (drain_s > health_drain_s ? drain_s : health_drain_s) + 3))
duration=$((4 + restarts * per_restart))
wrk -t1 -c"$conns" -d"${duration}s" --timeout 5s --latency -s "$work/load.lua" \
    "http://127.0.0.1:$fe" >"$work/wrk.txt" 2>&1 &
wrkpid=$!
sleep 2

report=()
n=0
unseen=0
for ((r = 1; r <= rounds; r++)); do
    for i in 0 1; do
        n=$((n + 1))
        s=${names[i]}
        seq_now=$(sequence_of "$i")
        drain=$(drain_of "$i")
        logged_before=$(grep -c "" "$work/haproxy.log" || true)
        t0=$(date +%s%N)
        if [[ $seq_now == ecs ]]; then
            hapi "set server ps/$s state drain" >/dev/null
            sleep "$dereg_s"
        fi
        kill -"$signal" "${pids[i]}"
        set +e
        wait "${pids[i]}"
        rc=$?
        set -e
        t_exit=$(date +%s%N)
        pids[i]=
        [[ $rc -eq 0 || $signal != TERM ]] || die "instance $s exited $rc after SIGTERM"
        # the check saw the 503 before the instance stopped taking requests
        # (HAProxy writes each line twice: raw on stdout, tagged on stderr)
        seen=$(tail -n +"$((logged_before + 1))" "$work/haproxy.log" | grep -v '^\[' |
            grep -c "server ps/$s.*code: 503" || true)
        if ((seen == 0)); then
            echo "rollout: restart $n ($s, $seq_now): no health check of ps/$s saw 503 before it exited" >&2
            unseen=$((unseen + 1))
        fi
        start_instance "$i" "${ports[i]}" "$drain"
        if [[ $seq_now == ecs ]]; then
            wait_status "$s" DRAIN 10 # up again for the checks, still deregistered
            hapi "set server ps/$s state ready" >/dev/null
        fi
        wait_status "$s" UP 10
        t_up=$(date +%s%N)
        report+=("| $n | $s | $seq_now | $drain | $rc | $(((t_exit - t0) / 1000000)) | $(((t_up - t0) / 1000000)) | $seen |")
        echo "rollout: restart $n: $s ($seq_now, DRAIN_S $drain): exit $rc after $(((t_exit - t0) / 1000000)) ms, up again after $(((t_up - t0) / 1000000)) ms; checks that saw 503: $seen"
        sleep 1
    done
done

set +e
wait "$wrkpid"
wrc=$?
set -e
wrkpid=
cat "$work/wrk.txt"
[[ $wrc -eq 0 ]] || die "wrk failed ($wrc)"
requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")
p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
maxlat=$(awk '$1 == "Latency" {print $4; exit}' "$work/wrk.txt")
socket_errors=$(sed -n 's/^ *Socket errors: *//p' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx or 3xx responses/ {print $NF}' "$work/wrk.txt")
hapi "show stat" >"$work/stat.csv"
served_a=$(awk -F, '$1 == "ps" && $2 == "a" {print $49}' "$work/stat.csv")
served_b=$(awk -F, '$1 == "ps" && $2 == "b" {print $49}' "$work/stat.csv")
# HAProxy's own view of the backend: connection and response errors,
# retries and redispatches (all 0 with retries 0 unless something broke)
lb_errors=$(awk -F, '$1 == "ps" && $2 == "BACKEND" {printf "econ %s, eresp %s, wretr %s, wredis %s", $14, $15, $16, $17}' "$work/stat.csv")
cp "$work/haproxy.log" "${ROLLOUT_KEEP_LOG:-/dev/null}" 2>/dev/null || true
checks_503=$(grep -v '^\[' "$work/haproxy.log" | grep -c "code: 503" || true)

verdict=PASS
[[ -z $socket_errors && -z $non2xx && $unseen -eq 0 ]] || verdict=FAIL
mkdir -p "$(dirname "$out_md")"
{
    echo "# Rolling deploy under load"
    echo
    echo "Command: \`bench/rollout.sh\` (ROLLOUT_ROUNDS=$rounds ROLLOUT_SEQUENCE=$sequence" \
         "ROLLOUT_CONNECTIONS=$conns DRAIN_S=$drain_s HEALTH_DRAIN_S=$health_drain_s" \
         "DEREG_S=$dereg_s CHECK_INTER_MS=$inter_ms), $(date -u +%Y-%m-%dT%H:%MZ)," \
         "$(nproc) cores, $(haproxy -v | head -n 1 | cut -d' ' -f1-3), two instances of" \
         "\`$bin\` (THREADS=1, $products products) behind it, wrk -t1 -c$conns through it" \
         "for ${duration}s (searches and product lookups)."
    echo
    echo "| figure | value |"
    echo "|---|---|"
    echo "| restarts | $restarts (signal $signal) |"
    echo "| requests | ${requests:-?} (${rps:-?}/s) |"
    echo "| socket errors (connect, read, write, timeout) | ${socket_errors:-none} |"
    echo "| non-2xx answers | ${non2xx:-0} |"
    echo "| latency p50 / p99 / max | ${p50:-?} / ${p99:-?} / ${maxlat:-?} |"
    echo "| requests per server (HAProxy) | a ${served_a:-?}, b ${served_b:-?} |"
    echo "| HAProxy backend errors | ${lb_errors:-?} |"
    echo "| health checks that saw 503 | $checks_503 (restarts none saw: $unseen) |"
    echo "| verdict | $verdict |"
    echo
    echo "Each restart: the server (a or b), the sequence, DRAIN_S, the old instance's exit"
    echo "status, milliseconds from the restart's start (the deregistration, or SIGTERM) to"
    echo "that exit and to HAProxy having the new instance up, and the health checks of it"
    echo "that saw 503 before it exited."
    echo
    echo "| restart | server | sequence | DRAIN_S | exit status | exit ms | up ms | checks saw 503 |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${report[@]}"
} >"$out_md"
echo "rollout: wrote $out_md"
echo "rollout: $restarts restarts, ${requests:-?} requests, socket errors: ${socket_errors:-none}, non-2xx: ${non2xx:-0}"
((unseen == 0)) || die "$unseen restart(s) stopped taking requests before a health check saw 503"
[[ $verdict == PASS ]] || die "requests were lost during the rollout"
echo "rollout: OK, nothing lost"
