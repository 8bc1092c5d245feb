/*
 * seccomp_filter: a profile made concrete for one container (mechanism, rank 35).
 *
 * docker's selection, done in kettle: the architectures (the profile's list, or its archMap
 * entry for the native architecture), the rules whose includes hold and whose excludes do
 * not (capabilities from the container's bounding set, the native architecture, the running
 * kernel), each name resolved with libseccomp on those architectures. A name no architecture
 * knows is dropped and listed, for the role to log; a name an earlier unconditional rule
 * with the same action already has is left out, and so is a rule that only repeats the
 * default action (runc skips those). Never logs.
 */
#ifndef KETTLE_SECCOMP_FILTER_H
#define KETTLE_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"
#include "seccomp/seccomp_profile.h"

struct seccomp_frule {
	const struct seccomp_rule *rule; /* borrowed from the profile: action, args */
	size_t index;			 /* its position in the profile's "syscalls" */
	const char *const *names;	 /* the names kept, a slice of the filter's names */
	size_t nnames;			 /* entries of names, >= 1 */
};

struct seccomp_filter {
	const struct seccomp_profile *profile; /* borrowed; must outlive the filter */
	enum seccomp_arch native;	       /* the architecture it runs on */
	uint32_t arches;		       /* arch mask: native and its sub-architectures */
	struct seccomp_frule *rules;	       /* owned; selected rules, in profile order */
	size_t nrules;			       /* entries of rules */
	const char **names;		       /* owned array of borrowed names; rules slice it */
	const char **dropped;		       /* owned array of borrowed names no arch knows */
	size_t ndropped;		       /* entries of dropped (each name once) */
};

/* Selects p's rules for a container with bounding capabilities caps (bits of
 * record_all_caps) on native, under kernel (major << 16 | minor). f is owned by the caller
 * afterwards (seccomp_filter_done), also after a failure. */
int seccomp_filter_make(struct seccomp_filter *f, const struct seccomp_profile *p, uint64_t caps,
			enum seccomp_arch native, uint32_t kernel, struct kerr *err);
void seccomp_filter_done(struct seccomp_filter *f);
/* The running kernel's version as major << 16 | minor (uname(2)); 0 when unreadable. */
uint32_t seccomp_filter_kernel_now(void);

#endif
