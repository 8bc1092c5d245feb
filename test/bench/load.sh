#!/bin/bash
# shellcheck disable=SC2016 # exit hooks are single-quoted for eval
# load.sh KETTLE — the daemon under load: concurrent clients during churn, and many idle
# containers (issue 8).
#
# Part 1: BENCH_LOAD_CLIENTS client processes (default 100) each issue at least
# BENCH_LOAD_REQS requests (default 20) and go on until the churn is over, alternating `kettle ps` and `kettle inspect` of one of 10 containers
# that stay up, while BENCH_LOAD_CHURN containers (default 100) are run, stopped and removed
# by 10 workers. Every reply is checked (exit 0; ps has its header and lists all 10 stable
# containers with well-formed rows; inspect names the container and says running); it prints
# requests per second, the daemon's CPU time per request and its peak RSS (VmHWM).
# Part 2: BENCH_IDLE_MANY idle containers (default 500) are started 8 at a time; it checks that
# one shim per container runs, reports the total and mean shim RSS/Pss, then times `kettle ps`,
# `ps -a` and `ps --format json` (median and p90 of 20 runs, client start included) against
# the 50 ms target. Exits 0 when everything ran and every reply was right, whether or not the
# target was met (the verdict is printed); 1 when a request failed or something could not run.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CLIENTS=${BENCH_LOAD_CLIENTS:-100}
REQS=${BENCH_LOAD_REQS:-20}
CHURN=${BENCH_LOAD_CHURN:-100}
IDLE_MANY=${BENCH_IDLE_MANY:-500}
STABLE=10
TARGET_PS_MS=50

bench_init "$@"
for v in LOAD_CLIENTS:$CLIENTS LOAD_REQS:$REQS LOAD_CHURN:$CHURN IDLE_MANY:$IDLE_MANY; do
	case ${v#*:} in
	'' | *[!0-9]* | 0) bench_die "BENCH_${v%%:*} must be a positive whole number, got \`${v#*:}\`" ;;
	esac
done
export ROOTFS=$BENCH_TMP/rootfs
bench_rootfs "$ROOTFS"
bench_kettle_start "$BENCH_TMP/kroot" || bench_die "$BENCH_WHY"
export STABLE

# cpu_ticks PID: utime + stime of PID in clock ticks.
cpu_ticks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# status_kib PID FIELD: a "FIELD: N kB" line of /proc/PID/status.
status_kib()
{
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# client N REQS: at least REQS requests, then more until the file STOP exists, each checked;
# prints "OK BAD" and the first bad replies.
client()
{
	local i ok=0 bad=0 out rc name
	for ((i = 0; ; i++)); do
		((i < $2)) || [ ! -e "$STOP" ] || break
		rc=0
		if ((i % 2 == 0)); then
			out=$("$KETTLE" ps 2>&1) || rc=$?
			if [ $rc = 0 ] && [[ $out == "CONTAINER ID "* ]] &&
				[ "$(grep -cE ' stable[0-9]+ ' <<<"$out")" = "$STABLE" ] &&
				! tail -n +2 <<<"$out" | grep -qvE '^[0-9a-f]{12} '; then
				ok=$((ok + 1))
				continue
			fi
		else
			name=stable$(((($1 + i) % STABLE) + 1))
			out=$("$KETTLE" inspect "$name" 2>&1) || rc=$?
			if [ $rc = 0 ] && grep -q "^        \"Name\": \"/$name\",\$" <<<"$out" &&
				grep -q '^            "Status": "running",$' <<<"$out"; then
				ok=$((ok + 1))
				continue
			fi
		fi
		bad=$((bad + 1))
		[ $bad -le 3 ] && printf 'client %s request %s (exit %s): %s\n' "$1" "$i" "$rc" \
			"$(head -c 300 <<<"$out")" >&2
	done
	echo "$ok $bad"
}

# churn W N: N containers run, stopped and removed one after another; prints failures.
churn()
{
	local i n
	for ((i = 0; i < $2; i++)); do
		n=churn$1-$i
		"$KETTLE" run -d --name "$n" --rootfs "$ROOTFS" \
			sh -c 'trap "exit 0" TERM; sleep 100000 & wait' >/dev/null &&
			"$KETTLE" stop -t 10 "$n" >/dev/null && "$KETTLE" rm "$n" >/dev/null ||
			echo "churn $n failed" >&2
	done
}

# --- Part 1 ---------------------------------------------------------------------------------

echo "  load: $CLIENTS clients x $REQS requests (ps / inspect) while $CHURN containers start and stop"
for ((i = 1; i <= STABLE; i++)); do
	"$KETTLE" run -d --name "stable$i" --rootfs "$ROOTFS" sleep 100000 >/dev/null \
		2>"$BENCH_TMP/last.err" || bench_die "run stable$i: $(head -c 300 "$BENCH_TMP/last.err")"
done
t0=$(cpu_ticks "$KETTLE_DAEMON_PID")
mkdir -p "$BENCH_TMP/load"
export STOP=$BENCH_TMP/load/stop
s0=$(bench_now_us)
churners=()
for ((w = 0; w < 10; w++)); do
	churn "$w" $((CHURN / 10 + (w < CHURN % 10))) 2>"$BENCH_TMP/load/churn.$w" &
	churners+=($!)
done
clients=()
for ((c = 0; c < CLIENTS; c++)); do
	client "$c" "$REQS" >"$BENCH_TMP/load/client.$c" 2>"$BENCH_TMP/load/client.$c.err" &
	clients+=($!)
done
wait "${churners[@]}"
s2=$(bench_now_us)
touch "$STOP"
wait "${clients[@]}"
s1=$(bench_now_us)
t1=$(cpu_ticks "$KETTLE_DAEMON_PID")
read -r ok bad <<<"$(cat "$BENCH_TMP"/load/client.[0-9]* | awk '{ o += $1; b += $2 } END { print o + 0, b + 0 }')"
churn_bad=$(cat "$BENCH_TMP"/load/churn.* | wc -l)
hwm=$(status_kib "$KETTLE_DAEMON_PID" VmHWM)
rss=$(status_kib "$KETTLE_DAEMON_PID" VmRSS)
total=$((ok + bad))
awk -v n="$total" -v us="$((s1 - s0))" -v cus="$((s2 - s0))" -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
	-v ok="$ok" -v bad="$bad" -v cb="$churn_bad" -v hwm="$hwm" -v rss="$rss" -v churn="$CHURN" '
	BEGIN {
		printf "  requests: %d answered correctly, %d wrong; churn: %d of %d containers failed\n", ok, bad, cb, churn
		printf "  requests took %.1f s: %.0f requests/s (end to end, each a kettle client process)\n", us / 1e6, n / (us / 1e6)
		printf "  churn took %.1f s in all\n", cus / 1e6
		printf "  daemon CPU while the clients ran: %.2f s (%.0f us per request, churn included)\n", t / hz, (t / hz) * 1e6 / n
		printf "  daemon RSS: peak (VmHWM) %d KiB, now %d KiB\n", hwm, rss
	}'
cat "$BENCH_TMP"/load/*.err "$BENCH_TMP"/load/churn.* | head -n 10 | sed 's/^/  /'
load_ok=1
[ "$bad" = 0 ] && [ "$churn_bad" = 0 ] && [ "$ok" -ge $((CLIENTS * REQS)) ] || load_ok=0

# --- Part 2 ---------------------------------------------------------------------------------

echo
echo "  idle: $IDLE_MANY containers running sleep, started 8 at a time"
s0=$(bench_now_us)
for ((w = 0; w < 8; w++)); do
	(
		for ((i = w; i < IDLE_MANY; i += 8)); do
			"$KETTLE" run -d --name "idle$i" --rootfs "$ROOTFS" sleep 100000 >/dev/null ||
				echo "run idle$i failed" >&2
		done
	) 2>"$BENCH_TMP/idle.err.$w" &
done
wait
s1=$(bench_now_us)
cat "$BENCH_TMP"/idle.err.* | head -n 5 | sed 's/^/  /'
[ -z "$(cat "$BENCH_TMP"/idle.err.*)" ] || bench_die "some idle containers did not start"
mapfile -t shims < <(pgrep -f -- "^kettle-shim --root $KETTLE_ROOT " || true)
n_shims=${#shims[@]}
printf '  started in %.1f s; %d shims running for %d containers (%d with the 10 stable ones)\n' \
	"$(awk -v us="$((s1 - s0))" 'BEGIN { print us / 1e6 }')" "$n_shims" "$((IDLE_MANY + STABLE))" \
	"$("$KETTLE" ps -q | wc -l)"
[ "$n_shims" = $((IDLE_MANY + STABLE)) ] || bench_die "expected $((IDLE_MANY + STABLE)) shims, found $n_shims"
for pid in "${shims[@]}"; do
	bench_mem "$pid"
done >"$BENCH_TMP/shim.mem"
awk '{ r += $1; p += $2; a += $3 }
	END { printf "  shims: RSS total %.1f MiB (mean %.0f KiB), Pss total %.1f MiB (mean %.0f KiB), anon total %.1f MiB\n",
		r / 1024, r / NR, p / 1024, p / NR, a / 1024 }' "$BENCH_TMP/shim.mem"
printf '  daemon with %d containers: RSS %s KiB, fds %s\n' "$n_shims" \
	"$(status_kib "$KETTLE_DAEMON_PID" VmRSS)" "$(ls "/proc/$KETTLE_DAEMON_PID/fd" | wc -l)"
printf '  %-28s %6s %9s %9s %9s\n' "kettle ps (ms)" runs median p90 max
ps_med=
for args in "ps" "ps -a" "ps --format json"; do
	: >"$BENCH_TMP/ps.us"
	# shellcheck disable=SC2086 # the words of $args are the arguments
	for ((i = 0; i < 20; i++)); do
		bench_time "$KETTLE" $args || bench_die "kettle $args failed: $(head -c 300 "$BENCH_TMP/last.err")"
		echo "$BENCH_US" >>"$BENCH_TMP/ps.us"
	done
	read -r n med p90 _ max <<<"$(bench_stats "$BENCH_TMP/ps.us")"
	printf '  %-28s %6s %9s %9s %9s\n' "kettle $args" "$n" "$med" "$p90" "$max"
	[ -n "$ps_med" ] || ps_med=$med
done
if awk -v m="$ps_med" -v t="$TARGET_PS_MS" 'BEGIN { exit !(m < t) }'; then
	echo "  target kettle ps < ${TARGET_PS_MS} ms with $n_shims containers: MET (${ps_med} ms)"
else
	echo "  target kettle ps < ${TARGET_PS_MS} ms with $n_shims containers: MISSED (${ps_med} ms)"
fi
printf '  daemon peak RSS over the whole run (VmHWM): %s KiB\n' "$(status_kib "$KETTLE_DAEMON_PID" VmHWM)"
[ "$load_ok" = 1 ] || bench_die "some requests or churn steps failed (see above)"
