#!/bin/bash
# run.sh KETTLE — runs every benchmark script in test/bench/ (make bench).
#
# Runs each test/bench/*.sh except itself and the helper libraries (lib*.sh), in name order,
# passing KETTLE (the binary under test). Benchmarks print figures, not pass/fail: a script
# fails only when something it needs could not run. Ends with one line naming the scripts that
# failed; exits 1 when any did, 2 on misuse.
set -eu -o pipefail

if [ $# -ne 1 ]; then
	echo "usage: test/bench/run.sh KETTLE_BINARY" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
failed=()
ran=0
for script in "$here"/*.sh; do
	case $(basename "$script") in
	run.sh | lib*.sh) continue ;;
	esac
	ran=$((ran + 1))
	bash "$script" "$1" || failed+=("$(basename "$script")")
	echo
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "bench: $ran scripts, ${#failed[@]} failed: ${failed[*]}"
	exit 1
fi
echo "bench: $ran scripts, all ran"
