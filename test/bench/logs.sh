#!/bin/bash
# shellcheck disable=SC2016,SC2317 # exit hooks are single-quoted for eval; run_* are called as "run_$t"
# logs.sh KETTLE — log throughput: a container `cat`s BENCH_LOG_MB of 100-byte lines to stdout.
#
# Side by side in one run, alternating (the first tool rotates), BENCH_LOG_RUNS timed runs each
# after one untimed warm-up: the floor `runc run | cat > file` (a bare bundle: one pipe, no
# monitor), kettle (`run -d` + `wait`: the shim writes the CRI log with the default rotation,
# 10m x 3; nobody attached), the same with rotation out of the way (--log-max-size 1t: the
# cost of freeing the deleted files' page cache shows as the difference), containerd (`ctr run --rm --log-uri file://…`: its shim copies raw
# stdout into a file, no CRI framing) and, when installed, podman+conmon (k8s-file CRI log).
# The data file lives in BENCH_TMP, outside every rootfs, bind-mounted read-only at /data.
# Prints median seconds, MB/s and the ratio to the floor, and the kettle shim's peak RSS (VmHWM,
# sampled until the shim exits). Targets: kettle ≤ 1.3× the floor, the default rotation ≤ 1.1×
# no rotation (--log-max-size 1t; issue 18), shim peak RSS < 1 MiB.
# Environment: BENCH_LOG_RUNS (default 3, at least 1), BENCH_LOG_MB (default 537, the issue's
# 5,370,000 lines). Exits 0 when every run succeeded, whether or not the targets were met.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_LOG_RUNS:-3}
MB=${BENCH_LOG_MB:-537}
TARGET_RATIO=1.3
TARGET_ROTATION=1.1
TARGET_SHIM_KIB=1024

bench_init "$@"
case $RUNS in '' | *[!0-9]* | 0) bench_die "BENCH_LOG_RUNS must be a positive whole number" ;; esac
case $MB in '' | *[!0-9]* | 0) bench_die "BENCH_LOG_MB must be a positive whole number" ;; esac

lines=$((MB * 10000)) # 100-byte lines: 10,000 per MB (10^6 bytes)
bytes=$((lines * 100))
data=$BENCH_TMP/data
mkdir -p "$data"
# 99 visible bytes and a newline per line, each line numbered so a lost or doubled line shows.
awk -v n="$lines" 'BEGIN { pad = sprintf("%090d", 0); for (i = 1; i <= n; i++) printf "%08d %s\n", i, pad }' \
	>"$data/lines"
[ "$(stat -c %s "$data/lines")" = "$bytes" ] || bench_die "the data file is not $bytes bytes"
last_line=$(tail -n 1 "$data/lines")

rootfs=$BENCH_TMP/rootfs
bench_rootfs "$rootfs"
bench_bundle "$BENCH_TMP/bundle" "$rootfs" /bin/cat /data/lines
jq --arg src "$data" '.mounts += [{destination: "/data", type: "bind", source: $src,
	options: ["rbind", "ro"]}]' "$BENCH_TMP/bundle/config.json" >"$BENCH_TMP/bundle/c.new"
mv "$BENCH_TMP/bundle/c.new" "$BENCH_TMP/bundle/config.json"
runc_root=$BENCH_TMP/runc
bench_on_exit 'bench_runc_cleanup "$runc_root"'
bench_kettle_start "$BENCH_TMP/kroot" || bench_die "$BENCH_WHY"
have_ctr=1
bench_containerd_start "$BENCH_TMP/containerd" || { have_ctr=0; ctr_why=$BENCH_WHY; }
have_podman=0
if command -v podman >/dev/null && command -v conmon >/dev/null; then
	have_podman=1
	pdir=$BENCH_TMP/podman
	mkdir -p "$pdir/root" "$pdir/run" "$pdir/tmp"
	pod=(podman --root "$pdir/root" --runroot "$pdir/run" --tmpdir "$pdir/tmp"
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
	bench_on_exit '"${pod[@]}" rm -f -a >/dev/null 2>&1; bench_kill_naming "$pdir"'
fi
out=$BENCH_TMP/out
mkdir -p "$out"

# Each run_* runs one container to its end; the caller times it. $1 is a unique suffix.
run_floor()
{
	runc --root "$runc_root" run -b "$BENCH_TMP/bundle" "floor-$1" | cat >"$out/floor"
}
run_kettle() { kettle_once; }
run_kettle_big() { kettle_once --log-max-size 1t; }
kettle_once()
{
	local id
	id=$("$KETTLE" run -d "$@" -v "$data:/data:ro" --rootfs "$rootfs" /bin/cat /data/lines) || return 1
	echo "$id" >"$out/kettle.id"
	# The shim's peak RSS, sampled until it exits (VmHWM only grows).
	(
		pid=$(pgrep -f -- "^kettle-shim --root $KETTLE_ROOT .*$id" | head -n 1)
		hwm=0
		while [ -n "$pid" ] && v=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status" 2>/dev/null) &&
			[ -n "$v" ]; do
			hwm=$v
			sleep 0.2
		done
		echo "$hwm" >"$out/kettle.hwm"
	) &
	local sampler=$!
	"$KETTLE" wait "$id" >/dev/null || return 1
	wait "$sampler"
}
run_ctr()
{
	ctr --address "$CTRD_SOCK" run --rm --log-uri "file://$out/ctr" \
		--mount "type=bind,src=$data,dst=/data,options=rbind:ro" \
		--rootfs "$rootfs" "ctr-$1" /bin/cat /data/lines
}
run_podman()
{
	# --rootfs takes the first argument after it as the root and the rest as the command:
	# every option goes before it.
	"${pod[@]}" run --rm -v "$data:/data:ro" --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 --log-driver k8s-file --log-opt "path=$out/podman.log" \
		--rootfs "$rootfs" /bin/cat /data/lines
}

# Checks one run's output (prints why it is wrong, if it is) and removes it: deleting a big
# file frees its page cache, which must not be timed in the next run of anybody.
check_floor()
{
	[ "$(stat -c %s "$out/floor")" = "$bytes" ] || echo "floor wrote $(stat -c %s "$out/floor") bytes"
	rm -f "$out/floor"
}
check_ctr()
{
	[ "$(stat -c %s "$out/ctr")" = "$bytes" ] || echo "ctr's log has $(stat -c %s "$out/ctr") bytes"
	rm -f "$out/ctr"
}
check_podman() { rm -f "$out/podman.log"; }
check_kettle()
{
	local id got
	id=$(cat "$out/kettle.id")
	got=$("$KETTLE" logs --tail 1 "$id")
	[ "$got" = "$last_line" ] || echo "kettle's last logged line is \`${got:0:20}…\`"
	"$KETTLE" rm "$id" >/dev/null
}
check_kettle_big() { check_kettle; }

tools=(floor kettle kettle_big)
[ "$have_ctr" = 1 ] && tools+=(ctr)
[ "$have_podman" = 1 ] && tools+=(podman)
ntools=${#tools[@]}

echo "bench logs: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  $lines lines of 100 bytes ($bytes bytes) through each tool, $RUNS timed runs each, alternating"
[ "$have_ctr" = 0 ] && echo "  ctr: skipped, $ctr_why"
[ "$have_podman" = 0 ] && echo "  podman: skipped, not installed"
: >"$BENCH_TMP/hwm"
for t in "${tools[@]}"; do
	: >"$BENCH_TMP/$t.us"
	bench_time "run_$t" warm || bench_die "warm-up of $t failed: $(head -c 500 "$BENCH_TMP/last.err")"
	why=$("check_$t")
	[ -z "$why" ] || bench_die "warm-up of $t: $why"
done
for ((i = 0; i < RUNS; i++)); do
	for ((k = 0; k < ntools; k++)); do
		t=${tools[(i + k) % ntools]}
		bench_time "run_$t" "$i" || bench_die "run $i of $t failed: $(head -c 500 "$BENCH_TMP/last.err")"
		echo "$BENCH_US" >>"$BENCH_TMP/$t.us"
		case $t in kettle*) cat "$out/kettle.hwm" >>"$BENCH_TMP/hwm" ;; esac
		why=$("check_$t")
		[ -z "$why" ] || bench_die "run $i of $t: $why"
	done
done

printf '\n  %-44s %5s %9s %9s %9s %8s\n' "$((bytes / 1000000)) MB of 100-byte lines" runs "median s" "min s" "MB/s" "×floor"
read -r _ floor_med _ <<<"$(bench_stats "$BENCH_TMP/floor.us")"
declare -A med
for t in "${tools[@]}"; do
	read -r n m _ lo _ <<<"$(bench_stats "$BENCH_TMP/$t.us")"
	med[$t]=$m
	case $t in
	floor) label="runc run | cat > file (pipe floor)" ;;
	kettle) label="kettle run -d + wait (CRI log, 10m x 3)" ;;
	kettle_big) label="kettle, same, no rotation (--log-max-size 1t)" ;;
	ctr) label="ctr run --rm --log-uri file:// (raw)" ;;
	podman) label="podman run --rm (conmon, k8s-file CRI)" ;;
	esac
	printf '  %-44s %5d %9.2f %9.2f %9.0f %8s\n' "$label" "$n" "$(awk -v m="$m" 'BEGIN{print m/1000}')" \
		"$(awk -v m="$lo" 'BEGIN{print m/1000}')" "$(awk -v b="$bytes" -v m="$m" 'BEGIN{print b/1000/m}')" \
		"$(bench_ratio "$m" "$floor_med")"
done
ratio=$(bench_ratio "${med[kettle]}" "$floor_med")
verdict=met
awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { exit !(r > t) }' && verdict=MISSED
echo "  target kettle ≤ ${TARGET_RATIO}× the pipe floor: $verdict (${ratio}×)"
rot=$(bench_ratio "${med[kettle]}" "${med[kettle_big]}")
verdict=met
awk -v r="$rot" -v t="$TARGET_ROTATION" 'BEGIN { exit !(r > t) }' && verdict=MISSED
echo "  target rotation (10m x 3) ≤ ${TARGET_ROTATION}× no rotation (1t): $verdict (${rot}×)"
[ "$have_ctr" = 1 ] && echo "  kettle vs ctr: $(bench_ratio "${med[kettle]}" "${med[ctr]}")× (containerd's shim copies the raw pipe into one file: no framing, no rotation)"
[ "$have_podman" = 1 ] && echo "  podman vs kettle: $(bench_ratio "${med[podman]}" "${med[kettle]}")×"
hwm=$(sort -n "$BENCH_TMP/hwm" | tail -n 1)
verdict=met
[ "${hwm:-0}" -gt 0 ] && [ "$hwm" -lt "$TARGET_SHIM_KIB" ] || verdict=MISSED
echo "  kettle-shim peak RSS (VmHWM): ${hwm:-?} KiB; target < $TARGET_SHIM_KIB KiB: $verdict"
exit 0
