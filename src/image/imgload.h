/*
 * imgload: `kettle load` and `kettle import` as jobs on the image store (mechanism,
 * image folder). Run by the daemon's image worker, never by the daemon's loop itself.
 *
 * load reads a tar that is either docker's archive (manifest.json: docker save before 25,
 * and after it, and skopeo/podman's docker-archive) or an OCI image layout (oci-layout,
 * index.json, blobs/sha256/…), with any number of images and tags. Every document is
 * capped and checked against its descriptor's digest and size, every layer's blob
 * against its digest and its uncompressed stream against the config's diff_id, and the
 * image id is the config's digest. Layers are unpacked into images/tmp, made durable
 * (syncfs) and then renamed into place whole; blobs are stored after they were
 * verified. So a load killed at any point leaves no half image, a repeated load does
 * nothing twice, and two loads of the same image end with one copy. What was loaded is
 * returned to the caller, who records it (the daemon owns meta and tags). Never logs.
 */
#ifndef KETTLE_IMGLOAD_H
#define KETTLE_IMGLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kerr.h"
#include "image/imgstore.h"

/* Progress of one layer: action ("Loading layer"), the layer's short id, bytes so far
 * and in all (0 when unknown). */
typedef void (*imgload_progress_fn)(void *data, const char *action, const char *id, uint64_t done,
				    uint64_t total);

struct imgload_opts {
	uint64_t max_layer_size;      /* cap on a layer's uncompressed bytes */
	bool devices;		      /* device nodes are created (the worker is root) */
	imgload_progress_fn progress; /* or NULL */
	void *pdata;		      /* progress's argument */
};

struct imgload_result {
	struct imgstore_image *images; /* owned; tags normalized */
	size_t n;		       /* entries of images */
};
void imgload_result_done(struct imgload_result *r);

/*
 * Copies a stream (a pipe) into an unlinked file in images/tmp and returns it in *out,
 * so the archive can be read in any order. With gunzip, a gzip stream (docker save |
 * gzip) is decompressed on the way.
 */
int imgload_stage(const struct imgstore *st, int infd, bool gunzip, int *out, struct kerr *err);

/* Loads the archive in fd (a regular file: staged or the user's own). */
int imgload_archive(const struct imgstore *st, int fd, const struct imgload_opts *o,
		    struct imgload_result *res, struct kerr *err);

/* A one-layer image from a root filesystem tar in fd (a regular file), as docker import:
 * tag (normalized) or NULL, message for the history's comment. */
int imgload_import(const struct imgstore *st, int fd, const char *tag, const char *message,
		   const struct imgload_opts *o, struct imgload_result *res, struct kerr *err);

/* The OCI architecture name of this machine ("amd64", "arm64", …). */
const char *imgload_host_arch(void);

#endif
