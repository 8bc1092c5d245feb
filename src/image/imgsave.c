/*
 * imgsave: write images as a docker-archive or an OCI layout tar (mechanism, image folder).
 *
 * A minimal ustar writer: names are at most "blobs/sha256/" and 64 hex characters, so
 * they fit the 100-byte name field; sizes over 8 GiB use GNU's base-256 encoding; owner
 * root, mode 0644, mtime 0 (the archive is a function of the images alone). Layers go
 * out decompressed for docker's format (their member digest is then the diff_id) and
 * as stored for OCI. Written blobs are remembered so shared ones go out once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/json_w.h"
#include "base/str.h"
#include "copy/copy_tar.h"
#include "image/imgdoc.h"
#include "image/imgref.h"
#include "image/imgsave.h"
#include "image/imgsrc.h"

#define BLOCK	 COPY_TAR_BLOCK
#define SAVE_BUF (1u << 20)
#define DONE_MAX 4096 /* distinct blobs one save writes */

struct saver {
	const struct imgstore *st;	     /* borrowed */
	int out;			     /* borrowed: the tar goes here */
	uint8_t *buf;			     /* owned; SAVE_BUF bytes */
	char (*done)[IMGREF_DIGEST_LEN + 1]; /* owned; blobs written so far */
	size_t ndone;			     /* entries of done */
	imgload_progress_fn progress;	     /* or NULL */
	void *pdata;			     /* progress's argument */
	struct kerr *err;		     /* failures */
};

static void octal(char *field, size_t width, uint64_t v)
{
	/* width - 1 digits and a NUL, as ustar wants; base-256 when it does not fit. */
	if (width - 1 < 22 && v >> (3 * (width - 1))) {
		memset(field, 0, width);
		field[0] = (char)0x80;
		for (size_t i = width - 1; i > 0; i--, v >>= 8)
			field[i] = (char)(v & 0xff);
		return;
	}
	snprintf(field, width, "%0*llo", (int)(width - 1), (unsigned long long)v);
}

static int write_hdr(struct saver *s, const char *name, char type, uint64_t size)
{
	uint8_t h[BLOCK];
	unsigned sum = 0;

	memset(h, 0, sizeof(h));
	if (strlen(name) >= 100)
		return kerr_set(s->err, 0, "save: member name `%s`", name);
	memcpy(h, name, strlen(name));
	octal((char *)h + 100, 8, type == '5' ? 0755 : 0644);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, size);
	octal((char *)h + 136, 12, 0);
	memset(h + 148, ' ', 8);
	h[156] = (uint8_t)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (size_t i = 0; i < BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return fd_write_full(s->out, h, BLOCK, s->err);
}

static int write_pad(struct saver *s, uint64_t size)
{
	static const uint8_t zero[BLOCK];
	size_t pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);

	return pad ? fd_write_full(s->out, zero, pad, s->err) : 0;
}

static int write_mem(struct saver *s, const char *name, const void *p, size_t len)
{
	if (write_hdr(s, name, '0', len) < 0 || fd_write_full(s->out, p, len, s->err) < 0 ||
	    write_pad(s, len) < 0)
		return kerr_wrap(s->err, "save: write `%s`", name);
	return 0;
}

static bool seen(struct saver *s, const char *digest)
{
	for (size_t i = 0; i < s->ndone; i++)
		if (strcmp(s->done[i], digest) == 0)
			return true;
	if (s->ndone < DONE_MAX)
		str_copy(s->done[s->ndone++], IMGREF_DIGEST_LEN + 1, digest);
	return false;
}

/*
 * Writes blob as member blobs/sha256/<hex of as>, decompressed when gunzip (then its size
 * must be size and it must hash to as), else as stored.
 */
static int write_blob(struct saver *s, const char *blob, const char *as, uint64_t size, bool gunzip,
		      const char *action)
{
	char name[96], what[96], got[IMGREF_DIGEST_LEN + 1];
	_cleanup_close_ int fd = -1;
	struct copy_src file_src, dec_src, tap_src;
	struct imgsrc_file f;
	struct imgsrc_dec dec;
	struct imgsrc_tap tap;
	struct stat st;
	uint64_t left;
	int rc = 0;

	if (seen(s, as))
		return 0;
	if (imgstore_blob_open(s->st, blob, &fd, s->err) < 0 || fstat(fd, &st) < 0)
		return kerr_wrap(s->err, "save");
	if (!gunzip)
		size = (uint64_t)st.st_size;
	snprintf(name, sizeof(name), "blobs/sha256/%s", imgref_hex(as));
	snprintf(what, sizeof(what), "blob %s", blob);
	imgsrc_file(&file_src, &f, fd, 0, (uint64_t)st.st_size);
	const struct copy_src *in = &file_src;
	if (gunzip) {
		if (imgsrc_dec(&dec_src, &dec, &file_src, what, s->err) < 0)
			return -1;
		in = &dec_src;
	}
	imgsrc_tap(&tap_src, &tap, in, size, "");
	if (write_hdr(s, name, '0', size) < 0)
		rc = -1;
	for (left = size; rc == 0 && left > 0;) {
		long n = tap_src.read(tap_src.data, s->buf, left > SAVE_BUF ? SAVE_BUF : left,
				      s->err);
		if (n <= 0) {
			rc = n < 0 ? -1 : kerr_set(s->err, 0, "%s is shorter than recorded", what);
			break;
		}
		rc = fd_write_full(s->out, s->buf, (size_t)n, s->err);
		left -= (uint64_t)n;
		if (s->progress && action)
			s->progress(s->pdata, action, imgref_hex(as), size - left, size);
	}
	if (gunzip)
		imgsrc_dec_done(&dec);
	if (rc == 0 && write_pad(s, size) < 0)
		rc = -1;
	if (rc == 0) {
		imgsrc_tap_digest(&tap, got);
		if (strcmp(got, as) != 0)
			rc = kerr_set(s->err, 0,
				      "%s: digest mismatch in the store: it hashes to %s, not %s",
				      what, got, as);
	}
	return rc < 0 ? kerr_wrap(s->err, "save") : 0;
}

static int write_dirs(struct saver *s)
{
	if (write_hdr(s, "blobs/", '5', 0) < 0 || write_hdr(s, "blobs/sha256/", '5', 0) < 0)
		return kerr_wrap(s->err, "save");
	return 0;
}

static int write_end(struct saver *s)
{
	static const uint8_t zero[2 * BLOCK];

	return fd_write_full(s->out, zero, sizeof(zero), s->err);
}

static int save_docker(struct saver *s, const struct imgstore_image *images, size_t n)
{
	struct buf man;
	struct json_w w;
	char tag[2 * IMGREF_MAX + 2];
	int rc = write_dirs(s);

	buf_init(&man, IMGDOC_JSON_MAX);
	json_w_init(&w, &man);
	json_w_arr_begin(&w);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct imgstore_image *im = &images[i];

		rc = write_blob(s, im->id, im->id, im->config_size, false, NULL);
		for (size_t k = 0; rc == 0 && k < im->nlayers; k++) {
			const struct imgstore_layer *l = &im->layers[k];

			rc = write_blob(s, l->blob, l->diff_id, l->tar_size,
					strcmp(l->blob, l->diff_id) != 0, "Saving layer");
		}
		json_w_obj_begin(&w);
		json_w_key(&w, "Config");
		snprintf(tag, sizeof(tag), "blobs/sha256/%s", imgref_hex(im->id));
		json_w_str(&w, tag);
		json_w_key(&w, "RepoTags");
		json_w_arr_begin(&w);
		for (size_t t = 0; t < im->tags.n; t++) {
			imgref_familiar(im->tags.v[t], tag, sizeof(tag));
			json_w_str(&w, tag);
		}
		json_w_arr_end(&w);
		json_w_key(&w, "Layers");
		json_w_arr_begin(&w);
		for (size_t k = 0; k < im->nlayers; k++) {
			snprintf(tag, sizeof(tag), "blobs/sha256/%s",
				 imgref_hex(im->layers[k].diff_id));
			json_w_str(&w, tag);
		}
		json_w_arr_end(&w);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	if (rc == 0 && json_w_end(&w, s->err) == 0)
		rc = write_mem(s, "manifest.json", man.data, man.len);
	else
		rc = -1;
	buf_done(&man);
	return rc;
}

static int save_oci(struct saver *s, const struct imgstore_image *images, size_t n)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	struct buf idx;
	struct json_w w;
	char name[2 * IMGREF_MAX + 2];
	int rc = write_dirs(s);

	buf_init(&idx, IMGDOC_JSON_MAX);
	json_w_init(&w, &idx);
	json_w_obj_begin(&w);
	json_w_key(&w, "schemaVersion");
	json_w_i64(&w, 2);
	json_w_key(&w, "mediaType");
	json_w_str(&w, IMGDOC_MT_OCI_INDEX);
	json_w_key(&w, "manifests");
	json_w_arr_begin(&w);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct imgstore_image *im = &images[i];

		rc = write_blob(s, im->manifest, im->manifest, 0, false, NULL);
		if (rc == 0)
			rc = write_blob(s, im->id, im->id, 0, false, NULL);
		for (size_t k = 0; rc == 0 && k < im->nlayers; k++)
			rc = write_blob(s, im->layers[k].blob, im->layers[k].blob, 0, false,
					"Saving layer");
		/* One entry per tag (the annotations name it), or one without a name. */
		for (size_t t = 0; t < (im->tags.n ? im->tags.n : 1); t++) {
			json_w_obj_begin(&w);
			json_w_key(&w, "mediaType");
			json_w_str(&w, im->manifest_type);
			json_w_key(&w, "digest");
			json_w_str(&w, im->manifest);
			json_w_key(&w, "size");
			json_w_u64(&w, im->manifest_size);
			if (im->tags.n) {
				struct imgref r;
				struct kerr ignored;

				json_w_key(&w, "annotations");
				json_w_obj_begin(&w);
				json_w_key(&w, IMGDOC_ANNOT_CTRD_NAME);
				json_w_str(&w, im->tags.v[t]);
				json_w_key(&w, IMGDOC_ANNOT_REF);
				if (imgref_parse(im->tags.v[t], &r, &ignored) == 0)
					json_w_str(&w, r.tag);
				else
					json_w_str(&w, im->tags.v[t]);
				json_w_obj_end(&w);
			}
			json_w_obj_end(&w);
		}
		(void)name;
	}
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	if (rc == 0 && json_w_end(&w, s->err) == 0)
		rc = write_mem(s, "oci-layout", layout, sizeof(layout) - 1) < 0 ||
				     write_mem(s, "index.json", idx.data, idx.len) < 0
			     ? -1
			     : 0;
	else
		rc = -1;
	buf_done(&idx);
	return rc;
}

int imgsave_write(const struct imgstore *st, const struct imgstore_image *images, size_t n,
		  enum imgsave_format format, int outfd, imgload_progress_fn progress, void *pdata,
		  struct kerr *err)
{
	struct saver s = {
		.st = st,
		.out = outfd,
		.progress = progress,
		.pdata = pdata,
		.err = err,
	};
	int rc;

	s.buf = malloc(SAVE_BUF);
	s.done = calloc(DONE_MAX, sizeof(*s.done));
	if (!s.buf || !s.done) {
		free(s.buf);
		free(s.done);
		return kerr_set(err, ENOMEM, "save");
	}
	rc = format == IMGSAVE_OCI ? save_oci(&s, images, n) : save_docker(&s, images, n);
	if (rc == 0 && write_end(&s) < 0)
		rc = kerr_wrap(err, "save");
	free(s.buf);
	free(s.done);
	return rc;
}
