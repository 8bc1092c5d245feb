/*
 * init: `kettle init [--] CMD [ARG...]`, PID 1 of a container run with --init (role layer).
 *
 * A shell or a server that was not written to be PID 1 neither reaps the orphans that get
 * reparented to it nor gets SIGTERM (the kernel drops signals PID 1 has no handler for),
 * so `kettle stop` would wait the whole grace period. This init runs CMD as its one child,
 * forwards TERM INT HUP QUIT USR1 USR2 WINCH to it, reaps every process that ends up as
 * its child, and exits with CMD's code (128+N when a signal N ended it) as soon as CMD is
 * gone; the kernel then ends whatever is left in the container. It runs from a read-only
 * per-container copy of kettle, never from the host's binary (runc CVE-2019-5736).
 * Invariants: signals are only taken synchronously (sigwaitinfo), no handler runs; init
 * holds no descriptor but 0, 1 and 2 at any time the command can look at /proc/1/fd. That
 * is why the child is started with clone(CLONE_VM | CLONE_VFORK) rather than fork plus an
 * O_CLOEXEC error pipe: init sleeps until the child has exec'd or failed, and the exec
 * error comes back through the memory they share (127 not found, 126 other). With a pipe,
 * the command could run and list init's fds before init had closed its end (seen in CI).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "init/init.h"
#include "runtime/proc.h"

#define INIT_EXIT_USAGE 125 /* bad arguments, or init itself failed */

/* Forwarded to the command; anything else keeps its default action for init. */
static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

const struct cli_cmd init_cmd CLI_TABLE = {
	.name = "init",
	.summary = "Run a command under a minimal PID 1 (used by run --init)",
	.synopsis = "kettle init [--] COMMAND [ARG...]",
	.description = "Run COMMAND as the only child of a minimal PID 1 that reaps zombies and "
		       "forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH "
		       "to it; exit with its exit code (128+N when signal N ended it). `kettle "
		       "run --init` starts containers this way.",
	.pos = { .min = 1, .max = CLI_ARGS_MANY, .first = CLI_ANYTHING, .rest = CLI_ANYTHING },
};

/* What init hands its child, and the exec error the child hands back (shared memory). */
struct spawn {
	char **cmd;
	const sigset_t *old;
	int exec_errno;
};

/* The child's own stack: with CLONE_VM it must not run on init's, which is paused under it. */
static char child_stack[64 * 1024] __attribute__((aligned(16)));

/* The child: the parent's signal mask undone, then exec. Only async-signal-safe calls, and
 * nothing written to memory but sp->exec_errno: init's memory is this memory. */
static int child_exec(void *arg)
{
	struct spawn *sp = arg;

	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		signal(forwarded[i], SIG_DFL);
	/* Its own process group, in the terminal's foreground when there is one: ^C then
	 * reaches the command once (from the terminal), not twice (terminal and init). */
	setpgid(0, 0);
	if (isatty(STDIN_FILENO)) {
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(STDIN_FILENO, getpid());
		signal(SIGTTOU, SIG_DFL);
	}
	sigprocmask(SIG_SETMASK, sp->old, NULL);
	execvp(sp->cmd[0], sp->cmd);
	sp->exec_errno = errno;
	return sp->exec_errno == ENOENT ? 127 : 126;
}

/* Reaps every child that has exited; true once the command itself was among them. */
static bool reap(pid_t child, int *status)
{
	bool done = false;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == child) {
			*status = st;
			done = true;
		}
	}
	return done;
}

int init_main(int argc, char **argv)
{
	sigset_t set, old;
	struct spawn sp = { 0 };
	struct cli_parser p;
	struct kerr err;
	int status = 0;

	/* Its only option is --help: the options end at COMMAND, or at "--" before it. */
	cli_parse_init(&p, &init_cmd, argc, argv);
	int id = cli_parse_next(&p, &err);
	if (id == CLI_HELP) {
		cli_help_write(&init_cmd, stdout);
		return 0;
	}
	if (id == 0 && p.nargs == 0)
		kerr_set(&err, 0, "a command is required");
	if (id < 0 || p.nargs == 0) {
		fprintf(stderr, "kettle init: %s (usage: %s)\n", err.msg, init_cmd.synopsis);
		return INIT_EXIT_USAGE;
	}
	/* Outside a PID namespace the orphans still come to us. */
	if (getpid() != 1)
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0) {
		fprintf(stderr, "kettle init: set up: %s\n", strerror(errno));
		return INIT_EXIT_USAGE;
	}
	sp.cmd = p.args;
	sp.old = &old;
	/* Returns once the child has exec'd or exited (CLONE_VFORK). */
	pid_t child = clone(child_exec, child_stack + sizeof(child_stack),
			    CLONE_VM | CLONE_VFORK | SIGCHLD, &sp);
	if (child < 0) {
		fprintf(stderr, "kettle init: clone: %s\n", strerror(errno));
		return INIT_EXIT_USAGE;
	}
	if (sp.exec_errno != 0)
		fprintf(stderr, "kettle init: exec `%s`: %s\n", p.args[0], strerror(sp.exec_errno));
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);

		if (sig < 0)
			continue; /* EINTR: a stop/continue, nothing to do */
		if (sig == SIGCHLD) {
			if (reap(child, &status))
				break;
			continue;
		}
		/* The child may have just exited and not been reaped yet: still our pid. */
		(void)kill(child, sig);
	}
	/* Orphans that exited together with the command are reaped too. */
	(void)reap(-1, &(int){ 0 });
	return proc_exit_code(status);
}
