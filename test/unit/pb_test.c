/*
 * pb_test: unit tests of the protobuf codec (test layer, tests src/ttrpc/pb.c).
 *
 * Known encodings from the protobuf documentation and from containerd's own messages
 * (reference-trace bytes), round trips of every scalar and of nested messages whose
 * length needs a wider varint, and hostile input: truncation at every byte (decoded from
 * exact-size heap copies so a sanitizer build sees any over-read), overlong varints,
 * lengths past the end, field number 0, groups, and type mismatches.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ttrpc/pb.h"

/* Decodes every field of p[0..n) from an exact-size heap copy: the number of fields, or
 * -1 when malformed. */
static int count_fields(const uint8_t *p, size_t n, struct kerr *err)
{
	uint8_t *c = malloc(n ? n : 1);
	struct pb_dec d;
	struct pb_field f;
	int k = 0, r;

	if (!c)
		abort();
	memcpy(c, p, n);
	pb_dec_init(&d, c, n);
	while ((r = pb_dec_next(&d, &f, err)) > 0) {
		if (f.wire == PB_LEN && f.b.n)
			(void)f.b.p[f.b.n - 1]; /* touch the slice's last byte */
		k++;
	}
	free(c);
	return r < 0 ? -1 : k;
}

TEST(varint_known_encodings)
{
	uint8_t b[PB_VARINT_MAX];

	ASSERT_EQ(pb_varint_put(b, 0), 1);
	ASSERT_EQ(b[0], 0);
	ASSERT_EQ(pb_varint_put(b, 150), 2);
	ASSERT_EQ(b[0], 0x96);
	ASSERT_EQ(b[1], 0x01);
	ASSERT_EQ(pb_varint_put(b, UINT64_MAX), 10);
	ASSERT_EQ(b[9], 0x01);
}

TEST(decode_containerd_delete_response)
{
	/* DeleteResponse printed by `containerd-shim-runc-v2 delete` (reference trace). */
	static const uint8_t msg[] = { 0x08, 0xd1, 0xb6, 0x01, 0x10, 0x89, 0x01,
				       0x1a, 0x0c, 0x08, 0xf6, 0xec, 0xd2, 0xd8,
				       0x06, 0x10, 0xb6, 0xe7, 0xc0, 0xc0, 0x02 };
	struct pb_dec d;
	struct pb_field f;
	struct kerr err;
	uint32_t pid = 0, status = 0;
	int64_t ns = 0;

	pb_dec_init(&d, msg, sizeof(msg));
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(f.num, 1);
	ASSERT_EQ(pb_get_u32(&f, &pid, &err), 0);
	ASSERT_EQ(pid, 23377);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_u32(&f, &status, &err), 0);
	ASSERT_EQ(status, 137);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(f.num, 3);
	ASSERT_EQ(pb_get_timestamp(&f, &ns, &err), 0);
	ASSERT_EQ(ns / 1000000000LL, 1796519542LL);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 0);
}

TEST(round_trip_scalars_and_strings)
{
	struct buf b;
	struct pb_enc e;
	struct pb_dec d;
	struct pb_field f;
	struct kerr err;
	char s[16];
	uint64_t u;
	int64_t i;
	bool v;

	buf_init(&b, 4096);
	pb_enc_init(&e, &b);
	pb_enc_u64(&e, 1, UINT64_MAX);
	pb_enc_i64(&e, 2, -5);
	pb_enc_bool(&e, 3, true);
	pb_enc_str(&e, 4, "hello");
	pb_enc_u64(&e, 5, 0);	   /* omitted */
	pb_enc_str(&e, 6, "");	   /* omitted */
	pb_enc_bool(&e, 7, false); /* omitted */
	pb_enc_u64(&e, PB_FIELD_MAX, 1);
	ASSERT_EQ(pb_enc_end(&e, &err), 0);

	pb_dec_init(&d, b.data, b.len);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_u64(&f, &u, &err), 0);
	ASSERT_U64_EQ(u, UINT64_MAX);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_i64(&f, &i, &err), 0);
	ASSERT_EQ(i, -5);
	ASSERT_EQ(f.off, 11); /* key(1) + 10-byte varint */
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_bool(&f, &v, &err), 0);
	ASSERT(v);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_str(&f, s, sizeof(s), &err), 0);
	ASSERT_STREQ(s, "hello");
	ASSERT_EQ(pb_get_str(&f, s, 5, &err), -1);
	ASSERT_CONTAINS(err.msg, "at most 4");
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(f.num, PB_FIELD_MAX);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 0);
	buf_done(&b);
}

TEST(nested_message_length_widens)
{
	static char big[300];
	struct buf b;
	struct pb_enc e;
	struct pb_dec d, sub, sub2;
	struct pb_field f;
	struct kerr err;
	struct pb_bytes got;

	memset(big, 'x', sizeof(big) - 1);
	buf_init(&b, 4096);
	pb_enc_init(&e, &b);
	pb_enc_msg_begin(&e, 1);
	pb_enc_msg_begin(&e, 2);
	pb_enc_str(&e, 3, big);
	pb_enc_msg_end(&e);
	pb_enc_msg_end(&e);
	pb_enc_msg_begin(&e, 4); /* empty but present */
	pb_enc_msg_end(&e);
	ASSERT_EQ(pb_enc_end(&e, &err), 0);
	/* 1 key + 2 len + (1 key + 2 len + (1 key + 2 len + 299)) + 2 */
	ASSERT_EQ(b.len, 1 + 2 + 1 + 2 + 1 + 2 + 299 + 2);

	pb_dec_init(&d, b.data, b.len);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_msg(&f, &sub, &err), 0);
	ASSERT_EQ(pb_dec_next(&sub, &f, &err), 1);
	ASSERT_EQ(pb_get_msg(&f, &sub2, &err), 0);
	ASSERT_EQ(pb_dec_next(&sub2, &f, &err), 1);
	ASSERT_EQ(pb_get_bytes(&f, &got, &err), 0);
	ASSERT_EQ(got.n, 299);
	ASSERT(pb_bytes_eq(got, big));
	ASSERT_EQ(pb_dec_next(&sub2, &f, &err), 0);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(f.num, 4);
	ASSERT_EQ(f.b.n, 0);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 0);
	buf_done(&b);
}

TEST(any_and_timestamps)
{
	struct buf b;
	struct pb_enc e;
	struct pb_dec d;
	struct pb_field f;
	struct kerr err;
	struct pb_bytes url, val;
	int64_t ns = 0;

	buf_init(&b, 4096);
	pb_enc_init(&e, &b);
	pb_enc_any_begin(&e, 1, "containerd.events.TaskOOM");
	pb_enc_str(&e, 1, "ctr");
	pb_enc_any_end(&e);
	pb_enc_timestamp_ns(&e, 2, 1796519542646562041LL);
	pb_enc_timestamp(&e, 3, PB_GO_ZERO_SEC, 0);
	pb_enc_timestamp_ns(&e, 4, -1); /* one ns before the epoch: -1 s + 999999999 ns */
	ASSERT_EQ(pb_enc_end(&e, &err), 0);

	pb_dec_init(&d, b.data, b.len);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_any(&f, &url, &val, &err), 0);
	ASSERT(pb_bytes_eq(url, "containerd.events.TaskOOM"));
	ASSERT_EQ(val.n, 5);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_timestamp(&f, &ns, &err), 0);
	ASSERT_EQ(ns, 1796519542646562041LL);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	/* Go's zero time (year 1) does not fit int64 nanoseconds: refused, not wrapped. */
	ASSERT_EQ(pb_get_timestamp(&f, &ns, &err), -1);
	ASSERT_CONTAINS(err.msg, "out of range");
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_timestamp(&f, &ns, &err), 0);
	ASSERT_EQ(ns, -1);
	buf_done(&b);
}

TEST(truncation_at_every_byte)
{
	struct buf b;
	struct pb_enc e;
	struct kerr err;

	buf_init(&b, 4096);
	pb_enc_init(&e, &b);
	pb_enc_str(&e, 1, "a string");
	pb_enc_u64(&e, 2, 1u << 30);
	pb_enc_msg_begin(&e, 3);
	pb_enc_i64(&e, 1, -1);
	pb_enc_msg_end(&e);
	ASSERT_EQ(pb_enc_end(&e, &err), 0);
	ASSERT_EQ(count_fields(b.data, b.len, &err), 3);
	for (size_t n = 0; n < b.len; n++) {
		int k = count_fields(b.data, n, &err);
		/* A cut between fields is a shorter message; inside one it is malformed. */
		ASSERT(k == -1 || n == 0 || n == 10 || n == 16);
		if (k == -1)
			ASSERT_CONTAINS(err.msg, "protobuf:");
	}
	buf_done(&b);
}

TEST(malformed_input)
{
	static const uint8_t overlong[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t tenth_too_big[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
						 0xff, 0xff, 0xff, 0xff, 0x02 };
	static const uint8_t field0[] = { 0x00, 0x01 };
	static const uint8_t group[] = { 0x0b, 0x0c };
	static const uint8_t wire7[] = { 0x0f };
	static const uint8_t long_len[] = { 0x0a, 0x05, 'a', 'b' };
	static const uint8_t huge_len[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f };
	static const uint8_t short_i64[] = { 0x09, 1, 2, 3 };
	static const uint8_t nul_str[] = { 0x0a, 0x03, 'a', 0, 'b' };
	static const uint8_t big_u32[] = { 0x08, 0x80, 0x80, 0x80, 0x80, 0x10 };
	struct kerr err;
	struct pb_dec d;
	struct pb_field f;
	uint32_t u;
	char s[8];

	ASSERT_EQ(count_fields(overlong, sizeof(overlong), &err), -1);
	ASSERT_EQ(count_fields(tenth_too_big, sizeof(tenth_too_big), &err), -1);
	ASSERT_EQ(count_fields(field0, sizeof(field0), &err), -1);
	ASSERT_CONTAINS(err.msg, "field number 0");
	ASSERT_EQ(count_fields(group, sizeof(group), &err), -1);
	ASSERT_CONTAINS(err.msg, "wire type 3");
	ASSERT_EQ(count_fields(wire7, sizeof(wire7), &err), -1);
	ASSERT_EQ(count_fields(long_len, sizeof(long_len), &err), -1);
	ASSERT_CONTAINS(err.msg, "exceeds the 2 bytes left");
	ASSERT_EQ(count_fields(huge_len, sizeof(huge_len), &err), -1);
	ASSERT_EQ(count_fields(short_i64, sizeof(short_i64), &err), -1);

	pb_dec_init(&d, nul_str, sizeof(nul_str));
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_str(&f, s, sizeof(s), &err), -1);
	ASSERT_CONTAINS(err.msg, "NUL");
	ASSERT_EQ(pb_get_u32(&f, &u, &err), -1);
	ASSERT_CONTAINS(err.msg, "expected a varint");

	pb_dec_init(&d, big_u32, sizeof(big_u32));
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_u32(&f, &u, &err), -1);
	ASSERT_CONTAINS(err.msg, "does not fit 32 bits");
}

TEST(encoder_errors_are_sticky)
{
	struct buf b;
	struct pb_enc e;
	struct kerr err;

	buf_init(&b, 8);
	pb_enc_init(&e, &b);
	pb_enc_str(&e, 1, "far more than eight bytes");
	pb_enc_u64(&e, 2, 1);
	ASSERT_EQ(pb_enc_end(&e, &err), -1);
	ASSERT_CONTAINS(err.msg, "limit 8");
	buf_done(&b);

	buf_init(&b, 4096);
	pb_enc_init(&e, &b);
	pb_enc_msg_begin(&e, 1);
	ASSERT_EQ(pb_enc_end(&e, &err), -1);
	ASSERT_CONTAINS(err.msg, "left open");
	pb_enc_init(&e, &b);
	pb_enc_msg_end(&e);
	ASSERT_EQ(pb_enc_end(&e, &err), -1);
	pb_enc_init(&e, &b);
	for (int i = 0; i <= PB_DEPTH_MAX; i++)
		pb_enc_msg_begin(&e, 1);
	ASSERT_EQ(pb_enc_end(&e, &err), -1);
	ASSERT_CONTAINS(err.msg, "nested");
	pb_enc_init(&e, &b);
	pb_enc_u64(&e, 0, 1);
	ASSERT_EQ(pb_enc_end(&e, &err), -1);
	ASSERT_CONTAINS(err.msg, "field number 0");
	buf_done(&b);
}

TEST(timestamp_limits)
{
	struct buf b;
	struct pb_enc e;
	struct pb_dec d;
	struct pb_field f;
	struct kerr err;
	int64_t ns;

	buf_init(&b, 4096);
	pb_enc_init(&e, &b);
	pb_enc_timestamp(&e, 1, 1, 1000000000); /* nanos out of range */
	pb_enc_timestamp(&e, 2, INT64_MAX, 0);
	ASSERT_EQ(pb_enc_end(&e, &err), 0);
	pb_dec_init(&d, b.data, b.len);
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_timestamp(&f, &ns, &err), -1);
	ASSERT_CONTAINS(err.msg, "nanos");
	ASSERT_EQ(pb_dec_next(&d, &f, &err), 1);
	ASSERT_EQ(pb_get_timestamp(&f, &ns, &err), -1);
	ASSERT_CONTAINS(err.msg, "out of range");
	buf_done(&b);
}

RUN_TESTS(T(varint_known_encodings), T(decode_containerd_delete_response),
	  T(round_trip_scalars_and_strings), T(nested_message_length_widens), T(any_and_timestamps),
	  T(truncation_at_every_byte), T(malformed_input), T(encoder_errors_are_sticky),
	  T(timestamp_limits))
