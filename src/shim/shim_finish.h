/*
 * shim_finish: the end of supervision (role layer, a lifecycle step). Included by the
 * exit and restart steps and shim_supervise.c; see shim_finish.c for what it tells whom
 * before the shim exits.
 */
#ifndef KETTLE_SHIM_FINISH_H
#define KETTLE_SHIM_FINISH_H

#include "shim/shim_state.h"

/* Supervision is over: state GONE, everyone is told, the shim stops accepting and exits
 * once replies are flushed. */
void shim_finish_supervision(struct shim *sh);

#endif
