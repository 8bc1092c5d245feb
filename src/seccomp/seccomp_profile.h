/*
 * seccomp_profile: a seccomp profile in kettle's own terms, and docker's JSON format read
 * into it (mechanism, rank 35).
 *
 * A profile is what docker's profile JSON says before it meets a container: the default
 * action, the architectures (a list, or docker's archMap by native architecture), and rules
 * (names, action, argument conditions) with their includes/excludes by capability,
 * architecture and kernel version. The built-in profile (seccomp_default.c) is one of these
 * in const tables; seccomp_profile_parse makes one from a user's file, strictly: every key
 * known, every action, operator, index and architecture checked, every size capped before
 * it is allocated, and each error naming the rule (`syscalls[3] (socket)`). Never logs.
 */
#ifndef KETTLE_SECCOMP_PROFILE_H
#define KETTLE_SECCOMP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"

#define SECCOMP_PROFILE_MAX   (1024u * 1024u) /* bytes of a profile file */
#define SECCOMP_RULES_MAX     4096	      /* "syscalls" entries */
#define SECCOMP_NAMES_MAX     4096	      /* syscall names in one profile, all rules */
#define SECCOMP_NAME_MAX      64	      /* bytes of one syscall name */
#define SECCOMP_ARGS_MAX      6		      /* argument conditions in one rule */
#define SECCOMP_ARG_INDEX_MAX 5		      /* a syscall has arguments 0..5 */
#define SECCOMP_ERRNO_MAX     4095	      /* largest errnoRet (the kernel's MAX_ERRNO) */
#define SECCOMP_ARCHES_MAX    32	      /* architecture names in one list */
#define SECCOMP_TOKEN_MAX     32	      /* bytes of an action, operator or arch name */

/* The architectures libseccomp can name; bit i of an arch mask is enum value i. */
enum seccomp_arch {
	SECCOMP_ARCH_X86_64 = 0,
	SECCOMP_ARCH_X86,
	SECCOMP_ARCH_X32,
	SECCOMP_ARCH_AARCH64,
	SECCOMP_ARCH_ARM,
	SECCOMP_ARCH_MIPS,
	SECCOMP_ARCH_MIPSEL,
	SECCOMP_ARCH_MIPS64,
	SECCOMP_ARCH_MIPSEL64,
	SECCOMP_ARCH_MIPS64N32,
	SECCOMP_ARCH_MIPSEL64N32,
	SECCOMP_ARCH_PPC,
	SECCOMP_ARCH_PPC64,
	SECCOMP_ARCH_PPC64LE,
	SECCOMP_ARCH_S390,
	SECCOMP_ARCH_S390X,
	SECCOMP_ARCH_PARISC,
	SECCOMP_ARCH_PARISC64,
	SECCOMP_ARCH_RISCV64,
	SECCOMP_ARCH_LOONGARCH64, /* named by docker's profile; unknown to libseccomp 2.5 */
	SECCOMP_ARCH_COUNT,
};

/* OCI's action names (runtime-spec config-linux.md, "Seccomp"). */
enum seccomp_action {
	SECCOMP_ACT_KILL = 0, /* SCMP_ACT_KILL: the thread */
	SECCOMP_ACT_KILL_PROCESS,
	SECCOMP_ACT_KILL_THREAD,
	SECCOMP_ACT_TRAP,
	SECCOMP_ACT_ERRNO,
	SECCOMP_ACT_TRACE,
	SECCOMP_ACT_ALLOW,
	SECCOMP_ACT_LOG,
	SECCOMP_ACT_COUNT,
};

enum seccomp_op {
	SECCOMP_OP_NE = 0,
	SECCOMP_OP_LT,
	SECCOMP_OP_LE,
	SECCOMP_OP_EQ,
	SECCOMP_OP_GE,
	SECCOMP_OP_GT,
	SECCOMP_OP_MASKED_EQ, /* (arg & value) == value_two */
	SECCOMP_OP_COUNT,
};

struct seccomp_arg {
	uint32_t index;	    /* 0..SECCOMP_ARG_INDEX_MAX */
	enum seccomp_op op; /* comparison */
	uint64_t value;	    /* compared with the argument (the mask for MASKED_EQ) */
	uint64_t value_two; /* MASKED_EQ's expected value; else 0 */
};

/* A rule's "includes" or "excludes" (docker's Filter). */
struct seccomp_cond {
	uint64_t caps;		   /* bit i: record_all_caps[i] named */
	bool unknown_cap;	   /* a name kettle does not know: never present */
	const char *const *arches; /* Go architecture names ("amd64"), borrowed or owned */
	size_t narches;		   /* entries of arches */
	uint32_t min_kernel;	   /* major << 16 | minor; 0 = no condition */
};

struct seccomp_rule {
	const char *const *names;	/* syscall names; borrowed (built-in) or owned */
	size_t nnames;			/* entries of names */
	enum seccomp_action action;	/* what a matching call gets */
	bool errno_set;			/* errnoRet given (ERRNO, TRACE) */
	uint32_t errno_ret;		/* with errno_set; <= SECCOMP_ERRNO_MAX */
	const struct seccomp_arg *args; /* conditions, all of which must hold; NULL when none */
	size_t nargs;			/* entries of args; <= SECCOMP_ARGS_MAX */
	struct seccomp_cond includes;	/* all caps present, native arch listed, kernel >= */
	struct seccomp_cond excludes;	/* any cap present, native arch listed, kernel >= */
};

/* docker's archMap entry: the architectures a filter gets on a native architecture. */
struct seccomp_archmap {
	enum seccomp_arch arch; /* native architecture this entry is for */
	uint32_t subs;		/* arch mask of its sub-architectures */
};

struct seccomp_profile {
	enum seccomp_action default_action;    /* calls no rule matches */
	bool default_errno_set;		       /* defaultErrnoRet given */
	uint32_t default_errno;		       /* with default_errno_set */
	uint32_t arches;		       /* "architectures" mask; 0 when absent */
	const struct seccomp_archmap *archmap; /* "archMap"; NULL when absent */
	size_t narchmap;		       /* entries of archmap */
	const struct seccomp_rule *rules;      /* "syscalls", in order */
	size_t nrules;			       /* entries of rules */
	bool owned;			       /* made by seccomp_profile_parse: free it */
};

/* Parses docker's profile JSON (text of len bytes, at most SECCOMP_PROFILE_MAX). Returns an
 * owned profile (seccomp_profile_free), or NULL with err naming the key or the rule. */
struct seccomp_profile *seccomp_profile_parse(const char *text, size_t len, struct kerr *err);
/* Frees a parsed profile; accepts NULL and the built-in one (left alone). Returns NULL. */
struct seccomp_profile *seccomp_profile_free(struct seccomp_profile *p);

/* "SCMP_ARCH_X86_64" … and back; unknown names fail with the list of known ones. */
const char *seccomp_profile_arch_name(enum seccomp_arch a);
int seccomp_profile_arch_parse(const char *s, enum seccomp_arch *a, struct kerr *err);
/* Go's name of an architecture ("amd64"), what includes/excludes "arches" match. */
const char *seccomp_profile_arch_goname(enum seccomp_arch a);
/* "SCMP_ACT_ALLOW" …, "SCMP_CMP_EQ" … */
const char *seccomp_profile_action_name(enum seccomp_action a);
const char *seccomp_profile_op_name(enum seccomp_op op);
/* "4.8" -> 4 << 16 | 8; anything but MAJOR.MINOR fails. */
int seccomp_profile_kernel_parse(const char *s, uint32_t *out, struct kerr *err);

#endif
