/*
 * daemon: `kettle daemon` — its option table (flags, help and completion: src/cli), startup,
 * signals, detach and shutdown (role, layer 3; the top of the daemon, called only by
 * kettle.c). Startup: open (create) the 0700 root, take
 * <root>/daemon.lock (a second daemon refuses, naming the holder's pid), ensure auth.token,
 * rebuild the registry (re-adopting live shims), bind a fresh abstract name recorded in
 * daemon.addr, serve. With -d the process forks FIRST and the child does all that, so lock,
 * socket and daemon.addr carry the child's pid; the parent waits on a pipe for the child's
 * ready byte (or error text), so `kettle daemon -d && kettle ps` never races. SIGTERM and
 * SIGINT stop serving; shims and containers keep running. As PID 1 (an appliance's first
 * process, or a pid namespace's init) it is an init: it reaps every orphan, and SIGTERM,
 * SIGINT and SIGPWR stop every container (daemon_shutdown.c), sync, and end the process
 * (or power the machine off). --boot mounts what a minimal root lacks first and runs the
 * --containers file once serving (daemon_boot.c). Client frames go to daemon_api.c, shim
 * events to daemon_watch.c's callbacks. The daemon never blocks in its loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/daemon_adopt.h"
#include "daemon/daemon_api.h"
#include "daemon/daemon_boot.h"
#include "daemon/daemon_events.h"
#include "daemon/daemon_net.h"
#include "daemon/daemon_images.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_seccomp.h"
#include "daemon/daemon_shutdown.h"
#include "daemon/daemon_watch.h"
#include "base/fd.h"
#include "base/log.h"
#include "boot/bootmount.h"
#include "cdi/cdi.h"
#include "cli/cli.h"
#include "image/layer.h"
#include "logs/logfile.h"
#include "net/bridge.h"
#include "net/ip4.h"
#include "runtime/proc.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "base/str.h"

#define DAEMON_LOG	 "daemon.log"
#define READY_BYTE	 'R' /* the child is serving */
#define FAILED_BYTE	 'E' /* the child failed; its message follows */
#define EXIT_REFUSED	 1   /* startup failure (lock held, bad root, …) */
#define EXIT_USAGE	 125 /* bad flags */
/* CLOSE_RANGE_CLOEXEC from linux/close_range.h, which musl's headers do not ship. */
#define FDS_CLOEXEC_ONLY (1u << 2)

enum {
	OPT_ROOT = CLI_HELP + 1,
	OPT_RUNTIME,
	OPT_LOG_LEVEL,
	OPT_DETACH,
	OPT_RESTART_DELAY,
	OPT_RESTART_MAX_DELAY,
	OPT_RESTART_RESET,
	OPT_LOG_MAX_SIZE,
	OPT_LOG_MAX_FILES,
	OPT_RUNTIME_TIMEOUT,
	OPT_SECCOMP_PROFILE,
	OPT_CDI_SPEC_DIR,
	OPT_BOOT,
	OPT_CONTAINERS,
	OPT_LOAD,
	OPT_DEFAULT_NETWORK,
	OPT_BRIDGE_SUBNET,
	OPT_STORAGE_DRIVER,
	OPT_MAX_LAYER_SIZE,
};

/* In the order of the help and of the usage line a misuse prints. */
static const struct cli_opt daemon_opts[] CLI_TABLE = {
	CLI_OPT(OPT_ROOT, 0, CLI_DIR, 0, "root", "DIR",
		"State root (default $KETTLE_ROOT, else " STORE_DEFAULT_ROOT ")"),
	CLI_OPT(OPT_RUNTIME, 0, CLI_FILE, 0, "runtime", "PATH",
		"OCI runtime for containers that name none (default " RUNTIME_DEFAULT ")"),
	CLI_OPT(OPT_LOG_LEVEL, 0, CLI_STRING, 0, "log-level", "LEVEL",
		"error, warn, info (default) or debug"),
	CLI_OPT(OPT_DETACH, 'd', CLI_FLAG, 0, "detach", "",
		"Run in the background once ready; logs go to <root>/" DAEMON_LOG),
	CLI_OPT(OPT_RESTART_DELAY, 0, CLI_DURATION, 0, "restart-delay", "D",
		"Default crash-loop backoff of containers created from now on: first restart "
		"at once, then D (10s), doubling..."),
	CLI_OPT(OPT_RESTART_MAX_DELAY, 0, CLI_DURATION, 0, "restart-max-delay", "D",
		"...up to D (5m)..."),
	CLI_OPT(OPT_RESTART_RESET, 0, CLI_DURATION, 0, "restart-reset", "D",
		"...until a run lasts D (10m); the kubelet's numbers"),
	CLI_OPT(OPT_LOG_MAX_SIZE, 0, CLI_SIZE, 0, "log-max-size", "SIZE",
		"Default size at which a container's ctr.log rotates (10m)"),
	CLI_OPT(OPT_LOG_MAX_FILES, 0, CLI_NUMBER, 0, "log-max-files", "N",
		"Default number of log files kept, ctr.log included (3)"),
	CLI_OPT(OPT_RUNTIME_TIMEOUT, 0, CLI_DURATION, 0, "runtime-timeout", "D",
		"A runtime (runc) call still running after D is killed and fails (30s; 1ms to "
		"1h)"),
	CLI_OPT(OPT_SECCOMP_PROFILE, 0, CLI_FILE, 0, "seccomp-profile", "PATH|unconfined",
		"Seccomp profile of containers created without --security-opt seccomp=: builtin "
		"(the default, docker's in effect), unconfined, or a profile file in docker's JSON "
		"format, checked now"),
	CLI_OPT(OPT_CDI_SPEC_DIR, 0, CLI_DIR, CLI_REPEAT, "cdi-spec-dir", "DIR",
		"A directory of CDI device specs, each use adding one; a later one wins for a "
		"device both define (default " CDI_DEFAULT_DIR_ETC " then " CDI_DEFAULT_DIR_RUN
		")"),
	CLI_OPT(OPT_BOOT, 0, CLI_FLAG, 0, "boot", "",
		"The system just booted: mount /proc, /sys, /sys/fs/cgroup, /dev, /run and /tmp "
		"where missing; containers on disk are from the last boot (always and "
		"unless-stopped ones come back)"),
	CLI_OPT(OPT_CONTAINERS, 0, CLI_FILE, 0, "containers", "FILE",
		"With --boot: run `kettle run -d LINE` for each line of FILE, in order, once "
		"serving (quoted like a shell's words, nothing expanded)"),
	CLI_OPT(OPT_LOAD, 0, CLI_DIR, 0, "load", "DIR",
		"With --boot: `kettle load` each regular file of DIR (image archives), in name "
		"order, once serving and before the containers file"),
	CLI_OPT(OPT_DEFAULT_NETWORK, 0, CLI_CHOICE, 0, "default-network", "bridge|none",
		"Network of containers run without --network (default bridge: " BRIDGE_NAME
		", set up when first needed)"),
	CLI_OPT(OPT_BRIDGE_SUBNET, 0, CLI_STRING, 0, "bridge-subnet", "CIDR",
		"Subnet of " BRIDGE_NAME " (default: 10.88.0.0/16, or the next /16 that no route "
		"of the host overlaps)"),
	CLI_OPT(OPT_STORAGE_DRIVER, 0, CLI_CHOICE, 0, "storage-driver", "overlay|vfs",
		"Root filesystems of containers made from images: an overlay of the image's "
		"layers (default when the kernel has overlayfs), or vfs, a private copy"),
	CLI_OPT(OPT_MAX_LAYER_SIZE, 0, CLI_SIZE, 0, "max-layer-size", "SIZE",
		"A loaded image's layer that unpacks to more than SIZE is refused (64g)"),
};

const struct cli_cmd daemon_cmd CLI_TABLE = {
	.name = "daemon",
	.summary = "Run the kettle daemon (one per state root)",
	.synopsis = "kettle daemon [OPTIONS]",
	.description = "Run the kettle daemon: one per state root. It serves the client "
		       "commands, spawns one shim per container and re-adopts live shims when "
		       "it starts again. Containers keep running when it stops, except when it "
		       "is PID 1: then it reaps every orphan, and SIGTERM, SIGINT or SIGPWR "
		       "stop every container (each with its stop signal and timeout) before it "
		       "exits.",
	.opts = daemon_opts,
	.nopts = CLI_COUNT(daemon_opts),
	/* getopt_long without "+" took options after an argument too */
	.flags = CLI_INTERLEAVE,
};

struct daemon_args {
	const char *root;		/* --root, or NULL */
	const char *runtime;		/* --runtime, or NULL */
	const char *level;		/* --log-level name */
	enum log_level lvl;		/* parsed level */
	bool detach;			/* -d */
	struct restart_backoff backoff; /* --restart-delay, --restart-max-delay, --restart-reset */
	uint64_t log_max_size;		/* --log-max-size, bytes */
	uint32_t log_max_files;		/* --log-max-files */
	uint64_t runtime_timeout_ms;	/* --runtime-timeout, ms */
	char *seccomp_profile;		/* --seccomp-profile: builtin, unconfined or an absolute
					   path (owned), or NULL */
	const char *cdi_dirs[CDI_DIRS_MAX]; /* --cdi-spec-dir values (borrowed from argv) */
	size_t ncdi_dirs;		    /* entries of cdi_dirs; 0: the defaults */
	bool boot;			    /* --boot */
	const char *containers;		    /* --containers FILE, or NULL */
	const char *load;		    /* --load DIR, or NULL */
	struct daemon_net_opts net;	    /* --default-network, --bridge-subnet */
	const char *storage;		    /* --storage-driver, or NULL: overlay when available */
	uint64_t max_layer_size;	    /* --max-layer-size, bytes */
};

/* A backoff duration of option o: 1 ms to 1 day. Returns 0, or -1 once printed. */
static int backoff_flag(const struct cli_opt *o, const char *val, uint64_t *ms)
{
	const char *name;
	int n = (int)cli_opt_text(o, CLI_LONG, &name);
	struct kerr err;

	if (str_parse_duration_ms(val, ms, &err) < 0) {
		cli_misuse_write(stderr, &daemon_cmd, "--%.*s: %s", n, name, err.msg);
		return -1;
	}
	if (*ms == 0 || *ms > RESTART_DURATION_MAX) {
		cli_misuse_write(stderr, &daemon_cmd,
				 "--%.*s `%s` is out of range, expected 1ms to 24h", n, name, val);
		return -1;
	}
	return 0;
}

/* The value of option id into a. Returns 0, or -1 once printed. */
static int take_value(struct daemon_args *a, const struct cli_opt *o, int id, char *val)
{
	struct kerr err;
	uint64_t n;

	switch (id) {
	case OPT_ROOT:
		a->root = val;
		return 0;
	case OPT_RUNTIME:
		a->runtime = val;
		return 0;
	case OPT_LOG_LEVEL:
		a->level = val;
		if (log_parse_level(val, &a->lvl))
			return 0;
		cli_misuse_write(stderr, &daemon_cmd,
				 "--log-level `%s` is unknown, expected error, warn, info or debug",
				 val);
		return -1;
	case OPT_DETACH:
		a->detach = true;
		return 0;
	case OPT_BOOT:
		a->boot = true;
		return 0;
	case OPT_CONTAINERS:
		a->containers = val;
		return 0;
	case OPT_LOAD:
		a->load = val;
		return 0;
	case OPT_RESTART_DELAY:
		return backoff_flag(o, val, &a->backoff.base_ms);
	case OPT_RESTART_MAX_DELAY:
		return backoff_flag(o, val, &a->backoff.max_ms);
	case OPT_RESTART_RESET:
		return backoff_flag(o, val, &a->backoff.reset_ms);
	case OPT_RUNTIME_TIMEOUT:
		if (str_parse_duration_ms(val, &a->runtime_timeout_ms, &err) == 0 &&
		    a->runtime_timeout_ms > 0 && a->runtime_timeout_ms <= RUNTIME_TIMEOUT_MAX_MS)
			return 0;
		cli_misuse_write(stderr, &daemon_cmd,
				 "--runtime-timeout `%s` is out of range, expected 1ms to 1h", val);
		return -1;
	case OPT_SECCOMP_PROFILE:
		free(a->seccomp_profile);
		/* Absolute now: -d changes directory before the file is read. */
		if (strcmp(val, "builtin") == 0 || strcmp(val, "unconfined") == 0)
			a->seccomp_profile = strdup(val);
		else
			a->seccomp_profile = val[0] ? realpath(val, NULL) : NULL;
		if (a->seccomp_profile)
			return 0;
		cli_misuse_write(stderr, &daemon_cmd, "--seccomp-profile `%s`: %s", val,
				 val[0] ? strerror(errno) : "empty, expected a file");
		return -1;
	case OPT_CDI_SPEC_DIR:
		if (val[0] != '/') {
			cli_misuse_write(stderr, &daemon_cmd,
					 "--cdi-spec-dir `%s` is not an absolute path", val);
			return -1;
		}
		if (a->ncdi_dirs == CDI_DIRS_MAX) {
			cli_misuse_write(stderr, &daemon_cmd,
					 "--cdi-spec-dir given more than %d times", CDI_DIRS_MAX);
			return -1;
		}
		a->cdi_dirs[a->ncdi_dirs++] = val;
		return 0;
	case OPT_DEFAULT_NETWORK:
		if (strcmp(val, "bridge") == 0 || strcmp(val, "none") == 0) {
			a->net.default_network =
				val[0] == 'b' ? RECORD_NET_BRIDGE : RECORD_NET_NONE;
			return 0;
		}
		cli_misuse_write(stderr, &daemon_cmd,
				 "--default-network `%s` is unknown, expected bridge or none", val);
		return -1;
	case OPT_BRIDGE_SUBNET:
		if (ip4_parse_net(val, &a->net.subnet, &err) == 0 && a->net.subnet.prefix >= 8 &&
		    a->net.subnet.prefix <= 30)
			return 0;
		cli_misuse_write(stderr, &daemon_cmd,
				 "--bridge-subnet `%s` is not an IPv4 network A.B.C.D/N with N in "
				 "8..30",
				 val);
		return -1;
	case OPT_LOG_MAX_SIZE:
		if (str_parse_size(val, &a->log_max_size, &err) == 0 &&
		    a->log_max_size >= LOGFILE_MIN_SIZE && a->log_max_size <= LOGFILE_MAX_SIZE)
			return 0;
		cli_misuse_write(stderr, &daemon_cmd,
				 "--log-max-size `%s` is out of range, expected 1k to 1t", val);
		return -1;
	case OPT_STORAGE_DRIVER:
		if (strcmp(val, "overlay") == 0 || strcmp(val, "vfs") == 0) {
			a->storage = val;
			return 0;
		}
		cli_misuse_write(stderr, &daemon_cmd,
				 "--storage-driver `%s` is unknown, expected overlay or vfs", val);
		return -1;
	case OPT_MAX_LAYER_SIZE:
		if (str_parse_size(val, &a->max_layer_size, &err) == 0 && a->max_layer_size > 0)
			return 0;
		cli_misuse_write(stderr, &daemon_cmd,
				 "--max-layer-size `%s` is not a size, expected e.g. 512m or 64g",
				 val);
		return -1;
	default: /* OPT_LOG_MAX_FILES */
		if (str_to_u64(val, LOGFILE_MAX_FILES, &n, &err) == 0 && n > 0) {
			a->log_max_files = (uint32_t)n;
			return 0;
		}
		cli_misuse_write(stderr, &daemon_cmd,
				 "--log-max-files `%s` is out of range, expected 1..100", val);
		return -1;
	}
}

/* Returns -1 to go on, or the exit code (0 after --help). */
static int parse_args(int argc, char **argv, struct daemon_args *a)
{
	struct cli_parser p;
	struct kerr err;
	int id;

	*a = (struct daemon_args){
		.level = "info",
		.lvl = LOG_LVL_INFO,
		.backoff = { RESTART_DELAY_MS, RESTART_MAX_DELAY_MS, RESTART_RESET_MS },
		.log_max_size = LOGFILE_DEFAULT_MAX_SIZE,
		.log_max_files = LOGFILE_DEFAULT_MAX_FILES,
		.runtime_timeout_ms = RUNTIME_TIMEOUT_MS,
		.net = { .default_network = RECORD_NET_BRIDGE },
		.max_layer_size = LAYER_MAX_SIZE_DEFAULT,
	};
	cli_parse_init(&p, &daemon_cmd, argc, argv);
	while ((id = cli_parse_next(&p, &err)) > 0) {
		if (id == CLI_HELP) {
			cli_help_write(&daemon_cmd, stdout);
			return 0;
		}
		if (take_value(a, p.opt, id, p.val) < 0)
			return EXIT_USAGE;
	}
	/* The argv word, as the getopt loop before the table quoted it. */
	if (id < 0)
		cli_misuse_write(stderr, &daemon_cmd,
				 p.opt && p.opt->kind != CLI_FLAG ? "option `%s` needs a value"
								  : "unknown option `%s`",
				 p.word);
	else if (cli_check_args(&daemon_cmd, p.nargs, p.args, &err) < 0)
		cli_misuse_write(stderr, &daemon_cmd, "%s", err.msg);
	else if (a->root && !a->root[0])
		cli_misuse_write(stderr, &daemon_cmd, "--root is empty, expected a directory");
	else if (a->containers && !a->boot)
		cli_misuse_write(stderr, &daemon_cmd, "--containers needs --boot");
	else if (a->load && !a->boot)
		cli_misuse_write(stderr, &daemon_cmd, "--load needs --boot");
	else if (a->detach && getpid() == 1)
		cli_misuse_write(stderr, &daemon_cmd,
				 "-d: the daemon is PID 1, the system's init: it cannot detach");
	else
		return -1;
	return EXIT_USAGE;
}

/* ---- signals and client connections ---- */

static void on_stop_signal(struct loop *l, const struct signalfd_siginfo *si, void *data)
{
	struct daemon *d = data;

	log_info("received %s: stopping (containers keep running)",
		 proc_signal_name((int)si->ssi_signo));
	d->stopping = true;
	loop_stop(l);
}

/* As PID 1: the machine (or the pid namespace) is going down. */
static void on_shutdown_signal(struct loop *l, const struct signalfd_siginfo *si, void *data)
{
	struct daemon *d = data;

	(void)l;
	if (!d->shutdown_signal)
		d->shutdown_signal = (int)si->ssi_signo;
	daemon_shutdown_begin(d, (int)si->ssi_signo);
}

static void on_sigchld(struct loop *l, const struct signalfd_siginfo *si, void *data)
{
	struct daemon *d = data;
	pid_t pid;
	int status;

	(void)l;
	(void)si;
	/*
	 * Signals coalesce: drain every child that has exited. Ours are runtime delete
	 * helpers and the containers file's clients; as PID 1 also every orphan of the
	 * system (a shim that was never our child included: its pidfd still reports its
	 * death after this reap). Only the file's clients are waited for by pid.
	 */
	while (proc_reap_any(&pid, &status) == 1) {
		if (daemon_boot_reaped(d, pid, status))
			continue;
		log_debug("reaped pid %d (exit code %d)", (int)pid, proc_exit_code(status));
	}
}

static void before_sleep(struct loop *l, void *data)
{
	struct daemon *d = data;

	if (d->shutting_down && daemon_shutdown_poll(d))
		loop_stop(l);
}

static void client_on_frame(struct rpc_conn *conn, const struct wire_frame *f, void *data)
{
	struct daemon *d = data;

	if (d->stopping) {
		rpc_conn_send_error(conn, f->reqid, DAEMON_FAIL_CODE,
				    "the daemon is shutting down");
		return;
	}
	daemon_api_frame(d, conn, f);
}

static void client_on_close(struct rpc_conn *conn, const struct kerr *why, void *data)
{
	(void)data;
	if (why->code != 0)
		log_debug("client pid %d: %s", (int)rpc_conn_peer_pid(conn), why->msg);
}

static const struct rpc_conn_ops client_ops = {
	.on_frame = client_on_frame,
	.on_close = client_on_close,
};

/* ---- startup ---- */

/* Many shims and clients at once: use the whole hard limit of descriptors. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int open_root(struct daemon *d, const struct daemon_args *a, struct kerr *err)
{
	const char *path = store_root_path(a->root);

	if (store_open_root(path, true, &d->rootfd, err) < 0)
		return -1;
	/* Absolute, so shims and runc find it whatever their working directory. */
	if (!realpath(path, d->root))
		return kerr_set(err, errno, "resolve state root `%s`", path);
	if (snprintf(d->runc_root, sizeof(d->runc_root), "%s/" STORE_RUNC_ROOT, d->root) >=
	    (int)sizeof(d->runc_root))
		return kerr_set(err, ENAMETOOLONG, "state root `%s`", d->root);
	return 0;
}

static int take_lock(struct daemon *d, struct kerr *err)
{
	struct kerr perr;
	pid_t holder = 0;

	if (ipc_lock_take(d->rootfd, STORE_DAEMON_LOCK, &d->lockfd, err) == 0)
		return 0;
	if (err->code != EWOULDBLOCK)
		return -1;
	if (ipc_lock_probe(d->rootfd, STORE_DAEMON_LOCK, &holder, &perr) == 1 && holder > 0)
		return kerr_set(err, 0, "another daemon holds %s/" STORE_DAEMON_LOCK " (pid %d)",
				d->root, (int)holder);
	return kerr_set(err, 0, "another daemon holds %s/" STORE_DAEMON_LOCK, d->root);
}

static int check_runtime(struct daemon *d, const struct daemon_args *a, struct kerr *err)
{
	struct runtime rt;

	str_copy(d->runtime, sizeof(d->runtime), a->runtime ? a->runtime : RUNTIME_DEFAULT);
	if (runtime_init(&rt, d->runtime, d->runc_root, "/dev/null", err) == 0) {
		str_copy(d->runtime_path, sizeof(d->runtime_path), rt.path);
		return 0;
	}
	if (a->runtime)
		return kerr_wrap(err, "--runtime");
	/* Only the default: containers may still name a runtime of their own. */
	log_warn("%s: containers that name no runtime will fail to create", err->msg);
	return 0;
}

/* ---- the end of an init ---- */

/* The inode of the machine's own pid namespace: a constant of the kernel's ABI
 * (PROC_PID_INIT_INO, include/linux/proc_ns.h), the same in every pid namespace's /proc. */
#define PID_NS_INIT_INO 0xEFFFFFFCu

/* Whether we run in the machine's own pid namespace (so as PID 1, its init). Unknown (no
 * /proc) counts as no. */
static bool host_init(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == PID_NS_INIT_INO;
}

/*
 * The init of a pid namespace just returns (its namespace ends with it). The machine's own
 * init must not: the kernel panics when it exits. It powers off instead, or reboots after
 * SIGINT (ctrl-alt-del, which the kernel sends as SIGINT once RB_DISABLE_CAD is set).
 */
static void init_end(int sig)
{
	if (!host_init())
		return;
	log_info("%s", sig == SIGINT ? "rebooting" : "powering off");
	(void)reboot(sig == SIGINT ? RB_AUTOBOOT : RB_POWER_OFF);
	log_error("reboot(2) failed: %s", strerror(errno));
}

/* --boot, before anything else: what a minimal root lacks, and a PATH for runc. Each
 * mount that fails is reported and the rest go on (the daemon must come up). */
static void boot_mounts(void)
{
	size_t n;
	const struct bootmount *t = bootmount_table(&n);
	struct kerr err;

	for (size_t i = 0; i < n; i++) {
		int r = bootmount_ensure(&t[i], &err);

		if (r < 0)
			log_error("%s", err.msg);
		else if (r > 0)
			log_info("mounted %s on %s", t[i].fstype, t[i].target);
	}
	/* A kernel starts init with no PATH; runc is found through it. */
	if (!getenv("PATH"))
		(void)setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			     0);
}

static int add_signals(struct daemon *d, struct kerr *err)
{
	static const int stops[] = { SIGTERM, SIGINT, SIGPWR };

	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		/* SIGPWR means nothing to a daemon that is not the init. */
		if (!d->init && stops[i] == SIGPWR)
			continue;
		if (loop_add_signal(d->loop, stops[i],
				    d->init ? on_shutdown_signal : on_stop_signal, d, err) < 0)
			return -1;
	}
	return loop_add_signal(d->loop, SIGCHLD, on_sigchld, d, err);
}

/* Everything up to serving. On failure err says why and the caller exits 1. */
static int start(struct daemon *d, const struct daemon_args *a, int *logfd, struct kerr *err)
{
	char name[IPC_NAME_MAX];
	int lfd;

	if (a->boot)
		boot_mounts();
	/* ctrl-alt-del becomes SIGINT to the machine's init instead of an instant reboot. */
	if (d->init && host_init())
		(void)reboot(RB_DISABLE_CAD);
	if (open_root(d, a, err) < 0)
		return -1;
	if (take_lock(d, err) < 0)
		return -1;
	/* After the lock: a refused daemon must not write into the running one's log. */
	if (a->detach) {
		*logfd = openat(d->rootfd, DAEMON_LOG,
				O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (*logfd < 0)
			return kerr_set(err, errno, "open %s/" DAEMON_LOG, d->root);
		log_setup("kettled", a->lvl, *logfd);
	}
	if (ipc_token_ensure(d->rootfd, d->token, err) < 0)
		return -1;
	if (check_runtime(d, a, err) < 0)
		return -1;
	if (daemon_seccomp_setup(d, a->seccomp_profile, err) < 0)
		return -1;
	d->loop = loop_new(err);
	if (!d->loop)
		return -1;
	if (add_signals(d, err) < 0)
		return -1;
	loop_set_before_sleep(d->loop, before_sleep, d);
	d->restart_defaults = a->backoff;
	d->log_max_size = a->log_max_size;
	d->log_max_files = a->log_max_files;
	d->runtime_timeout_ms = a->runtime_timeout_ms;
	/* CDI's defaults, /var/run/cdi (generated specs) winning over /etc/cdi (static). */
	d->ncdi_dirs = a->ncdi_dirs ? a->ncdi_dirs : 2;
	for (size_t i = 0; i < a->ncdi_dirs; i++)
		d->cdi_dirs[i] = a->cdi_dirs[i];
	if (!a->ncdi_dirs) {
		d->cdi_dirs[0] = CDI_DEFAULT_DIR_ETC;
		d->cdi_dirs[1] = CDI_DEFAULT_DIR_RUN;
	}
	if (daemon_events_init(d, err) < 0)
		return -1;
	daemon_watch_init(d);
	if (daemon_net_init(d, &a->net, err) < 0)
		return -1;
	d->adopting = true;
	int rc = daemon_adopt_load(d, err);
	d->adopting = false;
	if (rc < 0)
		return -1;
	daemon_net_adopt(d);
	/* After the containers: the first collection must see which layers they use. */
	if (daemon_images_open(d, a->storage, a->max_layer_size, err) < 0)
		return kerr_wrap(err, "open the image store");
	if (ipc_listen(d->rootfd, STORE_DAEMON_ADDR, name, &lfd, err) < 0)
		return -1;
	d->server = rpc_server_new(d->loop, lfd, d->token, geteuid(), &client_ops, d, err);
	if (!d->server)
		return -1;
	log_info("serving %s on @%s with %zu containers (pid %d%s)", d->root, name, d->nctrs,
		 (int)getpid(), d->init ? ", the init" : "");
	/* Once serving: each line's client connects to us. A file that cannot be read is
	 * reported, never fatal (an init must come up all the same). */
	struct kerr berr;
	if ((a->containers || a->load) && daemon_boot_start(d, a->containers, a->load, &berr) < 0)
		log_error("%s", berr.msg);
	return 0;
}

static void stop(struct daemon *d)
{
	daemon_boot_free(d);
	/* END frames first, while the subscribers' connections are still there. */
	daemon_events_free(d);
	d->server = rpc_server_free(d->server);
	daemon_registry_free(d);
	daemon_net_free(d);
	daemon_images_free(d);
	/* Only while we hold the lock: the address is ours, and clients fail fast without. */
	if (d->lockfd >= 0 && d->rootfd >= 0)
		(void)unlinkat(d->rootfd, STORE_DAEMON_ADDR, 0);
	d->loop = loop_free(d->loop);
	daemon_seccomp_free(d);
	d->lockfd = fd_close(d->lockfd);
	d->rootfd = fd_close(d->rootfd);
}

/* ---- detach ---- */

/*
 * Descriptors inherited from whoever started us must reach neither shims nor runc (a
 * test harness's pipe held open by every container would never see EOF): mark them
 * CLOEXEC, and with -d close them outright, keeping only `keep`.
 */
static void drop_inherited_fds(bool close_them, int keep)
{
	unsigned flags = close_them ? 0 : FDS_CLOEXEC_ONLY;

	if (keep < 3) {
		(void)syscall(SYS_close_range, 3u, ~0u, flags);
		return;
	}
	if (keep > 3)
		(void)syscall(SYS_close_range, 3u, (unsigned)keep - 1, flags);
	(void)syscall(SYS_close_range, (unsigned)keep + 1, ~0u, flags);
}

/* Parent side of -d: waits for the child's verdict. Prints nothing on success. */
static int wait_ready(int rfd)
{
	char msg[KERR_MSG_MAX + 2];
	size_t got = 0;
	struct kerr err;

	if (fd_read_full(rfd, msg, sizeof(msg) - 1, &got, &err) < 0) {
		fprintf(stderr, "kettle daemon: %s\n", err.msg);
		return EXIT_REFUSED;
	}
	if (got >= 1 && msg[0] == READY_BYTE)
		return 0;
	if (got >= 1 && msg[0] == FAILED_BYTE) {
		msg[got] = '\0';
		fprintf(stderr, "kettle daemon: %s\n", msg + 1);
		return EXIT_REFUSED;
	}
	fprintf(stderr, "kettle daemon: the daemon exited before it was ready\n");
	return EXIT_REFUSED;
}

static void report(int fd, char what, const char *msg)
{
	char out[KERR_MSG_MAX + 2];
	size_t n = 0;
	struct kerr err;

	out[n++] = what;
	if (msg) {
		size_t m = strnlen(msg, KERR_MSG_MAX);

		memcpy(out + n, msg, m);
		n += m;
	}
	(void)fd_write_full(fd, out, n, &err);
}

/* The child of -d, once serving: no terminal, stdio on /dev/null, cwd "/". */
static int detach_child(int notify_fd, struct kerr *err)
{
	_cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return kerr_set(err, errno, "open /dev/null");
	for (int i = 0; i < 3; i++)
		if (dup3(null, i, O_CLOEXEC) < 0)
			return kerr_set(err, errno, "redirect fd %d to /dev/null", i);
	if (chdir("/") < 0)
		return kerr_set(err, errno, "chdir /");
	report(notify_fd, READY_BYTE, NULL);
	return 0;
}

int daemon_main(int argc, char **argv)
{
	struct daemon_args a;
	struct daemon d = { .rootfd = -1, .lockfd = -1 };
	struct kerr err;
	int rc = parse_args(argc, argv, &a);
	_cleanup_close_ int logfd = -1;
	_cleanup_close_ int notify = -1;

	if (rc >= 0) {
		free(a.seccomp_profile);
		return rc;
	}
	d.log_level = a.level;
	d.init = getpid() == 1;
	d.boot = a.boot;
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a file size limit fails a write (EFBIG), never the daemon */
	raise_nofile();
	log_setup("kettled", a.lvl, STDERR_FILENO);
	drop_inherited_fds(false, -1);
	if (a.detach) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0) {
			fprintf(stderr, "kettle daemon: create a pipe: %s\n", strerror(errno));
			return EXIT_REFUSED;
		}
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "kettle daemon: fork: %s\n", strerror(errno));
			fd_close(p[0]);
			fd_close(p[1]);
			return EXIT_REFUSED;
		}
		if (pid > 0) {
			free(a.seccomp_profile);
			fd_close(p[1]);
			rc = wait_ready(p[0]);
			fd_close(p[0]);
			return rc;
		}
		fd_close(p[0]);
		notify = p[1];
		drop_inherited_fds(true, notify);
		if (setsid() < 0) {
			report(notify, FAILED_BYTE, "setsid failed");
			return EXIT_REFUSED;
		}
	}
	rc = start(&d, &a, &logfd, &err);
	free(a.seccomp_profile);
	if (rc < 0) {
		if (a.detach) {
			report(notify, FAILED_BYTE, err.msg);
			if (logfd >= 0)
				log_error("%s", err.msg);
		} else {
			fprintf(stderr, "kettle daemon: %s\n", err.msg);
		}
		stop(&d);
		return EXIT_REFUSED;
	}
	if (a.detach) {
		if (detach_child(notify, &err) < 0) {
			report(notify, FAILED_BYTE, err.msg);
			stop(&d);
			return EXIT_REFUSED;
		}
		notify = fd_close(notify);
	}
	rc = 0;
	if (loop_run(d.loop, &err) < 0) {
		log_error("event loop failed: %s", err.msg);
		rc = EXIT_REFUSED;
	}
	stop(&d);
	if (!d.init) {
		log_info("stopped");
		return rc;
	}
	/* Every log the shims wrote reaches the disk before the machine goes. */
	sync();
	log_info("stopped every container and synced");
	init_end(d.shutdown_signal);
	return rc;
}
