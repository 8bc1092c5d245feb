/*
 * sha256_test: unit tests for src/image/sha256.c (test layer).
 *
 * The FIPS 180-4 example vectors (NIST's "abc", the empty string, the two-block
 * message, a million 'a'), updates split at every offset of a block, and the portable and
 * accelerated block functions compared on pseudo-random input of every length up to
 * several blocks. Pure: no files.
 */
#include <string.h>

#include "harness.h"
#include "image/sha256.h"

static void hex_of(const char *s, char out[SHA256_HEX_LEN + 1])
{
	sha256_hex_of(s, strlen(s), out);
}

static void vectors(void)
{
	char hex[SHA256_HEX_LEN + 1];

	hex_of("abc", hex);
	ASSERT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hex_of("", hex);
	ASSERT_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", hex);
	ASSERT_STREQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	hex_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
	       "nopqrlmnopqrsmnopqrstnopqrstu",
	       hex);
	ASSERT_STREQ(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

	struct sha256 s;
	uint8_t d[SHA256_LEN];
	char a[1000];
	memset(a, 'a', sizeof(a));
	sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		sha256_update(&s, a, sizeof(a));
	sha256_final(&s, d);
	sha256_hex(d, hex);
	ASSERT_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(fips_vectors_portable)
{
	sha256_use_accel(false);
	vectors();
	sha256_use_accel(true);
}

TEST(fips_vectors_best)
{
	sha256_use_accel(true);
	vectors();
	printf("  (sha256: %s block function)\n", sha256_accelerated() ? "SHA-NI" : "portable");
}

/* Every split point of a 200-byte message gives the one-shot digest. */
TEST(split_updates)
{
	uint8_t msg[200], d[SHA256_LEN];
	char want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	sha256_hex_of(msg, sizeof(msg), want);
	for (size_t cut = 0; cut <= sizeof(msg); cut++) {
		struct sha256 s;

		sha256_init(&s);
		sha256_update(&s, msg, cut);
		sha256_update(&s, msg + cut, sizeof(msg) - cut);
		sha256_final(&s, d);
		sha256_hex(d, got);
		ASSERT_STREQ(got, want);
	}
}

TEST(portable_equals_accelerated)
{
	static uint8_t buf[4096];
	uint32_t x = 0x12345678;
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t n = 0; n <= sizeof(buf); n += (n < 300 ? 1 : 61)) {
		sha256_use_accel(false);
		sha256_hex_of(buf, n, a);
		sha256_use_accel(true);
		sha256_hex_of(buf, n, b);
		ASSERT_STREQ(a, b);
	}
}

RUN_TESTS(T(fips_vectors_portable), T(fips_vectors_best), T(split_updates),
	  T(portable_equals_accelerated))
