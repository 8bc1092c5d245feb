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
 * Invariants: signals are only taken synchronously (sigwaitinfo), no handler runs; the
 * child's exec failure comes back through an O_CLOEXEC pipe (127 not found, 126 other).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd.h"
#include "init.h"
#include "proc.h"

#define INIT_EXIT_USAGE 125 /* bad arguments, or init itself failed */

/* Forwarded to the command; anything else keeps its default action for init. */
static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static const char usage[] =
	"Usage: kettle init [--] COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND as the only child of a minimal PID 1 that reaps zombies and forwards\n"
	"SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to it; exit with its\n"
	"exit code (128+N when signal N ended it). `kettle run --init` starts containers this\n"
	"way.\n"
	"\n"
	"Options:\n"
	"      --help   Print this help\n";

/* The child: the parent's signal mask undone, then exec. Only async-signal-safe calls. */
static void child_exec(char **cmd, const sigset_t *old, int errfd)
{
	int e;

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
	sigprocmask(SIG_SETMASK, old, NULL);
	execvp(cmd[0], cmd);
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(e == ENOENT ? 127 : 126);
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
	int p[2], status = 0, e = 0;
	size_t got = 0;
	struct kerr err;
	int first = 1;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (first >= argc) {
		fprintf(stderr, "kettle init: a command is required (usage: kettle init [--] "
				"COMMAND [ARG...])\n");
		return INIT_EXIT_USAGE;
	}
	/* Outside a PID namespace the orphans still come to us. */
	if (getpid() != 1)
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0 || pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "kettle init: set up: %s\n", strerror(errno));
		return INIT_EXIT_USAGE;
	}
	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "kettle init: fork: %s\n", strerror(errno));
		return INIT_EXIT_USAGE;
	}
	if (child == 0) {
		close(p[0]);
		child_exec(argv + first, &old, p[1]);
	}
	close(p[1]);
	/* EOF at exec (the pipe is O_CLOEXEC), or the child's errno. */
	if (fd_read_full(p[0], &e, sizeof(e), &got, &err) == 0 && got == sizeof(e))
		fprintf(stderr, "kettle init: exec `%s`: %s\n", argv[first], strerror(e));
	close(p[0]);
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
