/*
 * client_ops: the operator's commands (layer 3, client role): `pause`, `unpause`,
 * `update`, `rename`, `restart`, `prune`, `top` and `info`.
 *
 * Each is one or two daemon requests per container, named on the command line, handled
 * one after the other; a failure for one container prints one line and the others go on,
 * and the command exits with the last failure's code (as docker continues past failures).
 * `top` asks the container's shim for its pids (SHIM_PIDS) and reads /proc itself, as
 * `ps -ef` would; `info` asks the daemon (INFO) and runs `<runtime> --version` itself,
 * so the daemon never waits on a child.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "client/client.h"
#include "client/client_devices.h"
#include "client/client_images.h"
#include "base/fd.h"
#include "store/ids.h"
#include "base/json.h"
#include "base/json_w.h"
#include "runtime/proc.h"
#include "store/restart.h"
#include "store/status.h"
#include "base/str.h"

#define STOP_DEFAULT_SECS 10			/* docker's restart grace period */
#define REPLY_TOKENS	  4096			/* tokens of one LIST entry set or INFO reply */
#define LIST_TOKENS	  JSON_TOKENS_MAX	/* tokens of a LIST reply */
#define TOP_MINWIDTH	  20			/* docker top: tabwriter minimum cell width */
#define TOP_PADDING	  3			/* docker top: tabwriter padding */
#define TOP_NCOLS	  8			/* UID PID PPID C STIME TTY TIME CMD */
#define TOP_PIDS_MAX	  (JSON_TOKENS_MAX - 1) /* processes listed by top */
#define PROC_FILE_MAX	  (64u * 1024u)		/* a /proc/<pid>/{stat,status,cmdline} read */
#define VERSION_OUT_MAX	  4096			/* bytes of `runtime --version` kept */

/* ---- shared: one request per container ---- */

/* Sends one request with REF (and whatever add() puts in) and waits for its reply.
 * Returns 0, or the failure's code with err. */
typedef void (*add_fields_fn)(struct wire_enc *e, const void *data);

static int ref_request(struct client *cl, uint16_t type, const char *ref, add_fields_fn add,
		       const void *data, struct wire_frame *reply, struct kerr *err)
{
	struct wire_enc e;
	uint32_t reqid = client_begin(cl, &cl->conn, &e, type);

	wire_enc_str(&e, WIRE_F_REF, ref);
	if (add)
		add(&e, data);
	if (wire_enc_end(&e, err) < 0)
		return CLIENT_EXIT_FAIL;
	return client_request(cl, reqid, reply, err);
}

/* Runs one request per ref, printing each ref that succeeded as docker does. */
static int each(uint16_t type, int n, char **refs, add_fields_fn add, const void *data)
{
	struct client cl;
	struct wire_frame f;
	struct kerr err;
	int rc = client_open(&cl), last = 0;

	if (rc != 0)
		return rc;
	for (int i = 0; i < n; i++) {
		rc = ref_request(&cl, type, refs[i], add, data, &f, &err);
		if (rc == 0) {
			printf("%s\n", refs[i]);
			continue;
		}
		fflush(stdout);
		fprintf(stderr, "kettle: %s\n", err.msg);
		last = rc;
	}
	client_close(&cl);
	return last;
}

/* ---- pause, unpause ---- */

const struct cli_cmd client_pause_cmd CLI_TABLE = {
	.name = "pause",
	.summary = "Freeze every process of containers",
	.synopsis = "kettle pause CONTAINER [CONTAINER...]",
	.description = "Freeze every process of running containers (the cgroup freezer) and "
		       "print each name as given. `ps` shows them as \"Up … (Paused)\".",
	.pos = CLI_CONTAINERS,
	.flags = CLI_INTERLEAVE,
};

const struct cli_cmd client_unpause_cmd CLI_TABLE = {
	.name = "unpause",
	.summary = "Thaw paused containers",
	.synopsis = "kettle unpause CONTAINER [CONTAINER...]",
	.description = "Thaw paused containers and print each name as given.",
	.pos = CLI_CONTAINERS,
	.flags = CLI_INTERLEAVE,
};

/* pause and unpause: --help only, then one request per container named. */
static int each_named(const struct cli_cmd *cmd, uint16_t type, int argc, char **argv)
{
	struct client_args args;
	int rc = client_parse(cmd, argc, argv, NULL, NULL, &args);

	return rc >= 0 ? rc : each(type, args.n, args.v, NULL, NULL);
}

int client_pause_main(int argc, char **argv)
{
	return each_named(&client_pause_cmd, WIRE_T_PAUSE, argc, argv);
}

int client_unpause_main(int argc, char **argv)
{
	return each_named(&client_unpause_cmd, WIRE_T_UNPAUSE, argc, argv);
}

/* ---- rename ---- */

const struct cli_cmd client_rename_cmd CLI_TABLE = {
	.name = "rename",
	.summary = "Rename a container",
	.synopsis = "kettle rename CONTAINER NEW_NAME",
	.description = "Rename a container. The new name must be unused and match "
		       "[a-zA-Z0-9][a-zA-Z0-9_.-]*.",
	/* the command checks them, worded "exactly two" */
	.pos = { .max = CLI_ARGS_MANY, .first = CLI_CONTAINER, .rest = CLI_STRING },
	.flags = CLI_INTERLEAVE,
};

static void add_name(struct wire_enc *e, const void *data)
{
	wire_enc_str(e, WIRE_F_NAME, data);
}

int client_rename_main(int argc, char **argv)
{
	struct client_args args;
	struct client cl;
	struct wire_frame f;
	struct kerr err;
	int rc = client_parse(&client_rename_cmd, argc, argv, NULL, NULL, &args);

	if (rc >= 0)
		return rc;
	if (args.n != 2)
		return client_args_error(&client_rename_cmd,
					 "exactly two arguments are required, got %d", args.n);
	if (ids_check_name(args.v[1], &err) < 0)
		return client_args_error(&client_rename_cmd, "%s", err.msg);
	rc = client_open(&cl);
	if (rc != 0)
		return rc;
	rc = ref_request(&cl, WIRE_T_RENAME, args.v[0], add_name, args.v[1], &f, &err);
	if (rc != 0)
		client_fail(rc, &err);
	client_close(&cl);
	return rc;
}

/* ---- update ---- */

enum {
	UPDATE_MEMORY = 'm',
	UPDATE_CPUS = 256,
	UPDATE_PIDS,
	UPDATE_RESTART,
};

static const struct cli_opt update_opts[] CLI_TABLE = {
	CLI_OPT(UPDATE_MEMORY, 'm', CLI_SIZE, 0, "memory", "BYTES",
		"Memory limit (512m, 1g, ...; 0 removes it)"),
	CLI_OPT(UPDATE_CPUS, 0, CLI_NUMBER, 0, "cpus", "NUMBER", "CPUs (1.5; 0 removes the limit)"),
	CLI_OPT(UPDATE_PIDS, 0, CLI_NUMBER, 0, "pids-limit", "NUMBER",
		"Tasks at most (0 or -1 removes the limit)"),
	CLI_OPT(UPDATE_RESTART, 0, CLI_STRING, 0, "restart", "POLICY",
		"no, on-failure[:MAX], always or unless-stopped"),
};

const struct cli_cmd client_update_cmd CLI_TABLE = {
	.name = "update",
	.summary = "Change containers' limits or restart policy",
	.synopsis = "kettle update [OPTIONS] CONTAINER [CONTAINER...]",
	.description = "Change the resource limits or the restart policy of containers, live "
		       "when they run (`runc update`) and in their record for the next start. "
		       "Prints each name as given.",
	.opts = update_opts,
	.nopts = CLI_COUNT(update_opts),
	.pos = CLI_CONTAINERS,
	.flags = CLI_INTERLEAVE,
};

/* What update's flags asked for. A flag given twice keeps its last value, as docker's
 * do: each key is written once, after the parse (the daemon refuses a document with a
 * duplicate key). */
struct update_args {
	bool has_memory;     /* --memory given */
	bool has_cpus;	     /* --cpus given */
	bool has_pids;	     /* --pids-limit given */
	uint64_t memory;     /* bytes */
	uint64_t cpus;	     /* milli-CPUs */
	int64_t pids;	     /* -1 or 0: no limit */
	const char *restart; /* borrowed from argv, checked; NULL when not given */
};

static int update_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct update_args *a = ctx;
	struct restart_spec spec;
	struct kerr err;

	switch (id) {
	case UPDATE_MEMORY:
		if (str_parse_size(val, &a->memory, &err) < 0)
			return client_usage_error(cmd, "--memory: %s", err.msg);
		a->has_memory = true;
		return 0;
	case UPDATE_CPUS:
		if (str_parse_milli(val, 1000000, &a->cpus, &err) < 0)
			return client_usage_error(cmd, "--cpus: %s", err.msg);
		a->has_cpus = true;
		return 0;
	case UPDATE_PIDS:
		if (str_to_i64(val, -1, INT64_MAX, &a->pids, &err) < 0)
			return client_usage_error(cmd, "--pids-limit: %s", err.msg);
		a->has_pids = true;
		return 0;
	default:
		if (restart_parse(val, &spec, &err) < 0)
			return client_usage_error(cmd, "--restart: %s", err.msg);
		a->restart = val;
		return 0;
	}
}

static void add_json(struct wire_enc *e, const void *data)
{
	const struct buf *b = data;

	wire_enc_bytes(e, WIRE_F_JSON, b->data, b->len);
}

int client_update_main(int argc, char **argv)
{
	struct update_args a = { 0 };
	struct client_args args;
	struct json_w w;
	struct kerr err;
	struct buf b;
	int rc = client_parse(&client_update_cmd, argc, argv, update_option, &a, &args);

	if (rc >= 0)
		return rc;
	if (!(a.has_memory || a.has_cpus || a.has_pids || a.restart))
		return client_args_error(&client_update_cmd,
					 "nothing to update: give --memory, --cpus, --pids-limit "
					 "or --restart");
	buf_init(&b, 4096);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	if (a.has_memory) {
		json_w_key(&w, "memory");
		json_w_u64(&w, a.memory);
	}
	if (a.has_cpus) {
		json_w_key(&w, "cpus");
		json_w_u64(&w, a.cpus);
	}
	if (a.has_pids) {
		json_w_key(&w, "pids_limit");
		json_w_i64(&w, a.pids < 0 ? 0 : a.pids);
	}
	if (a.restart) {
		json_w_key(&w, "restart");
		json_w_str(&w, a.restart);
	}
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) < 0) {
		buf_done(&b);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	rc = each(WIRE_T_UPDATE, args.n, args.v, add_json, &b);
	buf_done(&b);
	return rc;
}

/* ---- restart ---- */

const struct cli_cmd client_restart_cmd CLI_TABLE = {
	.name = "restart",
	.summary = "Stop and start containers again",
	.synopsis = "kettle restart [-t SECONDS] CONTAINER [CONTAINER...]",
	.description = "Stop containers (SIGTERM, then SIGKILL after the grace period) and start "
		       "them again. Prints each name as given.",
	.opts = client_stop_opts,
	.nopts = CLIENT_STOP_NOPTS,
	.pos = CLI_CONTAINERS,
	.flags = CLI_INTERLEAVE,
};

static void add_grace(struct wire_enc *e, const void *data)
{
	client_stop_encode(e, *(const uint64_t *)data);
}

int client_restart_main(int argc, char **argv)
{
	uint64_t secs = STOP_DEFAULT_SECS;
	struct client_args args;
	struct client cl;
	struct wire_frame f;
	struct kerr err;
	int last = 0;
	int rc = client_parse(&client_restart_cmd, argc, argv, client_stop_grace, &secs, &args);

	if (rc >= 0)
		return rc;
	rc = client_open(&cl);
	if (rc != 0)
		return rc;
	for (int i = 0; i < args.n; i++) {
		rc = ref_request(&cl, WIRE_T_STOP, args.v[i], add_grace, &secs, &f, &err);
		if (rc == 0)
			rc = ref_request(&cl, WIRE_T_START, args.v[i], NULL, NULL, &f, &err);
		if (rc == 0) {
			printf("%s\n", args.v[i]);
			continue;
		}
		fflush(stdout);
		fprintf(stderr, "kettle: %s\n", err.msg);
		last = rc;
	}
	client_close(&cl);
	return last;
}

/* ---- prune ---- */

static const struct cli_opt prune_opts[] CLI_TABLE = {
	CLI_OPT('f', 'f', CLI_FLAG, 0, "force", "", "Do not ask for confirmation"),
};

const struct cli_cmd client_prune_cmd CLI_TABLE = {
	.name = "prune",
	.summary = "Remove every stopped container",
	.synopsis = "kettle prune [-f]",
	.description = "Remove every stopped container (created, exited or dead) and print "
		       "their ids.",
	.opts = prune_opts,
	.nopts = CLI_COUNT(prune_opts),
	.flags = CLI_INTERLEAVE,
};

static bool confirmed(void)
{
	char line[64];

	fputs("WARNING! This will remove all stopped containers.\n"
	      "Are you sure you want to continue? [y/N] ",
	      stdout);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return (line[0] == 'y' || line[0] == 'Y') && (line[1] == '\n' || line[1] == '\0');
}

/* The ids of every stopped container in a LIST reply, newest first. */
static int stopped_ids(const uint8_t *text, size_t len, char (**ids)[IDS_ID_LEN + 1], size_t *n,
		       struct kerr *err)
{
	_cleanup_free_ struct json_tok *toks = malloc(sizeof(*toks) * LIST_TOKENS);
	struct json_doc d;
	char kind[32];

	*n = 0;
	*ids = NULL;
	if (!toks)
		return kerr_set(err, ENOMEM, "prune");
	if (json_parse(&d, (const char *)text, len, toks, LIST_TOKENS, err) < 0)
		return kerr_wrap(err, "the daemon's list");
	if (d.toks[0].type != JSON_ARRAY)
		return kerr_set(err, 0, "the daemon's list is not an array");
	*ids = calloc((size_t)d.toks[0].size + 1, sizeof(**ids));
	if (!*ids)
		return kerr_set(err, ENOMEM, "prune");
	for (int i = 1, k = 0; k < d.toks[0].size; k++, i = json_skip(&d, i)) {
		int id = json_obj_get(&d, i, "id"), st = json_obj_get(&d, i, "status");
		struct kerr ignored;

		if (id < 0 || st < 0 || json_get_str(&d, st, kind, sizeof(kind), &ignored) < 0)
			continue;
		if (strcmp(kind, "created") != 0 && strcmp(kind, "exited") != 0 &&
		    strcmp(kind, "dead") != 0)
			continue;
		if (json_get_str(&d, id, (*ids)[*n], IDS_ID_LEN + 1, &ignored) == 0)
			(*n)++;
	}
	return 0;
}

int client_prune_main(int argc, char **argv)
{
	_cleanup_free_ char(*ids)[IDS_ID_LEN + 1] = NULL;
	const uint8_t *json;
	size_t len, n = 0, removed = 0;
	bool force = false;
	struct client_args args;
	struct client cl;
	struct wire_frame f;
	struct wire_enc e;
	struct kerr err;
	int last = 0;
	int rc = client_parse(&client_prune_cmd, argc, argv, client_opt_flag, &force, &args);

	if (rc >= 0)
		return rc;
	if (!force && !confirmed())
		return 0;
	rc = client_open(&cl);
	if (rc != 0)
		return rc;
	uint32_t reqid = client_begin(&cl, &cl.conn, &e, WIRE_T_LIST);
	wire_enc_u32(&e, WIRE_F_ALL, 1);
	rc = client_end(&e);
	if (rc == 0)
		rc = client_call(&cl, reqid, &f);
	if (rc == 0 && (wire_get_bytes(&f, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
			stopped_ids(json, len, &ids, &n, &err) < 0))
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		/* Not forced: one started since the list stays, with its error shown. */
		int r = ref_request(&cl, WIRE_T_REMOVE, ids[i], NULL, NULL, &f, &err);

		if (r != 0) {
			fflush(stdout);
			fprintf(stderr, "kettle: %s\n", err.msg);
			last = r;
			continue;
		}
		if (removed++ == 0)
			printf("Deleted Containers:\n");
		printf("%s\n", ids[i]);
	}
	if (rc == 0)
		printf("%sTotal: %zu container%s removed\n", removed ? "\n" : "", removed,
		       removed == 1 ? "" : "s");
	client_close(&cl);
	return rc ? rc : last;
}

/* ---- top ---- */

struct top_row {
	long pid;		/* host pid */
	char *cells[TOP_NCOLS]; /* owned strings */
};

/* "a b c" of /proc/<pid>/cmdline, or "[comm]" for a kernel-style empty one. */
static void read_cmdline(const char *dir, const char *comm, char *out, size_t cap)
{
	char path[96];
	size_t len = 0;
	struct kerr err;
	_cleanup_free_ char *buf = malloc(PROC_FILE_MAX);

	snprintf(path, sizeof(path), "%s/cmdline", dir);
	if (!buf || fd_read_small_file(AT_FDCWD, path, buf, PROC_FILE_MAX, &len, &err) < 0)
		len = 0;
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	if (len == 0) {
		snprintf(out, cap, "[%s]", comm);
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0' || !isprint((unsigned char)buf[i]))
			buf[i] = buf[i] == '\0' ? ' ' : '?';
	snprintf(out, cap, "%.*s", (int)len, buf);
}

static unsigned long long boot_time_s(void)
{
	char buf[256];
	size_t len;
	struct kerr err;
	double up = 0;

	if (fd_read_small_file(AT_FDCWD, "/proc/uptime", buf, sizeof(buf), &len, &err) < 0 ||
	    sscanf(buf, "%lf", &up) != 1)
		return 0;
	return (unsigned long long)time(NULL) - (unsigned long long)up;
}

/* One `ps -ef` row from /proc/<pid>; false when the process is gone. */
static bool top_row(long pid, unsigned long long boot, struct top_row *row)
{
	char dir[64], path[80], comm[64] = "", buf[4096], cell[4096], user[64];
	size_t len;
	struct kerr err;
	long hz = sysconf(_SC_CLK_TCK);
	int ppid = 0, tty = 0;
	unsigned long long utime = 0, stime = 0, start = 0;
	unsigned uid = 0;

	snprintf(dir, sizeof(dir), "/proc/%ld", pid);
	snprintf(path, sizeof(path), "%s/stat", dir);
	if (fd_read_small_file(AT_FDCWD, path, buf, sizeof(buf), &len, &err) < 0)
		return false;
	/* comm may hold spaces and parentheses: fields resume after the last ')'. */
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	if (!open || !close || close < open || close[1] != ' ')
		return false;
	snprintf(comm, sizeof(comm), "%.*s", (int)(close - open - 1), open + 1);
	if (sscanf(close + 2,
		   "%*c %d %*d %*d %d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
		   "%llu",
		   &ppid, &tty, &utime, &stime, &start) != 5)
		return false;
	snprintf(path, sizeof(path), "%s/status", dir);
	if (fd_read_small_file(AT_FDCWD, path, buf, sizeof(buf), &len, &err) == 0) {
		char *u = strstr(buf, "\nUid:");
		if (u)
			sscanf(u + 5, "%u", &uid);
	}
	struct passwd *pw = getpwuid(uid);
	if (pw && strlen(pw->pw_name) < sizeof(user))
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "%u", uid);
	row->pid = pid;
	row->cells[0] = strdup(user);
	snprintf(cell, sizeof(cell), "%ld", pid);
	row->cells[1] = strdup(cell);
	snprintf(cell, sizeof(cell), "%d", ppid);
	row->cells[2] = strdup(cell);
	/* C: lifetime CPU use in percent, as procps computes it (capped at 99). */
	unsigned long long now = (unsigned long long)time(NULL);
	unsigned long long started = boot + (hz > 0 ? start / (unsigned long long)hz : 0);
	unsigned long long el = now > started ? now - started : 0;
	unsigned long long cpu = hz > 0 ? (utime + stime) / (unsigned long long)hz : 0;
	unsigned long long pc = el ? cpu * 100 / el : 0;
	snprintf(cell, sizeof(cell), "%llu", pc > 99 ? 99 : pc);
	row->cells[3] = strdup(cell);
	time_t st = (time_t)started;
	struct tm tm_start, tm_now;
	time_t tnow = (time_t)now;
	localtime_r(&st, &tm_start);
	localtime_r(&tnow, &tm_now);
	if (tm_start.tm_yday == tm_now.tm_yday && tm_start.tm_year == tm_now.tm_year)
		strftime(cell, sizeof(cell), "%H:%M", &tm_start);
	else
		strftime(cell, sizeof(cell), "%b%d", &tm_start);
	row->cells[4] = strdup(cell);
	int major = (tty >> 8) & 0xfff, minor = (tty & 0xff) | ((tty >> 12) & 0xfff00);
	if (tty == 0)
		snprintf(cell, sizeof(cell), "?");
	else if (major >= 136 && major <= 143)
		snprintf(cell, sizeof(cell), "pts/%d", (major - 136) * 256 + minor);
	else
		snprintf(cell, sizeof(cell), "?");
	row->cells[5] = strdup(cell);
	snprintf(cell, sizeof(cell), "%02llu:%02llu:%02llu", cpu / 3600, cpu / 60 % 60, cpu % 60);
	row->cells[6] = strdup(cell);
	read_cmdline(dir, comm, cell, sizeof(cell));
	row->cells[7] = strdup(cell);
	for (int c = 0; c < TOP_NCOLS; c++)
		if (!row->cells[c])
			return false;
	return true;
}

static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int pid_cmp(const void *a, const void *b)
{
	long x = ((const struct top_row *)a)->pid, y = ((const struct top_row *)b)->pid;

	return (x > y) - (x < y);
}

static void print_top(struct top_row *rows, size_t n)
{
	static const char *const head[TOP_NCOLS] = { "UID",   "PID", "PPID", "C",
						     "STIME", "TTY", "TIME", "CMD" };
	size_t w[TOP_NCOLS];

	for (int c = 0; c < TOP_NCOLS; c++) {
		w[c] = TOP_MINWIDTH;
		if (width(head[c]) + TOP_PADDING > w[c])
			w[c] = width(head[c]) + TOP_PADDING;
		for (size_t r = 0; r < n; r++)
			if (width(rows[r].cells[c]) + TOP_PADDING > w[c])
				w[c] = width(rows[r].cells[c]) + TOP_PADDING;
	}
	for (int c = 0; c < TOP_NCOLS - 1; c++)
		printf("%s%*s", head[c], (int)(w[c] - width(head[c])), "");
	printf("%s\n", head[TOP_NCOLS - 1]);
	for (size_t r = 0; r < n; r++) {
		for (int c = 0; c < TOP_NCOLS - 1; c++)
			printf("%s%*s", rows[r].cells[c], (int)(w[c] - width(rows[r].cells[c])),
			       "");
		printf("%s\n", rows[r].cells[TOP_NCOLS - 1]);
	}
}

/* The pids a SHIM_PIDS reply lists, as a JSON array of numbers. */
static int top_pids(const uint8_t *text, size_t len, long **pids, size_t *n, struct kerr *err)
{
	_cleanup_free_ struct json_tok *toks = malloc(sizeof(*toks) * (TOP_PIDS_MAX + 1));
	struct json_doc d;

	*n = 0;
	if (!toks)
		return kerr_set(err, ENOMEM, "top");
	if (json_parse(&d, (const char *)text, len, toks, TOP_PIDS_MAX + 1, err) < 0)
		return kerr_wrap(err, "the shim's pid list");
	if (d.toks[0].type != JSON_ARRAY)
		return kerr_set(err, 0, "the shim's pid list is not an array");
	*pids = calloc((size_t)d.toks[0].size + 1, sizeof(**pids));
	if (!*pids)
		return kerr_set(err, ENOMEM, "top");
	for (int i = 1; i < d.ntoks; i++) {
		int64_t v;

		if (json_get_i64(&d, i, &v, err) < 0 || v <= 0)
			return kerr_set(err, 0, "the shim's pid list holds a bad pid");
		(*pids)[(*n)++] = (long)v;
	}
	return 0;
}

const struct cli_cmd client_top_cmd CLI_TABLE = {
	.name = "top",
	.summary = "List a container's processes",
	.synopsis = "kettle top CONTAINER",
	.description = "List the processes of a running container, as `ps -ef` shows them on "
		       "the host: UID PID PPID C STIME TTY TIME CMD.",
	/* the command checks them, worded "exactly one" */
	.pos = { .max = CLI_ARGS_MANY, .first = CLI_CONTAINER, .rest = CLI_CONTAINER },
	.flags = CLI_INTERLEAVE,
};

static int top_of(struct client *cl, const char *ref)
{
	char id[IDS_ID_LEN + 1], kind[32] = "";
	struct ipc_conn shim;
	struct wire_frame f;
	struct wire_enc e;
	struct kerr err;
	const uint8_t *json;
	size_t len, n = 0, nrows = 0;
	_cleanup_free_ long *pids = NULL;
	int rc = ref_request(cl, WIRE_T_RESOLVE, ref, NULL, NULL, &f, &err);

	if (rc != 0)
		return client_fail(rc, &err);
	if (wire_get_str(&f, WIRE_F_ID, true, id, sizeof(id), &err) < 0)
		return client_fail(CLIENT_EXIT_FAIL, &err);
	if (wire_get_bytes(&f, WIRE_F_JSON, false, &json, &len, &err) > 0) {
		struct json_tok toks[256];
		struct json_doc d;
		struct kerr ignored;

		if (json_parse(&d, (const char *)json, len, toks, 256, &ignored) == 0) {
			int k = json_obj_get(&d, 0, "status");
			if (k >= 0)
				json_get_str(&d, k, kind, sizeof(kind), &ignored);
		}
	}
	if (!wire_find(&f, WIRE_F_ADDR) ||
	    (strcmp(kind, "running") != 0 && strcmp(kind, "paused") != 0)) {
		kerr_set(&err, 0, "container `%.12s` is not running", id);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	rc = client_open_shim(cl, id, &shim, false, &err);
	if (rc != 0)
		return rc;
	uint32_t reqid = client_begin(cl, &shim, &e, WIRE_T_SHIM_PIDS);
	rc = client_end(&e);
	while (rc == 0) {
		if (ipc_conn_wait_frame(&shim, &f, -1, &err) < 0) {
			rc = client_fail(CLIENT_EXIT_FAIL, &err);
			break;
		}
		if (f.reqid != reqid)
			continue;
		if (f.type == WIRE_T_ERROR) {
			rc = client_frame_error(&f, &err);
			client_fail(rc, &err);
		} else if (wire_get_bytes(&f, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
			   top_pids(json, len, &pids, &n, &err) < 0) {
			rc = client_fail(CLIENT_EXIT_FAIL, &err);
		}
		break;
	}
	ipc_conn_done(&shim);
	if (rc != 0)
		return rc;
	struct top_row *rows = calloc(n + 1, sizeof(*rows));
	if (!rows) {
		fputs("kettle: out of memory\n", stderr);
		return CLIENT_EXIT_FAIL;
	}
	unsigned long long boot = boot_time_s();
	for (size_t i = 0; i < n; i++) {
		if (top_row(pids[i], boot, &rows[nrows]))
			nrows++;
		else
			for (int c = 0; c < TOP_NCOLS; c++) {
				free(rows[nrows].cells[c]);
				rows[nrows].cells[c] = NULL;
			}
	}
	qsort(rows, nrows, sizeof(*rows), pid_cmp);
	print_top(rows, nrows);
	for (size_t r = 0; r < nrows; r++)
		for (int c = 0; c < TOP_NCOLS; c++)
			free(rows[r].cells[c]);
	free(rows);
	return 0;
}

int client_top_main(int argc, char **argv)
{
	struct client_args args;
	struct client cl;
	int rc = client_parse(&client_top_cmd, argc, argv, NULL, NULL, &args);

	if (rc >= 0)
		return rc;
	if (args.n != 1)
		return client_args_error(&client_top_cmd,
					 "exactly one container is required, got %d", args.n);
	rc = client_open(&cl);
	if (rc != 0)
		return rc;
	rc = top_of(&cl, args.v[0]);
	client_close(&cl);
	return rc;
}

/* ---- info ---- */

static const struct cli_opt info_opts[] CLI_TABLE = {
	CLI_OPT('f', 'f', CLI_STRING, 0, "format", "FORMAT",
		"json (docker's info document), or a Go template over it "
		"('{{.ServerVersion}}', '{{.Kettle.CgroupLayout}}')"),
};

const struct cli_cmd client_info_cmd CLI_TABLE = {
	.name = "info",
	.summary = "Show the daemon, its runtime and containers by state",
	.synopsis = "kettle info [-f FORMAT]",
	.description = "Describe the daemon: version, state root, runtime and its version, "
		       "cgroup layout, and the containers by state.",
	.opts = info_opts,
	.nopts = CLI_COUNT(info_opts),
	.flags = CLI_INTERLEAVE,
};

static int info_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	(void)cmd, (void)id;
	*(const char **)ctx = val;
	return 0;
}

/* docker's info document through --format (json or a template), printed. */
static int info_formatted(const char *format, const struct json_doc *d, const char *rtv)
{
	static const char *const maps[] = { "Runtimes", NULL };
	static const struct tmpl_schema schema = { .maps = maps };
	struct client_format fmt;
	struct kerr err;
	struct buf doc, out;
	int rc = client_format_init(&fmt, format, true);

	if (rc != 0)
		return rc;
	buf_init(&doc, SIZE_MAX);
	buf_init(&out, SIZE_MAX);
	if (client_system_info_json(d, rtv, &doc, &err) < 0) {
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
	} else if (fmt.kind == CLIENT_FORMAT_TEMPLATE) {
		if (client_format_exec(&fmt, (const char *)doc.data, doc.len, &schema, NULL, NULL,
				       &out, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			rc = CLIENT_EXIT_FAIL;
		}
	} else if (client_format_json((const char *)doc.data, doc.len, &out, &err) < 0) {
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
	}
	if (rc == 0 && out.len) /* an empty buffer has no data pointer */
		fwrite(out.data, 1, out.len, stdout);
	buf_done(&doc);
	buf_done(&out);
	client_format_done(&fmt);
	return rc;
}

/* The first line `path --version` prints, or "" (bounded, with the child reaped). */
static void runtime_version(const char *path, char *out, size_t cap)
{
	int p[2];
	pid_t pid;
	char buf[VERSION_OUT_MAX];
	size_t got = 0;
	struct kerr err;

	out[0] = '\0';
	if (!path[0] || pipe2(p, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)path, "--version", NULL };

		if (dup2(p[1], 1) < 0) /* lint: child */
			_exit(127);
		execv(path, argv);
		_exit(127);
	}
	close(p[1]);
	if (pid > 0 && fd_read_full(p[0], buf, sizeof(buf) - 1, &got, &err) == 0) {
		buf[got] = '\0';
		snprintf(out, cap, "%.*s", (int)strcspn(buf, "\n"), buf);
	}
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void info_field(const struct json_doc *d, const char *key, char *out, size_t cap)
{
	int k = json_obj_get(d, 0, key);
	struct kerr err;

	out[0] = '\0';
	if (k < 0)
		return;
	if (d->toks[k].type == JSON_STRING)
		json_get_str(d, k, out, cap, &err);
	else if (d->toks[k].type == JSON_NUMBER)
		snprintf(out, cap, "%.*s", d->toks[k].end - d->toks[k].start,
			 d->text + d->toks[k].start);
}

/* The image store's lines, once it holds an image: count, bytes, driver. */
static void info_images(const struct json_doc *d)
{
	char n[32], bytes[32], driver[32], size[32];
	struct kerr err;
	uint64_t b = 0;

	info_field(d, "images", n, sizeof(n));
	info_field(d, "images_bytes", bytes, sizeof(bytes));
	info_field(d, "storage_driver", driver, sizeof(driver));
	if (!n[0] || strcmp(n, "0") == 0)
		return;
	if (str_to_u64(bytes, UINT64_MAX, &b, &err) < 0)
		b = 0;
	client_images_human_size(b, size, sizeof(size));
	printf("Images: %s\n", n);
	printf(" Store Size: %s\n", size);
	printf("Storage Driver: %s\n", driver);
}

int client_info_main(int argc, char **argv)
{
	struct json_tok toks[REPLY_TOKENS];
	struct client_args args;
	struct json_doc d;
	struct client cl;
	struct wire_frame f;
	struct wire_enc e;
	struct kerr err;
	const uint8_t *json;
	size_t len;
	const char *format = NULL;
	int rc = client_parse(&client_info_cmd, argc, argv, info_option, &format, &args);

	if (rc >= 0)
		return rc;
	if (format) {
		/* A template that does not parse fails before the daemon is asked. */
		struct client_format check;

		rc = client_format_init(&check, format, true);
		client_format_done(&check);
		if (rc != 0)
			return rc;
	}
	rc = client_open(&cl);
	if (rc != 0)
		return rc;
	uint32_t reqid = client_begin(&cl, &cl.conn, &e, WIRE_T_INFO);
	rc = client_end(&e);
	if (rc == 0)
		rc = client_call(&cl, reqid, &f);
	if (rc == 0 && (wire_get_bytes(&f, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
			json_parse(&d, (const char *)json, len, toks, REPLY_TOKENS, &err) < 0 ||
			d.toks[0].type != JSON_OBJECT)) {
		kerr_wrap(&err, "the daemon's info");
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
	}
	if (rc == 0 && format && strcmp(format, "table") != 0) {
		char rtp[4096], rtv[256];

		info_field(&d, "runtime_path", rtp, sizeof(rtp));
		runtime_version(rtp, rtv, sizeof(rtv));
		rc = info_formatted(format, &d, rtv);
	} else if (rc == 0) {
		char v[256], root[4096], rt[4096], rtp[4096], cg[32], rtv[256];
		char n[STATUS_DEAD + 1][32], total[32];

		info_field(&d, "version", v, sizeof(v));
		info_field(&d, "root", root, sizeof(root));
		info_field(&d, "runtime", rt, sizeof(rt));
		info_field(&d, "runtime_path", rtp, sizeof(rtp));
		info_field(&d, "cgroup_version", cg, sizeof(cg));
		info_field(&d, "containers", total, sizeof(total));
		for (int k = 0; k <= STATUS_DEAD; k++) {
			info_field(&d, status_kind_name((enum status_kind)k), n[k], sizeof(n[k]));
			if (!n[k][0])
				snprintf(n[k], sizeof(n[k]), "0");
		}
		runtime_version(rtp, rtv, sizeof(rtv));
		printf("Client Version: %s\n", KETTLE_VERSION);
		printf("Server Version: %s\n", v);
		printf("Root Dir: %s\n", root);
		printf("Runtime: %s\n", rt);
		printf("Runtime Path: %s\n", rtp[0] ? rtp : "(not found)");
		printf("Runtime Version: %s\n", rtv[0] ? rtv : "(unknown)");
		printf("Cgroup Version: %s\n", cg);
		printf("Containers: %s\n", total[0] ? total : "0");
		printf(" Running: %s\n", n[STATUS_RUNNING]);
		printf(" Paused: %s\n", n[STATUS_PAUSED]);
		printf(" Restarting: %s\n", n[STATUS_RESTARTING]);
		printf(" Created: %s\n", n[STATUS_CREATED]);
		printf(" Exited: %s\n", n[STATUS_EXITED]);
		printf(" Dead: %s\n", n[STATUS_DEAD]);
		client_devices_info(&d);
		info_images(&d);
	}
	client_close(&cl);
	return rc;
}

/* ---- version (client_version.c): the daemon's, when one answers ---- */

int client_daemon_version(char *out, size_t cap)
{
	struct json_tok toks[REPLY_TOKENS];
	struct json_doc d;
	struct client cl;
	struct wire_frame f;
	struct wire_enc e;
	struct kerr err;
	const uint8_t *json;
	size_t len;
	int rc;

	out[0] = '\0';
	/* Quietly: no daemon is a normal answer for `version`. */
	int saved = fcntl(2, F_DUPFD_CLOEXEC, 3), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved >= 0 && null >= 0)
		dup2(null, 2); /* lint: allow stderr silenced, restored below */
	rc = client_open(&cl);
	if (saved >= 0) {
		dup2(saved, 2); /* lint: allow restores stderr */
		close(saved);
	}
	if (null >= 0)
		close(null);
	if (rc != 0)
		return -1;
	uint32_t reqid = client_begin(&cl, &cl.conn, &e, WIRE_T_INFO);
	rc = wire_enc_end(&e, &err) < 0 ? -1 : client_request(&cl, reqid, &f, &err);
	if (rc == 0 && wire_get_bytes(&f, WIRE_F_JSON, true, &json, &len, &err) > 0 &&
	    json_parse(&d, (const char *)json, len, toks, REPLY_TOKENS, &err) == 0 &&
	    d.toks[0].type == JSON_OBJECT)
		info_field(&d, "version", out, cap);
	client_close(&cl);
	return out[0] ? 0 : -1;
}
