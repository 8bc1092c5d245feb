/*
 * fd_test: ownership helpers, full reads/writes and small-file reads (test layer).
 *
 * Uses pipes and a private temporary directory; an interval timer without SA_RESTART
 * checks that reads restart after EINTR.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/fd.h"
#include "harness.h"

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* A private directory with a few files; removed by cleanup_dir. */
static char tmpdir[64];

static int make_dir(void)
{
	strcpy(tmpdir, "/tmp/kettle-fd-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = openat(dfd, "hello", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "hello", 5) != 5)
		return -1;
	close(fd);
	fd = openat(dfd, "empty", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(fd);
	if (symlinkat("hello", dfd, "link") < 0 || mkdirat(dfd, "sub", 0700) < 0)
		return -1;
	return dfd;
}

static void cleanup_dir(int dfd)
{
	unlinkat(dfd, "hello", 0);
	unlinkat(dfd, "empty", 0);
	unlinkat(dfd, "link", 0);
	unlinkat(dfd, "sub", AT_REMOVEDIR);
	close(dfd);
	rmdir(tmpdir);
}

TEST(close_returns_minus_one)
{
	int p[2];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	ASSERT_EQ(fd_close(p[0]), -1);
	ASSERT(!fd_is_open(p[0]));
	ASSERT_EQ(fd_close(-1), -1);
	int fd = p[1];
	fd = fd_close(fd);
	ASSERT_EQ(fd, -1);
}

TEST(close_keeps_errno)
{
	errno = ENOSPC;
	fd_close(1000000); /* EBADF inside */
	ASSERT_EQ(errno, ENOSPC);
}

TEST(cleanup_close_and_take)
{
	int p[2], kept;

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	{
		_cleanup_close_ int a = p[0];
		_cleanup_close_ int b = p[1];

		kept = take_fd(&b);
		ASSERT_EQ(b, -1);
		(void)a;
	}
	ASSERT(!fd_is_open(p[0]));
	ASSERT(fd_is_open(kept));
	close(kept);
}

TEST(cleanup_free_and_take_ptr)
{
	char *kept;
	{
		_cleanup_free_ char *a = malloc(16);
		_cleanup_free_ char *b = malloc(16);
		_cleanup_free_ char *none = NULL;

		ASSERT(a && b);
		kept = take_ptr(&b);
		ASSERT(b == NULL);
		(void)none;
	}
	/* ASan reports a leak or double free if either helper is wrong. */
	free(kept);
}

TEST(read_write_full_pipe)
{
	int p[2];
	char in[100], out[100];
	size_t got = 99;
	struct kerr err;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)i;
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	ASSERT_EQ(fd_write_full(p[1], in, sizeof(in), &err), 0);
	close(p[1]);
	ASSERT_EQ(fd_read_full(p[0], out, sizeof(out), &got, &err), 0);
	ASSERT_EQ(got, sizeof(out));
	ASSERT_MEMEQ(in, out, sizeof(in));
	/* At EOF: success with a short count. */
	ASSERT_EQ(fd_read_full(p[0], out, sizeof(out), &got, &err), 0);
	ASSERT_EQ(got, 0);
	close(p[0]);
}

TEST(read_full_short_at_eof)
{
	int p[2];
	char out[10];
	size_t got = 0;
	struct kerr err;

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	ASSERT_EQ(write(p[1], "abc", 3), 3);
	close(p[1]);
	ASSERT_EQ(fd_read_full(p[0], out, sizeof(out), &got, &err), 0);
	ASSERT_EQ(got, 3);
	ASSERT_EQ(fd_read_full(p[0], out, 0, NULL, &err), 0);
	close(p[0]);
}

TEST(bad_fd_errors)
{
	char b[4];
	size_t got = 7;
	struct kerr err;

	ASSERT_EQ(fd_read_full(-1, b, sizeof(b), &got, &err), -1);
	ASSERT_EQ(err.code, EBADF);
	ASSERT_EQ(got, 0);
	ASSERT_CONTAINS(err.msg, "read from fd -1");
	ASSERT_EQ(fd_write_full(-1, b, sizeof(b), &err), -1);
	ASSERT_EQ(err.code, EBADF);
	ASSERT_CONTAINS(err.msg, "write to fd -1");
	ASSERT_EQ(fd_set_nonblock(-1, true, &err), -1);
	ASSERT_EQ(err.code, EBADF);
}

TEST(write_full_broken_pipe)
{
	int p[2];
	struct kerr err;
	struct sigaction old, ign = { .sa_handler = SIG_IGN };

	sigaction(SIGPIPE, &ign, &old);
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	int r = fd_write_full(p[1], "x", 1, &err);
	close(p[1]);
	sigaction(SIGPIPE, &old, NULL);
	ASSERT_EQ(r, -1);
	ASSERT_EQ(err.code, EPIPE);
	ASSERT_CONTAINS(err.msg, "0 of 1 bytes written");
}

TEST(nonblock_toggle)
{
	int p[2];
	char c;
	size_t got;
	struct kerr err;

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	ASSERT_EQ(fd_set_nonblock(p[0], true, &err), 0);
	ASSERT(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(fd_set_nonblock(p[0], true, &err), 0);
	ASSERT_EQ(fd_read_full(p[0], &c, 1, &got, &err), -1);
	ASSERT_EQ(err.code, EAGAIN);
	ASSERT_EQ(fd_set_nonblock(p[0], false, &err), 0);
	ASSERT(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	close(p[0]);
	close(p[1]);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

TEST(read_full_restarts_on_eintr)
{
	int p[2];
	char out[5];
	size_t got = 0;
	struct kerr err;
	/* No SA_RESTART: a blocked read(2) fails with EINTR on every tick. */
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval tick = { .it_interval = { 0, 5000 }, .it_value = { 0, 5000 } };
	struct itimerval off = { 0 };

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		close(p[0]);
		nanosleep(&ts, NULL);
		if (write(p[1], "ab", 2) != 2)
			_exit(1);
		nanosleep(&ts, NULL);
		if (write(p[1], "cde", 3) != 3)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	alarms = 0;
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &tick, NULL);
	int r = fd_read_full(p[0], out, sizeof(out), &got, &err);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	close(p[0]);
	waitpid(pid, NULL, 0);
	ASSERT_EQ(r, 0);
	ASSERT_EQ(got, 5);
	ASSERT_MEMEQ(out, "abcde", 5);
	ASSERT(alarms > 0);
}

TEST(small_file)
{
	int dfd = make_dir();
	char buf[16];
	size_t len = 99;
	struct kerr err;

	ASSERT(dfd >= 0);
	int r1 = fd_read_small_file(dfd, "hello", buf, sizeof(buf), &len, &err);
	size_t len1 = len;
	char copy[16];
	strcpy(copy, buf);
	/* Exactly cap - 1 bytes fit. */
	int r2 = fd_read_small_file(dfd, "hello", buf, 6, &len, &err);
	int r3 = fd_read_small_file(dfd, "empty", buf, sizeof(buf), &len, &err);
	size_t len3 = len;
	cleanup_dir(dfd);
	ASSERT_EQ(r1, 0);
	ASSERT_EQ(len1, 5);
	ASSERT_STREQ(copy, "hello");
	ASSERT_EQ(r2, 0);
	ASSERT_EQ(r3, 0);
	ASSERT_EQ(len3, 0);
}

TEST(small_file_rejects)
{
	int dfd = make_dir();
	char buf[16];
	size_t len = 0;
	struct kerr e1, e2, e3, e4, e5;

	ASSERT(dfd >= 0);
	int r1 = fd_read_small_file(dfd, "hello", buf, 5, &len, &e1);
	int r2 = fd_read_small_file(dfd, "link", buf, sizeof(buf), &len, &e2);
	int r3 = fd_read_small_file(dfd, "sub", buf, sizeof(buf), &len, &e3);
	int r4 = fd_read_small_file(dfd, "missing", buf, sizeof(buf), &len, &e4);
	int r5 = fd_read_small_file(dfd, "hello", buf, 0, &len, &e5);
	cleanup_dir(dfd);
	ASSERT_EQ(r1, -1);
	ASSERT_STREQ(e1.msg, "file `hello` is larger than 4 bytes");
	ASSERT_EQ(r2, -1);
	ASSERT_EQ(e2.code, ELOOP); /* O_NOFOLLOW */
	ASSERT_CONTAINS(e2.msg, "open `link`");
	ASSERT_EQ(r3, -1);
	ASSERT_CONTAINS(e3.msg, "`sub` is not a regular file");
	ASSERT_EQ(r4, -1);
	ASSERT_EQ(e4.code, ENOENT);
	ASSERT_CONTAINS(e4.msg, "open `missing`");
	ASSERT_EQ(r5, -1);
}

TEST(small_file_proc_size_zero)
{
	/* /proc files report st_size 0; the read must not trust it. */
	char buf[4096];
	size_t len = 0;
	struct kerr err;

	ASSERT_EQ(fd_read_small_file(AT_FDCWD, "/proc/self/stat", buf, sizeof(buf), &len, &err), 0);
	ASSERT(len > 10);
	ASSERT_EQ(strlen(buf), len);
}

RUN_TESTS(T(close_returns_minus_one), T(close_keeps_errno), T(cleanup_close_and_take),
	  T(cleanup_free_and_take_ptr), T(read_write_full_pipe), T(read_full_short_at_eof),
	  T(bad_fd_errors), T(write_full_broken_pipe), T(nonblock_toggle),
	  T(read_full_restarts_on_eintr), T(small_file), T(small_file_rejects),
	  T(small_file_proc_size_zero))
