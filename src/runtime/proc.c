/*
 * proc: spawning (with an exec-error pipe, optionally detached), reaping, pidfds, signal
 * names and process start times (mechanism M2).
 *
 * Invariants: between fork and execve the child makes only async-signal-safe calls and
 * ends with _exit(127) on any failure, which it reports through an O_CLOEXEC pipe (the
 * pipe closes by itself on a successful exec, as in musl's posix_spawn). Signals are
 * blocked across fork so no handler of the parent ever runs in the child. Nothing waits
 * without WNOHANG except for a child that is known to be exiting at once (see
 * reap_exiting). Never logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fd.h"
#include "runtime/proc.h"
#include "base/str.h"

/* Lowest fd the child moves its descriptors to before placing them on 0..3. */
#define PROC_HIGH_FD  10
/* First real-time signal as libc, runc and docker number them (32 and 33 are libc's). */
#define PROC_SIGRTMIN 34
#define PROC_SIGMAX   64

/*
 * The error pipe carries 8-byte records (atomic: below PIPE_BUF). A detached grandchild
 * first sends {SPAWN_PID, its pid}; any failure sends {stage, errno} and exits 127. EOF
 * with no failure record means execve succeeded and closed the CLOEXEC write end. A host
 * process with a gate sends {SPAWN_GATED, 0} when it waits there, and that is the end of
 * the protocol for the parent.
 */
enum spawn_stage {
	SPAWN_PID = 0, /* not a failure: value is the grandchild's pid */
	SPAWN_FORK,    /* the intermediate child's fork */
	SPAWN_SETSID,
	SPAWN_CHDIR,
	SPAWN_OOM,
	SPAWN_STDIO,
	SPAWN_EXEC,
	SPAWN_CTTY,   /* proc_host: TIOCSCTTY */
	SPAWN_RLIMIT, /* proc_host: setrlimit */
	SPAWN_USER,   /* proc_host: setgroups, setgid, setuid */
	SPAWN_NNP,    /* proc_host: PR_SET_NO_NEW_PRIVS */
	SPAWN_GATE,   /* proc_host: the gate FIFO failed */
	SPAWN_GATED,  /* not a failure: the child waits at its gate (proc_spawn returns) */
};

struct spawn_rec {
	int32_t stage; /* enum spawn_stage */
	int32_t value; /* pid for SPAWN_PID, else errno */
};

static char *const default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	NULL,
};

/* ---- child side: async-signal-safe only ---- */

static void child_send(int fd, int32_t stage, int32_t value)
{
	struct spawn_rec rec = { .stage = stage, .value = value };

	/* One write below PIPE_BUF is atomic; nothing useful can be done if it fails. */
	while (write(fd, &rec, sizeof(rec)) < 0 && errno == EINTR)
		;
}

static _Noreturn void child_fail(int fd, int32_t stage, int e)
{
	/* Past a gate nobody reads the pipe any more: EPIPE, not death by SIGPIPE. The
	 * disposition never reaches an exec, since the child exits next. */
	struct sigaction ign = { .sa_handler = SIG_IGN };

	(void)sigaction(SIGPIPE, &ign, NULL);
	child_send(fd, stage, e);
	_exit(127);
}

/* Decimal of v into out (at least 12 bytes) without snprintf (not async-signal-safe). */
static size_t child_itoa(int v, char *out)
{
	char tmp[12];
	size_t n = 0, len = 0;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	return len;
}

/* A host process's setup (struct proc_host), after stdio is in place. */
static void child_host(const struct proc_host *h, int errfd)
{
	if (h->ctty && ioctl(0, TIOCSCTTY, 0) < 0)
		child_fail(errfd, SPAWN_CTTY, errno);
	for (size_t i = 0; i < h->nrlimits; i++) {
		struct rlimit rl = { .rlim_cur = h->rlimits[i].soft,
				     .rlim_max = h->rlimits[i].hard };

		if (setrlimit(h->rlimits[i].resource, &rl) < 0)
			child_fail(errfd, SPAWN_RLIMIT, errno);
	}
	if (h->set_user &&
	    (setgroups(h->ngroups, h->groups) < 0 || setgid(h->gid) < 0 || setuid(h->uid) < 0))
		child_fail(errfd, SPAWN_USER, errno);
	if (h->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(errfd, SPAWN_NNP, errno);
	if (!h->gate)
		return;
	child_send(errfd, SPAWN_GATED, 0);
	int fd = open(h->gate, O_WRONLY | O_CLOEXEC); /* waits for the reader */
	if (fd < 0 || write(fd, "0", 1) != 1)
		child_fail(errfd, SPAWN_GATE, errno ? errno : EIO);
	close(fd);
}

static _Noreturn void child_exec(const struct proc_spawn *spec, char *const *envp, int errfd,
				 int devnull, bool report_pid)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int src[4], hi[4];

	/* Move the pipe above 0..3 first: placing stdio must not overwrite it. */
	if (errfd < PROC_HIGH_FD) {
		int moved = fcntl(errfd, F_DUPFD_CLOEXEC, PROC_HIGH_FD);

		if (moved < 0)
			child_fail(errfd, SPAWN_STDIO, errno);
		errfd = moved;
	}
	if (report_pid)
		child_send(errfd, SPAWN_PID, getpid());
	/*
	 * Ignored dispositions survive execve (SIGPIPE, SIGTERM in the shim), and the mask is
	 * inherited: reset both, dispositions first so no pending signal meets a stale one.
	 * sigaction fails harmlessly for SIGKILL, SIGSTOP and libc's internal signals.
	 */
	for (int sig = 1; sig <= PROC_SIGMAX; sig++) {
		if (sigaction(sig, &dfl, NULL) == 0 || sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* libc refuses its internal signals (32, 33); an ignored one inherited from
		 * our parent (make does this) would survive execve into the container. The
		 * kernel's sigaction takes {handler, flags, restorer, mask}; SIG_DFL needs
		 * no restorer. */
		struct {
			void (*handler)(int);
			unsigned long flags;
			void (*restorer)(void);
			unsigned long mask;
		} kdfl = { .handler = SIG_DFL };
		(void)syscall(SYS_rt_sigaction, sig, &kdfl, NULL, sizeof(kdfl.mask));
	}
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* After the reset: a parent that died before the prctl is seen by getppid. */
	if (spec->die_with && !spec->detach &&
	    (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != spec->die_with))
		_exit(127);
	/* A host process leads a session of its own even when detached (the detached
	 * grandchild is otherwise no leader: it can then never get a controlling terminal):
	 * its pid is then its session's and process group's id, which TIOCSCTTY needs and
	 * its runtime's `kill --all` and `ps` count on. */
	if (spec->new_session && (!spec->detach || spec->host) && setsid() < 0)
		child_fail(errfd, SPAWN_SETSID, errno);
	if (spec->cwd && chdir(spec->cwd) < 0)
		child_fail(errfd, SPAWN_CHDIR, errno);
	if (spec->oom_score_adj != 0) {
		char num[16];
		size_t n = child_itoa(spec->oom_score_adj, num);
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

		if (fd < 0)
			child_fail(errfd, SPAWN_OOM, errno);
		if (write(fd, num, n) != (ssize_t)n)
			child_fail(errfd, SPAWN_OOM, errno ? errno : EIO);
		close(fd);
	}
	/*
	 * A source may itself be 0..3 (even another slot's target), so every source is first
	 * copied above PROC_HIGH_FD (CLOEXEC: the copies vanish at exec) and only then put in
	 * place with dup2, which clears CLOEXEC on the placed copy only.
	 */
	for (int i = 0; i < 3; i++)
		src[i] = spec->stdio[i] >= 0 ? spec->stdio[i] : devnull;
	src[3] = spec->keep_fd;
	for (int i = 0; i < 4; i++) {
		hi[i] = -1;
		if (src[i] < 0)
			continue;
		hi[i] = fcntl(src[i], F_DUPFD_CLOEXEC, PROC_HIGH_FD);
		if (hi[i] < 0)
			child_fail(errfd, SPAWN_STDIO, errno);
	}
	for (int i = 0; i < 4; i++)
		if (hi[i] >= 0 && dup2(hi[i], i) < 0) /* lint: child */
			child_fail(errfd, SPAWN_STDIO, errno);
	if (spec->host)
		child_host(spec->host, errfd);
	execve(spec->path, spec->argv, envp);
	child_fail(errfd, SPAWN_EXEC, errno);
}

/* The intermediate child of a detached spawn: new session, fork, exit at once. */
static _Noreturn void child_detach(const struct proc_spawn *spec, char *const *envp, int errfd,
				   int devnull)
{
	pid_t pid;

	if (setsid() < 0)
		child_fail(errfd, SPAWN_SETSID, errno);
	pid = fork();
	if (pid < 0)
		child_fail(errfd, SPAWN_FORK, errno);
	if (pid == 0)
		child_exec(spec, envp, errfd, devnull, true);
	_exit(0);
}

/* ---- parent side ---- */

/*
 * Blocking waitpid on one specific child that is exiting right now: the intermediate child
 * of a detach (it exits right after its fork) or a child that has just reported its failure
 * (it calls _exit(127) right after the write). Either wait is bounded by that child's own
 * next few instructions, and reaping here keeps zombies and stray SIGCHLD bookkeeping away
 * from callers that never learn the pid.
 */
static void reap_exiting(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

static int spawn_failed(const struct proc_spawn *spec, const struct spawn_rec *rec,
			struct kerr *err)
{
	int e = rec->value;

	switch (rec->stage) {
	case SPAWN_EXEC:
		return kerr_set(err, e, "exec `%s`", spec->path);
	case SPAWN_FORK:
		return kerr_set(err, e, "spawn `%s`: fork the detached child", spec->path);
	case SPAWN_SETSID:
		return kerr_set(err, e, "spawn `%s`: start a new session", spec->path);
	case SPAWN_CHDIR:
		return kerr_set(err, e, "spawn `%s`: change directory to `%s`", spec->path,
				spec->cwd ? spec->cwd : "");
	case SPAWN_OOM:
		return kerr_set(err, e, "spawn `%s`: set oom_score_adj to %d", spec->path,
				spec->oom_score_adj);
	case SPAWN_STDIO:
		return kerr_set(err, e, "spawn `%s`: set up stdio and fd 3", spec->path);
	case SPAWN_CTTY:
		return kerr_set(err, e, "spawn `%s`: make the terminal the controlling one",
				spec->path);
	case SPAWN_RLIMIT:
		return kerr_set(err, e, "spawn `%s`: set its resource limits", spec->path);
	case SPAWN_USER:
		return kerr_set(err, e, "spawn `%s`: set its user and groups", spec->path);
	case SPAWN_NNP:
		return kerr_set(err, e, "spawn `%s`: set no_new_privs", spec->path);
	case SPAWN_GATE:
		return kerr_set(err, e, "spawn `%s`: pass its gate", spec->path);
	default:
		return kerr_set(err, EIO, "spawn `%s`: unknown failure record %d from the child",
				spec->path, rec->stage);
	}
}

/* Reads the child's records until EOF: the pid (detached only) and any failure. */
static int read_records(const struct proc_spawn *spec, int fd, pid_t *gpid, bool *failed,
			struct spawn_rec *fail, struct kerr *err)
{
	struct spawn_rec rec;
	size_t got;

	*failed = false;
	for (;;) {
		if (fd_read_full(fd, &rec, sizeof(rec), &got, err) < 0)
			return kerr_wrap(err, "spawn `%s`: read the exec status", spec->path);
		if (got == 0)
			return 0;
		if (got != sizeof(rec))
			return kerr_set(err, EIO,
					"spawn `%s`: short exec status record of %zu bytes",
					spec->path, got);
		if (rec.stage == SPAWN_PID) {
			*gpid = rec.value;
		} else if (rec.stage == SPAWN_GATED && !*failed) {
			return 0; /* it waits at its gate: that is the success */
		} else if (!*failed) {
			*failed = true;
			*fail = rec;
		}
	}
}

int proc_spawn(const struct proc_spawn *spec, pid_t *pid, struct kerr *err)
{
	char *const *envp = spec->envp ? spec->envp : default_env;
	struct spawn_rec fail = { 0 };
	sigset_t all, old;
	pid_t child, gpid = 0;
	bool need_null = false, failed;
	int p[2], rc;

	*pid = -1;
	if (!spec->path || !spec->argv || !spec->argv[0])
		return kerr_set(err, EINVAL, "spawn: missing path or argv[0]");
	for (int i = 0; i < 3; i++)
		need_null |= spec->stdio[i] < 0;
	_cleanup_close_ int devnull = -1;
	if (need_null) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0)
			return kerr_set(err, errno, "spawn `%s`: open /dev/null", spec->path);
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "spawn `%s`: create the exec status pipe", spec->path);
	_cleanup_close_ int rfd = p[0];
	int wfd = p[1];

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	child = fork();
	if (child == 0) {
		if (spec->detach)
			child_detach(spec, envp, wfd, devnull);
		child_exec(spec, envp, wfd, devnull, false);
	}
	int fork_errno = errno;

	sigprocmask(SIG_SETMASK, &old, NULL);
	fd_close(wfd);
	if (child < 0)
		return kerr_set(err, fork_errno, "spawn `%s`: fork", spec->path);
	if (spec->detach)
		reap_exiting(child);
	rc = read_records(spec, rfd, &gpid, &failed, &fail, err);
	if (rc == 0 && failed) {
		if (!spec->detach)
			reap_exiting(child);
		return spawn_failed(spec, &fail, err);
	}
	if (rc < 0)
		return -1;
	if (spec->detach) {
		if (gpid <= 0)
			return kerr_set(err, EIO,
					"spawn `%s`: the detached child exited without reporting "
					"its pid",
					spec->path);
		child = gpid;
	}
	*pid = child;
	return 0;
}

/* ---- the unlinker: a child that removes files for its parent ---- */

/* Child side, async-signal-safe only: names arrive NUL-terminated on fd 0 (each in one
 * write, so never torn), relative to the directory on fd 1. Ends at EOF. */
static _Noreturn void unlinker_main(void)
{
	char buf[2 * PROC_UNLINK_NAME_MAX];
	size_t have = 0;

	for (;;) {
		ssize_t n = read(0, buf + have, sizeof(buf) - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		have += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < have; i++) {
			if (buf[i] != '\0')
				continue;
			if (i > start)
				(void)unlinkat(1, buf + start, 0);
			start = i + 1;
		}
		/* A name longer than a message may be can only come from a broken parent. */
		if (start == 0 && have == sizeof(buf))
			_exit(1);
		memmove(buf, buf + start, have - start);
		have -= start;
	}
}

int proc_unlinker_start(int dirfd, pid_t *pid, int *wfd, struct kerr *err)
{
	sigset_t all, old;
	int p[2];

	*pid = -1;
	*wfd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "start the unlinker: create its pipe");
	_cleanup_close_ int rfd = p[0];
	_cleanup_close_ int w = p[1];
	/* As in proc_spawn: no handler of the caller may run in the child. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t child = fork();
	if (child == 0) {
		/* The pipe on 0 and the directory on 1, nothing else: an inherited copy of
		 * any other pipe's write end would keep its reader from ever seeing EOF. */
		int r = fcntl(rfd, F_DUPFD_CLOEXEC, PROC_HIGH_FD);
		int d = fcntl(dirfd, F_DUPFD_CLOEXEC, PROC_HIGH_FD);

		if (r < 0 || d < 0 || dup2(r, 0) < 0 || dup2(d, 1) < 0) /* lint: child */
			_exit(127);
		(void)syscall(SYS_close_range, 2u, ~0u, 0u);
		/* Its command line is its parent's: ps and pgrep tell it by this name. */
		(void)prctl(PR_SET_NAME, "kettle-unlink", 0, 0, 0);
		unlinker_main();
	}
	int fork_errno = errno;

	sigprocmask(SIG_SETMASK, &old, NULL);
	if (child < 0)
		return kerr_set(err, fork_errno, "start the unlinker: fork");
	if (fd_set_nonblock(w, true, err) < 0) {
		/* The child ends at EOF once w is closed; the caller reaps it. */
		*pid = child;
		return kerr_wrap(err, "start the unlinker");
	}
	*pid = child;
	*wfd = take_fd(&w);
	return 0;
}

int proc_unlinker_send(int wfd, const char *name, struct kerr *err)
{
	size_t n = strlen(name) + 1;
	ssize_t w;

	if (n > PROC_UNLINK_NAME_MAX)
		return kerr_set(err, ENAMETOOLONG, "unlink `%s` in the unlinker", name);
	do {
		w = write(wfd, name, n);
	} while (w < 0 && errno == EINTR);
	if (w == (ssize_t)n)
		return 0;
	/* Below PIPE_BUF a write is all or nothing: EAGAIN (it is far behind) or EPIPE. */
	return kerr_set(err, w < 0 ? errno : EIO, "unlink `%s` in the unlinker", name);
}

int proc_reap_any(pid_t *pid, int *status)
{
	int st = 0;
	pid_t r;

	do {
		r = waitpid(-1, &st, WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == ECHILD ? 0 : -1;
	if (r == 0)
		return 0;
	*pid = r;
	*status = st;
	return 1;
}

int proc_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255; /* stopped or continued: not an exit; never seen without WUNTRACED */
}

int proc_pidfd_open(pid_t pid, int *fd, struct kerr *err)
{
	long r = syscall(SYS_pidfd_open, pid, 0);

	*fd = -1;
	if (r < 0) {
		if (errno == ENOSYS)
			return kerr_set(err, errno, "open pidfd of process %d (needs Linux 5.3)",
					(int)pid);
		return kerr_set(err, errno, "open pidfd of process %d", (int)pid);
	}
	*fd = (int)r;
	return 0;
}

int proc_pidfd_signal(int pidfd, int sig, struct kerr *err)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return kerr_set(err, errno, "send %s through pidfd %d", proc_signal_name(sig),
				pidfd);
	return 0;
}

/* ---- signal names ---- */

struct sig_name {
	const char *name; /* with the SIG prefix */
	int sig;	  /* number */
};

/* Canonical names first: proc_signal_name returns the first match. */
static const struct sig_name sig_names[] = {
	{ "SIGHUP", SIGHUP },
	{ "SIGINT", SIGINT },
	{ "SIGQUIT", SIGQUIT },
	{ "SIGILL", SIGILL },
	{ "SIGTRAP", SIGTRAP },
	{ "SIGABRT", SIGABRT },
	{ "SIGBUS", SIGBUS },
	{ "SIGFPE", SIGFPE },
	{ "SIGKILL", SIGKILL },
	{ "SIGUSR1", SIGUSR1 },
	{ "SIGSEGV", SIGSEGV },
	{ "SIGUSR2", SIGUSR2 },
	{ "SIGPIPE", SIGPIPE },
	{ "SIGALRM", SIGALRM },
	{ "SIGTERM", SIGTERM },
	{ "SIGSTKFLT", SIGSTKFLT },
	{ "SIGCHLD", SIGCHLD },
	{ "SIGCONT", SIGCONT },
	{ "SIGSTOP", SIGSTOP },
	{ "SIGTSTP", SIGTSTP },
	{ "SIGTTIN", SIGTTIN },
	{ "SIGTTOU", SIGTTOU },
	{ "SIGURG", SIGURG },
	{ "SIGXCPU", SIGXCPU },
	{ "SIGXFSZ", SIGXFSZ },
	{ "SIGVTALRM", SIGVTALRM },
	{ "SIGPROF", SIGPROF },
	{ "SIGWINCH", SIGWINCH },
	{ "SIGIO", SIGIO },
	{ "SIGPWR", SIGPWR },
	{ "SIGSYS", SIGSYS },
	/* aliases, accepted but never printed */
	{ "SIGIOT", SIGABRT },
	{ "SIGCLD", SIGCHLD },
	{ "SIGPOLL", SIGIO },
};

/* 34..64 as `kill -l` prints them: RTMIN+n up to 15 above, then RTMAX-n. */
static const char *const rt_names[PROC_SIGMAX - PROC_SIGRTMIN + 1] = {
	"SIGRTMIN",    "SIGRTMIN+1",  "SIGRTMIN+2",  "SIGRTMIN+3",  "SIGRTMIN+4",  "SIGRTMIN+5",
	"SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",  "SIGRTMIN+9",  "SIGRTMIN+10", "SIGRTMIN+11",
	"SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMAX-14", "SIGRTMAX-13",
	"SIGRTMAX-12", "SIGRTMAX-11", "SIGRTMAX-10", "SIGRTMAX-9",  "SIGRTMAX-8",  "SIGRTMAX-7",
	"SIGRTMAX-6",  "SIGRTMAX-5",  "SIGRTMAX-4",  "SIGRTMAX-3",  "SIGRTMAX-2",  "SIGRTMAX-1",
	"SIGRTMAX",
};

const char *proc_signal_name(int sig)
{
	for (size_t i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++)
		if (sig_names[i].sig == sig)
			return sig_names[i].name;
	if (sig >= PROC_SIGRTMIN && sig <= PROC_SIGMAX)
		return rt_names[sig - PROC_SIGRTMIN];
	return "SIG?";
}

/* Strict small decimal: digits only, at most 3 of them; -1 otherwise. */
static int small_number(const char *s)
{
	int v = 0;

	if (!s[0] || strlen(s) > 3)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n" (any case) -> number, or -1. */
static int rt_signal(const char *s)
{
	int n = 0;

	if (strncasecmp(s, "RTMIN", 5) == 0) {
		if (s[5] == '+' && (n = small_number(s + 6)) < 0)
			return -1;
		if (s[5] != '\0' && s[5] != '+')
			return -1;
		return PROC_SIGRTMIN + n <= PROC_SIGMAX ? PROC_SIGRTMIN + n : -1;
	}
	if (strncasecmp(s, "RTMAX", 5) == 0) {
		if (s[5] == '-' && (n = small_number(s + 6)) < 0)
			return -1;
		if (s[5] != '\0' && s[5] != '-')
			return -1;
		return PROC_SIGMAX - n >= PROC_SIGRTMIN ? PROC_SIGMAX - n : -1;
	}
	return -1;
}

int proc_signal_parse(const char *s, int *sig, struct kerr *err)
{
	char shown[68], allowed[400];
	const char *bare;
	size_t len = 0;
	int n;

	if (!s)
		s = "";
	n = small_number(s);
	if (n >= 1 && n <= PROC_SIGMAX) {
		*sig = n;
		return 0;
	}
	bare = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
	if (bare[0] && n < 0) {
		for (size_t i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++) {
			if (strcasecmp(bare, sig_names[i].name + 3) == 0) {
				*sig = sig_names[i].sig;
				return 0;
			}
		}
		n = rt_signal(bare);
		if (n > 0) {
			*sig = n;
			return 0;
		}
	}
	allowed[0] = '\0';
	for (size_t i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++) {
		int w = snprintf(allowed + len, sizeof(allowed) - len, "%s, ",
				 sig_names[i].name + 3);

		if (w > 0 && (size_t)w < sizeof(allowed) - len)
			len += (size_t)w;
	}
	str_sanitize(shown, sizeof(shown), s, strlen(s));
	return kerr_set(err, EINVAL,
			"invalid signal `%s`, expected a number in 1..%d or a name with or "
			"without SIG in any case: %sRTMIN, RTMIN+n, RTMAX-n, RTMAX",
			shown, PROC_SIGMAX, allowed);
}

int proc_start_ticks(pid_t pid, unsigned long long *ticks, struct kerr *err)
{
	char path[32], buf[4096];
	const char *p;
	size_t len;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0)
		return kerr_set(err, ESRCH, "no process with pid %d", (int)pid);
	if (fd_read_small_file(AT_FDCWD, path, buf, sizeof(buf), &len, err) < 0) {
		if (err->code == ENOENT)
			return kerr_set(err, ESRCH, "no process with pid %d", (int)pid);
		return -1;
	}
	/* comm (field 2) may hold spaces and ')': the last ')' ends it (proc(5)). */
	p = NULL;
	for (size_t i = len; i > 0; i--) {
		if (buf[i - 1] == ')') {
			p = buf + i;
			break;
		}
	}
	if (!p)
		return kerr_set(err, EINVAL, "parse `%s`: no `)` after the command name", path);
	/* Fields 3.. follow, one space apart; starttime is field 22. */
	for (field = 2; field < 22; field++) {
		if (*p != ' ')
			return kerr_set(err, EINVAL, "parse `%s`: field %d missing", path,
					field + 1);
		p++;
		if (field + 1 == 22)
			break;
		while (*p && *p != ' ')
			p++;
	}
	unsigned long long v = 0;
	const char *start = p;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (~0ULL - d) / 10)
			return kerr_set(err, ERANGE, "parse `%s`: start time out of range", path);
		v = v * 10 + d;
	}
	if (p == start || (*p != ' ' && *p != '\n' && *p != '\0'))
		return kerr_set(err, EINVAL, "parse `%s`: start time is not a number", path);
	*ticks = v;
	return 0;
}
