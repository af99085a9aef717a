#!/usr/bin/env bash
# Soak: SOAK_SECONDS (60) of wrk at SOAK_CONNECTIONS (500) keep-alive
# connections against build/product-search on 127.0.0.1, sampling the
# server's VmRSS every second. The request mix rotates hits, misses, a full
# limit, /health, /metrics and error answers (400, 404), so that every
# allocation path runs. Prints start / after warm-up / peak / end RSS and
# fails when RSS grows by more than RSS_GROWTH_KB (4096) between the end of
# the warm-up (WARMUP_SECONDS, 10) and the end, or when the server dies.
# Writes bench/results/soak.md. (No HEAD in the mix: wrk's parser would wait
# for the body its Content-Length announces.)
set -euo pipefail

die() { echo "soak: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=${SOAK_SECONDS:-60}
conns=${SOAK_CONNECTIONS:-500}
warmup=${WARMUP_SECONDS:-10}
bound_kb=${RSS_GROWTH_KB:-4096}
for v in seconds conns warmup bound_kb; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
((seconds > warmup)) || die "SOAK_SECONDS ($seconds) must exceed WARMUP_SECONDS ($warmup)"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
bin=${PRODUCT_SEARCH_BIN:-build/product-search}
if [[ -z ${PRODUCT_SEARCH_BIN:-} ]]; then
    make --no-print-directory all >/dev/null || die "make failed"
fi
[[ -x $bin ]] || die "no server binary at $bin"

work=$(mktemp -d)
pid=
cleanup() {
    if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/mix.lua" <<'LUA'
local paths = {
  "/products/search?q=alpha", "/products/search?q=zzz-none",
  "/products/search?q=Electronics&limit=100", "/products/search?q=kappa%2099",
  "/products/search?q=product&limit=1", "/health", "/metrics",
  "/products/search?q=", "/products/search?q=a&limit=500", "/nope",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
LUA

# The server on core 0 when there are two, wrk on the other (as bench/ does).
pin_server=() pin_wrk=()
if command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then
    pin_server=(taskset -c 0) pin_wrk=(taskset -c 1)
fi
ulimit -n "$((conns + 256))" 2>/dev/null || die "cannot raise the open-file limit to $((conns + 256))"
PORT=0 BIND=127.0.0.1 THREADS=${THREADS:-1} "${pin_server[@]}" "$bin" >"$work/server.out" 2>"$work/server.err" &
pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*"event":"start".*"port":\([0-9]*\).*/\1/p' "$work/server.out" | head -n 1)
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || die "the server exited at start-up: $(cat "$work/server.err")"
    sleep 0.1
done
[[ -n $port ]] || die "the server did not start within 10 s"

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }

echo "soak: ${seconds}s, $conns connections, server pid $pid on 127.0.0.1:$port (THREADS=${THREADS:-1})"
start_kb=$(rss)
"${pin_wrk[@]}" wrk -t1 -c"$conns" -d"${seconds}s" --timeout 5s -s "$work/mix.lua" \
    "http://127.0.0.1:$port" >"$work/wrk.txt" 2>&1 &
wrk_pid=$!
samples=()
for ((t = 1; t <= seconds; t++)); do
    sleep 1
    kill -0 "$pid" 2>/dev/null || die "the server died at ${t}s: $(tail -n 3 "$work/server.err")"
    samples+=("$(rss)")
done
wait "$wrk_pid" || die "wrk failed: $(cat "$work/wrk.txt")"
end_kb=$(rss)
kill -0 "$pid" 2>/dev/null || die "the server died"

warm_kb=${samples[$((warmup - 1))]}
peak_kb=$start_kb
for s in "${samples[@]}" "$end_kb"; do ((s > peak_kb)) && peak_kb=$s; done
growth=$((end_kb - warm_kb))
requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")
errors=$(grep -E 'Socket errors|Non-2xx' "$work/wrk.txt" | sed 's/^ *//' | paste -sd ';' - || true)

kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
cat "$work/wrk.txt"
printf 'soak: RSS start %s kB, after %ss warm-up %s kB, peak %s kB, end %s kB; growth after warm-up %+d kB (bound %s kB); server exit %s\n' \
    "$start_kb" "$warmup" "$warm_kb" "$peak_kb" "$end_kb" "$growth" "$bound_kb" "$rc"

series=""
for ((t = 0; t < seconds; t += 5)); do series+="| $((t + 1)) | ${samples[$t]} |"$'\n'; done
verdict=PASS
((growth <= bound_kb)) || verdict=FAIL
[[ $rc -eq 0 ]] || verdict=FAIL
mkdir -p bench/results
cat >bench/results/soak.md <<MD
# Soak: resident memory under sustained load

Command: \`bench/soak.sh\` (SOAK_SECONDS=$seconds SOAK_CONNECTIONS=$conns WARMUP_SECONDS=$warmup RSS_GROWTH_KB=$bound_kb),
$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, \`$bin\` with THREADS=${THREADS:-1}, 100,000 products,
wrk -t1 -c$conns on 127.0.0.1 with a rotating mix of hits, misses, limit=100, /health,
/metrics, 400 and 404 answers.

| figure | value |
|---|---|
| requests | ${requests:-?} (${rps:-?}/s) |
| RSS at start | $start_kb kB |
| RSS after ${warmup}s warm-up | $warm_kb kB |
| peak RSS | $peak_kb kB |
| RSS at the end | $end_kb kB |
| growth after warm-up | $growth kB (bound $bound_kb kB) |
| wrk errors / non-2xx | ${errors:-none} (400 and 404 are part of the mix) |
| server exit after SIGTERM | $rc |
| verdict | $verdict |

RSS (kB) every 5 s:

| second | VmRSS kB |
|---|---|
$series
MD
echo "soak: wrote bench/results/soak.md"
[[ $rc -eq 0 ]] || die "the server exited $rc after SIGTERM"
((growth <= bound_kb)) || die "RSS grew by $growth kB after warm-up (bound $bound_kb kB)"
echo "soak: OK, RSS flat within $bound_kb kB"
