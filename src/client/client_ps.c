/*
 * client_ps: `kettle ps` (layer 3, client role): the daemon's LIST reply as kettle's table,
 * ids only (-q), docker's JSON lines (--format json) or a Go template (--format, with
 * `table` for docker's column headers), filtered by the daemon (--filter, docker's keys).
 *
 * The reply is a JSON array of {id, name, command, created, status, exit_code, started_at,
 * finished_at, pid, restart_count, restart_streak, next_start, health, image, labels,
 * mounts, networks, ports, rootfs} (docs/PROTOCOL.md; the state's fields may also come
 * nested as a status.h object). A restarting container shows `Restarting (N) in 20s` and,
 * from the second backoff delay of a crash loop on, `CrashLoopBackOff (N)`; one with a
 * health check `Up 3 minutes (healthy)`, `(unhealthy)` or `(health: starting)`. Rows are
 * newest first, as docker lists them; -n and -l keep the newest N (stopped ones too). For
 * templates each row is docker's ContainerContext as JSON (.ID .Image .Command .CreatedAt
 * .RunningFor .Ports .Status .Names .Labels .Mounts .Networks .State .Size .LocalVolumes,
 * kettle's .Pid, and the method `.Label "k"`). Tables are laid out like docker's tabwriter
 * (tmpl_tabwrite); times are relative to now. ps never reads the state root, except the
 * container roots -s measures.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "client/client.h"
#include "base/clock.h"
#include "base/fd.h"
#include "store/ids.h"
#include "base/json.h"
#include "base/json_w.h"
#include "ipc/reqbody.h"
#include "store/status.h"
#include "base/str.h"
#include "tmpl/tmpl.h"

#define CMD_TRUNC    20	  /* COMMAND characters shown without --no-trunc, "…" included */
#define CMD_MAX	     4096 /* bytes of a command kept from the reply */
#define CELL_MAX     8192 /* bytes of one formatted cell */
#define TAB_MINWIDTH 10	  /* docker ps: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) */
#define TAB_PADDING  3	  /* spaces after the widest cell of a column */
#define NCOLS	     8	  /* CONTAINER ID … PID, and SIZE with -s */
#define MOUNT_TRUNC  15	  /* characters of a mount shown without --no-trunc (docker) */
#define LIST_MAX     1024 /* labels, mounts or networks kept per row */
#define CRASHLOOP    3	  /* from the second backoff delay of a streak on: CrashLoopBackOff */
#define ELLIPSIS     "\xe2\x80\xa6"

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
	char *image;			/* owned: what it runs from ("" unknown) */
	char **labels;			/* owned: "K=V", in the record's order */
	size_t nlabels;			/* entries of labels */
	char **mounts;			/* owned: the mounts' host paths */
	size_t nmounts;			/* entries of mounts */
	char **networks;		/* owned: network names */
	size_t nnetworks;		/* entries of networks */
	char **ports;			/* owned: published ports, "0.0.0.0:8080->80/tcp" */
	size_t nports;			/* entries of ports */
	char *rootfs;			/* owned: its --rootfs, or NULL */
	char *size;			/* owned: the SIZE text once measured, or NULL */
	char label[CELL_MAX];		/* .Label's result, for the template's lifetime */
};

struct ps_args {
	bool all;	    /* -a: stopped ones too */
	bool quiet;	    /* -q: ids only */
	bool no_trunc;	    /* --no-trunc: full ids and commands */
	bool size;	    /* -s: the SIZE column */
	int64_t last;	    /* -n N, -l (1): the newest N only, stopped ones too; 0 all */
	const char *format; /* --format, or NULL */
	char filter[REQBODY_FILTER_TEXT_MAX]; /* --filter lines "K=V\nK=V" */
	size_t nfilters;		      /* --filter flags seen */
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

/* A string member (absent or null: *out stays NULL), copied. */
static int get_dup(const struct json_doc *d, int obj, const char *key, char **out, struct kerr *err)
{
	int v = json_obj_get(d, obj, key);
	const struct json_tok *t;

	*out = NULL;
	if (v < 0 || d->toks[v].type == JSON_NULL)
		return 0;
	t = &d->toks[v];
	if (t->type != JSON_STRING)
		return kerr_set(err, 0, "`%s`: expected a string", key);
	*out = malloc((size_t)(t->end - t->start) + 1);
	if (!*out)
		return kerr_set(err, ENOMEM, "`%s`", key);
	if (json_get_str(d, v, *out, (size_t)(t->end - t->start) + 1, err) < 0)
		return kerr_wrap(err, "`%s`", key);
	return 0;
}

/* An array of strings (absent: empty), copied; at most LIST_MAX kept. */
static int get_list(const struct json_doc *d, int obj, const char *key, char ***out, size_t *n,
		    struct kerr *err)
{
	int v = json_obj_get(d, obj, key);

	*out = NULL;
	*n = 0;
	if (v < 0 || d->toks[v].type == JSON_NULL)
		return 0;
	if (d->toks[v].type != JSON_ARRAY)
		return kerr_set(err, 0, "`%s`: expected an array", key);
	size_t m = (size_t)d->toks[v].size < LIST_MAX ? (size_t)d->toks[v].size : LIST_MAX;
	*out = calloc(m + 1, sizeof(**out));
	if (!*out)
		return kerr_set(err, ENOMEM, "`%s`", key);
	for (int k = v + 1; *n < m; k = json_skip(d, k)) {
		const struct json_tok *t = &d->toks[k];

		if (t->type != JSON_STRING)
			return kerr_set(err, 0, "`%s`: expected strings", key);
		char *s = malloc((size_t)(t->end - t->start) + 1);
		if (!s)
			return kerr_set(err, ENOMEM, "`%s`", key);
		(*out)[(*n)++] = s;
		if (json_get_str(d, k, s, (size_t)(t->end - t->start) + 1, err) < 0)
			return kerr_wrap(err, "`%s`", key);
	}
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
	if (get_dup(d, obj, "image", &row->image, err) < 0 ||
	    get_dup(d, obj, "rootfs", &row->rootfs, err) < 0 ||
	    get_list(d, obj, "labels", &row->labels, &row->nlabels, err) < 0 ||
	    get_list(d, obj, "mounts", &row->mounts, &row->nmounts, err) < 0 ||
	    get_list(d, obj, "networks", &row->networks, &row->nnetworks, err) < 0 ||
	    get_list(d, obj, "ports", &row->ports, &row->nports, err) < 0)
		return -1;
	if (!row->image && !(row->image = strdup("")))
		return kerr_set(err, ENOMEM, "row");
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void row_done(struct ps_row *r)
{
	free(r->image);
	free(r->rootfs);
	free(r->size);
	free_list(r->labels, r->nlabels);
	free_list(r->mounts, r->nmounts);
	free_list(r->networks, r->nnetworks);
	free_list(r->ports, r->nports);
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

/* docker's Ellipsis: at most max characters, the last one "…" when cut. */
static void ellipsis(const char *s, size_t max, struct buf *out)
{
	struct kerr ignored;
	size_t chars = width(s), seen = 0;

	if (chars <= max) {
		buf_append_str(out, s, &ignored);
		return;
	}
	for (const char *c = s; *c; c++) {
		bool lead = ((unsigned char)*c & 0xc0) != 0x80;

		if (lead && seen == max - 1)
			break;
		seen += lead;
		buf_append(out, c, 1, &ignored);
	}
	buf_append_str(out, ELLIPSIS, &ignored);
}

/* The last value of label key, or NULL. */
static const char *label_value(const struct ps_row *r, const char *key)
{
	size_t k = strlen(key);

	for (size_t i = r->nlabels; i-- > 0;)
		if (strncmp(r->labels[i], key, k) == 0 &&
		    (r->labels[i][k] == '=' || r->labels[i][k] == '\0'))
			return r->labels[i][k] ? r->labels[i] + k + 1 : "";
	return NULL;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* docker's .Labels: "k=v" (each key once, with its last value) sorted and joined by ','. */
static void labels_text(const struct ps_row *r, struct buf *out)
{
	_cleanup_free_ const char **v = calloc(r->nlabels + 1, sizeof(*v));
	struct kerr ignored;
	size_t n = 0;

	if (!v)
		return;
	for (size_t i = 0; i < r->nlabels; i++) {
		const char *l = r->labels[i];
		size_t k = strcspn(l, "=");
		bool later = false;

		/* A key given again later is shown with that later value. */
		for (size_t j = i + 1; j < r->nlabels && !later; j++)
			later = strncmp(r->labels[j], l, k) == 0 &&
				(r->labels[j][k] == '=' || r->labels[j][k] == '\0');
		if (!later)
			v[n++] = l;
	}
	qsort(v, n, sizeof(*v), str_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_append_str(out, ",", &ignored);
		buf_append_str(out, v[i], &ignored);
		if (!strchr(v[i], '='))
			buf_append_str(out, "=", &ignored);
	}
}

/* The SIZE text, measured once (docker: "0B (virtual 1.2MB)"). */
static const char *size_text(struct ps_row *r)
{
	char v[32], text[64];
	uint64_t bytes = 0;
	struct kerr ignored;

	if (r->size)
		return r->size;
	if (r->rootfs && client_size_tree(r->rootfs, &bytes, &ignored) == 0 && bytes > 0) {
		client_size_human(bytes, v, sizeof(v));
		snprintf(text, sizeof(text), "0B (virtual %s)", v);
	} else {
		str_copy(text, sizeof(text), "0B");
	}
	r->size = strdup(text);
	return r->size ? r->size : "0B";
}

/* The cells of one row in kettle's table, each malloc'd into cells[]. */
static int row_cells(struct ps_row *r, const struct ps_args *a, int64_t now, char *cells[NCOLS])
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
	cells[7] = strdup(a->size ? size_text(r) : "");
	for (int c = 0; c < NCOLS; c++)
		if (!cells[c])
			return -1;
	return 0;
}

/* ---- output ---- */

/* kettle's table through the tabwriter (the last column only with -s). */
static int print_table(const struct ps_args *a, struct ps_row *rows, size_t n, int64_t now,
		       struct buf *out, struct kerr *err)
{
	static const char *const header[NCOLS] = { "CONTAINER ID", "NAMES",    "COMMAND", "CREATED",
						   "STATUS",	   "RESTARTS", "PID",	  "SIZE" };
	int ncols = a->size ? NCOLS : NCOLS - 1;
	struct buf text;
	int rc = 0;

	buf_init(&text, SIZE_MAX);
	for (size_t i = 0; i <= n && rc == 0; i++) {
		char *cells[NCOLS] = { 0 };

		if (i > 0 && row_cells(&rows[i - 1], a, now, cells) < 0)
			rc = kerr_set(err, ENOMEM, "ps");
		for (int c = 0; c < ncols && rc == 0; c++) {
			rc = buf_append_str(&text, i ? cells[c] : header[c], err);
			if (rc == 0)
				rc = buf_append_str(&text, c + 1 < ncols ? "\t" : "\n", err);
		}
		for (int c = 0; c < NCOLS; c++)
			free(cells[c]);
	}
	if (rc == 0)
		rc = tmpl_tabwrite(text.data ? (const char *)text.data : "", text.len, out, err);
	buf_done(&text);
	return rc;
}

/* One row as docker's ContainerContext marshals it (keys sorted), plus kettle's Pid. */
static int row_json(struct ps_row *r, const struct ps_args *a, bool size, int64_t now,
		    struct buf *out, struct kerr *err)
{
	char when[64], buf[CELL_MAX];
	struct json_w w;
	struct buf list;

	json_w_init(&w, out);
	json_w_obj_begin(&w);
	quoted_command(r->command, !a->no_trunc, buf, sizeof(buf));
	json_w_key(&w, "Command");
	json_w_str(&w, buf);
	created_at(r->created_ns, when, sizeof(when));
	json_w_key(&w, "CreatedAt");
	json_w_str(&w, when);
	json_w_key(&w, "ID");
	json_w_strn(&w, r->id, a->no_trunc ? strlen(r->id) : IDS_SHORT_LEN);
	json_w_key(&w, "Image");
	json_w_str(&w, r->image[0] ? r->image : "<no image>");
	buf_init(&list, SIZE_MAX);
	labels_text(r, &list);
	json_w_key(&w, "Labels");
	json_w_strn(&w, list.data ? (const char *)list.data : "", list.len);
	json_w_key(&w, "LocalVolumes");
	json_w_str(&w, "0");
	buf_clear(&list);
	for (size_t i = 0; i < r->nmounts; i++) {
		if (i)
			buf_append_str(&list, ",", err);
		if (a->no_trunc)
			buf_append_str(&list, r->mounts[i], err);
		else
			ellipsis(r->mounts[i], MOUNT_TRUNC, &list);
	}
	json_w_key(&w, "Mounts");
	json_w_strn(&w, list.data ? (const char *)list.data : "", list.len);
	json_w_key(&w, "Names");
	json_w_str(&w, r->name);
	buf_clear(&list);
	for (size_t i = 0; i < r->nnetworks; i++) {
		if (i)
			buf_append_str(&list, ",", err);
		buf_append_str(&list, r->networks[i], err);
	}
	json_w_key(&w, "Networks");
	json_w_strn(&w, list.data ? (const char *)list.data : "", list.len);
	buf_done(&list);
	json_w_key(&w, "Pid");
	json_w_i64(&w, r->pid);
	buf_init(&list, SIZE_MAX);
	for (size_t i = 0; i < r->nports; i++) {
		if (i)
			buf_append_str(&list, ", ", err);
		buf_append_str(&list, r->ports[i], err);
	}
	json_w_key(&w, "Ports");
	json_w_strn(&w, list.data ? (const char *)list.data : "", list.len);
	buf_done(&list);
	if (r->created_ns)
		ago(now, r->created_ns, buf, sizeof(buf));
	else
		str_copy(buf, sizeof(buf), "");
	json_w_key(&w, "RunningFor");
	json_w_str(&w, buf);
	json_w_key(&w, "Size");
	json_w_str(&w, size ? size_text(r) : "0B");
	json_w_key(&w, "State");
	json_w_str(&w, status_kind_name(r->kind));
	status_text(r, now, buf, sizeof(buf));
	json_w_key(&w, "Status");
	json_w_str(&w, buf);
	json_w_obj_end(&w);
	return json_w_end(&w, err);
}

/* docker's `.Label "k"`: the label's value, "" without it. */
static int row_method(void *ctx, const char *name, size_t nargs, const char *const *args,
		      const char **result, struct kerr *err)
{
	struct ps_row *r = ctx;

	if (strcmp(name, "Label") != 0)
		return 0;
	if (nargs != 1)
		return kerr_set(err, 0, "wrong number of args for Label: want 1 got %zu", nargs);
	const char *v = label_value(r, args[0]);
	str_copy(r->label, sizeof(r->label), v ? v : "");
	*result = r->label;
	return 1;
}

/* docker's column names (a table's header row). */
static const char ps_header[] =
	"{\"Command\":\"COMMAND\",\"CreatedAt\":\"CREATED AT\",\"ID\":\"CONTAINER ID\","
	"\"Image\":\"IMAGE\",\"Labels\":\"LABELS\",\"LocalVolumes\":\"LOCAL VOLUMES\","
	"\"Mounts\":\"MOUNTS\",\"Names\":\"NAMES\",\"Networks\":\"NETWORKS\",\"Pid\":\"PID\","
	"\"Ports\":\"PORTS\",\"RunningFor\":\"CREATED\",\"Size\":\"SIZE\",\"State\":\"STATE\","
	"\"Status\":\"STATUS\"}";

static int print_formatted(const struct ps_args *a, struct client_format *fmt, struct ps_row *rows,
			   size_t n, int64_t now, struct buf *out, struct kerr *err)
{
	/* docker measures sizes for a template that shows them, -s or not. */
	bool size = a->size || (a->format && strstr(a->format, ".Size"));
	char label[CLIENT_FORMAT_LABEL_MAX];
	struct buf doc;
	int rc = 0;

	buf_init(&doc, SIZE_MAX);
	for (size_t i = 0; i < n && rc == 0; i++) {
		buf_clear(&doc);
		rc = row_json(&rows[i], a, size, now, &doc, err);
		if (rc == 0 && fmt->kind == CLIENT_FORMAT_JSON)
			rc = client_format_json((const char *)doc.data, doc.len, out, err);
		else if (rc == 0)
			rc = client_format_exec(fmt, (const char *)doc.data, doc.len,
						&client_format_struct, row_method, &rows[i], out,
						err);
	}
	buf_done(&doc);
	if (rc == 0 && fmt->kind == CLIENT_FORMAT_TEMPLATE)
		rc = client_format_table(fmt, ps_header, client_format_header_label, label, out,
					 err);
	return rc;
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
		*nrows = i + 1;
		if (parse_row(&d, k, &(*rows)[i], &err) < 0) {
			kerr_wrap(&err, "the daemon's container list, entry %zu", i);
			rc = client_fail(CLIENT_EXIT_FAIL, &err);
			break;
		}
		k = json_skip(&d, k);
	}
	free(toks);
	return rc;
}

static int show(const struct ps_args *a, struct ps_row *rows, size_t n)
{
	int64_t now = clock_wall_ns();
	struct client_format fmt;
	struct kerr err;
	struct buf out;
	int rc;

	qsort(rows, n, sizeof(*rows), row_cmp);
	if (a->last > 0 && (size_t)a->last < n)
		n = (size_t)a->last;
	if (a->quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%.*s\n", a->no_trunc ? IDS_ID_LEN : IDS_SHORT_LEN, rows[i].id);
		return 0;
	}
	rc = client_format_init(&fmt, a->format, true);
	if (rc != 0)
		return rc;
	buf_init(&out, SIZE_MAX);
	if (fmt.kind == CLIENT_FORMAT_DEFAULT)
		rc = print_table(a, rows, n, now, &out, &err);
	else
		rc = print_formatted(a, &fmt, rows, n, now, &out, &err);
	if (rc == 0) {
		if (out.len) /* an empty buffer has no data pointer */
			fwrite(out.data, 1, out.len, stdout);
	} else if (str_has_prefix(err.msg, "template parsing error")) {
		fprintf(stderr, "%s\n", err.msg);
		rc = CLIENT_EXIT_FAIL;
	} else {
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
	}
	buf_done(&out);
	client_format_done(&fmt);
	return rc;
}

enum {
	PS_NO_TRUNC = 256,
	PS_FORMAT,
};

static const struct cli_opt ps_opts[] CLI_TABLE = {
	CLI_OPT('a', 'a', CLI_FLAG, 0, "all", "", "Show all containers, not only running ones"),
	CLI_OPT('f', 'f', CLI_STRING, CLI_REPEAT, "filter", "KEY=VALUE",
		"Only containers that match (docker's keys: id, name, label, status, exited, "
		"health, ancestor, before, since, volume, network, publish, expose); repeat a "
		"key for either value, different keys must all match"),
	CLI_OPT(PS_FORMAT, 0, CLI_STRING, 0, "format", "FORMAT",
		"json (one object per line), table (the default), or a Go template "
		"('{{.Names}}\\t{{.Status}}'; `table TEMPLATE` adds docker's headers)"),
	CLI_OPT('n', 'n', CLI_NUMBER, 0, "last", "N", "The N newest containers, stopped ones too"),
	CLI_OPT('l', 'l', CLI_FLAG, 0, "latest", "", "The newest container, stopped or not"),
	CLI_OPT(PS_NO_TRUNC, 0, CLI_FLAG, 0, "no-trunc", "", "Full ids and commands"),
	CLI_OPT('q', 'q', CLI_FLAG, 0, "quiet", "", "Print ids only"),
	CLI_OPT('s', 's', CLI_FLAG, 0, "size", "", "The SIZE column: the bytes under the root"),
};

const struct cli_cmd client_ps_cmd CLI_TABLE = {
	.name = "ps",
	.summary = "List containers",
	.synopsis = "kettle ps [-a] [-q] [-s] [-l] [-n N] [--no-trunc] [-f KEY=VALUE] "
		    "[--format FORMAT]",
	.description = "List containers, newest first: running ones, or all with -a.",
	.opts = ps_opts,
	.nopts = CLI_COUNT(ps_opts),
	.flags = CLI_INTERLEAVE,
};

static int ps_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct ps_args *a = ctx;
	struct kerr err;
	uint64_t n;

	switch (id) {
	case 'a':
		a->all = true;
		return 0;
	case 'q':
		a->quiet = true;
		return 0;
	case 's':
		a->size = true;
		return 0;
	case 'l':
		a->last = 1;
		return 0;
	case 'n':
		if (str_to_u64(val, INT32_MAX, &n, &err) < 0)
			return client_usage_error(cmd, "-n: %s", err.msg);
		a->last = (int64_t)n;
		return 0;
	case PS_NO_TRUNC:
		a->no_trunc = true;
		return 0;
	case PS_FORMAT:
		a->format = val;
		return 0;
	default: {
		size_t len = strlen(val), used = strlen(a->filter);

		if (!strchr(val, '=') || val[0] == '=' || strchr(val, '\n'))
			return client_usage_error(
				cmd, "bad format of filter `%s` (expected name=value)", val);
		if (a->nfilters == REQBODY_FILTERS_MAX || len > REQBODY_FILTER_VALUE_MAX + 15 ||
		    used + len + 2 > sizeof(a->filter))
			return client_usage_error(cmd, "--filter: at most %d filters of %d bytes",
						  REQBODY_FILTERS_MAX, REQBODY_FILTER_VALUE_MAX);
		if (used)
			a->filter[used++] = '\n';
		memcpy(a->filter + used, val, len + 1);
		a->nfilters++;
		return 0;
	}
	}
}

int client_ps_main(int argc, char **argv)
{
	struct ps_args a = { 0 };
	struct client_args args;
	struct wire_frame reply;
	struct wire_enc e;
	struct client cl;
	struct kerr err;
	int rc = client_parse(&client_ps_cmd, argc, argv, ps_option, &a, &args);

	if (rc >= 0)
		return rc;
	/* A template that does not parse fails before the daemon is asked. */
	if (!a.quiet && a.format) {
		struct client_format check;

		rc = client_format_init(&check, a.format, true);
		client_format_done(&check);
		if (rc != 0)
			return rc;
	}
	rc = client_open(&cl);
	if (rc != 0)
		return rc;
	uint32_t reqid = client_begin(&cl, &cl.conn, &e, WIRE_T_LIST);
	/* docker: -n and -l count stopped containers too. */
	wire_enc_u32(&e, WIRE_F_ALL, a.all || a.last > 0);
	if (a.filter[0])
		wire_enc_str(&e, WIRE_F_FILTER, a.filter);
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
		/* Without -a, -n or a filter only what runs, whatever the daemon sent (a
		 * status filter asks for stopped ones: the daemon decided). */
		size_t kept = 0;
		for (size_t i = 0; i < n; i++) {
			bool keep = a.all || a.last > 0 || a.filter[0] ||
				    rows[i].kind == STATUS_RUNNING ||
				    rows[i].kind == STATUS_PAUSED ||
				    rows[i].kind == STATUS_RESTARTING;
			if (keep)
				rows[kept++] = rows[i];
			else
				row_done(&rows[i]);
		}
		n = kept;
		rc = show(&a, rows, n);
	}
	for (size_t i = 0; i < n; i++)
		row_done(&rows[i]);
	free(rows);
	client_close(&cl);
	return rc;
}
