#!/usr/bin/env bash
# test-s3.sh — a throw-away S3-compatible server for the storage tests.
#
#   scripts/test-s3.sh start   # prints the endpoint URL on stdout
#   scripts/test-s3.sh stop    # stops the server and removes its files
#
# The server is versitygw (Apache-2.0) on its POSIX backend, built from
# source with `go install` into ${KQI_TEST_CACHE:-~/.cache/kqi-test} the
# first time (about a minute; later starts reuse the binary). It listens on
# 127.0.0.1:${KQI_TEST_S3_PORT:-57070} only, keeps its files in
# ${KQI_TEST_S3_DIR:-/tmp/kqi-test-s3}, and has one user, access key kqitest
# and secret key kqitestsecret. It is safe to run again: a running server
# is left alone and only the URL is printed. Typical use:
#
#   KQI_TEST_S3_ENDPOINT=$(scripts/test-s3.sh start) \
#   KQI_TEST_S3_ACCESS_KEY=kqitest KQI_TEST_S3_SECRET_KEY=kqitestsecret \
#   go test ./internal/storage/
#
# Everything but the URL goes to stderr.
set -euo pipefail

VERSION=v1.8.0
CACHE="${KQI_TEST_CACHE:-$HOME/.cache/kqi-test}/versitygw-$VERSION"
BIN="$CACHE/versitygw"
S3DIR="${KQI_TEST_S3_DIR:-/tmp/kqi-test-s3}"
PORT="${KQI_TEST_S3_PORT:-57070}"
URL="http://127.0.0.1:${PORT}"
PIDFILE="$S3DIR/versitygw.pid"
LOG="$S3DIR/versitygw.log"

log() { echo "test-s3: $*" >&2; }
die() {
	log "$*"
	exit 1
}

install_versitygw() {
	[ -x "$BIN" ] && return 0
	command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
	log "building versitygw $VERSION into $CACHE (once; about a minute)"
	mkdir -p "$CACHE"
	GOTOOLCHAIN=local GOFLAGS= GOBIN="$CACHE" go install "github.com/versity/versitygw/cmd/versitygw@$VERSION" >&2
	[ -x "$BIN" ] || die "go install finished but $BIN is missing"
}

# our_pid prints the pid of the server this script started, if it runs.
our_pid() {
	local pid
	[ -f "$PIDFILE" ] || return 1
	pid=$(cat "$PIDFILE")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# A recycled pid is someone else's process.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q versitygw || return 1
	echo "$pid"
}

answering() {
	# Any HTTP answer will do: unauthenticated requests get 403.
	curl -s -o /dev/null --max-time 2 "$URL/" 2>/dev/null
}

# remove_dir deletes the server directory, refusing anything that does not
# look like one so that a mistyped KQI_TEST_S3_DIR cannot wipe other files.
remove_dir() {
	[ -e "$S3DIR" ] || return 0
	case "$S3DIR" in "" | "/" | "/tmp" | "/root" | "/home" | "$HOME") die "refusing to remove $S3DIR" ;; esac
	if [ -n "$(ls -A "$S3DIR" 2>/dev/null)" ] && [ ! -d "$S3DIR/data" ]; then
		die "$S3DIR exists and is not a test S3 directory; remove it or set KQI_TEST_S3_DIR"
	fi
	rm -rf -- "$S3DIR"
}

# xattrs_work tells whether the data directory keeps user extended
# attributes, where versitygw's POSIX backend stores object metadata;
# without them it keeps metadata in a sidecar directory instead.
xattrs_work() {
	local probe="$S3DIR/data/.xattr-probe" ok=1
	: >"$probe"
	if command -v python3 >/dev/null; then
		python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.kqi", b"1")' "$probe" 2>/dev/null || ok=0
	elif command -v setfattr >/dev/null; then
		setfattr -n user.kqi -v 1 "$probe" 2>/dev/null || ok=0
	fi
	rm -f "$probe"
	[ "$ok" = 1 ]
}

start() {
	install_versitygw
	if our_pid >/dev/null; then
		if answering; then
			log "already running on $URL"
			echo "$URL"
			return 0
		fi
		log "the server in $S3DIR is not answering; replacing it"
		stop_server
	fi
	answering && die "something else answers on $URL; stop it or set KQI_TEST_S3_PORT"
	remove_dir
	mkdir -p "$S3DIR/data"
	local meta=()
	if ! xattrs_work; then
		log "$S3DIR has no user extended attributes; keeping metadata in a sidecar directory"
		mkdir -p "$S3DIR/meta"
		meta=(--sidecar "$S3DIR/meta")
	fi
	log "starting versitygw on $URL with data in $S3DIR/data"
	ROOT_ACCESS_KEY=kqitest ROOT_SECRET_KEY=kqitestsecret \
		nohup "$BIN" --quiet --port "127.0.0.1:$PORT" posix "${meta[@]}" "$S3DIR/data" \
		</dev/null >"$LOG" 2>&1 &
	echo $! >"$PIDFILE"
	for _ in $(seq 1 100); do
		if answering; then
			log "ready"
			echo "$URL"
			return 0
		fi
		our_pid >/dev/null || break
		sleep 0.2
	done
	tail -n 20 "$LOG" >&2 || true
	stop_server
	die "versitygw did not start; see the log above"
}

stop_server() {
	local pid
	pid=$(our_pid) || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

stop() {
	stop_server
	remove_dir
	log "stopped and removed $S3DIR"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
