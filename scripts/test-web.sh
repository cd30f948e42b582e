#!/usr/bin/env bash
# test-web.sh — the web console's checks: the typed API client is current,
# and the end-to-end suite (Playwright driving Debian's Chromium, headless)
# passes against the real binary on its embedded defaults. Installs
# Chromium and a Japanese font from Debian's packages when missing, so that
# the screenshots (web/e2e/screenshots/<lang>/) show Japanese text.
#
#   scripts/test-web.sh            # expects `make build` to have run
#   scripts/test-web.sh e2e/x.spec.ts   # only those specs (arguments go to playwright test)
#   KQI_E2E_PORT, KQI_E2E_DIR      # port and data directory of the server (see web/playwright.config.ts)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "test-web: $*" >&2; }

# The client in web/src/api/schema.gen.ts must match the route table.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin/kamonohashi openapi >"$tmp/openapi.json"
(cd web && npx --no-install openapi-typescript "$tmp/openapi.json" -o "$tmp/schema.gen.ts" >/dev/null 2>&1)
if ! cmp -s "$tmp/schema.gen.ts" web/src/api/schema.gen.ts; then
	log "web/src/api/schema.gen.ts is stale: run 'make generate' and commit it"
	diff -u web/src/api/schema.gen.ts "$tmp/schema.gen.ts" | head -40 >&2 || true
	exit 1
fi

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

rm -rf web/e2e/screenshots
cd web
npx --no-install playwright test "$@"
log "screenshots in web/e2e/screenshots/"
