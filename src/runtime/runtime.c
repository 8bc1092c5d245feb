/*
 * runtime: runc (or any runc-compatible binary) behind the shim's one runtime interface
 * (mechanism M3).
 *
 * Builds each call's argv, starts it through proc_spawn in a new session, and turns runc's
 * conventions into kettle's: a non-zero exit plus a JSON log line {"level":"error",
 * "msg":…} becomes a kerr carrying the message verbatim. The container's own stderr is
 * never read for runtime errors (runc prints its error there too, which is exactly why).
 * Never waits: the caller's loop reaps the pid. Never logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fd.h"
#include "base/json.h"
#include "runtime/proc.h"
#include "runtime/runtime.h"
#include "base/str.h"

#define ARGV_MAX	24	       /* longest argv any call builds */
#define LOG_TAIL_MAX	(256u * 1024u) /* bytes of the JSON log read back after a failure */
#define LOG_LINE_TOKENS 64	       /* jsmn tokens for one log line */

/* Finds name in $PATH (or takes an absolute/relative path as it is). */
static int resolve_path(const char *name, char out[PATH_MAX], struct kerr *err)
{
	struct stat st;

	if (strchr(name, '/')) {
		if (!str_copy(out, PATH_MAX, name))
			return kerr_set(err, ENAMETOOLONG, "runtime path `%s`", name);
	} else {
		const char *path = getenv("PATH");
		bool found = false;

		if (!path || !*path)
			path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
		while (*path && !found) {
			const char *end = strchrnul(path, ':');
			int n = snprintf(out, PATH_MAX, "%.*s/%s", (int)(end - path), path, name);

			if (n > 0 && n < PATH_MAX && access(out, X_OK) == 0)
				found = true;
			path = *end ? end + 1 : end;
		}
		if (!found)
			return kerr_set(err, ENOENT, "runtime `%s` not found in $PATH", name);
	}
	if (stat(out, &st) < 0)
		return kerr_set(err, errno, "runtime `%s` not found", out);
	if (!S_ISREG(st.st_mode) || access(out, X_OK) < 0)
		return kerr_set(err, EACCES, "runtime `%s` is not an executable file", out);
	return 0;
}

int runtime_init(struct runtime *rt, const char *path, const char *root, const char *log,
		 struct kerr *err)
{
	memset(rt, 0, sizeof(*rt));
	if (path && strcmp(path, RUNTIME_HOST) == 0) {
		/* Our own binary, whichever name started us: kettle.c dispatches on argv[0]. */
		str_copy(rt->path, sizeof(rt->path), "/proc/self/exe");
		str_copy(rt->argv0, sizeof(rt->argv0), RUNTIME_HOST);
	} else if (resolve_path(path && *path ? path : RUNTIME_DEFAULT, rt->path, err) < 0) {
		return -1;
	}
	if (!str_copy(rt->root, sizeof(rt->root), root) || !str_copy(rt->log, sizeof(rt->log), log))
		return kerr_set(err, ENAMETOOLONG, "runtime root or log path too long");
	return 0;
}

static const char *op_name(enum runtime_op op)
{
	static const char *const names[] = {
		[RUNTIME_CREATE] = "create", [RUNTIME_START] = "start",	  [RUNTIME_RUN] = "run",
		[RUNTIME_KILL] = "kill",     [RUNTIME_DELETE] = "delete", [RUNTIME_STATE] = "state",
		[RUNTIME_PS] = "ps",	     [RUNTIME_EXEC] = "exec",	  [RUNTIME_PAUSE] = "pause",
		[RUNTIME_RESUME] = "resume", [RUNTIME_UPDATE] = "update",
	};

	if ((unsigned)op >= sizeof(names) / sizeof(names[0]) || !names[op])
		return NULL;
	return names[op];
}

/* Builds argv into av (borrowing strings; sigbuf holds the signal number). */
static int build_argv(const struct runtime *rt, const struct runtime_call *c, const char **av,
		      char sigbuf[16], struct kerr *err)
{
	const char *name = op_name(c->op);
	size_t n = 0;

	if (!name)
		return kerr_set(err, EINVAL, "unknown runtime operation %d", (int)c->op);
	if (!c->id || !*c->id)
		return kerr_set(err, EINVAL, "runtime %s: no container id", name);
	av[n++] = rt->argv0[0] ? rt->argv0 : rt->path;
	av[n++] = "--root";
	av[n++] = rt->root;
	av[n++] = "--log";
	av[n++] = rt->log;
	av[n++] = "--log-format";
	av[n++] = "json";
	av[n++] = name;
	switch (c->op) {
	case RUNTIME_RUN:
		av[n++] = "--detach";
		/* fallthrough */
	case RUNTIME_CREATE:
		if (!c->bundle || !c->pid_file)
			return kerr_set(err, EINVAL, "runtime %s: bundle and pid file required",
					name);
		av[n++] = "--bundle";
		av[n++] = c->bundle;
		av[n++] = "--pid-file";
		av[n++] = c->pid_file;
		if (c->console_socket) {
			av[n++] = "--console-socket";
			av[n++] = c->console_socket;
		}
		break;
	case RUNTIME_KILL:
		if (c->all)
			av[n++] = "--all";
		break;
	case RUNTIME_DELETE:
		if (c->force)
			av[n++] = "--force";
		break;
	case RUNTIME_PS:
		av[n++] = "--format";
		av[n++] = "json";
		break;
	case RUNTIME_EXEC:
		if (!c->file || !c->pid_file)
			return kerr_set(err, EINVAL,
					"runtime exec: process file and pid file required");
		av[n++] = "--process";
		av[n++] = c->file;
		av[n++] = "--pid-file";
		av[n++] = c->pid_file;
		if (c->detach)
			av[n++] = "--detach";
		if (c->console_socket) {
			av[n++] = "--console-socket";
			av[n++] = c->console_socket;
		}
		break;
	case RUNTIME_UPDATE:
		if (!c->file)
			return kerr_set(err, EINVAL, "runtime update: resources file required");
		av[n++] = "--resources";
		av[n++] = c->file;
		break;
	default:
		break;
	}
	av[n++] = c->id;
	if (c->op == RUNTIME_KILL) {
		if (c->signal <= 0 || c->signal > 64)
			return kerr_set(err, EINVAL, "runtime kill: signal %d out of range 1..64",
					c->signal);
		snprintf(sigbuf, 16, "%d", c->signal);
		av[n++] = sigbuf;
	}
	av[n] = NULL;
	return 0;
}

int runtime_spawn(const struct runtime *rt, const struct runtime_call *call, pid_t *pid,
		  struct kerr *err)
{
	const char *av[ARGV_MAX];
	char sigbuf[16];
	struct proc_spawn spec = {
		.path = rt->path,
		.argv = (char *const *)av,
		.envp = NULL,
		.stdio = { call->stdio[0], call->stdio[1], call->stdio[2] },
		.keep_fd = -1,
		.new_session = true,
		.die_with = call->die_with_caller ? getpid() : 0,
	};

	if (build_argv(rt, call, av, sigbuf, err) < 0)
		return -1;
	/* Without a terminal runc hands its own stdio to the container's process: a missing
	 * one would become proc_spawn's /dev/null, a descriptor of the host's (issue 12). */
	if ((call->op == RUNTIME_CREATE || call->op == RUNTIME_RUN || call->op == RUNTIME_EXEC) &&
	    !call->console_socket)
		for (int i = 0; i < 3; i++)
			if (call->stdio[i] < 0)
				return kerr_set(err, EINVAL,
						"runtime %s: stdio %d not given; a container's "
						"process gets only descriptors made for it",
						op_name(call->op), i);
	if (proc_spawn(&spec, pid, err) < 0)
		return kerr_wrap(err, "runtime %s", op_name(call->op));
	return 0;
}

off_t runtime_log_offset(const struct runtime *rt)
{
	struct stat st;

	if (stat(rt->log, &st) < 0)
		return 0;
	return st.st_size;
}

/* If line is a JSON log entry of level "error", copies its msg into msg. */
static void take_error_line(const char *line, size_t len, char *msg, size_t cap)
{
	struct json_tok toks[LOG_LINE_TOKENS];
	struct json_doc doc;
	struct kerr ignored;

	if (json_parse(&doc, line, len, toks, LOG_LINE_TOKENS, &ignored) < 0 ||
	    toks[0].type != JSON_OBJECT)
		return;
	int level = json_obj_get(&doc, 0, "level");
	int m = json_obj_get(&doc, 0, "msg");
	if (level < 0 || m < 0 || !json_str_eq(&doc, level, "error"))
		return;
	if (json_get_str(&doc, m, msg, cap, &ignored) < 0)
		msg[0] = '\0';
}

int runtime_read_error(const struct runtime *rt, off_t since, char *msg, size_t cap,
		       struct kerr *err)
{
	_cleanup_close_ int fd = open(rt->log, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;

	msg[0] = '\0';
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return kerr_set(err, errno, "open runtime log `%s`", rt->log);
	}
	if (fstat(fd, &st) < 0)
		return kerr_set(err, errno, "stat runtime log `%s`", rt->log);
	/* Read only the tail written after `since`, and at most LOG_TAIL_MAX of it. */
	off_t from = since;
	if (from < 0 || from > st.st_size)
		from = 0;
	if (st.st_size - from > (off_t)LOG_TAIL_MAX)
		from = st.st_size - (off_t)LOG_TAIL_MAX;
	size_t want = (size_t)(st.st_size - from);
	_cleanup_free_ char *text = malloc(want + 1);
	if (!text)
		return kerr_set(err, ENOMEM, "read runtime log");
	ssize_t got = pread(fd, text, want, from);
	if (got < 0)
		return kerr_set(err, errno, "read runtime log `%s`", rt->log);
	text[got] = '\0';
	runtime_log_last_error(text, (size_t)got, msg, cap);
	return 0;
}

void runtime_log_last_error(const char *text, size_t len, char *msg, size_t cap)
{
	const char *line = text, *end = text + len;

	msg[0] = '\0';
	/* The last error line wins: runc logs the final, most complete message last. */
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);

		take_error_line(line, n, msg, cap);
		if (!nl)
			break;
		line = nl + 1;
	}
}

int runtime_error_exit_code(const char *msg)
{
	/* runc reports a failed exec of the container command from its init as
	 * `exec: "cmd": <reason>`; docker maps "not found" to 127 and "permission denied"
	 * to 126. Other failures (bad bundle, cgroups, mounts) are kettle's 125 even when
	 * their text mentions a missing file, hence the "exec: " anchor. */
	const char *e = strstr(msg, "exec: ");

	if (!e)
		return 125;
	if (strstr(e, "executable file not found") || strstr(e, "no such file or directory"))
		return 127;
	if (strstr(e, "permission denied") || strstr(e, "exec format error") ||
	    strstr(e, "is a directory"))
		return 126;
	return 125;
}

int runtime_read_pid_file(const char *path, pid_t *pid, struct kerr *err)
{
	char text[32];
	size_t len;
	uint64_t v;

	if (fd_read_small_file(AT_FDCWD, path, text, sizeof(text), &len, err) < 0)
		return kerr_wrap(err, "read pid file");
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (str_to_u64(text, INT_MAX, &v, err) < 0 || v == 0)
		return kerr_set(err, EINVAL, "pid file `%s` holds `%s`, not a pid", path, text);
	*pid = (pid_t)v;
	return 0;
}
