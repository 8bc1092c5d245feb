/*
 * shimv2_task: the Task service (containerd.task.v2.Task and v3) (role layer, upper
 * band). Included by shimv2_serve.c only; see shimv2_task.c.
 */
#ifndef KETTLE_SHIMV2_TASK_H
#define KETTLE_SHIMV2_TASK_H

#include "shimv2/shimv2_state.h"
#include "ttrpc/ttrpc.h"

/* One request on stream sid of connection conn: answered now or when its step completes. */
void shimv2_task_call(struct shimv2 *sv, uint64_t conn, uint32_t sid,
		      const struct ttrpc_request *req);

#endif
