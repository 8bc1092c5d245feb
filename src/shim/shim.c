/*
 * shim: `kettle shim`, one supervisor per container (role layer).
 *
 * Started by the daemon as /proc/self/exe with argv[0] "kettle-shim" and a "ready" pipe
 * on fd 3, never by a person. Startup: the container's lock, a fresh abstract name
 * recorded in shim.addr, PR_SET_CHILD_SUBREAPER, the stdio pipes, `runc create`; the
 * result goes back on fd 3 as exactly one frame. Then one loop serves the shim's RPC
 * (one handler per request type below) and the lifecycle (shim_supervise.c) until the
 * container is gone; the shim exits once every reply is flushed (at most SHIM_FLUSH_MS).
 * Invariants: every request is answered exactly once; nothing blocks; SIGTERM and SIGINT
 * are ignored (only SHIM_DELETE/SHIM_SHUTDOWN end a shim); errors go to shim.log.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/log.h"
#include "runtime/proc.h"
#include "ipc/request.h"
#include "shim/shim.h"
#include "store/store.h"
#include "base/str.h"
#include "ipc/wire.h"

#define SHIM_LOG		 "shim.log" /* the shim's own log, in the container directory */
#define READY_FD		 3	    /* the daemon's ready pipe */
#define SHIM_OOM_ADJ		 "-999" /* the shim outlives its container under memory pressure */
#define STOP_TIMEOUT_MAX_MS	 (24ull * 3600 * 1000) /* longest grace period accepted */
#define EXIT_USAGE		 125		       /* misuse and kettle's own failures */
#define EXIT_LOCKED		 1		       /* another shim holds the lock */
#define CLOSE_RANGE_CLOEXEC_FLAG (1u << 2) /* CLOSE_RANGE_CLOEXEC of <linux/close_range.h> */

/* request.c checks every request against the same limits before a handler runs. */
_Static_assert(STOP_TIMEOUT_MAX_MS == REQUEST_STOP_TIMEOUT_MAX_MS, "differs from request.c's");
_Static_assert(SHIM_TTY_DIM_MAX == REQUEST_TTY_DIM_MAX, "differs from request.c's");

static const char usage[] =
	"usage: kettle shim --root ROOT --id ID [--runtime PATH] [--log-level LEVEL]\n"
	"                   [--runtime-timeout MS] [--restart] [--run]\n"
	"\n"
	"Supervises one container. Started by `kettle daemon` with its ready pipe on fd 3;\n"
	"never run it by hand.\n"
	"\n"
	"  --root ROOT        state root (absolute)\n"
	"  --id ID            container id (64 hex characters)\n"
	"  --runtime PATH     OCI runtime when the record names none (default runc)\n"
	"  --log-level LEVEL  error, warn, info or debug (default info)\n"
	"  --runtime-timeout MS  a runtime call still running after MS is killed (default\n"
	"                     30000; the daemon passes its --runtime-timeout)\n"
	"  --restart          a restart by the policy: carry the counters of the last exit on\n"
	"                     and start the container once it is created\n"
	"  --run              `kettle run`: create and start at once (runc run --detach); the\n"
	"                     output and the exit wait for SHIM_START, the client's cue that\n"
	"                     it is attached\n";

static const char synopsis[] = "usage: kettle shim --root ROOT --id ID [--runtime PATH] "
			       "[--log-level LEVEL] [--runtime-timeout MS] [--restart] [--run]";

struct shim_args {
	const char *root;     /* --root, borrowed from argv */
	const char *id;	      /* --id, borrowed from argv */
	const char *runtime;  /* --runtime or NULL, borrowed from argv */
	enum log_level level; /* --log-level */
	bool restart;	      /* --restart: started by the daemon's restart policy */
	bool run;	      /* --run: `runc run --detach`, held until SHIM_START */
	uint64_t timeout_ms;  /* --runtime-timeout, ms */
};

/* Returns 0 to go on, or the exit code (0 after --help). */
static int parse_args(int argc, char **argv, struct shim_args *a)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "id", required_argument, NULL, 'i' },
		{ "runtime", required_argument, NULL, 'R' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "restart", no_argument, NULL, 'x' },
		{ "run", no_argument, NULL, 'u' },
		{ "runtime-timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kerr err;
	int c;

	*a = (struct shim_args){ .level = LOG_LVL_INFO, .timeout_ms = RUNTIME_TIMEOUT_MS };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			a->root = optarg;
			break;
		case 'i':
			a->id = optarg;
			break;
		case 'R':
			a->runtime = optarg;
			break;
		case 'l':
			if (!log_parse_level(optarg, &a->level)) {
				fprintf(stderr,
					"%s\nkettle shim: unknown log level `%s` (allowed: error, "
					"warn, info, debug)\n",
					synopsis, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'x':
			a->restart = true;
			break;
		case 'u':
			a->run = true;
			break;
		case 'T':
			if (str_to_u64(optarg, RUNTIME_TIMEOUT_MAX_MS, &a->timeout_ms, &err) < 0 ||
			    a->timeout_ms == 0) {
				fprintf(stderr,
					"%s\nkettle shim: --runtime-timeout `%s` is not %s\n",
					synopsis, optarg, "a number of milliseconds in 1..3600000");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			fprintf(stderr, "%s\nkettle shim: unknown or incomplete option `%s`\n",
				synopsis, argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s\nkettle shim: unexpected argument `%s`\n", synopsis,
			argv[optind]);
		return EXIT_USAGE;
	}
	if (!a->root || !a->id) {
		fprintf(stderr, "%s\nkettle shim: --root and --id are required\n", synopsis);
		return EXIT_USAGE;
	}
	if (a->root[0] != '/') {
		fprintf(stderr, "%s\nkettle shim: --root `%s` is not an absolute path\n", synopsis,
			a->root);
		return EXIT_USAGE;
	}
	if (!ids_is_id(a->id)) {
		fprintf(stderr, "%s\nkettle shim: --id `%s` is not a container id (64 hex)\n",
			synopsis, a->id);
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- replies, waiters, events ---- */

struct rpc_conn *shim_conn(uint64_t conn)
{
	return conn ? rpc_conn_find(conn) : NULL;
}

const char *shim_short_id(const struct shim *sh)
{
	static char out[IDS_SHORT_LEN + 1];

	str_copyn(out, sizeof(out), sh->id, IDS_SHORT_LEN);
	return out;
}

void shim_reply_ok(struct shim *sh, uint64_t conn, uint32_t reqid)
{
	struct rpc_conn *c = shim_conn(conn);

	(void)sh;
	if (c)
		rpc_conn_send_ok(c, reqid);
}

void shim_reply_error(struct shim *sh, uint64_t conn, uint32_t reqid, uint32_t code,
		      const char *msg)
{
	struct rpc_conn *c = shim_conn(conn);

	(void)sh;
	log_debug("request %u refused: %s", reqid, msg);
	if (c)
		rpc_conn_send_error(c, reqid, code, msg);
}

/* OK{EXIT_CODE} or END{EXIT_CODE}. */
static void send_exit_code(struct shim *sh, uint64_t conn, uint32_t reqid, uint16_t type)
{
	struct rpc_conn *c = shim_conn(conn);
	struct wire_enc e;
	struct kerr err;

	if (!c)
		return;
	wire_enc_begin(&e, rpc_conn_txbuf(c), type, reqid, 0);
	wire_enc_u32(&e, WIRE_F_EXIT_CODE, (uint32_t)sh->st.exit_code);
	if (wire_enc_end(&e, &err) == 0)
		rpc_conn_send(c);
}

/* Drops the entries of closed connections (outside any walk of the table). */
static void compact_waiters(struct shim *sh)
{
	size_t i = 0;

	while (i < sh->nwaiters) {
		if (sh->waiters[i].conn == 0)
			sh->waiters[i] = sh->waiters[--sh->nwaiters];
		else
			i++;
	}
}

bool shim_wait_add(struct shim *sh, enum shim_wait_kind kind, uint64_t conn, uint32_t reqid,
		   uint32_t streams)
{
	if (sh->nwaiters == SHIM_WAITERS_MAX) {
		char msg[96];

		compact_waiters(sh);
		if (sh->nwaiters < SHIM_WAITERS_MAX)
			return shim_wait_add(sh, kind, conn, reqid, streams);

		snprintf(msg, sizeof(msg), "too many pending requests (%d) in the shim",
			 SHIM_WAITERS_MAX);
		shim_reply_error(sh, conn, reqid, 125, msg);
		return false;
	}
	sh->waiters[sh->nwaiters++] = (struct shim_waiter){
		.kind = kind,
		.conn = conn,
		.reqid = reqid,
		.streams = streams,
	};
	return true;
}

void shim_wait_finish(struct shim *sh, enum shim_wait_kind kind, uint32_t code, const char *msg)
{
	size_t i = 0;

	while (i < sh->nwaiters) {
		struct shim_waiter w = sh->waiters[i];

		if (w.kind != kind) {
			i++;
			continue;
		}
		sh->waiters[i] = sh->waiters[--sh->nwaiters];
		switch (kind) {
		case SHIM_W_WAIT:
			send_exit_code(sh, w.conn, w.reqid, WIRE_T_OK);
			break;
		case SHIM_W_ATTACH:
			send_exit_code(sh, w.conn, w.reqid, WIRE_T_END);
			break;
		case SHIM_W_EVENTS: {
			struct rpc_conn *c = shim_conn(w.conn);
			struct wire_enc e;
			struct kerr err;

			if (!c)
				break;
			wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_END, w.reqid, 0);
			if (wire_enc_end(&e, &err) == 0)
				rpc_conn_send(c);
			break;
		}
		default:
			if (code)
				shim_reply_error(sh, w.conn, w.reqid, code, msg ? msg : "failed");
			else
				shim_reply_ok(sh, w.conn, w.reqid);
			break;
		}
	}
}

void shim_tell_exit(struct shim *sh)
{
	if (sh->exit_told)
		return;
	sh->exit_told = true;
	shim_wait_finish(sh, SHIM_W_WAIT, 0, NULL);
	shim_wait_finish(sh, SHIM_W_STOP, 0, NULL);
	shim_wait_finish(sh, SHIM_W_ATTACH, 0, NULL);
}

/* One EVENT frame to one subscriber. */
static void send_event(struct rpc_conn *c, uint32_t reqid, const char *json)
{
	struct wire_enc e;
	struct kerr err;

	wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_EVENT, reqid, 0);
	wire_enc_str(&e, WIRE_F_JSON, json);
	if (wire_enc_end(&e, &err) == 0)
		rpc_conn_send(c);
}

/* Keeps an event for the first subscriber; the oldest stay, later ones are dropped once
 * SHIM_EARLY_EVENTS_MAX bytes are held (a daemon that never subscribes costs no more). */
static void hold_event(struct shim *sh, const char *json)
{
	size_t n = strlen(json) + 1;

	if (!sh->early_events && !(sh->early_events = malloc(SHIM_EARLY_EVENTS_MAX)))
		return;
	if (sh->early_len + n > SHIM_EARLY_EVENTS_MAX) {
		log_warn("no event subscriber yet and %u bytes of events held: dropping one",
			 SHIM_EARLY_EVENTS_MAX);
		return;
	}
	memcpy(sh->early_events + sh->early_len, json, n);
	sh->early_len += n;
}

/* The first subscriber: it gets what was held, then every event as it comes. */
static void subscribe(struct shim *sh, struct rpc_conn *c, uint32_t reqid)
{
	if (!shim_wait_add(sh, SHIM_W_EVENTS, rpc_conn_id(c), reqid, 0))
		return;
	if (sh->subscribed)
		return;
	sh->subscribed = true;
	for (size_t off = 0; off < sh->early_len;) {
		const char *json = sh->early_events + off;

		send_event(c, reqid, json);
		off += strlen(json) + 1;
	}
	free(sh->early_events);
	sh->early_events = NULL;
	sh->early_len = 0;
}

void shim_emit_event(struct shim *sh, const char *json)
{
	if (!sh->subscribed)
		hold_event(sh, json);
	for (size_t i = 0; i < sh->nwaiters; i++) {
		struct shim_waiter *w = &sh->waiters[i];
		struct rpc_conn *c;

		if (w->kind == SHIM_W_EVENTS && (c = shim_conn(w->conn)))
			send_event(c, w->reqid, json);
	}
}

void shim_report_ready(struct shim *sh, uint32_t code, const char *msg)
{
	struct buf b;
	struct wire_enc e;
	struct kerr err;

	if (sh->readyfd < 0)
		return;
	buf_init(&b, WIRE_HDR_LEN + KERR_MSG_MAX + 64);
	wire_enc_begin(&e, &b, code ? WIRE_T_ERROR : WIRE_T_OK, 0, 0);
	if (code) {
		wire_enc_u32(&e, WIRE_F_CODE, code);
		wire_enc_str(&e, WIRE_F_MSG, msg && *msg ? msg : "the shim failed");
	} else {
		wire_enc_u32(&e, WIRE_F_PID, (uint32_t)sh->init_pid);
	}
	/* One small frame into an empty pipe: the write cannot block. A daemon that went
	 * away gives EPIPE (SIGPIPE is ignored); the container is then re-adopted later. */
	if (wire_enc_end(&e, &err) < 0 || fd_write_full(sh->readyfd, b.data, b.len, &err) < 0)
		log_warn("report readiness on fd %d: %s, ignoring", READY_FD, err.msg);
	buf_done(&b);
	sh->readyfd = fd_close(sh->readyfd);
}

/* ---- exit rules ---- */

static bool all_flushed(const struct shim *sh)
{
	for (size_t i = 0; i < sh->nconns; i++) {
		struct rpc_conn *c = shim_conn(sh->conns[i]);

		if (c && rpc_conn_pending(c) > 0)
			return false;
	}
	return true;
}

static void before_sleep(struct loop *l, void *data)
{
	struct shim *sh = data;

	compact_waiters(sh);
	if (sh->exiting && shim_call_count(sh) == 0 && shim_exec_calls(sh) == 0 && all_flushed(sh))
		loop_stop(l);
	/* Last: what runs after a trim, up to epoll_wait, maps its pages back. */
	shim_trim_before_sleep(sh);
}

static void on_flush_timer(struct loop *l, void *data)
{
	struct shim *sh = data;

	sh->flush_timer = 0;
	log_warn("replies not flushed within %d ms, exiting anyway", SHIM_FLUSH_MS);
	loop_stop(l);
}

void shim_begin_exit(struct shim *sh)
{
	struct kerr err;
	char msg[96];

	if (sh->exiting)
		return;
	sh->exiting = true;
	shim_report_ready(sh, 125, "the container was removed while it was being created");
	shim_tell_exit(sh);
	snprintf(msg, sizeof(msg), "container `%s` was removed", shim_short_id(sh));
	shim_wait_finish(sh, SHIM_W_START, 125, msg);
	shim_wait_finish(sh, SHIM_W_DELETE, 0, NULL);
	shim_wait_finish(sh, SHIM_W_EVENTS, 0, NULL);
	shim_supervise_save(sh);
	if (sh->server)
		rpc_server_stop(sh->server);
	log_info("container gone, shim exiting");
	sh->flush_timer = loop_add_timer(sh->loop, SHIM_FLUSH_MS, on_flush_timer, sh, &err);
	if (!sh->flush_timer)
		loop_stop(sh->loop);
}

/* ---- the RPC ---- */

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
static void feed(struct shim *sh, struct rpc_conn *c, const struct wire_frame *f,
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
		feed(sh, c, f, &ev);
		return;
	case WIRE_T_SHIM_KILL:
		ev.type = SHIM_E_KILL_REQ;
		if (get_signal(f, SIGKILL, &ev.signal, &err) < 0 ||
		    get_flag(f, WIRE_F_ALL, &ev.all, &err) < 0)
			break;
		feed(sh, c, f, &ev);
		return;
	case WIRE_T_SHIM_STOP:
		ev.type = SHIM_E_STOP_REQ;
		ev.timeout_ms = SHIM_STOP_TIMEOUT_MS;
		if (get_signal(f, SIGTERM, &ev.signal, &err) < 0 ||
		    wire_get_u64(f, WIRE_F_TIMEOUT_MS, false, &ev.timeout_ms, &err) < 0)
			break;
		if (ev.timeout_ms > STOP_TIMEOUT_MAX_MS) {
			kerr_set(&err, 0, "stop timeout %llu ms exceeds the limit of %llu ms",
				 (unsigned long long)ev.timeout_ms, STOP_TIMEOUT_MAX_MS);
			break;
		}
		feed(sh, c, f, &ev);
		return;
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
			send_exit_code(sh, id, f->reqid, WIRE_T_OK);
		else
			shim_wait_add(sh, SHIM_W_WAIT, id, f->reqid, 0);
		return;
	case WIRE_T_SHIM_DELETE:
		ev.type = SHIM_E_DELETE_REQ;
		if (get_flag(f, WIRE_F_FORCE, &ev.force, &err) < 0)
			break;
		feed(sh, c, f, &ev);
		return;
	case WIRE_T_SHIM_SHUTDOWN:
		ev.type = SHIM_E_DELETE_REQ;
		ev.force = true;
		feed(sh, c, f, &ev);
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
			send_exit_code(sh, id, f->reqid, WIRE_T_END);
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
			subscribe(sh, c, f->reqid);
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

static const struct rpc_conn_ops shim_ops = {
	.on_frame = on_frame,
	.on_close = on_close,
};

static void on_sigchld(struct loop *l, const struct signalfd_siginfo *si, void *data)
{
	(void)l;
	(void)si;
	shim_supervise_reap(data);
}

/* ---- startup ---- */

static int read_record(struct shim *sh, struct kerr *err)
{
	struct buf b;
	int r;

	buf_init(&b, RECORD_JSON_MAX + 1);
	r = store_read_file(sh->dirfd, STORE_RECORD, RECORD_JSON_MAX, &b, err);
	if (r == 0)
		r = record_json_decode(&sh->rec, (const char *)b.data, b.len, false, err);
	buf_done(&b);
	if (r < 0)
		return kerr_wrap(err, "read `%s`", STORE_RECORD);
	if (strcmp(sh->rec.id, sh->id) != 0)
		return kerr_set(err, 0, "`%s` names container `%s`, not `%s`", STORE_RECORD,
				sh->rec.id, sh->id);
	return 0;
}

static int setup_paths(struct shim *sh, const struct shim_args *a, struct kerr *err)
{
	char runc_root[PATH_MAX], runc_log[PATH_MAX];
	const char *runtime = sh->rec.runtime ? sh->rec.runtime : a->runtime;
	int n;

	if (sh->rec.bundle) {
		if (!str_copy(sh->bundle, sizeof(sh->bundle), sh->rec.bundle))
			return kerr_set(err, ENAMETOOLONG, "bundle path `%s`", sh->rec.bundle);
	} else if (store_container_path(sh->root, sh->id, STORE_BUNDLE, sh->bundle,
					sizeof(sh->bundle), err) < 0) {
		return -1;
	}
	if (store_container_path(sh->root, sh->id, STORE_PID_FILE, sh->pid_file,
				 sizeof(sh->pid_file), err) < 0 ||
	    store_container_path(sh->root, sh->id, STORE_RUNC_LOG, runc_log, sizeof(runc_log),
				 err) < 0)
		return -1;
	n = snprintf(runc_root, sizeof(runc_root), "%s/%s", sh->root, STORE_RUNC_ROOT);
	if (n < 0 || (size_t)n >= sizeof(runc_root))
		return kerr_set(err, ENAMETOOLONG, "runtime root under `%s`", sh->root);
	return runtime_init(&sh->rt, runtime, runc_root, runc_log, err);
}

/* Best effort: a shim that dies of memory pressure loses its container's supervision. */
static void protect_from_oom(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, SHIM_OOM_ADJ, strlen(SHIM_OOM_ADJ)) < 0)
		log_warn("set oom_score_adj to %s: %m, ignoring", SHIM_OOM_ADJ);
	fd_close(fd);
}

/* Everything before the loop runs. Returns 0, or the exit code with err set. */
static int setup(struct shim *sh, const struct shim_args *a, struct kerr *err)
{
	char name[IPC_NAME_MAX];
	int lfd = -1;

	if (!str_copy(sh->root, sizeof(sh->root), a->root) ||
	    !str_copy(sh->id, sizeof(sh->id), a->id)) {
		kerr_set(err, ENAMETOOLONG, "root path `%s`", a->root);
		return EXIT_USAGE;
	}
	if (store_open_root(sh->root, false, &sh->rootfd, err) < 0 ||
	    store_open_container(sh->rootfd, sh->id, false, &sh->dirfd, err) < 0)
		return EXIT_USAGE;
	int logfd = openat(sh->dirfd, SHIM_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd >= 0)
		log_setup("kettle-shim", a->level, logfd);
	if (ipc_lock_take(sh->dirfd, STORE_SHIM_LOCK, &sh->lockfd, err) < 0) {
		kerr_wrap(err, "a shim for container `%s` is already running", shim_short_id(sh));
		return EXIT_LOCKED;
	}
	log_info("shim starting for container %s", sh->id);
	sh->runtime_timeout_ms = a->timeout_ms;
	if (read_record(sh, err) < 0 || setup_paths(sh, a, err) < 0 ||
	    ipc_token_load(sh->rootfd, sh->token, err) < 0)
		return EXIT_USAGE;

	sh->loop = loop_new(err);
	if (!sh->loop)
		return EXIT_USAGE;
	if (loop_add_signal(sh->loop, SIGCHLD, on_sigchld, sh, err) < 0)
		return EXIT_USAGE;
	loop_set_before_sleep(sh->loop, before_sleep, sh);
	/* Not fsynced: the name is meaningless once this shim is gone (ipc.h). */
	if (ipc_listen_volatile(sh->dirfd, STORE_SHIM_ADDR, name, &lfd, err) < 0)
		return EXIT_USAGE;
	sh->server = rpc_server_new(sh->loop, lfd, sh->token, geteuid(), &shim_ops, sh, err);
	if (!sh->server)
		return EXIT_USAGE;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		kerr_set(err, errno, "become the container's subreaper");
		return EXIT_USAGE;
	}
	protect_from_oom();
	status_init(&sh->st);
	sh->st.shim_pid = getpid();
	if (shim_io_open(sh, err) < 0)
		return EXIT_USAGE;
	log_debug("listening on @%s, bundle %s, runtime %s", name, sh->bundle, sh->rt.path);
	sh->run_first = a->run && !a->restart && !sh->rec.tty;
	if (shim_supervise_start(sh, a->restart, err) < 0)
		return EXIT_USAGE;
	return 0;
}

static void teardown(struct shim *sh)
{
	shim_call_done(sh);
	shim_health_done(sh);
	shim_exec_done(sh);
	shim_io_done(sh);
	sh->server = rpc_server_free(sh->server);
	sh->loop = loop_free(sh->loop);
	record_done(&sh->rec);
	free(sh->conns);
	free(sh->early_events);
	fd_close(sh->readyfd);
	fd_close(sh->lockfd);
	fd_close(sh->dirfd);
	fd_close(sh->rootfd);
	free(sh);
}

int shim_main(int argc, char **argv)
{
	struct shim_args a;
	struct kerr err;
	struct shim *sh;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (fcntl(READY_FD, F_GETFD) < 0) {
		fprintf(stderr,
			"kettle shim: fd %d (the daemon's ready pipe) is not open: the "
			"shim is started by `kettle daemon`, never by hand\n",
			READY_FD);
		return EXIT_USAGE;
	}
	/* Only we may hold the ready pipe: runc and the container must not inherit it, nor
	 * anything else a careless parent left open (close_range(2), Linux 5.11; older
	 * kernels keep the daemon's CLOEXEC discipline as the only guard). */
	(void)fcntl(READY_FD, F_SETFD, FD_CLOEXEC);
	(void)syscall(SYS_close_range, READY_FD + 1, ~0u, CLOSE_RANGE_CLOEXEC_FLAG);
	(void)prctl(PR_SET_NAME, "kettle-shim", 0, 0, 0);
	/* Only SHIM_DELETE/SHIM_SHUTDOWN end a shim; a daemon gone away is EPIPE, not death.
	 * proc_spawn resets these dispositions for runc and the container. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* A file size limit (RLIMIT_FSIZE) must make a log write fail with EFBIG, which
	 * logfile.c drops and counts, not kill the shim and orphan its container. */
	signal(SIGXFSZ, SIG_IGN);

	sh = calloc(1, sizeof(*sh));
	if (!sh) {
		fprintf(stderr, "kettle shim: out of memory\n");
		return EXIT_USAGE;
	}
	sh->rootfd = sh->dirfd = sh->lockfd = -1;
	sh->readyfd = READY_FD;
	sh->io.out[0].rfd = sh->io.out[0].wfd = -1;
	sh->io.out[1].rfd = sh->io.out[1].wfd = -1;
	sh->io.stdin_rfd = -1;
	shim_tty_init(&sh->io.console);
	shim_input_init(&sh->io.in, sh);
	record_init(&sh->rec);

	rc = setup(sh, &a, &err);
	if (rc) {
		log_error("%s", err.msg);
		fprintf(stderr, "kettle shim: %s\n", err.msg);
		shim_report_ready(sh, 125, err.msg);
		teardown(sh);
		return rc;
	}
	if (loop_run(sh->loop, &err) < 0) {
		log_error("%s", err.msg);
		rc = EXIT_USAGE;
	}
	log_info("shim exited");
	teardown(sh);
	return rc;
}
