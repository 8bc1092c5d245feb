/*
 * cdi_resolve: a record's device requests turned into the edits they stand for (mechanism,
 * src/cdi). Run by the daemon at create time.
 *
 * The host's nodes are read with stat(2) following symlinks (/dev/dri/by-path/… are links),
 * so what the container gets is the node the path names at create time; the record keeps
 * the numbers, not the path, so a later change on the host does not move a container's
 * device. Spec edits are deep-copied out of the registry, which the caller frees. A device
 * asked for twice (by name and through "all", or twice by name) is added once; a spec's
 * shared edits are added once, before its first device, as CDI's reference implementation
 * does. Caps: RECORD_DEV_GROUPS_MAX groups, and record_dev_validate's totals. Never logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/str.h"
#include "cdi/cdi_resolve.h"

/* What one cdi_resolve call has added so far. */
struct ctx {
	struct record *r;		 /* borrowed: the record being filled */
	const struct cdi_registry *reg;	 /* borrowed */
	const struct cdi_file **specs;	 /* owned array: specs whose shared edits are in */
	size_t nspecs;			 /* entries of specs */
	const struct cdi_device **added; /* owned array: CDI devices already added */
	size_t nadded;			 /* entries of added */
	struct cdi_found *found;	 /* owned scratch for cdi_find */
	struct kerr *err;		 /* where failures go */
};

bool cdi_resolve_needs_specs(const struct record *r)
{
	for (size_t i = 0; i < r->dev.ndevices; i++)
		if (r->dev.devices[i][0] != '/')
			return true;
	return r->dev.ngpus > 0;
}

/* ---- copies ---- */

static int strv_copy(char ***dst, size_t *n, char *const *src, size_t count)
{
	*dst = calloc(count + 1, sizeof(**dst));
	if (!*dst)
		return -1;
	for (*n = 0; *n < count; ++*n)
		if (!((*dst)[*n] = strdup(src[*n])))
			return -1;
	return 0;
}

static char *opt_dup(const char *s, bool *ok)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*ok = false;
	return d;
}

/* A deep copy of src into dst (empty before); on failure dst holds what was copied. */
static int edits_copy(struct record_dev_edits *dst, const struct record_dev_edits *src,
		      struct kerr *err)
{
	bool ok = true;

	dst->unsupported = src->unsupported;
	if (strv_copy(&dst->env, &dst->nenv, src->env, src->nenv) < 0)
		goto out_nomem;
	dst->nodes = calloc(src->nnodes + 1, sizeof(*dst->nodes));
	dst->mounts = calloc(src->nmounts + 1, sizeof(*dst->mounts));
	dst->hooks = calloc(src->nhooks + 1, sizeof(*dst->hooks));
	dst->gids = calloc(src->ngids + 1, sizeof(*dst->gids));
	if (!dst->nodes || !dst->mounts || !dst->hooks || !dst->gids)
		goto out_nomem;
	for (; dst->nnodes < src->nnodes; dst->nnodes++) {
		struct record_dev_node *d = &dst->nodes[dst->nnodes];

		*d = src->nodes[dst->nnodes];
		d->path = opt_dup(d->path, &ok);
		d->host_path = opt_dup(d->host_path, &ok);
	}
	for (; dst->nmounts < src->nmounts; dst->nmounts++) {
		const struct record_dev_mount *s = &src->mounts[dst->nmounts];
		struct record_dev_mount *d = &dst->mounts[dst->nmounts];

		d->host_path = opt_dup(s->host_path, &ok);
		d->container_path = opt_dup(s->container_path, &ok);
		d->type = opt_dup(s->type, &ok);
		if (strv_copy(&d->options, &d->noptions, s->options, s->noptions) < 0)
			ok = false;
	}
	for (; dst->nhooks < src->nhooks; dst->nhooks++) {
		const struct record_dev_hook *s = &src->hooks[dst->nhooks];
		struct record_dev_hook *d = &dst->hooks[dst->nhooks];

		d->stage = s->stage;
		d->timeout = s->timeout;
		d->path = opt_dup(s->path, &ok);
		if (strv_copy(&d->args, &d->nargs, s->args, s->nargs) < 0 ||
		    strv_copy(&d->env, &d->nenv, s->env, s->nenv) < 0)
			ok = false;
	}
	if (src->ngids)
		memcpy(dst->gids, src->gids, src->ngids * sizeof(*dst->gids));
	dst->ngids = src->ngids;
	if (ok)
		return 0;
out_nomem:
	return kerr_set(err, ENOMEM, "copy device edits");
}

/* A new empty group at the end of r->dev.groups, its strings copied. */
static struct record_dev_group *new_group(struct ctx *x, const char *request, const char *device,
					  const char *spec)
{
	struct record_dev *d = &x->r->dev;
	struct record_dev_group *v;
	bool ok = true;

	if (d->ngroups == RECORD_DEV_GROUPS_MAX) {
		kerr_set(x->err, 0, "the devices resolve to more than %d groups of edits",
			 RECORD_DEV_GROUPS_MAX);
		return NULL;
	}
	v = realloc(d->groups, (d->ngroups + 1) * sizeof(*v));
	if (!v) {
		kerr_set(x->err, ENOMEM, "resolve devices");
		return NULL;
	}
	d->groups = v;
	v = &d->groups[d->ngroups++];
	*v = (struct record_dev_group){ 0 };
	v->request = opt_dup(request, &ok);
	v->device = opt_dup(device, &ok);
	v->spec = opt_dup(spec, &ok);
	if (!ok) {
		kerr_set(x->err, ENOMEM, "resolve devices");
		return NULL;
	}
	return v;
}

/* ---- host nodes ---- */

static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISFIFO(m))
		return "a FIFO";
	return "not a device";
}

/* The node's mode never grants what its permissions do not: without `r` no read bits,
 * without `w` no write bits. The cgroup rule stops root; this stops everyone else, also for
 * the device numbers whose cgroup rules runc always allows (spec_dev.c). */
static void narrow_mode(struct record_dev_node *nd)
{
	if (!strchr(nd->access, 'r'))
		nd->file_mode &= ~(int64_t)0444;
	if (!strchr(nd->access, 'w'))
		nd->file_mode &= ~(int64_t)0222;
}

int cdi_resolve_node(struct record_dev_node *nd, uint32_t uid, uint32_t gid, struct kerr *err)
{
	const char *host = nd->host_path ? nd->host_path : nd->path;
	/* CDI: a node with its type and major (a FIFO: its type) need not exist on the host. */
	bool minimal = nd->type && (nd->major > 0 || nd->type == 'p');
	struct stat st;

	if (stat(host, &st) < 0) {
		if (!minimal)
			return kerr_set(err, errno, "stat host device `%s`", host);
	} else {
		char t = S_ISCHR(st.st_mode)	? 'c'
			 : S_ISBLK(st.st_mode)	? 'b'
			 : S_ISFIFO(st.st_mode) ? 'p'
						: 0;

		if (nd->file_mode < 0)
			nd->file_mode = st.st_mode & 07777;
		if (!minimal && !t)
			return kerr_set(err, 0, "host path `%s` is %s, not a device node", host,
					file_kind(st.st_mode));
		if (!minimal && nd->type && nd->type != t)
			return kerr_set(err, 0,
					"the spec says type %c but the host device `%s` is of type "
					"%c",
					nd->type, host, t);
		if (!minimal) {
			nd->type = t;
			if (t != 'p' && nd->major <= 0) {
				nd->major = (int64_t)major(st.st_rdev);
				nd->minor = (int64_t)minor(st.st_rdev);
			}
		}
		if (!nd->host_path && !(nd->host_path = strdup(nd->path)))
			return kerr_set(err, ENOMEM, "device `%s`", nd->path);
	}
	if (nd->type == 'p')
		nd->major = nd->minor = 0;
	if (nd->major < 0)
		nd->major = 0;
	if (nd->minor < 0)
		nd->minor = 0;
	if (nd->file_mode < 0)
		nd->file_mode = 0666;
	if (nd->uid < 0)
		nd->uid = uid;
	if (nd->gid < 0)
		nd->gid = gid;
	narrow_mode(nd);
	return 0;
}

/* `--device HOST[:CONTAINER][:PERMISSIONS]`: the host's node, exactly as it is. */
static int host_device(struct ctx *x, const char *value)
{
	char q[4 * RECORD_SHOWN_MAX + 4], q2[4 * RECORD_SHOWN_MAX + 4];
	struct record_dev_host *h = malloc(sizeof(*h));
	struct record_dev_group *g = NULL;
	struct stat st;
	int rc = -1;

	if (!h)
		return kerr_set(x->err, ENOMEM, "--device `%s`", value);
	if (record_dev_parse_host(value, h, x->err) < 0)
		goto out_free;
	if (stat(h->host, &st) < 0) {
		kerr_set(x->err, errno, "--device `%s`: stat `%s`", record_shown(q, value),
			 record_shown(q2, h->host));
		goto out_free;
	}
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
		kerr_set(x->err, 0,
			 "--device `%s`: `%s` is %s, not a device node (expected a character or "
			 "block device)",
			 record_shown(q, value), record_shown(q2, h->host), file_kind(st.st_mode));
		goto out_free;
	}
	g = new_group(x, value, h->host, NULL);
	if (!g)
		goto out_free;
	g->edits.nodes = calloc(1, sizeof(*g->edits.nodes));
	if (!g->edits.nodes) {
		kerr_set(x->err, ENOMEM, "--device `%s`", value);
		goto out_free;
	}
	g->edits.nnodes = 1;
	g->edits.nodes[0] = (struct record_dev_node){
		.path = strdup(h->container),
		.host_path = strdup(h->host),
		.type = S_ISCHR(st.st_mode) ? 'c' : 'b',
		.major = (int64_t)major(st.st_rdev),
		.minor = (int64_t)minor(st.st_rdev),
		.file_mode = st.st_mode & 07777,
		.uid = st.st_uid,
		.gid = st.st_gid,
	};
	str_copy(g->edits.nodes[0].access, sizeof(g->edits.nodes[0].access), h->access);
	narrow_mode(&g->edits.nodes[0]);
	if (!g->edits.nodes[0].path || !g->edits.nodes[0].host_path) {
		kerr_set(x->err, ENOMEM, "--device `%s`", value);
		goto out_free;
	}
	rc = 0;
out_free:
	free(h);
	return rc;
}

/* ---- CDI devices ---- */

static bool seen(const void *const *v, size_t n, const void *p)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == p)
			return true;
	return false;
}

/* The edits of one group completed: nodes from the host, nothing kettle cannot apply. */
static int complete(struct ctx *x, struct record_dev_group *g)
{
	uint32_t uid = x->r->user_set ? x->r->uid : 0, gid = x->r->user_set ? x->r->gid : 0;

	if (g->edits.unsupported)
		return kerr_set(x->err, 0,
				"CDI device `%s`: spec file `%s`: its %s edits are not supported "
				"by kettle",
				g->device, g->spec, g->edits.unsupported);
	for (size_t i = 0; i < g->edits.nnodes; i++)
		if (cdi_resolve_node(&g->edits.nodes[i], uid, gid, x->err) < 0)
			return kerr_wrap(x->err, "CDI device `%s` (spec file `%s`)", g->device,
					 g->spec);
	return 0;
}

static bool edits_empty(const struct record_dev_edits *e)
{
	return !e->nenv && !e->nnodes && !e->nmounts && !e->nhooks && !e->ngids && !e->unsupported;
}

/* One CDI name (or "kind=all") asked for by request. */
static int cdi_device(struct ctx *x, const char *request, const char *qname)
{
	char name[RECORD_DEV_NAME_MAX * 2 + 2];
	struct record_dev_group *g;
	size_t n;

	if (cdi_find(x->reg, qname, x->found, RECORD_DEV_GROUPS_MAX, &n, x->err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct cdi_file *f = x->found[i].file;
		const struct cdi_device *dev = x->found[i].device;

		if (seen((const void *const *)x->added, x->nadded, dev))
			continue;
		if (x->nadded == RECORD_DEV_GROUPS_MAX || x->nspecs == RECORD_DEV_GROUPS_MAX)
			return kerr_set(x->err, 0, "more than %d CDI devices",
					RECORD_DEV_GROUPS_MAX);
		if (!seen((const void *const *)x->specs, x->nspecs, f)) {
			x->specs[x->nspecs++] = f;
			if (!edits_empty(&f->spec.edits)) {
				g = new_group(x, request, f->kind, f->path);
				if (!g || edits_copy(&g->edits, &f->spec.edits, x->err) < 0 ||
				    complete(x, g) < 0)
					return -1;
			}
		}
		x->added[x->nadded++] = dev;
		snprintf(name, sizeof(name), "%s=%s", f->kind, dev->name);
		g = new_group(x, request, name, f->path);
		if (!g || edits_copy(&g->edits, &dev->edits, x->err) < 0 || complete(x, g) < 0)
			return -1;
	}
	return 0;
}

/* docker's --gpus, as CDI devices of kind nvidia.com/gpu named by index (nvidia-ctk's
 * default naming: "0", "1", …, and "all"). */
static int gpus(struct ctx *x, const char *value)
{
	char request[RECORD_STR_MAX + 16], qname[RECORD_DEV_NAME_MAX + 1];
	struct record_dev_gpus *g = malloc(sizeof(*g));
	int rc = -1;

	if (!g)
		return kerr_set(x->err, ENOMEM, "--gpus");
	snprintf(request, sizeof(request), "--gpus %s", value);
	if (record_dev_parse_gpus(value, g, x->err) < 0)
		goto out_free;
	if (g->count < 0) {
		rc = cdi_device(x, request, CDI_GPU_KIND "=all");
		goto out_wrap;
	}
	rc = 0;
	for (int64_t i = 0; rc == 0 && i < g->count; i++) {
		snprintf(qname, sizeof(qname), CDI_GPU_KIND "=%lld", (long long)i);
		rc = cdi_device(x, request, qname);
	}
	for (size_t i = 0; rc == 0 && i < g->nids; i++) {
		snprintf(qname, sizeof(qname), CDI_GPU_KIND "=%s", g->ids[i]);
		rc = cdi_device(x, request, qname);
	}
out_wrap:
	if (rc < 0)
		kerr_wrap(x->err, "--gpus `%s`", value);
out_free:
	free(g);
	return rc;
}

int cdi_resolve(const struct cdi_registry *reg, struct record *r, struct kerr *err)
{
	struct record_dev *d = &r->dev;
	struct ctx x = { .r = r, .reg = reg, .err = err };
	int rc = 0;

	if (d->ngroups)
		return kerr_set(err, 0, "the devices are resolved already");
	x.specs = calloc(RECORD_DEV_GROUPS_MAX, sizeof(*x.specs));
	x.added = calloc(RECORD_DEV_GROUPS_MAX, sizeof(*x.added));
	x.found = calloc(RECORD_DEV_GROUPS_MAX, sizeof(*x.found));
	if (!x.specs || !x.added || !x.found)
		rc = kerr_set(err, ENOMEM, "resolve devices");
	for (size_t i = 0; rc == 0 && i < d->ndevices; i++) {
		const char *v = d->devices[i];

		rc = v[0] == '/' ? host_device(&x, v) : cdi_device(&x, v, v);
	}
	for (size_t i = 0; rc == 0 && i < d->ngpus; i++)
		rc = gpus(&x, d->gpus[i]);
	if (rc == 0)
		rc = record_dev_validate(r, err);
	/* record.json must stay readable: the daemon writes it, then reads it at every start. */
	if (rc == 0) {
		struct buf b;

		buf_init(&b, RECORD_JSON_MAX);
		if (record_json_encode(r, &b, err) < 0)
			rc = kerr_set(err, 0,
				      "the devices make the container record larger than %u bytes",
				      RECORD_JSON_MAX);
		buf_done(&b);
	}
	free(x.specs);
	free(x.added);
	free(x.found);
	if (rc < 0) {
		for (size_t i = 0; i < d->ngroups; i++)
			record_dev_group_done(&d->groups[i]);
		free(d->groups);
		d->groups = NULL;
		d->ngroups = 0;
	}
	return rc;
}
