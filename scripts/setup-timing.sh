#!/usr/bin/env bash
# setup-timing.sh: the figures BENCHMARKS.md keeps for the two README commands, measured on a
# fresh clone of this repository:
#   - wall time of `./x test`;
#   - wall time of `./x serve` until http://127.0.0.1:8080 answers (then it is stopped);
#   - size of the served wasm and JavaScript, raw and gzip -9.
# Whatever tools are installed on the machine stay installed: run it on a machine without them
# to measure a first run (the README's commands install them).
#
#   scripts/setup-timing.sh [--serve-first]
#
# By default `./x test` runs first; with --serve-first, `./x serve` is timed on the cold clone
# first (what a teacher's first command costs), then `./x test`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVE_FIRST=${1:-}
WORK=$(mktemp -d)
SERVE_PID=""
cleanup() {
  if [ -n "$SERVE_PID" ]; then
    kill -- "-$SERVE_PID" 2>/dev/null || kill "$SERVE_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

git clone --quiet "$ROOT" "$WORK/zooscope"
cd "$WORK/zooscope"

time_test() {
  local started
  started=$(date +%s)
  ./x test >"$WORK/test.log" 2>&1 || { tail -30 "$WORK/test.log"; echo "./x test failed"; exit 1; }
  echo "./x test: $(($(date +%s) - started)) s"
}

time_serve() {
  local started
  if curl -sf -o /dev/null http://127.0.0.1:8080/; then
    echo "something already answers on 127.0.0.1:8080: stop it first" >&2
    exit 1
  fi
  started=$(date +%s)
  setsid ./x serve >"$WORK/serve.log" 2>&1 &
  SERVE_PID=$!
  until curl -sf -o /dev/null http://127.0.0.1:8080/; do
    if ! kill -0 "$SERVE_PID" 2>/dev/null; then
      tail -30 "$WORK/serve.log"
      echo "./x serve exited before answering"
      exit 1
    fi
    sleep 1
  done
  echo "./x serve until 127.0.0.1:8080 answers: $(($(date +%s) - started)) s"
  for asset in dist/*.wasm dist/*.js; do
    printf '%s: %d bytes raw, %d bytes gzip -9\n' "$(basename "$asset")" \
      "$(stat -c %s "$asset")" "$(gzip -9c "$asset" | wc -c)"
  done
  kill -- "-$SERVE_PID" 2>/dev/null || kill "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=""
}

if [ "$SERVE_FIRST" = "--serve-first" ]; then
  time_serve
  time_test
else
  time_test
  time_serve
fi
