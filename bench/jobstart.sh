#!/usr/bin/env bash
# Local runner: Submit of a job (code from a small git repository) to the
# first line its command prints, next to os/exec starting the same command
# in the same run; and the delay of a log line to a live follower.
#
#   bench/jobstart.sh [runs]      (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/kamonohashi
[ -x "$bin" ] || make --no-print-directory build >&2
go run ./bench/jobstart -bin "$bin" -runs "${1:-20}"
