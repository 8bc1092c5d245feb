/*
 * fuzz_ttrpc: libFuzzer target for TTRPC framing and messages (test layer, fuzzes
 * src/ttrpc/ttrpc.c and the frame cutting of src/ttrpc/ttrpc_conn.c).
 *
 * The input is what a peer wrote on a connection: it lands in a connection's receive
 * buffer in pieces (the first byte picks the cut) and frames are cut off its front as a
 * server does. Every frame must lie inside the input and within TTRPC_MSG_MAX; an
 * oversized header must come with EMSGSIZE; every request and response body is decoded,
 * and a decoded request is encoded again (service, method, payload, timeout, metadata) and
 * must decode to the same values, or the target aborts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ttrpc/ttrpc.h"
#include "ttrpc/ttrpc_conn.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static bool same(struct pb_bytes a, struct pb_bytes b)
{
	return a.n == b.n && (!a.n || memcmp(a.p, b.p, a.n) == 0);
}

static void request(const uint8_t *data, size_t n)
{
	static struct buf b;
	static bool ready;
	struct ttrpc_request r, r2;
	struct ttrpc_hdr h;
	struct pb_enc e;
	struct kerr err;
	size_t mark;

	if (ttrpc_request_decode(data, n, &r, &err) < 0) {
		CHECK(err.msg[0]);
		return;
	}
	CHECK(r.service.n && r.method.n && r.service.n <= TTRPC_NAME_MAX &&
	      r.method.n <= TTRPC_NAME_MAX && r.nmd <= TTRPC_MD_MAX);
	(void)ttrpc_request_md(&r, "containerd-namespace-ttrpc");
	if (!ready) {
		buf_init(&b, TTRPC_HDR_LEN + TTRPC_MSG_MAX);
		ready = true;
	}
	buf_clear(&b);
	ttrpc_frame_begin(&b, &mark);
	pb_enc_init(&e, &b);
	pb_enc_bytes(&e, 1, r.service.p, r.service.n);
	pb_enc_bytes(&e, 2, r.method.p, r.method.n);
	pb_enc_bytes(&e, 3, r.payload.p, r.payload.n);
	pb_enc_i64(&e, 4, r.timeout_ns);
	for (size_t i = 0; i < r.nmd; i++) {
		pb_enc_msg_begin(&e, 5);
		pb_enc_bytes(&e, 1, r.md[i].key.p, r.md[i].key.n);
		pb_enc_bytes(&e, 2, r.md[i].val.p, r.md[i].val.n);
		pb_enc_msg_end(&e);
	}
	CHECK(ttrpc_frame_end(&b, mark, 7, TTRPC_T_REQUEST, &e, &err) == 0);
	ttrpc_hdr_get(b.data, &h);
	CHECK(h.len == b.len - TTRPC_HDR_LEN && h.sid == 7 && h.type == TTRPC_T_REQUEST);
	CHECK(ttrpc_hdr_check(&h, &err) == 0);
	CHECK(ttrpc_request_decode(b.data + TTRPC_HDR_LEN, h.len, &r2, &err) == 0);
	CHECK(same(r.service, r2.service) && same(r.method, r2.method) &&
	      same(r.payload, r2.payload) && r.timeout_ns == r2.timeout_ns && r.nmd == r2.nmd);
	for (size_t i = 0; i < r.nmd; i++)
		CHECK(same(r.md[i].key, r2.md[i].key) && same(r.md[i].val, r2.md[i].val));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ttrpc_conn c;
	struct ttrpc_hdr h;
	const uint8_t *body;
	struct kerr err;
	size_t cut = size ? (size_t)data[0] * 97 % (size + 1) : 0, fed = 0;

	ttrpc_conn_init(&c, -1);
	while (fed < size) {
		size_t n = fed < cut ? cut - fed : size - fed;
		enum ttrpc_conn_result r;

		if (!n)
			n = size - fed;
		/* What ttrpc_conn_read does, minus the socket: append, then skip. */
		if (c.rx.len + n > c.rx.max)
			n = c.rx.max - c.rx.len;
		CHECK(buf_append(&c.rx, data + fed, n, &err) == 0 || n == 0);
		fed += n;
		while ((r = ttrpc_conn_next(&c, &h, &body, &err)) != TTRPC_CONN_MORE) {
			if (r == TTRPC_CONN_ERROR) {
				CHECK(err.msg[0]);
				fed = size;
				break;
			}
			if (r == TTRPC_CONN_OVERSIZE) {
				CHECK(h.len > TTRPC_MSG_MAX && err.code == EMSGSIZE);
				continue;
			}
			CHECK(h.len <= TTRPC_MSG_MAX && h.type >= 1 && h.type <= 3);
			CHECK(body >= c.rx.data && body + h.len <= c.rx.data + c.rx.len);
			if (h.type == TTRPC_T_REQUEST) {
				CHECK(h.sid & 1);
				request(body, h.len);
			} else if (h.type == TTRPC_T_RESPONSE) {
				struct ttrpc_response resp;

				if (ttrpc_response_decode(body, h.len, &resp, &err) == 0)
					(void)ttrpc_code_name(resp.code);
			}
		}
		if (c.rx.len == c.rx.max && !c.framed)
			break; /* a full buffer with no frame cannot happen: a header fits */
	}
	buf_done(&c.rx);
	buf_done(&c.tx);
	return 0;
}
