# shellcheck shell=bash
# lib.sh — shared helpers for the benchmark scripts, sourced by every test/bench/*.sh.
#
# Layer: test tooling; touches nothing outside one private temporary directory (BENCH_TMP).
# Gives: a root check, the busybox rootfs (scripts/mkrootfs.sh), a bare runc bundle equivalent to
# kettle's --rootfs config, a kettle daemon on a private root, Debian's containerd on a private
# socket, a fork-free microsecond timer and median/p90 statistics over a file of samples.
# Invariants: every process a helper starts is registered for the EXIT trap, which stops them
# in reverse order (containers first, then daemons) and removes BENCH_TMP; processes are only
# ever found through paths unique to BENCH_TMP and ended by pid. Helpers never exit on their
# own except bench_init/bench_die; they return non-zero and leave the message in BENCH_WHY.

set -eu -o pipefail

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_NAME=$(basename "$0" .sh)
BENCH_TMP=
BENCH_WHY=
BENCH_US=0
BENCH_CLEANUPS=()

# bench_die MSG: one line on stderr, exit 1 (the EXIT trap still cleans up).
bench_die()
{
	printf 'bench %s: %s\n' "$BENCH_NAME" "$1" >&2
	exit 1
}

# bench_note MSG: an informational line on stdout.
bench_note()
{
	printf '  %s\n' "$1"
}

# bench_on_exit CMD: CMD (a string for eval) runs at exit, the last registered first.
bench_on_exit()
{
	BENCH_CLEANUPS+=("$1")
}

bench_cleanup()
{
	local rc=$? i
	set +e
	for ((i = ${#BENCH_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${BENCH_CLEANUPS[i]}"
	done
	[ -n "$BENCH_TMP" ] && [ -d "$BENCH_TMP" ] && rm -rf --one-file-system "$BENCH_TMP"
	exit "$rc"
}

# bench_init KETTLE: checks the binary, root and tools; sets BENCH_TMP and KETTLE (a private copy
# of the binary in BENCH_TMP).
bench_init()
{
	[ $# -eq 1 ] || bench_die "usage: $0 KETTLE_BINARY"
	[ -x "$1" ] || bench_die "kettle binary \`$1\` is not executable; build it with \`make\`"
	[ "$(id -u)" = 0 ] || bench_die "needs root (runc and kettle start real containers)"
	command -v runc >/dev/null || bench_die "needs \`runc\` in PATH (scripts/deps.sh)"
	command -v jq >/dev/null || bench_die "needs \`jq\` to write the bare runc bundle"
	BENCH_TMP=$(mktemp -d /tmp/kettle-bench.XXXXXX)
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	# A private copy: a rebuild of the tree during the run cannot mix two binaries.
	cp "$1" "$BENCH_TMP/kettle"
	KETTLE=$BENCH_TMP/kettle
	export KETTLE
}

# bench_now_us: wall clock in microseconds, without forking (bash 5's EPOCHREALTIME).
bench_now_us()
{
	local t=${EPOCHREALTIME/[.,]/}
	echo "$t"
}

# bench_time CMD...: runs CMD with stdin and stdout on /dev/null and stderr in
# $BENCH_TMP/last.err; its wall time in microseconds goes to BENCH_US (no fork to read the
# clock, so the timer adds nothing measurable). Returns CMD's exit status.
bench_time()
{
	local t0 t1 rc=0
	t0=${EPOCHREALTIME/[.,]/}
	"$@" </dev/null >/dev/null 2>"$BENCH_TMP/last.err" || rc=$?
	t1=${EPOCHREALTIME/[.,]/}
	# shellcheck disable=SC2034 # read by the calling script
	BENCH_US=$((t1 - t0))
	return "$rc"
}

# bench_stats FILE: one sample (microseconds) per line in; prints
# "N MEDIAN_MS P90_MS MIN_MS MAX_MS" (nearest-rank p90, median of the middle two when even).
bench_stats()
{
	sort -n "$1" | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "0 0 0 0 0"; exit }
			med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			r = int(0.9 * NR + 0.999999); if (r < 1) r = 1
			printf "%d %.1f %.1f %.1f %.1f\n", NR, med / 1000, v[r] / 1000, v[1] / 1000, v[NR] / 1000
		}'
}

# bench_ratio A B: A / B to two decimals ("-" when B is zero or empty).
bench_ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

# bench_rootfs DIR: the busybox rootfs of the integration tests.
bench_rootfs()
{
	"$BENCH_TOP/scripts/mkrootfs.sh" "$1"
}

# bench_bundle DIR ROOTFS CMD...: a bare runc bundle in DIR running CMD on ROOTFS. Starts from
# `runc spec` and makes it match what kettle writes for --rootfs: no terminal, a writable root
# at ROOTFS's absolute path, docker's default capability set, the host's open-file limit, the
# same namespaces (pid, ipc, uts, mount, network) and mounts.
bench_bundle()
{
	local dir=$1 rootfs args
	rootfs=$(cd "$2" && pwd)
	shift 2
	args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	mkdir -p "$dir"
	runc spec -b "$dir"
	jq --arg root "$rootfs" --argjson args "$args" --argjson nofile "$(ulimit -Hn)" '
		.process.terminal = false
		| .process.args = $args
		| .process.capabilities = (["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
			"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
			"CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD",
			"CAP_AUDIT_WRITE", "CAP_SETFCAP"] as $c
			| {bounding: $c, effective: $c, permitted: $c})
		| .process.rlimits = [{type: "RLIMIT_NOFILE", hard: $nofile, soft: $nofile}]
		| .root = {path: $root, readonly: false}
		| .hostname = "bench"' "$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}

# bench_runc_cleanup ROOT: kills and deletes every runc container under state root ROOT.
bench_runc_cleanup()
{
	local id
	[ -d "$1" ] || return 0
	for id in $(runc --root "$1" list -q 2>/dev/null); do
		runc --root "$1" kill "$id" KILL >/dev/null 2>&1
		runc --root "$1" delete -f "$id" >/dev/null 2>&1
	done
	return 0
}

# bench_kill_naming STR: SIGKILL, by pid, every process whose command line contains STR (a
# path unique to BENCH_TMP), except this shell.
bench_kill_naming()
{
	local pid
	for pid in $(pgrep -f -- "$1" 2>/dev/null); do
		[ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] || kill -KILL "$pid" 2>/dev/null
	done
	return 0
}

# bench_wait_gone PID TENTHS: waits up to TENTHS tenths of a second for PID to exit.
bench_wait_gone()
{
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$1" 2>/dev/null
}

# bench_kettle_start ROOT [DAEMON_ARGS...]: `kettle daemon -d` on a private root; exports
# KETTLE_ROOT so every later kettle command talks to it. Sets KETTLE_DAEMON_PID.
bench_kettle_start()
{
	local root=$1
	shift
	KETTLE_ROOT=$root
	export KETTLE_ROOT
	bench_on_exit bench_kettle_stop
	# No bridge unless a bench asks for one (inside its own network namespace).
	case " $* " in
	*" --default-network"*) ;;
	*) set -- "$@" --default-network none ;;
	esac
	if ! "$KETTLE" daemon -d --root "$root" "$@" 2>"$BENCH_TMP/kettled.err"; then
		BENCH_WHY="kettle daemon failed: $(head -c 500 "$BENCH_TMP/kettled.err")"
		return 1
	fi
	read -r KETTLE_DAEMON_PID <"$root/daemon.lock"
}

# bench_kettle_stop: removes every container of the private root, stops the daemon, then
# removes whatever is left (runc containers, shims) and the root itself.
bench_kettle_stop()
{
	local ids
	[ -n "${KETTLE_ROOT:-}" ] && [ -d "$KETTLE_ROOT" ] || return 0
	if [ -n "${KETTLE_DAEMON_PID:-}" ] && kill -0 "$KETTLE_DAEMON_PID" 2>/dev/null; then
		ids=$(timeout 30 "$KETTLE" ps -aq --no-trunc 2>/dev/null || true)
		if [ -n "$ids" ]; then
			# shellcheck disable=SC2086 # one id per word
			timeout 60 "$KETTLE" rm -f $ids >/dev/null 2>&1
		fi
		kill -TERM "$KETTLE_DAEMON_PID" 2>/dev/null
		bench_wait_gone "$KETTLE_DAEMON_PID" 50 || kill -KILL "$KETTLE_DAEMON_PID" 2>/dev/null
	fi
	bench_runc_cleanup "$KETTLE_ROOT/runc"
	bench_kill_naming "$KETTLE_ROOT"
	rm -rf --one-file-system "$KETTLE_ROOT"
	KETTLE_DAEMON_PID=
	return 0
}

# bench_containerd_start DIR: Debian's containerd with a private config (root, state and the
# sockets under DIR, CRI disabled). Sets CTRD_SOCK and CTRD_PID once `ctr version` answers.
# Returns 1 with BENCH_WHY set when containerd or ctr is missing or it does not come up.
bench_containerd_start()
{
	local dir=$1 i
	if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
		BENCH_WHY="containerd is not installed (Debian package \`containerd\`)"
		return 1
	fi
	mkdir -p "$dir"
	CTRD_SOCK=$dir/containerd.sock
	# containerd puts the default namespace's containers under the cgroup /default and leaves
	# it behind; remember whether it was already there so the stop removes only our own.
	CTRD_CGROUP_NEW=0
	[ -e /sys/fs/cgroup/pids/default ] || [ -e /sys/fs/cgroup/unified/default ] ||
		[ -e /sys/fs/cgroup/default ] || CTRD_CGROUP_NEW=1
	cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$CTRD_SOCK"

[ttrpc]
  address = "$CTRD_SOCK.ttrpc"

[debug]
  address = "$dir/debug.sock"

[metrics]
  address = ""
EOF
	containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 &
	CTRD_PID=$!
	bench_on_exit bench_containerd_stop
	for ((i = 0; i < 100; i++)); do
		ctr --address "$CTRD_SOCK" version >/dev/null 2>&1 && return 0
		kill -0 "$CTRD_PID" 2>/dev/null || break
		sleep 0.1
	done
	# shellcheck disable=SC2034 # read by the calling script
	BENCH_WHY="containerd did not answer on \`$CTRD_SOCK\` within 10 s: $(tail -n 3 "$dir/containerd.log")"
	return 1
}

# bench_containerd_stop: kills and removes every task and container, stops containerd and any
# shim still serving its socket.
bench_containerd_stop()
{
	local id
	[ -n "${CTRD_PID:-}" ] || return 0
	if kill -0 "$CTRD_PID" 2>/dev/null; then
		for id in $(ctr --address "$CTRD_SOCK" task ls -q 2>/dev/null); do
			ctr --address "$CTRD_SOCK" task kill -s SIGKILL "$id" >/dev/null 2>&1
			timeout 10 ctr --address "$CTRD_SOCK" task delete -f "$id" >/dev/null 2>&1
		done
		for id in $(ctr --address "$CTRD_SOCK" container ls -q 2>/dev/null); do
			ctr --address "$CTRD_SOCK" container delete "$id" >/dev/null 2>&1
		done
		kill -TERM "$CTRD_PID" 2>/dev/null
		bench_wait_gone "$CTRD_PID" 50 || kill -KILL "$CTRD_PID" 2>/dev/null
	fi
	wait "$CTRD_PID" 2>/dev/null
	bench_kill_naming "$CTRD_SOCK"
	if [ "${CTRD_CGROUP_NEW:-0}" = 1 ]; then
		# rmdir removes only empty cgroups: anything still running there stays.
		rmdir /sys/fs/cgroup/*/default /sys/fs/cgroup/default 2>/dev/null
	fi
	CTRD_PID=
	return 0
}

# bench_mem PID: prints "VMRSS_KIB PSS_KIB ANON_KIB" of PID ("0 0 0" when it is gone). VmRSS
# counts every resident page mapped, shared text included; Pss divides shared pages among
# their users; RssAnon is the process's private heap, stack and data.
bench_mem()
{
	local rss pss anon
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || true)
	anon=$(awk '$1 == "RssAnon:" { print $2 }' "/proc/$1/status" 2>/dev/null || true)
	pss=$(awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || true)
	echo "${rss:-0} ${pss:-0} ${anon:-0}"
}
