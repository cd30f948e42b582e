#!/usr/bin/env bash
# Start-up time and idle memory of `kamonohashi server` on its embedded
# defaults, printed next to a baseline measured in the same run: starting the
# same binary for `--version` (process start and exit, no server). Then the
# cost of an authenticated API call (token check, principal rebuilt from the
# database) against /healthz on the same server.
#
#   bench/run.sh [runs]      (default 5 runs; all traffic on 127.0.0.1)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=bin/kamonohashi
[ -x "$bin" ] || make --no-print-directory build >&2
port=${KQI_BENCH_PORT:-18931}
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

baseline=()
for _ in $(seq "$runs"); do
  t0=$(now_ms); "$bin" --version >/dev/null; baseline+=($(( $(now_ms) - t0 )))
done

# start_once DIR: prints "<ms to /healthz 200> <idle RSS KiB>"
start_once() {
  local dir=$1 t0 deadline
  t0=$(now_ms)
  KAMONOHASHI_ADMIN_PASSWORD=bench-pass-1 "$bin" server --addr "127.0.0.1:$port" --data-dir "$dir" \
    --log-level warn 2>>"$work/server.log" &
  pid=$!
  deadline=$(( t0 + 30000 ))
  until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "server not ready in 30 s" >&2; cat "$work/server.log" >&2; exit 1; }
    sleep 0.005
  done
  local ms=$(( $(now_ms) - t0 ))
  sleep 2 # idle
  local rss
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" || true
  echo "$ms $rss"
}

fresh_ms=(); fresh_rss=(); warm_ms=(); warm_rss=()
for i in $(seq "$runs"); do
  read -r ms rss < <(start_once "$work/fresh-$i"); fresh_ms+=("$ms"); fresh_rss+=("$rss")
  read -r ms rss < <(start_once "$work/fresh-$i"); warm_ms+=("$ms"); warm_rss+=("$rss")
done

b=$(printf '%s\n' "${baseline[@]}" | median)
f=$(printf '%s\n' "${fresh_ms[@]}" | median)
w=$(printf '%s\n' "${warm_ms[@]}" | median)
fr=$(printf '%s\n' "${fresh_rss[@]}" | median)
wr=$(printf '%s\n' "${warm_rss[@]}" | median)
printf '%-44s %10s %10s\n' "measure (median of $runs)" "value" "ratio"
printf '%-44s %8s ms %10s\n' "baseline: kamonohashi --version" "$b" "1.0"
calc() { awk "BEGIN {printf \"%.1f\", $1}"; }
printf '%-44s %8s ms %9sx\n' "start-up, first start (migrate + seed)" "$f" "$(calc "$f / ($b + 0.001)")"
printf '%-44s %8s ms %9sx\n' "start-up, existing data dir" "$w" "$(calc "$w / ($b + 0.001)")"
printf '%-44s %7s MiB\n' "idle RSS after first start" "$(calc "$fr / 1024")"
printf '%-44s %7s MiB\n' "idle RSS after restart" "$(calc "$wr / 1024")"

# Authenticated calls against /healthz, on one server (bounded: 3000 requests, 60 s).
go build -o "$work/load" ./bench/load
KAMONOHASHI_ADMIN_PASSWORD=bench-pass-1 "$bin" server --addr "127.0.0.1:$port" --data-dir "$work/fresh-1" \
  --log-level warn 2>>"$work/server.log" &
pid=$!
until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.01; done
token=$(curl -fs -H 'Content-Type: application/json' -d '{"userName":"admin","password":"bench-pass-1"}' \
  "http://127.0.0.1:$port/api/v2/account/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
read -r _ _ _ _ hz_rps _ _ hz_p50 _ _ hz_p99 _ < <("$work/load" -url "http://127.0.0.1:$port/healthz" -n 3000 -c 4)
read -r _ _ _ _ ac_rps _ _ ac_p50 _ _ ac_p99 _ < <("$work/load" -url "http://127.0.0.1:$port/api/v2/account" -n 3000 -c 4 -token "$token")
kill -TERM "$pid"; wait "$pid" || true
printf '%-44s %8s req/s  p50 %s ms  p99 %s ms\n' "GET /healthz (baseline), 4 clients" "$hz_rps" "$hz_p50" "$hz_p99"
printf '%-44s %8s req/s  p50 %s ms  p99 %s ms  (baseline/this: %sx)\n' "GET /api/v2/account (token + DB), 4 clients" \
  "$ac_rps" "$ac_p50" "$ac_p99" "$(calc "$hz_rps / $ac_rps")"

echo
bench/upload.sh
echo
bench/jobstart.sh
echo
bench/jobapi.sh

echo
bench/kqi.sh

echo
bench/deploy.sh
echo
bench/kubesubmit.sh
echo
bench/kubeapi.sh
