/*
 * client_cp: `kettle cp [-a] [-L] SRC DST` (layer 3, client role), docker's semantics.
 *
 * Exactly one side is CONTAINER:PATH; the other is a host path or `-` (a tar stream on
 * stdin or stdout). The daemon only answers INSPECT: the client opens the container's
 * root itself (/proc/<init pid>/root while it runs, checked against the daemon's state
 * after opening; the rootfs otherwise) and copies through copy.h, whose files resolve
 * every container path under that root fd and never join it into a host path. A copy is a
 * tar stream from a forked producer (copy_archive) to this process (copy_extract) over
 * a pipe, so both directions share the one hardened extractor and memory stays flat.
 * The path rules (which side is the container, what name the entry gets and where it
 * lands) are cppath.c's; this file only asks the file system what SRC and DST are.
 * Exit codes: 0 done, 1 the copy failed (as docker), 125 usage or daemon failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/client.h"
#include "copy/copy.h"
#include "copy/cppath.h"
#include "base/fd.h"
#include "base/json.h"
#include "runtime/proc.h"

#define CP_TOKENS      8192	 /* JSON tokens of an INSPECT reply or a bundle config */
#define CP_CONFIG_MAX  (1 << 20) /* bytes of a bundle's config.json */
#define CP_STARTED_MAX 64	 /* an RFC3339Nano timestamp and some */

static const struct cli_opt cp_opts[] CLI_TABLE = {
	CLI_OPT('a', 'a', CLI_FLAG, 0, "archive", "", "Keep uid/gid (and set-id bits)"),
	CLI_OPT('L', 'L', CLI_FLAG, 0, "follow-link", "", "Follow a symlink named by SRC itself"),
};

const struct cli_cmd client_cp_cmd CLI_TABLE = {
	.name = "cp",
	.summary = "Copy files between a container and the host",
	.synopsis = "kettle cp [-a] [-L] SRC DST",
	.description = "Copy files between a container and the host. Exactly one of SRC and DST "
		       "is CONTAINER:PATH; the other is a host path, or `-` for a tar stream on "
		       "stdin (as SRC) or stdout (as DST). `SRC/.` copies a directory's "
		       "contents; a DST ending in `/` must be a directory. Works on running "
		       "containers (their mounts included) and stopped ones. Modes and mtimes are "
		       "kept; symlinks are copied as symlinks; device nodes are not created on "
		       "the host.",
	.opts = cp_opts,
	.nopts = CLI_COUNT(cp_opts),
	/* the command checks them, worded for SRC and DST */
	.pos = { .max = CLI_ARGS_MANY, .first = CLI_CONTAINER, .rest = CLI_FILE },
	.flags = CLI_INTERLEAVE,
};

/* One side of the copy. */
struct side {
	struct cppath_arg a;   /* the parsed argument (arg, path, stdio, in_ctr, ref) */
	struct copy_root root; /* where a.path resolves */
	int rootfd;	       /* owned: the container's root, -1 for the host */
};

/* What INSPECT says about the container. */
struct ctr_info {
	bool running;		      /* State.Status running or paused, with a Pid */
	long long pid;		      /* State.Pid; 0 when not running */
	char started[CP_STARTED_MAX]; /* State.StartedAt, to see a restart */
	bool has_rootfs;	      /* rootfs is a string (else use the bundle) */
	char rootfs[PATH_MAX];	      /* host rootfs */
	char bundle[PATH_MAX];	      /* host bundle directory */
};

static int parse_side(struct side *s, const char *arg, struct kerr *err)
{
	s->root = (struct copy_root){ .fd = AT_FDCWD, .contained = false };
	s->rootfd = -1;
	return cppath_parse(arg, &s->a, err);
}

static int get_str(const struct json_doc *d, int obj, const char *key, char *out, size_t cap,
		   struct kerr *err)
{
	int t = json_obj_get(d, obj, key);

	out[0] = '\0';
	if (t < 0 || d->toks[t].type == JSON_NULL)
		return 0;
	if (json_get_str(d, t, out, cap, err) < 0)
		return kerr_wrap(err, "`%s`", key);
	return 1;
}

static int inspect(struct client *cl, const char *ref, struct ctr_info *ci, struct kerr *err)
{
	struct wire_frame f;
	struct wire_enc e;
	struct json_doc d;
	const uint8_t *p;
	size_t len;
	int64_t pid = 0;
	int rc;

	uint32_t reqid = client_begin(cl, &cl->conn, &e, WIRE_T_INSPECT);
	wire_enc_str(&e, WIRE_F_REF, ref);
	if (wire_enc_end(&e, err) < 0)
		return CLIENT_EXIT_FAIL;
	rc = client_request(cl, reqid, &f, err);
	if (rc != 0)
		return rc;
	if (wire_get_bytes(&f, WIRE_F_JSON, true, &p, &len, err) < 0)
		return CLIENT_EXIT_FAIL;
	_cleanup_free_ struct json_tok *toks = calloc(CP_TOKENS, sizeof(*toks));
	if (!toks)
		return kerr_set(err, ENOMEM, "inspect"), CLIENT_EXIT_FAIL;
	*ci = (struct ctr_info){ 0 };
	if (json_parse(&d, (const char *)p, len, toks, CP_TOKENS, err) < 0 ||
	    d.toks[0].type != JSON_OBJECT) {
		kerr_wrap(err, "inspect reply");
		return CLIENT_EXIT_FAIL;
	}
	/* docker's shape: State.Status and State.Pid; the root under Kettle. */
	char status[32] = "";
	int st = json_obj_get(&d, 0, "State");
	int kt = json_obj_get(&d, 0, "Kettle");
	int t;
	if (st < 0 || kt < 0 || get_str(&d, st, "Status", status, sizeof(status), err) < 0 ||
	    (t = json_obj_get(&d, st, "Pid")) < 0 || json_get_i64(&d, t, &pid, err) < 0 ||
	    get_str(&d, st, "StartedAt", ci->started, sizeof(ci->started), err) < 0 ||
	    (rc = get_str(&d, kt, "Rootfs", ci->rootfs, sizeof(ci->rootfs), err)) < 0 ||
	    get_str(&d, kt, "Bundle", ci->bundle, sizeof(ci->bundle), err) < 0) {
		kerr_set(err, EPROTO, "inspect reply lacks the container's state or root");
		return CLIENT_EXIT_FAIL;
	}
	ci->running = (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0) && pid > 0;
	ci->pid = pid;
	ci->has_rootfs = rc == 1;
	return 0;
}

/* A stopped --bundle container: root.path of its config.json, relative to the bundle. */
static int open_bundle_root(const char *bundle, int *fd, struct kerr *err)
{
	_cleanup_close_ int bfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *text = malloc(CP_CONFIG_MAX);
	_cleanup_free_ struct json_tok *toks = calloc(CP_TOKENS, sizeof(*toks));
	char path[PATH_MAX];
	struct json_doc d;
	size_t len;
	int root, t;

	if (bfd < 0)
		return kerr_set(err, errno, "open bundle `%s`", bundle);
	if (!text || !toks)
		return kerr_set(err, ENOMEM, "read bundle `%s`", bundle);
	if (fd_read_small_file(bfd, "config.json", text, CP_CONFIG_MAX, &len, err) < 0 ||
	    json_parse(&d, text, len, toks, CP_TOKENS, err) < 0)
		return kerr_wrap(err, "bundle `%s`", bundle);
	if (d.toks[0].type != JSON_OBJECT || (root = json_obj_get(&d, 0, "root")) < 0 ||
	    (t = json_obj_get(&d, root, "path")) < 0 ||
	    json_get_str(&d, t, path, sizeof(path), err) < 0)
		return kerr_set(err, EINVAL, "bundle `%s`: config.json has no root.path", bundle);
	*fd = openat(bfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return kerr_set(err, errno, "open root `%s` of bundle `%s`", path, bundle);
	return 0;
}

/*
 * Opens the container's root: /proc/<pid>/root of a running one (the pid pinned with a
 * pidfd, and the daemon asked again afterwards, so a pid recycled in between is caught),
 * else its rootfs.
 */
static int open_ctr_root(struct client *cl, struct side *s, struct kerr *err)
{
	struct ctr_info a, b;
	int rc = inspect(cl, s->a.ref, &a, err);

	if (rc != 0)
		return rc;
	if (a.running && a.pid > 0) {
		_cleanup_close_ int pidfd = -1;
		char proc[64];

		if (proc_pidfd_open((pid_t)a.pid, &pidfd, err) < 0)
			return kerr_wrap(err, "container `%s`", s->a.ref), CLIENT_EXIT_FAIL;
		snprintf(proc, sizeof(proc), "/proc/%lld/root", a.pid);
		s->rootfd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (s->rootfd < 0)
			return kerr_set(err, errno, "open the root of container `%s`", s->a.ref),
			       CLIENT_EXIT_FAIL;
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		rc = inspect(cl, s->a.ref, &b, err);
		if (rc != 0)
			return rc;
		if (poll(&pfd, 1, 0) != 0 || !b.running || b.pid != a.pid ||
		    strcmp(a.started, b.started) != 0)
			return kerr_set(err, 0,
					"container `%s` exited or restarted while its root was "
					"opened; try again",
					s->a.ref),
			       CLIENT_EXIT_FAIL;
	} else if (a.has_rootfs) {
		s->rootfd = open(a.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (s->rootfd < 0)
			return kerr_set(err, errno, "open rootfs `%s` of container `%s`", a.rootfs,
					s->a.ref),
			       CLIENT_EXIT_FAIL;
	} else if (open_bundle_root(a.bundle, &s->rootfd, err) < 0) {
		return kerr_wrap(err, "container `%s`", s->a.ref), CLIENT_EXIT_FAIL;
	}
	s->root = (struct copy_root){ .fd = s->rootfd, .contained = true };
	return 0;
}

/* Runs copy_archive in a child writing into a pipe and extracts the stream here. */
static int pump(const struct side *src, const char *as_name, int dstdir, const struct copy_opts *o,
		struct kerr *err)
{
	int data[2], errp[2];
	struct kerr cerr;
	pid_t pid;
	int status = 0;

	if (pipe2(data, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "pipe");
	if (pipe2(errp, O_CLOEXEC) < 0) {
		fd_close(data[0]);
		fd_close(data[1]);
		return kerr_set(err, errno, "pipe");
	}
	pid = fork();
	if (pid < 0) {
		kerr_set(err, errno, "fork");
		fd_close(data[0]);
		fd_close(data[1]);
		fd_close(errp[0]);
		fd_close(errp[1]);
		return -1;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_IGN); /* a reader that gave up is EPIPE, not a signal */
		fd_close(data[0]);
		fd_close(errp[0]);
		if (copy_archive(&src->root, src->a.path, as_name, o, data[1], &cerr) < 0) {
			if (write(errp[1], &cerr, sizeof(cerr)) < 0)
				_exit(2);
			_exit(1);
		}
		_exit(0);
	}
	fd_close(data[1]);
	fd_close(errp[1]);
	int rc = copy_extract(dstdir, data[0], o, err);
	fd_close(data[0]); /* a producer still writing gets EPIPE */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ssize_t n = read(errp[0], &cerr, sizeof(cerr));
	fd_close(errp[0]);
	if (n == (ssize_t)sizeof(cerr) && (rc == 0 || cerr.code != EPIPE)) {
		cerr.msg[sizeof(cerr.msg) - 1] = '\0';
		*err = cerr;
		return -1;
	}
	if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return kerr_set(err, 0, "the copying process failed (status %d)", status);
	return rc;
}

static int copy_files(struct side *src, struct side *dst, const struct copy_opts *o,
		      struct kerr *err)
{
	_cleanup_close_ int sfd = -1, dfd = -1, xfd = -1;
	enum cppath_dst dst_state = CPPATH_DST_MISSING;
	char as_name[NAME_MAX + 1];
	struct cppath_plan plan;
	struct stat sst, dst_st;

	if (src->a.stdio) { /* a tar stream on stdin: into an existing directory */
		if (copy_open(&dst->root, dst->a.path, O_PATH | O_DIRECTORY, true, &xfd, err) < 0)
			return err->code == ENOSYS
				       ? kerr_wrap(err, "destination `%s`", dst->a.arg)
				       : kerr_wrap(err,
						   "destination `%s` must be an existing directory",
						   dst->a.arg);
		return copy_extract(xfd, STDIN_FILENO, o, err) < 0
			       ? kerr_wrap(err, "extract into `%s`", dst->a.arg)
			       : 0;
	}
	if (dst->a.stdio) {
		if (cppath_entry_name(src->a.path, as_name, sizeof(as_name), err) < 0 ||
		    copy_archive(&src->root, src->a.path, as_name, o, STDOUT_FILENO, err) < 0)
			return kerr_wrap(err, "copy `%s`", src->a.arg);
		return 0;
	}
	if (copy_open(&src->root, src->a.path, O_PATH, o->follow, &sfd, err) < 0)
		return kerr_wrap(err, "source `%s`", src->a.arg);
	if (fstat(sfd, &sst) < 0)
		return kerr_set(err, errno, "stat `%s`", src->a.arg);
	bool src_dir = S_ISDIR(sst.st_mode);
	/* Extraction on the host skips device members (copy.h), so a device named as SRC
	 * would copy nothing yet succeed: refuse it by name instead. docker creates the node. */
	if (!o->devices && (S_ISCHR(sst.st_mode) || S_ISBLK(sst.st_mode)))
		return kerr_set(err, 0,
				"source `%s` is a %s device: device nodes are not copied to the "
				"host (files, directories, symlinks and fifos are)",
				src->a.arg, S_ISCHR(sst.st_mode) ? "character" : "block");
	if (cppath_src_name(&src->a, src_dir, as_name, err) < 0)
		return -1;
	if (copy_open(&dst->root, dst->a.path, O_PATH, true, &dfd, err) == 0) {
		if (fstat(dfd, &dst_st) < 0)
			return kerr_set(err, errno, "stat `%s`", dst->a.arg);
		dst_state = S_ISDIR(dst_st.st_mode) ? CPPATH_DST_DIR : CPPATH_DST_FILE;
	} else if (err->code != ENOENT) {
		return kerr_wrap(err, "destination `%s`", dst->a.arg);
	}
	if (cppath_plan(&src->a, src_dir, dst_state, &dst->a, &plan, err) < 0)
		return -1;
	/* Into DST itself, or (a new name, or a file replaced) into DST's parent. */
	if (!plan.into_dst &&
	    copy_open(&dst->root, plan.dir, O_PATH | O_DIRECTORY, true, &xfd, err) < 0)
		return kerr_wrap(err, "destination directory of `%s`", dst->a.arg);
	if (pump(src, plan.name, plan.into_dst ? dfd : xfd, o, err) < 0)
		return kerr_wrap(err, "copy `%s` to `%s`", src->a.arg, dst->a.arg);
	return 0;
}

static int cp_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct copy_opts *o = ctx;

	(void)cmd;
	(void)val;
	if (id == 'a')
		o->keep_owner = true;
	else
		o->follow = true;
	return 0;
}

int client_cp_main(int argc, char **argv)
{
	const struct cli_cmd *cmd = &client_cp_cmd;
	struct copy_opts o = { 0 };
	struct client_args args;
	struct side src, dst;
	struct client cl;
	struct kerr err;
	int rc = client_parse(cmd, argc, argv, cp_option, &o, &args);

	if (rc >= 0)
		return rc;
	if (args.n != 2)
		return client_args_error(cmd, "SRC and DST are required, %d argument%s given",
					 args.n, args.n == 1 ? " was" : "s were");
	if (parse_side(&src, args.v[0], &err) < 0)
		return client_args_error(cmd, "SRC: %s", err.msg);
	if (parse_side(&dst, args.v[1], &err) < 0)
		return client_args_error(cmd, "DST: %s", err.msg);
	if (cppath_check_pair(&src.a, &dst.a, &err) < 0)
		return client_args_error(cmd, "%s", err.msg);
	rc = client_open(&cl);
	if (rc != 0)
		return rc;
	struct side *ctr = src.a.in_ctr ? &src : &dst;
	o.devices = dst.a.in_ctr;
	rc = open_ctr_root(&cl, ctr, &err);
	client_close(&cl);
	if (rc == 0 && copy_files(&src, &dst, &o, &err) < 0)
		rc = CLIENT_EXIT_FAIL;
	fd_close(ctr->rootfd);
	return rc ? client_fail(rc, &err) : 0;
}
