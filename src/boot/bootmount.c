/*
 * bootmount: mounts what a minimal root lacks when kettle is its first process
 * (mechanism, rank 20).
 *
 * Invariants: only the fixed table below is ever mounted, each on a directory that is not
 * a symlink; nothing already mounted is mounted over; every mount is nosuid, and all but
 * /dev are nodev. Never logs, never unmounts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "boot/bootmount.h"

#define PATH_CAP 64 /* longest target, its parent included */

static const struct bootmount table[] = {
	{ "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	/* runc reads the hierarchy under /sys/fs/cgroup: the unified one, as today's
	 * kernels and systemd have it. */
	{ "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
	{ "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755" },
	{ "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" },
};

const struct bootmount *bootmount_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

/* Whether dir is a mount point: its device differs from its parent's (the root is one). */
static int mounted(const char *dir, const struct stat *st, struct kerr *err)
{
	char parent[PATH_CAP];
	const char *slash = strrchr(dir, '/');
	struct stat pst;

	if (!slash || slash == dir)
		snprintf(parent, sizeof(parent), "/");
	else
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
	if (stat(parent, &pst) < 0)
		return kerr_set(err, errno, "mount %s: stat %s", dir, parent);
	return st->st_dev != pst.st_dev;
}

int bootmount_ensure(const struct bootmount *m, struct kerr *err)
{
	struct stat st;
	int r;

	if (lstat(m->target, &st) < 0) {
		if (errno != ENOENT)
			return kerr_set(err, errno, "mount %s: stat it", m->target);
		if (mkdir(m->target, 0755) < 0)
			return kerr_set(err, errno, "mount %s: create the directory", m->target);
		if (lstat(m->target, &st) < 0)
			return kerr_set(err, errno, "mount %s: stat it", m->target);
	}
	if (!S_ISDIR(st.st_mode))
		return kerr_set(err, ENOTDIR, "mount %s: not a directory", m->target);
	r = mounted(m->target, &st, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	if (mount(m->fstype, m->target, m->fstype, m->flags, m->data) < 0)
		return kerr_set(err, errno, "mount %s on %s", m->fstype, m->target);
	return 1;
}
