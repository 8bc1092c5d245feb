/*
 * shim_oom: was the container killed by its memory limit? (role layer, mechanism band)
 *
 * Once `runc create` has put the init in its cgroups, the shim finds the container's
 * memory cgroup from /proc/<init>/cgroup and reads the kernel's oom_kill counter (v1
 * memory.oom_control, v2 memory.events; cgroup.c knows both). At the exit, before the
 * runtime deletes the cgroup, it reads the counter again: a rise means the kernel's OOM
 * killer ended a process of this run, which is docker's OOMKilled. A counter instead of
 * an eventfd (cgroup.event_control) needs no fd in the loop and cannot miss a kill that
 * happens while the shim is busy. Never fatal: a cgroup that cannot be read only means
 * OOM kills are not reported for this run. Calls nothing else of the role.
 */
#include "runtime/cgroup.h"
#include "base/log.h"
#include "shim/shim_oom.h"

void shim_oom_watch(struct shim *sh)
{
	struct shim_oom *o = &sh->oom;
	struct kerr err;

	o->dir[0] = '\0';
	o->base = 0;
	if (sh->init_pid <= 0)
		return;
	/* The init is our unreaped child here: its pid cannot have been recycled. */
	if (cgroup_memory_dir_pid(sh->init_pid, NULL, o->dir, sizeof(o->dir), &o->v2, &err) < 0 ||
	    cgroup_oom_kills(o->dir, o->v2, &o->base, &err) < 0) {
		log_debug("no OOM detection for this run: %s", err.msg);
		o->dir[0] = '\0';
		return;
	}
	log_debug("memory cgroup %s, %llu OOM kills so far", o->dir, (unsigned long long)o->base);
}

bool shim_oom_check(struct shim *sh)
{
	struct shim_oom *o = &sh->oom;
	struct kerr err;
	uint64_t n;

	if (!o->dir[0])
		return false;
	if (cgroup_oom_kills(o->dir, o->v2, &n, &err) < 0) {
		log_warn("%s: cannot tell whether the container was OOM-killed, ignoring", err.msg);
		return false;
	}
	if (n <= o->base)
		return false;
	log_info("the kernel's OOM killer ended %llu process(es) of the container",
		 (unsigned long long)(n - o->base));
	o->base = n;
	return true;
}
