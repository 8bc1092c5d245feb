#!/bin/bash
# shellcheck disable=SC2016,SC2317 # exit hooks are single-quoted for eval; run_* are called as "run_$t"
# exec.sh KETTLE — `kettle exec` throughput through its relay, side by side with bare runc.
#
# Since issue 12 an exec's stdout and stdin, when they are a pipe of the user's shell, go
# through pipes of kettle's and a splice(2) relay in the client instead of being handed to the
# container. This times BENCH_MB MiB out (`exec c cat FILE | cat >/dev/null`) and in (`... |
# exec -i c sh -c 'cat >/dev/null'`) for kettle and for `runc exec` on the same container with
# the shell's pipe handed straight over (what kettle did before), alternating, after a warm-up
# each; BENCH_KETTLE_OLD=PATH adds an older kettle binary as a third column. Prints median MiB/s
# and each tool's time ratio to runc. Environment: BENCH_RUNS (default 5), BENCH_MB (default
# 256). Exits 0 when every run succeeded.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_RUNS:-5}
MB=${BENCH_MB:-256}

bench_init "$@"
case $RUNS$MB in
'' | *[!0-9]*) bench_die "BENCH_RUNS and BENCH_MB must be whole numbers" ;;
esac
rootfs=$BENCH_TMP/rootfs
bench_rootfs "$rootfs"
bench_kettle_start "$BENCH_TMP/kroot" || bench_die "$BENCH_WHY"
id=$("$KETTLE" run -d --rootfs "$rootfs" /bin/sleep 100000) || bench_die "kettle run -d failed"
"$KETTLE" exec "$id" dd if=/dev/zero of=/big bs=1M count="$MB" 2>/dev/null ||
	bench_die "writing the $MB MiB file failed"
bench_on_exit '"$KETTLE" rm -f "$id" >/dev/null 2>&1'
runc_root=$KETTLE_ROOT/runc
printf '{"args":["cat","/big"],"cwd":"/","user":{"uid":0,"gid":0},"env":["PATH=/bin"]}' \
	>"$BENCH_TMP/out.json"
printf '{"args":["sh","-c","cat >/dev/null"],"cwd":"/","user":{"uid":0,"gid":0},"env":["PATH=/bin"]}' \
	>"$BENCH_TMP/in.json"
head -c "$((MB << 20))" /dev/zero >"$BENCH_TMP/big.in"
export id runc_root BENCH_TMP

# out_TOOL / in_TOOL: one timed transfer each way.
out_kettle() { bench_time bash -c '"$KETTLE" exec "$id" cat /big | cat >/dev/null'; }
in_kettle() { bench_time bash -c 'cat "$BENCH_TMP/big.in" | "$KETTLE" exec -i "$id" sh -c "cat >/dev/null"'; }
out_old() { bench_time bash -c '"$BENCH_KETTLE_OLD" exec "$id" cat /big | cat >/dev/null'; }
in_old() { bench_time bash -c 'cat "$BENCH_TMP/big.in" | "$BENCH_KETTLE_OLD" exec -i "$id" sh -c "cat >/dev/null"'; }
out_runc() { bench_time bash -c 'runc --root "$runc_root" exec -p "$BENCH_TMP/out.json" "$id" | cat >/dev/null'; }
in_runc() { bench_time bash -c 'cat "$BENCH_TMP/big.in" | runc --root "$runc_root" exec -p "$BENCH_TMP/in.json" "$id"'; }

tools=(kettle runc)
if [ -n "${BENCH_KETTLE_OLD:-}" ]; then
	[ -x "$BENCH_KETTLE_OLD" ] || bench_die "BENCH_KETTLE_OLD \`$BENCH_KETTLE_OLD\` is not executable"
	export BENCH_KETTLE_OLD
	tools+=(old)
fi
n=${#tools[@]}

echo "bench exec: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  $MB MiB each way, $RUNS timed runs per tool and direction, alternating, after one warm-up"
for dir in out in; do
	for t in "${tools[@]}"; do
		: >"$BENCH_TMP/$dir.$t.us"
		"${dir}_$t" || bench_die "warm-up $dir of $t failed: $(head -c 300 "$BENCH_TMP/last.err")"
	done
	for ((i = 0; i < RUNS; i++)); do
		for ((k = 0; k < n; k++)); do
			t=${tools[(i + k) % n]}
			"${dir}_$t" || bench_die "$dir $i of $t failed: $(head -c 300 "$BENCH_TMP/last.err")"
			echo "$BENCH_US" >>"$BENCH_TMP/$dir.$t.us"
		done
	done
done

printf '\n  %-34s %9s %9s %8s\n' "transfer" "median ms" "MiB/s" "×runc"
for dir in out in; do
	read -r _ rmed _ <<<"$(bench_stats "$BENCH_TMP/$dir.runc.us")"
	for t in "${tools[@]}"; do
		read -r _ m _ <<<"$(bench_stats "$BENCH_TMP/$dir.$t.us")"
		case $t in
		kettle) label="kettle exec (relay)" ;;
		runc) label="runc exec (pipe handed over)" ;;
		old) label="kettle before issue 12" ;;
		esac
		printf '  %-34s %9s %9s %8s\n' "$dir: $label" "$m" \
			"$(awk -v mb="$MB" -v ms="$m" 'BEGIN { printf "%.0f", mb / (ms / 1000) }')" \
			"$(bench_ratio "$m" "$rmed")"
	done
done
exit 0
