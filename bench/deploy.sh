#!/usr/bin/env bash
# deploy-kamonohashi against loopback hosts, each figure next to a baseline
# measured in the same run:
#  - `deploy app --kubeconfig` into the test control plane, a fresh namespace
#    each run (the PostgreSQL directory step over SSH on the KAMONOHASHI host,
#    then the chart rendered and applied with server-side apply), against
#    `kubectl create namespace` + `kubectl apply --server-side` of the same
#    rendered manifests (bench/deployrender);
#  - a re-run of `deploy all --dry-run --kubeconfig` on the four SSH hosts of
#    scripts/test-sshd.sh once the web system is installed: every step's check
#    runs over SSH with sudo (k3s and the NFS server are not installed here,
#    so those checks answer "would run"; a real run would install them) and
#    the web system's digest is compared ("already done"), against one
#    `ssh true` round to the four hosts in parallel.
# Targets: deploy app < 60 s, no-op deploy all < 30 s.
#
#   bench/deploy.sh [runs]      (default 3; root, for the SSH test hosts; 127.0.0.1 only)
# KQI_TEST_KUBECONFIG: an existing test control plane; else one is started.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
[ "$(id -u)" = 0 ] || { echo "bench/deploy.sh: needs root (the SSH test hosts); skipped"; exit 0; }
work=$(mktemp -d)
chmod 755 "$work" # the SSH hosts read their authorized_keys under it as the test user
port=${KQI_BENCH_SSHD_PORT:-58321}
export KQI_TEST_SSHD_DIR="$work/sshd" KQI_TEST_SSHD_BASE_PORT=$port
export KQI_TEST_KUBE_DIR="$work/kube" KQI_TEST_KUBE_PORT_BASE=${KQI_BENCH_KUBE_PORT_BASE:-54500}
kc=${KQI_TEST_KUBECONFIG:-}
own_kube=0
namespaces=()
cleanup() {
	for ns in "${namespaces[@]}"; do kubectl --kubeconfig "$kc" delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; done
	exec 9>&- 2>/dev/null || true
	wait "${sshd:-}" 2>/dev/null || true
	[ "$own_kube" = 0 ] || scripts/test-kube.sh stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
calc() { awk "BEGIN {printf \"%.2f\", $1}"; }
timed() { local t0; t0=$(now_ms); "$@" >>"$work/out.log" 2>&1 || { tail -n 30 "$work/out.log" >&2; exit 1; }; echo $(($(now_ms) - t0)); }

CGO_ENABLED=0 go build -o "$work/deploy-kamonohashi" ./cmd/deploy-kamonohashi
go build -o "$work/deployrender" ./bench/deployrender
if [ -z "$kc" ]; then
	kc=$(KQI_TEST_KUBE_NODES=0 scripts/test-kube.sh start 2>"$work/kube.log"); own_kube=1
fi

mkfifo "$work/sshd.in"
scripts/test-sshd.sh run 4 host4 <"$work/sshd.in" >"$work/sshd.out" 2>"$work/sshd.log" &
sshd=$!
exec 9>"$work/sshd.in"
for _ in $(seq 600); do grep -qx ready "$work/sshd.out" 2>/dev/null && break; sleep 0.1; done
grep -qx ready "$work/sshd.out" || { echo "SSH test hosts not ready" >&2; cat "$work/sshd.log" >&2; exit 1; }
ssh-keygen -q -t ed25519 -N '' -f "$work/key"
for i in 1 2 3 4; do cat "$work/key.pub" >>"$work/sshd/host$i/authorized_keys"; done
for i in 1 2 3 4 5; do echo "127.0.0.1 host$i"; done >"$work/hosts"

tool() {
	env -i PATH="$PATH" HOME="$work" LANG=C KAMONOHASHI_DEPLOY_DIR="$work/deploy" KAMONOHASHI_DEPLOY_LOG_DIR="$work/log" \
		KAMONOHASHI_DEPLOY_TEST_HOSTS_FILE="$work/hosts" KAMONOHASHI_DEPLOY_TEST_ALLOW_LOOPBACK=1 \
		KAMONOHASHI_DEPLOY_SSH_PASSWORD=kqi-test-pass KAMONOHASHI_ADMIN_PASSWORD=bench-admin-1 \
		"$work/deploy-kamonohashi" "$@"
}
use_ns() { sed -i "s/^  namespace: .*/  namespace: $1/" "$work/deploy/conf/settings.yaml"; namespaces+=("$1"); }
kubectl_apply() {
	kubectl --kubeconfig "$kc" create namespace "$1" &&
		kubectl --kubeconfig "$kc" apply --server-side --force-conflicts --field-manager bench -n "$1" -f "$2"
}
ssh_round() {
	local i pids=()
	for i in 0 1 2 3; do
		ssh -i "$work/key" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
			-p $((port + i)) kqideploy@127.0.0.1 true &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
}

tool configure cluster --master "host1:$port" --kamonohashi "host2:$((port + 1))" --storage "host3:$((port + 2))" \
	--nodes "host4:$((port + 3))" --ssh-user kqideploy >>"$work/out.log"
tag=$(date +%s%N | tail -c 7)
app=(); app_base=(); all=(); all_base=()
for i in $(seq "$runs"); do
	use_ns "kqi-bench-deploy-$tag-$i"
	app+=("$(timed tool deploy app -k -K --kubeconfig "$kc")")
	"$work/deployrender" -dir "$work/deploy" -ns "kqi-bench-kubectl-$tag-$i" >"$work/manifests.yaml"
	namespaces+=("kqi-bench-kubectl-$tag-$i")
	app_base+=("$(timed kubectl_apply "kqi-bench-kubectl-$tag-$i" "$work/manifests.yaml")")
done
for _ in $(seq "$runs"); do
	all+=("$(timed tool deploy all -k -K --dry-run --kubeconfig "$kc")")
	all_base+=("$(timed ssh_round)")
done
grep -q "web system (namespace kqi-bench-deploy-$tag-$runs): already done" "$work/out.log" ||
	{ echo "deploy all did not find the web system done" >&2; tail -n 40 "$work/out.log" >&2; exit 1; }
tool clean app -y --kubeconfig "$kc" >>"$work/out.log" 2>&1 || true

m() { printf '%s\n' "$@" | median; }
a=$(m "${app[@]}"); ab=$(m "${app_base[@]}"); d=$(m "${all[@]}"); db=$(m "${all_base[@]}")
printf '%-52s %8s %10s %8s %12s\n' "deploy-kamonohashi (median of $runs)" "s" "baseline s" "ratio" "of target"
printf '%-52s %8s %10s %7sx %11s%%\n' "deploy app, fresh namespace (vs kubectl SSA)" "$(calc "$a / 1000")" "$(calc "$ab / 1000")" \
	"$(calc "$a / ($ab + 0.001)")" "$(calc "$a / 600")"
printf '%-52s %8s %10s %7sx %11s%%\n' "deploy all --dry-run, 4 hosts (vs ssh true x4)" "$(calc "$d / 1000")" "$(calc "$db / 1000")" \
	"$(calc "$d / ($db + 0.001)")" "$(calc "$d / 300")"
echo "targets: deploy app 60 s, no-op deploy all 30 s (\"of target\" = value / target)"
