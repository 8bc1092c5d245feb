/*
 * daemon_list: the LIST request: the containers `kettle ps` shows, filtered here as
 * docker's daemon filters them (role, layer 3; middle band of the daemon, called by
 * daemon_api.c; calls daemon_inspect.c, the registry and replies, never a shim).
 *
 * The filters are applied where the containers are: the registry resolves `before` and
 * `since` by the same rules as every other reference (a name, an id, a unique prefix; an
 * unknown one fails the request as docker's does), health is the daemon's latest, and the
 * reply (capped at one frame) carries only the matches, so `ps -q -f status=exited` over
 * thousands of containers stays one small frame. The reply is a JSON array, newest first,
 * of the rows docs/PROTOCOL.md describes under LIST. Never blocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/json_w.h"
#include "daemon/daemon_images.h"
#include "daemon/daemon_inspect.h"
#include "daemon/daemon_list.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_reply.h"
#include "daemon/daemon_request.h"
#include "filter/filter.h"
#include "ipc/reqbody.h"
#include "ipc/request.h"

#define CMDLINE_MAX    4096			 /* bytes of the command shown by LIST */
#define JSON_REPLY_MAX (KETTLE_FRAME_MAX - 4096) /* the LIST document */

_Static_assert(FILTER_MAX == REQBODY_FILTERS_MAX && FILTER_VALUE_MAX == REQBODY_FILTER_VALUE_MAX,
	       "ps filters are sized like the EVENTS filters the FILTER field carries");

static int by_created_desc(const void *a, const void *b)
{
	const struct daemon_ctr *x = *(struct daemon_ctr *const *)a;
	const struct daemon_ctr *y = *(struct daemon_ctr *const *)b;

	if (x->rec.created_ns != y->rec.created_ns)
		return x->rec.created_ns < y->rec.created_ns ? 1 : -1;
	return strcmp(x->rec.id, y->rec.id);
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

/* Whether c passes fs; the mount lists are built for the filter's view only. */
static bool passes(const struct filter_set *fs, const struct daemon_ctr *c)
{
	if (fs->n == 0)
		return true;

	const struct record *r = &c->rec;
	const char *net = daemon_inspect_network(c);
	bool up = daemon_ctr_running(c) &&
		  (c->st.kind == STATUS_RUNNING || c->st.kind == STATUS_PAUSED);
	_cleanup_free_ const char **src = calloc(r->nmounts + 1, sizeof(*src));
	_cleanup_free_ const char **dst = calloc(r->nmounts + 1, sizeof(*dst));

	if (!src || !dst)
		return false;
	for (size_t i = 0; i < r->nmounts; i++) {
		src[i] = r->mounts[i].source;
		dst[i] = r->mounts[i].destination;
	}
	/* -p's container ports are published and exposed; --expose's ("80/tcp") exposed. */
	_cleanup_free_ struct filter_port *ports =
		calloc(r->net.nports + r->net.expose.n + 1, sizeof(*ports));

	if (!ports)
		return false;
	for (size_t i = 0; i < r->net.nports; i++) {
		ports[i].port = r->net.ports[i].ctr_port;
		snprintf(ports[i].proto, sizeof(ports[i].proto), "%s",
			 record_proto_name(r->net.ports[i].proto));
	}
	size_t nexposed = r->net.nports;
	for (size_t i = 0; i < r->net.expose.n; i++) {
		const char *e = r->net.expose.v[i], *slash = strchr(e, '/');
		unsigned long port = strtoul(e, NULL, 10);

		if (port == 0 || port > 65535)
			continue; /* record_validate checked them: not reached */
		ports[nexposed].port = (uint16_t)port;
		snprintf(ports[nexposed].proto, sizeof(ports[nexposed].proto), "%s",
			 slash ? slash + 1 : "tcp");
		nexposed++;
	}
	struct filter_ctr v = {
		.published = ports,
		.npublished = r->net.nports,
		.exposed = ports,
		.nexposed = nexposed,
		.id = r->id,
		.name = r->name,
		.labels = (const char *const *)r->labels.v,
		.nlabels = r->labels.n,
		.state = status_kind_name(c->st.kind),
		.running = up,
		.started = c->st.started_ns > 0,
		.exit_code = c->st.exit_code,
		.health = daemon_inspect_health(&c->st.health),
		.image = daemon_inspect_image(c),
		.created_ns = r->created_ns,
		.mount_src = src,
		.mount_dst = dst,
		.nmounts = r->nmounts,
		.networks = &net,
		.nnetworks = net ? 1 : 0,
	};
	return filter_match(fs, &v);
}

/* Resolves before= and since= to the containers' creation (an unknown one fails the
 * request with "no such container", as docker's does). */
static int resolve_bounds(struct daemon *d, struct rpc_conn *conn, uint32_t reqid,
			  struct filter_set *fs)
{
	static const enum filter_key keys[] = { FILTER_BEFORE, FILTER_SINCE };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *ref = filter_value(fs, keys[i]);
		struct kerr err;
		uint32_t code;

		if (!ref)
			continue;
		struct daemon_ctr *c = daemon_resolve(d, ref, &code, &err);
		if (!c) {
			kerr_wrap(&err, "filter `%s`", filter_key_name(keys[i]));
			daemon_reply_fail(conn, reqid, code, &err);
			return -1;
		}
		if (keys[i] == FILTER_BEFORE) {
			fs->before_ns = c->rec.created_ns;
			memcpy(fs->before_id, c->rec.id, sizeof(fs->before_id));
		} else {
			fs->since_ns = c->rec.created_ns;
			memcpy(fs->since_id, c->rec.id, sizeof(fs->since_id));
		}
	}
	return 0;
}

static void put_row(struct daemon *d, struct json_w *w, const struct daemon_ctr *c)
{
	const struct record *r = &c->rec;
	const char *net = daemon_inspect_network(c);
	char cmd[CMDLINE_MAX];

	record_command_line(r, cmd, sizeof(cmd));
	json_w_obj_begin(w);
	json_w_key(w, "id");
	json_w_str(w, r->id);
	json_w_key(w, "name");
	json_w_str(w, r->name);
	json_w_key(w, "command");
	json_w_str(w, cmd);
	put_time(w, "created", r->created_ns);
	json_w_key(w, "status");
	json_w_str(w, status_kind_name(c->st.kind));
	json_w_key(w, "exit_code");
	json_w_i64(w, c->st.exit_code);
	put_time(w, "started_at", c->st.started_ns);
	put_time(w, "finished_at", c->st.finished_ns);
	json_w_key(w, "pid");
	json_w_i64(w, daemon_ctr_running(c) ? c->st.pid : 0);
	json_w_key(w, "restart_count");
	json_w_u64(w, c->st.restart_count);
	json_w_key(w, "restart_streak");
	json_w_u64(w, c->st.restart_streak);
	put_time(w, "next_start", c->st.kind == STATUS_RESTARTING ? c->st.next_start_ns : 0);
	json_w_key(w, "health");
	if (c->st.health.kind == STATUS_HEALTH_NONE)
		json_w_null(w);
	else
		json_w_str(w, status_health_name(c->st.health.kind));
	/* What docker's ps placeholders need beyond the state (issue 16). */
	json_w_key(w, "image");
	if (r->image.ref) {
		/* The image's name while it has one, else its short id (docker's IMAGE). */
		char shown[512];

		daemon_images_shown(d, r, shown, sizeof(shown));
		json_w_str(w, shown[0] ? shown : r->image.ref);
	} else {
		json_w_str(w, daemon_inspect_image(c));
	}
	json_w_key(w, "labels");
	json_w_arr_begin(w);
	for (size_t i = 0; i < r->labels.n; i++)
		json_w_str(w, r->labels.v[i]);
	json_w_arr_end(w);
	json_w_key(w, "mounts");
	json_w_arr_begin(w);
	for (size_t i = 0; i < r->nmounts; i++)
		json_w_str(w, r->mounts[i].source);
	json_w_arr_end(w);
	json_w_key(w, "networks");
	json_w_arr_begin(w);
	if (net)
		json_w_str(w, net);
	json_w_arr_end(w);
	/* docker's PORTS cells: "0.0.0.0:8080->80/tcp" for each published port. */
	json_w_key(w, "ports");
	json_w_arr_begin(w);
	for (size_t i = 0; i < r->net.nports; i++) {
		const struct record_port *p = &r->net.ports[i];
		char cell[RECORD_IP_MAX + 32];

		snprintf(cell, sizeof(cell), "%s:%u->%u/%s", p->host_ip[0] ? p->host_ip : "0.0.0.0",
			 p->host_port, p->ctr_port, record_proto_name(p->proto));
		json_w_str(w, cell);
	}
	json_w_arr_end(w);
	json_w_key(w, "rootfs");
	if (r->rootfs)
		json_w_str(w, r->rootfs);
	else
		json_w_null(w);
	json_w_obj_end(w);
}

void daemon_list_request(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	char text[REQBODY_FILTER_TEXT_MAX] = "";
	struct filter_set fs;
	uint32_t all = 0;
	struct kerr err;
	struct json_w w;
	struct buf b;

	if (daemon_request_get_flag(f, WIRE_F_ALL, &all, &err) < 0 ||
	    wire_get_str(f, WIRE_F_FILTER, false, text, sizeof(text), &err) < 0 ||
	    filter_parse(text, &fs, &err) < 0) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (resolve_bounds(d, conn, f->reqid, &fs) < 0) {
		filter_set_done(&fs);
		return;
	}
	_cleanup_free_ struct daemon_ctr **v = calloc(d->nctrs ? d->nctrs : 1, sizeof(*v));
	if (!v) {
		filter_set_done(&fs);
		kerr_set(&err, ENOMEM, "list containers");
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < d->nctrs; i++) {
		struct daemon_ctr *c = d->ctrs[i];

		/* docker: a status filter lists stopped containers without -a. */
		if (!daemon_ctr_hidden(c) && (all || fs.all || daemon_ctr_running(c)) &&
		    passes(&fs, c))
			v[n++] = c;
	}
	filter_set_done(&fs);
	qsort(v, n, sizeof(*v), by_created_desc);
	buf_init(&b, JSON_REPLY_MAX);
	json_w_init(&w, &b);
	json_w_arr_begin(&w);
	for (size_t i = 0; i < n; i++)
		put_row(d, &w, v[i]);
	json_w_arr_end(&w);
	if (json_w_end(&w, &err) < 0) {
		kerr_wrap(&err, "list %zu containers", n);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	} else {
		daemon_reply_json(conn, f->reqid, NULL, &b);
	}
	buf_done(&b);
}
