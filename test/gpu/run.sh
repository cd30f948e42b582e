#!/usr/bin/env bash
# The GPU proof of issue 4, on a machine with NVIDIA GPUs and PyTorch: starts
# the server on its embedded defaults in a fresh data directory, runs
# test/gpu/proof against it, and stops it. Usage (from the repository root):
#   test/gpu/run.sh [path/to/kamonohashi] [path/to/proof]
set -euo pipefail
bin=${1:-bin/kamonohashi}
proof=${2:-bin/gpu-proof}
work=$(mktemp -d /tmp/kqi-gpu.XXXXXX)
export KAMONOHASHI_ADMIN_PASSWORD=gpu-proof-pass1 KAMONOHASHI_DATA_DIR=$work/data KAMONOHASHI_ADDR=127.0.0.1:18080
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
"$bin" server >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs http://127.0.0.1:18080/healthz >/dev/null 2>&1 && break; sleep 0.2; done
set +e
"$proof" -server http://127.0.0.1:18080 -password "$KAMONOHASHI_ADMIN_PASSWORD" -work "$work/proof"
rc=$?
echo "--- server log (GPU lines)"
grep -iE "gpu|nvml|listening|ready" "$work/server.log" | head -20
exit $rc
