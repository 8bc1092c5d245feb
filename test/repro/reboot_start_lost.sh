#!/bin/bash
# reboot_start_lost.sh N KETTLE ROOTFS — reproducer of a daemon race (not part of `make test`):
# a container restarted "with a new shim" by the restart policy can stay `Created` for good,
# although its shim logged "container started" and the container runs: the daemon never
# logs "started" for it, so the shim's start never reached it (found by restart.test's
# reboot and shim-kill cases under load). Three --restart always containers go through N
# simulated reboots (kill -9 of daemon, shims and containers, runc root cleared); after each
# all three must be running again within 30 s. Seen: 2 of 15 (sanitizer build) and 1 of 12
# (static build) stuck on a loaded 2-core machine. Needs root and runc. Prints the daemon
# log and the shims' logs of a stuck reboot to /tmp/reboot_start_lost.*.log.
n=$1 K=$2 RFS=$3
R=$(mktemp -d /tmp/kettle-test.XXXXXX)
export KETTLE_ROOT=$R
A=(--restart-delay 50ms --restart-max-delay 400ms --restart-reset 1s)
$K daemon -d --root "$R" "${A[@]}" || exit 1
for c in a1 a2 a3; do $K run -d --name $c --restart always --rootfs "$RFS" sleep 1000 >/dev/null; done
bad=0
for i in $(seq "$n"); do
	kill -KILL "$(cat "$R/daemon.lock")"
	for f in "$R"/containers/*/shim.lock; do p=$(cat "$f" 2>/dev/null); [ -n "$p" ] && kill -KILL "$p" 2>/dev/null; done
	for id in $(runc --root "$R/runc" list -q); do runc --root "$R/runc" delete -f "$id" >/dev/null 2>&1; done
	rm -rf "$R/runc"
	while [ -n "$(pgrep -f "kettle daemon -d --root $R")" ]; do sleep 0.05; done
	$K daemon -d --root "$R" "${A[@]}" || { echo "daemon start failed"; break; }
	ok=0
	for t in $(seq 300); do
		s=$($K ps -a --format json | grep -c '"State":"running"')
		[ "$s" = 3 ] && { ok=1; break; }
		sleep 0.1
	done
	if [ $ok = 0 ]; then
		bad=$((bad + 1))
		echo "reboot $i: not all running after 30 s:"; $K ps -a
		cp "$R/daemon.log" /tmp/reboot_start_lost.daemon.$i.log
		for d in "$R"/containers/*; do echo "== $d"; tail -n 15 "$d/shim.log"; done > /tmp/reboot_start_lost.shims.$i.log
		$K start a1 a2 a3 >/dev/null 2>&1
	fi
done
echo "reboots: $n, stuck: $bad"
kill "$(cat "$R/daemon.lock")"; sleep 1
for id in $(runc --root "$R/runc" list -q 2>/dev/null); do runc --root "$R/runc" delete -f "$id" >/dev/null 2>&1; done
for p in $(pgrep -f -- "$R"); do kill -KILL $p; done
rm -rf "$R"
