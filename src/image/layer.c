/*
 * layer: read, verify and unpack one layer blob (mechanism, image folder).
 *
 * The stack is file -> tap(blob) -> decoder -> tap(diff) -> copy_extract_src. The
 * extractor stops at the tar's end-of-archive block, so the rest of the stream (the zero
 * padding tar writes up to its record size) is drained through both taps before any
 * digest is read: a digest covers every byte. The checks come after the stream ended and
 * in the order docker makes them: the blob's digest and size, then the diff_id.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "copy/copy_tar.h"
#include "image/layer.h"

static int mismatch(const char *what, const char *kind, const char *want, const char *got,
		    struct kerr *err)
{
	return kerr_set(err, 0, "%s: digest mismatch: its %s should be %s, got %s", what, kind,
			want, got);
}

int layer_unpack(int dirfd, const struct layer_in *in, struct layer_out *out, struct kerr *err)
{
	struct copy_src blob_src, dec_src, diff_src;
	struct imgsrc_tap blob_tap, diff_tap;
	struct imgsrc_dec dec;
	struct copy_hook hook;
	char too_big[256];
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(too_big, sizeof(too_big),
		 "larger than %" PRIu64 " bytes uncompressed (--max-layer-size)", in->max_size);
	imgsrc_tap(&blob_src, &blob_tap, in->blob, UINT64_MAX, "");
	blob_tap.progress = in->progress;
	blob_tap.pdata = in->pdata;
	if (imgsrc_dec(&dec_src, &dec, &blob_src, in->what, err) < 0)
		return -1;
	imgsrc_tap(&diff_src, &diff_tap, &dec_src, in->max_size, too_big);
	whiteout_hook(&hook, &out->stats);
	struct copy_opts o = {
		.keep_owner = true,
		.devices = in->devices,
		.xattrs = true,
		.hook = &hook,
	};
	rc = dirfd >= 0 ? copy_extract_src(dirfd, &diff_src, &o, err) : 0;
	if (rc == 0)
		rc = imgsrc_drain(&diff_src, err);
	if (rc < 0)
		kerr_wrap(err, "%s", in->what);
	out->format = dec.fmt;
	imgsrc_dec_done(&dec);
	if (rc < 0 && in->blob_digest) {
		/* A corrupt blob fails its decompression or its tar first; the cause to name is
		   that its bytes are not the ones the manifest promised. */
		struct kerr ignored;

		if (imgsrc_drain(&blob_src, &ignored) == 0) {
			imgsrc_tap_digest(&blob_tap, out->blob_digest);
			if (strcmp(in->blob_digest, out->blob_digest) != 0)
				return mismatch(in->what, "sha256", in->blob_digest,
						out->blob_digest, err);
		}
	}
	if (rc < 0)
		return -1;
	imgsrc_tap_digest(&blob_tap, out->blob_digest);
	imgsrc_tap_digest(&diff_tap, out->diff_id);
	out->blob_size = blob_tap.count;
	out->tar_size = diff_tap.count;
	if (in->progress)
		in->progress(in->pdata, blob_tap.count);
	if (in->blob_digest && strcmp(in->blob_digest, out->blob_digest) != 0)
		return mismatch(in->what, "sha256", in->blob_digest, out->blob_digest, err);
	if (in->blob_size != UINT64_MAX && in->blob_size != out->blob_size)
		return kerr_set(err, 0,
				"%s: size mismatch: the manifest says %" PRIu64 " bytes, the blob "
				"has %" PRIu64,
				in->what, in->blob_size, out->blob_size);
	if (in->diff_id && strcmp(in->diff_id, out->diff_id) != 0)
		return mismatch(in->what, "uncompressed sha256 (diff_id)", in->diff_id,
				out->diff_id, err);
	return 0;
}
