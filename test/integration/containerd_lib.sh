# shellcheck shell=bash
# containerd_lib.sh — a private containerd for the shim v2 tests, sourced after lib.sh.
#
# start_containerd starts Debian's containerd on a config of its own (root, state and both
# sockets under TEST_TMP, the CRI plugin off) with a PATH whose first directory holds
# containerd-shim-kettle-v2 and containerd-shim-kettle-host-v2, links to $KETTLE (the
# names the shim answers to through argv[0]). CTR is then `ctr --address SOCK`.
# stop_containerd [SIGNAL] ends it (SIGKILL leaves its shims running, as a crash does). An
# EXIT trap added after lib.sh's stops containerd and kills every shim that names our
# socket, so nothing outlives the file. Needs root, containerd, ctr and runc (deps.sh).

KT_CTD_DIR=$TEST_TMP/containerd
KT_CTD_PID=
CTD_SOCK=$KT_CTD_DIR/c.sock
CTR="ctr --address $CTD_SOCK"
export CTD_SOCK CTR

# ctd_require: fails the file at once (one failure) when a peer it needs is missing.
ctd_require()
{
	local t
	for t in containerd ctr runc "$@"; do
		if ! command -v "$t" >/dev/null; then
			kt_fail "$t is installed (scripts/deps.sh installs it)"
			finish
		fi
	done
}

start_containerd()
{
	mkdir -p "$KT_CTD_DIR/bin"
	ln -sf "$KETTLE" "$KT_CTD_DIR/bin/containerd-shim-kettle-v2"
	ln -sf "$KETTLE" "$KT_CTD_DIR/bin/containerd-shim-kettle-host-v2"
	cat >"$KT_CTD_DIR/config.toml" <<-TOML
		version = 2
		root = "$KT_CTD_DIR/root"
		state = "$KT_CTD_DIR/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTD_SOCK"
		[ttrpc]
		  address = "$CTD_SOCK.ttrpc"
	TOML
	rm -f "$CTD_SOCK"
	PATH=$KT_CTD_DIR/bin:$PATH containerd -c "$KT_CTD_DIR/config.toml" \
		>>"$KT_CTD_DIR/containerd.log" 2>&1 &
	KT_CTD_PID=$!
	wait_for "containerd answers on its socket" 20 "$CTR version >/dev/null 2>&1 && echo up" up
}

# stop_containerd [SIGNAL]: TERM by default; waits (bounded) for it to be gone.
stop_containerd()
{
	local i
	[ -n "$KT_CTD_PID" ] || return 0
	kill "-${1:-TERM}" "$KT_CTD_PID" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		kill -0 "$KT_CTD_PID" 2>/dev/null || break
		sleep 0.05
	done
	{ wait "$KT_CTD_PID"; } 2>/dev/null || true
	KT_CTD_PID=
}

# ctd_shims: pids of the shims serving our containerd (they carry its socket in argv).
ctd_shims()
{
	pgrep -f -- "[c]ontainerd-shim-kettle.* -address $CTD_SOCK" || true
}

kt_ctd_cleanup()
{
	local rc=$? pid root
	set +e
	stop_containerd KILL
	for pid in $(ctd_shims); do
		kill -KILL "$pid" 2>/dev/null
	done
	if [ "$KT_FAIL" != 0 ] && [ -s "$KT_CTD_DIR/containerd.log" ]; then
		echo "--- containerd.log, the shims' lines (last 30)"
		grep -a 'containerd-shim-kettle' "$KT_CTD_DIR/containerd.log" | tail -n 30
	fi
	# A file that ended early leaves its runc containers in the shim's runc root (shared
	# by every containerd on the host): only those whose bundle is ours are removed.
	for root in /run/containerd/kettle/*/; do
		[ -d "$root" ] || continue
		runc --root "$root" list 2>/dev/null | awk -v d="$KT_CTD_DIR/" \
			'index($4, d) == 1 { print $1 }' | while read -r id; do
			runc --root "$root" kill "$id" KILL >/dev/null 2>&1
			runc --root "$root" delete -f "$id" >/dev/null 2>&1
		done
	done
	# Mounts of our containerd's snapshots would keep the directory busy.
	grep -o " $KT_CTD_DIR[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	(exit "$rc") # lib.sh's cleanup reads the file's exit status from $?
	kt_cleanup
}
# lib.sh's trap runs from ours, after containerd and its shims are gone.
trap 'kt_ctd_cleanup' EXIT
