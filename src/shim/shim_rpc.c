/*
 * shim_rpc: the shim's requests, one handler or table event per type (role layer, top
 * band). Every frame is checked against request.c's table before a handler reads it;
 * lifecycle requests (START, KILL, STOP, DELETE, SHUTDOWN) become events of the table
 * (shim_supervise.c), the others go to their mechanism (state, pids, pause/resume/update,
 * wait, attach, exec, stream frames, events). A refused request gets one ERROR frame; a
 * bad stream frame is logged, never answered. Invariant: every request is answered
 * exactly once, now or later from the waiter table. Called only by shim.c.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/log.h"
#include "ipc/request.h"
#include "ipc/wire.h"
#include "shim/shim_call.h"
#include "shim/shim_emit.h"
#include "shim/shim_exec.h"
#include "shim/shim_io.h"
#include "shim/shim_ops.h"
#include "shim/shim_reply.h"
#include "shim/shim_rpc.h"
#include "shim/shim_supervise.h"
#include "shim/shim_tty.h"
#include "shim/shim_wait.h"

#define STOP_TIMEOUT_MAX_MS (24ull * 3600 * 1000) /* longest grace period accepted */

/* request.c checks every request against the same limits before a handler runs. */
_Static_assert(STOP_TIMEOUT_MAX_MS == REQUEST_STOP_TIMEOUT_MAX_MS, "differs from request.c's");
_Static_assert(CONSOLE_DIM_MAX == REQUEST_TTY_DIM_MAX, "differs from request.c's");

static void track_conn(struct shim *sh, uint64_t id)
{
	for (size_t i = 0; i < sh->nconns; i++)
		if (sh->conns[i] == id)
			return;
	if (sh->nconns == sh->conns_cap) {
		size_t cap = sh->conns_cap ? 2 * sh->conns_cap : 16;
		uint64_t *v = realloc(sh->conns, cap * sizeof(*v));

		if (!v)
			return; /* only the exit flush consults this list */
		sh->conns = v;
		sh->conns_cap = cap;
	}
	sh->conns[sh->nconns++] = id;
}

static void on_close(struct rpc_conn *c, const struct kerr *why, void *data)
{
	struct shim *sh = data;
	uint64_t id = rpc_conn_id(c);
	size_t i = 0;

	if (why && why->code)
		log_debug("connection %llu closed: %s", (unsigned long long)id, why->msg);
	/* Only marked here: on_close can run inside an rpc_conn_send made while another
	 * function walks the table, which must not see entries move under it. */
	for (i = 0; i < sh->nwaiters; i++)
		if (sh->waiters[i].conn == id)
			sh->waiters[i].conn = 0;
	for (i = 0; i < sh->nconns; i++)
		if (sh->conns[i] == id) {
			sh->conns[i] = sh->conns[--sh->nconns];
			break;
		}
}

static void req_state(struct shim *sh, struct rpc_conn *c, const struct wire_frame *f)
{
	struct buf b;
	struct wire_enc e;
	struct kerr err;

	buf_init(&b, STATUS_JSON_MAX);
	sh->st.shim_pid = getpid();
	if (status_to_json(&sh->st, &b, &err) < 0) {
		rpc_conn_send_error(c, f->reqid, 125, err.msg);
		buf_done(&b);
		return;
	}
	wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_OK, f->reqid, 0);
	wire_enc_bytes(&e, WIRE_F_JSON, b.data, b.len);
	wire_enc_u32(&e, WIRE_F_PID, (uint32_t)sh->st.pid);
	wire_enc_str(&e, WIRE_F_STATUS, shim_state_name(sh->state));
	/* What an attacher may use: a terminal, and stdin (bit 2) with -i or -t. */
	wire_enc_u32(&e, WIRE_F_TTY, sh->rec.tty);
	wire_enc_u32(&e, WIRE_F_STREAMS, (sh->rec.stdin_open || sh->rec.tty) ? 7u : 3u);
	if (wire_enc_end(&e, &err) < 0)
		rpc_conn_send_error(c, f->reqid, 125, err.msg);
	else
		rpc_conn_send(c);
	buf_done(&b);
}

/* Feeds a request event built from the frame. */
static void feed_request(struct shim *sh, struct rpc_conn *c, const struct wire_frame *f,
			 struct shim_ev *ev)
{
	ev->conn = rpc_conn_id(c);
	ev->reqid = f->reqid;
	shim_supervise_event(sh, ev);
	/* Frozen tasks cannot act on a signal, not even die of SIGKILL: stop, rm and kill -9
	 * of a paused container thaw it once the signal is on its way (as docker does). */
	if (ev->type == SHIM_E_STOP_REQ || ev->type == SHIM_E_DELETE_REQ ||
	    (ev->type == SHIM_E_KILL_REQ && ev->signal == SIGKILL))
		shim_ops_thaw_for_signal(sh);
}

static int get_signal(const struct wire_frame *f, int def, int *sig, struct kerr *err)
{
	uint32_t v = (uint32_t)def;

	if (wire_get_u32(f, WIRE_F_SIGNAL, false, &v, err) < 0)
		return -1;
	if (v < 1 || v > 64)
		return kerr_set(err, 0, "signal %u out of range 1..64", v);
	*sig = (int)v;
	return 0;
}

static int get_flag(const struct wire_frame *f, uint16_t tag, bool *out, struct kerr *err)
{
	uint32_t v = 0;

	if (wire_get_u32(f, tag, false, &v, err) < 0)
		return -1;
	if (v > 1)
		return kerr_set(err, 0, "field %s is %u; allowed: 0 or 1", wire_tag_name(tag), v);
	*out = v == 1;
	return 0;
}

/* STDIN, RESIZE or SIGNAL for the container: STDIN only from a client attached with the
 * stdin bit under that request id. */
static int container_stream_frame(struct shim *sh, uint64_t conn, const struct wire_frame *f,
				  struct kerr *err)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	uint32_t rows, cols;

	switch (f->type) {
	case WIRE_T_STDIN:
		for (size_t i = 0; i < sh->nwaiters; i++) {
			const struct shim_waiter *w = &sh->waiters[i];

			if (w->kind == SHIM_W_ATTACH && w->conn == conn && w->reqid == f->reqid &&
			    (w->streams & 4u)) {
				if (wire_get_bytes(f, WIRE_F_DATA, true, &p, &n, err) < 0)
					return -1;
				return shim_io_input(sh, p, n, conn, f->reqid, err);
			}
		}
		return kerr_set(err, 0, "no attach with stdin under request id %u", f->reqid);
	case WIRE_T_RESIZE:
		if (shim_tty_get_resize(f, &rows, &cols, err) < 0)
			return -1;
		return shim_io_resize(sh, rows, cols, err);
	default:
		return kerr_set(err, 0, "signals go through SHIM_KILL");
	}
}

static void on_frame(struct rpc_conn *c, const struct wire_frame *f, void *data)
{
	struct shim *sh = data;
	struct shim_ev ev = { 0 };
	struct kerr err;
	uint64_t id = rpc_conn_id(c);

	track_conn(sh, id);
	log_debug("request %s (id %u) on connection %llu", wire_type_name(f->type), f->reqid,
		  (unsigned long long)id);
	/* Every field against the request table first; the handlers read them after. */
	if ((request_servers(f->type) & REQUEST_BY_SHIM) && request_check(f, &err) < 0) {
		int fds[IPC_FDS_MAX];
		size_t n = ipc_conn_take_fds(rpc_conn_ipc(c), fds, IPC_FDS_MAX);

		/* A refused exec's descriptors are closed now, not at the next frame. */
		for (size_t i = 0; i < n; i++)
			fd_close(fds[i]);
		if (f->type == WIRE_T_STDIN || f->type == WIRE_T_RESIZE ||
		    f->type == WIRE_T_SIGNAL) {
			/* Stream frames: no reply; a bad one is logged, never answered. */
			log_debug("%s frame (id %u): %s, ignoring", wire_type_name(f->type),
				  f->reqid, err.msg);
			return;
		}
		log_debug("request %u refused: %s", f->reqid, err.msg);
		rpc_conn_send_error(c, f->reqid, 125, err.msg);
		return;
	}
	switch (f->type) {
	case WIRE_T_SHIM_STATE:
		req_state(sh, c, f);
		return;
	case WIRE_T_SHIM_START:
		ev.type = SHIM_E_START_REQ;
		feed_request(sh, c, f, &ev);
		return;
	case WIRE_T_SHIM_KILL:
		ev.type = SHIM_E_KILL_REQ;
		if (get_signal(f, SIGKILL, &ev.signal, &err) < 0 ||
		    get_flag(f, WIRE_F_ALL, &ev.all, &err) < 0)
			break;
		feed_request(sh, c, f, &ev);
		return;
	case WIRE_T_SHIM_STOP: {
		bool forever = false;

		ev.type = SHIM_E_STOP_REQ;
		ev.timeout_ms = SHIM_STOP_TIMEOUT_MS;
		if (get_signal(f, SIGTERM, &ev.signal, &err) < 0 ||
		    wire_get_u64(f, WIRE_F_TIMEOUT_MS, false, &ev.timeout_ms, &err) < 0 ||
		    get_flag(f, WIRE_F_FOREVER, &forever, &err) < 0 ||
		    get_flag(f, WIRE_F_SHUTDOWN, &ev.shutdown, &err) < 0)
			break;
		if (ev.timeout_ms > STOP_TIMEOUT_MAX_MS) {
			kerr_set(&err, 0, "stop timeout %llu ms exceeds the limit of %llu ms",
				 (unsigned long long)ev.timeout_ms, STOP_TIMEOUT_MAX_MS);
			break;
		}
		if (forever)
			ev.timeout_ms = SHIM_STOP_FOREVER;
		feed_request(sh, c, f, &ev);
		return;
	}
	case WIRE_T_SHIM_PIDS:
		shim_call_pids(sh, id, f->reqid);
		return;
	case WIRE_T_SHIM_PAUSE:
	case WIRE_T_SHIM_RESUME:
	case WIRE_T_SHIM_UPDATE:
		shim_ops_frame(sh, c, f);
		return;
	case WIRE_T_SHIM_WAIT:
		if (sh->exit_told || sh->state == SHIM_S_GONE)
			shim_reply_exit_code(sh, id, f->reqid, WIRE_T_OK);
		else
			shim_wait_add(sh, SHIM_W_WAIT, id, f->reqid, 0);
		return;
	case WIRE_T_SHIM_DELETE:
		ev.type = SHIM_E_DELETE_REQ;
		if (get_flag(f, WIRE_F_FORCE, &ev.force, &err) < 0)
			break;
		feed_request(sh, c, f, &ev);
		return;
	case WIRE_T_SHIM_SHUTDOWN:
		ev.type = SHIM_E_DELETE_REQ;
		ev.force = true;
		feed_request(sh, c, f, &ev);
		return;
	case WIRE_T_SHIM_ATTACH: {
		uint32_t streams = 3;

		if (wire_get_u32(f, WIRE_F_STREAMS, false, &streams, &err) < 0)
			break;
		if (streams & ~7u) {
			kerr_set(&err, 0,
				 "attach streams 0x%x; allowed bits: 1 stdout, 2 stderr, 4 stdin",
				 streams);
			break;
		}
		/* stdin (bit 2) counts only for a container created with -i or -t. */
		if (!sh->rec.stdin_open && !sh->rec.tty)
			streams &= 3u;
		if (sh->exit_told || sh->state == SHIM_S_GONE)
			shim_reply_exit_code(sh, id, f->reqid, WIRE_T_END);
		else
			shim_wait_add(sh, SHIM_W_ATTACH, id, f->reqid, streams);
		return;
	}
	case WIRE_T_SHIM_EXEC:
		shim_exec_request(sh, c, f);
		return;
	case WIRE_T_STDIN:
	case WIRE_T_RESIZE:
	case WIRE_T_SIGNAL:
		/* Stream frames: no reply; a bad one is logged, never answered. */
		if (!shim_exec_stream_frame(sh, id, f) &&
		    container_stream_frame(sh, id, f, &err) < 0)
			log_debug("%s frame (id %u): %s, ignoring", wire_type_name(f->type),
				  f->reqid, err.msg);
		return;
	case WIRE_T_EVENTS:
		if (sh->exiting) {
			struct wire_enc e;

			wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_END, f->reqid, 0);
			if (wire_enc_end(&e, &err) == 0)
				rpc_conn_send(c);
		} else {
			shim_emit_subscribe(sh, c, f->reqid);
		}
		return;
	default:
		kerr_set(&err, 0, "request type %s (%u) is not served by the shim",
			 wire_type_name(f->type), f->type);
		break;
	}
	log_debug("request %u refused: %s", f->reqid, err.msg);
	rpc_conn_send_error(c, f->reqid, 125, err.msg);
}

static const struct rpc_conn_ops rpc_ops = {
	.on_frame = on_frame,
	.on_close = on_close,
};

int shim_rpc_serve(struct shim *sh, int lfd, struct kerr *err)
{
	sh->server = rpc_server_new(sh->loop, lfd, sh->token, geteuid(), &rpc_ops, sh, err);
	return sh->server ? 0 : -1;
}
