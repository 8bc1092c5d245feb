/*
 * daemon_ops: PAUSE, UNPAUSE, UPDATE, RENAME and INFO (role, layer 3; middle band of the
 * daemon: requests from daemon_api.c, shim answers from daemon_watch.c). PAUSE/UNPAUSE go
 * to the shim (the runtime's freezer). UPDATE checks the new limits on a copy of the record
 * (the same checks and messages as `run`), asks a live shim to apply them and records only
 * what the shim echoes back as applied, in record.json and config.json. RENAME checks the
 * name's form and uniqueness; INFO counts containers by state and describes the daemon.
 * Calls only daemon_shimlink and the bottom band; never a dispatcher. Never blocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "daemon/daemon_devices.h"
#include "daemon/daemon_images.h"
#include "daemon/daemon_ops.h"
#include "daemon/daemon_files.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_reply.h"
#include "daemon/daemon_shimlink.h"
#include "base/json_w.h"
#include "base/log.h"
#include "ipc/reqbody.h"
#include "ipc/request.h"
#include "store/restart.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "base/str.h"

#define REF_MAX	      256	    /* bytes of a REF field */
#define INFO_JSON_MAX (64u * 1024u) /* the INFO reply document (bytes) */

_Static_assert(REF_MAX == REQUEST_REF_MAX + 1, "REF cap differs from request.c's");
_Static_assert(REQBODY_UPDATE_JSON_MAX == REQUEST_UPDATE_JSON_MAX, "differs from request.c's");

static struct daemon_ctr *resolve(struct daemon *d, struct rpc_conn *conn,
				  const struct wire_frame *f)
{
	char ref[REF_MAX];
	struct kerr err;
	uint32_t code = DAEMON_FAIL_CODE;

	if (wire_get_str(f, WIRE_F_REF, true, ref, sizeof(ref), &err) < 0) {
		rpc_conn_send_error(conn, f->reqid, DAEMON_FAIL_CODE, err.msg);
		return NULL;
	}
	struct daemon_ctr *c = daemon_resolve(d, ref, &code, &err);
	if (!c) {
		rpc_conn_send_error(conn, f->reqid, code, err.msg);
	} else if (c->broken) {
		kerr_set(&err, 0, "container `%.12s` is broken (%s): remove it with rm -f",
			 c->rec.id, c->st.error);
		rpc_conn_send_error(conn, f->reqid, DAEMON_FAIL_CODE, err.msg);
		return NULL;
	}
	return c;
}

static void fail(struct rpc_conn *conn, uint32_t reqid, const struct kerr *err)
{
	log_debug("request %u failed: %s", reqid, err->msg);
	rpc_conn_send_error(conn, reqid, DAEMON_FAIL_CODE, err->msg);
}

/* ---- PAUSE, UNPAUSE ---- */

static void api_pause(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f,
		      bool pause)
{
	struct daemon_ctr *c = resolve(d, conn, f);
	struct kerr err;
	uint32_t reqid;

	if (!c)
		return;
	if (pause && c->st.kind == STATUS_PAUSED && daemon_ctr_running(c)) {
		kerr_set(&err, 0, "container `%.12s` is already paused", c->rec.id);
		fail(conn, f->reqid, &err);
		return;
	}
	if (!daemon_ctr_running(c) || c->removing || c->auto_removing ||
	    (pause && c->st.kind != STATUS_RUNNING)) {
		kerr_set(&err, 0, "container `%.12s` is not running", c->rec.id);
		fail(conn, f->reqid, &err);
		return;
	}
	if (!pause && c->st.kind != STATUS_PAUSED) {
		kerr_set(&err, 0, "container `%.12s` is not paused", c->rec.id);
		fail(conn, f->reqid, &err);
		return;
	}
	struct daemon_shimlink_req req = { .type = pause ? WIRE_T_SHIM_PAUSE : WIRE_T_SHIM_RESUME };
	if (daemon_shimlink_send(d, c, &req, &reqid, &err) < 0 ||
	    !daemon_pend_add(c, DAEMON_PEND_PAUSE, reqid, rpc_conn_id(conn), f->reqid, &err))
		fail(conn, f->reqid, &err);
}

/* ---- UPDATE ---- */

static void apply(struct record *r, const struct reqbody_update *u)
{
	if (u->has_memory)
		r->memory_bytes = u->memory_bytes;
	if (u->has_cpus)
		r->cpus_milli = u->cpus_milli;
	if (u->has_pids)
		r->pids_limit = u->pids_limit;
	if (u->has_restart)
		r->restart = u->restart;
}

/* The record with u applied must pass the same checks as `run` (a copy is checked). */
static int check_applied(const struct record *r, const struct reqbody_update *u, struct kerr *err)
{
	struct record copy;
	struct buf b;
	int rc;

	buf_init(&b, RECORD_JSON_MAX);
	record_init(&copy);
	rc = record_json_encode(r, &b, err);
	if (rc == 0)
		rc = record_json_decode(&copy, (const char *)b.data, b.len, false, err);
	if (rc == 0) {
		apply(&copy, u);
		rc = record_validate(&copy, false, err);
	}
	record_done(&copy);
	buf_done(&b);
	return rc;
}

/* Applies u to c's record and rewrites record.json and config.json. */
static int record_update(struct daemon *d, struct daemon_ctr *c, const struct reqbody_update *u,
			 struct kerr *err)
{
	apply(&c->rec, u);
	if (daemon_files_write(d, &c->rec, false, err) < 0)
		return kerr_wrap(err, "update `%.12s`: the change is live but not recorded",
				 c->rec.id);
	log_info("container %.12s updated", c->rec.id);
	return 0;
}

static void api_update(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = resolve(d, conn, f);
	struct reqbody_update u;
	const uint8_t *json;
	size_t len;
	struct kerr err;
	uint32_t reqid;
	struct buf b;

	if (!c)
		return;
	if (wire_get_bytes(f, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
	    reqbody_parse_update((const char *)json, len, &u, &err) < 0 ||
	    (u.has_cpus &&
	     record_check_cpus(u.cpus_milli, sysconf(_SC_NPROCESSORS_ONLN), &err) < 0) ||
	    check_applied(&c->rec, &u, &err) < 0) {
		fail(conn, f->reqid, &err);
		return;
	}
	if (c->removing || c->auto_removing || daemon_ctr_spawning(c)) {
		kerr_set(&err, 0, "container `%.12s` is being %s: try again once it is", c->rec.id,
			 daemon_ctr_spawning(c) ? "created" : "removed");
		fail(conn, f->reqid, &err);
		return;
	}
	/* Nothing runs (a shim winding down after an exit is no exception): the record and
	 * config.json are all there is to change. */
	if (!daemon_ctr_running(c)) {
		if (record_update(d, c, &u, &err) < 0)
			fail(conn, f->reqid, &err);
		else
			rpc_conn_send_ok(conn, f->reqid);
		return;
	}
	buf_init(&b, REQBODY_UPDATE_JSON_MAX);
	struct daemon_shimlink_req req = { .type = WIRE_T_SHIM_UPDATE };
	/* NUL-terminated for daemon_shimlink_req.json */
	if (reqbody_encode_shim_update(&u, &b, &err) == 0 && buf_append(&b, "", 1, &err) == 0) {
		req.json = (const char *)b.data;
		if (daemon_shimlink_send(d, c, &req, &reqid, &err) == 0 &&
		    daemon_pend_add(c, DAEMON_PEND_UPDATE, reqid, rpc_conn_id(conn), f->reqid,
				    &err)) {
			buf_done(&b);
			return;
		}
	}
	buf_done(&b);
	fail(conn, f->reqid, &err);
}

bool daemon_ops_shim_reply(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
			   const struct wire_frame *f)
{
	char msg[KERR_MSG_MAX] = "";
	uint32_t code = DAEMON_FAIL_CODE;
	struct reqbody_update u;
	const uint8_t *json;
	size_t len;
	struct kerr err;

	if (f->type != WIRE_T_OK) {
		if (wire_get_u32(f, WIRE_F_CODE, false, &code, &err) < 0 || code == 0 || code > 255)
			code = DAEMON_FAIL_CODE;
		if (wire_get_str(f, WIRE_F_MSG, false, msg, sizeof(msg), &err) < 0 || !msg[0])
			snprintf(msg, sizeof(msg), "the shim of `%.12s` failed without a message",
				 c->rec.id);
		daemon_reply_error(p->client, p->client_reqid, code, msg);
		daemon_pend_drop(c, p);
		return true;
	}
	if (p->kind == DAEMON_PEND_PAUSE) {
		daemon_ctr_refresh(d, c);
		daemon_reply_ok(p->client, p->client_reqid);
	} else if (wire_get_bytes(f, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
		   reqbody_parse_update_echo(json, len, &u, &err) < 0 ||
		   record_update(d, c, &u, &err) < 0) {
		log_error("%s", err.msg);
		daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE, err.msg);
	} else {
		daemon_reply_ok(p->client, p->client_reqid);
	}
	daemon_pend_drop(c, p);
	return true;
}

/* ---- RENAME ---- */

static void api_rename(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = resolve(d, conn, f);
	char name[IDS_NAME_MAX + 1], old[IDS_NAME_MAX + 1];
	struct kerr err;

	if (!c)
		return;
	if (wire_get_str(f, WIRE_F_NAME, true, name, sizeof(name), &err) < 0 ||
	    ids_check_name(name, &err) < 0) {
		fail(conn, f->reqid, &err);
		return;
	}
	if (strcmp(name, c->rec.name) == 0) {
		kerr_set(&err, 0, "container `%.12s` is already named `%s`", c->rec.id, name);
		fail(conn, f->reqid, &err);
		return;
	}
	struct daemon_ctr *other = daemon_find_name(d, name);
	if (other) {
		kerr_set(&err, 0, "name `%s` is already in use by container %.12s", name,
			 other->rec.id);
		fail(conn, f->reqid, &err);
		return;
	}
	if (c->removing || c->auto_removing) {
		kerr_set(&err, 0, "container `%.12s` is being removed", c->rec.id);
		fail(conn, f->reqid, &err);
		return;
	}
	str_copy(old, sizeof(old), c->rec.name);
	str_copy(c->rec.name, sizeof(c->rec.name), name);
	if (daemon_files_write(d, &c->rec, false, &err) < 0) {
		str_copy(c->rec.name, sizeof(c->rec.name), old);
		kerr_wrap(&err, "rename `%.12s`", c->rec.id);
		fail(conn, f->reqid, &err);
		return;
	}
	log_info("container %.12s renamed from `%s` to `%s`", c->rec.id, old, name);
	rpc_conn_send_ok(conn, f->reqid);
}

/* ---- INFO ---- */

/* INFO's image store: how many images, their bytes on disk, the storage driver. */
static void put_images(struct daemon *d, struct json_w *w)
{
	size_t n;
	uint64_t bytes;

	daemon_images_usage(d, &n, &bytes);
	json_w_key(w, "images");
	json_w_u64(w, n);
	json_w_key(w, "images_bytes");
	json_w_u64(w, bytes);
	json_w_key(w, "storage_driver");
	json_w_str(w, d->images ? d->images->storage : "");
}

static void api_info(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	size_t n[STATUS_DEAD + 1] = { 0 };
	struct cgroup_mounts *m = malloc(sizeof(*m));
	enum cgroup_version cg = CGROUP_NONE;
	struct runtime rt;
	struct json_w w;
	struct wire_enc e;
	struct kerr err;
	struct buf b;

	if (m && cgroup_host_mounts(m, &err) == 0)
		cg = cgroup_version_of(m);
	free(m);
	size_t shown = 0;
	for (size_t i = 0; i < d->nctrs; i++) {
		const struct daemon_ctr *c = d->ctrs[i];
		enum status_kind k = c->st.kind;

		if (daemon_ctr_hidden(c))
			continue; /* a --rm container being removed is gone already */
		shown++;

		/* A running kind under a dead shim is what ps shows: not running. */
		if ((k == STATUS_RUNNING || k == STATUS_PAUSED || k == STATUS_RESTARTING) &&
		    !daemon_ctr_running(c))
			k = STATUS_EXITED;
		if ((unsigned)k <= STATUS_DEAD)
			n[k]++;
	}
	bool have_rt = runtime_init(&rt, d->runtime, d->runc_root, "/dev/null", &err) == 0;
	buf_init(&b, INFO_JSON_MAX);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "version");
	json_w_str(&w, KETTLE_VERSION);
	json_w_key(&w, "pid");
	json_w_i64(&w, getpid());
	json_w_key(&w, "root");
	json_w_str(&w, d->root);
	json_w_key(&w, "runtime");
	json_w_str(&w, d->runtime);
	json_w_key(&w, "runtime_path");
	if (have_rt)
		json_w_str(&w, rt.path);
	else
		json_w_null(&w);
	json_w_key(&w, "cgroup_version");
	json_w_str(&w, cgroup_version_name(cg));
	put_images(d, &w);
	json_w_key(&w, "containers");
	json_w_u64(&w, shown);
	for (int k = 0; k <= STATUS_DEAD; k++) {
		json_w_key(&w, status_kind_name((enum status_kind)k));
		json_w_u64(&w, n[k]);
	}
	daemon_devices_info(d, &w);
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) < 0) {
		buf_done(&b);
		fail(conn, f->reqid, &err);
		return;
	}
	wire_enc_begin(&e, rpc_conn_txbuf(conn), WIRE_T_OK, f->reqid, 0);
	wire_enc_bytes(&e, WIRE_F_JSON, b.data, b.len);
	buf_done(&b);
	if (wire_enc_end(&e, &err) < 0) {
		fail(conn, f->reqid, &err);
		return;
	}
	rpc_conn_send(conn);
}

void daemon_ops_frame(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	switch (f->type) {
	case WIRE_T_PAUSE:
		api_pause(d, conn, f, true);
		break;
	case WIRE_T_UNPAUSE:
		api_pause(d, conn, f, false);
		break;
	case WIRE_T_UPDATE:
		api_update(d, conn, f);
		break;
	case WIRE_T_RENAME:
		api_rename(d, conn, f);
		break;
	case WIRE_T_INFO:
		api_info(d, conn, f);
		break;
	default:
		rpc_conn_send_error(conn, f->reqid, DAEMON_FAIL_CODE,
				    "daemon_ops got a request type it does not serve");
		break;
	}
}
