/*
 * shim_next: what a lifecycle transition leaves for the dispatcher (role layer, bottom
 * band). Included by the lifecycle steps; only shim_supervise.c reads and applies
 * sh->next (shim_next.c).
 */
#ifndef KETTLE_SHIM_NEXT_H
#define KETTLE_SHIM_NEXT_H

#include "shim/shim_state.h"

/* Feed ev to the table next (ev->msg is copied). */
void shim_next_event(struct shim *sh, const struct shim_ev *ev);
/* Arm the lifecycle timer t for delay_ms. */
void shim_next_timer(struct shim *sh, enum shim_timer t, uint64_t delay_ms);
/* Register the container's output pipes in the loop. */
void shim_next_watch(struct shim *sh);

#endif
