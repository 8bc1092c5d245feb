/*
 * buf: capped growable byte buffer and little-endian cursor (base layer).
 *
 * Invariants: cap <= max at all times; growth doubles (so appends are amortised O(1))
 * but is clamped to max, and a request past max fails before anything is allocated.
 * len <= cap. The cursor's off <= len and a getter that would cross len returns false
 * without moving. Never logs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

/* The first allocation; small frames and lines never need a second. */
#define BUF_MIN_CAP 256

void buf_init(struct buf *b, size_t max)
{
	*b = (struct buf){ .data = NULL, .len = 0, .cap = 0, .max = max };
}

int buf_reserve(struct buf *b, size_t extra, struct kerr *err)
{
	if (extra <= b->cap - b->len)
		return 0;
	if (extra > b->max || b->len > b->max - extra)
		return kerr_set(err, 0, "buffer would grow to %zu bytes, limit %zu",
				extra > SIZE_MAX - b->len ? SIZE_MAX : b->len + extra, b->max);
	size_t need = b->len + extra;
	size_t cap = b->cap ? b->cap : BUF_MIN_CAP;

	while (cap < need) {
		if (cap > b->max / 2) {
			cap = b->max;
			break;
		}
		cap *= 2;
	}
	if (cap > b->max)
		cap = b->max;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return kerr_set(err, ENOMEM, "allocate %zu bytes of buffer", cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n, struct kerr *err)
{
	if (n == 0)
		return 0;
	if (buf_reserve(b, n, err) < 0)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int buf_append_str(struct buf *b, const char *s, struct kerr *err)
{
	return buf_append(b, s, strlen(s), err);
}

int buf_printf(struct buf *b, struct kerr *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return kerr_set(err, errno, "format into buffer");
	/* vsnprintf needs room for its NUL; it is written but not counted in len. */
	if (buf_reserve(b, (size_t)n + 1, err) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void buf_clear(struct buf *b)
{
	b->len = 0;
}

void buf_done(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void buf_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void buf_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint16_t buf_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

uint32_t buf_get_le32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t buf_get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void buf_cur_init(struct buf_cur *c, const void *p, size_t len)
{
	*c = (struct buf_cur){ .p = p, .len = len, .off = 0 };
}

size_t buf_cur_left(const struct buf_cur *c)
{
	return c->len - c->off;
}

bool buf_cur_u16(struct buf_cur *c, uint16_t *v)
{
	if (buf_cur_left(c) < 2)
		return false;
	*v = buf_get_le16(c->p + c->off);
	c->off += 2;
	return true;
}

bool buf_cur_u32(struct buf_cur *c, uint32_t *v)
{
	if (buf_cur_left(c) < 4)
		return false;
	*v = buf_get_le32(c->p + c->off);
	c->off += 4;
	return true;
}

bool buf_cur_u64(struct buf_cur *c, uint64_t *v)
{
	if (buf_cur_left(c) < 8)
		return false;
	*v = buf_get_le64(c->p + c->off);
	c->off += 8;
	return true;
}

bool buf_cur_bytes(struct buf_cur *c, size_t n, const uint8_t **out)
{
	if (buf_cur_left(c) < n)
		return false;
	*out = c->p + c->off;
	c->off += n;
	return true;
}
