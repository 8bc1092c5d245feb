/*
 * client_relay: `kettle exec`'s stdio without a terminal (layer 3, client role, bottom band).
 *
 * No descriptor of the host reaches a container but two kinds: a pipe made here, and a
 * regular file the user redirected (`> out.txt`, `< in.tar`). Our stdin, stdout or stderr
 * when it is anything else (a terminal, a socket, a pipe of the user's shell, /dev/null)
 * is relayed through a pipe of ours: the process gets the pipe's far end, we copy between
 * it and our own descriptor (splice(2) where the kernel can, read/write otherwise), and
 * when the process ends we take what it wrote before it ended, then close our ends. A
 * process it left behind then holds only pipes whose other end is gone: EOF on stdin,
 * EPIPE on output, and never the user's terminal (the keystrokes typed afterwards) or the
 * shell's pipe. Our ends are non-blocking, so a full pipe never stops the session; our own
 * stdio is used as it is (a write to a slow terminal waits, as printing does).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/fd.h"
#include "client/client.h"
#include "ipc/ipc.h"

#define RELAY_CHUNK (64u * 1024u) /* bytes per splice or read */

static void relay_close_in(struct client_relay *r)
{
	r->in_w = fd_close(r->in_w);
	r->in_len = r->in_off = 0;
}

static void relay_close_out(struct client_relay *r, int i)
{
	r->out_r[i] = fd_close(r->out_r[i]);
	r->out_wait[i] = false;
}

void client_relay_init(struct client_relay *r)
{
	*r = (struct client_relay){ .in_w = -1, .out_r = { -1, -1, -1 }, .far = { -1, -1, -1 } };
	r->splice_in = true;
	r->splice_out[1] = r->splice_out[2] = true;
}

int client_relay_setup(struct client_relay *r, bool want_stdin, struct kerr *err)
{
	for (int i = want_stdin ? 0 : 1; i < 3; i++) {
		struct kerr why;
		int p[2];

		/* A regular file the user redirected: the process reads or writes it itself. */
		if (ipc_check_stdio_fd(i, false, &why) == 0) {
			r->far[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
			if (r->far[i] < 0)
				return kerr_set(err, errno, "duplicate our fd %d", i);
			continue;
		}
		if (pipe2(p, O_CLOEXEC) < 0)
			return kerr_set(err, errno, "create a pipe for the exec's fd %d", i);
		/* Ours non-blocking; the process's end as a process expects it, blocking. */
		if (fd_set_nonblock(i == 0 ? p[1] : p[0], true, err) < 0) {
			fd_close(p[0]);
			fd_close(p[1]);
			return -1;
		}
		if (i == 0) {
			r->in_w = p[1];
			r->far[0] = p[0];
		} else {
			r->out_r[i] = p[0];
			r->far[i] = p[1];
		}
	}
	return 0;
}

void client_relay_sent(struct client_relay *r)
{
	for (int i = 0; i < 3; i++)
		r->far[i] = fd_close(r->far[i]);
}

bool client_relay_active(const struct client_relay *r)
{
	return r->in_w >= 0 || r->out_r[1] >= 0 || r->out_r[2] >= 0;
}

int client_relay_poll(const struct client_relay *r, struct pollfd *p)
{
	int n = 0;

	if (r->in_w >= 0) {
		/* Our stdin only while the pipe takes more: else its data would wait in the
		 * terminal's queue and poll would report it again and again. */
		if (r->in_len > r->in_off || r->in_full)
			p[n++] = (struct pollfd){ .fd = r->in_w, .events = POLLOUT };
		else
			p[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	}
	for (int i = 1; i < 3; i++) {
		if (r->out_r[i] < 0)
			continue;
		if (r->out_wait[i])
			p[n++] = (struct pollfd){ .fd = i, .events = POLLOUT };
		else
			p[n++] = (struct pollfd){ .fd = r->out_r[i], .events = POLLIN };
	}
	return n;
}

/* Pending stdin bytes (read/write path) into the pipe; false while it is full. */
static bool flush_in(struct client_relay *r)
{
	while (r->in_off < r->in_len) {
		ssize_t n = write(r->in_w, r->in_buf + r->in_off, r->in_len - r->in_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n <= 0) {
			/* EPIPE: the process closed its stdin; ours is no longer wanted. */
			relay_close_in(r);
			return false;
		}
		r->in_off += (size_t)n;
	}
	r->in_off = r->in_len = 0;
	return true;
}

/* Our stdin to the process: what is there now, one chunk. */
static void pump_in(struct client_relay *r)
{
	ssize_t n = -1;

	if (!flush_in(r) || r->in_w < 0)
		return;
	r->in_full = false;
	if (r->splice_in) {
		n = splice(STDIN_FILENO, NULL, r->in_w, NULL, RELAY_CHUNK,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0)
			return;
		if (n < 0 && errno == EINVAL)
			r->splice_in = false; /* a source splice cannot read: copy instead */
	}
	if (!r->splice_in) {
		if (!r->in_buf)
			r->in_buf = malloc(RELAY_CHUNK);
		if (!r->in_buf) {
			relay_close_in(r);
			return;
		}
		n = read(STDIN_FILENO, r->in_buf, RELAY_CHUNK);
		if (n > 0) {
			r->in_len = (size_t)n;
			r->in_off = 0;
			flush_in(r);
			return;
		}
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
		struct pollfd q = { .fd = r->in_w, .events = POLLOUT };

		/* Our stdin had data (poll said so): the pipe is what is full. */
		if (poll(&q, 1, 0) == 0)
			r->in_full = true;
		return;
	}
	/* EOF (or an error) on our stdin, EPIPE from the process: its stdin ends here. */
	relay_close_in(r);
}

/* One chunk of the process's output i to our fd i. Returns bytes moved, 0 at its end. */
static ssize_t pump_out(struct client_relay *r, int i, char *buf)
{
	ssize_t n = -1;

	if (r->splice_out[i]) {
		n = splice(r->out_r[i], NULL, i, NULL, RELAY_CHUNK,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EINVAL)
			r->splice_out[i] = false; /* e.g. a terminal without splice_write */
	}
	if (!r->splice_out[i]) {
		struct kerr err;

		n = read(r->out_r[i], buf, RELAY_CHUNK);
		if (n > 0 && fd_write_full(i, buf, (size_t)n, &err) < 0) {
			relay_close_out(r, i); /* our stdout is gone: the process gets EPIPE */
			return 0;
		}
	}
	if (n > 0)
		return n;
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
		int queued = 0;

		/* Data waits in the pipe, so our own fd (non-blocking) is what refused. */
		if (ioctl(r->out_r[i], FIONREAD, &queued) == 0 && queued > 0)
			r->out_wait[i] = true;
		return -1;
	}
	/* EOF: every writer is gone. Or our side failed (EPIPE): stop taking its output. */
	relay_close_out(r, i);
	return 0;
}

void client_relay_ready(struct client_relay *r, const struct pollfd *p, int n)
{
	char *buf = NULL;

	for (int k = 0; k < n; k++) {
		if (!(p[k].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)))
			continue;
		if (p[k].fd == STDIN_FILENO || (r->in_w >= 0 && p[k].fd == r->in_w)) {
			pump_in(r);
			continue;
		}
		for (int i = 1; i < 3; i++) {
			if (r->out_r[i] < 0 || (p[k].fd != r->out_r[i] && p[k].fd != i))
				continue;
			r->out_wait[i] = false;
			if (!r->splice_out[i] && !buf && !(buf = malloc(RELAY_CHUNK)))
				break;
			pump_out(r, i, buf);
			break;
		}
	}
	free(buf);
}

void client_relay_finish(struct client_relay *r)
{
	char *buf = malloc(RELAY_CHUNK);

	relay_close_in(r);
	for (int i = 1; i < 3; i++) {
		/* What the process wrote before it ended is in the pipe now; a process it left
		 * behind may go on writing, so take at most the pipe's capacity more. */
		int cap = r->out_r[i] >= 0 ? fcntl(r->out_r[i], F_GETPIPE_SZ) : 0;
		ssize_t left = cap > 0 ? cap : 65536, got;

		if (!buf && !r->splice_out[i])
			left = 0; /* nothing to copy with: close */
		while (r->out_r[i] >= 0 && left > 0 && (got = pump_out(r, i, buf)) > 0)
			left -= got;
		relay_close_out(r, i);
	}
	free(buf);
}

void client_relay_done(struct client_relay *r)
{
	relay_close_in(r);
	for (int i = 0; i < 3; i++) {
		relay_close_out(r, i);
		r->far[i] = fd_close(r->far[i]);
	}
	free(r->in_buf);
	r->in_buf = NULL;
}
