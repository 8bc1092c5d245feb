#!/bin/bash
# shellcheck disable=SC2016,SC2317 # exit hooks are single-quoted for eval; run_* are called as "run_$t"
# startup.sh KETTLE — container start-to-exit latency and idle monitor memory, side by side.
#
# Part 1 times `kettle run --rm --rootfs R /bin/true` (daemon on a private root, its default
# seccomp filter on), bare `runc run` of an equivalent bundle with the very seccomp section
# kettle wrote (copied from a kettle config.json), the same bundle without one, and `ctr run
# --rm --rootfs R` (Debian's containerd on a private socket; skipped with a message when it is
# not installed), alternating every iteration and rotating which tool goes first, after one
# untimed warm-up each. It prints median, p90, min and max in ms, each tool's ratio to bare
# runc with the filter, and what the filter costs runc per start (the two runc medians). Part 2 starts BENCH_IDLE idle kettle
# containers and reports VmRSS and Pss per kettle-shim, next to containerd-shim-runc-v2 for one
# `ctr run -d` container and conmon (measured when podman is installed, else ENVIRONMENT.md's
# figure). Environment: BENCH_RUNS (timed runs per tool, default 20, at least 10),
# BENCH_IDLE (idle containers, default 20). Exits 0 when every run succeeded, whether or not the
# targets (kettle ≤ 1.15× bare runc, shim ≤ 400 KiB RSS) were met; the verdicts are printed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_RUNS:-20}
IDLE=${BENCH_IDLE:-20}
TARGET_RATIO=1.15
TARGET_SHIM_KIB=400
CONMON_REF_KIB=2007 # ENVIRONMENT.md: conmon 2.1.6 idle RSS 1.96 MiB

bench_init "$@"
case $RUNS in
'' | *[!0-9]*) bench_die "BENCH_RUNS must be a whole number, got \`$RUNS\`" ;;
esac
case $IDLE in
'' | *[!0-9]* | 0) bench_die "BENCH_IDLE must be a positive whole number, got \`$IDLE\`" ;;
esac
[ "$RUNS" -ge 10 ] || bench_die "BENCH_RUNS must be at least 10, got $RUNS"

rootfs=$BENCH_TMP/rootfs
bench_rootfs "$rootfs"
bench_bundle "$BENCH_TMP/bundle-nofilter" "$rootfs" /bin/true
runc_root=$BENCH_TMP/runc
bench_on_exit 'bench_runc_cleanup "$runc_root"'
bench_kettle_start "$BENCH_TMP/kroot" || bench_die "$BENCH_WHY"
# The filtered bundle: kettle's own linux.seccomp for this container (a created, never started
# one), so both sides load the same filter.
"$KETTLE" create --name seccomp-source --rootfs "$rootfs" /bin/true >/dev/null ||
	bench_die "kettle create (for its seccomp section) failed"
kconfig=("$KETTLE_ROOT"/containers/*/bundle/config.json)
mkdir -p "$BENCH_TMP/bundle"
jq --slurpfile k "${kconfig[0]}" '.linux.seccomp = $k[0].linux.seccomp' \
	"$BENCH_TMP/bundle-nofilter/config.json" >"$BENCH_TMP/bundle/config.json" ||
	bench_die "copying kettle's seccomp section failed"
jq -e '.linux.seccomp.syscalls | length > 0' "$BENCH_TMP/bundle/config.json" >/dev/null ||
	bench_die "kettle's config.json has no seccomp section"
"$KETTLE" rm seccomp-source >/dev/null || bench_die "kettle rm seccomp-source failed"
have_ctr=1
if ! bench_containerd_start "$BENCH_TMP/containerd"; then
	have_ctr=0
	ctr_why=$BENCH_WHY
fi

# One timed run of tool $1 (iteration $2); appends microseconds to $BENCH_TMP/$1.us.
# `kettle run --rm` returns once the exit is known and the container is gone for every
# client; its `runc delete` and the directory's removal finish in the background. That tail
# is waited for here, untimed, so it cannot slow the next tool's timed run.
run_kettle()
{
	local rc=0 left n
	bench_time "$KETTLE" run --rm --rootfs "$rootfs" /bin/true || rc=$?
	for ((n = 0; n < 500; n++)); do
		left=("$KETTLE_ROOT"/containers/*)
		[ -e "${left[0]}" ] || break
		sleep 0.01
	done
	return "$rc"
}
run_runc()
{
	bench_time runc --root "$runc_root" run -b "$BENCH_TMP/bundle" "bench-$1"
}
run_runcnf()
{
	bench_time runc --root "$runc_root" run -b "$BENCH_TMP/bundle-nofilter" "benchnf-$1"
}
run_ctr()
{
	bench_time ctr --address "$CTRD_SOCK" run --rm --rootfs "$rootfs" "ctr-$1" /bin/true
}

tools=(kettle runc runcnf)
[ "$have_ctr" = 1 ] && tools+=(ctr)
ntools=${#tools[@]}

echo "bench startup: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  $("$KETTLE" version 2>/dev/null | head -n 1); $(runc --version | head -n 1)"
[ "$have_ctr" = 1 ] && echo "  $(containerd --version)"
[ "$have_ctr" = 0 ] && echo "  ctr: skipped, $ctr_why"
echo "  $RUNS timed runs per tool, alternating, after one warm-up each"
awk '{ exit !($1 > 1) }' /proc/loadavg &&
	echo "  note: the 1-minute load is above 1; other work on this machine skews the figures"

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

printf '\n  %-22s %5s %9s %9s %9s %9s %8s\n' "start to exit (ms)" runs median p90 min max "×runc"
read -r _ runc_med _ <<<"$(bench_stats "$BENCH_TMP/runc.us")"
declare -A med
for t in "${tools[@]}"; do
	read -r n m p lo hi <<<"$(bench_stats "$BENCH_TMP/$t.us")"
	med[$t]=$m
	case $t in
	kettle) label="kettle run --rm" ;;
	runc) label="runc run (bare, filter)" ;;
	runcnf) label="runc run (no filter)" ;;
	ctr) label="ctr run --rm" ;;
	esac
	printf '  %-22s %5d %9s %9s %9s %9s %8s\n' "$label" "$n" "$m" "$p" "$lo" "$hi" \
		"$(bench_ratio "$m" "$runc_med")"
done
ratio=$(bench_ratio "${med[kettle]}" "$runc_med")
verdict=met
awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { exit !(r > t) }' && verdict=MISSED
echo "  target kettle ≤ ${TARGET_RATIO}× bare runc (both filtered): $verdict (${ratio}×)"
echo "  the filter costs runc $(awk -v a="$runc_med" -v b="${med[runcnf]}" 'BEGIN { printf "%.2f", a - b }') ms per start" \
	"(median with it $runc_med ms, without ${med[runcnf]} ms)"
if [ "$have_ctr" = 1 ]; then
	echo "  kettle vs ctr: $(bench_ratio "${med[kettle]}" "${med[ctr]}")×"
fi

# Part 2: idle monitor memory.
echo
echo "  idle monitor memory ($IDLE kettle containers running /bin/sleep 1000)"
for ((i = 0; i < IDLE; i++)); do
	"$KETTLE" run -d --rootfs "$rootfs" /bin/sleep 1000 >/dev/null 2>"$BENCH_TMP/last.err" ||
		bench_die "kettle run -d $i failed: $(head -c 500 "$BENCH_TMP/last.err")"
done
# Idle means idle: a shim gives back what its startup used after 2 s without events
# (SHIM_TRIM_MS, src/shim/shim_trim.c), so the figure is taken after that.
sleep 4
mapfile -t shims < <(pgrep -f -- "^kettle-shim --root $KETTLE_ROOT " || true)
[ "${#shims[@]}" = "$IDLE" ] ||
	bench_die "found ${#shims[@]} kettle-shim processes for the private root, expected $IDLE"
for pid in "${shims[@]}"; do
	bench_mem "$pid"
done >"$BENCH_TMP/shim.mem"
read -r rss_mean rss_max pss_mean pss_max anon_mean <<<"$(awk '
	{ r += $1; p += $2; a += $3; if ($1 > rm) rm = $1; if ($2 > pm) pm = $2 }
	END { printf "%.0f %d %.0f %d %.0f\n", r / NR, rm, p / NR, pm, a / NR }' "$BENCH_TMP/shim.mem")"
read -r drss dpss danon <<<"$(bench_mem "$KETTLE_DAEMON_PID")"
row()
{
	printf '  %-30s %9s %9s %9s %9s %9s\n' "$@"
}
row "per process (KiB)" "RSS mean" "RSS max" "Pss mean" "Pss max" "Anon mean"
row "kettle-shim ($IDLE)" "$rss_mean" "$rss_max" "$pss_mean" "$pss_max" "$anon_mean"
row "kettle daemon (1, for all)" "$drss" "" "$dpss" "" "$danon"

if [ "$have_ctr" = 1 ]; then
	if ctr --address "$CTRD_SOCK" run -d --rootfs "$rootfs" ctr-idle /bin/sleep 1000 \
		>/dev/null 2>"$BENCH_TMP/last.err"; then
		cpid=$(pgrep -f -- "containerd-shim-runc-v2 .*-address $CTRD_SOCK( |$)" | head -n 1 || true)
		if [ -n "$cpid" ]; then
			read -r crss cpss canon <<<"$(bench_mem "$cpid")"
			row "containerd-shim-runc-v2 (1)" "$crss" "" "$cpss" "" "$canon"
		else
			echo "  containerd-shim-runc-v2: no shim process found for the private socket"
		fi
	else
		echo "  ctr run -d failed: $(head -c 300 "$BENCH_TMP/last.err")"
	fi
fi

conmon_kib=
if command -v podman >/dev/null && command -v conmon >/dev/null; then
	pdir=$BENCH_TMP/podman
	mkdir -p "$pdir/root" "$pdir/run" "$pdir/tmp"
	pod=(podman --root "$pdir/root" --runroot "$pdir/run" --tmpdir "$pdir/tmp"
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
	bench_on_exit '"${pod[@]}" rm -f -a >/dev/null 2>&1; bench_kill_naming "$pdir"'
	if "${pod[@]}" run -d --rootfs "$rootfs" --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 /bin/sleep 1000 >/dev/null 2>"$BENCH_TMP/last.err"; then
		mpid=$(pgrep -f -- "^conmon .*$pdir" | head -n 1 || true)
		if [ -n "$mpid" ]; then
			read -r conmon_kib mpss manon <<<"$(bench_mem "$mpid")"
			row "conmon (1)" "$conmon_kib" "" "$mpss" "" "$manon"
		fi
	else
		echo "  podman run -d failed: $(head -c 300 "$BENCH_TMP/last.err")"
	fi
fi
if [ -z "$conmon_kib" ]; then
	row "conmon (ENVIRONMENT.md)" "$CONMON_REF_KIB" "" "" "" ""
fi
verdict=met
[ "$rss_max" -le "$TARGET_SHIM_KIB" ] || verdict=MISSED
echo "  target kettle-shim ≤ $TARGET_SHIM_KIB KiB RSS each: $verdict (max $rss_max KiB)"
echo "  (Anon is the private memory each further container adds; VmRSS also counts the binary's"
echo "  text, which every shim of one binary shares, and Pss a 1/N share of it)"
exit 0
