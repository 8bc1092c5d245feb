/*
 * spec_dev: the parts of config.json a record's devices add (mechanism M3, src/runtime).
 *
 * Everything comes from what the daemon resolved into the record at create time
 * (record_dev.h), never from the host or a CDI spec now, so config.json can be rewritten
 * from record.json alone at any time (update, rename, repair) with the same devices.
 * Device permissions are exact: a node asked for with `r` gets a deny rule for `wm` and an
 * allow rule for `r` after every default rule. runc applies the rules in order with the last
 * match winning (its cgroup v1 emulator and its v2 eBPF program alike). It then appends the
 * rules of its own default devices (specconv AllowedDevices: 1:3 null, 1:5 zero, 1:7 full,
 * 1:8 random, 1:9 urandom, 5:0 tty, 5:2 ptmx, 136:* pts, 10:200 tun, and mknod of any
 * device), which no spec can narrow: listing /dev/null to displace its rule would make
 * runc's own init fail, as it reopens /dev/null read-write inside every container. For
 * those numbers the node's mode (narrowed to the permissions by cdi_resolve) is what
 * stops a user other than root. Never logs.
 */
#include <string.h>

#include "runtime/spec_dev.h"

static void w_rule(struct json_w *w, bool allow, char type, int64_t major, int64_t minor,
		   const char *access)
{
	char t[2] = { type, 0 };

	json_w_obj_begin(w);
	json_w_key(w, "allow");
	json_w_bool(w, allow);
	json_w_key(w, "type");
	json_w_str(w, t);
	/* An absent major or minor is a wildcard (config-linux.md, "Device allowlist"). */
	if (major >= 0) {
		json_w_key(w, "major");
		json_w_i64(w, major);
	}
	if (minor >= 0) {
		json_w_key(w, "minor");
		json_w_i64(w, minor);
	}
	json_w_key(w, "access");
	json_w_str(w, access);
	json_w_obj_end(w);
}

static void w_node(struct json_w *w, const char *path, char type, int64_t major, int64_t minor,
		   int64_t mode, int64_t uid, int64_t gid)
{
	char t[2] = { type, 0 };

	json_w_obj_begin(w);
	json_w_key(w, "path");
	json_w_str(w, path);
	json_w_key(w, "type");
	json_w_str(w, t);
	if (type != 'p') {
		json_w_key(w, "major");
		json_w_i64(w, major);
		json_w_key(w, "minor");
		json_w_i64(w, minor);
	}
	json_w_key(w, "fileMode");
	json_w_i64(w, mode);
	json_w_key(w, "uid");
	json_w_i64(w, uid);
	json_w_key(w, "gid");
	json_w_i64(w, gid);
	json_w_obj_end(w);
}

void spec_dev_nodes(struct json_w *w, const struct record *r)
{
	const struct record_dev *d = &r->dev;
	bool any = false;

	for (size_t g = 0; g < d->ngroups; g++) {
		const struct record_dev_edits *e = &d->groups[g].edits;

		for (size_t i = 0; i < e->nnodes; i++) {
			const struct record_dev_node *nd = &e->nodes[i];

			if (!any) {
				json_w_key(w, "devices");
				json_w_arr_begin(w);
				any = true;
			}
			w_node(w, nd->path, nd->type, nd->major, nd->minor, nd->file_mode, nd->uid,
			       nd->gid);
		}
	}
	if (any)
		json_w_arr_end(w);
}

void spec_dev_rules(struct json_w *w, const struct record *r)
{
	const struct record_dev *d = &r->dev;
	struct record_dev_rule rule;
	struct kerr err;

	/* docker's --device-cgroup-rule: an allow rule as given (validated already). */
	for (size_t i = 0; i < d->ncgroup_rules; i++)
		if (record_dev_parse_rule(d->cgroup_rules[i], &rule, &err) == 0)
			w_rule(w, true, rule.type, rule.major, rule.minor, rule.access);
	for (size_t g = 0; g < d->ngroups; g++) {
		const struct record_dev_edits *e = &d->groups[g].edits;

		for (size_t i = 0; i < e->nnodes; i++) {
			const struct record_dev_node *nd = &e->nodes[i];
			char deny[4];
			size_t n = 0;

			/* A FIFO is no device to the cgroup controller. */
			if (nd->type != 'c' && nd->type != 'b')
				continue;
			for (const char *a = "rwm"; *a; a++)
				if (!strchr(nd->access, *a))
					deny[n++] = *a;
			deny[n] = '\0';
			if (n)
				w_rule(w, false, nd->type, nd->major, nd->minor, deny);
			if (nd->access[0])
				w_rule(w, true, nd->type, nd->major, nd->minor, nd->access);
		}
	}
}

static void w_strs(struct json_w *w, const char *key, char *const *v, size_t n)
{
	json_w_key(w, key);
	json_w_arr_begin(w);
	for (size_t i = 0; i < n; i++)
		json_w_str(w, v[i]);
	json_w_arr_end(w);
}

void spec_dev_hooks(struct json_w *w, const struct record *r)
{
	const struct record_dev *d = &r->dev;
	bool any = false;

	for (int s = 0; s < RECORD_DEV_STAGES; s++) {
		bool open = false;

		for (size_t g = 0; g < d->ngroups; g++) {
			const struct record_dev_edits *e = &d->groups[g].edits;

			for (size_t i = 0; i < e->nhooks; i++) {
				const struct record_dev_hook *h = &e->hooks[i];

				if ((int)h->stage != s)
					continue;
				if (!any) {
					json_w_key(w, "hooks");
					json_w_obj_begin(w);
					any = true;
				}
				if (!open) {
					json_w_key(w, record_dev_stage_name(h->stage));
					json_w_arr_begin(w);
					open = true;
				}
				json_w_obj_begin(w);
				json_w_key(w, "path");
				json_w_str(w, h->path);
				if (h->nargs)
					w_strs(w, "args", h->args, h->nargs);
				if (h->nenv)
					w_strs(w, "env", h->env, h->nenv);
				if (h->timeout > 0) {
					json_w_key(w, "timeout");
					json_w_i64(w, h->timeout);
				}
				json_w_obj_end(w);
			}
		}
		if (open)
			json_w_arr_end(w);
	}
	if (any)
		json_w_obj_end(w);
}

void spec_dev_gids(struct json_w *w, const struct record *r)
{
	const struct record_dev *d = &r->dev;
	bool any = false;

	for (size_t g = 0; g < d->ngroups; g++) {
		const struct record_dev_edits *e = &d->groups[g].edits;

		for (size_t i = 0; i < e->ngids; i++) {
			bool again = false;

			/* CDI: a gid of 0 is ignored; each group once. */
			for (size_t h = 0; h <= g && !again; h++) {
				const struct record_dev_edits *o = &d->groups[h].edits;
				size_t end = h == g ? i : o->ngids;

				for (size_t j = 0; j < end && !again; j++)
					again = o->gids[j] == e->gids[i];
			}
			if (e->gids[i] == 0 || again)
				continue;
			if (!any) {
				json_w_key(w, "additionalGids");
				json_w_arr_begin(w);
				any = true;
			}
			json_w_u64(w, e->gids[i]);
		}
	}
	if (any)
		json_w_arr_end(w);
}

size_t spec_dev_env(const struct record *r, const char **v, size_t n, size_t cap)
{
	const struct record_dev *d = &r->dev;

	for (size_t g = 0; g < d->ngroups; g++)
		for (size_t i = 0; i < d->groups[g].edits.nenv && n < cap; i++)
			v[n++] = d->groups[g].edits.env[i];
	return n;
}
