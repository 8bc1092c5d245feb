/*
 * shim_rootfs: mount a container's image root before `runc create`, unmount it after the
 * last `runc delete` (role layer, middle band: a mechanism of the shim).
 *
 * The mount belongs to the container's life, and the shim is what lives as long as it:
 * started again after a daemon restart or a reboot, a shim mounts again (or finds the
 * overlay still mounted, when an earlier shim of the same container died without
 * unmounting, and leaves it). Restarts by the policy keep the mount. Only the shim that
 * mounted unmounts, and only once the container is gone (SHIM_S_GONE); the daemon
 * unmounts too when it removes the container, for a shim that died first.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "image/imgmount.h"
#include "shim/shim_rootfs.h"
#include "store/store.h"

int shim_rootfs_prepare(struct shim *sh, struct kerr *err)
{
	const struct record_image *im = &sh->rec.image;
	char dir[PATH_MAX];

	if (!im->ref)
		return 0;
	if (store_container_path(sh->root, sh->id, "", dir, sizeof(dir), err) < 0)
		return -1;
	if (strcmp(im->storage, "vfs") == 0) {
		if (imgmount_vfs(sh->root, sh->dirfd, im->layers.v, im->layers.n, err) < 0)
			return kerr_wrap(err, "copy the root filesystem (vfs)");
	} else {
		bool was = imgmount_is_mounted(sh->rec.rootfs);

		if (imgmount_overlay(sh->root, dir, im->layers.v, im->layers.n, err) < 0)
			return kerr_wrap(err, "mount the root filesystem");
		sh->rootfs_mounted = true;
		if (!was)
			log_debug("mounted the overlay of %zu layers at %s", im->layers.n,
				  sh->rec.rootfs);
	}
	/* runc would make a missing one with its umask; docker's is 0755. */
	if (sh->rec.workdir && imgmount_workdir(sh->rec.rootfs, sh->rec.workdir, err) < 0)
		return -1;
	return 0;
}

void shim_rootfs_release(struct shim *sh)
{
	struct kerr err;

	if (!sh->rootfs_mounted || sh->state != SHIM_S_GONE)
		return;
	if (imgmount_umount(sh->rec.rootfs, &err) < 0)
		log_warn("%s, ignoring", err.msg);
	else
		log_debug("unmounted %s", sh->rec.rootfs);
	sh->rootfs_mounted = false;
}
