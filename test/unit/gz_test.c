/*
 * gz_test: unit tests for src/image/gz.c, the gzip wrapper (test layer).
 *
 * Streams made with `gzip -n -9`: one member, two members back to back, fed whole and one
 * byte at a time; a truncated member, a corrupted byte, trailing garbage, empty input;
 * and the format detection by magic bytes. Pure: no files.
 */
#include <string.h>

#include "harness.h"
#include "image/gz.h"

/* printf 'hello, kettle\n' | gzip -n -9 */
static const uint8_t one[] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48,
	0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0xc8, 0x4e, 0x2d, 0x29, 0xc9, 0x49, 0xe5,
	0x02, 0x00, 0x75, 0x5b, 0x3f, 0x37, 0x0e, 0x00, 0x00, 0x00,
};
/* printf 'second\n' | gzip -n -9 */
static const uint8_t two[] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x2b, 0x4e, 0x4d, 0xce,
	0xcf, 0x4b, 0xe1, 0x02, 0x00, 0x7e, 0xc0, 0x0f, 0x06, 0x07, 0x00, 0x00, 0x00,
};

/* Inflates in (chunk bytes per call) into out; returns gz_inflate's or gz_finish's rc. */
static int run(const uint8_t *in, size_t n, size_t chunk, char *out, size_t cap, size_t *len,
	       struct kerr *err)
{
	struct gz *g = gz_new(err);
	size_t pos = 0;
	int rc = 0;

	*len = 0;
	if (!g)
		return -1;
	while (pos < n && rc == 0) {
		size_t k = n - pos < chunk ? n - pos : chunk, used, made;

		rc = gz_inflate(g, in + pos, k, &used, (uint8_t *)out + *len, cap - *len, &made,
				err);
		pos += used;
		*len += made;
		if (rc == 0 && used == 0 && made == 0)
			break;
	}
	if (rc == 0)
		rc = gz_finish(g, err);
	gz_free(g);
	out[*len] = '\0';
	return rc;
}

TEST(one_member)
{
	char out[64];
	size_t len;
	struct kerr err;

	ASSERT_EQ(run(one, sizeof(one), sizeof(one), out, sizeof(out) - 1, &len, &err), 0);
	ASSERT_STREQ(out, "hello, kettle\n");
	ASSERT_EQ(run(one, sizeof(one), 1, out, sizeof(out) - 1, &len, &err), 0);
	ASSERT_STREQ(out, "hello, kettle\n");
}

TEST(two_members)
{
	uint8_t both[sizeof(one) + sizeof(two)];
	char out[64];
	size_t len;
	struct kerr err;

	memcpy(both, one, sizeof(one));
	memcpy(both + sizeof(one), two, sizeof(two));
	ASSERT_EQ(run(both, sizeof(both), sizeof(both), out, sizeof(out) - 1, &len, &err), 0);
	ASSERT_STREQ(out, "hello, kettle\nsecond\n");
	ASSERT_EQ(run(both, sizeof(both), 3, out, sizeof(out) - 1, &len, &err), 0);
	ASSERT_STREQ(out, "hello, kettle\nsecond\n");
}

TEST(bad_streams)
{
	uint8_t buf[sizeof(one) + 4];
	char out[64];
	size_t len;
	struct kerr err;

	ASSERT_EQ(run(one, sizeof(one) - 5, sizeof(one), out, sizeof(out) - 1, &len, &err), -1);
	ASSERT_CONTAINS(err.msg, "ends early");
	ASSERT_EQ(run(one, 0, 1, out, sizeof(out) - 1, &len, &err), -1);
	ASSERT_CONTAINS(err.msg, "ends early");
	memcpy(buf, one, sizeof(one));
	buf[sizeof(one) - 6] ^= 0x55; /* the CRC */
	ASSERT_EQ(run(buf, sizeof(one), sizeof(one), out, sizeof(out) - 1, &len, &err), -1);
	ASSERT_CONTAINS(err.msg, "gzip: ");
	memcpy(buf, one, sizeof(one));
	memcpy(buf + sizeof(one), "junk", 4);
	ASSERT_EQ(run(buf, sizeof(buf), sizeof(buf), out, sizeof(out) - 1, &len, &err), -1);
	ASSERT_CONTAINS(err.msg, "unexpected data at byte 34 after the end");
	memcpy(buf, one, sizeof(one));
	buf[3] = 0xe0; /* reserved flag bits */
	ASSERT_EQ(run(buf, sizeof(one), sizeof(one), out, sizeof(out) - 1, &len, &err), -1);
}

TEST(detect)
{
	ASSERT_EQ(gz_detect(one, sizeof(one)), GZ_GZIP);
	ASSERT_EQ(gz_detect((const uint8_t *)"\x28\xb5\x2f\xfd\0\0", 6), GZ_ZSTD);
	ASSERT_EQ(gz_detect((const uint8_t *)"BZh91A", 6), GZ_BZIP2);
	ASSERT_EQ(gz_detect((const uint8_t *)"\xfd"
					     "7zXZ\0",
			    6),
		  GZ_XZ);
	ASSERT_EQ(gz_detect((const uint8_t *)"usr/bi", 6), GZ_NONE);
	ASSERT_EQ(gz_detect(one, 1), GZ_NONE);
	ASSERT_STREQ(gz_format_name(GZ_ZSTD), "zstd");
}

RUN_TESTS(T(one_member), T(two_members), T(bad_streams), T(detect))
