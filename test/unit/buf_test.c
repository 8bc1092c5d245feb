/*
 * buf_test: capped growth, consumption, little-endian helpers and the cursor (test layer).
 *
 * The cap is the point: every test that grows a buffer also checks that cap <= max and
 * that a refused growth leaves the buffer as it was.
 */

#include "base/buf.h"
#include "harness.h"

TEST(init_is_empty)
{
	struct buf b;

	buf_init(&b, 100);
	ASSERT(b.data == NULL);
	ASSERT_EQ(b.len, 0);
	ASSERT_EQ(b.cap, 0);
	ASSERT_EQ(b.max, 100);
	buf_done(&b);
}

TEST(append_grows_geometrically_within_max)
{
	struct buf b;
	struct kerr err;
	size_t grows = 0, last_cap = 0;

	buf_init(&b, 1 << 20);
	for (int i = 0; i < 100000; i++) {
		char c = (char)('a' + i % 26);

		ASSERT_EQ(buf_append(&b, &c, 1, &err), 0);
		if (b.cap != last_cap) {
			grows++;
			ASSERT(b.cap >= 2 * last_cap || b.cap == b.max);
			last_cap = b.cap;
		}
		ASSERT(b.cap <= b.max);
	}
	ASSERT_EQ(b.len, 100000);
	ASSERT(grows <= 12);
	for (size_t i = 0; i < b.len; i++)
		ASSERT_EQ(b.data[i], 'a' + i % 26);
	buf_done(&b);
}

TEST(growth_clamps_to_odd_max)
{
	struct buf b;
	struct kerr err;
	char chunk[300] = { 0 };

	buf_init(&b, 1000);
	ASSERT_EQ(buf_append(&b, chunk, 300, &err), 0);
	ASSERT(b.cap >= 300 && b.cap <= 1000);
	ASSERT_EQ(buf_append(&b, chunk, 300, &err), 0);
	ASSERT_EQ(buf_append(&b, chunk, 300, &err), 0);
	ASSERT_EQ(b.cap, 1000);
	ASSERT_EQ(buf_append(&b, chunk, 100, &err), 0);
	ASSERT_EQ(b.len, 1000);
	/* Full: one more byte is refused. */
	ASSERT_EQ(buf_append(&b, chunk, 1, &err), -1);
	ASSERT_STREQ(err.msg, "buffer would grow to 1001 bytes, limit 1000");
	ASSERT_EQ(b.len, 1000);
	buf_done(&b);
}

TEST(max_below_first_allocation)
{
	struct buf b;
	struct kerr err;

	buf_init(&b, 10);
	ASSERT_EQ(buf_append(&b, "0123456789", 10, &err), 0);
	ASSERT_EQ(b.cap, 10);
	ASSERT_EQ(buf_append(&b, "x", 1, &err), -1);
	buf_done(&b);
}

TEST(refused_growth_allocates_nothing)
{
	struct buf b;
	struct kerr err;

	buf_init(&b, 64);
	ASSERT_EQ(buf_reserve(&b, 65, &err), -1);
	ASSERT_STREQ(err.msg, "buffer would grow to 65 bytes, limit 64");
	ASSERT_EQ(err.code, 0);
	ASSERT(b.data == NULL);
	ASSERT_EQ(b.cap, 0);
	buf_done(&b);
}

TEST(reserve_overflow)
{
	struct buf b;
	struct kerr err;

	buf_init(&b, 128);
	ASSERT_EQ(buf_append(&b, "abc", 3, &err), 0);
	ASSERT_EQ(buf_reserve(&b, SIZE_MAX, &err), -1);
	ASSERT_CONTAINS(err.msg, "limit 128");
	ASSERT_EQ(buf_reserve(&b, SIZE_MAX - 1, &err), -1);
	ASSERT_EQ(b.len, 3);
	/* Zero-length reservations and appends always succeed. */
	ASSERT_EQ(buf_reserve(&b, 0, &err), 0);
	ASSERT_EQ(buf_append(&b, NULL, 0, &err), 0);
	buf_done(&b);
}

TEST(reserve_then_write_in_place)
{
	struct buf b;
	struct kerr err;

	buf_init(&b, 4096);
	ASSERT_EQ(buf_reserve(&b, 100, &err), 0);
	ASSERT(b.cap - b.len >= 100);
	memset(b.data + b.len, 'z', 100);
	b.len += 100;
	ASSERT_EQ(b.data[99], 'z');
	buf_done(&b);
}

TEST(append_str_and_printf)
{
	struct buf b;
	struct kerr err;

	buf_init(&b, 64);
	ASSERT_EQ(buf_append_str(&b, "id=", &err), 0);
	ASSERT_EQ(buf_printf(&b, &err, "%d/%s", 42, "x"), 0);
	ASSERT_EQ(b.len, 7);
	ASSERT_MEMEQ(b.data, "id=42/x", 7);
	/* printf leaves a NUL after len (not counted). */
	ASSERT_EQ(b.data[7], '\0');
	ASSERT_EQ(buf_printf(&b, &err, "%s", ""), 0);
	ASSERT_EQ(b.len, 7);
	buf_done(&b);
}

TEST(printf_past_max)
{
	struct buf b;
	struct kerr err;

	buf_init(&b, 16);
	ASSERT_EQ(buf_printf(&b, &err, "%s", "0123456789"), 0);
	ASSERT_EQ(buf_printf(&b, &err, "%s", "0123456789"), -1);
	ASSERT_CONTAINS(err.msg, "limit 16");
	ASSERT_EQ(b.len, 10);
	buf_done(&b);
}

TEST(consume)
{
	struct buf b;
	struct kerr err;

	buf_init(&b, 64);
	buf_append_str(&b, "abcdef", &err);
	buf_consume(&b, 2);
	ASSERT_EQ(b.len, 4);
	ASSERT_MEMEQ(b.data, "cdef", 4);
	buf_consume(&b, 0);
	ASSERT_EQ(b.len, 4);
	buf_consume(&b, 4);
	ASSERT_EQ(b.len, 0);
	buf_append_str(&b, "xy", &err);
	buf_consume(&b, 100); /* more than len empties it */
	ASSERT_EQ(b.len, 0);
	buf_done(&b);
	buf_consume(&b, 1); /* on a freed buffer: no-op */
}

TEST(clear_keeps_memory_done_frees)
{
	struct buf b;
	struct kerr err;

	buf_init(&b, 1024);
	buf_append_str(&b, "hello", &err);
	size_t cap = b.cap;
	buf_clear(&b);
	ASSERT_EQ(b.len, 0);
	ASSERT_EQ(b.cap, cap);
	ASSERT(b.data != NULL);
	buf_done(&b);
	ASSERT(b.data == NULL);
	ASSERT_EQ(b.cap, 0);
	buf_done(&b); /* twice is fine */
	buf_init(&b, 8);
	ASSERT_EQ(buf_append_str(&b, "again", &err), 0);
	buf_done(&b);
}

TEST(le_put_get)
{
	uint8_t p[8];

	buf_put_le16(p, 0x1234);
	ASSERT_EQ(p[0], 0x34);
	ASSERT_EQ(p[1], 0x12);
	ASSERT_EQ(buf_get_le16(p), 0x1234);
	buf_put_le32(p, 0xdeadbeef);
	ASSERT_MEMEQ(p, "\xef\xbe\xad\xde", 4);
	ASSERT_U64_EQ(buf_get_le32(p), 0xdeadbeefu);
	buf_put_le64(p, 0x0102030405060708ULL);
	ASSERT_MEMEQ(p, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
	ASSERT_U64_EQ(buf_get_le64(p), 0x0102030405060708ULL);
	buf_put_le64(p, UINT64_MAX);
	ASSERT_U64_EQ(buf_get_le64(p), UINT64_MAX);
	buf_put_le16(p, 0xffff);
	ASSERT_EQ(buf_get_le16(p), 0xffff);
}

TEST(cursor_reads_in_order)
{
	uint8_t data[14];
	struct buf_cur c;
	uint16_t a;
	uint32_t b;
	uint64_t d;

	buf_put_le16(data, 7);
	buf_put_le32(data + 2, 70000);
	buf_put_le64(data + 6, 1ULL << 40);
	buf_cur_init(&c, data, sizeof(data));
	ASSERT_EQ(buf_cur_left(&c), 14);
	ASSERT(buf_cur_u16(&c, &a));
	ASSERT(buf_cur_u32(&c, &b));
	ASSERT(buf_cur_u64(&c, &d));
	ASSERT_EQ(a, 7);
	ASSERT_EQ(b, 70000);
	ASSERT_U64_EQ(d, 1ULL << 40);
	ASSERT_EQ(buf_cur_left(&c), 0);
	ASSERT(!buf_cur_u16(&c, &a));
}

TEST(cursor_bounds_do_not_move)
{
	uint8_t data[7] = { 1, 2, 3, 4, 5, 6, 7 };
	struct buf_cur c;
	uint16_t a = 0;
	uint32_t b = 0;
	uint64_t d = 99;
	const uint8_t *out = NULL;

	buf_cur_init(&c, data, sizeof(data));
	ASSERT(!buf_cur_u64(&c, &d));
	ASSERT_EQ(d, 99);
	ASSERT_EQ(c.off, 0);
	ASSERT(buf_cur_u32(&c, &b));
	ASSERT(!buf_cur_u32(&c, &b));
	ASSERT_EQ(c.off, 4);
	ASSERT(buf_cur_u16(&c, &a));
	ASSERT(!buf_cur_u16(&c, &a));
	ASSERT(!buf_cur_bytes(&c, 2, &out));
	ASSERT(out == NULL);
	ASSERT(!buf_cur_bytes(&c, SIZE_MAX, &out));
	ASSERT(buf_cur_bytes(&c, 1, &out));
	ASSERT(out == data + 6);
	ASSERT_EQ(buf_cur_left(&c), 0);
	ASSERT(buf_cur_bytes(&c, 0, &out));
	ASSERT_EQ(c.off, 7);
}

TEST(cursor_bytes_zero_copy)
{
	const char *msg = "headerbody";
	struct buf_cur c;
	const uint8_t *h, *body;

	buf_cur_init(&c, msg, 10);
	ASSERT(buf_cur_bytes(&c, 6, &h));
	ASSERT(buf_cur_bytes(&c, 4, &body));
	ASSERT((const char *)h == msg);
	ASSERT((const char *)body == msg + 6);
}

TEST(cursor_empty)
{
	struct buf_cur c;
	uint16_t v;

	buf_cur_init(&c, NULL, 0);
	ASSERT_EQ(buf_cur_left(&c), 0);
	ASSERT(!buf_cur_u16(&c, &v));
}

RUN_TESTS(T(init_is_empty), T(append_grows_geometrically_within_max), T(growth_clamps_to_odd_max),
	  T(max_below_first_allocation), T(refused_growth_allocates_nothing), T(reserve_overflow),
	  T(reserve_then_write_in_place), T(append_str_and_printf), T(printf_past_max), T(consume),
	  T(clear_keeps_memory_done_frees), T(le_put_get), T(cursor_reads_in_order),
	  T(cursor_bounds_do_not_move), T(cursor_bytes_zero_copy), T(cursor_empty))
