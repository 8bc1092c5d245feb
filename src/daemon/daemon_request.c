/*
 * daemon_request: the fields client requests share, read once for every handler (role,
 * layer 3; bottom band of the daemon): a 0-or-1 flag, and the REF of the container a
 * request is about, resolved through the registry with the failure answered here.
 * request.c has checked every field against its table before a handler runs. Calls only
 * daemon_reply and daemon_registry. Never blocks.
 */
#include "daemon/daemon_request.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_reply.h"
#include "ipc/request.h"

#define REF_MAX 256 /* bytes of a REF field */

/* request.c checks every request against the same limits before a handler runs. */
_Static_assert(REF_MAX == REQUEST_REF_MAX + 1, "REF cap differs from request.c's");

/* A 0-or-1 field (FORCE, ALL, PREPARE): anything else is refused, never taken as true. */
int daemon_request_get_flag(const struct wire_frame *f, uint16_t tag, uint32_t *out,
			    struct kerr *err)
{
	if (wire_get_u32(f, tag, false, out, err) < 0)
		return -1;
	if (*out > 1)
		return kerr_set(err, 0, "field %s is %u; allowed: 0 or 1", wire_tag_name(tag),
				*out);
	return 0;
}

/* Reads REF and resolves it; replies the error itself and returns NULL on failure. */
struct daemon_ctr *daemon_request_resolve_ref(struct daemon *d, struct rpc_conn *conn,
					      const struct wire_frame *f)
{
	char ref[REF_MAX];
	struct kerr err;
	uint32_t code = DAEMON_FAIL_CODE;

	if (wire_get_str(f, WIRE_F_REF, true, ref, sizeof(ref), &err) < 0) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return NULL;
	}
	struct daemon_ctr *c = daemon_resolve(d, ref, &code, &err);
	if (!c)
		daemon_reply_fail(conn, f->reqid, code, &err);
	return c;
}
