/*
 * client_format: docker's --format for every command that has it (layer 3, client role):
 * `json`, `table [TEMPLATE]`, or a Go template, run over the JSON document each row or
 * object is (src/tmpl does the work).
 *
 * ps, stats, info, version and events read the value as docker's formatter does (a
 * leading "table", spaces trimmed, \t and \n turned into a tab and a newline); inspect
 * takes it as it is. A table's rows go through Go's tabwriter after a header made by the
 * same template run over the header names (docker's HeaderFunctions). A template that does
 * not parse, or fails on a row, prints docker's "template parsing error: …" and the
 * command exits 125 (kettle's code for its own failures; docker uses 64 or 1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "client/client.h"
#include "tmpl/tmpl.h"

static const char *const no_maps[] = { NULL };
const struct tmpl_schema client_format_struct = { .maps = no_maps };

int client_format_init(struct client_format *f, const char *value, bool docker_pre)
{
	struct kerr err;
	char *text = NULL;

	*f = (struct client_format){ .kind = CLIENT_FORMAT_DEFAULT };
	if (!value || !value[0])
		return 0;
	if (strcmp(value, "json") == 0) {
		f->kind = CLIENT_FORMAT_JSON;
		return 0;
	}
	if (docker_pre) {
		f->table = tmpl_is_table(value);
		text = tmpl_docker_format(value, &err);
		if (!text)
			return client_fail(CLIENT_EXIT_FAIL, &err);
		/* "table" alone: the command's own table. */
		if (f->table && !text[0]) {
			free(text);
			return 0;
		}
	}
	const char *src = text ? text : value;
	f->toks = malloc(sizeof(*f->toks) * JSON_TOKENS_MAX);
	if (!f->toks) {
		free(text);
		fputs("kettle: out of memory\n", stderr);
		return CLIENT_EXIT_FAIL;
	}
	if (tmpl_parse(src, strlen(src), &f->t, &err) < 0) {
		free(text);
		client_format_done(f);
		fprintf(stderr, "template parsing error: %s\n", err.msg);
		return CLIENT_EXIT_FAIL;
	}
	free(text);
	f->kind = CLIENT_FORMAT_TEMPLATE;
	buf_init(&f->rows, SIZE_MAX);
	return 0;
}

void client_format_done(struct client_format *f)
{
	f->t = tmpl_free(f->t);
	free(f->toks);
	f->toks = NULL;
	buf_done(&f->rows);
}

/* Runs the template over json (len bytes), appending to out; header mode for tables. */
static int run(struct client_format *f, const char *json, size_t len, bool header,
	       tmpl_method_fn method, void *ctx, const struct tmpl_schema *schema, struct buf *out,
	       struct kerr *err)
{
	struct json_doc d;

	if (json_parse(&d, json, len, f->toks, JSON_TOKENS_MAX, err) < 0)
		return kerr_wrap(err, "format");
	struct tmpl_data data = {
		.doc = &d,
		.schema = schema,
		.method = method,
		.ctx = ctx,
		.header = header,
	};
	return tmpl_exec(f->t, &data, out, err);
}

int client_format_exec(struct client_format *f, const char *json, size_t len,
		       const struct tmpl_schema *schema, tmpl_method_fn method, void *ctx,
		       struct buf *out, struct kerr *err)
{
	struct buf *to = f->table ? &f->rows : out;

	if (run(f, json, len, false, method, ctx, schema, to, err) < 0) {
		kerr_wrap(err, "template parsing error");
		return -1;
	}
	return buf_append(to, "\n", 1, err);
}

int client_format_table(struct client_format *f, const char *header_json, tmpl_method_fn method,
			void *ctx, struct buf *out, struct kerr *err)
{
	static const char *const root_is_map[] = { "", NULL };
	static const struct tmpl_schema header_schema = { .maps = root_is_map };
	struct buf text;
	struct kerr ignored;
	int rc;

	if (!f->table) {
		rc = buf_append(out, f->rows.data, f->rows.len, err);
		buf_clear(&f->rows);
		return rc;
	}
	/* docker ignores a header that fails: what it wrote before the failure stays. */
	buf_init(&text, SIZE_MAX);
	run(f, header_json, strlen(header_json), true, method, ctx, &header_schema, &text,
	    &ignored);
	rc = buf_append(&text, "\n", 1, err);
	if (rc == 0)
		rc = buf_append(&text, f->rows.data, f->rows.len, err);
	if (rc == 0)
		rc = tmpl_tabwrite(text.data ? (const char *)text.data : "", text.len, out, err);
	buf_done(&text);
	buf_clear(&f->rows);
	return rc;
}

int client_format_json(const char *json, size_t len, struct buf *out, struct kerr *err)
{
	struct json_tok *toks = malloc(sizeof(*toks) * JSON_TOKENS_MAX);
	struct json_doc d;
	int rc = -1;

	if (!toks)
		return kerr_set(err, ENOMEM, "format");
	if (json_parse(&d, json, len, toks, JSON_TOKENS_MAX, err) == 0 &&
	    tmpl_json_compact(&d, 0, out, err) == 0)
		rc = buf_append(out, "\n", 1, err);
	free(toks);
	return rc;
}

int client_format_header_label(void *ctx, const char *name, size_t nargs, const char *const *args,
			       const char **result, struct kerr *err)
{
	char *out = ctx;

	if (strcmp(name, "Label") != 0)
		return 0;
	if (nargs != 1)
		return kerr_set(err, 0, "wrong number of args for Label: want 1 got %zu", nargs);
	/* docker's SubHeaderContext.Label: the part after the last '.', '-' and '_' as
	 * spaces. */
	const char *last = strrchr(args[0], '.');
	last = last ? last + 1 : args[0];
	snprintf(out, CLIENT_FORMAT_LABEL_MAX, "%s", last);
	for (char *p = out; *p; p++)
		if (*p == '-' || *p == '_')
			*p = ' ';
	*result = out;
	return 1;
}
