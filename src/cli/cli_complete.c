/*
 * cli_complete: bash completion generated from the command tables (mechanism M1, pure).
 *
 * The words before the cursor go through the parser itself, so completion reads them as
 * the command will: an option still waiting for its value, the options given so far, the
 * end of the options at "--" or at the first argument (unless CLI_INTERLEAVE). What may
 * come next is offered: command names, the options not given yet (a CLI_REPEAT one
 * again), a CHOICE's words, or a directive for what only the shell can list (containers
 * through the daemon, directories). scripts/kettle.bash-completion turns the lines into
 * COMPREPLY. Writes only to the FILE it is given.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* Prints prefix + the n bytes of word when cur begins that candidate. */
static void offer(FILE *out, const char *cur, const char *prefix, const char *word, size_t n)
{
	size_t lp = strlen(prefix), lc = strlen(cur);

	if (lc > lp + n || strncmp(cur, prefix, lc < lp ? lc : lp) != 0 ||
	    (lc > lp && strncmp(cur + lp, word, lc - lp) != 0))
		return;
	fprintf(out, "%s%.*s\n", prefix, (int)n, word);
}

/* words[0] is the command, words[n - 1] the one under the cursor. */
static void complete_command(const struct cli_cmd *cmd, char **words, int n, FILE *out)
{
	const char *cur = words[n - 1];
	const struct cli_opt *o, *value_of = NULL;
	struct cli_parser p;
	struct kerr err;
	uint64_t given = 0; /* bit i: cli_opt_at(cmd, i) was given */
	int id, kind;

	cli_parse_init(&p, cmd, n - 1, words);
	while ((id = cli_parse_next(&p, &err)) > 0)
		for (int i = 0; (o = cli_opt_at(cmd, i)); i++)
			if (o == p.opt)
				given |= (uint64_t)1 << (i & 63);
	if (id < 0) {
		/* Only "needs a value" leaves a valued option: the cursor is on its value. */
		if (!p.opt || p.opt->kind == CLI_FLAG || p.opt->kind == CLI_BOOL)
			return;
		value_of = p.opt;
		kind = p.opt->kind;
	} else if (!p.dashes && (p.nargs == 0 || (cmd->flags & CLI_INTERLEAVE)) && cur[0] == '-') {
		for (int i = 0; (o = cli_opt_at(cmd, i)); i++) {
			const char *l;
			size_t nl = cli_opt_text(o, CLI_LONG, &l);

			if ((o->flags & CLI_HIDDEN) ||
			    ((given >> (i & 63) & 1) && !(o->flags & CLI_REPEAT)))
				continue;
			if (o->short_name)
				offer(out, cur, "-", &o->short_name, 1);
			if (nl)
				offer(out, cur, "--", l, nl);
		}
		return;
	} else if (cmd->pos.max != CLI_ARGS_MANY && p.nargs >= cmd->pos.max) {
		return;
	} else {
		kind = p.nargs == 0 ? cmd->pos.first : cmd->pos.rest;
	}
	if (kind == CLI_CONTAINER) {
		fputs("@containers\n", out);
	} else if (kind == CLI_DIR) {
		fputs("@dirs\n", out);
	} else if (kind == CLI_CHOICE && value_of) {
		const char *w;
		size_t left = cli_opt_text(value_of, CLI_VALUE, &w);

		while (left > 0) {
			size_t nw = strcspn(w, "|\t");

			offer(out, cur, "", w, nw);
			nw += nw < left;
			w += nw;
			left -= nw;
		}
	}
}

void cli_complete_write(const struct cli_entry *table, size_t n, int cword, char **words,
			int nwords, FILE *out)
{
	int at = 1;

	if (cword < 1 || cword >= nwords)
		return;
	const char *cur = words[cword];
	/* Words before the command are the program's own options (--help, --version). */
	while (at < cword && words[at][0] == '-')
		at++;
	if (at == cword || (at + 1 == cword && strcmp(words[at], "help") == 0)) {
		for (size_t i = 0; i < n; i++)
			if (table[i].cmd)
				offer(out, cur, "", table[i].name, strlen(table[i].name));
		if (at == cword) {
			offer(out, cur, "--", "help", 4);
			offer(out, cur, "--", "version", 7);
		}
		return;
	}
	const struct cli_entry *e = cli_find(table, n, words[at]);
	if (e && e->cmd)
		complete_command(e->cmd, words + at, cword - at + 1, out);
}
