/*
 * bootmount: the filesystems the first process of a system mounts when they are missing
 * (mechanism, rank 20): /proc, /sys, /sys/fs/cgroup (cgroup2), /dev (devtmpfs), /run and
 * /tmp (tmpfs), in that order. A target counts as present when something is mounted there
 * already (its device differs from its parent's), so a kernel's or an initramfs's own
 * mounts are kept. Only ever called by `kettle daemon --boot`. Never logs: each result
 * comes back for the role to report.
 */
#ifndef KETTLE_BOOTMOUNT_H
#define KETTLE_BOOTMOUNT_H

#include <stddef.h>

#include "base/kerr.h"

struct bootmount {
	const char *target;  /* absolute directory; created (0755) when missing */
	const char *fstype;  /* filesystem type, also passed as the source */
	unsigned long flags; /* MS_* */
	const char *data;    /* mount options, or NULL */
};

/* The table, in mounting order; *n entries. */
const struct bootmount *bootmount_table(size_t *n);

/* Mounts m unless its target is a mount point already. Returns 1 when it mounted, 0 when
 * something was there, -1 with err (a read-only root without the directory, EPERM, …). */
int bootmount_ensure(const struct bootmount *m, struct kerr *err);

#endif
