#!/usr/bin/env bash
# The Kubernetes runner at scale through the API of a real server: 1,000
# one-GPU trainings submitted to 100 kwok nodes of 8 GPUs on the loopback
# test control plane (scripts/test-kube.sh, its own instance, pods left
# Running). Prints submissions per second against creating bare pods with
# client-go in the same run, the time until every job that fits runs, and
# the share of GPUs in use.
#
#   bench/kubeapi.sh [jobs] [nodes]      (default 1000 and 100; all traffic on 127.0.0.1)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-1000}
nodes=${2:-100}
bin=bin/kamonohashi
[ -x "$bin" ] || make --no-print-directory build >&2
port=${KQI_BENCH_PORT:-18933}
work=$(mktemp -d)
export KQI_TEST_KUBE_DIR="$work/kube" KQI_TEST_KUBE_PORT_BASE=${KQI_BENCH_KUBE_PORT_BASE:-54000}
export KQI_TEST_KUBE_NODES=0 KQI_TEST_KUBE_COMPLETE=0
cleanup() {
	kill "${pid:-}" 2>/dev/null && wait "${pid:-}" 2>/dev/null
	scripts/test-kube.sh stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
kubeconfig=$(scripts/test-kube.sh start)
scripts/test-kube.sh nodes "$nodes" 8 bench-gpu
KAMONOHASHI_ADMIN_PASSWORD=bench-pass-1 KAMONOHASHI_RUNNER=kubernetes KUBECONFIG="$kubeconfig" \
	KAMONOHASHI_KUBE_NFS_SERVER=nfs.example.test KAMONOHASHI_KUBE_NFS_PATH=/exports/kamonohashi \
	KAMONOHASHI_KUBE_HELPER_IMAGE=registry.example.test/kamonohashi:bench \
	"$bin" server --addr "127.0.0.1:$port" --data-dir "$work/data" --log-level warn >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
go run ./bench/kubeapi -server "http://127.0.0.1:$port" -password bench-pass-1 -kubeconfig "$kubeconfig" \
	-jobs "$jobs" -nodes bench-gpu- || { tail -n 30 "$work/server.log" >&2; exit 1; }
