/*
 * client_ps: `kettle ps` (layer 3, client role): the daemon's LIST reply as docker's
 * table, ids only (-q), or one JSON object per line (--format json).
 *
 * The reply is a JSON array of {id, name, command, created, status, exit_code, started_at,
 * finished_at, pid, restart_count, restart_streak, next_start} (the state's fields may also
 * come nested as a status.h object). A restarting container shows `Restarting (N) in 20s`
 * and, from the second backoff delay of a crash loop on, `CrashLoopBackOff (N)`; one with
 * a health check `Up 3 minutes (healthy)`, `(unhealthy)` or `(health: starting)`.
 * Rows are sorted newest first, as docker lists them. The table is laid out like docker's
 * tabwriter (minimum cell width 10, padding 3, widths counted in characters, the last
 * column unpadded); times are relative to now ("Up 3 minutes", "Exited (1) 2 minutes
 * ago"). Everything is computed from the reply: ps never reads the state root.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "client/client.h"
#include "base/clock.h"
#include "store/ids.h"
#include "base/json.h"
#include "base/json_w.h"
#include "store/status.h"
#include "base/str.h"

#define CMD_TRUNC    20	  /* COMMAND characters shown without --no-trunc, "…" included */
#define CMD_MAX	     4096 /* bytes of a command kept from the reply */
#define CELL_MAX     8192 /* bytes of one formatted cell */
#define TAB_MINWIDTH 10	  /* docker ps: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) */
#define TAB_PADDING  3	  /* spaces after the widest cell of a column */
#define NCOLS	     7	  /* CONTAINER ID, NAMES, COMMAND, CREATED, STATUS, RESTARTS, PID */
#define CRASHLOOP    3	  /* from the second backoff delay of a streak on: CrashLoopBackOff */
#define ELLIPSIS     "\xe2\x80\xa6"
#define IMAGE_MAX    512 /* bytes of an IMAGE cell */

/* One container as LIST describes it. */
struct ps_row {
	char id[IDS_ID_LEN + 1];	/* full id */
	char name[IDS_NAME_MAX + 1];	/* name */
	char command[CMD_MAX];		/* the command line as the daemon renders it */
	int64_t created_ns;		/* wall clock ns; 0 unknown */
	enum status_kind kind;		/* state */
	int exit_code;			/* last exit code */
	int64_t started_ns;		/* last start; 0 never */
	int64_t finished_ns;		/* last exit; 0 never */
	long long pid;			/* container init's host pid; 0 when not running */
	int64_t restarts;		/* restarts done by the policy */
	int64_t streak;			/* restarts in the current crash loop */
	int64_t next_start_ns;		/* restarting: when it starts again; 0 unknown */
	enum status_health_kind health; /* health check status; NONE without a check */
	char image[IMAGE_MAX];		/* what LIST says the IMAGE is; "" without one */
};

enum ps_format {
	PS_TABLE = 0, /* docker's default table */
	PS_JSON,      /* one object per line */
};

struct ps_args {
	bool all;	       /* -a: stopped ones too */
	bool quiet;	       /* -q: ids only */
	bool no_trunc;	       /* --no-trunc: full ids and commands */
	enum ps_format format; /* --format */
};

/* ---- reading the reply ---- */

static int get_time(const struct json_doc *d, int obj, const char *key, int64_t *ns,
		    struct kerr *err)
{
	char text[64];
	int v = json_obj_get(d, obj, key);

	*ns = 0;
	if (v < 0 || d->toks[v].type == JSON_NULL)
		return 0;
	if (json_get_str(d, v, text, sizeof(text), err) < 0 ||
	    clock_parse_rfc3339(text, ns, err) < 0)
		return kerr_wrap(err, "`%s`", key);
	return 0;
}

static int get_int(const struct json_doc *d, int obj, const char *key, int64_t *out,
		   struct kerr *err)
{
	int v = json_obj_get(d, obj, key);

	*out = 0;
	if (v < 0 || d->toks[v].type == JSON_NULL)
		return 0;
	if (json_get_i64(d, v, out, err) < 0)
		return kerr_wrap(err, "`%s`", key);
	return 0;
}

static int parse_row(const struct json_doc *d, int obj, struct ps_row *row, struct kerr *err)
{
	char kind[32] = "created";
	int64_t v;
	int k;

	*row = (struct ps_row){ .kind = STATUS_CREATED };
	if (d->toks[obj].type != JSON_OBJECT)
		return kerr_set(err, 0, "entry is not an object");
	k = json_obj_get(d, obj, "id");
	if (k < 0 || json_get_str(d, k, row->id, sizeof(row->id), err) < 0)
		return k < 0 ? kerr_set(err, 0, "entry has no `id`") : kerr_wrap(err, "`id`");
	k = json_obj_get(d, obj, "name");
	if (k >= 0 && json_get_str(d, k, row->name, sizeof(row->name), err) < 0)
		return kerr_wrap(err, "`name`");
	k = json_obj_get(d, obj, "image");
	if (k >= 0 && d->toks[k].type == JSON_STRING &&
	    json_get_str(d, k, row->image, sizeof(row->image), err) < 0)
		return kerr_wrap(err, "`image`");
	k = json_obj_get(d, obj, "command");
	if (k >= 0 && d->toks[k].type == JSON_STRING) {
		/* A long command is cut, not refused: ps shows 20 characters of it anyway. */
		struct kerr ignored;
		if (json_get_str(d, k, row->command, sizeof(row->command), &ignored) < 0)
			str_copy(row->command, sizeof(row->command), "…");
	}
	if (get_time(d, obj, "created", &row->created_ns, err) < 0)
		return -1;
	if (get_int(d, obj, "pid", &v, err) < 0)
		return -1;
	row->pid = v;
	/* "status" is the state's name with its fields beside it, or a nested status
	 * object (status.h's JSON) holding them. */
	int st = json_obj_get(d, obj, "status");
	int src = obj;
	if (st >= 0 && d->toks[st].type == JSON_OBJECT) {
		src = st;
		st = json_obj_get(d, src, "status");
	}
	if (st >= 0 && (json_get_str(d, st, kind, sizeof(kind), err) < 0 ||
			status_kind_parse(kind, &row->kind, err) < 0))
		return kerr_wrap(err, "`status`");
	if (get_int(d, src, "exit_code", &v, err) < 0)
		return -1;
	row->exit_code = (int)v;
	if (get_time(d, src, "started_at", &row->started_ns, err) < 0 ||
	    get_time(d, src, "finished_at", &row->finished_ns, err) < 0)
		return -1;
	if (row->pid == 0 && src != obj && get_int(d, src, "pid", &v, err) == 0)
		row->pid = v;
	if (get_int(d, src, "restart_count", &row->restarts, err) < 0 ||
	    get_int(d, src, "restart_streak", &row->streak, err) < 0 ||
	    get_time(d, src, "next_start", &row->next_start_ns, err) < 0)
		return -1;
	if (row->kind != STATUS_RUNNING && row->kind != STATUS_PAUSED)
		row->pid = 0;
	/* "health": the status's name, or status.h's health object holding it. */
	int h = json_obj_get(d, src, "health");
	if (h >= 0 && d->toks[h].type == JSON_OBJECT)
		h = json_obj_get(d, h, "status");
	if (h >= 0 && d->toks[h].type == JSON_STRING) {
		char name[32];

		if (json_get_str(d, h, name, sizeof(name), err) < 0)
			return kerr_wrap(err, "`health`");
		for (int i = STATUS_HEALTH_STARTING; i <= STATUS_HEALTH_UNHEALTHY; i++)
			if (strcmp(name, status_health_name((enum status_health_kind)i)) == 0)
				row->health = (enum status_health_kind)i;
	}
	return 0;
}

/* Newest first; ties by id so the order is stable. */
static int row_cmp(const void *pa, const void *pb)
{
	const struct ps_row *a = pa, *b = pb;

	if (a->created_ns != b->created_ns)
		return a->created_ns > b->created_ns ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* ---- cells ---- */

/* Characters (not bytes) in a UTF-8 string, as tabwriter counts them. */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* docker's Ellipsis then strconv.Quote: at most max characters, the last one "…" when
 * cut, inside double quotes with \ and " escaped and control bytes as \xNN. */
static void quoted_command(const char *cmd, bool trunc, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t chars = width(cmd), o = 0, seen = 0;
	bool cut = trunc && chars > CMD_TRUNC;

	out[o++] = '"';
	for (const unsigned char *c = (const unsigned char *)cmd; *c && o + 8 < cap; c++) {
		bool lead = (*c & 0xc0) != 0x80;

		if (lead && cut && seen == CMD_TRUNC - 1)
			break;
		seen += lead;
		if (*c == '"' || *c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*c;
		} else if (*c < 0x20 || *c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*c >> 4];
			out[o++] = hex[*c & 15];
		} else {
			out[o++] = (char)*c;
		}
	}
	if (cut && o + sizeof(ELLIPSIS) + 1 < cap) {
		memcpy(out + o, ELLIPSIS, sizeof(ELLIPSIS) - 1);
		o += sizeof(ELLIPSIS) - 1;
	}
	out[o++] = '"';
	out[o] = '\0';
}

static void ago(int64_t now, int64_t then, char *out, size_t cap)
{
	char d[64];

	clock_human_duration(now > then ? now - then : 0, d, sizeof(d));
	snprintf(out, cap, "%s ago", d);
}

/* docker's STATUS column. */
static void status_text(const struct ps_row *r, int64_t now, char *out, size_t cap)
{
	char d[64];

	switch (r->kind) {
	case STATUS_CREATED:
		snprintf(out, cap, "Created");
		return;
	case STATUS_RUNNING:
	case STATUS_PAUSED:
		clock_human_duration(r->started_ns && now > r->started_ns ? now - r->started_ns : 0,
				     d, sizeof(d));
		/* docker: a paused container says so instead of its health. */
		if (r->kind == STATUS_PAUSED)
			snprintf(out, cap, "Up %s (Paused)", d);
		else if (r->health == STATUS_HEALTH_STARTING)
			snprintf(out, cap, "Up %s (health: starting)", d);
		else if (r->health != STATUS_HEALTH_NONE)
			snprintf(out, cap, "Up %s (%s)", d, status_health_name(r->health));
		else
			snprintf(out, cap, "Up %s", d);
		return;
	case STATUS_RESTARTING: {
		/* The kubelet's word once the backoff has doubled; before, when it comes. */
		if (r->streak >= CRASHLOOP) {
			snprintf(out, cap, "CrashLoopBackOff (%lld)", (long long)r->restarts);
			return;
		}
		int64_t left = r->next_start_ns > now ? r->next_start_ns - now : 0;
		long long secs = (long long)((left + 999999999) / 1000000000);

		if (secs >= 60)
			snprintf(out, cap, "Restarting (%lld) in %lldm%llds",
				 (long long)r->restarts, secs / 60, secs % 60);
		else
			snprintf(out, cap, "Restarting (%lld) in %llds", (long long)r->restarts,
				 secs);
		return;
	}
	case STATUS_EXITED: {
		if (!r->finished_ns) {
			snprintf(out, cap, "Exited (%d)", r->exit_code);
			return;
		}
		char when[96];
		ago(now, r->finished_ns, when, sizeof(when));
		snprintf(out, cap, "Exited (%d) %s", r->exit_code, when);
		return;
	}
	case STATUS_REMOVING:
		snprintf(out, cap, "Removal In Progress");
		return;
	case STATUS_DEAD:
		snprintf(out, cap, "Dead");
		return;
	}
	snprintf(out, cap, "Unknown");
}

/* docker's CreatedAt: "2006-01-02 15:04:05 +0000 UTC". */
static void created_at(int64_t ns, char *out, size_t cap)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm))
		str_copy(out, cap, "");
}

/* The six cells of one row, each malloc'd into cells[]. */
static int row_cells(const struct ps_row *r, const struct ps_args *a, int64_t now,
		     char *cells[NCOLS])
{
	char buf[CELL_MAX];

	cells[0] = strndup(r->id, a->no_trunc ? IDS_ID_LEN : IDS_SHORT_LEN);
	cells[1] = strdup(r->name);
	quoted_command(r->command, !a->no_trunc, buf, sizeof(buf));
	cells[2] = strdup(buf);
	if (r->created_ns)
		ago(now, r->created_ns, buf, sizeof(buf));
	else
		str_copy(buf, sizeof(buf), "");
	cells[3] = strdup(buf);
	status_text(r, now, buf, sizeof(buf));
	cells[4] = strdup(buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)r->restarts);
	cells[5] = strdup(buf);
	if (r->pid > 0)
		snprintf(buf, sizeof(buf), "%lld", r->pid);
	else
		str_copy(buf, sizeof(buf), "-");
	cells[6] = strdup(buf);
	for (int c = 0; c < NCOLS; c++)
		if (!cells[c])
			return -1;
	return 0;
}

/* ---- output ---- */

/* images: NULL, or the IMAGE cells (header first), a column after CONTAINER ID as docker
 * places it; it is shown only when some container was made from an image. */
static void print_table(char *(*cells)[NCOLS], size_t nrows, const char *const *images)
{
	size_t w[NCOLS], wi = TAB_MINWIDTH;

	for (int c = 0; c < NCOLS; c++) {
		w[c] = TAB_MINWIDTH;
		for (size_t r = 0; r < nrows; r++)
			if (width(cells[r][c]) + TAB_PADDING > w[c])
				w[c] = width(cells[r][c]) + TAB_PADDING;
	}
	for (size_t r = 0; images && r < nrows; r++)
		if (width(images[r]) + TAB_PADDING > wi)
			wi = width(images[r]) + TAB_PADDING;
	for (size_t r = 0; r < nrows; r++) {
		for (int c = 0; c < NCOLS - 1; c++) {
			printf("%s%*s", cells[r][c], (int)(w[c] - width(cells[r][c])), "");
			if (c == 0 && images)
				printf("%s%*s", images[r], (int)(wi - width(images[r])), "");
		}
		printf("%s\n", cells[r][NCOLS - 1]);
	}
}

static int print_json_row(const struct ps_row *row, char *cells[NCOLS])
{
	char when[64];
	struct json_w w;
	struct buf b;
	struct kerr err;

	buf_init(&b, 4 * CELL_MAX);
	created_at(row->created_ns, when, sizeof(when));
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "Command");
	json_w_str(&w, cells[2]);
	json_w_key(&w, "CreatedAt");
	json_w_str(&w, when);
	json_w_key(&w, "ID");
	json_w_str(&w, cells[0]);
	json_w_key(&w, "Image");
	json_w_str(&w, row->image);
	json_w_key(&w, "Names");
	json_w_str(&w, cells[1]);
	json_w_key(&w, "Pid");
	json_w_i64(&w, row->pid);
	json_w_key(&w, "RunningFor");
	json_w_str(&w, cells[3]);
	json_w_key(&w, "State");
	json_w_str(&w, status_kind_name(row->kind));
	json_w_key(&w, "Status");
	json_w_str(&w, cells[4]);
	json_w_obj_end(&w);
	int rc = json_w_end(&w, &err);
	if (rc == 0)
		printf("%.*s\n", (int)b.len, (const char *)b.data);
	else
		client_fail(CLIENT_EXIT_FAIL, &err);
	buf_done(&b);
	return rc < 0 ? CLIENT_EXIT_FAIL : 0;
}

/* Rows from the reply's JSON; *rows is malloc'd. Returns 0 or an exit code (printed). */
static int read_rows(const char *text, size_t len, struct ps_row **rows, size_t *nrows)
{
	struct json_tok *toks = malloc(sizeof(*toks) * JSON_TOKENS_MAX);
	struct json_doc d;
	struct kerr err;
	int rc = 0;

	*rows = NULL;
	*nrows = 0;
	if (!toks) {
		fputs("kettle: out of memory\n", stderr);
		return CLIENT_EXIT_FAIL;
	}
	if (json_parse(&d, text, len, toks, JSON_TOKENS_MAX, &err) < 0 ||
	    (d.toks[0].type != JSON_ARRAY && kerr_set(&err, 0, "not an array") < 0)) {
		kerr_wrap(&err, "the daemon's container list");
		free(toks);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	size_t n = (size_t)d.toks[0].size;
	*rows = calloc(n ? n : 1, sizeof(**rows));
	if (!*rows) {
		free(toks);
		fputs("kettle: out of memory\n", stderr);
		return CLIENT_EXIT_FAIL;
	}
	int k = 1;
	for (size_t i = 0; i < n; i++) {
		if (parse_row(&d, k, &(*rows)[i], &err) < 0) {
			kerr_wrap(&err, "the daemon's container list, entry %zu", i);
			rc = client_fail(CLIENT_EXIT_FAIL, &err);
			break;
		}
		k = json_skip(&d, k);
	}
	*nrows = rc ? 0 : n;
	free(toks);
	return rc;
}

static int show(const struct ps_args *a, struct ps_row *rows, size_t n)
{
	static const char *const header[NCOLS] = { "CONTAINER ID", "NAMES",    "COMMAND", "CREATED",
						   "STATUS",	   "RESTARTS", "PID" };
	int64_t now = clock_wall_ns();
	int rc = 0;

	qsort(rows, n, sizeof(*rows), row_cmp);
	if (a->quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%.*s\n", a->no_trunc ? IDS_ID_LEN : IDS_SHORT_LEN, rows[i].id);
		return 0;
	}
	char *(*cells)[NCOLS] = calloc(n + 1, sizeof(*cells));
	if (!cells) {
		fputs("kettle: out of memory\n", stderr);
		return CLIENT_EXIT_FAIL;
	}
	for (int c = 0; c < NCOLS; c++)
		cells[0][c] = strdup(header[c]);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (row_cells(&rows[i], a, now, cells[i + 1]) < 0) {
			fputs("kettle: out of memory\n", stderr);
			rc = CLIENT_EXIT_FAIL;
		}
	}
	for (int c = 0; rc == 0 && c < NCOLS; c++)
		if (!cells[0][c])
			rc = CLIENT_EXIT_FAIL;
	/* The IMAGE column, when any container has an image ("-" for the others). */
	const char **images = NULL;
	for (size_t i = 0; i < n && !images; i++)
		if (rows[i].image[0])
			images = calloc(n + 1, sizeof(*images));
	for (size_t i = 0; images && i <= n; i++)
		images[i] = i == 0 ? "IMAGE" : rows[i - 1].image[0] ? rows[i - 1].image : "-";
	if (rc == 0 && a->format == PS_TABLE)
		print_table(cells, n + 1, images);
	free(images);
	for (size_t i = 0; rc == 0 && a->format == PS_JSON && i < n; i++)
		rc = print_json_row(&rows[i], cells[i + 1]);
	for (size_t r = 0; r <= n; r++)
		for (int c = 0; c < NCOLS; c++)
			free(cells[r][c]);
	free(cells);
	return rc;
}

enum {
	PS_NO_TRUNC = 256,
	PS_FORMAT,
};

static const struct cli_opt ps_opts[] CLI_TABLE = {
	CLI_OPT('a', 'a', CLI_FLAG, 0, "all", "", "Show all containers, not only running ones"),
	CLI_OPT('q', 'q', CLI_FLAG, 0, "quiet", "", "Print ids only"),
	CLI_OPT(PS_NO_TRUNC, 0, CLI_FLAG, 0, "no-trunc", "", "Full ids and commands"),
	CLI_OPT(PS_FORMAT, 0, CLI_CHOICE, 0, "format", "table|json",
		"table (default) or json (one object per line)"),
};

const struct cli_cmd client_ps_cmd CLI_TABLE = {
	.name = "ps",
	.summary = "List containers",
	.synopsis = "kettle ps [-a] [-q] [--no-trunc] [--format table|json]",
	.description = "List containers, newest first: running ones, or all with -a.",
	.opts = ps_opts,
	.nopts = CLI_COUNT(ps_opts),
};

static int ps_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct ps_args *a = ctx;

	switch (id) {
	case 'a':
		a->all = true;
		return 0;
	case 'q':
		a->quiet = true;
		return 0;
	case PS_NO_TRUNC:
		a->no_trunc = true;
		return 0;
	default:
		if (strcmp(val, "table") == 0)
			a->format = PS_TABLE;
		else if (strcmp(val, "json") == 0)
			a->format = PS_JSON;
		else
			return client_usage_error(
				cmd, "invalid --format `%s`, expected table or json", val);
		return 0;
	}
}

int client_ps_main(int argc, char **argv)
{
	struct ps_args a = { .format = PS_TABLE };
	struct client_args args;
	struct wire_frame reply;
	struct wire_enc e;
	struct client cl;
	struct kerr err;
	int rc = client_parse(&client_ps_cmd, argc, argv, ps_option, &a, &args);

	if (rc >= 0)
		return rc;
	rc = client_open(&cl);
	if (rc != 0)
		return rc;
	uint32_t reqid = client_begin(&cl, &cl.conn, &e, WIRE_T_LIST);
	wire_enc_u32(&e, WIRE_F_ALL, a.all);
	rc = client_end(&e);
	if (rc == 0)
		rc = client_call(&cl, reqid, &reply);
	const uint8_t *json = NULL;
	size_t len = 0;
	if (rc == 0 && wire_get_bytes(&reply, WIRE_F_JSON, true, &json, &len, &err) < 0)
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
	struct ps_row *rows = NULL;
	size_t n = 0;
	if (rc == 0)
		rc = read_rows((const char *)json, len, &rows, &n);
	if (rc == 0) {
		/* Without -a only what runs, whatever the daemon sent. */
		size_t kept = 0;
		for (size_t i = 0; i < n; i++)
			if (a.all || rows[i].kind == STATUS_RUNNING ||
			    rows[i].kind == STATUS_PAUSED || rows[i].kind == STATUS_RESTARTING)
				rows[kept++] = rows[i];
		rc = show(&a, rows, kept);
	}
	free(rows);
	client_close(&cl);
	return rc;
}
