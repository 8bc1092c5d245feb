/*
 * shim_rootfs: the root filesystem of a container made from an image (role layer, a
 * mechanism of the middle band). Calls only the image folder and the bottom band.
 */
#ifndef KETTLE_SHIM_ROOTFS_H
#define KETTLE_SHIM_ROOTFS_H

#include "shim/shim_state.h"

/* Before the first `runc create`: the overlay mounted (or the vfs copy made) at the
 * record's rootfs. A container without an image: nothing. */
int shim_rootfs_prepare(struct shim *sh, struct kerr *err);
/* When the container is gone for good: the overlay this shim mounted is unmounted. */
void shim_rootfs_release(struct shim *sh);

#endif
