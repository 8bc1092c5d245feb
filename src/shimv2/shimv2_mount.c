/*
 * shimv2_mount: Create.rootfs mounted on the bundle's rootfs directory (role layer,
 * mechanism band).
 *
 * containerd hands the snapshot as mounts (an overlay of the image's layers, or a bind)
 * that the shim mounts on bundle/rootfs before `runc create` and unmounts after `runc
 * delete`, as its runc shim does. Options become mount(2) flags where they name one (ro,
 * nosuid, bind, rbind, ...) and the data string otherwise (lowerdir=, upperdir=, index=off);
 * a read-only bind is a bind then a read-only remount, since the kernel ignores MS_RDONLY
 * on the first call. Every field is checked: a type or source with a NUL, a relative
 * source, options that do not fit one page. The bundle itself is containerd's own state
 * directory, so its path is trusted; nothing here reaches into a container. Calls nothing
 * else of the role.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "shimv2/shimv2_mount.h"

#define DATA_MAX   4096 /* the kernel copies one page of mount data */
#define UMOUNT_MAX 32	/* stacked mounts taken off bundle/rootfs, at most */

int shimv2_mount_decode(const struct pb_field *f, struct shimv2_mount *m, struct kerr *err)
{
	struct pb_dec d;
	struct pb_field g;
	int r;

	*m = (struct shimv2_mount){ 0 };
	if (pb_get_msg(f, &d, err) < 0)
		return -1;
	while ((r = pb_dec_next(&d, &g, err)) > 0) {
		struct pb_bytes b;

		if (g.num > 4 || g.num == 3)
			continue; /* target: always bundle/rootfs; unknown fields skipped */
		if (pb_get_bytes(&g, &b, err) < 0)
			return kerr_wrap(err, "mount");
		if (g.num == 1)
			m->type = b;
		else if (g.num == 2)
			m->source = b;
		else if (m->nopts == sizeof(m->opts) / sizeof(m->opts[0]))
			return kerr_set(err, E2BIG, "mount: more than %zu options",
					sizeof(m->opts) / sizeof(m->opts[0]));
		else
			m->opts[m->nopts++] = b;
	}
	return r < 0 ? kerr_wrap(err, "mount") : 0;
}

struct flag {
	const char *name;   /* option */
	bool clear;	    /* it clears the flags */
	unsigned long flag; /* MS_* */
};

static const struct flag flags[] = {
	{ "async", true, MS_SYNCHRONOUS },
	{ "atime", true, MS_NOATIME },
	{ "bind", false, MS_BIND },
	{ "defaults", false, 0 },
	{ "dev", true, MS_NODEV },
	{ "diratime", true, MS_NODIRATIME },
	{ "dirsync", false, MS_DIRSYNC },
	{ "exec", true, MS_NOEXEC },
	{ "noatime", false, MS_NOATIME },
	{ "nodev", false, MS_NODEV },
	{ "nodiratime", false, MS_NODIRATIME },
	{ "noexec", false, MS_NOEXEC },
	{ "norelatime", true, MS_RELATIME },
	{ "nosuid", false, MS_NOSUID },
	{ "rbind", false, MS_BIND | MS_REC },
	{ "relatime", false, MS_RELATIME },
	{ "ro", false, MS_RDONLY },
	{ "rw", true, MS_RDONLY },
	{ "strictatime", false, MS_STRICTATIME },
	{ "suid", true, MS_NOSUID },
	{ "sync", false, MS_SYNCHRONOUS },
};

/* Copies b NUL-terminated into out; false when it does not fit or holds a NUL. */
static bool take(struct pb_bytes b, char *out, size_t cap)
{
	if (b.n >= cap || (b.n && memchr(b.p, 0, b.n)))
		return false;
	if (b.n)
		memcpy(out, b.p, b.n);
	out[b.n] = '\0';
	return true;
}

/* Splits m's options into flags and the data string. */
static int parse_opts(const struct shimv2_mount *m, unsigned long *fl, char *data, struct kerr *err)
{
	size_t used = 0;

	*fl = 0;
	data[0] = '\0';
	for (size_t i = 0; i < m->nopts; i++) {
		char o[DATA_MAX];
		const struct flag *hit = NULL;

		if (!take(m->opts[i], o, sizeof(o)))
			return kerr_set(err, EINVAL, "mount option %zu is too long or holds a NUL",
					i);
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]) && !hit; k++)
			if (strcmp(o, flags[k].name) == 0)
				hit = &flags[k];
		if (hit) {
			*fl = hit->clear ? *fl & ~hit->flag : *fl | hit->flag;
			continue;
		}
		size_t n = strlen(o);
		if (used + n + 2 > DATA_MAX)
			return kerr_set(err, E2BIG, "mount options exceed %d bytes", DATA_MAX);
		if (used)
			data[used++] = ',';
		memcpy(data + used, o, n + 1);
		used += n;
	}
	return 0;
}

static int mount_one(const char *target, const struct shimv2_mount *m, struct kerr *err)
{
	char type[64], source[PATH_MAX], data[DATA_MAX];
	unsigned long fl;

	if (!take(m->type, type, sizeof(type)) || !type[0])
		return kerr_set(err, EINVAL, "mount: type missing, too long or holding a NUL");
	if (!take(m->source, source, sizeof(source)))
		return kerr_set(err, EINVAL, "mount: source too long or holding a NUL");
	if (parse_opts(m, &fl, data, err) < 0)
		return -1;
	if (strcmp(type, "bind") == 0)
		fl |= MS_BIND;
	if ((fl & MS_BIND) && source[0] != '/')
		return kerr_set(err, EINVAL, "bind mount: source `%s` is not an absolute path",
				source);
	if (fl & MS_BIND) {
		if (mount(source, target, NULL, fl & (MS_BIND | MS_REC), NULL) < 0)
			return kerr_set(err, errno, "bind mount `%s` on `%s`", source, target);
		unsigned long rest = fl & ~(MS_BIND | MS_REC);
		if (rest && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | rest, NULL) < 0)
			return kerr_set(err, errno, "remount `%s` with its options", target);
		return 0;
	}
	if (mount(source, target, type, fl, data[0] ? data : NULL) < 0)
		return kerr_set(err, errno, "mount %s `%s` on `%s`", type, source, target);
	return 0;
}

static int rootfs_path(const char *bundle, char *out, struct kerr *err)
{
	if (snprintf(out, PATH_MAX, "%s/rootfs", bundle) >= PATH_MAX)
		return kerr_set(err, ENAMETOOLONG, "bundle path `%s`", bundle);
	return 0;
}

int shimv2_mount_rootfs(const char *bundle, const struct shimv2_mount *m, size_t n,
			struct kerr *err)
{
	char target[PATH_MAX];

	if (rootfs_path(bundle, target, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (mount_one(target, &m[i], err) == 0)
			continue;
		struct kerr ignored;
		(void)shimv2_mount_cleanup(bundle, &ignored);
		return kerr_wrap(err, "rootfs");
	}
	return 0;
}

int shimv2_mount_cleanup(const char *bundle, struct kerr *err)
{
	char target[PATH_MAX];

	if (rootfs_path(bundle, target, err) < 0)
		return -1;
	for (int i = 0; i < UMOUNT_MAX; i++) {
		if (umount2(target, 0) == 0)
			continue;
		if (errno == EINVAL || errno == ENOENT)
			return 0; /* nothing (more) mounted there */
		if (errno == EBUSY && umount2(target, MNT_DETACH) == 0)
			continue;
		return kerr_set(err, errno, "unmount `%s`", target);
	}
	return kerr_set(err, EBUSY, "unmount `%s`: still mounted after %d unmounts", target,
			UMOUNT_MAX);
}
