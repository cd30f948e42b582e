#!/usr/bin/env bash
# Upload throughput and memory of `kamonohashi server` on its embedded
# defaults (SQLite + the directory storage), printed next to baselines
# measured in the same run on the same disk:
#
#   - one large file (default 2 GiB) streamed through POST /api/v2/upload/stream
#     and registered, against `dd conv=fsync` copying the same file;
#   - 10,000 files of 1 KiB sent as one tar stream to POST /api/v2/data/archive
#     (one data, all files registered), against `cp -r` of the same directory
#     plus `sync`.
#
#   bench/upload.sh [size-MiB] [files]     (defaults 2048 and 10000; loopback only)
#
# Work files go to ${KQI_BENCH_DIR:-/tmp}; about 3 × size of free space is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-2048}
nfiles=${2:-10000}
bin=bin/kamonohashi
[ -x "$bin" ] || make --no-print-directory build >&2
port=${KQI_BENCH_PORT:-18932}
work=$(mktemp -d "${KQI_BENCH_DIR:-/tmp}/kqi-bench-upload.XXXXXX")
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
calc() { awk "BEGIN {printf \"%.2f\", $1}"; }
now_ns() { date +%s%N; }

echo "preparing ${size_mib} MiB and ${nfiles} small files in $work" >&2
head -c "$((size_mib << 20))" /dev/urandom >"$work/big.bin"
mkdir -p "$work/small"
( cd "$work/small" && for i in $(seq "$nfiles"); do head -c 1024 /dev/urandom >"f$i.dat"; done )
sync

# Baselines on the same disk.
t0=$(now_ns); dd if="$work/big.bin" of="$work/dd.bin" bs=1M conv=fsync status=none; t1=$(now_ns)
dd_s=$(calc "($t1 - $t0) / 1e9"); rm -f "$work/dd.bin"
t0=$(now_ns); cp -r "$work/small" "$work/cp-small"; sync; t1=$(now_ns)
cp_s=$(calc "($t1 - $t0) / 1e9"); rm -rf "$work/cp-small"

KAMONOHASHI_ADMIN_PASSWORD=bench-pass-1 "$bin" server --addr "127.0.0.1:$port" --data-dir "$work/data" \
  --log-level warn 2>>"$work/server.log" &
pid=$!
for _ in $(seq 3000); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.01; done
api="http://127.0.0.1:$port/api/v2"
token=$(curl -fs -H 'Content-Type: application/json' -d '{"userName":"admin","password":"bench-pass-1"}' \
  "$api/account/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
auth="Authorization: Bearer $token"
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

# One large file: upload (streamed, hashed, synced, renamed), then register.
t0=$(now_ns)
up=$(curl -fsS -X POST -T "$work/big.bin" -H "$auth" -H 'Content-Type: application/octet-stream' \
  "$api/upload/stream?type=Data&fileName=big.bin")
data=$(curl -fsS -H "$auth" -H 'Content-Type: application/json' -d '{"name":"bench-big"}' "$api/data")
data_id=$(echo "$data" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
stored=$(echo "$up" | sed -n 's/.*"storedPath":"\([^"]*\)".*/\1/p')
curl -fsS -o /dev/null -H "$auth" -H 'Content-Type: application/json' \
  -d "{\"files\":[{\"fileName\":\"big.bin\",\"storedPath\":\"$stored\"}]}" "$api/data/$data_id/files"
t1=$(now_ns)
up_s=$(calc "($t1 - $t0) / 1e9")
peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
want_sha=$(sha256sum "$work/big.bin" | cut -d' ' -f1)
echo "$up" | grep -q "\"sha256\":\"$want_sha\"" || { echo "sha256 mismatch: $up" >&2; exit 1; }

# 10,000 small files: one tar stream, one request, one data.
t0=$(now_ns)
res=$(tar -C "$work/small" -cf - . | curl -fsS -X POST -T - -H "$auth" -H 'Content-Type: application/x-tar' \
  "$api/data/archive?name=bench-small")
t1=$(now_ns)
small_s=$(calc "($t1 - $t0) / 1e9")
got=$(echo "$res" | grep -o '"fileId"' | wc -l)
[ "$got" -eq "$nfiles" ] || { echo "registered $got files, want $nfiles" >&2; exit 1; }
peak2_kib=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
kill -TERM "$pid"; wait "$pid" || true

mib=$size_mib
printf '%-58s %10s %12s %8s\n' "measure" "seconds" "MiB/s" "ratio"
printf '%-58s %10s %12s %8s\n' "baseline: dd conv=fsync, ${mib} MiB, same disk" "$dd_s" "$(calc "$mib / $dd_s")" "1.00"
printf '%-58s %10s %12s %8s\n' "upload/stream + register, ${mib} MiB (sha256, fsync, rename)" "$up_s" "$(calc "$mib / $up_s")" "$(calc "$dd_s / $up_s")"
printf '%-58s %10s %12s %8s\n' "baseline: cp -r + sync, ${nfiles} × 1 KiB" "$cp_s" "" "1.00"
printf '%-58s %10s %12s %8s\n' "data/archive (tar stream), ${nfiles} × 1 KiB, one data" "$small_s" "" "$(calc "$cp_s / $small_s")"
printf '%-58s %9s MiB\n' "server RSS before uploads" "$(calc "$rss_before / 1024")"
printf '%-58s %9s MiB\n' "server peak RSS during the large upload" "$(calc "$peak_kib / 1024")"
printf '%-58s %9s MiB\n' "server peak RSS including the archive" "$(calc "$peak2_kib / 1024")"
echo "(ratio = baseline seconds / our seconds: 1.00 is as fast as the baseline; targets: large upload ≥ 0.80, archive < 10 s)"
