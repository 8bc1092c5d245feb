/*
 * fuzz_tmpl: libFuzzer target for the template engine (test layer, fuzzes src/tmpl).
 *
 * The input is a template, a NUL byte, and a JSON document (without a NUL the document is
 * a fixed inspect-like object). The template is parsed; docker's preFormat and the
 * tabwriter run over the text too; a template that parsed runs over the document twice,
 * with a schema and without, in normal and header mode. Invariants: a failure leaves a
 * NUL-terminated message that starts with "template: " (or names the cap it hit); a run
 * is deterministic (same output and result twice); the output respects TMPL_OUT_MAX; the
 * tabwriter writes every non-tab byte of its input. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define FUZZ_TOKS 512

static const char fallback[] =
	"{\"Id\":\"abc\",\"Name\":\"/web\",\"Args\":[\"a\",\"b\"],\"State\":{\"Pid\":1,"
	"\"Running\":true,\"Health\":null},\"Config\":{\"Labels\":{\"k\":\"v\",\"a.b\":\"c\"},"
	"\"Env\":[\"A=1\"]},\"N\":1.5,\"E\":[],\"M\":{}}";

static const char *const maps[] = { "Config.Labels", "M", NULL };
static const char *const optional[] = { "State.Health", "Config.Healthcheck", NULL };
static const struct tmpl_schema schema = { .maps = maps, .optional = optional };

static int method(void *ctx, const char *name, size_t nargs, const char *const *args,
		  const char **result, struct kerr *err)
{
	(void)ctx;
	if (strcmp(name, "Label") != 0)
		return 0;
	if (nargs != 1)
		return kerr_set(err, 0, "Label wants one argument");
	*result = args[0];
	return 1;
}

static void check_msg(const struct kerr *err)
{
	CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	CHECK(err->msg[0] != '\0');
}

static void run_twice(const struct tmpl *t, const struct tmpl_data *data)
{
	struct buf a, b;
	struct kerr ea, eb;

	buf_init(&a, SIZE_MAX);
	buf_init(&b, SIZE_MAX);
	int ra = tmpl_exec(t, data, &a, &ea);
	int rb = tmpl_exec(t, data, &b, &eb);
	CHECK(ra == rb);
	CHECK(a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0));
	CHECK(a.len <= TMPL_OUT_MAX + 1024u * 1024u);
	if (ra < 0) {
		check_msg(&ea);
		CHECK(strcmp(ea.msg, eb.msg) == 0);
		CHECK(strncmp(ea.msg, "template: ", 10) == 0);
	}
	/* The tabwriter keeps every byte but tabs. */
	struct buf laid;
	struct kerr el;
	size_t nontab = 0;
	buf_init(&laid, SIZE_MAX);
	if (a.len < 65536 &&
	    tmpl_tabwrite(a.data ? (const char *)a.data : "", a.len, &laid, &el) == 0) {
		for (size_t i = 0; i < a.len; i++)
			nontab += a.data[i] != '\t';
		size_t kept = 0;
		for (size_t i = 0; i < laid.len; i++)
			kept += laid.data[i] != ' ';
		size_t spaces_in = 0;
		for (size_t i = 0; i < a.len; i++)
			spaces_in += a.data[i] == ' ';
		CHECK(kept == nontab - spaces_in);
	}
	buf_done(&laid);
	buf_done(&a);
	buf_done(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	const char *json = nul ? (const char *)nul + 1 : fallback;
	size_t jlen = nul ? size - tlen - 1 : strlen(fallback);
	static struct json_tok toks[FUZZ_TOKS];
	struct json_doc d;
	struct tmpl *t = NULL;
	struct kerr err;

	/* docker's preFormat on the template text (a C string up to the first NUL). */
	char *cstr = malloc(tlen + 1);
	CHECK(cstr != NULL);
	memcpy(cstr, text, tlen);
	cstr[tlen] = '\0';
	char *pre = tmpl_docker_format(cstr, &err);
	CHECK(pre != NULL && strlen(pre) <= tlen + 10);
	free(pre);
	free(cstr);

	if (tmpl_parse(text, tlen, &t, &err) < 0) {
		check_msg(&err);
		CHECK(t == NULL);
		CHECK(strncmp(err.msg, "template", 8) == 0);
		return 0;
	}
	if (json_parse(&d, json, jlen, toks, FUZZ_TOKS, &err) == 0) {
		struct tmpl_data with = { .doc = &d, .schema = &schema, .method = method };
		struct tmpl_data without = { .doc = &d };
		struct tmpl_data header = { .doc = &d, .header = true, .method = method };

		run_twice(t, &with);
		run_twice(t, &without);
		run_twice(t, &header);
		struct buf j;
		buf_init(&j, SIZE_MAX);
		CHECK(tmpl_json_compact(&d, 0, &j, &err) == 0);
		/* Go's JSON of a parsed document parses again. */
		static struct json_tok again[FUZZ_TOKS];
		struct json_doc d2;
		CHECK(json_parse(&d2, (const char *)j.data, j.len, again, FUZZ_TOKS, &err) == 0);
		CHECK(d2.ntoks == d.ntoks);
		buf_done(&j);
	}
	tmpl_free(t);
	return 0;
}
