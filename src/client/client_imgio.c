/*
 * client_imgio: `kettle load`, `kettle import` and `kettle save` (layer 3, client role):
 * files moving between this process and the daemon's image worker.
 *
 * No archive byte passes through the client or the daemon's loop: the client hands its
 * own descriptor (the file it opened, or its stdin/stdout when they are a file or a pipe)
 * to the daemon with the request (SCM_RIGHTS), which hands it to a worker. An OCI layout
 * given as a directory is turned into a tar stream by a child of the client (copy_archive
 * into a pipe). On a terminal, and without -q, the client also hands over the write end
 * of a pipe the worker writes progress lines to, read here until its EOF and drawn as
 * docker draws it (one line per layer: id, action, a bar, bytes, rate); then the daemon's
 * answer is printed: "Loaded image: NAME:TAG" or "Loaded image ID: sha256:…" per image,
 * an imported image's id. save refuses to write to a terminal, as docker does.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/json_w.h"
#include "base/str.h"
#include "client/client.h"
#include "client/client_images.h"
#include "copy/copy.h"
#include "image/imgref.h"

#define BAR_WIDTH    50	 /* docker's progress bar */
#define LINE_MAX_    512 /* bytes of one progress line from the worker */
#define REPLY_TOKENS 65536

/* ---- sizes and progress ---- */

void client_images_human_size(uint64_t bytes, char *out, size_t cap)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000.0;
		u++;
	}
	snprintf(out, cap, "%.3g%s", v, units[u]);
}

/* The layer being drawn. */
struct draw {
	FILE *out;   /* where the bars go (a terminal) */
	char id[80]; /* the current line's layer */
	uint64_t t0; /* ms when it started */
	bool open;   /* a line is drawn and not yet ended */
};

static void draw_line(struct draw *dr, const char *id, const char *action, uint64_t cur,
		      uint64_t total)
{
	char a[32], b[32], rate[48] = "", bar[BAR_WIDTH + 1];
	uint64_t now = clock_mono_ms();

	if (strcmp(dr->id, id) != 0) {
		if (dr->open)
			fputc('\n', dr->out);
		str_copy(dr->id, sizeof(dr->id), id);
		dr->t0 = now;
	}
	client_images_human_size(cur, a, sizeof(a));
	client_images_human_size(total, b, sizeof(b));
	if (now > dr->t0 + 200) {
		char r[32];

		client_images_human_size(cur * 1000 / (now - dr->t0), r, sizeof(r));
		snprintf(rate, sizeof(rate), "  %s/s", r);
	}
	size_t fill = total ? (size_t)(cur * BAR_WIDTH / (total ? total : 1)) : 0;
	if (fill > BAR_WIDTH)
		fill = BAR_WIDTH;
	for (size_t i = 0; i < BAR_WIDTH; i++)
		bar[i] = i + 1 < fill ? '=' : i + 1 == fill ? '>' : ' ';
	bar[BAR_WIDTH] = '\0';
	fprintf(dr->out, "\r%s%s%s [%s] %8s/%s%s\x1b[K", id[0] ? id : "", id[0] ? ": " : "", action,
		bar, a, total ? b : "?", rate);
	fflush(dr->out);
	dr->open = true;
}

/* Reads the worker's progress lines from fd until EOF, drawing them. */
static void show_progress(int fd, FILE *out)
{
	struct draw dr = { .out = out };
	char buf[8192];
	size_t len = 0;

	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			struct json_tok toks[16];
			struct json_doc d;
			struct kerr err;
			char id[80] = "", action[48] = "";
			uint64_t cur = 0, total = 0;
			int v;

			*nl = '\0';
			/* Lines that are not progress (there should be none) are skipped. */
			if (json_parse(&d, line, (size_t)(nl - line), toks, 16, &err) == 0 &&
			    d.toks[0].type == JSON_OBJECT) {
				if ((v = json_obj_get(&d, 0, "id")) >= 0)
					(void)json_get_str(&d, v, id, sizeof(id), &err);
				if ((v = json_obj_get(&d, 0, "action")) >= 0)
					(void)json_get_str(&d, v, action, sizeof(action), &err);
				if ((v = json_obj_get(&d, 0, "current")) >= 0)
					(void)json_get_u64(&d, v, &cur, &err);
				if ((v = json_obj_get(&d, 0, "total")) >= 0)
					(void)json_get_u64(&d, v, &total, &err);
				if (strlen(id) > IMGREF_SHORT_LEN)
					id[IMGREF_SHORT_LEN] = '\0';
				draw_line(&dr, id, action, cur, total);
			}
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
		if (len == sizeof(buf) - 1)
			len = 0; /* an overlong line: dropped */
	}
	if (dr.open)
		fputc('\n', out);
	fflush(out);
}

/* ---- the request ---- */

/*
 * Sends type with the data descriptor (and a progress pipe when progress is not NULL),
 * shows the progress until the worker is done, then waits for the answer.
 */
static int call_with_fds(struct client *cl, uint16_t type, int datafd, FILE *progress,
			 void (*fields)(struct wire_enc *e, const void *ctx), const void *ctx,
			 struct wire_frame *reply)
{
	int fds[2] = { datafd, -1 };
	int pipefd[2] = { -1, -1 };
	struct wire_enc e;
	struct kerr err;
	size_t n = 1;

	if (progress) {
		if (pipe2(pipefd, O_CLOEXEC) < 0) {
			kerr_set(&err, errno, "create the progress pipe");
			return client_fail(CLIENT_EXIT_FAIL, &err);
		}
		fds[n++] = pipefd[1];
	}
	if (ipc_conn_attach_fds(&cl->conn, fds, n, &err) < 0) {
		fd_close(pipefd[0]);
		fd_close(pipefd[1]);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	uint32_t reqid = ++cl->next_reqid;
	wire_enc_begin(&e, ipc_conn_txbuf(&cl->conn), type, reqid, WIRE_FLAG_FDS);
	wire_enc_u32(&e, WIRE_F_NFDS, (uint32_t)n);
	if (fields)
		fields(&e, ctx);
	int rc = client_end(&e);
	if (rc == 0 && ipc_conn_call_flush(&cl->conn, -1, &err) < 0)
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
	/* Sent: only the worker holds the write end now, so its exit is our EOF. */
	fd_close(pipefd[1]);
	if (rc == 0 && progress)
		show_progress(pipefd[0], progress);
	fd_close(pipefd[0]);
	return rc ? rc : client_call(cl, reqid, reply);
}

/* Prints a load's or import's images: "Loaded image: NAME:TAG" or the id. */
static int print_loaded(const struct wire_frame *reply, bool import)
{
	struct json_tok *toks = calloc(REPLY_TOKENS, sizeof(*toks));
	const uint8_t *text;
	struct json_doc d;
	struct kerr err;
	size_t len;
	int rc = 0;

	if (!toks)
		return client_runflags_out_of_memory();
	if (wire_get_bytes(reply, WIRE_F_JSON, true, &text, &len, &err) < 0 ||
	    json_parse(&d, (const char *)text, len, toks, REPLY_TOKENS, &err) < 0) {
		free(toks);
		kerr_wrap(&err, "the daemon's answer");
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	int imgs = json_obj_get(&d, 0, "images");
	for (int i = 0, k = imgs + 1; imgs >= 0 && i < d.toks[imgs].size;
	     i++, k = json_skip(&d, k)) {
		char id[IMGREF_DIGEST_LEN + 1] = "", tag[2 * IMGREF_MAX + 2],
					    shown[2 * IMGREF_MAX + 2];
		int v = json_obj_get(&d, k, "id"), t = json_obj_get(&d, k, "tags");

		if (v >= 0)
			(void)json_get_str(&d, v, id, sizeof(id), &err);
		if (import) {
			printf("%s\n", id);
			continue;
		}
		int nt = t >= 0 ? d.toks[t].size : 0;
		for (int m = 0, q = t + 1; m < nt; m++, q = json_skip(&d, q)) {
			if (json_get_str(&d, q, tag, sizeof(tag), &err) < 0)
				continue;
			imgref_familiar(tag, shown, sizeof(shown));
			printf("Loaded image: %s\n", shown);
		}
		if (nt == 0)
			printf("Loaded image ID: %s\n", id);
	}
	free(toks);
	fflush(stdout);
	return rc;
}

/* ---- an OCI layout directory as a tar stream ---- */

/* Starts a child writing dir's contents as a tar into a pipe; *rd is the read end. */
static int tar_directory(const char *dir, int *rd, pid_t *child, struct kerr *err)
{
	int p[2];
	_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return kerr_set(err, errno, "open `%s`", dir);
	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "pipe");
	*child = fork();
	if (*child < 0) {
		fd_close(p[0]);
		fd_close(p[1]);
		return kerr_set(err, errno, "fork");
	}
	if (*child == 0) {
		struct copy_root root = { .fd = dfd, .contained = true };
		struct copy_opts o = { .keep_owner = false };
		struct kerr cerr;

		signal(SIGPIPE, SIG_IGN);
		fd_close(p[0]);
		_exit(copy_archive(&root, ".", "", &o, p[1], &cerr) < 0 ? 1 : 0);
	}
	fd_close(p[1]);
	*rd = p[0];
	return 0;
}

/* The input: -i FILE (a directory is an OCI layout), else stdin when it is not a tty. */
static int open_input(const struct cli_cmd *cmd, const char *path, int *fd, pid_t *child,
		      struct kerr *err)
{
	struct stat st;

	*child = 0;
	if (!path || strcmp(path, "-") == 0) {
		if (fstat(STDIN_FILENO, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)))
			return client_usage_error(cmd,
						  "requested load from stdin, but stdin is empty: "
						  "give -i FILE, or redirect or pipe an archive");
		*fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (*fd < 0)
			return client_fail(CLIENT_EXIT_FAIL,
					   &(struct kerr){ .code = errno, .msg = "dup stdin" });
		return 0;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (tar_directory(path, fd, child, err) < 0)
			return client_fail(CLIENT_EXIT_FAIL, err);
		return 0;
	}
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0) {
		kerr_set(err, errno, "open `%s`", path);
		return client_fail(CLIENT_EXIT_FAIL, err);
	}
	return 0;
}

static void reap(pid_t child)
{
	int status;

	if (child > 0)
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
}

/* ---- load ---- */

static const struct cli_opt load_opts[] CLI_TABLE = {
	CLI_OPT('i', 'i', CLI_FILE, 0, "input", "FILE",
		"Read from FILE (a tar, compressed or not, or an OCI layout directory) instead "
		"of stdin"),
	CLI_OPT('q', 'q', CLI_FLAG, 0, "quiet", "", "No progress, only the loaded images"),
};

const struct cli_cmd client_load_cmd CLI_TABLE = {
	.name = "load",
	.summary = "Load images from an archive",
	.synopsis = "kettle load [-i FILE|-] [-q]",
	.description = "Load the images of a docker-archive (docker save, podman save, skopeo's "
		       "docker-archive:) or of an OCI image layout (a directory or a tar of "
		       "one), layers uncompressed or gzip. Every blob is checked against its "
		       "digest. Prints each image's name, or its id when it has none.",
	.opts = load_opts,
	.nopts = CLI_COUNT(load_opts),
};

struct load_args {
	const char *input; /* -i, or NULL for stdin */
	bool quiet;	   /* -q */
};

static int load_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct load_args *a = ctx;

	(void)cmd;
	if (id == 'i')
		a->input = val;
	else
		a->quiet = true;
	return 0;
}

int client_load_main(int argc, char **argv)
{
	struct load_args a = { 0 };
	struct client_args args;
	struct wire_frame reply;
	struct client cl;
	struct kerr err;
	pid_t child;
	int fd = -1;
	int rc = client_parse(&client_load_cmd, argc, argv, load_option, &a, &args);

	if (rc >= 0)
		return rc;
	rc = open_input(&client_load_cmd, a.input, &fd, &child, &err);
	if (rc)
		return rc;
	rc = client_open(&cl);
	if (rc == 0) {
		FILE *progress = !a.quiet && isatty(STDOUT_FILENO) ? stdout : NULL;

		rc = call_with_fds(&cl, WIRE_T_IMAGE_LOAD, fd, progress, NULL, NULL, &reply);
		fd = fd_close(fd);
		if (rc == 0)
			rc = print_loaded(&reply, false);
		client_close(&cl);
	}
	fd_close(fd);
	reap(child);
	return rc;
}

/* ---- import ---- */

static const struct cli_opt import_opts[] CLI_TABLE = {
	CLI_OPT('m', 'm', CLI_STRING, 0, "message", "TEXT", "The history entry's comment"),
	CLI_OPT('q', 'q', CLI_FLAG, 0, "quiet", "", "No progress"),
};

const struct cli_cmd client_import_cmd CLI_TABLE = {
	.name = "import",
	.summary = "Make an image from a root filesystem tarball",
	.synopsis = "kettle import [OPTIONS] FILE|- [REPOSITORY[:TAG]]",
	.description = "Make a one-layer image from a tar of a root filesystem (compressed or "
		       "not), as docker import does, and print its id.",
	.opts = import_opts,
	.nopts = CLI_COUNT(import_opts),
	.pos = { .min = 1, .max = 2, .first = CLI_FILE, .rest = CLI_STRING },
	.flags = CLI_INTERLEAVE,
};

struct import_args {
	const char *message; /* -m */
	bool quiet;	     /* -q */
	const char *tag;     /* REPOSITORY[:TAG] */
};

static int import_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct import_args *a = ctx;

	(void)cmd;
	if (id == 'm')
		a->message = val;
	else
		a->quiet = true;
	return 0;
}

static void import_fields(struct wire_enc *e, const void *ctx)
{
	const struct import_args *a = ctx;

	if (a->tag)
		wire_enc_str(e, WIRE_F_REF, a->tag);
	if (a->message)
		wire_enc_str(e, WIRE_F_MSG, a->message);
}

int client_import_main(int argc, char **argv)
{
	struct import_args a = { 0 };
	struct client_args args;
	struct wire_frame reply;
	struct client cl;
	struct kerr err;
	int fd = -1;
	int rc = client_parse(&client_import_cmd, argc, argv, import_option, &a, &args);

	if (rc >= 0)
		return rc;
	a.tag = args.n > 1 ? args.v[1] : NULL;
	if (a.tag) {
		struct imgref r;

		if (imgref_parse(a.tag, &r, &err) < 0)
			return client_usage_error(&client_import_cmd, "%s", err.msg);
	}
	if (strcmp(args.v[0], "-") == 0) {
		if (isatty(STDIN_FILENO))
			return client_usage_error(
				&client_import_cmd,
				"stdin is a terminal: redirect a tarball into - ");
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	} else {
		fd = open(args.v[0], O_RDONLY | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0) {
		kerr_set(&err, errno, "open `%s`", args.v[0]);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	rc = client_open(&cl);
	if (rc == 0) {
		FILE *progress = !a.quiet && isatty(STDOUT_FILENO) ? stdout : NULL;

		rc = call_with_fds(&cl, WIRE_T_IMAGE_IMPORT, fd, progress, import_fields, &a,
				   &reply);
		if (rc == 0)
			rc = print_loaded(&reply, true);
		client_close(&cl);
	}
	fd_close(fd);
	return rc;
}

/* ---- save ---- */

static const struct cli_opt save_opts[] CLI_TABLE = {
	CLI_OPT('o', 'o', CLI_FILE, 0, "output", "FILE", "Write to FILE instead of stdout"),
	CLI_OPT('f', 0, CLI_CHOICE, 0, "format", "docker|oci",
		"docker: docker's archive (default), for docker, podman and kettle load; oci: an "
		"OCI image layout tar"),
	CLI_OPT('q', 'q', CLI_FLAG, 0, "quiet", "", "No progress"),
};

const struct cli_cmd client_save_cmd CLI_TABLE = {
	.name = "save",
	.summary = "Save images to an archive",
	.synopsis = "kettle save [OPTIONS] IMAGE [IMAGE...]",
	.description = "Write images, with the tags they were named by, as a tar archive.",
	.opts = save_opts,
	.nopts = CLI_COUNT(save_opts),
	.pos = { .min = 1, .max = CLI_ARGS_MANY, .first = CLI_STRING, .rest = CLI_STRING },
	.flags = CLI_INTERLEAVE,
};

struct save_args {
	const char *output;	 /* -o */
	const char *format;	 /* --format */
	bool quiet;		 /* -q */
	struct client_args refs; /* the images */
};

static int save_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct save_args *a = ctx;

	if (id == 'o') {
		a->output = val;
	} else if (id == 'f') {
		if (strcmp(val, "docker") != 0 && strcmp(val, "oci") != 0)
			return client_usage_error(cmd,
						  "--format `%s` is unknown, expected docker "
						  "or oci",
						  val);
		a->format = val;
	} else {
		a->quiet = true;
	}
	return 0;
}

static void save_fields(struct wire_enc *e, const void *ctx)
{
	const struct save_args *a = ctx;
	struct buf b;
	struct json_w w;
	struct kerr err;

	buf_init(&b, 256u * 1024u);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "format");
	json_w_str(&w, a->format ? a->format : "docker");
	json_w_key(&w, "images");
	json_w_arr_begin(&w);
	for (int i = 0; i < a->refs.n; i++)
		json_w_str(&w, a->refs.v[i]);
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) == 0)
		wire_enc_bytes(e, WIRE_F_JSON, b.data, b.len);
	buf_done(&b);
}

int client_save_main(int argc, char **argv)
{
	struct save_args a = { 0 };
	struct wire_frame reply;
	struct client cl;
	struct kerr err;
	int fd;
	int rc = client_parse(&client_save_cmd, argc, argv, save_option, &a, &a.refs);

	if (rc >= 0)
		return rc;
	if (!a.output || strcmp(a.output, "-") == 0) {
		if (isatty(STDOUT_FILENO))
			return client_usage_error(
				&client_save_cmd,
				"cowardly refusing to save to a terminal. Use the "
				"-o flag or redirect");
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	} else {
		fd = open(a.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	}
	if (fd < 0) {
		kerr_set(&err, errno, "open `%s`", a.output ? a.output : "stdout");
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	rc = client_open(&cl);
	if (rc == 0) {
		FILE *progress = !a.quiet && isatty(STDERR_FILENO) ? stderr : NULL;

		rc = call_with_fds(&cl, WIRE_T_IMAGE_SAVE, fd, progress, save_fields, &a, &reply);
		client_close(&cl);
	}
	fd_close(fd);
	if (rc != 0 && a.output && strcmp(a.output, "-") != 0)
		(void)unlink(a.output); /* no half archive left behind */
	return rc;
}
