/*
 * daemon_images: the daemon's images, tags and collection (role, layer 3; bottom band of
 * the daemon). See daemon_images.h.
 *
 * Tags are two parallel arrays (normalized tag, image id) kept in insertion order and
 * written whole to index.json at each change; a tag names one image, an image has any
 * number. Collection marks what the images (config, manifest, layer blobs and chains)
 * and the containers (their records' layers) use, then walks layers/ and blobs/sha256/
 * and removes the rest. The background cleaner is `kettle-image-worker` with the job
 * "clean", fire and forget (reaped by the SIGCHLD drain, killed with the daemon by
 * PR_SET_PDEATHSIG; the next start cleans again).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/log.h"
#include "base/str.h"
#include "daemon/daemon_images.h"
#include "image/imgdoc.h"
#include "image/imgmount.h"
#include "image/imgrun.h"
#include "image/imgref.h"
#include "runtime/proc.h"
#include "store/ids.h"
#include "store/store.h"

/* ---- the background cleaner ---- */

static void start_cleaner(struct daemon *d)
{
	char *argv[] = { "kettle-image-worker", "--root", d->root, "--job",
			 "{\"op\":\"clean\"}",	NULL };
	/* Its report is not wanted: fd 3 is /dev/null. */
	_cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct proc_spawn sp = {
		.path = "/proc/self/exe",
		.argv = argv,
		.stdio = { -1, -1, -1 },
		.keep_fd = null,
		.new_session = true,
		.die_with = getpid(),
	};
	struct kerr err;
	pid_t pid;

	if (proc_spawn(&sp, &pid, &err) < 0)
		log_warn("start the image store's cleaner: %s, ignoring", err.msg);
	else
		log_debug("image store cleaner: pid %d", (int)pid);
}

/* Moves images/tmp's leftovers into the trash (a load killed half-way). */
static int trash_tmp(struct daemon_images *im, struct kerr *err)
{
	DIR *dir = imgstore_opendir(im->st.tmp);
	struct dirent *e;
	bool any = false;

	if (!dir)
		return kerr_set(err, errno, "read images/tmp");
	while ((e = readdir(dir))) {
		char name[64], rnd[17];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (ids_random_hex(rnd, 8, err) < 0)
			break;
		snprintf(name, sizeof(name), "tmp-%s", rnd);
		if (renameat(im->st.tmp, e->d_name, im->st.trash, name) == 0)
			any = true;
	}
	closedir(dir);
	return any;
}

/* ---- images and tags in memory ---- */

static int add_image(struct daemon_images *im, struct imgstore_image *img, struct kerr *err)
{
	if (im->n == im->cap) {
		size_t nc = im->cap ? im->cap * 2 : 16;
		struct imgstore_image *v = realloc(im->v, nc * sizeof(*v));
		if (!v)
			return kerr_set(err, ENOMEM, "images");
		im->v = v;
		im->cap = nc;
	}
	im->v[im->n++] = *img;
	memset(img, 0, sizeof(*img));
	record_strv_free(&im->v[im->n - 1].tags);
	return 0;
}

static int on_meta(struct imgstore_image *img, void *data)
{
	struct daemon_images *im = data;
	struct kerr err;

	if (add_image(im, img, &err) < 0)
		return -1;
	return 0;
}

static size_t find_tag(const struct daemon_images *im, const char *tag)
{
	for (size_t i = 0; i < im->ntags; i++)
		if (strcmp(im->tags[i], tag) == 0)
			return i;
	return SIZE_MAX;
}

/* Sets tag -> id in memory (no write). */
static int set_tag(struct daemon_images *im, const char *tag, const char *id, struct kerr *err)
{
	size_t i = find_tag(im, tag);
	char *nid = strdup(id);

	if (!nid)
		return kerr_set(err, ENOMEM, "tag");
	if (i != SIZE_MAX) {
		free(im->tag_ids[i]);
		im->tag_ids[i] = nid;
		return 0;
	}
	if (im->ntags == IMGSTORE_TAGS_MAX) {
		free(nid);
		return kerr_set(err, 0, "more than %d tags", IMGSTORE_TAGS_MAX);
	}
	if (im->ntags == im->tags_cap) {
		size_t nc = im->tags_cap ? im->tags_cap * 2 : 16;
		char **t = realloc(im->tags, nc * sizeof(*t));
		if (t)
			im->tags = t;
		char **ids = t ? realloc(im->tag_ids, nc * sizeof(*ids)) : NULL;
		if (ids)
			im->tag_ids = ids;
		if (!t || !ids) {
			free(nid);
			return kerr_set(err, ENOMEM, "tag");
		}
		im->tags_cap = nc;
	}
	im->tags[im->ntags] = strdup(tag);
	if (!im->tags[im->ntags]) {
		free(nid);
		return kerr_set(err, ENOMEM, "tag");
	}
	im->tag_ids[im->ntags++] = nid;
	return 0;
}

static void drop_tag_at(struct daemon_images *im, size_t i)
{
	free(im->tags[i]);
	free(im->tag_ids[i]);
	memmove(im->tags + i, im->tags + i + 1, (im->ntags - i - 1) * sizeof(*im->tags));
	memmove(im->tag_ids + i, im->tag_ids + i + 1, (im->ntags - i - 1) * sizeof(*im->tag_ids));
	im->ntags--;
}

static int on_index(const char *tag, const char *id, void *data)
{
	struct daemon *d = data;
	struct kerr err;

	if (!daemon_images_by_id(d, id)) {
		log_warn("images/index.json: tag %s names image %s, which is gone, ignoring", tag,
			 id);
		return 0;
	}
	if (set_tag(d->images, tag, id, &err) < 0) {
		log_warn("images/index.json: %s, ignoring", err.msg);
		return 0;
	}
	return 0;
}

static int write_index(struct daemon *d, struct kerr *err)
{
	struct daemon_images *im = d->images;

	return imgstore_index_write(&im->st, im->tags, im->tag_ids, im->ntags, err);
}

int daemon_images_open(struct daemon *d, const char *storage, uint64_t max_layer_size,
		       struct kerr *err)
{
	struct daemon_images *im = calloc(1, sizeof(*im));
	size_t bad = 0;

	if (!im)
		return kerr_set(err, ENOMEM, "images");
	d->images = im;
	im->max_layer_size = max_layer_size;
	if (imgstore_open(d->rootfd, true, &im->st, err) < 0)
		return -1;
	if (!storage)
		storage = imgmount_overlay_supported() ? "overlay" : "vfs";
	str_copy(im->storage, sizeof(im->storage), storage);
	if (imgstore_meta_each(&im->st, on_meta, im, &bad, err) < 0)
		return kerr_wrap(err, "read the images");
	if (bad)
		log_warn("images/meta: %zu image records could not be read, ignoring them", bad);
	if (imgstore_index_read(&im->st, on_index, d, err) < 0) {
		log_warn("%s: starting with no tags", err->msg);
	}
	struct kerr why;
	int moved = trash_tmp(im, &why);
	if (moved < 0)
		log_warn("%s, ignoring", why.msg);
	log_info("image store: %zu images, %zu tags, storage driver %s", im->n, im->ntags,
		 im->storage);
	daemon_images_gc(d);
	return 0;
}

void daemon_images_free(struct daemon *d)
{
	struct daemon_images *im = d->images;

	if (!im)
		return;
	for (size_t i = 0; i < im->n; i++)
		imgstore_image_done(&im->v[i]);
	for (size_t i = 0; i < im->ntags; i++) {
		free(im->tags[i]);
		free(im->tag_ids[i]);
	}
	free(im->v);
	free(im->tags);
	free(im->tag_ids);
	imgstore_close(&im->st);
	free(im);
	d->images = NULL;
}

struct imgstore_image *daemon_images_by_id(struct daemon *d, const char *id)
{
	for (size_t i = 0; i < d->images->n; i++)
		if (strcmp(d->images->v[i].id, id) == 0)
			return &d->images->v[i];
	return NULL;
}

size_t daemon_images_tags_of(struct daemon *d, const char *id, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < d->images->ntags && n < max; i++)
		if (strcmp(d->images->tag_ids[i], id) == 0)
			out[n++] = d->images->tags[i];
	return n;
}

static struct imgstore_image *not_found(const char *ref, uint32_t *code, struct kerr *err)
{
	char shown[128];

	str_sanitize(shown, sizeof(shown), ref, strlen(ref));
	*code = DAEMON_IMAGE_NOT_FOUND_CODE;
	kerr_set(err, 0, "No such image: %s", shown);
	return NULL;
}

struct imgstore_image *daemon_images_resolve(struct daemon *d, const char *ref, char *tag,
					     size_t cap, uint32_t *code, struct kerr *err)
{
	struct daemon_images *im = d->images;
	struct imgref r;
	struct kerr perr;
	const char *hex;

	*code = DAEMON_FAIL_CODE;
	if (cap)
		tag[0] = '\0';
	if (imgref_parse(ref, &r, &perr) == 0) {
		if (r.digest[0]) {
			char repo[2 * IMGREF_MAX + 2];

			for (size_t i = 0; i < im->n; i++) {
				if (strcmp(im->v[i].manifest, r.digest) != 0)
					continue;
				/* The repository must be one the image is tagged in. */
				for (size_t t = 0; t < im->ntags; t++) {
					imgref_repo(im->tags[t], repo, sizeof(repo));
					if (strcmp(im->tag_ids[t], im->v[i].id) == 0 &&
					    strcmp(repo, r.name) == 0)
						return &im->v[i];
				}
			}
		} else {
			size_t t = find_tag(im, r.full);
			if (t != SIZE_MAX) {
				str_copy(tag, cap, r.full);
				return daemon_images_by_id(d, im->tag_ids[t]);
			}
		}
	}
	if (imgref_id_prefix(ref, &hex)) {
		struct imgstore_image *found = NULL;
		size_t n = strlen(hex);

		for (size_t i = 0; i < im->n; i++) {
			if (strncmp(imgref_hex(im->v[i].id), hex, n) != 0)
				continue;
			if (found) {
				kerr_set(err, 0,
					 "image id prefix `%s` is ambiguous: it matches more than "
					 "one image",
					 hex);
				return NULL;
			}
			found = &im->v[i];
		}
		if (found)
			return found;
	}
	return not_found(r.full[0] ? r.full : ref, code, err);
}

int daemon_images_record(struct daemon *d, const struct imgload_result *res, struct kerr *err)
{
	struct daemon_images *im = d->images;

	for (size_t i = 0; i < res->n; i++) {
		const struct imgstore_image *src = &res->images[i];
		struct imgstore_image *have = daemon_images_by_id(d, src->id);

		/* A manifest that came with the image replaces one kettle made up for it
		   (docker-archive, import): it gives the image its RepoDigests. */
		if (have && have->manifest_generated && !src->manifest_generated) {
			str_copy(have->manifest, sizeof(have->manifest), src->manifest);
			str_copy(have->manifest_type, sizeof(have->manifest_type),
				 src->manifest_type);
			have->manifest_size = src->manifest_size;
			have->manifest_generated = false;
			for (size_t k = 0; k < have->nlayers && k < src->nlayers; k++)
				have->layers[k] = src->layers[k];
			if (imgstore_meta_write(&im->st, have, err) < 0)
				return kerr_wrap(err, "record image %s", src->id);
		}
		if (!have) {
			struct imgstore_image copy = *src;

			copy.layers = calloc(src->nlayers + 1, sizeof(*copy.layers));
			copy.tags = (struct record_strv){ 0 };
			if (!copy.layers)
				return kerr_set(err, ENOMEM, "record image %s", src->id);
			memcpy(copy.layers, src->layers, src->nlayers * sizeof(*copy.layers));
			if (imgstore_meta_write(&im->st, &copy, err) < 0 ||
			    add_image(im, &copy, err) < 0) {
				free(copy.layers);
				return kerr_wrap(err, "record image %s", src->id);
			}
		}
		for (size_t t = 0; t < src->tags.n; t++)
			if (set_tag(im, src->tags.v[t], src->id, err) < 0)
				return -1;
	}
	return write_index(d, err);
}

int daemon_images_tag(struct daemon *d, const char *id, const char *tag, struct kerr *err)
{
	if (set_tag(d->images, tag, id, err) < 0)
		return -1;
	return write_index(d, err);
}

int daemon_images_untag(struct daemon *d, const char *tag, struct kerr *err)
{
	struct daemon_images *im = d->images;
	size_t i = find_tag(im, tag);
	char id[IMGREF_DIGEST_LEN + 1];
	const char *left[1];

	if (i == SIZE_MAX)
		return kerr_set(err, 0, "No such image: %s", tag);
	str_copy(id, sizeof(id), im->tag_ids[i]);
	drop_tag_at(im, i);
	if (write_index(d, err) < 0)
		return -1;
	return daemon_images_tags_of(d, id, left, 1) == 0;
}

int daemon_images_remove(struct daemon *d, const char *id, struct kerr *err)
{
	struct daemon_images *im = d->images;

	for (size_t i = im->ntags; i-- > 0;)
		if (strcmp(im->tag_ids[i], id) == 0)
			drop_tag_at(im, i);
	if (write_index(d, err) < 0 || imgstore_meta_remove(&im->st, id, err) < 0)
		return -1;
	for (size_t i = 0; i < im->n; i++) {
		if (strcmp(im->v[i].id, id) != 0)
			continue;
		imgstore_image_done(&im->v[i]);
		im->v[i] = im->v[--im->n];
		break;
	}
	return 0;
}

struct daemon_ctr *daemon_images_user(struct daemon *d, const char *id)
{
	for (size_t i = 0; i < d->nctrs; i++) {
		struct daemon_ctr *c = d->ctrs[i];

		if (c->rec.image.ref && !c->removing && !c->auto_removing &&
		    strcmp(c->rec.image.id, id) == 0)
			return c;
	}
	return NULL;
}

/* ---- collection ---- */

static bool layer_used(struct daemon *d, const char *hex)
{
	for (size_t i = 0; i < d->images->n; i++)
		for (size_t k = 0; k < d->images->v[i].nlayers; k++)
			if (strcmp(imgref_hex(d->images->v[i].layers[k].chain), hex) == 0)
				return true;
	for (size_t i = 0; i < d->nctrs; i++) {
		const struct record_image *ri = &d->ctrs[i]->rec.image;

		for (size_t k = 0; ri->ref && k < ri->layers.n; k++)
			if (imgref_is_digest(ri->layers.v[k]) &&
			    strcmp(imgref_hex(ri->layers.v[k]), hex) == 0)
				return true;
	}
	return false;
}

static bool blob_used(struct daemon *d, const char *hex)
{
	for (size_t i = 0; i < d->images->n; i++) {
		const struct imgstore_image *v = &d->images->v[i];

		if (strcmp(imgref_hex(v->id), hex) == 0 ||
		    strcmp(imgref_hex(v->manifest), hex) == 0)
			return true;
		for (size_t k = 0; k < v->nlayers; k++)
			if (strcmp(imgref_hex(v->layers[k].blob), hex) == 0)
				return true;
	}
	return false;
}

void daemon_images_gc(struct daemon *d)
{
	struct daemon_images *im = d->images;
	size_t layers = 0, blobs = 0;

	if (!im)
		return;
	if (im->workers > 0) {
		im->gc_pending = true;
		return;
	}
	im->gc_pending = false;
	for (int pass = 0; pass < 2; pass++) {
		DIR *dir = imgstore_opendir(pass == 0 ? im->st.layers : im->st.blobs);
		struct dirent *e;

		if (!dir) {
			log_warn("image collection: read %s: %m, ignoring",
				 pass == 0 ? "layers" : "blobs");
			continue;
		}
		while ((e = readdir(dir))) {
			char digest[IMGREF_DIGEST_LEN + 1];
			struct kerr err;

			if (!imgref_is_hex64(e->d_name) ||
			    snprintf(digest, sizeof(digest), "sha256:%s", e->d_name) >=
				    (int)sizeof(digest))
				continue;
			if (pass == 0 && !layer_used(d, e->d_name)) {
				if (imgstore_layer_trash(&im->st, digest, &err) < 0)
					log_warn("image collection: %s, ignoring", err.msg);
				else
					layers++;
			} else if (pass == 1 && !blob_used(d, e->d_name)) {
				if (imgstore_blob_remove(&im->st, digest, &err) < 0)
					log_warn("image collection: %s, ignoring", err.msg);
				else
					blobs++;
			}
		}
		closedir(dir);
	}
	if (layers || blobs)
		log_info("image collection: %zu layers and %zu blobs removed", layers, blobs);
	/* The trash may hold leftovers of earlier runs too: clean whenever it is not empty. */
	DIR *dir = imgstore_opendir(im->st.trash);
	bool any = false;
	struct dirent *e;
	while (dir && !any && (e = readdir(dir)))
		any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (dir)
		closedir(dir);
	if (any)
		start_cleaner(d);
}

void daemon_images_ctr_cleanup(struct daemon *d, const struct daemon_ctr *c)
{
	char path[PATH_MAX];
	struct kerr err;
	_cleanup_close_ int dirfd = -1;

	if (!c->rec.image.ref || !d->images)
		return;
	if (store_container_path(d->root, c->rec.id, IMGMOUNT_ROOTFS, path, sizeof(path), &err) ==
		    0 &&
	    imgmount_umount(path, &err) < 0)
		log_warn("container %.12s: %s, ignoring", c->rec.id, err.msg);
	if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, &err) < 0)
		return;
	/* Trees a container wrote may be deep: removed here with the hoisting remover. */
	static const char *const trees[] = { IMGMOUNT_UPPER, IMGMOUNT_WORK, IMGMOUNT_ROOTFS,
					     IMGMOUNT_ROOTFS ".tmp" };
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++)
		if (imgstore_remove(dirfd, trees[i], &err) < 0)
			log_warn("container %.12s: %s, ignoring", c->rec.id, err.msg);
}

int daemon_images_apply(struct daemon *d, struct record *rec, struct kerr *err)
{
	char tag[2 * IMGREF_MAX + 2], shown[2 * IMGREF_MAX + 2];
	struct imgdoc_config cfg;
	struct imgstore_image *im;
	struct imgref r;
	struct buf text;
	uint32_t code;
	int rc;

	im = daemon_images_resolve(d, rec->image.ref, tag, sizeof(tag), &code, err);
	if (!im) {
		if (code != DAEMON_IMAGE_NOT_FOUND_CODE)
			return -1;
		struct kerr ignored;
		if (imgref_parse(rec->image.ref, &r, &ignored) == 0)
			imgref_familiar(r.full, shown, sizeof(shown));
		else
			str_sanitize(shown, sizeof(shown), rec->image.ref, strlen(rec->image.ref));
		return kerr_set(err, 0,
				"unable to find image `%s` locally (kettle has no registry: "
				"`kettle load` it first)",
				shown);
	}
	buf_init(&text, IMGDOC_JSON_MAX + 1);
	rc = imgstore_blob_read(&d->images->st, im->id, IMGDOC_JSON_MAX, &text, err);
	if (rc == 0)
		rc = imgdoc_config_parse((const char *)text.data, text.len, &cfg, err);
	buf_done(&text);
	if (rc < 0)
		return kerr_wrap(err, "image %s", im->id);
	for (size_t i = 0; rc == 0 && i < im->nlayers; i++)
		if (!imgstore_layer_has(&d->images->st, im->layers[i].chain))
			rc = kerr_set(err, 0, "image %s: its layer %s is missing from the store",
				      im->id, im->layers[i].chain);
	if (rc == 0)
		rc = imgrun_apply(&d->images->st, im, &cfg, d->images->storage, rec, err);
	imgdoc_config_done(&cfg);
	return rc;
}

void daemon_images_shown(struct daemon *d, const struct record *rec, char *out, size_t cap)
{
	const struct imgstore_image *im;
	char tag[2 * IMGREF_MAX + 2];
	uint32_t code;
	struct kerr ignored;

	if (!rec->image.ref) {
		str_copy(out, cap, "");
		return;
	}
	im = d->images ? daemon_images_resolve(d, rec->image.ref, tag, sizeof(tag), &code, &ignored)
		       : NULL;
	if (im && strcmp(im->id, rec->image.id) == 0)
		str_copy(out, cap, rec->image.ref);
	else if (imgref_is_digest(rec->image.id))
		str_copyn(out, cap, imgref_hex(rec->image.id), IMGREF_SHORT_LEN);
	else
		str_copy(out, cap, rec->image.ref);
}

void daemon_images_usage(struct daemon *d, size_t *images, uint64_t *bytes)
{
	struct daemon_images *im = d->images;

	*images = im ? im->n : 0;
	*bytes = 0;
	for (size_t i = 0; im && i < im->n; i++) {
		const struct imgstore_image *v = &im->v[i];

		*bytes += v->config_size + v->manifest_size;
		for (size_t k = 0; k < v->nlayers; k++) {
			bool counted = false;

			/* A layer shared with an earlier image is on disk once. */
			for (size_t j = 0; j < i && !counted; j++)
				for (size_t m = 0; m < im->v[j].nlayers && !counted; m++)
					counted = !strcmp(im->v[j].layers[m].chain,
							  v->layers[k].chain);
			if (!counted)
				*bytes += v->layers[k].size + v->layers[k].blob_size;
		}
	}
}
