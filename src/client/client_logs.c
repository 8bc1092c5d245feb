/*
 * client_logs: `kettle logs` (layer 3, client role): prints a container's CRI log as the
 * original bytes, stdout records to stdout and stderr records to stderr, P pieces joined.
 *
 * Everything is read from local files, so logs work while the daemon is down: the
 * container is found by scanning <root>/containers/<id>/record.json with the daemon's
 * rules (name, then a unique id prefix), and the log through logread.c. -f follows the
 * files (inotify, through logread) for as long as the container's shim lives: the shim
 * supervises across restarts and exits only once its output is drained and nothing will
 * run again, so what is printed after its connection ends is everything. Never sleeps:
 * one poll per turn.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "client/client.h"
#include "base/clock.h"
#include "base/fd.h"
#include "store/ids.h"
#include "logs/logread.h"
#include "store/record.h"
#include "store/store.h"
#include "base/str.h"
#include "base/timearg.h"

#define OUT_BUF		(64u * 1024u) /* stdio buffer of each output stream */
#define SHIM_TIMEOUT_MS 5000	      /* a shim that does not take our WAIT is stuck */
#define AMBIGUOUS_SHOWN 10	      /* ids listed in an "ambiguous prefix" error */
#define TAIL_MAX	((int64_t)1 << 40)

struct logs_args {
	bool follow;	  /* -f */
	bool timestamps;  /* -t */
	int64_t tail;	  /* --tail; LOGREAD_TAIL_ALL */
	int64_t since_ns; /* --since; 0 none */
	int64_t until_ns; /* --until; 0 none */
	const char *ref;  /* CONTAINER as typed */
};

/* What resolving found. */
struct logs_target {
	char id[IDS_ID_LEN + 1];			      /* full id */
	int dirfd;					      /* owned; containers/<id> */
	size_t matches;					      /* id prefix matches */
	bool by_name;					      /* the name matched: that wins */
	char list[AMBIGUOUS_SHOWN * (IDS_SHORT_LEN + 2) + 8]; /* ambiguous ids shown */
	const char *ref;				      /* borrowed */
	int rootfd;					      /* borrowed */
};

enum {
	LOGS_SINCE = 256,
	LOGS_UNTIL,
};

static const struct cli_opt logs_opts[] CLI_TABLE = {
	CLI_OPT('f', 'f', CLI_FLAG, 0, "follow", "",
		"Keep printing new output until the container has exited (and is not going to be "
		"restarted)"),
	CLI_OPT('n', 'n', CLI_NUMBER, 0, "tail", "N",
		"Only the last N lines, or `all` or -1 (default all)"),
	CLI_OPT(LOGS_SINCE, 0, CLI_STRING, 0, "since", "TIME",
		"Lines from TIME on: RFC 3339 (2006-01-02T15:04:05Z; without a zone, local time), "
		"Unix seconds (1700000000.5) or a duration before now (10m, 1h30m)"),
	CLI_OPT(LOGS_UNTIL, 0, CLI_STRING, 0, "until", "TIME",
		"Lines up to TIME, in the same forms"),
	CLI_OPT('t', 't', CLI_FLAG, 0, "timestamps", "",
		"Put each line's RFC3339Nano time before it"),
};

const struct cli_cmd client_logs_cmd CLI_TABLE = {
	.name = "logs",
	.summary = "Print a container's output from its log",
	.synopsis = "kettle logs [OPTIONS] CONTAINER",
	.description = "Print a container's output from its log: stdout to stdout, stderr to "
		       "stderr, the bytes as the container wrote them. Works while the daemon is "
		       "down.",
	.opts = logs_opts,
	.nopts = CLI_COUNT(logs_opts),
	.pos = { .min = 1, .max = 1, .first = CLI_CONTAINER },
	.flags = CLI_INTERLEAVE,
};

/* RFC 3339, Unix seconds, or a duration that far back from now (timearg.c, the parser
 * `kettle events` shares). */
static int parse_time(const char *s, int64_t *ns, struct kerr *err)
{
	if (timearg_parse(s, clock_wall_ns(), ns, err) < 0) {
		if (err->code == ERANGE)
			return -1;
		return kerr_set(err, 0,
				"`%s` is neither an RFC3339 time (2006-01-02T15:04:05Z) nor a "
				"duration (10m, 1h30m)",
				s);
	}
	return 0;
}

/* ---- finding the container without the daemon ---- */

static int match_one(const char *id, void *data)
{
	struct logs_target *t = data;
	_cleanup_close_ int dirfd = -1;
	struct record rec;
	struct kerr err;
	struct buf b;
	size_t n = strlen(t->ref);

	if (t->by_name)
		return 0;
	bool prefix = ids_is_id_prefix(t->ref) && strncmp(id, t->ref, n) == 0;
	if (store_open_container(t->rootfd, id, false, &dirfd, &err) < 0)
		return 0; /* removed while we looked */
	buf_init(&b, RECORD_JSON_MAX);
	record_init(&rec);
	bool named = store_read_file(dirfd, STORE_RECORD, RECORD_JSON_MAX, &b, &err) == 0 &&
		     record_json_decode(&rec, (const char *)b.data, b.len, false, &err) == 0 &&
		     strcmp(rec.name, t->ref) == 0;
	record_done(&rec);
	buf_done(&b);
	if (!named && !prefix)
		return 0;
	if (named) {
		t->by_name = true;
		t->matches = 1;
	} else if (t->matches++ < AMBIGUOUS_SHOWN) {
		size_t off = strlen(t->list);

		snprintf(t->list + off, sizeof(t->list) - off, "%s%.12s", off ? ", " : "", id);
	}
	if (named || t->matches == 1) {
		str_copy(t->id, sizeof(t->id), id);
		t->dirfd = fd_close(t->dirfd);
		t->dirfd = take_fd(&dirfd);
	}
	return 0;
}

/* Prints the failure; returns the exit code. */
static int resolve(int rootfd, const char *ref, struct logs_target *t)
{
	char shown[2 * IDS_NAME_MAX + 8];
	struct kerr err;

	*t = (struct logs_target){ .dirfd = -1, .ref = ref, .rootfd = rootfd };
	if (!ref[0])
		return client_args_error(&client_logs_cmd, "empty container reference, expected a "
							   "name, an id or an id prefix");
	if (store_each_container(rootfd, match_one, t, NULL, &err) < 0) {
		kerr_wrap(&err, "look for container `%s`", ref);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	if (t->matches == 1)
		return 0;
	if (t->matches > 1) {
		fprintf(stderr,
			"kettle: ambiguous container prefix `%s` matches %zu containers: %s%s\n",
			ref, t->matches, t->list, t->matches > AMBIGUOUS_SHOWN ? ", …" : "");
		return CLIENT_EXIT_FAIL;
	}
	str_sanitize(shown, sizeof(shown), ref, strlen(ref));
	fprintf(stderr, "kettle: no such container: `%s`\n", shown);
	return CLIENT_FAILED(CLIENT_NOT_FOUND);
}

/* ---- printing ---- */

struct printer {
	bool timestamps; /* -t */
	int last;	 /* stream written last, -1 none: flushed when the other one writes */
	bool failed;	 /* a write failed (EPIPE, EIO): stop */
};

static void print_rec(struct printer *p, const struct logread_rec *rec)
{
	FILE *out = rec->stream == LOGFILE_STDOUT ? stdout : stderr;

	/* One file may be both (2>&1): keep the order the container wrote. */
	if (p->last >= 0 && p->last != (int)rec->stream)
		fflush(p->last == LOGFILE_STDOUT ? stdout : stderr);
	p->last = (int)rec->stream;
	if (p->timestamps && rec->first) {
		fwrite(rec->ts, 1, LOGREAD_TS_LEN, out);
		fputc(' ', out);
	}
	fwrite(rec->body, 1, rec->len, out);
	if (!rec->partial)
		fputc('\n', out);
	if (ferror(out))
		p->failed = true;
}

static bool flush_out(struct printer *p)
{
	if (fflush(stdout) != 0 || fflush(stderr) != 0)
		p->failed = true;
	return !p->failed;
}

/* Prints every record available now. Returns 0, or an exit code (printed). */
static int print_available(struct logread *lr, struct printer *p)
{
	struct logread_rec rec;
	struct kerr err;
	int r;

	while (!p->failed && (r = logread_next(lr, &rec, &err)) == 1)
		print_rec(p, &rec);
	if (p->failed)
		return CLIENT_EXIT_FAIL;
	if (r < 0)
		return client_fail(CLIENT_EXIT_FAIL, &err);
	return 0;
}

/* ---- -f ---- */

/*
 * The container's shim supervises it for as long as it may run again (restart policy
 * included) and exits only after its output is drained into the log and the policy gave
 * up (issue 4). So -f holds an authenticated connection to the shim and follows the log
 * until that connection ends; then the rest of the log is printed and that is all. No
 * shim to connect to: nothing runs or will run, what is on disk is everything.
 */
struct follow {
	struct client cl;     /* rootfd and token only: no daemon connection */
	struct ipc_conn shim; /* the shim's connection; fd -1 when none */
};

/* True while the shim is there (frames are read and ignored: we never asked anything). */
static bool shim_alive(struct follow *fw)
{
	struct wire_frame f;
	struct kerr err;
	int r;

	while ((r = ipc_conn_recv(&fw->shim, &f, &err)) == 1)
		;
	return r == 0;
}

static int follow(struct logread *lr, struct printer *p, const struct logs_args *a,
		  struct follow *fw, const char *id)
{
	struct kerr err;
	int rc, wfd = logread_watch(lr, &err);

	if (wfd < 0)
		return client_fail(CLIENT_EXIT_FAIL, &err);
	if (client_open_shim(&fw->cl, id, &fw->shim, true, &err) != 0)
		return print_available(lr, p);
	for (;;) {
		struct pollfd pf[2] = {
			{ .fd = wfd, .events = POLLIN },
			{ .fd = fw->shim.fd, .events = POLLIN },
		};
		int timeout = -1;

		if ((rc = print_available(lr, p)) != 0 || !flush_out(p))
			return rc ? rc : CLIENT_EXIT_FAIL;
		if (a->until_ns) {
			int64_t left = a->until_ns - clock_wall_ns();

			if (left <= 0)
				return 0;
			timeout = left / 1000000 > 60000 ? 60000 : (int)(left / 1000000) + 1;
		}
		if (poll(pf, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			kerr_set(&err, errno, "wait for the log of container %.12s", id);
			return client_fail(CLIENT_EXIT_FAIL, &err);
		}
		if (pf[0].revents)
			logread_drain_events(lr);
		if (pf[1].revents && !shim_alive(fw))
			return print_available(lr, p); /* supervision is over: the rest */
	}
}

static int logs(const struct logs_args *a)
{
	static char outbuf[2][OUT_BUF];
	struct logs_target t;
	struct follow fw = { .cl = { .rootfd = -1 } };
	struct printer p = { .timestamps = a->timestamps, .last = -1 };
	struct logread_opts o = { .tail = a->tail,
				  .since_ns = a->since_ns,
				  .until_ns = a->until_ns };
	struct kerr err;
	int rc;

	ipc_conn_init(&fw.cl.conn, -1);
	ipc_conn_init(&fw.shim, -1);
	fw.cl.root = store_root_path(NULL);
	if (store_open_root(fw.cl.root, false, &fw.cl.rootfd, &err) < 0) {
		kerr_wrap(&err, "open the state root");
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	rc = resolve(fw.cl.rootfd, a->ref, &t);
	if (rc != 0) {
		client_close(&fw.cl);
		return rc;
	}
	struct logread *lr = logread_open(t.dirfd, STORE_CTR_LOG, &o, &err);
	if (!lr) {
		kerr_wrap(&err, "container %.12s", t.id);
		fd_close(t.dirfd);
		client_close(&fw.cl);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	setvbuf(stdout, outbuf[0], _IOFBF, OUT_BUF);
	setvbuf(stderr, outbuf[1], _IOFBF, OUT_BUF);
	if (!a->follow)
		rc = print_available(lr, &p);
	else if (ipc_token_load(fw.cl.rootfd, fw.cl.token, &err) < 0)
		rc = print_available(lr, &p); /* no token: no shim can be asked */
	else
		rc = follow(lr, &p, a, &fw, t.id);
	flush_out(&p);
	uint64_t bad = logread_malformed(lr);
	setvbuf(stderr, NULL, _IONBF, 0);
	if (bad && rc == 0)
		fprintf(stderr,
			"kettle: %llu malformed lines in the log of container %.12s, ignoring\n",
			(unsigned long long)bad, t.id);
	logread_close(lr);
	ipc_conn_done(&fw.shim);
	fd_close(t.dirfd);
	client_close(&fw.cl);
	return rc;
}

static int logs_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct logs_args *a = ctx;
	struct kerr err;
	uint64_t n;

	switch (id) {
	case 'f':
		a->follow = true;
		return 0;
	case 't':
		a->timestamps = true;
		return 0;
	case 'n':
		/* docker's default is -1: every line. */
		if (strcmp(val, "all") == 0 || strcmp(val, "-1") == 0) {
			a->tail = LOGREAD_TAIL_ALL;
			return 0;
		}
		if (str_to_u64(val, (uint64_t)TAIL_MAX, &n, &err) < 0)
			return client_usage_error(
				cmd, "--tail `%s`: expected a number of lines or `all`", val);
		a->tail = (int64_t)n;
		return 0;
	default:
		if (parse_time(val, id == LOGS_SINCE ? &a->since_ns : &a->until_ns, &err) < 0)
			return client_usage_error(cmd, "--%s %s",
						  id == LOGS_SINCE ? "since" : "until", err.msg);
		return 0;
	}
}

int client_logs_main(int argc, char **argv)
{
	struct logs_args a = { .tail = LOGREAD_TAIL_ALL };
	struct client_args args;
	int rc = client_parse(&client_logs_cmd, argc, argv, logs_option, &a, &args);

	if (rc >= 0)
		return rc;
	a.ref = args.v[0];
	return logs(&a);
}
