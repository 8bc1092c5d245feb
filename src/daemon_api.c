/*
 * daemon_api: one handler per client request (role, layer 3).
 *
 * Each handler validates, acts and replies: CREATE START STOP KILL REMOVE WAIT LIST
 * INSPECT RESOLVE. Slow work goes to the container's shim with a fresh request id kept
 * in the container's pending list (shim reqid -> client conn id + client reqid); when the
 * shim answers, or dies, the completion functions below reply to the client if it is
 * still connected. Validation failures create nothing: a CREATE that fails a check leaves
 * no directory behind and the daemon unchanged. Never blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "fd.h"
#include "ids.h"
#include "json.h"
#include "log.h"
#include "request.h"
#include "runtime.h"
#include "selfexe.h"
#include "spec.h"
#include "store.h"
#include "str.h"

#define REF_MAX	       256  /* bytes of a REF field */
#define NAME_TRIES     16   /* fresh ids tried when a generated name is taken */
#define SIGNAL_MAX     64   /* highest signal number */
#define CMDLINE_MAX    4096 /* bytes of the command shown by LIST */
#define SHOWN_PATH     256  /* bytes of a user path quoted in a message */
#define JSON_REPLY_MAX (KETTLE_FRAME_MAX - 4096) /* a LIST/INSPECT document */

#define STOP_TIMEOUT_MAX_MS (24ull * 3600 * 1000) /* longest grace period a STOP may ask */

/* request.c checks every request against the same limits before a handler runs. */
_Static_assert(REF_MAX == REQUEST_REF_MAX + 1, "REF cap differs from request.c's");
_Static_assert(SIGNAL_MAX == REQUEST_SIGNAL_MAX, "signal cap differs from request.c's");
_Static_assert(STOP_TIMEOUT_MAX_MS == REQUEST_STOP_TIMEOUT_MAX_MS, "differs from request.c's");
_Static_assert(RECORD_JSON_MAX == REQUEST_CREATE_JSON_MAX, "differs from request.c's");

/* ---- small helpers ---- */

static void reply_error(struct rpc_conn *conn, uint32_t reqid, uint32_t code,
			const struct kerr *err)
{
	log_debug("request %u failed: %s", reqid, err->msg);
	rpc_conn_send_error(conn, reqid, code, err->msg);
}

/* A 0-or-1 field (FORCE, ALL, PREPARE): anything else is refused, never taken as true. */
static int get_flag(const struct wire_frame *f, uint16_t tag, uint32_t *out, struct kerr *err)
{
	if (wire_get_u32(f, tag, false, out, err) < 0)
		return -1;
	if (*out > 1)
		return kerr_set(err, 0, "field %s is %u; allowed: 0 or 1", wire_tag_name(tag),
				*out);
	return 0;
}

/* Reads REF and resolves it; replies the error itself and returns NULL on failure. */
static struct daemon_ctr *resolve_ref(struct daemon *d, struct rpc_conn *conn,
				      const struct wire_frame *f)
{
	char ref[REF_MAX];
	struct kerr err;
	uint32_t code = DAEMON_FAIL_CODE;

	if (wire_get_str(f, WIRE_F_REF, true, ref, sizeof(ref), &err) < 0) {
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return NULL;
	}
	struct daemon_ctr *c = daemon_resolve(d, ref, &code, &err);
	if (!c)
		reply_error(conn, f->reqid, code, &err);
	return c;
}

static bool being_removed(const struct daemon_ctr *c)
{
	return c->removing || c->auto_removing;
}

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
		reply_error(conn, reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	rpc_conn_send(conn);
}

/* ---- CREATE ---- */

static int check_rootfs(const char *rootfs, struct kerr *err)
{
	char shown[SHOWN_PATH];

	str_sanitize(shown, sizeof(shown), rootfs, strlen(rootfs));
	_cleanup_close_ int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(err, errno, "rootfs `%s`", shown);
	return 0;
}

/* Picks the id and, when the request has none, a generated name; checks uniqueness. */
static int choose_identity(struct daemon *d, struct record *rec, struct kerr *err)
{
	if (rec->name[0]) {
		struct daemon_ctr *other = daemon_find_name(d, rec->name);

		if (other)
			return kerr_set(err, 0, "name `%s` is already in use by container %.12s",
					rec->name, other->rec.id);
	}
	for (int i = 0; i < NAME_TRIES; i++) {
		char id[IDS_ID_LEN + 1];
		char name[IDS_NAME_MAX + 1];

		if (ids_new_id(id, err) < 0)
			return -1;
		if (daemon_find_id(d, id))
			continue;
		if (!rec->name[0]) {
			ids_name_from_id(id, name);
			if (daemon_find_name(d, name))
				continue;
			str_copy(rec->name, sizeof(rec->name), name);
		}
		str_copy(rec->id, sizeof(rec->id), id);
		return 0;
	}
	return kerr_set(err, 0,
			"could not find a free container name in %d tries: give one "
			"with --name",
			NAME_TRIES);
}

/* fresh: a new container's first write: config.json needs no fsync (below) and
 * record.json is synced by the caller (sync_record), once the shim is on its way. */
static int write_container(struct daemon *d, const struct record *rec, bool fresh, struct kerr *err)
{
	struct buf b;
	char cgroups[sizeof("/kettle/") + IDS_ID_LEN];
	_cleanup_close_ int dirfd = -1;
	int rc = 0;

	if (store_open_container(d->rootfd, rec->id, true, &dirfd, err) < 0)
		return -1;
	buf_init(&b, SPEC_CONFIG_MAX);
	if (rec->rootfs) {
		_cleanup_close_ int bfd = openat(dirfd, STORE_BUNDLE,
						 O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		snprintf(cgroups, sizeof(cgroups), "/kettle/%s", rec->id);
		if (bfd < 0)
			rc = kerr_set(err, errno, "open `" STORE_BUNDLE "`");
		/* --init: a private read-only copy, never the host's binary (spec.h). */
		if (rc == 0 && rec->init &&
		    faccessat(dirfd, SPEC_INIT_COPY, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		    (selfexe_check_static("/proc/self/exe", err) < 0 ||
		     selfexe_copy(dirfd, SPEC_INIT_COPY, err) < 0))
			rc = -1;
		if (rc == 0)
			rc = spec_generate(rec, cgroups, &b, err);
		/* A new container's is not fsynced: it is derived from record.json, which
		 * follows durably, and a crash that loses it leaves it missing or empty,
		 * which the daemon repairs from the record (daemon_adopt.c repair_config).
		 * A changed one (UPDATE, RENAME) is: a stale old one would look intact. */
		if (rc == 0)
			rc = store_write_atomic(bfd, SPEC_CONFIG, b.data, b.len, 0600, !fresh, err);
		buf_clear(&b);
	}
	if (rc == 0)
		rc = record_to_json(rec, &b, err);
	if (rc == 0)
		rc = store_write_atomic(dirfd, STORE_RECORD, b.data, b.len, 0600, !fresh, err);
	buf_done(&b);
	return rc;
}

/* A new container's record.json reaches the disk while its shim starts and runc runs: the
 * fsyncs overlap with them instead of delaying the spawn, and they are done before anyone
 * is told of the container (the reply waits for the shim's ready frame, a later turn). */
static int sync_record(struct daemon *d, const char *id, struct kerr *err)
{
	_cleanup_close_ int dirfd = -1;

	if (store_open_container(d->rootfd, id, false, &dirfd, err) < 0 ||
	    store_sync(dirfd, STORE_RECORD, err) < 0)
		return kerr_wrap(err, "create container `%.12s`", id);
	return 0;
}

int daemon_write_container(struct daemon *d, const struct record *rec, struct kerr *err)
{
	return write_container(d, rec, false, err);
}

static void api_create(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct record rec;
	struct runtime rt;
	const uint8_t *json;
	size_t len;
	uint32_t run = 0;
	struct kerr err;

	record_init(&rec);
	if (wire_get_bytes(f, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
	    wire_get_u32(f, WIRE_F_RUN, false, &run, &err) < 0)
		goto out_fail;
	if (run > 1) {
		kerr_set(&err, 0, "field RUN is %u; allowed: 0 or 1", run);
		goto out_fail;
	}
	if (record_from_json(&rec, (const char *)json, len, true, &err) < 0)
		goto out_fail;
	if (rec.rootfs && check_rootfs(rec.rootfs, &err) < 0)
		goto out_fail;
	if (rec.bundle && spec_check_bundle(rec.bundle, rec.args.n ? NULL : &rec.args, &err) < 0)
		goto out_fail;
	if (runtime_init(&rt, daemon_runtime_of(d, &rec), d->runc_root, "/dev/null", &err) < 0)
		goto out_fail;
	if (choose_identity(d, &rec, &err) < 0)
		goto out_fail;
	rec.created_ns = clock_wall_ns();
	/* The daemon's backoff defaults are written into the record: the shim needs no
	 * daemon to know them, and inspect shows what applies. */
	if (!rec.restart_delay_ms)
		rec.restart_delay_ms = d->restart_defaults.base_ms;
	if (!rec.restart_max_delay_ms)
		rec.restart_max_delay_ms = d->restart_defaults.max_ms;
	if (!rec.restart_reset_ms)
		rec.restart_reset_ms = d->restart_defaults.reset_ms;
	/* Log rotation defaults likewise, so the shim finds them in the record. */
	if (!rec.log_max_size)
		rec.log_max_size = d->log_max_size;
	if (!rec.log_max_files)
		rec.log_max_files = d->log_max_files;
	if (record_validate(&rec, false, &err) < 0)
		goto out_fail;
	if (write_container(d, &rec, true, &err) < 0) {
		struct kerr ignored;

		kerr_wrap(&err, "create container `%.12s`", rec.id);
		store_remove_container(d->rootfd, rec.id, &ignored);
		goto out_fail;
	}
	struct daemon_ctr *c = daemon_ctr_new(d, &rec);
	if (!c) {
		struct kerr ignored;

		kerr_set(&err, ENOMEM, "create container");
		store_remove_container(d->rootfd, rec.id, &ignored);
		goto out_fail;
	}
	if (daemon_ctr_add(d, c, &err) < 0) {
		struct kerr ignored;

		store_remove_container(d->rootfd, c->rec.id, &ignored);
		daemon_ctr_forget(d, c, "");
		goto out_fail;
	}
	log_info("creating container %.12s `%s`", c->rec.id, c->rec.name);
	daemon_events_publish(d, c, "create", c->rec.created_ns, NULL);
	/* `kettle run`: one `runc run` instead of create + start (docs/PROTOCOL.md). */
	c->spawn_run = run == 1 && !c->rec.tty;
	if (daemon_spawn_shim(d, c, &err) < 0 || sync_record(d, c->rec.id, &err) < 0 ||
	    !daemon_pend_add(c, DAEMON_PEND_CREATE, 0, rpc_conn_id(conn), f->reqid, &err)) {
		/* The spawn may have started: forgetting closes its pipe and its watch. */
		daemon_ctr_remove(d, c, &(struct kerr){ 0 });
		goto out_fail;
	}
	return;
out_fail:
	record_done(&rec);
	reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}

/* ---- START ---- */

/* Sends SHIM_START for p, sharing one already in flight. */
static int send_start(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
		      struct kerr *err)
{
	for (struct daemon_pend *q = c->pend; q; q = q->next) {
		if (q != p && q->kind == DAEMON_PEND_START && q->shim_reqid) {
			p->shim_reqid = q->shim_reqid;
			return 0;
		}
	}
	struct daemon_shim_req req = { .type = WIRE_T_SHIM_START };
	return daemon_shim_send(d, c, &req, &p->shim_reqid, err);
}

static void api_start(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = resolve_ref(d, conn, f);
	uint32_t prepare = 0;
	struct kerr err;

	if (!c)
		return;
	if (get_flag(f, WIRE_F_PREPARE, &prepare, &err) < 0) {
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (being_removed(c)) {
		kerr_set(&err, 0, "container `%.12s` is being removed", c->rec.id);
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (c->broken) {
		kerr_set(&err, 0, "container `%.12s` is broken (%s): remove it with rm -f",
			 c->rec.id, c->st.error);
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	/* PREPARE (start -a of a container that has no shim): set it up so the client can
	 * attach before anything runs, exactly as for a freshly created one. */
	if (daemon_ctr_running(c) ||
	    (prepare && daemon_ctr_shim_alive(c) && c->st.kind == STATUS_CREATED)) {
		rpc_conn_send_ok(conn, f->reqid);
		return;
	}
	struct daemon_pend *p = daemon_pend_add(c, prepare ? DAEMON_PEND_CREATE : DAEMON_PEND_START,
						0, rpc_conn_id(conn), f->reqid, &err);
	if (!p) {
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (daemon_ctr_spawning(c))
		return; /* daemon_api_spawned sends SHIM_START, or answers a PREPARE */
	int rc = 0;
	if (!prepare && daemon_ctr_shim_alive(c) && c->st.kind == STATUS_CREATED) {
		rc = send_start(d, c, p, &err);
	} else if (c->shim_pid > 0) {
		/* The last shim is winding down: daemon_api_shim_gone spawns the next one. */
	} else {
		log_info("container %.12s: starting a new shim", c->rec.id);
		rc = daemon_spawn_shim(d, c, &err);
	}
	if (rc < 0) {
		daemon_pend_drop(c, p);
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	}
}

/* ---- STOP, KILL ---- */

static void api_stop(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = resolve_ref(d, conn, f);
	uint64_t timeout = DAEMON_STOP_TIMEOUT_MS;
	struct kerr err;

	if (!c)
		return;
	if (wire_get_u64(f, WIRE_F_TIMEOUT_MS, false, &timeout, &err) < 0) {
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (timeout > STOP_TIMEOUT_MAX_MS) {
		kerr_set(&err, 0, "stop timeout %llu ms exceeds the limit of %llu ms",
			 (unsigned long long)timeout, STOP_TIMEOUT_MAX_MS);
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	/* A shim between an exit and its restart may look exited: it is told all the same,
	 * or it would restart the container after the OK. */
	bool supervised = daemon_ctr_shim_alive(c) && !daemon_ctr_spawning(c) &&
			  c->rec.restart.policy != RESTART_NO;
	if (!daemon_ctr_running(c) && !supervised) {
		rpc_conn_send_ok(conn, f->reqid); /* docker: stopping a stopped one is fine */
		return;
	}
	struct daemon_shim_req req = {
		.type = WIRE_T_SHIM_STOP,
		.signal = SIGTERM,
		.timeout_ms = timeout ? timeout : 1,
	};
	uint32_t reqid;
	daemon_events_publish(d, c, "stop", 0, NULL);
	if (daemon_shim_send(d, c, &req, &reqid, &err) < 0 ||
	    !daemon_pend_add(c, DAEMON_PEND_STOP, reqid, rpc_conn_id(conn), f->reqid, &err))
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}

static void api_kill(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = resolve_ref(d, conn, f);
	uint32_t sig = SIGKILL;
	struct kerr err;

	if (!c)
		return;
	if (wire_get_u32(f, WIRE_F_SIGNAL, false, &sig, &err) < 0) {
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (sig == 0 || sig > SIGNAL_MAX) {
		kerr_set(&err, 0, "signal %u is out of range, expected 1..%d", sig, SIGNAL_MAX);
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (!daemon_ctr_running(c)) {
		kerr_set(&err, 0, "container `%.12s` is not running", c->rec.id);
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	struct daemon_shim_req req = { .type = WIRE_T_SHIM_KILL, .signal = sig };
	uint32_t reqid;
	char attrs[32];
	snprintf(attrs, sizeof(attrs), "\"signal\":%u", sig);
	daemon_events_publish(d, c, "kill", 0, attrs);
	if (daemon_shim_send(d, c, &req, &reqid, &err) < 0 ||
	    !daemon_pend_add(c, DAEMON_PEND_KILL, reqid, rpc_conn_id(conn), f->reqid, &err))
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}

/* ---- REMOVE ---- */

/* Removes c now and answers the remove request and every waiter. */
static void remove_now(struct daemon *d, struct daemon_ctr *c, uint64_t client, uint32_t reqid)
{
	struct kerr err;
	int rc = daemon_ctr_remove(d, c, &err);

	if (!client)
		return;
	if (rc < 0)
		daemon_reply_error(client, reqid, DAEMON_FAIL_CODE, err.msg);
	else
		daemon_reply_ok(client, reqid);
}

static void api_remove(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = resolve_ref(d, conn, f);
	uint32_t force = 0;
	struct kerr err;

	if (!c)
		return;
	if (get_flag(f, WIRE_F_FORCE, &force, &err) < 0) {
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (daemon_ctr_running(c) && !force) {
		kerr_set(&err, 0,
			 "cannot remove running container `%.12s`: stop it first or use "
			 "--force",
			 c->rec.id);
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (daemon_ctr_spawning(c)) {
		kerr_set(&err, 0, "container `%.12s` is being created: try again once it is",
			 c->rec.id);
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (c->shim_pid == 0) {
		remove_now(d, c, rpc_conn_id(conn), f->reqid);
		return;
	}
	/* A shim deletes its container and exits; the directory goes after it. */
	struct daemon_pend *p =
		daemon_pend_add(c, DAEMON_PEND_REMOVE, 0, rpc_conn_id(conn), f->reqid, &err);
	if (!p) {
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (being_removed(c))
		return; /* joins the removal in progress */
	if (!daemon_ctr_shim_alive(c) || c->st.kind == STATUS_DEAD) {
		c->removing = true;
		return;
	}
	/* DELETE even right after an exit: the shim may be about to restart the container
	 * (its policy decides once the exit is recorded), and a DELETE ends that; a shim that
	 * is winding down answers it at once (or has closed its socket: see below). */
	struct daemon_shim_req req = { .type = WIRE_T_SHIM_DELETE, .force = force != 0 };
	if (daemon_shim_send(d, c, &req, &p->shim_reqid, &err) < 0) {
		if (c->st.kind == STATUS_EXITED) {
			/* Winding down after an exit or a failed create: it is about to exit. */
			p->shim_reqid = 0;
			c->removing = true;
			return;
		}
		daemon_pend_drop(c, p);
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	}
}

/* ---- WAIT ---- */

static bool has_exited(const struct daemon_ctr *c)
{
	return c->st.kind == STATUS_EXITED || c->st.kind == STATUS_DEAD;
}

static void api_wait(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = resolve_ref(d, conn, f);
	struct kerr err;

	(void)d;
	if (!c)
		return;
	/* With --rm the answer waits for the exit, when the container is hidden at once
	 * (daemon_api_exited), so a waiter never sees it linger. */
	if (has_exited(c) && !c->rec.auto_remove && !daemon_ctr_spawning(c)) {
		daemon_reply_exit(rpc_conn_id(conn), f->reqid, c->st.exit_code);
		return;
	}
	if (!daemon_pend_add(c, DAEMON_PEND_WAIT, 0, rpc_conn_id(conn), f->reqid, &err))
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}

/* Answers every WAIT on c with its exit code. */
static void answer_waiters(struct daemon_ctr *c)
{
	for (struct daemon_pend *p = c->pend, *next; p; p = next) {
		next = p->next;
		if (p->kind != DAEMON_PEND_WAIT)
			continue;
		daemon_reply_exit(p->client, p->client_reqid, c->st.exit_code);
		daemon_pend_drop(c, p);
	}
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

static void api_list(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	uint32_t all = 0;
	struct kerr err;
	struct json_w w;
	struct buf b;
	char cmd[CMDLINE_MAX];
	char stamp[CLOCK_RFC3339NANO_LEN + 1];

	if (get_flag(f, WIRE_F_ALL, &all, &err) < 0) {
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	_cleanup_free_ struct daemon_ctr **v = calloc(d->nctrs ? d->nctrs : 1, sizeof(*v));
	if (!v) {
		kerr_set(&err, ENOMEM, "list containers");
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
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
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
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
	if (buf_append_str(out, ",\"config\":", err) < 0 || record_to_json(&c->rec, out, err) < 0)
		return -1;
	while (out->len > 0 && out->data[out->len - 1] == '\n')
		out->len--;
	return buf_append_str(out, "}", err);
}

static void api_inspect(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = resolve_ref(d, conn, f);
	struct kerr err;
	struct buf b;

	if (!c)
		return;
	buf_init(&b, JSON_REPLY_MAX);
	if (inspect_json(d, c, &b, &err) < 0) {
		kerr_wrap(&err, "inspect `%.12s`", c->rec.id);
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	} else {
		reply_json(conn, f->reqid, c->rec.id, &b);
	}
	buf_done(&b);
}

static void api_resolve(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = resolve_ref(d, conn, f);
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
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
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
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	rpc_conn_send(conn);
}

void daemon_api_frame(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct kerr err;

	/* Every field against the request table first; the handlers read them after. */
	if ((request_servers(f->type) & REQUEST_BY_DAEMON) && request_check(f, &err) < 0) {
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	switch (f->type) {
	case WIRE_T_CREATE:
		api_create(d, conn, f);
		break;
	case WIRE_T_START:
		api_start(d, conn, f);
		break;
	case WIRE_T_STOP:
		api_stop(d, conn, f);
		break;
	case WIRE_T_KILL:
		api_kill(d, conn, f);
		break;
	case WIRE_T_REMOVE:
		api_remove(d, conn, f);
		break;
	case WIRE_T_WAIT:
		api_wait(d, conn, f);
		break;
	case WIRE_T_LIST:
		api_list(d, conn, f);
		break;
	case WIRE_T_INSPECT:
		api_inspect(d, conn, f);
		break;
	case WIRE_T_RESOLVE:
		api_resolve(d, conn, f);
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
		reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		break;
	}
}

/* ---- completions ---- */

void daemon_api_spawned(struct daemon *d, struct daemon_ctr *c, bool ok, uint32_t code,
			const char *msg)
{
	struct kerr err;

	if (!ok && c->rec.auto_remove) {
		/* --rm: gone before anyone hears of the failure, so nothing lingers. */
		struct daemon_pend *list = c->pend;
		char fail[KERR_MSG_MAX];

		str_copy(fail, sizeof(fail), msg);
		c->pend = NULL;
		c->npend = 0;
		if (daemon_ctr_remove(d, c, &err) < 0)
			log_error("%s", err.msg);
		while (list) {
			struct daemon_pend *p = list;

			list = p->next;
			if (p->client && p->kind == DAEMON_PEND_WAIT)
				daemon_reply_exit(p->client, p->client_reqid, (int)code);
			else if (p->client)
				daemon_reply_error(p->client, p->client_reqid, code, fail);
			free(p);
		}
		return;
	}
	for (struct daemon_pend *p = c->pend, *next; p; p = next) {
		next = p->next;
		if (p->shim_reqid)
			continue;
		if (p->kind == DAEMON_PEND_CREATE) {
			struct rpc_conn *conn = rpc_conn_find(p->client);

			if (conn && ok) {
				struct wire_enc e;

				wire_enc_begin(&e, rpc_conn_txbuf(conn), WIRE_T_OK, p->client_reqid,
					       0);
				wire_enc_str(&e, WIRE_F_ID, c->rec.id);
				wire_enc_str(&e, WIRE_F_NAME, c->rec.name);
				if (wire_enc_end(&e, &err) == 0)
					rpc_conn_send(conn);
			} else if (conn) {
				rpc_conn_send_error(conn, p->client_reqid, code, msg);
			}
			daemon_pend_drop(c, p);
		} else if (p->kind == DAEMON_PEND_START) {
			if (!ok) {
				daemon_reply_error(p->client, p->client_reqid, code, msg);
				daemon_pend_drop(c, p);
			} else if (send_start(d, c, p, &err) < 0) {
				daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE,
						   err.msg);
				daemon_pend_drop(c, p);
			}
		}
	}
}

bool daemon_api_shim_reply(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
			   const struct wire_frame *f)
{
	bool ok = f->type == WIRE_T_OK;
	uint32_t code = DAEMON_FAIL_CODE;
	char msg[KERR_MSG_MAX] = "";
	struct kerr err;

	if (!ok) {
		if (wire_get_u32(f, WIRE_F_CODE, false, &code, &err) < 0 || code == 0 || code > 255)
			code = DAEMON_FAIL_CODE;
		if (wire_get_str(f, WIRE_F_MSG, false, msg, sizeof(msg), &err) < 0 || !msg[0])
			snprintf(msg, sizeof(msg), "the shim of `%.12s` failed without a message",
				 c->rec.id);
	}
	switch (p->kind) {
	case DAEMON_PEND_START:
		if (ok) {
			daemon_ctr_refresh(d, c);
			if (c->st.kind == STATUS_CREATED)
				c->st.kind = STATUS_RUNNING;
		}
		break;
	case DAEMON_PEND_STOP:
	case DAEMON_PEND_KILL:
		if (ok)
			daemon_ctr_refresh(d, c);
		break;
	case DAEMON_PEND_REMOVE:
		if (ok) {
			/* The shim deleted its container and exits: remove once it is gone. */
			c->removing = true;
			p->shim_reqid = 0;
			return true;
		}
		break;
	case DAEMON_PEND_PAUSE:
	case DAEMON_PEND_UPDATE:
		return daemon_ops_shim_reply(d, c, p, f);
	default:
		break;
	}
	if (ok)
		daemon_reply_ok(p->client, p->client_reqid);
	else
		daemon_reply_error(p->client, p->client_reqid, code, msg);
	daemon_pend_drop(c, p);
	return true;
}

void daemon_api_exited(struct daemon *d, struct daemon_ctr *c)
{
	struct kerr err;

	if (!c->rec.auto_remove) {
		answer_waiters(c);
		return;
	}
	if (c->auto_removing)
		return;
	/*
	 * --rm: the exit code is on disk (the shim wrote exit.json durably before its exit
	 * event), so the container is finished for every client now: it is hidden (names,
	 * references, LIST) and its waiters, `kettle run --rm` among them, are answered at
	 * once. `runc delete`, the shim's exit and the directory's removal go on in the
	 * background (daemon_api_shim_gone); a daemon stopped before that finishes removes
	 * the leftover when it loads the root again.
	 */
	c->auto_removing = true;
	answer_waiters(c);
	/* The shim exits by itself after its exit; DELETE makes sure it does not linger. */
	struct daemon_shim_req req = { .type = WIRE_T_SHIM_DELETE, .force = true };
	uint32_t reqid;
	if (daemon_shim_send(d, c, &req, &reqid, &err) == 0)
		daemon_pend_add(c, DAEMON_PEND_INTERNAL, reqid, 0, 0, &err);
}

/* STARTs that waited for the previous shim to go: spawn the next one now. */
static void start_queued(struct daemon *d, struct daemon_ctr *c)
{
	struct kerr err;
	bool queued = false;

	for (struct daemon_pend *p = c->pend; p; p = p->next)
		queued |= (p->kind == DAEMON_PEND_START || p->kind == DAEMON_PEND_CREATE) &&
			  !p->shim_reqid;
	if (!queued || daemon_ctr_spawning(c))
		return;
	log_info("container %.12s: starting a new shim", c->rec.id);
	if (daemon_spawn_shim(d, c, &err) == 0)
		return;
	for (struct daemon_pend *p = c->pend, *next; p; p = next) {
		next = p->next;
		if ((p->kind != DAEMON_PEND_START && p->kind != DAEMON_PEND_CREATE) ||
		    p->shim_reqid)
			continue;
		daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE, err.msg);
		daemon_pend_drop(c, p);
	}
}

void daemon_api_shim_gone(struct daemon *d, struct daemon_ctr *c)
{
	bool remove = c->removing || c->auto_removing ||
		      (c->rec.auto_remove && c->st.kind == STATUS_EXITED);
	uint64_t remover = 0;
	uint32_t remover_reqid = 0;

	/* Requests the shim never answered. */
	for (struct daemon_pend *p = c->pend, *next; p; p = next) {
		next = p->next;
		if (p->kind == DAEMON_PEND_REMOVE) {
			remove = true;
			continue;
		}
		if (!p->shim_reqid)
			continue;
		if (p->kind == DAEMON_PEND_STOP)
			daemon_reply_ok(p->client, p->client_reqid);
		else if (p->client)
			daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE,
					   "the container's shim exited before answering");
		daemon_pend_drop(c, p);
	}
	if (!remove) {
		if (has_exited(c))
			answer_waiters(c);
		start_queued(d, c);
		return;
	}
	/* Answer the removers after the removal; waiters get the exit code from forget. */
	struct daemon_pend *removers = NULL;
	for (struct daemon_pend *p = c->pend, *next; p; p = next) {
		next = p->next;
		if (p->kind != DAEMON_PEND_REMOVE)
			continue;
		if (!remover) {
			remover = p->client;
			remover_reqid = p->client_reqid;
			daemon_pend_drop(c, p);
			continue;
		}
		/* Unlink by hand to keep it: later removers get the same answer. */
		struct daemon_pend **pp = &c->pend;
		while (*pp != p)
			pp = &(*pp)->next;
		*pp = p->next;
		c->npend--;
		p->next = removers;
		removers = p;
	}
	struct kerr err;
	int rc = daemon_ctr_remove(d, c, &err);
	if (rc < 0)
		log_error("%s", err.msg);
	if (remover) {
		if (rc < 0)
			daemon_reply_error(remover, remover_reqid, DAEMON_FAIL_CODE, err.msg);
		else
			daemon_reply_ok(remover, remover_reqid);
	}
	while (removers) {
		struct daemon_pend *p = removers;

		removers = p->next;
		if (rc < 0)
			daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE, err.msg);
		else
			daemon_reply_ok(p->client, p->client_reqid);
		free(p);
	}
}
