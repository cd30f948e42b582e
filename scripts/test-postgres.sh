#!/usr/bin/env bash
# test-postgres.sh — a throw-away PostgreSQL cluster for the integration tests.
#
#   scripts/test-postgres.sh start   # prints the connection URL on stdout
#   scripts/test-postgres.sh stop    # stops the cluster and removes its files
#
# `start` installs PostgreSQL from the Debian packages when it is missing,
# creates a cluster in ${KQI_TEST_PG_DIR:-/tmp/kqi-test-pg} (trust auth,
# 127.0.0.1 only, port ${KQI_TEST_PG_PORT:-55432}, unix socket inside the
# cluster directory), a superuser role kqi/kqi and a database kqi. It is safe
# to run again: a running cluster is left alone and only the URL is printed.
# Typical use:
#
#   KQI_TEST_POSTGRES_URL=$(scripts/test-postgres.sh start) go test ./...
#
# Everything but the URL goes to stderr. The cluster directory must be
# reachable by the postgres OS user (the default under /tmp is).
set -euo pipefail

PGDIR="${KQI_TEST_PG_DIR:-/tmp/kqi-test-pg}"
PORT="${KQI_TEST_PG_PORT:-55432}"
URL="postgres://kqi:kqi@127.0.0.1:${PORT}/kqi?sslmode=disable"

log() { echo "test-postgres: $*" >&2; }
die() {
	log "$*"
	exit 1
}

# The postgres OS user's commands run from / so that a working directory it
# cannot read causes no warnings.
cd /

# as_pg runs a command as the postgres OS user; PostgreSQL refuses to run as root.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_bindir() {
	local ctl
	# The newest version when several are installed; the literal pattern when none.
	ctl=$(printf '%s\n' /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)
	if [ -x "$ctl" ]; then
		dirname "$ctl"
	fi
}

install_postgres() {
	[ -n "$(pg_bindir)" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed; run as root to install it, or install the postgresql package"
	log "installing PostgreSQL from the Debian packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y --no-install-recommends postgresql >&2
	# The package may start its own cluster on 5432; the tests do not use it,
	# and nothing else can rely on a server installed a moment ago.
	if command -v pg_lsclusters >/dev/null 2>&1; then
		pg_lsclusters --no-header 2>/dev/null | while read -r ver name _; do
			pg_ctlcluster "$ver" "$name" stop >&2 2>/dev/null || true
		done
	fi
	[ -n "$(pg_bindir)" ] || die "postgresql installed but no pg_ctl found under /usr/lib/postgresql"
}

is_running() {
	[ -f "$PGDIR/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$PGDIR" status >/dev/null 2>&1
}

# remove_dir deletes the cluster directory, refusing anything that does not
# look like one so that a mistyped KQI_TEST_PG_DIR cannot wipe other files.
remove_dir() {
	[ -e "$PGDIR" ] || return 0
	case "$PGDIR" in "" | "/" | "/tmp" | "/root" | "/home") die "refusing to remove $PGDIR" ;; esac
	if [ -n "$(ls -A "$PGDIR" 2>/dev/null)" ] && [ ! -f "$PGDIR/PG_VERSION" ]; then
		die "$PGDIR exists and is not a PostgreSQL cluster; remove it or set KQI_TEST_PG_DIR"
	fi
	rm -rf -- "$PGDIR"
}

psql_admin() {
	as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -p "$PORT" -U postgres -d postgres "$@"
}

start() {
	install_postgres
	BIN=$(pg_bindir)
	if is_running; then
		if as_pg "$BIN/pg_isready" -q -h "$PGDIR" -p "$PORT"; then
			log "already running in $PGDIR"
			echo "$URL"
			return 0
		fi
		log "a server in $PGDIR is not answering; replacing it"
		as_pg "$BIN/pg_ctl" -D "$PGDIR" -m immediate -w stop >&2 || true
	fi
	remove_dir
	log "creating a cluster in $PGDIR on 127.0.0.1:$PORT"
	mkdir -p "$PGDIR"
	chmod 0700 "$PGDIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres:postgres "$PGDIR"
	fi
	as_pg "$BIN/initdb" -D "$PGDIR" -U postgres --auth=trust --no-locale --encoding=UTF8 >&2
	cat >>"$PGDIR/postgresql.conf" <<EOF

# kqi test cluster: local only, and fast rather than durable.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$PGDIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
	as_pg "$BIN/pg_ctl" -D "$PGDIR" -l "$PGDIR/server.log" -w -t 60 start >&2 ||
		{
			tail -n 20 "$PGDIR/server.log" >&2 || true
			die "PostgreSQL did not start; see $PGDIR/server.log"
		}
	psql_admin <<'EOF'
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kqi') THEN
		CREATE ROLE kqi;
	END IF;
END
$$;
ALTER ROLE kqi WITH SUPERUSER LOGIN PASSWORD 'kqi';
EOF
	if [ "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = 'kqi'")" != "1" ]; then
		psql_admin -c "CREATE DATABASE kqi OWNER kqi"
	fi
	log "ready"
	echo "$URL"
}

stop() {
	BIN=$(pg_bindir)
	if [ -n "$BIN" ] && is_running; then
		as_pg "$BIN/pg_ctl" -D "$PGDIR" -m fast -w stop >&2
	fi
	remove_dir
	log "stopped and removed $PGDIR"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
