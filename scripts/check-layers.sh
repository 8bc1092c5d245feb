#!/bin/sh
# check-layers.sh [FILE...] — enforce the include direction of STYLE 3.3 with one rank table.
#
# Checks src/*/*.[ch] and kettle.c by default. A file may include ("x.h") only headers of its
# own rank or lower; a role file (daemon*, shim*, client*) never includes another role's
# header; only roles call log_*(); only json.c includes <jsmn.h> and only seccomp.c
# <seccomp.h>. Every file stem must be in the table below: a new file means a new row.
# Prints "file:line: msg" per violation and exits 1 on any.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ $# -eq 0 ]; then
	set -- src/*/*.c src/*/*.h
	[ -f kettle.c ] && set -- "$@" kettle.c
fi
for f in "$@"; do
	if [ ! -f "$f" ]; then
		echo "check-layers.sh: \`$f\` is not a file" >&2
		exit 2
	fi
done

# The one rank table: "stem rank". Ranks: 50 kettle.c, 40 roles (by filename prefix),
# 33 mechanisms M3, 32 M2, 31 M1 (pure), 10 base. Keep in step with STYLE 3.3.
ranks='
kettle 50
daemon* 40
shim* 40
client* 40
init* 40
ipc 33
ipc_conn 33
store 33
record 33
record_json 33
record_validate 33
status 33
rpc 33
spec 33
runtime 33
logfile 33
logread 33
copy 33
copy_archive 33
copy_extract 33
cgroup 33
selfexe 33
events 33
loop 32
proc 32
seccomp 32
wire 31
json 31
json_string 31
json_w 31
restart 31
cppath 31
copy_tar 31
reqbody 31
request 31
cli 31
cli_help 31
cli_complete 31
kerr 10
buf 10
str 10
fd 10
ids 10
clock 10
log 10
'

# shellcheck disable=SC2016 # an awk program: its $ are awk fields, not shell
prog='
BEGIN {
	nt = split(RANKS, rows, "\n")
	for (i = 1; i <= nt; i++) {
		if (split(rows[i], f, " ") != 2)
			continue
		if (f[1] ~ /\*$/) {
			np++
			PREFIX[np] = substr(f[1], 1, length(f[1]) - 1)
			PRANK[np] = f[2] + 0
		} else {
			RANK[f[1]] = f[2] + 0
		}
	}
	bad = 0
}

function stem_of(path,    s)
{
	s = path
	sub(/.*\//, "", s)
	sub(/\.[ch]$/, "", s)
	return s
}

# role_of(stem): the role prefix of a role file, or "".
function role_of(stem,    i)
{
	for (i = 1; i <= np; i++)
		if (substr(stem, 1, length(PREFIX[i])) == PREFIX[i])
			return PREFIX[i]
	return ""
}

# rank_of(stem): its rank, or 0 when the table lacks it.
function rank_of(stem,    i)
{
	if (stem in RANK)
		return RANK[stem]
	for (i = 1; i <= np; i++)
		if (substr(stem, 1, length(PREFIX[i])) == PREFIX[i])
			return PRANK[i]
	return 0
}

function layer_name(r)
{
	if (r == 50) return "main"
	if (r == 40) return "role"
	if (r == 33) return "mechanism M3"
	if (r == 32) return "mechanism M2"
	if (r == 31) return "mechanism M1"
	if (r == 10) return "base"
	return "rank " r
}

function fail(line, msg)
{
	printf "%s:%d: %s\n", FILENAME, line, msg
	bad = 1
}

FNR == 1 {
	cstrip_reset()
	me = stem_of(FILENAME)
	my_rank = rank_of(me)
	my_role = role_of(me)
	if (my_rank == 0)
		fail(1, "file stem `" me "` is not in the rank table; add it to scripts/check-layers.sh with its layer (STYLE 3.3)")
}

{
	cstrip($0)
	code = CS_C
	if (match(code, /^[ \t]*#[ \t]*include[ \t]*"[^"]*"/)) {
		inc = substr(code, RSTART, RLENGTH)
		sub(/^[^"]*"/, "", inc)
		sub(/"$/, "", inc)
		hs = stem_of(inc)
		hr = rank_of(hs)
		hrole = role_of(hs)
		if (hr == 0)
			fail(FNR, "included header `" inc "` has no row in the rank table; add `" hs "` to scripts/check-layers.sh with its layer (STYLE 3.3)")
		else if (my_rank != 0 && hr > my_rank)
			fail(FNR, "`" me "` (" layer_name(my_rank) ") includes `" inc "` (" layer_name(hr) "); a file may include only its own layer or below (STYLE 3.3)")
		else if (my_role != "" && hrole != "" && hrole != my_role)
			fail(FNR, "role `" my_role "` file includes `" inc "` of role `" hrole "`; roles talk only over the wire (STYLE 3.3)")
	}
	if (code ~ /^[ \t]*#[ \t]*include[ \t]*<jsmn\.h>/ && FILENAME !~ /(^|\/)json\.c$/)
		fail(FNR, "<jsmn.h> is included outside json.c; only json.c may see jsmn (STYLE 7)")
	if (code ~ /^[ \t]*#[ \t]*include[ \t]*<seccomp\.h>/ && FILENAME !~ /(^|\/)seccomp\.c$/)
		fail(FNR, "<seccomp.h> is included outside seccomp.c; only seccomp.c may see libseccomp (STYLE 7)")
	if (my_rank != 0 && my_rank < 40 && me != "log") {
		s = CS_S
		while (match(s, /log_(error|warn|info|debug|msg|setup)[ \t]*[(]/)) {
			pre = substr(s, RSTART - 1, 1)
			call = substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
			if (is_ident_char(pre) || pre == "." || pre == ">")
				continue
			sub(/[ \t]*[(]$/, "", call)
			fail(FNR, "`" call "()` in `" me "` (" layer_name(my_rank) "); only roles log, mechanisms and base fill a kerr (STYLE 6)")
		}
	}
}

END {
	exit bad
}
'

exec awk -v RANKS="$ranks" "$(cat "$top/scripts/cstrip.awk")$prog" "$@"
