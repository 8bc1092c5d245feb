/*
 * ipc_test: unit tests of ipc.c (test layer).
 *
 * Runs as root and as non-root: checks that need another uid, pid namespace or root
 * directory fork a child that drops to uid 65534, unshares or chroots when we are root,
 * and use a uid we are not when we are not. Every fd test counts /proc/self/fd before
 * and after, so a leaked received descriptor fails the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "base/fd.h"
#include "ipc/ipc.h"
#include "ipc/ipc_conn.h"
#include "ipc/wire.h"

#define NOBODY 65534

static char tmp_path[64];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* A fresh 0700 directory; returns an fd on it (the path is in tmp_path). */
static int tmp_dir(void)
{
	if (tmp_path[0])
		nftw(tmp_path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/ipc_test.XXXXXX");
	if (!mkdtemp(tmp_path))
		return -1;
	return open(tmp_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int count_entries(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int write_file(int dirfd, const char *name, const char *text, mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	struct kerr err;

	if (fd < 0)
		return -1;
	int r = fd_write_full(fd, text, strlen(text), &err);
	close(fd);
	return r;
}

static void conn_pair(struct ipc_conn *a, struct ipc_conn *b)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	ipc_conn_init(a, sv[0]);
	ipc_conn_init(b, sv[1]);
}

static socklen_t abstract(struct sockaddr_un *sa, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path + 1, name, strlen(name));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

/* A listener on @name in this process. */
static int listen_on(const char *name)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t len = abstract(&sa, name);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 8) < 0)
		return -1;
	return fd;
}

static int connect_to(const char *name)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t len = abstract(&sa, name);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len) < 0)
		return -1;
	return fd;
}

static void random_name(char out[IPC_NAME_MAX])
{
	static unsigned n;

	snprintf(out, IPC_NAME_MAX, "kettle/%016x%08x%08x", (unsigned)getpid(), n++,
		 (unsigned)rand());
}

/* Forked peer roles. */
enum peer_kind {
	PEER_HOLD_LOCK,	     /* takes the lock `daemon.lock` in tmp dir */
	PEER_NOBODY_LISTEN,  /* setuid(65534), listens on name */
	PEER_NOBODY_CONNECT, /* setuid(65534), connects to name */
	PEER_NEWPID_CONNECT, /* connects to name from a new pid namespace */
	PEER_CHROOT_CONNECT, /* connects to name from a chroot */
};

struct peer {
	pid_t pid;    /* the forked child */
	pid_t actor;  /* the process that did the work (grandchild for NEWPID) */
	int hold;     /* write end: closing it lets the peer exit */
	bool skipped; /* the peer could not set itself up (no privilege) */
};

/* The child's work; returns the pid that acted or -1 (report as skip). */
static pid_t peer_act(enum peer_kind kind, int dirfd, const char *name)
{
	struct kerr err;
	int fd = -1;

	switch (kind) {
	case PEER_HOLD_LOCK:
		return ipc_lock_take(dirfd, "daemon.lock", &fd, &err) == 0 ? getpid() : -1;
	case PEER_NOBODY_LISTEN:
		if (setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			return -1;
		return listen_on(name) >= 0 ? getpid() : -1;
	case PEER_NOBODY_CONNECT:
		if (setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			return -1;
		return connect_to(name) >= 0 ? getpid() : -1;
	case PEER_CHROOT_CONNECT:
		if (chroot(tmp_path) < 0)
			return -1;
		return connect_to(name) >= 0 ? getpid() : -1;
	case PEER_NEWPID_CONNECT:
		break;
	}
	return -1;
}

static struct peer peer_start(enum peer_kind kind, int dirfd, const char *name)
{
	struct peer p = { .pid = -1, .actor = -1, .hold = -1 };
	int ready[2], hold[2];
	pid_t got = 0;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
		abort();
	p.pid = fork();
	if (p.pid == 0) {
		char ch;
		pid_t actor;

		close(ready[0]);
		close(hold[1]);
		if (kind == PEER_NEWPID_CONNECT) {
			if (unshare(CLONE_NEWPID) < 0) {
				actor = -1;
			} else {
				int inner[2];

				if (pipe2(inner, O_CLOEXEC) < 0)
					_exit(1);
				pid_t g = fork();
				if (g == 0) {
					int s = connect_to(name);
					if (write(inner[1], "x", 1) < 0 || s < 0)
						_exit(1);
					if (read(hold[0], &ch, 1) < 0)
						_exit(1);
					_exit(0);
				}
				close(inner[1]);
				actor = g > 0 && read(inner[0], &ch, 1) == 1 ? g : -1;
				if (write(ready[1], &actor, sizeof(actor)) < 0)
					_exit(1);
				waitpid(g, NULL, 0);
				_exit(0);
			}
		} else {
			actor = peer_act(kind, dirfd, name);
		}
		if (write(ready[1], &actor, sizeof(actor)) < 0)
			_exit(1);
		if (read(hold[0], &ch, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &got, sizeof(got)) != sizeof(got))
		got = -1;
	close(ready[0]);
	p.hold = hold[1];
	p.actor = got;
	p.skipped = got <= 0;
	return p;
}

static void peer_stop(struct peer *p)
{
	if (p->hold >= 0)
		close(p->hold);
	p->hold = -1;
	if (p->pid > 0)
		waitpid(p->pid, NULL, 0);
	p->pid = -1;
}

/* Accepts one connection within 2 s. */
static int accept_one(int lfd)
{
	struct pollfd pf = { .fd = lfd, .events = POLLIN };
	struct kerr err;
	int cfd = -1;

	if (poll(&pf, 1, 2000) != 1)
		return -1;
	return ipc_accept(lfd, &cfd, &err) == 1 ? cfd : -1;
}

TEST(lock_contention_names_holder)
{
	struct kerr err;
	pid_t holder = -1;
	int dirfd = tmp_dir();
	int fd = -1;
	char text[32];

	ASSERT(dirfd >= 0);
	ASSERT_EQ(ipc_lock_probe(dirfd, "daemon.lock", &holder, &err), 0);
	struct peer p = peer_start(PEER_HOLD_LOCK, dirfd, NULL);
	ASSERT(!p.skipped);
	ASSERT_EQ(ipc_lock_take(dirfd, "daemon.lock", &fd, &err), -1);
	ASSERT_EQ(err.code, EWOULDBLOCK);
	snprintf(text, sizeof(text), "is held by pid %d", (int)p.pid);
	ASSERT_CONTAINS(err.msg, text);
	ASSERT_CONTAINS(err.msg, "`daemon.lock`");
	ASSERT_EQ(ipc_lock_probe(dirfd, "daemon.lock", &holder, &err), 1);
	ASSERT_EQ(holder, p.pid);
	peer_stop(&p);

	ASSERT_EQ(ipc_lock_probe(dirfd, "daemon.lock", &holder, &err), 0);
	ASSERT_EQ(ipc_lock_take(dirfd, "daemon.lock", &fd, &err), 0);
	/* Another open file description of our own conflicts too. */
	ASSERT_EQ(ipc_lock_probe(dirfd, "daemon.lock", &holder, &err), 1);
	ASSERT_EQ(holder, getpid());
	size_t len = 0;
	ASSERT_EQ(fd_read_small_file(dirfd, "daemon.lock", text, sizeof(text), &len, &err), 0);
	char want[32];
	snprintf(want, sizeof(want), "%d\n", (int)getpid());
	ASSERT_STREQ(text, want);
	int fl = fcntl(fd, F_GETFD);
	ASSERT(fl & FD_CLOEXEC);
	close(fd);
	close(dirfd);
}

TEST(lock_refuses_symlink)
{
	struct kerr err;
	int dirfd = tmp_dir();
	int fd = -1;

	ASSERT(dirfd >= 0);
	ASSERT_EQ(symlinkat("/tmp/elsewhere", dirfd, "shim.lock"), 0);
	ASSERT_EQ(ipc_lock_take(dirfd, "shim.lock", &fd, &err), -1);
	ASSERT_EQ(err.code, ELOOP);
	close(dirfd);
}

TEST(token_created_once_0600)
{
	char a[IPC_TOKEN_HEX + 1], b[IPC_TOKEN_HEX + 1];
	struct kerr err;
	struct stat st;
	int dirfd = tmp_dir();

	ASSERT(dirfd >= 0);
	ASSERT_EQ(ipc_token_load(dirfd, a, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	mode_t old = umask(0);
	ASSERT_EQ(ipc_token_ensure(dirfd, a, &err), 0);
	umask(old);
	ASSERT_EQ(strlen(a), IPC_TOKEN_HEX);
	ASSERT_EQ(strspn(a, "0123456789abcdef"), IPC_TOKEN_HEX);
	ASSERT_EQ(fstatat(dirfd, "auth.token", &st, AT_SYMLINK_NOFOLLOW), 0);
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT(S_ISREG(st.st_mode));
	ASSERT_EQ(count_entries(dirfd), 1); /* no temporary left behind */
	ASSERT_EQ(ipc_token_ensure(dirfd, b, &err), 0);
	ASSERT_STREQ(a, b);
	ASSERT_EQ(ipc_token_load(dirfd, b, &err), 0);
	ASSERT_STREQ(a, b);
	close(dirfd);
}

TEST(token_rejects_bad_files)
{
	char t[IPC_TOKEN_HEX + 1];
	char text[IPC_TOKEN_HEX + 8];
	struct kerr err;
	int dirfd = tmp_dir();

	ASSERT(dirfd >= 0);
	memset(text, 'a', IPC_TOKEN_HEX);
	strcpy(text + IPC_TOKEN_HEX, "\n");
	ASSERT_EQ(write_file(dirfd, "auth.token", text, 0600), 0);
	ASSERT_EQ(ipc_token_load(dirfd, t, &err), 0);

	ASSERT_EQ(fchmodat(dirfd, "auth.token", 0644, 0), 0);
	ASSERT_EQ(ipc_token_load(dirfd, t, &err), -1);
	ASSERT_CONTAINS(err.msg, "has mode 0644; it must be 0600");
	/* ensure does not paper over a bad token by making a new one */
	ASSERT_EQ(ipc_token_ensure(dirfd, t, &err), -1);
	ASSERT_CONTAINS(err.msg, "0600");
	ASSERT_EQ(fchmodat(dirfd, "auth.token", 0600, 0), 0);

	const char *bad[] = {
		"abc\n", "", /* empty */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(write_file(dirfd, "auth.token", bad[i], 0600), 0);
		ASSERT_EQ(ipc_token_load(dirfd, t, &err), -1);
		ASSERT_CONTAINS(err.msg, "malformed");
	}
	memset(text, 'a', IPC_TOKEN_HEX);
	strcpy(text + IPC_TOKEN_HEX, "\n\n");
	ASSERT_EQ(write_file(dirfd, "auth.token", text, 0600), 0);
	ASSERT_EQ(ipc_token_load(dirfd, t, &err), -1);
	ASSERT_CONTAINS(err.msg, "malformed");
	text[IPC_TOKEN_HEX] = '\0';
	text[5] = 'g';
	ASSERT_EQ(write_file(dirfd, "auth.token", text, 0600), 0);
	ASSERT_EQ(ipc_token_load(dirfd, t, &err), -1);
	ASSERT_CONTAINS(err.msg, "64 lowercase hex");
	text[5] = 'a';
	text[IPC_TOKEN_HEX - 1] = '\0'; /* 63 chars */
	ASSERT_EQ(write_file(dirfd, "auth.token", text, 0600), 0);
	ASSERT_EQ(ipc_token_load(dirfd, t, &err), -1);

	ASSERT_EQ(unlinkat(dirfd, "auth.token", 0), 0);
	ASSERT_EQ(symlinkat("/etc/passwd", dirfd, "auth.token"), 0);
	ASSERT_EQ(ipc_token_load(dirfd, t, &err), -1);
	ASSERT_CONTAINS(err.msg, "symbolic link");
	ASSERT_EQ(unlinkat(dirfd, "auth.token", 0), 0);
	ASSERT_EQ(mkdirat(dirfd, "auth.token", 0700), 0);
	ASSERT_EQ(ipc_token_load(dirfd, t, &err), -1);
	ASSERT_CONTAINS(err.msg, "not a regular file");
	ASSERT_EQ(unlinkat(dirfd, "auth.token", AT_REMOVEDIR), 0);
	ASSERT_EQ(mkfifoat(dirfd, "auth.token", 0600), 0);
	ASSERT_EQ(ipc_token_load(dirfd, t, &err), -1); /* and does not hang */
	ASSERT_CONTAINS(err.msg, "not a regular file");
	ASSERT_EQ(unlinkat(dirfd, "auth.token", 0), 0);

	if (geteuid() == 0) {
		memset(text, 'a', IPC_TOKEN_HEX);
		text[IPC_TOKEN_HEX] = '\0';
		ASSERT_EQ(write_file(dirfd, "auth.token", text, 0600), 0);
		ASSERT_EQ(fchownat(dirfd, "auth.token", NOBODY, NOBODY, 0), 0);
		ASSERT_EQ(ipc_token_load(dirfd, t, &err), -1);
		ASSERT_CONTAINS(err.msg, "owned by uid 65534; it must be owned by uid 0");
	}
	close(dirfd);
}

TEST(read_addr_is_strict)
{
	char name[IPC_NAME_MAX];
	struct kerr err;
	pid_t pid = 0;
	int dirfd = tmp_dir();
	const char *hex = "0123456789abcdef0123456789abcdef";
	char text[256];

	ASSERT(dirfd >= 0);
	ASSERT_EQ(ipc_read_addr(dirfd, "daemon.addr", name, &pid, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	snprintf(text, sizeof(text), "kettle/%s\n4242\n", hex);
	ASSERT_EQ(write_file(dirfd, "daemon.addr", text, 0644), 0);
	ASSERT_EQ(ipc_read_addr(dirfd, "daemon.addr", name, &pid, &err), 0);
	ASSERT_EQ(pid, 4242);
	ASSERT_STREQ(name, "kettle/0123456789abcdef0123456789abcdef");

	const char *bad[] = {
		"kettle/0123456789abcdef0123456789abcdef\n4242",	  /* no final newline */
		"kettle/0123456789abcdef0123456789abcde\n4242\n",	  /* 31 hex */
		"kettle/0123456789abcdef0123456789abcdef0\n4242\n",	  /* 33 hex */
		"kettle/0123456789ABCDEF0123456789abcdef\n4242\n",	  /* uppercase */
		"kettlf/0123456789abcdef0123456789abcdef\n4242\n",	  /* prefix */
		"kettle/0123456789abcdef0123456789abcdef\n0\n",		  /* pid 0 */
		"kettle/0123456789abcdef0123456789abcdef\n-1\n",	  /* negative */
		"kettle/0123456789abcdef0123456789abcdef\n042\n",	  /* leading zero */
		"kettle/0123456789abcdef0123456789abcdef\n99999999999\n", /* > INT_MAX */
		"kettle/0123456789abcdef0123456789abcdef\n42\nx\n",	  /* trailing */
		"kettle/0123456789abcdef0123456789abcdef\n\n",		  /* empty pid */
		"",
		"\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(write_file(dirfd, "daemon.addr", bad[i], 0644), 0);
		if (ipc_read_addr(dirfd, "daemon.addr", name, &pid, &err) != -1)
			HARNESS_FAIL("accepted bad address file %zu: `%s`", i, bad[i]);
		ASSERT_CONTAINS(err.msg, "malformed");
	}
	memset(text, 'k', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	ASSERT_EQ(write_file(dirfd, "daemon.addr", text, 0644), 0);
	ASSERT_EQ(ipc_read_addr(dirfd, "daemon.addr", name, &pid, &err), -1);
	close(dirfd);
}

/* Drives one AUTH exchange between a client conn and a server conn. */
static void auth_exchange(struct ipc_conn *cli, struct ipc_conn *srv, const char *token,
			  struct kerr *err, int *result)
{
	struct wire_frame f;

	*result = -1;
	if (ipc_conn_send_auth(cli, token, err) < 0 || ipc_conn_call_flush(cli, 1000, err) < 0)
		return;
	struct pollfd pf = { .fd = srv->fd, .events = POLLIN };
	if (poll(&pf, 1, 1000) != 1)
		return;
	if (ipc_conn_recv(srv, &f, err) != 1)
		return;
	*result = ipc_check_auth_frame(&f, token, err);
}

/* The volatile variant publishes exactly like ipc_listen (no temporaries left, the newest
 * name replaces the old one, clients connect through it); only the fsyncs are skipped. */
TEST(listen_volatile_publishes_and_replaces)
{
	char name[IPC_NAME_MAX], name2[IPC_NAME_MAX], text[128], want[128];
	struct kerr err;
	int dirfd = tmp_dir();
	int lfd = -1, lfd2 = -1, fd = -1, cfd = -1;
	size_t len = 0;

	ASSERT(dirfd >= 0);
	ASSERT_EQ(ipc_listen_volatile(dirfd, "shim.addr", name, &lfd, &err), 0);
	ASSERT_EQ(ipc_listen_volatile(dirfd, "shim.addr", name2, &lfd2, &err), 0);
	ASSERT(strcmp(name, name2) != 0);
	ASSERT_EQ(fd_read_small_file(dirfd, "shim.addr", text, sizeof(text), &len, &err), 0);
	snprintf(want, sizeof(want), "%s\n%d\n", name2, (int)getpid());
	ASSERT_STREQ(text, want);
	ASSERT_EQ(count_entries(dirfd), 1); /* shim.addr only: no temporaries */
	ASSERT(fcntl(lfd2, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(ipc_connect(dirfd, "shim.addr", &fd, &err), 0);
	cfd = accept_one(lfd2);
	ASSERT(cfd >= 0);
	fd_close(lfd);
	lfd = -1;
	/* A name that cannot be recorded fails the listen and hands out no socket. */
	ASSERT_EQ(ipc_listen_volatile(dirfd, "no/such/dir.addr", name, &lfd, &err), -1);
	ASSERT_EQ(lfd, -1);
	ASSERT_CONTAINS(err.msg, "record socket address in `no/such/dir.addr`");
	fd_close(cfd);
	fd_close(fd);
	fd_close(lfd2);
	fd_close(dirfd);
}

TEST(listen_connect_auth)
{
	char name[IPC_NAME_MAX], token[IPC_TOKEN_HEX + 1], text[128], want[128];
	struct ipc_conn cli, srv;
	struct wire_frame f;
	struct kerr err;
	int dirfd = tmp_dir();
	int lfd = -1, cfd = -1, fd = -1, r = -1;
	size_t len = 0;

	ASSERT(dirfd >= 0);
	ASSERT_EQ(ipc_token_ensure(dirfd, token, &err), 0);
	ASSERT_EQ(ipc_listen(dirfd, "daemon.addr", name, &lfd, &err), 0);
	ASSERT_EQ(strlen(name), 39);
	ASSERT_EQ(strncmp(name, "kettle/", 7), 0);
	ASSERT_EQ(fd_read_small_file(dirfd, "daemon.addr", text, sizeof(text), &len, &err), 0);
	snprintf(want, sizeof(want), "%s\n%d\n", name, (int)getpid());
	ASSERT_STREQ(text, want);
	ASSERT_EQ(count_entries(dirfd), 2);	   /* auth.token, daemon.addr: no temporaries */
	ASSERT_EQ(ipc_accept(lfd, &cfd, &err), 0); /* nobody yet */
	ASSERT(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	ASSERT(fcntl(lfd, F_GETFL) & O_NONBLOCK);

	ASSERT_EQ(ipc_connect(dirfd, "daemon.addr", &fd, &err), 0);
	ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT(fcntl(fd, F_GETFL) & O_NONBLOCK);
	cfd = accept_one(lfd);
	ASSERT(cfd >= 0);
	ASSERT(fcntl(cfd, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(ipc_check_client(cfd, geteuid(), &err), 0);

	ipc_conn_init(&cli, fd);
	ipc_conn_init(&srv, cfd);
	auth_exchange(&cli, &srv, token, &err, &r);
	if (r != 0)
		HARNESS_FAIL("auth failed: %s", err.msg);
	ipc_conn_set_authed(&srv);
	ipc_conn_set_authed(&cli);
	ASSERT_EQ(ipc_conn_send_ok(&srv, 7, &err), 0);
	ASSERT_EQ(ipc_conn_call_flush(&srv, 1000, &err), 0);
	ASSERT_EQ(ipc_conn_wait_frame(&cli, &f, 1000, &err), 1);
	ASSERT_EQ(f.type, WIRE_T_OK);
	ASSERT_EQ(f.reqid, 7);

	/* The daemon goes away: the client hears ECONNREFUSED, not a hang. */
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);
	close(lfd);
	ASSERT_EQ(ipc_connect(dirfd, "daemon.addr", &fd, &err), -1);
	ASSERT_EQ(err.code, ECONNREFUSED);
	ASSERT_EQ(unlinkat(dirfd, "daemon.addr", 0), 0);
	ASSERT_EQ(ipc_connect(dirfd, "daemon.addr", &fd, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	close(dirfd);
}

TEST(squatter_learns_nothing)
{
	char name[IPC_NAME_MAX], text[128], buf[16];
	struct kerr err;
	int dirfd = tmp_dir();
	int fd = -1;

	ASSERT(dirfd >= 0);
	random_name(name);
	int sq = listen_on(name);
	ASSERT(sq >= 0);
	/* The address file records some other pid: the squatter is not that process. */
	snprintf(text, sizeof(text), "%s\n%d\n", name, (int)getppid());
	ASSERT_EQ(write_file(dirfd, "daemon.addr", text, 0644), 0);
	int before = count_fds();
	ASSERT_EQ(ipc_connect(dirfd, "daemon.addr", &fd, &err), -1);
	ASSERT_EQ(count_fds(), before);
	ASSERT_CONTAINS(err.msg, "refusing to talk to it");
	snprintf(text, sizeof(text), "server at @%s is pid %d", name, (int)getpid());
	ASSERT_CONTAINS(err.msg, text);
	snprintf(text, sizeof(text), "expected pid %d", (int)getppid());
	ASSERT_CONTAINS(err.msg, text);
	int c = accept4(sq, NULL, NULL, SOCK_CLOEXEC);
	ASSERT(c >= 0);
	ASSERT_EQ(read(c, buf, sizeof(buf)), 0); /* EOF, and not one byte */
	close(c);
	close(sq);
	close(dirfd);
}

TEST(check_server_pid_and_uid)
{
	int sv[2];
	struct kerr err;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ASSERT_EQ(ipc_check_server(sv[0], getpid(), &err), 0);
	ASSERT_EQ(ipc_check_server(sv[0], getpid() + 1, &err), -1);
	ASSERT_EQ(err.code, EACCES);
	ASSERT_CONTAINS(err.msg, "refusing to talk to it");
	close(sv[0]);
	close(sv[1]);

	if (geteuid() != 0)
		return; /* only root can make a server of another uid */
	char name[IPC_NAME_MAX], text[128];
	int dirfd = tmp_dir();
	int fd = -1;
	ASSERT(dirfd >= 0);
	random_name(name);
	struct peer p = peer_start(PEER_NOBODY_LISTEN, dirfd, name);
	ASSERT(!p.skipped);
	snprintf(text, sizeof(text), "%s\n%d\n", name, (int)p.pid);
	ASSERT_EQ(write_file(dirfd, "daemon.addr", text, 0644), 0);
	ASSERT_EQ(ipc_connect(dirfd, "daemon.addr", &fd, &err), -1);
	peer_stop(&p);
	ASSERT_CONTAINS(err.msg, "uid 65534");
	ASSERT_CONTAINS(err.msg, "refusing to talk to it");
	close(dirfd);
}

TEST(check_client_uid)
{
	struct kerr err;
	char want[128];

	if (geteuid() != 0) {
		int sv[2];

		ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		ASSERT_EQ(ipc_check_client(sv[0], geteuid(), &err), 0);
		ASSERT_EQ(ipc_check_client(sv[0], geteuid() + 1, &err), -1);
		snprintf(want, sizeof(want), "peer uid %u is not allowed (0 or %u)",
			 (unsigned)geteuid(), (unsigned)geteuid() + 1);
		ASSERT_CONTAINS(err.msg, want);
		close(sv[0]);
		close(sv[1]);
		return;
	}
	char name[IPC_NAME_MAX];
	int dirfd = tmp_dir(), lfd = -1;
	ASSERT(dirfd >= 0);
	ASSERT_EQ(ipc_listen(dirfd, "daemon.addr", name, &lfd, &err), 0);
	struct peer p = peer_start(PEER_NOBODY_CONNECT, dirfd, name);
	ASSERT(!p.skipped);
	int cfd = accept_one(lfd);
	ASSERT(cfd >= 0);
	ASSERT_EQ(ipc_check_client(cfd, 0, &err), -1);
	ASSERT_CONTAINS(err.msg, "peer uid 65534 is not allowed (0 or 0)");
	ASSERT_EQ(ipc_check_client(cfd, NOBODY, &err), 0);
	peer_stop(&p);
	close(cfd);
	close(lfd);
	close(dirfd);
}

/* Root only: a peer from another pid namespace, and one with another root directory. */
TEST(check_client_namespace_and_root)
{
	struct kerr err;
	char name[IPC_NAME_MAX], want[128];

	if (geteuid() != 0)
		return;
	int dirfd = tmp_dir(), lfd = -1;
	ASSERT(dirfd >= 0);
	ASSERT_EQ(ipc_listen(dirfd, "daemon.addr", name, &lfd, &err), 0);

	struct peer p = peer_start(PEER_NEWPID_CONNECT, dirfd, name);
	if (p.skipped) {
		fprintf(stderr, "  skip: cannot unshare a pid namespace here\n");
	} else {
		int cfd = accept_one(lfd);
		ASSERT(cfd >= 0);
		ASSERT_EQ(ipc_check_client(cfd, 0, &err), -1);
		ASSERT_CONTAINS(err.msg, "is in another pid namespace");
		close(cfd);
	}
	peer_stop(&p);

	p = peer_start(PEER_CHROOT_CONNECT, dirfd, name);
	if (p.skipped) {
		fprintf(stderr, "  skip: cannot chroot here\n");
	} else {
		int cfd = accept_one(lfd);
		ASSERT(cfd >= 0);
		ASSERT_EQ(ipc_check_client(cfd, 0, &err), -1);
		snprintf(want, sizeof(want), "peer pid %d has another root directory",
			 (int)p.actor);
		ASSERT_CONTAINS(err.msg, want);
		close(cfd);
	}
	peer_stop(&p);
	close(lfd);
	close(dirfd);
}

/* Encodes then decodes one frame into f (backed by b). */
static int make_frame(struct buf *b, uint16_t type, const void *tok, size_t toklen,
		      struct wire_frame *f)
{
	struct wire_enc e;
	struct kerr err;
	size_t used = 0;

	buf_init(b, 4096);
	wire_enc_begin(&e, b, type, 1, 0);
	if (tok)
		wire_enc_bytes(&e, WIRE_F_TOKEN, tok, toklen);
	if (wire_enc_end(&e, &err) < 0)
		return -1;
	return wire_decode(b->data, b->len, WIRE_AUTH_FRAME_MAX, f, &used, &err);
}

TEST(auth_frame_checks)
{
	char token[IPC_TOKEN_HEX + 1], other[IPC_TOKEN_HEX + 1];
	struct wire_frame f;
	struct kerr err;
	struct buf b;

	memset(token, 'a', IPC_TOKEN_HEX);
	token[IPC_TOKEN_HEX] = '\0';
	memcpy(other, token, sizeof(token));
	other[IPC_TOKEN_HEX - 1] = 'b';

	ASSERT_EQ(make_frame(&b, WIRE_T_AUTH, token, IPC_TOKEN_HEX, &f), 1);
	ASSERT_EQ(ipc_check_auth_frame(&f, token, &err), 0);
	ASSERT_EQ(ipc_check_auth_frame(&f, other, &err), -1);
	ASSERT_STREQ(err.msg, "wrong auth token");
	ASSERT_EQ(err.code, EACCES);
	buf_done(&b);

	ASSERT_EQ(make_frame(&b, WIRE_T_AUTH, token, IPC_TOKEN_HEX - 1, &f), 1);
	ASSERT_EQ(ipc_check_auth_frame(&f, token, &err), -1);
	ASSERT_CONTAINS(err.msg, "63 bytes; it must be 64");
	buf_done(&b);

	ASSERT_EQ(make_frame(&b, WIRE_T_AUTH, NULL, 0, &f), 1);
	ASSERT_EQ(ipc_check_auth_frame(&f, token, &err), -1);
	ASSERT_CONTAINS(err.msg, "no TOKEN");
	buf_done(&b);

	ASSERT_EQ(make_frame(&b, WIRE_T_LIST, token, IPC_TOKEN_HEX, &f), 1);
	ASSERT_EQ(ipc_check_auth_frame(&f, token, &err), -1);
	ASSERT_CONTAINS(err.msg, "first frame must be AUTH");
	buf_done(&b);
}

TEST(auth_wrong_token_over_socket)
{
	char token[IPC_TOKEN_HEX + 1], other[IPC_TOKEN_HEX + 1];
	struct ipc_conn cli, srv;
	struct kerr err;
	int r = 0;

	memset(token, '1', IPC_TOKEN_HEX);
	token[IPC_TOKEN_HEX] = '\0';
	memset(other, '2', IPC_TOKEN_HEX);
	other[IPC_TOKEN_HEX] = '\0';
	conn_pair(&cli, &srv);
	auth_exchange(&cli, &srv, token, &err, &r);
	ASSERT_EQ(r, 0);
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);

	conn_pair(&cli, &srv);
	ASSERT_EQ(ipc_conn_send_auth(&cli, other, &err), 0);
	ASSERT_EQ(ipc_conn_call_flush(&cli, 1000, &err), 0);
	struct wire_frame f;
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 1);
	ASSERT_EQ(ipc_check_auth_frame(&f, token, &err), -1);
	ASSERT_STREQ(err.msg, "wrong auth token");
	/* The one error frame an unauthenticated peer gets fits its small limit. */
	ASSERT_EQ(ipc_conn_send_error(&srv, f.reqid, 125, err.msg, &err), 0);
	ASSERT_EQ(ipc_conn_call_flush(&srv, 1000, &err), 0);
	ASSERT_EQ(ipc_conn_wait_frame(&cli, &f, 1000, &err), 1);
	ASSERT_EQ(f.type, WIRE_T_ERROR);
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);
}

TEST(passed_fd_kinds)
{
	struct kerr err;
	int p[2];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	ASSERT_EQ(ipc_check_passed_fd(p[0], &err), 0);
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_EQ(ipc_check_passed_fd(nul, &err), 0);
	int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_EQ(ipc_check_passed_fd(dir, &err), -1);
	ASSERT_STREQ(err.msg, "passed descriptor is a directory; only pipes, sockets, character "
			      "devices and regular files are accepted");
	int path = open("/dev/null", O_PATH | O_CLOEXEC);
	ASSERT_EQ(ipc_check_passed_fd(path, &err), -1);
	ASSERT_CONTAINS(err.msg, "O_PATH");
	close(p[0]);
	close(p[1]);
	close(nul);
	close(dir);
	close(path);
}

static void cleanup(void)
{
	if (tmp_path[0])
		nftw(tmp_path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	srand((unsigned)getpid());
	atexit(cleanup);
}

RUN_TESTS(T(lock_contention_names_holder), T(lock_refuses_symlink), T(token_created_once_0600),
	  T(token_rejects_bad_files), T(read_addr_is_strict),
	  T(listen_volatile_publishes_and_replaces), T(listen_connect_auth),
	  T(squatter_learns_nothing), T(check_server_pid_and_uid), T(check_client_uid),
	  T(check_client_namespace_and_root), T(auth_frame_checks), T(auth_wrong_token_over_socket),
	  T(passed_fd_kinds))
