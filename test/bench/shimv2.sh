#!/bin/bash
# shimv2.sh KETTLE — kettle's containerd shim v2 against containerd's own runc shim, side by
# side in one run on one private containerd (issue 15's benchmark).
#
# Latency: `ctr run --rm --rootfs R ID /bin/true` with --runtime io.containerd.kettle.v2 and
# io.containerd.runc.v2, one untimed warm-up each, then BENCH_RUNS (default 10) iterations
# that run both, the one going first alternating; median and p90, and the ratio (target
# ≤ 0.9×). Memory: BENCH_IDLE (default 20) idle tasks (`ctr run -d … /bin/sleep 1000`, one
# pod each, so one shim each) per runtime, 4 s idle, then each shim's VmRSS and Pss (mean,
# max) and the ratios (target ≤ 1 MiB RSS per kettle shim). Needs root, runc, jq, containerd.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

bench_init "$@"
RUNS=${BENCH_RUNS:-10}
IDLE=${BENCH_IDLE:-20}
echo "shimv2: ctr run --rm latency ($RUNS runs) and idle shim memory ($IDLE tasks per runtime)"

rootfs=$BENCH_TMP/rootfs
bench_rootfs "$rootfs" >/dev/null || bench_die "scripts/mkrootfs.sh failed"
# containerd finds a runtime's shim by name on its PATH: links to the binary under test.
mkdir -p "$BENCH_TMP/bin"
ln -s "$KETTLE" "$BENCH_TMP/bin/containerd-shim-kettle-v2"
if ! PATH=$BENCH_TMP/bin:$PATH bench_containerd_start "$BENCH_TMP/containerd"; then
	echo "  skipped: $BENCH_WHY"
	exit 0
fi
C="ctr --address $CTRD_SOCK"
declare -A runtime=([kettle]=io.containerd.kettle.v2 [runc]=io.containerd.runc.v2)

# run_one TOOL N: one timed ctr run --rm.
run_one()
{
	bench_time $C run --rm --runtime "${runtime[$1]}" --rootfs "$rootfs" "$1-$2" /bin/true ||
		bench_die "ctr run --runtime ${runtime[$1]} failed: $(head -c 300 "$BENCH_TMP/last.err")"
	echo "$BENCH_US" >>"$BENCH_TMP/$1.us"
}
run_one kettle warm
run_one runc warm
: >"$BENCH_TMP/kettle.us"
: >"$BENCH_TMP/runc.us"
for ((i = 0; i < RUNS; i++)); do
	if ((i % 2)); then
		run_one runc "$i"
		run_one kettle "$i"
	else
		run_one kettle "$i"
		run_one runc "$i"
	fi
done
declare -A med
printf '  %-34s %8s %8s %8s %8s\n' "ctr run --rm /bin/true (ms)" median p90 min max
for t in kettle runc; do
	read -r _ m p lo hi <<<"$(bench_stats "$BENCH_TMP/$t.us")"
	med[$t]=$m
	printf '  %-34s %8s %8s %8s %8s\n' "--runtime ${runtime[$t]}" "$m" "$p" "$lo" "$hi"
done
echo "  kettle vs runc shim: $(bench_ratio "${med[kettle]}" "${med[runc]}")× (target ≤ 0.9×)"

# Idle memory: IDLE tasks per runtime, each its own shim.
for t in kettle runc; do
	for ((i = 0; i < IDLE; i++)); do
		$C run -d --runtime "${runtime[$t]}" --rootfs "$rootfs" "idle-$t-$i" /bin/sleep 1000 \
			</dev/null >/dev/null 2>"$BENCH_TMP/last.err" ||
			bench_die "ctr run -d $t $i failed: $(head -c 300 "$BENCH_TMP/last.err")"
	done
done
sleep 4
printf '  %-34s %9s %9s %9s %9s\n' "idle shim, per process (KiB)" "RSS mean" "RSS max" \
	"Pss mean" "Pss max"
declare -A rss pss
for t in kettle runc; do
	mapfile -t pids < <(pgrep -f -- "containerd-shim-$t-v2 .*-address $CTRD_SOCK( |$)" || true)
	[ "${#pids[@]}" = "$IDLE" ] || bench_die "found ${#pids[@]} $t shims, expected $IDLE"
	for pid in "${pids[@]}"; do
		bench_mem "$pid"
	done >"$BENCH_TMP/$t.mem"
	read -r rm rx pm px <<<"$(awk '
		{ r += $1; p += $2; if ($1 > rm) rm = $1; if ($2 > pm) pm = $2 }
		END { printf "%.0f %d %.0f %d\n", r / NR, rm, p / NR, pm }' "$BENCH_TMP/$t.mem")"
	rss[$t]=$rm
	pss[$t]=$pm
	printf '  %-34s %9s %9s %9s %9s\n' "containerd-shim-$t-v2 ($IDLE)" "$rm" "$rx" "$pm" "$px"
done
echo "  kettle vs runc shim: RSS $(bench_ratio "${rss[kettle]}" "${rss[runc]}")×," \
	"Pss $(bench_ratio "${pss[kettle]}" "${pss[runc]}")× (target ≤ 1024 KiB RSS each:" \
	"$([ "${rss[kettle]}" -le 1024 ] && echo met || echo missed))"
