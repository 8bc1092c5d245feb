/*
 * fuzz_cli: libFuzzer target for the command-table parser and completion (test layer,
 * fuzzes src/cli/cli.c and cli_complete.c).
 *
 * Input: byte 0 is flags (bit 0 CLI_INTERLEAVE), the rest argv words separated by NULs,
 * each copied into an exact-size heap buffer so ASan sees any read past its end. Checked:
 * every id is the table's and comes with a value exactly when its option takes one (a
 * boolean: none, or the word after its '='), the value lying inside one word; misuse
 * carries a message of the known shapes; the parse ends within a bound and stays ended;
 * without CLI_INTERLEAVE the arguments are the words' untouched tail, with it the words in
 * order minus the options; a second parse agrees; every completion candidate begins with
 * the word under the cursor. Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define WORDS_MAX 32 /* argv entries, the command's name included */

static const struct cli_opt opts[] = {
	CLI_OPT('a', 'a', CLI_FLAG, 0, "all", "", "All"),
	CLI_OPT('t', 't', CLI_NUMBER, 0, "time", "S", "Time"),
	CLI_OPT('t', 0, CLI_NUMBER, CLI_HIDDEN, "timeout", "", ""),
	CLI_OPT('e', 'e', CLI_STRING, CLI_REPEAT, "env", "K=V", "Env"),
	CLI_OPT(300, 0, CLI_CHOICE, 0, "format", "table|json", "Format"),
	CLI_OPT(301, 0, CLI_DIR, 0, "root", "DIR", "Root"),
	CLI_OPT(302, 0, CLI_FLAG, 0, "rm", "", "Remove"),
	CLI_OPT(303, 'b', CLI_BOOL, 0, "sig-proxy", "", "Forward signals"),
};

static struct cli_cmd cmd = {
	.name = "demo",
	.summary = "Demo",
	.synopsis = "kettle demo [OPTIONS] CONTAINER [CONTAINER...]",
	.opts = opts,
	.nopts = CLI_COUNT(opts),
	.pos = { .min = 1, .max = 1, .first = CLI_CONTAINER, .rest = CLI_FILE },
};

static bool inside(const char *p, char *const *words, int n)
{
	for (int i = 0; i < n; i++)
		if (p >= words[i] && p <= words[i] + strlen(words[i]))
			return true;
	return false;
}

/* Parses argv (a copy of words) and checks it; writes the ids seen into trace. */
static void parse(char **argv, char *const *words, int n, int *trace, int *ntrace)
{
	struct cli_parser p;
	struct kerr err;
	int id, calls = 0, bound = n;

	for (int i = 0; i < n; i++)
		bound += (int)strlen(words[i]);
	*ntrace = 0;
	cli_parse_init(&p, &cmd, n, argv);
	while ((id = cli_parse_next(&p, &err)) > 0) {
		CHECK(++calls <= bound);
		CHECK(p.opt && (p.opt->id == id || id == CLI_HELP));
		/* A flag has no value; a boolean has none or a word after '='. */
		if (p.opt->kind == CLI_BOOL)
			CHECK(!p.val || p.val[-1] == '=');
		else
			CHECK((p.opt->kind == CLI_FLAG) == (p.val == NULL));
		CHECK(!p.val || inside(p.val, words, n));
		trace[(*ntrace)++ % WORDS_MAX] = id;
	}
	if (id < 0) {
		CHECK(memchr(err.msg, '\0', sizeof(err.msg)));
		CHECK(strncmp(err.msg, "unknown option `", 16) == 0 ||
		      strncmp(err.msg, "option `", 8) == 0);
		trace[(*ntrace)++ % WORDS_MAX] = -1;
		return;
	}
	CHECK(p.nargs >= 0 && p.nargs < n);
	CHECK(cli_parse_next(&p, &err) == 0);
	if (cmd.flags & CLI_INTERLEAVE) {
		int k = 1;

		CHECK(p.args == argv + 1);
		for (int i = 0; i < p.nargs; i++) {
			while (k < n && words[k] != p.args[i])
				k++;
			CHECK(k++ < n);
		}
	} else {
		CHECK(p.args == argv + (n - p.nargs));
		for (int i = 0; i < p.nargs; i++)
			CHECK(p.args[i] == words[n - p.nargs + i]);
	}
	if (cli_check_args(&cmd, p.nargs, p.args, &err) < 0)
		CHECK(err.msg[0] && memchr(err.msg, '\0', sizeof(err.msg)));
	trace[(*ntrace)++ % WORDS_MAX] = 1000 + p.nargs;
}

static void complete(char *const *words, int n)
{
	static const struct cli_entry table[] = { { "demo", NULL, &cmd } };
	char *argv[WORDS_MAX + 2], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	argv[0] = "kettle";
	memcpy(argv + 1, words, sizeof(*words) * (size_t)n); /* words[0] is "demo" */
	cli_complete_write(table, 1, n, argv, n + 1, f);
	fclose(f);
	const char *cur = argv[n];
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');

		CHECK(nl);
		CHECK(line[0] == '@' || strncmp(line, cur, strlen(cur)) == 0);
		line = nl + 1;
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *words[WORDS_MAX], *argv[WORDS_MAX + 1];
	int n = 0, trace[WORDS_MAX], trace2[WORDS_MAX], nt, nt2;

	if (size == 0)
		return 0;
	cmd.flags = (data[0] & 1) ? CLI_INTERLEAVE : 0;
	words[n++] = "demo";
	for (size_t i = 1; i < size && n < WORDS_MAX;) {
		const uint8_t *end = memchr(data + i, '\0', size - i);
		size_t wl = end ? (size_t)(end - (data + i)) : size - i;
		char *w = malloc(wl + 1);

		if (!w)
			break;
		memcpy(w, data + i, wl);
		w[wl] = '\0';
		words[n++] = w;
		i += wl + 1;
	}
	memcpy(argv, words, sizeof(*words) * (size_t)n);
	argv[n] = NULL;
	parse(argv, words, n, trace, &nt);
	memcpy(argv, words, sizeof(*words) * (size_t)n);
	parse(argv, words, n, trace2, &nt2);
	CHECK(nt == nt2);
	CHECK(memcmp(trace, trace2, sizeof(*trace) * (size_t)(nt < WORDS_MAX ? nt : WORDS_MAX)) ==
	      0);
	complete(words, n);
	for (int i = 1; i < n; i++)
		free(words[i]);
	return 0;
}
