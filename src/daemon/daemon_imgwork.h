/*
 * daemon_imgwork: the image worker processes (role, layer 3; middle band of the daemon).
 * A load, import or save runs in `kettle-image-worker`, a child re-executed from
 * /proc/self/exe, so the daemon's loop never waits on an archive: the worker gets the
 * client's descriptors as its stdin (the archive), stdout (save's output) and stderr (the
 * client's progress pipe), writes one JSON report on fd 3 and exits; the daemon reads the
 * report in its loop, records what was loaded and answers the client. Calls only the
 * bottom band (images, replies). Never blocks.
 */
#ifndef KETTLE_DAEMON_IMGWORK_H
#define KETTLE_DAEMON_IMGWORK_H

#include "daemon/daemon_state.h"

#define DAEMON_IMGWORK_REPORT_MAX (8u * 1024u * 1024u) /* bytes of a worker's report */
#define DAEMON_IMGWORK_MAX	  16		       /* workers at once */

/* What the worker does (its job's "op"). */
enum daemon_imgwork_op {
	DAEMON_IMGWORK_LOAD,
	DAEMON_IMGWORK_IMPORT,
	DAEMON_IMGWORK_SAVE,
};

/*
 * Starts a worker for client (conn id, request id) with job (JSON, its "op" matching op)
 * and descriptors in, out and progress (-1: /dev/null; borrowed, the worker gets
 * copies). The reply is sent when the worker's report arrives.
 */
int daemon_imgwork_start(struct daemon *d, enum daemon_imgwork_op op, uint64_t client,
			 uint32_t reqid, const char *job, int in, int out, int progress,
			 struct kerr *err);

#endif
