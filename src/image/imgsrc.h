/*
 * imgsrc: byte sources for image blobs, stacked (mechanism, image folder).
 *
 * Each is a copy_src (copy.h) over another: a section of a file read with pread, a
 * descriptor read to its end, a tap that hashes and counts what passes through it (with a
 * cap and a progress callback), and a decoder that recognises gzip by its magic bytes,
 * inflates it through gz.c, passes uncompressed data as it is, and refuses zstd, bzip2
 * and xz by name. A layer is read as file -> tap (the blob's digest) -> decoder -> tap
 * (the diff_id) -> tar extractor. No allocation but the decoder's buffer; never logs.
 */
#ifndef KETTLE_IMGSRC_H
#define KETTLE_IMGSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"
#include "copy/copy.h"
#include "image/gz.h"
#include "image/imgref.h"
#include "image/sha256.h"

#define IMGSRC_BUF	     (256u * 1024u) /* the decoder's input buffer (bytes) */
#define IMGSRC_PROGRESS_STEP (1u << 20)	    /* a tap reports progress every this many bytes */

/* file[off, off + len), read with pread. */
struct imgsrc_file {
	int fd;	       /* borrowed */
	uint64_t off;  /* next byte to read */
	uint64_t left; /* bytes left in the section */
};
void imgsrc_file(struct copy_src *src, struct imgsrc_file *f, int fd, uint64_t off, uint64_t len);

/* A descriptor read to its end (a pipe). */
void imgsrc_stream(struct copy_src *src, int *fd);

typedef void (*imgsrc_progress_fn)(void *data, uint64_t bytes);

/* Hashes and counts every byte read through it; more than max fails with too_big. */
struct imgsrc_tap {
	const struct copy_src *in;   /* borrowed: where the bytes come from */
	struct sha256 sha;	     /* of everything read so far */
	uint64_t count;		     /* bytes read so far */
	uint64_t max;		     /* cap (bytes); UINT64_MAX for none */
	const char *too_big;	     /* message when over max ("layer 2 …"); borrowed */
	imgsrc_progress_fn progress; /* called every IMGSRC_PROGRESS_STEP bytes, or NULL */
	void *pdata;		     /* progress's argument */
	uint64_t next_report;	     /* count at which progress is called next */
};
void imgsrc_tap(struct copy_src *src, struct imgsrc_tap *t, const struct copy_src *in, uint64_t max,
		const char *too_big);
/* "sha256:<hex>" of what passed so far (finalizes a copy; the tap goes on). */
void imgsrc_tap_digest(const struct imgsrc_tap *t, char out[IMGREF_DIGEST_LEN + 1]);

/* Decompresses in when it starts with gzip's magic, else passes it through. */
struct imgsrc_dec {
	const struct copy_src *in; /* borrowed: compressed (or plain) bytes */
	const char *what;	   /* the blob, for messages; borrowed */
	struct gz *gz;		   /* owned; NULL for plain data */
	uint8_t *buf;		   /* owned; IMGSRC_BUF input bytes */
	size_t pos;		   /* next unused byte of buf */
	size_t len;		   /* bytes valid in buf */
	bool eof;		   /* in reached its end */
	bool started;		   /* the format was detected */
	enum gz_format fmt;	   /* what the first bytes said */
};
int imgsrc_dec(struct copy_src *src, struct imgsrc_dec *d, const struct copy_src *in,
	       const char *what, struct kerr *err);
void imgsrc_dec_done(struct imgsrc_dec *d);

/* Reads src to its end (hashing taps see every byte). */
int imgsrc_drain(const struct copy_src *src, struct kerr *err);
/* Reads all of src into out (at most max bytes, else an error naming what). */
int imgsrc_slurp(const struct copy_src *src, size_t max, const char *what, struct buf *out,
		 struct kerr *err);

#endif
