#!/usr/bin/env bash
# The Kubernetes runner on the test control plane (etcd, kube-apiserver,
# kube-scheduler, kube-controller-manager and kwok GPU nodes on loopback):
# Submit of a job to its pod bound (PodScheduled=True), against creating a
# bare Pod with client-go to it bound, in the same run.
#
#   bench/kubesubmit.sh [runs]     (default 30; KQI_TEST_KUBECONFIG to reuse
#                                   a running control plane)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
if [ -n "${KQI_TEST_KUBECONFIG:-}" ]; then
	exec go run ./bench/kubesubmit -kubeconfig "$KQI_TEST_KUBECONFIG" -runs "$runs"
fi
export KQI_TEST_KUBE_DIR=${KQI_TEST_KUBE_DIR:-/tmp/kqi-kube-bench} KQI_TEST_KUBE_PORT_BASE=${KQI_TEST_KUBE_PORT_BASE:-53500}
scripts/test-kube.sh run -- sh -c 'go run ./bench/kubesubmit -kubeconfig "$KUBECONFIG" -runs '"$runs"
