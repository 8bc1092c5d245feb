/*
 * daemon_api: the daemon's request table (role, layer 3).
 *
 * Every authenticated client frame is checked against request.c's table of fields and
 * limits first, then handed to the one handler for its type: CREATE (daemon_create.c),
 * START STOP KILL REMOVE WAIT (daemon_lifecycle.c), LIST INSPECT RESOLVE (daemon_query.c),
 * EVENTS (daemon_events.c), PAUSE UNPAUSE UPDATE RENAME INFO (daemon_ops.c); any other
 * type gets one error frame. Also the small helpers the handlers share to read a request
 * and answer it. Never blocks.
 */
#include "daemon/daemon.h"
#include "base/log.h"
#include "ipc/request.h"

#define REF_MAX 256 /* bytes of a REF field */

/* request.c checks every request against the same limits before a handler runs. */
_Static_assert(REF_MAX == REQUEST_REF_MAX + 1, "REF cap differs from request.c's");

/* ---- helpers the handlers share ---- */

void daemon_api_reply_error(struct rpc_conn *conn, uint32_t reqid, uint32_t code,
			    const struct kerr *err)
{
	log_debug("request %u failed: %s", reqid, err->msg);
	rpc_conn_send_error(conn, reqid, code, err->msg);
}

/* A 0-or-1 field (FORCE, ALL, PREPARE): anything else is refused, never taken as true. */
int daemon_api_get_flag(const struct wire_frame *f, uint16_t tag, uint32_t *out, struct kerr *err)
{
	if (wire_get_u32(f, tag, false, out, err) < 0)
		return -1;
	if (*out > 1)
		return kerr_set(err, 0, "field %s is %u; allowed: 0 or 1", wire_tag_name(tag),
				*out);
	return 0;
}

/* Reads REF and resolves it; replies the error itself and returns NULL on failure. */
struct daemon_ctr *daemon_api_resolve_ref(struct daemon *d, struct rpc_conn *conn,
					  const struct wire_frame *f)
{
	char ref[REF_MAX];
	struct kerr err;
	uint32_t code = DAEMON_FAIL_CODE;

	if (wire_get_str(f, WIRE_F_REF, true, ref, sizeof(ref), &err) < 0) {
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return NULL;
	}
	struct daemon_ctr *c = daemon_resolve(d, ref, &code, &err);
	if (!c)
		daemon_api_reply_error(conn, f->reqid, code, &err);
	return c;
}

/* ---- the request table ---- */

void daemon_api_frame(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct kerr err;

	/* Every field against the request table first; the handlers read them after. */
	if ((request_servers(f->type) & REQUEST_BY_DAEMON) && request_check(f, &err) < 0) {
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
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
		daemon_query_list(d, conn, f);
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
	default:
		kerr_set(&err, 0, "the daemon does not serve %s requests (type %u)",
			 wire_type_name(f->type), f->type);
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		break;
	}
}
