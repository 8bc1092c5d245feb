/*
 * record_dev: the devices of a container record (mechanism M3): lifecycle, the syntaxes of
 * docker's --device, --device-cgroup-rule and --gpus and of CDI's device names, and the
 * checks record_validate runs on the requests and on what they resolved to.
 *
 * The syntaxes follow docker's CLI (opts/devices and opts/gpus) and CDI's name rules
 * (SPEC.md: vendor and class start with a letter, a device name with a letter or digit;
 * both end with one; '_', '-', '.' between, and ':' in a device name). Every parser names
 * what was wrong and what was allowed. Pure: nothing logs, prints or touches the
 * filesystem; only record_dev_done frees.
 */
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "store/record.h"
#include "store/record_dev.h"

#define SHOWN(q, s)	shown(q, s)
#define KIND_VENDOR_MAX 253 /* bytes of a CDI vendor (a DNS name) */
#define KIND_CLASS_MAX	63  /* bytes of a CDI class */
#define GPU_ID_MAX	63  /* bytes of one --gpus device=ID */

_Static_assert(RECORD_DEV_PATH_MAX == RECORD_STR_MAX, "a --device value is one record string");

static const char *const stage_names[RECORD_DEV_STAGES] = {
	[RECORD_DEV_PRESTART] = "prestart",
	[RECORD_DEV_CREATE_RUNTIME] = "createRuntime",
	[RECORD_DEV_CREATE_CONTAINER] = "createContainer",
	[RECORD_DEV_START_CONTAINER] = "startContainer",
	[RECORD_DEV_POSTSTART] = "poststart",
	[RECORD_DEV_POSTSTOP] = "poststop",
};

/* record_shown's rendering, here so that record.c (whose record_done frees the devices)
 * and this file never call each other: log-safe, at most RECORD_SHOWN_MAX bytes, "…" when
 * cut. */
static const char *shown(char out[4 * RECORD_SHOWN_MAX + 4], const char *s)
{
	size_t n = strlen(s);
	size_t w = str_sanitize(out, 4 * RECORD_SHOWN_MAX + 1, s,
				n > RECORD_SHOWN_MAX ? RECORD_SHOWN_MAX : n);

	if (n > RECORD_SHOWN_MAX)
		memcpy(out + w, "\xe2\x80\xa6", 4);
	return out;
}

/* ---- lifecycle ---- */

static void strv_free(char ***v, size_t *n)
{
	for (size_t i = 0; *v && i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

void record_dev_init(struct record_dev *d)
{
	*d = (struct record_dev){ 0 };
}

void record_dev_edits_done(struct record_dev_edits *e)
{
	strv_free(&e->env, &e->nenv);
	for (size_t i = 0; e->nodes && i < e->nnodes; i++) {
		free(e->nodes[i].path);
		free(e->nodes[i].host_path);
	}
	free(e->nodes);
	for (size_t i = 0; e->mounts && i < e->nmounts; i++) {
		free(e->mounts[i].host_path);
		free(e->mounts[i].container_path);
		free(e->mounts[i].type);
		strv_free(&e->mounts[i].options, &e->mounts[i].noptions);
	}
	free(e->mounts);
	for (size_t i = 0; e->hooks && i < e->nhooks; i++) {
		free(e->hooks[i].path);
		strv_free(&e->hooks[i].args, &e->hooks[i].nargs);
		strv_free(&e->hooks[i].env, &e->hooks[i].nenv);
	}
	free(e->hooks);
	free(e->gids);
	*e = (struct record_dev_edits){ 0 };
}

void record_dev_group_done(struct record_dev_group *g)
{
	free(g->request);
	free(g->device);
	free(g->spec);
	record_dev_edits_done(&g->edits);
	*g = (struct record_dev_group){ 0 };
}

void record_dev_done(struct record_dev *d)
{
	strv_free(&d->devices, &d->ndevices);
	strv_free(&d->cgroup_rules, &d->ncgroup_rules);
	strv_free(&d->gpus, &d->ngpus);
	for (size_t i = 0; d->groups && i < d->ngroups; i++)
		record_dev_group_done(&d->groups[i]);
	free(d->groups);
	record_dev_init(d);
}

bool record_dev_empty(const struct record_dev *d)
{
	return d->ndevices == 0 && d->ncgroup_rules == 0 && d->ngpus == 0 && d->ngroups == 0;
}

const char *record_dev_stage_name(enum record_dev_stage s)
{
	return (int)s >= 0 && (int)s < RECORD_DEV_STAGES ? stage_names[s] : "unknown";
}

bool record_dev_stage_parse(const char *name, enum record_dev_stage *s)
{
	for (int i = 0; i < RECORD_DEV_STAGES; i++)
		if (strcmp(name, stage_names[i]) == 0) {
			*s = (enum record_dev_stage)i;
			return true;
		}
	return false;
}

/* ---- CDI names ---- */

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_letter(c) || (c >= '0' && c <= '9');
}

/* One segment of n bytes: first a letter (or, for a device name, a letter or a digit),
 * last a letter or digit, and between them alphanumerics and the bytes of `mid`. */
static bool segment_ok(const char *s, size_t n, bool digit_first, const char *mid)
{
	if (n == 0 || !(is_letter(s[0]) || (digit_first && is_alnum(s[0]))))
		return false;
	if (!is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && !strchr(mid, s[i]))
			return false;
	return true;
}

int record_dev_check_kind(const char *s, size_t n, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4], kind[RECORD_DEV_NAME_MAX + 1];
	const char *slash = memchr(s, '/', n);

	str_copyn(kind, sizeof(kind), s, n);
	if (!slash)
		return kerr_set(err, 0, "CDI kind `%s` has no `/`, expected vendor.com/class",
				SHOWN(q, kind));
	size_t nv = (size_t)(slash - s), nc = n - nv - 1;
	if (nv > KIND_VENDOR_MAX || !segment_ok(s, nv, false, "_-."))
		return kerr_set(err, 0,
				"CDI kind `%s`: invalid vendor, expected a letter first, a letter "
				"or digit last, letters, digits, `_`, `-` or `.` between (at most "
				"%d bytes)",
				SHOWN(q, kind), KIND_VENDOR_MAX);
	if (nc > KIND_CLASS_MAX || !segment_ok(slash + 1, nc, false, "_-."))
		return kerr_set(err, 0,
				"CDI kind `%s`: invalid class, expected a letter first, a letter "
				"or digit last, letters, digits, `_`, `-` or `.` between (at most "
				"%d bytes)",
				SHOWN(q, kind), KIND_CLASS_MAX);
	return 0;
}

int record_dev_check_device_name(const char *s, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];
	size_t n = strlen(s);

	if (n > RECORD_DEV_NAME_MAX || !segment_ok(s, n, true, "_-.:"))
		return kerr_set(err, 0,
				"CDI device name `%s` is invalid, expected a letter or digit first "
				"and last, letters, digits, `_`, `-`, `.` or `:` between (at most "
				"%d bytes)",
				SHOWN(q, s), RECORD_DEV_NAME_MAX);
	return 0;
}

int record_dev_check_cdi_name(const char *s, size_t *kind_len, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];
	const char *eq = strchr(s, '=');

	if (strlen(s) > RECORD_DEV_NAME_MAX)
		return kerr_set(err, 0, "CDI device `%s` is longer than %d bytes", SHOWN(q, s),
				RECORD_DEV_NAME_MAX);
	if (!eq)
		return kerr_set(err, 0,
				"CDI device `%s` has no `=`, expected vendor.com/class=name",
				SHOWN(q, s));
	if (record_dev_check_kind(s, (size_t)(eq - s), err) < 0 ||
	    record_dev_check_device_name(eq + 1, err) < 0)
		return -1;
	if (kind_len)
		*kind_len = (size_t)(eq - s);
	return 0;
}

bool record_dev_is_cdi_name(const char *s)
{
	struct kerr err;

	return s[0] != '/' && record_dev_check_cdi_name(s, NULL, &err) == 0;
}

/* ---- docker's flag syntaxes ---- */

bool record_dev_parse_access(const char *s, char out[4])
{
	bool r = false, w = false, m = false;
	size_t n = 0;

	if (!s[0] || strlen(s) > 3)
		return false;
	for (; *s; s++) {
		bool *b = *s == 'r' ? &r : *s == 'w' ? &w : *s == 'm' ? &m : NULL;

		if (!b || *b)
			return false;
		*b = true;
	}
	if (r)
		out[n++] = 'r';
	if (w)
		out[n++] = 'w';
	if (m)
		out[n++] = 'm';
	out[n] = '\0';
	return true;
}

static bool absolute_clean(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *c = p; *c;) {
		size_t len = strcspn(c, "/");

		if (len == 2 && c[0] == '.' && c[1] == '.')
			return false;
		c += len;
		c += strspn(c, "/");
	}
	return true;
}

int record_dev_parse_host(const char *s, struct record_dev_host *out, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4], q2[4 * RECORD_SHOWN_MAX + 4];
	char copy[RECORD_STR_MAX + 1];
	char *part[4] = { 0 };
	size_t n = 0;

	if (!str_copy(copy, sizeof(copy), s))
		return kerr_set(err, 0, "--device of %zu bytes exceeds limit %u", strlen(s),
				RECORD_STR_MAX);
	for (char *p = copy; n < 4; n++) {
		part[n] = p;
		p = strchr(p, ':');
		if (!p) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n > 3)
		return kerr_set(err, 0,
				"invalid --device `%s`, expected HOST[:CONTAINER][:PERMISSIONS] "
				"or a CDI name vendor.com/class=name",
				SHOWN(q, s));
	str_copy(out->access, sizeof(out->access), "rwm");
	out->container[0] = '\0';
	/* docker: HOST:X is HOST:PERMISSIONS when X is a valid mode, else HOST:CONTAINER. */
	if (n == 3 || (n == 2 && record_dev_parse_access(part[1], out->access))) {
		if (n == 3 && !record_dev_parse_access(part[2], out->access))
			return kerr_set(err, 0,
					"invalid --device `%s`: permissions `%s` are not r, w "
					"and m, each at most once",
					SHOWN(q, s), SHOWN(q2, part[2]));
		if (n == 3)
			str_copy(out->container, sizeof(out->container), part[1]);
	} else if (n == 2) {
		str_copy(out->container, sizeof(out->container), part[1]);
	}
	str_copy(out->host, sizeof(out->host), part[0]);
	if (!out->container[0])
		str_copy(out->container, sizeof(out->container), part[0]);
	if (!absolute_clean(out->host))
		return kerr_set(err, 0,
				"invalid --device `%s`: host path `%s` is not absolute (or has a "
				"`..`), expected a device node like /dev/fuse",
				SHOWN(q, s), SHOWN(q2, out->host));
	if (!absolute_clean(out->container) || out->container[strspn(out->container, "/")] == 0)
		return kerr_set(err, 0,
				"invalid --device `%s`: container path `%s` is not an absolute "
				"path below / without `..`",
				SHOWN(q, s), SHOWN(q2, out->container));
	return 0;
}

/* A decimal device number or '*' (-1) ending at `end`. */
static bool rule_number(const char *s, const char *end, int64_t *out)
{
	int64_t v = 0;

	if (end - s == 1 && s[0] == '*') {
		*out = -1;
		return true;
	}
	if (s == end || end - s > 10)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v > RECORD_DEV_NUM_MAX)
		return false;
	*out = v;
	return true;
}

int record_dev_parse_rule(const char *s, struct record_dev_rule *out, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];
	const char *sp1 = strchr(s, ' ');
	const char *colon = sp1 ? strchr(sp1 + 1, ':') : NULL;
	const char *sp2 = colon ? strchr(colon + 1, ' ') : NULL;

	*out = (struct record_dev_rule){ .allow = true };
	if (!sp2 || sp1 - s != 1 || !strchr("abc", s[0]) || strchr(sp1 + 1, ' ') != sp2 ||
	    !rule_number(sp1 + 1, colon, &out->major) ||
	    !rule_number(colon + 1, sp2, &out->minor) ||
	    !record_dev_parse_access(sp2 + 1, out->access))
		return kerr_set(err, 0,
				"invalid --device-cgroup-rule `%s`, expected TYPE MAJOR:MINOR "
				"PERMISSIONS like `c 1:3 rwm` (TYPE a, b or c; a number or * for "
				"each of MAJOR and MINOR; r, w and m each at most once)",
				SHOWN(q, s));
	out->type = s[0];
	return 0;
}

/* One CSV field of s (docker reads --gpus with encoding/csv): *p advances past it and its
 * comma. A field in double quotes may hold commas; "" inside one is a quote. */
static int csv_field(const char **p, char *out, size_t cap, struct kerr *err)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '"') {
		for (s++;; s++) {
			if (*s == '\0')
				return kerr_set(err, 0, "unterminated quote");
			if (*s == '"' && s[1] == '"')
				s++;
			else if (*s == '"')
				break;
			if (n + 1 >= cap)
				return kerr_set(err, 0, "a field is longer than %zu bytes",
						cap - 1);
			out[n++] = *s;
		}
		s++;
		if (*s != ',' && *s != '\0')
			return kerr_set(err, 0, "text after a closing quote");
	} else {
		for (; *s && *s != ','; s++) {
			if (*s == '"')
				return kerr_set(err, 0, "a quote inside an unquoted field");
			if (n + 1 >= cap)
				return kerr_set(err, 0, "a field is longer than %zu bytes",
						cap - 1);
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	*p = *s == ',' ? s + 1 : s;
	return 0;
}

static int gpu_count(const char *v, int64_t *count, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];

	if (strcmp(v, "all") == 0) {
		*count = -1;
		return 0;
	}
	if (str_to_i64(v, 1, RECORD_DEV_GPU_MAX, count, err) < 0)
		return kerr_set(err, 0, "invalid count `%s`, expected all or 1..%d", SHOWN(q, v),
				RECORD_DEV_GPU_MAX);
	return 0;
}

static int gpu_ids(const char *v, struct record_dev_gpus *out, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];

	for (const char *p = v;;) {
		size_t n = strcspn(p, ",");

		if (out->nids == RECORD_DEV_GPU_MAX)
			return kerr_set(err, 0, "more than %d devices", RECORD_DEV_GPU_MAX);
		if (n == 0 || n > GPU_ID_MAX)
			return kerr_set(err, 0, "invalid device list `%s`, expected ID[,ID…]",
					SHOWN(q, v));
		str_copyn(out->ids[out->nids], sizeof(out->ids[0]), p, n);
		if (record_dev_check_device_name(out->ids[out->nids], err) < 0)
			return -1;
		out->nids++;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

static int gpus_field(const char *field, struct record_dev_gpus *out, unsigned *seen,
		      struct kerr *err)
{
	static const char *const keys[] = { "count", "device", "capabilities", "driver",
					    "options" };
	char q[4 * RECORD_SHOWN_MAX + 4];
	const char *eq = strchr(field, '=');
	size_t k;

	if (!eq) {
		if (*seen & 1u)
			return kerr_set(err, 0, "the count is given twice");
		*seen |= 1u;
		return gpu_count(field, &out->count, err);
	}
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (strlen(keys[k]) == (size_t)(eq - field) &&
		    memcmp(keys[k], field, (size_t)(eq - field)) == 0)
			break;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return kerr_set(err, 0,
				"unknown key in `%s`, expected count, device, capabilities or "
				"driver",
				SHOWN(q, field));
	if (*seen & (1u << k))
		return kerr_set(err, 0, "key `%s` is given twice", keys[k]);
	*seen |= 1u << k;
	switch (k) {
	case 0:
		return gpu_count(eq + 1, &out->count, err);
	case 1:
		return gpu_ids(eq + 1, out, err);
	case 2:
		/* docker's capability words select a driver; CDI needs none: kept for inspect. */
		if (!str_copy(out->capabilities, sizeof(out->capabilities), eq + 1))
			return kerr_set(err, 0, "capabilities longer than %zu bytes",
					sizeof(out->capabilities) - 1);
		return 0;
	case 3:
		out->driver = true;
		if (strcmp(eq + 1, "nvidia") == 0)
			return 0;
		return kerr_set(err, 0,
				"driver `%s` is not supported, expected nvidia (its GPUs are "
				"the CDI devices nvidia.com/gpu=…)",
				SHOWN(q, eq + 1));
	default:
		return kerr_set(err, 0, "driver options are not supported");
	}
}

int record_dev_parse_gpus(const char *s, struct record_dev_gpus *out, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];
	char field[RECORD_DEV_GPU_MAX * (GPU_ID_MAX + 1) + 16];
	unsigned seen = 0;

	*out = (struct record_dev_gpus){ 0 };
	if (!s[0]) {
		kerr_set(err, 0, "the value is empty");
		goto out_fail;
	}
	for (const char *p = s; *p;) {
		if (csv_field(&p, field, sizeof(field), err) < 0 ||
		    gpus_field(field, out, &seen, err) < 0)
			goto out_fail;
	}
	if ((seen & 1u) && out->nids) {
		kerr_set(err, 0,
			 "a count and a device list cannot be used together (a list of several "
			 "devices needs quotes: '\"device=0,1\"')");
		goto out_fail;
	}
	/* docker: neither a count nor devices means one GPU. */
	if (!(seen & 1u) && !out->nids)
		out->count = 1;
	return 0;
out_fail:
	return kerr_wrap(err, "invalid --gpus `%s`", SHOWN(q, s));
}

/* ---- validation ---- */

static int check_path(const char *what, const char *p, bool below_root, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];

	if (!p)
		return kerr_set(err, 0, "%s is missing", what);
	if (strlen(p) > RECORD_STR_MAX)
		return kerr_set(err, 0, "%s of %zu bytes exceeds limit %u", what, strlen(p),
				RECORD_STR_MAX);
	if (!absolute_clean(p))
		return kerr_set(err, 0, "%s `%s` is not an absolute path without `..`", what,
				SHOWN(q, p));
	if (below_root && p[strspn(p, "/")] == '\0')
		return kerr_set(err, 0, "%s `%s` is the container's root, expected a path below /",
				what, SHOWN(q, p));
	return 0;
}

static int check_env(const char *what, char *const *v, size_t n, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];

	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(v[i], '=');

		if (!eq || eq == v[i])
			return kerr_set(err, 0, "%s entry `%s` is not KEY=VALUE", what,
					SHOWN(q, v[i]));
	}
	return 0;
}

static int check_node(const char *dev, const struct record_dev_node *nd, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];
	char tmp[4];

	if (check_path("device node path", nd->path, true, err) < 0 ||
	    (nd->host_path && check_path("device node host path", nd->host_path, false, err) < 0))
		goto out_fail;
	if (!nd->type || !strchr("cbp", nd->type)) {
		kerr_set(err, 0, "device node `%s` has no type, expected c, b or p",
			 SHOWN(q, nd->path));
		goto out_fail;
	}
	if (nd->major < 0 || nd->major > RECORD_DEV_NUM_MAX || nd->minor < 0 ||
	    nd->minor > RECORD_DEV_NUM_MAX || nd->file_mode < 0 || nd->file_mode > 07777 ||
	    nd->uid < 0 || nd->uid >= RECORD_DEV_NUM_MAX || nd->gid < 0 ||
	    nd->gid >= RECORD_DEV_NUM_MAX) {
		kerr_set(err, 0,
			 "device node `%s` lacks its numbers, mode or owner, or one is out of "
			 "range",
			 SHOWN(q, nd->path));
		goto out_fail;
	}
	if (nd->access[0] &&
	    (!record_dev_parse_access(nd->access, tmp) || strcmp(tmp, nd->access) != 0)) {
		kerr_set(err, 0, "device node `%s`: permissions `%s` are not r, w, m in order",
			 SHOWN(q, nd->path), nd->access);
		goto out_fail;
	}
	return 0;
out_fail:
	return kerr_wrap(err, "device `%s`", SHOWN(q, dev));
}

static int check_edits(const struct record_dev_group *g, size_t totals[6], struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];
	const struct record_dev_edits *e = &g->edits;
	const char *dev = g->device;

	if (e->unsupported)
		return kerr_set(err, 0, "device `%s`: %s edits are not supported", SHOWN(q, dev),
				e->unsupported);
	if (check_env("device environment", e->env, e->nenv, err) < 0)
		return kerr_wrap(err, "device `%s`", SHOWN(q, dev));
	for (size_t i = 0; i < e->nnodes; i++)
		if (check_node(dev, &e->nodes[i], err) < 0)
			return -1;
	for (size_t i = 0; i < e->nmounts; i++) {
		const struct record_dev_mount *m = &e->mounts[i];

		bool bind = false;

		if (check_path("mount host path", m->host_path, false, err) < 0 ||
		    check_path("mount container path", m->container_path, true, err) < 0)
			return kerr_wrap(err, "device `%s`", SHOWN(q, dev));
		for (size_t o = 0; o < m->noptions; o++)
			bind = bind || strcmp(m->options[o], "bind") == 0 ||
			       strcmp(m->options[o], "rbind") == 0;
		/* Without a type it can only be a bind mount (CDI calls the type a dummy then). */
		if (!m->type && !bind)
			return kerr_set(err, 0,
					"device `%s`: mount `%s` has neither a type nor the bind "
					"or rbind option",
					SHOWN(q, dev), m->container_path);
	}
	for (size_t i = 0; i < e->nhooks; i++) {
		const struct record_dev_hook *h = &e->hooks[i];

		if ((int)h->stage < 0 || (int)h->stage >= RECORD_DEV_STAGES || h->timeout < 0 ||
		    h->timeout > RECORD_DEV_HOOK_TIMEOUT_MAX)
			kerr_set(err, 0, "hook %zu has an unknown stage or a timeout out of range",
				 i);
		else if (check_path("hook path", h->path, false, err) == 0 &&
			 check_env("hook environment", h->env, h->nenv, err) == 0)
			continue;
		return kerr_wrap(err, "device `%s`", SHOWN(q, dev));
	}
	static const struct {
		const char *what; /* for the message */
		size_t max;	  /* the cap on all groups together */
	} caps[6] = {
		{ "environment variables", RECORD_DEV_ENV_MAX },
		{ "device nodes", RECORD_DEV_NODES_MAX },
		{ "mounts", RECORD_DEV_MOUNTS_MAX },
		{ "hooks", RECORD_DEV_HOOKS_MAX },
		{ "additional groups", RECORD_DEV_GIDS_MAX },
		{ "mount options, hook arguments and hook variables", RECORD_DEV_STRS_MAX },
	};
	size_t strs = 0;

	for (size_t i = 0; i < e->nmounts; i++)
		strs += e->mounts[i].noptions;
	for (size_t i = 0; i < e->nhooks; i++)
		strs += e->hooks[i].nargs + e->hooks[i].nenv;
	const size_t add[6] = { e->nenv, e->nnodes, e->nmounts, e->nhooks, e->ngids, strs };
	for (int k = 0; k < 6; k++) {
		totals[k] += add[k];
		if (totals[k] > caps[k].max)
			return kerr_set(err, 0, "the devices add more than %zu %s", caps[k].max,
					caps[k].what);
	}
	return 0;
}

int record_dev_validate(const struct record *r, struct kerr *err)
{
	const struct record_dev *d = &r->dev;
	char q[4 * RECORD_SHOWN_MAX + 4];
	struct record_dev_host host;
	struct record_dev_rule rule;
	struct record_dev_gpus gpus;
	size_t totals[6] = { 0 };

	if (record_dev_empty(d))
		return 0;
	if (!r->rootfs)
		return kerr_set(err, 0,
				"--device, --device-cgroup-rule and --gpus need --rootfs (a "
				"--bundle's config.json is used as it is)");
	if (d->ndevices > RECORD_LIST_MAX || d->ncgroup_rules > RECORD_LIST_MAX ||
	    d->ngpus > RECORD_LIST_MAX || d->ngroups > RECORD_DEV_GROUPS_MAX)
		return kerr_set(err, 0, "too many devices, rules or groups: the limit is %d each",
				RECORD_LIST_MAX);
	for (size_t i = 0; i < d->ndevices; i++) {
		const char *s = d->devices[i];

		if (s[0] == '/') {
			if (record_dev_parse_host(s, &host, err) < 0)
				return -1;
		} else if (!strchr(s, '=')) {
			return kerr_set(err, 0,
					"invalid --device `%s`, expected HOST[:CONTAINER]"
					"[:PERMISSIONS] with an absolute HOST, or a CDI name "
					"vendor.com/class=name",
					SHOWN(q, s));
		} else if (record_dev_check_cdi_name(s, NULL, err) < 0) {
			return kerr_wrap(err, "invalid --device");
		}
	}
	for (size_t i = 0; i < d->ncgroup_rules; i++)
		if (record_dev_parse_rule(d->cgroup_rules[i], &rule, err) < 0)
			return -1;
	for (size_t i = 0; i < d->ngpus; i++)
		if (record_dev_parse_gpus(d->gpus[i], &gpus, err) < 0)
			return -1;
	for (size_t i = 0; i < d->ngroups; i++) {
		const struct record_dev_group *g = &d->groups[i];

		if (!g->request || !g->device || strlen(g->request) > RECORD_STR_MAX ||
		    strlen(g->device) > RECORD_STR_MAX)
			return kerr_set(err, 0, "resolved device %zu lacks its request or device",
					i);
		if (g->spec && check_path("CDI spec file", g->spec, false, err) < 0)
			return -1;
		if (check_edits(g, totals, err) < 0)
			return -1;
	}
	return 0;
}
