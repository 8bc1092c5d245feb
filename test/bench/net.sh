#!/bin/bash
# shellcheck disable=SC2016,SC2317 # exit hooks are single-quoted for eval; run_* are called as "run_$t"
# net.sh KETTLE — the bridge network's cost, side by side (issue 14).
#
# Runs whole inside a private network and mount namespace of its own (it re-runs itself
# under `unshare --net --mount --propagation private`), so the bridge and its rules exist only
# there. Part 1 times `kettle run --rm --rootfs R /bin/true` on the bridge (the daemon's
# default), the same with `--network none`, bare `runc run` of an equivalent bundle and
# `podman run --rm --network bridge --rootfs R /bin/true` (skipped with the reason when podman
# is missing or cannot run here), alternating every iteration after one untimed warm-up each;
# it prints median, p90, min and max in ms and each one's ratio to bare runc (target: the
# bridge ≤ 1.5× bare runc). Part 2 streams BENCH_NET_MB MiB (default 1024) from a container
# (busybox nc) to a reader on the host, through the published port 127.0.0.1:8080 and
# directly to the container's address over the veth, alternating, BENCH_NET_RUNS times each
# (default 5), and prints MiB/s and the ratio (target ≥ 0.9×). Environment: BENCH_RUNS
# (timed runs per tool in part 1, default 20, at least 10). Exits 0 when every run succeeded,
# whether or not the targets were met; the verdicts are printed.
if [ "${KT_BENCH_NETNS:-}" != 1 ]; then
	command -v unshare >/dev/null || {
		echo "bench net: needs unshare (util-linux)" >&2
		exit 1
	}
	KT_BENCH_NETNS=1 exec unshare --net --mount --propagation private bash "$0" "$@"
fi
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_RUNS:-20}
NET_RUNS=${BENCH_NET_RUNS:-5}
NET_MB=${BENCH_NET_MB:-1024}
TARGET_START=1.5
TARGET_TPUT=0.9

bench_init "$@"
case $RUNS$NET_RUNS$NET_MB in
'' | *[!0-9]*) bench_die "BENCH_RUNS, BENCH_NET_RUNS and BENCH_NET_MB must be whole numbers" ;;
esac
[ "$RUNS" -ge 10 ] || bench_die "BENCH_RUNS must be at least 10, got $RUNS"
ip link set lo up

rootfs=$BENCH_TMP/rootfs
bench_rootfs "$rootfs"
bench_bundle "$BENCH_TMP/bundle" "$rootfs" /bin/true
runc_root=$BENCH_TMP/runc
bench_on_exit 'bench_runc_cleanup "$runc_root"'
bench_kettle_start "$BENCH_TMP/kroot" --default-network bridge || bench_die "$BENCH_WHY"
# Namespace files are mount points: unmounted before the root is removed.
bench_on_exit 'for f in "$BENCH_TMP"/kroot/containers/*/netns; do umount -l "$f" 2>/dev/null || true; done'

have_podman=0
podman_why="not installed"
if command -v podman >/dev/null; then
	# Its own storage and runtime state under BENCH_TMP; its bridge lives in our namespace.
	PODMAN=(podman --root "$BENCH_TMP/podman/root" --runroot "$BENCH_TMP/podman/run"
		--cgroup-manager cgroupfs --events-backend none)
	# Its storage mounts an overlay there: unmounted before BENCH_TMP is removed.
	bench_on_exit 'umount -R -l "$BENCH_TMP/podman/root/overlay" 2>/dev/null || true'
	# Explicit limits: podman's defaults (and --ulimit host) for open files and processes can
	# exceed what runc may set here ("error setting rlimit type 6/7: operation not permitted").
	PODMAN_RUN=(run --rm --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --network bridge)
	if "${PODMAN[@]}" "${PODMAN_RUN[@]}" --rootfs "$rootfs" /bin/true \
		</dev/null >/dev/null 2>"$BENCH_TMP/podman.err"; then
		have_podman=1
	else
		podman_why="cannot run here: $(tr '\n' ' ' <"$BENCH_TMP/podman.err" | head -c 300)"
	fi
fi

# One timed run of tool $1 (iteration $2). kettle's removal finishes in the background
# after the exit is told; it is waited for, untimed, as in startup.sh.
kettle_wait_gone()
{
	local left n
	for ((n = 0; n < 500; n++)); do
		left=("$KETTLE_ROOT"/containers/*)
		[ -e "${left[0]}" ] || return 0
		sleep 0.01
	done
}
run_bridge()
{
	local rc=0
	bench_time "$KETTLE" run --rm --rootfs "$rootfs" /bin/true || rc=$?
	kettle_wait_gone
	return "$rc"
}
run_none()
{
	local rc=0
	bench_time "$KETTLE" run --rm --network none --rootfs "$rootfs" /bin/true || rc=$?
	kettle_wait_gone
	return "$rc"
}
run_runc()
{
	bench_time runc --root "$runc_root" run -b "$BENCH_TMP/bundle" "bench-$1"
}
run_podman()
{
	bench_time "${PODMAN[@]}" "${PODMAN_RUN[@]}" --rootfs "$rootfs" /bin/true
}

tools=(bridge none runc)
[ "$have_podman" = 1 ] && tools+=(podman)
ntools=${#tools[@]}

echo "bench net: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  $("$KETTLE" version 2>/dev/null | head -n 1); $(runc --version | head -n 1)"
[ "$have_podman" = 1 ] && echo "  $(podman --version)"
[ "$have_podman" = 0 ] && echo "  podman: skipped, $podman_why"
echo "  $RUNS timed runs per tool, alternating, after one warm-up each"
for t in "${tools[@]}"; do
	: >"$BENCH_TMP/$t.us"
	"run_$t" warm || bench_die "warm-up of $t failed: $(head -c 500 "$BENCH_TMP/last.err")"
done
for ((i = 0; i < RUNS; i++)); do
	for ((k = 0; k < ntools; k++)); do
		t=${tools[(i + k) % ntools]}
		"run_$t" "$i" || bench_die "run $i of $t failed: $(head -c 500 "$BENCH_TMP/last.err")"
		echo "$BENCH_US" >>"$BENCH_TMP/$t.us"
	done
done
printf '\n  %-30s %5s %9s %9s %9s %9s %8s\n' "start to exit (ms)" runs median p90 min max "×runc"
read -r _ runc_med _ <<<"$(bench_stats "$BENCH_TMP/runc.us")"
declare -A med
for t in "${tools[@]}"; do
	read -r n m p lo hi <<<"$(bench_stats "$BENCH_TMP/$t.us")"
	med[$t]=$m
	case $t in
	bridge) label="kettle run --rm (bridge)" ;;
	none) label="kettle run --rm --network none" ;;
	runc) label="runc run (bare)" ;;
	podman) label="podman run --network bridge" ;;
	esac
	printf '  %-30s %5d %9s %9s %9s %9s %8s\n' "$label" "$n" "$m" "$p" "$lo" "$hi" \
		"$(bench_ratio "$m" "$runc_med")"
done
ratio=$(bench_ratio "${med[bridge]}" "$runc_med")
verdict=met
awk -v r="$ratio" -v t="$TARGET_START" 'BEGIN { exit !(r > t) }' && verdict=MISSED
echo "  target bridge ≤ ${TARGET_START}× bare runc: $verdict (${ratio}×)"
[ "$have_podman" = 1 ] && echo "  bridge vs podman: $(bench_ratio "${med[bridge]}" "${med[podman]}")×"

# Part 2: a stream through the published port and over the veth.
echo
bytes=$((NET_MB * 1024 * 1024))
"$KETTLE" run -d --name streamer -p 8080:80 --rootfs "$rootfs" \
	sh -c "while true; do head -c $bytes /dev/zero | nc -l -p 80; done" >/dev/null ||
	bench_die "kettle run streamer failed"
ctr_ip=$("$KETTLE" inspect streamer | sed -n -E 's/^ *"IPAddress": "([^"]*)",?$/\1/p')
[ -n "$ctr_ip" ] || bench_die "the streamer has no address"
# read_stream HOST PORT: connects (retrying while the container's nc is not yet listening),
# reads exactly $bytes and prints the MiB/s of the transfer itself.
read_stream()
{
	python3 - "$1" "$2" "$bytes" <<'EOF'
import socket, sys, time
host, port, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(200):
    try:
        s = socket.create_connection((host, port), timeout=5)
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("cannot connect to %s:%d" % (host, port))
buf = bytearray(1 << 20)
view = memoryview(buf)
got = 0
t0 = time.monotonic()
while got < want:
    n = s.recv_into(view, min(len(buf), want - got))
    if n == 0:
        sys.exit("stream ended after %d bytes" % got)
    got += n
dt = time.monotonic() - t0
s.close()
print("%.1f" % (got / dt / 1048576))
EOF
}
: >"$BENCH_TMP/port.mbs"
: >"$BENCH_TMP/veth.mbs"
for ((i = 0; i <= NET_RUNS; i++)); do
	a=$(read_stream 127.0.0.1 8080) || bench_die "stream through the published port failed"
	b=$(read_stream "$ctr_ip" 80) || bench_die "stream over the veth failed"
	[ "$i" = 0 ] && continue # warm-up
	echo "$a" >>"$BENCH_TMP/port.mbs"
	echo "$b" >>"$BENCH_TMP/veth.mbs"
done
mid()
{
	sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
port_mbs=$(mid "$BENCH_TMP/port.mbs")
veth_mbs=$(mid "$BENCH_TMP/veth.mbs")
echo "  a ${NET_MB} MiB stream from a container to the host, median of $NET_RUNS (MiB/s)"
printf '  %-40s %10s\n' "through the published port 127.0.0.1:8080" "$port_mbs"
printf '  %-40s %10s\n' "over the veth to $ctr_ip:80" "$veth_mbs"
tratio=$(bench_ratio "$port_mbs" "$veth_mbs")
verdict=met
awk -v r="$tratio" -v t="$TARGET_TPUT" 'BEGIN { exit !(r < t) }' && verdict=MISSED
echo "  target published port ≥ ${TARGET_TPUT}× the veth: $verdict (${tratio}×)"
"$KETTLE" rm -f streamer >/dev/null
