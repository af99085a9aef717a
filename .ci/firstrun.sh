#!/usr/bin/env bash
# CI step (issue 27): the README's first command on a bare Debian 12, as a new
# user meets it. Runs as root on a Debian machine:
#   1. the root: build/debian-root/bookworm-slim.tar (scripts/debian-root.sh:
#      debootstrap --variant=minbase bookworm, slimmed as debian:bookworm-slim;
#      .ci/image.sh leaves it there when it makes the image's base, else it is
#      made now): no make, gcc, sudo, curl or git. A fresh copy of it, with a
#      fresh copy of the repository in /root/product-search (git archive HEAD)
#      and the host's resolv.conf. Skipped, and said so, only when debootstrap
#      cannot reach the Debian mirror.
#   2. in a chroot of it: the first line of the README's "Two commands" block
#      (`scripts/install-deps.sh && make run`), in the background, with PORT
#      set to a free port; build/product-search --healthcheck must exit 0
#      within 60 s of the build's end. No apt or dpkg output may reach the
#      terminal (install-deps logs it).
#   3. SIGTERM to the server: it must exit 0, and so the command must.
# The chroot runs in private mount and PID namespaces (unshare): /proc and
# /dev mounted there vanish with it, and so does any process left in it. The
# root is deleted on exit (FIRSTRUN_KEEP=1 keeps it, to look inside). Every
# stage is bounded by a timeout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START_TIME=$SECONDS

say()  { echo "firstrun: $*"; }
pass() { echo "firstrun: ok   $*"; }
fail() { echo "firstrun: FAIL $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, mounts)"
for tool in unshare chroot tar git timeout; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing"
done

WORK="$(mktemp -d /var/tmp/ci-firstrun.XXXXXX)"
R="$WORK/root"
cleanup() {
    local rc=$?
    # The mounts live in the chroot's own mount namespace and went with it;
    # should one still show here, it is unmounted before anything is deleted.
    local m
    while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done < <(awk -v r="$R" 'index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    if awk -v r="$R" 'index($5, r "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
        echo "firstrun: mounts remain under $R; left in place" >&2
    elif [ "${FIRSTRUN_KEEP:-0}" = 1 ]; then
        echo "firstrun: FIRSTRUN_KEEP=1: the root stays in $R" >&2
    else
        rm -rf --one-file-system "$WORK"
    fi
    say "finished in $((SECONDS - START_TIME)) s (exit $rc)"
    exit "$rc"
}
trap cleanup EXIT

# ------------------------------------------------------------- 1. the root
say "step 1: a clean Debian root and a fresh copy of the repository"
t0=$SECONDS
rc=0
TAR="$(timeout 1500 scripts/debian-root.sh)" || rc=$?
if [ "$rc" -eq 3 ]; then
    say "SKIPPED: debootstrap cannot reach the Debian mirror (see above); nothing checked"
    exit 0
fi
[ "$rc" -eq 0 ] || fail "no Debian root (scripts/debian-root.sh exited $rc)"
mkdir -p "$R"
tar --numeric-owner -C "$R" -xf "$TAR"
for cmd in make gcc cc sudo curl git; do
    if chroot "$R" /bin/sh -c "command -v $cmd" >/dev/null 2>&1; then
        fail "the clean root already has $cmd"
    fi
done
cat /etc/resolv.conf >"$R/etc/resolv.conf"
mkdir -p "$R/root/product-search"
git archive --format=tar HEAD | tar -C "$R/root/product-search" -xf -
pass "root from $TAR, repository at $(git rev-parse --short HEAD) ($((SECONDS - t0)) s); no make, gcc, sudo, curl or git"

# The README's first command: the first line of the block under "## Two commands".
first="$(awk '/^## Two commands/ { s = 1; next } s && /^## / { exit }
              s && /^```/ { if (b) exit; b = 1; next } b && NF { print; exit }' README.md)"
first="${first%%#*}"
first="${first%"${first##*[![:space:]]}"}"   # trailing blanks
case "$first" in
*"make run") ;;
*) fail "README's first command is '$first'; this step expects one ending in 'make run'" ;;
esac

# A free port: nothing answers on it.
PORT=""
for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || fail "no free port"

# ---------------------------------------------------- 2. and 3. in the chroot
# Runs as the chroot's PID 1's child, in /root/product-search, with a clean
# environment. Prints "inner: ..." lines; the command's own output goes to
# /tmp/first.out (kept for the checks below).
cat >"$R/root/firstrun-inner.sh" <<'INNER'
set -u
cd /root/product-search
now() { date +%s; }
t0=$(now)
echo "inner: running: $FIRST (PORT=$PORT)"
sh -c "$FIRST" >/tmp/first.out 2>&1 &
cmd=$!
# The server: a process named product-search, once the build is done.
server=""
healthy=no
waited=0
while [ "$waited" -lt 9000 ]; do   # 900 s: install, build, start
    if ! kill -0 "$cmd" 2>/dev/null; then
        wait "$cmd"
        echo "inner: FAIL the command exited ($?) before the server was healthy"
        exit 1
    fi
    if [ -z "$server" ]; then
        for d in /proc/[0-9]*; do
            [ "$(cat "$d/comm" 2>/dev/null)" = product-search ] || continue
            case "$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null)" in
            *--healthcheck*) ;;
            *) server=${d#/proc/}; t_built=$(now); echo "inner: built and started in $((t_built - t0)) s (pid $server)" ;;
            esac
        done
    fi
    if [ -n "$server" ] && [ -x build/product-search ] &&
        timeout 5 build/product-search --healthcheck >/dev/null 2>&1; then
        healthy=yes
        break
    fi
    if [ -n "$server" ] && [ $(($(now) - t_built)) -gt 60 ]; then break; fi
    sleep 0.1
    waited=$((waited + 1))
done
if [ "$healthy" != yes ]; then
    echo "inner: FAIL build/product-search --healthcheck never exited 0"
    exit 1
fi
echo "inner: healthy: build/product-search --healthcheck exited 0 ($(($(now) - t0)) s after the start)"
kill -TERM "$server"
i=0
while kill -0 "$cmd" 2>/dev/null && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$cmd" 2>/dev/null; then
    echo "inner: FAIL still running 30 s after SIGTERM"
    exit 1
fi
wait "$cmd"
rc=$?
echo "inner: after SIGTERM the command exited $rc"
exit "$rc"
INNER

say "step 2: in a chroot of the clean root: $first"
t0=$SECONDS
rc=0
# shellcheck disable=SC2016 # the inner shell expands $1 $2 $3
timeout -k 10 1200 unshare --mount --pid --fork --kill-child --propagation private \
    /bin/sh -c '
        set -e
        mount -t proc proc "$1/proc"
        mount --rbind /dev "$1/dev"
        exec chroot "$1" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            PORT="$2" BIND=127.0.0.1 FIRST="$3" /bin/sh /root/firstrun-inner.sh
    ' sh "$R" "$PORT" "$first" >"$WORK/inner.log" 2>&1 || rc=$?
OUT="$R/tmp/first.out"
cat "$WORK/inner.log"
show_output() { echo "--- the command's output"; cat "$OUT" 2>/dev/null; echo "---"; } >&2
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then show_output; fail "timed out"; fi
[ "$rc" -eq 0 ] || {
    show_output
    [ -f "$R/tmp/product-search-install-deps.log" ] &&
        { echo "--- end of the install-deps log"; tail -n 20 "$R/tmp/product-search-install-deps.log"; } >&2
    fail "the first command failed in the clean root (exit $rc)"
}
pass "installed, built and served; healthy; SIGTERM: exit 0 ($((SECONDS - t0)) s in the chroot)"

# -------------------------------------------------------------- 4. its output
say "step 3: the command's output"
head_lines="$(awk '/^\{"ts":/ { exit } { n++ } END { print n + 0 }' "$OUT")"
deps_lines="$(grep -c '^install-deps:' "$OUT" || true)"
sed -n "1,${head_lines}p" "$OUT" | grep '^install-deps:' | sed 's/^/    /'
if grep -Eq '^(Get:|Hit:|Reading package lists|Selecting previously|Unpacking |Setting up |Preparing to unpack|debconf: )' "$OUT"; then
    show_output
    fail "apt or dpkg output reached the terminal"
fi
grep -q '"event":"start"' "$OUT" || { show_output; fail "no start line from the server"; }
grep -q '"event":"stopped"' "$OUT" || { show_output; fail "no stopped line from the server"; }
[ -s "$R/tmp/product-search-install-deps.log" ] || fail "install-deps left no log in /tmp"
grep -E '^(W|E): ' "$R/tmp/product-search-install-deps.log" | sed 's/^/    apt log: /' || true
pass "$head_lines lines before the server's start line ($deps_lines from install-deps, no apt or dpkg output); start and stopped lines"
