#!/usr/bin/env bash
# Jobs end to end through the API of a real server on its embedded defaults:
# POST /training/run to the command's first line (against os/exec starting
# the same command in the same run), and the delay of a log line to a client
# following the Server-Sent Events stream.
#
#   bench/jobapi.sh [runs]      (default 20; all traffic on 127.0.0.1)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/kamonohashi
[ -x "$bin" ] || make --no-print-directory build >&2
port=${KQI_BENCH_PORT:-18932}
work=$(mktemp -d)
KAMONOHASHI_ADMIN_PASSWORD=bench-pass-1 KAMONOHASHI_GPUS=none "$bin" server --addr "127.0.0.1:$port" \
  --data-dir "$work" --log-level warn >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
go run ./bench/jobapi -server "http://127.0.0.1:$port" -password bench-pass-1 -runs "${1:-20}"
