#!/bin/sh
# check-layers.sh [--root DIR] [--objects DIR] [FILE...] — enforce the layering of
# docs/ARCHITECTURE.md with one rank table of folders.
#
# Includes (src/*/*.[ch] and kettle.c, or the FILEs): a file includes ("x.h") headers only from
# its own folder or a folder of lower rank, never from another folder of equal rank (so a role
# never includes another role's header); every file's folder has a row in the table; only
# json.c includes <jsmn.h>, only src/seccomp/seccomp_lib.c <seccomp.h>, only src/image/gz.c
# <zlib.h>; only roles call log_*().
# Calls (with --objects DIR, the build's object tree DIR/<folder>/<file>.o, read with nm): no
# file calls or uses a symbol defined in a folder of higher rank or in another folder of equal
# rank, and no files call each other in a cycle (a strongly connected component of the
# file -> file graph with more than one file), wherever they are.
# --root DIR checks the tree at DIR instead of this repository (the self-test's fixtures).
# Prints "file:line: msg" per violation and exits 1 on any, 2 on misuse. Never edits a file.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
objdir=
while [ $# -gt 0 ]; do
	case $1 in
	--root | --objects)
		if [ $# -lt 2 ] || [ ! -d "$2" ]; then
			echo "check-layers.sh: $1 needs a directory" >&2
			exit 2
		fi
		# Absolute now: the checks run from the root.
		if [ "$1" = --root ]; then
			root=$(cd "$2" && pwd)
		else
			objdir=$(cd "$2" && pwd)
		fi
		shift 2
		;;
	--*)
		echo "check-layers.sh: unknown option \`$1\` (allowed: --root DIR, --objects DIR)" >&2
		exit 2
		;;
	*)
		break
		;;
	esac
done
cd "$root"
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

# The one rank table: "folder rank band". A file may include and call its own folder and any
# folder of lower rank; folders of equal rank never use each other. Bands: base, mechanism,
# role (only roles log), top ("." is the repository top, i.e. kettle.c). Mechanism ranks follow
# what each folder uses today: logs and copy use only base; store includes logs' limits;
# ipc uses store (ids, restart) and runtime uses store (record). A new folder is one row here
# and one line in docs/ARCHITECTURE.md: a new folder gets its row when it
# lands, ranked above everything they use. cli (the command tables' parser, help and
# completion) uses only base; so do tmpl (the --format template engine) and filter (ps
# --filter); seccomp (profiles, filters, the libseccomp wrapper) uses store's capability names
# and base, and runtime's spec.c writes its section of config.json; cdi (CDI spec files and
# device resolution) uses store's record (its container edits) and base; boot (the
# containers file, the mounts of a first process) uses only base; net (bridge, netlink,
# nf_tables, leases) uses store (the record's port type, atomic writes) and base; image (OCI
# and docker archives, the image store, layers and root filesystems) uses store (record,
# atomic writes), copy (the hardened extractor) and base.
ranks='
base     10 base
logs     20 mechanism
copy     20 mechanism
cli      20 mechanism
tmpl     20 mechanism
filter   20 mechanism
ttrpc    20 mechanism
boot     20 mechanism
store    30 mechanism
seccomp  35 mechanism
cdi      35 mechanism
image    35 mechanism
ipc      40 mechanism
runtime  40 mechanism
supervise 50 mechanism
net      40 mechanism
client   60 role
daemon   60 role
hostrt   60 role
init     60 role
shim     60 role
shimv2   60 role
.        90 top
'

# Every object needs its source and every source its object, or the call graph is wrong.
nmout=
if [ -n "$objdir" ]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-layers.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	: >"$tmp/objs"
	for o in $(find "$objdir" -name '*.o' | LC_ALL=C sort); do
		rel=${o#"$objdir"/}
		rel=${rel%.o}
		case $rel in
		*/*) src=src/$rel.c ;;
		*) src=$rel.c ;;
		esac
		if [ -f "$src" ]; then
			echo "$o" >>"$tmp/objs"
		else
			echo "check-layers.sh: object \`$o\` has no source \`$src\` (stale after a rename?), ignoring" >&2
		fi
	done
	for src in src/*/*.c kettle.c; do
		[ -f "$src" ] || continue
		case $src in
		src/*) o=$objdir/${src#src/} ;;
		*) o=$objdir/$src ;;
		esac
		o=${o%.c}.o
		if [ ! -f "$o" ]; then
			echo "check-layers.sh: \`$src\` has no object \`$o\`; build first (make), or pass the build's object directory to --objects" >&2
			exit 2
		fi
	done
	# -g: global symbols only; -P: "file: name type ..." lines, the portable format.
	# shellcheck disable=SC2046 # object paths have no blanks (folder/file names)
	if ! nm -g -P -A $(cat "$tmp/objs") >"$tmp/nm"; then
		echo "check-layers.sh: nm failed on the objects under \`$objdir\`" >&2
		exit 2
	fi
	nmout=$tmp/nm
fi

# shellcheck disable=SC2016 # an awk program: its $ are awk fields, not shell
prog='
BEGIN {
	nt = split(RANKS, rows, "\n")
	for (i = 1; i <= nt; i++) {
		if (split(rows[i], f, " ") != 3)
			continue
		RANK[f[1]] = f[2] + 0
		BAND[f[1]] = f[3]
	}
	bad = 0
}

# folder_of(path): "store" for src/store/ids.c, "." for a file at the top (kettle.c), else its
# directory (which then has no row).
function folder_of(path,    p)
{
	if (path ~ /^src\/[^\/]+\/[^\/]+$/) {
		p = path
		sub(/^src\//, "", p)
		sub(/\/.*/, "", p)
		return p
	}
	if (path !~ /\//)
		return "."
	p = path
	sub(/\/[^\/]*$/, "", p)
	return p
}

function rank_of(folder)
{
	return (folder in RANK) ? RANK[folder] : 0
}

# shown(folder): how a message names a folder.
function shown(folder)
{
	return folder == "." ? "the top (kettle.c)" : "folder `" folder "`"
}

function base_of(path,    s)
{
	s = path
	sub(/.*\//, "", s)
	return s
}

function fail(path, line, msg)
{
	printf "%s:%d: %s\n", path, line, msg
	bad = 1
}

# why_not(from, to, what): the message for "from uses to" when to is not below from, or "".
function why_not(from, to, what)
{
	if (to == from || rank_of(to) < rank_of(from))
		return ""
	if (rank_of(to) > rank_of(from))
		return what " " shown(to) " (rank " rank_of(to) "), above " shown(from) \
			" (rank " rank_of(from) "); a file may use only its own folder or a folder of lower rank (docs/ARCHITECTURE.md)"
	if (BAND[from] == "role" && BAND[to] == "role")
		return what " role `" to "` from role `" from "`" \
			"; a role never uses another role, roles talk only over the wire (docs/ARCHITECTURE.md)"
	return what " " shown(to) ", of the same rank " rank_of(to) " as " shown(from) \
		"; a file may use only its own folder or a folder of lower rank, never another of equal rank (docs/ARCHITECTURE.md)"
}

# --- Includes, one source file at a time --------------------------------------------------

FILENAME == NMOUT {
	nm_line()
	next
}

FNR == 1 {
	cstrip_reset()
	path = FILENAME
	sub(/^\.\//, "", path)
	me = folder_of(path)
	if (rank_of(me) == 0)
		fail(path, 1, shown(me) " of `" path "` has no row in the rank table; add one (folder, rank, band) to scripts/check-layers.sh and docs/ARCHITECTURE.md")
}

{
	cstrip($0)
	code = CS_C
	if (match(code, /^[ \t]*#[ \t]*include[ \t]*"[^"]*"/)) {
		inc = substr(code, RSTART, RLENGTH)
		sub(/^[^"]*"/, "", inc)
		sub(/"$/, "", inc)
		# Without a folder the compiler finds the header next to the file: its own folder.
		hf = (inc ~ /\//) ? inc : me "/"
		sub(/\/.*/, "", hf)
		if (inc ~ /(^|\/)\.\.\//)
			fail(path, FNR, "`" inc "` climbs out with `..`; name the header by its folder, as \"base/kerr.h\"")
		else if (rank_of(hf) == 0)
			fail(path, FNR, "`" inc "` is in " shown(hf) ", which has no row in the rank table; add one (folder, rank, band) to scripts/check-layers.sh")
		else if (rank_of(me) != 0 && (msg = why_not(me, hf, "includes `" inc "` of")) != "")
			fail(path, FNR, msg)
	}
	if (code ~ /^[ \t]*#[ \t]*include[ \t]*<jsmn\.h>/ && base_of(path) != "json.c")
		fail(path, FNR, "<jsmn.h> is included outside json.c; only json.c may see jsmn (STYLE 7)")
	if (code ~ /^[ \t]*#[ \t]*include[ \t]*<seccomp\.h>/ && path != "src/seccomp/seccomp_lib.c")
		fail(path, FNR, "<seccomp.h> is included outside src/seccomp/seccomp_lib.c; only the libseccomp wrapper may see libseccomp (STYLE 7)")
	if (code ~ /^[ \t]*#[ \t]*include[ \t]*<zlib\.h>/ && path != "src/image/gz.c")
		fail(path, FNR, "<zlib.h> is included outside src/image/gz.c; only the gzip wrapper may see zlib (STYLE 7)")
	if ((BAND[me] == "base" || BAND[me] == "mechanism") && path !~ /^src\/base\/log\.[ch]$/) {
		s = CS_S
		while (match(s, /log_(error|warn|info|debug|msg|setup)[ \t]*[(]/)) {
			pre = substr(s, RSTART - 1, 1)
			call = substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
			if (is_ident_char(pre) || pre == "." || pre == ">")
				continue
			sub(/[ \t]*[(]$/, "", call)
			fail(path, FNR, "`" call "()` is called in `" path "` (" shown(me) ", a " BAND[me] "); only roles log, mechanisms and base fill a kerr (STYLE 6)")
		}
	}
}

# --- Calls, from nm -g -P -A: "OBJ: name type [value size]" -------------------------------

# src_of(obj): the source file an object was built from (the shell checked that it exists).
function src_of(obj,    r)
{
	r = substr(obj, length(OBJDIR) + 2)
	sub(/\.o$/, ".c", r)
	return (r ~ /\//) ? "src/" r : r
}

function nm_line(    obj, f)
{
	obj = $1
	sub(/:$/, "", obj)
	f = src_of(obj)
	if (!(f in IS_FILE)) {
		IS_FILE[f] = 1
		FILES[++nfiles] = f
	}
	if ($3 == "U" || $3 == "w" || $3 == "v") {
		NUSE[f]++
		USE[f, NUSE[f]] = $2
	} else if ($3 ~ /^[A-Z]$/) {
		DEF[$2] = f
		KIND[$2] = $3
	}
}

# sort_words(s): the blank-separated words of s, sorted (insertion sort: tens of words).
function sort_words(s,    a, n, i, j, t, out)
{
	n = split(s, a, " ")
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
	out = ""
	for (i = 1; i <= n; i++)
		out = out (i > 1 ? " " : "") a[i]
	return out
}

# Tarjan: SCC[v] numbers the strongly connected component of file v; SIZE[c] counts its files.
function strong(v,    k, w, n, succ)
{
	IDX[v] = LOW[v] = ++counter
	STACK[++sp] = v
	ON[v] = 1
	n = split(SUCC[v], succ, " ")
	for (k = 1; k <= n; k++) {
		w = succ[k]
		if (!(w in IDX)) {
			strong(w)
			if (LOW[w] < LOW[v])
				LOW[v] = LOW[w]
		} else if (ON[w] && IDX[w] < LOW[v]) {
			LOW[v] = IDX[w]
		}
	}
	if (LOW[v] == IDX[v]) {
		ncomp++
		do {
			w = STACK[sp--]
			ON[w] = 0
			SCC[w] = ncomp
			SIZE[ncomp]++
		} while (w != v)
	}
}

# line_of(f, sym): the first line of f whose code (not comments or strings) names sym inside a
# function body (an indented line: a call, not a prototype), else the first line that names it
# at all, else 1 (a call hidden in a macro).
function line_of(f, sym)
{
	if ((f, sym) in AT)
		return AT[f, sym]
	return ((f, sym) in AT0) ? AT0[f, sym] : 1
}

# find_lines(): fills AT and AT0 for every WANT[f, sym], reading each wanted file once.
function find_lines(    f, k, line, n, tok, i, ln, body)
{
	for (k = 1; k <= nfiles; k++) {
		f = FILES[k]
		if (!(f in WANTED))
			continue
		cstrip_reset()
		ln = 0
		while ((getline line < f) > 0) {
			ln++
			cstrip(line)
			body = (CS_S ~ /^[ \t]/)
			n = split(CS_S, tok, /[^A-Za-z0-9_]+/)
			for (i = 1; i <= n; i++) {
				if (!((f, tok[i]) in WANT))
					continue
				if (!((f, tok[i]) in AT0))
					AT0[f, tok[i]] = ln
				if (body && !((f, tok[i]) in AT))
					AT[f, tok[i]] = ln
			}
		}
		close(f)
	}
}

function want(f, sym)
{
	WANT[f, sym] = 1
	WANTED[f] = 1
}

function named(sym)
{
	return (KIND[sym] == "T" || KIND[sym] == "W" || KIND[sym] == "i") ? "`" sym "()`" : "`" sym "`"
}

function verb(sym)
{
	return (KIND[sym] == "T" || KIND[sym] == "W" || KIND[sym] == "i") ? "calls " : "uses "
}

function check_calls(    k, f, i, g, u, n, j, c, words, sl, mem, m, msg)
{
	# Edges file -> file, each with the smallest symbol that makes it and a count.
	for (k = 1; k <= nfiles; k++) {
		f = FILES[k]
		for (i = 1; i <= NUSE[f]; i++) {
			u = USE[f, i]
			if (!(u in DEF) || (g = DEF[u]) == f)
				continue
			if (!((f, g) in VIA)) {
				VIA[f, g] = u
				SUCC[f] = SUCC[f] " " g
			} else if (u < VIA[f, g]) {
				VIA[f, g] = u
			}
			COUNT[f, g]++
		}
	}
	# Sorted file list and successor lists, so the output is the same on every run.
	words = ""
	for (k = 1; k <= nfiles; k++)
		words = words " " FILES[k]
	nfiles = split(sort_words(words), FILES, " ")
	for (k = 1; k <= nfiles; k++) {
		f = FILES[k]
		SUCC[f] = sort_words(SUCC[f])
		n = split(SUCC[f], sl, " ")
		for (j = 1; j <= n; j++)
			want(f, VIA[f, sl[j]])
	}
	find_lines()

	# Upward calls: one finding per pair of files, naming one symbol.
	for (k = 1; k <= nfiles; k++) {
		f = FILES[k]
		if (rank_of(folder_of(f)) == 0)
			continue
		n = split(SUCC[f], sl, " ")
		for (j = 1; j <= n; j++) {
			g = sl[j]
			u = VIA[f, g]
			if (rank_of(folder_of(g)) == 0)
				continue
			msg = why_not(folder_of(f), folder_of(g), verb(u) named(u) " of `" g "`" more(f, g) ", in")
			if (msg != "")
				fail(f, line_of(f, u), msg)
		}
	}

	# Cycles: every strongly connected component of more than one file, then its edges.
	for (k = 1; k <= nfiles; k++)
		if (!(FILES[k] in IDX))
			strong(FILES[k])
	for (c = 1; c <= ncomp; c++) {
		if (SIZE[c] < 2)
			continue
		m = 0
		msg = ""
		for (k = 1; k <= nfiles; k++) {
			if (SCC[FILES[k]] != c)
				continue
			mem[++m] = FILES[k]
			msg = msg (m > 1 ? ", " : "") "`" FILES[k] "`"
		}
		fail(mem[1], 1, "call cycle among " m " files: " msg "; calls between files may go one way only (the edges of the cycle follow)")
		for (j = 1; j <= m; j++) {
			f = mem[j]
			n = split(SUCC[f], sl, " ")
			for (i = 1; i <= n; i++) {
				g = sl[i]
				if (SCC[g] != c)
					continue
				u = VIA[f, g]
				fail(f, line_of(f, u), "  in that cycle: " verb(u) named(u) " of `" g "`" more(f, g))
			}
		}
	}
}

# more(f, g): how many more symbols of g file f uses, if any.
function more(f, g)
{
	return COUNT[f, g] > 1 ? " (and " COUNT[f, g] - 1 " more)" : ""
}

END {
	if (NMOUT != "")
		check_calls()
	exit bad
}
'

if [ -n "$nmout" ]; then
	set -- "$@" "$nmout"
fi
# Not exec: the EXIT trap removes the nm output afterwards.
rc=0
awk -v RANKS="$ranks" -v NMOUT="$nmout" -v OBJDIR="$objdir" "$(cat "$here/cstrip.awk")$prog" "$@" || rc=$?
exit "$rc"
