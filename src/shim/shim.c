/*
 * shim: `kettle shim`, one supervisor per container (role layer, top band), and its option
 * table (src/cli parses it and writes its help).
 *
 * Started by the daemon as /proc/self/exe with argv[0] "kettle-shim" and a "ready" pipe
 * on fd 3, never by a person. Startup: arguments, the container's lock, a fresh abstract
 * name recorded in shim.addr, PR_SET_CHILD_SUBREAPER, the stdio pipes, `runc create`; the
 * result goes back on fd 3 as exactly one frame. Then one loop serves the RPC
 * (shim_rpc.c) and the lifecycle (shim_supervise.c) until the container is gone; the
 * shim exits once every reply is flushed (at most SHIM_FLUSH_MS). Invariants: nothing
 * blocks; SIGTERM and SIGINT are ignored (only SHIM_DELETE/SHIM_SHUTDOWN end a shim);
 * errors go to shim.log. Nothing in the role calls this file but kettle.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/log.h"
#include "base/str.h"
#include "cli/cli.h"
#include "shim/shim.h"
#include "shim/shim_call.h"
#include "shim/shim_exec.h"
#include "shim/shim_health.h"
#include "shim/shim_input.h"
#include "shim/shim_io.h"
#include "shim/shim_ports.h"
#include "shim/shim_reply.h"
#include "shim/shim_rootfs.h"
#include "shim/shim_rpc.h"
#include "shim/shim_state.h"
#include "shim/shim_supervise.h"
#include "shim/shim_trim.h"
#include "shim/shim_tty.h"
#include "shim/shim_wait.h"
#include "store/store.h"

#define SHIM_LOG		 "shim.log" /* the shim's own log, in the container directory */
#define SHIM_OOM_ADJ		 "-999" /* the shim outlives its container under memory pressure */
#define EXIT_USAGE		 125	/* misuse and kettle's own failures */
#define EXIT_LOCKED		 1	/* another shim holds the lock */
#define CLOSE_RANGE_CLOEXEC_FLAG (1u << 2) /* CLOSE_RANGE_CLOEXEC of <linux/close_range.h> */

enum {
	OPT_ROOT = CLI_HELP + 1,
	OPT_ID,
	OPT_RUNTIME,
	OPT_LOG_LEVEL,
	OPT_RUNTIME_TIMEOUT,
	OPT_RESTART,
	OPT_RUN,
};

static const struct cli_opt shim_opts[] CLI_TABLE = {
	CLI_OPT(OPT_ROOT, 0, CLI_DIR, CLI_REQUIRED, "root", "ROOT", "State root (absolute)"),
	CLI_OPT(OPT_ID, 0, CLI_STRING, CLI_REQUIRED, "id", "ID",
		"Container id (64 hex characters)"),
	CLI_OPT(OPT_RUNTIME, 0, CLI_FILE, 0, "runtime", "PATH",
		"OCI runtime when the record names none (default runc)"),
	CLI_OPT(OPT_LOG_LEVEL, 0, CLI_STRING, 0, "log-level", "LEVEL",
		"error, warn, info or debug (default info)"),
	CLI_OPT(OPT_RUNTIME_TIMEOUT, 0, CLI_NUMBER, 0, "runtime-timeout", "MS",
		"A runtime call still running after MS is killed (default 30000; the daemon "
		"passes its --runtime-timeout)"),
	CLI_OPT(OPT_RESTART, 0, CLI_FLAG, 0, "restart", "",
		"A restart by the policy: carry the counters of the last exit on and start the "
		"container once it is created"),
	CLI_OPT(OPT_RUN, 0, CLI_FLAG, 0, "run", "",
		"`kettle run`: create and start at once (runc run --detach); the output and the "
		"exit wait for SHIM_START, the client's cue that it is attached"),
	CLI_OPT(CLI_HELP, 'h', CLI_FLAG, 0, "help", "", "Print this help"),
};

/* Never listed: only the daemon runs it. */
static const struct cli_cmd shim_cmd CLI_TABLE = {
	.name = "shim",
	.description = "Supervises one container. Started by `kettle daemon` with its ready "
		       "pipe on fd 3; never run it by hand.",
	.opts = shim_opts,
	.nopts = CLI_COUNT(shim_opts),
	.flags = CLI_INTERNAL,
};

struct shim_args {
	const char *root;     /* --root, borrowed from argv */
	const char *id;	      /* --id, borrowed from argv */
	const char *runtime;  /* --runtime or NULL, borrowed from argv */
	enum log_level level; /* --log-level */
	bool restart;	      /* --restart: started by the daemon's restart policy */
	bool run;	      /* --run: `runc run --detach`, held until SHIM_START */
	uint64_t timeout_ms;  /* --runtime-timeout, ms */
};

/* The value of option id into a. Returns 0, or -1 once printed. */
static int take_value(struct shim_args *a, int id, char *val)
{
	struct kerr err;

	switch (id) {
	case OPT_ROOT:
		a->root = val;
		break;
	case OPT_ID:
		a->id = val;
		break;
	case OPT_RUNTIME:
		a->runtime = val;
		break;
	case OPT_LOG_LEVEL:
		if (log_parse_level(val, &a->level))
			break;
		cli_misuse_write(stderr, &shim_cmd,
				 "unknown log level `%s` (allowed: error, warn, info, debug)", val);
		return -1;
	case OPT_RUNTIME_TIMEOUT:
		if (str_to_u64(val, RUNTIME_TIMEOUT_MAX_MS, &a->timeout_ms, &err) == 0 &&
		    a->timeout_ms > 0)
			break;
		cli_misuse_write(stderr, &shim_cmd,
				 "--runtime-timeout `%s` is not a number of milliseconds in "
				 "1..3600000",
				 val);
		return -1;
	case OPT_RESTART:
		a->restart = true;
		break;
	default: /* OPT_RUN */
		a->run = true;
		break;
	}
	return 0;
}

/* Returns 0 to go on, or the exit code (-1 after --help). */
static int parse_args(int argc, char **argv, struct shim_args *a)
{
	struct cli_parser p;
	struct kerr err;
	int id;

	*a = (struct shim_args){ .level = LOG_LVL_INFO, .timeout_ms = RUNTIME_TIMEOUT_MS };
	cli_parse_init(&p, &shim_cmd, argc, argv);
	while ((id = cli_parse_next(&p, &err)) > 0) {
		if (id == CLI_HELP) {
			cli_help_write(&shim_cmd, stdout);
			return -1;
		}
		if (take_value(a, id, p.val) < 0)
			return EXIT_USAGE;
	}
	/* The argv word, as the getopt loop before the table quoted it. */
	if (id < 0)
		cli_misuse_write(stderr, &shim_cmd, "unknown or incomplete option `%s`", p.word);
	else if (cli_check_args(&shim_cmd, p.nargs, p.args, &err) < 0)
		cli_misuse_write(stderr, &shim_cmd, "%s", err.msg);
	else if (!a->root || !a->id)
		cli_misuse_write(stderr, &shim_cmd, "--root and --id are required");
	else if (a->root[0] != '/')
		cli_misuse_write(stderr, &shim_cmd, "--root `%s` is not an absolute path", a->root);
	else if (!ids_is_id(a->id))
		cli_misuse_write(stderr, &shim_cmd, "--id `%s` is not a container id (64 hex)",
				 a->id);
	else
		return 0;
	return EXIT_USAGE;
}

/* ---- exit rules ---- */

static bool all_flushed(const struct shim *sh)
{
	for (size_t i = 0; i < sh->nconns; i++) {
		struct rpc_conn *c = shim_reply_conn(sh->conns[i]);

		if (c && rpc_conn_pending(c) > 0)
			return false;
	}
	return true;
}

static void before_sleep(struct loop *l, void *data)
{
	struct shim *sh = data;

	shim_wait_compact(sh);
	if (sh->exiting && shim_call_count(sh) == 0 && shim_exec_calls(sh) == 0 && all_flushed(sh))
		loop_stop(l);
	/* Last: what runs after a trim, up to epoll_wait, maps its pages back. */
	shim_trim_before_sleep(sh);
}

static void on_sigchld(struct loop *l, const struct signalfd_siginfo *si, void *data)
{
	(void)l;
	(void)si;
	shim_supervise_reap(data);
}

/* ---- startup ---- */

static int read_record(struct shim *sh, struct kerr *err)
{
	struct buf b;
	int r;

	buf_init(&b, RECORD_JSON_MAX + 1);
	r = store_read_file(sh->dirfd, STORE_RECORD, RECORD_JSON_MAX, &b, err);
	if (r == 0)
		r = record_json_decode(&sh->rec, (const char *)b.data, b.len, false, err);
	buf_done(&b);
	if (r < 0)
		return kerr_wrap(err, "read `%s`", STORE_RECORD);
	if (strcmp(sh->rec.id, sh->id) != 0)
		return kerr_set(err, 0, "`%s` names container `%s`, not `%s`", STORE_RECORD,
				sh->rec.id, sh->id);
	return 0;
}

static int setup_paths(struct shim *sh, const struct shim_args *a, struct kerr *err)
{
	char runc_root[PATH_MAX], runc_log[PATH_MAX];
	const char *runtime = sh->rec.runtime ? sh->rec.runtime : a->runtime;
	int n;

	/* --isolation host: kettle's host runtime, whatever the daemon's is. */
	if (sh->rec.isolation_host)
		runtime = RUNTIME_HOST;

	if (sh->rec.bundle) {
		if (!str_copy(sh->bundle, sizeof(sh->bundle), sh->rec.bundle))
			return kerr_set(err, ENAMETOOLONG, "bundle path `%s`", sh->rec.bundle);
	} else if (store_container_path(sh->root, sh->id, STORE_BUNDLE, sh->bundle,
					sizeof(sh->bundle), err) < 0) {
		return -1;
	}
	if (store_container_path(sh->root, sh->id, STORE_PID_FILE, sh->pid_file,
				 sizeof(sh->pid_file), err) < 0 ||
	    store_container_path(sh->root, sh->id, STORE_RUNC_LOG, runc_log, sizeof(runc_log),
				 err) < 0)
		return -1;
	n = snprintf(runc_root, sizeof(runc_root), "%s/%s", sh->root, STORE_RUNC_ROOT);
	if (n < 0 || (size_t)n >= sizeof(runc_root))
		return kerr_set(err, ENAMETOOLONG, "runtime root under `%s`", sh->root);
	return runtime_init(&sh->rt, runtime, runc_root, runc_log, err);
}

/* Best effort: a shim that dies of memory pressure loses its container's supervision. */
static void protect_from_oom(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, SHIM_OOM_ADJ, strlen(SHIM_OOM_ADJ)) < 0)
		log_warn("set oom_score_adj to %s: %m, ignoring", SHIM_OOM_ADJ);
	fd_close(fd);
}

/* Everything before the loop runs. Returns 0, or the exit code with err set. */
static int setup(struct shim *sh, const struct shim_args *a, struct kerr *err)
{
	char name[IPC_NAME_MAX];
	int lfd = -1;

	if (!str_copy(sh->root, sizeof(sh->root), a->root) ||
	    !str_copy(sh->id, sizeof(sh->id), a->id)) {
		kerr_set(err, ENAMETOOLONG, "root path `%s`", a->root);
		return EXIT_USAGE;
	}
	if (store_open_root(sh->root, false, &sh->rootfd, err) < 0 ||
	    store_open_container(sh->rootfd, sh->id, false, &sh->dirfd, err) < 0)
		return EXIT_USAGE;
	int logfd = openat(sh->dirfd, SHIM_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd >= 0)
		log_setup("kettle-shim", a->level, logfd);
	if (ipc_lock_take(sh->dirfd, STORE_SHIM_LOCK, &sh->lockfd, err) < 0) {
		kerr_wrap(err, "a shim for container `%s` is already running",
			  shim_state_short_id(sh));
		return EXIT_LOCKED;
	}
	log_info("shim starting for container %s", sh->id);
	sh->runtime_timeout_ms = a->timeout_ms;
	if (read_record(sh, err) < 0 || setup_paths(sh, a, err) < 0 ||
	    ipc_token_load(sh->rootfd, sh->token, err) < 0)
		return EXIT_USAGE;
	/* An image's root, before anything may run `runc create` on it. */
	if (shim_rootfs_prepare(sh, err) < 0)
		return EXIT_USAGE;

	sh->loop = loop_new(err);
	if (!sh->loop)
		return EXIT_USAGE;
	rtcall_set_init(&sh->calls, sh->loop, &sh->rt, sh->runtime_timeout_ms, sh);
	if (loop_add_signal(sh->loop, SIGCHLD, on_sigchld, sh, err) < 0)
		return EXIT_USAGE;
	loop_set_before_sleep(sh->loop, before_sleep, sh);
	/* Not fsynced: the name is meaningless once this shim is gone (ipc.h). */
	if (ipc_listen_volatile(sh->dirfd, STORE_SHIM_ADDR, name, &lfd, err) < 0)
		return EXIT_USAGE;
	if (shim_rpc_serve(sh, lfd, err) < 0)
		return EXIT_USAGE;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		kerr_set(err, errno, "become the container's subreaper");
		return EXIT_USAGE;
	}
	protect_from_oom();
	status_init(&sh->st);
	sh->st.shim_pid = getpid();
	if (shim_io_open(sh, err) < 0)
		return EXIT_USAGE;
	/* Before runc: a port someone else holds fails the create with its name. */
	if (shim_ports_bind(sh, err) < 0)
		return EXIT_USAGE;
	log_debug("listening on @%s, bundle %s, runtime %s", name, sh->bundle, sh->rt.path);
	sh->run_first = a->run && !a->restart && !sh->rec.tty;
	if (shim_supervise_start(sh, a->restart, err) < 0)
		return EXIT_USAGE;
	return 0;
}

static void teardown(struct shim *sh)
{
	shim_rootfs_release(sh);
	shim_call_done(sh);
	shim_health_done(sh);
	shim_exec_done(sh);
	shim_io_done(sh);
	shim_ports_done(sh);
	sh->server = rpc_server_free(sh->server);
	sh->loop = loop_free(sh->loop);
	record_done(&sh->rec);
	free(sh->conns);
	free(sh->early_events);
	fd_close(sh->readyfd);
	fd_close(sh->lockfd);
	fd_close(sh->dirfd);
	fd_close(sh->rootfd);
	free(sh);
}

int shim_main(int argc, char **argv)
{
	struct shim_args a;
	struct kerr err;
	struct shim *sh;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (fcntl(SHIM_READY_FD, F_GETFD) < 0) {
		fprintf(stderr,
			"kettle shim: fd %d (the daemon's ready pipe) is not open: the "
			"shim is started by `kettle daemon`, never by hand\n",
			SHIM_READY_FD);
		return EXIT_USAGE;
	}
	/* Only we may hold the ready pipe: runc and the container must not inherit it, nor
	 * anything else a careless parent left open (close_range(2), Linux 5.11; older
	 * kernels keep the daemon's CLOEXEC discipline as the only guard). */
	(void)fcntl(SHIM_READY_FD, F_SETFD, FD_CLOEXEC);
	(void)syscall(SYS_close_range, SHIM_READY_FD + 1, ~0u, CLOSE_RANGE_CLOEXEC_FLAG);
	(void)prctl(PR_SET_NAME, "kettle-shim", 0, 0, 0);
	/* Only SHIM_DELETE/SHIM_SHUTDOWN end a shim; a daemon gone away is EPIPE, not death.
	 * proc_spawn resets these dispositions for runc and the container. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* A file size limit (RLIMIT_FSIZE) must make a log write fail with EFBIG, which
	 * logfile.c drops and counts, not kill the shim and orphan its container. */
	signal(SIGXFSZ, SIG_IGN);

	sh = calloc(1, sizeof(*sh));
	if (!sh) {
		fprintf(stderr, "kettle shim: out of memory\n");
		return EXIT_USAGE;
	}
	sh->rootfd = sh->dirfd = sh->lockfd = -1;
	sh->readyfd = SHIM_READY_FD;
	sh->io.out[0].rfd = sh->io.out[0].wfd = -1;
	sh->io.out[1].rfd = sh->io.out[1].wfd = -1;
	sh->io.stdin_rfd = -1;
	sh->io.unlinker_fd = -1;
	console_init(&sh->io.console);
	shim_input_init(&sh->io.in, sh);
	record_init(&sh->rec);

	rc = setup(sh, &a, &err);
	if (rc) {
		log_error("%s", err.msg);
		fprintf(stderr, "kettle shim: %s\n", err.msg);
		shim_reply_ready(sh, 125, err.msg);
		teardown(sh);
		return rc;
	}
	if (loop_run(sh->loop, &err) < 0) {
		log_error("%s", err.msg);
		rc = EXIT_USAGE;
	}
	log_info("shim exited");
	teardown(sh);
	return rc;
}
