#!/usr/bin/env bash
# test-kube.sh — a throw-away Kubernetes control plane with fake GPU nodes
# for the Kubernetes runner's tests and benchmarks.
#
#   scripts/test-kube.sh build          # build the binaries once (about 10 min cold)
#   scripts/test-kube.sh start          # prints the kubeconfig path on stdout
#   scripts/test-kube.sh stop           # stops everything and removes its files
#   scripts/test-kube.sh run -- CMD...  # start, run CMD with KUBECONFIG set, stop on exit or signal
#   scripts/test-kube.sh nodes N [GPUS] [PREFIX]  # add N kwok nodes of GPUS nvidia.com/gpu each
#
# etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kubectl and
# kwok are built from their Go modules at the pinned versions below into
# ${KQI_TEST_CACHE:-~/.cache/kqi-test}/kube-<versions>/, once: later starts
# reuse them. Everything listens on 127.0.0.1 only, on ports from
# ${KQI_TEST_KUBE_PORT_BASE:-52000} up, and keeps its files in
# ${KQI_TEST_KUBE_DIR:-/tmp/kqi-test-kube}. kwok plays the nodes: pods are
# bound by the real scheduler, then run and succeed on kwok's schedule
# (KQI_TEST_KUBE_COMPLETE=0 leaves them Running). Every node of this cluster
# is fake, so the nodes carry no kwok taint: pods need no toleration.
#
# Everything but the kubeconfig path goes to stderr.
set -euo pipefail

ETCD=v3.6.16
K8S=1.37.2
KWOK=v0.8.0
CACHE="${KQI_TEST_CACHE:-$HOME/.cache/kqi-test}/kube-etcd${ETCD}-k8s${K8S}-kwok${KWOK}"
BIN="$CACHE/bin"
DIR="${KQI_TEST_KUBE_DIR:-/tmp/kqi-test-kube}"
BASE="${KQI_TEST_KUBE_PORT_BASE:-52000}"
ETCD_PORT=$((BASE + 379)) ETCD_PEER=$((BASE + 380)) ETCD_METRICS=$((BASE + 381))
API_PORT=$((BASE + 443)) SCHED_PORT=$((BASE + 259)) KCM_PORT=$((BASE + 257)) KWOK_PORT=$((BASE + 247))
KUBECONFIG_PATH="$DIR/kubeconfig"
PROGS="etcd kube-apiserver kube-scheduler kube-controller-manager kwok"

log() { echo "test-kube: $*" >&2; }
die() {
	log "$*"
	exit 1
}

build() {
	if [ -x "$BIN/kwok" ] && [ -x "$BIN/kubectl" ]; then
		[ -d "$CACHE/stages" ] || stages
		return 0
	fi
	command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
	export GOTOOLCHAIN=local GOFLAGS=
	local work="$CACHE/work" t0=$SECONDS
	mkdir -p "$BIN" "$work"
	log "building etcd $ETCD, Kubernetes v$K8S and kwok $KWOK into $CACHE (once; about 10 minutes on 2 cores)"

	# etcd's server module has relative replace directives, so go install
	# refuses it; a throwaway module that requires it builds fine.
	mkdir -p "$work/etcd"
	(cd "$work/etcd" && { [ -f go.mod ] || go mod init etcdbuild >/dev/null 2>&1; } &&
		go get "go.etcd.io/etcd/server/v3@$ETCD" >&2 &&
		go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3)

	# Kubernetes likewise: replace each staging module with its published
	# version of the same release.
	local staging="0.${K8S#1.}" modfile cmds="kube-apiserver kube-scheduler kube-controller-manager kubectl" ldf="-s -w" p c
	mkdir -p "$work/k8s"
	modfile=$(cd "$work" && go mod download -json "k8s.io/kubernetes@v$K8S" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
	[ -f "$modfile" ] || die "could not download k8s.io/kubernetes@v$K8S"
	{
		printf 'module k8sbuild\n\ngo 1.26.0\n\ngodebug default=go1.26\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$K8S"
		grep '=> ./staging' "$modfile" | awk '{print $1}' | grep -v -e sample-cli-plugin -e sample-controller |
			while read -r m; do printf '\t%s => %s v%s\n' "$m" "$m" "$staging"; done
		printf ')\n'
	} >"$work/k8s/go.mod"
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldf="$ldf -X $p.gitVersion=v$K8S -X $p.gitMajor=1 -X $p.gitMinor=$(echo "$K8S" | cut -d. -f2) -X $p.gitTreeState=clean"
	done
	(cd "$work/k8s" && go get $(for c in $cmds; do echo "k8s.io/kubernetes/cmd/$c@v$K8S"; done) >&2)
	# One after another: each build already uses every core.
	for c in $cmds; do
		log "building $c"
		(cd "$work/k8s" && go build -trimpath -ldflags "$ldf" -o "$BIN/$c" "k8s.io/kubernetes/cmd/$c")
	done

	log "building kwok"
	GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK"
	# kwok's stage definitions ship in its module; keep the ones we use
	# beside the binaries so that starting needs no module cache.
	stages
	rm -rf "$work"
	log "built in $((SECONDS - t0)) s"
}

# stages copies the kwok stage definitions we use out of its module.
stages() {
	local src f
	src="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK/kustomize/stage"
	rm -rf "$CACHE/stages.tmp"
	mkdir -p "$CACHE/stages.tmp"
	for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
		pod/general/pod-create.yaml pod/general/pod-init-container-running.yaml \
		pod/general/pod-init-container-completed.yaml pod/general/pod-ready.yaml \
		pod/general/pod-complete.yaml pod/general/pod-delete.yaml; do
		cp "$src/$f" "$CACHE/stages.tmp/"
	done
	rm -rf "$CACHE/stages"
	mv "$CACHE/stages.tmp" "$CACHE/stages"
}

# pid_of prints the pid of one of our processes, if it runs.
pid_of() {
	local f="$DIR/pids/$1.pid" pid
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$BIN/$1" || return 1
	echo "$pid"
}

launch() {
	local name=$1
	shift
	nohup "$@" </dev/null >"$DIR/logs/$name.log" 2>&1 &
	echo $! >"$DIR/pids/$name.pid"
}

wait_for() {
	local what=$1 name=$2 i
	shift 2
	for i in $(seq 1 300); do
		"$@" >/dev/null 2>&1 && return 0
		# Only whether it still runs: just after the fork its command line
		# is still this script's, which pid_of would not recognise.
		kill -0 "$(cat "$DIR/pids/$name.pid")" 2>/dev/null || break
		sleep 0.2
	done
	tail -n 30 "$DIR/logs/$name.log" >&2 || true
	stop_all
	die "$what did not start; see its log above"
}

kubectl_() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

api_ready() {
	curl -sf --max-time 2 --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" --key "$DIR/pki/admin.key" \
		"https://127.0.0.1:$API_PORT/readyz"
}

pki() {
	local d="$DIR/pki"
	mkdir -p "$d"
	(
		cd "$d"
		openssl genrsa -out ca.key 2048 2>/dev/null
		openssl req -x509 -new -nodes -key ca.key -subj /CN=kqi-test-ca -days 30 -out ca.crt 2>/dev/null
		openssl genrsa -out apiserver.key 2048 2>/dev/null
		openssl req -new -key apiserver.key -subj /CN=kube-apiserver -out apiserver.csr 2>/dev/null
		printf 'subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:127.0.0.1,IP:10.0.0.1\nextendedKeyUsage=serverAuth\n' >san.ext
		openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile san.ext -out apiserver.crt 2>/dev/null
		openssl genrsa -out admin.key 2048 2>/dev/null
		openssl req -new -key admin.key -subj "/CN=kqi-test-admin/O=system:masters" -out admin.csr 2>/dev/null
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile client.ext -out admin.crt 2>/dev/null
		openssl genrsa -out sa.key 2048 2>/dev/null
		openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
	)
	cat >"$KUBECONFIG_PATH.tmp" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: kqi-test, cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: $d/ca.crt}}]
users: [{name: admin, user: {client-certificate: $d/admin.crt, client-key: $d/admin.key}}]
contexts: [{name: kqi-test, context: {cluster: kqi-test, user: admin}}]
current-context: kqi-test
EOF
	mv "$KUBECONFIG_PATH.tmp" "$KUBECONFIG_PATH"
}

# nodes adds kwok nodes with GPUs. Node names are PREFIX-0 .. PREFIX-(N-1).
nodes() {
	local n=${1:?number of nodes} gpus=${2:-8} prefix=${3:-kwok-gpu} i
	[ "$n" -gt 0 ] || return 0
	for i in $(seq 0 $((n - 1))); do
		cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $prefix-$i
  annotations: {kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: $prefix-$i, kubernetes.io/os: linux, type: kwok}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110", nvidia.com/gpu: "$gpus"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110", nvidia.com/gpu: "$gpus"}
---
EOF
	done | kubectl_ apply -f - >/dev/null
	kubectl_ wait --for=condition=Ready node -l "kubernetes.io/hostname in ($(seq -s, -f "$prefix-%g" 0 $((n - 1))))" \
		--timeout=120s >/dev/null
	log "$n kwok nodes with $gpus GPUs each are Ready"
}

running() {
	local p
	for p in $PROGS; do pid_of "$p" >/dev/null || return 1; done
	api_ready >/dev/null
}

start() {
	build
	if running; then
		log "already running; kubeconfig $KUBECONFIG_PATH"
		echo "$KUBECONFIG_PATH"
		return 0
	fi
	stop_all
	remove_dir
	mkdir -p "$DIR"/{pids,logs,data}
	local t0=$SECONDS
	pki
	cd "$DIR"

	launch etcd "$BIN/etcd" --name kqi --data-dir data/etcd --log-level warn \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
		--initial-cluster "kqi=http://127.0.0.1:$ETCD_PEER" --listen-metrics-urls "http://127.0.0.1:$ETCD_METRICS" \
		--unsafe-no-fsync
	wait_for etcd etcd curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"

	# A loopback advertise address needs the endpoint reconciler off.
	launch kube-apiserver "$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" --endpoint-reconciler-type=none \
		--cert-dir=data/apiserver --tls-cert-file=pki/apiserver.crt --tls-private-key-file=pki/apiserver.key \
		--client-ca-file=pki/ca.crt --service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file=pki/sa.pub --service-account-signing-key-file=pki/sa.key \
		--service-cluster-ip-range=10.0.0.0/24 --authorization-mode=Node,RBAC --allow-privileged=true \
		--max-requests-inflight=2000 --max-mutating-requests-inflight=1000
	wait_for kube-apiserver kube-apiserver api_ready

	launch kube-scheduler "$BIN/kube-scheduler" --kubeconfig=kubeconfig --authentication-kubeconfig=kubeconfig \
		--authorization-kubeconfig=kubeconfig --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false \
		--kube-api-qps=500 --kube-api-burst=1000
	launch kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig=kubeconfig \
		--authentication-kubeconfig=kubeconfig --authorization-kubeconfig=kubeconfig --bind-address=127.0.0.1 \
		--secure-port="$KCM_PORT" --leader-elect=false --service-account-private-key-file=pki/sa.key \
		--root-ca-file=pki/ca.crt --use-service-account-credentials=false --controllers='*,-nodeipam' \
		--service-cluster-ip-range=10.0.0.0/24 --kube-api-qps=500 --kube-api-burst=1000 --concurrent-job-syncs=20
	wait_for kube-scheduler kube-scheduler curl -sfk --max-time 2 "https://127.0.0.1:$SCHED_PORT/healthz"
	wait_for kube-controller-manager kube-controller-manager curl -sfk --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz"

	# kwok: nodes it owns carry the annotation kwok.x-k8s.io/node=fake.
	# The general pod stages run init containers, then the main ones, and
	# complete pods owned by a Job after a short delay.
	cat >kwok.yaml <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  cidr: 10.0.1.0/24
  nodeIP: 127.0.0.1
  manageAllNodes: false
  manageNodesWithAnnotationSelector: kwok.x-k8s.io/node=fake
  enableCRDs: []
  nodeLeaseParallelism: 8
  podPlayStageParallelism: 16
  nodePlayStageParallelism: 8
  nodeLeaseDurationSeconds: 40
  enablePodsOnNodeSyncStreamWatch: true
EOF
	local f
	for f in "$CACHE"/stages/*.yaml; do
		# KQI_TEST_KUBE_COMPLETE=0 leaves pods Running (for benchmarks).
		[ "${KQI_TEST_KUBE_COMPLETE:-1}" = 0 ] && [ "$(basename "$f")" = pod-complete.yaml ] && continue
		echo ---
		cat "$f"
	done >>kwok.yaml
	launch kwok "$BIN/kwok" --kubeconfig=kubeconfig --config=kwok.yaml --server-address="127.0.0.1:$KWOK_PORT"
	wait_for kwok kwok curl -sf --max-time 2 "http://127.0.0.1:$KWOK_PORT/healthz"
	nodes "${KQI_TEST_KUBE_NODES:-2}" "${KQI_TEST_KUBE_GPUS:-8}"
	log "ready in $((SECONDS - t0)) s; kubeconfig $KUBECONFIG_PATH"
	echo "$KUBECONFIG_PATH"
}

stop_all() {
	local p pid pids=()
	for p in $PROGS; do
		pid=$(pid_of "$p") && kill "$pid" 2>/dev/null && pids+=("$pid")
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	done
	return 0
}

# remove_dir deletes the state directory, refusing anything that does not
# look like one so that a mistyped KQI_TEST_KUBE_DIR cannot wipe other files.
remove_dir() {
	[ -e "$DIR" ] || return 0
	case "$DIR" in "" | "/" | "/tmp" | "/root" | "/home" | "$HOME") die "refusing to remove $DIR" ;; esac
	if [ -n "$(ls -A "$DIR" 2>/dev/null)" ] && [ ! -d "$DIR/pids" ]; then
		die "$DIR exists and is not a test Kubernetes directory; remove it or set KQI_TEST_KUBE_DIR"
	fi
	rm -rf -- "$DIR"
}

stop() {
	stop_all
	remove_dir
	log "stopped and removed $DIR"
}

case "${1:-}" in
build) build ;;
start) start ;;
stop) stop ;;
nodes)
	shift
	nodes "$@"
	;;
run)
	shift
	[ "${1:-}" = -- ] && shift
	[ $# -gt 0 ] || die "usage: $0 run -- COMMAND..."
	kc=$(start)
	trap 'stop' EXIT
	trap 'exit 130' INT TERM
	KUBECONFIG="$kc" "$@"
	;;
*)
	echo "usage: $0 build|start|stop|nodes N [GPUS] [PREFIX]|run -- COMMAND..." >&2
	exit 2
	;;
esac
