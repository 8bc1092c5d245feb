/*
 * oomwatch: was a container's process killed by its memory limit? (mechanism, rank 50:
 * kettle's shim reports OOMKilled, the containerd shim v2 publishes TaskOOM.)
 *
 * Once the runtime has put a container's init in its cgroups, the container's memory
 * cgroup is found from /proc/<init>/cgroup and the kernel's oom_kill counter read (v1
 * memory.oom_control, v2 memory.events; cgroup.c knows both); a later read that is higher
 * means the OOM killer ended a process of this container in between. A counter instead of
 * an eventfd needs no descriptor in the loop and cannot miss a kill that happens while the
 * supervisor is busy. Never logs.
 */
#ifndef KETTLE_OOMWATCH_H
#define KETTLE_OOMWATCH_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/kerr.h"

struct oomwatch {
	char dir[PATH_MAX]; /* the memory cgroup directory, "" when unknown */
	bool v2;	    /* dir is a v2 cgroup (memory.events, else memory.oom_control) */
	uint64_t base;	    /* the kill count at the last look */
};

/* Finds pid's memory cgroup and its kill count so far. pid must be the caller's unreaped
 * child (or otherwise known not to be recycled). On failure the watch stays inactive. */
int oomwatch_begin(struct oomwatch *o, pid_t pid, struct kerr *err);
/* Kills counted since the last look (0 when inactive); the count is then the new base. */
int oomwatch_check(struct oomwatch *o, uint64_t *kills, struct kerr *err);
bool oomwatch_active(const struct oomwatch *o);
void oomwatch_clear(struct oomwatch *o);

#endif
