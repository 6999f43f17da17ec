#!/usr/bin/env bash
# compare.sh: Apache ZooKeeper 3.8 against a second ZooKeeper-compatible server, in the same run,
# with the same load generator (`zooscope bench`), on loopback, fsync on for both.
#
#   scripts/bench/compare.sh throughput [options]   alternate the same bench on both, several rounds
#   scripts/bench/compare.sh memory [options]       populate N small znodes, then read each RSS
#
# The second server is --target "CMD", where {cfg} stands for the zoo.cfg written for it (its
# clientPort and dataDir are free and its own), e.g. --target "target/release/zooscope server --config {cfg}".
# Without --target the second server is another Apache ZooKeeper: ratios near 1.0 then show that
# the method itself is fair, and how much noise this machine adds.
#
# Options:
#   --target CMD        the second server's command line, with {cfg}
#   --target-name NAME  its label in the output (default: target, or apache-2 without --target)
#   --rounds N          throughput: rounds; each benches both servers, order alternating (default 3)
#   --bench "ARGS"      throughput: `zooscope bench` options other than --server
#                       (default: "--op write --value-size 1024 --clients 8 --pipeline 16 --duration 10 --warmup 3")
#   --znodes N          memory: znodes to create (default 1000000)
#   --value-size B      memory: bytes per znode value (default 10)
#   --settle S          memory: seconds to wait after populating, before reading RSS (default 10)
#   --zk-heap-mb MB     Apache ZooKeeper's -Xmx (default 1000, what zkServer.sh sets)
#   --zooscope PATH     the zooscope binary that runs the bench (default: the release build,
#                       built with `cargo build --release` when missing)
#   --warm-rounds N     throughput: unrecorded rounds first, for JITs and caches (default 1)
#   --solo              Apache ZooKeeper alone: its baseline figures, no second server
#   --keep              keep the working directory (configs, data, logs)
#
# Every process this script starts is stopped by its pid when it exits, also on failure or ^C.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ZK_CLASSPATH=${ZOOSCOPE_ZK_CLASSPATH:-/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-jdk14.jar}
ZK_MAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain

MODE=${1:-}
case "$MODE" in
  throughput | memory) shift ;;
  -h | --help | "")
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *) echo "compare.sh: the first argument must be throughput or memory, not $MODE" >&2; exit 2 ;;
esac

TARGET=""
TARGET_NAME=""
ROUNDS=3
BENCH_ARGS="--op write --value-size 1024 --clients 8 --pipeline 16 --duration 10 --warmup 3"
ZNODES=1000000
VALUE_SIZE=10
SETTLE=10
ZK_HEAP_MB=1000
ZOOSCOPE=""
KEEP=""
SOLO=""
WARM_ROUNDS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --target) TARGET=$2; shift 2 ;;
    --target-name) TARGET_NAME=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --bench) BENCH_ARGS=$2; shift 2 ;;
    --znodes) ZNODES=$2; shift 2 ;;
    --value-size) VALUE_SIZE=$2; shift 2 ;;
    --settle) SETTLE=$2; shift 2 ;;
    --zk-heap-mb) ZK_HEAP_MB=$2; shift 2 ;;
    --zooscope) ZOOSCOPE=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --solo) SOLO=1; shift ;;
    --warm-rounds) WARM_ROUNDS=$2; shift 2 ;;
    *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for number in "$WARM_ROUNDS" "$ROUNDS" "$ZNODES" "$VALUE_SIZE" "$SETTLE" "$ZK_HEAP_MB"; do
  [[ $number =~ ^[0-9]+$ ]] || { echo "compare.sh: $number is not a whole number" >&2; exit 2; }
done
if [ -n "$SOLO" ] && [ -n "$TARGET" ]; then
  echo "compare.sh: --solo and --target exclude each other" >&2
  exit 2
fi
if [ -n "$TARGET" ] && [[ $TARGET != *"{cfg}"* ]]; then
  echo "compare.sh: --target must contain {cfg}, the path of its zoo.cfg" >&2
  exit 2
fi
if [ -z "$TARGET_NAME" ]; then
  if [ -n "$TARGET" ]; then TARGET_NAME=target; else TARGET_NAME=apache-2; fi
fi

say() { printf '%s\n' "$*" >&2; }
die() { say "compare.sh: $*"; exit 1; }

command -v java >/dev/null || die "java is not on PATH (apt-get install zookeeper)"
[ -f "${ZK_CLASSPATH%%:*}" ] || die "${ZK_CLASSPATH%%:*} is missing (apt-get install zookeeper, or set ZOOSCOPE_ZK_CLASSPATH)"

if [ -z "$ZOOSCOPE" ]; then
  ZOOSCOPE="${CARGO_TARGET_DIR:-$ROOT/target}/release/zooscope"
  if [ ! -x "$ZOOSCOPE" ]; then
    say "building the release binary (cargo build --release)"
    (cd "$ROOT" && cargo build --release --locked >&2)
  fi
fi
[ -x "$ZOOSCOPE" ] || die "$ZOOSCOPE is not an executable"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/zooscope-compare.XXXXXX")
PIDS=()

# Stops one server by pid: TERM, then KILL after 10 s.
stop_pid() {
  local pid=$1 waited=0
  kill "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 100 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  PIDS=()
  if [ -n "$KEEP" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 20000))
    if port_is_free "$port"; then echo "$port"; return 0; fi
  done
  die "found no free loopback port"
}

# Writes a standalone zoo.cfg in $WORK/<name>/ and prints its path. Default forceSync (yes):
# every transaction is fsynced before it is acknowledged.
write_config() {
  local name=$1 port=$2 dir="$WORK/$1"
  mkdir -p "$dir/data"
  cat >"$dir/zoo.cfg" <<EOF
tickTime=2000
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
maxClientCnxns=0
EOF
  echo "$dir/zoo.cfg"
}

# Starts a server (apache, or the target command) and sets SERVER_PID and SERVER_PORT. It runs
# in this shell, not a subshell, so that the server is this shell's child and in PIDS for cleanup.
start_server() {
  local name=$1 kind=$2 port cfg
  port=$(free_port)
  cfg=$(write_config "$name" "$port")
  if [ "$kind" = apache ]; then
    java "-Xmx${ZK_HEAP_MB}m" -cp "$ZK_CLASSPATH" "$ZK_MAIN" "$cfg" \
      >"$WORK/$name/server.log" 2>&1 </dev/null &
  else
    bash -c "exec ${TARGET//\{cfg\}/$cfg}" >"$WORK/$name/server.log" 2>&1 </dev/null &
  fi
  SERVER_PID=$!
  SERVER_PORT=$port
  PIDS+=("$SERVER_PID")
  wait_serving "$name" "$SERVER_PID" "$port"
}

# Waits until the server opens a session and accepts a write (it creates /zooscope-bench).
wait_serving() {
  local name=$1 pid=$2 port=$3
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$WORK/$name/server.log" >&2; die "$name exited while starting"; }
    if "$ZOOSCOPE" bench --server "127.0.0.1:$port" --populate 0 --clients 1 >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  tail -20 "$WORK/$name/server.log" >&2
  die "$name did not serve on 127.0.0.1:$port within 60 s"
}

forget_pid() {
  local pid=$1 kept=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}

# The value of a numeric field in a flat JSON line.
json_field() { sed -n "s/.*\"$2\":\([-0-9.e+]*\).*/\1/p" <<<"$1"; }
json_errors() { sed -n 's/.*"errors":\({[^}]*}\).*/\1/p' <<<"$1"; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "nan"; else printf "%.3f\n", a / b }'; }

# How busy the machine is besides us: the load average and, where the kernel has PSI, the share
# of the last minute in which some task waited for a CPU. Both servers see the same noise only
# on average, hence the alternation and the medians.
busy() {
  local psi=""
  [ -r /proc/pressure/cpu ] && psi=", cpu pressure $(awk '/^some/ { sub("avg60=", "", $3); print $3 "%" }' /proc/pressure/cpu) (60 s)"
  echo "load $(cut -d' ' -f1-3 /proc/loadavg)$psi"
}

machine() {
  say "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
  say "java: $(java -version 2>&1 | head -1); $(busy)"
}

SECOND_KIND=apache
[ -n "$TARGET" ] && SECOND_KIND=target

# The servers of this run: Apache ZooKeeper, then the second one unless --solo.
NAMES=(apache)
[ -n "$SOLO" ] || NAMES+=("$TARGET_NAME")
kind_of() { if [ "$1" = apache ]; then echo apache; else echo "$SECOND_KIND"; fi; }

bench_json() {
  local name=$1 port=$2 json
  # shellcheck disable=SC2086 # BENCH_ARGS is a list of options.
  json=$("$ZOOSCOPE" bench --server "127.0.0.1:$port" $BENCH_ARGS --json) ||
    die "bench against $name failed (see above)"
  [ "$(json_errors "$json")" = "{}" ] || say "warning: $name answered with errors $(json_errors "$json")"
  echo "$json"
}

throughput() {
  local round name json n=${#NAMES[@]}
  # Per server and column, the rounds' figures, space-separated.
  local -A PORT=() R=()
  local columns=(ops_per_s p50 p99 p99_9) column
  local -a r_ops=() r_p99=()
  machine
  for name in "${NAMES[@]}"; do
    start_server "$name" "$(kind_of "$name")"
    PORT[$name]=$SERVER_PORT
    say "$name: pid $SERVER_PID on 127.0.0.1:$SERVER_PORT"
  done
  say "apache runs with -Xmx${ZK_HEAP_MB}m; each server keeps running across rounds"
  say "bench: $ZOOSCOPE bench --server 127.0.0.1:PORT $BENCH_ARGS --json"
  for round in $(seq 1 "$WARM_ROUNDS"); do
    for name in "${NAMES[@]}"; do
      json=$(bench_json "$name" "${PORT[$name]}")
      say "warm-up round $round $name (not counted): $json"
    done
  done
  for round in $(seq 1 "$ROUNDS"); do
    # Alternate who goes first, so drift over the run (page cache, other load) favours neither.
    local order=("${NAMES[@]}")
    if [ "$n" = 2 ] && [ $((round % 2)) = 0 ]; then order=("${NAMES[1]}" "${NAMES[0]}"); fi
    for name in "${order[@]}"; do
      json=$(bench_json "$name" "${PORT[$name]}")
      say "round $round $name ($(busy)): $json"
      for column in "${columns[@]}"; do
        R[$column,$name]+="$(json_field "$json" "$column") "
      done
    done
  done
  local row='%-7s'
  local header=(round)
  for name in "${NAMES[@]}"; do
    row+=' %14s %10s %10s %10s'
    header+=("$name ops/s" "p50 us" "p99 us" "p99.9 us")
  done
  if [ "$n" = 2 ]; then
    row+=' %10s %10s'
    header+=("ops ratio" "p99 ratio")
  fi
  row+='\n'
  echo
  # shellcheck disable=SC2059 # the format is built above.
  printf "$row" "${header[@]}"
  local -a cells
  for round in $(seq 1 "$ROUNDS"); do
    cells=("$round")
    for name in "${NAMES[@]}"; do
      for column in "${columns[@]}"; do
        # shellcheck disable=SC2206 # the values are space-separated numbers.
        local list=(${R[$column,$name]})
        cells+=("${list[$((round - 1))]}")
      done
    done
    if [ "$n" = 2 ]; then
      r_ops+=("$(ratio "${cells[5]}" "${cells[1]}")")
      r_p99+=("$(ratio "${cells[7]}" "${cells[3]}")")
      cells+=("${r_ops[-1]}" "${r_p99[-1]}")
    fi
    # shellcheck disable=SC2059
    printf "$row" "${cells[@]}"
  done
  cells=(median)
  for name in "${NAMES[@]}"; do
    for column in "${columns[@]}"; do
      cells+=("$(tr ' ' '\n' <<<"${R[$column,$name]}" | grep . | median)")
    done
  done
  if [ "$n" = 2 ]; then
    cells+=("$(printf '%s\n' "${r_ops[@]}" | median)" "$(printf '%s\n' "${r_p99[@]}" | median)")
  fi
  # shellcheck disable=SC2059
  printf "$row" "${cells[@]}"
  if [ "$n" = 2 ]; then
    echo "ops ratio = ${NAMES[1]} / apache ops/s (higher is better); p99 ratio = ${NAMES[1]} / apache p99 (lower is better); medians of the per-round ratios"
  fi
}

vm_kib() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }

# Java's heap in use after a full collection, in KiB (empty without jcmd).
java_heap_used_kib() {
  local pid=$1
  command -v jcmd >/dev/null || return 0
  jcmd "$pid" GC.run >/dev/null 2>&1 || return 0
  sleep 2
  jcmd "$pid" GC.heap_info 2>/dev/null | awk '/total .*used/ { for (i = 1; i <= NF; i++) if ($i == "used") { sub(/K,?$/, "", $(i + 1)); print $(i + 1); exit } }'
}

memory() {
  local name kind pid port json empty rss hwm heap rss_gc
  local -A RSS=() HWM=() HEAP=() RSS_GC=() EMPTY=()
  machine
  say "populate: $ZOOSCOPE bench --server 127.0.0.1:PORT --populate $ZNODES --value-size $VALUE_SIZE --clients 4 --pipeline 128 --json"
  for name in "${NAMES[@]}"; do
    start_server "$name" "$(kind_of "$name")"
    pid=$SERVER_PID port=$SERVER_PORT
    empty=$(vm_kib "$pid" VmRSS)
    json=$("$ZOOSCOPE" bench --server "127.0.0.1:$port" --populate "$ZNODES" --value-size "$VALUE_SIZE" \
      --clients 4 --pipeline 128 --json) || die "populating $name failed"
    say "$name: $json"
    # Idle a while so that allocator and JIT background work settles; nothing is forced.
    sleep "$SETTLE"
    rss=$(vm_kib "$pid" VmRSS)
    hwm=$(vm_kib "$pid" VmHWM)
    heap=""
    rss_gc=""
    if [[ $(readlink "/proc/$pid/exe") == */java ]]; then
      heap=$(java_heap_used_kib "$pid")
      rss_gc=$(vm_kib "$pid" VmRSS)
    fi
    EMPTY[$name]=$empty; RSS[$name]=$rss; HWM[$name]=$hwm; HEAP[$name]=${heap:--}; RSS_GC[$name]=${rss_gc:--}
    say "$name: VmRSS ${rss} KiB, VmHWM ${hwm} KiB, heap after full GC ${heap:--} KiB"
    stop_pid "$pid"
    forget_pid "$pid"
  done
  local mib='function m(k) { return k == "-" ? "-" : sprintf("%.1f", k / 1024) }'
  printf '\n%-10s %12s %14s %12s %18s %16s\n' server "empty MiB" "VmRSS MiB" "VmHWM MiB" "heap after GC MiB" "VmRSS after GC"
  for name in "${NAMES[@]}"; do
    awk -v n="$name" -v e="${EMPTY[$name]}" -v r="${RSS[$name]}" -v h="${HWM[$name]}" -v g="${HEAP[$name]}" -v q="${RSS_GC[$name]}" \
      "$mib"' BEGIN { printf "%-10s %12s %14s %12s %18s %16s\n", n, m(e), m(r), m(h), m(g), m(q) }'
  done
  [ -n "$SOLO" ] && return 0
  echo "compared figure: VmRSS after ${SETTLE} s idle, before any forced GC (what the machine pays)"
  echo "RSS ratio $TARGET_NAME / apache: $(ratio "${RSS[$TARGET_NAME]}" "${RSS[apache]}") (goal: at most 0.2)"
  if [ "${HEAP[apache]}" != "-" ]; then
    echo "stricter: $TARGET_NAME VmRSS / apache live heap after full GC: $(ratio "${RSS[$TARGET_NAME]}" "${HEAP[apache]}")"
  fi
}

"$MODE"
