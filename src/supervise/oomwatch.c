/*
 * oomwatch: OOM kills counted through a container's memory cgroup (mechanism, rank 50),
 * moved here from kettle's shim (shim_oom.c). Reads the counter at the start of a run and
 * again when asked (at the exit, before the runtime deletes the cgroup): the difference is
 * how many processes the kernel's OOM killer ended. A cgroup that cannot be read leaves
 * the watch inactive, which only means OOM kills go unreported. Never logs.
 */
#include "runtime/cgroup.h"
#include "supervise/oomwatch.h"

void oomwatch_clear(struct oomwatch *o)
{
	o->dir[0] = '\0';
	o->v2 = false;
	o->base = 0;
}

bool oomwatch_active(const struct oomwatch *o)
{
	return o->dir[0] != '\0';
}

int oomwatch_begin(struct oomwatch *o, pid_t pid, struct kerr *err)
{
	oomwatch_clear(o);
	if (pid <= 0)
		return kerr_set(err, 0, "no OOM watch: the process is not known");
	if (cgroup_memory_dir_pid(pid, NULL, o->dir, sizeof(o->dir), &o->v2, err) < 0 ||
	    cgroup_oom_kills(o->dir, o->v2, &o->base, err) < 0) {
		oomwatch_clear(o);
		return -1;
	}
	return 0;
}

int oomwatch_check(struct oomwatch *o, uint64_t *kills, struct kerr *err)
{
	uint64_t n;

	*kills = 0;
	if (!oomwatch_active(o))
		return 0;
	if (cgroup_oom_kills(o->dir, o->v2, &n, err) < 0)
		return -1;
	if (n > o->base)
		*kills = n - o->base;
	o->base = n;
	return 0;
}
