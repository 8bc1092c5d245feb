/*
 * shim_create: `runc create` (or run) and the --run hold (role layer, a lifecycle step).
 * Included by the later steps (start, exit, restart) and shim_supervise.c; see
 * shim_create.c.
 */
#ifndef KETTLE_SHIM_CREATE_H
#define KETTLE_SHIM_CREATE_H

#include "shim/shim_state.h"

/* `runc create` (or run) into state CREATING; a spawn failure becomes CREATE_FAILED. */
void shim_create_begin(struct shim *sh);
/* Ends a --run hold (START, a delete, or nobody came): the output is read from now on. */
void shim_create_release_hold(struct shim *sh);

#endif
