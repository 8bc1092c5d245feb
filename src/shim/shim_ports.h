/*
 * shim_ports: the host side of a container's published ports (role layer, mechanism band
 * of the shim): one bound socket per -p, held while the shim lives, as podman's conmon
 * holds them. Calls nothing of the role.
 */
#ifndef KETTLE_SHIM_PORTS_H
#define KETTLE_SHIM_PORTS_H

#include "shim/shim_state.h"

/* Binds every published port of the record; the first that fails names itself. */
int shim_ports_bind(struct shim *sh, struct kerr *err);
/* Closes them. */
void shim_ports_done(struct shim *sh);

#endif
