# shellcheck shell=bash
# faults_lib.sh — helpers shared by the faults*.test files (issue 8, "Faults"), sourced after
# lib.sh: a fake OCI runtime that sabotages one chosen call, and small probes of the truth
# (runc's own state, the process table) that kettle's answers are compared with.
#
# The fake runtime is a bash script in $FAKE_DIR that execs the real runc for every call
# except the first one whose operation matches $FAKE_DIR/plan ("OP ACTION"; the plan is
# taken with an atomic rename, so exactly one call is sabotaged). It writes its pid to
# $FAKE_DIR/OP.pid, then: fail (exit 1 after a runc-style JSON error line in --log), hang
# (exec sleep 1000), pause (SIGSTOP itself: the step stays open until a test sends SIGCONT
# or SIGKILL; after SIGCONT it goes on as the real runc) or die (SIGKILL itself).

# make_fake_runtime: creates $FAKE_DIR/runc (exported FAKE_RUNC).
make_fake_runtime()
{
	export FAKE_DIR=$TEST_TMP/fake
	export FAKE_RUNC=$FAKE_DIR/runc
	mkdir -p "$FAKE_DIR"
	cat >"$FAKE_RUNC" <<'EOF'
#!/bin/bash
# argv: --root R --log L --log-format json OP ... (runtime.c's order)
dir=${0%/*}
log=$4 op=$7
if [ -e "$dir/plan" ]; then
	read -r want act <"$dir/plan" || true
	if [ "$op" = "$want" ] && mv "$dir/plan" "$dir/plan.taken.$$" 2>/dev/null; then
		echo $$ >"$dir/$op.pid.tmp" && mv "$dir/$op.pid.tmp" "$dir/$op.pid"
		case $act in
		fail)
			printf '{"level":"error","msg":"fake runtime: %s sabotaged","time":"2024-01-01T00:00:00Z"}\n' "$op" >>"$log"
			exit 1
			;;
		hang) exec sleep 1000 ;;
		pause) kill -STOP $$ ;;
		die) kill -KILL $$ ;;
		esac
	fi
fi
exec runc "$@"
EOF
	chmod 755 "$FAKE_RUNC"
}

# fake_plan OP ACTION: sabotage the next runtime call OP (clears an old pid file).
fake_plan()
{
	rm -f "$FAKE_DIR/$1.pid" "$FAKE_DIR"/plan.taken.*
	echo "$1 $2" >"$FAKE_DIR/plan"
}

# fake_pid OP: pid of the sabotaged call OP (empty until it ran).
fake_pid()
{
	cat "$FAKE_DIR/$1.pid" 2>/dev/null || true
}

# proc_gone PID: true when PID has exited (a zombie nobody reaps counts as gone).
proc_gone()
{
	local st
	[ -r "/proc/$1/stat" ] || return 0
	st=$(sed -E 's/^[0-9]+ \(.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

# ctr_id REF: the full id of a container.
ctr_id()
{
	"$KETTLE" inspect -f '{{.Id}}' "$1" 2>/dev/null || true
}

# runc_list: ids runc still knows under the root, one per line.
runc_list()
{
	runc --root "$KROOT/runc" list -q 2>/dev/null || true
}

# shim_pid ID: the live shim of a container (the pid holding its shim.lock), or nothing.
shim_pid()
{
	local p
	p=$(pgrep -f -- "kettle-shim --root $KROOT --id $1" 2>/dev/null | head -n 1) || true
	echo "$p"
}

# truth ID: "kettle=<status>/<pid alive?> runc=<status>" for comparing kettle's view with
# runc's and the process table's; truthful ID prints "ok" when they agree.
truth()
{
	local id=$1 st pid alive=dead rst
	st=$("$KETTLE" inspect -f '{{.State.Status}}' "$id" 2>/dev/null)
	pid=$("$KETTLE" inspect -f '{{.State.Pid}}' "$id" 2>/dev/null)
	if [ -n "$pid" ] && [ "$pid" != 0 ] && ! proc_gone "$pid"; then
		alive=alive
	fi
	rst=$(runc --root "$KROOT/runc" state "$id" 2>/dev/null | sed -nE 's/^  "status": "(.*)",$/\1/p')
	echo "kettle=${st:-none}/$alive runc=${rst:-none}"
}

truthful()
{
	local t
	t=$(truth "$1")
	case $t in
	"kettle=running/alive runc=running") echo ok ;;
	"kettle=created/"*" runc=created" | "kettle=created/dead runc=none") echo ok ;;
	"kettle=exited/dead runc=none" | "kettle=dead/dead runc=none") echo ok ;;
	*) echo "$t" ;;
	esac
}

# The commands of testcmd/testrun/wait_for run under bash -c: they need these exported.
export -f fake_plan fake_pid proc_gone ctr_id runc_list shim_pid truth truthful
