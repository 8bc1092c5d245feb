/*
 * daemon_query: the LIST, INSPECT and RESOLVE requests (role, layer 3; middle band of the
 * daemon, called by daemon_api.c). Answered from the registry without asking any shim:
 * LIST and INSPECT as one JSON document each (at most JSON_REPLY_MAX bytes), RESOLVE as the
 * container's id, name, status and its shim's address for streams. Health results and
 * dropped log bytes come from state.json, the shim's latest word. Calls only the bottom
 * band; never a shim, a completion or a dispatcher. Never blocks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "daemon/daemon_images.h"
#include "daemon/daemon_query.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_reply.h"
#include "daemon/daemon_request.h"
#include "base/fd.h"
#include "base/json_w.h"
#include "store/store.h"

#define CMDLINE_MAX    4096			 /* bytes of the command shown by LIST */
#define JSON_REPLY_MAX (KETTLE_FRAME_MAX - 4096) /* a LIST/INSPECT document */

static void put_time(struct json_w *w, const char *key, int64_t ns)
{
	char stamp[CLOCK_RFC3339NANO_LEN + 1];

	json_w_key(w, key);
	if (ns <= 0) {
		json_w_null(w);
		return;
	}
	clock_format_rfc3339nano(ns, stamp);
	json_w_str(w, stamp);
}

/* Sends OK with a JSON document field (and the id when id is not NULL). */
static void reply_json(struct rpc_conn *conn, uint32_t reqid, const char *id, struct buf *json)
{
	struct wire_enc e;
	struct kerr err;

	wire_enc_begin(&e, rpc_conn_txbuf(conn), WIRE_T_OK, reqid, 0);
	if (id)
		wire_enc_str(&e, WIRE_F_ID, id);
	wire_enc_bytes(&e, WIRE_F_JSON, json->data, json->len);
	if (wire_enc_end(&e, &err) < 0) {
		kerr_wrap(&err, "reply");
		daemon_reply_fail(conn, reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	rpc_conn_send(conn);
}

/* ---- LIST, INSPECT, RESOLVE ---- */

static int by_created_desc(const void *a, const void *b)
{
	const struct daemon_ctr *x = *(struct daemon_ctr *const *)a;
	const struct daemon_ctr *y = *(struct daemon_ctr *const *)b;

	if (x->rec.created_ns != y->rec.created_ns)
		return x->rec.created_ns < y->rec.created_ns ? 1 : -1;
	return strcmp(x->rec.id, y->rec.id);
}

/* LIST's "image": what ps shows in its IMAGE column; null for a container of a rootfs or
 * a bundle. */
static void put_image(struct daemon *d, const struct daemon_ctr *c, struct json_w *w)
{
	char shown[512];

	json_w_key(w, "image");
	daemon_images_shown(d, &c->rec, shown, sizeof(shown));
	if (shown[0])
		json_w_str(w, shown);
	else
		json_w_null(w);
}

void daemon_query_list(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	uint32_t all = 0;
	struct kerr err;
	struct json_w w;
	struct buf b;
	char cmd[CMDLINE_MAX];
	char stamp[CLOCK_RFC3339NANO_LEN + 1];

	if (daemon_request_get_flag(f, WIRE_F_ALL, &all, &err) < 0) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	_cleanup_free_ struct daemon_ctr **v = calloc(d->nctrs ? d->nctrs : 1, sizeof(*v));
	if (!v) {
		kerr_set(&err, ENOMEM, "list containers");
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < d->nctrs; i++)
		if (!daemon_ctr_hidden(d->ctrs[i]) && (all || daemon_ctr_running(d->ctrs[i])))
			v[n++] = d->ctrs[i];
	qsort(v, n, sizeof(*v), by_created_desc);
	buf_init(&b, JSON_REPLY_MAX);
	json_w_init(&w, &b);
	json_w_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		const struct daemon_ctr *c = v[i];

		record_command_line(&c->rec, cmd, sizeof(cmd));
		clock_format_rfc3339nano(c->rec.created_ns, stamp);
		json_w_obj_begin(&w);
		json_w_key(&w, "id");
		json_w_str(&w, c->rec.id);
		json_w_key(&w, "name");
		json_w_str(&w, c->rec.name);
		put_image(d, c, &w);
		json_w_key(&w, "command");
		json_w_str(&w, cmd);
		json_w_key(&w, "created");
		json_w_str(&w, stamp);
		json_w_key(&w, "status");
		json_w_str(&w, status_kind_name(c->st.kind));
		json_w_key(&w, "exit_code");
		json_w_i64(&w, c->st.exit_code);
		put_time(&w, "started_at", c->st.started_ns);
		put_time(&w, "finished_at", c->st.finished_ns);
		json_w_key(&w, "pid");
		json_w_i64(&w, daemon_ctr_running(c) ? c->st.pid : 0);
		json_w_key(&w, "restart_count");
		json_w_u64(&w, c->st.restart_count);
		json_w_key(&w, "restart_streak");
		json_w_u64(&w, c->st.restart_streak);
		put_time(&w, "next_start",
			 c->st.kind == STATUS_RESTARTING ? c->st.next_start_ns : 0);
		json_w_key(&w, "health");
		if (c->st.health.kind == STATUS_HEALTH_NONE)
			json_w_null(&w);
		else
			json_w_str(&w, status_health_name(c->st.health.kind));
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	if (json_w_end(&w, &err) < 0) {
		kerr_wrap(&err, "list %zu containers", n);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	} else {
		reply_json(conn, f->reqid, NULL, &b);
	}
	buf_done(&b);
}

/* Bytes the container's log lost: the shim's latest word is state.json (it saves new
 * drops at most once a second), newer than anything the daemon keeps. */
static uint64_t log_dropped(struct daemon *d, const struct daemon_ctr *c)
{
	_cleanup_close_ int dirfd = -1;
	struct status st;
	struct kerr err;

	if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, &err) == 0 &&
	    status_read(dirfd, STORE_STATE, &st, &err) == 0 && st.log_dropped > c->st.log_dropped)
		return st.log_dropped;
	return c->st.log_dropped;
}

/* Health checks: the shim rewrites state.json after every one (no event unless the status
 * changes), so its latest results are there, newer than what the daemon keeps. */
static void put_health(struct daemon *d, const struct daemon_ctr *c, struct json_w *w)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_free_ struct status *st = malloc(sizeof(*st));
	struct kerr err;

	if (st && store_open_container(d->rootfd, c->rec.id, false, &dirfd, &err) == 0 &&
	    status_read(dirfd, STORE_STATE, st, &err) == 0 && st->health.kind != STATUS_HEALTH_NONE)
		status_health_json(w, &st->health);
	else
		status_health_json(w, &c->st.health);
}

/* inspect's image (docker's "Image", the id; the record's "image" block has the rest:
 * the reference, layers, storage driver, stop signal, exposed ports). */
static void put_inspect_image(const struct daemon_ctr *c, struct json_w *w)
{
	json_w_key(w, "image");
	if (c->rec.image.ref)
		json_w_str(w, c->rec.image.id);
	else
		json_w_null(w);
}

static int inspect_json(struct daemon *d, const struct daemon_ctr *c, struct buf *out,
			struct kerr *err)
{
	struct json_w w;
	char stamp[CLOCK_RFC3339NANO_LEN + 1];
	char path[PATH_MAX];
	const struct status *s = &c->st;
	bool running = daemon_ctr_running(c);

	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "id");
	json_w_str(&w, c->rec.id);
	json_w_key(&w, "name");
	json_w_str(&w, c->rec.name);
	clock_format_rfc3339nano(c->rec.created_ns, stamp);
	json_w_key(&w, "created");
	json_w_str(&w, stamp);
	json_w_key(&w, "path");
	json_w_str(&w, c->rec.args.n ? c->rec.args.v[0] : "");
	json_w_key(&w, "args");
	json_w_arr_begin(&w);
	for (size_t i = 1; i < c->rec.args.n; i++)
		json_w_str(&w, c->rec.args.v[i]);
	json_w_arr_end(&w);
	json_w_key(&w, "state");
	json_w_obj_begin(&w);
	json_w_key(&w, "status");
	json_w_str(&w, status_kind_name(s->kind));
	json_w_key(&w, "running");
	json_w_bool(&w, running && (s->kind == STATUS_RUNNING || s->kind == STATUS_PAUSED));
	json_w_key(&w, "paused");
	json_w_bool(&w, running && s->kind == STATUS_PAUSED);
	json_w_key(&w, "restarting");
	json_w_bool(&w, running && s->kind == STATUS_RESTARTING);
	json_w_key(&w, "oom_killed");
	json_w_bool(&w, s->oom_killed);
	json_w_key(&w, "dead");
	json_w_bool(&w, s->kind == STATUS_DEAD);
	json_w_key(&w, "pid");
	json_w_i64(&w, running ? s->pid : 0);
	json_w_key(&w, "exit_code");
	json_w_i64(&w, s->exit_code);
	json_w_key(&w, "error");
	json_w_str(&w, s->error);
	json_w_key(&w, "reason");
	json_w_str(&w, s->reason);
	put_time(&w, "started_at", s->started_ns);
	put_time(&w, "finished_at", s->finished_ns);
	json_w_key(&w, "restart_count");
	json_w_u64(&w, s->restart_count);
	json_w_key(&w, "restart_streak");
	json_w_u64(&w, s->restart_streak);
	put_time(&w, "next_start", s->kind == STATUS_RESTARTING ? s->next_start_ns : 0);
	json_w_key(&w, "stopped_by_user");
	json_w_bool(&w, s->stopped_by_user);
	json_w_key(&w, "health");
	put_health(d, c, &w);
	json_w_obj_end(&w);
	json_w_key(&w, "bundle");
	if (c->rec.bundle) {
		json_w_str(&w, c->rec.bundle);
	} else {
		if (store_container_path(d->root, c->rec.id, STORE_BUNDLE, path, sizeof(path),
					 err) < 0)
			return -1;
		json_w_str(&w, path);
	}
	json_w_key(&w, "rootfs");
	if (c->rec.rootfs)
		json_w_str(&w, c->rec.rootfs);
	else
		json_w_null(&w);
	put_inspect_image(c, &w);
	if (store_container_path(d->root, c->rec.id, STORE_CTR_LOG, path, sizeof(path), err) < 0)
		return -1;
	json_w_key(&w, "log_path");
	json_w_str(&w, path);
	json_w_key(&w, "log_dropped_bytes");
	json_w_u64(&w, log_dropped(d, c));
	json_w_key(&w, "runtime");
	json_w_str(&w, c->rec.runtime ? c->rec.runtime : d->runtime);
	json_w_obj_end(&w);
	if (json_w_end(&w, err) < 0)
		return -1;
	/* "config" is the record verbatim: splice it in before the closing brace. */
	if (out->len == 0 || out->data[out->len - 1] != '}')
		return kerr_set(err, EINVAL, "inspect document is not an object");
	out->len--;
	if (buf_append_str(out, ",\"config\":", err) < 0 ||
	    record_json_encode(&c->rec, out, err) < 0)
		return -1;
	while (out->len > 0 && out->data[out->len - 1] == '\n')
		out->len--;
	return buf_append_str(out, "}", err);
}

void daemon_query_inspect(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_request_resolve_ref(d, conn, f);
	struct kerr err;
	struct buf b;

	if (!c)
		return;
	buf_init(&b, JSON_REPLY_MAX);
	if (inspect_json(d, c, &b, &err) < 0) {
		kerr_wrap(&err, "inspect `%.12s`", c->rec.id);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	} else {
		reply_json(conn, f->reqid, c->rec.id, &b);
	}
	buf_done(&b);
}

void daemon_query_resolve(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_request_resolve_ref(d, conn, f);
	char addr[IPC_NAME_MAX] = "";
	struct wire_enc e;
	struct kerr err;
	struct buf b;

	if (!c)
		return;
	if (daemon_ctr_shim_alive(c) && !daemon_ctr_spawning(c)) {
		_cleanup_close_ int dirfd = -1;
		pid_t pid;

		if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, &err) < 0 ||
		    ipc_read_addr(dirfd, STORE_SHIM_ADDR, addr, &pid, &err) < 0 ||
		    pid != c->shim_pid)
			addr[0] = '\0';
	}
	buf_init(&b, STORE_FILE_MAX);
	if (status_to_json(&c->st, &b, &err) < 0) {
		buf_done(&b);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	wire_enc_begin(&e, rpc_conn_txbuf(conn), WIRE_T_OK, f->reqid, 0);
	wire_enc_str(&e, WIRE_F_ID, c->rec.id);
	wire_enc_str(&e, WIRE_F_NAME, c->rec.name);
	if (addr[0])
		wire_enc_str(&e, WIRE_F_ADDR, addr);
	wire_enc_bytes(&e, WIRE_F_JSON, b.data, b.len);
	buf_done(&b);
	if (wire_enc_end(&e, &err) < 0) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	rpc_conn_send(conn);
}
