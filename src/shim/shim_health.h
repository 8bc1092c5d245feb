/*
 * shim_health: health checks, --health-cmd (role layer, mechanism band). Included by
 * the start and exit steps and the top (shim.c, shim_supervise.c, which arms its timer
 * and feeds its verdict); see shim_health.c.
 */
#ifndef KETTLE_SHIM_HEALTH_H
#define KETTLE_SHIM_HEALTH_H

#include "shim/shim_state.h"

/* The container started: status starting, the first check after the interval. */
void shim_health_start(struct shim *sh);
/* The container exited: no more checks; a check in flight is forgotten. */
void shim_health_stop(struct shim *sh);
/* Arms the interval timer with fn when a check is due (fn calls shim_health_tick). */
void shim_health_arm(struct shim *sh, loop_timer_fn fn);
/* The interval timer fired: the next check starts (or waits while paused). */
void shim_health_tick(struct shim *sh);
/* True once after a check turned the running container unhealthy with
 * --health-on-failure set: SHIM_E_UNHEALTHY is due. */
bool shim_health_take_verdict(struct shim *sh);
/* Frees everything; for the final teardown. */
void shim_health_done(struct shim *sh);

#endif
