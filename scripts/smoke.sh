#!/usr/bin/env bash
# A scripted walk through the identity API against a running server:
#   scripts/smoke.sh [URL] [ADMIN_PASSWORD]
# (defaults: http://127.0.0.1:8080 and $KAMONOHASHI_ADMIN_PASSWORD).
# Prints each call and its answer; exits non-zero at the first surprise.
set -euo pipefail
url=${1:-http://127.0.0.1:8080}
admin_pw=${2:-${KAMONOHASHI_ADMIN_PASSWORD:?give the admin password}}
suffix=$RANDOM

call() { # call METHOD PATH [TOKEN] [BODY] -> prints "STATUS BODY"; sets $status $body $headers
  local method=$1 path=$2 token=${3:-} data=${4:-}
  local args=(-s -X "$method" -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' -H 'Content-Type: application/json')
  [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
  [ -n "$data" ] && args+=(--data "$data")
  status=$(curl "${args[@]}" "$url$path")
  body=$(cat "$tmp/b"); headers=$(cat "$tmp/h")
  printf '%s %s -> %s %s\n' "$method" "$path" "$status" "${body:0:300}"
}
expect() { [ "$status" = "$1" ] || { echo "UNEXPECTED: wanted $1" >&2; exit 1; }; }
token_of() { sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$body"; }
id_of() { sed -n 's/^{[^{]*"id":\([0-9]*\).*/\1/p' <<<"$body"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

call POST /api/v2/account/login "" "{\"userName\":\"admin\",\"password\":\"$admin_pw\"}"; expect 200
admin=$(token_of)
call GET /api/v2/account "$admin"; expect 200
call POST /api/v2/admin/tenants "$admin" "{\"tenantName\":\"team-$suffix\",\"displayName\":\"Team $suffix\",\"gitIds\":[1],\"registryIds\":[1],\"storageId\":1}"; expect 201
tenant=$(id_of)
call POST /api/v2/admin/users "$admin" "{\"name\":\"user$suffix\",\"password\":\"1234567890\",\"tenants\":[{\"id\":$tenant,\"roles\":[2]}]}"; expect 400
call POST /api/v2/admin/users "$admin" "{\"name\":\"user$suffix\",\"password\":\"short\",\"tenants\":[{\"id\":$tenant,\"roles\":[2]}]}"; expect 400
call POST /api/v2/admin/users "$admin" "{\"name\":\"user$suffix\",\"password\":\"pass-$suffix-ok\",\"tenants\":[{\"id\":$tenant,\"default\":true,\"roles\":[2]}]}"; expect 201
call POST /api/v2/account/login "" "{\"userName\":\"user$suffix\",\"password\":\"pass-$suffix-ok\"}"; expect 200
user=$(token_of)
call GET /api/v2/account "$user"; expect 200
grep -q "\"name\":\"sandbox\"" <<<"$body" && { echo "UNEXPECTED: the user sees sandbox" >&2; exit 1; }
call GET /api/v2/admin/users "$user"; expect 403
grep -i '^X-Permit-MenuCode:' <<<"$headers"
call PUT /api/v2/account/password "$user" "{\"currentPassword\":\"pass-$suffix-ok\",\"newPassword\":\"1234567890\"}"; expect 400
echo "smoke: all as expected"
