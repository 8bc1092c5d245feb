/*
 * shim_oom: OOM kills of the container (role layer, mechanism band). Included by the
 * start and exit steps; never fatal (shim_oom.c).
 */
#ifndef KETTLE_SHIM_OOM_H
#define KETTLE_SHIM_OOM_H

#include "shim/shim_state.h"

/* The container was created: find its memory cgroup and its oom_kill count so far. */
void shim_oom_watch(struct shim *sh);
/* The container exited: true when the kernel OOM-killed a process of it during the run. */
bool shim_oom_check(struct shim *sh);

#endif
