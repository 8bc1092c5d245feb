/*
 * client_images: `kettle images`, `image inspect|ls|rm|prune|…`, `history`, `tag` and
 * `rmi` (layer 3, client role).
 *
 * The daemon answers with JSON (IMAGE_LIST, IMAGE_INSPECT, IMAGE_HISTORY, IMAGE_REMOVE,
 * IMAGE_PRUNE); this file prints it as docker does: tables laid out like docker's
 * tabwriter (minimum width 10, padding 3, the last column unpadded), names in their
 * familiar form (`busybox:latest`), ids of 12 hex digits unless --no-trunc, sizes in
 * decimal units with three significant digits, times relative to now. `kettle image X`
 * runs the command docker's `docker image X` names (ls, rm, inspect, prune, history,
 * tag, load, save, import).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/str.h"
#include "client/client.h"
#include "client/client_images.h"
#include "image/imgref.h"

#define TAB_MINWIDTH   10 /* docker's tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) */
#define TAB_PADDING    3
#define INSPECT_INDENT 4  /* docker inspect's json.MarshalIndent(v, "", "    ") */
#define CREATED_BY_MAX 45 /* docker history truncates CREATED BY to 45 characters */
#define REPLY_TOKENS   65536
#define ELLIPSIS       "\xe2\x80\xa6"

/* ---- a table as docker's tabwriter lays it out ---- */

struct table {
	size_t ncols; /* columns */
	char **cells; /* owned; rows × ncols strings, row 0 the header */
	size_t nrows; /* rows, header included */
	size_t cap;   /* rows allocated */
};

static size_t width_of(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80; /* characters, not bytes */
	return n;
}

static int table_row(struct table *t, const char *const *cols)
{
	if (t->nrows == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, nc * t->ncols * sizeof(*c));
		if (!c)
			return -1;
		t->cells = c;
		t->cap = nc;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		t->cells[t->nrows * t->ncols + i] = strdup(cols[i]);
		if (!t->cells[t->nrows * t->ncols + i])
			return -1;
	}
	t->nrows++;
	return 0;
}

static void table_print(struct table *t)
{
	size_t *w = calloc(t->ncols, sizeof(*w));

	for (size_t c = 0; w && c < t->ncols; c++) {
		for (size_t r = 0; r < t->nrows; r++) {
			size_t n = width_of(t->cells[r * t->ncols + c]) + TAB_PADDING;
			if (n > w[c])
				w[c] = n;
		}
		if (w[c] < TAB_MINWIDTH)
			w[c] = TAB_MINWIDTH;
	}
	for (size_t r = 0; w && r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			fputs(s, stdout);
			if (c + 1 < t->ncols)
				printf("%*s", (int)(w[c] - width_of(s)), "");
		}
		putchar('\n');
	}
	free(w);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	*t = (struct table){ 0 };
}

/* "3 weeks ago", or "N/A" for an image without a creation time. */
static void ago(int64_t ns, char *out, size_t cap)
{
	char d[48];

	if (ns <= 0) {
		str_copy(out, cap, "N/A");
		return;
	}
	clock_human_duration(clock_wall_ns() - ns, d, sizeof(d));
	if (snprintf(out, cap, "%s ago", d) >= (int)cap)
		out[cap - 1] = '\0';
}

static int64_t json_time(const struct json_doc *d, int obj, const char *key)
{
	char text[64];
	struct kerr err;
	int64_t ns = 0;
	int v = json_obj_get(d, obj, key);

	if (v < 0 || d->toks[v].type != JSON_STRING ||
	    json_get_str(d, v, text, sizeof(text), &err) < 0 ||
	    clock_parse_rfc3339(text, &ns, &err) < 0)
		return 0;
	return ns;
}

static void json_text(const struct json_doc *d, int obj, const char *key, char *out, size_t cap)
{
	struct kerr err;
	int v = json_obj_get(d, obj, key);

	out[0] = '\0';
	if (v >= 0 && d->toks[v].type == JSON_STRING && json_get_str(d, v, out, cap, &err) < 0)
		out[0] = '\0';
}

static uint64_t json_num(const struct json_doc *d, int obj, const char *key)
{
	struct kerr err;
	uint64_t n = 0;
	int v = json_obj_get(d, obj, key);

	if (v >= 0)
		(void)json_get_u64(d, v, &n, &err);
	return n;
}

/* A request of type with REF ref (and FORCE when force) whose OK carries JSON, parsed. */
static int ask(struct client *cl, uint16_t type, const char *ref, int force, uint32_t all,
	       struct json_doc *d, struct json_tok *toks, struct kerr *err)
{
	struct wire_frame reply;
	struct wire_enc e;
	const uint8_t *text;
	size_t len;
	uint32_t reqid = client_begin(cl, &cl->conn, &e, type);

	if (ref)
		wire_enc_str(&e, WIRE_F_REF, ref);
	if (force >= 0)
		wire_enc_u32(&e, WIRE_F_FORCE, (uint32_t)force);
	if (all)
		wire_enc_u32(&e, WIRE_F_ALL, 1);
	if (wire_enc_end(&e, err) < 0)
		return CLIENT_EXIT_FAIL;
	int rc = client_request(cl, reqid, &reply, err);
	if (rc)
		return rc;
	if (wire_get_bytes(&reply, WIRE_F_JSON, true, &text, &len, err) < 0 ||
	    json_parse(d, (const char *)text, len, toks, REPLY_TOKENS, err) < 0) {
		kerr_wrap(err, "the daemon's answer");
		return CLIENT_EXIT_FAIL;
	}
	return 0;
}

/* ---- images ---- */

static const struct cli_opt images_opts[] CLI_TABLE = {
	CLI_OPT('a', 'a', CLI_FLAG, 0, "all", "", "All images (kettle keeps no intermediate ones)"),
	CLI_OPT('q', 'q', CLI_FLAG, 0, "quiet", "", "Only the image ids"),
	CLI_OPT('d', 0, CLI_FLAG, 0, "digests", "", "Show the digests"),
	CLI_OPT('n', 0, CLI_FLAG, 0, "no-trunc", "", "Full ids"),
};

const struct cli_cmd client_images_cmd CLI_TABLE = {
	.name = "images",
	.summary = "List images",
	.synopsis = "kettle images [OPTIONS] [REPOSITORY[:TAG]]",
	.description = "List the images: one row per tag (untagged images show <none>), "
		       "newest first.",
	.opts = images_opts,
	.nopts = CLI_COUNT(images_opts),
	.pos = { .max = 1, .first = CLI_STRING },
	.flags = CLI_INTERLEAVE,
};

struct images_args {
	bool quiet;    /* -q */
	bool digests;  /* --digests */
	bool no_trunc; /* --no-trunc */
};

static int images_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct images_args *a = ctx;

	(void)cmd;
	(void)val;
	if (id == 'q')
		a->quiet = true;
	else if (id == 'd')
		a->digests = true;
	else if (id == 'n')
		a->no_trunc = true;
	return 0;
}

/* The digest of repository repo among an image's "digests" (repo@sha256:…), or "<none>". */
static void digest_for(const struct json_doc *d, int digests, const char *repo, char *out,
		       size_t cap)
{
	struct kerr err;
	char one[2 * IMGREF_MAX + 80];

	str_copy(out, cap, "<none>");
	for (int i = 0, k = digests + 1; digests >= 0 && i < d->toks[digests].size;
	     i++, k = json_skip(d, k)) {
		if (json_get_str(d, k, one, sizeof(one), &err) < 0)
			continue;
		char *at = strchr(one, '@');
		if (at && (size_t)(at - one) == strlen(repo) &&
		    strncmp(one, repo, strlen(repo)) == 0)
			str_copy(out, cap, at + 1);
	}
}

int client_images_main(int argc, char **argv)
{
	struct images_args a = { 0 };
	struct client_args args;
	struct json_tok *toks = calloc(REPLY_TOKENS, sizeof(*toks));
	struct imgref filter;
	struct json_doc d;
	struct client cl;
	struct kerr err;
	int rc = client_parse(&client_images_cmd, argc, argv, images_option, &a, &args);

	if (rc >= 0 || !toks) {
		free(toks);
		return rc >= 0 ? rc : client_runflags_out_of_memory();
	}
	/* REPOSITORY alone matches every tag of it; with :TAG that tag. */
	const char *last = args.n ? strrchr(args.v[0], '/') : NULL;
	bool want_tag = args.n && strchr(last ? last : args.v[0], ':');
	if (args.n && imgref_parse(args.v[0], &filter, &err) < 0) {
		free(toks);
		return client_usage_error(&client_images_cmd, "%s", err.msg);
	}
	rc = client_open(&cl);
	if (rc == 0)
		rc = ask(&cl, WIRE_T_IMAGE_LIST, NULL, -1, 0, &d, toks, &err);
	if (rc) {
		free(toks);
		if (cl.conn.fd >= 0)
			client_close(&cl);
		return rc == 0 ? 0 : client_fail(rc, &err);
	}
	const char *head[] = { "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE" };
	struct table t = { .ncols = a.digests ? 6 : 5 };
	const char *h5[] = { head[0], head[1], head[3], head[4], head[5] };
	table_row(&t, a.digests ? head : h5);
	char(*seen)[IMGREF_DIGEST_LEN + 1] = calloc((size_t)d.toks[0].size + 1, sizeof(*seen));
	size_t nseen = 0;
	for (int i = 0, k = 1; seen && i < d.toks[0].size; i++, k = json_skip(&d, k)) {
		char id[IMGREF_DIGEST_LEN + 1], shown_id[IMGREF_DIGEST_LEN + 1], created[64],
			size[32];
		int tags = json_obj_get(&d, k, "tags"), digests = json_obj_get(&d, k, "digests");
		int nt = tags >= 0 ? d.toks[tags].size : 0;

		json_text(&d, k, "id", id, sizeof(id));
		if (!imgref_is_digest(id))
			continue;
		if (a.no_trunc)
			str_copy(shown_id, sizeof(shown_id), id);
		else
			str_copyn(shown_id, sizeof(shown_id), imgref_hex(id), IMGREF_SHORT_LEN);
		ago(json_time(&d, k, "created"), created, sizeof(created));
		client_images_human_size(json_num(&d, k, "size"), size, sizeof(size));
		for (int m = 0, q = tags + 1; m < (nt ? nt : 1); m++) {
			char tag[2 * IMGREF_MAX + 2] = "", repo[2 * IMGREF_MAX + 2] = "<none>",
						  shown[2 * IMGREF_MAX + 2],
						  dg[IMGREF_DIGEST_LEN + 1] = "<none>";
			const char *tagname = "<none>";

			if (nt) {
				(void)json_get_str(&d, q, tag, sizeof(tag), &err);
				q = json_skip(&d, q);
				imgref_repo(tag, repo, sizeof(repo));
				tagname = tag + strlen(repo) + 1;
				digest_for(&d, digests, repo, dg, sizeof(dg));
			}
			if (args.n && (!nt || strcmp(repo, filter.name) != 0 ||
				       (want_tag && strcmp(tagname, filter.tag) != 0)))
				continue;
			if (a.quiet) {
				bool dup = false;
				for (size_t s = 0; s < nseen && !dup; s++)
					dup = strcmp(seen[s], id) == 0;
				if (!dup) {
					str_copy(seen[nseen++], sizeof(seen[0]), id);
					printf("%s\n", shown_id);
				}
				continue;
			}
			if (nt)
				imgref_familiar(repo, shown, sizeof(shown));
			else
				str_copy(shown, sizeof(shown), "<none>");
			const char *row6[] = { shown, tagname, dg, shown_id, created, size };
			const char *row5[] = { shown, tagname, shown_id, created, size };
			table_row(&t, a.digests ? row6 : row5);
		}
	}
	free(seen);
	if (!a.quiet)
		table_print(&t);
	table_free(&t);
	free(toks);
	client_close(&cl);
	return 0;
}

/* ---- history ---- */

static const struct cli_opt history_opts[] CLI_TABLE = {
	CLI_OPT('H', 'H', CLI_CHOICE, 0, "human", "true|false",
		"Sizes and dates in human units (default true)"),
	CLI_OPT('n', 0, CLI_FLAG, 0, "no-trunc", "", "Do not truncate the output"),
	CLI_OPT('q', 'q', CLI_FLAG, 0, "quiet", "", "Only the ids"),
};

const struct cli_cmd client_history_cmd CLI_TABLE = {
	.name = "history",
	.summary = "Show the history of an image",
	.synopsis = "kettle history [OPTIONS] IMAGE",
	.description = "Show how the image was built: one row per step, newest first, from its "
		       "config's history.",
	.opts = history_opts,
	.nopts = CLI_COUNT(history_opts),
	.pos = { .min = 1, .max = 1, .first = CLI_STRING },
	.flags = CLI_INTERLEAVE,
};

struct history_args {
	bool raw;      /* -H false */
	bool no_trunc; /* --no-trunc */
	bool quiet;    /* -q */
};

static int history_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct history_args *a = ctx;

	if (id == 'H') {
		if (strcmp(val, "true") && strcmp(val, "false"))
			return client_usage_error(cmd, "--human `%s`: expected true or false", val);
		a->raw = strcmp(val, "false") == 0;
	} else if (id == 'n') {
		a->no_trunc = true;
	} else {
		a->quiet = true;
	}
	return 0;
}

int client_history_main(int argc, char **argv)
{
	struct history_args a = { 0 };
	struct client_args args;
	struct json_tok *toks = calloc(REPLY_TOKENS, sizeof(*toks));
	struct json_doc d;
	struct client cl;
	struct kerr err;
	int rc = client_parse(&client_history_cmd, argc, argv, history_option, &a, &args);

	if (rc >= 0 || !toks) {
		free(toks);
		return rc >= 0 ? rc : client_runflags_out_of_memory();
	}
	rc = client_open(&cl);
	if (rc) {
		free(toks);
		return rc;
	}
	rc = ask(&cl, WIRE_T_IMAGE_HISTORY, args.v[0], -1, 0, &d, toks, &err);
	if (rc) {
		free(toks);
		client_close(&cl);
		if (str_has_prefix(err.msg, "No such image"))
			fprintf(stderr, "Error response from daemon: %s\n", err.msg);
		else
			fprintf(stderr, "kettle: %s\n", err.msg);
		return rc;
	}
	struct table t = { .ncols = 5 };
	const char *head[] = { "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT" };
	table_row(&t, head);
	for (int i = 0, k = 1; i < d.toks[0].size; i++, k = json_skip(&d, k)) {
		char id[IMGREF_DIGEST_LEN + 1], by[8192], comment[1024], created[64], size[32];

		json_text(&d, k, "id", id, sizeof(id));
		if (imgref_is_digest(id) && !a.no_trunc) {
			/* In place: the hex lies inside id, so memmove, never a copy. */
			memmove(id, imgref_hex(id), IMGREF_SHORT_LEN);
			id[IMGREF_SHORT_LEN] = '\0';
		}
		if (a.quiet) {
			printf("%s\n", id);
			continue;
		}
		json_text(&d, k, "created_by", by, sizeof(by));
		json_text(&d, k, "comment", comment, sizeof(comment));
		for (char *p = by; *p; p++)
			if (*p == '\t' || *p == '\n')
				*p = ' ';
		if (!a.no_trunc && width_of(by) > CREATED_BY_MAX) {
			size_t o = 0, chars = 0;
			while (by[o] && chars < CREATED_BY_MAX - 1) {
				o++;
				while (((unsigned char)by[o] & 0xc0) == 0x80)
					o++;
				chars++;
			}
			str_copy(by + o, sizeof(by) - o, ELLIPSIS);
		}
		int64_t ns = json_time(&d, k, "created");
		uint64_t bytes = json_num(&d, k, "size");
		if (a.raw) {
			if (ns > 0)
				clock_format_rfc3339nano(ns, created);
			else
				str_copy(created, sizeof(created), "N/A");
			snprintf(size, sizeof(size), "%llu", (unsigned long long)bytes);
		} else {
			ago(ns, created, sizeof(created));
			client_images_human_size(bytes, size, sizeof(size));
		}
		const char *row[] = { id, created, by, size, comment };
		table_row(&t, row);
	}
	if (!a.quiet)
		table_print(&t);
	table_free(&t);
	free(toks);
	client_close(&cl);
	return 0;
}

/* ---- tag ---- */

const struct cli_cmd client_tag_cmd CLI_TABLE = {
	.name = "tag",
	.summary = "Give an image another name",
	.synopsis = "kettle tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
	.description = "Make TARGET name the image SOURCE names (a tag moves from any image it "
		       "named before).",
	.pos = { .min = 2, .max = 2, .first = CLI_STRING, .rest = CLI_STRING },
};

int client_tag_main(int argc, char **argv)
{
	struct client_args args;
	struct wire_frame reply;
	struct wire_enc e;
	struct client cl;
	struct imgref r;
	struct kerr err;
	int rc = client_parse(&client_tag_cmd, argc, argv, NULL, NULL, &args);

	if (rc >= 0)
		return rc;
	if (imgref_parse(args.v[1], &r, &err) < 0)
		return client_usage_error(&client_tag_cmd, "%s", err.msg);
	rc = client_open(&cl);
	if (rc)
		return rc;
	uint32_t reqid = client_begin(&cl, &cl.conn, &e, WIRE_T_IMAGE_TAG);
	wire_enc_str(&e, WIRE_F_REF, args.v[0]);
	wire_enc_str(&e, WIRE_F_NAME, args.v[1]);
	rc = client_end(&e);
	if (rc == 0)
		rc = client_call(&cl, reqid, &reply);
	client_close(&cl);
	return rc;
}

/* ---- rmi ---- */

static const struct cli_opt rmi_opts[] CLI_TABLE = {
	CLI_OPT('f', 'f', CLI_FLAG, 0, "force", "",
		"Remove an image some container uses, or that has several tags, named by id"),
};

const struct cli_cmd client_rmi_cmd CLI_TABLE = {
	.name = "rmi",
	.summary = "Remove images",
	.synopsis = "kettle rmi [-f] IMAGE [IMAGE...]",
	.description = "Remove images: a tag of an image with other tags is only untagged; the "
		       "last tag, or an id, removes the image and the layers no other image or "
		       "container uses. An image a container uses stays unless -f.",
	.opts = rmi_opts,
	.nopts = CLI_COUNT(rmi_opts),
	.pos = { .min = 1, .max = CLI_ARGS_MANY, .first = CLI_STRING, .rest = CLI_STRING },
	.flags = CLI_INTERLEAVE,
};

static void print_removed(const struct json_doc *d, bool prune)
{
	struct kerr err;
	char s[2 * IMGREF_MAX + 2];
	int u = json_obj_get(d, 0, "untagged"), del = json_obj_get(d, 0, "deleted");

	for (int i = 0, k = u + 1; u >= 0 && i < d->toks[u].size; i++, k = json_skip(d, k))
		if (json_get_str(d, k, s, sizeof(s), &err) == 0)
			printf("%s: %s\n", prune ? "untagged" : "Untagged", s);
	for (int i = 0, k = del + 1; del >= 0 && i < d->toks[del].size; i++, k = json_skip(d, k))
		if (json_get_str(d, k, s, sizeof(s), &err) == 0)
			printf("%s: %s\n", prune ? "deleted" : "Deleted", s);
}

static int rmi(int argc, char **argv, const struct cli_cmd *cmd)
{
	bool force = false;
	struct client_args args;
	struct json_tok *toks = calloc(REPLY_TOKENS, sizeof(*toks));
	struct client cl;
	int rc = client_parse(cmd, argc, argv, client_opt_flag, &force, &args), last = 0;

	if (rc >= 0 || !toks) {
		free(toks);
		return rc >= 0 ? rc : client_runflags_out_of_memory();
	}
	rc = client_open(&cl);
	if (rc) {
		free(toks);
		return rc;
	}
	for (int i = 0; i < args.n; i++) {
		struct json_doc d;
		struct kerr err;
		int r = ask(&cl, WIRE_T_IMAGE_REMOVE, args.v[i], force, 0, &d, toks, &err);

		if (r) {
			fflush(stdout);
			fprintf(stderr, "Error response from daemon: %s\n", err.msg);
			last = r == CLIENT_EXIT_FAIL ? 1 : r;
			continue;
		}
		print_removed(&d, false);
	}
	free(toks);
	client_close(&cl);
	return last;
}

int client_rmi_main(int argc, char **argv)
{
	return rmi(argc, argv, &client_rmi_cmd);
}

/* ---- image inspect ---- */

static void indent(struct buf *out, int depth, struct kerr *err)
{
	for (int i = 0; i < depth * INSPECT_INDENT; i++)
		buf_append(out, " ", 1, err);
}

/* The value at token i re-indented as Go's json.MarshalIndent(v, "", "    "). */
static int pretty(const struct json_doc *d, int i, int depth, struct buf *out, struct kerr *err)
{
	const struct json_tok *t = &d->toks[i];
	bool obj = t->type == JSON_OBJECT;

	if (t->type == JSON_STRING) {
		buf_append(out, d->text + t->start - 1, (size_t)(t->end - t->start + 2), err);
		return i + 1;
	}
	if (t->type != JSON_OBJECT && t->type != JSON_ARRAY) {
		buf_append(out, d->text + t->start, (size_t)(t->end - t->start), err);
		return i + 1;
	}
	buf_append_str(out, obj ? "{" : "[", err);
	int k = i + 1;
	for (int m = 0; m < t->size; m++) {
		buf_append_str(out, m ? ",\n" : "\n", err);
		indent(out, depth + 1, err);
		if (obj) {
			k = pretty(d, k, depth + 1, out, err);
			buf_append_str(out, ": ", err);
		}
		k = pretty(d, k, depth + 1, out, err);
	}
	if (t->size > 0) {
		buf_append_str(out, "\n", err);
		indent(out, depth, err);
	}
	buf_append_str(out, obj ? "}" : "]", err);
	return k;
}

static const struct cli_cmd image_inspect_cmd CLI_TABLE = {
	.name = "image inspect",
	.summary = "Show images' details as JSON",
	.synopsis = "kettle image inspect IMAGE [IMAGE...]",
	.description = "Print the images' details as a JSON array with docker's keys: Id, "
		       "RepoTags, RepoDigests, Created, Config, RootFS, Size.",
	.pos = { .min = 1, .max = CLI_ARGS_MANY, .first = CLI_STRING, .rest = CLI_STRING },
};

static int image_inspect(int argc, char **argv)
{
	struct client_args args;
	struct json_tok *toks = calloc(REPLY_TOKENS, sizeof(*toks));
	struct client cl;
	struct buf out;
	struct kerr err;
	int rc = client_parse(&image_inspect_cmd, argc, argv, NULL, NULL, &args), last = 0;
	int shown = 0;

	if (rc >= 0 || !toks) {
		free(toks);
		return rc >= 0 ? rc : client_runflags_out_of_memory();
	}
	rc = client_open(&cl);
	if (rc) {
		free(toks);
		return rc;
	}
	buf_init(&out, SIZE_MAX);
	buf_append_str(&out, "[", &err);
	for (int i = 0; i < args.n; i++) {
		struct json_doc d;
		struct kerr why;
		int r = ask(&cl, WIRE_T_IMAGE_INSPECT, args.v[i], -1, 0, &d, toks, &why);

		if (r) {
			if (str_has_prefix(why.msg, "No such image"))
				fprintf(stderr, "Error: No such image: %s\n", args.v[i]);
			else
				fprintf(stderr, "kettle: %s\n", why.msg);
			last = 1;
			continue;
		}
		buf_append_str(&out, shown++ ? ",\n" : "\n", &err);
		indent(&out, 1, &err);
		pretty(&d, 0, 1, &out, &err);
	}
	buf_append_str(&out, shown ? "\n]\n" : "]\n", &err);
	if (out.len) /* an empty buffer has no data pointer */
		fwrite(out.data, 1, out.len, stdout);
	fflush(stdout);
	buf_done(&out);
	free(toks);
	client_close(&cl);
	return last;
}

/* ---- image prune ---- */

static const struct cli_opt prune_opts[] CLI_TABLE = {
	CLI_OPT('a', 'a', CLI_FLAG, 0, "all", "",
		"Every image no container uses, not only "
		"untagged ones"),
	CLI_OPT('f', 'f', CLI_FLAG, 0, "force", "", "Do not ask for confirmation"),
};

static const struct cli_cmd image_prune_cmd CLI_TABLE = {
	.name = "image prune",
	.summary = "Remove unused images",
	.synopsis = "kettle image prune [-a] [-f]",
	.description = "Remove untagged images (with -a every image) no container uses.",
	.opts = prune_opts,
	.nopts = CLI_COUNT(prune_opts),
};

struct prune_args {
	bool all;   /* -a */
	bool force; /* -f */
};

static int prune_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct prune_args *a = ctx;

	(void)cmd;
	(void)val;
	if (id == 'a')
		a->all = true;
	else
		a->force = true;
	return 0;
}

static int image_prune(int argc, char **argv)
{
	struct prune_args a = { 0 };
	struct client_args args;
	struct json_tok *toks = calloc(REPLY_TOKENS, sizeof(*toks));
	struct json_doc d;
	struct client cl;
	struct kerr err;
	char line[64], size[32];
	int rc = client_parse(&image_prune_cmd, argc, argv, prune_option, &a, &args);

	if (rc >= 0 || !toks) {
		free(toks);
		return rc >= 0 ? rc : client_runflags_out_of_memory();
	}
	if (!a.force) {
		printf("WARNING! This will remove all %s.\nAre you sure you want to continue? "
		       "[y/N] ",
		       a.all ? "images without at least one container associated to them"
			     : "dangling images");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y') ||
		    (line[1] != '\n' && line[1] != '\0')) {
			free(toks);
			return 0;
		}
	}
	rc = client_open(&cl);
	if (rc) {
		free(toks);
		return rc;
	}
	rc = ask(&cl, WIRE_T_IMAGE_PRUNE, NULL, -1, a.all, &d, toks, &err);
	if (rc)
		rc = client_fail(rc, &err);
	if (rc == 0) { /* d points into the connection's buffer: printed before closing */
		int del = json_obj_get(&d, 0, "deleted"), un = json_obj_get(&d, 0, "untagged");
		bool any = (del >= 0 && d.toks[del].size) || (un >= 0 && d.toks[un].size);

		if (any) {
			printf("Deleted Images:\n");
			print_removed(&d, true);
			printf("\n");
		}
		client_images_human_size(json_num(&d, 0, "reclaimed"), size, sizeof(size));
		printf("Total reclaimed space: %s\n", size);
	}
	client_close(&cl);
	free(toks);
	return rc;
}

/* ---- `kettle image COMMAND` ---- */

const struct cli_cmd client_image_cmd CLI_TABLE = {
	.name = "image",
	.summary = "Manage images (ls, rm, inspect, prune, history, tag, load, save, import)",
	.synopsis = "kettle image COMMAND [ARG...]",
	.description = "Run an image command: ls (images), rm (rmi), inspect, prune, history, "
		       "tag, load, save, import.",
	.pos = { .min = 1, .max = CLI_ARGS_MANY, .first = CLI_STRING, .rest = CLI_ANYTHING },
};

int client_image_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*main)(int argc, char **argv);
	} subs[] = {
		{ "history", client_history_main }, { "import", client_import_main },
		{ "inspect", image_inspect },	    { "load", client_load_main },
		{ "list", client_images_main },	    { "ls", client_images_main },
		{ "prune", image_prune },	    { "remove", client_rmi_main },
		{ "rm", client_rmi_main },	    { "save", client_save_main },
		{ "tag", client_tag_main },
	};
	struct client_args args;
	int rc;

	if (argc >= 2 && argv[1][0] != '-') {
		for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
			if (strcmp(argv[1], subs[i].name) == 0)
				return subs[i].main(argc - 1, argv + 1);
		return client_usage_error(&client_image_cmd,
					  "unknown image command `%s` (allowed: ls, rm, inspect, "
					  "prune, history, tag, load, save, import)",
					  argv[1]);
	}
	rc = client_parse(&client_image_cmd, argc, argv, NULL, NULL, &args);
	return rc >= 0 ? rc : 0;
}
