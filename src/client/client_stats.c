/*
 * client_stats: `kettle stats [--no-stream] [--format json] [CONTAINER...]` (layer 3,
 * client role): docker's live usage table, read straight from the containers' cgroups.
 *
 * The daemon says which containers and their init pids (LIST for "every running one",
 * INSPECT for each); the client, root on the host like the daemon, reads the cgroup files
 * itself (cgroup.c) and, for a container with its own network namespace, its net/dev.
 * CPU % is the CPU time used over the wall time between two samples (100% = one CPU);
 * memory, network and block I/O are formatted the way docker formats them (binary units
 * for memory, decimal for I/O). Streaming redraws every second: with ANSI clear on a
 * terminal, as repeated tables otherwise. Waiting is a poll on a signalfd with a
 * deadline, so SIGINT/SIGTERM end it cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "runtime/cgroup.h"
#include "client/client.h"
#include "base/clock.h"
#include "base/fd.h"
#include "store/ids.h"
#include "base/json.h"
#include "base/json_w.h"
#include "base/str.h"

#define STATS_INTERVAL_MS 1000		  /* refresh period, as docker stats */
#define STATS_FIRST_MS	  500		  /* first sample to first display */
#define STATS_TOKENS	  JSON_TOKENS_MAX /* tokens of a LIST or INSPECT reply */
#define STATS_MAX	  1024		  /* containers shown at once */
#define STATS_NCOLS	  8		  /* CONTAINER ID NAME CPU% MEM MEM% NET BLOCK PIDS */
#define TAB_MINWIDTH	  10		  /* docker's formatter tabwriter: minimum width */
#define TAB_PADDING	  3		  /* docker's formatter tabwriter: padding */
#define CELL_MAX	  64		  /* bytes of one formatted cell (name excluded) */
#define ANSI_CLEAR	  "\033[2J\033[H"

struct stats_args {
	bool no_stream;		  /* --no-stream: one table, then exit */
	const char *format;	  /* --format: json, table, a template; NULL the table */
	struct client_format fmt; /* --format parsed */
	int nrefs;		  /* containers named, 0 = every running one */
	char **refs;		  /* borrowed from argv */
};

/* One container's identity and its last sample. */
struct stats_ctr {
	char id[IDS_ID_LEN + 1];     /* full id */
	char name[IDS_NAME_MAX + 1]; /* name */
	long long pid;		     /* init's host pid; 0 when not running */
	bool own_net;		     /* a network namespace of its own (not host) */
	bool rootfs;		     /* cgroup path is /kettle/<id>: checkable */
	bool seen;		     /* listed in the latest round */
	bool have_prev;		     /* prev_* hold a sample */
	uint64_t prev_cpu_ns;	     /* cpu_ns at the previous sample */
	uint64_t prev_at_ms;	     /* when (monotonic ms) */
	struct cgroup_stats cur;     /* the latest sample (zero when not running) */
	double cpu_pct;		     /* over the last interval */
};

struct stats_state {
	struct stats_ctr *v;   /* owned array of up to STATS_MAX */
	size_t n;	       /* used entries */
	uint64_t host_mem;     /* MemTotal, bytes: the limit shown for an unlimited one */
	struct json_tok *toks; /* owned; STATS_TOKENS */
};

enum {
	STATS_NO_STREAM = 256,
	STATS_FORMAT,
};

static const struct cli_opt stats_opts[] CLI_TABLE = {
	CLI_OPT(STATS_NO_STREAM, 0, CLI_FLAG, 0, "no-stream", "", "Print one table and exit"),
	CLI_OPT(STATS_FORMAT, 0, CLI_STRING, 0, "format", "FORMAT",
		"json (one object per container), table (the default), or a Go template "
		"('{{.Name}}: {{.CPUPerc}}'; `table TEMPLATE` adds docker's headers)"),
};

const struct cli_cmd client_stats_cmd CLI_TABLE = {
	.name = "stats",
	.summary = "Show containers' CPU, memory, network, block I/O and pids",
	.synopsis = "kettle stats [--no-stream] [--format FORMAT] [CONTAINER...]",
	.description = "Show the CPU, memory, network and block I/O use and the number of "
		       "processes of containers (every running one when none is named), refreshed "
		       "every second like `docker stats`. Read from the containers' cgroups (v1 or "
		       "v2) on this host.",
	.opts = stats_opts,
	.nopts = CLI_COUNT(stats_opts),
	.pos = { .max = CLI_ARGS_MANY, .first = CLI_CONTAINER, .rest = CLI_CONTAINER },
	.flags = CLI_INTERLEAVE,
};

/* ---- formatting, as docker's go-units ---- */

static void size_units(double size, double base, const char *const *units, int nunits,
		       int precision, char *out, size_t cap)
{
	int i = 0;

	while (size >= base && i < nunits - 1) {
		size /= base;
		i++;
	}
	snprintf(out, cap, "%.*g%s", precision, size, units[i]);
}

/* units.BytesSize: binary, 4 significant digits ("1.5MiB"). */
static void bytes_binary(uint64_t v, char *out, size_t cap)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

	size_units((double)v, 1024.0, u, 7, 4, out, cap);
}

/* units.HumanSizeWithPrecision(v, 3): decimal ("1.23kB"). */
static void bytes_decimal(uint64_t v, char *out, size_t cap)
{
	static const char *const u[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };

	size_units((double)v, 1000.0, u, 7, 3, out, cap);
}

static uint64_t host_memory(void)
{
	char buf[8192];
	size_t len;
	struct kerr err;
	unsigned long long kb = 0;

	if (fd_read_small_file(AT_FDCWD, "/proc/meminfo", buf, sizeof(buf), &len, &err) < 0)
		return 0;
	const char *p = strstr(buf, "MemTotal:");
	if (!p || sscanf(p + 9, "%llu", &kb) != 1)
		return 0;
	return (uint64_t)kb * 1024;
}

/* ---- which containers ---- */

static struct stats_ctr *find_or_add(struct stats_state *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].id, id) == 0)
			return &s->v[i];
	if (s->n == STATS_MAX)
		return NULL;
	struct stats_ctr *c = &s->v[s->n++];
	*c = (struct stats_ctr){ 0 };
	str_copy(c->id, sizeof(c->id), id);
	return c;
}

/* Reads one INSPECT reply into the container it names. */
static int take_inspect(struct stats_state *s, const uint8_t *text, size_t len, struct kerr *err)
{
	struct json_doc d;
	char id[IDS_ID_LEN + 1], net[16] = "none";
	int64_t pid = 0;
	struct kerr ignored;

	if (json_parse(&d, (const char *)text, len, s->toks, STATS_TOKENS, err) < 0)
		return kerr_wrap(err, "the daemon's inspect reply");
	int k = json_obj_get(&d, 0, "Id");
	if (k < 0 || json_get_str(&d, k, id, sizeof(id), err) < 0)
		return kerr_set(err, 0, "the daemon's inspect reply has no `Id`");
	struct stats_ctr *c = find_or_add(s, id);
	if (!c)
		return 0;
	c->seen = true;
	/* docker's Name has a leading '/'. */
	char name[IDS_NAME_MAX + 2] = "";
	k = json_obj_get(&d, 0, "Name");
	if (k >= 0)
		json_get_str(&d, k, name, sizeof(name), &ignored);
	str_copy(c->name, sizeof(c->name), name[0] == '/' ? name + 1 : name);
	int st = json_obj_get(&d, 0, "State");
	int p = st >= 0 ? json_obj_get(&d, st, "Pid") : -1;
	if (p >= 0 && json_get_i64(&d, p, &pid, &ignored) < 0)
		pid = 0;
	c->pid = pid;
	int hc = json_obj_get(&d, 0, "HostConfig");
	k = hc >= 0 ? json_obj_get(&d, hc, "NetworkMode") : -1;
	if (k >= 0)
		json_get_str(&d, k, net, sizeof(net), &ignored);
	c->own_net = strcmp(net, "host") != 0;
	int kt = json_obj_get(&d, 0, "Kettle");
	k = kt >= 0 ? json_obj_get(&d, kt, "Rootfs") : -1;
	c->rootfs = k >= 0 && d.toks[k].type == JSON_STRING;
	return 0;
}

/* Every running container's id from a LIST reply, into refs (owned strings). */
static int list_ids(struct stats_state *s, const uint8_t *text, size_t len, char ***refs, int *n,
		    struct kerr *err)
{
	struct json_doc d;

	*n = 0;
	if (json_parse(&d, (const char *)text, len, s->toks, STATS_TOKENS, err) < 0)
		return kerr_wrap(err, "the daemon's list");
	if (d.toks[0].type != JSON_ARRAY)
		return kerr_set(err, 0, "the daemon's list is not an array");
	int total = d.toks[0].size < STATS_MAX ? d.toks[0].size : STATS_MAX;
	*refs = calloc((size_t)total + 1, sizeof(**refs));
	if (!*refs)
		return kerr_set(err, ENOMEM, "stats");
	for (int i = 1, m = 0; m < total; m++, i = json_skip(&d, i)) {
		char id[IDS_ID_LEN + 1];
		int k = json_obj_get(&d, i, "id");
		struct kerr ignored;

		if (k >= 0 && json_get_str(&d, k, id, sizeof(id), &ignored) == 0 &&
		    ((*refs)[*n] = strdup(id)))
			(*n)++;
	}
	return 0;
}

static void free_refs(char **refs, int n)
{
	for (int i = 0; refs && i < n; i++)
		free(refs[i]);
	free(refs);
}

/*
 * One round: which containers (LIST when none were named), then INSPECT of each,
 * pipelined. A named container that does not exist fails the command (docker exits 1).
 */
static int refresh_ids(struct client *cl, const struct stats_args *a, struct stats_state *s)
{
	struct wire_frame f;
	struct wire_enc e;
	struct kerr err;
	const uint8_t *json;
	size_t len;
	char **refs = a->refs;
	int n = a->nrefs, rc = 0;
	bool owned = false;

	for (size_t i = 0; i < s->n; i++)
		s->v[i].seen = false;
	if (n == 0) {
		uint32_t reqid = client_begin(cl, &cl->conn, &e, WIRE_T_LIST);
		if ((rc = client_end(&e)) != 0 || (rc = client_call(cl, reqid, &f)) != 0)
			return rc;
		if (wire_get_bytes(&f, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
		    list_ids(s, json, len, &refs, &n, &err) < 0)
			return client_fail(CLIENT_EXIT_FAIL, &err);
		owned = true;
	}
	uint32_t first = 0;
	for (int i = 0; i < n; i++) {
		uint32_t id = client_begin(cl, &cl->conn, &e, WIRE_T_INSPECT);
		wire_enc_str(&e, WIRE_F_REF, refs[i]);
		if ((rc = client_end(&e)) != 0)
			break;
		if (i == 0)
			first = id;
	}
	for (int i = 0; rc == 0 && i < n; i++) {
		int r = client_request(cl, first + (uint32_t)i, &f, &err);

		if (r != 0 && owned)
			continue; /* removed since the list: not shown */
		if (r != 0) {
			rc = client_fail(r == CLIENT_EXIT_FAIL ? r : 1, &err);
			break;
		}
		if (wire_get_bytes(&f, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
		    take_inspect(s, json, len, &err) < 0)
			rc = client_fail(CLIENT_EXIT_FAIL, &err);
	}
	if (owned)
		free_refs(refs, n);
	/* Forget containers that left (a stopped one named by the person stays seen). */
	size_t o = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].seen)
			s->v[o++] = s->v[i];
	s->n = o;
	return rc;
}

/* Samples every seen container; CPU % from the previous sample. */
static void sample(struct stats_state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct stats_ctr *c = &s->v[i];
		char expect[sizeof("/kettle/") + IDS_ID_LEN];
		struct kerr err;
		uint64_t now = clock_mono_ms();

		c->cur = (struct cgroup_stats){ 0 };
		c->cpu_pct = 0;
		snprintf(expect, sizeof(expect), "/kettle/%s", c->id);
		if (c->pid <= 0 || cgroup_stats_pid((pid_t)c->pid, c->rootfs ? expect : NULL,
						    c->own_net, &c->cur, &err) < 0) {
			c->cur = (struct cgroup_stats){ 0 };
			c->have_prev = false;
			continue;
		}
		if (c->have_prev && now > c->prev_at_ms && c->cur.cpu_ns >= c->prev_cpu_ns)
			c->cpu_pct = (double)(c->cur.cpu_ns - c->prev_cpu_ns) * 100.0 /
				     ((double)(now - c->prev_at_ms) * 1e6);
		c->prev_cpu_ns = c->cur.cpu_ns;
		c->prev_at_ms = now;
		c->have_prev = true;
	}
}

/* ---- output ---- */

struct stats_cells {
	char id[IDS_SHORT_LEN + 1]; /* CONTAINER ID */
	const char *name;	    /* NAME, borrowed */
	char cpu[CELL_MAX];	    /* CPU % */
	char mem[CELL_MAX];	    /* MEM USAGE / LIMIT */
	char mem_pct[CELL_MAX];	    /* MEM % */
	char net[CELL_MAX];	    /* NET I/O */
	char blk[CELL_MAX];	    /* BLOCK I/O */
	char pids[CELL_MAX];	    /* PIDS */
};

static void cells_of(const struct stats_state *s, const struct stats_ctr *c,
		     struct stats_cells *out)
{
	char a[CELL_MAX / 2 - 4], b[CELL_MAX / 2 - 4];
	uint64_t limit = c->cur.mem_limit ? c->cur.mem_limit : s->host_mem;

	str_copyn(out->id, sizeof(out->id), c->id, IDS_SHORT_LEN);
	out->name = c->name;
	snprintf(out->cpu, sizeof(out->cpu), "%.2f%%", c->cpu_pct);
	/* A stopped container has no limit to show: docker prints 0B / 0B. */
	if (c->pid <= 0)
		limit = 0;
	bytes_binary(c->cur.mem_usage, a, sizeof(a));
	bytes_binary(limit, b, sizeof(b));
	snprintf(out->mem, sizeof(out->mem), "%s / %s", a, b);
	snprintf(out->mem_pct, sizeof(out->mem_pct), "%.2f%%",
		 limit ? (double)c->cur.mem_usage * 100.0 / (double)limit : 0.0);
	bytes_decimal(c->cur.net_rx, a, sizeof(a));
	bytes_decimal(c->cur.net_tx, b, sizeof(b));
	snprintf(out->net, sizeof(out->net), "%s / %s", a, b);
	bytes_decimal(c->cur.blk_read, a, sizeof(a));
	bytes_decimal(c->cur.blk_write, b, sizeof(b));
	snprintf(out->blk, sizeof(out->blk), "%s / %s", a, b);
	snprintf(out->pids, sizeof(out->pids), "%llu", (unsigned long long)c->cur.pids);
}

static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void print_table(const struct stats_state *s, struct buf *out, struct kerr *err)
{
	static const char *const head[STATS_NCOLS] = {
		"CONTAINER ID", "NAME",	   "CPU %",	"MEM USAGE / LIMIT",
		"MEM %",	"NET I/O", "BLOCK I/O", "PIDS",
	};
	struct stats_cells *cells = calloc(s->n + 1, sizeof(*cells));
	size_t w[STATS_NCOLS];

	if (!cells) {
		kerr_set(err, ENOMEM, "stats");
		return;
	}
	for (size_t r = 0; r < s->n; r++)
		cells_of(s, &s->v[r], &cells[r]);
	for (int c = 0; c < STATS_NCOLS; c++)
		w[c] = width(head[c]) + TAB_PADDING > TAB_MINWIDTH ? width(head[c]) + TAB_PADDING
								   : TAB_MINWIDTH;
	for (size_t r = 0; r < s->n; r++) {
		const char *row[STATS_NCOLS] = { cells[r].id,  cells[r].name,	 cells[r].cpu,
						 cells[r].mem, cells[r].mem_pct, cells[r].net,
						 cells[r].blk, cells[r].pids };
		for (int c = 0; c < STATS_NCOLS; c++)
			if (width(row[c]) + TAB_PADDING > w[c])
				w[c] = width(row[c]) + TAB_PADDING;
	}
	for (size_t r = 0; r <= s->n; r++) {
		const char *row[STATS_NCOLS];

		if (r == 0) {
			memcpy(row, head, sizeof(row));
		} else {
			const struct stats_cells *x = &cells[r - 1];
			const char *v[STATS_NCOLS] = { x->id,	   x->name, x->cpu, x->mem,
						       x->mem_pct, x->net,  x->blk, x->pids };
			memcpy(row, v, sizeof(row));
		}
		for (int c = 0; c < STATS_NCOLS - 1; c++)
			buf_printf(out, err, "%s%*s", row[c], (int)(w[c] - width(row[c])), "");
		buf_printf(out, err, "%s\n", row[STATS_NCOLS - 1]);
	}
	free(cells);
}

/* One container's row as docker's stats JSON (keys sorted), into out. */
static int row_json(const struct stats_state *s, const struct stats_ctr *c, struct buf *out,
		    struct kerr *err)
{
	struct stats_cells x;
	struct json_w w;

	cells_of(s, c, &x);
	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "BlockIO");
	json_w_str(&w, x.blk);
	json_w_key(&w, "CPUPerc");
	json_w_str(&w, x.cpu);
	json_w_key(&w, "Container");
	json_w_str(&w, x.id);
	json_w_key(&w, "ID");
	json_w_str(&w, x.id);
	json_w_key(&w, "MemPerc");
	json_w_str(&w, x.mem_pct);
	json_w_key(&w, "MemUsage");
	json_w_str(&w, x.mem);
	json_w_key(&w, "Name");
	json_w_str(&w, x.name);
	json_w_key(&w, "NetIO");
	json_w_str(&w, x.net);
	json_w_key(&w, "PIDs");
	json_w_str(&w, x.pids);
	json_w_obj_end(&w);
	return json_w_end(&w, err);
}

/* docker's column names (a table's header row). */
static const char stats_header[] =
	"{\"BlockIO\":\"BLOCK I/O\",\"CPUPerc\":\"CPU %\",\"Container\":\"CONTAINER\","
	"\"ID\":\"CONTAINER ID\",\"MemPerc\":\"MEM %\",\"MemUsage\":\"MEM USAGE / LIMIT\","
	"\"Name\":\"NAME\",\"NetIO\":\"NET I/O\",\"PIDs\":\"PIDS\"}";

static void print_formatted(struct stats_args *a, const struct stats_state *s, struct buf *out,
			    struct kerr *err)
{
	char label[CLIENT_FORMAT_LABEL_MAX];
	struct buf doc;
	int rc = 0;

	buf_init(&doc, SIZE_MAX);
	for (size_t r = 0; r < s->n && rc == 0; r++) {
		buf_clear(&doc);
		rc = row_json(s, &s->v[r], &doc, err);
		if (rc == 0 && a->fmt.kind == CLIENT_FORMAT_JSON)
			rc = client_format_json((const char *)doc.data, doc.len, out, err);
		else if (rc == 0)
			rc = client_format_exec(&a->fmt, (const char *)doc.data, doc.len,
						&client_format_struct, NULL, NULL, out, err);
	}
	buf_done(&doc);
	if (rc == 0 && a->fmt.kind == CLIENT_FORMAT_TEMPLATE)
		client_format_table(&a->fmt, stats_header, client_format_header_label, label, out,
				    err);
}

static int show(struct stats_args *a, const struct stats_state *s, bool tty)
{
	struct buf out;
	struct kerr err;

	kerr_clear(&err);
	buf_init(&out, SIZE_MAX);
	if (tty && !a->no_stream)
		buf_append_str(&out, ANSI_CLEAR, &err);
	if (a->fmt.kind == CLIENT_FORMAT_DEFAULT)
		print_table(s, &out, &err);
	else
		print_formatted(a, s, &out, &err);
	if (err.msg[0]) {
		buf_done(&out);
		if (str_has_prefix(err.msg, "template parsing error")) {
			fprintf(stderr, "%s\n", err.msg);
			return CLIENT_EXIT_FAIL;
		}
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	if (out.len) /* an empty buffer has no data pointer */
		fwrite(out.data, 1, out.len, stdout);
	fflush(stdout);
	buf_done(&out);
	return 0;
}

/* Waits ms, or less when SIGINT/SIGTERM arrive (true then: time to go). */
static bool wait_or_signal(int sigfd, int ms)
{
	struct pollfd p = { .fd = sigfd, .events = POLLIN };
	int64_t deadline = (int64_t)clock_mono_ms() + ms;

	for (;;) {
		int64_t left = deadline - (int64_t)clock_mono_ms();

		if (left <= 0)
			return false;
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

static int stats_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct stats_args *a = ctx;

	if (id == STATS_NO_STREAM) {
		a->no_stream = true;
		return 0;
	}
	(void)cmd;
	a->format = val;
	return 0;
}

int client_stats_main(int argc, char **argv)
{
	struct stats_args a = { 0 };
	struct stats_state s = { 0 };
	struct client_args args;
	struct client cl;
	sigset_t set;
	int rc = client_parse(&client_stats_cmd, argc, argv, stats_option, &a, &args);

	if (rc >= 0)
		return rc;
	rc = client_format_init(&a.fmt, a.format, true);
	if (rc != 0)
		return rc;
	a.nrefs = args.n;
	a.refs = args.v;
	bool tty = isatty(STDOUT_FILENO);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	_cleanup_close_ int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s.v = calloc(STATS_MAX, sizeof(*s.v));
	s.toks = malloc(sizeof(*s.toks) * STATS_TOKENS);
	s.host_mem = host_memory();
	if (sigfd < 0 || !s.v || !s.toks) {
		fprintf(stderr, "kettle: stats: %s\n", strerror(errno ? errno : ENOMEM));
		free(s.v);
		free(s.toks);
		client_format_done(&a.fmt);
		return CLIENT_EXIT_FAIL;
	}
	rc = client_open(&cl);
	if (rc == 0)
		rc = refresh_ids(&cl, &a, &s);
	if (rc == 0) {
		sample(&s);
		if (!wait_or_signal(sigfd, STATS_FIRST_MS)) {
			sample(&s);
			rc = show(&a, &s, tty);
		}
	}
	while (rc == 0 && !a.no_stream) {
		if (wait_or_signal(sigfd, STATS_INTERVAL_MS))
			break;
		rc = refresh_ids(&cl, &a, &s);
		if (rc == 0) {
			sample(&s);
			rc = show(&a, &s, tty);
		}
	}
	client_close(&cl);
	free(s.v);
	free(s.toks);
	client_format_done(&a.fmt);
	return rc;
}
