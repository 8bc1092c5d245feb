/*
 * layer: one layer blob read, verified and unpacked (mechanism, image folder).
 *
 * The blob's bytes are hashed as they are read (its digest), decompressed when they are
 * gzip (gz.c, by magic bytes), hashed again (the diff_id) and counted against a cap
 * (--max-layer-size: a gzip bomb stops there), and extracted by copy_extract_src under
 * the directory given, with ownership, modes, set-id bits and xattrs kept, device nodes
 * only when asked (root), and whiteouts in overlayfs form (whiteout.c). Both digests and
 * the size are checked against what the manifest and config promised: a mismatch fails
 * with "digest mismatch" naming the blob. Never logs; the caller owns the directory and
 * removes it on failure.
 */
#ifndef KETTLE_LAYER_H
#define KETTLE_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kerr.h"
#include "copy/copy.h"
#include "image/gz.h"
#include "image/imgref.h"
#include "image/imgsrc.h"
#include "image/whiteout.h"

#define LAYER_MAX_SIZE_DEFAULT (64ull << 30) /* --max-layer-size: 64 GiB uncompressed */

struct layer_in {
	const struct copy_src *blob; /* the blob's bytes; borrowed */
	const char *what;	     /* "layer 2 (sha256:…)" for messages; borrowed */
	const char *blob_digest;     /* expected, or NULL: computed only */
	uint64_t blob_size;	     /* expected, or UINT64_MAX: not checked */
	const char *diff_id;	     /* expected diff_id, or NULL: computed only */
	uint64_t max_size;	     /* cap on uncompressed bytes */
	bool devices;		     /* create device nodes (the caller is root) */
	imgsrc_progress_fn progress; /* compressed bytes read so far, or NULL */
	void *pdata;		     /* progress's argument */
};

struct layer_out {
	char blob_digest[IMGREF_DIGEST_LEN + 1]; /* what the blob hashed to */
	uint64_t blob_size;			 /* its bytes */
	char diff_id[IMGREF_DIGEST_LEN + 1];	 /* what the uncompressed tar hashed to */
	uint64_t tar_size;			 /* bytes of the uncompressed tar */
	enum gz_format format;			 /* how the blob was compressed */
	struct whiteout_stats stats;		 /* what was created */
};

/*
 * Reads in->blob to its end and, when dirfd >= 0, extracts it under dirfd (an empty
 * directory: the layer's diff). dirfd < 0 only verifies. Fills out even on a mismatch.
 */
int layer_unpack(int dirfd, const struct layer_in *in, struct layer_out *out, struct kerr *err);

#endif
