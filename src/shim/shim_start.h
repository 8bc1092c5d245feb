/*
 * shim_start: from the create's outcome to a running container, transitions of the
 * lifecycle table (role layer, a lifecycle step). Included by shim_supervise.c only (its
 * table); see shim_start.c.
 */
#ifndef KETTLE_SHIM_START_H
#define KETTLE_SHIM_START_H

#include "shim/shim_state.h"

/* CREATE_DONE: created (or running and held, --run); the daemon hears it on fd 3. */
void shim_start_on_created(struct shim *sh, const struct shim_ev *ev);
/* CREATE_FAILED: exit.json and the ready frame say why; the policy decides a restart. */
void shim_start_on_create_failed(struct shim *sh, const struct shim_ev *ev);
/* START_REQ while created. */
void shim_start_on_start_req(struct shim *sh, const struct shim_ev *ev);
/* START_REQ while `runc start` is in flight: answered with it. */
void shim_start_join(struct shim *sh, const struct shim_ev *ev);
/* START_DONE: running (the exit of an init already gone follows at once). */
void shim_start_on_started(struct shim *sh, const struct shim_ev *ev);
/* START_FAILED: the requester hears why, and the created init is killed. */
void shim_start_on_start_failed(struct shim *sh, const struct shim_ev *ev);

#endif
