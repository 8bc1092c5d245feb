/*
 * sha256: SHA-256 of FIPS 180-4 (mechanism, image folder; pure).
 *
 * The compression function exists twice: portable C written from the standard's
 * section 6.2.2, and one on the x86 SHA extensions (SHA256RNDS2 does two rounds,
 * SHA256MSG1/MSG2 the message schedule), chosen once by cpuid. The state is kept as
 * H0..H7 in both; the accelerated path repacks it into the ABEF/CDGH register order
 * the instructions want for each run of blocks only. Invariant: both paths produce the
 * same digest for every input (unit-tested). No I/O, no allocation.
 */
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "image/sha256.h"

/* FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

/* 5.3.3: the initial hash value. */
static const uint32_t H0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static inline uint32_t rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* 6.2.2 over nblocks consecutive 64-byte blocks. */
static void blocks_portable(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	uint32_t w[64];

	for (; nblocks > 0; nblocks--, p += SHA256_BLOCK) {
		for (int t = 0; t < 16; t++)
			w[t] = load_be32(p + 4 * t);
		for (int t = 16; t < 64; t++) {
			uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
			uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
			w[t] = w[t - 16] + s0 + w[t - 7] + s1;
		}
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
		uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];
		for (int t = 0; t < 64; t++) {
			uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
			uint32_t ch = (e & f) ^ (~e & g);
			uint32_t t1 = hh + S1 + ch + K[t] + w[t];
			uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
			uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
			uint32_t t2 = S0 + maj;
			hh = g;
			g = f;
			f = e;
			e = d + t1;
			d = c;
			c = b;
			b = a;
			a = t1 + t2;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
		h[5] += f;
		h[6] += g;
		h[7] += hh;
	}
}

#if defined(__x86_64__)
/*
 * The same compression with the SHA extensions. SHA256RNDS2 takes the working variables
 * split in two registers, lanes high to low {A,B,E,F} and {C,D,G,H}, plus W[t]+K[t] for
 * two rounds in the low two lanes; after two rounds the new {C,D,G,H} is the old
 * {A,B,E,F}. The schedule keeps four registers of four words, W[t-16..t-1]:
 * MSG1 adds sigma0 of the next words, the W[t-7] words are an ALIGNR of the last two
 * registers, MSG2 adds sigma1 of the words two back (section 6.2.2 step 1).
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void
blocks_shani(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	/* Byte order: each big-endian word of the block into one lane. */
	const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
	__m128i abef = _mm_set_epi32((int)h[0], (int)h[1], (int)h[4], (int)h[5]);
	__m128i cdgh = _mm_set_epi32((int)h[2], (int)h[3], (int)h[6], (int)h[7]);

	for (; nblocks > 0; nblocks--, p += SHA256_BLOCK) {
		const __m128i abef0 = abef, cdgh0 = cdgh;
		__m128i m[4];

		for (int i = 0; i < 4; i++)
			m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)),
						bswap);
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++) {
			__m128i w = m[i & 3];
			if (i >= 4) {
				/* W[t-16] + sigma0(W[t-15]) + W[t-7], then + sigma1(W[t-2]). */
				w = _mm_sha256msg1_epu32(m[i & 3], m[(i + 1) & 3]);
				w = _mm_add_epi32(
					w, _mm_alignr_epi8(m[(i + 3) & 3], m[(i + 2) & 3], 4));
				w = _mm_sha256msg2_epu32(w, m[(i + 3) & 3]);
				m[i & 3] = w;
			}
			__m128i wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * i]));
			__m128i next = _mm_sha256rnds2_epu32(cdgh, abef, wk);
			cdgh = abef;
			abef = next;
			next = _mm_sha256rnds2_epu32(cdgh, abef, _mm_shuffle_epi32(wk, 0x0e));
			cdgh = abef;
			abef = next;
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	h[0] = (uint32_t)_mm_extract_epi32(abef, 3);
	h[1] = (uint32_t)_mm_extract_epi32(abef, 2);
	h[4] = (uint32_t)_mm_extract_epi32(abef, 1);
	h[5] = (uint32_t)_mm_extract_epi32(abef, 0);
	h[2] = (uint32_t)_mm_extract_epi32(cdgh, 3);
	h[3] = (uint32_t)_mm_extract_epi32(cdgh, 2);
	h[6] = (uint32_t)_mm_extract_epi32(cdgh, 1);
	h[7] = (uint32_t)_mm_extract_epi32(cdgh, 0);
}

/* cpuid: leaf 1 ECX bit 9 SSSE3, bit 19 SSE4.1; leaf 7 EBX bit 29 SHA. */
static bool cpu_has_sha(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
		return false;
	if (__get_cpuid_max(0, NULL) < 7)
		return false;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & (1u << 29)) != 0;
}
#endif

typedef void (*blocks_fn)(uint32_t h[8], const uint8_t *p, size_t nblocks);

/* Chosen on first use; kettle's processes are single-threaded. */
static blocks_fn blocks;

static blocks_fn best(void)
{
#if defined(__x86_64__)
	if (cpu_has_sha())
		return blocks_shani;
#endif
	return blocks_portable;
}

void sha256_use_accel(bool on)
{
	blocks = on ? best() : blocks_portable;
}

bool sha256_accelerated(void)
{
	if (!blocks)
		blocks = best();
	return blocks != blocks_portable;
}

void sha256_init(struct sha256 *s)
{
	if (!blocks)
		blocks = best();
	memcpy(s->h, H0, sizeof(H0));
	s->len = 0;
	s->nbuf = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const uint8_t *p = data;

	s->len += n;
	if (s->nbuf) {
		size_t k = SHA256_BLOCK - s->nbuf;
		if (k > n)
			k = n;
		memcpy(s->buf + s->nbuf, p, k);
		s->nbuf += k;
		p += k;
		n -= k;
		if (s->nbuf < SHA256_BLOCK)
			return;
		blocks(s->h, s->buf, 1);
		s->nbuf = 0;
	}
	if (n >= SHA256_BLOCK) {
		blocks(s->h, p, n / SHA256_BLOCK);
		p += n / SHA256_BLOCK * SHA256_BLOCK;
		n %= SHA256_BLOCK;
	}
	memcpy(s->buf, p, n);
	s->nbuf = n;
}

/* 5.1.1: a 1 bit, zeros up to 56 mod 64 bytes, the length in bits big-endian. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN])
{
	uint64_t bits = s->len * 8;

	s->buf[s->nbuf++] = 0x80;
	if (s->nbuf > 56) {
		memset(s->buf + s->nbuf, 0, SHA256_BLOCK - s->nbuf);
		blocks(s->h, s->buf, 1);
		s->nbuf = 0;
	}
	memset(s->buf + s->nbuf, 0, 56 - s->nbuf);
	for (int i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	blocks(s->h, s->buf, 1);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

void sha256_hex(const uint8_t d[SHA256_LEN], char out[SHA256_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[SHA256_HEX_LEN] = '\0';
}

void sha256_hex_of(const void *p, size_t n, char out[SHA256_HEX_LEN + 1])
{
	struct sha256 s;
	uint8_t d[SHA256_LEN];

	sha256_init(&s);
	sha256_update(&s, p, n);
	sha256_final(&s, d);
	sha256_hex(d, out);
}
