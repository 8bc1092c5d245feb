/*
 * imgrun: an image's config made into a container's record, as docker maps it (mechanism,
 * image folder). Called by the daemon when it creates a container from an image.
 *
 * Entrypoint and Cmd: --entrypoint replaces the image's Entrypoint and drops its Cmd; a
 * command given after the image replaces Cmd. Env: the image's, then -e (a later entry of
 * the same name wins, as spec.c writes them). WorkingDir: -w, else the image's. User: -u,
 * else the image's, names looked up in the image's own /etc/passwd and /etc/group
 * (imguser.c). Labels: the image's, then --label. Healthcheck: --health-cmd, else the
 * image's (CMD-SHELL as it is, CMD quoted for /bin/sh -c, NONE for none), each duration
 * --health-* or the image's; --no-healthcheck drops it. StopSignal and ExposedPorts are
 * kept in the record's image block. Never logs.
 */
#ifndef KETTLE_IMGRUN_H
#define KETTLE_IMGRUN_H

#include "base/kerr.h"
#include "image/imgdoc.h"
#include "image/imgstore.h"
#include "store/record.h"

/*
 * Fills r, a validated create request naming an image, from im and its config cfg:
 * the command, environment, working directory, user, labels, health check and the image
 * block (id, layers, storage). r->rootfs is left to the caller (the mount point).
 */
int imgrun_apply(const struct imgstore *st, const struct imgstore_image *im,
		 const struct imgdoc_config *cfg, const char *storage, struct record *r,
		 struct kerr *err);

#endif
