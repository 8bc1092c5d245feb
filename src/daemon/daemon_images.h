/*
 * daemon_images: the daemon's images (role, layer 3; bottom band of the daemon): the image
 * store opened once, every image's meta in memory, the tags, the garbage collection of
 * layers and blobs nothing uses, and the cleanup of a removed container's root. The
 * daemon is the only writer of images/meta and images/index.json; load workers only add
 * blobs and layers. Calls no other daemon file (it reads the registry's containers
 * directly); the handlers and the worker completions call it. Never blocks for long: a
 * tree to remove is renamed into the trash and removed by a background process.
 */
#ifndef KETTLE_DAEMON_IMAGES_H
#define KETTLE_DAEMON_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/daemon_state.h"
#include "image/imgload.h"
#include "image/imgstore.h"

#define DAEMON_IMAGE_NOT_FOUND_CODE 1 /* docker exits 1 for "No such image" */

struct daemon_images {
	struct imgstore st;	  /* the store, open */
	struct imgstore_image *v; /* owned; every image (its tags field unused) */
	size_t n;		  /* entries of v */
	size_t cap;		  /* allocated entries of v */
	char **tags;		  /* owned; normalized name:tag … */
	char **tag_ids;		  /* …and the image id each names (owned) */
	size_t ntags;		  /* entries of tags and tag_ids */
	size_t tags_cap;	  /* allocated entries of both */
	unsigned workers;	  /* load, import and save workers running */
	bool gc_pending;	  /* a collection waits for the workers to finish */
	char storage[8];	  /* the driver new containers get: overlay or vfs */
	uint64_t max_layer_size;  /* --max-layer-size (bytes) */
};

/* Opens (creating) the store, moves leftovers of interrupted loads into the trash and
 * starts their removal, reads every image and the tags. storage NULL: overlay when the
 * kernel has it, else vfs. */
int daemon_images_open(struct daemon *d, const char *storage, uint64_t max_layer_size,
		       struct kerr *err);
void daemon_images_free(struct daemon *d);

/* The image with this full id, or NULL. */
struct imgstore_image *daemon_images_by_id(struct daemon *d, const char *id);
/*
 * docker's lookup: a tag (normalized; `busybox` is docker.io/library/busybox:latest), a
 * name@digest among the images' manifests, or a unique id prefix (with or without
 * sha256:). NULL with err "No such image: REF" (code DAEMON_IMAGE_NOT_FOUND_CODE) or an
 * ambiguity. *tag gets the matching tag when ref named one, else "".
 */
struct imgstore_image *daemon_images_resolve(struct daemon *d, const char *ref, char *tag,
					     size_t cap, uint32_t *code, struct kerr *err);
/* The tags of image id, in order; *n of them (borrowed). */
size_t daemon_images_tags_of(struct daemon *d, const char *id, const char **out, size_t max);

/* Records what a load or import added: metas written, tags moved to their new images,
 * index.json written once. */
int daemon_images_record(struct daemon *d, const struct imgload_result *res, struct kerr *err);
/* Points tag (normalized) at id. */
int daemon_images_tag(struct daemon *d, const char *id, const char *tag, struct kerr *err);
/* Removes a tag; 1 when it was the image's last one. */
int daemon_images_untag(struct daemon *d, const char *tag, struct kerr *err);
/* Forgets image id (meta file and tags). Its layers and blobs go at the next collection. */
int daemon_images_remove(struct daemon *d, const char *id, struct kerr *err);
/* A container (not being removed) created from image id, or NULL. */
struct daemon_ctr *daemon_images_user(struct daemon *d, const char *id);

/*
 * Removes every layer and blob no image and no container needs: layers are renamed into
 * the trash (removed by a background worker), blobs unlinked. Deferred while a worker
 * runs (it may be adding some). Failures are logged.
 */
void daemon_images_gc(struct daemon *d);
/* A container's root (overlay unmounted; upper, work and a vfs copy removed), before its
 * directory goes; then a collection. */
void daemon_images_ctr_cleanup(struct daemon *d, const struct daemon_ctr *c);

/*
 * Makes a create request that names an image into a container of it (docker's mapping,
 * imgrun.c): the command, environment, working directory, user and health check from
 * the image's config, and the image block (id, layers, storage). The caller sets rootfs
 * once the container has an id. "Unable to find image" when it is not here.
 */
int daemon_images_apply(struct daemon *d, struct record *rec, struct kerr *err);

/* What ps shows as a container's IMAGE: the reference it was made from while that still
 * names its image, else the image's short id (docker's rule); "" for no image. */
void daemon_images_shown(struct daemon *d, const struct record *rec, char *out, size_t cap);

/* Images and the bytes of their layers and blobs (INFO). */
void daemon_images_usage(struct daemon *d, size_t *images, uint64_t *bytes);

#endif
