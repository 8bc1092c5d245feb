#!/bin/bash
# demo.sh — set everything up and run kettle's main job on a fresh Debian machine (root).
#
# Installs the dependencies, builds ./kettle, builds a busybox root filesystem, starts a
# daemon on a private state root, and runs containers through it: one in the foreground,
# one detached that is listed, inspected, stopped and removed. Leaves nothing running.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts/deps.sh
make
rootfs=$top/build/rootfs
[ -x "$rootfs/bin/busybox" ] || scripts/mkrootfs.sh "$rootfs"

KETTLE_ROOT=$(mktemp -d /tmp/kettle-demo.XXXXXX)
export KETTLE_ROOT
cleanup()
{
	if [ -f "$KETTLE_ROOT/daemon.lock" ]; then
		./kettle rm -f demo-sleeper >/dev/null 2>&1 || true
		kill -TERM "$(cat "$KETTLE_ROOT/daemon.lock")" 2>/dev/null || true
	fi
	rm -rf "$KETTLE_ROOT"
}
trap cleanup EXIT

step()
{
	printf '\n$ %s\n' "$*"
	"$@"
}

# --default-network none: the demo leaves the host's network alone (no kettle0, no rules).
step ./kettle daemon -d --root "$KETTLE_ROOT" --default-network none
step ./kettle run --rm --rootfs "$rootfs" /bin/sh -c 'echo hello from a kettle container; uname -n'
step ./kettle run -d --name demo-sleeper --rootfs "$rootfs" /bin/sleep 1000
step ./kettle ps
step ./kettle stop -t 1 demo-sleeper
step ./kettle ps -a
step ./kettle rm demo-sleeper
echo
echo "demo finished: daemon and containers ran on the private root $KETTLE_ROOT"
