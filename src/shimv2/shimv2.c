/*
 * shimv2: kettle as a containerd shim v2, `containerd-shim-kettle-v2` and
 * `containerd-shim-kettle-host-v2` (role layer, top band), and their option table.
 *
 * containerd runs the binary named after the runtime (io.containerd.kettle.v2) with Go-style
 * flags (-namespace NS -address A -publish-binary B -id ID [-bundle B] [-debug]) and an
 * action, the bundle as working directory:
 *   start   binds a fresh socket FILE under /run/containerd/s (0600; never an abstract
 *           name: CVE-2020-15257), re-executes itself as the server with that socket on fd
 *           3 in a new session with /dev/null for stdio (containerd reads start's stdout
 *           and stderr to their end), writes the bundle's `address` file, and prints
 *           "unix://PATH". A task of a pod (the io.kubernetes.cri.sandbox-id annotation
 *           names another task) joins the pod's server when it answers.
 *   delete  after a shim died: `runtime delete --force`, unmounts the rootfs, prints a
 *           DeleteResponse (status 137); idempotent, always exit 0.
 *   (none)  the server: fd 3, serving until a Shutdown leaves it no task (shimv2_serve.c).
 * The host face runs the same server on kettle's host runtime (runtime.h RUNTIME_HOST):
 * the process runs directly on the host. Nothing in the role calls this file but kettle.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "cli/cli.h"
#include "runtime/proc.h"
#include "shimv2/shimv2.h"
#include "shimv2/shimv2_mount.h"
#include "shimv2/shimv2_serve.h"
#include "store/store.h"

#define SOCKET_DIR	     "/run/containerd/s"
#define RUNC_ROOT	     "/run/containerd/kettle"	   /* runc's state: <root>/<namespace> */
#define HOST_ROOT	     "/run/containerd/kettle-host" /* the host runtime's */
#define ADDRESS_FILE	     "address"			   /* in the bundle: where the shim is */
#define SANDBOX_KEY	     "io.kubernetes.cri.sandbox-id"
#define CONFIG_MAX	     (4u << 20) /* config.json read for the sandbox id (bytes) */
#define CONFIG_TOKENS	     16384	/* its JSON tokens, at most */
#define SERVER_FD	     3		/* the listening socket in the server */
#define SOCKET_RANDOM	     16		/* random bytes in a socket's name */
#define EXIT_FAIL	     1
#define SHIM_OOM_ADJ	     "-999" /* the shim outlives its tasks under memory pressure */
#define CLOSE_RANGE_CLOEXEC_ (1u << 2)

extern char **environ;

enum {
	OPT_NAMESPACE = CLI_HELP + 1,
	OPT_ID,
	OPT_ADDRESS,
	OPT_PUBLISH,
	OPT_BUNDLE,
	OPT_DEBUG,
};

static const struct cli_opt shimv2_opts[] CLI_TABLE = {
	CLI_OPT(OPT_NAMESPACE, 0, CLI_STRING, CLI_REQUIRED, "namespace", "NS",
		"containerd namespace of the task"),
	CLI_OPT(OPT_ID, 0, CLI_STRING, CLI_REQUIRED, "id", "ID", "Task id"),
	CLI_OPT(OPT_ADDRESS, 0, CLI_FILE, 0, "address", "PATH",
		"containerd's gRPC socket (passed on to the server; events go to "
		"$TTRPC_ADDRESS)"),
	CLI_OPT(OPT_PUBLISH, 0, CLI_FILE, 0, "publish-binary", "PATH",
		"containerd's binary for publishing events (unused: events go over TTRPC)"),
	CLI_OPT(OPT_BUNDLE, 0, CLI_DIR, 0, "bundle", "DIR",
		"The task's bundle (default: the working directory)"),
	CLI_OPT(OPT_DEBUG, 0, CLI_FLAG, 0, "debug", "", "Log at debug level"),
	CLI_OPT(CLI_HELP, 'h', CLI_FLAG, 0, "help", "", "Print this help"),
};

static const struct cli_cmd shimv2_cmd CLI_TABLE = {
	.name = "containerd-shim-kettle-v2",
	.synopsis = "containerd-shim-kettle-v2 -namespace NS -id ID [-address PATH] "
		    "[-publish-binary PATH] [-bundle DIR] [-debug] [start|delete]",
	.description = "kettle as a containerd shim v2 (runtime io.containerd.kettle.v2; as "
		       "containerd-shim-kettle-host-v2, io.containerd.kettle-host.v2: the "
		       "process runs on the host). containerd runs it with Go-style flags and "
		       "the bundle as working directory: `start` prints the address of a "
		       "server it leaves behind, `delete` cleans up after a shim that died; "
		       "without an action it is that server, its socket on fd 3. Never run it "
		       "by hand.",
	.opts = shimv2_opts,
	.nopts = CLI_COUNT(shimv2_opts),
	.pos = { .min = 0, .max = 1, .first = CLI_STRING, .rest = CLI_STRING },
	.flags = CLI_INTERNAL,
};

struct args {
	const char *argv0;   /* how containerd named us (re-used for the server) */
	const char *ns;	     /* -namespace */
	const char *id;	     /* -id */
	const char *address; /* -address, or NULL */
	const char *publish; /* -publish-binary, or NULL */
	const char *bundle;  /* -bundle, or NULL: the working directory */
	bool debug;	     /* -debug */
	const char *action;  /* "start", "delete" or NULL */
	bool host;	     /* the host face */
};

/* Go's flag package takes -name as --name: so do we, for names longer than a letter. */
static void go_flags(int argc, char **argv, char **out)
{
	static char words[64][64];
	int n = 0;

	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];

		out[i] = argv[i];
		if (i == 0 || w[0] != '-' || w[1] == '-' || !w[1] || !w[2] || n == 64)
			continue;
		if (snprintf(words[n], sizeof(words[n]), "-%s", w) >= (int)sizeof(words[n]))
			continue;
		out[i] = words[n++];
	}
	out[argc] = NULL;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	char *av[argc + 1];
	struct cli_parser p;
	struct kerr err;
	int id;

	go_flags(argc, argv, av);
	cli_parse_init(&p, &shimv2_cmd, argc, av);
	while ((id = cli_parse_next(&p, &err)) > 0) {
		switch (id) {
		case CLI_HELP:
			cli_help_write(&shimv2_cmd, stdout);
			return -1;
		case OPT_NAMESPACE:
			a->ns = p.val;
			break;
		case OPT_ID:
			a->id = p.val;
			break;
		case OPT_ADDRESS:
			a->address = p.val;
			break;
		case OPT_PUBLISH:
			a->publish = p.val;
			break;
		case OPT_BUNDLE:
			a->bundle = p.val;
			break;
		default: /* OPT_DEBUG */
			a->debug = true;
			break;
		}
	}
	if (id < 0) {
		cli_misuse_write(stderr, &shimv2_cmd, "unknown or incomplete option `%s`", p.word);
		return EXIT_FAIL;
	}
	if (p.nargs > 1) {
		cli_misuse_write(stderr, &shimv2_cmd, "one action at most; %d were given", p.nargs);
		return EXIT_FAIL;
	}
	a->action = p.nargs ? p.args[0] : NULL;
	if (a->action && strcmp(a->action, "start") != 0 && strcmp(a->action, "delete") != 0) {
		cli_misuse_write(stderr, &shimv2_cmd,
				 "unknown action `%s` (allowed: start, delete, or none to serve)",
				 a->action);
		return EXIT_FAIL;
	}
	if (!a->ns || !a->id) {
		cli_misuse_write(stderr, &shimv2_cmd, "-namespace and -id are required");
		return EXIT_FAIL;
	}
	/* Both name directories and files: containerd's identifier rule keeps them safe. */
	if (strlen(a->ns) > SHIMV2_NS_MAX || !shimv2_state_id_ok(a->ns) ||
	    !shimv2_state_id_ok(a->id)) {
		cli_misuse_write(stderr, &shimv2_cmd,
				 "-namespace `%.76s` or -id `%.76s` is not an identifier", a->ns,
				 a->id);
		return EXIT_FAIL;
	}
	return 0;
}

static int runtime_of(const struct args *a, const char *log, struct runtime *rt, struct kerr *err)
{
	char root[PATH_MAX];

	if (snprintf(root, sizeof(root), "%s/%s", a->host ? HOST_ROOT : RUNC_ROOT, a->ns) >=
	    (int)sizeof(root))
		return kerr_set(err, ENAMETOOLONG, "runtime root");
	return runtime_init(rt, a->host ? RUNTIME_HOST : RUNTIME_DEFAULT, root, log, err);
}

/* mkdir -p of an absolute directory (0711: others may traverse, as containerd's dirs). */
static int mkdirs(const char *dir, struct kerr *err)
{
	char p[PATH_MAX];

	if (!str_copy(p, sizeof(p), dir))
		return kerr_set(err, ENAMETOOLONG, "directory `%s`", dir);
	for (char *c = p + 1;; c++) {
		if (*c && *c != '/')
			continue;
		char keep = *c;
		*c = '\0';
		if (mkdir(p, 0711) < 0 && errno != EEXIST)
			return kerr_set(err, errno, "create `%s`", p);
		*c = keep;
		if (!keep)
			return 0;
	}
}

/* ---- start ---- */

/* The sandbox id of a pod's task from config.json's annotations ("" when none). */
static void sandbox_of(char *out, size_t cap)
{
	struct buf b;
	struct kerr err;
	struct json_doc doc;

	out[0] = '\0';
	buf_init(&b, CONFIG_MAX);
	_cleanup_free_ struct json_tok *toks = calloc(CONFIG_TOKENS, sizeof(*toks));
	if (toks && store_read_file(AT_FDCWD, "config.json", CONFIG_MAX, &b, &err) == 0 &&
	    json_parse(&doc, (const char *)b.data, b.len, toks, CONFIG_TOKENS, &err) == 0 &&
	    toks[0].type == JSON_OBJECT) {
		int an = json_obj_get(&doc, 0, "annotations");
		int v = an >= 0 && toks[an].type == JSON_OBJECT
				? json_obj_get(&doc, an, SANDBOX_KEY)
				: -1;

		if (v < 0 || toks[v].type != JSON_STRING ||
		    json_get_str(&doc, v, out, cap, &err) < 0 || !shimv2_state_id_ok(out))
			out[0] = '\0';
	}
	buf_done(&b);
}

/* True when something accepts connections on the socket file at path. */
static bool alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || !str_copy(sa.sun_path, sizeof(sa.sun_path), path))
		return false;
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

/* The address of the pod's server when it answers: "unix:///run/containerd/s/…". */
static bool pod_server(const char *bundle, const char *sandbox, char *addr, size_t cap)
{
	char path[PATH_MAX], dir[PATH_MAX];
	size_t len;
	struct kerr err;

	if (!str_copy(dir, sizeof(dir), bundle))
		return false;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return false;
	*slash = '\0';
	if (snprintf(path, sizeof(path), "%s/%s/%s", dir, sandbox, ADDRESS_FILE) >=
	    (int)sizeof(path))
		return false;
	if (fd_read_small_file(AT_FDCWD, path, addr, cap, &len, &err) < 0)
		return false;
	while (len && (addr[len - 1] == '\n' || addr[len - 1] == ' '))
		addr[--len] = '\0';
	return str_has_prefix(addr, "unix://") && alive(addr + strlen("unix://"));
}

static int random_hex(char *out, size_t nbytes, struct kerr *err)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[SOCKET_RANDOM];
	size_t got = 0;
	_cleanup_close_ int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kerr_set(err, errno, "open /dev/urandom");
	if (fd_read_full(fd, raw, nbytes, &got, err) < 0 || got != nbytes)
		return kerr_set(err, EIO, "read /dev/urandom");
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

/* A fresh socket file, 0600 from the start, listening. */
static int listen_file(char *path, size_t cap, int *lfd, struct kerr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char rnd[2 * SOCKET_RANDOM + 1];

	if (mkdirs(SOCKET_DIR, err) < 0 || random_hex(rnd, SOCKET_RANDOM, err) < 0)
		return -1;
	if (snprintf(path, cap, "%s/%s", SOCKET_DIR, rnd) >= (int)cap ||
	    !str_copy(sa.sun_path, sizeof(sa.sun_path), path))
		return kerr_set(err, ENAMETOOLONG, "socket path");
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kerr_set(err, errno, "socket");
	/* The umask makes the file 0600 at bind: no moment where others could connect. */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (r < 0)
		return kerr_set(err, e, "bind `%s`", path);
	if (listen(fd, SOMAXCONN) < 0) {
		e = errno;
		unlink(path);
		return kerr_set(err, e, "listen on `%s`", path);
	}
	*lfd = take_fd(&fd);
	return 0;
}

static int write_address(const char *addr, struct kerr *err)
{
	_cleanup_close_ int dirfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0)
		return kerr_set(err, errno, "open the bundle");
	return store_write_atomic(dirfd, ADDRESS_FILE, addr, strlen(addr), 0600, false, err);
}

static int start_server(const struct args *a, int lfd, const char *bundle, struct kerr *err)
{
	char *argv[16];
	int n = 0;
	pid_t pid;

	argv[n++] = (char *)a->argv0;
	argv[n++] = "-namespace";
	argv[n++] = (char *)a->ns;
	argv[n++] = "-id";
	argv[n++] = (char *)a->id;
	if (a->address) {
		argv[n++] = "-address";
		argv[n++] = (char *)a->address;
	}
	if (a->publish) {
		argv[n++] = "-publish-binary";
		argv[n++] = (char *)a->publish;
	}
	if (a->debug)
		argv[n++] = "-debug";
	argv[n] = NULL;
	struct proc_spawn sp = {
		.path = "/proc/self/exe",
		.argv = argv,
		.envp = environ,
		.stdio = { -1, -1, -1 },
		.keep_fd = lfd,
		.detach = true,
		.cwd = bundle,
	};
	return proc_spawn(&sp, &pid, err) < 0 ? kerr_wrap(err, "start the shim server") : 0;
}

static int do_start(const struct args *a)
{
	char bundle[PATH_MAX], sandbox[SHIMV2_ID_MAX + 1], addr[PATH_MAX + 8], path[108];
	struct kerr err;
	int lfd = -1;

	if (!getcwd(bundle, sizeof(bundle))) {
		fprintf(stderr, "%s start: the working directory: %s\n", a->argv0, strerror(errno));
		return EXIT_FAIL;
	}
	sandbox_of(sandbox, sizeof(sandbox));
	if (sandbox[0] && strcmp(sandbox, a->id) != 0 &&
	    pod_server(bundle, sandbox, addr, sizeof(addr))) {
		/* The pod's shim serves this task too. */
		if (write_address(addr, &err) < 0)
			goto out_fail;
		fputs(addr, stdout);
		return 0;
	}
	if (listen_file(path, sizeof(path), &lfd, &err) < 0)
		goto out_fail;
	snprintf(addr, sizeof(addr), "unix://%s", path);
	if (start_server(a, lfd, bundle, &err) < 0 || write_address(addr, &err) < 0) {
		unlink(path);
		fd_close(lfd);
		goto out_fail;
	}
	fd_close(lfd);
	fputs(addr, stdout);
	return 0;
out_fail:
	fprintf(stderr, "%s start: %s\n", a->argv0, err.msg);
	return EXIT_FAIL;
}

/* ---- delete ---- */

struct deletion {
	struct loop *loop;	/* borrowed */
	bool done;		/* the runtime call ended */
	char msg[KERR_MSG_MAX]; /* its failure, "" when it succeeded */
};

static void delete_done(void *owner, struct rtcall *call, int status)
{
	struct deletion *d = owner;
	struct kerr log_err;

	if (!rtcall_failed(call, status, d->msg, sizeof(d->msg), &log_err))
		d->msg[0] = '\0';
	d->done = true;
	loop_stop(d->loop);
}

static void delete_reap(struct loop *l, const struct signalfd_siginfo *si, void *data)
{
	struct rtcall_set *calls = data;
	pid_t pid;
	int status;

	(void)l;
	(void)si;
	while (proc_reap_any(&pid, &status) == 1) {
		struct rtcall *call = rtcall_find(calls, pid);

		if (call)
			rtcall_complete(call, status);
	}
}

/* `runtime delete --force ID`, in a loop of its own with the runtime call deadline. */
static int runtime_delete(const struct args *a, const char *bundle, struct kerr *err)
{
	char log[PATH_MAX];
	struct runtime rt;
	struct rtcall_set calls;
	struct deletion d = { 0 };
	struct runtime_call rc = {
		.op = RUNTIME_DELETE,
		.id = a->id,
		.force = true,
		.stdio = { -1, -1, -1 },
	};
	int r = -1;

	if (snprintf(log, sizeof(log), "%s/log.json", bundle) >= (int)sizeof(log) ||
	    runtime_of(a, access(bundle, W_OK) == 0 ? log : "/dev/null", &rt, err) < 0)
		return -1;
	d.loop = loop_new(err);
	if (!d.loop)
		return -1;
	rtcall_set_init(&calls, d.loop, &rt, SHIMV2_RUNTIME_TIMEOUT, &d);
	if (loop_add_signal(d.loop, SIGCHLD, delete_reap, &calls, err) == 0 &&
	    rtcall_spawn(&calls, &rc, false, delete_done, NULL, err) &&
	    loop_run(d.loop, err) == 0) {
		r = 0;
		if (d.msg[0] && !strstr(d.msg, "does not exist") && !strstr(d.msg, "not exist"))
			r = kerr_set(err, 0, "%s", d.msg);
	}
	rtcall_set_done(&calls);
	loop_free(d.loop);
	return r;
}

static int do_delete(const struct args *a)
{
	char bundle[PATH_MAX], pidfile[PATH_MAX];
	struct kerr err;
	struct buf b;
	struct pb_enc e;
	pid_t pid = 0;

	if (a->bundle ? !str_copy(bundle, sizeof(bundle), a->bundle)
		      : !getcwd(bundle, sizeof(bundle))) {
		fprintf(stderr, "%s delete: no bundle\n", a->argv0);
		bundle[0] = '\0';
	}
	if (bundle[0]) {
		if (snprintf(pidfile, sizeof(pidfile), "%s/init.pid", bundle) <
			    (int)sizeof(pidfile) &&
		    runtime_read_pid_file(pidfile, &pid, &err) < 0)
			pid = 0;
		if (runtime_delete(a, bundle, &err) < 0)
			fprintf(stderr, "%s delete: %s, ignoring\n", a->argv0, err.msg);
		if (shimv2_mount_cleanup(bundle, &err) < 0)
			fprintf(stderr, "%s delete: %s, ignoring\n", a->argv0, err.msg);
	}
	/* DeleteResponse {pid, exit_status 137, exited_at now}: what containerd reports for a
	 * task whose shim is gone, as the runc shim says. */
	buf_init(&b, 256);
	pb_enc_init(&e, &b);
	pb_enc_u64(&e, 1, (uint64_t)pid);
	pb_enc_u64(&e, 2, SHIMV2_STATUS_137);
	pb_enc_timestamp_ns(&e, 3, clock_wall_ns());
	if (pb_enc_end(&e, &err) == 0)
		(void)fd_write_full(STDOUT_FILENO, b.data, b.len, &err);
	buf_done(&b);
	return 0;
}

/* ---- serve ---- */

static void protect_from_oom(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, SHIM_OOM_ADJ, strlen(SHIM_OOM_ADJ)) < 0)
		log_debug("set oom_score_adj to %s: %m, ignoring", SHIM_OOM_ADJ);
	fd_close(fd);
}

static int do_serve(const struct args *a)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	int listening = 0;
	socklen_t ol = sizeof(listening);
	struct kerr err;
	char log[PATH_MAX];
	struct shimv2 *sv;

	if (getsockopt(SERVER_FD, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol) < 0 || !listening ||
	    getsockname(SERVER_FD, (struct sockaddr *)&sa, &len) < 0 || sa.sun_family != AF_UNIX) {
		fprintf(stderr,
			"%s: fd %d is not a listening socket: the server is started by `%s "
			"start`, which containerd runs\n",
			a->argv0, SERVER_FD, a->argv0);
		return EXIT_FAIL;
	}
	(void)fcntl(SERVER_FD, F_SETFD, FD_CLOEXEC);
	/* Nothing else a parent left open may reach runc or a container. */
	(void)syscall(SYS_close_range, SERVER_FD + 1, ~0u, CLOSE_RANGE_CLOEXEC_);
	(void)prctl(PR_SET_NAME, a->host ? "kettle-shimv2-h" : "kettle-shimv2", 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* containerd reads the bundle's `log` FIFO into its own log; never blocks on it. */
	int logfd = open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	log_setup(a->host ? "containerd-shim-kettle-host-v2" : "containerd-shim-kettle-v2",
		  a->debug ? LOG_LVL_DEBUG : LOG_LVL_INFO, logfd >= 0 ? logfd : STDERR_FILENO);
	sv = calloc(1, sizeof(*sv));
	if (!sv) {
		log_error("out of memory");
		return EXIT_FAIL;
	}
	sv->host = a->host;
	sv->lfd = -1;
	sv->sink_r = sv->sink_w = -1;
	snprintf(sv->ns, sizeof(sv->ns), "%s", a->ns);
	snprintf(sv->id, sizeof(sv->id), "%s", a->id);
	if (len > offsetof(struct sockaddr_un, sun_path) && sa.sun_path[0] == '/')
		str_copyn(sv->sock_path, sizeof(sv->sock_path), sa.sun_path,
			  strnlen(sa.sun_path, len - offsetof(struct sockaddr_un, sun_path)));
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		log_error("become the subreaper of the tasks: %m");
		free(sv);
		return EXIT_FAIL;
	}
	protect_from_oom();
	int rc = 0;
	if (runtime_of(a, "/dev/null", &sv->rt, &err) < 0 || mkdirs(sv->rt.root, &err) < 0 ||
	    snprintf(log, sizeof(log), "%s/%s.log.json", sv->rt.root, a->id) >= (int)sizeof(log) ||
	    !str_copy(sv->rt.log, sizeof(sv->rt.log), log)) {
		log_error("%s", err.msg);
		rc = EXIT_FAIL;
	}
	log_info("serving %s for task %s (namespace %s, runtime %s)", sv->sock_path, a->id, a->ns,
		 sv->rt.path);
	if (rc == 0 && shimv2_serve_run(sv, SERVER_FD, &err) < 0) {
		log_error("%s", err.msg);
		rc = EXIT_FAIL;
	}
	if (rc == 0)
		(void)unlink(sv->rt.log);
	log_info("exited");
	free(sv);
	fd_close(logfd);
	return rc;
}

static int shimv2_run(int argc, char **argv, bool host)
{
	struct args a = { .argv0 = argc ? argv[0] : "containerd-shim-kettle-v2", .host = host };
	int rc = parse_args(argc, argv, &a);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (!a.action)
		return do_serve(&a);
	if (strcmp(a.action, "start") == 0)
		return do_start(&a);
	return do_delete(&a);
}

int shimv2_main(int argc, char **argv)
{
	return shimv2_run(argc, argv, false);
}

int shimv2_host_main(int argc, char **argv)
{
	return shimv2_run(argc, argv, true);
}
