/*
 * shimv2_mount: a task's root filesystem from Create.rootfs (role layer, mechanism band).
 * Included by shimv2_task.c and shimv2.c (delete); see shimv2_mount.c.
 */
#ifndef KETTLE_SHIMV2_MOUNT_H
#define KETTLE_SHIMV2_MOUNT_H

#include "shimv2/shimv2_state.h"
#include "ttrpc/pb.h"

/* One containerd.types.Mount {1 type, 2 source, 3 target, 4 options}, borrowed from the
 * request it was decoded from. */
struct shimv2_mount {
	struct pb_bytes type;			     /* "overlay", "bind", ... */
	struct pb_bytes source;			     /* "overlay", a host path, ... */
	struct pb_bytes opts[SHIMV2_MOUNTS_MAX * 4]; /* its options, in order */
	size_t nopts;				     /* entries of opts */
};

/* Decodes one Mount message. */
int shimv2_mount_decode(const struct pb_field *f, struct shimv2_mount *m, struct kerr *err);
/* Mounts each of m[0..n) on bundle/rootfs, in order; on failure unmounts what it did. */
int shimv2_mount_rootfs(const char *bundle, const struct shimv2_mount *m, size_t n,
			struct kerr *err);
/* Unmounts everything on bundle/rootfs (lazily when busy); 0 when nothing was mounted. */
int shimv2_mount_cleanup(const char *bundle, struct kerr *err);

#endif
