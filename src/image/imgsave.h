/*
 * imgsave: `kettle save` as a job on the image store (mechanism, image folder). Run by
 * the daemon's image worker.
 *
 * Writes a tar to a descriptor: docker's archive (manifest.json with Config, RepoTags and
 * Layers; the config and each layer's uncompressed tar under blobs/sha256/, named by
 * their digests, as docker 25 lays them out), which docker load, podman load and kettle
 * load all read; or with IMGSAVE_OCI an OCI image layout (oci-layout, index.json whose
 * entries carry the tags as annotations, the blobs as they were loaded). Each blob is
 * written once however many images share it, and re-hashed on the way out: a store
 * blob that no longer matches its digest fails the save. Never logs.
 */
#ifndef KETTLE_IMGSAVE_H
#define KETTLE_IMGSAVE_H

#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"
#include "image/imgload.h"
#include "image/imgstore.h"

enum imgsave_format {
	IMGSAVE_DOCKER = 0, /* docker-archive */
	IMGSAVE_OCI,	    /* OCI image layout */
};

/* images[i].tags are the tags to record for it (normalized); the rest is its meta. */
int imgsave_write(const struct imgstore *st, const struct imgstore_image *images, size_t n,
		  enum imgsave_format format, int outfd, imgload_progress_fn progress, void *pdata,
		  struct kerr *err);

#endif
