/*
 * daemon_image: the image requests (role, layer 3; middle band of the daemon, called by
 * daemon_api.c): IMAGE_LOAD, IMAGE_IMPORT and IMAGE_SAVE hand the client's descriptors
 * to a worker (daemon_imgwork.c); IMAGE_LIST, IMAGE_INSPECT, IMAGE_HISTORY, IMAGE_TAG,
 * IMAGE_REMOVE and IMAGE_PRUNE are answered at once from the registry (daemon_images.c).
 * Calls daemon_imgwork and the bottom band; never a dispatcher. Never blocks (a config
 * blob, a small file, is read for inspect and history).
 */
#ifndef KETTLE_DAEMON_IMAGE_H
#define KETTLE_DAEMON_IMAGE_H

#include "daemon/daemon_state.h"

void daemon_image_frame(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);

#endif
