#!/bin/bash
# fuzz.sh SECONDS BIN... — run each libFuzzer target for SECONDS and report what it reached.
#
# Each target fuzzes a working copy of its committed corpus (test/fuzz/corpus/<name>/ copied
# into build/fuzz/work/<name>/), so new inputs never land in the repository; crash artifacts
# go to build/fuzz/artifacts/<name>/. Prints executions and coverage (cov:, ft: of the final
# stats line) per target, the failing targets, then "N passed, N failed"; exits 1 if any
# target crashed, leaked, timed out or ran out of memory.
set -eu -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ $# -lt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -eq 0 ]; then
	echo "usage: fuzz.sh SECONDS BIN... (SECONDS a positive integer)" >&2
	exit 2
fi
secs=$1
shift

passed=0
failed=0
failures=()
for bin in "$@"; do
	name=$(basename "$bin")
	if [ ! -x "$bin" ]; then
		echo "fuzz $name: \`$bin\` is not an executable; build it with make FUZZ=1 fuzz"
		failed=$((failed + 1))
		failures+=("$name (missing binary)")
		continue
	fi
	work=build/fuzz/work/$name
	art=build/fuzz/artifacts/$name
	log=build/fuzz/$name.log
	mkdir -p "$work" "$art"
	if [ -d "test/fuzz/corpus/$name" ]; then
		cp -R "test/fuzz/corpus/$name/." "$work/"
	else
		echo "fuzz $name: no committed corpus test/fuzz/corpus/$name; starting empty"
	fi
	echo "fuzz $name: ${secs}s on $work ($(find "$work" -type f | wc -l) inputs)"
	rc=0
	timeout -k 10 $((secs + 300)) "$bin" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" "$work" \
		</dev/null >"$log" 2>&1 || rc=$?
	stats=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1 || true)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=$(echo "$stats" | sed -E 's/^#([0-9]+).*/\1/')
	cov=$(echo "$stats" | sed -nE 's/.* cov: ([0-9]+).*/\1/p')
	ft=$(echo "$stats" | sed -nE 's/.* ft: ([0-9]+).*/\1/p')
	echo "fuzz $name: ${execs:-?} executions, cov: ${cov:-?} ft: ${ft:-?}, exit $rc (log $log)"
	if [ "$rc" = 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$name (exit $rc; log $log)")
		echo "--- $log (last 40 lines)"
		tail -n 40 "$log"
		sed -n "s|.*Test unit written to \(.*\)|reproduce: $bin \1|p" "$log"
	fi
done

for f in "${failures[@]}"; do
	echo "FAIL fuzz $f"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
