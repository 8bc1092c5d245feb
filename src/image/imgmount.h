/*
 * imgmount: a container's root filesystem from its image's layers (mechanism, image folder).
 *
 * overlay: an overlayfs of the layers (read-only, shared by every container of the image)
 * under a private upper and work directory in the container's own directory, mounted at
 * its rootfs; the shim mounts it before `runc create` and unmounts it when the container
 * is gone. vfs (no overlayfs, or `kettle daemon --storage-driver vfs`): a private copy of
 * the merged layers, made once (imgvfs.c). Paths here are kettle's own, under the state
 * root; nothing from an image names a host path. Never logs.
 */
#ifndef KETTLE_IMGMOUNT_H
#define KETTLE_IMGMOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/kerr.h"

#define IMGMOUNT_ROOTFS "rootfs" /* the mount point, in the container's directory */
#define IMGMOUNT_UPPER	"upper"	 /* overlay's upper directory, same place */
#define IMGMOUNT_WORK	"work"	 /* overlay's work directory, same place */

/* True when the kernel offers overlayfs (/proc/filesystems). */
bool imgmount_overlay_supported(void);

/*
 * Mounts at ctrdir/rootfs the overlay of chains (bottom first) from root's image store,
 * with ctrdir/upper and ctrdir/work (created when missing). Does nothing when something
 * is mounted there already (a shim started again for a running container).
 */
int imgmount_overlay(const char *root, const char *ctrdir, char *const *chains, size_t n,
		     struct kerr *err);
/* True when path is a mount point (its device differs from its parent's). */
bool imgmount_is_mounted(const char *path);
/* Unmounts path (lazily: MNT_DETACH); not mounted is fine. */
int imgmount_umount(const char *path, struct kerr *err);

/* Creates workdir (absolute, in the container) under rootfs when missing, 0755 and
 * root's, as docker creates an image's WorkingDir: each component resolved in the root. */
int imgmount_workdir(const char *rootfs, const char *workdir, struct kerr *err);

/*
 * vfs: makes ctrdir/rootfs once, as a merged copy of the layers (built in ctrdir/rootfs.tmp
 * and renamed, so a shim killed half-way starts over). Present already: nothing to do.
 */
int imgmount_vfs(const char *root, int ctrdirfd, char *const *chains, size_t n, struct kerr *err);

#endif
