/*
 * console: console sockets and pty masters (mechanism, rank 50), moved here from kettle's
 * shim (shim_tty.c) so the containerd shim v2 takes terminals the same way.
 * runc allocates a container's terminal itself and hands the pty master to whoever listens
 * on --console-socket: it connects, sends the slave's name and the master as one
 * SCM_RIGHTS descriptor. Each terminal-bearing runtime call gets its own listener on a
 * fresh unguessable abstract name ("@kettle-console/<hex>"), only a rendezvous: a
 * connection counts only from the runtime process spawned for that call (SO_PEERCRED),
 * the descriptor only when it is a character device. Collection never blocks: runc sends
 * the master before its create/exec returns. Never logs: refusals go back to the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "base/fd.h"
#include "supervise/console.h"

#define CONSOLE_PREFIX	   "kettle-console/"
#define CONSOLE_RANDOM	   16  /* random bytes in a console socket's name */
#define CONSOLE_ACCEPT_MAX 8   /* connections looked at per collection */
#define CONSOLE_DATA_MAX   256 /* the slave's name runc sends with the master */

void console_init(struct console *c)
{
	*c = (struct console){ .lfd = -1 };
}

static int random_hex(char *out, size_t nbytes, struct kerr *err)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[CONSOLE_RANDOM];
	size_t got = 0;
	_cleanup_close_ int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (nbytes > sizeof(raw))
		return kerr_set(err, 0, "console name: %zu random bytes asked, at most %zu", nbytes,
				sizeof(raw));
	if (fd < 0)
		return kerr_set(err, errno, "open /dev/urandom");
	if (fd_read_full(fd, raw, nbytes, &got, err) < 0)
		return -1;
	if (got != nbytes)
		return kerr_set(err, EIO, "short read from /dev/urandom");
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

int console_listen(struct console *c, struct kerr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char rnd[2 * CONSOLE_RANDOM + 1];

	console_close(c);
	if (random_hex(rnd, CONSOLE_RANDOM, err) < 0)
		return kerr_wrap(err, "console socket");
	snprintf(c->name, sizeof(c->name), "%s%s", CONSOLE_PREFIX, rnd);
	snprintf(c->arg, sizeof(c->arg), "@%s", c->name);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return kerr_set(err, errno, "console socket");
	/* Abstract: sun_path[0] stays NUL, the name follows without a terminator. */
	size_t n = strlen(c->name);
	memcpy(sa.sun_path + 1, c->name, n);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	if (bind(fd, (struct sockaddr *)&sa, len) < 0)
		return kerr_set(err, errno, "bind console socket `@%s`", c->name);
	if (listen(fd, CONSOLE_ACCEPT_MAX) < 0)
		return kerr_set(err, errno, "listen on console socket `@%s`", c->name);
	c->lfd = take_fd(&fd);
	return 0;
}

const char *console_arg(const struct console *c)
{
	return c->lfd >= 0 ? c->arg : NULL;
}

/* Receives the master from one accepted connection. 1 with *master, 0 when the peer sent
 * nothing usable (logged), -1 on error. */
static int receive_master(int cfd, int *master, struct kerr *refused, struct kerr *err)
{
	union {
		struct cmsghdr align; /* CMSG_* need cmsghdr alignment */
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	char data[CONSOLE_DATA_MAX];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	int fds[4];
	size_t nfds = 0;
	ssize_t n;

	do
		n = recvmsg(cfd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n < 0)
		return kerr_set(err, errno, "receive the terminal from the runtime");
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && nfds < 4; i++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}
	bool ok = nfds == 1 && !(msg.msg_flags & MSG_CTRUNC);
	struct stat st;
	if (ok && (fstat(fds[0], &st) < 0 || !S_ISCHR(st.st_mode)))
		ok = false;
	if (!ok) {
		for (size_t i = 0; i < nfds; i++)
			fd_close(fds[i]);
		kerr_set(refused, 0,
			 "console socket: the runtime sent %zu descriptors%s, expected one pty "
			 "master",
			 nfds, (msg.msg_flags & MSG_CTRUNC) ? " (truncated)" : "");
		return 0;
	}
	if (fd_set_nonblock(fds[0], true, err) < 0) {
		fd_close(fds[0]);
		return -1;
	}
	*master = fds[0];
	return 1;
}

int console_receive(struct console *c, pid_t runtime_pid, int *master, struct kerr *refused,
		    struct kerr *err)
{
	kerr_clear(refused);
	if (c->lfd < 0)
		return 0;
	for (int i = 0; i < CONSOLE_ACCEPT_MAX; i++) {
		struct ucred cred = { 0 };
		socklen_t clen = sizeof(cred);
		_cleanup_close_ int cfd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (cfd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				return 0;
			return kerr_set(err, errno, "accept on console socket `@%s`", c->name);
		}
		/* The name is public in /proc/net/unix: only the runtime we started counts. */
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
		    cred.pid != runtime_pid) {
			kerr_set(refused, 0,
				 "console socket `@%s`: connection from pid %d, expected the "
				 "runtime (pid %d), closing it",
				 c->name, (int)cred.pid, (int)runtime_pid);
			continue;
		}
		int r = receive_master(cfd, master, refused, err);
		if (r != 0)
			return r;
	}
	return 0;
}

int console_send(const char *socket_name, int master, const char *slave_name, struct kerr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(socket_name);
	union {
		struct cmsghdr align; /* CMSG_* need cmsghdr alignment */
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)slave_name, .iov_len = strlen(slave_name) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};

	if (n == 0 || n >= sizeof(sa.sun_path))
		return kerr_set(err, ENAMETOOLONG, "console socket `%s`", socket_name);
	memcpy(sa.sun_path, socket_name, n);
	if (socket_name[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: the name follows the NUL, unterminated */
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
				    (socket_name[0] == '@' ? 0 : 1));
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kerr_set(err, errno, "console socket");
	if (connect(fd, (struct sockaddr *)&sa, len) < 0)
		return kerr_set(err, errno, "connect to console socket `%s`", socket_name);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		return kerr_set(err, errno, "send the terminal to `%s`", socket_name);
	return 0;
}

void console_close(struct console *c)
{
	c->lfd = fd_close(c->lfd);
}

int console_resize(int master, uint32_t rows, uint32_t cols, struct kerr *err)
{
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };

	if (rows == 0 || cols == 0 || rows > CONSOLE_DIM_MAX || cols > CONSOLE_DIM_MAX)
		return kerr_set(err, 0, "terminal size %ux%u; allowed: 1..%u rows and columns",
				rows, cols, CONSOLE_DIM_MAX);
	if (master < 0)
		return 0;
	if (ioctl(master, TIOCSWINSZ, &ws) < 0)
		return kerr_set(err, errno, "set the terminal size to %ux%u", rows, cols);
	return 0;
}
