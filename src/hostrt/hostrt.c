/*
 * hostrt: `kettle host-runtime`, a runc-compatible runtime whose processes run directly on
 * the host (role layer): no namespaces, no root change; the process spec's args, env,
 * cwd, user, rlimits and terminal apply. Reached as argv[0] "kettle-host-runtime" from
 * runtime.h's RUNTIME_HOST, so kettle's shim (`kettle run --isolation host`) and the
 * containerd shim v2's host face (containerd-shim-kettle-host-v2) drive it exactly as
 * they drive runc, through the same runtime calls, deadlines, console sockets and exec.
 *
 * The subset of runc's command line they use: global --root, --log, --log-format json;
 * create, start, run --detach, kill [--all], delete [--force], state, ps --format json,
 * exec --process --pid-file [--detach] [--console-socket]. `create` waits for the start
 * like runc's init: the process is spawned (proc.c, with its user, limits and terminal)
 * and blocks on <root>/<id>/exec.fifo; `start` opens that FIFO. State is
 * <root>/<id>/state.json (written atomically, with a version); a process is alive while
 * its pid has the start time recorded for it and is not a zombie, so a recycled pid is
 * never signalled. A failure is one JSON line {"level":"error","msg":…} in --log (what the
 * shims read) and one line on stderr, exit 1. A short-lived command: it may block.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <dirent.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/json_w.h"
#include "base/str.h"
#include "cli/cli.h"
#include "hostrt/hostrt.h"
#include "runtime/hostspec.h"
#include "runtime/proc.h"
#include "store/store.h"
#include "supervise/console.h"

#define PROG	      "kettle-host-runtime"
#define STATE_FILE    "state.json"
#define EXEC_FIFO     "exec.fifo"
#define STATE_VERSION 1
#define STATE_MAX     (64u * 1024u)
#define START_WAIT_MS 10000 /* `start`: the process must be at its gate by then */
#define ID_MAX	      1024
#define EXIT_FAIL     1

/* The global options and the command's, in one place for every command. */
enum {
	OPT_ROOT = CLI_HELP + 1,
	OPT_LOG,
	OPT_LOG_FORMAT,
	OPT_BUNDLE,
	OPT_PID_FILE,
	OPT_CONSOLE,
	OPT_DETACH,
	OPT_ALL,
	OPT_FORCE,
	OPT_FORMAT,
	OPT_PROCESS,
	OPT_RESOURCES,
};

static const struct cli_opt global_opts[] CLI_TABLE = {
	CLI_OPT(OPT_ROOT, 0, CLI_DIR, CLI_REQUIRED, "root", "DIR", "State directory"),
	CLI_OPT(OPT_LOG, 0, CLI_FILE, 0, "log", "FILE", "Errors go here as JSON lines"),
	CLI_OPT(OPT_LOG_FORMAT, 0, CLI_CHOICE, 0, "log-format", "json|text",
		"Only json is written"),
	CLI_OPT(CLI_HELP, 'h', CLI_FLAG, 0, "help", "", "Print this help"),
};

static const struct cli_cmd global_cmd CLI_TABLE = {
	.name = "host-runtime",
	.synopsis = PROG " --root DIR [--log FILE] [--log-format json] COMMAND [OPTIONS] ID [ARG]",
	.description = "kettle's host runtime: runc's command line for processes that run "
		       "directly on the host (no namespaces, no root change). Commands: create, "
		       "start, run, kill, delete, state, ps, exec. Run by kettle's shims, never "
		       "by hand.",
	.opts = global_opts,
	.nopts = CLI_COUNT(global_opts),
	.pos = { .min = 1, .max = CLI_ARGS_MANY, .first = CLI_STRING, .rest = CLI_STRING },
	.flags = CLI_INTERNAL,
};

static const struct cli_opt cmd_opts[] CLI_TABLE = {
	CLI_OPT(OPT_BUNDLE, 'b', CLI_DIR, 0, "bundle", "DIR", "create, run: the bundle"),
	CLI_OPT(OPT_PID_FILE, 0, CLI_FILE, 0, "pid-file", "FILE",
		"create, run, exec: write the pid"),
	CLI_OPT(OPT_CONSOLE, 0, CLI_STRING, 0, "console-socket", "SOCKET",
		"create, run, exec: send the terminal's master there"),
	CLI_OPT(OPT_DETACH, 'd', CLI_FLAG, 0, "detach", "", "run, exec: do not wait"),
	CLI_OPT(OPT_ALL, 'a', CLI_FLAG, 0, "all", "", "kill: the whole process group"),
	CLI_OPT(OPT_FORCE, 'f', CLI_FLAG, 0, "force", "", "delete: kill it first"),
	CLI_OPT(OPT_FORMAT, 0, CLI_CHOICE, 0, "format", "json|table", "ps: the output format"),
	CLI_OPT(OPT_PROCESS, 'p', CLI_FILE, 0, "process", "FILE", "exec: the process spec"),
	CLI_OPT(OPT_RESOURCES, 'r', CLI_FILE, 0, "resources", "FILE", "update: refused"),
	CLI_OPT(CLI_HELP, 'h', CLI_FLAG, 0, "help", "", "Print this help"),
};

static const struct cli_cmd sub_cmd CLI_TABLE = {
	.name = "host-runtime COMMAND",
	.synopsis = PROG " COMMAND [OPTIONS] ID [ARG]",
	.description = "One command of the host runtime; see its global help.",
	.opts = cmd_opts,
	.nopts = CLI_COUNT(cmd_opts),
	.pos = { .min = 1, .max = 2, .first = CLI_STRING, .rest = CLI_STRING },
	.flags = CLI_INTERNAL | CLI_INTERLEAVE,
};

struct hostrt {
	const char *root;	 /* --root */
	const char *log;	 /* --log, or NULL */
	const char *cmd;	 /* the command word */
	const char *id;		 /* the container id */
	const char *arg;	 /* kill's signal */
	const char *bundle;	 /* --bundle */
	const char *pid_file;	 /* --pid-file */
	const char *console;	 /* --console-socket */
	const char *process;	 /* --process */
	bool detach;		 /* --detach */
	bool all;		 /* --all */
	bool force;		 /* --force */
	char dir[PATH_MAX - 32]; /* <root>/<id>: room left for a file name in it */
};

/* What state.json holds. */
struct state {
	pid_t pid;		  /* the process */
	unsigned long long ticks; /* its start time (proc_start_ticks) */
	char bundle[PATH_MAX];	  /* its bundle */
	int64_t created_ns;	  /* wall clock of the create */
	bool started;		  /* `start` ran */
};

/* ---- failure: one JSON line in --log, one line on stderr ---- */

static int fail(const struct hostrt *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const struct hostrt *h, const char *fmt, ...)
{
	char msg[KERR_MSG_MAX], ts[CLOCK_RFC3339NANO_LEN + 1];
	struct buf b;
	struct json_w w;
	struct kerr err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": %s\n", msg);
	if (!h->log || !h->log[0])
		return EXIT_FAIL;
	clock_format_rfc3339nano(clock_wall_ns(), ts);
	buf_init(&b, 2 * KERR_MSG_MAX);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "level");
	json_w_str(&w, "error");
	json_w_key(&w, "msg");
	json_w_str(&w, msg);
	json_w_key(&w, "time");
	json_w_str(&w, ts);
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) == 0 && buf_append(&b, "\n", 1, &err) == 0) {
		_cleanup_close_ int fd =
			open(h->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		/* One write: lines from several runtime processes never interleave. */
		if (fd >= 0)
			(void)fd_write_full(fd, b.data, b.len, &err);
	}
	buf_done(&b);
	return EXIT_FAIL;
}

/* ---- state ---- */

static bool id_ok(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= ID_MAX && !strchr(id, '/') && strcmp(id, ".") != 0 &&
	       strcmp(id, "..") != 0;
}

static int write_state(const struct hostrt *h, const struct state *st, struct kerr *err)
{
	struct buf b;
	struct json_w w;
	int r;

	buf_init(&b, STATE_MAX);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "version");
	json_w_u64(&w, STATE_VERSION);
	json_w_key(&w, "pid");
	json_w_i64(&w, st->pid);
	json_w_key(&w, "start");
	json_w_u64(&w, st->ticks);
	json_w_key(&w, "bundle");
	json_w_str(&w, st->bundle);
	json_w_key(&w, "created");
	json_w_i64(&w, st->created_ns);
	json_w_key(&w, "started");
	json_w_bool(&w, st->started);
	json_w_obj_end(&w);
	r = json_w_end(&w, err);
	if (r == 0) {
		_cleanup_close_ int dirfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		r = dirfd < 0 ? kerr_set(err, errno, "open `%s`", h->dir)
			      : store_write_atomic(dirfd, STATE_FILE, b.data, b.len, 0600, false,
						   err);
	}
	buf_done(&b);
	return r;
}

/* Reads state.json; ENOENT when the container does not exist. */
static int read_state(const struct hostrt *h, struct state *st, struct kerr *err)
{
	struct json_tok toks[32];
	struct json_doc doc;
	struct buf b;
	int64_t pid = 0, created = 0;
	uint64_t ticks = 0, version = 0;
	int r, i;

	memset(st, 0, sizeof(*st));
	_cleanup_close_ int dirfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return kerr_set(err, errno, "container `%s` does not exist", h->id);
	buf_init(&b, STATE_MAX);
	r = store_read_file(dirfd, STATE_FILE, STATE_MAX, &b, err);
	if (r == 0)
		r = json_parse(&doc, (const char *)b.data, b.len, toks, 32, err);
	if (r == 0 && toks[0].type != JSON_OBJECT)
		r = kerr_set(err, EINVAL, "not a JSON object");
	if (r == 0 && ((i = json_obj_get(&doc, 0, "version")) < 0 ||
		       json_get_u64(&doc, i, &version, err) < 0 || version != STATE_VERSION))
		r = kerr_set(err, EINVAL, "version is not %d", STATE_VERSION);
	if (r == 0 && ((i = json_obj_get(&doc, 0, "pid")) < 0 ||
		       json_get_i64(&doc, i, &pid, err) < 0 || pid <= 0 || pid > INT32_MAX))
		r = kerr_set(err, EINVAL, "no pid");
	if (r == 0 &&
	    ((i = json_obj_get(&doc, 0, "start")) < 0 || json_get_u64(&doc, i, &ticks, err) < 0))
		r = kerr_set(err, EINVAL, "no start time");
	if (r == 0 && (i = json_obj_get(&doc, 0, "bundle")) >= 0)
		r = json_get_str(&doc, i, st->bundle, sizeof(st->bundle), err);
	if (r == 0 && (i = json_obj_get(&doc, 0, "created")) >= 0)
		r = json_get_i64(&doc, i, &created, err);
	if (r == 0 && (i = json_obj_get(&doc, 0, "started")) >= 0)
		r = json_get_bool(&doc, i, &st->started, err);
	buf_done(&b);
	if (r < 0)
		return kerr_wrap(err, "state of `%s`", h->id);
	st->pid = (pid_t)pid;
	st->ticks = ticks;
	st->created_ns = created;
	return 0;
}

/* The process recorded in st is alive: same start time, not a zombie. */
static bool alive(const struct state *st)
{
	char path[64], text[1024];
	size_t len;
	struct kerr err;
	unsigned long long ticks;

	if (proc_start_ticks(st->pid, &ticks, &err) < 0 || ticks != st->ticks)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)st->pid);
	if (fd_read_small_file(AT_FDCWD, path, text, sizeof(text), &len, &err) < 0)
		return false;
	const char *paren = strrchr(text, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

static const char *status_name(const struct state *st)
{
	if (!alive(st))
		return "stopped";
	return st->started ? "running" : "created";
}

/* ---- create, start, run ---- */

/* A new terminal: the master goes to the console socket, the slave is returned. */
static int make_tty(const struct hostrt *h, const struct hostspec *sp, int *slave, struct kerr *err)
{
	char name[64];

	if (!h->console)
		return kerr_set(err, EINVAL, "process.terminal needs --console-socket");
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, name, sizeof(name)) != 0)
		return kerr_set(err, errno, "allocate a terminal");
	*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		return kerr_set(err, errno, "open `%s`", name);
	if (sp->rows && sp->cols) {
		struct winsize ws = { .ws_row = (unsigned short)sp->rows,
				      .ws_col = (unsigned short)sp->cols };

		(void)ioctl(master, TIOCSWINSZ, &ws);
	}
	return console_send(h->console, master, name, err);
}

/* Opens path's directory (*base: the name in it), for store.c's plain-name calls. */
static int open_parent(const char *path, const char **base, struct kerr *err)
{
	char dir[PATH_MAX];

	if (!str_copy(dir, sizeof(dir), path))
		return kerr_set(err, ENAMETOOLONG, "`%s`", path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		*base = path + (slash - dir) + 1;
		if (!dir[0])
			str_copy(dir, sizeof(dir), "/");
	} else {
		str_copy(dir, sizeof(dir), ".");
		*base = path;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(err, errno, "directory `%s`", dir);
	return fd;
}

/* Writes path atomically (a temporary file in its directory, then rename). */
static int write_pid_file(const char *path, pid_t pid, struct kerr *err)
{
	const char *base;
	char num[24];
	_cleanup_close_ int dirfd = open_parent(path, &base, err);

	if (dirfd < 0)
		return kerr_wrap(err, "pid file");
	snprintf(num, sizeof(num), "%d", (int)pid);
	return store_write_atomic(dirfd, base, num, strlen(num), 0644, false, err);
}

/* Spawns the spec's process; with gate it waits there for `start`. */
static int spawn(const struct hostrt *h, const struct hostspec *sp, const char *gate, bool detach,
		 pid_t *pid, struct kerr *err)
{
	char exe[PATH_MAX];
	int slave = -1, r;
	struct proc_host host = {
		.ctty = sp->terminal,
		.rlimits = sp->rlimits,
		.nrlimits = sp->nrlimits,
		.set_user = sp->user_set,
		.uid = sp->uid,
		.gid = sp->gid,
		.groups = sp->groups,
		.ngroups = sp->ngroups,
		.no_new_privs = sp->no_new_privs,
		.gate = gate,
	};

	if (hostspec_lookup(sp, exe, err) < 0)
		return -1;
	if (sp->terminal && make_tty(h, sp, &slave, err) < 0) {
		fd_close(slave);
		return -1;
	}
	struct proc_spawn ps = {
		.path = exe,
		.argv = sp->args,
		.envp = sp->env,
		/* Without a terminal the process's stdio is ours: what the shim gave us. */
		.stdio = { sp->terminal ? slave : 0, sp->terminal ? slave : 1,
			   sp->terminal ? slave : 2 },
		.keep_fd = -1,
		.new_session = true,
		.detach = detach,
		.cwd = sp->cwd,
		.host = &host,
	};
	r = proc_spawn(&ps, pid, err);
	fd_close(slave);
	return r;
}

static int read_spec(const char *path, bool config, struct hostspec *sp, struct kerr *err)
{
	struct buf b;
	int r;

	const char *base;
	_cleanup_close_ int dirfd = open_parent(path, &base, err);

	if (dirfd < 0)
		return -1;
	buf_init(&b, HOSTSPEC_JSON_MAX);
	r = store_read_file(dirfd, base, HOSTSPEC_JSON_MAX, &b, err);
	if (r == 0)
		r = hostspec_parse(sp, (const char *)b.data, b.len, config, err);
	buf_done(&b);
	return r;
}

static int do_create(struct hostrt *h)
{
	char fifo[PATH_MAX];
	struct hostspec sp = { 0 };
	struct state st = { 0 };
	struct kerr err;
	pid_t pid;

	if (!h->bundle || !h->pid_file)
		return fail(h, "%s: --bundle and --pid-file are required", h->cmd);
	if (chdir(h->bundle) < 0)
		return fail(h, "bundle `%s`: %s", h->bundle, strerror(errno));
	if (read_spec("config.json", true, &sp, &err) < 0)
		return fail(h, "%s", err.msg);
	if (mkdir(h->root, 0711) < 0 && errno != EEXIST) {
		hostspec_done(&sp);
		return fail(h, "create root `%s`: %s", h->root, strerror(errno));
	}
	if (mkdir(h->dir, 0700) < 0) {
		int e = errno;
		hostspec_done(&sp);
		if (e == EEXIST)
			return fail(h, "container with id exists: %s", h->id);
		return fail(h, "create `%s`: %s", h->dir, strerror(e));
	}
	snprintf(fifo, sizeof(fifo), "%s/%s", h->dir, EXEC_FIFO);
	if (mkfifo(fifo, 0600) < 0 || spawn(h, &sp, fifo, true, &pid, &err) < 0 ||
	    proc_start_ticks(pid, &st.ticks, &err) < 0) {
		if (errno && !err.msg[0])
			kerr_set(&err, errno, "exec fifo `%s`", fifo);
		(void)unlink(fifo);
		(void)rmdir(h->dir);
		hostspec_done(&sp);
		return fail(h, "%s", err.msg);
	}
	hostspec_done(&sp);
	st.pid = pid;
	str_copy(st.bundle, sizeof(st.bundle), h->bundle);
	st.created_ns = clock_wall_ns();
	if (write_state(h, &st, &err) < 0 || write_pid_file(h->pid_file, pid, &err) < 0) {
		kill(pid, SIGKILL); /* waits at its gate: it must not stay behind */
		return fail(h, "%s", err.msg);
	}
	return 0;
}

static int do_start(struct hostrt *h)
{
	char fifo[PATH_MAX], byte;
	struct state st;
	struct kerr err;

	if (read_state(h, &st, &err) < 0)
		return fail(h, "%s", err.msg);
	if (st.started)
		return fail(h, "cannot start an already running container");
	if (!alive(&st))
		return fail(h, "cannot start a container that has stopped");
	snprintf(fifo, sizeof(fifo), "%s/%s", h->dir, EXEC_FIFO);
	/* Non-blocking: the process's open for writing completes once we are here. */
	_cleanup_close_ int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail(h, "open exec fifo `%s`: %s", fifo, strerror(errno));
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, START_WAIT_MS);
	if (n <= 0 || read(fd, &byte, 1) != 1)
		return fail(h, "the process did not reach its start within %d ms", START_WAIT_MS);
	(void)unlink(fifo);
	st.started = true;
	if (write_state(h, &st, &err) < 0)
		return fail(h, "%s", err.msg);
	return 0;
}

/* ---- kill, delete, state, ps ---- */

static int do_kill(struct hostrt *h)
{
	struct state st;
	struct kerr err;
	int sig = SIGTERM;

	if (h->arg && proc_signal_parse(h->arg, &sig, &err) < 0)
		return fail(h, "%s", err.msg);
	if (read_state(h, &st, &err) < 0)
		return fail(h, "%s", err.msg);
	if (!alive(&st))
		return fail(h, "container not running");
	/* --all: the process group its setsid made (pgid = its pid), checked alive above. */
	if ((h->all && kill(-st.pid, sig) == 0) || kill(st.pid, sig) == 0)
		return 0;
	return fail(h, "kill %d: %s", (int)st.pid, strerror(errno));
}

static void remove_dir(const struct hostrt *h)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", h->dir, EXEC_FIFO);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/%s", h->dir, STATE_FILE);
	(void)unlink(path);
	(void)rmdir(h->dir);
}

static int do_delete(struct hostrt *h)
{
	struct state st;
	struct kerr err;

	if (read_state(h, &st, &err) < 0) {
		if (err.code == ENOENT && access(h->dir, F_OK) < 0)
			return fail(h, "container %s does not exist", h->id);
		remove_dir(h); /* a torn create: nothing runs that we could know of */
		return 0;
	}
	if (alive(&st)) {
		if (!h->force && st.started)
			return fail(h, "cannot delete container %s that is not stopped: running",
				    h->id);
		/* Forced, or created and never started (it waits at its gate). */
		if (kill(-st.pid, SIGKILL) < 0)
			(void)kill(st.pid, SIGKILL);
	}
	remove_dir(h);
	return 0;
}

static int do_state(struct hostrt *h)
{
	char created[CLOCK_RFC3339NANO_LEN + 1];
	struct state st;
	struct kerr err;
	struct buf b;
	struct json_w w;

	if (read_state(h, &st, &err) < 0)
		return fail(h, "%s", err.msg);
	clock_format_rfc3339nano(st.created_ns, created);
	buf_init(&b, STATE_MAX);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "ociVersion");
	json_w_str(&w, "1.0.2");
	json_w_key(&w, "id");
	json_w_str(&w, h->id);
	json_w_key(&w, "pid");
	json_w_i64(&w, alive(&st) ? st.pid : 0);
	json_w_key(&w, "status");
	json_w_str(&w, status_name(&st));
	json_w_key(&w, "bundle");
	json_w_str(&w, st.bundle);
	json_w_key(&w, "rootfs");
	json_w_str(&w, "/");
	json_w_key(&w, "created");
	json_w_str(&w, created);
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) < 0 || buf_append(&b, "\n", 1, &err) < 0 ||
	    fd_write_full(STDOUT_FILENO, b.data, b.len, &err) < 0) {
		buf_done(&b);
		return fail(h, "%s", err.msg);
	}
	buf_done(&b);
	return 0;
}

/* The processes of the container's session (its setsid made the session id its pid). */
static int do_ps(struct hostrt *h)
{
	struct state st;
	struct kerr err;
	struct buf b;
	struct json_w w;

	if (read_state(h, &st, &err) < 0)
		return fail(h, "%s", err.msg);
	buf_init(&b, 4u << 20);
	json_w_init(&w, &b);
	json_w_arr_begin(&w);
	if (alive(&st)) {
		_cleanup_close_ int dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
		struct dirent *e;

		if (d)
			dfd = -1; /* the DIR owns it now */
		while (d && (e = readdir(d))) {
			char path[64], text[1024];
			size_t len;
			uint64_t pid;
			long sid = 0;
			struct kerr ignored;

			if (str_to_u64(e->d_name, INT32_MAX, &pid, &ignored) < 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
			if (fd_read_small_file(AT_FDCWD, path, text, sizeof(text), &len, &ignored) <
			    0)
				continue;
			const char *p = strrchr(text, ')');
			/* ") S ppid pgrp session": the fifth field after the name. */
			if (!p || sscanf(p + 1, " %*c %*d %*d %ld", &sid) != 1 || sid != st.pid)
				continue;
			json_w_u64(&w, pid);
		}
		if (d)
			closedir(d);
	}
	json_w_arr_end(&w);
	if (json_w_end(&w, &err) < 0 || buf_append(&b, "\n", 1, &err) < 0 ||
	    fd_write_full(STDOUT_FILENO, b.data, b.len, &err) < 0) {
		buf_done(&b);
		return fail(h, "%s", err.msg);
	}
	buf_done(&b);
	return 0;
}

/* ---- exec ---- */

static int do_exec(struct hostrt *h)
{
	struct hostspec sp;
	struct state st;
	struct kerr err;
	pid_t pid;
	int status;

	if (!h->process)
		return fail(h, "exec: --process is required");
	if (read_state(h, &st, &err) < 0)
		return fail(h, "%s", err.msg);
	if (!alive(&st) || !st.started)
		return fail(h, "cannot exec in a stopped container");
	if (read_spec(h->process, false, &sp, &err) < 0)
		return fail(h, "%s", err.msg);
	int r = spawn(h, &sp, NULL, h->detach, &pid, &err);
	hostspec_done(&sp);
	if (r < 0)
		return fail(h, "%s", err.msg);
	if (h->pid_file && write_pid_file(h->pid_file, pid, &err) < 0)
		return fail(h, "%s", err.msg);
	if (h->detach)
		return 0;
	/* Foreground, as `runc exec` without --detach: its exit is ours. */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail(h, "wait for %d: %s", (int)pid, strerror(errno));
	return proc_exit_code(status);
}

/* ---- the command line ---- */

static int parse_command(struct hostrt *h, int argc, char **argv)
{
	struct cli_parser p;
	struct kerr err;
	int id;

	cli_parse_init(&p, &sub_cmd, argc, argv);
	while ((id = cli_parse_next(&p, &err)) > 0) {
		switch (id) {
		case CLI_HELP:
			cli_help_write(&global_cmd, stdout);
			return -1;
		case OPT_BUNDLE:
			h->bundle = p.val;
			break;
		case OPT_PID_FILE:
			h->pid_file = p.val;
			break;
		case OPT_CONSOLE:
			h->console = p.val;
			break;
		case OPT_DETACH:
			h->detach = true;
			break;
		case OPT_ALL:
			h->all = true;
			break;
		case OPT_FORCE:
			h->force = true;
			break;
		case OPT_PROCESS:
			h->process = p.val;
			break;
		default: /* --format, --resources: read, nothing more */
			break;
		}
	}
	if (id < 0)
		return fail(h, "%s: %s", h->cmd, err.msg);
	if (p.nargs < 1 || p.nargs > 2)
		return fail(h, "%s: one container id (and for kill a signal) expected", h->cmd);
	h->id = p.args[0];
	h->arg = p.nargs > 1 ? p.args[1] : NULL;
	if (!id_ok(h->id))
		return fail(h, "container id `%.64s` is not valid", h->id);
	if (snprintf(h->dir, sizeof(h->dir), "%s/%s", h->root, h->id) >= (int)sizeof(h->dir))
		return fail(h, "container directory under `%s`: name too long", h->root);
	return 0;
}

int hostrt_main(int argc, char **argv)
{
	struct hostrt h = { 0 };
	struct cli_parser p;
	struct kerr err;
	int id, rc;

	cli_parse_init(&p, &global_cmd, argc, argv);
	while ((id = cli_parse_next(&p, &err)) > 0) {
		if (id == CLI_HELP) {
			cli_help_write(&global_cmd, stdout);
			return 0;
		}
		if (id == OPT_ROOT)
			h.root = p.val;
		else if (id == OPT_LOG)
			h.log = p.val;
	}
	if (id < 0 || p.nargs < 1) {
		cli_misuse_write(stderr, &global_cmd, "%s", id < 0 ? err.msg : "no command given");
		return EXIT_FAIL;
	}
	if (!h.root || h.root[0] != '/')
		return fail(&h, "--root must be an absolute directory");
	h.cmd = p.args[0];
	rc = parse_command(&h, p.nargs, p.args);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (strcmp(h.cmd, "create") == 0)
		return do_create(&h);
	if (strcmp(h.cmd, "start") == 0)
		return do_start(&h);
	if (strcmp(h.cmd, "run") == 0) {
		rc = do_create(&h);
		return rc ? rc : do_start(&h);
	}
	if (strcmp(h.cmd, "kill") == 0)
		return do_kill(&h);
	if (strcmp(h.cmd, "delete") == 0)
		return do_delete(&h);
	if (strcmp(h.cmd, "state") == 0)
		return do_state(&h);
	if (strcmp(h.cmd, "ps") == 0)
		return do_ps(&h);
	if (strcmp(h.cmd, "exec") == 0)
		return do_exec(&h);
	if (strcmp(h.cmd, "pause") == 0 || strcmp(h.cmd, "resume") == 0 ||
	    strcmp(h.cmd, "update") == 0)
		return fail(&h, "%s: a host process has no cgroup of its own to %s", h.cmd,
			    strcmp(h.cmd, "update") == 0 ? "limit" : "freeze");
	return fail(&h,
		    "unknown command `%s` (allowed: create, start, run, kill, delete, state, "
		    "ps, exec)",
		    h.cmd);
}
