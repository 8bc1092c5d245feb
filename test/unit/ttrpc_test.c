/*
 * ttrpc_test: unit tests of TTRPC framing and connections (test layer, tests
 * src/ttrpc/ttrpc.c and src/ttrpc/ttrpc_conn.c).
 *
 * Header byte order and checks, a request as containerd sends it (metadata included)
 * decoded and re-encoded, error responses, frames that fail or outgrow the maximum, and a
 * connection over a socketpair: frames split at every byte, several in one read, an
 * oversized frame announced once and its data skipped while the next frame still
 * arrives, and a peer that closes.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "base/fd.h"
#include "ttrpc/ttrpc.h"
#include "ttrpc/ttrpc_conn.h"

static int build_request(struct buf *b, uint32_t sid, const char *method, size_t payload_n)
{
	struct pb_enc e;
	struct kerr err;
	size_t mark;

	ttrpc_frame_begin(b, &mark);
	pb_enc_init(&e, b);
	pb_enc_str(&e, 1, "containerd.task.v2.Task");
	pb_enc_str(&e, 2, method);
	pb_enc_msg_begin(&e, 3);
	for (size_t i = 0; i < payload_n; i++)
		pb_enc_u64(&e, 1, 1);
	pb_enc_msg_end(&e);
	pb_enc_i64(&e, 4, 1999993548);
	pb_enc_msg_begin(&e, 5);
	pb_enc_str(&e, 1, "containerd-namespace-ttrpc");
	pb_enc_str(&e, 2, "k8s.io");
	pb_enc_msg_end(&e);
	return ttrpc_frame_end(b, mark, sid, TTRPC_T_REQUEST, &e, &err);
}

TEST(header_is_big_endian)
{
	uint8_t p[TTRPC_HDR_LEN];
	struct ttrpc_hdr h = { .len = 0x01020304, .sid = 0x0a0b0c0d, .type = 2, .flags = 7 }, g;

	ttrpc_hdr_put(p, &h);
	ASSERT_EQ(p[0], 1);
	ASSERT_EQ(p[3], 4);
	ASSERT_EQ(p[4], 0x0a);
	ASSERT_EQ(p[8], 2);
	ASSERT_EQ(p[9], 7);
	ttrpc_hdr_get(p, &g);
	ASSERT_EQ(g.len, h.len);
	ASSERT_EQ(g.sid, h.sid);
}

TEST(header_checks)
{
	struct kerr err;
	struct ttrpc_hdr h = { .len = 0, .sid = 1, .type = 1 };

	ASSERT_EQ(ttrpc_hdr_check(&h, &err), 0);
	h.sid = 2;
	ASSERT_EQ(ttrpc_hdr_check(&h, &err), -1);
	ASSERT_CONTAINS(err.msg, "odd");
	h = (struct ttrpc_hdr){ .len = 1, .sid = 1, .type = 4 };
	ASSERT_EQ(ttrpc_hdr_check(&h, &err), -1);
	ASSERT_CONTAINS(err.msg, "message type 4");
	h = (struct ttrpc_hdr){ .len = TTRPC_MSG_MAX + 1, .sid = 1, .type = 1 };
	ASSERT_EQ(ttrpc_hdr_check(&h, &err), -1);
	ASSERT_EQ(err.code, EMSGSIZE);
	ASSERT_CONTAINS(err.msg, "exceeds the maximum 4194304");
	h.len = TTRPC_MSG_MAX;
	ASSERT_EQ(ttrpc_hdr_check(&h, &err), 0);
}

TEST(request_round_trip)
{
	struct buf b;
	struct kerr err;
	struct ttrpc_hdr h;
	struct ttrpc_request r;

	buf_init(&b, 1 << 20);
	ASSERT_EQ(build_request(&b, 13, "State", 2), 0);
	ttrpc_hdr_get(b.data, &h);
	ASSERT_EQ(h.len, b.len - TTRPC_HDR_LEN);
	ASSERT_EQ(h.sid, 13);
	ASSERT_EQ(h.type, TTRPC_T_REQUEST);
	ASSERT_EQ(ttrpc_request_decode(b.data + TTRPC_HDR_LEN, h.len, &r, &err), 0);
	ASSERT(pb_bytes_eq(r.service, "containerd.task.v2.Task"));
	ASSERT(pb_bytes_eq(r.method, "State"));
	ASSERT_EQ(r.payload.n, 4);
	ASSERT_EQ(r.timeout_ns, 1999993548);
	ASSERT_EQ(r.nmd, 1);
	ASSERT(pb_bytes_eq(ttrpc_request_md(&r, "containerd-namespace-ttrpc"), "k8s.io"));
	ASSERT_EQ(ttrpc_request_md(&r, "other").n, 0);
	/* No method: refused. */
	ASSERT_EQ(ttrpc_request_decode((const uint8_t *)"\x0a\x01x", 3, &r, &err), -1);
	ASSERT_CONTAINS(err.msg, "no service or method");
	buf_done(&b);
}

TEST(error_response_and_decode)
{
	struct buf b;
	struct kerr err;
	struct ttrpc_hdr h;
	struct ttrpc_response r;

	buf_init(&b, 4096);
	ASSERT_EQ(ttrpc_put_error(&b, 31, TTRPC_NOT_FOUND, "process already finished", &err), 0);
	ttrpc_hdr_get(b.data, &h);
	ASSERT_EQ(h.type, TTRPC_T_RESPONSE);
	ASSERT_EQ(h.sid, 31);
	ASSERT_EQ(ttrpc_response_decode(b.data + TTRPC_HDR_LEN, h.len, &r, &err), 0);
	ASSERT_EQ(r.code, TTRPC_NOT_FOUND);
	ASSERT(pb_bytes_eq(r.message, "process already finished"));
	ASSERT_EQ(r.payload.n, 0);
	ASSERT_STREQ(ttrpc_code_name(TTRPC_UNIMPLEMENTED), "Unimplemented");
	ASSERT_STREQ(ttrpc_code_name(99), "Unknown");
	buf_done(&b);
}

TEST(failed_frame_leaves_buffer_as_it_was)
{
	struct buf b;
	struct kerr err;
	struct pb_enc e;
	size_t mark;

	buf_init(&b, 64);
	ASSERT_EQ(buf_append(&b, "keep", 4, &err), 0);
	ttrpc_frame_begin(&b, &mark);
	pb_enc_init(&e, &b);
	pb_enc_str(&e, 1, "this string does not fit the sixty-four bytes the buffer may hold");
	ASSERT_EQ(ttrpc_frame_end(&b, mark, 1, TTRPC_T_RESPONSE, &e, &err), -1);
	ASSERT_EQ(b.len, 4);
	buf_done(&b);
}

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
}

TEST(conn_frames_split_at_every_byte)
{
	struct buf b;
	struct kerr err;
	int sv[2];

	buf_init(&b, 1 << 20);
	ASSERT_EQ(build_request(&b, 1, "Create", 3), 0);
	ASSERT_EQ(build_request(&b, 3, "Wait", 1), 0);
	for (size_t cut = 1; cut < b.len; cut++) {
		struct ttrpc_conn c;
		struct ttrpc_hdr h;
		const uint8_t *data;
		int frames = 0;

		pair(sv);
		ttrpc_conn_init(&c, sv[0]);
		ASSERT_EQ(write(sv[1], b.data, cut), (ssize_t)cut);
		ASSERT_EQ(ttrpc_conn_read(&c, &err), 1);
		while (ttrpc_conn_next(&c, &h, &data, &err) == TTRPC_CONN_FRAME)
			frames++;
		ASSERT_EQ(write(sv[1], b.data + cut, b.len - cut), (ssize_t)(b.len - cut));
		ASSERT_EQ(ttrpc_conn_read(&c, &err), 1);
		while (ttrpc_conn_next(&c, &h, &data, &err) == TTRPC_CONN_FRAME) {
			struct ttrpc_request r;

			ASSERT_EQ(ttrpc_request_decode(data, h.len, &r, &err), 0);
			frames++;
			ASSERT(pb_bytes_eq(r.method, frames == 1 ? "Create" : "Wait"));
		}
		ASSERT_EQ(frames, 2);
		ASSERT_EQ(c.rx.len, 0);
		ttrpc_conn_done(&c);
		fd_close(sv[1]);
	}
	buf_done(&b);
}

TEST(conn_oversize_skipped_then_next_frame)
{
	struct buf b;
	struct kerr err;
	struct ttrpc_conn c;
	struct ttrpc_hdr h = { .len = TTRPC_MSG_MAX + 100, .sid = 5, .type = 1 };
	const uint8_t *data;
	uint8_t hdr[TTRPC_HDR_LEN];
	static uint8_t junk[64 * 1024];
	size_t sent = 0;
	int sv[2], oversize = 0, frames = 0;

	pair(sv);
	ttrpc_conn_init(&c, sv[0]);
	ttrpc_hdr_put(hdr, &h);
	ASSERT_EQ(write(sv[1], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	buf_init(&b, 1 << 20);
	ASSERT_EQ(build_request(&b, 7, "Connect", 0), 0);
	/* Interleave: the peer writes the junk and then a good frame, we read as we go. */
	while (sent < h.len || b.len) {
		if (sent < h.len) {
			size_t n = h.len - sent < sizeof(junk) ? h.len - sent : sizeof(junk);
			ssize_t w = write(sv[1], junk, n);
			if (w > 0)
				sent += (size_t)w;
		} else {
			ssize_t w = write(sv[1], b.data, b.len);
			if (w > 0)
				buf_consume(&b, (size_t)w);
		}
		while (ttrpc_conn_read(&c, &err) == 1) {
			enum ttrpc_conn_result r;

			while ((r = ttrpc_conn_next(&c, &h, &data, &err)) != TTRPC_CONN_MORE) {
				ASSERT(r != TTRPC_CONN_ERROR);
				if (r == TTRPC_CONN_OVERSIZE) {
					ASSERT_EQ(h.sid, 5);
					oversize++;
				} else {
					ASSERT_EQ(h.sid, 7);
					frames++;
				}
			}
		}
		/* Never more than one frame's worth buffered. */
		ASSERT(c.rx.cap <= 64 * 1024);
	}
	while (ttrpc_conn_read(&c, &err) == 1)
		while (ttrpc_conn_next(&c, &h, &data, &err) == TTRPC_CONN_FRAME)
			frames++;
	ASSERT_EQ(oversize, 1);
	ASSERT_EQ(frames, 1);
	fd_close(sv[1]);
	ASSERT_EQ(ttrpc_conn_read(&c, &err), 0);
	ASSERT(c.eof);
	ttrpc_conn_done(&c);
	buf_done(&b);
}

TEST(conn_bad_type_is_an_error_and_flush_to_gone_peer)
{
	struct kerr err;
	struct ttrpc_conn c;
	struct ttrpc_hdr h;
	const uint8_t *data;
	static const uint8_t bad[TTRPC_HDR_LEN] = { 0, 0, 0, 0, 0, 0, 0, 1, 9, 0 };
	size_t left;
	int sv[2];

	pair(sv);
	ttrpc_conn_init(&c, sv[0]);
	ASSERT_EQ(write(sv[1], bad, sizeof(bad)), (ssize_t)sizeof(bad));
	ASSERT_EQ(ttrpc_conn_read(&c, &err), 1);
	ASSERT_EQ(ttrpc_conn_next(&c, &h, &data, &err), TTRPC_CONN_ERROR);
	ASSERT_CONTAINS(err.msg, "message type 9");
	fd_close(sv[1]);
	ASSERT_EQ(ttrpc_put_error(&c.tx, 1, TTRPC_INTERNAL, "x", &err), 0);
	ASSERT_EQ(ttrpc_conn_flush(&c, &left, &err), -1);
	ASSERT_EQ(err.code, EPIPE);
	ttrpc_conn_trim(&c);
	ttrpc_conn_done(&c);
	ttrpc_conn_done(&c); /* safe twice */
}

RUN_TESTS(T(header_is_big_endian), T(header_checks), T(request_round_trip),
	  T(error_response_and_decode), T(failed_frame_leaves_buffer_as_it_was),
	  T(conn_frames_split_at_every_byte), T(conn_oversize_skipped_then_next_frame),
	  T(conn_bad_type_is_an_error_and_flush_to_gone_peer))
