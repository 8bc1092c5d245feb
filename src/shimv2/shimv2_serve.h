/*
 * shimv2_serve: the server's loop, its connections and the request dispatch (role layer,
 * top band). Included by shimv2.c only; see shimv2_serve.c.
 */
#ifndef KETTLE_SHIMV2_SERVE_H
#define KETTLE_SHIMV2_SERVE_H

#include "shimv2/shimv2_state.h"

/* Serves the TTRPC socket lfd (listening; owned from here on) until a Shutdown leaves
 * no task: then flushes replies and events (SHIMV2_FLUSH_MS at most), removes the socket file
 * and returns 0; -1 with err when the loop could not be set up or failed. */
int shimv2_serve_run(struct shimv2 *sv, int lfd, struct kerr *err);

#endif
