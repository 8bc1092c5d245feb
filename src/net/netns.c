/*
 * netns: a container's persistent network namespace, a file in its directory (mechanism,
 * src/net).
 *
 * The helper is a child that only makes raw system calls (setns, socket, sendmsg, read,
 * _exit) and dies with its parent (PR_SET_PDEATHSIG). It holds the namespace until the
 * parent closes its end of their socket pair, which happens after the bind mount, so
 * /proc/PID/ns/net is always there to be mounted. The parent then reaps it at once: its
 * read returns 0 and it exits, so that wait is a few microseconds, never open-ended.
 * Paths under the container directory are reached as /proc/self/fd/DIRFD/NAME, never by
 * joining strings the user gave. Never logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fd.h"
#include "net/netns.h"

#define NSFS_MAGIC_VALUE 0x6e736673 /* NSFS_MAGIC of linux/magic.h */

/* The helper's side: never returns. */
static void helper_child(int nsfd, int proto, int sp_child, int sp_parent)
{
	int s;
	char c;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };

	close(sp_parent);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
		_exit(1);
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (s < 0)
		_exit(2);
	memset(cbuf, 0, sizeof(cbuf));
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &s, sizeof(int));
	c = 'S';
	if (sendmsg(sp_child, &mh, MSG_NOSIGNAL) != 1)
		_exit(3);
	/* Hold the namespace until the parent has mounted it and closed its end. */
	while (read(sp_child, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Waits (bounded) for the helper's socket on sp. */
static int recv_socket(int sp, int *sock, struct kerr *err)
{
	char c;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct pollfd pfd = { .fd = sp, .events = POLLIN };
	int r;

	do
		r = poll(&pfd, 1, NETNS_HELPER_MS);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return kerr_set(err, errno, "wait for the namespace helper");
	if (r == 0)
		return kerr_set(err, ETIMEDOUT, "the namespace helper did not answer within %d ms",
				NETNS_HELPER_MS);
	ssize_t n = recvmsg(sp, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return kerr_set(err, errno, "read from the namespace helper");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (n != 1 || (mh.msg_flags & MSG_CTRUNC) || !cm || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int))) {
		/* Anything passed along with a bad message is closed, never kept. */
		for (; cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
			    cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
				fd_close(fd);
			}
		return kerr_set(err, EPROTO,
				"the namespace helper failed before it made a netlink socket");
	}
	memcpy(sock, CMSG_DATA(cm), sizeof(int));
	return 0;
}

static void reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
		;
}

/* Starts a helper in nsfd's namespace (a new one when nsfd < 0); *sp is our end. */
static int helper_start(int nsfd, int proto, pid_t *pid, int *sp, struct kerr *err)
{
	int p[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0)
		return kerr_set(err, errno, "socketpair for the namespace helper");
	/* A raw clone: CLONE_NEWNET puts the child in a fresh namespace from its birth. */
	long r = nsfd < 0 ? syscall(SYS_clone, (unsigned long)(CLONE_NEWNET | SIGCHLD), 0, 0, 0, 0)
			  : (long)fork();
	if (r < 0) {
		int e = errno;

		fd_close(p[0]);
		fd_close(p[1]);
		return kerr_set(err, e, "start the namespace helper");
	}
	if (r == 0)
		helper_child(nsfd, proto, p[1], p[0]);
	fd_close(p[1]);
	*pid = (pid_t)r;
	*sp = p[0];
	return 0;
}

int netns_create(int dirfd, const char *name, int proto, int *nsfd, int *sock, struct kerr *err)
{
	char target[64], source[64];
	pid_t pid;
	int sp, rc = 0;

	_cleanup_close_ int file =
		openat(dirfd, name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
	if (file < 0)
		return kerr_set(err, errno, "create `%s`", name);
	file = fd_close(file);
	snprintf(target, sizeof(target), "/proc/self/fd/%d/%s", dirfd, name);
	if (helper_start(-1, proto, &pid, &sp, err) < 0) {
		(void)unlinkat(dirfd, name, 0);
		return kerr_wrap(err, "create a network namespace");
	}
	_cleanup_close_ int s = -1;
	rc = recv_socket(sp, &s, err);
	snprintf(source, sizeof(source), "/proc/%d/ns/net", (int)pid);
	if (rc == 0 && mount(source, target, NULL, MS_BIND, NULL) < 0)
		rc = kerr_set(err, errno, "bind-mount the namespace on `%s`", name);
	fd_close(sp); /* the helper may go now */
	reap(pid);
	if (rc < 0) {
		(void)unlinkat(dirfd, name, 0);
		return kerr_wrap(err, "create a network namespace");
	}
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = kerr_set(err, errno, "open `%s`", name);
		(void)netns_remove(dirfd, name, &(struct kerr){ 0 });
		return rc;
	}
	*nsfd = fd;
	*sock = take_fd(&s);
	return 0;
}

int netns_open(int dirfd, const char *name, int *nsfd, struct kerr *err)
{
	struct statfs sf;
	_cleanup_close_ int fd =
		openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return kerr_set(err, errno, "open `%s`", name);
	if (fstatfs(fd, &sf) < 0)
		return kerr_set(err, errno, "statfs `%s`", name);
	if ((unsigned long)sf.f_type != NSFS_MAGIC_VALUE)
		return 0;
	*nsfd = take_fd(&fd);
	return 1;
}

int netns_socket(int nsfd, int proto, int *sock, struct kerr *err)
{
	pid_t pid;
	int sp;

	if (helper_start(nsfd, proto, &pid, &sp, err) < 0)
		return kerr_wrap(err, "enter a network namespace");
	int rc = recv_socket(sp, sock, err);
	fd_close(sp);
	reap(pid);
	return rc < 0 ? kerr_wrap(err, "enter a network namespace") : 0;
}

int netns_remove(int dirfd, const char *name, struct kerr *err)
{
	char target[64];

	snprintf(target, sizeof(target), "/proc/self/fd/%d/%s", dirfd, name);
	/* Detached: a process still inside keeps the namespace, not the file. */
	if (umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return kerr_set(err, errno, "unmount `%s`", name);
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return kerr_set(err, errno, "remove `%s`", name);
	return 0;
}
