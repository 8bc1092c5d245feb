#!/bin/bash
# run-tests.sh --build DIR --kettle BIN PHASE... — run test phases and print one summary line.
#
# Phases: check (layer check of the sources and of DIR/obj's call graph, lint, clang-format:
# one test each; the layer check's own test, test/layers: one per case), unit (every
# DIR/test/*_test under a timeout), replay (every DIR/replay/fuzz_X over
# test/fuzz/corpus/fuzz_X), integration (every test/integration/*.test under bash, with KETTLE
# and TEST_ROOTFS set). Each binary or file prints its own "<kind> <name>: N passed, N failed"
# line, which is summed here; one that dies or times out before that line counts as one
# failure. Output streams as it goes; the run ends with the failing items, one FAIL line each,
# then exactly one "N passed, N failed" line (CI reads it). Exits 1 when anything failed, 2 on
# misuse.
set -eu -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

UNIT_TIMEOUT=${UNIT_TIMEOUT:-60}
INTEGRATION_TIMEOUT=${INTEGRATION_TIMEOUT:-900}

usage()
{
	echo "usage: run-tests.sh --build DIR --kettle BIN PHASE... (phases: check unit replay integration)" >&2
	exit 2
}

build=
kettle=
phases=()
while [ $# -gt 0 ]; do
	case $1 in
	--build)
		[ $# -ge 2 ] || usage
		build=$2
		shift 2
		;;
	--kettle)
		[ $# -ge 2 ] || usage
		kettle=$2
		shift 2
		;;
	check | unit | replay | integration)
		phases+=("$1")
		shift
		;;
	*)
		echo "run-tests.sh: unknown argument \`$1\` (allowed: --build DIR, --kettle BIN, check, unit, replay, integration)" >&2
		usage
		;;
	esac
done
if [ -z "$build" ] || [ -z "$kettle" ] || [ ${#phases[@]} -eq 0 ]; then
	usage
fi

passed=0
failed=0
failures=()
tmp=$(mktemp -d /tmp/kettle-run-tests.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

pass1()
{
	passed=$((passed + 1))
	echo "PASS $1"
}

fail1()
{
	failed=$((failed + 1))
	failures+=("$1")
	echo "FAIL $1"
}

# run_counted KIND NAME TIMEOUT CMD...: runs CMD (output streamed), then adds the counts of its
# last "KIND ...: N passed, N failed" line. A missing line, or a non-zero exit with no failure
# counted (e.g. a sanitizer report at exit), adds one failure.
run_counted()
{
	local kind=$1 name=$2 limit=$3 rc=0 line p f start=$SECONDS
	shift 3
	timeout -k 10 "$limit" "$@" </dev/null 2>&1 | tee "$tmp/out" || rc=${PIPESTATUS[0]}
	# The time each file took, so CI's budget can be read from its log.
	echo "TIME $kind $name: $((SECONDS - start)) s"
	line=$(grep -E "^$kind .*: [0-9]+ passed, [0-9]+ failed\$" "$tmp/out" | tail -n 1 || true)
	if [ -z "$line" ]; then
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			fail1 "$kind $name: timed out after ${limit}s before its summary line"
		else
			fail1 "$kind $name: exited $rc before its summary line (crash?)"
		fi
		return 0
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/')
	f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/')
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		local item
		while IFS= read -r item; do
			item=${item#FAIL}
			item=${item#:}
			failures+=("$kind $name: ${item# }")
		done < <(grep -E '^FAIL' "$tmp/out" || true)
		# Keep one entry per counted failure at least, so the list is never shorter.
		[ "$(grep -cE '^FAIL' "$tmp/out" || true)" -gt 0 ] || failures+=("$kind $name: $f failed")
	elif [ "$rc" != 0 ]; then
		fail1 "$kind $name: reported no failures but exited $rc (sanitizer report at exit?)"
	fi
}

phase_check()
{
	echo "== check"
	if scripts/check-layers.sh --objects "$build/obj"; then
		pass1 "check: layers (scripts/check-layers.sh --objects $build/obj)"
	else
		fail1 "check: layers (scripts/check-layers.sh --objects $build/obj)"
	fi
	run_counted check test/layers/run.sh "$UNIT_TIMEOUT" sh test/layers/run.sh
	if scripts/lint.sh; then
		pass1 "check: lint (scripts/lint.sh)"
	else
		fail1 "check: lint (scripts/lint.sh)"
	fi
	local files=()
	shopt -s nullglob
	files=(src/*/*.[ch] test/unit/*.[ch] test/fuzz/*.c)
	shopt -u nullglob
	[ -f kettle.c ] && files+=(kettle.c)
	if ! command -v clang-format >/dev/null; then
		fail1 "check: format (clang-format is not installed; run scripts/deps.sh)"
		return 0
	fi
	local f bad=()
	for f in "${files[@]}"; do
		clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
	done
	if [ ${#bad[@]} -eq 0 ]; then
		pass1 "check: format (clang-format, ${#files[@]} files)"
		return 0
	fi
	for f in "${bad[@]}"; do
		echo "$f: differs from .clang-format (first 30 lines of the diff; fix: clang-format -i $f)"
		clang-format "$f" | diff -u --label "$f" --label "$f (formatted)" "$f" - | head -n 30 || true
	done
	fail1 "check: format (${#bad[@]} files: ${bad[*]})"
}

phase_unit()
{
	echo "== unit"
	local b found=0
	for b in "$build"/test/*_test; do
		[ -x "$b" ] || continue
		found=1
		run_counted unit "$b" "$UNIT_TIMEOUT" "$b"
	done
	[ $found = 1 ] || echo "(no unit test binaries in $build/test)"
}

phase_replay()
{
	echo "== replay"
	local b name found=0
	for b in "$build"/replay/fuzz_*; do
		[ -x "$b" ] || continue
		found=1
		name=$(basename "$b")
		if [ ! -d "test/fuzz/corpus/$name" ]; then
			fail1 "replay $b: no corpus directory test/fuzz/corpus/$name"
			continue
		fi
		run_counted replay "$b" "$UNIT_TIMEOUT" "$b" "test/fuzz/corpus/$name"
	done
	[ $found = 1 ] || echo "(no replay binaries in $build/replay)"
}

phase_integration()
{
	echo "== integration"
	local abs t found=0
	case $kettle in
	/*) abs=$kettle ;;
	*) abs=$top/$kettle ;;
	esac
	if [ ! -x "$abs" ]; then
		fail1 "integration: kettle binary \`$abs\` is missing; build it first"
		return 0
	fi
	local rootfs=$top/$build/rootfs
	case $build in
	/*) rootfs=$build/rootfs ;;
	esac
	if [ ! -x "$rootfs/bin/busybox" ]; then
		if ! scripts/mkrootfs.sh "$rootfs"; then
			fail1 "integration: scripts/mkrootfs.sh $rootfs failed"
			return 0
		fi
	fi
	# The sanitizer pass is there to check memory on every path; the soaks' repetitions of a
	# path the plain pass already soaks cost it several times as much, so it runs them
	# smaller (a value set by the caller wins), and the files whose subject is scale,
	# timing or another tool's agreement (each of their kettle paths is also taken by a file
	# the sanitizer pass runs) are left to the plain pass: CI's 40 minutes hold both passes
	# only so. KT_SAN_ALL=1 runs every file.
	local san_skip=""
	case $build in
	*/san | san)
		export LEAKS_CYCLES=${LEAKS_CYCLES:-100} LEAKS_RACE_COPIES=${LEAKS_RACE_COPIES:-200}
		export RESTART_REBOOTS=${RESTART_REBOOTS:-2}
		[ "${KT_SAN_ALL:-0}" = 1 ] ||
			san_skip=" leaks.test restart.test load.test many.test fastpath.test shimv2_accept.test images_oracle.test install.test "
		;;
	esac
	for t in test/integration/*.test; do
		[ -f "$t" ] || continue
		case $san_skip in
		*" ${t##*/} "*)
			echo "SKIP integration $t: scale, timing or another tool's agreement; the plain pass runs it"
			continue
			;;
		esac
		found=1
		run_counted integration "$t" "$INTEGRATION_TIMEOUT" \
			env KETTLE="$abs" TEST_ROOTFS="$rootfs" bash "$t"
	done
	[ $found = 1 ] || echo "(no integration tests in test/integration)"
}

for phase in "${phases[@]}"; do
	"phase_$phase"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "== failures"
	for item in "${failures[@]}"; do
		echo "FAIL $item"
	done
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
