/*
 * noopenat2: run a command as if the kernel predated openat2(2) (test tooling, not linked
 * into kettle).
 *
 * `noopenat2 PROGRAM [ARG...]` installs a seccomp filter that makes openat2 fail with ENOSYS
 * (every other system call allowed), then execs PROGRAM. The filter is inherited across
 * exec and fork, so kettle and every process it forks see a Linux < 5.6 for that one call.
 * leaks.test uses it to prove `kettle cp` refuses clearly instead of falling back to joining
 * path strings. Built by the test against the vendored musl libseccomp (STYLE rule 7 keeps
 * <seccomp.h> out of src/ except seccomp.c; this file is not part of kettle).
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	int rc;

	if (argc < 2) {
		fputs("usage: noopenat2 PROGRAM [ARG...]\n", stderr);
		return 125;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL) {
		fputs("noopenat2: seccomp_init failed\n", stderr);
		return 125;
	}
	/* NO_NEW_PRIVS is set by seccomp_load (SCMP_FLTATR_CTL_NNP defaults to on). */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), seccomp_syscall_resolve_name("openat2"),
			      0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		fprintf(stderr, "noopenat2: cannot install the filter: %s\n", strerror(-rc));
		return 125;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "noopenat2: exec `%s`: %s\n", argv[1], strerror(errno));
	return 127;
}
