/*
 * proc_test: unit tests for src/runtime/proc.c (test layer).
 *
 * Spawns /bin/true, /bin/sh and /bin/cat. Tests may block in waitid/waitpid on their own
 * children (the no-blocking rule is for roles); every wait is on a child that is about to
 * exit or has been killed, and each binary runs under the harness's timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "runtime/proc.h"

/* A spec with all stdio on /dev/null and nothing else. */
static struct proc_spawn spec_of(const char *path, char *const *argv)
{
	return (struct proc_spawn){
		.path = path,
		.argv = argv,
		.envp = NULL,
		.stdio = { -1, -1, -1 },
		.keep_fd = -1,
	};
}

/* Reads fd until EOF into out (NUL-terminated). */
static size_t read_all(int fd, char *out, size_t cap)
{
	size_t got = 0;

	for (;;) {
		ssize_t n = read(fd, out + got, cap - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || got + (size_t)n >= cap - 1) {
			if (n > 0)
				got += (size_t)n;
			break;
		}
		got += (size_t)n;
	}
	out[got] = '\0';
	return got;
}

/* Waits (blocking, test only) until pid has exited, then reaps it through proc_reap_any. */
static int wait_and_reap(pid_t pid, int *status)
{
	siginfo_t si;
	pid_t got = 0;

	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0)
		if (errno != EINTR)
			return -1;
	for (int i = 0; i < 100; i++) {
		int r = proc_reap_any(&got, status);

		if (r == 1 && got == pid)
			return 0;
		if (r < 0)
			return -1;
	}
	return -1;
}

/* Runs argv with stdout and stderr to a pipe; returns the exit code, output into out. */
static int run_capture(struct proc_spawn *s, char *out, size_t cap, struct kerr *err)
{
	int p[2], status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if (s->stdio[1] == -1)
		s->stdio[1] = p[1];
	if (s->stdio[2] == -1)
		s->stdio[2] = p[1];
	int rc = proc_spawn(s, &pid, err);

	close(p[1]);
	if (rc == 0)
		read_all(p[0], out, cap);
	close(p[0]);
	if (rc < 0)
		return -1000;
	if (wait_and_reap(pid, &status) < 0)
		return -1001;
	return proc_exit_code(status);
}

TEST(spawn_true_and_reap)
{
	char *argv[] = { "true", NULL };
	struct proc_spawn s = spec_of("/bin/true", argv);
	struct kerr err;
	pid_t pid = -1, got;
	int status = -1;

	ASSERT_EQ(proc_spawn(&s, &pid, &err), 0);
	ASSERT(pid > 0);
	ASSERT_EQ(wait_and_reap(pid, &status), 0);
	ASSERT_EQ(proc_exit_code(status), 0);
	/* Nothing left to reap. */
	ASSERT_EQ(proc_reap_any(&got, &status), 0);
}

TEST(exit_codes)
{
	char *argv[] = { "sh", "-c", "exit 3", NULL };
	struct proc_spawn s = spec_of("/bin/sh", argv);
	struct kerr err;
	char out[16];

	ASSERT_EQ(run_capture(&s, out, sizeof(out), &err), 3);
	ASSERT_EQ(proc_exit_code(0), 0);
	ASSERT_EQ(proc_exit_code(9), 128 + 9); /* raw status of a SIGKILL death */
	ASSERT_EQ(proc_exit_code(1 << 8), 1);
}

TEST(exec_failure_reported)
{
	char *argv[] = { "nope", NULL };
	struct proc_spawn s = spec_of("/nonexistent/nope", argv);
	struct kerr err;
	pid_t pid = 123, got;
	int status;

	ASSERT_EQ(proc_spawn(&s, &pid, &err), -1);
	ASSERT_EQ(pid, -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_STREQ(err.msg, "exec `/nonexistent/nope`: No such file or directory");
	/* The failed child was reaped by proc_spawn: no zombie is left behind. */
	ASSERT_EQ(proc_reap_any(&got, &status), 0);

	/* Not executable: EACCES (even for root, a file with no x bit at all). */
	char path[] = "/tmp/kettle-proc-test.XXXXXX";
	int fd = mkstemp(path);
	ASSERT(fd >= 0);
	close(fd);
	chmod(path, 0644);
	s = spec_of(path, argv);
	ASSERT_EQ(proc_spawn(&s, &pid, &err), -1);
	unlink(path);
	ASSERT_EQ(err.code, EACCES);
	ASSERT_CONTAINS(err.msg, "Permission denied");
}

TEST(bad_spec_refused)
{
	char *argv[] = { NULL };
	struct proc_spawn s = spec_of("/bin/true", argv);
	struct kerr err;
	pid_t pid;

	ASSERT_EQ(proc_spawn(&s, &pid, &err), -1);
	s.argv = NULL;
	ASSERT_EQ(proc_spawn(&s, &pid, &err), -1);
	s.path = NULL;
	ASSERT_EQ(proc_spawn(&s, &pid, &err), -1);
	/* A stdio fd that is not open fails in the child, reported as such. */
	char *argv2[] = { "true", NULL };
	s = spec_of("/bin/true", argv2);
	s.stdio[1] = 987;
	ASSERT_EQ(proc_spawn(&s, &pid, &err), -1);
	ASSERT_EQ(err.code, EBADF);
	ASSERT_CONTAINS(err.msg, "set up stdio");
}

TEST(stdio_captured)
{
	char *argv[] = { "sh", "-c", "echo out; echo err >&2; read x; echo \"[$x]\"", NULL };
	struct proc_spawn s = spec_of("/bin/sh", argv);
	struct kerr err;
	char out[64];
	int in[2];

	/* stdin from a pipe holding one line */
	ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
	ASSERT_EQ(write(in[1], "hi\n", 3), 3);
	close(in[1]);
	s.stdio[0] = in[0];
	ASSERT_EQ(run_capture(&s, out, sizeof(out), &err), 0);
	close(in[0]);
	ASSERT_STREQ(out, "out\nerr\n[hi]\n");
}

TEST(stdio_sources_that_collide_with_targets)
{
	/* stderr's source is fd 1, which stdout's source replaces in the child. */
	char *argv[] = { "sh", "-c", "echo out; echo err >&2; echo three >&3", NULL };
	struct proc_spawn s = spec_of("/bin/sh", argv);
	struct kerr err;
	char a[64], b[64], c[64];
	int pa[2], pb[2], pc[2], status;
	pid_t pid;

	ASSERT_EQ(pipe2(pa, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(pb, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(pc, O_CLOEXEC), 0);
	fflush(stdout);
	int saved = fcntl(1, F_DUPFD_CLOEXEC, 20);
	ASSERT(saved >= 0);
	ASSERT_EQ(dup2(pb[1], 1), 1); /* our fd 1 is now pipe b */
	s.stdio[1] = pa[1];
	s.stdio[2] = 1;
	s.keep_fd = pc[1];
	int rc = proc_spawn(&s, &pid, &err);
	dup2(saved, 1);
	close(saved);
	close(pa[1]);
	close(pb[1]);
	close(pc[1]);
	ASSERT_EQ(rc, 0);
	read_all(pa[0], a, sizeof(a));
	read_all(pb[0], b, sizeof(b));
	read_all(pc[0], c, sizeof(c));
	close(pa[0]);
	close(pb[0]);
	close(pc[0]);
	ASSERT_EQ(wait_and_reap(pid, &status), 0);
	ASSERT_STREQ(a, "out\n");
	ASSERT_STREQ(b, "err\n");
	ASSERT_STREQ(c, "three\n");
}

TEST(env_cwd_and_oom)
{
	char *argv[] = { "sh", "-c", "echo \"$PATH|$FOO|$(pwd)\"", NULL };
	char *env[] = { "FOO=bar", "PATH=/bin", NULL };
	struct proc_spawn s = spec_of("/bin/sh", argv);
	struct kerr err;
	char out[256];

	s.cwd = "/";
	ASSERT_EQ(run_capture(&s, out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin||/\n");
	s = spec_of("/bin/sh", argv);
	s.envp = env;
	s.cwd = "/tmp";
	ASSERT_EQ(run_capture(&s, out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "/bin|bar|/tmp\n");
	s = spec_of("/bin/sh", argv);
	s.cwd = "/nonexistent-dir";
	ASSERT_EQ(run_capture(&s, out, sizeof(out), &err), -1000);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_CONTAINS(err.msg, "change directory to `/nonexistent-dir`");

	/* Raising oom_score_adj needs no privilege. */
	char *cat[] = { "cat", "/proc/self/oom_score_adj", NULL };
	s = spec_of("/bin/cat", cat);
	s.oom_score_adj = 500;
	ASSERT_EQ(run_capture(&s, out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "500\n");
}

TEST(signals_reset_in_child)
{
	char *argv[] = { "cat", "/proc/self/status", NULL };
	struct proc_spawn s = spec_of("/bin/cat", argv);
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe, old_term;
	sigset_t block, old_mask;
	struct kerr err;
	char out[4096];

	sigaction(SIGPIPE, &ign, &old_pipe);
	sigaction(SIGTERM, &ign, &old_term);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	int rc = run_capture(&s, out, sizeof(out), &err);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	ASSERT_EQ(rc, 0);
	ASSERT_CONTAINS(out, "SigBlk:\t0000000000000000\n");
	ASSERT_CONTAINS(out, "SigIgn:\t0000000000000000\n");
}

TEST(new_session)
{
	char *argv[] = { "sh", "-c", "read x", NULL };
	struct proc_spawn s = spec_of("/bin/sh", argv);
	struct kerr err;
	int in[2], status;
	pid_t pid;

	ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
	s.stdio[0] = in[0];
	s.new_session = true;
	ASSERT_EQ(proc_spawn(&s, &pid, &err), 0);
	close(in[0]);
	ASSERT_EQ(getsid(pid), pid);
	close(in[1]);
	ASSERT_EQ(wait_and_reap(pid, &status), 0);
	ASSERT_EQ(proc_exit_code(status), 1); /* read at EOF fails */
}

TEST(detach)
{
	char *argv[] = { "sh", "-c", "echo $$; read x", NULL };
	struct proc_spawn s = spec_of("/bin/sh", argv);
	struct kerr err;
	char out[32];
	int in[2], p[2], status;
	pid_t pid, got;

	ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	s.stdio[0] = in[0];
	s.stdio[1] = p[1];
	s.detach = true;
	ASSERT_EQ(proc_spawn(&s, &pid, &err), 0);
	close(in[0]);
	close(p[1]);
	ASSERT(pid > 0);
	/* Not our child, in a session that is not ours, and it runs: it told us its pid. */
	ASSERT_EQ(waitpid(pid, &status, WNOHANG), -1);
	ASSERT_EQ(errno, ECHILD);
	ASSERT(getsid(pid) != getsid(0));
	ASSERT(getsid(pid) > 0);
	char *nl;
	size_t n = 0;
	for (;;) {
		ssize_t r = read(p[0], out + n, sizeof(out) - 1 - n);
		ASSERT(r > 0);
		n += (size_t)r;
		out[n] = '\0';
		if ((nl = strchr(out, '\n')))
			break;
	}
	*nl = '\0';
	ASSERT_EQ(atoi(out), pid);
	close(in[1]); /* lets it exit; init (or our subreaper) reaps it */
	close(p[0]);
	/* The intermediate child was reaped. */
	ASSERT_EQ(proc_reap_any(&got, &status), 0);

	/* Exec failure of a detached child is still reported. */
	char *bad[] = { "nope", NULL };
	s = spec_of("/nonexistent/nope", bad);
	s.detach = true;
	ASSERT_EQ(proc_spawn(&s, &pid, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_CONTAINS(err.msg, "exec `/nonexistent/nope`");
	ASSERT_EQ(proc_reap_any(&got, &status), 0);
}

TEST(killed_exit_code_and_pidfd)
{
	char *argv[] = { "sh", "-c", "read x", NULL };
	struct proc_spawn s = spec_of("/bin/sh", argv);
	struct kerr err;
	int in[2], status, pfd;
	pid_t pid;

	ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
	s.stdio[0] = in[0];
	ASSERT_EQ(proc_spawn(&s, &pid, &err), 0);
	close(in[0]);
	ASSERT_EQ(kill(pid, SIGKILL), 0);
	ASSERT_EQ(wait_and_reap(pid, &status), 0);
	ASSERT_EQ(proc_exit_code(status), 128 + 9);

	s.stdio[0] = in[0] = -1;
	ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
	s.stdio[0] = in[0];
	ASSERT_EQ(proc_spawn(&s, &pid, &err), 0);
	close(in[0]);
	ASSERT_EQ(proc_pidfd_open(pid, &pfd, &err), 0);
	ASSERT(fcntl(pfd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(proc_pidfd_signal(pfd, SIGTERM, &err), 0);
	ASSERT_EQ(wait_and_reap(pid, &status), 0);
	ASSERT_EQ(proc_exit_code(status), 128 + 15);
	/* The process is gone: signalling through its pidfd fails with ESRCH. */
	ASSERT_EQ(proc_pidfd_signal(pfd, SIGTERM, &err), -1);
	ASSERT_EQ(err.code, ESRCH);
	close(pfd);
	close(in[1]);
	ASSERT_EQ(proc_pidfd_open(-5, &pfd, &err), -1);
	ASSERT_EQ(pfd, -1);
}

TEST(signal_names_round_trip)
{
	struct kerr err;
	char lower[32];
	int sig;

	for (int n = 1; n <= 64; n++) {
		const char *name = proc_signal_name(n);

		if (n == 32 || n == 33) {
			ASSERT_STREQ(name, "SIG?");
			continue;
		}
		ASSERT(strncmp(name, "SIG", 3) == 0 && strcmp(name, "SIG?") != 0);
		sig = -1;
		ASSERT_EQ(proc_signal_parse(name, &sig, &err), 0);
		ASSERT_EQ(sig, n);
		sig = -1;
		ASSERT_EQ(proc_signal_parse(name + 3, &sig, &err), 0);
		ASSERT_EQ(sig, n);
		size_t i = 0;
		for (; name[i] && i < sizeof(lower) - 1; i++)
			lower[i] =
				(char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
		lower[i] = '\0';
		sig = -1;
		ASSERT_EQ(proc_signal_parse(lower, &sig, &err), 0);
		ASSERT_EQ(sig, n);
		char num[8];
		snprintf(num, sizeof(num), "%d", n);
		ASSERT_EQ(proc_signal_parse(num, &sig, &err), 0);
		ASSERT_EQ(sig, n);
	}
	ASSERT_STREQ(proc_signal_name(15), "SIGTERM");
	ASSERT_STREQ(proc_signal_name(34), "SIGRTMIN");
	ASSERT_STREQ(proc_signal_name(37), "SIGRTMIN+3");
	ASSERT_STREQ(proc_signal_name(50), "SIGRTMAX-14");
	ASSERT_STREQ(proc_signal_name(64), "SIGRTMAX");
	ASSERT_STREQ(proc_signal_name(0), "SIG?");
	ASSERT_STREQ(proc_signal_name(65), "SIG?");
	ASSERT_STREQ(proc_signal_name(-1), "SIG?");
	ASSERT_EQ(proc_signal_parse("term", &sig, &err), 0);
	ASSERT_EQ(sig, SIGTERM);
	ASSERT_EQ(proc_signal_parse("SigKill", &sig, &err), 0);
	ASSERT_EQ(sig, SIGKILL);
	ASSERT_EQ(proc_signal_parse("IOT", &sig, &err), 0);
	ASSERT_EQ(sig, SIGABRT);
	ASSERT_EQ(proc_signal_parse("rtmin+30", &sig, &err), 0);
	ASSERT_EQ(sig, 64);
	ASSERT_EQ(proc_signal_parse("RTMAX-30", &sig, &err), 0);
	ASSERT_EQ(sig, 34);
	ASSERT_EQ(proc_signal_parse("32", &sig, &err), 0);
	ASSERT_EQ(sig, 32);
	ASSERT_EQ(proc_signal_parse("09", &sig, &err), 0);
	ASSERT_EQ(sig, 9);
}

TEST(signal_parse_rejects)
{
	static const char *const bad[] = {
		"SIGFOO",   "0",
		"65",	    "",
		"SIG",	    "sig",
		"-9",	    "+9",
		" 9",	    "9 ",
		"0x9",	    "1000",
		"SIG15",    "RTMIN+31",
		"RTMAX-31", "RTMIN-1",
		"RTMAX+1",  "RTMIN+",
		"RTMINX",   "KILLL",
		"TERM\n",   "999999999999999999999",
	};
	struct kerr err;
	int sig = 77;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(proc_signal_parse(bad[i], &sig, &err), -1);
		ASSERT_EQ(sig, 77);
		ASSERT_EQ(err.code, EINVAL);
	}
	ASSERT_EQ(proc_signal_parse(NULL, &sig, &err), -1);
	ASSERT_EQ(proc_signal_parse("SIGFOO", &sig, &err), -1);
	ASSERT_CONTAINS(err.msg, "invalid signal `SIGFOO`");
	ASSERT_CONTAINS(err.msg, "a number in 1..64");
	ASSERT_CONTAINS(err.msg, "HUP, INT, QUIT");
	ASSERT_CONTAINS(err.msg, "SYS, ");
	ASSERT_CONTAINS(err.msg, "RTMIN+n");
	/* The person's string is sanitized before it reaches the message. */
	ASSERT_EQ(proc_signal_parse("a\x1b[31mb", &sig, &err), -1);
	ASSERT_CONTAINS(err.msg, "`a\\x1b[31mb`");
}

TEST(start_ticks)
{
	unsigned long long before = 0, after = 0, child = 0;
	struct kerr err;
	char name[17];

	ASSERT_EQ(proc_start_ticks(getpid(), &before, &err), 0);
	ASSERT(before > 0);
	/* A hostile command name with spaces and parentheses does not shift the fields. */
	prctl(PR_GET_NAME, name);
	prctl(PR_SET_NAME, "a) 1 2 (3) x");
	ASSERT_EQ(proc_start_ticks(getpid(), &after, &err), 0);
	prctl(PR_SET_NAME, name);
	ASSERT_U64_EQ(after, before);

	char *argv[] = { "sh", "-c", "read x", NULL };
	struct proc_spawn s = spec_of("/bin/sh", argv);
	int in[2], status;
	pid_t pid;
	ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
	s.stdio[0] = in[0];
	ASSERT_EQ(proc_spawn(&s, &pid, &err), 0);
	close(in[0]);
	ASSERT_EQ(proc_start_ticks(pid, &child, &err), 0);
	ASSERT(child >= before);
	close(in[1]);
	ASSERT_EQ(wait_and_reap(pid, &status), 0);
	ASSERT_EQ(proc_start_ticks(pid, &child, &err), -1);
	ASSERT_EQ(err.code, ESRCH);
	ASSERT_EQ(proc_start_ticks(0, &child, &err), -1);
	ASSERT_EQ(proc_start_ticks(-1, &child, &err), -1);
}

/* die_with: the child dies with its caller (PR_SET_PDEATHSIG), and a child whose caller
 * is already gone when it starts exits at once instead of running unowned. */
TEST(die_with_caller)
{
	char *argv[] = { "sleep", "30", NULL };
	int p[2], status;
	pid_t mid, pid = 0;

	/* Orphans come to us, so the test can reap the sleep and see how it died. */
	ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	mid = fork();
	ASSERT(mid >= 0);
	if (mid == 0) {
		struct proc_spawn s = spec_of("/bin/sleep", argv);
		struct kerr err;
		pid_t child;

		s.die_with = getpid();
		if (proc_spawn(&s, &child, &err) < 0)
			_exit(1);
		(void)!write(p[1], &child, sizeof(child));
		_exit(0); /* the caller dies: the sleep must follow */
	}
	close(p[1]);
	ASSERT_EQ(read(p[0], &pid, sizeof(pid)), (ssize_t)sizeof(pid));
	close(p[0]);
	ASSERT_EQ(waitpid(mid, &status, 0), mid);
	ASSERT_EQ(proc_exit_code(status), 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGKILL);

	/* A caller pid that is not the parent: the child does not run the program. */
	struct proc_spawn s = spec_of("/bin/sleep", argv);
	struct kerr err;

	s.die_with = 1;
	if (proc_spawn(&s, &pid, &err) == 0) {
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		ASSERT_EQ(proc_exit_code(status), 127);
	}
	ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
}

/* The unlinker removes what it is sent, holds only its pipe and the directory, is named
 * kettle-unlink, and ends (exit 0) once the pipe is closed; a name too long is refused. */
TEST(unlinker)
{
	char dir[] = "/tmp/kettle-proc-test.XXXXXX";
	char name[PROC_UNLINK_NAME_MAX + 8], path[128], comm[32] = "";
	struct kerr err;
	struct stat st;
	int wfd, status;
	pid_t pid;

	ASSERT(mkdtemp(dir));
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(dirfd >= 0);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		ASSERT(fd >= 0 && write(fd, "data", 4) == 4);
		close(fd);
	}
	ASSERT_EQ(proc_unlinker_start(dirfd, &pid, &wfd, &err), 0);
	ASSERT(pid > 0 && wfd >= 0);
	ASSERT(fcntl(wfd, F_GETFL) & O_NONBLOCK);
	ASSERT(fcntl(wfd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(proc_unlinker_send(wfd, "f0", &err), 0);
	ASSERT_EQ(proc_unlinker_send(wfd, "f2", &err), 0);
	ASSERT_EQ(proc_unlinker_send(wfd, "missing", &err), 0);
	memset(name, 'n', sizeof(name) - 1);
	name[PROC_UNLINK_NAME_MAX] = '\0'; /* NUL included, one byte too many */
	ASSERT_EQ(proc_unlinker_send(wfd, name, &err), -1);
	ASSERT_EQ(err.code, ENAMETOOLONG);
	for (int i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		FILE *f = fopen(path, "re");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		if (strcmp(comm, "kettle-unlink\n") == 0)
			break;
		usleep(10000);
	}
	ASSERT_STREQ(comm, "kettle-unlink\n");
	/* Its fds: the pipe on 0 and the directory on 1, nothing else. */
	snprintf(path, sizeof(path), "/proc/%d/fd/2", (int)pid);
	ASSERT(lstat(path, &st) < 0);
	close(wfd);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT(fstatat(dirfd, "f0", &st, 0) < 0 && errno == ENOENT);
	ASSERT(fstatat(dirfd, "f1", &st, 0) == 0);
	ASSERT(fstatat(dirfd, "f2", &st, 0) < 0 && errno == ENOENT);
	/* Gone: a send fails with EPIPE (SIGPIPE ignored, as the shim does). */
	ASSERT_EQ(proc_unlinker_start(dirfd, &pid, &wfd, &err), 0);
	kill(pid, SIGKILL);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(proc_unlinker_send(wfd, "f1", &err), -1);
	ASSERT_EQ(err.code, EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(wfd);
	ASSERT_EQ(unlinkat(dirfd, "f1", 0), 0);
	close(dirfd);
	ASSERT_EQ(rmdir(dir), 0);
}

RUN_TESTS(T(unlinker), T(spawn_true_and_reap), T(exit_codes), T(exec_failure_reported),
	  T(bad_spec_refused), T(stdio_captured), T(stdio_sources_that_collide_with_targets),
	  T(env_cwd_and_oom), T(signals_reset_in_child), T(new_session), T(detach),
	  T(killed_exit_code_and_pidfd), T(signal_names_round_trip), T(signal_parse_rejects),
	  T(start_ticks), T(die_with_caller))
