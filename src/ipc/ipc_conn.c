/*
 * ipc_conn: non-blocking frame I/O with fd passing on one connection (mechanism M3). See
 * ipc_conn.h; finding and checking the peer is ipc.c.
 *
 * Invariants: received fds are CLOEXEC from birth (MSG_CMSG_CLOEXEC); a received fd is
 * either held in ipc_conn.fds for exactly one returned frame or closed, never leaked, and
 * all of them are closed on any error. A read never crosses the end of the frame being
 * read (header first, then exactly the announced payload), so fds that arrive always
 * belong to the frame whose first byte came with them. Nothing is allocated past the
 * announced and capped frame size. Never logs, never blocks except in the client-only
 * helpers ipc_conn_call_flush and ipc_conn_wait_frame.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "base/clock.h"
#include "base/fd.h"
#include "ipc/ipc.h"
#include "ipc/ipc_conn.h"

#define RX_SLACK	     (64u * 1024) /* rx headroom over the largest frame (bytes) */
/* Fixed part of an ERROR frame: header, MSG field header, CODE field (header + u32). */
#define ERROR_FRAME_OVERHEAD (WIRE_HDR_LEN + 6 + 6 + 4)
#define ELLIPSIS	     "\xe2\x80\xa6"

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fds[i] = fd_close(fds[i]);
}

void ipc_conn_init(struct ipc_conn *c, int fd)
{
	*c = (struct ipc_conn){
		.fd = fd,
		.max_frame = WIRE_AUTH_FRAME_MAX,
	};
	buf_init(&c->rx, KETTLE_FRAME_MAX + RX_SLACK);
	buf_init(&c->tx, IPC_TX_MAX);
	for (size_t i = 0; i < IPC_FDS_MAX; i++) {
		c->fds[i] = -1;
		c->tx_fds[i] = -1;
	}
}

static void drop_fds(struct ipc_conn *c)
{
	close_all(c->fds, c->nfds);
	c->nfds = 0;
}

void ipc_conn_done(struct ipc_conn *c)
{
	if (!c)
		return;
	drop_fds(c);
	c->fd = fd_close(c->fd);
	buf_done(&c->rx);
	buf_done(&c->tx);
	c->rx_used = 0;
	c->tx_nfds = 0;
}

void ipc_conn_set_authed(struct ipc_conn *c)
{
	c->authed = true;
	c->max_frame = KETTLE_FRAME_MAX;
}

/*
 * Takes the descriptors that came with one recvmsg. at_start: this read began at the
 * first byte of a frame. On any failure every descriptor received here is closed.
 */
static int take_received_fds(struct ipc_conn *c, struct msghdr *msg, bool at_start,
			     struct kerr *err)
{
	int got[IPC_FDS_MAX];
	size_t n = 0;
	bool odd = false, overflow = false;
	int odd_level = 0, odd_type = 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			odd = true;
			odd_level = cm->cmsg_level;
			odd_type = cm->cmsg_type;
			continue;
		}
		if (cm->cmsg_len < CMSG_LEN(0))
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (n < IPC_FDS_MAX) {
				got[n++] = fd;
			} else {
				(void)fd_close(fd);
				overflow = true;
			}
		}
	}
	int r = 0;
	if ((msg->msg_flags & MSG_CTRUNC) || overflow)
		r = kerr_set(err, 0,
			     "control data truncated: more than %d descriptors sent with one frame",
			     IPC_FDS_MAX);
	else if (odd)
		r = kerr_set(err, 0,
			     "unexpected control message (level %d, type %d); only SCM_RIGHTS is "
			     "accepted",
			     odd_level, odd_type);
	else if (n == 0)
		return 0;
	else if (!c->authed)
		r = kerr_set(err, 0, "%zu descriptors sent before authentication", n);
	else if (!at_start || c->nfds > 0)
		r = kerr_set(err, 0,
			     "descriptors arrived in the middle of a frame; they must come with "
			     "its first byte");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = ipc_check_passed_fd(got[i], err);
	if (r < 0) {
		close_all(got, n);
		return kerr_set_code(err, EPROTO);
	}
	memcpy(c->fds, got, n * sizeof(int));
	c->nfds = n;
	return 0;
}

/* One recvmsg of at most `need` bytes. Returns 1 when bytes arrived, 0 on EAGAIN, -1 on
 * error or end of input. */
static int read_some(struct ipc_conn *c, size_t need, struct kerr *err)
{
	union {
		struct cmsghdr align; /* CMSG_* need cmsghdr alignment */
		char buf[CMSG_SPACE(sizeof(int) * IPC_FDS_MAX)];
	} ctl;

	if (buf_reserve(&c->rx, need, err) < 0)
		return -1;
	struct iovec iov = { .iov_base = c->rx.data + c->rx.len, .iov_len = need };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;
	do
		n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return kerr_set(err, errno, "receive");
	}
	if (take_received_fds(c, &msg, c->rx.len == 0, err) < 0)
		return -1;
	if (n == 0) {
		c->eof = true;
		if (c->rx.len > 0)
			return kerr_set(err, 0,
					"connection closed by peer in the middle of a frame (%zu "
					"bytes of it received)",
					c->rx.len);
		return kerr_set(err, 0, "connection closed by peer");
	}
	c->rx.len += (size_t)n;
	return 1;
}

/* Pairs the held descriptors with the decoded frame, or fails. */
static int finish_frame(struct ipc_conn *c, const struct wire_frame *f, size_t used,
			struct kerr *err)
{
	bool flagged = (f->flags & WIRE_FLAG_FDS) != 0;
	uint32_t announced = 0;

	c->rx_used = used;
	if (flagged && c->nfds == 0)
		return kerr_set(err, 0, "frame %s is flagged as carrying descriptors but none came",
				wire_type_name(f->type));
	if (!flagged && c->nfds > 0)
		return kerr_set(err, 0,
				"%zu descriptors came with frame %s, which is not flagged as "
				"carrying any",
				c->nfds, wire_type_name(f->type));
	int r = wire_get_u32(f, WIRE_F_NFDS, false, &announced, err);
	if (r < 0)
		return -1;
	if (r > 0 && announced != c->nfds)
		return kerr_set(err, 0, "frame %s announces %u descriptors but %zu came",
				wire_type_name(f->type), (unsigned)announced, c->nfds);
	return 1;
}

static int recv_frame(struct ipc_conn *c, struct wire_frame *f, struct kerr *err)
{
	if (c->rx_used > 0) {
		/* The previous frame is released: its untaken fds and its bytes. */
		drop_fds(c);
		buf_consume(&c->rx, c->rx_used);
		c->rx_used = 0;
	}
	if (c->eof)
		return kerr_set(err, 0, "connection closed by peer");
	for (;;) {
		size_t used = 0;
		int r = wire_decode(c->rx.data, c->rx.len, c->max_frame, f, &used, err);
		if (r < 0)
			return kerr_set_code(err, EPROTO);
		if (r > 0)
			return finish_frame(c, f, used, err);
		/* Header first, then exactly the rest of this frame: never read into the next
		 * one, so fds that arrive belong to the frame being read. wire_decode already
		 * rejected a header announcing more than max_frame. */
		size_t need = WIRE_HDR_LEN - c->rx.len;
		if (c->rx.len >= WIRE_HDR_LEN) {
			size_t whole = WIRE_HDR_LEN + (size_t)buf_get_le32(c->rx.data);
			if (whole > c->max_frame || whole <= c->rx.len)
				return kerr_set(err, EPROTO,
						"frame length inconsistent with limit %zu",
						c->max_frame);
			need = whole - c->rx.len;
		}
		r = read_some(c, need, err);
		if (r <= 0)
			return r;
	}
}

int ipc_conn_recv(struct ipc_conn *c, struct wire_frame *f, struct kerr *err)
{
	int r = recv_frame(c, f, err);

	if (r < 0)
		drop_fds(c);
	return r;
}

size_t ipc_conn_take_fds(struct ipc_conn *c, int *fds, size_t max)
{
	size_t n = c->nfds < max ? c->nfds : max;

	memcpy(fds, c->fds, n * sizeof(int));
	memmove(c->fds, c->fds + n, (c->nfds - n) * sizeof(int));
	c->nfds -= n;
	for (size_t i = c->nfds; i < IPC_FDS_MAX; i++)
		c->fds[i] = -1;
	return n;
}

struct buf *ipc_conn_txbuf(struct ipc_conn *c)
{
	return &c->tx;
}

int ipc_conn_attach_fds(struct ipc_conn *c, const int *fds, size_t n, struct kerr *err)
{
	if (n == 0 || n > IPC_FDS_MAX)
		return kerr_set(err, EINVAL, "attach %zu descriptors: 1 to %d allowed", n,
				IPC_FDS_MAX);
	/* The fds travel with the first byte of tx, which must be the frame they go with. */
	if (c->tx.len > 0 || c->tx_nfds > 0)
		return kerr_set(err, EBUSY,
				"attach descriptors: %zu bytes and %zu descriptors are still "
				"queued; flush first",
				c->tx.len, c->tx_nfds);
	memcpy(c->tx_fds, fds, n * sizeof(int));
	c->tx_nfds = n;
	return 0;
}

int ipc_conn_flush(struct ipc_conn *c, struct kerr *err)
{
	union {
		struct cmsghdr align; /* CMSG_* need cmsghdr alignment */
		char buf[CMSG_SPACE(sizeof(int) * IPC_FDS_MAX)];
	} ctl;

	if (c->tx.len == 0 && c->tx_nfds > 0)
		return kerr_set(err, EINVAL, "%zu descriptors attached but no frame queued",
				c->tx_nfds);
	while (c->tx.len > 0) {
		struct iovec iov = { .iov_base = c->tx.data, .iov_len = c->tx.len };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

		if (c->tx_nfds > 0) {
			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.buf;
			msg.msg_controllen = CMSG_SPACE(sizeof(int) * c->tx_nfds);
			struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * c->tx_nfds);
			memcpy(CMSG_DATA(cm), c->tx_fds, sizeof(int) * c->tx_nfds);
		}
		ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return kerr_set(err, errno, "send %zu bytes", c->tx.len);
		}
		/* The kernel holds its own references now: fds went with the first chunk. */
		for (size_t i = 0; i < c->tx_nfds; i++)
			c->tx_fds[i] = -1;
		c->tx_nfds = 0;
		buf_consume(&c->tx, (size_t)n);
	}
	return 1;
}

int ipc_conn_send_auth(struct ipc_conn *c, const char *token, struct kerr *err)
{
	struct wire_enc e;

	wire_enc_begin(&e, &c->tx, WIRE_T_AUTH, 0, 0);
	wire_enc_bytes(&e, WIRE_F_TOKEN, token, strnlen(token, IPC_TOKEN_HEX));
	return wire_enc_end(&e, err) < 0 ? kerr_wrap(err, "queue AUTH frame") : 0;
}

int ipc_conn_send_ok(struct ipc_conn *c, uint32_t reqid, struct kerr *err)
{
	struct wire_enc e;

	wire_enc_begin(&e, &c->tx, WIRE_T_OK, reqid, 0);
	return wire_enc_end(&e, err) < 0 ? kerr_wrap(err, "queue OK frame") : 0;
}

int ipc_conn_send_error(struct ipc_conn *c, uint32_t reqid, uint32_t code, const char *msg,
			struct kerr *err)
{
	/* An unauthenticated peer only takes WIRE_AUTH_FRAME_MAX bytes; others a kerr. */
	size_t limit = c->authed ? KERR_MSG_MAX - 1 : WIRE_AUTH_FRAME_MAX - ERROR_FRAME_OVERHEAD;
	char text[KERR_MSG_MAX];
	size_t n = strnlen(msg, sizeof(text));
	struct wire_enc e;

	if (n > limit) {
		size_t cut = limit - (sizeof(ELLIPSIS) - 1);

		/* Never split a UTF-8 sequence: back up over continuation bytes. */
		while (cut > 0 && ((unsigned char)msg[cut] & 0xc0) == 0x80)
			cut--;
		memcpy(text, msg, cut);
		memcpy(text + cut, ELLIPSIS, sizeof(ELLIPSIS) - 1);
		n = cut + sizeof(ELLIPSIS) - 1;
	} else {
		memcpy(text, msg, n);
	}
	wire_enc_begin(&e, &c->tx, WIRE_T_ERROR, reqid, 0);
	wire_enc_bytes(&e, WIRE_F_MSG, text, n);
	wire_enc_u32(&e, WIRE_F_CODE, code);
	return wire_enc_end(&e, err) < 0 ? kerr_wrap(err, "queue ERROR frame") : 0;
}

/* Milliseconds left until deadline (UINT64_MAX: none), as a poll(2) timeout. */
static int remaining_ms(uint64_t deadline)
{
	if (deadline == UINT64_MAX)
		return -1;
	uint64_t now = clock_mono_ms();
	if (now >= deadline)
		return 0;
	uint64_t left = deadline - now;
	return left > INT_MAX ? INT_MAX : (int)left;
}

static uint64_t deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? UINT64_MAX : clock_mono_ms() + (uint64_t)timeout_ms;
}

/* Waits for events on c->fd until deadline. Returns 1 when ready, -1 on timeout/error. */
static int wait_fd(struct ipc_conn *c, short events, uint64_t deadline, int timeout_ms,
		   struct kerr *err)
{
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = events };
		int left = remaining_ms(deadline);
		if (left == 0)
			return kerr_set(err, ETIMEDOUT, "no answer within %d ms", timeout_ms);
		int r = poll(&p, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kerr_set(err, errno, "poll");
		if (r > 0)
			return 1;
	}
}

int ipc_conn_call_flush(struct ipc_conn *c, int timeout_ms, struct kerr *err)
{
	uint64_t deadline = deadline_after(timeout_ms);

	for (;;) {
		int r = ipc_conn_flush(c, err);
		if (r != 0)
			return r < 0 ? -1 : 0;
		if (wait_fd(c, POLLOUT, deadline, timeout_ms, err) < 0)
			return -1;
	}
}

/* Returns 1 with *f, or -1 with err (ETIMEDOUT when timeout_ms passed first). Queued
 * output is flushed meanwhile, so a reply to a large request cannot deadlock. */
int ipc_conn_wait_frame(struct ipc_conn *c, struct wire_frame *f, int timeout_ms, struct kerr *err)
{
	uint64_t deadline = deadline_after(timeout_ms);

	for (;;) {
		if (c->tx.len > 0 && ipc_conn_flush(c, err) < 0)
			return -1;
		int r = ipc_conn_recv(c, f, err);
		if (r != 0)
			return r;
		short events = POLLIN | (c->tx.len > 0 ? POLLOUT : 0);
		if (wait_fd(c, events, deadline, timeout_ms, err) < 0)
			return -1;
	}
}
