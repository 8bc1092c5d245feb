/*
 * imgstore: the image store's files (mechanism, image folder).
 *
 * Directories are opened once (imgstore_open) and everything else is *at() under those
 * descriptors with single, checked names: a digest becomes "<64 hex>" only after
 * imgref_is_digest. Blobs are copied into a temporary file (copy_file_range when the
 * kernel can, read/write otherwise), fsynced, and linked into place without replacing;
 * meta and index documents go through store_write_atomic. Removal never recurses deeper
 * than IMGSTORE_DEPTH_MAX: a deeper directory is renamed next to the tree being removed
 * and removed after it, so a hostile layer of 2000 nested directories is removed with a
 * bounded stack and a bounded number of open descriptors.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/json_w.h"
#include "base/str.h"
#include "image/imgstore.h"
#include "image/sha256.h"
#include "store/ids.h"
#include "store/store.h"

#define NOREPLACE  1u /* RENAME_NOREPLACE of renameat2(2) */
#define COPY_CHUNK (1u << 20)
#define TMP_RANDOM 8 /* random bytes in a temporary name */

static int open_dir(int at, const char *name, bool create, int *fd, struct kerr *err)
{
	if (create && mkdirat(at, name, 0700) < 0 && errno != EEXIST)
		return kerr_set(err, errno, "create `%s`", name);
	*fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return kerr_set(err, errno, "open `%s`", name);
	return 0;
}

int imgstore_open(int rootfd, bool create, struct imgstore *st, struct kerr *err)
{
	int blobs = -1;

	st->dirfd = st->blobs = st->layers = st->meta = st->tmp = st->trash = -1;
	if (open_dir(rootfd, IMGSTORE_DIR, create, &st->dirfd, err) < 0 ||
	    open_dir(st->dirfd, "blobs", create, &blobs, err) < 0 ||
	    open_dir(blobs, "sha256", create, &st->blobs, err) < 0 ||
	    open_dir(st->dirfd, "layers", create, &st->layers, err) < 0 ||
	    open_dir(st->dirfd, "meta", create, &st->meta, err) < 0 ||
	    open_dir(st->dirfd, "tmp", create, &st->tmp, err) < 0 ||
	    open_dir(st->dirfd, "trash", create, &st->trash, err) < 0) {
		fd_close(blobs);
		imgstore_close(st);
		return kerr_wrap(err, "image store");
	}
	fd_close(blobs);
	return 0;
}

void imgstore_close(struct imgstore *st)
{
	st->dirfd = fd_close(st->dirfd);
	st->blobs = fd_close(st->blobs);
	st->layers = fd_close(st->layers);
	st->meta = fd_close(st->meta);
	st->tmp = fd_close(st->tmp);
	st->trash = fd_close(st->trash);
}

/* ---- removal ---- */

static int rm_tree(int parentfd, const char *name, int depth, int topfd, const char *top,
		   unsigned *hoisted, struct kerr *err)
{
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != ENOTDIR && errno != ELOOP)
			return kerr_set(err, errno, "open `%s`", name);
		if (unlinkat(parentfd, name, 0) < 0 && errno != ENOENT)
			return kerr_set(err, errno, "remove `%s`", name);
		return 0;
	}
	DIR *dir = fdopendir(fd);
	if (!dir) {
		fd_close(fd);
		return kerr_set(err, errno, "read directory `%s`", name);
	}
	int rc = 0;
	for (int pass = 0; pass < 4 && rc == 0; pass++) {
		struct dirent *d;

		rewinddir(dir);
		while (rc == 0 && (errno = 0, d = readdir(dir))) {
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN) {
				if (unlinkat(dirfd(dir), d->d_name, 0) < 0 && errno != ENOENT)
					rc = kerr_set(err, errno, "remove `%s/%s`", name,
						      d->d_name);
				continue;
			}
			if (depth + 1 >= IMGSTORE_DEPTH_MAX && d->d_type == DT_DIR) {
				char up[NAME_MAX + 1];

				snprintf(up, sizeof(up), "%.200s.hoist-%u", top, (*hoisted)++);
				if (renameat(dirfd(dir), d->d_name, topfd, up) < 0)
					rc = kerr_set(err, errno, "move `%s` up to remove it",
						      d->d_name);
				continue;
			}
			rc = rm_tree(dirfd(dir), d->d_name, depth + 1, topfd, top, hoisted, err);
		}
		if (rc == 0 && errno)
			rc = kerr_set(err, errno, "read directory `%s`", name);
		if (rc == 0 && unlinkat(parentfd, name, AT_REMOVEDIR) == 0)
			break;
		if (rc == 0 && errno == ENOENT)
			break;
		if (rc == 0 && (errno != ENOTEMPTY || pass == 3))
			rc = kerr_set(err, errno, "remove directory `%s`", name);
	}
	closedir(dir);
	return rc;
}

int imgstore_remove(int parentfd, const char *name, struct kerr *err)
{
	unsigned hoisted = 0;
	char up[NAME_MAX + 1];

	if (rm_tree(parentfd, name, 0, parentfd, name, &hoisted, err) < 0)
		return -1;
	/* Each hoisted subtree is at least IMGSTORE_DEPTH_MAX levels shallower: this ends. */
	for (unsigned i = 0; i < hoisted; i++) {
		snprintf(up, sizeof(up), "%.200s.hoist-%u", name, i);
		if (rm_tree(parentfd, up, 0, parentfd, name, &hoisted, err) < 0)
			return -1;
	}
	return 0;
}

DIR *imgstore_opendir(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;

	if (!dir && fd >= 0) {
		int saved = errno;
		fd_close(fd);
		errno = saved;
	}
	return dir;
}

static int empty_dir(int dirfd, struct kerr *err)
{
	DIR *dir = imgstore_opendir(dirfd);
	struct dirent *d;
	int rc = 0;

	if (!dir)
		return kerr_set(err, errno, "read directory");
	while (rc == 0 && (d = readdir(dir))) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		rc = imgstore_remove(dirfd, d->d_name, err);
	}
	closedir(dir);
	return rc;
}

int imgstore_clean(const struct imgstore *st, struct kerr *err)
{
	if (empty_dir(st->trash, err) < 0)
		return kerr_wrap(err, "empty images/trash");
	return 0;
}

int imgstore_tmp_dir(const struct imgstore *st, const char *prefix, char *name, size_t cap, int *fd,
		     struct kerr *err)
{
	char rnd[2 * TMP_RANDOM + 1];

	if (ids_random_hex(rnd, TMP_RANDOM, err) < 0)
		return -1;
	if (snprintf(name, cap, "%s-%s", prefix, rnd) >= (int)cap)
		return kerr_set(err, 0, "temporary name `%s`", prefix);
	if (mkdirat(st->tmp, name, 0700) < 0)
		return kerr_set(err, errno, "create images/tmp/%s", name);
	*fd = openat(st->tmp, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return kerr_set(err, errno, "open images/tmp/%s", name);
	return 0;
}

/* ---- blobs ---- */

static int hex_name(const char *digest, struct kerr *err)
{
	if (imgref_is_digest(digest))
		return 0;
	return kerr_set(err, 0, "`%.80s` is not a sha256 digest", digest);
}

bool imgstore_blob_has(const struct imgstore *st, const char *digest)
{
	struct stat s;

	return imgref_is_digest(digest) &&
	       fstatat(st->blobs, imgref_hex(digest), &s, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(s.st_mode);
}

int imgstore_blob_open(const struct imgstore *st, const char *digest, int *fd, struct kerr *err)
{
	if (hex_name(digest, err) < 0)
		return -1;
	*fd = openat(st->blobs, imgref_hex(digest), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return kerr_set(err, errno, "open blob %s", digest);
	return 0;
}

static int renameat2_noreplace(int from, const char *a, int to, const char *b)
{
	return (int)syscall(SYS_renameat2, from, a, to, b, NOREPLACE);
}

/* Links tmp/<tmpname> as the blob (never replacing); removes the temporary name. */
static int blob_commit(const struct imgstore *st, const char *tmpname, const char *digest,
		       struct kerr *err)
{
	int r = renameat2_noreplace(st->tmp, tmpname, st->blobs, imgref_hex(digest));

	if (r < 0 && errno == EEXIST)
		r = 0; /* another load stored the same bytes */
	else if (r < 0)
		kerr_set(err, errno, "store blob %s", digest);
	(void)unlinkat(st->tmp, tmpname, 0);
	return r;
}

static int tmp_file(const struct imgstore *st, char name[64], int *fd, struct kerr *err)
{
	char rnd[2 * TMP_RANDOM + 1];

	if (ids_random_hex(rnd, TMP_RANDOM, err) < 0)
		return -1;
	snprintf(name, 64, "blob-%s", rnd);
	*fd = openat(st->tmp, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0)
		return kerr_set(err, errno, "create images/tmp/%s", name);
	return 0;
}

int imgstore_blob_put_fd(const struct imgstore *st, const char *digest, int fd, uint64_t off,
			 uint64_t len, struct kerr *err)
{
	char name[64];
	_cleanup_close_ int out = -1;
	_cleanup_free_ char *buf = NULL;
	loff_t in_off = (loff_t)off;
	uint64_t left = len;

	if (hex_name(digest, err) < 0)
		return -1;
	if (imgstore_blob_has(st, digest))
		return 0;
	if (tmp_file(st, name, &out, err) < 0)
		return -1;
	while (left > 0) {
		size_t want = left > COPY_CHUNK ? COPY_CHUNK : (size_t)left;
		ssize_t n = buf ? -1 : copy_file_range(fd, &in_off, out, NULL, want, 0);
		if (n < 0 && (buf || errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
			      errno == EOPNOTSUPP)) {
			/* No in-kernel copy here: plain reads and writes. */
			if (!buf && !(buf = malloc(COPY_CHUNK))) {
				kerr_set(err, ENOMEM, "store blob %s", digest);
				goto out_unlink;
			}
			n = pread(fd, buf, want, in_off);
			if (n > 0 && fd_write_full(out, buf, (size_t)n, err) < 0)
				goto out_unlink;
			if (n > 0)
				in_off += n;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kerr_set(err, errno, "store blob %s", digest);
			goto out_unlink;
		}
		if (n == 0) {
			kerr_set(err, 0, "store blob %s: the input ends early", digest);
			goto out_unlink;
		}
		left -= (uint64_t)n;
	}
	if (fsync(out) < 0) {
		kerr_set(err, errno, "store blob %s: fsync", digest);
		goto out_unlink;
	}
	return blob_commit(st, name, digest, err);
out_unlink:
	(void)unlinkat(st->tmp, name, 0);
	return -1;
}

int imgstore_blob_put_mem(const struct imgstore *st, const char *digest, const void *p, size_t len,
			  struct kerr *err)
{
	char name[64];
	_cleanup_close_ int out = -1;

	if (hex_name(digest, err) < 0)
		return -1;
	if (imgstore_blob_has(st, digest))
		return 0;
	if (tmp_file(st, name, &out, err) < 0)
		return -1;
	if (fd_write_full(out, p, len, err) < 0 || fsync(out) < 0) {
		if (errno)
			kerr_set(err, errno, "store blob %s", digest);
		(void)unlinkat(st->tmp, name, 0);
		return -1;
	}
	return blob_commit(st, name, digest, err);
}

int imgstore_blob_read(const struct imgstore *st, const char *digest, size_t max, struct buf *out,
		       struct kerr *err)
{
	_cleanup_close_ int fd = -1;
	char hex[SHA256_HEX_LEN + 1];
	size_t start = out->len, got = 0;
	struct stat s;

	if (imgstore_blob_open(st, digest, &fd, err) < 0)
		return -1;
	if (fstat(fd, &s) < 0)
		return kerr_set(err, errno, "stat blob %s", digest);
	if ((uint64_t)s.st_size > max)
		return kerr_set(err, 0, "blob %s is %lld bytes, over the limit of %zu", digest,
				(long long)s.st_size, max);
	if (buf_reserve(out, (size_t)s.st_size + 1, err) < 0)
		return -1;
	if (fd_read_full(fd, out->data + start, (size_t)s.st_size, &got, err) < 0)
		return kerr_wrap(err, "read blob %s", digest);
	out->len = start + got;
	out->data[out->len] = '\0';
	sha256_hex_of(out->data + start, got, hex);
	if (strcmp(hex, imgref_hex(digest)) != 0)
		return kerr_set(err, 0, "blob %s: digest mismatch: its bytes hash to sha256:%s",
				digest, hex);
	return 0;
}

int imgstore_blob_remove(const struct imgstore *st, const char *digest, struct kerr *err)
{
	if (hex_name(digest, err) < 0)
		return -1;
	if (unlinkat(st->blobs, imgref_hex(digest), 0) < 0 && errno != ENOENT)
		return kerr_set(err, errno, "remove blob %s", digest);
	return 0;
}

/* ---- layers ---- */

bool imgstore_layer_has(const struct imgstore *st, const char *chain)
{
	struct stat s;

	return imgref_is_digest(chain) &&
	       fstatat(st->layers, imgref_hex(chain), &s, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(s.st_mode);
}

int imgstore_layer_commit(const struct imgstore *st, const char *name, const char *chain,
			  struct kerr *err)
{
	struct kerr ignored;

	if (hex_name(chain, err) < 0)
		return -1;
	if (renameat2_noreplace(st->tmp, name, st->layers, imgref_hex(chain)) == 0)
		return 1;
	if (errno != EEXIST && errno != ENOTEMPTY)
		return kerr_set(err, errno, "store layer %s", chain);
	(void)imgstore_remove(st->tmp, name, &ignored);
	return 0;
}

int imgstore_layer_trash(const struct imgstore *st, const char *chain, struct kerr *err)
{
	char name[64], rnd[2 * TMP_RANDOM + 1];

	if (hex_name(chain, err) < 0 || ids_random_hex(rnd, TMP_RANDOM, err) < 0)
		return -1;
	snprintf(name, sizeof(name), "layer-%s", rnd);
	if (renameat(st->layers, imgref_hex(chain), st->trash, name) < 0 && errno != ENOENT)
		return kerr_set(err, errno, "move layer %s to the trash", chain);
	return 0;
}

int imgstore_layer_path(const char *root, const char *chain, char *out, size_t cap,
			struct kerr *err)
{
	if (hex_name(chain, err) < 0)
		return -1;
	int n = snprintf(out, cap, "%s/" IMGSTORE_DIR "/layers/%s/" IMGSTORE_DIFF, root,
			 imgref_hex(chain));
	if (n < 0 || (size_t)n >= cap)
		return kerr_set(err, 0, "layer path under `%s`", root);
	return 0;
}

int imgstore_layer_json(int dirfd, const struct imgstore_layer *l, const char *parent,
			struct kerr *err)
{
	struct buf b;
	struct json_w w;
	int rc;

	buf_init(&b, 4096);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "version");
	json_w_i64(&w, IMGSTORE_VERSION);
	json_w_key(&w, "chain");
	json_w_str(&w, l->chain);
	json_w_key(&w, "parent");
	if (parent)
		json_w_str(&w, parent);
	else
		json_w_null(&w);
	json_w_key(&w, "diff_id");
	json_w_str(&w, l->diff_id);
	json_w_key(&w, "size");
	json_w_u64(&w, l->size);
	json_w_key(&w, "tar_size");
	json_w_u64(&w, l->tar_size);
	json_w_obj_end(&w);
	rc = json_w_end(&w, err);
	if (rc == 0)
		rc = store_write_atomic(dirfd, IMGSTORE_LAYER_JSON, b.data, b.len, 0600, false,
					err);
	buf_done(&b);
	return rc;
}

void imgstore_layer_sizes(const struct imgstore *st, const char *chain, struct imgstore_layer *l)
{
	char path[SHA256_HEX_LEN + 16];
	struct json_tok toks[32];
	struct json_doc doc;
	char text[4096];
	struct kerr err;
	size_t len;
	int v;

	l->size = l->tar_size = 0;
	if (!imgref_is_digest(chain))
		return;
	snprintf(path, sizeof(path), "%s/" IMGSTORE_LAYER_JSON, imgref_hex(chain));
	if (fd_read_small_file(st->layers, path, text, sizeof(text), &len, &err) < 0 ||
	    json_parse(&doc, text, len, toks, 32, &err) < 0 || doc.toks[0].type != JSON_OBJECT)
		return;
	if ((v = json_obj_get(&doc, 0, "size")) >= 0)
		(void)json_get_u64(&doc, v, &l->size, &err);
	if ((v = json_obj_get(&doc, 0, "tar_size")) >= 0)
		(void)json_get_u64(&doc, v, &l->tar_size, &err);
}

/* ---- meta ---- */

void imgstore_image_done(struct imgstore_image *im)
{
	free(im->layers);
	record_strv_free(&im->tags);
	memset(im, 0, sizeof(*im));
}

static void w_time(struct json_w *w, const char *key, int64_t ns)
{
	char stamp[CLOCK_RFC3339NANO_LEN + 1];

	json_w_key(w, key);
	if (ns) {
		clock_format_rfc3339nano(ns, stamp);
		json_w_str(w, stamp);
	} else {
		json_w_null(w);
	}
}

int imgstore_meta_encode(const struct imgstore_image *im, bool with_tags, struct buf *out,
			 struct kerr *err)
{
	struct json_w w;

	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "version");
	json_w_i64(&w, IMGSTORE_VERSION);
	json_w_key(&w, "id");
	json_w_str(&w, im->id);
	json_w_key(&w, "manifest");
	json_w_str(&w, im->manifest);
	json_w_key(&w, "manifest_type");
	json_w_str(&w, im->manifest_type);
	json_w_key(&w, "manifest_generated");
	json_w_bool(&w, im->manifest_generated);
	json_w_key(&w, "manifest_size");
	json_w_u64(&w, im->manifest_size);
	json_w_key(&w, "config_size");
	json_w_u64(&w, im->config_size);
	w_time(&w, "created", im->created_ns);
	w_time(&w, "loaded", im->loaded_ns);
	json_w_key(&w, "size");
	json_w_u64(&w, im->size);
	json_w_key(&w, "layers");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < im->nlayers; i++) {
		const struct imgstore_layer *l = &im->layers[i];

		json_w_obj_begin(&w);
		json_w_key(&w, "chain");
		json_w_str(&w, l->chain);
		json_w_key(&w, "diff_id");
		json_w_str(&w, l->diff_id);
		json_w_key(&w, "blob");
		json_w_str(&w, l->blob);
		json_w_key(&w, "blob_size");
		json_w_u64(&w, l->blob_size);
		json_w_key(&w, "media_type");
		json_w_str(&w, l->media_type);
		json_w_key(&w, "size");
		json_w_u64(&w, l->size);
		json_w_key(&w, "tar_size");
		json_w_u64(&w, l->tar_size);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	if (with_tags) {
		json_w_key(&w, "tags");
		json_w_arr_begin(&w);
		for (size_t i = 0; i < im->tags.n; i++)
			json_w_str(&w, im->tags.v[i]);
		json_w_arr_end(&w);
	}
	json_w_obj_end(&w);
	if (json_w_end(&w, err) < 0)
		return kerr_wrap(err, "image %s", im->id);
	return 0;
}

/* A parse of a meta document. */
struct mwalk {
	struct json_doc doc; /* tokens */
	struct kerr *err;    /* failures */
};

static int m_digest(const struct mwalk *w, int obj, const char *key, char *out)
{
	int v = json_obj_get(&w->doc, obj, key);

	if (v < 0)
		return kerr_set(w->err, 0, "key `%s` is missing", key);
	if (json_get_str(&w->doc, v, out, IMGREF_DIGEST_LEN + 1, w->err) < 0 ||
	    !imgref_is_digest(out))
		return kerr_set(w->err, 0, "key `%s` is not a sha256 digest", key);
	return 0;
}

static int m_u64(const struct mwalk *w, int obj, const char *key, uint64_t *out)
{
	int v = json_obj_get(&w->doc, obj, key);

	*out = 0;
	if (v < 0)
		return 0;
	if (json_get_u64(&w->doc, v, out, w->err) < 0)
		return kerr_wrap(w->err, "key `%s`", key);
	return 0;
}

static int m_str(const struct mwalk *w, int obj, const char *key, char *out, size_t cap)
{
	int v = json_obj_get(&w->doc, obj, key);

	out[0] = '\0';
	if (v < 0)
		return 0;
	if (json_get_str(&w->doc, v, out, cap, w->err) < 0)
		return kerr_wrap(w->err, "key `%s`", key);
	return 0;
}

static int m_time(const struct mwalk *w, int obj, const char *key, int64_t *ns)
{
	char text[64];
	int v = json_obj_get(&w->doc, obj, key);

	*ns = 0;
	if (v < 0 || w->doc.toks[v].type == JSON_NULL)
		return 0;
	if (json_get_str(&w->doc, v, text, sizeof(text), w->err) < 0 ||
	    clock_parse_rfc3339(text, ns, w->err) < 0)
		return kerr_wrap(w->err, "key `%s`", key);
	return 0;
}

static int meta_walk(const struct mwalk *w, struct imgstore_image *im)
{
	const struct json_doc *d = &w->doc;
	int64_t version = 0;
	int v;

	if (d->toks[0].type != JSON_OBJECT)
		return kerr_set(w->err, 0, "expected an object");
	v = json_obj_get(d, 0, "version");
	if (v < 0 || json_get_i64(d, v, &version, w->err) < 0 || version != IMGSTORE_VERSION)
		return kerr_set(w->err, 0, "key `version` is not %d", IMGSTORE_VERSION);
	v = json_obj_get(d, 0, "manifest_generated");
	if (m_digest(w, 0, "id", im->id) < 0 || m_digest(w, 0, "manifest", im->manifest) < 0 ||
	    m_str(w, 0, "manifest_type", im->manifest_type, sizeof(im->manifest_type)) < 0 ||
	    (v >= 0 && json_get_bool(d, v, &im->manifest_generated, w->err) < 0) ||
	    m_u64(w, 0, "manifest_size", &im->manifest_size) < 0 ||
	    m_u64(w, 0, "config_size", &im->config_size) < 0 ||
	    m_time(w, 0, "created", &im->created_ns) < 0 ||
	    m_time(w, 0, "loaded", &im->loaded_ns) < 0 || m_u64(w, 0, "size", &im->size) < 0)
		return -1;
	v = json_obj_get(d, 0, "layers");
	if (v < 0 || d->toks[v].type != JSON_ARRAY)
		return kerr_set(w->err, 0, "key `layers` is not an array");
	if (d->toks[v].size > 256)
		return kerr_set(w->err, 0, "key `layers`: more than 256 entries");
	im->layers = calloc((size_t)d->toks[v].size + 1, sizeof(*im->layers));
	if (!im->layers)
		return kerr_set(w->err, ENOMEM, "layers");
	int k = v + 1;
	for (int i = 0; i < d->toks[v].size; i++, im->nlayers++) {
		struct imgstore_layer *l = &im->layers[i];

		if (d->toks[k].type != JSON_OBJECT)
			return kerr_set(w->err, 0, "key `layers[%d]` is not an object", i);
		if (m_digest(w, k, "chain", l->chain) < 0 ||
		    m_digest(w, k, "diff_id", l->diff_id) < 0 ||
		    m_digest(w, k, "blob", l->blob) < 0 ||
		    m_u64(w, k, "blob_size", &l->blob_size) < 0 ||
		    m_str(w, k, "media_type", l->media_type, sizeof(l->media_type)) < 0 ||
		    m_u64(w, k, "size", &l->size) < 0 || m_u64(w, k, "tar_size", &l->tar_size) < 0)
			return kerr_wrap(w->err, "layers[%d]", i);
		k = json_skip(d, k);
	}
	v = json_obj_get(d, 0, "tags");
	if (v >= 0) {
		if (d->toks[v].type != JSON_ARRAY || d->toks[v].size > IMGSTORE_TAGS_MAX)
			return kerr_set(w->err, 0, "key `tags` is not an array of tags");
		im->tags.v = calloc((size_t)d->toks[v].size + 1, sizeof(char *));
		if (!im->tags.v)
			return kerr_set(w->err, ENOMEM, "tags");
		k = v + 1;
		for (int i = 0; i < d->toks[v].size; i++, im->tags.n++) {
			char tag[2 * IMGREF_MAX + 2];
			struct imgref r;

			if (json_get_str(d, k, tag, sizeof(tag), w->err) < 0 ||
			    imgref_parse(tag, &r, w->err) < 0)
				return kerr_wrap(w->err, "tags[%d]", i);
			im->tags.v[i] = strdup(r.full);
			if (!im->tags.v[i])
				return kerr_set(w->err, ENOMEM, "tags");
			k = json_skip(d, k);
		}
	}
	return 0;
}

int imgstore_meta_decode(const char *text, size_t len, struct imgstore_image *im, struct kerr *err)
{
	struct mwalk w = { .err = err };
	size_t ntoks = len / 2 + 2;
	int rc;

	memset(im, 0, sizeof(*im));
	if (len > IMGSTORE_META_MAX)
		return kerr_set(err, 0, "image record of %zu bytes exceeds %u", len,
				IMGSTORE_META_MAX);
	if (ntoks > JSON_TOKENS_MAX)
		ntoks = JSON_TOKENS_MAX;
	struct json_tok *toks = calloc(ntoks, sizeof(*toks));
	if (!toks)
		return kerr_set(err, ENOMEM, "image record");
	rc = json_parse(&w.doc, text, len, toks, (int)ntoks, err);
	if (rc == 0)
		rc = meta_walk(&w, im);
	free(toks);
	if (rc < 0) {
		imgstore_image_done(im);
		return kerr_wrap(err, "image record");
	}
	return 0;
}

int imgstore_meta_write(const struct imgstore *st, const struct imgstore_image *im,
			struct kerr *err)
{
	char name[SHA256_HEX_LEN + 8];
	struct buf b;
	int rc;

	if (hex_name(im->id, err) < 0)
		return -1;
	buf_init(&b, IMGSTORE_META_MAX);
	rc = imgstore_meta_encode(im, false, &b, err);
	snprintf(name, sizeof(name), "%s.json", imgref_hex(im->id));
	if (rc == 0)
		rc = store_write_atomic(st->meta, name, b.data, b.len, 0600, true, err);
	buf_done(&b);
	return rc;
}

int imgstore_meta_remove(const struct imgstore *st, const char *id, struct kerr *err)
{
	char name[SHA256_HEX_LEN + 8];

	if (hex_name(id, err) < 0)
		return -1;
	snprintf(name, sizeof(name), "%s.json", imgref_hex(id));
	if (unlinkat(st->meta, name, 0) < 0 && errno != ENOENT)
		return kerr_set(err, errno, "remove image record %s", id);
	return 0;
}

int imgstore_meta_read(const struct imgstore *st, const char *id, struct imgstore_image *im,
		       struct kerr *err)
{
	char name[SHA256_HEX_LEN + 8];
	struct buf b;
	int rc;

	if (hex_name(id, err) < 0)
		return -1;
	snprintf(name, sizeof(name), "%s.json", imgref_hex(id));
	buf_init(&b, IMGSTORE_META_MAX + 1);
	rc = store_read_file(st->meta, name, IMGSTORE_META_MAX, &b, err);
	if (rc == 0)
		rc = imgstore_meta_decode((const char *)b.data, b.len, im, err);
	if (rc == 0 && strcmp(im->id, id) != 0) {
		imgstore_image_done(im);
		rc = kerr_set(err, 0, "images/meta/%s names image %s", name, im->id);
	}
	buf_done(&b);
	return rc < 0 ? kerr_wrap(err, "image %s", id) : 0;
}

int imgstore_meta_each(const struct imgstore *st, int (*fn)(struct imgstore_image *im, void *data),
		       void *data, size_t *bad, struct kerr *err)
{
	DIR *dir = imgstore_opendir(st->meta);
	struct dirent *d;
	size_t count = 0;
	int rc = 0;

	*bad = 0;
	if (!dir)
		return kerr_set(err, errno, "read images/meta");
	while (rc == 0 && (d = readdir(dir))) {
		char hex[SHA256_HEX_LEN + 1];
		struct imgstore_image im;
		struct kerr why;
		struct buf b;

		if (strlen(d->d_name) != SHA256_HEX_LEN + 5 || !str_has_suffix(d->d_name, ".json"))
			continue;
		str_copyn(hex, sizeof(hex), d->d_name, SHA256_HEX_LEN);
		if (!imgref_is_hex64(hex))
			continue;
		if (++count > IMGSTORE_IMAGES_MAX) {
			rc = kerr_set(err, 0, "more than %d images", IMGSTORE_IMAGES_MAX);
			break;
		}
		buf_init(&b, IMGSTORE_META_MAX + 1);
		if (store_read_file(st->meta, d->d_name, IMGSTORE_META_MAX, &b, &why) < 0 ||
		    imgstore_meta_decode((const char *)b.data, b.len, &im, &why) < 0 ||
		    strcmp(imgref_hex(im.id), hex) != 0) {
			(*bad)++;
			buf_done(&b);
			continue;
		}
		buf_done(&b);
		rc = fn(&im, data);
		imgstore_image_done(&im);
	}
	closedir(dir);
	return rc;
}

/* ---- index.json ---- */

int imgstore_index_write(const struct imgstore *st, char *const *tags, char *const *ids, size_t n,
			 struct kerr *err)
{
	struct buf b;
	struct json_w w;
	int rc;

	buf_init(&b, IMGSTORE_INDEX_MAX);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "version");
	json_w_i64(&w, IMGSTORE_VERSION);
	json_w_key(&w, "tags");
	json_w_obj_begin(&w);
	for (size_t i = 0; i < n; i++) {
		json_w_key(&w, tags[i]);
		json_w_str(&w, ids[i]);
	}
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	rc = json_w_end(&w, err);
	if (rc == 0)
		rc = store_write_atomic(st->dirfd, IMGSTORE_INDEX, b.data, b.len, 0600, true, err);
	buf_done(&b);
	return rc < 0 ? kerr_wrap(err, "write images/" IMGSTORE_INDEX) : 0;
}

int imgstore_index_read(const struct imgstore *st,
			int (*fn)(const char *tag, const char *id, void *data), void *data,
			struct kerr *err)
{
	struct buf b;
	struct json_doc doc;
	struct json_tok *toks = NULL;
	int64_t version = 0;
	int rc = -1;

	buf_init(&b, IMGSTORE_INDEX_MAX + 1);
	if (store_read_file(st->dirfd, IMGSTORE_INDEX, IMGSTORE_INDEX_MAX, &b, err) < 0) {
		buf_done(&b);
		return err->code == ENOENT ? 0 : kerr_wrap(err, "images/" IMGSTORE_INDEX);
	}
	toks = calloc(JSON_TOKENS_MAX, sizeof(*toks));
	if (!toks) {
		kerr_set(err, ENOMEM, "images/" IMGSTORE_INDEX);
		goto out;
	}
	if (json_parse(&doc, (const char *)b.data, b.len, toks, JSON_TOKENS_MAX, err) < 0)
		goto out_wrap;
	int v = doc.toks[0].type == JSON_OBJECT ? json_obj_get(&doc, 0, "version") : -1;
	if (v < 0 || json_get_i64(&doc, v, &version, err) < 0 || version != IMGSTORE_VERSION) {
		kerr_set(err, 0, "key `version` is not %d", IMGSTORE_VERSION);
		goto out_wrap;
	}
	int t = json_obj_get(&doc, 0, "tags");
	if (t < 0 || doc.toks[t].type != JSON_OBJECT) {
		kerr_set(err, 0, "key `tags` is not an object");
		goto out_wrap;
	}
	int k = t + 1;
	for (int i = 0; i < doc.toks[t].size; i++) {
		char tag[2 * IMGREF_MAX + 2], id[IMGREF_DIGEST_LEN + 1];
		struct imgref r;

		if (json_get_str(&doc, k, tag, sizeof(tag), err) < 0 ||
		    json_get_str(&doc, k + 1, id, sizeof(id), err) < 0 ||
		    imgref_parse(tag, &r, err) < 0 || strcmp(r.full, tag) != 0 ||
		    !imgref_is_digest(id)) {
			kerr_set(err, 0, "tag %d is not a normalized tag and an image id", i);
			goto out_wrap;
		}
		if (fn(tag, id, data) < 0)
			goto out;
		k = json_skip(&doc, k + 1);
	}
	rc = 0;
	goto out;
out_wrap:
	kerr_wrap(err, "images/" IMGSTORE_INDEX);
out:
	free(toks);
	buf_done(&b);
	return rc;
}
