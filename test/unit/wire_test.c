/*
 * wire_test: unit tests of the frame codec (test layer, tests src/ipc/wire.c).
 *
 * Round trips of every field type, and hostile input: truncation at every byte (decoded
 * from exact-size heap copies, so a sanitizer build catches any over-read), lengths past
 * the payload or the cap, duplicate tags, malformed numbers and string vectors, too many
 * fields, unknown types and tags, and an encoder that runs out of room.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipc/wire.h"

/* Raw frame builder for input the encoder refuses to produce. */
struct raw {
	uint8_t b[4096]; /* frame bytes */
	size_t n;	 /* bytes used */
};

static void raw_hdr(struct raw *r, uint32_t len, uint32_t reqid, uint16_t type, uint16_t flags)
{
	buf_put_le32(r->b, len);
	buf_put_le32(r->b + 4, reqid);
	buf_put_le16(r->b + 8, type);
	buf_put_le16(r->b + 10, flags);
	r->n = WIRE_HDR_LEN;
}

static void raw_field(struct raw *r, uint16_t tag, uint32_t len, const void *val, size_t vlen)
{
	buf_put_le16(r->b + r->n, tag);
	buf_put_le32(r->b + r->n + 2, len);
	memcpy(r->b + r->n + 6, val, vlen);
	r->n += 6 + vlen;
}

/* Sets the header length to what was written. */
static void raw_seal(struct raw *r)
{
	buf_put_le32(r->b, (uint32_t)(r->n - WIRE_HDR_LEN));
}

/* Decodes from an exact-size heap copy so over-reads are visible to ASan. */
static int decode_copy(const uint8_t *p, size_t n, size_t max, struct wire_frame *f, size_t *used,
		       struct kerr *err)
{
	uint8_t *c = malloc(n ? n : 1);
	if (!c)
		abort();
	if (n)
		memcpy(c, p, n);
	int r = wire_decode(c, n, max, f, used, err);
	/* Fields point into c: callers of this helper only look at the result and header. */
	for (uint16_t i = 0; r == 1 && i < f->nfields; i++)
		f->fields[i].val = p + (f->fields[i].val - c);
	free(c);
	return r;
}

TEST(round_trip_every_field_type)
{
	struct buf b;
	struct wire_enc e;
	struct kerr err;
	const uint8_t bin[] = { 0, 1, 2, 0xff, 0 };
	char *argv[] = { "sh", "", "-c", "echo hi" };

	buf_init(&b, KETTLE_FRAME_MAX);
	wire_enc_begin(&e, &b, WIRE_T_SHIM_EXEC, 0xfffffffeu, WIRE_FLAG_FDS);
	wire_enc_u32(&e, WIRE_F_NFDS, 3);
	wire_enc_u32(&e, WIRE_F_SIGNAL, 0xffffffffu);
	wire_enc_u64(&e, WIRE_F_TIMEOUT_MS, 0x0102030405060708ull);
	wire_enc_u64(&e, WIRE_F_SINCE, UINT64_MAX);
	wire_enc_str(&e, WIRE_F_JSON, "{\"a\":1}");
	wire_enc_str(&e, WIRE_F_NAME, "");
	wire_enc_bytes(&e, WIRE_F_DATA, bin, sizeof(bin));
	wire_enc_bytes(&e, WIRE_F_TOKEN, NULL, 0);
	wire_enc_strv(&e, WIRE_F_ARGV, argv, 4);
	ASSERT_EQ(wire_enc_end(&e, &err), 0);

	/* Little-endian header, payload length patched in. */
	ASSERT_EQ(buf_get_le32(b.data), b.len - WIRE_HDR_LEN);
	ASSERT_EQ(b.data[4], 0xfe);
	ASSERT_EQ(b.data[8], WIRE_T_SHIM_EXEC);
	ASSERT_EQ(b.data[10], 1);

	struct wire_frame f;
	size_t used = 0;
	ASSERT_EQ(wire_decode(b.data, b.len, KETTLE_FRAME_MAX, &f, &used, &err), 1);
	ASSERT_EQ(used, b.len);
	ASSERT_EQ(f.len, b.len - WIRE_HDR_LEN);
	ASSERT_U64_EQ(f.reqid, 0xfffffffeu);
	ASSERT_EQ(f.type, WIRE_T_SHIM_EXEC);
	ASSERT_EQ(f.flags, WIRE_FLAG_FDS);
	ASSERT_EQ(f.nfields, 9);
	ASSERT_EQ(f.fields[0].tag, WIRE_F_NFDS);

	uint32_t u32;
	uint64_t u64;
	ASSERT_EQ(wire_get_u32(&f, WIRE_F_NFDS, true, &u32, &err), 1);
	ASSERT_EQ(u32, 3);
	ASSERT_EQ(wire_get_u32(&f, WIRE_F_SIGNAL, true, &u32, &err), 1);
	ASSERT_U64_EQ(u32, 0xffffffffu);
	ASSERT_EQ(wire_get_u64(&f, WIRE_F_TIMEOUT_MS, true, &u64, &err), 1);
	ASSERT_U64_EQ(u64, 0x0102030405060708ull);
	ASSERT_EQ(wire_get_u64(&f, WIRE_F_SINCE, true, &u64, &err), 1);
	ASSERT_U64_EQ(u64, UINT64_MAX);

	char s[64];
	ASSERT_EQ(wire_get_str(&f, WIRE_F_JSON, true, s, sizeof(s), &err), 1);
	ASSERT_STREQ(s, "{\"a\":1}");
	ASSERT_EQ(wire_get_str(&f, WIRE_F_NAME, true, s, sizeof(s), &err), 1);
	ASSERT_STREQ(s, "");

	const uint8_t *p;
	size_t len;
	ASSERT_EQ(wire_get_bytes(&f, WIRE_F_DATA, true, &p, &len, &err), 1);
	ASSERT_EQ(len, sizeof(bin));
	ASSERT_MEMEQ(p, bin, sizeof(bin));
	ASSERT_EQ(wire_get_bytes(&f, WIRE_F_TOKEN, true, &p, &len, &err), 1);
	ASSERT_EQ(len, 0);

	const struct wire_field *fld = wire_find(&f, WIRE_F_ARGV);
	ASSERT(fld != NULL);
	uint32_t count;
	ASSERT_EQ(wire_strv_count(fld, &count, &err), 0);
	ASSERT_EQ(count, 4);
	size_t off = 0, i = 0;
	const uint8_t *item;
	int r;
	while ((r = wire_strv_next(fld, &off, &item, &len, &err)) == 1) {
		ASSERT(i < 4);
		ASSERT_EQ(len, strlen(argv[i]));
		ASSERT_MEMEQ(item, argv[i], len);
		i++;
	}
	ASSERT_EQ(r, 0);
	ASSERT_EQ(i, 4);
	/* At the end, it stays at the end. */
	ASSERT_EQ(wire_strv_next(fld, &off, &item, &len, &err), 0);
	buf_done(&b);
}

TEST(round_trip_empty_frame_and_empty_strv)
{
	struct buf b;
	struct wire_enc e;
	struct kerr err;
	struct wire_frame f;
	size_t used;

	buf_init(&b, KETTLE_FRAME_MAX);
	wire_enc_begin(&e, &b, WIRE_T_INFO, 0, 0);
	ASSERT_EQ(wire_enc_end(&e, &err), 0);
	ASSERT_EQ(b.len, WIRE_HDR_LEN);
	ASSERT_EQ(wire_decode(b.data, b.len, WIRE_AUTH_FRAME_MAX, &f, &used, &err), 1);
	ASSERT_EQ(f.nfields, 0);
	ASSERT_EQ(f.len, 0);
	ASSERT_EQ(used, WIRE_HDR_LEN);

	buf_clear(&b);
	wire_enc_begin(&e, &b, WIRE_T_OK, 7, 0);
	wire_enc_strv(&e, WIRE_F_ARGV, NULL, 0);
	ASSERT_EQ(wire_enc_end(&e, &err), 0);
	ASSERT_EQ(wire_decode(b.data, b.len, KETTLE_FRAME_MAX, &f, &used, &err), 1);
	uint32_t count = 99;
	ASSERT_EQ(wire_strv_count(&f.fields[0], &count, &err), 0);
	ASSERT_EQ(count, 0);
	size_t off = 0, len;
	const uint8_t *item;
	ASSERT_EQ(wire_strv_next(&f.fields[0], &off, &item, &len, &err), 0);
	buf_done(&b);
}

TEST(truncated_at_every_byte_needs_more)
{
	struct buf b;
	struct wire_enc e;
	struct kerr err;
	struct wire_frame f;
	size_t used = 12345;
	char *argv[] = { "a", "bc" };

	buf_init(&b, KETTLE_FRAME_MAX);
	wire_enc_begin(&e, &b, WIRE_T_CREATE, 1, 0);
	wire_enc_str(&e, WIRE_F_JSON, "{}");
	wire_enc_u32(&e, WIRE_F_FORCE, 1);
	wire_enc_u64(&e, WIRE_F_UNTIL, 5);
	wire_enc_strv(&e, WIRE_F_ARGV, argv, 2);
	ASSERT_EQ(wire_enc_end(&e, &err), 0);

	for (size_t k = 0; k < b.len; k++) {
		int r = decode_copy(b.data, k, KETTLE_FRAME_MAX, &f, &used, &err);
		if (r != 0)
			HARNESS_FAIL("prefix of %zu of %zu bytes: decode returned %d", k, b.len, r);
		ASSERT_EQ(used, 12345);
	}
	ASSERT_EQ(decode_copy(b.data, b.len, KETTLE_FRAME_MAX, &f, &used, &err), 1);
	ASSERT_EQ(used, b.len);
	ASSERT_EQ(f.nfields, 4);
	buf_done(&b);
}

TEST(field_length_beyond_payload_fails)
{
	struct raw r;
	struct wire_frame f;
	struct kerr err;
	size_t used;

	raw_hdr(&r, 0, 1, WIRE_T_START, 0);
	raw_field(&r, WIRE_F_REF, 100, "abc", 3);
	raw_seal(&r);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), -1);
	ASSERT_STREQ(err.msg, "field tag 6 length 100 runs past payload (3 bytes left of 9)");

	/* A length of 2^32-1 inside a small frame. */
	raw_hdr(&r, 0, 1, WIRE_T_START, 0);
	raw_field(&r, WIRE_F_REF, UINT32_MAX, "", 0);
	raw_seal(&r);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), -1);
	ASSERT_CONTAINS(err.msg, "length 4294967295 runs past payload");

	/* Trailing bytes too short for a field header: the fields must tile the payload. */
	raw_hdr(&r, 0, 1, WIRE_T_START, 0);
	raw_field(&r, WIRE_F_REF, 1, "a", 1);
	memcpy(r.b + r.n, "\x06\x00\x00\x00\x00", 5);
	r.n += 5;
	raw_seal(&r);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), -1);
	ASSERT_STREQ(err.msg, "truncated field header: 5 bytes left in payload, 6 needed");
}

TEST(length_over_cap_decided_from_header)
{
	struct raw r;
	struct wire_frame f;
	struct kerr err;
	size_t used;

	/* Only the 12 header bytes are there: the verdict does not wait for 4 GiB. */
	raw_hdr(&r, UINT32_MAX, 1, WIRE_T_CREATE, 0);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), -1);
	ASSERT_STREQ(err.msg, "frame length 4294967295 exceeds limit 1048576");

	raw_hdr(&r, KETTLE_FRAME_MAX + 1, 1, WIRE_T_CREATE, 0);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), -1);
	ASSERT_STREQ(err.msg, "frame length 1048577 exceeds limit 1048576");

	/* The cap includes the header: 1048565 + 12 > 1048576. */
	raw_hdr(&r, KETTLE_FRAME_MAX - WIRE_HDR_LEN + 1, 1, WIRE_T_CREATE, 0);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), -1);
	ASSERT_STREQ(err.msg, "frame length 1048565 plus 12-byte header exceeds limit 1048576");
	/* Exactly at the cap: fine, wait for the rest. */
	raw_hdr(&r, KETTLE_FRAME_MAX - WIRE_HDR_LEN, 1, WIRE_T_CREATE, 0);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), 0);

	/* Before authentication the cap is tiny. */
	raw_hdr(&r, WIRE_AUTH_FRAME_MAX - WIRE_HDR_LEN + 1, 1, WIRE_T_AUTH, 0);
	ASSERT_EQ(decode_copy(r.b, r.n, WIRE_AUTH_FRAME_MAX, &f, &used, &err), -1);
	ASSERT_STREQ(err.msg, "frame length 245 plus 12-byte header exceeds limit 256");
	raw_hdr(&r, WIRE_AUTH_FRAME_MAX - WIRE_HDR_LEN, 1, WIRE_T_AUTH, 0);
	ASSERT_EQ(decode_copy(r.b, r.n, WIRE_AUTH_FRAME_MAX, &f, &used, &err), 0);

	/* A cap below the header size refuses even an empty frame. */
	raw_hdr(&r, 0, 1, WIRE_T_AUTH, 0);
	ASSERT_EQ(decode_copy(r.b, r.n, 0, &f, &used, &err), -1);
	ASSERT_EQ(decode_copy(r.b, r.n, WIRE_HDR_LEN, &f, &used, &err), 1);
}

TEST(duplicate_tag_fails)
{
	struct raw r;
	struct wire_frame f;
	struct kerr err;
	size_t used;

	raw_hdr(&r, 0, 1, WIRE_T_RENAME, 0);
	raw_field(&r, WIRE_F_NAME, 1, "a", 1);
	raw_field(&r, WIRE_F_REF, 1, "b", 1);
	raw_field(&r, WIRE_F_NAME, 1, "c", 1);
	raw_seal(&r);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), -1);
	ASSERT_STREQ(err.msg, "duplicate field tag 5");

	/* Unknown tags may not repeat either. */
	raw_hdr(&r, 0, 1, WIRE_T_RENAME, 0);
	raw_field(&r, 999, 0, "", 0);
	raw_field(&r, 999, 0, "", 0);
	raw_seal(&r);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), -1);
	ASSERT_STREQ(err.msg, "duplicate field tag 999");
}

TEST(malformed_numbers_and_missing_fields)
{
	struct raw r;
	struct wire_frame f;
	struct kerr err;
	size_t used;
	uint32_t u32 = 77;
	uint64_t u64 = 77;

	raw_hdr(&r, 0, 1, WIRE_T_STOP, 0);
	raw_field(&r, WIRE_F_SIGNAL, 3, "\x01\x02\x03", 3);
	raw_field(&r, WIRE_F_TIMEOUT_MS, 7, "1234567", 7);
	raw_field(&r, WIRE_F_SINCE, 9, "123456789", 9);
	raw_field(&r, WIRE_F_PID, 8, "12345678", 8);
	raw_field(&r, WIRE_F_ROWS, 0, "", 0);
	raw_seal(&r);
	ASSERT_EQ(wire_decode(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), 1);

	ASSERT_EQ(wire_get_u32(&f, WIRE_F_SIGNAL, false, &u32, &err), -1);
	ASSERT_STREQ(err.msg, "field SIGNAL (8): u32 must be 4 bytes, got 3");
	ASSERT_EQ(wire_get_u32(&f, WIRE_F_PID, false, &u32, &err), -1);
	ASSERT_STREQ(err.msg, "field PID (18): u32 must be 4 bytes, got 8");
	ASSERT_EQ(wire_get_u32(&f, WIRE_F_ROWS, false, &u32, &err), -1);
	ASSERT_EQ(wire_get_u64(&f, WIRE_F_TIMEOUT_MS, true, &u64, &err), -1);
	ASSERT_STREQ(err.msg, "field TIMEOUT_MS (9): u64 must be 8 bytes, got 7");
	ASSERT_EQ(wire_get_u64(&f, WIRE_F_SINCE, true, &u64, &err), -1);
	ASSERT_CONTAINS(err.msg, "got 9");
	ASSERT_EQ(u32, 77);
	ASSERT_U64_EQ(u64, 77);

	ASSERT_EQ(wire_get_u32(&f, WIRE_F_CODE, false, &u32, &err), 0);
	ASSERT_EQ(wire_get_u32(&f, WIRE_F_CODE, true, &u32, &err), -1);
	ASSERT_STREQ(err.msg, "STOP frame lacks required field CODE (3)");
	ASSERT_EQ(wire_get_u64(&f, WIRE_F_UNTIL, false, &u64, &err), 0);
	ASSERT_EQ(wire_get_u64(&f, WIRE_F_UNTIL, true, &u64, &err), -1);
	char s[8];
	ASSERT_EQ(wire_get_str(&f, WIRE_F_REF, false, s, sizeof(s), &err), 0);
	ASSERT_EQ(wire_get_str(&f, WIRE_F_REF, true, s, sizeof(s), &err), -1);
	ASSERT_STREQ(err.msg, "STOP frame lacks required field REF (6)");
	const uint8_t *p;
	size_t len;
	ASSERT_EQ(wire_get_bytes(&f, WIRE_F_DATA, false, &p, &len, &err), 0);
	ASSERT_EQ(wire_get_bytes(&f, WIRE_F_DATA, true, &p, &len, &err), -1);
	ASSERT_CONTAINS(err.msg, "DATA (14)");
}

TEST(string_getter_limits)
{
	struct raw r;
	struct wire_frame f;
	struct kerr err;
	size_t used;
	char s[4];

	raw_hdr(&r, 0, 1, WIRE_T_RENAME, 0);
	raw_field(&r, WIRE_F_NAME, 3, "abc", 3);
	raw_field(&r, WIRE_F_REF, 4, "abcd", 4);
	raw_field(&r, WIRE_F_MSG, 3, "a\0b", 3);
	raw_seal(&r);
	ASSERT_EQ(wire_decode(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), 1);

	/* 3 bytes fit 4 with the NUL; 4 do not. */
	ASSERT_EQ(wire_get_str(&f, WIRE_F_NAME, true, s, sizeof(s), &err), 1);
	ASSERT_STREQ(s, "abc");
	memcpy(s, "zzz", 4);
	ASSERT_EQ(wire_get_str(&f, WIRE_F_REF, true, s, sizeof(s), &err), -1);
	ASSERT_STREQ(err.msg, "field REF (6): string of 4 bytes exceeds limit 3");
	ASSERT_STREQ(s, "zzz");
	ASSERT_EQ(wire_get_str(&f, WIRE_F_MSG, true, s, sizeof(s), &err), -1);
	ASSERT_STREQ(
		err.msg,
		"field MSG (2): string has a NUL byte at offset 1, strings may not contain NUL");
	ASSERT_EQ(wire_get_str(&f, WIRE_F_NAME, true, NULL, 0, &err), -1);
	ASSERT_CONTAINS(err.msg, "exceeds limit 0");
}

TEST(string_view_getter)
{
	struct raw r;
	struct wire_frame f;
	struct kerr err;
	size_t used, len = 99;
	const uint8_t *p = NULL;

	raw_hdr(&r, 0, 1, WIRE_T_RENAME, 0);
	raw_field(&r, WIRE_F_NAME, 3, "abc", 3);
	raw_field(&r, WIRE_F_MSG, 3, "a\0b", 3);
	raw_field(&r, WIRE_F_ID, 0, "", 0);
	raw_seal(&r);
	ASSERT_EQ(wire_decode(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), 1);

	/* Borrowed, not copied; the same limits and messages as wire_get_str. */
	ASSERT_EQ(wire_get_str_view(&f, WIRE_F_NAME, true, 3, &p, &len, &err), 1);
	ASSERT(p == wire_find(&f, WIRE_F_NAME)->val);
	ASSERT_EQ(len, 3);
	ASSERT_EQ(wire_get_str_view(&f, WIRE_F_NAME, true, 2, &p, &len, &err), -1);
	ASSERT_STREQ(err.msg, "field NAME (5): string of 3 bytes exceeds limit 2");
	ASSERT_EQ(wire_get_str_view(&f, WIRE_F_MSG, true, SIZE_MAX, &p, &len, &err), -1);
	ASSERT_STREQ(
		err.msg,
		"field MSG (2): string has a NUL byte at offset 1, strings may not contain NUL");
	ASSERT_EQ(wire_get_str_view(&f, WIRE_F_ID, true, 0, &p, &len, &err), 1);
	ASSERT_EQ(len, 0);
	ASSERT_EQ(wire_get_str_view(&f, WIRE_F_REF, false, 10, &p, &len, &err), 0);
	ASSERT_EQ(wire_get_str_view(&f, WIRE_F_REF, true, 10, &p, &len, &err), -1);
	ASSERT_STREQ(err.msg, "RENAME frame lacks required field REF (6)");
}

TEST(too_many_fields)
{
	struct raw r;
	struct wire_frame f;
	struct kerr err;
	size_t used;

	raw_hdr(&r, 0, 1, WIRE_T_OK, 0);
	for (uint16_t t = 100; t < 100 + WIRE_FIELDS_MAX; t++)
		raw_field(&r, t, 0, "", 0);
	raw_seal(&r);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), 1);
	ASSERT_EQ(f.nfields, WIRE_FIELDS_MAX);

	raw_field(&r, 1000, 0, "", 0);
	raw_seal(&r);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), -1);
	ASSERT_STREQ(err.msg, "frame has more than 32 fields");
}

TEST(unknown_type_fails_from_header)
{
	struct raw r;
	struct wire_frame f;
	struct kerr err;
	size_t used;
	const uint16_t bad[] = { 0, 11, 31, 47, 63, 77, 999, 65535 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Payload announced but absent: the type alone decides. */
		raw_hdr(&r, 100, 1, bad[i], 0);
		ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), -1);
		char want[64];
		snprintf(want, sizeof(want), "unknown message type %u", bad[i]);
		ASSERT_STREQ(err.msg, want);
	}
}

TEST(unknown_tag_kept_and_skipped)
{
	struct raw r;
	struct wire_frame f;
	struct kerr err;
	size_t used;
	char s[16];

	raw_hdr(&r, 0, 1, WIRE_T_START, 0);
	raw_field(&r, 0, 2, "xx", 2);
	raw_field(&r, WIRE_F_REF, 3, "web", 3);
	raw_field(&r, 65535, 5, "\0\0\0\0\0", 5);
	raw_seal(&r);
	ASSERT_EQ(decode_copy(r.b, r.n, KETTLE_FRAME_MAX, &f, &used, &err), 1);
	ASSERT_EQ(f.nfields, 3);
	ASSERT_EQ(f.fields[2].tag, 65535);
	ASSERT_EQ(f.fields[2].len, 5);
	ASSERT_EQ(wire_get_str(&f, WIRE_F_REF, true, s, sizeof(s), &err), 1);
	ASSERT_STREQ(s, "web");
	ASSERT_STREQ(wire_tag_name(65535), "unknown");
	ASSERT_STREQ(wire_tag_name(WIRE_F_EXIT_CODE), "EXIT_CODE");
}

/* Builds a one-field OK frame holding raw strv bytes and decodes it. */
static const struct wire_field *strv_frame(struct raw *r, struct wire_frame *f, const void *v,
					   size_t n)
{
	struct kerr err;
	size_t used;

	raw_hdr(r, 0, 1, WIRE_T_OK, 0);
	raw_field(r, WIRE_F_ARGV, (uint32_t)n, v, n);
	raw_seal(r);
	if (wire_decode(r->b, r->n, KETTLE_FRAME_MAX, f, &used, &err) != 1)
		return NULL;
	return &f->fields[0];
}

/* Both entry points must reject the field with a message containing want. */
static const char *strv_rejects(const struct wire_field *fld, const char *want)
{
	static char why[KERR_MSG_MAX + 32];
	struct kerr err;
	uint32_t count;
	size_t off = 0, len;
	const uint8_t *item;

	if (!fld)
		return "frame did not decode";
	if (wire_strv_count(fld, &count, &err) != -1)
		return "wire_strv_count accepted it";
	if (!strstr(err.msg, want)) {
		snprintf(why, sizeof(why), "count said `%s`", err.msg);
		return why;
	}
	if (wire_strv_next(fld, &off, &item, &len, &err) != -1)
		return "wire_strv_next accepted it";
	return NULL;
}

TEST(strv_malformed)
{
	struct raw r;
	struct wire_frame f;
	const char *why;

	/* Shorter than the count. */
	why = strv_rejects(strv_frame(&r, &f, "\x01\x00\x00", 3), "lacks its 4-byte count");
	ASSERT_STREQ(why ? why : "ok", "ok");
	/* Count over the cap (decided before walking). */
	why = strv_rejects(strv_frame(&r, &f, "\x01\x10\x00\x00", 4),
			   "string vector count 4097 exceeds limit 4096");
	ASSERT_STREQ(why ? why : "ok", "ok");
	why = strv_rejects(strv_frame(&r, &f, "\xff\xff\xff\xff", 4), "count 4294967295");
	ASSERT_STREQ(why ? why : "ok", "ok");
	/* Count says 2, one item present. */
	why = strv_rejects(strv_frame(&r, &f, "\x02\0\0\0\x01\0\0\0a", 9),
			   "item 1 of 2 lacks its length");
	ASSERT_STREQ(why ? why : "ok", "ok");
	/* Item length past the field. */
	why = strv_rejects(strv_frame(&r, &f, "\x01\0\0\0\x05\0\0\0ab", 10),
			   "item 0 length 5 runs past the field (2 bytes left)");
	ASSERT_STREQ(why ? why : "ok", "ok");
	why = strv_rejects(strv_frame(&r, &f, "\x01\0\0\0\xff\xff\xff\xff", 8),
			   "length 4294967295 runs past");
	ASSERT_STREQ(why ? why : "ok", "ok");
	/* Count says 1, two items present: trailing bytes. */
	why = strv_rejects(strv_frame(&r, &f, "\x01\0\0\0\x01\0\0\0a\x01\0\0\0b", 14),
			   "5 trailing bytes after 1 string vector items");
	ASSERT_STREQ(why ? why : "ok", "ok");
	/* NUL inside an item. */
	why = strv_rejects(strv_frame(&r, &f, "\x01\0\0\0\x03\0\0\0a\0b", 11), "NUL byte");
	ASSERT_STREQ(why ? why : "ok", "ok");

	/* A well-formed one, iterated with a stray offset afterwards. */
	const struct wire_field *fld = strv_frame(&r, &f, "\x01\0\0\0\x01\0\0\0a", 9);
	ASSERT(fld != NULL);
	struct kerr err;
	size_t off = 0, len;
	const uint8_t *item;
	ASSERT_EQ(wire_strv_next(fld, &off, &item, &len, &err), 1);
	ASSERT_EQ(len, 1);
	ASSERT_EQ(item[0], 'a');
	ASSERT_EQ(wire_strv_next(fld, &off, &item, &len, &err), 0);
	off = 100;
	ASSERT_EQ(wire_strv_next(fld, &off, &item, &len, &err), -1);
	off = 6;
	ASSERT_EQ(wire_strv_next(fld, &off, &item, &len, &err), -1);
}

TEST(encoder_overflow_of_small_buf)
{
	struct buf b;
	struct wire_enc e;
	struct kerr err;

	buf_init(&b, 40);
	/* A first frame that fits stays intact after a second one fails. */
	wire_enc_begin(&e, &b, WIRE_T_OK, 1, 0);
	wire_enc_u32(&e, WIRE_F_CODE, 0);
	ASSERT_EQ(wire_enc_end(&e, &err), 0);
	ASSERT_EQ(b.len, 22);
	uint8_t copy[22];
	memcpy(copy, b.data, sizeof(copy));

	wire_enc_begin(&e, &b, WIRE_T_ERROR, 2, 0);
	ASSERT_EQ(e.start, 22);
	wire_enc_u32(&e, WIRE_F_CODE, 125);
	wire_enc_str(&e, WIRE_F_MSG, "this message does not fit in forty bytes");
	wire_enc_u32(&e, WIRE_F_EXIT_CODE, 1); /* sticky: ignored after the failure */
	ASSERT_EQ(wire_enc_end(&e, &err), -1);
	ASSERT_CONTAINS(err.msg, "encode ERROR frame: ");
	ASSERT_CONTAINS(err.msg, "limit 40");
	ASSERT_EQ(b.len, 22);
	ASSERT_MEMEQ(b.data, copy, sizeof(copy));

	/* Not even the header fits. */
	buf_done(&b);
	buf_init(&b, 8);
	wire_enc_begin(&e, &b, WIRE_T_OK, 1, 0);
	wire_enc_u32(&e, WIRE_F_CODE, 0);
	ASSERT_EQ(wire_enc_end(&e, &err), -1);
	ASSERT_CONTAINS(err.msg, "encode OK frame: ");
	ASSERT_EQ(b.len, 0);
	buf_done(&b);
}

TEST(encoder_refuses_undecodable_frames)
{
	struct buf b;
	struct wire_enc e;
	struct kerr err;

	buf_init(&b, 4 * KETTLE_FRAME_MAX);

	/* Above KETTLE_FRAME_MAX even though the buf would take it. */
	size_t big = KETTLE_FRAME_MAX - WIRE_HDR_LEN - 6;
	uint8_t *p = calloc(1, big + 1);
	ASSERT(p != NULL);
	wire_enc_begin(&e, &b, WIRE_T_DATA, 1, 0);
	wire_enc_bytes(&e, WIRE_F_DATA, p, big + 1);
	ASSERT_EQ(wire_enc_end(&e, &err), -1);
	ASSERT_STREQ(err.msg, "encode DATA frame: field DATA (14): frame would exceed limit "
			      "1048576 bytes (12 bytes so far, field of 1048559)");
	ASSERT_EQ(b.len, 0);
	/* Exactly at the cap: fine, and the decoder takes it. */
	wire_enc_begin(&e, &b, WIRE_T_DATA, 1, 0);
	wire_enc_bytes(&e, WIRE_F_DATA, p, big);
	ASSERT_EQ(wire_enc_end(&e, &err), 0);
	ASSERT_EQ(b.len, KETTLE_FRAME_MAX);
	struct wire_frame f;
	size_t used;
	ASSERT_EQ(wire_decode(b.data, b.len, KETTLE_FRAME_MAX, &f, &used, &err), 1);
	free(p);
	buf_clear(&b);

	wire_enc_begin(&e, &b, WIRE_T_KILL, 1, 0);
	wire_enc_u32(&e, WIRE_F_SIGNAL, 9);
	wire_enc_u32(&e, WIRE_F_SIGNAL, 15);
	ASSERT_EQ(wire_enc_end(&e, &err), -1);
	ASSERT_STREQ(err.msg, "encode KILL frame: duplicate field tag 8");
	ASSERT_EQ(b.len, 0);

	wire_enc_begin(&e, &b, WIRE_T_OK, 1, 0);
	for (uint16_t t = 100; t < 100 + WIRE_FIELDS_MAX; t++)
		wire_enc_u32(&e, t, t);
	ASSERT_EQ(wire_enc_end(&e, &err), 0);
	buf_clear(&b);
	wire_enc_begin(&e, &b, WIRE_T_OK, 1, 0);
	for (uint16_t t = 100; t <= 100 + WIRE_FIELDS_MAX; t++)
		wire_enc_u32(&e, t, t);
	ASSERT_EQ(wire_enc_end(&e, &err), -1);
	ASSERT_STREQ(err.msg, "encode OK frame: frame has more than 32 fields");

	wire_enc_begin(&e, &b, 999, 1, 0);
	wire_enc_u32(&e, WIRE_F_CODE, 1);
	ASSERT_EQ(wire_enc_end(&e, &err), -1);
	ASSERT_STREQ(err.msg, "encode frame: unknown message type 999");

	wire_enc_begin(&e, &b, WIRE_T_RENAME, 1, 0);
	wire_enc_str(&e, WIRE_F_NAME, NULL);
	ASSERT_EQ(wire_enc_end(&e, &err), -1);
	ASSERT_STREQ(err.msg, "encode RENAME frame: field NAME (5): NULL string");

	char *v[] = { "a", NULL };
	wire_enc_begin(&e, &b, WIRE_T_SHIM_EXEC, 1, 0);
	wire_enc_strv(&e, WIRE_F_ARGV, v, 2);
	ASSERT_EQ(wire_enc_end(&e, &err), -1);
	ASSERT_CONTAINS(err.msg, "item 1 is NULL");

	wire_enc_begin(&e, &b, WIRE_T_SHIM_EXEC, 1, 0);
	wire_enc_strv(&e, WIRE_F_ARGV, v, WIRE_STRV_MAX + 1);
	ASSERT_EQ(wire_enc_end(&e, &err), -1);
	ASSERT_CONTAINS(err.msg, "string vector of 4097 items exceeds limit 4096");
	ASSERT_EQ(b.len, 0);
	buf_done(&b);
}

TEST(two_frames_back_to_back)
{
	struct buf b;
	struct wire_enc e;
	struct kerr err;
	struct wire_frame f;
	size_t used;
	char s[32];

	buf_init(&b, KETTLE_FRAME_MAX);
	wire_enc_begin(&e, &b, WIRE_T_DATA, 5, 0);
	wire_enc_u32(&e, WIRE_F_STREAM, 1);
	wire_enc_bytes(&e, WIRE_F_DATA, "hello\n", 6);
	ASSERT_EQ(wire_enc_end(&e, &err), 0);
	size_t first = b.len;
	wire_enc_begin(&e, &b, WIRE_T_END, 5, 0);
	wire_enc_u32(&e, WIRE_F_EXIT_CODE, 3);
	wire_enc_str(&e, WIRE_F_MSG, "bye");
	ASSERT_EQ(wire_enc_end(&e, &err), 0);
	/* And the start of a third. */
	wire_enc_begin(&e, &b, WIRE_T_END, 6, 0);
	ASSERT_EQ(wire_enc_end(&e, &err), 0);
	b.len -= 1;

	ASSERT_EQ(wire_decode(b.data, b.len, KETTLE_FRAME_MAX, &f, &used, &err), 1);
	ASSERT_EQ(used, first);
	ASSERT_EQ(f.type, WIRE_T_DATA);
	const uint8_t *p;
	size_t len;
	ASSERT_EQ(wire_get_bytes(&f, WIRE_F_DATA, true, &p, &len, &err), 1);
	ASSERT_EQ(len, 6);
	ASSERT_MEMEQ(p, "hello\n", 6);

	size_t off = used;
	ASSERT_EQ(wire_decode(b.data + off, b.len - off, KETTLE_FRAME_MAX, &f, &used, &err), 1);
	ASSERT_EQ(f.type, WIRE_T_END);
	ASSERT_EQ(f.reqid, 5);
	uint32_t code;
	ASSERT_EQ(wire_get_u32(&f, WIRE_F_EXIT_CODE, true, &code, &err), 1);
	ASSERT_EQ(code, 3);
	ASSERT_EQ(wire_get_str(&f, WIRE_F_MSG, true, s, sizeof(s), &err), 1);
	ASSERT_STREQ(s, "bye");
	off += used;
	ASSERT_EQ(b.len - off, WIRE_HDR_LEN - 1);
	ASSERT_EQ(wire_decode(b.data + off, b.len - off, KETTLE_FRAME_MAX, &f, &used, &err), 0);
	buf_done(&b);
}

TEST(type_names)
{
	ASSERT_STREQ(wire_type_name(WIRE_T_CREATE), "CREATE");
	ASSERT_STREQ(wire_type_name(WIRE_T_SHIM_STATE), "SHIM_STATE");
	ASSERT_STREQ(wire_type_name(WIRE_T_AUTH), "AUTH");
	ASSERT_STREQ(wire_type_name(WIRE_T_SHIM_RESUME), "SHIM_RESUME");
	ASSERT_STREQ(wire_type_name(0), "unknown");
	ASSERT_STREQ(wire_type_name(65535), "unknown");
	int known = 0;
	for (uint32_t t = 0; t <= UINT16_MAX; t++)
		known += wire_type_known((uint16_t)t);
	ASSERT_EQ(known, 10 + 15 + 13 + 9);
	ASSERT(wire_type_known(WIRE_T_UNPAUSE));
	ASSERT(!wire_type_known(WIRE_T_UNPAUSE + 1));
	ASSERT_STREQ(wire_type_name(WIRE_T_IMAGE_HISTORY), "IMAGE_HISTORY");
	ASSERT(!wire_type_known(WIRE_T_IMAGE_HISTORY + 1));
}

RUN_TESTS(T(round_trip_every_field_type), T(round_trip_empty_frame_and_empty_strv),
	  T(truncated_at_every_byte_needs_more), T(field_length_beyond_payload_fails),
	  T(length_over_cap_decided_from_header), T(duplicate_tag_fails),
	  T(malformed_numbers_and_missing_fields), T(string_getter_limits), T(string_view_getter),
	  T(too_many_fields), T(unknown_type_fails_from_header), T(unknown_tag_kept_and_skipped),
	  T(strv_malformed), T(encoder_overflow_of_small_buf),
	  T(encoder_refuses_undecodable_frames), T(two_frames_back_to_back), T(type_names))
