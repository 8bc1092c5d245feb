/*
 * sha256: SHA-256 of FIPS 180-4, kettle's own (mechanism, image folder; pure).
 *
 * Streaming: init, any number of updates, final. Every image blob and layer stream is
 * checked with it, so it is on the hot path of `kettle load`: the block function uses the
 * x86 SHA extensions when the CPU has them (checked once with cpuid) and portable C
 * otherwise; both give the same digests (test/unit/sha256_test.c holds the standard
 * vectors and compares the two on random input). No I/O, no allocation.
 */
#ifndef KETTLE_SHA256_H
#define KETTLE_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN     32 /* bytes of a digest */
#define SHA256_HEX_LEN 64 /* hex characters of a digest */
#define SHA256_BLOCK   64 /* bytes of one compression block */

struct sha256 {
	uint32_t h[8];		   /* the chaining state, H0..H7 */
	uint64_t len;		   /* bytes hashed so far */
	uint8_t buf[SHA256_BLOCK]; /* a partial block waiting for more input */
	size_t nbuf;		   /* bytes used in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
/* Pads, writes the digest to out and leaves s unusable until the next init. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
/* Lowercase hex of a digest, NUL-terminated. */
void sha256_hex(const uint8_t d[SHA256_LEN], char out[SHA256_HEX_LEN + 1]);
/* One-shot: the hex digest of p[0..n). */
void sha256_hex_of(const void *p, size_t n, char out[SHA256_HEX_LEN + 1]);

/* Tests only: force the portable block function (false) or the best one (true). */
void sha256_use_accel(bool on);
/* True when the SHA extensions are in use. */
bool sha256_accelerated(void);

#endif
