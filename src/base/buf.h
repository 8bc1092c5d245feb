/*
 * buf: a capped growable byte buffer and a bounds-checked little-endian cursor (base layer).
 *
 * Invariant: a buf never grows past its max; growth beyond it fails with a kerr naming
 * both sizes, before anything is allocated. The cursor never reads past its end: every
 * getter returns false instead. Never logs.
 */
#ifndef KETTLE_BUF_H
#define KETTLE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"

struct buf {
	uint8_t *data; /* owned; freed by buf_done; NULL until first growth */
	size_t len;    /* bytes in use, from data[0] */
	size_t cap;    /* bytes allocated */
	size_t max;    /* cap never exceeds this (bytes) */
};

void buf_init(struct buf *b, size_t max);
/* Makes room for `extra` more bytes after len. */
int buf_reserve(struct buf *b, size_t extra, struct kerr *err);
int buf_append(struct buf *b, const void *p, size_t n, struct kerr *err);
int buf_append_str(struct buf *b, const char *s, struct kerr *err);
int buf_printf(struct buf *b, struct kerr *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Drops n bytes from the front (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* len = 0, keeps memory. */
void buf_clear(struct buf *b);
/* Frees memory; the buf may be reused after buf_init. */
void buf_done(struct buf *b);

void buf_put_le16(uint8_t *p, uint16_t v);
void buf_put_le32(uint8_t *p, uint32_t v);
void buf_put_le64(uint8_t *p, uint64_t v);
uint16_t buf_get_le16(const uint8_t *p);
uint32_t buf_get_le32(const uint8_t *p);
uint64_t buf_get_le64(const uint8_t *p);

struct buf_cur {
	const uint8_t *p; /* borrowed; not owned */
	size_t len;	  /* bytes available at p */
	size_t off;	  /* read position, <= len */
};

void buf_cur_init(struct buf_cur *c, const void *p, size_t len);
size_t buf_cur_left(const struct buf_cur *c);
bool buf_cur_u16(struct buf_cur *c, uint16_t *v);
bool buf_cur_u32(struct buf_cur *c, uint32_t *v);
bool buf_cur_u64(struct buf_cur *c, uint64_t *v);
/* Points *out at the next n bytes (zero-copy). */
bool buf_cur_bytes(struct buf_cur *c, size_t n, const uint8_t **out);

#endif
