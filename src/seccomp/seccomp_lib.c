/*
 * seccomp_lib: libseccomp behind kettle's types (mechanism, rank 35).
 *
 * The only includer of <seccomp.h>: architecture tokens, name resolution per architecture
 * (pseudo numbers, libseccomp's negative placeholders for a syscall another architecture
 * has, do not count as known), and the check that builds a filter exactly as runc 1.1.5
 * does (libcontainer/seccomp: a rule per name, several conditions on one argument split
 * into one rule each, names runc cannot resolve skipped) and releases it. Never
 * seccomp_load: kettle's own process is never filtered. Never logs.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>

#include "seccomp/seccomp_lib.h"

static uint32_t token(enum seccomp_arch a)
{
	switch (a) {
	case SECCOMP_ARCH_X86_64:
		return SCMP_ARCH_X86_64;
	case SECCOMP_ARCH_X86:
		return SCMP_ARCH_X86;
	case SECCOMP_ARCH_X32:
		return SCMP_ARCH_X32;
	case SECCOMP_ARCH_AARCH64:
		return SCMP_ARCH_AARCH64;
	case SECCOMP_ARCH_ARM:
		return SCMP_ARCH_ARM;
	case SECCOMP_ARCH_MIPS:
		return SCMP_ARCH_MIPS;
	case SECCOMP_ARCH_MIPSEL:
		return SCMP_ARCH_MIPSEL;
	case SECCOMP_ARCH_MIPS64:
		return SCMP_ARCH_MIPS64;
	case SECCOMP_ARCH_MIPSEL64:
		return SCMP_ARCH_MIPSEL64;
	case SECCOMP_ARCH_MIPS64N32:
		return SCMP_ARCH_MIPS64N32;
	case SECCOMP_ARCH_MIPSEL64N32:
		return SCMP_ARCH_MIPSEL64N32;
	case SECCOMP_ARCH_PPC:
		return SCMP_ARCH_PPC;
	case SECCOMP_ARCH_PPC64:
		return SCMP_ARCH_PPC64;
	case SECCOMP_ARCH_PPC64LE:
		return SCMP_ARCH_PPC64LE;
	case SECCOMP_ARCH_S390:
		return SCMP_ARCH_S390;
	case SECCOMP_ARCH_S390X:
		return SCMP_ARCH_S390X;
	case SECCOMP_ARCH_PARISC:
		return SCMP_ARCH_PARISC;
	case SECCOMP_ARCH_PARISC64:
		return SCMP_ARCH_PARISC64;
	case SECCOMP_ARCH_RISCV64:
		return SCMP_ARCH_RISCV64;
	default:
		return 0; /* LoongArch: libseccomp 2.5 has no token for it */
	}
}

enum seccomp_arch seccomp_lib_native(void)
{
	uint32_t native = seccomp_arch_native();

	for (int a = 0; a < SECCOMP_ARCH_COUNT; a++)
		if (token((enum seccomp_arch)a) == native)
			return (enum seccomp_arch)a;
	return SECCOMP_ARCH_COUNT;
}

bool seccomp_lib_resolves(enum seccomp_arch arch, const char *name)
{
	uint32_t t = token(arch);

	return t != 0 && seccomp_syscall_resolve_name_arch(t, name) >= 0;
}

void seccomp_lib_version(char *out, size_t cap)
{
	const struct scmp_version *v = seccomp_version();

	if (v)
		snprintf(out, cap, "%u.%u.%u", v->major, v->minor, v->micro);
	else
		snprintf(out, cap, "unknown");
}

/* runc's mapping (getAction): KILL is the thread, ERRNO and TRACE default to EPERM. */
static uint32_t action_code(enum seccomp_action a, bool errno_set, uint32_t e)
{
	uint32_t code = errno_set ? e : EPERM;

	switch (a) {
	case SECCOMP_ACT_KILL:
	case SECCOMP_ACT_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case SECCOMP_ACT_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case SECCOMP_ACT_TRAP:
		return SCMP_ACT_TRAP;
	case SECCOMP_ACT_ERRNO:
		return SCMP_ACT_ERRNO(code);
	case SECCOMP_ACT_TRACE:
		return SCMP_ACT_TRACE(code);
	case SECCOMP_ACT_LOG:
		return SCMP_ACT_LOG;
	default:
		return SCMP_ACT_ALLOW;
	}
}

static enum scmp_compare op_code(enum seccomp_op op)
{
	static const enum scmp_compare map[SECCOMP_OP_COUNT] = {
		[SECCOMP_OP_NE] = SCMP_CMP_NE,
		[SECCOMP_OP_LT] = SCMP_CMP_LT,
		[SECCOMP_OP_LE] = SCMP_CMP_LE,
		[SECCOMP_OP_EQ] = SCMP_CMP_EQ,
		[SECCOMP_OP_GE] = SCMP_CMP_GE,
		[SECCOMP_OP_GT] = SCMP_CMP_GT,
		[SECCOMP_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
	};

	return (unsigned)op < SECCOMP_OP_COUNT ? map[op] : _SCMP_CMP_MIN;
}

/* One name of one rule, as runc's matchCall adds it. */
static int add_name(scmp_filter_ctx ctx, const struct seccomp_frule *fr, const char *name,
		    struct kerr *err)
{
	const struct seccomp_rule *r = fr->rule;
	struct scmp_arg_cmp cmp[SECCOMP_ARGS_MAX];
	uint32_t act = action_code(r->action, r->errno_set, r->errno_ret);
	unsigned per_arg[SECCOMP_ARG_INDEX_MAX + 1] = { 0 };
	bool split = false;
	int num = seccomp_syscall_resolve_name(name);
	int rc = 0;

	/* runc resolves on the native architecture only and skips what it cannot. */
	if (num == __NR_SCMP_ERROR)
		return 0;
	for (size_t i = 0; i < r->nargs && i < SECCOMP_ARGS_MAX; i++) {
		const struct seccomp_arg *a = &r->args[i];

		cmp[i] = (struct scmp_arg_cmp){
			.arg = a->index,
			.op = op_code(a->op),
			.datum_a = a->value,
			.datum_b = a->value_two,
		};
		if (a->index <= SECCOMP_ARG_INDEX_MAX && ++per_arg[a->index] > 1)
			split = true;
	}
	if (!split)
		rc = seccomp_rule_add_array(ctx, act, num, (unsigned)r->nargs, cmp);
	for (size_t i = 0; split && rc == 0 && i < r->nargs; i++)
		rc = seccomp_rule_add_array(ctx, act, num, 1, &cmp[i]);
	if (rc < 0)
		return kerr_set(err, -rc, "syscalls[%zu] (`%s`): libseccomp refused the rule",
				fr->index, name);
	return 0;
}

int seccomp_lib_check(const struct seccomp_filter *f, struct kerr *err)
{
	const struct seccomp_profile *p = f->profile;
	scmp_filter_ctx ctx;
	int rc = 0;

	ctx = seccomp_init(action_code(p->default_action, p->default_errno_set, p->default_errno));
	if (!ctx)
		return kerr_set(err, EINVAL, "libseccomp refused the default action %s",
				seccomp_profile_action_name(p->default_action));
	for (int a = 0; rc == 0 && a < SECCOMP_ARCH_COUNT; a++) {
		if (!(f->arches & (1u << a)) || a == (int)f->native)
			continue;
		if (token((enum seccomp_arch)a) == 0) {
			rc = kerr_set(err, 0, "architecture %s is not supported by libseccomp",
				      seccomp_profile_arch_name((enum seccomp_arch)a));
			break;
		}
		int r = seccomp_arch_add(ctx, token((enum seccomp_arch)a));
		if (r < 0 && r != -EEXIST)
			rc = kerr_set(err, -r, "add architecture %s",
				      seccomp_profile_arch_name((enum seccomp_arch)a));
	}
	for (size_t i = 0; rc == 0 && i < f->nrules; i++)
		for (size_t k = 0; rc == 0 && k < f->rules[i].nnames; k++)
			rc = add_name(ctx, &f->rules[i], f->rules[i].names[k], err);
	seccomp_release(ctx);
	return rc;
}
