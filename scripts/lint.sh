#!/bin/sh
# lint.sh [FILE...] — fail on fds born without close-on-exec and on banned calls (STYLE 6, 11, 14).
#
# Checks src/*/*.[ch] and kettle.c by default. Comments and the contents of string literals are
# blanked first (scripts/cstrip.awk), and a call that spans lines is joined up to its closing
# parenthesis before its flags are checked. A `/* lint: allow <reason> */` comment on any line
# of a call suppresses one finding; `/* lint: child */` marks dup2()/exit() in a forked child
# before exec. Prints "file:line: msg" per finding and exits 1 on any; never edits a file.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ $# -eq 0 ]; then
	set -- src/*/*.c src/*/*.h
	[ -f kettle.c ] && set -- "$@" kettle.c
fi
for f in "$@"; do
	if [ ! -f "$f" ]; then
		echo "lint.sh: \`$f\` is not a file" >&2
		exit 2
	fi
done

# shellcheck disable=SC2016 # an awk program: its $ are awk fields, not shell
prog='
BEGIN {
	# name, kind, flag or advice. kind: need = the flag token must appear in the call;
	# ban = never; child = only on a line marked /* lint: child */; fopen = mode needs "e".
	n_rules = 0
	rule("open", "need", "O_CLOEXEC", "")
	rule("openat", "need", "O_CLOEXEC", "")
	rule("creat", "ban", "", "cannot set close-on-exec; use open(…, O_CREAT|O_WRONLY|O_TRUNC|O_CLOEXEC, mode)")
	rule("socket", "need", "SOCK_CLOEXEC", "")
	rule("socketpair", "need", "SOCK_CLOEXEC", "")
	rule("accept", "ban", "", "leaks the fd across exec; use accept4(…, SOCK_CLOEXEC|SOCK_NONBLOCK)")
	rule("accept4", "need", "SOCK_CLOEXEC", "")
	rule("pipe", "ban", "", "leaks the fds across exec; use pipe2(…, O_CLOEXEC)")
	rule("pipe2", "need", "O_CLOEXEC", "")
	rule("dup", "ban", "", "leaks the fd across exec; use fcntl(fd, F_DUPFD_CLOEXEC, 0)")
	rule("dup2", "child", "", "leaks the fd across exec; use dup3(…, O_CLOEXEC); in a forked child before exec mark the line /* lint: child */")
	rule("dup3", "need", "O_CLOEXEC", "")
	rule("epoll_create", "ban", "", "leaks the fd across exec; use epoll_create1(EPOLL_CLOEXEC)")
	rule("epoll_create1", "need", "EPOLL_CLOEXEC", "")
	rule("signalfd", "need", "SFD_CLOEXEC", "")
	rule("timerfd_create", "need", "TFD_CLOEXEC", "")
	rule("eventfd", "need", "EFD_CLOEXEC", "")
	rule("memfd_create", "need", "MFD_CLOEXEC", "")
	rule("inotify_init", "ban", "", "leaks the fd across exec; use inotify_init1(IN_CLOEXEC)")
	rule("inotify_init1", "need", "IN_CLOEXEC", "")
	rule("recvmsg", "need", "MSG_CMSG_CLOEXEC", "")
	rule("mkstemp", "ban", "", "leaks the fd across exec; use mkostemp(…, O_CLOEXEC)")
	rule("mkostemp", "need", "O_CLOEXEC", "")
	rule("fopen", "fopen", "", "")
	rule("opendir", "ban", "", "leaks the fd across exec; use fdopendir() on an fd opened with O_DIRECTORY|O_CLOEXEC")
	rule("sleep", "ban", "", "blocks; use a loop timer (STYLE 14)")
	rule("usleep", "ban", "", "blocks; use a loop timer (STYLE 14)")
	rule("nanosleep", "ban", "", "blocks; use a loop timer (STYLE 14)")
	rule("system", "ban", "", "runs a shell; spawn through proc.c with an argv")
	rule("popen", "ban", "", "runs a shell; spawn through proc.c with an argv")
	rule("abort", "ban", "", "is not an error path; return a kerr (STYLE 6)")
	rule("exit", "exit", "", "is allowed only in kettle.c; return to main, and end a forked child with _exit(127) (or mark its line /* lint: child */) (STYLE 6)")
	rule("strcpy", "ban", "", "is unbounded; use the bounded copy in str.h")
	rule("sprintf", "ban", "", "is unbounded; use snprintf")
	rule("vsprintf", "ban", "", "is unbounded; use vsnprintf")
	rule("gets", "ban", "", "is unbounded; use fgets or read_full")
	bad = 0
}

function rule(name, kind, flag, advice)
{
	n_rules++
	R_name[n_rules] = name
	R_kind[n_rules] = kind
	R_flag[n_rules] = flag
	R_advice[n_rules] = advice
}

FNR == 1 {
	if (NR > 1)
		process()
	fname = FILENAME
	nl = 0
	cstrip_reset()
}

{
	nl++
	RAW[nl] = $0
	cstrip($0)
	S[nl] = CS_S
	C[nl] = CS_C
}

END {
	if (NR > 0)
		process()
	exit bad
}

# has_token(text, tok): tok occurs in text as a whole identifier.
function has_token(text, tok,    off, p, before, after)
{
	off = 0
	while ((p = index(substr(text, off + 1), tok)) > 0) {
		p += off
		before = substr(text, p - 1, 1)
		after = substr(text, p + length(tok), 1)
		if (!is_ident_char(before) && !is_ident_char(after))
			return 1
		off = p
	}
	return 0
}

# extract(n, col): the call whose "(" is at line n, column col. Sets CALL_S, CALL_C (joined
# text of the argument list, parentheses included) and CALL_END (line of the closing paren).
function extract(n, col,    k, i, depth, ch, line, cline, start, maxk)
{
	CALL_S = ""
	CALL_C = ""
	depth = 0
	maxk = n + 40
	if (maxk > nl)
		maxk = nl
	start = col
	for (k = n; k <= maxk; k++) {
		line = S[k]
		cline = C[k]
		for (i = start; i <= length(line); i++) {
			ch = substr(line, i, 1)
			CALL_S = CALL_S ch
			CALL_C = CALL_C substr(cline, i, 1)
			if (ch == "(")
				depth++
			else if (ch == ")" && --depth == 0) {
				CALL_END = k
				return
			}
		}
		CALL_S = CALL_S " "
		CALL_C = CALL_C " "
		start = 1
	}
	CALL_END = maxk
}

# last_literal(text): contents of the last "..." literal in text, or "\001" if there is none.
function last_literal(text,    i, ch, cur, inlit, last, found)
{
	found = 0
	inlit = 0
	cur = ""
	for (i = 1; i <= length(text); i++) {
		ch = substr(text, i, 1)
		if (inlit) {
			if (ch == "\\") {
				cur = cur ch substr(text, i + 1, 1)
				i++
			} else if (ch == "\"") {
				inlit = 0
				last = cur
				found = 1
			} else {
				cur = cur ch
			}
		} else if (ch == "\"") {
			inlit = 1
			cur = ""
		}
	}
	return found ? last : "\001"
}

# report(n, e, kind, msg): one finding for a call on lines n..e, unless a marker covers it.
function report(n, e, kind, msg,    k)
{
	if (kind == "child" || kind == "exit") {
		for (k = n; k <= e; k++)
			if (CHILD[k])
				return
	}
	for (k = n; k <= e; k++) {
		if (ALLOW[k] > 0) {
			ALLOW[k]--
			return
		}
	}
	printf "%s:%d: %s\n", fname, n, msg
	bad = 1
}

function count_allow(line,    cnt, p)
{
	cnt = 0
	while (match(line, /\/\*[ \t]*lint:[ \t]*allow[ \t]+[^ \t*]/)) {
		cnt++
		line = substr(line, RSTART + RLENGTH)
	}
	return cnt
}

function process(    n, r, line, off, pos, prev, name, kind, mode, p, base, col)
{
	base = fname
	sub(/.*\//, "", base)
	for (n = 1; n <= nl; n++) {
		ALLOW[n] = count_allow(RAW[n])
		CHILD[n] = (RAW[n] ~ /\/\*[ \t]*lint:[ \t]*child[ \t]*\*\//)
	}
	for (n = 1; n <= nl; n++) {
		line = S[n]
		# F_DUPFD without _CLOEXEC, e.g. fcntl(fd, F_DUPFD, 3).
		off = 0
		while ((p = index(substr(line, off + 1), "F_DUPFD")) > 0) {
			p += off
			off = p
			if (is_ident_char(substr(line, p - 1, 1)) || is_ident_char(substr(line, p + 7, 1)))
				continue
			report(n, n, "ban", "`F_DUPFD` leaks the fd across exec; use F_DUPFD_CLOEXEC (STYLE 11)")
		}
		for (r = 1; r <= n_rules; r++) {
			name = R_name[r]
			kind = R_kind[r]
			off = 0
			while (match(substr(line, off + 1), name "[ \t]*[(]")) {
				pos = off + RSTART
				off = pos + RLENGTH - 1
				prev = substr(line, pos - 1, 1)
				# Not a libc call: part of a longer name, or a member (ops->open, x.open).
				if (is_ident_char(prev) || prev == "." || prev == ">")
					continue
				col = pos + length(name)
				while (substr(line, col, 1) != "(")
					col++
				extract(n, col)
				if (kind == "need") {
					if (!has_token(CALL_S, R_flag[r]))
						report(n, CALL_END, kind, "`" name "(` without " R_flag[r] "; every fd is close-on-exec from birth (STYLE 11)")
				} else if (kind == "fopen") {
					mode = last_literal(CALL_C)
					if (mode == "\001")
						report(n, CALL_END, kind, "`fopen(` mode is not a string literal; it must contain \"e\" (O_CLOEXEC) (STYLE 11)")
					else if (index(mode, "e") == 0)
						report(n, CALL_END, kind, "`fopen(` mode \"" mode "\" lacks \"e\" (O_CLOEXEC) (STYLE 11)")
				} else if (kind == "exit") {
					if (base != "kettle.c")
						report(n, CALL_END, kind, "`exit(` " R_advice[r])
				} else {
					report(n, CALL_END, kind, "`" name "(` " R_advice[r])
				}
			}
		}
	}
}
'

exec awk "$(cat "$top/scripts/cstrip.awk")$prog" "$@"
