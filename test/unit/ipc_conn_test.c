/*
 * ipc_conn_test: unit tests of ipc_conn.c (test layer).
 *
 * Frame I/O over socketpairs: fd passing and every way it can go wrong (descriptors
 * before authentication, without the flag, mid-frame, too many, of a refused kind),
 * partial frames, EOF, size limits and the ERROR frame's truncation. Every fd test counts
 * /proc/self/fd before and after, so a leaked received descriptor fails the test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "base/fd.h"
#include "ipc/ipc.h"
#include "ipc/ipc_conn.h"
#include "ipc/wire.h"

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

static void conn_pair(struct ipc_conn *a, struct ipc_conn *b)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	ipc_conn_init(a, sv[0]);
	ipc_conn_init(b, sv[1]);
}

/* Queues one frame of type with optional fds (flagged) into c. */
static int queue_frame(struct ipc_conn *c, uint16_t type, uint16_t flags, const int *fds,
		       size_t nfds, struct kerr *err)
{
	struct wire_enc e;

	if (nfds > 0 && ipc_conn_attach_fds(c, fds, nfds, err) < 0)
		return -1;
	wire_enc_begin(&e, ipc_conn_txbuf(c), type, 9, flags);
	wire_enc_str(&e, WIRE_F_MSG, "hello");
	return wire_enc_end(&e, err);
}

static void fill_text(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)('a' + i % 26);
	s[n] = '\0';
}

/* Sends a frame of type with fds through the client and expects the server to fail
 * with `want`, leaving the fd count as it was before sending. */
static void expect_fd_rejection(bool authed, uint16_t flags, const int *fds, size_t n,
				const char *want, int *ok)
{
	struct ipc_conn cli, srv;
	struct wire_frame f;
	struct kerr err;

	*ok = 0;
	conn_pair(&cli, &srv);
	if (authed)
		ipc_conn_set_authed(&srv);
	int before = count_fds();
	if (queue_frame(&cli, WIRE_T_SHIM_EXEC, flags, fds, n, &err) < 0 ||
	    ipc_conn_flush(&cli, &err) != 1) {
		fprintf(stderr, "  send: %s\n", err.msg);
		return;
	}
	int r = ipc_conn_recv(&srv, &f, &err);
	int after = count_fds();
	if (r != -1 || !strstr(err.msg, want) || after != before || srv.nfds != 0) {
		fprintf(stderr, "  r=%d msg=`%s` want `%s` fds %d -> %d\n", r, err.msg, want,
			before, after);
		return;
	}
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);
	*ok = 1;
}

/* Raw sendmsg of bytes with n copies of fd. */
static ssize_t send_raw(int sock, const void *p, size_t len, int fd, size_t n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 32)];
	} ctl;
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n > 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		for (size_t i = 0; i < n; i++)
			memcpy(CMSG_DATA(cm) + i * sizeof(int), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

/* One encoded SHIM_EXEC frame flagged with fds, in b. */
static void encode_flagged(struct buf *b)
{
	struct wire_enc e;
	struct kerr err;

	buf_init(b, 4096);
	wire_enc_begin(&e, b, WIRE_T_SHIM_EXEC, 1, WIRE_FLAG_FDS);
	wire_enc_str(&e, WIRE_F_MSG, "x");
	(void)wire_enc_end(&e, &err);
}

TEST(error_frame_truncated_to_fit)
{
	static char big[3000];
	struct ipc_conn cli, srv;
	struct wire_frame f;
	struct kerr err;
	char msg[KERR_MSG_MAX + 8];

	fill_text(big, sizeof(big) - 1);
	conn_pair(&cli, &srv);
	/* Before authentication the peer only takes WIRE_AUTH_FRAME_MAX bytes. */
	ASSERT_EQ(ipc_conn_send_error(&srv, 3, 125, big, &err), 0);
	ASSERT(srv.tx.len <= WIRE_AUTH_FRAME_MAX);
	ASSERT_EQ(ipc_conn_call_flush(&srv, 1000, &err), 0);
	ASSERT_EQ(ipc_conn_wait_frame(&cli, &f, 1000, &err), 1);
	ASSERT_EQ(f.type, WIRE_T_ERROR);
	ASSERT_EQ(wire_get_str(&f, WIRE_F_MSG, true, msg, sizeof(msg), &err), 1);
	ASSERT_EQ(strncmp(msg, big, 100), 0);
	ASSERT_CONTAINS(msg, "\xe2\x80\xa6");
	uint32_t code = 0;
	ASSERT_EQ(wire_get_u32(&f, WIRE_F_CODE, true, &code, &err), 1);
	ASSERT_EQ(code, 125);

	/* Afterwards it is cut at a kerr's size, never inside a UTF-8 sequence. */
	ipc_conn_set_authed(&srv);
	ipc_conn_set_authed(&cli);
	for (size_t i = 0; i + 2 < sizeof(big) - 1; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	ASSERT_EQ(ipc_conn_send_error(&srv, 4, 1, big, &err), 0);
	ASSERT_EQ(ipc_conn_call_flush(&srv, 1000, &err), 0);
	ASSERT_EQ(ipc_conn_wait_frame(&cli, &f, 1000, &err), 1);
	ASSERT_EQ(wire_get_str(&f, WIRE_F_MSG, true, msg, sizeof(msg), &err), 1);
	ASSERT(strlen(msg) <= KERR_MSG_MAX - 1);
	size_t n = strlen(msg);
	ASSERT_STREQ(msg + n - 3, "\xe2\x80\xa6");
	ASSERT_EQ(msg[n - 5], '\xc3');
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);
}

TEST(fd_passing_happy_path)
{
	struct ipc_conn cli, srv;
	struct wire_frame f;
	struct kerr err;
	int p[2], got[IPC_FDS_MAX];
	char ch = 0;

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	conn_pair(&cli, &srv);
	ipc_conn_set_authed(&srv);
	/* A plain frame, then one with a descriptor, then a plain one. */
	ASSERT_EQ(queue_frame(&cli, WIRE_T_INFO, 0, NULL, 0, &err), 0);
	ASSERT_EQ(ipc_conn_attach_fds(&cli, &p[1], 1, &err), -1); /* tx not empty */
	ASSERT_CONTAINS(err.msg, "flush first");
	ASSERT_EQ(ipc_conn_flush(&cli, &err), 1);
	ASSERT_EQ(queue_frame(&cli, WIRE_T_SHIM_EXEC, WIRE_FLAG_FDS, &p[1], 1, &err), 0);
	ASSERT_EQ(queue_frame(&cli, WIRE_T_INFO, 0, NULL, 0, &err), 0);
	ASSERT_EQ(ipc_conn_flush(&cli, &err), 1);
	ASSERT_EQ(cli.tx_nfds, 0);

	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 1);
	ASSERT_EQ(f.type, WIRE_T_INFO);
	ASSERT_EQ(srv.nfds, 0);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 1);
	ASSERT_EQ(f.type, WIRE_T_SHIM_EXEC);
	ASSERT_EQ(srv.nfds, 1);
	ASSERT_EQ(ipc_conn_take_fds(&srv, got, IPC_FDS_MAX), 1);
	ASSERT(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(write(got[0], "x", 1), 1);
	ASSERT_EQ(read(p[0], &ch, 1), 1);
	ASSERT_EQ(ch, 'x');
	close(got[0]);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 1);
	ASSERT_EQ(f.type, WIRE_T_INFO);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 0);

	/* Untaken descriptors are closed by the next receive. */
	ASSERT_EQ(queue_frame(&cli, WIRE_T_SHIM_EXEC, WIRE_FLAG_FDS, &p[1], 1, &err), 0);
	ASSERT_EQ(ipc_conn_flush(&cli, &err), 1);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 1);
	ASSERT_EQ(srv.nfds, 1);
	int held = srv.fds[0];
	ASSERT(fcntl(held, F_GETFD) >= 0);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 0);
	ASSERT_EQ(fcntl(held, F_GETFD), -1);
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);
	close(p[0]);
	close(p[1]);
}

TEST(directory_fd_rejected_and_closed)
{
	int ok = 0;
	int p[2];
	int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ASSERT(dir >= 0);
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	int fds[3] = { p[0], dir, p[1] };
	expect_fd_rejection(true, WIRE_FLAG_FDS, fds, 3, "passed descriptor is a directory", &ok);
	ASSERT(ok);
	close(dir);
	close(p[0]);
	close(p[1]);
}

TEST(fds_before_auth_closed)
{
	int ok = 0;
	int p[2];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	expect_fd_rejection(false, WIRE_FLAG_FDS, p, 2, "2 descriptors sent before authentication",
			    &ok);
	ASSERT(ok);
	close(p[0]);
	close(p[1]);
}

TEST(fds_without_flag_closed)
{
	int ok = 0;
	int p[2];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	expect_fd_rejection(true, 0, p, 2, "not flagged", &ok);
	ASSERT(ok);
	close(p[0]);
	close(p[1]);
}

TEST(flag_without_fds)
{
	struct ipc_conn cli, srv;
	struct wire_frame f;
	struct kerr err;

	conn_pair(&cli, &srv);
	ipc_conn_set_authed(&srv);
	ASSERT_EQ(queue_frame(&cli, WIRE_T_SHIM_EXEC, WIRE_FLAG_FDS, NULL, 0, &err), 0);
	ASSERT_EQ(ipc_conn_flush(&cli, &err), 1);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), -1);
	ASSERT_CONTAINS(err.msg, "none came");
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);
}

TEST(too_many_fds_ctrunc_all_closed)
{
	struct ipc_conn cli, srv;
	struct wire_frame f;
	struct kerr err;
	struct buf b;
	int p[2];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	conn_pair(&cli, &srv);
	ipc_conn_set_authed(&srv);
	encode_flagged(&b);
	int before = count_fds();
	ASSERT_EQ(send_raw(cli.fd, b.data, b.len, p[1], IPC_FDS_MAX + 1), (ssize_t)b.len);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), -1);
	ASSERT_CONTAINS(err.msg, "truncated");
	ASSERT_EQ(count_fds(), before);
	buf_done(&b);
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);
	close(p[0]);
	close(p[1]);
}

TEST(fds_mid_frame_closed)
{
	struct ipc_conn cli, srv;
	struct wire_frame f;
	struct kerr err;
	struct buf b;
	int p[2];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	conn_pair(&cli, &srv);
	ipc_conn_set_authed(&srv);
	encode_flagged(&b);
	int before = count_fds();
	ASSERT_EQ(send_raw(cli.fd, b.data, 5, -1, 0), 5);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 0);
	ASSERT_EQ(send_raw(cli.fd, b.data + 5, b.len - 5, p[1], 1), (ssize_t)b.len - 5);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), -1);
	ASSERT_CONTAINS(err.msg, "middle of a frame");
	ASSERT_EQ(count_fds(), before);
	buf_done(&b);
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);
	close(p[0]);
	close(p[1]);
}

TEST(partial_frames_and_silence)
{
	struct ipc_conn cli, srv;
	struct wire_frame f;
	struct kerr err;
	struct buf b;

	conn_pair(&cli, &srv);
	ipc_conn_set_authed(&srv);
	/* A silent peer: need more, again and again; the server's deadline drops it. */
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 0);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 0);
	ASSERT(!srv.eof);
	ASSERT_EQ(ipc_conn_wait_frame(&srv, &f, 30, &err), -1);
	ASSERT_EQ(err.code, ETIMEDOUT);

	encode_flagged(&b);
	buf_put_le16(b.data + 10, 0); /* no fds here */
	for (size_t i = 0; i + 1 < b.len; i++) {
		ASSERT_EQ(write(cli.fd, b.data + i, 1), 1);
		ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 0);
	}
	ASSERT_EQ(write(cli.fd, b.data + b.len - 1, 1), 1);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 1);
	ASSERT_EQ(f.type, WIRE_T_SHIM_EXEC);

	/* Two frames in one write come out one by one. */
	uint8_t two[512];
	memcpy(two, b.data, b.len);
	memcpy(two + b.len, b.data, b.len);
	ASSERT_EQ(write(cli.fd, two, 2 * b.len), (ssize_t)(2 * b.len));
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 1);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 1);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), 0);

	/* End of input in the middle of a frame. */
	ASSERT_EQ(write(cli.fd, b.data, 3), 3);
	close(cli.fd);
	cli.fd = -1;
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), -1);
	ASSERT_EQ(err.code, 0);
	ASSERT(srv.eof);
	ASSERT_CONTAINS(err.msg, "middle of a frame");
	buf_done(&b);
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);
}

TEST(clean_eof)
{
	struct ipc_conn cli, srv;
	struct wire_frame f;
	struct kerr err;

	conn_pair(&cli, &srv);
	ipc_conn_done(&cli);
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), -1);
	ASSERT_EQ(err.code, 0);
	ASSERT(srv.eof);
	ASSERT_STREQ(err.msg, "connection closed by peer");
	/* And the writer sees EPIPE, not SIGPIPE. */
	ASSERT_EQ(ipc_conn_send_ok(&srv, 1, &err), 0);
	ASSERT_EQ(ipc_conn_flush(&srv, &err), -1);
	ASSERT_EQ(err.code, EPIPE);
	ipc_conn_done(&srv);
}

TEST(oversized_header_before_auth)
{
	struct ipc_conn cli, srv;
	struct wire_frame f;
	struct kerr err;
	uint8_t hdr[WIRE_HDR_LEN];

	conn_pair(&cli, &srv);
	buf_put_le32(hdr, 1000);
	buf_put_le32(hdr + 4, 1);
	buf_put_le16(hdr + 8, WIRE_T_AUTH);
	buf_put_le16(hdr + 10, 0);
	ASSERT_EQ(write(cli.fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), -1);
	ASSERT_CONTAINS(err.msg, "exceeds limit 256");
	ASSERT(srv.rx.cap <= WIRE_AUTH_FRAME_MAX); /* nothing allocated toward it */
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);

	/* After authentication the limit is KETTLE_FRAME_MAX. */
	conn_pair(&cli, &srv);
	ipc_conn_set_authed(&srv);
	buf_put_le32(hdr, KETTLE_FRAME_MAX);
	ASSERT_EQ(write(cli.fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	ASSERT_EQ(ipc_conn_recv(&srv, &f, &err), -1);
	ASSERT_CONTAINS(err.msg, "exceeds limit");
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);
}

TEST(large_frame_roundtrip)
{
	static char data[KETTLE_FRAME_MAX - 64];
	struct ipc_conn cli, srv;
	struct wire_frame f;
	struct wire_enc e;
	struct kerr err;
	const uint8_t *p = NULL;
	size_t len = 0;

	memset(data, 'z', sizeof(data));
	conn_pair(&cli, &srv);
	ipc_conn_set_authed(&srv);
	ipc_conn_set_authed(&cli);
	wire_enc_begin(&e, ipc_conn_txbuf(&cli), WIRE_T_DATA, 5, 0);
	wire_enc_bytes(&e, WIRE_F_DATA, data, sizeof(data));
	ASSERT_EQ(wire_enc_end(&e, &err), 0);
	/* The socket buffer is smaller than the frame: interleave flush and receive. */
	int r = 0, rounds = 0;
	while (r == 0 && rounds++ < 10000) {
		ASSERT(ipc_conn_flush(&cli, &err) >= 0);
		r = ipc_conn_recv(&srv, &f, &err);
	}
	ASSERT_EQ(r, 1);
	ASSERT_EQ(wire_get_bytes(&f, WIRE_F_DATA, true, &p, &len, &err), 1);
	ASSERT_EQ(len, sizeof(data));
	ASSERT_MEMEQ(p, data, len);
	ASSERT_EQ(cli.tx.len, 0);
	ipc_conn_done(&cli);
	ipc_conn_done(&srv);
}

TEST(attach_limits)
{
	struct ipc_conn c;
	struct kerr err;
	int fds[IPC_FDS_MAX + 1] = { 0 };

	ipc_conn_init(&c, -1);
	ASSERT_EQ(ipc_conn_attach_fds(&c, fds, 0, &err), -1);
	ASSERT_EQ(ipc_conn_attach_fds(&c, fds, IPC_FDS_MAX + 1, &err), -1);
	ASSERT_CONTAINS(err.msg, "1 to 8 allowed");
	ASSERT_EQ(ipc_conn_attach_fds(&c, fds, 1, &err), 0);
	ASSERT_EQ(ipc_conn_attach_fds(&c, fds, 1, &err), -1);
	ASSERT_EQ(ipc_conn_flush(&c, &err), -1); /* fds but no frame */
	ASSERT_CONTAINS(err.msg, "no frame queued");
	ipc_conn_done(&c);
}

RUN_TESTS(T(error_frame_truncated_to_fit), T(fd_passing_happy_path),
	  T(directory_fd_rejected_and_closed), T(fds_before_auth_closed),
	  T(fds_without_flag_closed), T(flag_without_fds), T(too_many_fds_ctrunc_all_closed),
	  T(fds_mid_frame_closed), T(partial_frames_and_silence), T(clean_eof),
	  T(oversized_header_before_auth), T(large_frame_roundtrip), T(attach_limits))
