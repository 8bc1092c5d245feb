# shellcheck shell=bash
# lib.sh — the integration-test helper, sourced by every test/integration/*.test (STYLE 22).
#
# One behaviour per line: `testcmd NAME CMD OUT ERR EXIT` runs CMD with `bash -c` and compares
# stdout, stderr and the exit code EXACTLY (callers write newlines with $'…'); a mismatch prints
# a unified diff and the command to replay. The only waiting allowed besides `kettle wait` and
# the event stream is `wait_for`, a bounded poll that fails with the last value it saw; its
# limit is stretched KT_WAIT_SCALE times (default 3), since a limit only costs time when the
# test fails anyway and the sanitizer build on a loaded 2-core machine is many times slower.
# Daemons run on a private temporary root; an EXIT trap stops them, kills whatever is left for
# that root and removes it. `finish` prints "integration <file>: N passed, N failed".
#
# Environment: KETTLE (absolute path of the binary, required), TEST_ROOTFS (busybox rootfs),
# KT_CMD_TIMEOUT (seconds per command, default 60), KT_WAIT_SCALE (factor applied to every
# wait_for limit, default 3). Sets and exports TEST_TMP (a scratch
# directory) and, once start_daemon ran, KROOT (the private state root).

set -eu -o pipefail

: "${KETTLE:?lib.sh: set KETTLE to the absolute path of the kettle binary}"
export KETTLE
export TEST_ROOTFS="${TEST_ROOTFS:-}"
KT_CMD_TIMEOUT=${KT_CMD_TIMEOUT:-60}
KT_WAIT_SCALE=${KT_WAIT_SCALE:-3}
KT_FILE=$(basename "$0")
KT_PASS=0
KT_FAIL=0
KT_FINISHED=0
KT_TMP=$(mktemp -d /tmp/kettle-lib.XXXXXX)
# Scratch directory for the test file itself; removed with everything else on exit.
export TEST_TMP=$KT_TMP/work
mkdir "$TEST_TMP"
# A sanitizer build's reports: the detached daemon and the shims have stdio on /dev/null, so
# theirs would be lost; every process writes its own file here instead, shown at the end,
# and any report fails the file.
mkdir "$KT_TMP/san"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$KT_TMP/san/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$KT_TMP/san/ubsan"
KROOT=${KROOT:-}

# kt_squote STR: STR as one single-quoted shell word.
kt_squote()
{
	local q="'\\''"
	printf "'%s'" "${1//\'/$q}"
}

# kt_replay CMD: the exact command line that reproduces a test by hand.
kt_replay()
{
	local env=""
	env+="KETTLE=$(kt_squote "$KETTLE")"
	[ -n "$TEST_ROOTFS" ] && env+=" TEST_ROOTFS=$(kt_squote "$TEST_ROOTFS")"
	[ -n "$KROOT" ] && env+=" KROOT=$(kt_squote "$KROOT")"
	# shellcheck disable=SC2016 # printed for the reader's shell to expand
	case $1 in
	*TEST_TMP*) env+=' TEST_TMP=$(mktemp -d)' ;;
	esac
	printf 'replay: %s bash -c %s\n' "$env" "$(kt_squote "$1")"
}

kt_pass()
{
	KT_PASS=$((KT_PASS + 1))
	printf 'PASS: %s\n' "$1"
}

kt_fail()
{
	KT_FAIL=$((KT_FAIL + 1))
	printf 'FAIL: %s\n' "$1"
}

# kt_run CMD: runs CMD under the per-command timeout; fills $KT_TMP/out, $KT_TMP/err, KT_RC.
kt_run()
{
	KT_RC=0
	timeout -k 5 "$KT_CMD_TIMEOUT" bash -c "$1" >"$KT_TMP/out" 2>"$KT_TMP/err" </dev/null ||
		KT_RC=$?
}

# testcmd NAME CMD EXPECTED_STDOUT EXPECTED_STDERR EXPECTED_EXIT
testcmd()
{
	if [ $# -ne 5 ]; then
		kt_fail "${1:-testcmd}"
		echo "  testcmd needs 5 arguments (name, command, stdout, stderr, exit), got $#"
		return 0
	fi
	local name=$1 cmd=$2 want_rc=$5 ok=1
	printf '%s' "$3" >"$KT_TMP/want_out"
	printf '%s' "$4" >"$KT_TMP/want_err"
	kt_run "$cmd"
	cmp -s "$KT_TMP/want_out" "$KT_TMP/out" || ok=0
	cmp -s "$KT_TMP/want_err" "$KT_TMP/err" || ok=0
	[ "$KT_RC" = "$want_rc" ] || ok=0
	if [ $ok = 1 ]; then
		kt_pass "$name"
		return 0
	fi
	kt_fail "$name"
	if ! cmp -s "$KT_TMP/want_out" "$KT_TMP/out"; then
		diff -u --label "expected stdout" --label "actual stdout" \
			"$KT_TMP/want_out" "$KT_TMP/out" || true
	fi
	if ! cmp -s "$KT_TMP/want_err" "$KT_TMP/err"; then
		diff -u --label "expected stderr" --label "actual stderr" \
			"$KT_TMP/want_err" "$KT_TMP/err" || true
	fi
	printf 'exit: expected %s, got %s\n' "$want_rc" "$KT_RC"
	kt_replay "$cmd"
	return 0
}

# testrun NAME CMD: passes when CMD exits 0; its output is shown only on failure.
testrun()
{
	if [ $# -ne 2 ]; then
		kt_fail "${1:-testrun}"
		echo "  testrun needs 2 arguments (name, command), got $#"
		return 0
	fi
	kt_run "$2"
	if [ "$KT_RC" = 0 ]; then
		kt_pass "$1"
		return 0
	fi
	kt_fail "$1"
	echo "--- stdout (last 20 lines)"
	tail -n 20 "$KT_TMP/out"
	echo "--- stderr (last 20 lines)"
	tail -n 20 "$KT_TMP/err"
	printf 'exit: expected 0, got %s\n' "$KT_RC"
	kt_replay "$2"
	return 0
}

kt_now_us()
{
	local t=${EPOCHREALTIME/./}
	echo "${t/,/}"
}

# wait_for NAME TIMEOUT_S CMD EXPECTED: polls CMD (every 50 ms at first, backing off to 200 ms)
# until its stdout, trailing newlines removed, equals EXPECTED; fails after TIMEOUT_S seconds
# (times KT_WAIT_SCALE) with the last value seen. Returns 0 on success and 1 on timeout, so a
# caller may stop early. TIMEOUT_S is never a claim about speed: assert speed by measuring.
wait_for()
{
	if [ $# -ne 4 ]; then
		kt_fail "${1:-wait_for}"
		echo "  wait_for needs 4 arguments (name, timeout seconds, command, expected), got $#"
		return 1
	fi
	local name=$1 timeout_s=$(($2 * KT_WAIT_SCALE)) cmd=$3 want=$4 got="" interval=0.05 deadline
	deadline=$(($(kt_now_us) + timeout_s * 1000000))
	for (( ; ; )); do
		kt_run "$cmd"
		got=$(cat "$KT_TMP/out")
		if [ "$got" = "$want" ]; then
			kt_pass "$name"
			return 0
		fi
		[ "$(kt_now_us)" -lt "$deadline" ] || break
		sleep "$interval"
		case $interval in
		0.05) interval=0.1 ;;
		*) interval=0.2 ;;
		esac
	done
	kt_fail "$name"
	printf 'waited %ss for stdout `%s`; last value `%s` (exit %s)\n' "$timeout_s" "$want" "$got" "$KT_RC"
	if [ -s "$KT_TMP/err" ]; then
		echo "--- last stderr (last 20 lines)"
		tail -n 20 "$KT_TMP/err"
	fi
	kt_replay "$cmd"
	return 1
}

# kt_daemon_pid: the pid in $KROOT/daemon.lock if that process is alive, else nothing.
kt_daemon_pid()
{
	local pid=""
	if [ -n "$KROOT" ] && [ -r "$KROOT/daemon.lock" ]; then
		read -r pid <"$KROOT/daemon.lock" || true
	fi
	case $pid in
	'' | *[!0-9]*) return 0 ;;
	esac
	kill -0 "$pid" 2>/dev/null && echo "$pid"
	return 0
}

# start_daemon [ARGS...]: starts `kettle daemon -d --root $KROOT` (creating KROOT on first
# use and keeping it across stop/start, so re-adoption can be tested). Counts as one test.
# Unless ARGS name one, the daemon gets `--default-network none`: only tests that make their
# own network namespace (network*.test) may let a daemon set up a bridge and firewall rules.
start_daemon()
{
	if [ -z "$KROOT" ]; then
		KROOT=$(mktemp -d /tmp/kettle-test.XXXXXX)
	fi
	export KROOT
	local cmd
	cmd=$(printf '%q daemon -d --root %q' "$KETTLE" "$KROOT")
	local net=0
	for a in "$@"; do
		cmd+=" $(printf '%q' "$a")"
		case $a in --default-network*) net=1 ;; esac
	done
	[ $net = 1 ] || cmd+=" --default-network none"
	kt_run "$cmd"
	if [ "$KT_RC" != 0 ] || [ -z "$(kt_daemon_pid)" ]; then
		kt_fail "start daemon"
		echo "--- stderr (last 20 lines)"
		tail -n 20 "$KT_TMP/err"
		printf 'exit: %s; pid from %s: %s\n' "$KT_RC" "$KROOT/daemon.lock" \
			"$(cat "$KROOT/daemon.lock" 2>/dev/null || echo none)"
		kt_replay "$cmd"
		return 1
	fi
	kt_pass "start daemon"
	return 0
}

# stop_daemon: SIGTERM to the pid in daemon.lock, then a bounded wait (30 s) for it to exit.
# Counts as one test; a daemon that does not exit in time is killed and the test fails.
stop_daemon()
{
	local pid i
	pid=$(kt_daemon_pid)
	if [ -z "$pid" ]; then
		kt_fail "stop daemon"
		echo "no live daemon pid in ${KROOT:-(no root)}/daemon.lock"
		return 1
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		kt_fail "stop daemon"
		echo "daemon pid $pid still running 30s after SIGTERM; killed it"
		return 1
	fi
	kt_pass "stop daemon"
	return 0
}

# kt_cleanup: EXIT trap. Stops the daemon, removes runc containers of the root, kills any
# process whose command line names the root, removes the root and scratch files.
kt_cleanup()
{
	local rc=$? pid id i
	set +e
	if [ "$KT_FINISHED" = 0 ]; then
		kt_fail "$KT_FILE ended early (exit $rc) before finish"
		printf 'integration %s: %d passed, %d failed\n' "$KT_FILE" "$KT_PASS" "$KT_FAIL"
		rc=1
	fi
	if [ -n "$KROOT" ] && [ -d "$KROOT" ]; then
		pid=$(kt_daemon_pid)
		if [ -n "$pid" ]; then
			kill -TERM "$pid" 2>/dev/null
			for ((i = 0; i < 50; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$pid" 2>/dev/null
		fi
		if [ -d "$KROOT/runc" ] && command -v runc >/dev/null; then
			for id in $(runc --root "$KROOT/runc" list -q 2>/dev/null); do
				runc --root "$KROOT/runc" kill "$id" KILL >/dev/null 2>&1
				runc --root "$KROOT/runc" delete -f "$id" >/dev/null 2>&1
			done
		fi
		# Shims and strays name the root on their command line; the path is unique to us.
		for pid in $(pgrep -f -- "$KROOT" 2>/dev/null); do
			[ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] || kill -KILL "$pid" 2>/dev/null
		done
		# Containers made from images have their root mounted under the root: a file that
		# ended early leaves those mounts, which rm cannot remove.
		for m in $(awk -v r="$KROOT/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts); do
			umount -l "$m" 2>/dev/null
		done
		if [ "$KT_FAIL" != 0 ] && [ -s "$KROOT/daemon.log" ]; then
			echo "--- $KROOT/daemon.log (last 30 lines; the file failed)"
			tail -n 30 "$KROOT/daemon.log"
		fi
		rm -rf "$KROOT"
	fi
	i=0
	for f in "$KT_TMP"/san/*; do
		[ -s "$f" ] || continue
		i=$((i + 1))
		[ $i -le 5 ] || continue
		echo "--- sanitizer report ${f##*/} (first 40 lines)"
		head -n 40 "$f"
	done
	[ $i -le 5 ] || echo "--- and $((i - 5)) more sanitizer reports"
	if [ $i -gt 0 ]; then
		# A daemon or shim report (a leak at exit, a use after free) is a failure even when
		# every check passed; run-tests.sh counts the file's non-zero exit as one.
		echo "FAIL: $KT_FILE: $i sanitizer reports from kettle processes (above)"
		rc=1
	fi
	rm -rf "$KT_TMP"
	exit "$rc"
}
trap kt_cleanup EXIT
trap 'exit 130' INT TERM

# finish: the file's summary line; exits non-zero when anything failed.
finish()
{
	KT_FINISHED=1
	printf 'integration %s: %d passed, %d failed\n' "$KT_FILE" "$KT_PASS" "$KT_FAIL"
	[ "$KT_FAIL" = 0 ] && exit 0
	exit 1
}
