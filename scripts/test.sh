#!/usr/bin/env bash
# Runs every test: lint, unit tests, and integration/e2e tests on SQLite and
# on a real PostgreSQL that this script installs (Debian package) and starts
# on loopback, the storage tests on an S3-compatible server (versitygw,
# built from source once) and the Kubernetes runner's tests on a control
# plane with kwok GPU nodes (etcd, kube-apiserver, scheduler,
# controller-manager and kwok, built from source once into a cache outside
# the repository), all on loopback. Idempotent; safe to run on a fresh
# machine. Then the web console's end-to-end suite in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"

echo "== build (web console and binary)" >&2
make --no-print-directory build

echo "== lint" >&2
make --no-print-directory lint

echo "== postgres" >&2
pg_url=$(scripts/test-postgres.sh start)
trap 'scripts/test-postgres.sh stop >/dev/null 2>&1 || true' EXIT

echo "== s3 (versitygw)" >&2
s3_url=$(scripts/test-s3.sh start)
trap 'scripts/test-postgres.sh stop >/dev/null 2>&1 || true; scripts/test-s3.sh stop >/dev/null 2>&1 || true' EXIT

echo "== kubernetes (control plane + kwok nodes)" >&2
kubeconfig=$(scripts/test-kube.sh start)
trap 'scripts/test-postgres.sh stop >/dev/null 2>&1 || true; scripts/test-s3.sh stop >/dev/null 2>&1 || true; scripts/test-kube.sh stop >/dev/null 2>&1 || true' EXIT

echo "== go test (sqlite, postgres, s3 and kubernetes)" >&2
export KQI_TEST_POSTGRES_URL="$pg_url" KQI_TEST_REQUIRE_POSTGRES=1 KQI_BIN="$PWD/bin/kamonohashi"
export KQI_TEST_S3_ENDPOINT="$s3_url" KQI_TEST_S3_ACCESS_KEY=kqitest KQI_TEST_S3_SECRET_KEY=kqitestsecret KQI_TEST_REQUIRE_S3=1
export KQI_TEST_KUBECONFIG="$kubeconfig" KQI_TEST_REQUIRE_KUBE=1
go test -count=1 -timeout 20m ./...

echo "== web console (typed client, Playwright + Chromium)" >&2
scripts/test-web.sh
