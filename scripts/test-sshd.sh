#!/usr/bin/env bash
# test-sshd.sh — throw-away SSH hosts on loopback for the deploy tool's tests.
#
#   scripts/test-sshd.sh install          # installs openssh-server and sudo when missing
#   scripts/test-sshd.sh run N [GPU...]   # starts N hosts, prints them, runs until stdin closes
#
# `run` starts N sshd processes (host1 … hostN) on 127.0.0.1:${KQI_TEST_SSHD_BASE_PORT:-58221}
# and the following ports, each with its own generated host key and config under
# ${KQI_TEST_SSHD_DIR:-/tmp/kqi-test-sshd}. They accept the test user
# ${KQI_TEST_SSH_USER:-kqideploy} with the password ${KQI_TEST_SSH_PASSWORD:-kqi-test-pass},
# who may use sudo with that same password. Hosts named as GPU arguments (host3…)
# get a fake `nvidia-smi` first on their PATH. For each host one line goes to
# stdout:  host NAME 127.0.0.1 PORT HOSTKEY-FILE, then `ready`. The hosts are
# stopped when stdin closes (the test process ended) or on a signal.
#
# The system's own sshd is never touched: installing the package does not start
# it (policy-rc.d refuses service starts), and only the processes started here
# are stopped, by their pids.
set -euo pipefail

DIR="${KQI_TEST_SSHD_DIR:-/tmp/kqi-test-sshd}"
BASE_PORT="${KQI_TEST_SSHD_BASE_PORT:-58221}"
USER_NAME="${KQI_TEST_SSH_USER:-kqideploy}"
PASSWORD="${KQI_TEST_SSH_PASSWORD:-kqi-test-pass}"

log() { echo "test-sshd: $*" >&2; }
die() {
	log "$*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (sshd checks passwords of another user)"

install() {
	if [ -x /usr/sbin/sshd ] && command -v sudo >/dev/null && command -v ssh-keygen >/dev/null; then
		return
	fi
	log "installing openssh-server and sudo (Debian packages)"
	# No service may start during the install: a system sshd on port 22 must not appear.
	local created_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		created_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || true
	apt-get install -y -qq --no-install-recommends openssh-server openssh-client sudo >&2
	[ -z "$created_policy" ] || rm -f /usr/sbin/policy-rc.d
}

ensure_user() {
	if ! id "$USER_NAME" >/dev/null 2>&1; then
		useradd --create-home --shell /bin/bash "$USER_NAME"
	fi
	echo "$USER_NAME:$PASSWORD" | chpasswd
	local sudoers="/etc/sudoers.d/kqi-test-sshd"
	if [ ! -f "$sudoers" ]; then
		echo "$USER_NAME ALL=(ALL:ALL) ALL" >"$sudoers.tmp"
		chmod 440 "$sudoers.tmp"
		mv "$sudoers.tmp" "$sudoers"
	fi
}

PIDS=()
stop_all() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	PIDS=()
}

run() {
	local n="${1:?usage: test-sshd.sh run N [GPU-HOST...]}"
	shift
	local gpus=" $* "
	install
	ensure_user
	mkdir -p /run/sshd "$DIR"
	chmod 755 "$DIR"
	trap 'stop_all' EXIT
	trap 'exit 130' INT TERM HUP
	local i name port hdir
	for i in $(seq 1 "$n"); do
		name="host$i"
		port=$((BASE_PORT + i - 1))
		hdir="$DIR/$name"
		rm -rf "$hdir"
		mkdir -p "$hdir/bin"
		ssh-keygen -q -t ed25519 -N '' -f "$hdir/host_ed25519_key" -C "$name"
		local path_prefix=""
		if [[ "$gpus" == *" $name "* ]]; then
			cat >"$hdir/bin/nvidia-smi" <<'EOF'
#!/bin/sh
# A fake nvidia-smi for the deploy tool's tests: one GPU.
echo "NVIDIA H100 80GB HBM3, 81559 MiB, 550.54.15"
EOF
			chmod 755 "$hdir/bin/nvidia-smi"
			path_prefix="$hdir/bin:"
		fi
		cat >"$hdir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $hdir/host_ed25519_key
PidFile $hdir/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys $hdir/authorized_keys
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
StrictModes no
AllowUsers $USER_NAME
SetEnv PATH=${path_prefix}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin KQI_TEST_HOST=$name
LogLevel ERROR
EOF
		/usr/sbin/sshd -D -e -f "$hdir/sshd_config" 2>>"$hdir/sshd.log" &
		PIDS+=($!)
	done
	# Wait until every port answers.
	for i in $(seq 1 "$n"); do
		port=$((BASE_PORT + i - 1))
		local tries=0
		until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
			tries=$((tries + 1))
			[ "$tries" -lt 100 ] || die "sshd on port $port did not start: $(cat "$DIR/host$i/sshd.log")"
			sleep 0.1
		done
	done
	for i in $(seq 1 "$n"); do
		echo "host host$i 127.0.0.1 $((BASE_PORT + i - 1)) $DIR/host$i/host_ed25519_key.pub"
	done
	echo ready
	# Run until the caller closes stdin.
	cat >/dev/null || true
}

case "${1:-}" in
install) install ;;
run)
	shift
	run "$@"
	;;
*) die "usage: $0 install | run N [GPU-HOST...]" ;;
esac
