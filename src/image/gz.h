/*
 * gz: gzip decompression through zlib (mechanism, image folder; pure).
 *
 * The only file that includes <zlib.h> (scripts/check-layers.sh enforces it), so zlib's
 * return codes are turned into a kerr here and nowhere else (STYLE rule 7). A stream is
 * one or more gzip members back to back (RFC 1952; `cat a.gz b.gz` is valid, as for
 * gzip -d and Go's reader); anything after a member that is not another member is an
 * error, and so is input that ends inside one. No I/O: the caller moves the bytes.
 */
#ifndef KETTLE_GZ_H
#define KETTLE_GZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"

struct gz;

/* A fresh gzip decoder, or NULL with err (out of memory). */
struct gz *gz_new(struct kerr *err);
/* Frees g (NULL is fine); returns NULL. */
struct gz *gz_free(struct gz *g);

/*
 * Inflates in[0..inlen) into out[0..cap): *used input bytes were consumed and *made
 * output bytes produced (either may be 0 when the other is not). Fails on corrupt data,
 * naming the byte offset of the compressed stream.
 */
int gz_inflate(struct gz *g, const uint8_t *in, size_t inlen, size_t *used, uint8_t *out,
	       size_t cap, size_t *made, struct kerr *err);
/* At the end of the input: 0 when the last member was complete, else -1 (truncated). */
int gz_finish(const struct gz *g, struct kerr *err);

/* Compression formats recognised by their first bytes. */
enum gz_format {
	GZ_NONE = 0, /* not compressed (or not recognised: read as a tar stream) */
	GZ_GZIP,     /* 1f 8b */
	GZ_ZSTD,     /* 28 b5 2f fd */
	GZ_BZIP2,    /* "BZh" */
	GZ_XZ,	     /* fd "7zXZ" 00 */
};
/* The format of a stream that starts with p[0..n) (n >= 6 for a sure answer). */
enum gz_format gz_detect(const uint8_t *p, size_t n);
/* "gzip", "zstd", … for messages. */
const char *gz_format_name(enum gz_format f);

#endif
