/*
 * seccomp_filter: one container's filter from a profile (mechanism, rank 35).
 *
 * docker's per-container selection (its seccomp loader), in kettle: architectures from the
 * profile's list or its archMap entry for the native one; a rule is kept when every
 * capability its includes name is in the bounding set, none its excludes name is, the
 * native architecture passes its arch lists and the kernel its minKernel; each kept name
 * must be known to libseccomp on one of the filter's architectures, else it is dropped and
 * listed once. Invariants: the filter only borrows the profile's strings; a rule with no
 * name left, or with the default action, is not in it. Never logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "seccomp/seccomp_filter.h"
#include "seccomp/seccomp_lib.h"

uint32_t seccomp_filter_kernel_now(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	return (major & 0xffff) << 16 | (minor & 0xffff);
}

static bool listed(const struct seccomp_cond *c, const char *goname)
{
	for (size_t i = 0; i < c->narches; i++)
		if (strcmp(c->arches[i], goname) == 0)
			return true;
	return false;
}

/* docker's includes/excludes, in its order. kernel 0 (unknown) passes no minKernel. */
static bool selected(const struct seccomp_rule *r, uint64_t caps, enum seccomp_arch native,
		     uint32_t kernel)
{
	const char *go = seccomp_profile_arch_goname(native);

	if (r->excludes.narches && listed(&r->excludes, go))
		return false;
	if (r->excludes.caps & caps)
		return false;
	if (r->excludes.min_kernel && kernel >= r->excludes.min_kernel)
		return false;
	if (r->includes.narches && !listed(&r->includes, go))
		return false;
	if (r->includes.unknown_cap || (r->includes.caps & caps) != r->includes.caps)
		return false;
	if (r->includes.min_kernel && kernel < r->includes.min_kernel)
		return false;
	return true;
}

static bool same_action(const struct seccomp_rule *a, const struct seccomp_rule *b)
{
	return a->action == b->action && a->errno_set == b->errno_set &&
	       (!a->errno_set || a->errno_ret == b->errno_ret);
}

/* Repeats the default action: runc skips such a rule, libseccomp would refuse it. */
static bool is_default(const struct seccomp_profile *p, const struct seccomp_rule *r)
{
	uint32_t def = p->default_errno_set ? p->default_errno : EPERM;
	uint32_t mine = r->errno_set ? r->errno_ret : EPERM;

	return r->action == p->default_action &&
	       (r->action != SECCOMP_ACT_ERRNO && r->action != SECCOMP_ACT_TRACE ? true
										 : def == mine);
}

static bool known(const struct seccomp_filter *f, const char *name)
{
	for (int a = 0; a < SECCOMP_ARCH_COUNT; a++)
		if ((f->arches & (1u << a)) && seccomp_lib_resolves((enum seccomp_arch)a, name))
			return true;
	return false;
}

/* An earlier unconditional rule with the same action already has name. */
static bool already(const struct seccomp_filter *f, const struct seccomp_rule *r, const char *name)
{
	if (r->nargs)
		return false;
	for (size_t i = 0; i < f->nrules; i++) {
		const struct seccomp_frule *o = &f->rules[i];

		if (o->rule->nargs || !same_action(o->rule, r))
			continue;
		for (size_t k = 0; k < o->nnames; k++)
			if (strcmp(o->names[k], name) == 0)
				return true;
	}
	return false;
}

static void drop(struct seccomp_filter *f, const char *name)
{
	for (size_t i = 0; i < f->ndropped; i++)
		if (strcmp(f->dropped[i], name) == 0)
			return;
	f->dropped[f->ndropped++] = name;
}

static uint32_t arches_for(const struct seccomp_profile *p, enum seccomp_arch native)
{
	uint32_t m = 1u << native;

	if (p->arches)
		return m | p->arches;
	for (size_t i = 0; i < p->narchmap; i++)
		if (p->archmap[i].arch == native)
			m |= p->archmap[i].subs;
	return m;
}

int seccomp_filter_make(struct seccomp_filter *f, const struct seccomp_profile *p, uint64_t caps,
			enum seccomp_arch native, uint32_t kernel, struct kerr *err)
{
	size_t total = 0, used = 0;

	*f = (struct seccomp_filter){ .profile = p, .native = native };
	if ((unsigned)native >= SECCOMP_ARCH_COUNT)
		return kerr_set(err, 0, "seccomp: libseccomp knows no native architecture here");
	f->arches = arches_for(p, native);
	for (size_t i = 0; i < p->nrules; i++)
		total += p->rules[i].nnames;
	f->rules = calloc(p->nrules + 1, sizeof(*f->rules));
	f->names = calloc(total + 1, sizeof(*f->names));
	f->dropped = calloc(total + 1, sizeof(*f->dropped));
	if (!f->rules || !f->names || !f->dropped)
		return kerr_set(err, ENOMEM, "seccomp filter");
	for (size_t i = 0; i < p->nrules; i++) {
		const struct seccomp_rule *r = &p->rules[i];
		size_t first = used;

		if (!selected(r, caps, native, kernel) || is_default(p, r))
			continue;
		for (size_t k = 0; k < r->nnames; k++) {
			const char *name = r->names[k];

			if (!known(f, name))
				drop(f, name);
			else if (!already(f, r, name))
				f->names[used++] = name;
		}
		if (used == first)
			continue;
		f->rules[f->nrules++] = (struct seccomp_frule){
			.rule = r,
			.index = i,
			.names = f->names + first,
			.nnames = used - first,
		};
	}
	return 0;
}

void seccomp_filter_done(struct seccomp_filter *f)
{
	free(f->rules);
	free(f->names);
	free(f->dropped);
	*f = (struct seccomp_filter){ 0 };
}
