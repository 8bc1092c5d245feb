/*
 * seccomp_default: kettle's built-in seccomp profile, as const tables (mechanism, rank 35).
 *
 * Equal in effect to docker's default profile (the syscall names are the facts of moby's
 * profiles/seccomp/default.json; the tables are kettle's own): calls answer EPERM unless a
 * rule allows them; the plain allow list; socket without AF_ALG and AF_VSOCK; personality
 * only with its safe values; clone without CLONE_NEW* and clone3 answering ENOSYS (so libcs
 * fall back to clone) unless CAP_SYS_ADMIN; and the groups that a capability opens. One
 * deliberate difference: runc turns several conditions on one argument into separate rules
 * (OR, libcontainer/seccomp matchCall), and a 64-bit "!= 40" also lets 0x100000028 through
 * (the kernel truncates the int family), so socket is allowed family by family: below 38,
 * 39, and 41..45 (AF_MAX is 46 in Linux 6.x; a later family answers EPERM, not EAFNOSUPPORT).
 * Names libseccomp does not know are dropped per container by seccomp_filter.c. Never logs.
 */
#include "seccomp/seccomp_default.h"

#define N(v)	 (sizeof(v) / sizeof((v)[0]))
#define NONE	 ((struct seccomp_cond){ 0 })
#define CAP(bit) ((struct seccomp_cond){ .caps = 1ull << (bit) })

/* Capability numbers (linux/capability.h), the bits of record_all_caps. */
enum {
	DAC_READ_SEARCH = 2,
	SYS_MODULE = 16,
	SYS_RAWIO = 17,
	SYS_CHROOT = 18,
	SYS_PTRACE = 19,
	SYS_PACCT = 20,
	SYS_ADMIN = 21,
	SYS_BOOT = 22,
	SYS_NICE = 23,
	SYS_TIME = 25,
	SYS_TTY_CONFIG = 26,
	SYSLOG = 34,
	PERFMON = 38,
	BPF = 39,
};

/* Allowed whatever the capabilities. */
static const char *const allowed[] = {
	"accept",
	"accept4",
	"access",
	"adjtimex",
	"alarm",
	"bind",
	"brk",
	"cachestat",
	"capget",
	"capset",
	"chdir",
	"chmod",
	"chown",
	"chown32",
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
	"get_robust_list",
	"getrusage",
	"getsid",
	"getsockname",
	"getsockopt",
	"get_thread_area",
	"gettid",
	"gettimeofday",
	"getuid",
	"getuid32",
	"getxattr",
	"getxattrat",
	"inotify_add_watch",
	"inotify_init",
	"inotify_init1",
	"inotify_rm_watch",
	"io_cancel",
	"ioctl",
	"io_destroy",
	"io_getevents",
	"io_pgetevents",
	"io_pgetevents_time64",
	"ioprio_get",
	"ioprio_set",
	"io_setup",
	"io_submit",
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
	"listmount",
	"listxattr",
	"listxattrat",
	"llistxattr",
	"_llseek",
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
	"mseal",
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
	"_newselect",
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
	"pselect6",
	"pselect6_time64",
	"pwrite64",
	"pwritev",
	"pwritev2",
	"read",
	"readahead",
	"readlink",
	"readlinkat",
	"readv",
	"recv",
	"recvfrom",
	"recvmmsg",
	"recvmmsg_time64",
	"recvmsg",
	"remap_file_pages",
	"removexattr",
	"removexattrat",
	"rename",
	"renameat",
	"renameat2",
	"restart_syscall",
	"riscv_hwprobe",
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
	"sched_getaffinity",
	"sched_getattr",
	"sched_getparam",
	"sched_get_priority_max",
	"sched_get_priority_min",
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
	"send",
	"sendfile",
	"sendfile64",
	"sendmmsg",
	"sendmsg",
	"sendto",
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
	"set_robust_list",
	"setsid",
	"setsockopt",
	"set_thread_area",
	"set_tid_address",
	"setuid",
	"setuid32",
	"setxattr",
	"setxattrat",
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
	"statmount",
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
	"uretprobe",
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

/* Architecture-specific helpers, by docker's GOARCH-style names. */
static const char *const ppc_calls[] = { "sync_file_range2", "swapcontext" };
static const char *const arm_calls[] = { "arm_fadvise64_64", "arm_sync_file_range",
					 "sync_file_range2", "breakpoint",
					 "cacheflush",	     "set_tls" };
static const char *const arch_prctl[] = { "arch_prctl" };
static const char *const modify_ldt[] = { "modify_ldt" };
static const char *const s390_calls[] = { "s390_pci_mmio_read", "s390_pci_mmio_write",
					  "s390_runtime_instr" };
static const char *const riscv_calls[] = { "riscv_flush_icache" };
static const char *const on_ppc[] = { "ppc64le" };
static const char *const on_arm[] = { "arm", "arm64" };
static const char *const on_amd64_x32[] = { "amd64", "x32" };
static const char *const on_x86[] = { "amd64", "x32", "x86" };
static const char *const on_s390[] = { "s390", "s390x" };
static const char *const on_riscv[] = { "riscv64" };

/* ptrace and friends: safe from kernel 4.8 on (seccomp checked after ptrace since 4.8). */
static const char *const ptrace_calls[] = { "process_vm_readv", "process_vm_writev", "ptrace" };

/* What each capability opens. */
static const char *const sys_admin[] = {
	"bpf",
	"clone",
	"clone3",
	"fanotify_init",
	"fsconfig",
	"fsmount",
	"fsopen",
	"fspick",
	"lookup_dcookie",
	"lsm_get_self_attr",
	"lsm_list_modules",
	"lsm_set_self_attr",
	"mount",
	"mount_setattr",
	"move_mount",
	"open_tree",
	"perf_event_open",
	"quotactl",
	"quotactl_fd",
	"setdomainname",
	"sethostname",
	"setns",
	"syslog",
	"umount",
	"umount2",
	"unshare",
};
static const char *const dac_read_search[] = { "open_by_handle_at" };
static const char *const sys_boot[] = { "reboot" };
static const char *const sys_chroot[] = { "chroot" };
static const char *const sys_module[] = { "delete_module", "init_module", "finit_module" };
static const char *const sys_pacct[] = { "acct" };
static const char *const sys_ptrace[] = {
	"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"
};
static const char *const sys_rawio[] = { "iopl", "ioperm" };
static const char *const sys_time[] = { "settimeofday", "stime", "clock_settime",
					"clock_settime64" };
static const char *const sys_tty_config[] = { "vhangup" };
static const char *const sys_nice[] = { "get_mempolicy", "mbind", "set_mempolicy",
					"set_mempolicy_home_node" };
static const char *const syslog_calls[] = { "syslog" };
static const char *const bpf_calls[] = { "bpf" };
static const char *const perfmon[] = { "perf_event_open" };

static const char *const socket_call[] = { "socket" };
static const char *const personality[] = { "personality" };
static const char *const clone_call[] = { "clone" };
static const char *const clone3_call[] = { "clone3" };

#define AF_ALG_	       38 /* the kernel's crypto API: a large attack surface */
#define AF_VSOCK_      40 /* reaches the hypervisor's host side */
#define AF_LAST	       45 /* AF_MCTP: AF_MAX - 1 in Linux 6.x */
/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (docker's mask). */
#define CLONE_NEW_MASK 0x7E020000ull

static const struct seccomp_arg socket_below_alg[] = { { 0, SECCOMP_OP_LT, AF_ALG_, 0 } };
static const struct seccomp_arg socket_39[] = { { 0, SECCOMP_OP_EQ, 39, 0 } };
static const struct seccomp_arg socket_41[] = { { 0, SECCOMP_OP_EQ, 41, 0 } };
static const struct seccomp_arg socket_42[] = { { 0, SECCOMP_OP_EQ, 42, 0 } };
static const struct seccomp_arg socket_43[] = { { 0, SECCOMP_OP_EQ, 43, 0 } };
static const struct seccomp_arg socket_44[] = { { 0, SECCOMP_OP_EQ, 44, 0 } };
static const struct seccomp_arg socket_45[] = { { 0, SECCOMP_OP_EQ, AF_LAST, 0 } };
_Static_assert(39 == AF_ALG_ + 1 && 41 == AF_VSOCK_ + 1, "the socket rules skip 38 and 40 only");

/* PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and 0xffffffff (a query). */
static const struct seccomp_arg pers_linux[] = { { 0, SECCOMP_OP_EQ, 0x0, 0 } };
static const struct seccomp_arg pers_linux32[] = { { 0, SECCOMP_OP_EQ, 0x8, 0 } };
static const struct seccomp_arg pers_uname26[] = { { 0, SECCOMP_OP_EQ, 0x20000, 0 } };
static const struct seccomp_arg pers_uname26_32[] = { { 0, SECCOMP_OP_EQ, 0x20008, 0 } };
static const struct seccomp_arg pers_query[] = { { 0, SECCOMP_OP_EQ, 0xffffffff, 0 } };

static const struct seccomp_arg clone_no_new[] = { { 0, SECCOMP_OP_MASKED_EQ, CLONE_NEW_MASK, 0 } };
/* s390 passes clone's flags second. */
static const struct seccomp_arg clone_no_new_s390[] = { { 1, SECCOMP_OP_MASKED_EQ, CLONE_NEW_MASK,
							  0 } };

#define ALLOW(names_, inc_)                                                                        \
	{                                                                                          \
		.names = names_, .nnames = N(names_), .action = SECCOMP_ACT_ALLOW,                 \
		.includes = inc_                                                                   \
	}
#define ALLOW_IF(names_, args_)                                                                    \
	{                                                                                          \
		.names = names_, .nnames = N(names_), .action = SECCOMP_ACT_ALLOW, .args = args_,  \
		.nargs = N(args_)                                                                  \
	}
#define ON_ARCH(names_, arches_)                                                                   \
	ALLOW(names_, ((struct seccomp_cond){ .arches = arches_, .narches = N(arches_) }))

static const struct seccomp_rule rules[] = {
	ALLOW(allowed, NONE),
	ALLOW(ptrace_calls, ((struct seccomp_cond){ .min_kernel = 4 << 16 | 8 })),
	ALLOW_IF(socket_call, socket_below_alg),
	ALLOW_IF(socket_call, socket_39),
	ALLOW_IF(socket_call, socket_41),
	ALLOW_IF(socket_call, socket_42),
	ALLOW_IF(socket_call, socket_43),
	ALLOW_IF(socket_call, socket_44),
	ALLOW_IF(socket_call, socket_45),
	ALLOW_IF(personality, pers_linux),
	ALLOW_IF(personality, pers_linux32),
	ALLOW_IF(personality, pers_uname26),
	ALLOW_IF(personality, pers_uname26_32),
	ALLOW_IF(personality, pers_query),
	ON_ARCH(ppc_calls, on_ppc),
	ON_ARCH(arm_calls, on_arm),
	ON_ARCH(arch_prctl, on_amd64_x32),
	ON_ARCH(modify_ldt, on_x86),
	ON_ARCH(s390_calls, on_s390),
	ON_ARCH(riscv_calls, on_riscv),
	ALLOW(dac_read_search, CAP(DAC_READ_SEARCH)),
	ALLOW(sys_admin, CAP(SYS_ADMIN)),
	{
		.names = clone_call,
		.nnames = 1,
		.action = SECCOMP_ACT_ALLOW,
		.args = clone_no_new,
		.nargs = 1,
		.excludes = { .caps = 1ull << SYS_ADMIN, .arches = on_s390, .narches = 2 },
	},
	{
		.names = clone_call,
		.nnames = 1,
		.action = SECCOMP_ACT_ALLOW,
		.args = clone_no_new_s390,
		.nargs = 1,
		.includes = { .arches = on_s390, .narches = 2 },
		.excludes = { .caps = 1ull << SYS_ADMIN },
	},
	/* ENOSYS, not EPERM: glibc and musl then fall back to clone, which the rule above
	 * checks (clone3's flags live in memory, where seccomp cannot look). */
	{
		.names = clone3_call,
		.nnames = 1,
		.action = SECCOMP_ACT_ERRNO,
		.errno_set = true,
		.errno_ret = 38,
		.excludes = { .caps = 1ull << SYS_ADMIN },
	},
	ALLOW(sys_boot, CAP(SYS_BOOT)),
	ALLOW(sys_chroot, CAP(SYS_CHROOT)),
	ALLOW(sys_module, CAP(SYS_MODULE)),
	ALLOW(sys_pacct, CAP(SYS_PACCT)),
	ALLOW(sys_ptrace, CAP(SYS_PTRACE)),
	ALLOW(sys_rawio, CAP(SYS_RAWIO)),
	ALLOW(sys_time, CAP(SYS_TIME)),
	ALLOW(sys_tty_config, CAP(SYS_TTY_CONFIG)),
	ALLOW(sys_nice, CAP(SYS_NICE)),
	ALLOW(syslog_calls, CAP(SYSLOG)),
	ALLOW(bpf_calls, CAP(BPF)),
	ALLOW(perfmon, CAP(PERFMON)),
};

static const struct seccomp_archmap archmap[] = {
	{ SECCOMP_ARCH_X86_64, 1u << SECCOMP_ARCH_X86 | 1u << SECCOMP_ARCH_X32 },
	{ SECCOMP_ARCH_AARCH64, 1u << SECCOMP_ARCH_ARM },
	{ SECCOMP_ARCH_MIPS64, 1u << SECCOMP_ARCH_MIPS | 1u << SECCOMP_ARCH_MIPS64N32 },
	{ SECCOMP_ARCH_MIPS64N32, 1u << SECCOMP_ARCH_MIPS | 1u << SECCOMP_ARCH_MIPS64 },
	{ SECCOMP_ARCH_MIPSEL64, 1u << SECCOMP_ARCH_MIPSEL | 1u << SECCOMP_ARCH_MIPSEL64N32 },
	{ SECCOMP_ARCH_MIPSEL64N32, 1u << SECCOMP_ARCH_MIPSEL | 1u << SECCOMP_ARCH_MIPSEL64 },
	{ SECCOMP_ARCH_S390X, 1u << SECCOMP_ARCH_S390 },
	{ SECCOMP_ARCH_RISCV64, 0 },
	{ SECCOMP_ARCH_LOONGARCH64, 0 },
};

static const struct seccomp_profile builtin = {
	.default_action = SECCOMP_ACT_ERRNO,
	.default_errno_set = true,
	.default_errno = 1, /* EPERM */
	.archmap = archmap,
	.narchmap = N(archmap),
	.rules = rules,
	.nrules = N(rules),
};

const struct seccomp_profile *seccomp_default_profile(void)
{
	return &builtin;
}
