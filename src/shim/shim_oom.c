/*
 * shim_oom: was the container killed by its memory limit? (role layer, mechanism band)
 *
 * Once `runc create` has put the init in its cgroups, the shim starts an OOM watch on it
 * (supervise/oomwatch.c: the kernel's oom_kill counter of the container's memory cgroup);
 * at the exit, before the runtime deletes the cgroup, it looks again: a rise means the
 * kernel's OOM killer ended a process of this run, which is docker's OOMKilled. Never
 * fatal: a cgroup that cannot be read only means OOM kills are not reported for this run.
 * Calls nothing else of the role.
 */
#include "base/log.h"
#include "shim/shim_oom.h"

void shim_oom_watch(struct shim *sh)
{
	struct kerr err;

	/* A host process has no cgroup of its own: counting the one it shares would blame
	 * it for others' OOM kills. */
	if (sh->rec.isolation_host) {
		oomwatch_clear(&sh->oom);
		return;
	}
	/* The init is our unreaped child here: its pid cannot have been recycled. */
	if (oomwatch_begin(&sh->oom, sh->init_pid, &err) < 0) {
		log_debug("no OOM detection for this run: %s", err.msg);
		return;
	}
	log_debug("memory cgroup %s, %llu OOM kills so far", sh->oom.dir,
		  (unsigned long long)sh->oom.base);
}

bool shim_oom_check(struct shim *sh)
{
	struct kerr err;
	uint64_t n;

	if (oomwatch_check(&sh->oom, &n, &err) < 0) {
		log_warn("%s: cannot tell whether the container was OOM-killed, ignoring", err.msg);
		return false;
	}
	if (n == 0)
		return false;
	log_info("the kernel's OOM killer ended %llu process(es) of the container",
		 (unsigned long long)n);
	return true;
}
