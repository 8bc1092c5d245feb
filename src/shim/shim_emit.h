/*
 * shim_emit: the events the shim sends its EVENTS subscribers (role layer, bottom
 * band). Any shim*.c file above the bottom band may include it; emitting never fails its
 * caller (shim_emit.c).
 */
#ifndef KETTLE_SHIM_EMIT_H
#define KETTLE_SHIM_EMIT_H

#include "shim/shim_state.h"

/* One numeric attribute of an event. */
struct shim_emit_attr {
	const char *key; /* JSON key; NULL ends the list */
	long long value; /* its value */
};

/* Builds {"type","time",attrs…,"reason"} (attrs and reason may be NULL) and pushes it to
 * the EVENTS subscribers (the daemon); the one place shim events are written. */
void shim_emit_event(struct shim *sh, const char *type, const struct shim_emit_attr *attrs,
		     const char *reason);
/* EVENTS from c: the first subscriber gets the events held so far, then every one. */
void shim_emit_subscribe(struct shim *sh, struct rpc_conn *c, uint32_t reqid);

#endif
