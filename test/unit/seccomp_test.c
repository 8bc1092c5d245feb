/*
 * seccomp_test: the seccomp mechanism (src/seccomp) without root or runc: the built-in
 * profile selected for docker's default capabilities on x86_64 against the names kept here,
 * the gated groups, config.json's section, the docker-format parser's refusals (each naming
 * the rule), and libseccomp's own check of what the parser lets through.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "base/json.h"
#include "base/json_w.h"
#include "seccomp/seccomp_default.h"
#include "seccomp/seccomp_filter.h"
#include "seccomp/seccomp_lib.h"
#include "seccomp/seccomp_profile.h"
#include "seccomp/seccomp_spec.h"
#include "store/record.h"

#define KERNEL_6_1 (6 << 16 | 1)

/* Every name the built-in profile allows without a condition for docker's default
 * capabilities on x86_64 (sub-architectures x86 and x32), after libseccomp 2.5.4 with
 * Debian's patches dropped what it does not know. Sorted. */
static const char *const want_allowed[] = {
	"_llseek",
	"_newselect",
	"accept",
	"accept4",
	"access",
	"adjtimex",
	"alarm",
	"arch_prctl",
	"bind",
	"brk",
	"cachestat",
	"capget",
	"capset",
	"chdir",
	"chmod",
	"chown",
	"chown32",
	"chroot",
	"clock_adjtime",
	"clock_adjtime64",
	"clock_getres",
	"clock_getres_time64",
	"clock_gettime",
	"clock_gettime64",
	"clock_nanosleep",
	"clock_nanosleep_time64",
	"close",
	"close_range",
	"connect",
	"copy_file_range",
	"creat",
	"dup",
	"dup2",
	"dup3",
	"epoll_create",
	"epoll_create1",
	"epoll_ctl",
	"epoll_ctl_old",
	"epoll_pwait",
	"epoll_pwait2",
	"epoll_wait",
	"epoll_wait_old",
	"eventfd",
	"eventfd2",
	"execve",
	"execveat",
	"exit",
	"exit_group",
	"faccessat",
	"faccessat2",
	"fadvise64",
	"fadvise64_64",
	"fallocate",
	"fanotify_mark",
	"fchdir",
	"fchmod",
	"fchmodat",
	"fchmodat2",
	"fchown",
	"fchown32",
	"fchownat",
	"fcntl",
	"fcntl64",
	"fdatasync",
	"fgetxattr",
	"flistxattr",
	"flock",
	"fork",
	"fremovexattr",
	"fsetxattr",
	"fstat",
	"fstat64",
	"fstatat64",
	"fstatfs",
	"fstatfs64",
	"fsync",
	"ftruncate",
	"ftruncate64",
	"futex",
	"futex_requeue",
	"futex_time64",
	"futex_wait",
	"futex_waitv",
	"futex_wake",
	"futimesat",
	"get_robust_list",
	"get_thread_area",
	"getcpu",
	"getcwd",
	"getdents",
	"getdents64",
	"getegid",
	"getegid32",
	"geteuid",
	"geteuid32",
	"getgid",
	"getgid32",
	"getgroups",
	"getgroups32",
	"getitimer",
	"getpeername",
	"getpgid",
	"getpgrp",
	"getpid",
	"getppid",
	"getpriority",
	"getrandom",
	"getresgid",
	"getresgid32",
	"getresuid",
	"getresuid32",
	"getrlimit",
	"getrusage",
	"getsid",
	"getsockname",
	"getsockopt",
	"gettid",
	"gettimeofday",
	"getuid",
	"getuid32",
	"getxattr",
	"inotify_add_watch",
	"inotify_init",
	"inotify_init1",
	"inotify_rm_watch",
	"io_cancel",
	"io_destroy",
	"io_getevents",
	"io_pgetevents",
	"io_pgetevents_time64",
	"io_setup",
	"io_submit",
	"ioctl",
	"ioprio_get",
	"ioprio_set",
	"ipc",
	"kill",
	"landlock_add_rule",
	"landlock_create_ruleset",
	"landlock_restrict_self",
	"lchown",
	"lchown32",
	"lgetxattr",
	"link",
	"linkat",
	"listen",
	"listxattr",
	"llistxattr",
	"lremovexattr",
	"lseek",
	"lsetxattr",
	"lstat",
	"lstat64",
	"madvise",
	"map_shadow_stack",
	"membarrier",
	"memfd_create",
	"memfd_secret",
	"mincore",
	"mkdir",
	"mkdirat",
	"mknod",
	"mknodat",
	"mlock",
	"mlock2",
	"mlockall",
	"mmap",
	"mmap2",
	"modify_ldt",
	"mprotect",
	"mq_getsetattr",
	"mq_notify",
	"mq_open",
	"mq_timedreceive",
	"mq_timedreceive_time64",
	"mq_timedsend",
	"mq_timedsend_time64",
	"mq_unlink",
	"mremap",
	"msgctl",
	"msgget",
	"msgrcv",
	"msgsnd",
	"msync",
	"munlock",
	"munlockall",
	"munmap",
	"name_to_handle_at",
	"nanosleep",
	"newfstatat",
	"open",
	"openat",
	"openat2",
	"pause",
	"pidfd_open",
	"pidfd_send_signal",
	"pipe",
	"pipe2",
	"pkey_alloc",
	"pkey_free",
	"pkey_mprotect",
	"poll",
	"ppoll",
	"ppoll_time64",
	"prctl",
	"pread64",
	"preadv",
	"preadv2",
	"prlimit64",
	"process_mrelease",
	"process_vm_readv",
	"process_vm_writev",
	"pselect6",
	"pselect6_time64",
	"ptrace",
	"pwrite64",
	"pwritev",
	"pwritev2",
	"read",
	"readahead",
	"readlink",
	"readlinkat",
	"readv",
	"recvfrom",
	"recvmmsg",
	"recvmmsg_time64",
	"recvmsg",
	"remap_file_pages",
	"removexattr",
	"rename",
	"renameat",
	"renameat2",
	"restart_syscall",
	"rmdir",
	"rseq",
	"rt_sigaction",
	"rt_sigpending",
	"rt_sigprocmask",
	"rt_sigqueueinfo",
	"rt_sigreturn",
	"rt_sigsuspend",
	"rt_sigtimedwait",
	"rt_sigtimedwait_time64",
	"rt_tgsigqueueinfo",
	"sched_get_priority_max",
	"sched_get_priority_min",
	"sched_getaffinity",
	"sched_getattr",
	"sched_getparam",
	"sched_getscheduler",
	"sched_rr_get_interval",
	"sched_rr_get_interval_time64",
	"sched_setaffinity",
	"sched_setattr",
	"sched_setparam",
	"sched_setscheduler",
	"sched_yield",
	"seccomp",
	"select",
	"semctl",
	"semget",
	"semop",
	"semtimedop",
	"semtimedop_time64",
	"sendfile",
	"sendfile64",
	"sendmmsg",
	"sendmsg",
	"sendto",
	"set_robust_list",
	"set_thread_area",
	"set_tid_address",
	"setfsgid",
	"setfsgid32",
	"setfsuid",
	"setfsuid32",
	"setgid",
	"setgid32",
	"setgroups",
	"setgroups32",
	"setitimer",
	"setpgid",
	"setpriority",
	"setregid",
	"setregid32",
	"setresgid",
	"setresgid32",
	"setresuid",
	"setresuid32",
	"setreuid",
	"setreuid32",
	"setrlimit",
	"setsid",
	"setsockopt",
	"setuid",
	"setuid32",
	"setxattr",
	"shmat",
	"shmctl",
	"shmdt",
	"shmget",
	"shutdown",
	"sigaltstack",
	"signalfd",
	"signalfd4",
	"sigprocmask",
	"sigreturn",
	"socketcall",
	"socketpair",
	"splice",
	"stat",
	"stat64",
	"statfs",
	"statfs64",
	"statx",
	"symlink",
	"symlinkat",
	"sync",
	"sync_file_range",
	"syncfs",
	"sysinfo",
	"tee",
	"tgkill",
	"time",
	"timer_create",
	"timer_delete",
	"timer_getoverrun",
	"timer_gettime",
	"timer_gettime64",
	"timer_settime",
	"timer_settime64",
	"timerfd_create",
	"timerfd_gettime",
	"timerfd_gettime64",
	"timerfd_settime",
	"timerfd_settime64",
	"times",
	"tkill",
	"truncate",
	"truncate64",
	"ugetrlimit",
	"umask",
	"uname",
	"unlink",
	"unlinkat",
	"utime",
	"utimensat",
	"utimensat_time64",
	"utimes",
	"vfork",
	"vmsplice",
	"wait4",
	"waitid",
	"waitpid",
	"write",
	"writev",
};

/* The built-in profile's names that libseccomp 2.5.4 (+ Debian's 6.7 table) does not know. */
static const char *const want_dropped[] = {
	"getxattrat",	 "listmount", "listxattrat", "mseal",	  "recv",      "removexattrat",
	"riscv_hwprobe", "send",      "setxattrat",  "statmount", "uretprobe",
};

static uint64_t caps_of(const char *const *names)
{
	uint64_t bits = 0;

	for (size_t i = 0; names[i]; i++)
		for (int k = 0; record_all_caps[k]; k++)
			if (strcmp(record_all_caps[k], names[i]) == 0)
				bits |= 1ull << k;
	return bits;
}

static uint64_t cap_bit(const char *name)
{
	const char *one[] = { name, NULL };

	return caps_of(one);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The unconditional ALLOW names of f, sorted, in out (at most cap). */
static size_t allowed_of(const struct seccomp_filter *f, const char **out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nrules; i++) {
		const struct seccomp_frule *r = &f->rules[i];

		if (r->rule->action != SECCOMP_ACT_ALLOW || r->rule->nargs)
			continue;
		for (size_t k = 0; k < r->nnames && n < cap; k++)
			out[n++] = r->names[k];
	}
	qsort(out, n, sizeof(*out), cmp_str);
	return n;
}

/* Rules of f naming name, and of those how many have conditions. */
static size_t rules_for(const struct seccomp_filter *f, const char *name, size_t *conditional)
{
	size_t n = 0;

	*conditional = 0;
	for (size_t i = 0; i < f->nrules; i++)
		for (size_t k = 0; k < f->rules[i].nnames; k++)
			if (strcmp(f->rules[i].names[k], name) == 0) {
				n++;
				*conditional += f->rules[i].rule->nargs > 0;
			}
	return n;
}

static int make_default(struct seccomp_filter *f, uint64_t caps)
{
	struct kerr err;

	return seccomp_filter_make(f, seccomp_default_profile(), caps, SECCOMP_ARCH_X86_64,
				   KERNEL_6_1, &err);
}

TEST(new_syscalls_resolve)
{
	/* Debian's patch series (vendor/libseccomp.pin) adds the syscalls up to Linux 6.7. */
	ASSERT(seccomp_lib_resolves(SECCOMP_ARCH_X86_64, "fchmodat2"));
	ASSERT(seccomp_lib_resolves(SECCOMP_ARCH_X86_64, "cachestat"));
	ASSERT(seccomp_lib_resolves(SECCOMP_ARCH_X86_64, "futex_wake"));
	ASSERT(seccomp_lib_resolves(SECCOMP_ARCH_X86_64, "map_shadow_stack"));
	ASSERT(seccomp_lib_resolves(SECCOMP_ARCH_X86_64, "read"));
	/* chown32 is a syscall of x86, not of x86_64: a pseudo number does not count. */
	ASSERT(!seccomp_lib_resolves(SECCOMP_ARCH_X86_64, "chown32"));
	ASSERT(seccomp_lib_resolves(SECCOMP_ARCH_X86, "chown32"));
	ASSERT(!seccomp_lib_resolves(SECCOMP_ARCH_X86_64, "no_such_syscall"));
	ASSERT(!seccomp_lib_resolves(SECCOMP_ARCH_LOONGARCH64, "read"));
	ASSERT_EQ(seccomp_lib_native(), SECCOMP_ARCH_X86_64);
}

TEST(default_set_for_docker_caps)
{
	size_t n = sizeof(want_allowed) / sizeof(want_allowed[0]), cond;
	const char *got[1024];
	struct seccomp_filter f;
	size_t ngot;

	ASSERT_EQ(make_default(&f, caps_of(record_default_caps)), 0);
	ASSERT_EQ(f.arches,
		  1u << SECCOMP_ARCH_X86_64 | 1u << SECCOMP_ARCH_X86 | 1u << SECCOMP_ARCH_X32);
	ngot = allowed_of(&f, got, 1024);
	for (size_t i = 0; i < ngot && i < n; i++)
		ASSERT_STREQ(got[i], want_allowed[i]);
	ASSERT_EQ(ngot, n);
	ASSERT_EQ(f.ndropped, sizeof(want_dropped) / sizeof(want_dropped[0]));
	qsort(f.dropped, f.ndropped, sizeof(*f.dropped), cmp_str);
	for (size_t i = 0; i < f.ndropped; i++)
		ASSERT_STREQ(f.dropped[i], want_dropped[i]);
	/* socket: below AF_ALG, 39, and 41..45, one rule each (runc ORs them). */
	ASSERT_EQ(rules_for(&f, "socket", &cond), 7);
	ASSERT_EQ(cond, 7);
	ASSERT_EQ(rules_for(&f, "personality", &cond), 5);
	ASSERT_EQ(cond, 5);
	/* clone only without CLONE_NEW*, clone3 answers ENOSYS. */
	ASSERT_EQ(rules_for(&f, "clone", &cond), 1);
	ASSERT_EQ(cond, 1);
	ASSERT_EQ(rules_for(&f, "clone3", &cond), 1);
	for (size_t i = 0; i < f.nrules; i++) {
		const struct seccomp_rule *r = f.rules[i].rule;

		if (strcmp(f.rules[i].names[0], "clone3") == 0) {
			ASSERT_EQ(r->action, SECCOMP_ACT_ERRNO);
			ASSERT_EQ(r->errno_ret, 38);
		}
		if (strcmp(f.rules[i].names[0], "clone") == 0) {
			ASSERT_EQ(r->args[0].op, SECCOMP_OP_MASKED_EQ);
			ASSERT_U64_EQ(r->args[0].value, 0x7E020000u);
			ASSERT_EQ(r->args[0].index, 0);
		}
		/* AF_ALG (38) and AF_VSOCK (40) in none of the socket rules. */
		if (strcmp(f.rules[i].names[0], "socket") == 0 && r->args[0].op == SECCOMP_OP_LT)
			ASSERT_U64_EQ(r->args[0].value, 38);
		else if (strcmp(f.rules[i].names[0], "socket") == 0)
			ASSERT(r->args[0].op == SECCOMP_OP_EQ && r->args[0].value != 38 &&
			       r->args[0].value != 40 && r->args[0].value <= 45);
	}
	/* What no default capability opens. */
	ASSERT_EQ(rules_for(&f, "unshare", &cond), 0);
	ASSERT_EQ(rules_for(&f, "mount", &cond), 0);
	ASSERT_EQ(rules_for(&f, "io_uring_setup", &cond), 0);
	ASSERT_EQ(rules_for(&f, "keyctl", &cond), 0);
	ASSERT_EQ(rules_for(&f, "kcmp", &cond), 0);
	ASSERT_EQ(rules_for(&f, "reboot", &cond), 0);
	ASSERT_EQ(rules_for(&f, "open_by_handle_at", &cond), 0);
	ASSERT_EQ(seccomp_lib_check(&f, &(struct kerr){ 0 }), 0);
	seccomp_filter_done(&f);
}

/* Each gated group: its names appear with its capability and not without. */
TEST(gated_groups)
{
	static const struct {
		const char *cap;  /* the capability */
		const char *name; /* one syscall it opens */
	} groups[] = {
		{ "CAP_SYS_ADMIN", "unshare" },
		{ "CAP_SYS_ADMIN", "mount" },
		{ "CAP_SYS_ADMIN", "setns" },
		{ "CAP_SYS_PTRACE", "kcmp" },
		{ "CAP_SYS_PTRACE", "pidfd_getfd" },
		{ "CAP_SYS_MODULE", "finit_module" },
		{ "CAP_SYS_BOOT", "reboot" },
		{ "CAP_SYS_TIME", "settimeofday" },
		{ "CAP_SYS_RAWIO", "iopl" },
		{ "CAP_SYS_NICE", "mbind" },
		{ "CAP_SYS_PACCT", "acct" },
		{ "CAP_SYS_TTY_CONFIG", "vhangup" },
		{ "CAP_SYSLOG", "syslog" },
		{ "CAP_BPF", "bpf" },
		{ "CAP_PERFMON", "perf_event_open" },
		{ "CAP_DAC_READ_SEARCH", "open_by_handle_at" },
	};
	uint64_t base = caps_of(record_default_caps);
	struct seccomp_filter f;
	size_t cond;

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		ASSERT_EQ(make_default(&f, base | cap_bit(groups[g].cap)), 0);
		ASSERT_EQ(rules_for(&f, groups[g].name, &cond), 1);
		ASSERT_EQ(cond, 0);
		seccomp_filter_done(&f);
	}
	/* SYS_ADMIN: clone and clone3 unconditionally, the guarded rules gone. */
	ASSERT_EQ(make_default(&f, base | cap_bit("CAP_SYS_ADMIN")), 0);
	ASSERT_EQ(rules_for(&f, "clone", &cond), 1);
	ASSERT_EQ(cond, 0);
	ASSERT_EQ(rules_for(&f, "clone3", &cond), 1);
	for (size_t i = 0; i < f.nrules; i++)
		ASSERT(f.rules[i].rule->action == SECCOMP_ACT_ALLOW);
	ASSERT_EQ(seccomp_lib_check(&f, &(struct kerr){ 0 }), 0);
	seccomp_filter_done(&f);
	/* Without CHROOT (dropped): no chroot. Kernel 4.7: no ptrace (docker's minKernel). */
	ASSERT_EQ(make_default(&f, base & ~cap_bit("CAP_SYS_CHROOT")), 0);
	ASSERT_EQ(rules_for(&f, "chroot", &cond), 0);
	seccomp_filter_done(&f);
	ASSERT_EQ(seccomp_filter_make(&f, seccomp_default_profile(), base, SECCOMP_ARCH_X86_64,
				      4 << 16 | 7, &(struct kerr){ 0 }),
		  0);
	ASSERT_EQ(rules_for(&f, "ptrace", &cond), 0);
	seccomp_filter_done(&f);
	/* arch_prctl is amd64's: on aarch64 it is not there, and the archMap says arm. */
	ASSERT_EQ(seccomp_filter_make(&f, seccomp_default_profile(), base, SECCOMP_ARCH_AARCH64,
				      KERNEL_6_1, &(struct kerr){ 0 }),
		  0);
	ASSERT_EQ(rules_for(&f, "arch_prctl", &cond), 0);
	ASSERT_EQ(f.arches, 1u << SECCOMP_ARCH_AARCH64 | 1u << SECCOMP_ARCH_ARM);
	seccomp_filter_done(&f);
}

TEST(section_shape)
{
	struct json_tok toks[4096];
	struct seccomp_filter f;
	struct json_doc d;
	struct json_w w;
	struct kerr err;
	struct buf b;
	int sec, arch, sys;

	ASSERT_EQ(make_default(&f, caps_of(record_default_caps)), 0);
	buf_init(&b, 1 << 20);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	seccomp_spec_write(&w, &f);
	json_w_obj_end(&w);
	ASSERT_EQ(json_w_end(&w, &err), 0);
	ASSERT_EQ(json_parse(&d, (const char *)b.data, b.len, toks, 4096, &err), 0);
	sec = json_obj_get(&d, 0, "seccomp");
	ASSERT(sec > 0);
	ASSERT(json_str_eq(&d, json_obj_get(&d, sec, "defaultAction"), "SCMP_ACT_ERRNO"));
	ASSERT(d.text[d.toks[json_obj_get(&d, sec, "defaultErrnoRet")].start] == '1');
	/* runc 1.1.5 refuses any flag; nor is there a listener. */
	ASSERT_EQ(json_obj_get(&d, sec, "flags"), -1);
	ASSERT_EQ(json_obj_get(&d, sec, "listenerPath"), -1);
	arch = json_obj_get(&d, sec, "architectures");
	ASSERT_EQ(d.toks[arch].size, 3);
	ASSERT(json_str_eq(&d, arch + 1, "SCMP_ARCH_X86_64"));
	ASSERT(json_str_eq(&d, arch + 2, "SCMP_ARCH_X86"));
	ASSERT(json_str_eq(&d, arch + 3, "SCMP_ARCH_X32"));
	sys = json_obj_get(&d, sec, "syscalls");
	ASSERT_EQ(d.toks[sys].size, (int)f.nrules);
	buf_done(&b);
	seccomp_filter_done(&f);
}

/* Parses text; on failure returns the message in msg. */
static struct seccomp_profile *parse(const char *text, char *msg)
{
	struct kerr err = { 0 };
	struct seccomp_profile *p = seccomp_profile_parse(text, strlen(text), &err);

	strcpy(msg, p ? "" : err.msg);
	return p;
}

TEST(parse_refusals)
{
	static const struct {
		const char *text; /* the profile */
		const char *want; /* its message */
	} bad[] = {
		{ "{\"defaultAction\":",
		  "invalid json at byte 17: input ends inside a value, expected more" },
		{ "{\"defaultAction\":\"SCMP_ACT_NOPE\"}",
		  "defaultAction `SCMP_ACT_NOPE` is unknown, expected SCMP_ACT_ALLOW, "
		  "SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, "
		  "SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"socket\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,"
		  "\"op\":\"SCMP_CMP_BOGUS\"}]}]}",
		  "syscalls[0] (`socket`): args[0]: unknown operator `SCMP_CMP_BOGUS`, expected "
		  "SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT or "
		  "SCMP_CMP_MASKED_EQ" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"socket\",\"bind\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":7,\"value\":1,"
		  "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		  "syscalls[1] (`socket`, …): args[0]: argument index 7 is out of range, expected "
		  "0..5" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_ALOW\"}]}",
		  "syscalls[0] (`read`): action `SCMP_ACT_ALOW` is unknown, expected "
		  "SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, "
		  "SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
		  "architectures[0]: unknown architecture `SCMP_ARCH_VAX`, expected "
		  "SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64, "
		  "SCMP_ARCH_ARM "
		  "or another SCMP_ARCH_ name libseccomp knows" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"]}",
		  "`flags` is not supported, expected none (the runtime refuses seccomp flags)" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"action\":"
		  "\"SCMP_ACT_ALLOW\"}]}",
		  "syscalls[0] names no syscall (`names` or `name`)" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"Read\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\"}]}",
		  "syscalls[0]: `Read` is not a syscall name (lowercase letters, digits and _, at "
		  "most 64 bytes)" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":1}]}",
		  "syscalls[0] (`read`): `errnoRet` goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, "
		  "not SCMP_ACT_ALLOW" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5000}]}",
		  "syscalls[0] (`read`): `errnoRet` is 5000, exceeds 4095" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"sycalls\":[]}",
		  "unknown key `sycalls` in the profile" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86\"],"
		  "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}",
		  "`architectures` and `archMap` are both given, expected one of them" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"four\"}}]}",
		  "syscalls[0] (`read`): `includes`.minKernel: kernel version `four` is not "
		  "MAJOR.MINOR (e.g. 4.8)" },
		{ "[]", "the profile is an array, expected an object" },
		{ "{}", "`defaultAction` is missing" },
	};
	char msg[KERR_MSG_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i].text, msg) != NULL)
			HARNESS_FAIL("profile %zu was accepted: %s", i, bad[i].text);
		ASSERT_STREQ(msg, bad[i].want);
	}
}

TEST(parse_docker_format)
{
	/* docker's shapes: archMap, name and names, includes/excludes, comments, valueTwo. */
	static const char text[] =
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
		"\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":"
		"[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]},{\"architecture\":\"SCMP_ARCH_"
		"LOONGARCH64\","
		"\"subArchitectures\":null}],"
		"\"syscalls\":[{\"names\":[\"read\",\"write\",\"exit_group\",\"not_a_syscall\"],"
		"\"action\":\"SCMP_ACT_ALLOW\",\"comment\":\"io\"},"
		"{\"name\":\"mount\",\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":"
		"[\"CAP_SYS_ADMIN\"]}},"
		"{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
		"\"value\":2,\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":10,"
		"\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
		"{\"names\":[\"arch_prctl\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{"
		"\"arches\":"
		"[\"amd64\"]}}]}";
	struct seccomp_filter f;
	struct seccomp_profile *p;
	char msg[KERR_MSG_MAX];
	struct kerr err;
	size_t cond;

	p = parse(text, msg);
	ASSERT_STREQ(msg, "");
	ASSERT(p != NULL);
	ASSERT_EQ(p->nrules, 5);
	ASSERT_EQ(p->narchmap, 2);
	ASSERT_EQ(seccomp_filter_make(&f, p, caps_of(record_default_caps), SECCOMP_ARCH_X86_64,
				      KERNEL_6_1, &err),
		  0);
	ASSERT_EQ(f.arches,
		  1u << SECCOMP_ARCH_X86_64 | 1u << SECCOMP_ARCH_X86 | 1u << SECCOMP_ARCH_X32);
	ASSERT_EQ(f.ndropped, 1);
	ASSERT_STREQ(f.dropped[0], "not_a_syscall");
	ASSERT_EQ(rules_for(&f, "read", &cond), 1);
	ASSERT_EQ(rules_for(&f, "mount", &cond), 0);
	/* Two conditions on one argument: built as two rules, as runc does. */
	ASSERT_EQ(rules_for(&f, "socket", &cond), 1);
	/* A rule with the default action is left out (runc skips it). */
	ASSERT_EQ(rules_for(&f, "kill", &cond), 0);
	ASSERT_EQ(rules_for(&f, "arch_prctl", &cond), 0);
	ASSERT_EQ(seccomp_lib_check(&f, &err), 0);
	seccomp_filter_done(&f);
	seccomp_profile_free(p);
}

TEST(libseccomp_refuses_what_it_cannot_build)
{
	static const char text[] = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":"
				   "[\"SCMP_ARCH_LOONGARCH64\"],\"syscalls\":[]}";
	struct seccomp_filter f;
	struct seccomp_profile *p;
	char msg[KERR_MSG_MAX];
	struct kerr err;

	p = parse(text, msg);
	ASSERT(p != NULL);
	ASSERT_EQ(seccomp_filter_make(&f, p, 0, SECCOMP_ARCH_X86_64, KERNEL_6_1, &err), 0);
	ASSERT_EQ(seccomp_lib_check(&f, &err), -1);
	ASSERT_STREQ(err.msg, "architecture SCMP_ARCH_LOONGARCH64 is not supported by libseccomp");
	seccomp_filter_done(&f);
	seccomp_profile_free(p);
}

RUN_TESTS(T(new_syscalls_resolve), T(default_set_for_docker_caps), T(gated_groups),
	  T(section_shape), T(parse_refusals), T(parse_docker_format),
	  T(libseccomp_refuses_what_it_cannot_build))
