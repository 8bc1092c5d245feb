/*
 * imgstore: the image store under the state root (mechanism, image folder).
 *
 * Layout (directories 0700, documents replaced atomically with store_write_atomic):
 *   images/blobs/sha256/<hex>     content-addressed blobs: configs, manifests, layers as
 *                                 they were loaded (compressed or not); read-only
 *   images/layers/<chain hex>/    one extracted layer, overlayfs form: diff/ and
 *                                 layer.json; made in tmp/ and renamed in whole, so a
 *                                 layer directory is complete or absent
 *   images/meta/<id hex>.json     one image: manifest, layers, sizes (the daemon's)
 *   images/index.json             tags -> image ids (the daemon's)
 *   images/tmp/                   loads in progress (a crash leaves them; the daemon
 *                                 empties it at startup)
 *   images/trash/                 trees being removed in the background
 * Blobs and layers are written by load workers, never replaced (renameat2 NOREPLACE: a
 * concurrent load of the same content ends with one copy and the loser's is removed);
 * meta and index only by the daemon. A digest names a path only after imgref_is_digest.
 * Never logs.
 */
#ifndef KETTLE_IMGSTORE_H
#define KETTLE_IMGSTORE_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"
#include "image/imgref.h"
#include "store/record.h"

#define IMGSTORE_DIR	    "images"
#define IMGSTORE_INDEX	    "index.json"
#define IMGSTORE_LAYER_JSON "layer.json"
#define IMGSTORE_DIFF	    "diff"
#define IMGSTORE_VERSION    1
#define IMGSTORE_META_MAX   (1024u * 1024u)	  /* bytes of one meta file */
#define IMGSTORE_INDEX_MAX  (16u * 1024u * 1024u) /* bytes of index.json */
#define IMGSTORE_IMAGES_MAX 10000		  /* images one store holds */
#define IMGSTORE_TAGS_MAX   30000		  /* tags one store holds */
#define IMGSTORE_DEPTH_MAX  48			  /* levels removed before a subtree is hoisted */

struct imgstore {
	int dirfd;  /* images/; owned */
	int blobs;  /* images/blobs/sha256; owned */
	int layers; /* images/layers; owned */
	int meta;   /* images/meta; owned */
	int tmp;    /* images/tmp; owned */
	int trash;  /* images/trash; owned */
};

struct imgstore_layer {
	char chain[IMGREF_DIGEST_LEN + 1];   /* chain id: names layers/<hex> */
	char diff_id[IMGREF_DIGEST_LEN + 1]; /* sha256 of the uncompressed tar */
	char blob[IMGREF_DIGEST_LEN + 1];    /* sha256 of the blob as stored */
	uint64_t blob_size;		     /* bytes of the blob */
	char media_type[256];		     /* the blob's media type */
	uint64_t size;			     /* bytes of the files it holds (docker's Size) */
	uint64_t tar_size;		     /* bytes of its uncompressed tar (save writes it) */
};

struct imgstore_image {
	char id[IMGREF_DIGEST_LEN + 1];	      /* the config's digest */
	char manifest[IMGREF_DIGEST_LEN + 1]; /* the manifest blob's digest */
	char manifest_type[256];	      /* its media type */
	bool manifest_generated;	      /* made by kettle (docker-archive, import): no
						 RepoDigests */
	uint64_t config_size;		      /* bytes of the config blob */
	uint64_t manifest_size;		      /* bytes of the manifest blob */
	int64_t created_ns;		      /* the config's `created`, 0 when absent */
	int64_t loaded_ns;		      /* when it entered this store */
	uint64_t size;			      /* sum of the layers' sizes */
	struct imgstore_layer *layers;	      /* owned, bottom first */
	size_t nlayers;			      /* entries of layers */
	struct record_strv tags;	      /* normalized name:tag; in a load's report only
						 (the store keeps them in index.json) */
};

int imgstore_open(int rootfd, bool create, struct imgstore *st, struct kerr *err);
void imgstore_close(struct imgstore *st);

void imgstore_image_done(struct imgstore_image *im);
int imgstore_meta_encode(const struct imgstore_image *im, bool with_tags, struct buf *out,
			 struct kerr *err);
/* Strict: every digest checked, every list capped. */
int imgstore_meta_decode(const char *text, size_t len, struct imgstore_image *im, struct kerr *err);
int imgstore_meta_write(const struct imgstore *st, const struct imgstore_image *im,
			struct kerr *err);
int imgstore_meta_remove(const struct imgstore *st, const char *id, struct kerr *err);
/* Reads meta/<hex>.json of image id. */
int imgstore_meta_read(const struct imgstore *st, const char *id, struct imgstore_image *im,
		       struct kerr *err);
/* Calls fn for every meta file that decodes; the others are counted in *bad. */
int imgstore_meta_each(const struct imgstore *st, int (*fn)(struct imgstore_image *im, void *data),
		       void *data, size_t *bad, struct kerr *err);

/* index.json: parallel arrays of normalized tags and image ids. */
int imgstore_index_write(const struct imgstore *st, char *const *tags, char *const *ids, size_t n,
			 struct kerr *err);
/* Calls fn(tag, id) for each entry (both checked). A missing file is an empty index. */
int imgstore_index_read(const struct imgstore *st,
			int (*fn)(const char *tag, const char *id, void *data), void *data,
			struct kerr *err);

bool imgstore_blob_has(const struct imgstore *st, const char *digest);
int imgstore_blob_open(const struct imgstore *st, const char *digest, int *fd, struct kerr *err);
/* Stores fd[off, off + len) as the blob digest (the caller verified it), unless present. */
int imgstore_blob_put_fd(const struct imgstore *st, const char *digest, int fd, uint64_t off,
			 uint64_t len, struct kerr *err);
int imgstore_blob_put_mem(const struct imgstore *st, const char *digest, const void *p, size_t len,
			  struct kerr *err);
/* Reads a whole small blob (a document), at most max bytes, verifying its digest. */
int imgstore_blob_read(const struct imgstore *st, const char *digest, size_t max, struct buf *out,
		       struct kerr *err);
/* Removes a blob (ENOENT is fine). */
int imgstore_blob_remove(const struct imgstore *st, const char *digest, struct kerr *err);

bool imgstore_layer_has(const struct imgstore *st, const char *chain);
/* Renames tmp/<name> to layers/<chain hex>. 1 when committed; 0 when the layer was there
 * already (another load won: tmp/<name> is removed). */
int imgstore_layer_commit(const struct imgstore *st, const char *name, const char *chain,
			  struct kerr *err);
/* Moves layers/<chain hex> into the trash (to be removed in the background). */
int imgstore_layer_trash(const struct imgstore *st, const char *chain, struct kerr *err);
/* "<root>/images/layers/<hex>/diff". */
int imgstore_layer_path(const char *root, const char *chain, char *out, size_t cap,
			struct kerr *err);
/* Writes the layer.json of a layer made in dirfd. */
int imgstore_layer_json(int dirfd, const struct imgstore_layer *l, const char *parent,
			struct kerr *err);
/* Reads size and tar_size back from layers/<chain hex>/layer.json (0s when unreadable). */
void imgstore_layer_sizes(const struct imgstore *st, const char *chain, struct imgstore_layer *l);

/* A fresh directory tmp/<prefix>-<random>; its name goes to name (cap bytes). */
int imgstore_tmp_dir(const struct imgstore *st, const char *prefix, char *name, size_t cap, int *fd,
		     struct kerr *err);
/* Removes parentfd/name whatever its depth (subtrees deeper than IMGSTORE_DEPTH_MAX are
 * hoisted next to it first), never following a symlink. ENOENT is done. */
int imgstore_remove(int parentfd, const char *name, struct kerr *err);
/* A fresh directory stream of dirfd (its own offset: a dup would share dirfd's), or NULL
 * with errno. */
DIR *imgstore_opendir(int dirfd);
/* Empties trash/ (the background cleaner). */
int imgstore_clean(const struct imgstore *st, struct kerr *err);
/* Bytes of the blobs and layers on disk, as the metas say (info). */

#endif
