/*
 * daemon_api: the daemon's request table (role, layer 3; top band of the daemon, the
 * client-side dispatcher). Every authenticated client frame is checked against request.c's
 * table of fields and limits first, then handed to the one handler for its type: CREATE
 * (daemon_create.c), START STOP KILL REMOVE WAIT (daemon_lifecycle.c), LIST (daemon_list.c),
 * INSPECT RESOLVE (daemon_query.c), EVENTS (daemon_events.c), PAUSE UNPAUSE UPDATE RENAME INFO
 * (daemon_ops.c), the IMAGE_* requests (daemon_image.c); any other type gets one error
 * frame. Calls the handlers and the bottom
 * band; never daemon_watch.c or daemon.c. Never blocks.
 */
#include "daemon/daemon_api.h"
#include "daemon/daemon_create.h"
#include "daemon/daemon_events.h"
#include "daemon/daemon_image.h"
#include "daemon/daemon_lifecycle.h"
#include "daemon/daemon_list.h"
#include "daemon/daemon_ops.h"
#include "daemon/daemon_query.h"
#include "daemon/daemon_reply.h"
#include "ipc/request.h"

void daemon_api_frame(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct kerr err;

	/* Every field against the request table first; the handlers read them after. */
	if ((request_servers(f->type) & REQUEST_BY_DAEMON) && request_check(f, &err) < 0) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	switch (f->type) {
	case WIRE_T_CREATE:
		daemon_create_request(d, conn, f);
		break;
	case WIRE_T_START:
		daemon_lifecycle_start(d, conn, f);
		break;
	case WIRE_T_STOP:
		daemon_lifecycle_stop(d, conn, f);
		break;
	case WIRE_T_KILL:
		daemon_lifecycle_kill(d, conn, f);
		break;
	case WIRE_T_REMOVE:
		daemon_lifecycle_remove(d, conn, f);
		break;
	case WIRE_T_WAIT:
		daemon_lifecycle_wait(d, conn, f);
		break;
	case WIRE_T_LIST:
		daemon_list_request(d, conn, f);
		break;
	case WIRE_T_INSPECT:
		daemon_query_inspect(d, conn, f);
		break;
	case WIRE_T_RESOLVE:
		daemon_query_resolve(d, conn, f);
		break;
	case WIRE_T_EVENTS:
		daemon_events_subscribe(d, conn, f);
		break;
	case WIRE_T_PAUSE:
	case WIRE_T_UNPAUSE:
	case WIRE_T_UPDATE:
	case WIRE_T_RENAME:
	case WIRE_T_INFO:
		daemon_ops_frame(d, conn, f);
		break;
	case WIRE_T_IMAGE_LOAD:
	case WIRE_T_IMAGE_IMPORT:
	case WIRE_T_IMAGE_SAVE:
	case WIRE_T_IMAGE_LIST:
	case WIRE_T_IMAGE_INSPECT:
	case WIRE_T_IMAGE_TAG:
	case WIRE_T_IMAGE_REMOVE:
	case WIRE_T_IMAGE_PRUNE:
	case WIRE_T_IMAGE_HISTORY:
		daemon_image_frame(d, conn, f);
		break;
	default:
		kerr_set(&err, 0, "the daemon does not serve %s requests (type %u)",
			 wire_type_name(f->type), f->type);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		break;
	}
}
