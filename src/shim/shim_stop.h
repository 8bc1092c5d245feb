/*
 * shim_stop: stop and kill, transitions of the lifecycle table (role layer, a
 * lifecycle step). Included by the start and exit steps and shim_supervise.c; see
 * shim_stop.c.
 */
#ifndef KETTLE_SHIM_STOP_H
#define KETTLE_SHIM_STOP_H

#include "shim/shim_state.h"

/* `runc kill` without a requester (stop, force delete, failed start): failures logged. */
void shim_stop_kill_quietly(struct shim *sh, int sig, bool all);
/* Who ends supervision with a STOP: a person (stopped_by_user) or, with ev->shutdown, the
 * host's shutdown (sh->shutdown: the policy applies again at the next boot). */
void shim_stop_mark(struct shim *sh, const struct shim_ev *ev);
/* docker stop: sig to init, then SIGKILL to everything after timeout_ms (STOPPING); the
 * caller marked who stopped it. */
void shim_stop_begin(struct shim *sh, int sig, uint64_t timeout_ms);
/* KILL_REQ while starting, running or stopping. */
void shim_stop_on_kill_req(struct shim *sh, const struct shim_ev *ev);
/* STOP_REQ while running. */
void shim_stop_on_stop_req(struct shim *sh, const struct shim_ev *ev);
/* STOP_REQ while `runc start` is in flight: applied once it returned. */
void shim_stop_defer(struct shim *sh, const struct shim_ev *ev);
/* STOP_REQ while stopping or exited: answered once the exit is told. */
void shim_stop_join(struct shim *sh, const struct shim_ev *ev);
/* STOP_TIMEOUT: SIGKILL to every process of the container. */
void shim_stop_on_timeout(struct shim *sh, const struct shim_ev *ev);
/* UNHEALTHY: the --health-on-failure action. */
void shim_stop_on_unhealthy(struct shim *sh, const struct shim_ev *ev);
/* STOP_REQ while creating: a restart being created is not started; with shutdown, a
 * first create is deleted once created. */
void shim_stop_creating(struct shim *sh, const struct shim_ev *ev);

#endif
