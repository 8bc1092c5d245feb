#!/bin/sh
# test/layers/run.sh [CASE...] — the self-test of scripts/check-layers.sh.
#
# tree/ is a tiny clean source tree (base, store, ipc, runtime, two roles, kettle.c). Each case
# is a folder next to it: its files are laid over a copy of tree/, the .c files are compiled into
# obj/<folder>/<file>.o with the system cc, and check-layers.sh --root --objects runs on it.
# The case's `expect` holds "exit N" and then the exact output (stdout and stderr); a
# difference prints a diff and the command to replay. Ends with one summary line
# "check test/layers: N passed, N failed"; exits 1 when any case failed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cc=${LAYERS_CC:-cc}
if [ $# -eq 0 ]; then
	set -- clean cycle upward-call upward-include same-rank-call role-uses-role unknown-folder \
		mechanism-logs
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kettle-layers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# compile TREE SRC...: each SRC (relative to TREE) to TREE/obj/<folder>/<file>.o.
compile()
{
	ct=$1
	shift
	for c in "$@"; do
		rel=${c#src/}
		o=$ct/obj/${rel%.c}.o
		mkdir -p "$(dirname "$o")"
		"$cc" -std=gnu11 -Wall -Werror -iquote "$ct/src" -c -o "$o" "$ct/$c" || return 1
	done
}

# The clean tree is compiled once; a case recompiles only its own .c files, or everything
# when it changes a header.
all_c()
{
	(cd "$1" && echo src/*/*.c kettle.c)
}
mkdir -p "$tmp/tree"
cp -R "$here/tree/." "$tmp/tree/"
# shellcheck disable=SC2046 # fixture paths have no blanks
if ! compile "$tmp/tree" $(all_c "$tmp/tree") >"$tmp/tree.build" 2>&1; then
	cat "$tmp/tree.build"
	echo "FAIL layers: the fixture tree does not compile with $cc"
	echo "check test/layers: 0 passed, 1 failed"
	exit 1
fi

for name in "$@"; do
	case_dir=$here/$name
	t=$tmp/$name
	if [ ! -f "$case_dir/expect" ]; then
		echo "FAIL layers $name: no $case_dir/expect"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$t"
	cp -R "$tmp/tree/." "$t/"
	cp -R "$case_dir/." "$t/"
	rm "$t/expect"
	changed=$(cd "$case_dir" && find . -name '*.[ch]' | sed 's|^\./||' | LC_ALL=C sort)
	case $changed in
	*.h*) changed=$(all_c "$t") ;;
	esac
	# shellcheck disable=SC2046 # fixture paths have no blanks
	if ! compile "$t" $(echo "$changed" | grep '\.c$') >"$tmp/$name.build" 2>&1; then
		cat "$tmp/$name.build"
		echo "FAIL layers $name: the fixture does not compile with $cc"
		failed=$((failed + 1))
		continue
	fi
	rc=0
	"$top/scripts/check-layers.sh" --root "$t" --objects "$t/obj" >"$tmp/$name.out" 2>&1 || rc=$?
	{
		echo "exit $rc"
		cat "$tmp/$name.out"
	} >"$tmp/$name.got"
	if cmp -s "$case_dir/expect" "$tmp/$name.got"; then
		echo "PASS layers $name"
		passed=$((passed + 1))
	else
		diff -u "$case_dir/expect" "$tmp/$name.got" || true
		echo "  replay: sh test/layers/run.sh $name"
		echo "FAIL layers $name: check-layers.sh output differs from test/layers/$name/expect"
		failed=$((failed + 1))
	fi
done
echo "check test/layers: $passed passed, $failed failed"
[ "$failed" = 0 ]
