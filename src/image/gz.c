/*
 * gz: gzip decompression through zlib (mechanism, image folder; pure).
 *
 * The only includer of <zlib.h>. inflateInit2 with windowBits 16+15 accepts gzip only
 * (no raw deflate, no zlib header), so a file that merely starts with 1f 8b but is
 * something else fails with zlib's own reason. After Z_STREAM_END the next input must
 * start another member: it is reset and goes on; a stream ending mid-member is reported
 * by gz_finish. No I/O, no logging.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "image/gz.h"

struct gz {
	z_stream z;	 /* zlib's state; next_in/next_out set per call */
	bool in_member;	 /* inside a member (header seen, end not yet) */
	bool members;	 /* at least one member completed */
	uint64_t in_off; /* compressed bytes consumed so far (for messages) */
};

struct gz *gz_new(struct kerr *err)
{
	struct gz *g = calloc(1, sizeof(*g));

	if (!g) {
		kerr_set(err, ENOMEM, "gzip decoder");
		return NULL;
	}
	if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		kerr_set(err, ENOMEM, "gzip decoder: %s", g->z.msg ? g->z.msg : "inflateInit2");
		free(g);
		return NULL;
	}
	return g;
}

struct gz *gz_free(struct gz *g)
{
	if (g) {
		inflateEnd(&g->z);
		free(g);
	}
	return NULL;
}

int gz_inflate(struct gz *g, const uint8_t *in, size_t inlen, size_t *used, uint8_t *out,
	       size_t cap, size_t *made, struct kerr *err)
{
	/* zlib counts in uInt: feed at most 1 GiB per call, callers loop anyway. */
	const size_t step = 1u << 30;

	*used = 0;
	*made = 0;
	while (*made < cap && *used < inlen) {
		if (!g->in_member) {
			/* A new member must start with the gzip magic: no trailing garbage. */
			if (in[*used] != 0x1f || (inlen - *used >= 2 && in[*used + 1] != 0x8b))
				return kerr_set(err, 0,
						"gzip: unexpected data at byte %" PRIu64
						" after the end of the stream",
						g->in_off + *used);
			if (g->members && inflateReset(&g->z) != Z_OK)
				return kerr_set(err, 0, "gzip: reset for the next member");
			g->in_member = true;
		}
		size_t ni = inlen - *used, no = cap - *made;
		g->z.next_in = (Bytef *)(uintptr_t)(in + *used);
		g->z.avail_in = (uInt)(ni > step ? step : ni);
		g->z.next_out = out + *made;
		g->z.avail_out = (uInt)(no > step ? step : no);
		uInt ai = g->z.avail_in, ao = g->z.avail_out;
		int r = inflate(&g->z, Z_NO_FLUSH);
		size_t took = ai - g->z.avail_in, gave = ao - g->z.avail_out;
		*used += took;
		*made += gave;
		if (r == Z_STREAM_END) {
			g->in_member = false;
			g->members = true;
			continue;
		}
		if (r == Z_BUF_ERROR && (took || gave))
			continue;
		if (r != Z_OK && r != Z_BUF_ERROR) {
			uint64_t at = g->in_off + *used;
			const char *why = g->z.msg ? g->z.msg : "corrupt data";

			g->in_off += *used;
			return kerr_set(err, r == Z_MEM_ERROR ? ENOMEM : EINVAL,
					"gzip: %s (compressed byte %" PRIu64 ")", why, at);
		}
		if (!took && !gave)
			break; /* needs more input than there is */
	}
	g->in_off += *used;
	return 0;
}

int gz_finish(const struct gz *g, struct kerr *err)
{
	if (g->in_member || !g->members)
		return kerr_set(err, 0,
				"gzip: the stream ends early (truncated after %" PRIu64
				" compressed bytes)",
				g->in_off);
	return 0;
}

enum gz_format gz_detect(const uint8_t *p, size_t n)
{
	static const uint8_t xz[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return GZ_GZIP;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return GZ_ZSTD;
	if (n >= 3 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h')
		return GZ_BZIP2;
	if (n >= 6 && memcmp(p, xz, sizeof(xz)) == 0)
		return GZ_XZ;
	return GZ_NONE;
}

const char *gz_format_name(enum gz_format f)
{
	switch (f) {
	case GZ_GZIP:
		return "gzip";
	case GZ_ZSTD:
		return "zstd";
	case GZ_BZIP2:
		return "bzip2";
	case GZ_XZ:
		return "xz";
	default:
		return "uncompressed";
	}
}
