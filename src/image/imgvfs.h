/*
 * imgvfs: the vfs storage driver's copy of an image (mechanism, image folder).
 *
 * Merges layers in overlayfs form (whiteout 0/0 character devices, opaque directories)
 * into one directory, bottom layer first, as overlayfs would show them: a whiteout
 * removes what lower layers put there, an opaque directory starts empty. Everything is
 * copied with its owner, mode (set-id bits included), times and xattrs (not overlayfs's
 * own), symlinks as symlinks, device nodes as nodes, hard links of a layer as links.
 * Every name is opened with O_NOFOLLOW under an already-open directory: a symlink from
 * an image is never followed out of it. Nesting is capped (IMGVFS_DEPTH_MAX). Never logs.
 */
#ifndef KETTLE_IMGVFS_H
#define KETTLE_IMGVFS_H

#include <stddef.h>

#include "base/kerr.h"

#define IMGVFS_DEPTH_MAX 200 /* directory levels copied */

/* layers: directory fds of the layers' diffs, bottom first; dst: an empty directory. */
int imgvfs_merge(const int *layers, size_t n, int dst, struct kerr *err);

#endif
