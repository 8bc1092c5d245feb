/*
 * imgsrc: stacked byte sources for image blobs (mechanism, image folder).
 *
 * Reads restart on EINTR; a file section that ends before its length is a truncated
 * archive, said as such. The decoder peeks at the first bytes once: gzip goes through
 * gz.c, other known compressions are refused by name, anything else is plain tar. The
 * end of a gzip stream is checked (gz_finish) when its input ends, so a truncated layer
 * is never taken for a short one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "image/imgsrc.h"

static long file_read(void *data, void *buf, size_t n, struct kerr *err)
{
	struct imgsrc_file *f = data;

	if (f->left == 0)
		return 0;
	if (n > f->left)
		n = (size_t)f->left;
	for (;;) {
		ssize_t r = pread(f->fd, buf, n, (off_t)f->off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kerr_set(err, errno, "read the archive at byte %" PRIu64, f->off);
		if (r == 0)
			return kerr_set(err, 0,
					"the archive ends early: %" PRIu64
					" more bytes were expected at byte %" PRIu64,
					f->left, f->off);
		f->off += (uint64_t)r;
		f->left -= (uint64_t)r;
		return (long)r;
	}
}

void imgsrc_file(struct copy_src *src, struct imgsrc_file *f, int fd, uint64_t off, uint64_t len)
{
	f->fd = fd;
	f->off = off;
	f->left = len;
	src->read = file_read;
	src->data = f;
}

static long stream_read(void *data, void *buf, size_t n, struct kerr *err)
{
	for (;;) {
		ssize_t r = read(*(int *)data, buf, n);
		if (r >= 0)
			return (long)r;
		if (errno != EINTR)
			return kerr_set(err, errno, "read the input");
	}
}

void imgsrc_stream(struct copy_src *src, int *fd)
{
	src->read = stream_read;
	src->data = fd;
}

static long tap_read(void *data, void *buf, size_t n, struct kerr *err)
{
	struct imgsrc_tap *t = data;
	long r = t->in->read(t->in->data, buf, n, err);

	if (r <= 0)
		return r;
	if ((uint64_t)r > t->max - t->count)
		return kerr_set(err, 0, "%s", t->too_big);
	sha256_update(&t->sha, buf, (size_t)r);
	t->count += (uint64_t)r;
	if (t->progress && t->count >= t->next_report) {
		t->progress(t->pdata, t->count);
		t->next_report = t->count + IMGSRC_PROGRESS_STEP;
	}
	return r;
}

void imgsrc_tap(struct copy_src *src, struct imgsrc_tap *t, const struct copy_src *in, uint64_t max,
		const char *too_big)
{
	memset(t, 0, sizeof(*t));
	t->in = in;
	t->max = max;
	t->too_big = too_big;
	t->next_report = IMGSRC_PROGRESS_STEP;
	sha256_init(&t->sha);
	src->read = tap_read;
	src->data = t;
}

void imgsrc_tap_digest(const struct imgsrc_tap *t, char out[IMGREF_DIGEST_LEN + 1])
{
	struct sha256 copy = t->sha;
	uint8_t d[SHA256_LEN];

	sha256_final(&copy, d);
	memcpy(out, "sha256:", 7);
	sha256_hex(d, out + 7);
}

/* Refills the decoder's input buffer; sets eof at the end. */
static int dec_fill(struct imgsrc_dec *d, struct kerr *err)
{
	if (d->pos < d->len || d->eof)
		return 0;
	long r = d->in->read(d->in->data, d->buf, IMGSRC_BUF, err);
	if (r < 0)
		return -1;
	d->pos = 0;
	d->len = (size_t)r;
	d->eof = r == 0;
	return 0;
}

static int dec_start(struct imgsrc_dec *d, struct kerr *err)
{
	/* Enough bytes to tell the formats apart (a short read may give fewer). */
	while (!d->eof && d->len < 6) {
		long r = d->in->read(d->in->data, d->buf + d->len, IMGSRC_BUF - d->len, err);
		if (r < 0)
			return -1;
		d->eof = r == 0;
		d->len += (size_t)r;
	}
	d->started = true;
	d->fmt = gz_detect(d->buf, d->len);
	switch (d->fmt) {
	case GZ_GZIP:
		d->gz = gz_new(err);
		return d->gz ? 0 : -1;
	case GZ_NONE:
		return 0;
	default:
		return kerr_set(err, 0,
				"compressed with %s, which kettle does not support (gzip or "
				"uncompressed only)",
				gz_format_name(d->fmt));
	}
}

static long dec_read(void *data, void *buf, size_t n, struct kerr *err)
{
	struct imgsrc_dec *d = data;

	if (!d->started && dec_start(d, err) < 0)
		return -1;
	for (;;) {
		if (dec_fill(d, err) < 0)
			return -1;
		if (!d->gz) {
			size_t k = d->len - d->pos;
			if (k > n)
				k = n;
			memcpy(buf, d->buf + d->pos, k);
			d->pos += k;
			return (long)k;
		}
		if (d->pos == d->len) /* eof */
			return gz_finish(d->gz, err) < 0 ? -1 : 0;
		size_t used, made;
		if (gz_inflate(d->gz, d->buf + d->pos, d->len - d->pos, &used, buf, n, &made, err) <
		    0)
			return -1;
		d->pos += used;
		if (made)
			return (long)made;
	}
}

int imgsrc_dec(struct copy_src *src, struct imgsrc_dec *d, const struct copy_src *in,
	       const char *what, struct kerr *err)
{
	memset(d, 0, sizeof(*d));
	d->in = in;
	d->what = what;
	d->buf = malloc(IMGSRC_BUF);
	if (!d->buf)
		return kerr_set(err, ENOMEM, "%s: decoder buffer", what);
	src->read = dec_read;
	src->data = d;
	return 0;
}

void imgsrc_dec_done(struct imgsrc_dec *d)
{
	d->gz = gz_free(d->gz);
	free(d->buf);
	d->buf = NULL;
}

int imgsrc_drain(const struct copy_src *src, struct kerr *err)
{
	uint8_t buf[16384];

	for (;;) {
		long r = src->read(src->data, buf, sizeof(buf), err);
		if (r <= 0)
			return (int)r;
	}
}

int imgsrc_slurp(const struct copy_src *src, size_t max, const char *what, struct buf *out,
		 struct kerr *err)
{
	for (;;) {
		if (out->len == max) {
			uint8_t one;
			long r = src->read(src->data, &one, 1, err);
			if (r < 0)
				return -1;
			if (r == 0)
				return 0;
			return kerr_set(err, 0, "%s is larger than %zu bytes", what, max);
		}
		size_t want = max - out->len > 65536 ? 65536 : max - out->len;
		if (buf_reserve(out, want, err) < 0)
			return kerr_wrap(err, "%s", what);
		long r = src->read(src->data, out->data + out->len, want, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		out->len += (size_t)r;
	}
}
