/*
 * record_dev_json: the devices of a container record as JSON, both ways, and the decoder of
 * CDI's containerEdits object that the CDI spec reader (src/cdi) shares (mechanism M3).
 *
 * One decoder serves two documents: a CDI spec, where most fields are optional and the
 * fields used raise the spec version they need, and record.json, whose resolved edits
 * carry every field (record_dev_validate then checks they are complete). Keys are CDI's
 * own (hostPath, containerPath, hookName…), so a resolved device reads like the spec it
 * came from. Strict throughout: unknown or repeated keys fail, lists and strings are capped
 * before they are copied, numbers are range-checked. The writer puts every key, so
 * decode(encode(x)) encodes to the same bytes. Never logs, never touches the filesystem.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_strict.h"
#include "base/str.h"
#include "store/record.h"
#include "store/record_dev.h"

/* Everything one decoder call needs. */
struct dec {
	const struct json_doc *d; /* borrowed: the parsed document */
	bool cdi;		  /* a CDI spec (else a record) */
	int *need;		  /* CDI version the fields need; NULL for a record */
	struct kerr *err;	  /* where failures go */
};

static void needs(const struct dec *x, enum record_dev_cdi_version v)
{
	if (x->need && *x->need < (int)v)
		*x->need = (int)v;
}

/* Value of key in object obj, or -1 (the object's keys were checked already). */
static int member(const struct dec *x, int obj, const char *key)
{
	return json_obj_get(x->d, obj, key);
}

/* An array token's entries, checked against cap; *out gets a zeroed array of that many. */
static int array_of(const struct dec *x, int i, const char *what, size_t elem, size_t cap,
		    void **out, size_t *n)
{
	size_t size;

	if (json_strict_want(x->d, i, JSON_ARRAY, what, x->err) < 0)
		return -1;
	size = (size_t)x->d->toks[i].size;
	if (size > cap)
		return kerr_set(x->err, 0, "`%s`: %zu entries exceed limit %zu", what, size, cap);
	*out = calloc(size + 1, elem);
	if (!*out)
		return kerr_set(x->err, ENOMEM, "`%s`", what);
	*n = 0;
	return 0;
}

static int env_list(const struct dec *x, int i, const char *what, char ***v, size_t *n)
{
	char p[JSON_STRICT_PATH_MAX];

	if (json_strict_strv(x->d, i, what, RECORD_LIST_MAX, RECORD_STR_MAX, v, n, x->err) < 0)
		return -1;
	for (size_t e = 0; e < *n; e++) {
		const char *eq = strchr((*v)[e], '=');

		if (!eq || eq == (*v)[e])
			return kerr_set(x->err, 0, "`%s`: expected KEY=VALUE",
					json_strict_index(p, what, (int)e));
	}
	return 0;
}

/* An optional integer member: absent (or, with null_ok, null) leaves *out alone. */
static int opt_int(const struct dec *x, int obj, const char *key, const char *where, int64_t lo,
		   int64_t hi, bool null_ok, int64_t *out)
{
	char p[JSON_STRICT_PATH_MAX];
	int v = member(x, obj, key);

	if (v < 0 || (null_ok && x->d->toks[v].type == JSON_NULL))
		return 0;
	return json_strict_int(x->d, v, json_strict_path(p, where, key), lo, hi, out, x->err);
}

static int node(const struct dec *x, int i, const char *where, struct record_dev_node *nd)
{
	static const char *const keys[] = { "path",	"hostPath",    "type", "major", "minor",
					    "fileMode", "permissions", "uid",  "gid",	NULL };
	char p[JSON_STRICT_PATH_MAX];
	char *s = NULL;
	int v;

	*nd = (struct record_dev_node){
		.major = -1, .minor = -1, .file_mode = -1, .uid = -1, .gid = -1
	};
	str_copy(nd->access, sizeof(nd->access), "rwm");
	if (json_strict_keys(x->d, i, keys, where, x->err) < 0)
		return -1;
	v = member(x, i, "path");
	if (v < 0)
		return kerr_set(x->err, 0, "`%s.path` is missing", where);
	if (json_strict_str(x->d, v, json_strict_path(p, where, "path"), RECORD_STR_MAX, &nd->path,
			    x->err) < 0)
		return -1;
	v = member(x, i, "hostPath");
	if (v >= 0) {
		needs(x, RECORD_DEV_CDI_050);
		if (json_strict_opt_str(x->d, v, json_strict_path(p, where, "hostPath"),
					RECORD_STR_MAX, &nd->host_path, x->err) < 0)
			return -1;
	}
	v = member(x, i, "type");
	if (v >= 0) {
		if (json_strict_str(x->d, v, json_strict_path(p, where, "type"), 8, &s, x->err) < 0)
			return -1;
		/* "u" is an unbuffered character device: to the kernel, 'c'. */
		if (strcmp(s, "c") == 0 || strcmp(s, "u") == 0) {
			nd->type = 'c';
		} else if (strcmp(s, "b") == 0 || strcmp(s, "p") == 0) {
			nd->type = s[0];
		} else if (s[0] || !x->cdi) {
			char q[4 * RECORD_SHOWN_MAX + 4];

			kerr_set(x->err, 0, "`%s`: unknown device type `%s`, expected b, c, u or p",
				 p, record_shown(q, s));
			free(s);
			return -1;
		}
		free(s);
	}
	if (opt_int(x, i, "major", where, 0, RECORD_DEV_NUM_MAX, false, &nd->major) < 0 ||
	    opt_int(x, i, "minor", where, 0, RECORD_DEV_NUM_MAX, false, &nd->minor) < 0 ||
	    opt_int(x, i, "uid", where, 0, RECORD_DEV_NUM_MAX - 1, false, &nd->uid) < 0 ||
	    opt_int(x, i, "gid", where, 0, RECORD_DEV_NUM_MAX - 1, false, &nd->gid) < 0)
		return -1;
	if (opt_int(x, i, "fileMode", where, 0, x->cdi ? RECORD_DEV_NUM_MAX : 07777, false,
		    &nd->file_mode) < 0)
		return -1;
	/* A CDI spec's fileMode is Go's os.FileMode: permission bits low, the rest high. */
	if (x->cdi && nd->file_mode >= 0)
		nd->file_mode &= 0777;
	v = member(x, i, "permissions");
	if (v >= 0) {
		if (json_strict_str(x->d, v, json_strict_path(p, where, "permissions"), 8, &s,
				    x->err) < 0)
			return -1;
		bool ok = true;
		if (strcmp(s, "none") == 0)
			nd->access[0] = '\0';
		else if (s[0])
			ok = record_dev_parse_access(s, nd->access);
		free(s);
		if (!ok)
			return kerr_set(x->err, 0,
					"`%s`: invalid permissions, expected r, w and m each at "
					"most once, or none",
					p);
	}
	return 0;
}

static int mount(const struct dec *x, int i, const char *where, struct record_dev_mount *m)
{
	static const char *const keys[] = { "hostPath", "containerPath", "type", "options", NULL };
	char p[JSON_STRICT_PATH_MAX];
	int v;

	if (json_strict_keys(x->d, i, keys, where, x->err) < 0)
		return -1;
	v = member(x, i, "hostPath");
	if (v < 0)
		return kerr_set(x->err, 0, "`%s.hostPath` is missing", where);
	if (json_strict_str(x->d, v, json_strict_path(p, where, "hostPath"), RECORD_STR_MAX,
			    &m->host_path, x->err) < 0)
		return -1;
	v = member(x, i, "containerPath");
	if (v < 0)
		return kerr_set(x->err, 0, "`%s.containerPath` is missing", where);
	if (json_strict_str(x->d, v, json_strict_path(p, where, "containerPath"), RECORD_STR_MAX,
			    &m->container_path, x->err) < 0)
		return -1;
	v = member(x, i, "type");
	if (v >= 0) {
		needs(x, RECORD_DEV_CDI_040);
		if (json_strict_opt_str(x->d, v, json_strict_path(p, where, "type"), 64, &m->type,
					x->err) < 0)
			return -1;
	}
	v = member(x, i, "options");
	if (v >= 0 &&
	    json_strict_strv(x->d, v, json_strict_path(p, where, "options"), RECORD_LIST_MAX,
			     RECORD_STR_MAX, &m->options, &m->noptions, x->err) < 0)
		return -1;
	return 0;
}

static int hook(const struct dec *x, int i, const char *where, struct record_dev_hook *h)
{
	static const char *const keys[] = { "hookName", "path", "args", "env", "timeout", NULL };
	char p[JSON_STRICT_PATH_MAX];
	char *name = NULL;
	bool known;
	int v;

	if (json_strict_keys(x->d, i, keys, where, x->err) < 0)
		return -1;
	v = member(x, i, "hookName");
	if (v < 0)
		return kerr_set(x->err, 0, "`%s.hookName` is missing", where);
	if (json_strict_str(x->d, v, json_strict_path(p, where, "hookName"), 32, &name, x->err) < 0)
		return -1;
	known = record_dev_stage_parse(name, &h->stage);
	free(name);
	if (!known)
		return kerr_set(x->err, 0,
				"`%s`: unknown hook, expected prestart, createRuntime, "
				"createContainer, startContainer, poststart or poststop",
				p);
	v = member(x, i, "path");
	if (v < 0)
		return kerr_set(x->err, 0, "`%s.path` is missing", where);
	if (json_strict_str(x->d, v, json_strict_path(p, where, "path"), RECORD_STR_MAX, &h->path,
			    x->err) < 0)
		return -1;
	v = member(x, i, "args");
	if (v >= 0 && json_strict_strv(x->d, v, json_strict_path(p, where, "args"), RECORD_LIST_MAX,
				       RECORD_STR_MAX, &h->args, &h->nargs, x->err) < 0)
		return -1;
	v = member(x, i, "env");
	if (v >= 0 && env_list(x, v, json_strict_path(p, where, "env"), &h->env, &h->nenv) < 0)
		return -1;
	return opt_int(x, i, "timeout", where, 1, RECORD_DEV_HOOK_TIMEOUT_MAX, !x->cdi,
		       &h->timeout);
}

/* CDI's netDevices and intelRdt: read strictly, then refused by name at resolution. */
static int unsupported(const struct dec *x, int k, int v, const char *where,
		       struct record_dev_edits *e)
{
	static const char *const net_keys[] = { "hostInterfaceName", "name", NULL };
	static const char *const rdt_keys[] = { "closID",   "l3CacheSchema",	"memBwSchema",
						"schemata", "enableMonitoring", NULL };
	char p[JSON_STRICT_PATH_MAX], q[JSON_STRICT_PATH_MAX];

	if (json_str_eq(x->d, k, "netDevices")) {
		needs(x, RECORD_DEV_CDI_110);
		json_strict_path(p, where, "netDevices");
		if (json_strict_want(x->d, v, JSON_ARRAY, p, x->err) < 0)
			return -1;
		int m = v + 1;
		for (int n = 0; n < x->d->toks[v].size; n++) {
			if (json_strict_keys(x->d, m, net_keys, json_strict_index(q, p, n),
					     x->err) < 0)
				return -1;
			m = json_skip(x->d, m);
		}
		if (x->d->toks[v].size)
			e->unsupported = "netDevices";
		return 0;
	}
	needs(x, RECORD_DEV_CDI_070);
	json_strict_path(p, where, "intelRdt");
	if (json_strict_keys(x->d, v, rdt_keys, p, x->err) < 0)
		return -1;
	if (json_obj_get(x->d, v, "schemata") >= 0 ||
	    json_obj_get(x->d, v, "enableMonitoring") >= 0)
		needs(x, RECORD_DEV_CDI_110);
	e->unsupported = "intelRdt";
	return 0;
}

static int gids(const struct dec *x, int v, const char *what, struct record_dev_edits *e)
{
	char p[JSON_STRICT_PATH_MAX];
	int k = v + 1;

	if (array_of(x, v, what, sizeof(*e->gids), RECORD_LIST_MAX, (void **)&e->gids, &e->ngids) <
	    0)
		return -1;
	for (int n = 0; n < x->d->toks[v].size; n++) {
		int64_t g;

		if (json_strict_int(x->d, k, json_strict_index(p, what, n), 0,
				    RECORD_DEV_NUM_MAX - 1, &g, x->err) < 0)
			return -1;
		e->gids[e->ngids++] = (uint32_t)g;
		k = json_skip(x->d, k);
	}
	return 0;
}

int record_dev_json_edits(struct record_dev_edits *e, const struct json_doc *doc, int i, bool cdi,
			  const char *where, int *need, struct kerr *err)
{
	static const char *const cdi_keys[] = {
		"env",	      "deviceNodes", "mounts", "hooks", "additionalGids",
		"netDevices", "intelRdt",    NULL
	};
	const struct dec x = { .d = doc, .cdi = cdi, .need = need, .err = err };
	char p[JSON_STRICT_PATH_MAX], q[JSON_STRICT_PATH_MAX];
	/* A record's edits are those of the CDI list up to additionalGids. */
	const char *const *keys = cdi_keys;
	const char *rec_keys[6];
	int k = i + 1;

	if (!cdi) {
		memcpy(rec_keys, cdi_keys, 5 * sizeof(*rec_keys));
		rec_keys[5] = NULL;
		keys = rec_keys;
	}
	if (json_strict_keys(doc, i, keys, where, err) < 0)
		return -1;
	for (int m = 0; m < doc->toks[i].size; m++, k = json_skip(doc, k + 1)) {
		int v = k + 1, e2 = v + 1;

		if (json_str_eq(doc, k, "env")) {
			if (env_list(&x, v, json_strict_path(p, where, "env"), &e->env, &e->nenv) <
			    0)
				return -1;
		} else if (json_str_eq(doc, k, "deviceNodes")) {
			json_strict_path(p, where, "deviceNodes");
			if (array_of(&x, v, p, sizeof(*e->nodes), RECORD_LIST_MAX,
				     (void **)&e->nodes, &e->nnodes) < 0)
				return -1;
			for (int n = 0; n < doc->toks[v].size; n++, e2 = json_skip(doc, e2)) {
				e->nnodes++;
				if (node(&x, e2, json_strict_index(q, p, n), &e->nodes[n]) < 0)
					return -1;
			}
		} else if (json_str_eq(doc, k, "mounts")) {
			json_strict_path(p, where, "mounts");
			if (array_of(&x, v, p, sizeof(*e->mounts), RECORD_LIST_MAX,
				     (void **)&e->mounts, &e->nmounts) < 0)
				return -1;
			for (int n = 0; n < doc->toks[v].size; n++, e2 = json_skip(doc, e2)) {
				e->nmounts++;
				if (mount(&x, e2, json_strict_index(q, p, n), &e->mounts[n]) < 0)
					return -1;
			}
		} else if (json_str_eq(doc, k, "hooks")) {
			json_strict_path(p, where, "hooks");
			if (array_of(&x, v, p, sizeof(*e->hooks), RECORD_LIST_MAX,
				     (void **)&e->hooks, &e->nhooks) < 0)
				return -1;
			for (int n = 0; n < doc->toks[v].size; n++, e2 = json_skip(doc, e2)) {
				e->nhooks++;
				if (hook(&x, e2, json_strict_index(q, p, n), &e->hooks[n]) < 0)
					return -1;
			}
		} else if (json_str_eq(doc, k, "additionalGids")) {
			needs(&x, RECORD_DEV_CDI_070);
			if (gids(&x, v, json_strict_path(p, where, "additionalGids"), e) < 0)
				return -1;
		} else if (unsupported(&x, k, v, where, e) < 0) {
			return -1;
		}
	}
	return 0;
}

/* ---- the record's "devices" member ---- */

static int group(const struct dec *x, int i, const char *where, struct record_dev_group *g)
{
	static const char *const keys[] = { "request", "device", "spec", "containerEdits", NULL };
	char p[JSON_STRICT_PATH_MAX];
	int v;

	if (json_strict_keys(x->d, i, keys, where, x->err) < 0)
		return -1;
	v = member(x, i, "request");
	if (v < 0 || json_strict_str(x->d, v, json_strict_path(p, where, "request"), RECORD_STR_MAX,
				     &g->request, x->err) < 0)
		return v < 0 ? kerr_set(x->err, 0, "`%s.request` is missing", where) : -1;
	v = member(x, i, "device");
	if (v < 0 || json_strict_str(x->d, v, json_strict_path(p, where, "device"), RECORD_STR_MAX,
				     &g->device, x->err) < 0)
		return v < 0 ? kerr_set(x->err, 0, "`%s.device` is missing", where) : -1;
	v = member(x, i, "spec");
	if (v >= 0 && json_strict_opt_str(x->d, v, json_strict_path(p, where, "spec"),
					  RECORD_STR_MAX, &g->spec, x->err) < 0)
		return -1;
	v = member(x, i, "containerEdits");
	if (v < 0)
		return kerr_set(x->err, 0, "`%s.containerEdits` is missing", where);
	return record_dev_json_edits(&g->edits, x->d, v, false,
				     json_strict_path(p, where, "containerEdits"), NULL, x->err);
}

int record_dev_json_decode(struct record_dev *d, const struct json_doc *doc, int i,
			   struct kerr *err)
{
	static const char *const keys[] = { "requested", "cgroup_rules", "gpus", "resolved", NULL };
	const struct dec x = { .d = doc, .err = err };
	char q[JSON_STRICT_PATH_MAX];
	int v;

	record_dev_done(d);
	if (json_strict_keys(doc, i, keys, "devices", err) < 0)
		return -1;
	v = member(&x, i, "requested");
	if (v >= 0 && json_strict_strv(doc, v, "devices.requested", RECORD_LIST_MAX, RECORD_STR_MAX,
				       &d->devices, &d->ndevices, err) < 0)
		return -1;
	v = member(&x, i, "cgroup_rules");
	if (v >= 0 &&
	    json_strict_strv(doc, v, "devices.cgroup_rules", RECORD_LIST_MAX, RECORD_STR_MAX,
			     &d->cgroup_rules, &d->ncgroup_rules, err) < 0)
		return -1;
	v = member(&x, i, "gpus");
	if (v >= 0 && json_strict_strv(doc, v, "devices.gpus", RECORD_LIST_MAX, RECORD_STR_MAX,
				       &d->gpus, &d->ngpus, err) < 0)
		return -1;
	v = member(&x, i, "resolved");
	if (v < 0)
		return 0;
	if (array_of(&x, v, "devices.resolved", sizeof(*d->groups), RECORD_DEV_GROUPS_MAX,
		     (void **)&d->groups, &d->ngroups) < 0)
		return -1;
	int e = v + 1;
	for (int n = 0; n < doc->toks[v].size; n++, e = json_skip(doc, e)) {
		d->ngroups++;
		if (group(&x, e, json_strict_index(q, "devices.resolved", n), &d->groups[n]) < 0)
			return -1;
	}
	return 0;
}

/* ---- JSON out ---- */

static void w_strv(struct json_w *w, const char *key, char *const *v, size_t n)
{
	json_w_key(w, key);
	json_w_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		json_w_str(w, v[i]);
	json_w_arr_end(w);
}

static void w_opt(struct json_w *w, const char *key, const char *s)
{
	json_w_key(w, key);
	if (s)
		json_w_str(w, s);
	else
		json_w_null(w);
}

static void w_int(struct json_w *w, const char *key, int64_t v)
{
	json_w_key(w, key);
	json_w_i64(w, v);
}

void record_dev_json_write_edits(struct json_w *w, const struct record_dev_edits *e)
{
	char type[2] = { 0 };

	json_w_obj_begin(w);
	w_strv(w, "env", e->env, e->nenv);
	json_w_key(w, "deviceNodes");
	json_w_arr_begin(w);
	for (size_t i = 0; i < e->nnodes; i++) {
		const struct record_dev_node *nd = &e->nodes[i];

		json_w_obj_begin(w);
		w_opt(w, "path", nd->path);
		w_opt(w, "hostPath", nd->host_path);
		type[0] = nd->type;
		w_opt(w, "type", type);
		w_int(w, "major", nd->major);
		w_int(w, "minor", nd->minor);
		w_int(w, "fileMode", nd->file_mode);
		w_opt(w, "permissions", nd->access[0] ? nd->access : "none");
		w_int(w, "uid", nd->uid);
		w_int(w, "gid", nd->gid);
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
	json_w_key(w, "mounts");
	json_w_arr_begin(w);
	for (size_t i = 0; i < e->nmounts; i++) {
		const struct record_dev_mount *m = &e->mounts[i];

		json_w_obj_begin(w);
		w_opt(w, "hostPath", m->host_path);
		w_opt(w, "containerPath", m->container_path);
		w_opt(w, "type", m->type);
		w_strv(w, "options", m->options, m->noptions);
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
	json_w_key(w, "hooks");
	json_w_arr_begin(w);
	for (size_t i = 0; i < e->nhooks; i++) {
		const struct record_dev_hook *h = &e->hooks[i];

		json_w_obj_begin(w);
		w_opt(w, "hookName", record_dev_stage_name(h->stage));
		w_opt(w, "path", h->path);
		w_strv(w, "args", h->args, h->nargs);
		w_strv(w, "env", h->env, h->nenv);
		json_w_key(w, "timeout");
		if (h->timeout > 0)
			json_w_i64(w, h->timeout);
		else
			json_w_null(w);
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
	json_w_key(w, "additionalGids");
	json_w_arr_begin(w);
	for (size_t i = 0; i < e->ngids; i++)
		json_w_u64(w, e->gids[i]);
	json_w_arr_end(w);
	json_w_obj_end(w);
}

void record_dev_json_encode(struct json_w *w, const struct record_dev *d)
{
	json_w_key(w, "devices");
	json_w_obj_begin(w);
	w_strv(w, "requested", d->devices, d->ndevices);
	w_strv(w, "cgroup_rules", d->cgroup_rules, d->ncgroup_rules);
	w_strv(w, "gpus", d->gpus, d->ngpus);
	json_w_key(w, "resolved");
	json_w_arr_begin(w);
	for (size_t i = 0; i < d->ngroups; i++) {
		const struct record_dev_group *g = &d->groups[i];

		json_w_obj_begin(w);
		w_opt(w, "request", g->request);
		w_opt(w, "device", g->device);
		w_opt(w, "spec", g->spec);
		json_w_key(w, "containerEdits");
		record_dev_json_write_edits(w, &g->edits);
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
	json_w_obj_end(w);
}
