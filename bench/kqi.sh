#!/usr/bin/env bash
# kqi against cp, in one run on the same disk: `kqi data create` of one
# large file (default 2 GiB: sent in parallel 16 MiB parts) and of a
# directory of 10,000 small files (one tar stream), to a server on its
# embedded defaults on loopback, against `cp` (+ sync) of the same files.
#
#   bench/kqi.sh [size-MiB] [files]     (defaults 2048 and 10000)
#
# Work files go to ${KQI_BENCH_DIR:-/tmp}; about 3 × size of free space is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-2048}
nfiles=${2:-10000}
[ -x bin/kamonohashi ] && [ -x bin/kqi ] || make --no-print-directory build >&2
bin=$PWD/bin
port=${KQI_BENCH_PORT:-18933}
work=$(mktemp -d "${KQI_BENCH_DIR:-/tmp}/kqi-bench-cli.XXXXXX")
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
calc() { awk "BEGIN {printf \"%.2f\", $1}"; }
now_ns() { date +%s%N; }
timed() { local t0; t0=$(now_ns); "$@" >/dev/null; calc "($(now_ns) - $t0) / 1e9"; }

echo "preparing ${size_mib} MiB and ${nfiles} small files in $work" >&2
head -c "$((size_mib << 20))" /dev/urandom >"$work/big.bin"
mkdir -p "$work/small"
( cd "$work/small" && for i in $(seq "$nfiles"); do head -c 1024 /dev/urandom >"f$i.dat"; done )
sync

cp_big=$(timed sh -c "cp '$work/big.bin' '$work/cp.bin' && sync"); rm -f "$work/cp.bin"
cp_small=$(timed sh -c "cp -r '$work/small' '$work/cp-small' && sync"); rm -rf "$work/cp-small"

KAMONOHASHI_ADMIN_PASSWORD=bench-pass-1 "$bin/kamonohashi" server --addr "127.0.0.1:$port" \
  --data-dir "$work/data" --log-level warn 2>>"$work/server.log" &
pid=$!
until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.05; done
export HOME=$work/home
echo bench-pass-1 | "$bin/kqi" account login -s "http://127.0.0.1:$port" -u admin >/dev/null

kqi_big=$(timed sh -c "'$bin/kqi' -q data create -n big -f '$work/big.bin' 2>/dev/null && sync")
kqi_small=$(timed sh -c "'$bin/kqi' -q data create -n small -f '$work/small' 2>/dev/null && sync")

printf '%-36s %10s %10s %8s\n' "kqi data create vs cp (same disk)" "kqi s" "cp s" "ratio"
printf '%-36s %10s %10s %7sx\n' "one file of ${size_mib} MiB" "$kqi_big" "$cp_big" "$(calc "$kqi_big / $cp_big")"
printf '%-36s %10s %10s %7sx\n' "${nfiles} files of 1 KiB" "$kqi_small" "$cp_small" "$(calc "$kqi_small / $cp_small")"
